/*-------------------------------------------------------------------------
 *
 * bounce.h
 *		The one shared header of the bounce extension.
 *
 * It has two halves.  The first is plain C, with no PostgreSQL
 * dependency: the parsers of untrusted input (status codes, diagnostic
 * text, DSN messages) are written against it so that the libFuzzer
 * targets in test/fuzz can link them without a server.  The second half,
 * compiled only inside the backend (when postgres.h came first), holds the
 * fmgr glue shared between the SQL-facing files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_H
#define BOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ----------------------------------------------------------------
 * Enhanced status codes (RFC 3463): class.subject.detail
 *
 * Packed into one int32 as class * 1000000 + subject * 1000 + detail, so
 * that integer order is the natural (class, subject, detail) order and the
 * type can be passed by value in 4 bytes.
 * ----------------------------------------------------------------
 */
#define BOUNCE_STATUS_MAX_PART	999

#define BOUNCE_STATUS_PACK(c, s, d)	((int32_t) ((c) * 1000000 + (s) * 1000 + (d)))
#define BOUNCE_STATUS_CLASS(v)		((int) ((v) / 1000000))
#define BOUNCE_STATUS_SUBJECT(v)	((int) (((v) / 1000) % 1000))
#define BOUNCE_STATUS_DETAIL(v)		((int) ((v) % 1000))

/* Why bounce_status_parse refused its input. */
typedef enum BounceStatusError
{
	BSE_OK = 0,
	BSE_EMPTY,					/* nothing but whitespace */
	BSE_SYNTAX,					/* not digits.digits.digits */
	BSE_CLASS,					/* class is not 2, 4 or 5 */
	BSE_RANGE,					/* subject or detail above 999 */
	BSE_LEADING_ZERO			/* e.g. 5.01.1 */
} BounceStatusError;

extern BounceStatusError bounce_status_parse(const char *str, size_t len,
											 int32_t *result);
extern bool bounce_status_valid(int32_t packed);
extern int	bounce_status_format(int32_t packed, char *buf, size_t buflen);

/* Longest canonical text form: "5.999.999" plus the terminator. */
#define BOUNCE_STATUS_BUFLEN	10

/* One row of the IANA enhanced status code registry (status_codes.c). */
typedef struct BounceStatusCode
{
	int			subject;
	int			detail;
	const char *name;			/* IANA sample text */
	const char *basic_codes;	/* associated reply codes, as IANA lists them */
	const char *reference;		/* defining RFC(s) */
} BounceStatusCode;

extern const BounceStatusCode bounce_status_codes[];
extern const int bounce_status_codes_count;
extern const BounceStatusCode *bounce_status_lookup(int subject, int detail);

/* SMTP basic reply codes (RFC 5321 section 4.2). */
extern bool bounce_reply_code_valid(int64_t code);

/* ---- pure-C part of the classifier ---- */

/*
 * Bounce reasons, Sisimai 5.6 taxonomy.  The order is the order of the SQL
 * enum bounce.reason (src/sql/20_classify.sql): the C value is the enum's
 * sort position, so the two must be changed together.
 */
typedef enum BounceReason
{
	BR_AUTHFAILURE = 0, BR_BADREPUTATION, BR_BLOCKED, BR_CONTENTERROR,
	BR_DELIVERED, BR_EMAILTOOLARGE, BR_EXPIRED, BR_FAILEDSTARTTLS,
	BR_FEEDBACK, BR_FILTERED, BR_HASMOVED, BR_HOSTUNKNOWN, BR_MAILBOXFULL,
	BR_MAILERERROR, BR_NETWORKERROR, BR_NORELAYING, BR_NOTACCEPT,
	BR_NOTCOMPLIANTRFC, BR_ONHOLD, BR_POLICYVIOLATION, BR_RATELIMITED,
	BR_REJECTED, BR_REQUIREPTR, BR_SECURITYERROR, BR_SPAMDETECTED,
	BR_SUPPRESSED, BR_SUSPEND, BR_SYNTAXERROR, BR_SYSTEMERROR,
	BR_SYSTEMFULL, BR_UNDEFINED, BR_USERUNKNOWN, BR_VACATION,
	BR_VIRUSDETECTED,
	BR_COUNT
} BounceReason;

/* Coarse groups for GROUP BY (bounce.reason_group). */
typedef enum BounceGroup
{
	BG_ADDRESS = 0, BG_MAILBOX, BG_POLICY, BG_AUTHENTICATION, BG_CONTENT,
	BG_TRANSIENT, BG_UNDETERMINED, BG_NOT_BOUNCE,
	BG_COUNT
} BounceGroup;

/* Sisimai's hard/soft verdict of a reason. */
typedef enum BounceHardness
{
	BH_SOFT = 0,
	BH_HARD,					/* the address itself is bad */
	BH_HARD_IF_PERMANENT,		/* hard unless the code is 4xx / 4.x.x */
	BH_NOT_BOUNCE				/* delivered, feedback, vacation: NULL */
} BounceHardness;

typedef struct BounceReasonInfo
{
	const char *name;			/* the enum label */
	BounceGroup group;
	BounceHardness hardness;
	const char *description;
} BounceReasonInfo;

extern const BounceReasonInfo bounce_reasons[BR_COUNT];
extern const char *const bounce_group_names[BG_COUNT];

/* The SMTP command at which delivery failed, as context. */
typedef enum BounceCommand
{
	BC_ANY = 0,					/* unknown / not given (in rules: any) */
	BC_CONN, BC_HELO, BC_MAIL, BC_RCPT, BC_DATA, BC_OTHER
} BounceCommand;

/* Receiving providers whose replies need their own rules. */
typedef enum BounceProvider
{
	BP_ANY = 0,					/* unknown host (in rules: any host) */
	BP_MICROSOFT, BP_GOOGLE, BP_YAHOO, BP_APPLE, BP_ORANGE, BP_GMX,
	BP_TONLINE, BP_ZOHO, BP_PROTON, BP_MIMECAST, BP_PROOFPOINT,
	BP_BARRACUDA, BP_CISCO, BP_TENCENT, BP_GODADDY, BP_AMAZON, BP_KDDI,
	BP_DOCOMO,
	BP_COUNT
} BounceProvider;

/* Remote host -> provider: the host contains host_part (lower case). */
typedef struct BounceProviderHost
{
	const char *host_part;
	BounceProvider provider;
} BounceProviderHost;

/*
 * A text rule: when the lower-cased, space-collapsed diagnostic contains
 * pattern, and the optional conditions hold, the reason is reason.  The
 * first matching rule in table order wins.  status is NULL or a prefix of
 * the canonical status ("5.4.1", "5.7.", "4.").
 *
 * A pattern with one "*" is a gap rule: its two parts must both occur, in
 * that order, with at least one byte and at most BOUNCE_GAP_MAX bytes
 * between them ("user * was not found" matches "user ann was not found",
 * not "user was not found").  For the texts that put a name or address in
 * the middle of a fixed phrase.
 */
#define BOUNCE_GAP_MAX		120
#define BOUNCE_GAP_RULES_MAX	64
typedef struct BounceTextRule
{
	const char *pattern;
	BounceReason reason;
	const char *status;
	BounceCommand command;
	BounceProvider provider;
	const char *source;
} BounceTextRule;

/*
 * A code rule: status code ("5.1.1"; "X.1.1" for both 4 and 5) or basic
 * reply code ("552") -> reason, optionally for one provider only.  A weak
 * rule gives way to the SMTP command as context (HELO -> blocked, MAIL ->
 * rejected).
 */
typedef struct BounceCodeRule
{
	const char *code;
	BounceReason reason;
	BounceProvider provider;
	bool		weak;
	const char *source;
} BounceCodeRule;

extern const BounceTextRule bounce_text_rules[];
extern const int bounce_text_rules_count;
extern const BounceCodeRule bounce_status_rules[];
extern const int bounce_status_rules_count;
extern const BounceCodeRule bounce_reply_rules[];
extern const int bounce_reply_rules_count;
extern const BounceProviderHost bounce_provider_hosts[];
extern const int bounce_provider_hosts_count;
extern const char *const bounce_provider_names[BP_COUNT];

/*
 * Multi-pattern matcher (Aho-Corasick, matcher.c): a full transition table
 * over byte classes, states numbered breadth first, the states that report
 * patterns last (from out_start on).
 */
typedef struct BounceMatcher
{
	int			nstates;
	int			out_start;		/* states >= out_start report patterns */
	int			nclasses;		/* row width, 1 << shift */
	int			shift;
	uint8_t		cls[256];		/* byte -> class; folds ASCII case */
	uint8_t		space_class;	/* class of the blanks (runs are collapsed) */
	uint16_t   *delta;			/* nstates rows of nclasses transitions */
	uint8_t    *depth;			/* per state: length of its prefix, at most 255 */
	int32_t    *out_first;		/* per reporting state: index into out */
	int32_t    *out;			/* pattern ids, each list ends with -1 */
	const char *const *patterns;	/* as given to bounce_matcher_build */
	int			npatterns;
	uint32_t   *verify;			/* per pattern: 0, or its length if hits are verified */
	void	   *mem;			/* the one block the arrays live in */
	size_t		memsize;
} BounceMatcher;

/* Called for each occurrence; end is the offset just past its last byte. */
typedef void (*BounceMatchFn) (int pattern, size_t end, void *arg);

extern bool bounce_matcher_build(BounceMatcher *m, const char *const *patterns,
								 int npatterns);
extern void bounce_matcher_free(BounceMatcher *m);
extern void bounce_matcher_scan(const BounceMatcher *m, const char *text,
								size_t len, BounceMatchFn fn, void *arg);

/* What the classifier is given. */
typedef struct BounceClassifyInput
{
	const char *text;			/* may be NULL */
	size_t		len;
	int			reply_code;		/* 0: not given */
	int32_t		status;			/* -1: not given */
	const char *command;		/* may be NULL */
	size_t		command_len;
	const char *host;			/* may be NULL */
	size_t		host_len;
} BounceClassifyInput;

/* Which layer decided. */
typedef enum BounceRuleKind
{
	BK_NONE = 0,				/* nothing to go on */
	BK_TEXT,					/* bounce_text_rules[rule] */
	BK_STATUS,					/* bounce_status_rules[rule] */
	BK_REPLY,					/* bounce_reply_rules[rule] */
	BK_COMMAND,					/* the SMTP command alone */
	BK_DELIVERED,				/* 2.x.x / 2xx */
	BK_CLASS4,					/* an unexplained 4xx: gave up = expired */
	BK_UNMATCHED				/* text matched no rule: onhold */
} BounceRuleKind;

/* Context adjustments applied after a text rule (Sisimai semantics). */
typedef enum BounceAdjust
{
	BA_NONE = 0,
	BA_FILTERED_AFTER_DATA,		/* user-unknown text at DATA -> filtered */
	BA_FILTERED_BY_STATUS,		/* user-unknown text with X.2.x/X.7.x -> filtered */
	BA_SENDER_AT_MAIL			/* user-unknown text at MAIL FROM -> rejected */
} BounceAdjust;

typedef struct BounceClassification
{
	BounceReason reason;
	int			reply_code;		/* used: given or found in the text; 0 none */
	int32_t		status;			/* used: given or found in the text; -1 none */
	BounceRuleKind kind;
	int			rule;			/* index into the table of kind */
	BounceAdjust adjust;
	BounceCommand command;
	BounceProvider provider;
} BounceClassification;

extern bool bounce_classifier_init(void);
extern void bounce_classify(const BounceClassifyInput *in,
							BounceClassification *out);
extern void bounce_extract_codes(const char *text, size_t len,
								 int *reply_code, int32_t *status);
extern BounceCommand bounce_parse_command(const char *s, size_t len);
extern BounceProvider bounce_provider_of_host(const char *host, size_t len);
extern int	bounce_hard(BounceReason reason, int permanent);
extern int	bounce_permanent(int reply_code, int32_t status);
extern int	bounce_describe_rule(const BounceClassification *c, char *buf,
								 size_t buflen);
extern const char *bounce_rule_source(const BounceClassification *c);

/* ---- end classifier ---- */

/* ---- pure-C part of the DSN parser ---- */

/*
 * Limits on untrusted messages (dsn_parse.c).  Past any of them the parse
 * stops with an error rather than running on: a real DSN is far inside.
 */
#define DSN_MAX_DEPTH		32		/* nested MIME multiparts/messages */
#define DSN_MAX_HEADERS		2000	/* header fields in one header block */
#define DSN_MAX_PARTS		5000	/* MIME parts in one message */
#define DSN_MAX_RECIPIENTS	10000	/* recipient rows in one message */

/*
 * Allocator hook: the parser core allocates only through this, and never
 * frees; the caller releases everything at once (the backend deletes a
 * per-call memory context, the fuzz target frees its arena).  alloc may
 * return NULL, which the parser reports as DSN_ERR_NOMEM.
 */
typedef struct DsnAllocator
{
	void	   *(*alloc) (void *opaque, size_t size);
	void	   *opaque;

	/*
	 * Optional charset hook: the len bytes at src, in the charset named by
	 * a MIME text part (NUL-terminated, as written), converted to UTF-8 in
	 * memory from alloc; *outlen set.  NULL when the charset is unknown:
	 * the parser then keeps the bytes, showing what is not UTF-8 as U+FFFD.
	 * The core itself turns ISO-2022-JP into EUC-JP before calling it.
	 */
	char	   *(*convert) (void *opaque, const char *charset, const char *src,
							size_t len, size_t *outlen);
} DsnAllocator;

typedef enum DsnError
{
	DSN_OK = 0,
	DSN_ERR_DEPTH,				/* MIME nesting deeper than DSN_MAX_DEPTH */
	DSN_ERR_HEADERS,			/* a header block over DSN_MAX_HEADERS fields */
	DSN_ERR_PARTS,				/* more than DSN_MAX_PARTS MIME parts */
	DSN_ERR_RECIPIENTS,			/* more than DSN_MAX_RECIPIENTS recipients */
	DSN_ERR_NOMEM				/* the allocator returned NULL */
} DsnError;

/*
 * One recipient of a delivery report.  Strings are NUL-terminated valid
 * UTF-8 (or ASCII when the caller asked for it), or NULL when absent.
 */
typedef struct DsnRecipient
{
	const char *recipient;		/* Final-Recipient, or found in the text */
	const char *original_recipient;
	const char *action;			/* failed, delayed, delivered, relayed, expanded */
	int32_t		status;			/* packed smtp_status, or 0 when absent */
	int			reply_code;		/* RFC 5321 reply code, or 0 when absent */
	const char *diagnostic;		/* unfolded, whitespace collapsed */
	const char *remote_mta;
	const char *reporting_mta;
	bool		has_last_attempt;
	int64_t		last_attempt;	/* seconds since 1970-01-01 00:00 UTC */
	const char *smtp_command;	/* CONN, HELO, EHLO, MAIL, RCPT, DATA, ... */
	const char *local_target;	/* a recipient field naming a file or program
								 * ("/path", "|prog"), not an address */
	const char *stated_reason;	/* a reason label the reporting MTA states
								 * in a field of its own (PowerMTA's bounce
								 * category), or NULL */
} DsnRecipient;

typedef struct DsnResult
{
	const char *format;			/* "rfc3464", "arf", "autoreply", "qmail", ... */
	const char *message_id;		/* Message-ID of the returned message, or of
								 * the report itself; NULL when neither */
	bool		has_date;
	int64_t		date;			/* the report's own Date header, Unix seconds */
	int			nrecipients;
	DsnRecipient *recipients;
} DsnResult;

/*
 * Parse msg[0..len) (need not be NUL-terminated).  ascii_only replaces
 * every non-ASCII byte of the output strings with '?' (for servers whose
 * encoding is not UTF-8).  On error *out is left with no recipients.
 */
extern DsnError bounce_dsn_parse(const char *msg, size_t len, bool ascii_only,
								 const DsnAllocator *alloc, DsnResult *out);
extern const char *bounce_dsn_error_text(DsnError err);

/* RFC 5322 date-time to Unix seconds; false when it does not parse. */
extern bool bounce_dsn_parse_date(const char *s, size_t len, int64_t *result);

/* ---- end DSN parser ---- */

/* ----------------------------------------------------------------
 * Backend-only part
 * ----------------------------------------------------------------
 */
#ifdef PG_VERSION_NUM

#include "fmgr.h"

/* smtp_status is an int32 Datum. */
#define DatumGetSmtpStatus(X)		DatumGetInt32(X)
#define SmtpStatusGetDatum(X)		Int32GetDatum(X)
#define PG_GETARG_SMTP_STATUS(n)	DatumGetSmtpStatus(PG_GETARG_DATUM(n))
#define PG_RETURN_SMTP_STATUS(x)	return SmtpStatusGetDatum(x)

/*
 * Soft input errors (PostgreSQL 16+): report through the caller's
 * ErrorSaveContext so that pg_input_is_valid() works.  Older servers have
 * no such context and throw.
 */
#if PG_VERSION_NUM >= 160000
#define bounce_input_error(fcinfo, retval, ...) \
	ereturn((fcinfo)->context, (retval), __VA_ARGS__)
#else
#define bounce_input_error(fcinfo, retval, ...) \
	do { ereport(ERROR, __VA_ARGS__); return (retval); } while (0)
#endif

/* Parse text into a status code, or report 22P02 naming the value. */
extern bool bounce_status_from_cstring(const char *str, int32_t *result,
									   struct Node *escontext);

/* Raise 22023 unless code is a valid RFC 5321 reply code. */
extern void bounce_check_reply_code(int64_t code, const char *what);

/* First call of a set-returning function listing a static table. */
struct FuncCallContext;
extern struct FuncCallContext *bounce_table_srf_init(FunctionCallInfo fcinfo,
													 uint64 rows);

/* ---- classify.c ---- */


/* ---- end classify.c ---- */

/* ---- recurring.c ---- */

#include "datatype/timestamp.h"

/*
 * A gap or span, with precomputed bounds on its length in microseconds
 * whatever the calendar and time zone, so that most comparisons need no
 * calendar arithmetic.  fast is false when the interval is too large for
 * the bounds to be computed safely.  Shared with refresh.c, which applies
 * the same rules as the window functions.
 */
typedef struct BounceSpan
{
	Interval	iv;
	bool		fast;
	int64		shortest;		/* it is never shorter than this ... */
	int64		longest;		/* ... nor longer than this */
	int64		slack;			/* time zone allowance on both bounds */
} BounceSpan;

/* Error 22023 naming fn and argname when a part of iv is negative. */
extern void bounce_check_span(const Interval *iv, const char *fn, const char *argname);
/* Set up a span from a checked, non-negative interval (session zone). */
extern void bounce_span_init(BounceSpan *s, const Interval *iv);
/* prev <= ts - span, exactly as the SQL operator (needs prev <= ts) */
extern bool bounce_at_least_span_before(TimestampTz prev, TimestampTz ts,
										const BounceSpan *s);
/* prev >= ts - span */
extern bool bounce_at_most_span_before(TimestampTz prev, TimestampTz ts,
									   const BounceSpan *s);

/*
 * The rules themselves, one row at a time, for the window functions and
 * for refresh.c's pass.  A counted bounce is recurring when the previous
 * counted bounce of its address is between min_gap and max_gap before it.
 * The streak counts bounces since the last reset (a delivery); the address
 * is suppressed from the row at which the streak has at least strikes rows
 * spanning more than span, until a reset.
 */
typedef struct BounceStreak
{
	int64		streak;			/* current streak length */
	TimestampTz start;			/* occurred_at of its first row */
	bool		suppressed;		/* on until a reset */
} BounceStreak;

extern bool bounce_is_recurring(TimestampTz prev, TimestampTz ts,
								const BounceSpan *min_gap, const BounceSpan *max_gap);
extern void bounce_streak_advance(BounceStreak *s, TimestampTz ts, bool reset);
extern bool bounce_suppress_check(BounceStreak *s, TimestampTz ts, bool reset,
								  int32 strikes, const BounceSpan *span);


/* ---- end recurring.c ---- */

/* ---- dsn.c ---- */


/* ---- end dsn.c ---- */

/* ---- registry ---- */

/*
 * event_flags stores one byte per bounce, in rows of BOUNCE_FLAG_BLOCK
 * bytes: row "block" holds the bounces with id >> BOUNCE_FLAG_BLOCK_BITS
 * = block, at byte id & (BOUNCE_FLAG_BLOCK - 1).  A zero byte is a
 * bounce not refreshed yet (or no bounce).  The views in
 * src/sql/50_registry.sql read the same bits.
 */
#define BOUNCE_FLAG_BLOCK_BITS	8
#define BOUNCE_FLAG_BLOCK		(1 << BOUNCE_FLAG_BLOCK_BITS)
#define BOUNCE_FLAG_REFRESHED	0x01
#define BOUNCE_FLAG_COUNTED		0x02
#define BOUNCE_FLAG_RECURRING	0x04
#define BOUNCE_FLAG_SUPPRESSED	0x08

/* ---- end registry ---- */

#endif							/* PG_VERSION_NUM */

#endif							/* BOUNCE_H */
