-- ---------------------------------------------------------------------
-- Registry: who reads what
--
-- Analysts and writers (role_map) read every table and view.  Registrars
-- read nothing directly: row-level security alone does not keep a
-- registrar with a psql prompt from learning other registrars' rows (row
-- counts in EXPLAIN ANALYZE, statistics counters, leakproof operators that
-- run before the policy, subplans that never execute).  A registrar's role
-- has no privilege on any table or view; it reads its own reports through
-- the my_ functions (57_registrar_reports.sql), which select its rows
-- before any predicate of its own can run.
--
-- Row-level security remains, so that a role granted SELECT by mistake
-- sees nothing: every table with registry data has one policy,
-- <table>_read, that shows every row to the roles role_map lists as
-- analysts or writers and to the table's owner; apply_policies() keeps the
-- policies' role lists in step with role_map.  The policies read no table
-- and call no function (what Citus accepts on distributed tables).
-- ---------------------------------------------------------------------

-- In C (src/access/session_role.c): the role the session acts as, which a
-- SECURITY DEFINER function does not change (current_user does).
CREATE FUNCTION @extschema@.session_role() RETURNS regrole
	AS 'MODULE_PATHNAME', 'bounce_session_role'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.session_role() IS 'the role the session acts as (the last SET ROLE, else the session user), also inside a SECURITY DEFINER function';

-- Registrars whose role the session's role is a member of.  SECURITY
-- DEFINER: it reads role_map, which registrars may not read.
CREATE FUNCTION @extschema@.my_registrars() RETURNS integer[]
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT coalesce(array_agg(DISTINCT m.registrar_id ORDER BY m.registrar_id), '{}')
	  FROM @extschema@.role_map m
	 WHERE m.kind = 'registrar' AND pg_has_role(@extschema@.session_role(), m.role_name, 'MEMBER') $$;
COMMENT ON FUNCTION @extschema@.my_registrars() IS 'ids of the registrars whose role (role_map) the session''s role is a member of';
REVOKE EXECUTE ON FUNCTION @extschema@.my_registrars() FROM PUBLIC;

-- One policy per table: every row, to the analysts and writers.  Created
-- for the installing role alone (the owner, who bypasses row-level
-- security anyway); apply_policies() adds the others.
ALTER TABLE @extschema@.registrar ENABLE ROW LEVEL SECURITY;
CREATE POLICY registrar_read ON @extschema@.registrar FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.role_map ENABLE ROW LEVEL SECURITY;
CREATE POLICY role_map_read ON @extschema@.role_map FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.registration ENABLE ROW LEVEL SECURITY;
CREATE POLICY registration_read ON @extschema@.registration FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.event ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_read ON @extschema@.event FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.attribution ENABLE ROW LEVEL SECURITY;
CREATE POLICY attribution_read ON @extschema@.attribution FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.pending ENABLE ROW LEVEL SECURITY;
CREATE POLICY pending_read ON @extschema@.pending FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.quarter_queue ENABLE ROW LEVEL SECURITY;
CREATE POLICY quarter_queue_read ON @extschema@.quarter_queue FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.event_flags ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_flags_read ON @extschema@.event_flags FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.monthly_status ENABLE ROW LEVEL SECURITY;
CREATE POLICY monthly_status_read ON @extschema@.monthly_status FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.quarterly ENABLE ROW LEVEL SECURITY;
CREATE POLICY quarterly_read ON @extschema@.quarterly FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.group_score ENABLE ROW LEVEL SECURITY;
CREATE POLICY group_score_read ON @extschema@.group_score FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.refresh_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY refresh_state_read ON @extschema@.refresh_state FOR SELECT TO CURRENT_USER USING (true);

-- Give every <table>_read policy of the schema the roles it should have:
-- the table's owner and the analysts and writers of role_map.  ALTER
-- POLICY locks the table, so a policy is altered only when its roles
-- differ.  The grant_ functions call it, and so does refresh(): pg_dump
-- does not dump an extension's policies, so after a restore the first
-- refresh gives them their roles again (until then only the owner reads).
CREATE FUNCTION bounce_internal.apply_policies(wait boolean DEFAULT true) RETURNS integer
	LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_readers oid[];
	v_want oid[];
	v_changed integer := 0;
	p record;
BEGIN
	SELECT coalesce(array_agg(r.oid), '{}') INTO v_readers
	  FROM @extschema@.role_map m JOIN pg_roles r ON r.oid = m.role_name
	 WHERE m.kind IN ('analyst', 'writer');
	FOR p IN
		SELECT pol.polname, c.relname, c.relowner, pol.polroles
		  FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
		 WHERE c.relnamespace = '@extschema@'::regnamespace AND pol.polname = c.relname || '_read'
		 ORDER BY c.relname
	LOOP
		v_want := ARRAY(SELECT DISTINCT x FROM unnest(v_readers || p.relowner) x ORDER BY x);
		IF v_want IS DISTINCT FROM ARRAY(SELECT x FROM unnest(p.polroles) x ORDER BY x) THEN
			IF NOT wait THEN	-- 55P03 rather than wait for a reader
				EXECUTE format('LOCK TABLE @extschema@.%I IN ACCESS EXCLUSIVE MODE NOWAIT', p.relname);
			END IF;
			EXECUTE format('ALTER POLICY %I ON @extschema@.%I TO %s', p.polname, p.relname,
			               (SELECT string_agg(quote_ident(r.rolname), ', ' ORDER BY r.rolname)
			                  FROM pg_roles r WHERE r.oid = ANY (v_want)));
			v_changed := v_changed + 1;
		END IF;
	END LOOP;
	RETURN v_changed;
END $$;
COMMENT ON FUNCTION bounce_internal.apply_policies(boolean) IS 'internal to the grant_ functions and refresh(): give each table''s read policy the analysts and writers of role_map (and the owner); returns how many policies changed; wait => false: error 55P03 instead of waiting for a table in use';
REVOKE EXECUTE ON FUNCTION bounce_internal.apply_policies(boolean) FROM PUBLIC;

-- In C (src/access/policy_check.c): whether apply_policies() would alter
-- no policy.  refresh() asks it on every run that finds work, and calls
-- apply_policies() only when the answer is no: the same question in SQL
-- costs a new session (every pg_cron run) about 5 ms of parsing, planning
-- and catalog lookups.
CREATE FUNCTION bounce_internal.policies_in_step() RETURNS boolean
	AS 'MODULE_PATHNAME', 'bounce_policies_in_step'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION bounce_internal.policies_in_step() IS 'internal to refresh(): true when every <table>_read policy of the extension''s tables names the analysts and writers of role_map (those that exist) and the table''s owner, that is when apply_policies() would alter none';
REVOKE EXECUTE ON FUNCTION bounce_internal.policies_in_step() FROM PUBLIC;
