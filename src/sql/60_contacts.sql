-- ---------------------------------------------------------------------
-- Contacts: which registrar's registration (domain) used an e-mail
-- address, and when.  record_bounce() and the other writers attribute a bounce
-- given no registrars (NULL) to the registrars whose contacts used its
-- address at its time (52_registry_ingest.sql, 55_record_dsn.sql,
-- 58_ingest_batch.sql), and keep the domains in attribution.domains,
-- which fix_list shows.
--
-- The table is keyed by address first, so that it can be distributed by
-- address beside event.  No two rows of one address, registrar and
-- domain overlap in time: an exclusion constraint would need btree_gist
-- (and Citus accepts one only on the distribution column), so
-- load_contacts(), the one way a writer fills the table, merges
-- overlapping and adjacent spans before it writes.
-- ---------------------------------------------------------------------

CREATE TABLE @extschema@.contact (
	address text NOT NULL CHECK (@extschema@.address_problem(address) IS NULL),
	registrar_id integer NOT NULL REFERENCES @extschema@.registrar,
	domain text NOT NULL CHECK (btrim(domain) <> ''),
	valid tstzrange NOT NULL CHECK (NOT isempty(valid)),
	PRIMARY KEY (address, registrar_id, domain, valid)
);
CREATE INDEX contact_registrar_idx ON @extschema@.contact (registrar_id);
COMMENT ON TABLE @extschema@.contact IS 'which registrar''s registration (domain) used an e-mail address, and when: bounces recorded without registrars (NULL) are attributed from it; filled by load_contacts(), which keeps the spans of one address, registrar and domain from overlapping';
COMMENT ON COLUMN @extschema@.contact.address IS 'the e-mail address, as normalize_address() gives it';
COMMENT ON COLUMN @extschema@.contact.registrar_id IS 'the registrar whose registration used it';
COMMENT ON COLUMN @extschema@.contact.domain IS 'the registered domain name (shown by fix_list)';
COMMENT ON COLUMN @extschema@.contact.valid IS 'when the registration used the address, [from, to); an unbounded end: still in use';

ALTER TABLE @extschema@.contact ENABLE ROW LEVEL SECURITY;
CREATE POLICY contact_read ON @extschema@.contact FOR SELECT TO CURRENT_USER USING (true);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.contact', '');

-- Replace the contacts (all, or one registrar's) by those of a table or
-- view of the registry's own, in one statement: rows that did not change
-- are neither deleted nor written again, so a daily pg_cron job costs
-- little.  SECURITY DEFINER, for writers (grant_writer()); the source is
-- read as the owner, so the session's role must itself be allowed to
-- read it.  An address normalize_address() refuses (a typing error in a
-- registrant's data) is skipped and counted, not an error: one bad
-- address must not stop the nightly load; any other bad row is an error
-- that names it, and nothing is written.
CREATE FUNCTION @extschema@.load_contacts(source regclass, registrar integer DEFAULT NULL,
		OUT inserted bigint, OUT deleted bigint, OUT unchanged bigint, OUT skipped bigint)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_missing text;
	v_bad text;
	v_state text;
	v_first text;
	v_type regtype;
BEGIN
	IF source IS NULL THEN
		RAISE EXCEPTION 'contact source must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT has_table_privilege(@extschema@.session_role(), source, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied to read the contact source %', source
			USING ERRCODE = 'insufficient_privilege',
				HINT = 'load_contacts reads the source as its caller may: grant SELECT on it to the role that calls it.';
	END IF;
	SELECT string_agg(c, ', ' ORDER BY o) INTO v_missing
	  FROM unnest(ARRAY['address', 'registrar_id', 'domain', 'valid']) WITH ORDINALITY AS w(c, o)
	 WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = source AND a.attname = w.c
	                      AND a.attnum > 0 AND NOT a.attisdropped);
	IF v_missing IS NOT NULL THEN
		RAISE EXCEPTION 'contact source % has no column %', source, v_missing
			USING ERRCODE = 'undefined_column',
				HINT = 'Give a table or view with columns address (text), registrar_id (integer), domain (text) and valid (tstzrange), e.g. a view over the registry''s tables with tstzrange(created, deleted) AS valid.';
	END IF;
	SELECT a.atttypid::regtype INTO v_type FROM pg_attribute a
	 WHERE a.attrelid = source AND a.attname = 'valid' AND NOT a.attisdropped;
	IF v_type <> 'tstzrange'::regtype THEN
		RAISE EXCEPTION 'column valid of the contact source % is of type %, not tstzrange', source, v_type
			USING ERRCODE = 'datatype_mismatch',
				HINT = 'Build it with tstzrange(from, to), e.g. tstzrange(created, deleted) AS valid.';
	END IF;
	IF registrar IS NOT NULL AND NOT EXISTS (SELECT FROM @extschema@.registrar g WHERE g.id = registrar) THEN
		RAISE EXCEPTION 'unknown registrar: %', registrar
			USING ERRCODE = 'foreign_key_violation', HINT = 'Add it to bounce.registrar first.';
	END IF;
	-- one load at a time; record_bounce() and the readers only read the table
	LOCK TABLE @extschema@.contact IN SHARE ROW EXCLUSIVE MODE;

	-- Check the rows in scope first, so that the error names one.
	EXECUTE format($q$
		SELECT CASE WHEN s.registrar_id IS NULL THEN '23502 registrar_id is NULL'
		            WHEN NOT EXISTS (SELECT FROM @extschema@.registrar g WHERE g.id = s.registrar_id)
		                 THEN '23503 unknown registrar ' || s.registrar_id
		            WHEN s.domain IS NULL OR btrim(s.domain::text) = '' THEN '23502 domain is NULL or empty'
		            WHEN s.valid IS NULL THEN '23502 valid is NULL' END
		       || pg_catalog.format(' (address "%%s", domain "%%s")', left(s.address::text, 80), left(s.domain::text, 80))
		  FROM %s s
		 WHERE ($1 IS NULL OR s.registrar_id = $1 OR s.registrar_id IS NULL AND $1 IS NULL)
		   AND (s.registrar_id IS NULL OR s.domain IS NULL OR btrim(s.domain::text) = '' OR s.valid IS NULL
		        OR NOT EXISTS (SELECT FROM @extschema@.registrar g WHERE g.id = s.registrar_id))
		 LIMIT 1 $q$, source) INTO v_bad USING registrar;
	IF v_bad IS NOT NULL THEN
		RAISE EXCEPTION 'contact source %: %', source, substr(v_bad, 7)
			USING ERRCODE = left(v_bad, 5), DETAIL = 'No contact was changed.';
	END IF;

	-- Spans are taken as [lower, upper); those of one address, registrar
	-- and domain that overlap or touch become one (gaps and islands).
	EXECUTE format($q$
		WITH src AS MATERIALIZED (	-- each address checked once
			SELECT y.*, CASE WHEN y.raw IS NULL THEN 'is NULL' ELSE @extschema@.address_problem(y.raw) END AS problem
			  FROM (SELECT s.address::text AS raw, s.registrar_id::integer AS r, btrim(s.domain::text) AS d,
			               coalesce(lower(s.valid::tstzrange), '-infinity') AS lo,
			               coalesce(upper(s.valid::tstzrange), 'infinity') AS hi
			          FROM %s s
			         WHERE ($1 IS NULL OR s.registrar_id = $1) AND NOT isempty(s.valid::tstzrange)) y
		), good AS (
			SELECT @extschema@.normalize_address(x.raw) AS a, x.r, x.d, x.lo, x.hi
			  FROM src x WHERE x.problem IS NULL AND x.lo < x.hi
		), ordered AS (
			SELECT g.*, max(g.hi) OVER (PARTITION BY g.a, g.r, g.d ORDER BY g.lo, g.hi
			                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_hi
			  FROM good g
		), islands AS (
			SELECT o.*, count(*) FILTER (WHERE o.prev_hi IS NULL OR o.lo > o.prev_hi)
			              OVER (PARTITION BY o.a, o.r, o.d ORDER BY o.lo, o.hi ROWS UNBOUNDED PRECEDING) AS island
			  FROM ordered o
		), merged AS (
			SELECT i.a, i.r, i.d,
			       tstzrange(nullif(min(i.lo), '-infinity'), nullif(max(i.hi), 'infinity')) AS valid
			  FROM islands i GROUP BY i.a, i.r, i.d, i.island
		), del AS (
			DELETE FROM @extschema@.contact c
			 WHERE ($1 IS NULL OR c.registrar_id = $1)
			   AND NOT EXISTS (SELECT FROM merged m WHERE m.a = c.address AND m.r = c.registrar_id
			                      AND m.d = c.domain AND m.valid = c.valid)
			RETURNING 1
		), ins AS (
			INSERT INTO @extschema@.contact (address, registrar_id, domain, valid)
			SELECT m.a, m.r, m.d, m.valid FROM merged m
			 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.contact c WHERE c.address = m.a AND c.registrar_id = m.r
			                      AND c.domain = m.d AND c.valid = m.valid)
			RETURNING 1
		)
		SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM del),
		       (SELECT count(*) FROM merged) - (SELECT count(*) FROM ins),
		       (SELECT count(*) FROM src x WHERE x.problem IS NOT NULL),
		       (SELECT min(left(x.raw, 80)) FROM src x WHERE x.raw IS NOT NULL AND x.problem IS NOT NULL) $q$, source)
		INTO inserted, deleted, unchanged, skipped, v_first USING registrar;
	IF skipped > 0 THEN
		RAISE NOTICE 'load_contacts skipped % rows of % without a usable address', skipped, source
			USING DETAIL = coalesce(format('The first malformed one is "%s".', v_first), 'Their address is NULL.');
	END IF;
END $$;
COMMENT ON FUNCTION @extschema@.load_contacts(regclass, integer) IS
	'replace the contacts, all or one registrar''s, by the rows of a table or view (columns address, registrar_id, domain, valid tstzrange) in one statement; merges overlapping spans; skips and counts rows without a usable address; returns how many rows were inserted, deleted, left unchanged and skipped; bad rows are an error naming one, and nothing changes';
REVOKE EXECUTE ON FUNCTION @extschema@.load_contacts(regclass, integer) FROM PUBLIC;
