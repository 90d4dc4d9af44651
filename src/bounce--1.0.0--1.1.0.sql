\echo Use "ALTER EXTENSION bounce UPDATE" to load this file. \quit

-- =====================================================================
-- Ingestion: contacts, load_registrations, record_esp_event, is_new
-- (src/sql/52, 54, 55, 56, 57, 58, 60, 61 and 62).  A changed function
-- is dropped and created again (no CREATE OR REPLACE); the privileges
-- that drops take from the writers and registrars are given back at the
-- end of this block by grant_writer() and grant_registrar().
-- =====================================================================

ALTER TABLE @extschema@.attribution ADD COLUMN domains text[];
COMMENT ON COLUMN @extschema@.attribution.domains IS 'the domains of the registrar''s contacts (contact) that used the address at the bounce''s time, when the bounce was attributed from them (registrars NULL); NULL when the caller named the registrar';

-- =====================================================================
-- Keys with the address (src/sql/50_registry_tables.sql)
--
-- The bounces' tables are keyed with the address, the column a Citus
-- cluster distributes them by (doc/scaling.md): event's primary key is
-- (address, id) and its idempotency key is unique per address, with a
-- plain index on id; attribution and pending carry the address (added
-- last, after attribution.domains, and filled from event), and
-- attribution keeps an index on event_id for the refresh.  The
-- functions that go by these keys are made again below: the writers in
-- the ingestion block, the refresh and my_flagged_event() after it.
-- =====================================================================

-- ---- keys -------------------------------------------------------------
ALTER TABLE @extschema@.attribution DROP CONSTRAINT attribution_event_id_fkey;
ALTER TABLE @extschema@.attribution DROP CONSTRAINT attribution_pkey;
ALTER TABLE @extschema@.event DROP CONSTRAINT event_pkey;
ALTER TABLE @extschema@.event DROP CONSTRAINT event_idempotency_key_key;
ALTER TABLE @extschema@.event ADD CONSTRAINT event_pkey PRIMARY KEY (address, id);
ALTER TABLE @extschema@.event ADD CONSTRAINT event_idempotency_key_key UNIQUE (address, idempotency_key);
CREATE INDEX event_id_idx ON @extschema@.event (id);
ALTER TABLE @extschema@.attribution ADD COLUMN address text;
UPDATE @extschema@.attribution a SET address = e.address FROM @extschema@.event e WHERE e.id = a.event_id;
ALTER TABLE @extschema@.attribution ALTER COLUMN address SET NOT NULL;
ALTER TABLE @extschema@.attribution ADD CONSTRAINT attribution_pkey PRIMARY KEY (address, event_id, registrar_id);
CREATE INDEX attribution_event_idx ON @extschema@.attribution (event_id) INCLUDE (registrar_id);
ALTER TABLE @extschema@.attribution ADD CONSTRAINT attribution_address_event_id_fkey
	FOREIGN KEY (address, event_id) REFERENCES @extschema@.event (address, id) ON DELETE CASCADE;
ALTER TABLE @extschema@.pending ADD COLUMN address text;
UPDATE @extschema@.pending p SET address = e.address FROM @extschema@.event e WHERE e.id = p.event_id;
-- a queued bounce deleted since (none in bounce's own use) leaves nothing to refresh
DELETE FROM @extschema@.pending WHERE address IS NULL;
ALTER TABLE @extschema@.pending ALTER COLUMN address SET NOT NULL;

COMMENT ON COLUMN @extschema@.event.idempotency_key IS 'the source''s unique key of the bounce, e.g. Message-ID plus recipient; unique per address: a key repeated for the same address is not recorded again';
COMMENT ON COLUMN @extschema@.attribution.address IS 'the bounce''s address (as in event): the key a Citus cluster distributes by';
COMMENT ON COLUMN @extschema@.pending.address IS 'the bounce''s address: the key a Citus cluster distributes by';

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

-- ---------------------------------------------------------------------
-- Month-end registration counts from the registry's own domain table.
-- record_registration() (52_registry_ingest.sql) records one number;
-- load_registrations() counts them, for every registrar of a table or
-- view of domains with their created and deleted times, and writes them
-- into registration, whose triggers queue the quarters to rescore.
-- ---------------------------------------------------------------------

-- A domain counts at the end of a month when it was created before the
-- month's end and not deleted by then (deleted NULL: still registered);
-- the month ends at midnight in config.time_zone, as every month
-- boundary of bounce does.  A registrar of the source with no domain at a
-- month's end gets 0; registrars absent from the source are left alone.
-- Only months that have ended are counted.  SECURITY DEFINER, for
-- writers (grant_writer()); the source is read as the owner, so the
-- session's role must itself be allowed to read it.
CREATE FUNCTION @extschema@.load_registrations(domains regclass, from_month date DEFAULT NULL,
		to_month date DEFAULT NULL,
		OUT months integer, OUT inserted bigint, OUT updated bigint, OUT unchanged bigint)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_tz text;
	v_last date;
	v_from date;
	v_to date;
	v_missing text;
	v_expr text[] := '{}';
	v_col text;
	v_type regtype;
	v_bad text;
BEGIN
	IF domains IS NULL THEN
		RAISE EXCEPTION 'domain source must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT has_table_privilege(@extschema@.session_role(), domains, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied to read the domain source %', domains
			USING ERRCODE = 'insufficient_privilege',
				HINT = 'load_registrations reads the source as its caller may: grant SELECT on it to the role that calls it.';
	END IF;
	SELECT string_agg(c, ', ' ORDER BY o) INTO v_missing
	  FROM unnest(ARRAY['registrar_id', 'created', 'deleted']) WITH ORDINALITY AS w(c, o)
	 WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = domains AND a.attname = w.c
	                      AND a.attnum > 0 AND NOT a.attisdropped);
	IF v_missing IS NOT NULL THEN
		RAISE EXCEPTION 'domain source % has no column %', domains, v_missing
			USING ERRCODE = 'undefined_column',
				HINT = 'Give a table or view with one row per domain and columns registrar_id (integer), created and deleted (timestamptz, timestamp or date; deleted NULL while registered).';
	END IF;
	-- created and deleted as instants: a date or a timestamp without zone
	-- is read in config.time_zone, whatever the session's TimeZone
	SELECT c.time_zone INTO v_tz FROM @extschema@.config c;
	FOREACH v_col IN ARRAY ARRAY['created', 'deleted'] LOOP
		SELECT a.atttypid::regtype INTO v_type FROM pg_attribute a WHERE a.attrelid = domains AND a.attname = v_col;
		IF v_type = 'timestamptz'::regtype THEN
			v_expr := v_expr || format('s.%I', v_col);
		ELSIF v_type IN ('timestamp'::regtype, 'date'::regtype) THEN
			v_expr := v_expr || format('(s.%I::timestamp AT TIME ZONE %L)', v_col, v_tz);
		ELSE
			RAISE EXCEPTION 'column % of the domain source % is of type %, not a time', v_col, domains, v_type
				USING ERRCODE = 'datatype_mismatch',
					HINT = 'created and deleted must be timestamptz, timestamp or date.';
		END IF;
	END LOOP;

	-- the months: the last one that has ended, unless told
	v_last := (date_trunc('month', now() AT TIME ZONE v_tz) - interval '1 month')::date;
	v_to := coalesce(to_month, from_month, v_last);
	v_from := coalesce(from_month, v_to);
	IF v_from <> date_trunc('month', v_from)::date OR v_to <> date_trunc('month', v_to)::date THEN
		RAISE EXCEPTION 'months must be given as their first day, not %',
				CASE WHEN v_from <> date_trunc('month', v_from)::date THEN v_from ELSE v_to END
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Give e.g. 2025-03-01 for March.';
	END IF;
	IF v_from > v_to THEN
		RAISE EXCEPTION 'from_month % is after to_month %', v_from, v_to
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF v_to > v_last THEN
		RAISE EXCEPTION 'month % has not ended yet (in %)', v_to, v_tz
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('The last month that has ended is %s.', v_last),
				HINT = 'A month-end count is taken once the month is over.';
	END IF;
	IF v_from < '1970-01-01' THEN
		RAISE EXCEPTION 'month % is before 1970-01-01', v_from
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	-- Check the rows, so that the error names one.
	EXECUTE format($q$
		SELECT CASE WHEN s.registrar_id IS NULL THEN '23502 registrar_id is NULL'
		            WHEN NOT EXISTS (SELECT FROM @extschema@.registrar g WHERE g.id = s.registrar_id)
		                 THEN '23503 unknown registrar ' || s.registrar_id
		            WHEN %1$s IS NULL THEN '23502 created is NULL'
		            ELSE '22023 ' || pg_catalog.format('deleted %%s is before created %%s', %2$s, %1$s) END
		  FROM %3$s s
		 WHERE s.registrar_id IS NULL OR %1$s IS NULL OR %2$s < %1$s
		    OR NOT EXISTS (SELECT FROM @extschema@.registrar g WHERE g.id = s.registrar_id)
		 LIMIT 1 $q$, v_expr[1], v_expr[2], domains) INTO v_bad;
	IF v_bad IS NOT NULL THEN
		RAISE EXCEPTION 'domain source %: %', domains, substr(v_bad, 7)
			USING ERRCODE = left(v_bad, 5), DETAIL = 'No registration was changed.';
	END IF;

	months := (extract(year FROM age(v_to, v_from)) * 12 + extract(month FROM age(v_to, v_from)))::integer + 1;
	EXECUTE format($q$
		WITH m AS (
			SELECT x::date AS month, (x + interval '1 month') AT TIME ZONE $3 AS month_end
			  FROM generate_series($1::timestamp, $2::timestamp, interval '1 month') x
		), src AS (
			SELECT s.registrar_id::integer AS r, %1$s AS c, %2$s AS d FROM %3$s s
		), n AS (
			SELECT m.month, s.r, count(*) AS registrations
			  FROM src s JOIN m ON s.c < m.month_end AND (s.d IS NULL OR s.d >= m.month_end)
			 GROUP BY m.month, s.r
		), counted AS (
			SELECT m.month, g.r, coalesce(n.registrations, 0) AS registrations
			  FROM m CROSS JOIN (SELECT DISTINCT s.r FROM src s) g
			  LEFT JOIN n ON n.month = m.month AND n.r = g.r
		), up AS (
			INSERT INTO @extschema@.registration AS t (registrar_id, month, registrations)
			SELECT c.r, c.month, c.registrations FROM counted c ORDER BY c.r, c.month
			ON CONFLICT ON CONSTRAINT registration_pkey DO UPDATE SET registrations = excluded.registrations
			 WHERE t.registrations IS DISTINCT FROM excluded.registrations
			RETURNING t.xmax = 0 AS is_new
		)
		SELECT count(*) FILTER (WHERE up.is_new), count(*) FILTER (WHERE NOT up.is_new),
		       (SELECT count(*) FROM counted) - count(*)
		  FROM up $q$, v_expr[1], v_expr[2], domains)
		INTO inserted, updated, unchanged USING v_from, v_to, v_tz;
END $$;
COMMENT ON FUNCTION @extschema@.load_registrations(regclass, date, date) IS
	'count the registrations at the end of each month from from_month to to_month (first days; default: the last month that has ended) for every registrar of a domain table or view (columns registrar_id, created, deleted; deleted NULL while registered; month ends in config.time_zone) and write them into registration; returns the months and how many rows were inserted, updated and left unchanged; bad rows are an error naming one, and nothing changes';
REVOKE EXECUTE ON FUNCTION @extschema@.load_registrations(regclass, date, date) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- record_esp_event: record what parse_esp_event (59_esp.sql) reads from an
-- e-mail service provider's webhook payload, as record_dsn
-- (55_record_dsn.sql) records a bounce e-mail: the same outcomes, the
-- same registrars rule (NULL: from contact), is_new, all or nothing.
-- ---------------------------------------------------------------------

-- Each failed recipient is recorded by record_event(), keyed by the
-- provider, its id of the message sent (else of the event; else the
-- SHA-256 of the payload and the event's position) and the recipient, so
-- that a webhook the provider posts again records nothing new.  A
-- failure the provider calls permanent without giving a code is stored
-- with status 5.0.0 (RFC 3463: other or undefined permanent failure), so
-- that it counts as the provider says; the reason is the provider's
-- category's, else the classifier's.  Complaints, auto-replies,
-- deliveries and delays are reported, not recorded.  A malformed
-- payload is parse_esp_event's error (naming the event and the field),
-- and nothing is recorded; a row record_bounce() refuses stops the call, naming
-- its event.
CREATE FUNCTION @extschema@.record_esp_event(event jsonb, registrars integer[],
		occurred_at timestamptz DEFAULT NULL)
	RETURNS TABLE (element integer, recipient text, action text, status @extschema@.smtp_status,
	               reply_code integer, format text, outcome text, bounce_id bigint, is_new boolean)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	d record;
	v_any boolean := false;
	v_key text;
	v_id text;
	v_problem text;
	v_state text;
	v_text text;
	v_detail text;
	r_el integer[] := '{}';
	r_rcpt text[] := '{}';
	r_action text[] := '{}';
	r_status @extschema@.smtp_status[] := '{}';
	r_code integer[] := '{}';
	r_format text[] := '{}';
	r_outcome text[] := '{}';
	r_id bigint[] := '{}';
	r_new boolean[] := '{}';
	v_bid bigint;
	v_isnew boolean;
	v_outcome text;
	v_el integer;
	v_rcpt text;
BEGIN
	IF event IS NULL THEN
		RAISE EXCEPTION 'ESP event must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF registrars IS NULL AND NOT EXISTS (SELECT 1 FROM @extschema@.contact) THEN
		RAISE EXCEPTION 'bounce registrars must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'NULL attributes the bounces from the contacts, and none is loaded.',
				HINT = 'Pass an empty array, ''{}'', for bounces that count against no registrar, or load the contacts with load_contacts().';
	END IF;
	BEGIN
		FOR d IN SELECT * FROM @extschema@.parse_esp_event(event) LOOP
			v_any := true;
			v_el := d.element;
			v_rcpt := d.recipient;
			v_bid := NULL;
			v_isnew := NULL;
			v_problem := @extschema@.address_problem(d.recipient);
			IF d.reason = 'feedback' THEN
				v_outcome := 'not a bounce: feedback report';
			ELSIF d.action IS NULL AND d.reason = 'vacation' THEN
				v_outcome := 'not a bounce: auto-reply';
			ELSIF d.action IN ('delivered', 'relayed', 'expanded') THEN
				v_outcome := 'not a bounce: ' || d.action;
			ELSIF d.action = 'delayed' THEN
				v_outcome := 'not a bounce: delivery delayed';
			ELSIF d.action IS DISTINCT FROM 'failed' THEN
				v_outcome := 'not a bounce: action ' || coalesce(d.action, 'missing');
			ELSIF v_problem IS NOT NULL THEN
				v_outcome := 'skipped: ' || v_problem;
			ELSE
				v_id := coalesce(d.message_id, d.event_id);
				v_id := CASE WHEN v_id IS NULL
				             THEN 'sha256:' || encode(sha256(convert_to(event::text, 'UTF8')), 'hex') || '#' || d.element
				             WHEN octet_length(v_id) > 255
				             THEN 'sha256:' || encode(sha256(convert_to(v_id, 'UTF8')), 'hex')
				             ELSE v_id END;
				v_key := d.format || ':' || v_id || ' ' || lower(d.recipient);
				SELECT r.bounce_id, r.is_new INTO v_bid, v_isnew
				  FROM bounce_internal.record_event(v_key, d.recipient,
					coalesce(record_esp_event.occurred_at, d.occurred_at, now()), registrars,
					d.reply_code,
					coalesce(d.status, CASE WHEN d.permanent THEN '5.0.0'::@extschema@.smtp_status END)::text,
					d.diagnostic, coalesce(d.remote_mta, d.reporting_mta), NULL, d.reason) r;
				v_outcome := 'recorded';
			END IF;
			r_el := r_el || d.element;
			r_rcpt := r_rcpt || d.recipient;
			r_action := r_action || d.action;
			r_status := r_status || d.status;
			r_code := r_code || d.reply_code;
			r_format := r_format || d.format;
			r_outcome := r_outcome || v_outcome;
			r_id := r_id || v_bid;
			r_new := r_new || v_isnew;
		END LOOP;
	EXCEPTION WHEN OTHERS THEN
		-- parse_esp_event names the event itself; a refused row is named here
		GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_text = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
		IF v_el IS NULL OR v_text LIKE 'invalid ESP event%' THEN
			RAISE;
		END IF;
		RAISE EXCEPTION 'ESP event %, recipient "%": %', v_el, left(v_rcpt, 80), v_text
			USING ERRCODE = v_state,
				DETAIL = coalesce(nullif(v_detail, '') || '  ', '') || 'Nothing of the payload was recorded.';
	END;
	IF NOT v_any THEN
		RETURN QUERY SELECT NULL::integer, NULL::text, NULL::text, NULL::@extschema@.smtp_status, NULL::integer,
		                    NULL::text, 'not a bounce: no delivery event'::text, NULL::bigint, NULL::boolean;
		RETURN;
	END IF;
	RETURN QUERY
	SELECT * FROM unnest(r_el, r_rcpt, r_action, r_status, r_code, r_format, r_outcome, r_id, r_new);
END $$;
COMMENT ON FUNCTION @extschema@.record_esp_event(jsonb, integer[], timestamptz) IS
	'record the failed recipients of an e-mail service provider''s event, or of each event of a batch, as record_dsn records a bounce e-mail: one row per recipient parse_esp_event reads (element: the event''s position), with its outcome, bounce id and is_new; key: provider, message id (else event id) and recipient; time: occurred_at, else the event''s; registrars NULL: from contact; a permanent failure without a code is stored as 5.0.0; complaints, auto-replies, deliveries and delays are reported, not recorded; all or nothing';
-- It writes the registry's tables, as record_bounce() does: writers only.
REVOKE EXECUTE ON FUNCTION @extschema@.record_esp_event(jsonb, integer[], timestamptz) FROM PUBLIC;

DROP FUNCTION @extschema@.record_bounce(text, text, timestamptz, integer[], integer, text, text, text, text, @extschema@.reason);
-- Record one bounce.  Validates everything before writing; a repeated
-- idempotency key returns the existing id, is_new false, and writes
-- nothing.  Internal to record_bounce(), record_dsn() and record_esp_event(), which run it as the
-- owner (SECURITY DEFINER); it tells them whether the bounce is new,
-- which the id alone cannot (a concurrent caller may insert the key
-- between a look-up and the insert).  registrars NULL: each registrar
-- whose contacts (contact) used the address at the bounce's time, with
-- their domains; no such contact, no registrar.
CREATE FUNCTION bounce_internal.record_event(idempotency_key text, address text, occurred_at timestamptz,
		registrars integer[], reply_code integer, status text, diagnostic text,
		remote_host text, command text, reason @extschema@.reason,
		OUT bounce_id bigint, OUT is_new boolean)
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_id bigint;
	v_addr text;
	v_reason @extschema@.reason;
	v_bad integer;
	v_tol interval;
	v_status @extschema@.smtp_status := status;	-- 22P02 naming a bad code
	v_key text := @extschema@.normalize_key(idempotency_key);
	v_code integer;
	v_parsed @extschema@.classification;
BEGIN
	IF v_key IS NULL OR v_key = '' THEN
		RAISE EXCEPTION 'bounce idempotency key must not be empty'
			USING ERRCODE = 'null_value_not_allowed',
				HINT = 'Use the source''s unique key of the bounce, e.g. its Message-ID plus the recipient.';
	END IF;
	IF @extschema@.key_problem(v_key) IS NOT NULL THEN
		RAISE EXCEPTION 'bounce idempotency key %', @extschema@.key_problem(v_key)
			USING ERRCODE = 'string_data_right_truncation',
				HINT = 'Use a shorter key; a long one can be hashed, e.g. encode(sha256(convert_to(key, ''UTF8'')), ''hex'').';
	END IF;
	IF address IS NULL THEN
		RAISE EXCEPTION 'bounce address must not be NULL (key "%")', left(idempotency_key, 80)
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	v_addr := @extschema@.normalize_address(address);
	IF occurred_at IS NULL OR NOT isfinite(occurred_at) THEN
		RAISE EXCEPTION 'bounce time must be a finite timestamp, not %', coalesce(occurred_at::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- the oldest bounce time accepted (and the table's CHECK): a date of
	-- the Julian period's first days would break every later refresh
	IF occurred_at < '1970-01-01 00:00+00' THEN
		RAISE EXCEPTION 'bounce time % is before 1970-01-01, the oldest accepted', occurred_at
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Check the date and its format at the source.';
	END IF;
	SELECT c.future_tolerance INTO v_tol FROM @extschema@.config c;
	IF occurred_at > now() + coalesce(v_tol, '0') THEN
		RAISE EXCEPTION 'bounce time % is in the future', occurred_at
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('now() is %s; config.future_tolerance allows %s.', now(), coalesce(v_tol, '0')),
				HINT = 'Check the clock and time zone of the source.';
	END IF;
	IF reply_code IS NOT NULL THEN
		PERFORM bounce_internal.reply_code_check(reply_code);
	END IF;
	-- NULL: from the contacts; with none loaded, NULL is a caller's bug
	-- (a bounce silently counted against nobody), as it always was
	IF registrars IS NULL AND NOT EXISTS (SELECT 1 FROM @extschema@.contact) THEN
		RAISE EXCEPTION 'bounce registrars must not be NULL (key "%")', left(v_key, 80)
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'NULL attributes the bounce from the contacts, and none is loaded.',
				HINT = 'Pass an empty array, ''{}'', for a bounce that counts against no registrar, or load the contacts with load_contacts().';
	END IF;
	IF array_position(registrars, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'registrars must not contain NULL: %', registrars
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT min(r) INTO v_bad FROM unnest(registrars) r
	 WHERE NOT EXISTS (SELECT FROM @extschema@.registrar g WHERE g.id = r);
	IF v_bad IS NOT NULL THEN
		RAISE EXCEPTION 'unknown registrar: %', v_bad
			USING ERRCODE = 'foreign_key_violation',
				HINT = 'Add it to bounce.registrar first.';
	END IF;

	-- A code the caller does not give is the one the classifier reads from
	-- the diagnostic text, so that a bounce known only by its text is
	-- permanent (and counted) when the text says so.  The reason the source
	-- states itself wins; else the classifier's.
	v_parsed := @extschema@.classify_explain(diagnostic, reply_code, v_status, command, remote_host);
	v_code := coalesce(record_event.reply_code, v_parsed.reply_code);
	v_status := coalesce(v_status, v_parsed.status);
	v_reason := coalesce(record_event.reason, v_parsed.reason, 'undefined');
	INSERT INTO @extschema@.event AS e (idempotency_key, address, occurred_at, reply_code, status,
	                                    diagnostic, reason, hard, permanent)
	VALUES (v_key, v_addr, record_event.occurred_at, v_code, v_status,
	        record_event.diagnostic, v_reason, @extschema@.is_hard(v_reason, v_code, v_status),
	        @extschema@.is_permanent(v_code, v_status))
	ON CONFLICT ON CONSTRAINT event_idempotency_key_key DO NOTHING
	RETURNING e.id INTO v_id;
	IF v_id IS NULL THEN
		SELECT e.id INTO bounce_id FROM @extschema@.event e WHERE e.address = v_addr AND e.idempotency_key = v_key;
		is_new := false;
		RETURN;
	END IF;
	IF registrars IS NULL THEN
		INSERT INTO @extschema@.attribution (address, event_id, registrar_id, domains)
		SELECT v_addr, v_id, c.registrar_id, array_agg(DISTINCT c.domain ORDER BY c.domain)
		  FROM @extschema@.contact c
		 WHERE c.address = v_addr AND c.valid @> record_event.occurred_at
		 GROUP BY c.registrar_id;
	ELSE
		INSERT INTO @extschema@.attribution (address, event_id, registrar_id)
		SELECT DISTINCT v_addr, v_id, r FROM unnest(registrars) r;
	END IF;
	INSERT INTO @extschema@.pending (address, event_id) VALUES (v_addr, v_id);
	bounce_id := v_id;
	is_new := true;
END $$;
COMMENT ON FUNCTION bounce_internal.record_event(text, text, timestamptz, integer[], integer, text, text, text, text, @extschema@.reason) IS
	'internal to record_bounce(), record_dsn() and record_esp_event(): record one bounce as record_bounce() does and say whether it is new';
REVOKE EXECUTE ON FUNCTION bounce_internal.record_event(text, text, timestamptz, integer[], integer, text, text, text, text, @extschema@.reason) FROM PUBLIC;

-- Record one bounce (record_event() does it) and return its id.
CREATE FUNCTION @extschema@.record_bounce(idempotency_key text, address text, occurred_at timestamptz,
		registrars integer[], reply_code integer DEFAULT NULL,
		status text DEFAULT NULL, diagnostic text DEFAULT NULL,
		remote_host text DEFAULT NULL, command text DEFAULT NULL,
		reason @extschema@.reason DEFAULT NULL)
	RETURNS bigint
	LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$ SELECT r.bounce_id FROM bounce_internal.record_event(idempotency_key, address, occurred_at, registrars,
	        reply_code, status, diagnostic, remote_host, command, reason) r $$;
COMMENT ON FUNCTION @extschema@.record_bounce(text, text, timestamptz, integer[], integer, text, text, text, text, @extschema@.reason) IS
	'record one bounce against its registrars (''{}'': none; NULL: the registrars whose contacts used the address at the bounce''s time, none if no contact) and return its id; a reply code or status not given is the one the diagnostic text states (as classify_explain() reads it), stored in the event; reason: the one the source states itself, e.g. an MTA''s bounce category, else the classifier''s; a repeated idempotency key returns the existing id and writes nothing; bad input is an error and writes nothing';
REVOKE EXECUTE ON FUNCTION @extschema@.record_bounce(text, text, timestamptz, integer[], integer, text, text, text, text, @extschema@.reason) FROM PUBLIC;

DROP FUNCTION @extschema@.record_batch(jsonb);
-- Record a jsonb array of bounces; all or nothing.
CREATE FUNCTION @extschema@.record_batch(bounces jsonb)
	RETURNS TABLE (element integer, bounce_id bigint, is_new boolean)
	LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_el integer;
	v_problem text;
	v_code text;
	v_ord integer[];
	v_ids bigint[];
	v_new boolean[];
	v_keys text[];
	v_addrs text[];
	v_tol interval;
	v_time timestamptz;
	v_text text;
	v_contacts boolean;
BEGIN
	IF jsonb_typeof(bounces) <> 'array' THEN
		RAISE EXCEPTION 'record_batch expects a JSON array, not a JSON %', jsonb_typeof(bounces)
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass [{"key": ..., "address": ..., "occurred_at": ..., "registrars": [...], "reply_code": ..., "status": ..., "diagnostic": ...}, ...].';
	END IF;
	SELECT c.future_tolerance INTO v_tol FROM @extschema@.config c;
	v_contacts := EXISTS (SELECT 1 FROM @extschema@.contact);

	-- Validate every element first, so the error names the element.
	SELECT o, substr(p, 7), left(p, 5) INTO v_el, v_problem, v_code FROM (
		SELECT o::integer, rr.p
		  FROM jsonb_array_elements(bounces) WITH ORDINALITY AS j(v, o),
		  LATERAL (SELECT CASE
			WHEN jsonb_typeof(v) <> 'object' THEN '22023 is not a JSON object'
			WHEN EXISTS (SELECT FROM jsonb_object_keys(v) k WHERE k NOT IN
					('key', 'address', 'occurred_at', 'registrars', 'reply_code', 'status', 'diagnostic', 'remote_host', 'command'))
				THEN '22023 ' || format('unknown field "%s"', (SELECT min(k) FROM jsonb_object_keys(v) k WHERE k NOT IN
					('key', 'address', 'occurred_at', 'registrars', 'reply_code', 'status', 'diagnostic', 'remote_host', 'command')))
			WHEN coalesce(@extschema@.normalize_key(v->>'key'), '') = '' THEN '22004 "key" (the idempotency key) is missing or empty'
			WHEN @extschema@.key_problem(v->>'key') IS NOT NULL THEN '22001 "key" ' || @extschema@.key_problem(v->>'key')
			WHEN v->>'address' IS NULL THEN '22004 "address" is missing'
			WHEN @extschema@.address_problem(v->>'address') IS NOT NULL
				THEN '22P02 ' || format('invalid e-mail address "%s": %s', left(v->>'address', 80), @extschema@.address_problem(v->>'address'))
			WHEN v->>'occurred_at' IS NULL THEN '22004 "occurred_at" is missing'
			WHEN (v->'registrars' IS NULL OR jsonb_typeof(v->'registrars') = 'null') AND NOT v_contacts
				THEN '22004 "registrars" is missing or null, and no contact is loaded to attribute it from (use [] for a bounce that counts against no registrar)'
			WHEN jsonb_typeof(v->'registrars') NOT IN ('array', 'null')
				THEN '22023 "registrars" is not an array'
			WHEN EXISTS (SELECT FROM jsonb_array_elements(CASE WHEN jsonb_typeof(v->'registrars') = 'array' THEN v->'registrars' ELSE '[]' END) r
			              WHERE jsonb_typeof(r) <> 'number' OR r::text !~ '^[0-9]{1,9}$')
				THEN '22023 ' || format('"registrars" must hold registrar ids, not %s', v->'registrars')
			WHEN EXISTS (SELECT FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(v->'registrars') = 'array' THEN v->'registrars' ELSE '[]' END) r
			              WHERE NOT EXISTS (SELECT FROM @extschema@.registrar g WHERE g.id = r::integer))
				THEN '23503 ' || format('unknown registrar in %s', v->'registrars')
			WHEN v->>'reply_code' IS NOT NULL AND (v->>'reply_code' !~ '^[0-9]{1,9}$' OR NOT @extschema@.is_valid_reply_code((v->>'reply_code')::integer))
				THEN '22023 ' || format('invalid SMTP reply code: %s', left(v->>'reply_code', 80))
			WHEN v->>'status' IS NOT NULL AND btrim(v->>'status') !~ '^[245]\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$'
				THEN '22P02 ' || format('invalid enhanced status code: "%s"', left(v->>'status', 80))
			END AS p) rr
		 WHERE rr.p IS NOT NULL
		 ORDER BY o LIMIT 1) bad;
	IF v_el IS NOT NULL THEN
		RAISE EXCEPTION 'bounce batch element %: %', v_el, v_problem
			USING ERRCODE = v_code, DETAIL = 'Nothing of the batch was recorded.';
	END IF;

	-- Times, as record_bounce() checks them: finite, from 1970 on, not in the
	-- future.  A time that does not parse fails the whole statement; only
	-- then is each element cast alone, to name the first bad one.
	BEGIN
		SELECT o, t INTO v_el, v_time FROM (
			SELECT o, (v->>'occurred_at')::timestamptz AS t
			  FROM jsonb_array_elements(bounces) WITH ORDINALITY AS j(v, o)) x
		 WHERE NOT isfinite(t) OR t < '1970-01-01 00:00+00' OR t > now() + coalesce(v_tol, '0')
		 ORDER BY o LIMIT 1;
	EXCEPTION WHEN data_exception THEN
		FOR v_el, v_text IN SELECT o, v->>'occurred_at' FROM jsonb_array_elements(bounces) WITH ORDINALITY AS j(v, o) ORDER BY o LOOP
			BEGIN
				v_time := v_text::timestamptz;
			EXCEPTION WHEN data_exception THEN
				GET STACKED DIAGNOSTICS v_code = RETURNED_SQLSTATE, v_problem = MESSAGE_TEXT;
				RAISE EXCEPTION 'bounce batch element %: invalid bounce time "%"', v_el, left(v_text, 80)
					USING ERRCODE = v_code, DETAIL = v_problem || '.  Nothing of the batch was recorded.';
			END;
		END LOOP;
		RAISE;
	END;
	IF v_el IS NOT NULL THEN
		RAISE EXCEPTION 'bounce batch element %: time % %', v_el, bounces->(v_el - 1)->>'occurred_at',
				CASE WHEN NOT isfinite(v_time) THEN 'is not finite'
				     WHEN v_time < '1970-01-01 00:00+00' THEN 'is before 1970-01-01, the oldest accepted'
				     ELSE format('is in the future (config.future_tolerance allows %s)', coalesce(v_tol, '0')) END
			USING ERRCODE = 'invalid_parameter_value', DETAIL = 'Nothing of the batch was recorded.';
	END IF;

	WITH input AS (
		SELECT o::integer AS o, @extschema@.normalize_key(v->>'key') AS k, @extschema@.normalize_address(v->>'address') AS addr,
		       (v->>'occurred_at')::timestamptz AS t,
		       (v->>'reply_code')::integer AS rc, btrim(v->>'status')::@extschema@.smtp_status AS st,
		       v->>'diagnostic' AS diag, v->>'remote_host' AS rh, v->>'command' AS cmd,
		       CASE WHEN jsonb_typeof(v->'registrars') = 'array'
		            THEN ARRAY(SELECT DISTINCT x::integer FROM jsonb_array_elements_text(v->'registrars') x) END AS regs
		  FROM jsonb_array_elements(bounces) WITH ORDINALITY AS j(v, o)
	), firsts AS (	-- as in record_bounce(): codes not given are read from the text
		SELECT DISTINCT ON (i.addr, i.k) i.o, i.k, i.addr, i.t, i.diag, i.regs,
		       coalesce(i.rc, p.reply_code) AS rc, coalesce(i.st, p.status) AS st,
		       coalesce(p.reason, 'undefined') AS reason
		  FROM input i, LATERAL @extschema@.classify_explain(i.diag, i.rc, i.st, i.cmd, i.rh) p
		 ORDER BY i.addr, i.k, i.o
	), ins AS (
		-- in key order: two batches with the same keys in other orders
		-- wait for each other instead of deadlocking
		INSERT INTO @extschema@.event (idempotency_key, address, occurred_at, reply_code, status,
		                               diagnostic, reason, hard, permanent)
		SELECT k, addr, t, rc, st, diag, f.reason, @extschema@.is_hard(f.reason, rc, st), @extschema@.is_permanent(rc, st)
		  FROM firsts f ORDER BY f.addr COLLATE "C", f.k COLLATE "C"
		ON CONFLICT ON CONSTRAINT event_idempotency_key_key DO NOTHING
		RETURNING id, idempotency_key, address, occurred_at
	), att AS (
		-- "registrars" null or missing: from the contacts, as record_bounce() does
		INSERT INTO @extschema@.attribution (address, event_id, registrar_id, domains)
		SELECT ins.address, ins.id, r, NULL FROM ins JOIN firsts f ON f.addr = ins.address AND f.k = ins.idempotency_key, unnest(f.regs) r
		UNION ALL
		SELECT ins.address, ins.id, c.registrar_id, array_agg(DISTINCT c.domain ORDER BY c.domain)
		  FROM ins JOIN firsts f ON f.addr = ins.address AND f.k = ins.idempotency_key
		  JOIN @extschema@.contact c ON c.address = ins.address AND c.valid @> ins.occurred_at
		 WHERE f.regs IS NULL
		 GROUP BY ins.address, ins.id, c.registrar_id
	), pend AS (
		INSERT INTO @extschema@.pending (address, event_id) SELECT ins.address, ins.id FROM ins
	)
	SELECT array_agg(i.o ORDER BY i.o), array_agg(coalesce(ins.id, e.id) ORDER BY i.o),
	       array_agg(ins.id IS NOT NULL AND i.o = f.o ORDER BY i.o), array_agg(i.k ORDER BY i.o),
	       array_agg(i.addr ORDER BY i.o)
	  INTO v_ord, v_ids, v_new, v_keys, v_addrs
	  FROM input i JOIN firsts f ON f.addr = i.addr AND f.k = i.k
	  LEFT JOIN ins ON ins.address = i.addr AND ins.idempotency_key = i.k
	  LEFT JOIN @extschema@.event e ON e.address = i.addr AND e.idempotency_key = i.k;

	-- A key committed by a concurrent caller during the insert is not in
	-- that statement's snapshot: look it up again (a semi-join, not a
	-- correlated subquery, which Citus does not plan over unnest()).
	RETURN QUERY
	WITH late AS MATERIALIZED (
		SELECT e.address, e.idempotency_key, e.id FROM @extschema@.event e
		 WHERE (e.address, e.idempotency_key) IN (
		       SELECT u.a, u.k FROM unnest(v_addrs, v_keys, v_ids) AS u(a, k, id) WHERE u.id IS NULL)
	)
	SELECT t.o, coalesce(t.id, l.id), t.n
	  FROM unnest(v_ord, v_ids, v_new, v_keys, v_addrs) AS t(o, id, n, k, a)
	  LEFT JOIN late l ON l.address = t.a AND l.idempotency_key = t.k
	 ORDER BY t.o;
END $$;
COMMENT ON FUNCTION @extschema@.record_batch(jsonb) IS
	'record a JSON array of bounces (fields key, address, occurred_at, registrars, reply_code, status, diagnostic, remote_host, command; registrars [] for none, null or missing: from contact), each as record_bounce() does; returns each element''s bounce id and whether it is new; all or nothing: one bad element rejects the batch, naming it';
REVOKE EXECUTE ON FUNCTION @extschema@.record_batch(jsonb) FROM PUBLIC;

COMMENT ON TABLE @extschema@.ingest IS 'COPY (or INSERT) bounces here: each row is passed to record_bounce() and not kept (registrars {} for none, NULL: from contact); one bad row fails the whole COPY';
COMMENT ON COLUMN @extschema@.ingest.registrars IS 'as record_bounce(registrars): {} for none, NULL from contact';

DROP FUNCTION @extschema@.record_dsn(text, integer[], timestamptz);
DROP FUNCTION @extschema@.record_dsn(bytea, integer[], timestamptz);
-- Each failed recipient of the message is recorded as bounce.record_bounce()
-- records it (record_event()),
-- keyed by the returned message's Message-ID plus the recipient (the
-- SHA-256 of the message when it has no Message-ID, of the Message-ID
-- when that is longer than 255 bytes), so that the same
-- e-mail ingested twice records nothing new.  Everything else is reported,
-- not recorded: feedback reports, auto-replies, delayed and success DSNs,
-- malformed recipient addresses, and messages with no recipient at all.
-- One statement: an error for any recipient records nothing.
CREATE FUNCTION @extschema@.record_dsn(message bytea, registrars integer[],
		occurred_at timestamptz DEFAULT NULL)
	RETURNS TABLE (recipient text, action text, status @extschema@.smtp_status,
	               reply_code integer, format text, outcome text, bounce_id bigint, is_new boolean)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	d record;
	v_any boolean := false;
	v_key text;
	v_problem text;
BEGIN
	IF message IS NULL THEN
		RAISE EXCEPTION 'bounce message must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF registrars IS NULL AND NOT EXISTS (SELECT 1 FROM @extschema@.contact) THEN
		RAISE EXCEPTION 'bounce registrars must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'NULL attributes the bounces from the contacts, and none is loaded.',
				HINT = 'Pass an empty array, ''{}'', for bounces that count against no registrar, or load the contacts with load_contacts().';
	END IF;
	FOR d IN SELECT * FROM @extschema@.parse_dsn_fields(message) LOOP
		v_any := true;
		recipient := d.recipient;
		action := d.action;
		status := d.status;
		reply_code := d.reply_code;
		format := d.format;
		bounce_id := NULL;
		is_new := NULL;
		v_problem := @extschema@.address_problem(d.recipient);
		IF d.format = 'arf' THEN
			outcome := 'not a bounce: feedback report';
		ELSIF d.stated_reason = 'feedback' THEN
			outcome := 'not a bounce: feedback report';
		ELSIF d.format = 'autoreply' THEN
			outcome := 'not a bounce: auto-reply';
		ELSIF d.action IN ('delivered', 'relayed', 'expanded') THEN
			outcome := 'not a bounce: ' || d.action;
		ELSIF d.action = 'delayed' THEN
			outcome := 'not a bounce: delivery delayed';
		ELSIF d.action IS DISTINCT FROM 'failed' THEN
			outcome := 'not a bounce: action ' || coalesce(d.action, 'missing');
		ELSIF v_problem IS NOT NULL THEN
			outcome := 'skipped: ' || v_problem;
		ELSE
			-- a Message-ID longer than 255 bytes gives its SHA-256 instead,
			-- so that the key stays within the 1000 bytes record_bounce() takes
			v_key := coalesce(CASE WHEN octet_length(d.message_id) > 255
			                       THEN 'sha256:' || encode(sha256(convert_to(d.message_id, 'UTF8')), 'hex')
			                       ELSE d.message_id END,
			                  'sha256:' || encode(sha256(message), 'hex'))
				|| ' ' || lower(d.recipient);
			SELECT r.bounce_id, r.is_new INTO bounce_id, is_new
			  FROM bounce_internal.record_event(v_key, d.recipient,
				coalesce(record_dsn.occurred_at, d.last_attempt, d.message_date, now()), registrars,
				d.reply_code, d.status::text, d.diagnostic, coalesce(d.remote_mta, d.reporting_mta), d.smtp_command,
				d.stated_reason) r;
			outcome := 'recorded';
		END IF;
		RETURN NEXT;
	END LOOP;
	IF NOT v_any THEN
		recipient := NULL;
		action := NULL;
		status := NULL;
		reply_code := NULL;
		format := NULL;
		bounce_id := NULL;
		is_new := NULL;
		outcome := 'not a bounce: no recipient found';
		RETURN NEXT;
	END IF;
END $$;

CREATE FUNCTION @extschema@.record_dsn(message text, registrars integer[],
		occurred_at timestamptz DEFAULT NULL)
	RETURNS TABLE (recipient text, action text, status @extschema@.smtp_status,
	               reply_code integer, format text, outcome text, bounce_id bigint, is_new boolean)
	LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT * FROM @extschema@.record_dsn(
	        convert_to(message, current_setting('server_encoding')), registrars, occurred_at) $$;

COMMENT ON FUNCTION @extschema@.record_dsn(bytea, integer[], timestamptz) IS 'record the failed recipients of a bounce e-mail as bounce.record_bounce does (key: Message-ID plus recipient; time: occurred_at, else Last-Attempt-Date, else the report''s Date, else now(); registrars NULL: from contact), with is_new (false: the key was already recorded); reports, without recording, feedback reports, auto-replies, delayed and success notices';
COMMENT ON FUNCTION @extschema@.record_dsn(text, integer[], timestamptz) IS 'record_dsn for a message as text';
-- It writes the registry's tables, as record_bounce() does: writers only.
REVOKE EXECUTE ON FUNCTION @extschema@.record_dsn(bytea, integer[], timestamptz),
	@extschema@.record_dsn(text, integer[], timestamptz) FROM PUBLIC;

DROP FUNCTION @extschema@.record_dsn_batch(bytea[], integer[], timestamptz);
-- All or nothing, like record_batch(): a message that record_dsn would
-- refuse (a parse past the parser's limits, a bounce time record_bounce() does
-- not accept) stops the whole batch with record_dsn's SQLSTATE and a
-- message naming the message's position; the caller (bounce-load) then
-- sends that batch's messages one at a time.  The registrars are checked
-- first, even when no message records a bounce.
CREATE FUNCTION @extschema@.record_dsn_batch(messages bytea[], registrars integer[],
		occurred_at timestamptz DEFAULT NULL)
	RETURNS TABLE (message integer, recipient text, action text, status @extschema@.smtp_status,
	               reply_code integer, format text, outcome text, bounce_id bigint, is_new boolean)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	-- a custom plan would hold the messages as a constant, copied at
	-- every planning: megabytes per batch
	SET plan_cache_mode = force_generic_plan
	AS $$
DECLARE
	v_bad integer;
	v_el integer;
	v_msg bytea;
	v_tol interval;
	v_state text;
	v_text text;
	v_detail text;
	v_hint text;
	-- the answer, one array per column, in message and row order
	r_o integer[];
	r_rcpt text[];
	r_action text[];
	r_status @extschema@.smtp_status[];
	r_code integer[];
	r_format text[];
	r_outcome text[];
	r_key text[];
	r_addr text[];
	r_id bigint[];
	r_new boolean[];
BEGIN
	IF messages IS NULL THEN
		RAISE EXCEPTION 'bounce messages must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	v_el := array_position(messages, NULL);
	IF v_el IS NOT NULL THEN
		RAISE EXCEPTION 'bounce message % must not be NULL', v_el - coalesce(array_lower(messages, 1), 1) + 1
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF registrars IS NULL AND NOT EXISTS (SELECT 1 FROM @extschema@.contact) THEN
		RAISE EXCEPTION 'bounce registrars must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'NULL attributes the bounces from the contacts, and none is loaded.',
				HINT = 'Pass an empty array, ''{}'', for bounces that count against no registrar, or load the contacts with load_contacts().';
	END IF;
	IF array_position(registrars, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'registrars must not contain NULL: %', registrars
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT min(r) INTO v_bad FROM unnest(registrars) r
	 WHERE NOT EXISTS (SELECT FROM @extschema@.registrar g WHERE g.id = r);
	IF v_bad IS NOT NULL THEN
		RAISE EXCEPTION 'unknown registrar: %', v_bad
			USING ERRCODE = 'foreign_key_violation',
				HINT = 'Add it to bounce.registrar first.';
	END IF;
	SELECT c.future_tolerance INTO v_tol FROM @extschema@.config c;

	-- One statement: parse every message, decide each row's outcome, key
	-- and time as record_dsn does, check the rows to be recorded as
	-- record_bounce() does (problem), and insert the good ones.  A bad row
	-- raises an error right after it, which undoes the inserts.  A parse
	-- error fails the statement; only then is each message parsed alone,
	-- to name the first bad one.
	BEGIN
		WITH parsed AS (
			-- unnest() in the select list streams the messages;
			-- in FROM it would copy them all into a tuplestore first
			SELECT m.o, coalesce(d.rn, 1)::integer AS n, m.msg, d.*
			  FROM (SELECT unnest(messages) AS msg, generate_series(1, cardinality(messages)) AS o) m
			  LEFT JOIN LATERAL @extschema@.parse_dsn_fields(m.msg) WITH ORDINALITY
			       AS d(recipient, original_recipient, action, status, reply_code, diagnostic,
			            remote_mta, reporting_mta, last_attempt, smtp_command, format, message_id,
			            message_date, stated_reason, rn) ON true
		), decided AS (
			SELECT p.*, CASE
				WHEN p.format IS NULL THEN 'not a bounce: no recipient found'
				WHEN p.format = 'arf' THEN 'not a bounce: feedback report'
				WHEN p.stated_reason = 'feedback' THEN 'not a bounce: feedback report'
				WHEN p.format = 'autoreply' THEN 'not a bounce: auto-reply'
				WHEN p.action IN ('delivered', 'relayed', 'expanded') THEN 'not a bounce: ' || p.action
				WHEN p.action = 'delayed' THEN 'not a bounce: delivery delayed'
				WHEN p.action IS DISTINCT FROM 'failed' THEN 'not a bounce: action ' || coalesce(p.action, 'missing')
				WHEN @extschema@.address_problem(p.recipient) IS NOT NULL
					THEN 'skipped: ' || @extschema@.address_problem(p.recipient)
				ELSE 'recorded' END AS outcome
			  FROM parsed p
		), keyed AS MATERIALIZED (
			SELECT d.o, d.n, d.recipient, d.action, d.status, d.reply_code, d.diagnostic,
			       coalesce(d.remote_mta, d.reporting_mta) AS host, d.smtp_command, d.stated_reason,
			       d.format, d.outcome, k.k, k.t,
			       CASE WHEN d.outcome = 'recorded' THEN @extschema@.normalize_address(d.recipient) END AS addr,
			       CASE WHEN d.outcome <> 'recorded' THEN NULL
			            -- record_bounce()'s checks that a parsed row can fail; its
			            -- key, from a Message-ID of at most 255 bytes and an
			            -- address of at most 254, is never empty nor too long
			            WHEN NOT isfinite(k.t) THEN '22023 ' || pg_catalog.format('bounce time must be a finite timestamp, not %s', k.t)
			            WHEN k.t < '1970-01-01 00:00+00' THEN '22023 ' || pg_catalog.format('bounce time %s is before 1970-01-01, the oldest accepted', k.t)
			            WHEN k.t > now() + coalesce(v_tol, '0') THEN '22023 ' || pg_catalog.format('bounce time %s is in the future (config.future_tolerance allows %s)', k.t, coalesce(v_tol, '0'))
			            WHEN d.reply_code IS NOT NULL AND NOT @extschema@.is_valid_reply_code(d.reply_code)
			                 THEN '22023 ' || pg_catalog.format('invalid SMTP reply code: %s', d.reply_code)
			            WHEN octet_length(k.k) > 1000 THEN '22001 bounce idempotency key is longer than 1000 bytes' END AS problem
			  FROM decided d,
			  LATERAL (SELECT CASE WHEN d.outcome = 'recorded' THEN
			                  -- record_dsn's key, as record_bounce() stores it: without
			                  -- surrounding blanks (normalize_key)
			                  btrim(coalesce(CASE WHEN octet_length(d.message_id) > 255
			                                      THEN 'sha256:' || encode(sha256(convert_to(d.message_id, 'UTF8')), 'hex')
			                                      ELSE d.message_id END,
			                                 'sha256:' || encode(sha256(d.msg), 'hex'))
			                        || ' ' || lower(d.recipient), E' \t\r\n') END AS k,
			                  CASE WHEN d.outcome = 'recorded'
			                       THEN coalesce(record_dsn_batch.occurred_at, d.last_attempt, d.message_date, now()) END AS t) k
		), firsts AS (
			-- the first row of each key is the one recorded, as when the
			-- messages are sent to record_dsn one by one
			SELECT DISTINCT ON (r.addr, r.k) r.o, r.n, r.k, r.t, r.reply_code, r.status, r.diagnostic, r.addr,
			       coalesce(r.stated_reason, @extschema@.classify(r.diagnostic, r.reply_code, r.status,
			                                                     r.smtp_command, r.host), 'undefined') AS reason
			  FROM keyed r WHERE r.outcome = 'recorded' AND r.problem IS NULL
			 ORDER BY r.addr, r.k, r.o, r.n
		), ins AS (
			-- in key order, as record_batch(): concurrent batches with the
			-- same keys wait for each other instead of deadlocking
			INSERT INTO @extschema@.event (idempotency_key, address, occurred_at, reply_code, status,
			                               diagnostic, reason, hard, permanent)
			SELECT f.k, f.addr, f.t, f.reply_code, f.status, f.diagnostic, f.reason,
			       @extschema@.is_hard(f.reason, f.reply_code, f.status), @extschema@.is_permanent(f.reply_code, f.status)
			  FROM firsts f ORDER BY f.addr COLLATE "C", f.k COLLATE "C"
			ON CONFLICT ON CONSTRAINT event_idempotency_key_key DO NOTHING
			RETURNING id, idempotency_key, address, event.occurred_at
		), att AS (
			-- registrars NULL: from the contacts, as record_bounce() does
			INSERT INTO @extschema@.attribution (address, event_id, registrar_id, domains)
			SELECT ins.address, ins.id, g.r, NULL FROM ins, (SELECT DISTINCT x AS r FROM unnest(registrars) x) g
			UNION ALL
			SELECT ins.address, ins.id, c.registrar_id, array_agg(DISTINCT c.domain ORDER BY c.domain)
			  FROM ins JOIN @extschema@.contact c ON c.address = ins.address AND c.valid @> ins.occurred_at
			 WHERE registrars IS NULL
			 GROUP BY ins.address, ins.id, c.registrar_id
		), pend AS (
			INSERT INTO @extschema@.pending (address, event_id) SELECT ins.address, ins.id FROM ins
		)
		SELECT array_agg(r.o ORDER BY r.o, r.n), array_agg(r.recipient ORDER BY r.o, r.n),
		       array_agg(r.action ORDER BY r.o, r.n), array_agg(r.status ORDER BY r.o, r.n),
		       array_agg(r.reply_code ORDER BY r.o, r.n), array_agg(r.format ORDER BY r.o, r.n),
		       array_agg(r.outcome ORDER BY r.o, r.n), array_agg(r.k ORDER BY r.o, r.n),
		       array_agg(r.addr ORDER BY r.o, r.n), array_agg(coalesce(ins.id, e.id) ORDER BY r.o, r.n),
		       array_agg(CASE WHEN r.outcome = 'recorded' THEN ins.id IS NOT NULL AND f.o = r.o AND f.n = r.n END
		                 ORDER BY r.o, r.n),
		       min(r.o) FILTER (WHERE r.problem IS NOT NULL),
		       (array_agg(r.problem ORDER BY r.o, r.n) FILTER (WHERE r.problem IS NOT NULL))[1]
		  INTO r_o, r_rcpt, r_action, r_status, r_code, r_format, r_outcome, r_key, r_addr, r_id, r_new, v_el, v_text
		  FROM keyed r
		  LEFT JOIN firsts f ON f.addr = r.addr AND f.k = r.k
		  LEFT JOIN ins ON ins.address = r.addr AND ins.idempotency_key = r.k
		  LEFT JOIN @extschema@.event e ON e.address = r.addr AND e.idempotency_key = r.k;
	EXCEPTION WHEN OTHERS THEN
		v_el := 0;
		FOREACH v_msg IN ARRAY messages LOOP
			v_el := v_el + 1;
			BEGIN
				PERFORM FROM @extschema@.parse_dsn_fields(v_msg);
			EXCEPTION WHEN OTHERS THEN
				GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_text = MESSAGE_TEXT,
					v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
				v_detail := coalesce(nullif(v_detail, '') || '  ', '') || 'Nothing of the batch was recorded.';
				IF v_hint IS NULL OR v_hint = '' THEN
					RAISE EXCEPTION 'bounce message %: %', v_el, v_text USING ERRCODE = v_state, DETAIL = v_detail;
				END IF;
				RAISE EXCEPTION 'bounce message %: %', v_el, v_text USING ERRCODE = v_state, DETAIL = v_detail, HINT = v_hint;
			END;
		END LOOP;
		RAISE;
	END;
	IF v_el IS NOT NULL THEN
		-- this undoes what the statement inserted
		RAISE EXCEPTION 'bounce message %: %', v_el, substr(v_text, 7)
			USING ERRCODE = left(v_text, 5), DETAIL = 'Nothing of the batch was recorded.';
	END IF;

	-- A key committed by a concurrent caller during the insert is not in
	-- that statement's snapshot: look it up again.
	-- (A semi-join, not a correlated subquery, which Citus does not plan
	-- over unnest().)
	RETURN QUERY
	WITH late AS MATERIALIZED (
		SELECT e.address, e.idempotency_key, e.id FROM @extschema@.event e
		 WHERE (e.address, e.idempotency_key) IN (
		       SELECT u.a, u.k FROM unnest(r_addr, r_key, r_id, r_outcome) AS u(a, k, id, outcome)
		        WHERE u.id IS NULL AND u.outcome = 'recorded')
	)
	SELECT r.o, r.rcpt, r.act, r.st, r.rc, r.fmt, r.outcome,
	       CASE WHEN r.outcome = 'recorded' THEN coalesce(r.id, l.id) END,
	       r.isnew
	  FROM unnest(r_o, r_rcpt, r_action, r_status, r_code, r_format, r_outcome, r_key, r_addr, r_id, r_new)
	       WITH ORDINALITY AS r(o, rcpt, act, st, rc, fmt, outcome, k, a, id, isnew, i)
	  LEFT JOIN late l ON l.address = r.a AND l.idempotency_key = r.k
	 ORDER BY r.i;
END $$;
COMMENT ON FUNCTION @extschema@.record_dsn_batch(bytea[], integer[], timestamptz) IS
	'record_dsn for many bounce e-mails in one statement: one row per recipient of each message (message: its position from 1), as record_dsn would give, with is_new (false: the key was already recorded); registrars NULL: from contact, as record_bounce() does; all or nothing: a message record_dsn would refuse stops the batch, naming its position';
-- It writes the registry's tables, as record_bounce() does: writers only.
REVOKE EXECUTE ON FUNCTION @extschema@.record_dsn_batch(bytea[], integer[], timestamptz) FROM PUBLIC;

DROP FUNCTION @extschema@.my_fix_list();
DROP VIEW @extschema@.fix_list;
-- The figures of an address are those of the score: its counted bounces.
-- The bounces the score leaves out (soft ones, or under count_kind = hard
-- the permanent ones whose address is not bad) are shown apart.
CREATE VIEW @extschema@.fix_list WITH (security_invoker = true) AS
WITH hit AS (
	SELECT DISTINCT a.registrar_id, e.address
	  FROM @extschema@.flagged_event e
	  JOIN @extschema@.attribution a ON a.address = e.address AND a.event_id = e.id
	 WHERE e.recurring
), per AS (
	SELECT h.registrar_id, h.address,
	       count(*) FILTER (WHERE e.counted) AS counted_bounces,
	       count(*) FILTER (WHERE e.recurring) AS recurring_bounces,
	       min(e.occurred_at) FILTER (WHERE e.counted) AS first_bounce,
	       max(e.occurred_at) FILTER (WHERE e.counted) AS last_bounce,
	       (array_agg(e.reason ORDER BY e.occurred_at DESC, e.id DESC) FILTER (WHERE e.counted))[1] AS last_reason,
	       (array_agg(e.status ORDER BY e.occurred_at DESC, e.id DESC) FILTER (WHERE e.counted))[1] AS last_status,
	       (array_agg(e.suppressed ORDER BY e.occurred_at DESC, e.id DESC))[1] AS suppressed,
	       count(*) FILTER (WHERE NOT e.counted) AS uncounted_bounces,
	       max(e.occurred_at) FILTER (WHERE NOT e.counted) AS last_uncounted_bounce
	  FROM hit h
	  JOIN @extschema@.flagged_event e ON e.address = h.address
	  JOIN @extschema@.attribution a ON a.address = e.address AND a.event_id = e.id AND a.registrar_id = h.registrar_id
	 GROUP BY h.registrar_id, h.address
), dom AS (	-- the domains of the contacts that attributed them
	SELECT h.registrar_id, h.address, array_agg(DISTINCT d.domain ORDER BY d.domain) AS domains
	  FROM hit h
	  JOIN @extschema@.event e ON e.address = h.address
	  JOIN @extschema@.attribution a ON a.address = e.address AND a.event_id = e.id AND a.registrar_id = h.registrar_id
	 CROSS JOIN LATERAL unnest(a.domains) AS d(domain)
	 GROUP BY h.registrar_id, h.address
)
SELECT per.registrar_id, r.name AS registrar,
       rank() OVER (PARTITION BY per.registrar_id ORDER BY per.recurring_bounces DESC, per.counted_bounces DESC, per.last_bounce DESC) AS rank,
       per.address, per.recurring_bounces, per.counted_bounces, per.first_bounce, per.last_bounce,
       per.last_reason, per.last_status, per.suppressed, per.uncounted_bounces, per.last_uncounted_bounce,
       dom.domains
  FROM per JOIN @extschema@.registrar r ON r.id = per.registrar_id
  LEFT JOIN dom ON dom.registrar_id = per.registrar_id AND dom.address = per.address;
COMMENT ON VIEW @extschema@.fix_list IS 'per registrar, the addresses behind its recurring bounces, worst first (rank), figured on the counted bounces as the score is: recurring and counted bounces, first and last, last reason and status; whether the address is suppressed; and apart, the bounces the score leaves out';
COMMENT ON COLUMN @extschema@.fix_list.registrar_id IS 'registrar id';
COMMENT ON COLUMN @extschema@.fix_list.registrar IS 'registrar name';
COMMENT ON COLUMN @extschema@.fix_list.rank IS '1 = worst: by recurring_bounces, then counted_bounces, then the latest last_bounce (equal ones share a rank)';
COMMENT ON COLUMN @extschema@.fix_list.address IS 'the recipient address';
COMMENT ON COLUMN @extschema@.fix_list.recurring_bounces IS 'its recurring bounces attributed to the registrar';
COMMENT ON COLUMN @extschema@.fix_list.counted_bounces IS 'its counted bounces (config.count_kind) attributed to the registrar';
COMMENT ON COLUMN @extschema@.fix_list.first_bounce IS 'time of the first counted bounce';
COMMENT ON COLUMN @extschema@.fix_list.last_bounce IS 'time of the last counted bounce';
COMMENT ON COLUMN @extschema@.fix_list.last_reason IS 'reason of the last counted bounce';
COMMENT ON COLUMN @extschema@.fix_list.last_status IS 'enhanced status code of the last counted bounce';
COMMENT ON COLUMN @extschema@.fix_list.suppressed IS 'the suppressed flag of the address''s last bounce attributed to the registrar (suppression looks at every bounce, counted or not)';
COMMENT ON COLUMN @extschema@.fix_list.uncounted_bounces IS 'its bounces attributed to the registrar that the score does not count (soft ones; under count_kind = hard also permanent ones whose address is not bad)';
COMMENT ON COLUMN @extschema@.fix_list.last_uncounted_bounce IS 'time of the last of those; NULL if none';
COMMENT ON COLUMN @extschema@.fix_list.domains IS 'the registrar''s domains whose contact data holds the address: those of the contacts (contact) that attributed its bounces to the registrar; NULL when the caller named the registrar of every bounce';

-- fix_list per registrar counts only that registrar's bounces of each
-- address, so it is computed here from them alone, as the view computes
-- it (the view finds them through every bounce of the address): figured
-- on the counted bounces, the others apart.
CREATE FUNCTION @extschema@.my_fix_list() RETURNS SETOF @extschema@.fix_list
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	WITH own AS MATERIALIZED (
		SELECT a.registrar_id, a.domains, f.*
		  FROM @extschema@.attribution a
		 CROSS JOIN LATERAL (SELECT * FROM @extschema@.flagged_event f WHERE f.address = a.address AND f.id = a.event_id) f
		 WHERE a.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[])
	), per AS (
		SELECT o.registrar_id, o.address,
		       count(*) FILTER (WHERE o.counted) AS counted_bounces,
		       count(*) FILTER (WHERE o.recurring) AS recurring_bounces,
		       min(o.occurred_at) FILTER (WHERE o.counted) AS first_bounce,
		       max(o.occurred_at) FILTER (WHERE o.counted) AS last_bounce,
		       (array_agg(o.reason ORDER BY o.occurred_at DESC, o.id DESC) FILTER (WHERE o.counted))[1] AS last_reason,
		       (array_agg(o.status ORDER BY o.occurred_at DESC, o.id DESC) FILTER (WHERE o.counted))[1] AS last_status,
		       (array_agg(o.suppressed ORDER BY o.occurred_at DESC, o.id DESC))[1] AS suppressed,
		       count(*) FILTER (WHERE NOT o.counted) AS uncounted_bounces,
		       max(o.occurred_at) FILTER (WHERE NOT o.counted) AS last_uncounted_bounce
		  FROM own o
		 GROUP BY o.registrar_id, o.address
		HAVING bool_or(o.recurring)
	), dom AS (
		SELECT o.registrar_id, o.address, array_agg(DISTINCT d.domain ORDER BY d.domain) AS domains
		  FROM own o CROSS JOIN LATERAL unnest(o.domains) AS d(domain)
		 GROUP BY o.registrar_id, o.address
	)
	SELECT per.registrar_id, r.name AS registrar,
	       rank() OVER (PARTITION BY per.registrar_id ORDER BY per.recurring_bounces DESC, per.counted_bounces DESC, per.last_bounce DESC) AS rank,
	       per.address, per.recurring_bounces, per.counted_bounces, per.first_bounce, per.last_bounce,
	       per.last_reason, per.last_status, per.suppressed, per.uncounted_bounces, per.last_uncounted_bounce,
	       dom.domains
	  FROM per JOIN @extschema@.registrar r ON r.id = per.registrar_id
	  LEFT JOIN dom ON dom.registrar_id = per.registrar_id AND dom.address = per.address $$;
COMMENT ON FUNCTION @extschema@.my_fix_list() IS 'fix_list for the registrars of the session''s role, computed from their own bounces';
REVOKE EXECUTE ON FUNCTION @extschema@.my_fix_list() FROM PUBLIC;

DROP FUNCTION @extschema@.grant_writer(name);
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
REVOKE EXECUTE ON FUNCTION @extschema@.grant_writer(name) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- refresh(), record_attribution() and my_flagged_event() go by the
-- address keys (src/sql/52, 53 and 57); refresh_run(), which does too, is
-- made again in the refresh block below.
-- ---------------------------------------------------------------------
DROP FUNCTION @extschema@.record_attribution(bigint, integer[]);
DROP FUNCTION @extschema@.my_flagged_event();
DROP PROCEDURE @extschema@.refresh(boolean);

CREATE FUNCTION @extschema@.record_attribution(bounce_id bigint, registrars integer[])
	RETURNS integer
	LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_bad integer;
	v_added integer;
	v_addr text;
BEGIN
	IF array_position(registrars, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'registrars must not contain NULL: %', registrars
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- the bounce's address keys its attribution and pending rows
	SELECT e.address INTO v_addr FROM @extschema@.event e WHERE e.id = record_attribution.bounce_id;
	IF v_addr IS NULL THEN
		RAISE EXCEPTION 'unknown bounce: %', bounce_id
			USING ERRCODE = 'foreign_key_violation',
				HINT = 'Give the id record_bounce() or record_batch() returned.';
	END IF;
	SELECT min(r) INTO v_bad FROM unnest(registrars) r
	 WHERE NOT EXISTS (SELECT FROM @extschema@.registrar g WHERE g.id = r);
	IF v_bad IS NOT NULL THEN
		RAISE EXCEPTION 'unknown registrar: %', v_bad
			USING ERRCODE = 'foreign_key_violation',
				HINT = 'Add it to bounce.registrar first.';
	END IF;
	INSERT INTO @extschema@.attribution (address, event_id, registrar_id)
	SELECT DISTINCT v_addr, record_attribution.bounce_id, r FROM unnest(registrars) r
	ON CONFLICT ON CONSTRAINT attribution_pkey DO NOTHING;
	GET DIAGNOSTICS v_added = ROW_COUNT;
	IF v_added > 0 THEN
		INSERT INTO @extschema@.pending (address, event_id, recount) VALUES (v_addr, record_attribution.bounce_id, true);
	END IF;
	RETURN v_added;
END $$;
COMMENT ON FUNCTION @extschema@.record_attribution(bigint, integer[]) IS
	'add registrars to a recorded bounce; returns how many were new; the next refresh() is then a full one';
REVOKE EXECUTE ON FUNCTION @extschema@.record_attribution(bigint, integer[]) FROM PUBLIC;

CREATE PROCEDURE @extschema@.refresh(full boolean DEFAULT false)
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	-- Nothing new and nothing queued (a change of settings queues a mark,
	-- see config_changed()), after a first refresh and with the read
	-- policies in step: a pg_cron run ends here, after one statement that
	-- reads refresh_state and two empty queues, and writes nothing (no lock
	-- taken, no transaction id, no commit to flush).  In a new session, as
	-- pg_cron's, every statement pays its catalog lookups and planning.
	-- It needs no lock: a queue row is deleted only by a refresh, in the
	-- transaction that writes what it found, so empty queues in this
	-- statement's snapshot mean that every change committed before it is
	-- in the summaries; a refresh still running has not committed its
	-- DELETE, so its rows are still seen here, and this one goes on to wait
	-- for it in refresh_run().
	IF NOT refresh.full
	   AND (SELECT s.settings IS NOT NULL AND NOT s.policies_behind FROM @extschema@.refresh_state s)
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.pending) AND NOT EXISTS (SELECT 1 FROM @extschema@.quarter_queue) THEN
		RETURN;
	END IF;
	CALL bounce_internal.refresh_run(refresh.full);
END $$;
COMMENT ON PROCEDURE @extschema@.refresh(boolean) IS
	'bring the summaries up to date: recompute only the addresses with new bounces and the registrar-quarters queued (full => true, or changed settings, recomputes everything); with nothing new it writes nothing and takes no lock; one at a time (it locks the row of refresh_state); run it from pg_cron as the extension''s owner';
REVOKE EXECUTE ON PROCEDURE @extschema@.refresh(boolean), bounce_internal.refresh_run(boolean) FROM PUBLIC;

CREATE FUNCTION @extschema@.my_flagged_event() RETURNS SETOF @extschema@.flagged_event
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT f.*
	  FROM (SELECT DISTINCT a.address, a.event_id FROM @extschema@.attribution a
	         WHERE a.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[])) own
	 CROSS JOIN LATERAL (SELECT * FROM @extschema@.flagged_event f WHERE f.address = own.address AND f.id = own.event_id) f $$;
COMMENT ON FUNCTION @extschema@.my_flagged_event() IS 'flagged_event for the registrars of the session''s role: its own bounces and their flags';
REVOKE EXECUTE ON FUNCTION @extschema@.my_flagged_event() FROM PUBLIC;


-- The dropped functions took their EXECUTE grants with them: give the
-- writers and registrars of role_map theirs again (and the writers the
-- new functions), and every read policy its roles (contact's is new).
SELECT @extschema@.grant_writer(r.rolname)
  FROM @extschema@.role_map m JOIN pg_catalog.pg_roles r ON r.oid = m.role_name
 WHERE m.kind = 'writer';
SELECT @extschema@.grant_registrar(m.registrar_id, r.rolname)
  FROM @extschema@.role_map m JOIN pg_catalog.pg_roles r ON r.oid = m.role_name
 WHERE m.kind = 'registrar';
SELECT bounce_internal.apply_policies();

-- ================ end of the ingestion and keys blocks ================

-- =====================================================================
-- Refresh: what a small refresh costs in a new session (src/sql/51 and
-- 53).  A changed function is dropped and created again.
-- =====================================================================

CREATE FUNCTION bounce_internal.policies_in_step() RETURNS boolean
	AS 'MODULE_PATHNAME', 'bounce_policies_in_step'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION bounce_internal.policies_in_step() IS 'internal to refresh(): true when every <table>_read policy of the extension''s tables names the analysts and writers of role_map (those that exist) and the table''s owner, that is when apply_policies() would alter none';
REVOKE EXECUTE ON FUNCTION bounce_internal.policies_in_step() FROM PUBLIC;

DROP FUNCTION bounce_internal.refresh_addresses(bigint[]);
CREATE FUNCTION bounce_internal.refresh_addresses(new_ids bigint[], OUT compared bigint,
		OUT registrar_ids integer[], OUT months date[])
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	c @extschema@.config;
	zr integer[];
	zm date[];
	zs @extschema@.smtp_status[];
BEGIN
	SELECT * INTO STRICT c FROM @extschema@.config;
	-- One statement, no temp tables (creating them costs more than a day's
	-- work); the summaries that drop to zero are collected for the DELETE.
	WITH r AS MATERIALIZED (
		SELECT * FROM bounce_internal.refresh_scan(new_ids, c.recurring_min_gap, c.recurring_max_gap,
		                                       c.suppress_strikes, c.suppress_span, c.count_kind = 'hard')
	), f AS (
		INSERT INTO @extschema@.event_flags AS b (block, flags)
		SELECT r.block, r.flags FROM r WHERE r.block IS NOT NULL
		ON CONFLICT (block) DO UPDATE SET flags = excluded.flags
	), ms AS (
		INSERT INTO @extschema@.monthly_status AS m (registrar_id, month, status, counted, recurring)
		SELECT r.registrar_id, r.month, r.status, r.counted, r.recurring FROM r WHERE r.registrar_id IS NOT NULL
		ON CONFLICT (registrar_id, month, status) DO UPDATE
		   SET counted = m.counted + excluded.counted, recurring = m.recurring + excluded.recurring
		RETURNING m.registrar_id, m.month, m.status, m.counted, m.recurring
	)
	SELECT (SELECT r.counted FROM r WHERE r.block IS NULL AND r.registrar_id IS NULL),
	       a.registrar_ids, a.months, a.zr, a.zm, a.zs
	  INTO compared, registrar_ids, months, zr, zm, zs
	  FROM (SELECT array_agg(ms.registrar_id) AS registrar_ids, array_agg(ms.month) AS months,
	               array_agg(ms.registrar_id) FILTER (WHERE ms.counted = 0 AND ms.recurring = 0) AS zr,
	               array_agg(ms.month) FILTER (WHERE ms.counted = 0 AND ms.recurring = 0) AS zm,
	               array_agg(ms.status) FILTER (WHERE ms.counted = 0 AND ms.recurring = 0) AS zs
	          FROM ms) a;
	compared := coalesce(compared, 0);
	-- after the statement above, so that it sees the new sums
	IF zr IS NOT NULL THEN
		DELETE FROM @extschema@.monthly_status m USING unnest(zr, zm, zs) z(r, mo, st)
		 WHERE m.registrar_id = z.r AND m.month = z.mo AND m.status OPERATOR(@extschema@.=) z.st AND m.counted = 0 AND m.recurring = 0;
	END IF;
END $$;
COMMENT ON FUNCTION bounce_internal.refresh_addresses(bigint[]) IS 'internal to refresh(): recompute the flags of the bounces of these new bounces'' addresses, from each address''s first new bounce on, apply the differences to the summaries, and return how many bounces were compared and the registrar-months whose counts moved (one pair per summary row written)';
REVOKE EXECUTE ON FUNCTION bounce_internal.refresh_addresses(bigint[]) FROM PUBLIC;

DROP FUNCTION bounce_internal.refresh_quarters(boolean, integer, integer[], date[]);
CREATE FUNCTION bounce_internal.refresh_quarters(all_quarters boolean, trend_quarters integer,
		registrar_ids integer[], quarters date[]) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_all boolean := all_quarters;
	v_everything boolean;
	v_r integer[];
	v_q date[];
	v_dq date[];
	v_rq date[];
BEGIN
	-- the pairs to rescore, once each (a date stands for its quarter); a
	-- NULL one (a mark) means all
	SELECT coalesce(bool_or(d.r IS NULL OR d.q IS NULL), false),
	       array_agg(d.r), array_agg(d.q), array_agg(DISTINCT d.q)
	  INTO v_everything, v_r, v_q, v_dq
	  FROM (SELECT DISTINCT u.r, date_trunc('quarter', u.q)::date AS q FROM unnest(registrar_ids, quarters) u(r, q)) d;
	IF v_all OR v_everything THEN
		-- every registrar-quarter with data, or with a row to remove
		v_all := true;
		SELECT array_agg(u.registrar_id), array_agg(u.quarter), array_agg(DISTINCT u.quarter)
		  INTO v_r, v_q, v_dq
		  FROM (SELECT g.registrar_id, date_trunc('quarter', g.month)::date AS quarter FROM @extschema@.registration g
		        UNION
		        SELECT m.registrar_id, date_trunc('quarter', m.month)::date FROM @extschema@.monthly_status m
		        UNION
		        SELECT o.registrar_id, o.quarter FROM @extschema@.quarterly o) u;
	END IF;
	IF v_r IS NULL THEN
		-- nothing to rescore: new bounces that moved no count, or (all
		-- quarters) a registry without registrations or bounces, which
		-- leaves no group
		IF v_all THEN
			DELETE FROM @extschema@.group_score;
		END IF;
		RETURN;
	END IF;

	-- The registrar-quarters to rescore, their figures now, and the trend
	-- of every later quarter of the same registrars (a trend looks back).
	-- Returns the quarters whose registrations moved, for the ranks.
	WITH d AS MATERIALIZED (
		SELECT u.r AS registrar_id, u.q AS quarter FROM unnest(v_r, v_q) u(r, q) WHERE u.r IS NOT NULL AND u.q IS NOT NULL
	), nf AS MATERIALIZED (	-- present: the registrar has a registration row or bounces in the quarter
		SELECT d.registrar_id, d.quarter, g.registrations, coalesce(m.counted, 0) AS counted,
		       coalesce(m.recurring, 0) AS recurring,
		       m.counted IS NOT NULL OR EXISTS (
		           SELECT FROM @extschema@.registration x
		            WHERE x.registrar_id = d.registrar_id AND x.month >= d.quarter
		              AND x.month < (d.quarter + interval '3 months')::date) AS present
		  FROM d
		  LEFT JOIN @extschema@.registration g
		         ON g.registrar_id = d.registrar_id AND g.month = (d.quarter + interval '2 months')::date
		  LEFT JOIN LATERAL (
		       SELECT sum(m.counted) AS counted, sum(m.recurring) AS recurring FROM @extschema@.monthly_status m
		        WHERE m.registrar_id = d.registrar_id AND m.month >= d.quarter
		          AND m.month < (d.quarter + interval '3 months')::date) m ON true
	), since AS (	-- per registrar, its first rescored quarter
		SELECT d.registrar_id, min(d.quarter) AS since FROM d GROUP BY 1
	), cur AS (	-- every quarter of those registrars as it will be
		SELECT nf.registrar_id, nf.quarter, nf.registrations, nf.counted, nf.recurring,
		       nf.recurring * 1000000.0 / nullif(nf.registrations, 0) AS per_1m
		  FROM nf WHERE nf.present
		UNION ALL
		SELECT o.registrar_id, o.quarter, o.registrations, o.counted, o.recurring, o.per_1m
		  FROM @extschema@.quarterly o JOIN since s ON s.registrar_id = o.registrar_id
		 WHERE NOT EXISTS (SELECT FROM d WHERE d.registrar_id = o.registrar_id AND d.quarter = o.quarter)
	), dense AS (	-- and the quarters between them with no row: blanks in the trend
		SELECT b.registrar_id, q.quarter::date AS quarter
		  FROM (SELECT cur.registrar_id, min(cur.quarter) AS lo, max(cur.quarter) AS hi FROM cur GROUP BY 1) b,
		       generate_series(b.lo, b.hi, interval '3 months') q(quarter)
	), t AS (
		SELECT dense.registrar_id, dense.quarter, cur.registrations, cur.counted, cur.recurring, cur.per_1m,
		       cur.registrar_id IS NOT NULL AS present,
		       array_agg(cur.per_1m) OVER (PARTITION BY dense.registrar_id ORDER BY dense.quarter
		                                   ROWS BETWEEN trend_quarters - 1 PRECEDING AND CURRENT ROW) AS vals
		  FROM dense LEFT JOIN cur ON cur.registrar_id = dense.registrar_id AND cur.quarter = dense.quarter
	), gone AS (
		DELETE FROM @extschema@.quarterly o USING nf
		 WHERE NOT nf.present AND o.registrar_id = nf.registrar_id AND o.quarter = nf.quarter
	), w AS (
		INSERT INTO @extschema@.quarterly AS o (registrar_id, quarter, registrations, counted, recurring, per_1m, trend)
		SELECT t.registrar_id, t.quarter, t.registrations, t.counted, t.recurring, t.per_1m, @extschema@.sparkline(t.vals)
		  FROM t JOIN since s ON s.registrar_id = t.registrar_id
		 WHERE t.present AND t.quarter >= s.since
		ON CONFLICT (registrar_id, quarter) DO UPDATE
		   SET registrations = excluded.registrations, counted = excluded.counted, recurring = excluded.recurring,
		       per_1m = excluded.per_1m, trend = excluded.trend
		 WHERE (o.registrations, o.counted, o.recurring, o.per_1m, o.trend)
		       IS DISTINCT FROM (excluded.registrations, excluded.counted, excluded.recurring, excluded.per_1m, excluded.trend)
	)
	SELECT array_agg(DISTINCT nf.quarter) INTO v_rq
	  FROM nf LEFT JOIN @extschema@.quarterly o ON o.registrar_id = nf.registrar_id AND o.quarter = nf.quarter
	 WHERE (CASE WHEN nf.present THEN nf.registrations END) IS DISTINCT FROM o.registrations
	    OR nf.present <> (o.registrar_id IS NOT NULL) OR v_all;

	-- Portfolio ranks of the quarters whose registrations moved: the
	-- registrars with a rating by registrations at quarter end, larger
	-- first; ties by registrar id.
	IF v_rq IS NOT NULL THEN
		WITH rk AS (
			SELECT q.registrar_id, q.quarter,
			       CASE WHEN q.registrations > 0 THEN
			            row_number() OVER (PARTITION BY q.quarter ORDER BY q.registrations DESC NULLS LAST, q.registrar_id) END AS r
			  FROM @extschema@.quarterly q
			 WHERE q.quarter = ANY (v_rq)
		)
		UPDATE @extschema@.quarterly o SET portfolio_rank = rk.r
		  FROM rk
		 WHERE o.registrar_id = rk.registrar_id AND o.quarter = rk.quarter AND o.portfolio_rank IS DISTINCT FROM rk.r;
	END IF;

	-- The benchmark groups of the quarters touched, over the registrars with
	-- a rating, replacing the stored ones (and those of quarters now empty).
	WITH n AS (
		SELECT q.quarter, v.grp, count(*) AS members, sum(q.recurring) AS recurring, sum(q.registrations) AS registrations
		  FROM @extschema@.quarterly q JOIN @extschema@.registrar r ON r.id = q.registrar_id,
		       LATERAL (VALUES ('all'), ('category ' || r.category),
		                       (CASE WHEN q.portfolio_rank <= 10 THEN 'top 10' END),
		                       (CASE WHEN q.portfolio_rank <= 50 THEN 'top 50' END)) v(grp)
		 WHERE q.registrations > 0 AND v.grp IS NOT NULL AND q.quarter = ANY (v_dq)
		 GROUP BY 1, 2
	), del AS (
		DELETE FROM @extschema@.group_score g
		 WHERE (g.quarter = ANY (v_dq) OR v_all)
		   AND NOT EXISTS (SELECT FROM n WHERE n.quarter = g.quarter AND n.grp = g.group_name)
	)
	INSERT INTO @extschema@.group_score AS g (quarter, group_name, members, recurring, registrations)
	SELECT n.quarter, n.grp, n.members, n.recurring, n.registrations FROM n
	ON CONFLICT (quarter, group_name) DO UPDATE
	   SET members = excluded.members, recurring = excluded.recurring, registrations = excluded.registrations
	 WHERE (g.members, g.recurring, g.registrations) IS DISTINCT FROM (excluded.members, excluded.recurring, excluded.registrations);
END $$;
COMMENT ON FUNCTION bounce_internal.refresh_quarters(boolean, integer, integer[], date[]) IS 'internal to refresh(): rescore the given registrar-quarters (a registrar and any day of the quarter; all_quarters, or a NULL pair: every one), redraw their trends (of trend_quarters quarters) from each one on, and recompute the benchmark groups of their quarters and, where registrations moved, the portfolio ranks';
REVOKE EXECUTE ON FUNCTION bounce_internal.refresh_quarters(boolean, integer, integer[], date[]) FROM PUBLIC;

DROP PROCEDURE bounce_internal.refresh_run(boolean);
CREATE PROCEDURE bounce_internal.refresh_run(full boolean)
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET jit = off
	AS $$
DECLARE
	c @extschema@.config;
	v_settings jsonb;
	v_ids bigint[];
	v_kind text;
	n bigint;
	v_tz text;
	v_full boolean;
	v_trend boolean;
	v_behind boolean := false;
	v_qr integer[];
	v_qq date[];
	v_ar integer[];
	v_aq date[];
BEGIN
	-- One refresh at a time; a second one waits, then finds little to do.
	-- The lock is the row of refresh_state, which only roles with UPDATE
	-- on it (the owner's) can lock: an advisory lock, which any role may
	-- take, would let any login role stop the scores from updating.
	PERFORM FROM @extschema@.refresh_state FOR UPDATE;
	-- the read policies' roles, as role_map says (after a restore they
	-- are the installing role's alone; otherwise they are in step, which
	-- policies_in_step() finds at a fraction of apply_policies()' cost in
	-- a new session).  ALTER POLICY needs the table to itself: when a
	-- reader holds it, the refresh goes on without, and policies_behind
	-- makes the next refresh try again.
	IF NOT bounce_internal.policies_in_step() THEN
		BEGIN
			PERFORM bounce_internal.apply_policies(wait => false);
		EXCEPTION WHEN lock_not_available THEN
			v_behind := true;
			RAISE WARNING 'bounce.refresh: the read policies could not be brought in step with role_map now (a table is in use); the next refresh tries again';
		END;
	END IF;
	v_tz := current_setting('TimeZone');
	SELECT * INTO STRICT c FROM @extschema@.config;
	v_settings := to_jsonb(c) - 'star3_max' - 'star2_max' - 'star1_max' - 'future_tolerance' - 'trend_quarters' - 'singleton';
	-- the window functions' calendar arithmetic runs in the configured zone
	PERFORM set_config('TimeZone', c.time_zone, true);
	SELECT refresh_run.full OR s.settings IS DISTINCT FROM v_settings, s.trend_quarters IS DISTINCT FROM c.trend_quarters
	  INTO v_full, v_trend FROM @extschema@.refresh_state s;
	-- SELECT 1, not SELECT: Citus plans no empty target list
	v_full := v_full OR EXISTS (SELECT 1 FROM @extschema@.pending p WHERE p.recount);
	-- Claim both queues in one statement: what is committed later stays
	-- queued for the next refresh, and so do bounces to recount committed
	-- since the check above (the next refresh is then a full one).
	WITH p AS (DELETE FROM @extschema@.pending p WHERE v_full OR NOT p.recount RETURNING p.event_id),
	     q AS (DELETE FROM @extschema@.quarter_queue RETURNING registrar_id, quarter)
	SELECT (SELECT array_agg(p.event_id) FROM p), (SELECT array_agg(q.registrar_id) FROM q),
	       (SELECT array_agg(q.quarter) FROM q)
	  INTO v_ids, v_qr, v_qq;
	IF v_full THEN
		v_kind := 'full';
		n := bounce_internal.refresh_full();
		PERFORM bounce_internal.refresh_quarters(true, c.trend_quarters, NULL, NULL);
	ELSE
		v_kind := 'incremental';
		n := 0;
		IF v_ids IS NOT NULL THEN
			SELECT a.compared, a.registrar_ids, a.months INTO n, v_ar, v_aq
			  FROM bounce_internal.refresh_addresses(v_ids) a;
		END IF;
		-- a new trend length redraws every trend
		PERFORM bounce_internal.refresh_quarters(v_trend, c.trend_quarters, v_qr || v_ar, v_qq || v_aq);
	END IF;
	UPDATE @extschema@.refresh_state
	   SET settings = v_settings, refreshed_at = now(), last_kind = v_kind, last_events = n,
	       trend_quarters = c.trend_quarters, policies_behind = v_behind;
	PERFORM set_config('TimeZone', v_tz, true);
END $$;
COMMENT ON PROCEDURE bounce_internal.refresh_run(boolean) IS 'internal to refresh(): the refresh when there may be work: take the lock, apply the read policies, claim both queues, and refresh incrementally or (full, changed settings, a bounce to recount) in full';
REVOKE EXECUTE ON PROCEDURE bounce_internal.refresh_run(boolean) FROM PUBLIC;

-- ==================== end of the refresh block ====================

-- =====================================================================
-- distribute(): run once on a Citus coordinator (src/sql/63_distribute.sql)
-- =====================================================================

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
