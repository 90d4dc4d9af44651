/*-------------------------------------------------------------------------
 *
 * bounce_sql.c
 *		Glue shared by the SQL faces of more than one module.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"

#include "bounce.h"

/*
 * The interrupt hook of the pure-C cores (the DSN parser, the classifier),
 * called every few hundred kilobytes of their work.  A pending cancel or
 * timeout raises its error here, which jumps out of the core: the cores
 * hold no resources but memory of the call's contexts.
 */
void
bounce_check_interrupts(void *arg)
{
	(void) arg;
	CHECK_FOR_INTERRUPTS();
}

/*
 * First call of a set-returning function that lists one of bounce's static
 * tables (status codes, reasons, rules): set up the call context with the
 * function's blessed row type and the number of rows to return.
 */
FuncCallContext *
bounce_table_srf_init(FunctionCallInfo fcinfo, uint64 rows)
{
	FuncCallContext *funcctx = SRF_FIRSTCALL_INIT();
	MemoryContext oldcontext = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	funcctx->tuple_desc = BlessTupleDesc(tupdesc);
	funcctx->max_calls = rows;
	MemoryContextSwitchTo(oldcontext);
	return funcctx;
}
