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
		SELECT to_regclass('@extschema@.' || n) FROM unnest(ARRAY['attribution', 'pending']) n
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

	-- An insert executed on a worker takes its id from the worker's own
	-- copy of the sequence, which starts at 1 as the coordinator's does
	-- (bounce inserts through the coordinator, which takes the ids): each
	-- worker gets a range of its own all the same.
	PERFORM run_command_on_workers(
		'SELECT setval(''@extschema@.event_id_seq'', (SELECT groupid::bigint << 48 FROM pg_catalog.pg_dist_local_group))');
END $$;
COMMENT ON FUNCTION @extschema@.distribute(integer) IS
	'run once on a Citus coordinator: distribute event, attribution and pending by address (co-located, shard_count shards); the other tables stay on the coordinator; returns each table distributed; error 55000 without Citus, on a worker, or when already distributed';
REVOKE EXECUTE ON FUNCTION @extschema@.distribute(integer) FROM PUBLIC;
