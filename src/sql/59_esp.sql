-- ---------------------------------------------------------------------
-- ESP events: the JSON that e-mail service providers post to webhooks
-- (src/esp/ is the pure-C reader, src/esp/esp_sql.c its SQL face).
-- ---------------------------------------------------------------------

-- One row per recipient of an event of Amazon SES (bare or in an SNS
-- envelope, notifications and event publishing), SendGrid, Postmark,
-- Mailgun or SparkPost, or of each event of a batch (a JSON array), with
-- parse_dsn's columns where they mean the same, the classifier's verdict
-- (the reason the provider's category states, else classify() on the
-- reply, else the vague category's own), and the provider's category and
-- ids.  An unknown or malformed payload is an error naming the event and
-- the field.
CREATE FUNCTION @extschema@.parse_esp_event(event jsonb,
		OUT recipient text, OUT action text, OUT status @extschema@.smtp_status,
		OUT reply_code integer, OUT diagnostic text, OUT remote_mta text,
		OUT reporting_mta text, OUT occurred_at timestamptz, OUT reason @extschema@.reason,
		OUT hard boolean, OUT permanent boolean, OUT format text, OUT category text,
		OUT message_id text, OUT event_id text, OUT element integer)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'bounce_parse_esp_event'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1;

COMMENT ON FUNCTION @extschema@.parse_esp_event(jsonb) IS 'one row per recipient of an e-mail service provider''s event (Amazon SES and SNS, SendGrid, Postmark, Mailgun, SparkPost; a JSON array is a batch): parse_dsn''s columns, the provider (format), its category, the message and event ids and the event''s position in the batch (element); the reason the category states, else the classifier''s';
