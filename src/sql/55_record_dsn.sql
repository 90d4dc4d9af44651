-- ---------------------------------------------------------------------
-- record_dsn: ingest a bounce e-mail through bounce.record_bounce.
-- After the ingestion fragment (52_registry_ingest.sql), whose record_bounce()
-- and address_problem() it calls.
-- ---------------------------------------------------------------------

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
