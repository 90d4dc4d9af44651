/*-------------------------------------------------------------------------
 *
 * classify.h
 *		The classifier, pure C: the bounce reasons (Sisimai's taxonomy), the
 *		rule tables (classify_rules.c) and the decision procedure
 *		(classify.c) that turns a diagnostic text, reply code, status code,
 *		SMTP command and remote host into a reason.  Its SQL face is
 *		classify_sql.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_CLASSIFY_H
#define BOUNCE_CLASSIFY_H

#include "bounce.h"

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
	BP_DOCOMO, BP_CLOUDFLARE, BP_COX, BP_FACEBOOK, BP_IUA, BP_MESSAGELABS,
	BP_SPECTRUM,
	BP_COUNT
} BounceProvider;

/*
 * Mail systems whose own message tables have rows here (MTA rows): a text
 * from one system's table is that system's verdict in a report the system
 * wrote, and an ordinary reply in anyone else's.  In a rule, BM_NONE marks
 * a rule that is no system's own text and BM_ANY one from a table that is
 * not tied to one reporting system (a local delivery agent's messages,
 * which any MTA quotes, or a text several systems' tables list); in the
 * classifier's input, BM_NONE means the system is not known (classify()).
 */
typedef enum BounceMta
{
	BM_NONE = 0, BM_ANY,
	BM_DOMINO, BM_EXCHANGE2003, BM_GMAIL, BM_IMAILSERVER, BM_INTERSCANMSS,
	BM_MCAFEE, BM_QMAIL,
	BM_OTHER					/* input: a known system with no rows of its own */
} BounceMta;

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
 * the canonical status ("5.4.1", "5.7.", "4."); "X." stands for either
 * class ("X.7.1": 4.7.1 or 5.7.1) and a trailing "*" for more digits of the
 * detail ("5.7.9*": 5.7.9, 5.7.900-999), for providers that document a text
 * with the class left open or for a range of codes.
 *
 * A pattern with one "*" is a gap rule: its two parts must both occur, in
 * that order, with at least one byte and at most BOUNCE_GAP_MAX bytes
 * between them ("user * was not found" matches "user ann was not found",
 * not "user was not found").  For the texts that put a name or address in
 * the middle of a fixed phrase.
 *
 * mta marks a text from the message table of a mail system (an MTA, a
 * gateway, a local delivery agent), whose report sets the reason itself
 * (BounceMta above): such a user-unknown text keeps its reason when no
 * SMTP command is known, where a generic one is taken as a filter's
 * refusal; in a report that the classifier is told one system wrote, a
 * row of that system's own table is its verdict at any command, and a row
 * of another system's table is read as a generic text (see classify.c).
 */
#define BOUNCE_GAP_MAX		120
#define BOUNCE_GAP_RULES_MAX	192
typedef struct BounceTextRule
{
	const char *pattern;
	BounceReason reason;
	const char *status;
	BounceCommand command;
	BounceProvider provider;
	const char *source;
	BounceMta	mta;			/* an MTA's own table: see above */
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
	BounceMta	mta;			/* the system that wrote the report, when
								 * known (parse_dsn); BM_NONE otherwise */

	/*
	 * Optional interrupt hook, called every BOUNCE_CLASSIFY_INTERRUPT_SPAN
	 * bytes of text the classifier reads, so that a long text can be
	 * cancelled: it may not return (the backend's CHECK_FOR_INTERRUPTS()
	 * jumps out of it), since the classifier allocates nothing per call.
	 */
	void		(*interrupt) (void *arg);
	void	   *interrupt_arg;
} BounceClassifyInput;

#define BOUNCE_CLASSIFY_INTERRUPT_SPAN	(256 * 1024)

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
	BA_FILTERED_BY_STATUS,		/* user-unknown text, no RCPT nor X.1.x -> filtered */
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
extern BounceMta bounce_mta_of_name(const char *name);
extern int	bounce_hard(BounceReason reason, int permanent);
extern int	bounce_permanent(int reply_code, int32_t status);
extern int	bounce_describe_rule(const BounceClassification *c, char *buf,
								 size_t buflen);
extern const char *bounce_rule_source(const BounceClassification *c);

/* ----------------------------------------------------------------
 * Backend-only part (classify_sql.c), for the DSN functions
 * ----------------------------------------------------------------
 */
#ifdef PG_VERSION_NUM

/* Build the classifier's matcher once per backend, or raise 53200. */
extern void bounce_ensure_classifier(void);

/* oids[r] = the OID of label r of the enum type typoid (bounce.reason). */
extern void bounce_reason_oids(Oid typoid, Oid *oids);

#endif							/* PG_VERSION_NUM */

#endif							/* BOUNCE_CLASSIFY_H */
