/*-------------------------------------------------------------------------
 *
 * status.h
 *		RFC 3463 enhanced status codes and RFC 5321 reply codes: the packed
 *		int32 behind the smtp_status type, its pure-C parser and formatter
 *		(status.c), the IANA registry table (status_codes.c), and for the
 *		backend the Datum macros and checks of the SQL face (status_sql.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_STATUS_H
#define BOUNCE_STATUS_H

#include "bounce.h"

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

/* ----------------------------------------------------------------
 * Backend-only part (status_sql.c)
 * ----------------------------------------------------------------
 */
#ifdef PG_VERSION_NUM

/* smtp_status is an int32 Datum. */
#define DatumGetSmtpStatus(X)		DatumGetInt32(X)
#define SmtpStatusGetDatum(X)		Int32GetDatum(X)
#define PG_GETARG_SMTP_STATUS(n)	DatumGetSmtpStatus(PG_GETARG_DATUM(n))
#define PG_RETURN_SMTP_STATUS(x)	return SmtpStatusGetDatum(x)

/* Parse text into a status code, or report 22P02 naming the value. */
extern bool bounce_status_from_cstring(const char *str, int32_t *result,
									   struct Node *escontext);

/* Raise 22023 unless code is a valid RFC 5321 reply code. */
extern void bounce_check_reply_code(int64_t code, const char *what);

#endif							/* PG_VERSION_NUM */

#endif							/* BOUNCE_STATUS_H */
