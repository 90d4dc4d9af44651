-- ---------------------------------------------------------------------
-- Registry model, ingestion, scoring views, refresh and security
--
-- Tables the registry fills (registered with pg_extension_config_dump, so
-- pg_dump keeps them): config, registrar, role_map, registration, event,
-- attribution.  Derived tables that CALL refresh() rebuilds (not dumped):
-- pending, event_flags, monthly, monthly_status, group_score,
-- refresh_state.  Row-level security limits a registrar's role to its own
-- rows; see grant_registrar().
-- ---------------------------------------------------------------------

-- ---- configuration ---------------------------------------------------

-- Raises 22023 for an unknown time zone; used by config's CHECK.
CREATE FUNCTION @extschema@.valid_time_zone(tz text) RETURNS boolean
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM timestamptz '2000-01-01 00:00+00' AT TIME ZONE tz;
	RETURN true;
END $$;
COMMENT ON FUNCTION @extschema@.valid_time_zone(text) IS 'true for a time zone name PostgreSQL knows, else error 22023 naming it';

CREATE TABLE @extschema@.config (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	star3_max numeric NOT NULL DEFAULT 150 CHECK (star3_max >= 0),
	star2_max numeric NOT NULL DEFAULT 400,
	star1_max numeric NOT NULL DEFAULT 1000,
	count_kind text NOT NULL DEFAULT 'permanent' CHECK (count_kind IN ('permanent', 'hard')),
	recurring_min_gap interval NOT NULL DEFAULT '14 days',
	recurring_max_gap interval NOT NULL DEFAULT '3 months',
	suppress_strikes integer NOT NULL DEFAULT 3 CHECK (suppress_strikes >= 1),
	suppress_span interval NOT NULL DEFAULT '15 days',
	future_tolerance interval NOT NULL DEFAULT '1 hour' CHECK (future_tolerance >= '0'),
	time_zone text NOT NULL DEFAULT 'UTC' CHECK (@extschema@.valid_time_zone(time_zone)),
	trend_quarters integer NOT NULL DEFAULT 8 CHECK (trend_quarters BETWEEN 2 AND 40),
	CONSTRAINT star_bands_ordered CHECK (star3_max <= star2_max AND star2_max <= star1_max),
	CONSTRAINT recurring_gaps_ordered CHECK (recurring_min_gap <= recurring_max_gap)
);
COMMENT ON TABLE @extschema@.config IS 'bounce settings, one row; change with one UPDATE (placeholders: DNS Belgium does not publish its thresholds); CALL refresh() applies them';
COMMENT ON COLUMN @extschema@.config.star3_max IS 'recurring bounces per 1M registrations per quarter at or below which a registrar gets 3 stars';
COMMENT ON COLUMN @extschema@.config.star2_max IS 'at or below: 2 stars';
COMMENT ON COLUMN @extschema@.config.star1_max IS 'at or below: 1 star; above: 0 stars';
COMMENT ON COLUMN @extschema@.config.count_kind IS 'which bounces count: permanent (SMTP 5xx / 5.x.x, the default) or hard (the address itself is bad)';
COMMENT ON COLUMN @extschema@.config.recurring_min_gap IS 'a counted bounce is recurring when the previous counted bounce of its address is at least this long before it';
COMMENT ON COLUMN @extschema@.config.recurring_max_gap IS 'and at most this long before it (calendar arithmetic in time_zone)';
COMMENT ON COLUMN @extschema@.config.suppress_strikes IS 'suppress an address after this many consecutive bounces';
COMMENT ON COLUMN @extschema@.config.suppress_span IS 'spanning more than this';
COMMENT ON COLUMN @extschema@.config.future_tolerance IS 'record() refuses a bounce time later than now() plus this';
COMMENT ON COLUMN @extschema@.config.time_zone IS 'time zone of month and quarter boundaries and of the recurring-gap arithmetic';
COMMENT ON COLUMN @extschema@.config.trend_quarters IS 'quarters shown in the quarterly_score trend sparkline';

INSERT INTO @extschema@.config DEFAULT VALUES;

-- pg_restore loads the dumped config row after CREATE EXTENSION has made
-- the default one: an INSERT into the singleton replaces it.
CREATE FUNCTION @extschema@.config_upsert() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF EXISTS (SELECT FROM @extschema@.config) THEN
		DELETE FROM @extschema@.config;
	END IF;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION @extschema@.config_upsert() IS 'trigger: an INSERT into the one-row config table replaces the row (so pg_restore keeps the dumped settings)';
CREATE TRIGGER config_upsert BEFORE INSERT ON @extschema@.config
	FOR EACH ROW EXECUTE FUNCTION @extschema@.config_upsert();

-- ---- registrars, roles, registrations -------------------------------

CREATE TABLE @extschema@.registrar (
	id integer PRIMARY KEY CHECK (id > 0),
	name text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
	category text NOT NULL DEFAULT 'unspecified' CHECK (btrim(category) <> '')
);
COMMENT ON TABLE @extschema@.registrar IS 'registrars, by the registry''s own registrar id; category is the business model used as benchmark group';

CREATE TABLE @extschema@.role_map (
	role_name name PRIMARY KEY,
	kind text NOT NULL CHECK (kind IN ('registrar', 'analyst', 'writer')),
	registrar_id integer REFERENCES @extschema@.registrar ON DELETE CASCADE,
	CHECK ((kind = 'registrar') = (registrar_id IS NOT NULL))
);
COMMENT ON TABLE @extschema@.role_map IS 'which database role represents which registrar, and which roles are analysts or the application''s writers; maintained by grant_registrar(), grant_analyst(), grant_writer(), revoke_role()';

CREATE TABLE @extschema@.registration (
	registrar_id integer NOT NULL REFERENCES @extschema@.registrar,
	month date NOT NULL CHECK (month = date_trunc('month', month)::date),
	registrations bigint NOT NULL CHECK (registrations >= 0),
	PRIMARY KEY (registrar_id, month)
);
COMMENT ON TABLE @extschema@.registration IS 'registrations (domains) of a registrar at the end of a month: the denominator of every per-million figure; month is the first day of the month';

-- ---- bounces ---------------------------------------------------------

-- Why an address is malformed, or NULL when it is fine.  Never errors.
-- Both are C (src/address/): the domain is case-folded by a Unicode table,
-- never by the database's ctype, so the result is the same in every
-- database and under every collation, as IMMUTABLE promises.
CREATE FUNCTION @extschema@.address_problem(address text) RETURNS text
	AS 'MODULE_PATHNAME', 'bounce_address_problem_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.address_problem(text) IS 'why an e-mail address is malformed, or NULL when normalize_address() accepts it; never errors; the same under every locale';

CREATE FUNCTION @extschema@.normalize_address(address text) RETURNS text
	AS 'MODULE_PATHNAME', 'bounce_normalize_address_sql'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normalize_address(text) IS 'canonical form of an e-mail address: trimmed, local part kept exactly (RFC 5321 2.4: it may be case-sensitive), domain without a trailing dot and case-folded by Unicode simple case folding, the same under every locale; error 22P02 naming a malformed address';

CREATE TABLE @extschema@.event (
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	idempotency_key text NOT NULL UNIQUE CHECK (idempotency_key <> ''),
	address text NOT NULL,
	occurred_at timestamptz NOT NULL CHECK (isfinite(occurred_at)),
	reply_code @extschema@.reply_code,
	status @extschema@.smtp_status,
	diagnostic text,
	reason @extschema@.reason NOT NULL,
	hard boolean,
	permanent boolean,
	recorded_at timestamptz NOT NULL DEFAULT now()
);
-- The refresh window reads every bounce in this order: the included
-- columns (all it needs) let it scan the index alone, without visiting
-- the table in address order (about a third of a full refresh).
CREATE INDEX event_address_idx ON @extschema@.event (address, occurred_at, id)
	INCLUDE (reason, hard, permanent, status, reply_code);
COMMENT ON TABLE @extschema@.event IS 'every bounce, recorded once (by idempotency_key), with its classification computed at ingest; write through record(), record_batch() or COPY into ingest';
COMMENT ON COLUMN @extschema@.event.address IS 'recipient, as normalize_address() gives it';
COMMENT ON COLUMN @extschema@.event.idempotency_key IS 'the source''s unique key of the bounce, e.g. Message-ID plus recipient; a repeated key is not recorded again';
COMMENT ON COLUMN @extschema@.event.reason IS 'classify(diagnostic, reply_code, status) at ingest';
COMMENT ON COLUMN @extschema@.event.hard IS 'is_hard(reason, reply_code, status) at ingest: the address itself is bad';
COMMENT ON COLUMN @extschema@.event.permanent IS 'is_permanent(reply_code, status) at ingest: SMTP 5xx or 5.x.x';

CREATE TABLE @extschema@.attribution (
	event_id bigint NOT NULL REFERENCES @extschema@.event ON DELETE CASCADE,
	registrar_id integer NOT NULL REFERENCES @extschema@.registrar,
	PRIMARY KEY (event_id, registrar_id)
);
CREATE INDEX attribution_registrar_idx ON @extschema@.attribution (registrar_id);
COMMENT ON TABLE @extschema@.attribution IS 'a bounce counts against every registrar with a registration using the address at the time (each is notified): one row per (bounce, registrar)';

-- Bounces recorded since the last refresh (a queue: refresh() deletes
-- what it has seen, so a bounce committed late is never skipped).
CREATE TABLE @extschema@.pending (
	event_id bigint NOT NULL
);
COMMENT ON TABLE @extschema@.pending IS 'queue of bounces recorded since the last refresh(); internal';

-- ---- derived state (rebuilt by refresh) ------------------------------

-- One flag byte per bounce, 256 bounces (by id) to a row: a full refresh
-- of 10M bounces writes 40k rows instead of 10M.  Byte id & 255 of row
-- id >> 8: bit 1 refreshed, 2 counted, 4 recurring, 8 suppressed; 0 = not
-- refreshed yet.  flagged_event reads it; nobody needs to decode it by hand.
CREATE TABLE @extschema@.event_flags (
	block bigint PRIMARY KEY,
	flags bytea NOT NULL CHECK (octet_length(flags) = 256)
);
ALTER TABLE @extschema@.event_flags ALTER COLUMN flags SET STORAGE PLAIN;	-- read in place, never compressed
COMMENT ON TABLE @extschema@.event_flags IS 'flags of every bounce as of the last refresh(), packed one byte per bounce and 256 bounces to a row (see flagged_event); internal, written by refresh()';

CREATE TABLE @extschema@.monthly (
	registrar_id integer NOT NULL,
	month date NOT NULL,
	counted bigint NOT NULL,
	recurring bigint NOT NULL,
	PRIMARY KEY (registrar_id, month)
);
COMMENT ON TABLE @extschema@.monthly IS 'summary kept by refresh(): counted and recurring bounces per registrar and month';

CREATE TABLE @extschema@.monthly_status (
	registrar_id integer NOT NULL,
	month date NOT NULL,
	status @extschema@.smtp_status NOT NULL,
	counted bigint NOT NULL,
	recurring bigint NOT NULL,
	PRIMARY KEY (registrar_id, month, status)
);
COMMENT ON TABLE @extschema@.monthly_status IS 'summary kept by refresh(): counted and recurring bounces per registrar, month and status code';

CREATE TABLE @extschema@.quarterly (
	registrar_id integer NOT NULL,
	quarter date NOT NULL,
	registrations bigint,
	counted bigint NOT NULL,
	recurring bigint NOT NULL,
	per_1m numeric,
	trend text,
	PRIMARY KEY (registrar_id, quarter)
);
COMMENT ON TABLE @extschema@.quarterly IS 'summary kept by refresh(): per registrar and quarter, registrations at quarter end, counted and recurring bounces, recurring per 1M and the trend sparkline';

CREATE TABLE @extschema@.group_score (
	quarter date NOT NULL,
	group_name text NOT NULL,
	members integer NOT NULL,
	recurring bigint NOT NULL,
	registrations bigint NOT NULL,
	PRIMARY KEY (quarter, group_name)
);
COMMENT ON TABLE @extschema@.group_score IS 'summary kept by refresh(): each benchmark group (top 10, top 50, all, category ...) as one virtual registrar per quarter; aggregate figures, readable by every registrar';

CREATE TABLE @extschema@.refresh_state (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	settings jsonb,
	refreshed_at timestamptz,
	last_kind text,
	last_events bigint,
	trend_quarters integer
);
COMMENT ON TABLE @extschema@.refresh_state IS 'what the last refresh() did, and with which settings (a settings change forces a full refresh)';
INSERT INTO @extschema@.refresh_state DEFAULT VALUES;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.config', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.registrar', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.role_map', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.registration', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event_id_seq', '');
COMMENT ON SEQUENCE @extschema@.event_id_seq IS 'ids of event';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.attribution', '');

-- ---- row-level security ----------------------------------------------

-- Registrars whose role the current user is a member of.
CREATE FUNCTION @extschema@.my_registrars() RETURNS integer[]
	LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT coalesce(array_agg(m.registrar_id), '{}')
	  FROM @extschema@.role_map m JOIN pg_roles r ON r.rolname = m.role_name
	 WHERE m.kind = 'registrar' AND pg_has_role(r.oid, 'MEMBER') $$;
COMMENT ON FUNCTION @extschema@.my_registrars() IS 'ids of the registrars whose role (role_map) the current user is a member of';

CREATE FUNCTION @extschema@.sees_all() RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT EXISTS (SELECT FROM @extschema@.role_map m JOIN pg_roles r ON r.rolname = m.role_name
	                WHERE m.kind IN ('analyst', 'writer') AND pg_has_role(r.oid, 'MEMBER')) $$;
COMMENT ON FUNCTION @extschema@.sees_all() IS 'true when the current user is a member of an analyst or writer role (role_map): row-level security shows it every row';

CREATE FUNCTION @extschema@.is_writer() RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT EXISTS (SELECT FROM @extschema@.role_map m JOIN pg_roles r ON r.rolname = m.role_name
	                WHERE m.kind = 'writer' AND pg_has_role(r.oid, 'MEMBER')) $$;
COMMENT ON FUNCTION @extschema@.is_writer() IS 'true when the current user is a member of a writer role (role_map)';

ALTER TABLE @extschema@.role_map ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_roles ON @extschema@.role_map FOR SELECT
	USING (role_name IN (SELECT rolname FROM pg_roles WHERE pg_has_role(oid, 'MEMBER')));

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

-- ---- ingestion -------------------------------------------------------

-- Record one bounce.  Validates everything before writing; a repeated
-- idempotency key returns the existing id and writes nothing.
CREATE FUNCTION @extschema@.record(idempotency_key text, address text, occurred_at timestamptz,
		registrars integer[], reply_code integer DEFAULT NULL,
		status text DEFAULT NULL, diagnostic text DEFAULT NULL,
		remote_host text DEFAULT NULL, command text DEFAULT NULL,
		reason @extschema@.reason DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_id bigint;
	v_addr text;
	v_reason @extschema@.reason;
	v_bad integer;
	v_tol interval;
	v_status @extschema@.smtp_status := status;	-- 22P02 naming a bad code
BEGIN
	IF idempotency_key IS NULL OR btrim(idempotency_key) = '' THEN
		RAISE EXCEPTION 'bounce idempotency key must not be empty'
			USING ERRCODE = 'null_value_not_allowed',
				HINT = 'Use the source''s unique key of the bounce, e.g. its Message-ID plus the recipient.';
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
	SELECT c.future_tolerance INTO v_tol FROM @extschema@.config c;
	IF occurred_at > now() + coalesce(v_tol, '0') THEN
		RAISE EXCEPTION 'bounce time % is in the future', occurred_at
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('now() is %s; config.future_tolerance allows %s.', now(), coalesce(v_tol, '0')),
				HINT = 'Check the clock and time zone of the source.';
	END IF;
	IF reply_code IS NOT NULL THEN
		PERFORM @extschema@.reply_code_check(reply_code);
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

	-- the reason the source states itself wins; else the classifier's
	v_reason := coalesce(record.reason, @extschema@.classify(diagnostic, reply_code, v_status, command, remote_host), 'undefined');
	INSERT INTO @extschema@.event AS e (idempotency_key, address, occurred_at, reply_code, status,
	                                    diagnostic, reason, hard, permanent)
	VALUES (record.idempotency_key, v_addr, record.occurred_at, record.reply_code, v_status,
	        record.diagnostic, v_reason, @extschema@.is_hard(v_reason, record.reply_code, v_status),
	        @extschema@.is_permanent(record.reply_code, v_status))
	ON CONFLICT ON CONSTRAINT event_idempotency_key_key DO NOTHING
	RETURNING e.id INTO v_id;
	IF v_id IS NULL THEN
		SELECT e.id INTO v_id FROM @extschema@.event e WHERE e.idempotency_key = record.idempotency_key;
		RETURN v_id;
	END IF;
	INSERT INTO @extschema@.attribution (event_id, registrar_id)
	SELECT DISTINCT v_id, r FROM unnest(registrars) r;
	INSERT INTO @extschema@.pending (event_id) VALUES (v_id);
	RETURN v_id;
END $$;
COMMENT ON FUNCTION @extschema@.record(text, text, timestamptz, integer[], integer, text, text, text, text, @extschema@.reason) IS
	'record one bounce against its registrars and return its id (reason: the one the source states itself, e.g. an MTA''s bounce category; NULL: classify the diagnostic); a repeated idempotency key returns the existing id and writes nothing; bad input is an error and writes nothing';

-- Record a jsonb array of bounces; all or nothing.
CREATE FUNCTION @extschema@.record_batch(bounces jsonb)
	RETURNS TABLE (element integer, bounce_id bigint, is_new boolean)
	LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_el integer;
	v_problem text;
	v_code text;
	v_ord integer[];
	v_ids bigint[];
	v_new boolean[];
	v_keys text[];
	v_tol interval;
BEGIN
	IF jsonb_typeof(bounces) <> 'array' THEN
		RAISE EXCEPTION 'record_batch expects a JSON array, not a JSON %', jsonb_typeof(bounces)
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass [{"key": ..., "address": ..., "occurred_at": ..., "registrars": [...], "reply_code": ..., "status": ..., "diagnostic": ...}, ...].';
	END IF;
	SELECT c.future_tolerance INTO v_tol FROM @extschema@.config c;

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
			WHEN coalesce(btrim(v->>'key'), '') = '' THEN '22004 "key" (the idempotency key) is missing or empty'
			WHEN v->>'address' IS NULL THEN '22004 "address" is missing'
			WHEN @extschema@.address_problem(v->>'address') IS NOT NULL
				THEN '22P02 ' || format('invalid e-mail address "%s": %s', left(v->>'address', 80), @extschema@.address_problem(v->>'address'))
			WHEN v->>'occurred_at' IS NULL THEN '22004 "occurred_at" is missing'
			WHEN v ? 'registrars' AND jsonb_typeof(v->'registrars') NOT IN ('array', 'null')
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

	-- Times: the cast names a malformed value; then the future check.
	SELECT o INTO v_el FROM jsonb_array_elements(bounces) WITH ORDINALITY AS j(v, o)
	 WHERE NOT isfinite((v->>'occurred_at')::timestamptz) OR (v->>'occurred_at')::timestamptz > now() + coalesce(v_tol, '0')
	 ORDER BY o LIMIT 1;
	IF v_el IS NOT NULL THEN
		RAISE EXCEPTION 'bounce batch element %: time % is in the future or not finite', v_el, bounces->(v_el - 1)->>'occurred_at'
			USING ERRCODE = 'invalid_parameter_value', DETAIL = 'Nothing of the batch was recorded.';
	END IF;

	WITH input AS (
		SELECT o::integer AS o, v->>'key' AS k, @extschema@.normalize_address(v->>'address') AS addr,
		       (v->>'occurred_at')::timestamptz AS t,
		       (v->>'reply_code')::integer AS rc, btrim(v->>'status')::@extschema@.smtp_status AS st,
		       v->>'diagnostic' AS diag, v->>'remote_host' AS rh, v->>'command' AS cmd,
		       ARRAY(SELECT DISTINCT x::integer FROM jsonb_array_elements_text(
		             CASE WHEN jsonb_typeof(v->'registrars') = 'array' THEN v->'registrars' ELSE '[]' END) x) AS regs
		  FROM jsonb_array_elements(bounces) WITH ORDINALITY AS j(v, o)
	), firsts AS (
		SELECT DISTINCT ON (k) *, coalesce(@extschema@.classify(diag, rc, st, cmd, rh), 'undefined') AS reason
		  FROM input ORDER BY k, o
	), ins AS (
		INSERT INTO @extschema@.event (idempotency_key, address, occurred_at, reply_code, status,
		                               diagnostic, reason, hard, permanent)
		SELECT k, addr, t, rc, st, diag, f.reason, @extschema@.is_hard(f.reason, rc, st), @extschema@.is_permanent(rc, st)
		  FROM firsts f ORDER BY o
		ON CONFLICT ON CONSTRAINT event_idempotency_key_key DO NOTHING
		RETURNING id, idempotency_key
	), att AS (
		INSERT INTO @extschema@.attribution (event_id, registrar_id)
		SELECT ins.id, r FROM ins JOIN firsts f ON f.k = ins.idempotency_key, unnest(f.regs) r
	), pend AS (
		INSERT INTO @extschema@.pending (event_id) SELECT ins.id FROM ins
	)
	SELECT array_agg(i.o ORDER BY i.o), array_agg(coalesce(ins.id, e.id) ORDER BY i.o),
	       array_agg(ins.id IS NOT NULL AND i.o = f.o ORDER BY i.o), array_agg(i.k ORDER BY i.o)
	  INTO v_ord, v_ids, v_new, v_keys
	  FROM input i JOIN firsts f ON f.k = i.k
	  LEFT JOIN ins ON ins.idempotency_key = i.k
	  LEFT JOIN @extschema@.event e ON e.idempotency_key = i.k;

	-- A key committed by a concurrent caller during the insert is not in
	-- that statement's snapshot: look it up again.
	RETURN QUERY
	SELECT t.o, coalesce(t.id, (SELECT e.id FROM @extschema@.event e WHERE e.idempotency_key = t.k)), t.n
	  FROM unnest(v_ord, v_ids, v_new, v_keys) AS t(o, id, n, k)
	 ORDER BY t.o;
END $$;
COMMENT ON FUNCTION @extschema@.record_batch(jsonb) IS
	'record a JSON array of bounces (fields key, address, occurred_at, registrars, reply_code, status, diagnostic, remote_host, command); returns each element''s bounce id and whether it is new; all or nothing: one bad element rejects the batch, naming it';

-- COPY target: each row is recorded by record(); the table stays empty.
CREATE TABLE @extschema@.ingest (
	idempotency_key text,
	address text,
	occurred_at timestamptz,
	registrars integer[],
	reply_code integer,
	status @extschema@.smtp_status,
	diagnostic text
);
COMMENT ON TABLE @extschema@.ingest IS 'COPY (or INSERT) bounces here: each row is passed to record() and not kept; one bad row fails the whole COPY';

CREATE FUNCTION @extschema@.ingest_row() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM @extschema@.record(NEW.idempotency_key, NEW.address, NEW.occurred_at, NEW.registrars,
	                           NEW.reply_code, NEW.status::text, NEW.diagnostic);
	RETURN NULL;
END $$;
COMMENT ON FUNCTION @extschema@.ingest_row() IS 'trigger on ingest: record() the row instead of storing it';
CREATE TRIGGER ingest_row BEFORE INSERT ON @extschema@.ingest
	FOR EACH ROW EXECUTE FUNCTION @extschema@.ingest_row();

-- ---- scoring helpers -------------------------------------------------

CREATE FUNCTION @extschema@.stars(per_1m numeric) RETURNS integer
	LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT CASE WHEN per_1m <= c.star3_max THEN 3 WHEN per_1m <= c.star2_max THEN 2
	            WHEN per_1m <= c.star1_max THEN 1 ELSE 0 END
	  FROM @extschema@.config c $$;
COMMENT ON FUNCTION @extschema@.stars(numeric) IS 'stars (0-3) for a number of recurring bounces per 1M registrations, per the bands in config';

-- In C (src/score/sparkline.c): refresh() draws one trend per rewritten quarter.
CREATE FUNCTION @extschema@.sparkline(vals numeric[]) RETURNS text
	AS 'MODULE_PATHNAME', 'bounce_sparkline'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sparkline(numeric[]) IS 'a small bar chart of the values, one block character each, scaled from 0 to the largest (e.g. ▁▃▅█); NULL is a blank';

-- ---- refresh ---------------------------------------------------------

-- The per-bounce work of refresh(), in C (src/flag/refresh.c): one ordered pass
-- over event_address_idx that applies the rules of recurring() and
-- suppress() and counts per registrar, month and status.
CREATE FUNCTION @extschema@.refresh_scan(new_ids bigint[], min_gap interval, max_gap interval,
		strikes integer, span interval, count_hard boolean)
	RETURNS TABLE (block bigint, flags bytea, registrar_id integer, month date,
	               status @extschema@.smtp_status, counted bigint, recurring bigint)
	AS 'MODULE_PATHNAME', 'bounce_refresh_scan'
	LANGUAGE C STABLE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.refresh_scan(bigint[], interval, interval, integer, interval, boolean) IS
	'internal to refresh(): with new_ids NULL, every event_flags row and the counted and recurring bounces per registrar, month and status; with new_ids, only the event_flags rows that change and the count differences, for the addresses of those bounces from each one''s first new bounce on (a dense run of ids is read as one range: older bounces inside it are compared too, and found unchanged); plus one row with only counted set: the bounces flagged';

-- Recompute the flags of the bounces of the addresses of the given new
-- bounces and apply the differences to the summaries.  The rules look only
-- backwards, so a bounce earlier than an address's first new one keeps its
-- flags: refresh_scan() reads every bounce of the address (for its state)
-- but compares only those from the first new one on.
CREATE FUNCTION @extschema@.refresh_addresses(new_ids bigint[]) RETURNS bigint
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, @extschema@, pg_temp
	AS $$
DECLARE
	c @extschema@.config;
	n bigint;
	zr integer[];
	zm date[];
	zs @extschema@.smtp_status[];
	mr integer[];
	mm date[];
BEGIN
	SELECT * INTO STRICT c FROM @extschema@.config;
	-- One statement, no temp tables (creating them costs more than a day's
	-- work); the summaries that drop to zero are collected for the DELETE.
	WITH r AS MATERIALIZED (
		SELECT * FROM @extschema@.refresh_scan(new_ids, c.recurring_min_gap, c.recurring_max_gap,
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
	), mo AS (
		INSERT INTO @extschema@.monthly AS m (registrar_id, month, counted, recurring)
		SELECT r.registrar_id, r.month, sum(r.counted), sum(r.recurring) FROM r WHERE r.registrar_id IS NOT NULL GROUP BY 1, 2
		ON CONFLICT (registrar_id, month) DO UPDATE
		   SET counted = m.counted + excluded.counted, recurring = m.recurring + excluded.recurring
		RETURNING m.registrar_id, m.month, m.counted, m.recurring
	)
	SELECT (SELECT r.counted FROM r WHERE r.block IS NULL AND r.registrar_id IS NULL),
	       (SELECT array_agg(ms.registrar_id) FROM ms WHERE ms.counted = 0 AND ms.recurring = 0),
	       (SELECT array_agg(ms.month) FROM ms WHERE ms.counted = 0 AND ms.recurring = 0),
	       (SELECT array_agg(ms.status) FROM ms WHERE ms.counted = 0 AND ms.recurring = 0),
	       (SELECT array_agg(mo.registrar_id) FROM mo WHERE mo.counted = 0 AND mo.recurring = 0),
	       (SELECT array_agg(mo.month) FROM mo WHERE mo.counted = 0 AND mo.recurring = 0)
	  INTO n, zr, zm, zs, mr, mm;
	-- after the statement above, so that it sees the new sums
	IF zr IS NOT NULL THEN
		DELETE FROM @extschema@.monthly_status m USING unnest(zr, zm, zs) z(r, mo, st)
		 WHERE m.registrar_id = z.r AND m.month = z.mo AND m.status = z.st AND m.counted = 0 AND m.recurring = 0;
	END IF;
	IF mr IS NOT NULL THEN
		DELETE FROM @extschema@.monthly m USING unnest(mr, mm) z(r, mo)
		 WHERE m.registrar_id = z.r AND m.month = z.mo AND m.counted = 0 AND m.recurring = 0;
	END IF;
	RETURN coalesce(n, 0);
END $$;
COMMENT ON FUNCTION @extschema@.refresh_addresses(bigint[]) IS 'internal to refresh(): recompute the flags of the bounces of these new bounces'' addresses, from each address''s first new bounce on, and apply the differences to the summaries';

-- Full recompute of event_flags and the summaries.
CREATE FUNCTION @extschema@.refresh_full() RETURNS bigint
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, @extschema@, pg_temp
	AS $$
DECLARE
	c @extschema@.config;
	n bigint;
BEGIN
	SELECT * INTO STRICT c FROM @extschema@.config;
	DELETE FROM @extschema@.pending;
	-- Rows are replaced in place, only where they differ, and removed where
	-- they are no longer produced; no TRUNCATE, so readers of the views keep
	-- the previous state until this commits instead of waiting for a lock,
	-- and a full refresh that changes little writes little.
	WITH r AS MATERIALIZED (
		SELECT * FROM @extschema@.refresh_scan(NULL, c.recurring_min_gap, c.recurring_max_gap,
		                                       c.suppress_strikes, c.suppress_span, c.count_kind = 'hard')
	), mr AS MATERIALIZED (
		SELECT r.registrar_id, r.month, sum(r.counted) AS counted, sum(r.recurring) AS recurring
		  FROM r WHERE r.registrar_id IS NOT NULL GROUP BY 1, 2
	), df AS MATERIALIZED (	-- blocks that differ from the stored ones, or are gone
		SELECT n.block AS nb, n.flags, o.block AS ob
		  FROM (SELECT r.block, r.flags FROM r WHERE r.block IS NOT NULL) n
		  FULL JOIN @extschema@.event_flags o ON o.block = n.block
		 WHERE n.flags IS DISTINCT FROM o.flags
	), f AS (	-- plain INSERT for new keys (refreshes are serialised: no conflict)
		INSERT INTO @extschema@.event_flags (block, flags)
		SELECT df.nb, df.flags FROM df WHERE df.ob IS NULL
	), fu AS (
		UPDATE @extschema@.event_flags b SET flags = df.flags
		  FROM df WHERE df.nb IS NOT NULL AND b.block = df.ob
	), fd AS (
		DELETE FROM @extschema@.event_flags b USING df WHERE df.nb IS NULL AND b.block = df.ob
	), dms AS MATERIALIZED (	-- the same for monthly_status
		SELECT n.registrar_id AS nr, n.month AS nm, n.status AS ns, n.counted, n.recurring,
		       o.registrar_id AS orr, o.month AS om, o.status AS os
		  FROM (SELECT r.registrar_id, r.month, r.status, r.counted, r.recurring FROM r WHERE r.registrar_id IS NOT NULL) n
		  FULL JOIN @extschema@.monthly_status o
		         ON o.registrar_id = n.registrar_id AND o.month = n.month AND o.status = n.status
		 WHERE (n.counted, n.recurring) IS DISTINCT FROM (o.counted, o.recurring)
	), ms AS (
		INSERT INTO @extschema@.monthly_status (registrar_id, month, status, counted, recurring)
		SELECT d.nr, d.nm, d.ns, d.counted, d.recurring FROM dms d WHERE d.orr IS NULL
	), msu AS (
		UPDATE @extschema@.monthly_status m SET counted = d.counted, recurring = d.recurring
		  FROM dms d
		 WHERE d.nr IS NOT NULL AND m.registrar_id = d.orr AND m.month = d.om AND m.status = d.os
	), msd AS (
		DELETE FROM @extschema@.monthly_status m USING dms d
		 WHERE d.nr IS NULL AND m.registrar_id = d.orr AND m.month = d.om AND m.status = d.os
	), dmo AS MATERIALIZED (	-- and for monthly
		SELECT n.registrar_id AS nr, n.month AS nm, n.counted, n.recurring, o.registrar_id AS orr, o.month AS om
		  FROM mr n FULL JOIN @extschema@.monthly o ON o.registrar_id = n.registrar_id AND o.month = n.month
		 WHERE (n.counted, n.recurring) IS DISTINCT FROM (o.counted, o.recurring)
	), mo AS (
		INSERT INTO @extschema@.monthly (registrar_id, month, counted, recurring)
		SELECT d.nr, d.nm, d.counted, d.recurring FROM dmo d WHERE d.orr IS NULL
	), mou AS (
		UPDATE @extschema@.monthly m SET counted = d.counted, recurring = d.recurring
		  FROM dmo d WHERE d.nr IS NOT NULL AND m.registrar_id = d.orr AND m.month = d.om
	), mod AS (
		DELETE FROM @extschema@.monthly m USING dmo d
		 WHERE d.nr IS NULL AND m.registrar_id = d.orr AND m.month = d.om
	)
	SELECT r.counted INTO n FROM r WHERE r.block IS NULL AND r.registrar_id IS NULL;
	RETURN coalesce(n, 0);
END $$;
COMMENT ON FUNCTION @extschema@.refresh_full() IS 'internal to refresh(): recompute every bounce''s flags and all summaries';

CREATE FUNCTION @extschema@.refresh_quarters() RETURNS void
	LANGUAGE sql VOLATILE SET search_path = pg_catalog, @extschema@, pg_temp
	AS $$
	-- Recompute every quarter's figures (cheap: they come from monthly),
	-- but rewrite, with their trend, only the quarters that differ from
	-- what is stored and the later quarters of the same registrar (or all,
	-- when trend_quarters changed): the trend sparkline is most of the cost.
	WITH m AS (
		SELECT m.registrar_id, date_trunc('quarter', m.month)::date AS quarter,
		       sum(m.counted) AS counted, sum(m.recurring) AS recurring
		  FROM @extschema@.monthly m GROUP BY 1, 2
	), q AS (
		SELECT g.registrar_id, (g.month - interval '2 months')::date AS quarter, g.registrations,
		       coalesce(m.counted, 0) AS counted, coalesce(m.recurring, 0) AS recurring
		  FROM @extschema@.registration g
		  LEFT JOIN m ON m.registrar_id = g.registrar_id AND m.quarter = (g.month - interval '2 months')::date
		 WHERE extract(month FROM g.month) IN (3, 6, 9, 12)
	), s AS (
		SELECT q.*, round(q.recurring * 1000000.0 / nullif(q.registrations, 0), 1) AS per_1m FROM q
	), dirty AS (	-- per registrar, the first quarter that changed (the trend of later ones moves too)
		SELECT coalesce(s.registrar_id, o.registrar_id) AS registrar_id,
		       CASE WHEN (SELECT r.trend_quarters IS DISTINCT FROM (SELECT trend_quarters FROM @extschema@.config)
		                    FROM @extschema@.refresh_state r)
		            THEN '-infinity' ELSE min(coalesce(s.quarter, o.quarter)) END AS since
		  FROM s FULL JOIN @extschema@.quarterly o ON o.registrar_id = s.registrar_id AND o.quarter = s.quarter
		 WHERE (s.registrations, s.counted, s.recurring, s.per_1m) IS DISTINCT FROM (o.registrations, o.counted, o.recurring, o.per_1m)
		    OR (SELECT r.trend_quarters IS DISTINCT FROM (SELECT trend_quarters FROM @extschema@.config)
		          FROM @extschema@.refresh_state r)
		 GROUP BY 1
	), t AS (
		SELECT s.registrar_id, s.quarter, s.registrations, s.counted, s.recurring, s.per_1m, d.since,
		       (array_agg(s.per_1m) OVER w)[greatest(1, (count(*) OVER w)::integer - c.trend_quarters + 1):] AS vals
		  FROM s JOIN dirty d ON d.registrar_id = s.registrar_id
		 CROSS JOIN (SELECT * FROM @extschema@.config LIMIT 1) c	-- one row: keeps estimates (and JIT) sane
		WINDOW w AS (PARTITION BY s.registrar_id ORDER BY s.quarter)
	)
	INSERT INTO @extschema@.quarterly AS o (registrar_id, quarter, registrations, counted, recurring, per_1m, trend)
	SELECT t.registrar_id, t.quarter, t.registrations, t.counted, t.recurring, t.per_1m, @extschema@.sparkline(t.vals)
	  FROM t
	 WHERE t.quarter >= t.since
	ON CONFLICT (registrar_id, quarter) DO UPDATE
	   SET registrations = excluded.registrations, counted = excluded.counted, recurring = excluded.recurring,
	       per_1m = excluded.per_1m, trend = excluded.trend
	 WHERE (o.registrations, o.counted, o.recurring, o.per_1m, o.trend)
	       IS DISTINCT FROM (excluded.registrations, excluded.counted, excluded.recurring, excluded.per_1m, excluded.trend);
	-- quarters whose quarter-end registrations are gone (their registrar's
	-- trend was rewritten above without them)
	DELETE FROM @extschema@.quarterly o
	 WHERE NOT EXISTS (SELECT FROM @extschema@.registration g
	                    WHERE g.registrar_id = o.registrar_id AND g.month = (o.quarter + interval '2 months')::date);

	DELETE FROM @extschema@.group_score;
	WITH q AS (
		SELECT q.registrar_id, r.category, q.quarter, q.registrations, q.recurring,
		       row_number() OVER (PARTITION BY q.quarter ORDER BY q.registrations DESC NULLS LAST, q.registrar_id) AS portfolio_rank
		  FROM @extschema@.quarterly q JOIN @extschema@.registrar r ON r.id = q.registrar_id
	)
	INSERT INTO @extschema@.group_score (quarter, group_name, members, recurring, registrations)
	SELECT quarter, grp, count(*), sum(recurring), sum(registrations)
	  FROM q, LATERAL (VALUES ('all'), ('category ' || category),
	                          (CASE WHEN portfolio_rank <= 10 THEN 'top 10' END),
	                          (CASE WHEN portfolio_rank <= 50 THEN 'top 50' END)) v(grp)
	 WHERE grp IS NOT NULL
	 GROUP BY 1, 2 $$;
COMMENT ON FUNCTION @extschema@.refresh_quarters() IS 'internal to refresh(): recompute the quarterly summary of every quarter, rewriting (with the trend) only from the first quarter that changed, and the benchmark groups';

-- The refresh's internals are for refresh() alone, which its owner (or the
-- pg_cron job) runs.
REVOKE EXECUTE ON FUNCTION @extschema@.refresh_scan(bigint[], interval, interval, integer, interval, boolean),
	@extschema@.refresh_addresses(bigint[]), @extschema@.refresh_full(), @extschema@.refresh_quarters() FROM PUBLIC;

-- jit off: the refresh's statements are index scans feeding C and joins
-- of a few thousand summary rows, whose 10M-row estimates cross
-- jit_above_cost; compiling them cost about 150 ms of a 5 s full refresh
-- at 10M and bought nothing.
CREATE PROCEDURE @extschema@.refresh(full boolean DEFAULT false)
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET jit = off
	AS $$
DECLARE
	c @extschema@.config;
	v_settings jsonb;
	v_ids bigint[];
	v_kind text;
	n bigint;
	v_tz text := current_setting('TimeZone');
BEGIN
	-- one refresh at a time; a second one waits, then finds little to do
	PERFORM pg_advisory_xact_lock(1651472750, 5);
	SELECT * INTO STRICT c FROM @extschema@.config;
	v_settings := to_jsonb(c) - 'star3_max' - 'star2_max' - 'star1_max' - 'future_tolerance' - 'trend_quarters' - 'singleton';
	-- the window functions' calendar arithmetic runs in the configured zone
	PERFORM set_config('TimeZone', c.time_zone, true);
	IF refresh.full OR (SELECT settings IS DISTINCT FROM v_settings FROM @extschema@.refresh_state) THEN
		v_kind := 'full';
		n := @extschema@.refresh_full();
	ELSE
		v_kind := 'incremental';
		-- claim the queue in one statement: bounces committed later stay queued
		WITH claimed AS (DELETE FROM @extschema@.pending RETURNING event_id)
		SELECT array_agg(event_id) INTO v_ids FROM claimed;
		n := CASE WHEN v_ids IS NULL THEN 0 ELSE @extschema@.refresh_addresses(v_ids) END;
	END IF;
	PERFORM @extschema@.refresh_quarters();
	UPDATE @extschema@.refresh_state
	   SET settings = v_settings, refreshed_at = now(), last_kind = v_kind, last_events = n,
	       trend_quarters = c.trend_quarters;
	PERFORM set_config('TimeZone', v_tz, true);
END $$;
COMMENT ON PROCEDURE @extschema@.refresh(boolean) IS
	'bring the summaries up to date: recompute only the addresses with new bounces (full => true, or changed settings, recomputes everything); one at a time (advisory lock); run it from pg_cron';

-- ---- views -----------------------------------------------------------

CREATE VIEW @extschema@.flagged_event WITH (security_invoker = true) AS
SELECT e.id, e.address, e.occurred_at, e.reply_code, e.status, e.reason, e.hard, e.permanent,
       (x.f & 2) <> 0 AS counted, (x.f & 4) <> 0 AS recurring, (x.f & 8) <> 0 AS suppressed
  FROM @extschema@.event e
  LEFT JOIN @extschema@.event_flags b ON b.block = e.id >> 8
  CROSS JOIN LATERAL (SELECT nullif(get_byte(b.flags, (e.id & 255)::integer), 0) AS f) x;
COMMENT ON VIEW @extschema@.flagged_event IS 'every bounce with its flags as of the last refresh(): counted, recurring (recurring() over the counted bounces of the address) and suppressed (suppress() over all its bounces); NULL flags = not yet refreshed';

CREATE VIEW @extschema@.monthly_score WITH (security_invoker = true) AS
SELECT r.id AS registrar_id, r.name AS registrar, coalesce(g.month, m.month) AS month,
       g.registrations, coalesce(m.counted, 0) AS counted, coalesce(m.recurring, 0) AS recurring,
       round(coalesce(m.counted, 0) * 1000000.0 / nullif(g.registrations, 0), 1) AS counted_per_1m,
       round(coalesce(m.recurring, 0) * 1000000.0 / nullif(g.registrations, 0), 1) AS recurring_per_1m
  FROM @extschema@.registration g
  FULL JOIN @extschema@.monthly m ON m.registrar_id = g.registrar_id AND m.month = g.month
  JOIN @extschema@.registrar r ON r.id = coalesce(g.registrar_id, m.registrar_id);
COMMENT ON VIEW @extschema@.monthly_score IS 'per registrar and month: registrations at month end, counted (permanent or hard, per config) and recurring bounces, both per 1M registrations';

CREATE VIEW @extschema@.top_errors WITH (security_invoker = true) AS
WITH per AS (
	SELECT 'month'::text AS period, ms.month AS period_start, ms.registrar_id, ms.status,
	       ms.counted AS errors, g.registrations
	  FROM @extschema@.monthly_status ms
	  LEFT JOIN @extschema@.registration g ON g.registrar_id = ms.registrar_id AND g.month = ms.month
	UNION ALL
	SELECT 'quarter', q.quarter, q.registrar_id, q.status, q.errors, g.registrations
	  FROM (SELECT date_trunc('quarter', month)::date AS quarter, registrar_id, status, sum(counted) AS errors
	          FROM @extschema@.monthly_status GROUP BY 1, 2, 3) q
	  LEFT JOIN @extschema@.registration g
	         ON g.registrar_id = q.registrar_id AND g.month = (q.quarter + interval '2 months')::date
)
SELECT p.period, p.period_start, p.registrar_id, r.name AS registrar, p.status,
       @extschema@.status_text(p.status) AS status_text, p.errors, p.registrations,
       round(p.errors * 1000000.0 / nullif(p.registrations, 0), 1) AS per_1m,
       rank() OVER (PARTITION BY p.period, p.period_start, p.registrar_id ORDER BY p.errors DESC) AS rank
  FROM per p JOIN @extschema@.registrar r ON r.id = p.registrar_id
 WHERE p.errors > 0;
COMMENT ON VIEW @extschema@.top_errors IS 'counted bounces per registrar, period (month or quarter) and enhanced status code, per 1M registrations at the period''s end, ranked within the registrar''s period';

CREATE VIEW @extschema@.quarterly_score WITH (security_invoker = true) AS
WITH t AS (
	SELECT q.*, CASE WHEN q.per_1m <= c.star3_max THEN 3 WHEN q.per_1m <= c.star2_max THEN 2
	                 WHEN q.per_1m <= c.star1_max THEN 1 WHEN q.per_1m IS NOT NULL THEN 0 END AS stars,
	       c.star3_max, c.star2_max, c.star1_max
	  FROM @extschema@.quarterly q CROSS JOIN (SELECT * FROM @extschema@.config LIMIT 1) c	-- one row: keeps estimates (and JIT) sane
)
SELECT t.registrar_id, r.name AS registrar, r.category, t.quarter,
       to_char(t.quarter, 'YYYY-"Q"Q') AS label, t.registrations, t.counted, t.recurring,
       t.per_1m AS recurring_per_1m, t.stars,
       CASE t.stars WHEN 2 THEN t.per_1m - t.star3_max WHEN 1 THEN t.per_1m - t.star2_max
                    WHEN 0 THEN t.per_1m - t.star1_max END AS to_better_per_1m,
       CASE t.stars WHEN 3 THEN t.star3_max - t.per_1m WHEN 2 THEN t.star2_max - t.per_1m
                    WHEN 1 THEN t.star1_max - t.per_1m END AS to_worse_per_1m,
       t.trend
  FROM t JOIN @extschema@.registrar r ON r.id = t.registrar_id;
COMMENT ON VIEW @extschema@.quarterly_score IS 'per registrar and quarter: recurring bounces per 1M registrations at quarter end, stars 0-3, distance (per 1M) to the next-better and next-worse band boundary, and the trend of the last config.trend_quarters quarters as a sparkline';

CREATE VIEW @extschema@.benchmark WITH (security_invoker = true) AS
SELECT s.registrar_id, s.registrar, s.quarter, s.label, s.recurring_per_1m, s.stars,
       round(t10.recurring * 1000000.0 / nullif(t10.registrations, 0), 1) AS top10_per_1m,
       round(t50.recurring * 1000000.0 / nullif(t50.registrations, 0), 1) AS top50_per_1m,
       round(a.recurring * 1000000.0 / nullif(a.registrations, 0), 1) AS all_per_1m,
       s.category,
       round(cat.recurring * 1000000.0 / nullif(cat.registrations, 0), 1) AS category_per_1m
  FROM @extschema@.quarterly_score s
  LEFT JOIN @extschema@.group_score t10 ON t10.quarter = s.quarter AND t10.group_name = 'top 10'
  LEFT JOIN @extschema@.group_score t50 ON t50.quarter = s.quarter AND t50.group_name = 'top 50'
  LEFT JOIN @extschema@.group_score a ON a.quarter = s.quarter AND a.group_name = 'all'
  LEFT JOIN @extschema@.group_score cat ON cat.quarter = s.quarter AND cat.group_name = 'category ' || s.category;
COMMENT ON VIEW @extschema@.benchmark IS 'each registrar''s quarterly recurring bounces per 1M beside its benchmark groups (top 10 and top 50 by portfolio, all registrars, its category), each group counted as one virtual registrar';

CREATE VIEW @extschema@.fix_list WITH (security_invoker = true) AS
WITH hit AS (
	SELECT DISTINCT a.registrar_id, e.address
	  FROM @extschema@.flagged_event e
	  JOIN @extschema@.attribution a ON a.event_id = e.id
	 WHERE e.recurring
), per AS (
	SELECT h.registrar_id, h.address, count(*) AS bounces,
	       count(*) FILTER (WHERE e.recurring) AS recurring_bounces,
	       min(e.occurred_at) AS first_bounce, max(e.occurred_at) AS last_bounce,
	       (array_agg(e.reason ORDER BY e.occurred_at DESC, e.id DESC))[1] AS last_reason,
	       (array_agg(e.status ORDER BY e.occurred_at DESC, e.id DESC))[1] AS last_status,
	       (array_agg(e.suppressed ORDER BY e.occurred_at DESC, e.id DESC))[1] AS suppressed
	  FROM hit h
	  JOIN @extschema@.flagged_event e ON e.address = h.address
	  JOIN @extschema@.attribution a ON a.event_id = e.id AND a.registrar_id = h.registrar_id
	 GROUP BY h.registrar_id, h.address
)
SELECT per.registrar_id, r.name AS registrar,
       rank() OVER (PARTITION BY per.registrar_id ORDER BY per.recurring_bounces DESC, per.bounces DESC, per.last_bounce DESC) AS rank,
       per.address, per.recurring_bounces, per.bounces, per.first_bounce, per.last_bounce,
       per.last_reason, per.last_status, per.suppressed
  FROM per JOIN @extschema@.registrar r ON r.id = per.registrar_id;
COMMENT ON VIEW @extschema@.fix_list IS 'per registrar, the addresses behind its recurring bounces, worst first (rank): recurring and total bounces, first and last bounce, last reason and status, suppressed';

CREATE VIEW @extschema@.address_status WITH (security_invoker = true) AS
SELECT DISTINCT ON (x.address) x.address, x.occurred_at AS last_bounce, x.reason AS last_reason,
       x.status AS last_status, x.hard AS last_hard, x.streak, coalesce(x.suppressed, false) AS suppressed
  FROM (SELECT e.*, @extschema@.streak(e.occurred_at, e.reason = 'delivered')
                    OVER (PARTITION BY e.address ORDER BY e.occurred_at, e.id) AS streak
          FROM @extschema@.flagged_event e) x
 ORDER BY x.address, x.occurred_at DESC, x.id DESC;
COMMENT ON VIEW @extschema@.address_status IS 'per address: last bounce, its reason and status, current streak (bounces since the last delivery, counted now, over the bounces the reader may see) and whether to suppress mail (as of the last refresh); filter by address, e.g. WHERE address = normalize_address($1)';

-- ---- roles -----------------------------------------------------------

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
	VALUES (grant_registrar.role_name, 'registrar', registrar)
	ON CONFLICT ON CONSTRAINT role_map_pkey DO UPDATE SET kind = 'registrar', registrar_id = excluded.registrar_id;
	PERFORM @extschema@.grant_read(role_name);
END $$;
COMMENT ON FUNCTION @extschema@.grant_registrar(integer, name) IS 'map a role to a registrar: it (and its members) can read that registrar''s rows, in every table and view, and nothing else';

CREATE FUNCTION @extschema@.grant_analyst(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM @extschema@.check_role(role_name);
	INSERT INTO @extschema@.role_map (role_name, kind) VALUES (grant_analyst.role_name, 'analyst')
	ON CONFLICT ON CONSTRAINT role_map_pkey DO UPDATE SET kind = 'analyst', registrar_id = NULL;
	PERFORM @extschema@.grant_read(role_name);
END $$;
COMMENT ON FUNCTION @extschema@.grant_analyst(name) IS 'let a role read every row of every table and view; it cannot write';

CREATE FUNCTION @extschema@.grant_writer(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM @extschema@.check_role(role_name);
	INSERT INTO @extschema@.role_map (role_name, kind) VALUES (grant_writer.role_name, 'writer')
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
	DELETE FROM @extschema@.role_map m WHERE m.role_name = revoke_role.role_name;
	EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM %I', role_name);
	EXECUTE format('REVOKE USAGE ON SCHEMA @extschema@ FROM %I', role_name);
END $$;
COMMENT ON FUNCTION @extschema@.revoke_role(name) IS 'undo grant_registrar(), grant_analyst() or grant_writer() for a role';
