/*-------------------------------------------------------------------------
 *
 * esp_sql.c
 *		SQL face of the ESP event reader: parse_esp_event(jsonb).
 *
 * The jsonb value is written out as JSON text and read by the pure-C
 * reader (esp.c), in a memory context of its own, reset after each call.
 * Each row gets the classifier's verdict as parse_dsn's rows do: the
 * reason the provider's category states, else classify() on the row's
 * reply, codes and host, else (the classifier finding nothing, onhold or
 * undefined) the reason of a vague category; is_hard() and
 * is_permanent(), with the provider's own word on permanence when the
 * event gives no code.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "classify/classify.h"
#include "esp/esp.h"
#include "status/status.h"

/* Columns of parse_esp_event, in order (src/sql/59_esp.sql). */
enum
{
	COL_RECIPIENT,
	COL_ACTION,
	COL_STATUS,
	COL_REPLY_CODE,
	COL_DIAGNOSTIC,
	COL_REMOTE_MTA,
	COL_REPORTING_MTA,
	COL_OCCURRED_AT,
	COL_REASON,
	COL_HARD,
	COL_PERMANENT,
	COL_FORMAT,
	COL_CATEGORY,
	COL_MESSAGE_ID,
	COL_EVENT_ID,
	COL_ELEMENT,
	NCOLS
};

/* What one call site keeps between calls (fn_extra). */
typedef struct EspCallCache
{
	TupleDesc	tupdesc;
	MemoryContext readcxt;		/* the reader's memory, reset after each call */
	Oid			reason_oids[BR_COUNT];
} EspCallCache;

/* Allocator hook for the core: huge allocations allowed, NULL on OOM. */
static void *
esp_palloc(void *opaque, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) opaque, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
esp_interrupt(void *opaque)
{
	(void) opaque;
	CHECK_FOR_INTERRUPTS();
}

static EspCallCache *
get_cache(FunctionCallInfo fcinfo)
{
	EspCallCache *cache = fcinfo->flinfo->fn_extra;
	MemoryContext old;
	TupleDesc	tupdesc;

	if (cache != NULL)
		return cache;
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	bounce_ensure_classifier();
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	cache = palloc0(sizeof(EspCallCache));
	cache->tupdesc = CreateTupleDescCopy(tupdesc);
	cache->readcxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "bounce ESP event",
										   ALLOCSET_DEFAULT_SIZES);
	bounce_reason_oids(TupleDescAttr(tupdesc, COL_REASON)->atttypid, cache->reason_oids);
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s == NULL);
	return s == NULL ? (Datum) 0 : CStringGetTextDatum(s);
}

static BounceReason
reason_of_label(const char *label)
{
	int			i;

	for (i = 0; i < BR_COUNT; i++)
		if (strcmp(bounce_reasons[i].name, label) == 0)
			return (BounceReason) i;
	elog(ERROR, "the ESP reader stated an unknown reason \"%s\"", label);
	return BR_UNDEFINED;		/* keep compiler quiet */
}

/* Why the core refused the payload, with the SQLSTATE of its kind. */
static void
report_error(EspError err, const char *why)
{
	switch (err)
	{
		case ESP_ERR_NOMEM:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory reading an ESP event")));
			break;
		case ESP_ERR_DEPTH:
		case ESP_ERR_ROWS:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("ESP event rejected: %s", why ? why : "too large"),
					 errhint("A real event is far inside this limit; the payload is probably malformed or hostile.")));
			break;
		case ESP_ERR_JSON:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid ESP event: %s", why ? why : "not JSON")));
			break;
		case ESP_ERR_UNKNOWN:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid ESP event: %s", why ? why : "not an event"),
					 errhint("parse_esp_event reads the events of Amazon SES (bare or in an SNS envelope), SendGrid, Postmark, Mailgun and SparkPost, one object or an array of them.")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid ESP event: %s", why ? why : "a field is wrong")));
	}
}

/*
 * The reason of a row: stated by the category, else the classifier's,
 * else the vague category's own; false when there is nothing to go on.
 */
static bool
row_reason(const EspRow *r, BounceReason *reason)
{
	BounceClassifyInput in;
	BounceClassification out;
	const char *host = r->remote_mta ? r->remote_mta : r->reporting_mta;

	if (r->stated_reason != NULL)
	{
		*reason = reason_of_label(r->stated_reason);
		return true;
	}
	memset(&in, 0, sizeof(in));
	in.interrupt = bounce_check_interrupts;
	in.status = r->status ? r->status : -1;
	in.reply_code = r->reply_code;
	if (r->diagnostic)
	{
		in.text = r->diagnostic;
		in.len = strlen(r->diagnostic);
	}
	if (host)
	{
		in.host = host;
		in.host_len = strlen(host);
	}
	if (!r->diagnostic && !r->reply_code && !r->status && !host)
	{
		if (r->fallback_reason == NULL)
			return false;
		*reason = reason_of_label(r->fallback_reason);
		return true;
	}
	bounce_classify(&in, &out);
	*reason = out.reason;
	if ((out.reason == BR_ONHOLD || out.reason == BR_UNDEFINED) && r->fallback_reason != NULL)
		*reason = reason_of_label(r->fallback_reason);
	return true;
}

static void
fill_row(const EspCallCache *cache, const EspRow *r, Datum *values, bool *nulls)
{
	BounceReason reason = BR_UNDEFINED;
	bool		have_reason;
	int			permanent = bounce_permanent(r->reply_code, r->status ? r->status : -1);
	int			hard;

	if (permanent < 0)
		permanent = r->permanent;
	have_reason = row_reason(r, &reason);
	hard = have_reason ? bounce_hard(reason, permanent) : -1;

	values[COL_RECIPIENT] = text_or_null(r->recipient, &nulls[COL_RECIPIENT]);
	values[COL_ACTION] = text_or_null(r->action, &nulls[COL_ACTION]);
	nulls[COL_STATUS] = (r->status == 0);
	values[COL_STATUS] = SmtpStatusGetDatum(r->status);
	nulls[COL_REPLY_CODE] = (r->reply_code == 0);
	values[COL_REPLY_CODE] = Int32GetDatum(r->reply_code);
	values[COL_DIAGNOSTIC] = text_or_null(r->diagnostic, &nulls[COL_DIAGNOSTIC]);
	values[COL_REMOTE_MTA] = text_or_null(r->remote_mta, &nulls[COL_REMOTE_MTA]);
	values[COL_REPORTING_MTA] = text_or_null(r->reporting_mta, &nulls[COL_REPORTING_MTA]);
	nulls[COL_OCCURRED_AT] = true;
	values[COL_OCCURRED_AT] = (Datum) 0;
	if (r->has_time)
	{
		TimestampTz ts = r->time_usec -
			(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC;

		if (IS_VALID_TIMESTAMP(ts))
		{
			nulls[COL_OCCURRED_AT] = false;
			values[COL_OCCURRED_AT] = TimestampTzGetDatum(ts);
		}
	}
	nulls[COL_REASON] = !have_reason;
	values[COL_REASON] = have_reason ? ObjectIdGetDatum(cache->reason_oids[reason]) : (Datum) 0;
	nulls[COL_HARD] = (hard < 0);
	values[COL_HARD] = BoolGetDatum(hard == 1);
	nulls[COL_PERMANENT] = (permanent < 0);
	values[COL_PERMANENT] = BoolGetDatum(permanent == 1);
	values[COL_FORMAT] = text_or_null(r->provider, &nulls[COL_FORMAT]);
	values[COL_CATEGORY] = text_or_null(r->category, &nulls[COL_CATEGORY]);
	values[COL_MESSAGE_ID] = text_or_null(r->message_id, &nulls[COL_MESSAGE_ID]);
	values[COL_EVENT_ID] = text_or_null(r->event_id, &nulls[COL_EVENT_ID]);
	nulls[COL_ELEMENT] = false;
	values[COL_ELEMENT] = Int32GetDatum(r->element);
}

/*
 * parse_esp_event(event jsonb): one row per recipient of an ESP's event,
 * or of each event of a batch (a JSON array), classified.
 */
PG_FUNCTION_INFO_V1(bounce_parse_esp_event);
Datum
bounce_parse_esp_event(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	EspCallCache *cache;
	Tuplestorestate *tupstore;
	MemoryContext oldcxt;
	EspAllocator alloc;
	EspResult	res;
	EspError	err;
	char	   *json;
	int			i;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	cache = get_cache(fcinfo);

	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	tupstore = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(oldcxt);

	/* the JSON text and the reader's tree in one context, reset after */
	MemoryContextReset(cache->readcxt);
	oldcxt = MemoryContextSwitchTo(cache->readcxt);
	json = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	MemoryContextSwitchTo(oldcxt);
	alloc.alloc = esp_palloc;
	alloc.opaque = cache->readcxt;
	alloc.interrupt = esp_interrupt;
	err = bounce_esp_parse(json, strlen(json), &alloc, &res);
	if (err != ESP_OK)
	{
		char	   *why = res.error ? pstrdup(res.error) : NULL;

		MemoryContextReset(cache->readcxt);
		report_error(err, why);
	}
	for (i = 0; i < res.nrows; i++)
	{
		Datum		values[NCOLS];
		bool		nulls[NCOLS];

		CHECK_FOR_INTERRUPTS();
		if (res.rows[i].reply_code != 0)
			bounce_check_reply_code(res.rows[i].reply_code, "reply code");
		fill_row(cache, &res.rows[i], values, nulls);
		tuplestore_putvalues(tupstore, cache->tupdesc, values, nulls);
	}
	MemoryContextReset(cache->readcxt);

	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tupstore;
	rsinfo->setDesc = CreateTupleDescCopy(cache->tupdesc);
	MemoryContextSwitchTo(oldcxt);
	return (Datum) 0;
}
