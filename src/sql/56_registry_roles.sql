-- ---------------------------------------------------------------------
-- Registry: roles
--
-- The extension creates no role: the DBA does, and maps each with
-- grant_registrar(), grant_analyst() or grant_writer().  A role has one
-- kind at a time: each grant_ function first takes back what the role had.
--   registrar  USAGE on the schema and EXECUTE on the my_ report functions
--              (57_registrar_reports.sql); nothing on any table or view
--   analyst    SELECT on every table and view (row-level security shows
--              it every row: apply_policies())
--   writer     what an analyst has, EXECUTE on record_bounce(), record_batch(),
--              record_dsn(), record_dsn_batch(), record_esp_event(), record_attribution(), record_registration(),
--              load_contacts() and load_registrations(),
--              and INSERT on ingest (COPY); no other privilege on any
--              table, so no table lock that could stop the refresh
-- ---------------------------------------------------------------------

CREATE FUNCTION bounce_internal.check_role(role_name name) RETURNS name
	LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF role_name IS NULL OR NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
		RAISE EXCEPTION 'role "%" does not exist', role_name
			USING ERRCODE = 'undefined_object', HINT = 'The DBA creates roles; bounce only grants to them.';
	END IF;
	RETURN role_name;
END $$;
COMMENT ON FUNCTION bounce_internal.check_role(name) IS 'the role name, or error 42704 when no such role exists';

-- Take back every privilege bounce's grant_ functions give (the role's
-- row in role_map is the caller's business).
CREATE FUNCTION bounce_internal.revoke_all(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM %I', role_name);
	EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM %I', role_name);
	EXECUTE format('REVOKE ALL ON ALL ROUTINES IN SCHEMA @extschema@ FROM %I', role_name);
	EXECUTE format('REVOKE USAGE ON SCHEMA @extschema@ FROM %I', role_name);
END $$;
COMMENT ON FUNCTION bounce_internal.revoke_all(name) IS 'internal to the grant_ functions: take back every privilege on the schema and its objects that they give';

CREATE FUNCTION bounce_internal.grant_read(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	EXECUTE format('GRANT USAGE ON SCHEMA @extschema@ TO %I', role_name);
	EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA @extschema@ TO %I', role_name);
END $$;
COMMENT ON FUNCTION bounce_internal.grant_read(name) IS 'internal to grant_analyst() and grant_writer(): SELECT on every table and view';

CREATE FUNCTION @extschema@.grant_registrar(registrar integer, role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	f regprocedure;
BEGIN
	PERFORM bounce_internal.check_role(role_name);
	IF NOT EXISTS (SELECT FROM @extschema@.registrar r WHERE r.id = registrar) THEN
		RAISE EXCEPTION 'unknown registrar: %', registrar USING ERRCODE = 'foreign_key_violation';
	END IF;
	INSERT INTO @extschema@.role_map (role_name, kind, registrar_id)
	SELECT r.oid, 'registrar', registrar FROM pg_roles r WHERE r.rolname = grant_registrar.role_name
	ON CONFLICT ON CONSTRAINT role_map_pkey DO UPDATE SET kind = 'registrar', registrar_id = excluded.registrar_id;
	PERFORM bounce_internal.revoke_all(role_name);
	EXECUTE format('GRANT USAGE ON SCHEMA @extschema@ TO %I', role_name);
	FOR f IN SELECT p.oid FROM pg_proc p
	          WHERE p.pronamespace = '@extschema@'::regnamespace AND p.proname LIKE 'my\_%' ORDER BY 1
	LOOP
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, role_name);
	END LOOP;
	PERFORM bounce_internal.apply_policies();
END $$;
COMMENT ON FUNCTION @extschema@.grant_registrar(integer, name) IS 'map a role to a registrar: it (and its members) reads that registrar''s reports through the my_ functions, and nothing else';

CREATE FUNCTION @extschema@.grant_analyst(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM bounce_internal.check_role(role_name);
	INSERT INTO @extschema@.role_map (role_name, kind)
	SELECT r.oid, 'analyst' FROM pg_roles r WHERE r.rolname = grant_analyst.role_name
	ON CONFLICT ON CONSTRAINT role_map_pkey DO UPDATE SET kind = 'analyst', registrar_id = NULL;
	PERFORM bounce_internal.revoke_all(role_name);
	PERFORM bounce_internal.grant_read(role_name);
	PERFORM bounce_internal.apply_policies();
END $$;
COMMENT ON FUNCTION @extschema@.grant_analyst(name) IS 'let a role read every row of every table and view; it cannot write';

CREATE FUNCTION @extschema@.grant_writer(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM bounce_internal.check_role(role_name);
	INSERT INTO @extschema@.role_map (role_name, kind)
	SELECT r.oid, 'writer' FROM pg_roles r WHERE r.rolname = grant_writer.role_name
	ON CONFLICT ON CONSTRAINT role_map_pkey DO UPDATE SET kind = 'writer', registrar_id = NULL;
	PERFORM bounce_internal.revoke_all(role_name);
	PERFORM bounce_internal.grant_read(role_name);
	EXECUTE format('GRANT EXECUTE ON FUNCTION
		@extschema@.record_bounce(text, text, timestamptz, integer[], integer, text, text, text, text, @extschema@.reason),
		@extschema@.record_batch(jsonb), @extschema@.record_attribution(bigint, integer[]),
		@extschema@.record_registration(integer, date, bigint),
		@extschema@.record_dsn(bytea, integer[], timestamptz), @extschema@.record_dsn(text, integer[], timestamptz),
		@extschema@.record_dsn_batch(bytea[], integer[], timestamptz),
		@extschema@.load_contacts(regclass, integer),
		@extschema@.load_registrations(regclass, date, date),
		@extschema@.record_esp_event(jsonb, integer[], timestamptz)
		TO %I', role_name);
	EXECUTE format('GRANT INSERT ON @extschema@.ingest TO %I', role_name);
	PERFORM bounce_internal.apply_policies();
END $$;
COMMENT ON FUNCTION @extschema@.grant_writer(name) IS 'let a role (the application) record bounces and month-end registrations through record_bounce(), record_batch(), record_dsn(), record_dsn_batch(), record_esp_event(), COPY into ingest, record_attribution() and record_registration(), load contacts and registration counts through load_contacts() and load_registrations(), and read everything; it cannot change config, registrars or grants';

CREATE FUNCTION @extschema@.revoke_role(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM bounce_internal.check_role(role_name);
	DELETE FROM @extschema@.role_map m
	 WHERE m.role_name = (SELECT r.oid FROM pg_roles r WHERE r.rolname = revoke_role.role_name);
	PERFORM bounce_internal.revoke_all(role_name);
	PERFORM bounce_internal.apply_policies();
END $$;
COMMENT ON FUNCTION @extschema@.revoke_role(name) IS 'undo grant_registrar(), grant_analyst() or grant_writer() for a role';

-- Granting is the owner's business.
REVOKE EXECUTE ON FUNCTION bounce_internal.revoke_all(name), bounce_internal.grant_read(name),
	@extschema@.grant_registrar(integer, name), @extschema@.grant_analyst(name),
	@extschema@.grant_writer(name), @extschema@.revoke_role(name) FROM PUBLIC;
