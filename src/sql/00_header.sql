-- bounce extension install script.
--
-- Assembled by make from src/sql/*.sql, one fragment per concern, in file
-- name order.  Every object lives in the extension's schema and is named
-- through @extschema@ (the extension is not relocatable), following the
-- PostgreSQL documentation's "Security Considerations for Extension
-- Scripts": no CREATE OR REPLACE, every function that runs SQL has the
-- search_path pg_catalog, pg_temp and names everything else with its
-- schema (operators of bounce's types too: OPERATOR(@extschema@.=)), and
-- the few SECURITY DEFINER functions (the registrars' reports, the
-- writers' ingestion) say why where they are defined, and are not granted
-- to PUBLIC.

\echo Use "CREATE EXTENSION bounce" to load this file. \quit

-- The views rely on security_invoker (PostgreSQL 15) for their row-level
-- security: an older server would run them with the owner's rights and
-- show every row to any role granted SELECT on them.  Refuse before
-- creating anything rather than install an extension that leaks.
DO $$
BEGIN
	IF pg_catalog.current_setting('server_version_num')::pg_catalog.int4 OPERATOR(pg_catalog.<) 150000 THEN
		RAISE EXCEPTION 'bounce needs PostgreSQL 15 or later, not %', pg_catalog.current_setting('server_version')
			USING ERRCODE = 'feature_not_supported',
				DETAIL = 'Its views are security_invoker views (PostgreSQL 15), so that row-level security applies to the reader.',
				HINT = 'Install bounce on a PostgreSQL 15, 16 or 17 server; the C code also builds on 13 and 14.';
	END IF;
END $$;

-- The schema must be bounce's alone.  CREATE EXTENSION makes it, owned by
-- the installing role, or reuses one that exists.  A schema someone else
-- owns, or may create objects in, lets that role put a function or
-- operator in bounce's way (an exact match such as date_trunc(text, date)
-- beats pg_catalog's) and have it run with the owner's rights, often a
-- superuser's: refuse it, and one that already holds objects, before
-- anything is created.  Everything here is schema-qualified: the
-- search_path is the schema being checked.
DO $$
DECLARE
	v_nsp oid := '@extschema@'::pg_catalog.regnamespace;
	v_owner oid;
	v_me oid := (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER);
	v_creators text;
	v_objects text;
BEGIN
	SELECT n.nspowner INTO v_owner FROM pg_catalog.pg_namespace n WHERE n.oid OPERATOR(pg_catalog.=) v_nsp;
	IF v_owner OPERATOR(pg_catalog.<>) v_me THEN
		RAISE EXCEPTION 'schema @extschema@ is owned by role %, not by %, who installs bounce',
				v_owner::pg_catalog.regrole, CURRENT_USER
			USING ERRCODE = 'insufficient_privilege',
				DETAIL = 'Its owner could put functions or operators in bounce''s way, which would run with the rights of bounce''s owner.',
				HINT = 'Drop that schema (or ALTER SCHEMA @extschema@ OWNER TO the installing role after checking what it holds), then create the extension again.';
	END IF;
	SELECT pg_catalog.string_agg(CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
	                                  ELSE a.grantee::pg_catalog.regrole::pg_catalog.text END, ', ')
	  INTO v_creators
	  FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
	 WHERE n.oid OPERATOR(pg_catalog.=) v_nsp AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
	   AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner;
	IF v_creators IS NOT NULL THEN
		RAISE EXCEPTION 'other roles may create objects in schema @extschema@: %', v_creators
			USING ERRCODE = 'insufficient_privilege',
				DETAIL = 'They could put functions or operators in bounce''s way, which would run with the rights of bounce''s owner.',
				HINT = pg_catalog.format('REVOKE CREATE ON SCHEMA @extschema@ FROM %s; then create the extension again.', v_creators);
	END IF;
	SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ')
	  INTO v_objects
	  FROM pg_catalog.pg_depend d
	 WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
	   AND d.refobjid OPERATOR(pg_catalog.=) v_nsp
	   AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass;
	IF v_objects IS NOT NULL THEN
		RAISE EXCEPTION 'schema @extschema@ already holds objects: %', pg_catalog.left(v_objects, 200)
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = 'bounce installs into a schema of its own: objects already there could be picked up in its place.',
				HINT = 'Move or drop them, then create the extension again.';
	END IF;
END $$;

-- Every text bounce handles is Unicode: addresses and diagnostics in any
-- script, and the block characters of the trend sparklines.  In another
-- database encoding the refresh would fail on the first sparkline, so the
-- install stops here instead.  (The control file says encoding = UTF8 and
-- this script is ASCII, so that this check runs in any database encoding;
-- the Makefile refuses a script with a non-ASCII byte.)
DO $$
BEGIN
	IF pg_catalog.current_setting('server_encoding') OPERATOR(pg_catalog.<>) 'UTF8' THEN
		RAISE EXCEPTION 'bounce needs a UTF8 database, not %', pg_catalog.current_setting('server_encoding')
			USING ERRCODE = 'feature_not_supported',
				DETAIL = 'Addresses, diagnostics and the trend sparklines of the scores are Unicode text.',
				HINT = 'Create the database with encoding UTF8 (createdb -E UTF8 -T template0) and install bounce there.';
	END IF;
END $$;

COMMENT ON SCHEMA @extschema@ IS 'bounce: bounce classification, recurring-bounce flags and registrar scoring';

-- The helpers no one calls by name -- trigger functions, the steps of
-- refresh(), the ingest checks, the grant functions' internals and the
-- input, output and operator support functions of smtp_status -- live in a
-- schema of their own, so that \df bounce.* lists what users call.  The
-- extension creates it (CREATE SCHEMA fails if it exists: a schema someone
-- else made could hold objects in bounce's way) and owns it; no one but the
-- owner has any privilege on it.  Everything calls them schema-qualified,
-- parsed when bounce's own functions, views and triggers are created or
-- run with the owner's rights.
CREATE SCHEMA bounce_internal;
COMMENT ON SCHEMA bounce_internal IS 'bounce: internal helpers of the bounce extension (triggers, refresh steps, type support); not called directly';
