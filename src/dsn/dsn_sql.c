/*-------------------------------------------------------------------------
 *
 * dsn_sql.c
 *		SQL-facing side of the DSN parser: bounce.parse_dsn_fields(text)
 *		and (bytea), the set-returning functions under bounce.parse_dsn.
 *
 * The parsing itself is the pure-C core in the other files of src/dsn/
 * (entry point: dsn_parse.c), the verdict of parse_dsn the classifier's
 * (classify/classify.c), called directly.  This file gives the parser an
 * allocator that pallocs in a memory context of its own, reset after
 * every message, so nothing the parser allocates outlives the call however
 * large the message; it turns the core's limit errors into ereports and its
 * rows into a tuplestore.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "classify/classify.h"
#include "dsn/dsn.h"
#include "status/status.h"

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
	COL_MESSAGE_DATE,
	COL_STATED_REASON,
	NCOLS
};

/* Allocator hook for the core: huge allocations allowed, NULL on OOM. */
static void *
dsn_palloc(void *opaque, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) opaque, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

#if PG_VERSION_NUM >= 140000
/*
 * MIME charset labels that PostgreSQL does not know by that name, with the
 * encoding of its own that decodes them.  Sources: the IANA "Character
 * Sets" registry (aliases), and the WHATWG Encoding Standard's label table,
 * which records what mail and web clients actually write (Outlook's
 * ks_c_5601-1987 and cp1252, Windows' code page numbers).  PostgreSQL's own
 * names (iso-8859-n, windows-125x, shift_jis, euc-jp, gbk, big5, koi8-r ...)
 * need no entry.
 */
static const struct
{
	const char *label;
	const char *encoding;
}			charset_aliases[] =
{
	{"cp1250", "WIN1250"}, {"cp1251", "WIN1251"}, {"cp1252", "WIN1252"},
	{"cp1253", "WIN1253"}, {"cp1254", "WIN1254"}, {"cp1255", "WIN1255"},
	{"cp1256", "WIN1256"}, {"cp1257", "WIN1257"}, {"cp1258", "WIN1258"},
	{"cp866", "WIN866"}, {"ibm866", "WIN866"},
	{"cp874", "WIN874"}, {"tis-620", "WIN874"}, {"iso-8859-11", "WIN874"},
	{"gb2312", "EUC_CN"}, {"csgb2312", "EUC_CN"},
	{"x-gbk", "GBK"}, {"cp936", "GBK"},
	{"ks_c_5601-1987", "UHC"}, {"ks_c_5601-1989", "UHC"}, {"cp949", "UHC"}, {"windows-949", "UHC"},
	{"cp932", "SJIS"}, {"windows-31j", "SJIS"}, {"x-sjis", "SJIS"}, {"ms_kanji", "SJIS"},
	{"x-euc-jp", "EUC_JP"},
	{"latin-1", "LATIN1"}, {"l1", "LATIN1"},
};

/* The PostgreSQL encoding of a MIME charset label, or -1. */
static int
charset_encoding(const char *charset)
{
	size_t		i;

	for (i = 0; i < lengthof(charset_aliases); i++)
		if (pg_strcasecmp(charset, charset_aliases[i].label) == 0)
			return pg_char_to_encoding(charset_aliases[i].encoding);
	return pg_char_to_encoding(charset);
}
#endif

/*
 * Charset hook for the core: a MIME text part's bytes to UTF-8 with the
 * server's own conversion procedures (the charsets PostgreSQL knows by
 * name: ISO-8859-n, Windows-125x, KOI8, Shift_JIS, EUC-JP, GB18030, Big5,
 * EUC-KR ...).  Never raises an error: an unknown charset gives NULL (the
 * bytes are kept), and a byte the charset does not allow becomes U+FFFD.
 * Needs the non-throwing conversion of PostgreSQL 14; on 13 nothing is
 * converted.
 */
static char *
dsn_convert(void *opaque, const char *charset, const char *src, size_t len,
			size_t *outlen)
{
#if PG_VERSION_NUM >= 140000
	MemoryContext cxt = (MemoryContext) opaque;
	int			enc = charset_encoding(charset);
	Oid			proc;
	unsigned char *dst;
	size_t		cap,
				o = 0,
				i = 0;

	if (enc < 0 || enc == PG_SQL_ASCII || len > (size_t) (MaxAllocHugeSize / MAX_CONVERSION_GROWTH) - 8)
		return NULL;
	if (enc == PG_UTF8)
		return NULL;			/* already what the core expects */
	proc = FindDefaultConversionProc(enc, PG_UTF8);
	if (!OidIsValid(proc))
		return NULL;
	cap = len * MAX_CONVERSION_GROWTH + 4;
	dst = MemoryContextAllocExtended(cxt, cap, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (dst == NULL)
		return NULL;
	while (i < len)
	{
		/* convert in pieces of 1 MB, stopping at a bad byte */
		int			chunk = (int) Min(len - i, (size_t) (1024 * 1024));
		int			done;

		CHECK_FOR_INTERRUPTS();
		done = pg_do_encoding_conversion_buf(proc, enc, PG_UTF8,
											 (unsigned char *) src + i, chunk,
											 dst + o, (int) Min(cap - o, (size_t) INT_MAX),
											 true);
		o += strlen((char *) dst + o);
		i += done;
		if (done < chunk && done > 0 && i < len && chunk - done < MAX_MULTIBYTE_CHAR_LEN &&
			(size_t) chunk < len - (i - done))
			continue;			/* a character cut by the piece's end: the
								 * next piece starts with it */
		if (done < chunk)
		{
			/* a byte the charset does not allow: U+FFFD, then go on */
			dst[o++] = 0xEF;
			dst[o++] = 0xBF;
			dst[o++] = 0xBD;
			i++;
		}
	}
	dst[o] = '\0';
	*outlen = o;
	/* give back what the worst case reserved */
	return repalloc_huge(dst, o + 1);
#else
	(void) opaque;
	(void) charset;
	(void) src;
	(void) len;
	(void) outlen;
	return NULL;
#endif
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
		case DSN_ERR_ADDRESSES:
			limit = DSN_MAX_ADDRESSES;
			what = "addresses in one header field";
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
 * What one call site of the functions keeps between calls (fn_extra): the
 * result descriptor, the parser's memory, and the OIDs of the reason
 * labels (both functions return reasons).
 */
typedef struct DsnCallCache
{
	TupleDesc	tupdesc;
	MemoryContext parsecxt;		/* the parser's memory, reset after each call */
	MemoryContext rowcxt;		/* one row's Datums, reset after each row */
	bool		classify;		/* parse_dsn (true) or parse_dsn_fields */
	Oid			reason_oids[BR_COUNT];
} DsnCallCache;

/* Columns of parse_dsn, in order (src/sql/40_dsn.sql). */
enum
{
	PCOL_RECIPIENT,
	PCOL_ORIGINAL_RECIPIENT,
	PCOL_ACTION,
	PCOL_STATUS,
	PCOL_REPLY_CODE,
	PCOL_DIAGNOSTIC,
	PCOL_REMOTE_MTA,
	PCOL_REPORTING_MTA,
	PCOL_LAST_ATTEMPT,
	PCOL_SMTP_COMMAND,
	PCOL_REASON,
	PCOL_HARD,
	PCOL_PERMANENT,
	PCOL_FORMAT,
	NPCOLS
};

static DsnCallCache *
get_cache(FunctionCallInfo fcinfo, bool classify)
{
	DsnCallCache *cache = fcinfo->flinfo->fn_extra;
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	MemoryContext old;
	TupleDesc	tupdesc;
	int			reason_col;

	if (cache != NULL)
		return cache;
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (classify)
		bounce_ensure_classifier();
	old = MemoryContextSwitchTo(cxt);
	cache = palloc0(sizeof(DsnCallCache));
	cache->tupdesc = CreateTupleDescCopy(tupdesc);
	cache->classify = classify;
	cache->parsecxt = AllocSetContextCreate(cxt, "bounce DSN parse", ALLOCSET_DEFAULT_SIZES);
	cache->rowcxt = AllocSetContextCreate(cxt, "bounce DSN row", ALLOCSET_DEFAULT_SIZES);
	reason_col = classify ? PCOL_REASON : COL_STATED_REASON;
	bounce_reason_oids(TupleDescAttr(tupdesc, reason_col)->atttypid, cache->reason_oids);
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

/* Unix seconds to a timestamptz Datum; false when out of range. */
static bool
unix_to_timestamptz(int64 t, Datum *result)
{
	int64		secs = t - (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
	TimestampTz ts = secs * USECS_PER_SEC;

	if (!IS_VALID_TIMESTAMP(ts))
		return false;
	*result = TimestampTzGetDatum(ts);
	return true;
}

static bool
action_is(const char *action, const char *what)
{
	return action != NULL && strcmp(action, what) == 0;
}

/* The reason whose label the parser states (stated_reason). */
static BounceReason
reason_of_label(const char *label)
{
	int			i;

	for (i = 0; i < BR_COUNT; i++)
		if (strcmp(bounce_reasons[i].name, label) == 0)
			return (BounceReason) i;
	elog(ERROR, "the DSN parser stated an unknown reason \"%s\"", label);
	return BR_UNDEFINED;		/* keep compiler quiet */
}

/*
 * Parse the message into res, in the call site's parser memory (reset
 * first, in case the last call ended in an error); report why the core
 * refused it.
 */
static void
parse_message(DsnCallCache *cache, const char *data, size_t len, DsnResult *res)
{
	DsnAllocator alloc;
	DsnError	err;

	MemoryContextReset(cache->parsecxt);
	alloc.alloc = dsn_palloc;
	alloc.opaque = cache->parsecxt;
	alloc.convert = dsn_convert;
	alloc.interrupt = bounce_check_interrupts;
	err = bounce_dsn_parse(data, len, GetDatabaseEncoding() != PG_UTF8, &alloc, res);
	if (err != DSN_OK)
	{
		MemoryContextReset(cache->parsecxt);
		dsn_report_error(err, len);
	}
}

/* The first ten columns, the same in both functions. */
static void
fill_fields(const DsnRecipient *r, Datum *values, bool *nulls)
{
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
	values[COL_LAST_ATTEMPT] = (Datum) 0;
	nulls[COL_LAST_ATTEMPT] = !(r->has_last_attempt &&
								unix_to_timestamptz(r->last_attempt, &values[COL_LAST_ATTEMPT]));
	values[COL_SMTP_COMMAND] = text_or_null(r->smtp_command, &nulls[COL_SMTP_COMMAND]);
}

/* parse_dsn_fields' last columns: the message's and the stated reason. */
static void
fill_message_fields(const DsnCallCache *cache, const DsnResult *res,
					const DsnRecipient *r, Datum *values, bool *nulls)
{
	values[COL_FORMAT] = text_or_null(res->format, &nulls[COL_FORMAT]);
	values[COL_MESSAGE_ID] = text_or_null(res->message_id, &nulls[COL_MESSAGE_ID]);
	values[COL_MESSAGE_DATE] = (Datum) 0;
	nulls[COL_MESSAGE_DATE] = !(res->has_date &&
								unix_to_timestamptz(res->date, &values[COL_MESSAGE_DATE]));
	nulls[COL_STATED_REASON] = (r->stated_reason == NULL);
	values[COL_STATED_REASON] = r->stated_reason == NULL ? (Datum) 0 :
		ObjectIdGetDatum(cache->reason_oids[reason_of_label(r->stated_reason)]);
}

/*
 * The classifier's verdict on one row, as classify() would give it on the
 * row's fields: NULL (false) only when the row has none of them.  The
 * host is the one that answered; when none did, the reporting MTA wrote
 * the reason itself, so its provider's rules apply.  The classifier is
 * also told which system wrote the report, when the parser knows it, so
 * that a text of that system's own table is its verdict (classify.h).
 */
static bool
classify_fields(const DsnResult *res, const DsnRecipient *r, BounceReason *reason)
{
	BounceClassifyInput in;
	BounceClassification out;
	const char *host = r->remote_mta ? r->remote_mta :
		r->quotes_remote ? NULL : r->reporting_mta;

	memset(&in, 0, sizeof(in));
	in.interrupt = bounce_check_interrupts;
	in.status = r->status ? r->status : -1;
	in.reply_code = r->reply_code;
	in.mta = bounce_mta_of_name(res->mta);
	if (r->diagnostic)
	{
		in.text = r->diagnostic;
		in.len = strlen(r->diagnostic);
	}
	if (r->smtp_command)
	{
		in.command = r->smtp_command;
		in.command_len = strlen(r->smtp_command);
	}
	if (host)
	{
		in.host = host;
		in.host_len = strlen(host);
	}
	if (!r->diagnostic && !r->reply_code && !r->status && !r->smtp_command && !host)
		return false;
	bounce_classify(&in, &out);
	*reason = out.reason;
	return true;
}

/*
 * parse_dsn's last columns: reason, hard, permanent and format.  Reports
 * that are not failures get their reason here (a feedback report, an
 * auto-reply, a success), as does a row whose reporting MTA states one;
 * the rest are classified from their fields.
 */
static void
fill_verdict(const DsnCallCache *cache, const DsnResult *res, const DsnRecipient *r,
			 Datum *values, bool *nulls)
{
	BounceReason reason = BR_UNDEFINED;
	bool		have_reason = true;
	int			permanent = bounce_permanent(r->reply_code, r->status ? r->status : -1);
	int			hard;

	if (r->reply_code != 0)
		bounce_check_reply_code(r->reply_code, "reply code");
	if (strcmp(res->format, "arf") == 0)
		reason = BR_FEEDBACK;
	else if (strcmp(res->format, "autoreply") == 0)
		reason = BR_VACATION;
	else if (action_is(r->action, "delivered") || action_is(r->action, "relayed") ||
			 action_is(r->action, "expanded"))
		reason = BR_DELIVERED;
	else if (r->stated_reason != NULL)
		reason = reason_of_label(r->stated_reason);
	else
		have_reason = classify_fields(res, r, &reason);

	hard = have_reason ? bounce_hard(reason, permanent) : -1;
	nulls[PCOL_REASON] = !have_reason;
	values[PCOL_REASON] = have_reason ?
		ObjectIdGetDatum(cache->reason_oids[reason]) : (Datum) 0;
	nulls[PCOL_HARD] = (hard < 0);
	values[PCOL_HARD] = BoolGetDatum(hard == 1);
	nulls[PCOL_PERMANENT] = (permanent < 0);
	values[PCOL_PERMANENT] = BoolGetDatum(permanent == 1);
	values[PCOL_FORMAT] = text_or_null(res->format, &nulls[PCOL_FORMAT]);
}

/*
 * Parse the message and put one tuple per recipient in a tuplestore.
 * classify: the parse_dsn columns (with reason, hard, permanent), else the
 * parse_dsn_fields columns.
 */
static Datum
parse_dsn_common(FunctionCallInfo fcinfo, bool classify)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	struct varlena *msg = PG_GETARG_VARLENA_PP(0);
	DsnCallCache *cache;
	Tuplestorestate *tupstore;
	MemoryContext oldcxt;
	DsnResult	res;
	int			i;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	cache = get_cache(fcinfo, classify);

	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	tupstore = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(oldcxt);

	/*
	 * Everything the parser allocates goes into one context, reset after
	 * each message (and before, in case the last call ended in an error);
	 * it lives as long as the call site, like fn_extra.
	 */
	parse_message(cache, VARDATA_ANY(msg), VARSIZE_ANY_EXHDR(msg), &res);
	for (i = 0; i < res.nrecipients; i++)
	{
		DsnRecipient *r = &res.recipients[i];
		Datum		values[NPCOLS + NCOLS];
		bool		nulls[NPCOLS + NCOLS];

		CHECK_FOR_INTERRUPTS();
		/* the row's text Datums are copied into the tuplestore, then freed */
		oldcxt = MemoryContextSwitchTo(cache->rowcxt);
		fill_fields(r, values, nulls);
		if (classify)
			fill_verdict(cache, &res, r, values, nulls);
		else
			fill_message_fields(cache, &res, r, values, nulls);
		tuplestore_putvalues(tupstore, cache->tupdesc, values, nulls);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(cache->rowcxt);
	}
	MemoryContextReset(cache->parsecxt);

	/* the executor frees setDesc after each call: hand it a copy */
	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tupstore;
	rsinfo->setDesc = CreateTupleDescCopy(cache->tupdesc);
	MemoryContextSwitchTo(oldcxt);
	return (Datum) 0;
}

/*
 * parse_dsn_fields(message text|bytea): one row per recipient of a bounce
 * message, the fields as the message gives them, plus the returned
 * message's Message-ID.
 */
PG_FUNCTION_INFO_V1(bounce_parse_dsn_fields);
Datum
bounce_parse_dsn_fields(PG_FUNCTION_ARGS)
{
	return parse_dsn_common(fcinfo, false);
}

/*
 * parse_dsn(message text|bytea): the fields plus the verdict that
 * bounce.classify, bounce.is_hard and bounce.is_permanent give on them,
 * from the same C functions (classify/classify.c).
 */
PG_FUNCTION_INFO_V1(bounce_parse_dsn);
Datum
bounce_parse_dsn(PG_FUNCTION_ARGS)
{
	return parse_dsn_common(fcinfo, true);
}
