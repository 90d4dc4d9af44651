-- ---------------------------------------------------------------------
-- DSN parser: bounce e-mails in, one row per recipient out
-- (src/dsn/ is the pure-C parser, src/dsn/dsn_sql.c its SQL face).
-- ---------------------------------------------------------------------

-- The fields as the message gives them.  C, one implementation for both
-- argument types (text and bytea are both varlena).
CREATE FUNCTION @extschema@.parse_dsn_fields(message text,
		OUT recipient text, OUT original_recipient text, OUT action text,
		OUT status @extschema@.smtp_status, OUT reply_code integer, OUT diagnostic text,
		OUT remote_mta text, OUT reporting_mta text, OUT last_attempt timestamptz,
		OUT smtp_command text, OUT format text, OUT message_id text,
		OUT message_date timestamptz, OUT stated_reason @extschema@.reason)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'bounce_parse_dsn_fields'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1;
CREATE FUNCTION @extschema@.parse_dsn_fields(message bytea,
		OUT recipient text, OUT original_recipient text, OUT action text,
		OUT status @extschema@.smtp_status, OUT reply_code integer, OUT diagnostic text,
		OUT remote_mta text, OUT reporting_mta text, OUT last_attempt timestamptz,
		OUT smtp_command text, OUT format text, OUT message_id text,
		OUT message_date timestamptz, OUT stated_reason @extschema@.reason)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'bounce_parse_dsn_fields'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1;

COMMENT ON FUNCTION @extschema@.parse_dsn_fields(text) IS 'one row per recipient of a bounce e-mail (RFC 3464/6522/6533 DSN, ARF, auto-reply or a known plain-text MTA format): the fields as found, without classification; message_id is the returned message''s Message-ID, message_date the report''s Date, stated_reason the reason the reporting MTA states in a field of its own (PowerMTA''s X-PowerMTA-BounceCategory), else NULL';
COMMENT ON FUNCTION @extschema@.parse_dsn_fields(bytea) IS 'parse_dsn_fields for a message in raw bytes (any charset): output text is UTF-8, undecodable bytes become U+FFFD';

-- The fields plus the classifier's verdict.  A feedback report is
-- 'feedback', an auto-reply 'vacation', a success 'delivered', a row whose
-- reporting MTA states its own reason (stated_reason) that reason; every other
-- row gets what @extschema@.classify(diagnostic, reply_code, status,
-- smtp_command, remote_mta), @extschema@.is_hard(reason, reply_code, status)
-- and @extschema@.is_permanent(reply_code, status) give, from the same C
-- functions, called directly.
CREATE FUNCTION @extschema@.parse_dsn(message text,
		OUT recipient text, OUT original_recipient text, OUT action text,
		OUT status @extschema@.smtp_status, OUT reply_code integer, OUT diagnostic text,
		OUT remote_mta text, OUT reporting_mta text, OUT last_attempt timestamptz,
		OUT smtp_command text, OUT reason @extschema@.reason, OUT hard boolean,
		OUT permanent boolean, OUT format text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'bounce_parse_dsn'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1;
CREATE FUNCTION @extschema@.parse_dsn(message bytea,
		OUT recipient text, OUT original_recipient text, OUT action text,
		OUT status @extschema@.smtp_status, OUT reply_code integer, OUT diagnostic text,
		OUT remote_mta text, OUT reporting_mta text, OUT last_attempt timestamptz,
		OUT smtp_command text, OUT reason @extschema@.reason, OUT hard boolean,
		OUT permanent boolean, OUT format text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'bounce_parse_dsn'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1;

COMMENT ON FUNCTION @extschema@.parse_dsn(text) IS 'one row per recipient of a bounce e-mail, with the classifier''s reason, hard and permanent verdicts and the format the parser recognised';
COMMENT ON FUNCTION @extschema@.parse_dsn(bytea) IS 'parse_dsn for a message in raw bytes (unknown or mixed charset)';
