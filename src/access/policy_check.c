/*-------------------------------------------------------------------------
 *
 * policy_check.c
 *		bounce_internal.policies_in_step(): whether every read policy of the
 *		extension's tables names the roles that apply_policies() gives it.
 *
 * refresh() brings the read policies in step with role_map (pg_dump does
 * not dump an extension's policies: after a restore they name the
 * restoring role only).  apply_policies() answers in SQL, joining
 * pg_policy to pg_class and role_map to pg_roles, and in a new backend,
 * as every pg_cron run is, parsing and planning those statements and
 * filling the catalog caches on the way cost about 5 ms, most of a small
 * refresh's budget.  This asks the same question through the catalog
 * caches and one scan each of pg_policy and role_map, a fraction of that;
 * refresh() calls apply_policies() only when the answer is no.
 *
 * The same rule as apply_policies(): for each policy of the extension's
 * schema named <table>_read, the roles wanted are the analysts and
 * writers of role_map that exist, and the table's owner, once each.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_class.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "parser/parse_relation.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "bounce.h"

/* Sort n OIDs and drop the repeats; returns how many are left. */
static int
sort_unique(Oid *oids, int n)
{
	int			i;
	int			k = 0;

	if (n == 0)
		return 0;
	qsort(oids, n, sizeof(Oid), oid_cmp);
	for (i = 1; i < n; i++)
		if (oids[i] != oids[k])
			oids[++k] = oids[i];
	return k + 1;
}

/*
 * The analysts and writers of role_map whose role exists, into *readers
 * (palloc'd); returns how many.  role_map is read as its owner reads it
 * (refresh() runs as the owner, who is not subject to its row security).
 */
static int
map_readers(Oid nsp, Oid **readers)
{
	Oid			relid = get_relname_relid("role_map", nsp);
	Relation	rel;
	TableScanDesc scan;
	TupleTableSlot *slot;
	AttrNumber	role_att;
	AttrNumber	kind_att;
	int			n = 0;
	int			cap = 16;

	if (!OidIsValid(relid))
		elog(ERROR, "bounce.policies_in_step: table role_map not found in the schema of the extension");
	rel = table_open(relid, AccessShareLock);
	role_att = attnameAttNum(rel, "role_name", false);
	kind_att = attnameAttNum(rel, "kind", false);
	if (role_att <= 0 || kind_att <= 0)
		elog(ERROR, "bounce.policies_in_step: role_map lacks role_name or kind");
	*readers = palloc(cap * sizeof(Oid));
	slot = table_slot_create(rel, NULL);
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		kind = slot_getattr(slot, kind_att, &isnull);
		Datum		role;
		char	   *k;

		if (isnull)
			continue;
		k = TextDatumGetCString(kind);
		if (strcmp(k, "analyst") != 0 && strcmp(k, "writer") != 0)
			continue;
		role = slot_getattr(slot, role_att, &isnull);
		if (isnull || !SearchSysCacheExists1(AUTHOID, role))
			continue;
		if (n == cap)
		{
			cap *= 2;
			*readers = repalloc(*readers, cap * sizeof(Oid));
		}
		(*readers)[n++] = DatumGetObjectId(role);
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
	return n;
}

/*
 * Whether one policy's roles are the readers and the table's owner: the
 * roles sorted (not made unique, as apply_policies() compares them)
 * against the wanted ones sorted and made unique.
 */
static bool
policy_in_step(Datum polroles, Oid owner, const Oid *readers, int nreaders)
{
	ArrayType  *arr = DatumGetArrayTypeP(polroles);
	Datum	   *elems;
	int			nhave;
	Oid		   *have;
	Oid		   *want;
	int			nwant;
	int			i;
	bool		same;

	deconstruct_array(arr, OIDOID, sizeof(Oid), true, TYPALIGN_INT,
					  &elems, NULL, &nhave);
	have = palloc((nhave + 1) * sizeof(Oid));
	for (i = 0; i < nhave; i++)
		have[i] = DatumGetObjectId(elems[i]);
	if (nhave > 0)
		qsort(have, nhave, sizeof(Oid), oid_cmp);
	want = palloc((nreaders + 1) * sizeof(Oid));
	memcpy(want, readers, nreaders * sizeof(Oid));
	want[nreaders] = owner;
	nwant = sort_unique(want, nreaders + 1);
	same = nhave == nwant && memcmp(have, want, nwant * sizeof(Oid)) == 0;
	pfree(elems);
	pfree(have);
	pfree(want);
	return same;
}

/*
 * bounce_internal.policies_in_step() RETURNS boolean
 *
 * True when apply_policies() would alter no policy.  Internal to refresh().
 */
PG_FUNCTION_INFO_V1(bounce_policies_in_step);
Datum
bounce_policies_in_step(PG_FUNCTION_ARGS)
{
	Oid			nsp = bounce_extension_schema();
	Oid		   *readers;
	int			nreaders;
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		in_step = true;

	(void) fcinfo;				/* no arguments */
	nreaders = map_readers(nsp, &readers);

	rel = table_open(PolicyRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (in_step && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_policy pol = (Form_pg_policy) GETSTRUCT(tup);
		HeapTuple	ctup;
		Form_pg_class cls;
		char		want_name[NAMEDATALEN * 2];
		bool		isnull;
		Datum		roles;

		ctup = SearchSysCache1(RELOID, ObjectIdGetDatum(pol->polrelid));
		if (!HeapTupleIsValid(ctup))
			continue;
		cls = (Form_pg_class) GETSTRUCT(ctup);
		snprintf(want_name, sizeof(want_name), "%s_read", NameStr(cls->relname));
		if (cls->relnamespace == nsp && strcmp(NameStr(pol->polname), want_name) == 0)
		{
			roles = heap_getattr(tup, Anum_pg_policy_polroles, RelationGetDescr(rel), &isnull);
			in_step = !isnull && policy_in_step(roles, cls->relowner, readers, nreaders);
		}
		ReleaseSysCache(ctup);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	PG_RETURN_BOOL(in_step);
}
