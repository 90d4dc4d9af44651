/*-------------------------------------------------------------------------
 *
 * dsn.c
 *		SQL-facing side of the DSN parser: bounce.parse_dsn_fields(text)
 *		and (bytea), the set-returning functions under bounce.parse_dsn.
 *
 * The parsing itself is the pure-C core in dsn_parse.c.  This file gives
 * it an allocator that pallocs in a memory context of its own, created
 * and deleted per call, so nothing the parser allocates outlives the call
 * however large the message; it turns the core's limit errors into
 * ereports and its rows into a tuplestore.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "bounce.h"

/* Columns of parse_dsn_fields, in order (src/sql/40_dsn.sql). */
enum
{
	COL_RECIPIENT,
	COL_ORIGINAL_RECIPIENT,
	COL_ACTION,
	COL_STATUS,
	COL_REPLY_CODE,
	COL_DIAGNOSTIC,
	COL_REMOTE_MTA,
	COL_REPORTING_MTA,
	COL_LAST_ATTEMPT,
	COL_SMTP_COMMAND,
	COL_FORMAT,
	COL_MESSAGE_ID,
	NCOLS
};

/* Allocator hook for the core: huge allocations allowed, NULL on OOM. */
static void *
dsn_palloc(void *opaque, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) opaque, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	if (s == NULL)
	{
		*isnull = true;
		return (Datum) 0;
	}
	*isnull = false;
	return CStringGetTextDatum(s);
}

/* Report why the core refused a message. */
static void
dsn_report_error(DsnError err, size_t len)
{
	int			limit = 0;
	const char *what = NULL;

	switch (err)
	{
		case DSN_ERR_DEPTH:
			limit = DSN_MAX_DEPTH;
			what = "levels of nested MIME parts";
			break;
		case DSN_ERR_HEADERS:
			limit = DSN_MAX_HEADERS;
			what = "header fields in one header block";
			break;
		case DSN_ERR_PARTS:
			limit = DSN_MAX_PARTS;
			what = "MIME parts";
			break;
		case DSN_ERR_RECIPIENTS:
			limit = DSN_MAX_RECIPIENTS;
			what = "recipients";
			break;
		case DSN_ERR_NOMEM:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory while parsing a %zu-byte bounce message", len)));
			break;
		case DSN_OK:
			return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("bounce message rejected: %s", bounce_dsn_error_text(err)),
			 errdetail("The parser accepts at most %d %s; this %zu-byte message has more.",
					   limit, what, len),
			 errhint("A real delivery status notification is far inside these limits; the message is probably malformed or hostile.")));
}

/*
 * parse_dsn_fields(message text|bytea): one row per recipient of a bounce
 * message, the fields as the message gives them.  The SQL-level
 * bounce.parse_dsn adds the classifier's verdict.
 */
PG_FUNCTION_INFO_V1(bounce_parse_dsn_fields);
Datum
bounce_parse_dsn_fields(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	struct varlena *msg = PG_GETARG_VARLENA_PP(0);
	const char *data = VARDATA_ANY(msg);
	size_t		len = VARSIZE_ANY_EXHDR(msg);
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	MemoryContext oldcxt;
	MemoryContext parsecxt;
	DsnAllocator alloc;
	DsnResult	res;
	DsnError	err;
	int			i;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("parse_dsn_fields must be called in a context that accepts a set")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	tupdesc = CreateTupleDescCopy(tupdesc);
	tupstore = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(oldcxt);

	/* everything the parser allocates goes away with this context */
	parsecxt = AllocSetContextCreate(CurrentMemoryContext, "bounce DSN parse",
									 ALLOCSET_DEFAULT_SIZES);
	alloc.alloc = dsn_palloc;
	alloc.opaque = parsecxt;
	err = bounce_dsn_parse(data, len, GetDatabaseEncoding() != PG_UTF8, &alloc, &res);
	if (err != DSN_OK)
	{
		MemoryContextDelete(parsecxt);
		dsn_report_error(err, len);
	}

	for (i = 0; i < res.nrecipients; i++)
	{
		DsnRecipient *r = &res.recipients[i];
		Datum		values[NCOLS];
		bool		nulls[NCOLS];

		CHECK_FOR_INTERRUPTS();
		values[COL_RECIPIENT] = text_or_null(r->recipient, &nulls[COL_RECIPIENT]);
		values[COL_ORIGINAL_RECIPIENT] = text_or_null(r->original_recipient, &nulls[COL_ORIGINAL_RECIPIENT]);
		values[COL_ACTION] = text_or_null(r->action, &nulls[COL_ACTION]);
		nulls[COL_STATUS] = (r->status == 0);
		values[COL_STATUS] = SmtpStatusGetDatum(r->status);
		nulls[COL_REPLY_CODE] = (r->reply_code == 0);
		values[COL_REPLY_CODE] = Int32GetDatum(r->reply_code);
		values[COL_DIAGNOSTIC] = text_or_null(r->diagnostic, &nulls[COL_DIAGNOSTIC]);
		values[COL_REMOTE_MTA] = text_or_null(r->remote_mta, &nulls[COL_REMOTE_MTA]);
		values[COL_REPORTING_MTA] = text_or_null(r->reporting_mta, &nulls[COL_REPORTING_MTA]);
		nulls[COL_LAST_ATTEMPT] = true;
		values[COL_LAST_ATTEMPT] = (Datum) 0;
		if (r->has_last_attempt)
		{
			/* Unix seconds to microseconds since 2000-01-01 */
			int64		secs = r->last_attempt -
				(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
			TimestampTz ts = secs * USECS_PER_SEC;

			if (IS_VALID_TIMESTAMP(ts))
			{
				nulls[COL_LAST_ATTEMPT] = false;
				values[COL_LAST_ATTEMPT] = TimestampTzGetDatum(ts);
			}
		}
		values[COL_SMTP_COMMAND] = text_or_null(r->smtp_command, &nulls[COL_SMTP_COMMAND]);
		values[COL_FORMAT] = text_or_null(res.format, &nulls[COL_FORMAT]);
		values[COL_MESSAGE_ID] = text_or_null(res.message_id, &nulls[COL_MESSAGE_ID]);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	MemoryContextDelete(parsecxt);

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tupstore;
	rsinfo->setDesc = tupdesc;
	return (Datum) 0;
}
