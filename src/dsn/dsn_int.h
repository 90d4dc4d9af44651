/*-------------------------------------------------------------------------
 *
 * dsn_int.h
 *		What the files of the DSN parser share among themselves: the parse
 *		context, the header and MIME part types, byte helpers, and each
 *		file's functions for the others.  Not for use outside src/dsn/:
 *		dsn.h is the parser's interface.
 *
 * Every function here is pure C (no PostgreSQL dependency) and named
 * dsn_....  The small ones are inline, so that the split into files costs
 * nothing; the others are hidden from bounce.so's exported symbols, so
 * that they clash with no other library's and are called directly, not
 * through the PLT.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_DSN_INT_H
#define BOUNCE_DSN_INT_H

#include <string.h>

#include "dsn/dsn.h"
#include "status/status.h"

typedef struct Str
{
	const char *p;
	size_t		n;
} Str;

typedef struct Header
{
	Str			name;
	const char *value;			/* unfolded, trimmed; not NUL-terminated (it
								 * may be in the message itself) */
	size_t		vlen;
} Header;

typedef struct Headers
{
	Header	   *h;
	int			n;
	int			cap;			/* slots allocated; a block read into the
								 * same Headers reuses them */
} Headers;

/* A leaf of the MIME tree that the analysis uses. */
typedef enum PartKind
{
	PK_TEXT,
	PK_HTML,
	PK_DS,						/* message/delivery-status, global too */
	PK_FEEDBACK,				/* message/feedback-report */
	PK_ORIGINAL					/* message/rfc822 or text/rfc822-headers */
} PartKind;

typedef struct Part
{
	PartKind	kind;
	const char *body;			/* decoded */
	size_t		len;
	struct Part *next;
} Part;

typedef struct Ctx
{
	const DsnAllocator *a;
	DsnError	err;
	size_t		work;			/* bytes read since the interrupt hook ran */
	bool		ascii_only;
	int			nparts;
	Part	   *parts;
	Part	  **tail;
	bool		is_report;		/* a multipart/report (RFC 6522) was seen */
	bool		is_report_feedback; /* multipart/report; report-type=feedback-report */
	/* the recipients being built */
	DsnRecipient *rcpt;
	int			nrcpt;
	int			maxrcpt;
} Ctx;

/*
 * What an SMTP session transcript in a bounce says (dsn_scan.c): the
 * command whose reply was the first negative one, the last command sent,
 * and whether it quotes any reply.
 */
typedef struct DsnTranscript
{
	const char *first_failed;
	const char *last_sent;
	bool		replies;
} DsnTranscript;

/*
 * Addresses in order of first appearance, each once, with a hash index
 * (dsn_addrlist.c).  Zero-initialised, it is an empty list.
 */
typedef struct AddrList
{
	Str		   *a;
	int			n;
	int			cap;
	int		   *slot;			/* index + 1 of the address hashed here, or 0 */
	size_t		nslot;			/* a power of two, twice cap */
} AddrList;

/*
 * How far into a line or a header value a fixed phrase is looked for: RFC
 * 5322 section 2.1.1 limits a line to 998 characters, and the phrases the
 * readers look for (an MTA's wording, a subject, a marker line) are at the
 * start of theirs.  A megabyte-long line is then read once, not once per
 * phrase.
 */
#define PHRASE_SPAN				1000

static inline size_t
phrase_span(size_t n)
{
	return n < PHRASE_SPAN ? n : PHRASE_SPAN;
}

/*
 * How much of the text part, and for how many recipients, the readers
 * search for what the fields leave out.
 */
#define TEXT_LOOKUP_SPAN		65536
#define TEXT_LOOKUP_RECIPIENTS	256

/* ---- bytes ---- */

static inline bool
is_wsp(char ch)
{
	return ch == ' ' || ch == '\t';
}

static inline bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' || ch == '\v';
}

static inline bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static inline bool
is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static inline char
lower(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? ch + 32 : ch;
}

/* Does p start with the n-byte ASCII lowercase literal, ignoring case? */
static inline bool
ci_prefix_n(const char *p, size_t avail, const char *lit, size_t n)
{
	size_t		i;

	if (avail < n)
		return false;
	for (i = 0; i < n; i++)
		if (lower(p[i]) != lit[i])
			return false;
	return true;
}

/* Does p start with the lowercase literal lit, ignoring case? */
static inline bool
dsn_ci_prefix(const char *p, size_t avail, const char *lit)
{
	return ci_prefix_n(p, avail, lit, strlen(lit));
}

/* Is s the lowercase literal lit, ignoring case? */
static inline bool
dsn_ci_equal(Str s, const char *lit)
{
	return s.n == strlen(lit) && dsn_ci_prefix(s.p, s.n, lit);
}

/* dst[0..n) = lower-cased src[0..n) (ASCII letters only). */
static inline void
dsn_lower_copy(char *dst, const char *src, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		dst[i] = lower(src[i]);
}

/* s without leading and trailing white space. */
static inline Str
dsn_trim(Str s)
{
	while (s.n > 0 && is_space(s.p[0]))
	{
		s.p++;
		s.n--;
	}
	while (s.n > 0 && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

/*
 * Find the end of the line starting at p: *eol is the end of its content
 * (before CR LF or LF), the return value the start of the next line.
 */
static inline const char *
dsn_line_end(const char *p, const char *end, const char **eol)
{
	const char *nl = memchr(p, '\n', end - p);

	if (nl == NULL)
	{
		*eol = end;
		return end;
	}
	*eol = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
	return nl + 1;
}

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* ---- dsn_util.c: memory, result rows, byte strings, output strings ---- */

/*
 * Count n bytes of work; every DSN_INTERRUPT_SPAN of them, the caller's
 * interrupt hook runs (and may not return).  Every loop over the message
 * that is not bounded by a fixed span calls this.
 */
extern void dsn_interrupt(Ctx *c);

static inline void
dsn_tick(Ctx *c, size_t n)
{
	c->work += n;
	if (c->work >= DSN_INTERRUPT_SPAN)
		dsn_interrupt(c);
}

/*
 * In a loop over bytes that has reached offset pos: count the work since
 * offset *last, once it is 64 kB (pos may move by any step).
 */
static inline void
dsn_tick_at(Ctx *c, size_t pos, size_t *last)
{
	if (pos - *last >= 0x10000)
	{
		dsn_tick(c, pos - *last);
		*last = pos;
	}
}

/* Memory from the caller's hook; NULL (and DSN_ERR_NOMEM) when it fails. */
extern void *dsn_alloc(Ctx *c, size_t n);
/* A new, zeroed result row; NULL at DSN_MAX_RECIPIENTS or on error. */
extern DsnRecipient *dsn_new_rcpt(Ctx *c);
/* Case-insensitive search of a lowercase literal. */
extern const char *dsn_ci_find(const char *s, size_t n, const char *lit);
/* dsn_ci_find over a span of any length, counting the work. */
extern const char *dsn_ci_find_long(Ctx *c, const char *s, size_t n, const char *lit);
/* Case-sensitive search of lit[0..m) in s[0..n). */
extern const char *dsn_find_bytes(const char *s, size_t n, const char *lit, size_t m);
extern char *dsn_dup_str(Ctx *c, const char *p, size_t n);
/* Is p[0..n) valid UTF-8 (RFC 3629)? */
extern bool dsn_valid_utf8(const char *p, size_t n);
/* p[0..n) as an output string (valid UTF-8 or ASCII, blanks collapsed). */
extern char *dsn_clean(Ctx *c, const char *p, size_t n);

/* ---- dsn_mime.c: header blocks, transfer encodings, the MIME walk ---- */

extern int	dsn_hexval(char ch);
extern char *dsn_decode_words(Ctx *c, const char *v, size_t n, size_t *outlen);
extern const char *dsn_parse_headers(Ctx *c, const char *p, const char *end,
									 Headers *hs);
extern const char *dsn_parse_headers_again(Ctx *c, const char *p,
										   const char *end, Headers *hs);
extern const Header *dsn_hdr_get(const Headers *hs, const char *name);
extern void dsn_add_part(Ctx *c, PartKind kind, const char *body, size_t len);
extern const char *dsn_decode_body(Ctx *c, const Headers *hs, const char *p,
								   size_t n, size_t *outlen);
extern void dsn_walk(Ctx *c, const Headers *hs, const char *body,
					 const char *end, int depth);

/* ---- dsn_charset.c: text parts to UTF-8 ---- */

extern const char *dsn_text_to_utf8(Ctx *c, Str charset, const char *p,
									size_t n, size_t *outlen);

/* ---- dsn_scan.c: codes, commands, hosts and addresses in text ---- */

extern void dsn_find_codes(Ctx *c, const char *s, size_t n, bool positive,
						   int *reply, int32_t *status);
extern bool dsn_has_smtp_reply(Ctx *c, const char *s, size_t n);
extern const char *dsn_command_token(Ctx *c, const char *s, size_t n);
extern void dsn_read_transcript(Ctx *c, const char *t, size_t n,
								DsnTranscript *tr);
extern void dsn_fill_from_text(Ctx *c, DsnRecipient *r, const char *t,
							   size_t n, bool prefer_text_status);
extern bool dsn_reads_success(const DsnRecipient *r);
extern int32_t dsn_better_status(int32_t have, int32_t found, bool prefer);
extern bool dsn_next_address(const char *s, size_t n, size_t *pos,
							 size_t *start, size_t *len);
extern bool dsn_addr_equal(const char *a, size_t an, const char *b, size_t bn);
extern Str	dsn_typed_value(const char *v, size_t n);
extern Str	dsn_mta_name(const char *v, size_t n);
extern Str	dsn_plain_address(Str v);
extern bool dsn_is_type_atom(const char *p, size_t n);
extern bool dsn_is_robot(const char *a, size_t n);
extern bool dsn_has_word(Ctx *c, const char *s);

/* ---- dsn_addrlist.c: address lists ---- */

/*
 * The index of a[0..n) in l, appended (*added set) when it is new; -1 when
 * memory ran out.  The caller enforces its own limit on l->n.
 */
extern int	dsn_addrlist_put(Ctx *c, AddrList *l, const char *a, size_t n,
							 bool *added);
/* Every address of the header value v[0..n); false past DSN_MAX_ADDRESSES. */
extern bool dsn_addrlist_add(Ctx *c, AddrList *l, const char *v, size_t n);
extern bool dsn_addrlist_has(const AddrList *l, const char *a, size_t n);

/* ---- the readers, one row per recipient ---- */

/* dsn_report.c: RFC 3464, ARF, auto-replies */
extern void dsn_read_ds(Ctx *c, const char *ds, size_t n, const char *text,
						size_t tlen);
extern void dsn_read_feedback(Ctx *c, const Headers *top, const Headers *orig,
							  const char *fb, size_t fblen, const char *text,
							  size_t tlen);
extern bool dsn_is_autoreply(const Headers *top);
extern void dsn_read_autoreply(Ctx *c, const Headers *top, const char *text,
							   size_t tlen);

/* dsn_evidence.c: is a message without a delivery-status part a bounce? */
extern bool dsn_is_bounce(Ctx *c, const Headers *top, const char *text,
						  size_t tlen);

/* dsn_plain.c: plain-text bounces */
extern bool dsn_is_original_start(const char *p, const char *eol);
extern void dsn_read_plain(Ctx *c, const Headers *top, const Headers *orig,
						   const char *text, size_t tlen, const char *action);

/* dsn_mta.c: the system that wrote the report, and what it states itself */
extern const char *dsn_identify_mta(const Headers *top, const char *text,
									size_t tlen);
extern void dsn_mta_rows(Ctx *c, const char *mta, const Headers *top,
						 const char *text, size_t tlen);
extern bool dsn_mta_last_command(const char *mta);

/* dsn_ses.c: Amazon SES notifications */
extern bool dsn_read_ses(Ctx *c, const char *t, size_t n);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif							/* BOUNCE_DSN_INT_H */
