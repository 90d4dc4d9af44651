/*-------------------------------------------------------------------------
 *
 * status_sql.c
 *		The bounce.smtp_status base type (RFC 3463 enhanced status codes)
 *		and the helpers for RFC 5321 basic reply codes.
 *
 * smtp_status is 4 bytes, passed by value, modelled on ip4r's ip4: the
 * packed int32 (see status.h) sorts as (class, subject, detail), so the
 * comparison and hash support functions are plain integer operations.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/hash.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif

#include "status/status.h"

/* How much of a bad value an error message quotes. */
#define QUOTE_MAX	80

/*
 * Return str clipped to QUOTE_MAX bytes on a character boundary, with an
 * ellipsis, so that a megabyte of garbage does not become a megabyte of
 * error message.
 */
static const char *
quote_value(const char *str)
{
	int			len = strlen(str);
	int			clip;

	if (len <= QUOTE_MAX)
		return str;
	clip = pg_mbcliplen(str, len, QUOTE_MAX);
	return psprintf("%.*s...", clip, str);
}

/*
 * Parse a C string into a status code.  On failure, report 22P02 through
 * escontext (a soft error on PostgreSQL 16+) and return false.
 */
bool
bounce_status_from_cstring(const char *str, int32_t *result,
						   struct Node *escontext)
{
	BounceStatusError err = bounce_status_parse(str, strlen(str), result);
	const char *detail;

	switch (err)
	{
		case BSE_OK:
			return true;
		case BSE_EMPTY:
			detail = "The value is empty.";
			break;
		case BSE_CLASS:
			detail = "The class (first part) must be 2, 4 or 5.";
			break;
		case BSE_RANGE:
			detail = "Subject and detail are each at most 999 (three digits).";
			break;
		case BSE_LEADING_ZERO:
			detail = "Parts are written without leading zeros.";
			break;
		default:
			detail = "An enhanced status code is three dot-separated numbers, class.subject.detail.";
			break;
	}

#if PG_VERSION_NUM >= 160000
	errsave(escontext,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type smtp_status: \"%s\"",
					quote_value(str)),
			 errdetail("%s", detail),
			 errhint("Write an RFC 3463 code such as 5.1.1 or 4.2.2.")));
#else
	(void) escontext;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type smtp_status: \"%s\"",
					quote_value(str)),
			 errdetail("%s", detail),
			 errhint("Write an RFC 3463 code such as 5.1.1 or 4.2.2.")));
#endif
	return false;
}

/* Text input: "class.subject.detail". */
PG_FUNCTION_INFO_V1(smtp_status_in);
Datum
smtp_status_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int32_t		result;

	if (!bounce_status_from_cstring(str, &result, fcinfo->context))
		PG_RETURN_NULL();
	PG_RETURN_SMTP_STATUS(result);
}

/* Text output, always canonical. */
PG_FUNCTION_INFO_V1(smtp_status_out);
Datum
smtp_status_out(PG_FUNCTION_ARGS)
{
	int32_t		v = PG_GETARG_SMTP_STATUS(0);
	char	   *buf = palloc(BOUNCE_STATUS_BUFLEN);

	bounce_status_format(v, buf, BOUNCE_STATUS_BUFLEN);
	PG_RETURN_CSTRING(buf);
}

/*
 * Binary input: three int16 parts, class, subject and detail.  Validated
 * like text input, since a client can send anything.
 */
PG_FUNCTION_INFO_V1(smtp_status_recv);
Datum
smtp_status_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			c = pq_getmsgint(buf, 2);
	int			s = pq_getmsgint(buf, 2);
	int			d = pq_getmsgint(buf, 2);

	if ((c != 2 && c != 4 && c != 5) ||
		s < 0 || s > BOUNCE_STATUS_MAX_PART ||
		d < 0 || d > BOUNCE_STATUS_MAX_PART)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external smtp_status value %d.%d.%d", c, s, d)));
	PG_RETURN_SMTP_STATUS(BOUNCE_STATUS_PACK(c, s, d));
}

/* Binary output: the inverse of smtp_status_recv. */
PG_FUNCTION_INFO_V1(smtp_status_send);
Datum
smtp_status_send(PG_FUNCTION_ARGS)
{
	int32_t		v = PG_GETARG_SMTP_STATUS(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, BOUNCE_STATUS_CLASS(v));
	pq_sendint16(&buf, BOUNCE_STATUS_SUBJECT(v));
	pq_sendint16(&buf, BOUNCE_STATUS_DETAIL(v));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Comparison operators and btree/hash support.  The packed integer order
 * is the code order, so each is a single integer comparison.
 */
#define STATUS_CMP_FUNC(name, op) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(PG_GETARG_SMTP_STATUS(0) op PG_GETARG_SMTP_STATUS(1)); \
}

STATUS_CMP_FUNC(smtp_status_eq, ==)
STATUS_CMP_FUNC(smtp_status_ne, !=)
STATUS_CMP_FUNC(smtp_status_lt, <)
STATUS_CMP_FUNC(smtp_status_le, <=)
STATUS_CMP_FUNC(smtp_status_gt, >)
STATUS_CMP_FUNC(smtp_status_ge, >=)

/* btree support 1: three-way comparison. */
PG_FUNCTION_INFO_V1(smtp_status_cmp);
Datum
smtp_status_cmp(PG_FUNCTION_ARGS)
{
	int32_t		a = PG_GETARG_SMTP_STATUS(0);
	int32_t		b = PG_GETARG_SMTP_STATUS(1);

	PG_RETURN_INT32((a > b) - (a < b));
}

/* hash support 1. */
PG_FUNCTION_INFO_V1(smtp_status_hash);
Datum
smtp_status_hash(PG_FUNCTION_ARGS)
{
	return hash_uint32((uint32) PG_GETARG_SMTP_STATUS(0));
}

/* hash support 2: the seeded 64-bit hash used by hash partitioning. */
PG_FUNCTION_INFO_V1(smtp_status_hash_extended);
Datum
smtp_status_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_uint32_extended((uint32) PG_GETARG_SMTP_STATUS(0),
								PG_GETARG_INT64(1));
}

/* Accessors for the three parts. */
PG_FUNCTION_INFO_V1(smtp_status_class);
Datum
smtp_status_class(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(BOUNCE_STATUS_CLASS(PG_GETARG_SMTP_STATUS(0)));
}

PG_FUNCTION_INFO_V1(smtp_status_subject);
Datum
smtp_status_subject(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(BOUNCE_STATUS_SUBJECT(PG_GETARG_SMTP_STATUS(0)));
}

PG_FUNCTION_INFO_V1(smtp_status_detail);
Datum
smtp_status_detail(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(BOUNCE_STATUS_DETAIL(PG_GETARG_SMTP_STATUS(0)));
}

/* Predicates on the class: 5 permanent, 4 transient, 2 success. */
PG_FUNCTION_INFO_V1(smtp_status_is_permanent);
Datum
smtp_status_is_permanent(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(BOUNCE_STATUS_CLASS(PG_GETARG_SMTP_STATUS(0)) == 5);
}

PG_FUNCTION_INFO_V1(smtp_status_is_transient);
Datum
smtp_status_is_transient(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(BOUNCE_STATUS_CLASS(PG_GETARG_SMTP_STATUS(0)) == 4);
}

PG_FUNCTION_INFO_V1(smtp_status_is_success);
Datum
smtp_status_is_success(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(BOUNCE_STATUS_CLASS(PG_GETARG_SMTP_STATUS(0)) == 2);
}

/*
 * The IANA registry's text for a code.  A code the registry does not list
 * gets the text of its subject's X.s.0 entry (or of X.0.0 for an unknown
 * subject), followed by a note saying so, so that the fallback is never
 * mistaken for a registered name.
 */
PG_FUNCTION_INFO_V1(smtp_status_text);
Datum
smtp_status_text(PG_FUNCTION_ARGS)
{
	int32_t		v = PG_GETARG_SMTP_STATUS(0);
	int			s = BOUNCE_STATUS_SUBJECT(v);
	int			d = BOUNCE_STATUS_DETAIL(v);
	const BounceStatusCode *e = bounce_status_lookup(s, d);
	char		code[BOUNCE_STATUS_BUFLEN];

	if (e)
		PG_RETURN_TEXT_P(cstring_to_text(e->name));

	bounce_status_format(v, code, sizeof(code));
	e = bounce_status_lookup(s, 0);
	if (e)
		PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s (%s is not in the IANA registry; generic text of X.%d.0)",
												  e->name, code, s)));
	e = bounce_status_lookup(0, 0);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s (%s is not in the IANA registry; generic text of X.0.0)",
											  e->name, code)));
}

/*
 * The registry itself as a set: code ("X.1.1"), name, basic reply codes
 * and reference, one row per registered code.
 */
PG_FUNCTION_INFO_V1(smtp_status_registry);
Datum
smtp_status_registry(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;

	if (SRF_IS_FIRSTCALL())
		bounce_table_srf_init(fcinfo, bounce_status_codes_count);
	funcctx = SRF_PERCALL_SETUP();

	if (funcctx->call_cntr < funcctx->max_calls)
	{
		const BounceStatusCode *e = &bounce_status_codes[funcctx->call_cntr];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		HeapTuple	tuple;

		values[0] = CStringGetTextDatum(psprintf("X.%d.%d", e->subject, e->detail));
		values[1] = CStringGetTextDatum(e->name);
		values[2] = CStringGetTextDatum(e->basic_codes);
		values[3] = CStringGetTextDatum(e->reference);
		tuple = heap_form_tuple(funcctx->tuple_desc, values, nulls);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(tuple));
	}
	SRF_RETURN_DONE(funcctx);
}

/*
 * Raise 22023 unless code is a valid RFC 5321 reply code.  what names the
 * argument in the message, e.g. "reply code".
 */
void
bounce_check_reply_code(int64_t code, const char *what)
{
	if (!bounce_reply_code_valid(code))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid SMTP %s: %lld", what, (long long) code),
				 errdetail("An RFC 5321 reply code has three digits: the first 2 to 5, the second 0 to 5."),
				 errhint("Use the basic code from the reply, e.g. 550 or 451.")));
}

/*
 * Domain check of bounce.reply_code: true, or an error that names the
 * value (a plain CHECK violation would not).
 */
PG_FUNCTION_INFO_V1(reply_code_check);
Datum
reply_code_check(PG_FUNCTION_ARGS)
{
	bounce_check_reply_code(PG_GETARG_INT32(0), "reply code");
	PG_RETURN_BOOL(true);
}

/* Non-throwing validity test, for filtering raw data. */
PG_FUNCTION_INFO_V1(reply_code_is_valid);
Datum
reply_code_is_valid(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(bounce_reply_code_valid(PG_GETARG_INT32(0)));
}

/* RFC 5321 section 4.2.1: the meaning of the first digit. */
PG_FUNCTION_INFO_V1(reply_code_class);
Datum
reply_code_class(PG_FUNCTION_ARGS)
{
	int32		code = PG_GETARG_INT32(0);
	static const char *const names[] = {
		"positive completion",	/* 2yz */
		"positive intermediate",	/* 3yz */
		"transient negative completion",	/* 4yz */
		"permanent negative completion" /* 5yz */
	};

	bounce_check_reply_code(code, "reply code");
	PG_RETURN_TEXT_P(cstring_to_text(names[code / 100 - 2]));
}
