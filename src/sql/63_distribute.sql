-- ---------------------------------------------------------------------
-- Registry on a Citus cluster: distribute()
--
-- Run once on a Citus coordinator, after CREATE EXTENSION bounce (which
-- Citus propagates to the workers).  The schema is the one of a single
-- node (every key of the bounces holds the address,
-- 50_registry_tables.sql); this only changes where the bounces live:
--   event, attribution, pending
--       distributed by address, co-located: a bounce, its registrars and
--       its queue row are on one shard
--   shard
--       the refresh's marker: one row per shard, co-located with event
--   every other table (registrar, registration, config, role_map,
--   contact, the summaries and their queues, event_flags, refresh_state,
--   ingest) stays a plain table of the coordinator
-- Why the small tables are not reference tables: the refresh's SQL joins
-- the summaries to registration and registrar and writes the summaries in
-- the same statements; Citus plans such a statement only when every table
-- in it is known to Citus, and it cannot take the summaries over (it
-- recreates a table it adds to its metadata, which the extension's views
-- on them forbid).  Nothing on a worker reads a small table: the
-- registrar check is record_bounce()'s own, and attribution's foreign key to
-- registrar, which Citus cannot keep towards a coordinator table, is
-- dropped.  contact stays too: load_contacts() rewrites it in one
-- statement of modifying CTEs, which Citus does not run on a distributed
-- table, and the writers read it once per call (attribution from
-- contacts), a join Citus plans against the bounces they insert.  See
-- doc/scaling.md.
-- ---------------------------------------------------------------------

-- The refresh per shard.  On a cluster, refresh_scan() runs its pass (full
-- and incremental) on the workers, one task per shard of event: it queries this marker
-- table, one row per shard, co-located with event (distribute() fills it),
-- as SELECT ... FROM shard m CROSS JOIN LATERAL refresh_scan_shard(m.tableoid,
-- ...), and in each task the marker's shard names the co-located shards of
-- event and attribution that the pass reads (src/flag/refresh.c).  Empty on
-- one node, where nothing reads it.
CREATE TABLE @extschema@.shard (
	address text PRIMARY KEY
);
COMMENT ON TABLE @extschema@.shard IS 'on a Citus cluster, one row in each shard of event (distributed and co-located with it by distribute()): the refresh runs its pass once per row, on the shard''s worker; empty on one node; internal';
COMMENT ON COLUMN @extschema@.shard.address IS 'a value of the distribution column that falls in the row''s shard';

CREATE FUNCTION bounce_internal.refresh_scan_shard(shard oid, min_gap interval, max_gap interval,
		strikes integer, span interval, count_hard boolean, time_zone text, new_ids bigint[])
	RETURNS TABLE (block bigint, entries bytea, registrar_id integer, month date,
	               status @extschema@.smtp_status, counted bigint, recurring bigint, event_id bigint)
	AS 'MODULE_PATHNAME', 'bounce_refresh_scan_shard'
	LANGUAGE C STABLE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION bounce_internal.refresh_scan_shard(oid, interval, interval, integer, interval, boolean, text, bigint[]) IS
	'internal to refresh_scan() on a Citus cluster, run on a worker: its pass over the shards of event and attribution co-located with shard (a shard of the marker table shard), in time_zone.  With new_ids NULL, per block of bounce ids the (byte index, flags) pairs of this shard''s bounces in entries, and the counted and recurring bounces per registrar, month and status; with new_ids, for this shard''s addresses of those bounces, from each one''s first new bounce on, one row per bounce (event_id, its flag byte in entries, month, status) and one per registrar of such a bounce (event_id, registrar_id), for the coordinator to compare with event_flags.  Last, one row with only counted set: the bounces flagged or compared';
REVOKE EXECUTE ON FUNCTION bounce_internal.refresh_scan_shard(oid, interval, interval, integer, interval, boolean, text, bigint[]) FROM PUBLIC;

CREATE FUNCTION @extschema@.distribute(shard_count integer DEFAULT 32)
	RETURNS TABLE (table_name regclass, kind text)
	LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_group integer;
	v_workers integer;
	v_fk record;
	v_done boolean;
	v_readd text[];
	v_sql text;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'bounce.distribute() needs Citus: the citus extension is not installed in database "%"', current_database()
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = 'Run it on a Citus coordinator, after CREATE EXTENSION citus and citus_add_node() for the workers.';
	END IF;
	IF shard_count < 1 OR shard_count > 64000 THEN
		RAISE EXCEPTION 'shard_count must be between 1 and 64000, not %', shard_count
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- Citus's catalogs, read by name: they do not exist without Citus
	EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO v_group;
	EXECUTE 'SELECT count(*) FROM pg_catalog.pg_dist_node WHERE groupid > 0 AND isactive AND noderole = ''primary'''
	   INTO v_workers;
	IF v_group IS DISTINCT FROM 0 OR v_workers = 0 THEN
		RAISE EXCEPTION 'bounce.distribute() must run on a Citus coordinator with workers; this node is %',
				CASE WHEN v_group IS DISTINCT FROM 0 THEN format('a worker (group %s)', v_group) ELSE 'a coordinator without workers' END
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = 'Connect to the coordinator; add the workers with citus_add_node() first.';
	END IF;
	EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = ''@extschema@.event''::regclass)'
	   INTO STRICT v_done;
	IF v_done THEN
		RAISE EXCEPTION 'bounce is already distributed'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = 'bounce.event is a distributed table.';
	END IF;

	-- The foreign keys of the tables to distribute (attribution's) are
	-- dropped, on the coordinator and on the
	-- workers' copies of the tables (made by the propagated CREATE
	-- EXTENSION, which Citus uses as the shells of the distributed
	-- tables); those to event are made again once all are distributed,
	-- and reach every node and shard.  Citus keeps none to a table of the
	-- coordinator: the writers check registrars themselves.
	FOR v_fk IN
		SELECT c.conrelid::regclass AS rel, c.conname::text AS name, pg_get_constraintdef(c.oid) AS def,
		       c.confrelid = '@extschema@.event'::regclass AS keep
		  FROM pg_catalog.pg_constraint c
		 WHERE c.contype = 'f' AND c.conrelid IN (SELECT to_regclass('@extschema@.' || n) FROM unnest(ARRAY['attribution', 'pending']) n)
		 ORDER BY 1, 2
	LOOP
		EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', v_fk.rel, v_fk.name);
		EXECUTE format('SELECT run_command_on_workers(%L)',
		               format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', v_fk.rel, v_fk.name));
		IF v_fk.keep THEN
			v_readd := array_append(v_readd, format('ALTER TABLE %s ADD CONSTRAINT %I %s', v_fk.rel, v_fk.name, v_fk.def));
		END IF;
	END LOOP;

	EXECUTE format('SELECT create_distributed_table(%L, %L, shard_count => %s)', '@extschema@.event', 'address', shard_count);
	EXECUTE format('SELECT truncate_local_data_after_distributing_table(%L)', '@extschema@.event');
	table_name := '@extschema@.event'::regclass;
	kind := 'distributed by address';
	RETURN NEXT;
	FOR table_name IN
		SELECT to_regclass('@extschema@.' || n) FROM unnest(ARRAY['attribution', 'pending', 'shard']) n
		 WHERE to_regclass('@extschema@.' || n) IS NOT NULL
	LOOP
		EXECUTE format('SELECT create_distributed_table(%L, %L, colocate_with => %L)', table_name, 'address', '@extschema@.event');
		EXECUTE format('SELECT truncate_local_data_after_distributing_table(%L)', table_name);
		kind := 'distributed by address, co-located with event';
		RETURN NEXT;
	END LOOP;
	FOREACH v_sql IN ARRAY coalesce(v_readd, '{}') LOOP
		EXECUTE v_sql;
	END LOOP;

	-- The refresh's marker: one row in each shard, the first of many
	-- candidate values to fall in it (64 per shard: a shard missed has a
	-- chance of e^-64).
	EXECUTE format($q$INSERT INTO @extschema@.shard (address)
		SELECT DISTINCT ON (s.shardid) s.v
		  FROM (SELECT 'shard ' || i AS v, get_shard_id_for_distribution_column('@extschema@.shard', 'shard ' || i) AS shardid
		          FROM generate_series(1, %s * 64) i) s
		 ORDER BY s.shardid, s.v$q$, shard_count);
	IF (SELECT count(*) FROM @extschema@.shard) <> shard_count THEN
		RAISE EXCEPTION 'bounce.distribute(): the marker table shard does not have one row in each of the % shards', shard_count
			USING ERRCODE = 'internal_error';
	END IF;

	-- An insert executed on a worker takes its id from the worker's own
	-- copy of the sequence, which starts at 1 as the coordinator's does
	-- (bounce inserts through the coordinator, which takes the ids): each
	-- worker gets a range of its own all the same.
	PERFORM run_command_on_workers(
		'SELECT setval(''@extschema@.event_id_seq'', (SELECT groupid::bigint << 48 FROM pg_catalog.pg_dist_local_group))');
END $$;
COMMENT ON FUNCTION @extschema@.distribute(integer) IS
	'run once on a Citus coordinator: distribute event, attribution and pending by address (co-located, shard_count shards) and the refresh''s marker shard with them, one row per shard; the other tables stay on the coordinator; returns each table distributed; error 55000 without Citus, on a worker, or when already distributed';
REVOKE EXECUTE ON FUNCTION @extschema@.distribute(integer) FROM PUBLIC;
