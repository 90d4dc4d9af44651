-- ---------------------------------------------------------------------
-- Registry: ingestion
--
-- record_bounce() validates and records one bounce with its classification;
-- record_batch() a JSON array of them, all or nothing; COPY into ingest
-- records each row through record_bounce().  Addresses are stored as
-- normalize_address() gives them.
--
-- Writers (the application) have no privilege on the registry's tables:
-- they write through record_bounce(), record_batch(), record_attribution() and
-- record_registration(),
-- which are SECURITY DEFINER so that every row is validated and queued for
-- the refresh, and so that a writer holds no UPDATE or DELETE privilege,
-- with which it could lock a table and stop the refresh.  EXECUTE is
-- granted by grant_writer(), not to PUBLIC.
-- ---------------------------------------------------------------------

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

-- The idempotency key as it is checked and stored: without surrounding
-- blanks.  One rule for record_bounce(), record_batch() and COPY into ingest.
CREATE FUNCTION @extschema@.normalize_key(key text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT btrim(key, E' \t\r\n') $$;
COMMENT ON FUNCTION @extschema@.normalize_key(text) IS 'an idempotency key as it is checked and stored: without surrounding blanks (spaces, tabs, line ends)';

-- Why a key cannot be stored, or NULL; never errors.  A key of more than
-- 1000 bytes is refused: an entry of the key's unique index holds at most
-- about 2700 bytes, so a longer key would fail with 54000 at every retry,
-- a poison message.  1000 bytes hold any Message-ID (RFC 5322: a line of
-- 998 characters at most) hashed or not, plus a recipient.
CREATE FUNCTION @extschema@.key_problem(key text) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT CASE WHEN coalesce(k, '') = '' THEN 'is missing or empty'
	            WHEN octet_length(k) > 1000
	            THEN format('is longer than 1000 bytes (%s bytes, starting "%s")', octet_length(k), left(k, 40)) END
	  FROM (SELECT @extschema@.normalize_key(key) AS k) x $$;
COMMENT ON FUNCTION @extschema@.key_problem(text) IS 'why an idempotency key cannot be stored (missing, empty or longer than 1000 bytes once trimmed), or NULL; never errors';

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

-- Add registrars to a bounce already recorded (a repeated key in record_bounce()
-- adds none).  The incremental refresh counts a bounce for its registrars
-- only when the bounce's flags change, so the bounce is queued to be
-- recounted: the next refresh is a full one.
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

-- Record a registrar's registrations at the end of a month (the
-- denominator of its scores); a second call for the same month replaces
-- the number.
CREATE FUNCTION @extschema@.record_registration(registrar_id integer, month date, registrations bigint)
	RETURNS void
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF registrar_id IS NULL OR month IS NULL OR registrations IS NULL THEN
		RAISE EXCEPTION 'registrar_id, month and registrations must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF month <> date_trunc('month', month)::date THEN
		RAISE EXCEPTION 'month must be the first day of a month, not %', month
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Registrations are counted at the end of each month; give the month as its first day, e.g. 2025-03-01 for March.';
	END IF;
	IF registrations < 0 THEN
		RAISE EXCEPTION 'registrations must not be negative: %', registrations
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.registrar g WHERE g.id = record_registration.registrar_id) THEN
		RAISE EXCEPTION 'unknown registrar: %', registrar_id
			USING ERRCODE = 'foreign_key_violation',
				HINT = 'Add it to bounce.registrar first.';
	END IF;
	INSERT INTO @extschema@.registration AS g (registrar_id, month, registrations)
	VALUES (record_registration.registrar_id, record_registration.month, record_registration.registrations)
	ON CONFLICT ON CONSTRAINT registration_pkey DO UPDATE SET registrations = excluded.registrations;
END $$;
COMMENT ON FUNCTION @extschema@.record_registration(integer, date, bigint) IS
	'record a registrar''s registrations at the end of a month (month: its first day); replaces an earlier number for that month';
REVOKE EXECUTE ON FUNCTION @extschema@.record_registration(integer, date, bigint) FROM PUBLIC;

-- COPY target: each row is recorded by record_bounce(); the table stays empty.
CREATE TABLE @extschema@.ingest (
	idempotency_key text,
	address text,
	occurred_at timestamptz,
	registrars integer[],
	reply_code integer,
	status @extschema@.smtp_status,
	diagnostic text
);
COMMENT ON TABLE @extschema@.ingest IS 'COPY (or INSERT) bounces here: each row is passed to record_bounce() and not kept (registrars {} for none, NULL: from contact); one bad row fails the whole COPY';
COMMENT ON COLUMN @extschema@.ingest.idempotency_key IS 'as record_bounce(idempotency_key)';
COMMENT ON COLUMN @extschema@.ingest.address IS 'as record_bounce(address)';
COMMENT ON COLUMN @extschema@.ingest.occurred_at IS 'as record_bounce(occurred_at)';
COMMENT ON COLUMN @extschema@.ingest.registrars IS 'as record_bounce(registrars): {} for none, NULL from contact';
COMMENT ON COLUMN @extschema@.ingest.reply_code IS 'as record_bounce(reply_code)';
COMMENT ON COLUMN @extschema@.ingest.status IS 'as record_bounce(status)';
COMMENT ON COLUMN @extschema@.ingest.diagnostic IS 'as record_bounce(diagnostic)';

CREATE FUNCTION bounce_internal.ingest_row() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM @extschema@.record_bounce(NEW.idempotency_key, NEW.address, NEW.occurred_at, NEW.registrars,
	                           NEW.reply_code, NEW.status::text, NEW.diagnostic);
	RETURN NULL;
END $$;
COMMENT ON FUNCTION bounce_internal.ingest_row() IS 'trigger on ingest: record_bounce() the row instead of storing it';
CREATE TRIGGER ingest_row BEFORE INSERT ON @extschema@.ingest
	FOR EACH ROW EXECUTE FUNCTION bounce_internal.ingest_row();
