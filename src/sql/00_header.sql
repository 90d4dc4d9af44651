-- bounce extension install script.
--
-- Assembled by make from src/sql/*.sql, one fragment per concern, in file
-- name order.  Every object lives in the extension's schema and is named
-- through @extschema@ (the extension is not relocatable), following the
-- PostgreSQL documentation's "Security Considerations for Extension
-- Scripts": no CREATE OR REPLACE, no SECURITY DEFINER, and every function
-- that runs SQL has a fixed search_path.

\echo Use "CREATE EXTENSION bounce" to load this file. \quit

-- The registrar views rely on security_invoker (PostgreSQL 15) for their
-- row-level security: an older server would run them with the owner's
-- rights and show every registrar everything.  Refuse before creating
-- anything rather than install an extension that leaks.
DO $$
BEGIN
	IF current_setting('server_version_num')::integer < 150000 THEN
		RAISE EXCEPTION 'bounce needs PostgreSQL 15 or later, not %', current_setting('server_version')
			USING ERRCODE = 'feature_not_supported',
				DETAIL = 'Its registrar views are security_invoker views (PostgreSQL 15), so that row-level security applies to the reader.',
				HINT = 'Install bounce on a PostgreSQL 15, 16 or 17 server; the C code also builds on 13 and 14.';
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
	IF current_setting('server_encoding') <> 'UTF8' THEN
		RAISE EXCEPTION 'bounce needs a UTF8 database, not %', current_setting('server_encoding')
			USING ERRCODE = 'feature_not_supported',
				DETAIL = 'Addresses, diagnostics and the trend sparklines of the scores are Unicode text.',
				HINT = 'Create the database with encoding UTF8 (createdb -E UTF8 -T template0) and install bounce there.';
	END IF;
END $$;

COMMENT ON SCHEMA @extschema@ IS 'bounce: bounce classification, recurring-bounce flags and registrar scoring';
