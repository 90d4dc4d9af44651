-- ---------------------------------------------------------------------
-- record_dsn_batch: many bounce e-mails in one statement.
-- After record_dsn (55_record_dsn.sql), whose rules it applies to each
-- message; bounce-load (tools/bounce-load/) calls it.
--
-- record_dsn calls record_bounce() once per failed recipient: one PL/pgSQL call,
-- with its checks and three INSERTs, per bounce.  A mailbox of thousands
-- of bounces is loaded faster set-based: every message parsed in one
-- query, every row checked in one query, and the bounces, their
-- attributions and their queue entries inserted by one statement each.
-- The result is what record_dsn gives when called on each message in
-- turn: the same keys, addresses, times, classifications and
-- attributions, the same outcome for each recipient, and the first of
-- several rows with one key recorded (record_dsn_batch_equivalence in
-- test/t/170_bounce_load.pl compares them on the corpus).
-- ---------------------------------------------------------------------

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
