/*-------------------------------------------------------------------------
 *
 * classify_sql.c
 *		SQL-facing functions of the classifier: classify, parse, is_hard,
 *		is_permanent, reason_group, reasons() and classifier_rules().
 *
 * The decision procedure and the rules are pure C (classify.c,
 * classify_rules.c, matcher.c); this file converts arguments, validates
 * them (reply codes: 22023) and maps C reasons to the OIDs of the
 * bounce.reason enum labels.  Those OIDs are looked up once per call site
 * (fn_extra), never cached across queries, so DROP/CREATE EXTENSION in one
 * session cannot leave stale OIDs behind.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "bounce.h"
#include "classify/classify.h"
#include "status/status.h"

/* Per-call-site cache: the enum's OIDs and, for parse, the tuple desc. */
typedef struct ReasonCache
{
	Oid			typoid;
	Oid			oids[BR_COUNT];
	TupleDesc	tupdesc;
} ReasonCache;

/* Build the matcher once per backend, or fail loudly. */
void
bounce_ensure_classifier(void)
{
	if (!bounce_classifier_init())
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory building the bounce classifier")));
}

/*
 * The OID of each label of the enum type typoid (bounce.reason), indexed
 * by BounceReason.  Also for the DSN functions, which return reasons.
 */
void
bounce_reason_oids(Oid typoid, Oid *oids)
{
	int			i;

	for (i = 0; i < BR_COUNT; i++)
	{
		HeapTuple	tup = SearchSysCache2(ENUMTYPOIDNAME,
										  ObjectIdGetDatum(typoid),
										  CStringGetDatum(bounce_reasons[i].name));

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "bounce.reason has no label \"%s\"", bounce_reasons[i].name);
		oids[i] = ((Form_pg_enum) GETSTRUCT(tup))->oid;
		ReleaseSysCache(tup);
	}
}

static ReasonCache *
build_reason_cache(FunctionCallInfo fcinfo, MemoryContext mcxt)
{
	ReasonCache *c;
	Oid			nsp;

	c = MemoryContextAllocZero(mcxt, sizeof(ReasonCache));
	nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	c->typoid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
								CStringGetDatum("reason"), ObjectIdGetDatum(nsp));
	if (!OidIsValid(c->typoid))
		elog(ERROR, "type reason not found in the schema of the bounce extension");
	bounce_reason_oids(c->typoid, c->oids);
	return c;
}

/* The cache of this call site (not for set-returning functions). */
static ReasonCache *
reason_cache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = build_reason_cache(fcinfo, fcinfo->flinfo->fn_mcxt);
	return (ReasonCache *) fcinfo->flinfo->fn_extra;
}

/* The C reason of an enum OID. */
static BounceReason
reason_of_oid(ReasonCache *c, Oid oid)
{
	int			i;

	for (i = 0; i < BR_COUNT; i++)
		if (c->oids[i] == oid)
			return (BounceReason) i;
	elog(ERROR, "unknown bounce.reason value %u", oid);
	return BR_UNDEFINED;		/* keep compiler quiet */
}

/*
 * Read the optional (reply_code, status) argument pair that starts at
 * argument argno, as classify(), is_hard() and is_permanent() take it.
 * Absent values leave *reply and *status as they are (0 and -1 by
 * convention); a bad reply code is error 22023.  Returns whether either
 * was given.
 */
static bool
read_codes(FunctionCallInfo fcinfo, int argno, int *reply, int32 *status)
{
	bool		any = false;

	if (PG_NARGS() > argno && !PG_ARGISNULL(argno))
	{
		*reply = PG_GETARG_INT32(argno);
		bounce_check_reply_code(*reply, "reply code");
		any = true;
	}
	if (PG_NARGS() > argno + 1 && !PG_ARGISNULL(argno + 1))
	{
		*status = PG_GETARG_SMTP_STATUS(argno + 1);
		any = true;
	}
	return any;
}

/*
 * Read the five classify/parse arguments.  Returns false when every one
 * is NULL.  A bad reply code raises 22023.
 */
static bool
read_input(FunctionCallInfo fcinfo, BounceClassifyInput *in)
{
	bool		any = false;

	memset(in, 0, sizeof(*in));
	in->status = -1;
	in->interrupt = bounce_check_interrupts;
	if (!PG_ARGISNULL(0))
	{
		text	   *t = PG_GETARG_TEXT_PP(0);

		in->text = VARDATA_ANY(t);
		in->len = VARSIZE_ANY_EXHDR(t);
		any = true;
	}
	if (read_codes(fcinfo, 1, &in->reply_code, &in->status))
		any = true;
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
	{
		text	   *t = PG_GETARG_TEXT_PP(3);

		in->command = VARDATA_ANY(t);
		in->command_len = VARSIZE_ANY_EXHDR(t);
		any = true;
	}
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
	{
		text	   *t = PG_GETARG_TEXT_PP(4);

		in->host = VARDATA_ANY(t);
		in->host_len = VARSIZE_ANY_EXHDR(t);
		any = true;
	}
	return any;
}

/*
 * classify(diagnostic, reply_code, status, command, remote_host) -> reason.
 * NULL only when every argument is NULL.
 */
PG_FUNCTION_INFO_V1(bounce_classify_sql);
Datum
bounce_classify_sql(PG_FUNCTION_ARGS)
{
	BounceClassifyInput in;
	BounceClassification out;
	ReasonCache *c;

	if (!read_input(fcinfo, &in))
		PG_RETURN_NULL();
	bounce_ensure_classifier();
	c = reason_cache(fcinfo);
	bounce_classify(&in, &out);
	PG_RETURN_OID(c->oids[out.reason]);
}

/*
 * classify_explain(...same arguments...) -> bounce.classification: the codes used,
 * the reason and its group, hard, permanent, and the rule that decided
 * with its source.
 */
PG_FUNCTION_INFO_V1(bounce_classify_explain_sql);
Datum
bounce_classify_explain_sql(PG_FUNCTION_ARGS)
{
	BounceClassifyInput in;
	BounceClassification out;
	ReasonCache *c;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	char		rule[512];
	int			permanent;
	int			hard;

	if (!read_input(fcinfo, &in))
		PG_RETURN_NULL();
	bounce_ensure_classifier();
	c = reason_cache(fcinfo);
	if (c->tupdesc == NULL)
	{
		TupleDesc	td;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		c->tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
		MemoryContextSwitchTo(old);
	}
	bounce_classify(&in, &out);

	permanent = bounce_permanent(out.reply_code, out.status);
	hard = bounce_hard(out.reason, permanent);
	bounce_describe_rule(&out, rule, sizeof(rule));

	values[0] = Int32GetDatum(out.reply_code);
	nulls[0] = (out.reply_code == 0);
	values[1] = SmtpStatusGetDatum(out.status);
	nulls[1] = (out.status < 0);
	values[2] = ObjectIdGetDatum(c->oids[out.reason]);
	values[3] = CStringGetTextDatum(bounce_group_names[bounce_reasons[out.reason].group]);
	values[4] = BoolGetDatum(hard == 1);
	nulls[4] = (hard < 0);
	values[5] = BoolGetDatum(permanent == 1);
	nulls[5] = (permanent < 0);
	values[6] = CStringGetTextDatum(rule);
	values[7] = CStringGetTextDatum(bounce_rule_source(&out));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(c->tupdesc, values, nulls)));
}

/*
 * is_hard(reason, reply_code, status): Sisimai's hard flag.  NULL for
 * delivered, feedback and vacation (not bounces) and for a NULL reason.
 */
PG_FUNCTION_INFO_V1(bounce_is_hard_sql);
Datum
bounce_is_hard_sql(PG_FUNCTION_ARGS)
{
	ReasonCache *c;
	int			reply = 0;
	int32		status = -1;
	int			hard;

	read_codes(fcinfo, 1, &reply, &status);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	c = reason_cache(fcinfo);
	hard = bounce_hard(reason_of_oid(c, PG_GETARG_OID(0)),
					   bounce_permanent(reply, status));
	if (hard < 0)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(hard == 1);
}

/*
 * is_permanent(reply_code, status): the SMTP verdict.  The status wins
 * when both are given; NULL when neither is.
 */
PG_FUNCTION_INFO_V1(bounce_is_permanent_sql);
Datum
bounce_is_permanent_sql(PG_FUNCTION_ARGS)
{
	int			reply = 0;
	int32		status = -1;
	int			p;

	read_codes(fcinfo, 0, &reply, &status);
	p = bounce_permanent(reply, status);
	if (p < 0)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(p == 1);
}

/* reason_group(reason) -> text. */
PG_FUNCTION_INFO_V1(bounce_reason_group_sql);
Datum
bounce_reason_group_sql(PG_FUNCTION_ARGS)
{
	ReasonCache *c = reason_cache(fcinfo);
	BounceReason r = reason_of_oid(c, PG_GETARG_OID(0));

	PG_RETURN_TEXT_P(cstring_to_text(bounce_group_names[bounce_reasons[r].group]));
}

/* reasons(): one row per reason, with group, hard/soft and meaning. */
PG_FUNCTION_INFO_V1(bounce_reasons_sql);
Datum
bounce_reasons_sql(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;

	if (SRF_IS_FIRSTCALL())
	{
		funcctx = bounce_table_srf_init(fcinfo, BR_COUNT);
		funcctx->user_fctx = build_reason_cache(fcinfo, funcctx->multi_call_memory_ctx);
	}
	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr < funcctx->max_calls)
	{
		ReasonCache *c = (ReasonCache *) funcctx->user_fctx;
		const BounceReasonInfo *r = &bounce_reasons[funcctx->call_cntr];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		static const char *const hard_names[] = {
			"soft", "hard", "hard when permanent", "not a bounce"
		};

		values[0] = ObjectIdGetDatum(c->oids[funcctx->call_cntr]);
		values[1] = CStringGetTextDatum(bounce_group_names[r->group]);
		values[2] = CStringGetTextDatum(hard_names[r->hardness]);
		values[3] = CStringGetTextDatum(r->description);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
	}
	SRF_RETURN_DONE(funcctx);
}

static const char *const command_label[] = {
	NULL, "CONN", "HELO", "MAIL", "RCPT", "DATA", "other"
};

/*
 * classifier_rules(): every rule of every layer, in the order the
 * classifier consults them, with its source.
 */
PG_FUNCTION_INFO_V1(bounce_classifier_rules_sql);
Datum
bounce_classifier_rules_sql(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	int			nt = bounce_text_rules_count;
	int			ns = bounce_status_rules_count;
	int			nr = bounce_reply_rules_count;

	if (SRF_IS_FIRSTCALL())
	{
		funcctx = bounce_table_srf_init(fcinfo, nt + ns + nr);
		funcctx->user_fctx = build_reason_cache(fcinfo, funcctx->multi_call_memory_ctx);
	}
	funcctx = SRF_PERCALL_SETUP();
	if (funcctx->call_cntr < funcctx->max_calls)
	{
		ReasonCache *c = (ReasonCache *) funcctx->user_fctx;
		int			i = (int) funcctx->call_cntr;
		Datum		values[8];
		bool		nulls[8] = {false, false, true, true, true, true, false, false};
		const char *layer;
		const char *pattern;
		BounceReason reason;
		BounceProvider prov;
		const char *source;

		if (i < nt)
		{
			const BounceTextRule *r = &bounce_text_rules[i];

			layer = "text";
			pattern = r->pattern;
			reason = r->reason;
			prov = r->provider;
			source = r->source;
			if (r->status)
			{
				values[3] = CStringGetTextDatum(r->status);
				nulls[3] = false;
			}
			if (r->command != BC_ANY)
			{
				values[4] = CStringGetTextDatum(command_label[r->command]);
				nulls[4] = false;
			}
		}
		else
		{
			const BounceCodeRule *r = (i < nt + ns) ? &bounce_status_rules[i - nt]
				: &bounce_reply_rules[i - nt - ns];

			layer = (i < nt + ns) ? "status" : "reply code";
			pattern = r->code;
			reason = r->reason;
			prov = r->provider;
			source = r->source;
			if (r->weak)
			{
				values[4] = CStringGetTextDatum("yields to CONN/HELO/MAIL");
				nulls[4] = false;
			}
		}
		values[0] = Int32GetDatum(i + 1);
		values[1] = CStringGetTextDatum(layer);
		values[2] = CStringGetTextDatum(pattern);
		nulls[2] = false;
		if (prov != BP_ANY)
		{
			values[5] = CStringGetTextDatum(bounce_provider_names[prov]);
			nulls[5] = false;
		}
		values[6] = ObjectIdGetDatum(c->oids[reason]);
		values[7] = CStringGetTextDatum(source);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
	}
	SRF_RETURN_DONE(funcctx);
}
