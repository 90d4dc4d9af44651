-- ---------------------------------------------------------------------
-- Registry: row-level security
--
-- A registrar's role reads only its registrar's rows, analysts and writers
-- (role_map) read every row, writers alone insert.  The views are
-- security_invoker, so these policies apply to whoever reads them.  Roles
-- are mapped by the grant_ functions (56_registry_roles.sql).
-- ---------------------------------------------------------------------

-- Registrars whose role the current user is a member of.
CREATE FUNCTION @extschema@.my_registrars() RETURNS integer[]
	LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT coalesce(array_agg(m.registrar_id), '{}')
	  FROM @extschema@.role_map m
	 WHERE m.kind = 'registrar' AND pg_has_role(m.role_name, 'MEMBER') $$;
COMMENT ON FUNCTION @extschema@.my_registrars() IS 'ids of the registrars whose role (role_map) the current user is a member of';

CREATE FUNCTION @extschema@.sees_all() RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT EXISTS (SELECT FROM @extschema@.role_map m
	                WHERE m.kind IN ('analyst', 'writer') AND pg_has_role(m.role_name, 'MEMBER')) $$;
COMMENT ON FUNCTION @extschema@.sees_all() IS 'true when the current user is a member of an analyst or writer role (role_map): row-level security shows it every row';

CREATE FUNCTION @extschema@.is_writer() RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT EXISTS (SELECT FROM @extschema@.role_map m
	                WHERE m.kind = 'writer' AND pg_has_role(m.role_name, 'MEMBER')) $$;
COMMENT ON FUNCTION @extschema@.is_writer() IS 'true when the current user is a member of a writer role (role_map)';

ALTER TABLE @extschema@.role_map ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_roles ON @extschema@.role_map FOR SELECT
	USING (pg_has_role(role_name, 'MEMBER'));

ALTER TABLE @extschema@.registrar ENABLE ROW LEVEL SECURITY;
CREATE POLICY registrar_read ON @extschema@.registrar FOR SELECT
	USING ((SELECT @extschema@.sees_all()) OR id = ANY ((SELECT @extschema@.my_registrars())::integer[]));

ALTER TABLE @extschema@.registration ENABLE ROW LEVEL SECURITY;
CREATE POLICY registration_read ON @extschema@.registration FOR SELECT
	USING ((SELECT @extschema@.sees_all()) OR registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]));
CREATE POLICY registration_write ON @extschema@.registration FOR ALL
	USING ((SELECT @extschema@.is_writer())) WITH CHECK ((SELECT @extschema@.is_writer()));

ALTER TABLE @extschema@.event ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_read ON @extschema@.event FOR SELECT
	USING ((SELECT @extschema@.sees_all())
	       OR EXISTS (SELECT FROM @extschema@.attribution a
	                   WHERE a.event_id = id AND a.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[])));
CREATE POLICY event_write ON @extschema@.event FOR INSERT
	WITH CHECK ((SELECT @extschema@.is_writer()));

ALTER TABLE @extschema@.attribution ENABLE ROW LEVEL SECURITY;
CREATE POLICY attribution_read ON @extschema@.attribution FOR SELECT
	USING ((SELECT @extschema@.sees_all()) OR registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]));
CREATE POLICY attribution_write ON @extschema@.attribution FOR INSERT
	WITH CHECK ((SELECT @extschema@.is_writer()));

ALTER TABLE @extschema@.pending ENABLE ROW LEVEL SECURITY;
CREATE POLICY pending_write ON @extschema@.pending FOR INSERT
	WITH CHECK ((SELECT @extschema@.is_writer()));

-- event_flags has no policy: a row holds the flag bits of 256 bounces of
-- any registrars, and says nothing about them without their event rows
-- (which the event policy filters), so every reader may see it.

ALTER TABLE @extschema@.monthly ENABLE ROW LEVEL SECURITY;
CREATE POLICY monthly_read ON @extschema@.monthly FOR SELECT
	USING ((SELECT @extschema@.sees_all()) OR registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]));

ALTER TABLE @extschema@.quarterly ENABLE ROW LEVEL SECURITY;
CREATE POLICY quarterly_read ON @extschema@.quarterly FOR SELECT
	USING ((SELECT @extschema@.sees_all()) OR registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]));

ALTER TABLE @extschema@.monthly_status ENABLE ROW LEVEL SECURITY;
CREATE POLICY monthly_status_read ON @extschema@.monthly_status FOR SELECT
	USING ((SELECT @extschema@.sees_all()) OR registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]));
