/*-------------------------------------------------------------------------
 *
 * bounce_sql.c
 *		Glue shared by the SQL faces of more than one module.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

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

/*
 * The owner and schema of the bounce extension in this database: an index
 * scan of pg_extension by name (PostgreSQL 16's get_extension_schema()
 * gives the schema alone).  False when it is not installed.
 */
bool
bounce_extension_lookup(Oid *owner, Oid *schema)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("bounce"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		Form_pg_extension ext = (Form_pg_extension) GETSTRUCT(tup);

		*owner = ext->extowner;
		*schema = ext->extnamespace;
		found = true;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * The schema of the bounce extension (bounce.control's schema).  Its
 * internal functions live in a schema of their own, bounce_internal, and
 * find the extension's tables and types here rather than beside themselves.
 */
Oid
bounce_extension_schema(void)
{
	Oid			owner;
	Oid			nsp;

	if (!bounce_extension_lookup(&owner, &nsp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"bounce\" is not installed in this database")));
	return nsp;
}
