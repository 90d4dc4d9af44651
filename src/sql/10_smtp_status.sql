-- ---------------------------------------------------------------------
-- smtp_status: RFC 3463 enhanced status codes (src/status/status_sql.c)
-- ---------------------------------------------------------------------

CREATE TYPE @extschema@.smtp_status;

CREATE FUNCTION bounce_internal.smtp_status_in(cstring) RETURNS @extschema@.smtp_status
	AS 'MODULE_PATHNAME', 'smtp_status_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bounce_internal.smtp_status_out(@extschema@.smtp_status) RETURNS cstring
	AS 'MODULE_PATHNAME', 'smtp_status_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bounce_internal.smtp_status_recv(internal) RETURNS @extschema@.smtp_status
	AS 'MODULE_PATHNAME', 'smtp_status_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bounce_internal.smtp_status_send(@extschema@.smtp_status) RETURNS bytea
	AS 'MODULE_PATHNAME', 'smtp_status_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.smtp_status (
	INTERNALLENGTH = 4,
	PASSEDBYVALUE,
	ALIGNMENT = int4,
	STORAGE = plain,
	INPUT = bounce_internal.smtp_status_in,
	OUTPUT = bounce_internal.smtp_status_out,
	RECEIVE = bounce_internal.smtp_status_recv,
	SEND = bounce_internal.smtp_status_send
);

COMMENT ON TYPE @extschema@.smtp_status IS 'RFC 3463 enhanced mail system status code, class.subject.detail (e.g. 5.1.1); 4 bytes, by value';
COMMENT ON FUNCTION bounce_internal.smtp_status_in(cstring) IS 'smtp_status text input; rejects anything but class.subject.detail with 22P02';
COMMENT ON FUNCTION bounce_internal.smtp_status_out(@extschema@.smtp_status) IS 'smtp_status text output, canonical form';
COMMENT ON FUNCTION bounce_internal.smtp_status_recv(internal) IS 'smtp_status binary input: three int16 parts';
COMMENT ON FUNCTION bounce_internal.smtp_status_send(@extschema@.smtp_status) IS 'smtp_status binary output: three int16 parts';

-- Comparison
CREATE FUNCTION bounce_internal.smtp_status_eq(@extschema@.smtp_status, @extschema@.smtp_status) RETURNS boolean
	AS 'MODULE_PATHNAME', 'smtp_status_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION bounce_internal.smtp_status_ne(@extschema@.smtp_status, @extschema@.smtp_status) RETURNS boolean
	AS 'MODULE_PATHNAME', 'smtp_status_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION bounce_internal.smtp_status_lt(@extschema@.smtp_status, @extschema@.smtp_status) RETURNS boolean
	AS 'MODULE_PATHNAME', 'smtp_status_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION bounce_internal.smtp_status_le(@extschema@.smtp_status, @extschema@.smtp_status) RETURNS boolean
	AS 'MODULE_PATHNAME', 'smtp_status_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION bounce_internal.smtp_status_gt(@extschema@.smtp_status, @extschema@.smtp_status) RETURNS boolean
	AS 'MODULE_PATHNAME', 'smtp_status_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION bounce_internal.smtp_status_ge(@extschema@.smtp_status, @extschema@.smtp_status) RETURNS boolean
	AS 'MODULE_PATHNAME', 'smtp_status_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION bounce_internal.smtp_status_cmp(@extschema@.smtp_status, @extschema@.smtp_status) RETURNS integer
	AS 'MODULE_PATHNAME', 'smtp_status_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION bounce_internal.smtp_status_hash(@extschema@.smtp_status) RETURNS integer
	AS 'MODULE_PATHNAME', 'smtp_status_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION bounce_internal.smtp_status_hash_extended(@extschema@.smtp_status, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME', 'smtp_status_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

COMMENT ON FUNCTION bounce_internal.smtp_status_eq(@extschema@.smtp_status, @extschema@.smtp_status) IS 'implementation of = for smtp_status';
COMMENT ON FUNCTION bounce_internal.smtp_status_ne(@extschema@.smtp_status, @extschema@.smtp_status) IS 'implementation of <> for smtp_status';
COMMENT ON FUNCTION bounce_internal.smtp_status_lt(@extschema@.smtp_status, @extschema@.smtp_status) IS 'implementation of < for smtp_status';
COMMENT ON FUNCTION bounce_internal.smtp_status_le(@extschema@.smtp_status, @extschema@.smtp_status) IS 'implementation of <= for smtp_status';
COMMENT ON FUNCTION bounce_internal.smtp_status_gt(@extschema@.smtp_status, @extschema@.smtp_status) IS 'implementation of > for smtp_status';
COMMENT ON FUNCTION bounce_internal.smtp_status_ge(@extschema@.smtp_status, @extschema@.smtp_status) IS 'implementation of >= for smtp_status';
COMMENT ON FUNCTION bounce_internal.smtp_status_cmp(@extschema@.smtp_status, @extschema@.smtp_status) IS 'btree comparison support for smtp_status: -1, 0 or 1';
COMMENT ON FUNCTION bounce_internal.smtp_status_hash(@extschema@.smtp_status) IS 'hash support for smtp_status';
COMMENT ON FUNCTION bounce_internal.smtp_status_hash_extended(@extschema@.smtp_status, bigint) IS 'seeded 64-bit hash support for smtp_status';

CREATE OPERATOR @extschema@.= (
	LEFTARG = @extschema@.smtp_status, RIGHTARG = @extschema@.smtp_status,
	FUNCTION = bounce_internal.smtp_status_eq,
	COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR @extschema@.<> (
	LEFTARG = @extschema@.smtp_status, RIGHTARG = @extschema@.smtp_status,
	FUNCTION = bounce_internal.smtp_status_ne,
	COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR @extschema@.< (
	LEFTARG = @extschema@.smtp_status, RIGHTARG = @extschema@.smtp_status,
	FUNCTION = bounce_internal.smtp_status_lt,
	COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR @extschema@.<= (
	LEFTARG = @extschema@.smtp_status, RIGHTARG = @extschema@.smtp_status,
	FUNCTION = bounce_internal.smtp_status_le,
	COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR @extschema@.> (
	LEFTARG = @extschema@.smtp_status, RIGHTARG = @extschema@.smtp_status,
	FUNCTION = bounce_internal.smtp_status_gt,
	COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR @extschema@.>= (
	LEFTARG = @extschema@.smtp_status, RIGHTARG = @extschema@.smtp_status,
	FUNCTION = bounce_internal.smtp_status_ge,
	COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel
);

COMMENT ON OPERATOR @extschema@.= (@extschema@.smtp_status, @extschema@.smtp_status) IS 'equal';
COMMENT ON OPERATOR @extschema@.<> (@extschema@.smtp_status, @extschema@.smtp_status) IS 'not equal';
COMMENT ON OPERATOR @extschema@.< (@extschema@.smtp_status, @extschema@.smtp_status) IS 'less than, in (class, subject, detail) order';
COMMENT ON OPERATOR @extschema@.<= (@extschema@.smtp_status, @extschema@.smtp_status) IS 'less than or equal, in (class, subject, detail) order';
COMMENT ON OPERATOR @extschema@.> (@extschema@.smtp_status, @extschema@.smtp_status) IS 'greater than, in (class, subject, detail) order';
COMMENT ON OPERATOR @extschema@.>= (@extschema@.smtp_status, @extschema@.smtp_status) IS 'greater than or equal, in (class, subject, detail) order';

-- btequalimage: equal values are bitwise equal, so btree deduplication is safe.
CREATE OPERATOR CLASS @extschema@.smtp_status_ops
	DEFAULT FOR TYPE @extschema@.smtp_status USING btree AS
		OPERATOR 1 @extschema@.<,
		OPERATOR 2 @extschema@.<=,
		OPERATOR 3 @extschema@.=,
		OPERATOR 4 @extschema@.>=,
		OPERATOR 5 @extschema@.>,
		FUNCTION 1 bounce_internal.smtp_status_cmp(@extschema@.smtp_status, @extschema@.smtp_status),
		FUNCTION 4 pg_catalog.btequalimage(oid);

CREATE OPERATOR CLASS @extschema@.smtp_status_hash_ops
	DEFAULT FOR TYPE @extschema@.smtp_status USING hash AS
		OPERATOR 1 @extschema@.=,
		FUNCTION 1 bounce_internal.smtp_status_hash(@extschema@.smtp_status),
		FUNCTION 2 bounce_internal.smtp_status_hash_extended(@extschema@.smtp_status, bigint);

-- Text casts; assignment casts so text columns load into smtp_status columns.
CREATE CAST (text AS @extschema@.smtp_status) WITH INOUT AS ASSIGNMENT;
CREATE CAST (@extschema@.smtp_status AS text) WITH INOUT AS ASSIGNMENT;
COMMENT ON CAST (text AS @extschema@.smtp_status) IS 'parse an enhanced status code; 22P02 on bad input';
COMMENT ON CAST (@extschema@.smtp_status AS text) IS 'canonical text of an enhanced status code';

-- Accessors and predicates
CREATE FUNCTION @extschema@.status_class(@extschema@.smtp_status) RETURNS integer
	AS 'MODULE_PATHNAME', 'smtp_status_class' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.status_subject(@extschema@.smtp_status) RETURNS integer
	AS 'MODULE_PATHNAME', 'smtp_status_subject' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.status_detail(@extschema@.smtp_status) RETURNS integer
	AS 'MODULE_PATHNAME', 'smtp_status_detail' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.is_permanent(@extschema@.smtp_status) RETURNS boolean
	AS 'MODULE_PATHNAME', 'smtp_status_is_permanent' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.is_transient(@extschema@.smtp_status) RETURNS boolean
	AS 'MODULE_PATHNAME', 'smtp_status_is_transient' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.is_success(@extschema@.smtp_status) RETURNS boolean
	AS 'MODULE_PATHNAME', 'smtp_status_is_success' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.status_text(@extschema@.smtp_status) RETURNS text
	AS 'MODULE_PATHNAME', 'smtp_status_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.status_registry(
		OUT code text, OUT name text, OUT basic_codes text, OUT reference text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'smtp_status_registry' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 81;

COMMENT ON FUNCTION @extschema@.status_class(@extschema@.smtp_status) IS 'class of an enhanced status code: 2, 4 or 5';
COMMENT ON FUNCTION @extschema@.status_subject(@extschema@.smtp_status) IS 'subject of an enhanced status code (0-999)';
COMMENT ON FUNCTION @extschema@.status_detail(@extschema@.smtp_status) IS 'detail of an enhanced status code (0-999)';
COMMENT ON FUNCTION @extschema@.is_permanent(@extschema@.smtp_status) IS 'true for class 5 (permanent failure)';
COMMENT ON FUNCTION @extschema@.is_transient(@extschema@.smtp_status) IS 'true for class 4 (persistent transient failure)';
COMMENT ON FUNCTION @extschema@.is_success(@extschema@.smtp_status) IS 'true for class 2 (success)';
COMMENT ON FUNCTION @extschema@.status_text(@extschema@.smtp_status) IS 'IANA registry text of the code; an unregistered code gets its subject''s generic text and a note saying so';
COMMENT ON FUNCTION @extschema@.status_registry() IS 'the IANA SMTP Enhanced Status Codes registry, one row per code';

-- ---------------------------------------------------------------------
-- Reply codes: RFC 5321 basic reply codes are integers
-- ---------------------------------------------------------------------

CREATE FUNCTION bounce_internal.reply_code_check(integer) RETURNS boolean
	AS 'MODULE_PATHNAME', 'reply_code_check' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.is_valid_reply_code(integer) RETURNS boolean
	AS 'MODULE_PATHNAME', 'reply_code_is_valid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.reply_class(integer) RETURNS text
	AS 'MODULE_PATHNAME', 'reply_code_class' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION bounce_internal.reply_code_check(integer) IS 'true for a valid RFC 5321 reply code, else error 22023 naming the value';
COMMENT ON FUNCTION @extschema@.is_valid_reply_code(integer) IS 'true for a valid RFC 5321 reply code (3 digits, first 2-5, second 0-5); never errors';
COMMENT ON FUNCTION @extschema@.reply_class(integer) IS 'RFC 5321 meaning of the first digit: positive completion, positive intermediate, transient negative completion or permanent negative completion';

CREATE DOMAIN @extschema@.reply_code AS integer
	CONSTRAINT reply_code_valid CHECK (bounce_internal.reply_code_check(VALUE));
COMMENT ON DOMAIN @extschema@.reply_code IS 'RFC 5321 basic reply code (e.g. 550): 3 digits, first 2-5, second 0-5';
