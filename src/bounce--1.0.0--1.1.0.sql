-- bounce 1.0.0 -> 1.1.0
\echo Use "ALTER EXTENSION bounce UPDATE" to load this file. \quit

-- =====================================================================
-- Citus: keys with the address, and distribute()
--
-- The bounces' tables are keyed with the address, the column a Citus
-- cluster distributes them by (doc/scaling.md): event's primary key is
-- (address, id) and its idempotency key is unique per address, with a
-- plain index on id; attribution and pending carry the address (added
-- last, filled from event).  The writers, the refresh, fix_list and the
-- my_ functions that read them go by the address too, and are made again
-- (DROP and CREATE: the project uses no CREATE OR REPLACE), with the
-- grants role_map gives.  New: distribute().
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

-- ---- the functions that read or write them ---------------------------
DROP FUNCTION @extschema@.my_fix_list();
DROP FUNCTION @extschema@.my_flagged_event();
DROP VIEW @extschema@.fix_list;
DROP FUNCTION @extschema@.record_bounce(text, text, timestamptz, integer[], integer, text, text, text, text, @extschema@.reason);
DROP FUNCTION @extschema@.record_batch(jsonb);
DROP FUNCTION @extschema@.record_attribution(bigint, integer[]);
DROP FUNCTION @extschema@.record_dsn_batch(bytea[], integer[], timestamptz);
DROP PROCEDURE bounce_internal.refresh_run(boolean);
DROP PROCEDURE @extschema@.refresh(boolean);

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
)
SELECT per.registrar_id, r.name AS registrar,
       rank() OVER (PARTITION BY per.registrar_id ORDER BY per.recurring_bounces DESC, per.counted_bounces DESC, per.last_bounce DESC) AS rank,
       per.address, per.recurring_bounces, per.counted_bounces, per.first_bounce, per.last_bounce,
       per.last_reason, per.last_status, per.suppressed, per.uncounted_bounces, per.last_uncounted_bounce
  FROM per JOIN @extschema@.registrar r ON r.id = per.registrar_id;
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

CREATE FUNCTION @extschema@.record_bounce(idempotency_key text, address text, occurred_at timestamptz,
		registrars integer[], reply_code integer DEFAULT NULL,
		status text DEFAULT NULL, diagnostic text DEFAULT NULL,
		remote_host text DEFAULT NULL, command text DEFAULT NULL,
		reason @extschema@.reason DEFAULT NULL)
	RETURNS bigint
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
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
	IF registrars IS NULL THEN
		RAISE EXCEPTION 'bounce registrars must not be NULL (key "%")', left(v_key, 80)
			USING ERRCODE = 'null_value_not_allowed',
				HINT = 'Pass an empty array, ''{}'', for a bounce that counts against no registrar.';
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
	v_code := coalesce(record_bounce.reply_code, v_parsed.reply_code);
	v_status := coalesce(v_status, v_parsed.status);
	v_reason := coalesce(record_bounce.reason, v_parsed.reason, 'undefined');
	INSERT INTO @extschema@.event AS e (idempotency_key, address, occurred_at, reply_code, status,
	                                    diagnostic, reason, hard, permanent)
	VALUES (v_key, v_addr, record_bounce.occurred_at, v_code, v_status,
	        record_bounce.diagnostic, v_reason, @extschema@.is_hard(v_reason, v_code, v_status),
	        @extschema@.is_permanent(v_code, v_status))
	ON CONFLICT ON CONSTRAINT event_idempotency_key_key DO NOTHING
	RETURNING e.id INTO v_id;
	IF v_id IS NULL THEN
		SELECT e.id INTO v_id FROM @extschema@.event e WHERE e.address = v_addr AND e.idempotency_key = v_key;
		RETURN v_id;
	END IF;
	INSERT INTO @extschema@.attribution (address, event_id, registrar_id)
	SELECT DISTINCT v_addr, v_id, r FROM unnest(registrars) r;
	INSERT INTO @extschema@.pending (address, event_id) VALUES (v_addr, v_id);
	RETURN v_id;
END $$;
COMMENT ON FUNCTION @extschema@.record_bounce(text, text, timestamptz, integer[], integer, text, text, text, text, @extschema@.reason) IS
	'record one bounce against its registrars (''{}'': none; NULL is an error) and return its id; a reply code or status not given is the one the diagnostic text states (as classify_explain() reads it), stored in the event; reason: the one the source states itself, e.g. an MTA''s bounce category, else the classifier''s; a repeated idempotency key returns the existing id and writes nothing; bad input is an error and writes nothing';
REVOKE EXECUTE ON FUNCTION @extschema@.record_bounce(text, text, timestamptz, integer[], integer, text, text, text, text, @extschema@.reason) FROM PUBLIC;

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
			WHEN coalesce(@extschema@.normalize_key(v->>'key'), '') = '' THEN '22004 "key" (the idempotency key) is missing or empty'
			WHEN @extschema@.key_problem(v->>'key') IS NOT NULL THEN '22001 "key" ' || @extschema@.key_problem(v->>'key')
			WHEN v->>'address' IS NULL THEN '22004 "address" is missing'
			WHEN @extschema@.address_problem(v->>'address') IS NOT NULL
				THEN '22P02 ' || format('invalid e-mail address "%s": %s', left(v->>'address', 80), @extschema@.address_problem(v->>'address'))
			WHEN v->>'occurred_at' IS NULL THEN '22004 "occurred_at" is missing'
			WHEN v->'registrars' IS NULL OR jsonb_typeof(v->'registrars') = 'null'
				THEN '22004 "registrars" is missing or null (use [] for a bounce that counts against no registrar)'
			WHEN jsonb_typeof(v->'registrars') <> 'array'
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
		       ARRAY(SELECT DISTINCT x::integer FROM jsonb_array_elements_text(
		             CASE WHEN jsonb_typeof(v->'registrars') = 'array' THEN v->'registrars' ELSE '[]' END) x) AS regs
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
		RETURNING id, address, idempotency_key
	), att AS (
		INSERT INTO @extschema@.attribution (address, event_id, registrar_id)
		SELECT ins.address, ins.id, r FROM ins JOIN firsts f ON f.addr = ins.address AND f.k = ins.idempotency_key, unnest(f.regs) r
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
	'record a JSON array of bounces (fields key, address, occurred_at, registrars, reply_code, status, diagnostic, remote_host, command; registrars required, [] for none), each as record_bounce() does; returns each element''s bounce id and whether it is new; all or nothing: one bad element rejects the batch, naming it';
REVOKE EXECUTE ON FUNCTION @extschema@.record_batch(jsonb) FROM PUBLIC;

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
			RETURNING id, address, idempotency_key
		), att AS (
			INSERT INTO @extschema@.attribution (address, event_id, registrar_id)
			SELECT ins.address, ins.id, g.r FROM ins, (SELECT DISTINCT x AS r FROM unnest(registrars) x) g
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
	'record_dsn for many bounce e-mails in one statement: one row per recipient of each message (message: its position from 1), as record_dsn would give, plus is_new (false: the key was already recorded); all or nothing: a message record_dsn would refuse stops the batch, naming its position';
REVOKE EXECUTE ON FUNCTION @extschema@.record_dsn_batch(bytea[], integer[], timestamptz) FROM PUBLIC;

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
	-- are the installing role's alone; a no-op otherwise).  ALTER POLICY
	-- needs the table to itself: when a reader holds it, the refresh goes
	-- on without, and policies_behind makes the next refresh try again.
	BEGIN
		PERFORM bounce_internal.apply_policies(wait => false);
	EXCEPTION WHEN lock_not_available THEN
		v_behind := true;
		RAISE WARNING 'bounce.refresh: the read policies could not be brought in step with role_map now (a table is in use); the next refresh tries again';
	END;
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
			SELECT a.compared, a.registrar_ids, a.quarters INTO n, v_ar, v_aq
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

CREATE FUNCTION @extschema@.my_fix_list() RETURNS SETOF @extschema@.fix_list
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	WITH own AS MATERIALIZED (
		SELECT a.registrar_id, f.*
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
	)
	SELECT per.registrar_id, r.name AS registrar,
	       rank() OVER (PARTITION BY per.registrar_id ORDER BY per.recurring_bounces DESC, per.counted_bounces DESC, per.last_bounce DESC) AS rank,
	       per.address, per.recurring_bounces, per.counted_bounces, per.first_bounce, per.last_bounce,
	       per.last_reason, per.last_status, per.suppressed, per.uncounted_bounces, per.last_uncounted_bounce
	  FROM per JOIN @extschema@.registrar r ON r.id = per.registrar_id $$;
COMMENT ON FUNCTION @extschema@.my_fix_list() IS 'fix_list for the registrars of the session''s role, computed from their own bounces';
REVOKE EXECUTE ON FUNCTION @extschema@.my_fix_list() FROM PUBLIC;

-- what grant_analyst(), grant_writer() and grant_registrar() gave on the
-- objects made again
DO $$
DECLARE
	m record;
BEGIN
	FOR m IN SELECT role_name, kind FROM @extschema@.role_map LOOP
		IF m.kind IN ('analyst', 'writer') THEN
			EXECUTE format('GRANT SELECT ON @extschema@.fix_list TO %s', m.role_name);
		END IF;
		IF m.kind = 'writer' THEN
			EXECUTE format('GRANT EXECUTE ON FUNCTION
				@extschema@.record_bounce(text, text, timestamptz, integer[], integer, text, text, text, text, @extschema@.reason),
				@extschema@.record_batch(jsonb), @extschema@.record_attribution(bigint, integer[]),
				@extschema@.record_dsn_batch(bytea[], integer[], timestamptz) TO %s', m.role_name);
		END IF;
		IF m.kind = 'registrar' THEN
			EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.my_fix_list(), @extschema@.my_flagged_event() TO %s', m.role_name);
		END IF;
	END LOOP;
END $$;

-- ---- distribute() (src/sql/60_distribute.sql) -------------------------
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

	-- The foreign keys of the tables to distribute (attribution's, and
	-- contact's when it exists) are dropped, on the coordinator and on the
	-- workers' copies of the tables (made by the propagated CREATE
	-- EXTENSION, which Citus uses as the shells of the distributed
	-- tables); those to event are made again once all are distributed,
	-- and reach every node and shard.  Citus keeps none to a table of the
	-- coordinator: the writers check registrars themselves.
	FOR v_fk IN
		SELECT c.conrelid::regclass AS rel, c.conname::text AS name, pg_get_constraintdef(c.oid) AS def,
		       c.confrelid = '@extschema@.event'::regclass AS keep
		  FROM pg_catalog.pg_constraint c
		 WHERE c.contype = 'f' AND c.conrelid IN (SELECT to_regclass('@extschema@.' || n) FROM unnest(ARRAY['attribution', 'pending', 'contact']) n)
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
		SELECT to_regclass('@extschema@.' || n) FROM unnest(ARRAY['attribution', 'pending', 'contact']) n
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

-- ---- end of the Citus block ------------------------------------------
