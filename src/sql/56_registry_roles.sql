-- ---------------------------------------------------------------------
-- Registry: roles
--
-- The extension creates no role: the DBA does, and maps each with
-- grant_registrar(), grant_analyst() or grant_writer().
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.check_role(role_name name) RETURNS name
	LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF role_name IS NULL OR NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
		RAISE EXCEPTION 'role "%" does not exist', role_name
			USING ERRCODE = 'undefined_object', HINT = 'The DBA creates roles; bounce only grants to them.';
	END IF;
	RETURN role_name;
END $$;
COMMENT ON FUNCTION @extschema@.check_role(name) IS 'the role name, or error 42704 when no such role exists';

CREATE FUNCTION @extschema@.grant_read(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	EXECUTE format('GRANT USAGE ON SCHEMA @extschema@ TO %I', role_name);
	EXECUTE format('GRANT SELECT ON @extschema@.config, @extschema@.registrar, @extschema@.registration,
		@extschema@.event, @extschema@.attribution, @extschema@.event_flags, @extschema@.monthly,
		@extschema@.monthly_status, @extschema@.quarterly, @extschema@.group_score, @extschema@.refresh_state,
		@extschema@.flagged_event, @extschema@.monthly_score, @extschema@.top_errors,
		@extschema@.quarterly_score, @extschema@.benchmark, @extschema@.fix_list,
		@extschema@.address_status, @extschema@.role_map TO %I', role_name);
END $$;
COMMENT ON FUNCTION @extschema@.grant_read(name) IS 'internal to the grant_ functions: SELECT on the tables and views (row-level security decides which rows)';

CREATE FUNCTION @extschema@.grant_registrar(registrar integer, role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM @extschema@.check_role(role_name);
	IF NOT EXISTS (SELECT FROM @extschema@.registrar r WHERE r.id = registrar) THEN
		RAISE EXCEPTION 'unknown registrar: %', registrar USING ERRCODE = 'foreign_key_violation';
	END IF;
	INSERT INTO @extschema@.role_map (role_name, kind, registrar_id)
	SELECT r.oid, 'registrar', registrar FROM pg_roles r WHERE r.rolname = grant_registrar.role_name
	ON CONFLICT ON CONSTRAINT role_map_pkey DO UPDATE SET kind = 'registrar', registrar_id = excluded.registrar_id;
	PERFORM @extschema@.grant_read(role_name);
END $$;
COMMENT ON FUNCTION @extschema@.grant_registrar(integer, name) IS 'map a role to a registrar: it (and its members) can read that registrar''s rows, in every table and view, and nothing else';

CREATE FUNCTION @extschema@.grant_analyst(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM @extschema@.check_role(role_name);
	INSERT INTO @extschema@.role_map (role_name, kind)
	SELECT r.oid, 'analyst' FROM pg_roles r WHERE r.rolname = grant_analyst.role_name
	ON CONFLICT ON CONSTRAINT role_map_pkey DO UPDATE SET kind = 'analyst', registrar_id = NULL;
	PERFORM @extschema@.grant_read(role_name);
END $$;
COMMENT ON FUNCTION @extschema@.grant_analyst(name) IS 'let a role read every row of every table and view; it cannot write';

CREATE FUNCTION @extschema@.grant_writer(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM @extschema@.check_role(role_name);
	INSERT INTO @extschema@.role_map (role_name, kind)
	SELECT r.oid, 'writer' FROM pg_roles r WHERE r.rolname = grant_writer.role_name
	ON CONFLICT ON CONSTRAINT role_map_pkey DO UPDATE SET kind = 'writer', registrar_id = NULL;
	PERFORM @extschema@.grant_read(role_name);
	EXECUTE format('GRANT INSERT ON @extschema@.event, @extschema@.attribution, @extschema@.pending, @extschema@.ingest TO %I', role_name);
	EXECUTE format('GRANT INSERT, UPDATE ON @extschema@.registration TO %I', role_name);
END $$;
COMMENT ON FUNCTION @extschema@.grant_writer(name) IS 'let a role (the application) record bounces and month-end registrations, and read everything; it cannot change config or registrars';

CREATE FUNCTION @extschema@.revoke_role(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM @extschema@.check_role(role_name);
	DELETE FROM @extschema@.role_map m
	 WHERE m.role_name = (SELECT r.oid FROM pg_roles r WHERE r.rolname = revoke_role.role_name);
	EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM %I', role_name);
	EXECUTE format('REVOKE USAGE ON SCHEMA @extschema@ FROM %I', role_name);
END $$;
COMMENT ON FUNCTION @extschema@.revoke_role(name) IS 'undo grant_registrar(), grant_analyst() or grant_writer() for a role';
