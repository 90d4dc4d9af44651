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

/* ---- pure-C part of the classifier (issue 3) ---- */


/* ---- end classifier ---- */

/* ---- pure-C part of the DSN parser (issue 6) ---- */

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
} DsnRecipient;

typedef struct DsnResult
{
	const char *format;			/* "rfc3464", "arf", "autoreply", "qmail", ... */
	const char *message_id;		/* Message-ID of the returned message, or of
								 * the report itself; NULL when neither */
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

/* ---- classify.c (issue 3) ---- */


/* ---- end classify.c ---- */

/* ---- recurring.c (issue 4) ---- */


/* ---- end recurring.c ---- */

/* ---- dsn.c (issue 6) ---- */


/* ---- end dsn.c ---- */

/* ---- registry (issue 5) ---- */


/* ---- end registry ---- */

#endif							/* PG_VERSION_NUM */

#endif							/* BOUNCE_H */
