/*-------------------------------------------------------------------------
 *
 * dsn.h
 *		The DSN parser's interface, pure C: one bounce e-mail in, one row
 *		per recipient out (dsn_parse.c and the dsn_*.c files it calls).  Its
 *		SQL face is dsn_sql.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_DSN_H
#define BOUNCE_DSN_H

#include "bounce.h"

/*
 * Limits on untrusted messages.  Past any of them the parse stops with an
 * error rather than running on: a real DSN is far inside.
 */
#define DSN_MAX_DEPTH		32		/* nested MIME multiparts/messages */
#define DSN_MAX_HEADERS		2000	/* header fields in one header block */
#define DSN_MAX_PARTS		5000	/* MIME parts in one message */
#define DSN_MAX_RECIPIENTS	10000	/* recipient rows in one message */
#define DSN_MAX_ADDRESSES	10000	/* addresses in one header field */

/*
 * The longest string a row holds, in bytes: a longer diagnostic (or any
 * other field) is cut at a character boundary.  An SMTP reply line is at
 * most 512 bytes (RFC 5321 section 4.5.3.1.5); this keeps the memory and
 * time of each row's values bounded however large the message.
 */
#define DSN_MAX_STRING		65536

/*
 * How much work (bytes read, roughly) the parser does between two calls of
 * the interrupt hook: a millisecond or two at its slowest.
 */
#define DSN_INTERRUPT_SPAN	(256 * 1024)

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

	/*
	 * Optional interrupt hook, called every DSN_INTERRUPT_SPAN bytes of
	 * work, however large the message, so that the caller can stop a long
	 * parse: it may not return (the backend's CHECK_FOR_INTERRUPTS() jumps
	 * out of it), since the core holds nothing but memory from alloc.
	 */
	void		(*interrupt) (void *opaque);
} DsnAllocator;

typedef enum DsnError
{
	DSN_OK = 0,
	DSN_ERR_DEPTH,				/* MIME nesting deeper than DSN_MAX_DEPTH */
	DSN_ERR_HEADERS,			/* a header block over DSN_MAX_HEADERS fields */
	DSN_ERR_PARTS,				/* more than DSN_MAX_PARTS MIME parts */
	DSN_ERR_RECIPIENTS,			/* more than DSN_MAX_RECIPIENTS recipients */
	DSN_ERR_ADDRESSES,			/* a header field over DSN_MAX_ADDRESSES */
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
								 * itself (PowerMTA's bounce category field,
								 * a code of its own table: dsn_mta.c), or
								 * NULL */
	const char *status_comment; /* the comment after the Status code, the
								 * diagnostic of last resort (internal) */
	bool		quotes_remote;	/* the diagnostic quotes the reply of a
								 * remote server that remote_mta does not
								 * name, so the reporting MTA is not who
								 * refused ("Remote host said: ...") */
} DsnRecipient;

typedef struct DsnResult
{
	const char *format;			/* "rfc3464", "arf", "autoreply", "qmail", ... */
	const char *mta;			/* the mail system that wrote the report, when
								 * its own signature shows it ("postfix",
								 * "exchange2003", ...: dsn_mta.c), else
								 * NULL; for the classifier, not a column */
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

#endif							/* BOUNCE_DSN_H */
