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
