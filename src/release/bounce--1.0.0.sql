-- bounce extension install script.
--
-- Assembled by make from src/sql/*.sql, one fragment per concern, in file
-- name order.  Every object lives in the extension's schema and is named
-- through @extschema@ (the extension is not relocatable), following the
-- PostgreSQL documentation's "Security Considerations for Extension
-- Scripts": no CREATE OR REPLACE, every function that runs SQL has the
-- search_path pg_catalog, pg_temp and names everything else with its
-- schema (operators of bounce's types too: OPERATOR(@extschema@.=)), and
-- the few SECURITY DEFINER functions (the registrars' reports, the
-- writers' ingestion) say why where they are defined, and are not granted
-- to PUBLIC.

\echo Use "CREATE EXTENSION bounce" to load this file. \quit

-- The views rely on security_invoker (PostgreSQL 15) for their row-level
-- security: an older server would run them with the owner's rights and
-- show every row to any role granted SELECT on them.  Refuse before
-- creating anything rather than install an extension that leaks.
DO $$
BEGIN
	IF pg_catalog.current_setting('server_version_num')::pg_catalog.int4 OPERATOR(pg_catalog.<) 150000 THEN
		RAISE EXCEPTION 'bounce needs PostgreSQL 15 or later, not %', pg_catalog.current_setting('server_version')
			USING ERRCODE = 'feature_not_supported',
				DETAIL = 'Its views are security_invoker views (PostgreSQL 15), so that row-level security applies to the reader.',
				HINT = 'Install bounce on a PostgreSQL 15, 16 or 17 server; the C code also builds on 13 and 14.';
	END IF;
END $$;

-- The schema must be bounce's alone.  CREATE EXTENSION makes it, owned by
-- the installing role, or reuses one that exists.  A schema someone else
-- owns, or may create objects in, lets that role put a function or
-- operator in bounce's way (an exact match such as date_trunc(text, date)
-- beats pg_catalog's) and have it run with the owner's rights, often a
-- superuser's: refuse it, and one that already holds objects, before
-- anything is created.  Everything here is schema-qualified: the
-- search_path is the schema being checked.
DO $$
DECLARE
	v_nsp oid := '@extschema@'::pg_catalog.regnamespace;
	v_owner oid;
	v_me oid := (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER);
	v_creators text;
	v_objects text;
BEGIN
	SELECT n.nspowner INTO v_owner FROM pg_catalog.pg_namespace n WHERE n.oid OPERATOR(pg_catalog.=) v_nsp;
	IF v_owner OPERATOR(pg_catalog.<>) v_me THEN
		RAISE EXCEPTION 'schema @extschema@ is owned by role %, not by %, who installs bounce',
				v_owner::pg_catalog.regrole, CURRENT_USER
			USING ERRCODE = 'insufficient_privilege',
				DETAIL = 'Its owner could put functions or operators in bounce''s way, which would run with the rights of bounce''s owner.',
				HINT = 'Drop that schema (or ALTER SCHEMA @extschema@ OWNER TO the installing role after checking what it holds), then create the extension again.';
	END IF;
	SELECT pg_catalog.string_agg(CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
	                                  ELSE a.grantee::pg_catalog.regrole::pg_catalog.text END, ', ')
	  INTO v_creators
	  FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
	 WHERE n.oid OPERATOR(pg_catalog.=) v_nsp AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
	   AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner;
	IF v_creators IS NOT NULL THEN
		RAISE EXCEPTION 'other roles may create objects in schema @extschema@: %', v_creators
			USING ERRCODE = 'insufficient_privilege',
				DETAIL = 'They could put functions or operators in bounce''s way, which would run with the rights of bounce''s owner.',
				HINT = pg_catalog.format('REVOKE CREATE ON SCHEMA @extschema@ FROM %s; then create the extension again.', v_creators);
	END IF;
	SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ')
	  INTO v_objects
	  FROM pg_catalog.pg_depend d
	 WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
	   AND d.refobjid OPERATOR(pg_catalog.=) v_nsp
	   AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass;
	IF v_objects IS NOT NULL THEN
		RAISE EXCEPTION 'schema @extschema@ already holds objects: %', pg_catalog.left(v_objects, 200)
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = 'bounce installs into a schema of its own: objects already there could be picked up in its place.',
				HINT = 'Move or drop them, then create the extension again.';
	END IF;
END $$;

-- Every text bounce handles is Unicode: addresses and diagnostics in any
-- script, and the block characters of the trend sparklines.  In another
-- database encoding the refresh would fail on the first sparkline, so the
-- install stops here instead.  (The control file says encoding = UTF8 and
-- this script is ASCII, so that this check runs in any database encoding;
-- the Makefile refuses a script with a non-ASCII byte.)
DO $$
BEGIN
	IF pg_catalog.current_setting('server_encoding') OPERATOR(pg_catalog.<>) 'UTF8' THEN
		RAISE EXCEPTION 'bounce needs a UTF8 database, not %', pg_catalog.current_setting('server_encoding')
			USING ERRCODE = 'feature_not_supported',
				DETAIL = 'Addresses, diagnostics and the trend sparklines of the scores are Unicode text.',
				HINT = 'Create the database with encoding UTF8 (createdb -E UTF8 -T template0) and install bounce there.';
	END IF;
END $$;

COMMENT ON SCHEMA @extschema@ IS 'bounce: bounce classification, recurring-bounce flags and registrar scoring';

-- The helpers no one calls by name -- trigger functions, the steps of
-- refresh(), the ingest checks, the grant functions' internals and the
-- input, output and operator support functions of smtp_status -- live in a
-- schema of their own, so that \df bounce.* lists what users call.  The
-- extension creates it (CREATE SCHEMA fails if it exists: a schema someone
-- else made could hold objects in bounce's way) and owns it; no one but the
-- owner has any privilege on it.  Everything calls them schema-qualified,
-- parsed when bounce's own functions, views and triggers are created or
-- run with the owner's rights.
CREATE SCHEMA bounce_internal;
COMMENT ON SCHEMA bounce_internal IS 'bounce: internal helpers of the bounce extension (triggers, refresh steps, type support); not called directly';
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
-- ---------------------------------------------------------------------
-- Classifier: reason enum and classification functions
-- (src/classify/classify_sql.c; rules in src/classify/classify_rules.c).
--
-- The signatures of classify, parse, is_hard and is_permanent are the
-- contract the rest of bounce codes against (registry ingestion, DSN
-- parser).
-- ---------------------------------------------------------------------

-- The label order is the C enum order in src/classify/classify.h (BounceReason).
CREATE TYPE @extschema@.reason AS ENUM (
	'authfailure', 'badreputation', 'blocked', 'contenterror', 'delivered',
	'emailtoolarge', 'expired', 'failedstarttls', 'feedback', 'filtered',
	'hasmoved', 'hostunknown', 'mailboxfull', 'mailererror', 'networkerror',
	'norelaying', 'notaccept', 'notcompliantrfc', 'onhold', 'policyviolation',
	'ratelimited', 'rejected', 'requireptr', 'securityerror', 'spamdetected',
	'suppressed', 'suspend', 'syntaxerror', 'systemerror', 'systemfull',
	'undefined', 'userunknown', 'vacation', 'virusdetected'
);
COMMENT ON TYPE @extschema@.reason IS 'bounce reason, Sisimai 5.6 taxonomy (34 labels); meanings: SELECT * FROM bounce.reasons()';

CREATE TYPE @extschema@.classification AS (
	reply_code integer,
	status @extschema@.smtp_status,
	reason @extschema@.reason,
	reason_group text,
	hard boolean,
	permanent boolean,
	rule text,
	rule_source text
);
COMMENT ON TYPE @extschema@.classification IS 'result of bounce.parse: codes used, reason, group, hard/permanent verdicts and the rule that decided';

CREATE FUNCTION @extschema@.classify(diagnostic text, reply_code integer DEFAULT NULL,
		status @extschema@.smtp_status DEFAULT NULL, command text DEFAULT NULL,
		remote_host text DEFAULT NULL)
	RETURNS @extschema@.reason
	AS 'MODULE_PATHNAME', 'bounce_classify_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.classify(text, integer, @extschema@.smtp_status, text, text) IS 'bounce reason of a diagnostic text, reply code, status, SMTP command and remote host; NULL only if all are NULL';

CREATE FUNCTION @extschema@.classify_explain(diagnostic text, reply_code integer DEFAULT NULL,
		status @extschema@.smtp_status DEFAULT NULL, command text DEFAULT NULL,
		remote_host text DEFAULT NULL)
	RETURNS @extschema@.classification
	AS 'MODULE_PATHNAME', 'bounce_classify_explain_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.classify_explain(text, integer, @extschema@.smtp_status, text, text) IS 'classify and explain: codes used, reason, reason_group, hard, permanent, rule and rule_source';

CREATE FUNCTION @extschema@.is_hard(reason @extschema@.reason, reply_code integer DEFAULT NULL,
		status @extschema@.smtp_status DEFAULT NULL)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'bounce_is_hard_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_hard(@extschema@.reason, integer, @extschema@.smtp_status) IS 'true when the address itself is bad (Sisimai): userunknown, hostunknown, hasmoved, and notaccept unless 4xx; NULL for delivered, feedback, vacation';

CREATE FUNCTION @extschema@.is_permanent(reply_code integer, status @extschema@.smtp_status)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'bounce_is_permanent_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_permanent(integer, @extschema@.smtp_status) IS 'SMTP verdict: 5.x.x or 5xx; the status wins when both are given; NULL when neither is';

CREATE FUNCTION @extschema@.reason_group(@extschema@.reason)
	RETURNS text
	AS 'MODULE_PATHNAME', 'bounce_reason_group_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.reason_group(@extschema@.reason) IS 'coarse group of a reason: address, mailbox, policy, authentication, content, transient, undetermined or not a bounce';

CREATE FUNCTION @extschema@.reasons(OUT reason @extschema@.reason, OUT reason_group text,
		OUT hardness text, OUT description text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'bounce_reasons_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 34;
COMMENT ON FUNCTION @extschema@.reasons() IS 'the 34 reasons with their group, hard/soft verdict and meaning';

CREATE FUNCTION @extschema@.classifier_rules(OUT n integer, OUT layer text, OUT pattern text,
		OUT status text, OUT command text, OUT provider text,
		OUT reason @extschema@.reason, OUT source text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'bounce_classifier_rules_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 400;
COMMENT ON FUNCTION @extschema@.classifier_rules() IS 'every classification rule in the order consulted (text, then status, then reply code), with its conditions and source';
-- ---------------------------------------------------------------------
-- Recurring bounces and suppression: C window functions
-- (src/flag/recurring_sql.c).  Use them as
--   f(occurred_at, ...) OVER (PARTITION BY address ORDER BY occurred_at)
-- STABLE: the gaps are applied as timestamptz - interval in the session
-- time zone.  Not STRICT: a NULL occurred_at gives NULL for that row only.
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.recurring(occurred_at timestamptz,
		min_gap interval DEFAULT '14 days', max_gap interval DEFAULT '3 months')
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'bounce_recurring' LANGUAGE C WINDOW STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.recurring(timestamptz, interval, interval) IS
	'window function: true when the previous non-NULL row of the partition is at least min_gap and at most max_gap before this one (occurred_at - max_gap <= prev <= occurred_at - min_gap, session time zone, calendar months); use OVER (PARTITION BY address ORDER BY occurred_at)';

CREATE FUNCTION @extschema@.suppress(occurred_at timestamptz, strikes integer DEFAULT 3,
		min_span interval DEFAULT '15 days', reset boolean DEFAULT false)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'bounce_suppress' LANGUAGE C WINDOW STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.suppress(timestamptz, integer, interval, boolean) IS
	'window function: true from the row at which the current streak of bounces has at least strikes rows spanning more than min_span, until a reset row; use OVER (PARTITION BY address ORDER BY occurred_at)';

CREATE FUNCTION @extschema@.streak(occurred_at timestamptz, reset boolean DEFAULT false)
	RETURNS integer
	AS 'MODULE_PATHNAME', 'bounce_streak' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.streak(timestamptz, boolean) IS
	'window function: running length of the current streak of bounces (rows since the last reset row, 0 on a reset row); use OVER (PARTITION BY address ORDER BY occurred_at)';
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
-- ---------------------------------------------------------------------
-- Registry model: the tables
--
-- Tables the registry fills (registered with pg_extension_config_dump, so
-- pg_dump keeps them): config, registrar, role_map, registration, event,
-- attribution.  Derived tables that CALL refresh() rebuilds (not dumped):
-- pending, quarter_queue, event_flags, monthly_status, quarterly,
-- group_score, refresh_state (monthly is a view over monthly_status, in
-- 54_registry_views.sql).  Row-level security (51_registry_security.sql) limits a
-- registrar's role to its own rows.
-- ---------------------------------------------------------------------

-- ---- configuration ---------------------------------------------------

-- config's CHECK of time_zone: a full zone name, as refresh() sets it as
-- its TimeZone (which takes no abbreviation) and the month boundaries
-- follow the zone's daylight-saving rules.  Raises 22023 naming the value,
-- with a hint; STABLE: it reads the server's time zone database.
CREATE FUNCTION bounce_internal.valid_time_zone(tz text) RETURNS boolean
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_offset interval;
	v_spelled text;
BEGIN
	IF EXISTS (SELECT FROM pg_timezone_names z WHERE z.name = tz) THEN
		RETURN true;
	END IF;
	SELECT a.utc_offset INTO v_offset FROM pg_timezone_abbrevs a WHERE lower(a.abbrev) = lower(tz) LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'time zone "%" is an abbreviation, not a zone', tz
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('%s is a fixed offset from UTC (%s), without the daylight-saving rules that month and quarter boundaries follow; refresh() could not set it as its TimeZone.', tz, v_offset),
				HINT = 'Use a full zone name from pg_timezone_names, such as Europe/Brussels.';
	END IF;
	SELECT z.name INTO v_spelled FROM pg_timezone_names z WHERE lower(z.name) = lower(tz) LIMIT 1;
	RAISE EXCEPTION 'unknown time zone: "%"', left(tz, 80)
		USING ERRCODE = 'invalid_parameter_value',
			HINT = CASE WHEN v_spelled IS NOT NULL THEN format('Zone names are spelled as in pg_timezone_names: %s.', v_spelled)
			            ELSE 'Use a full zone name from pg_timezone_names, such as Europe/Brussels or UTC.' END;
END $$;
COMMENT ON FUNCTION bounce_internal.valid_time_zone(text) IS 'true for a full time zone name (pg_timezone_names), else error 22023 naming the value (an abbreviation such as CEST is refused)';

-- config's CHECK of the gaps and the suppression span: refresh() refuses
-- an interval with a negative part (months, days or time), so such a
-- setting would make every refresh fail.  Raises 22023 naming it.
CREATE FUNCTION bounce_internal.valid_span(span interval, setting text) RETURNS boolean
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF extract(year FROM span) * 12 + extract(month FROM span) < 0 OR extract(day FROM span) < 0
	   OR extract(hour FROM span) * 3600 + extract(minute FROM span) * 60 + extract(second FROM span) < 0 THEN
		RAISE EXCEPTION '% must not be negative: "%"', setting, span
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'Every part of the interval (months, days, time) must be zero or positive.';
	END IF;
	RETURN true;
END $$;
COMMENT ON FUNCTION bounce_internal.valid_span(interval, text) IS 'true for an interval with no negative part (months, days, time), else error 22023 naming the setting';

CREATE TABLE @extschema@.config (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	star3_max numeric NOT NULL DEFAULT 150 CHECK (star3_max >= 0),
	star2_max numeric NOT NULL DEFAULT 400,
	star1_max numeric NOT NULL DEFAULT 1000,
	count_kind text NOT NULL DEFAULT 'permanent' CHECK (count_kind IN ('permanent', 'hard')),
	recurring_min_gap interval NOT NULL DEFAULT '14 days' CHECK (bounce_internal.valid_span(recurring_min_gap, 'recurring_min_gap')),
	recurring_max_gap interval NOT NULL DEFAULT '3 months' CHECK (bounce_internal.valid_span(recurring_max_gap, 'recurring_max_gap')),
	suppress_strikes integer NOT NULL DEFAULT 3 CHECK (suppress_strikes >= 1),
	suppress_span interval NOT NULL DEFAULT '15 days' CHECK (bounce_internal.valid_span(suppress_span, 'suppress_span')),
	-- a bounce dated more than a day ahead is a clock or zone error; a
	-- tolerance of centuries would overflow now() + tolerance in record_bounce()
	future_tolerance interval NOT NULL DEFAULT '1 hour'
		CONSTRAINT future_tolerance_range CHECK (future_tolerance BETWEEN '0' AND '1 day'),
	time_zone text NOT NULL DEFAULT 'UTC' CHECK (bounce_internal.valid_time_zone(time_zone)),
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
COMMENT ON COLUMN @extschema@.config.future_tolerance IS 'record_bounce() refuses a bounce time later than now() plus this (0 to 1 day)';
COMMENT ON COLUMN @extschema@.config.time_zone IS 'time zone of month and quarter boundaries and of the recurring-gap arithmetic: a full zone name from pg_timezone_names, not an abbreviation';
COMMENT ON COLUMN @extschema@.config.trend_quarters IS 'quarters shown in the quarterly_score trend sparkline';
COMMENT ON COLUMN @extschema@.config.singleton IS 'always true: the table holds one row';

INSERT INTO @extschema@.config DEFAULT VALUES;

-- pg_restore loads the dumped config row after CREATE EXTENSION has made
-- the default one: an INSERT into the singleton replaces it.
CREATE FUNCTION bounce_internal.config_upsert() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF EXISTS (SELECT FROM @extschema@.config) THEN
		DELETE FROM @extschema@.config;
	END IF;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION bounce_internal.config_upsert() IS 'trigger: an INSERT into the one-row config table replaces the row (so pg_restore keeps the dumped settings)';
CREATE TRIGGER config_upsert BEFORE INSERT ON @extschema@.config
	FOR EACH ROW EXECUTE FUNCTION bounce_internal.config_upsert();

-- ---- registrars, roles, registrations -------------------------------

CREATE TABLE @extschema@.registrar (
	id integer PRIMARY KEY CHECK (id > 0),
	name text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
	category text NOT NULL DEFAULT 'unspecified' CHECK (btrim(category) <> '')
);
COMMENT ON TABLE @extschema@.registrar IS 'registrars, by the registry''s own registrar id; category is the business model used as benchmark group';
COMMENT ON COLUMN @extschema@.registrar.id IS 'the registry''s own registrar id (positive)';
COMMENT ON COLUMN @extschema@.registrar.name IS 'the registrar''s name, unique, shown in every report';
COMMENT ON COLUMN @extschema@.registrar.category IS 'business model (e.g. reseller, hosting): the registrar''s category benchmark group';

-- A role is kept by its OID (regrole): a renamed role keeps its mapping,
-- and a new role that takes an old name inherits nothing.  pg_dump writes
-- the role's name, and pg_restore finds the role of that name.
CREATE TABLE @extschema@.role_map (
	role_name regrole PRIMARY KEY,
	kind text NOT NULL CHECK (kind IN ('registrar', 'analyst', 'writer')),
	registrar_id integer REFERENCES @extschema@.registrar ON DELETE CASCADE,
	CHECK ((kind = 'registrar') = (registrar_id IS NOT NULL))
);
COMMENT ON TABLE @extschema@.role_map IS 'which database role represents which registrar, and which roles are analysts or the application''s writers; maintained by grant_registrar(), grant_analyst(), grant_writer(), revoke_role()';
COMMENT ON COLUMN @extschema@.role_map.role_name IS 'the role, by OID: renaming it keeps the mapping, a new role of an old name has none';
COMMENT ON COLUMN @extschema@.role_map.kind IS 'registrar (reads its own reports), analyst (reads everything) or writer (the application: records bounces and registrations)';
COMMENT ON COLUMN @extschema@.role_map.registrar_id IS 'the registrar a registrar role represents; NULL for analysts and writers';

CREATE TABLE @extschema@.registration (
	registrar_id integer NOT NULL REFERENCES @extschema@.registrar,
	month date NOT NULL CHECK (month = date_trunc('month', month)::date),
	registrations bigint NOT NULL CHECK (registrations >= 0),
	PRIMARY KEY (registrar_id, month)
);
COMMENT ON TABLE @extschema@.registration IS 'registrations (domains) of a registrar at the end of a month: the denominator of every per-million figure; month is the first day of the month';
COMMENT ON COLUMN @extschema@.registration.registrar_id IS 'registrar';
COMMENT ON COLUMN @extschema@.registration.month IS 'first day of the month whose end the count describes';
COMMENT ON COLUMN @extschema@.registration.registrations IS 'registrations (domains) of the registrar at the end of that month';

-- ---- bounces ---------------------------------------------------------

CREATE TABLE @extschema@.event (
	id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	idempotency_key text NOT NULL UNIQUE CHECK (idempotency_key <> ''),
	address text NOT NULL,
	occurred_at timestamptz NOT NULL CHECK (occurred_at >= '1970-01-01 00:00+00' AND isfinite(occurred_at)),
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
COMMENT ON TABLE @extschema@.event IS 'every bounce, recorded once (by idempotency_key), with its classification computed at ingest; write through record_bounce(), record_batch() or COPY into ingest';
COMMENT ON COLUMN @extschema@.event.address IS 'recipient, as normalize_address() gives it';
COMMENT ON COLUMN @extschema@.event.idempotency_key IS 'the source''s unique key of the bounce, e.g. Message-ID plus recipient; a repeated key is not recorded again';
COMMENT ON COLUMN @extschema@.event.reply_code IS 'SMTP reply code as the caller gave it, or, when it gave none, the one the diagnostic text states (classify_explain() at ingest); NULL if neither';
COMMENT ON COLUMN @extschema@.event.status IS 'enhanced status code as the caller gave it, or, when it gave none, the one the diagnostic text states (classify_explain() at ingest); NULL if neither';
COMMENT ON COLUMN @extschema@.event.reason IS 'the reason the source stated (record_bounce(..., reason)), else classify(diagnostic, reply_code, status, command, remote_host) at ingest';
COMMENT ON COLUMN @extschema@.event.hard IS 'is_hard(reason, reply_code, status) at ingest: the address itself is bad';
COMMENT ON COLUMN @extschema@.event.permanent IS 'is_permanent(reply_code, status) at ingest, over the stored codes: SMTP 5xx or 5.x.x';
COMMENT ON COLUMN @extschema@.event.id IS 'bounce id, from event_id_seq; record_bounce() and record_batch() return it';
COMMENT ON COLUMN @extschema@.event.occurred_at IS 'when the bounce happened (the source''s time, e.g. the report''s Arrival-Date), not when it was recorded';
COMMENT ON COLUMN @extschema@.event.diagnostic IS 'the diagnostic text as the source gave it, e.g. the remote server''s reply';
COMMENT ON COLUMN @extschema@.event.recorded_at IS 'when the bounce was recorded (the recording transaction''s start)';

CREATE TABLE @extschema@.attribution (
	event_id bigint NOT NULL REFERENCES @extschema@.event ON DELETE CASCADE,
	registrar_id integer NOT NULL REFERENCES @extschema@.registrar,
	PRIMARY KEY (event_id, registrar_id)
);
CREATE INDEX attribution_registrar_idx ON @extschema@.attribution (registrar_id);
COMMENT ON TABLE @extschema@.attribution IS 'a bounce counts against every registrar with a registration using the address at the time (each is notified): one row per (bounce, registrar)';
COMMENT ON COLUMN @extschema@.attribution.event_id IS 'the bounce';
COMMENT ON COLUMN @extschema@.attribution.registrar_id IS 'a registrar it counts against';

-- Bounces recorded since the last refresh (a queue: refresh() deletes
-- what it has seen, so a bounce committed late is never skipped).  A
-- bounce queued with recount has new registrars (record_attribution()):
-- the incremental pass counts a bounce for its registrars only when its
-- flags change, so the next refresh is a full one.
CREATE TABLE @extschema@.pending (
	event_id bigint NOT NULL,
	recount boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.pending IS 'queue of bounces recorded since the last refresh(); internal';
COMMENT ON COLUMN @extschema@.pending.event_id IS 'a bounce recorded since the last refresh()';
COMMENT ON COLUMN @extschema@.pending.recount IS 'the bounce was given registrars after it was recorded: the next refresh is a full one';

-- Registrar-quarters whose scores may have changed since the last refresh,
-- so that refresh() recomputes only those (a queue, as pending: claimed in
-- one statement).  Fed by the triggers on registration and registrar
-- (53_registry_refresh.sql), and by refresh_addresses() for the months its
-- bounces moved.
CREATE TABLE @extschema@.quarter_queue (
	registrar_id integer,
	quarter date,
	CHECK (quarter IS NULL OR quarter = date_trunc('quarter', quarter)::date)
);
COMMENT ON TABLE @extschema@.quarter_queue IS 'queue of registrar-quarters to rescore at the next refresh(); a row with registrar_id NULL rescores every quarter; internal';
COMMENT ON COLUMN @extschema@.quarter_queue.registrar_id IS 'the registrar whose quarter changed; NULL: every registrar';
COMMENT ON COLUMN @extschema@.quarter_queue.quarter IS 'first day of the quarter that changed';

-- ---- derived state (rebuilt by refresh) ------------------------------

-- One flag byte per bounce, BOUNCE_FLAG_BLOCK (256) bounces by id to a
-- row: a full refresh of 10M bounces writes 40k rows instead of 10M.  The
-- layout and the bits are defined once, in src/flag/event_flags.h; make
-- writes their values in place of each @BOUNCE_FLAG_...@ in the install
-- script.  flagged_event reads it; nobody needs to decode it by hand.
CREATE TABLE @extschema@.event_flags (
	block bigint PRIMARY KEY,
	flags bytea NOT NULL CHECK (octet_length(flags) = 256)
);
ALTER TABLE @extschema@.event_flags ALTER COLUMN flags SET STORAGE PLAIN;	-- read in place, never compressed
COMMENT ON TABLE @extschema@.event_flags IS 'flags of every bounce as of the last refresh(), packed one byte per bounce and 256 bounces to a row (see flagged_event); internal, written by refresh()';
COMMENT ON COLUMN @extschema@.event_flags.block IS 'bounce id divided by 256: the row holds the flags of the bounces with ids block * 256 up to the next block';
COMMENT ON COLUMN @extschema@.event_flags.flags IS 'one flag byte per bounce of the block, in id order (bits in src/flag/event_flags.h)';

CREATE TABLE @extschema@.monthly_status (
	registrar_id integer NOT NULL,
	month date NOT NULL,
	status @extschema@.smtp_status NOT NULL,
	counted bigint NOT NULL,
	recurring bigint NOT NULL,
	PRIMARY KEY (registrar_id, month, status)
);
COMMENT ON TABLE @extschema@.monthly_status IS 'summary kept by refresh(): counted and recurring bounces per registrar, month and status code';
COMMENT ON COLUMN @extschema@.monthly_status.registrar_id IS 'registrar';
COMMENT ON COLUMN @extschema@.monthly_status.month IS 'first day of the month (in config.time_zone)';
COMMENT ON COLUMN @extschema@.monthly_status.status IS 'enhanced status code of the bounces; those that had none: 4.0.0 after a 4xx reply, else 5.0.0';
COMMENT ON COLUMN @extschema@.monthly_status.counted IS 'counted bounces of the registrar with this status in the month';
COMMENT ON COLUMN @extschema@.monthly_status.recurring IS 'of which recurring';

-- A row for every quarter in which a registrar has a registration row or
-- a counted bounce: a registrar with bounces but no usable quarter-end
-- count is kept, unrated, rather than dropped.
CREATE TABLE @extschema@.quarterly (
	registrar_id integer NOT NULL,
	quarter date NOT NULL,
	registrations bigint,
	counted bigint NOT NULL,
	recurring bigint NOT NULL,
	per_1m numeric,
	trend text,
	portfolio_rank integer,
	PRIMARY KEY (registrar_id, quarter)
);
-- the benchmark groups and portfolio ranks are recomputed per quarter
CREATE INDEX quarterly_quarter_idx ON @extschema@.quarterly (quarter);
COMMENT ON TABLE @extschema@.quarterly IS 'summary kept by refresh(): per registrar and quarter with a registration row or a counted bounce, registrations at quarter end, counted and recurring bounces, recurring per 1M (unrounded), the trend sparkline and the portfolio rank';
COMMENT ON COLUMN @extschema@.quarterly.registrar_id IS 'registrar';
COMMENT ON COLUMN @extschema@.quarterly.quarter IS 'first day of the quarter (in config.time_zone)';
COMMENT ON COLUMN @extschema@.quarterly.registrations IS 'registrations at the end of the quarter''s last month; NULL when that month has no registration row';
COMMENT ON COLUMN @extschema@.quarterly.counted IS 'counted bounces in the quarter';
COMMENT ON COLUMN @extschema@.quarterly.recurring IS 'recurring bounces in the quarter';
COMMENT ON COLUMN @extschema@.quarterly.per_1m IS 'recurring bounces per 1M registrations, unrounded; NULL (no rating) when registrations is NULL or 0';
COMMENT ON COLUMN @extschema@.quarterly.trend IS 'sparkline of per_1m over the last config.trend_quarters quarters, oldest first, from the registrar''s first quarter; a quarter without a rating is a blank';
COMMENT ON COLUMN @extschema@.quarterly.portfolio_rank IS 'rank among the quarter''s rated registrars by registrations, larger first, ties by smaller registrar id; NULL when unrated';

CREATE TABLE @extschema@.group_score (
	quarter date NOT NULL,
	group_name text NOT NULL,
	members integer NOT NULL,
	recurring bigint NOT NULL,
	registrations bigint NOT NULL,
	PRIMARY KEY (quarter, group_name)
);
COMMENT ON TABLE @extschema@.group_score IS 'summary kept by refresh(): each benchmark group (top 10, top 50, all, category ...) as one virtual registrar per quarter, over the registrars with a rating; aggregate figures, readable by every registrar';
COMMENT ON COLUMN @extschema@.group_score.quarter IS 'first day of the quarter';
COMMENT ON COLUMN @extschema@.group_score.group_name IS '''top 10'', ''top 50'' (by portfolio_rank), ''all'', or ''category '' and the category';
COMMENT ON COLUMN @extschema@.group_score.members IS 'registrars with a rating in the group';
COMMENT ON COLUMN @extschema@.group_score.recurring IS 'their recurring bounces in the quarter';
COMMENT ON COLUMN @extschema@.group_score.registrations IS 'their registrations at quarter end';

CREATE TABLE @extschema@.refresh_state (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	settings jsonb,
	refreshed_at timestamptz,
	last_kind text,
	last_events bigint,
	trend_quarters integer,
	policies_behind boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.refresh_state IS 'what the last refresh() that found work did, and with which settings (a settings change forces a full refresh); a refresh with nothing new leaves it as it is';
COMMENT ON COLUMN @extschema@.refresh_state.policies_behind IS 'the last refresh could not bring the read policies in step with role_map (a table was in use): the next refresh does not end early, and tries again';
COMMENT ON COLUMN @extschema@.refresh_state.singleton IS 'always true: the table holds one row';
COMMENT ON COLUMN @extschema@.refresh_state.settings IS 'the config settings the stored flags and summaries were computed with';
COMMENT ON COLUMN @extschema@.refresh_state.refreshed_at IS 'when the last refresh that found work ran';
COMMENT ON COLUMN @extschema@.refresh_state.last_kind IS 'full or incremental: the kind of that refresh';
COMMENT ON COLUMN @extschema@.refresh_state.last_events IS 'bounces that refresh compared';
COMMENT ON COLUMN @extschema@.refresh_state.trend_quarters IS 'config.trend_quarters the trends were drawn with';
INSERT INTO @extschema@.refresh_state DEFAULT VALUES;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.config', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.registrar', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.role_map', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.registration', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event_id_seq', '');
COMMENT ON SEQUENCE @extschema@.event_id_seq IS 'ids of event';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.attribution', '');
-- ---------------------------------------------------------------------
-- Registry: who reads what
--
-- Analysts and writers (role_map) read every table and view.  Registrars
-- read nothing directly: row-level security alone does not keep a
-- registrar with a psql prompt from learning other registrars' rows (row
-- counts in EXPLAIN ANALYZE, statistics counters, leakproof operators that
-- run before the policy, subplans that never execute).  A registrar's role
-- has no privilege on any table or view; it reads its own reports through
-- the my_ functions (57_registrar_reports.sql), which select its rows
-- before any predicate of its own can run.
--
-- Row-level security remains, so that a role granted SELECT by mistake
-- sees nothing: every table with registry data has one policy,
-- <table>_read, that shows every row to the roles role_map lists as
-- analysts or writers and to the table's owner; apply_policies() keeps the
-- policies' role lists in step with role_map.  The policies read no table
-- and call no function (what Citus accepts on distributed tables).
-- ---------------------------------------------------------------------

-- In C (src/access/session_role.c): the role the session acts as, which a
-- SECURITY DEFINER function does not change (current_user does).
CREATE FUNCTION @extschema@.session_role() RETURNS regrole
	AS 'MODULE_PATHNAME', 'bounce_session_role'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.session_role() IS 'the role the session acts as (the last SET ROLE, else the session user), also inside a SECURITY DEFINER function';

-- Registrars whose role the session's role is a member of.  SECURITY
-- DEFINER: it reads role_map, which registrars may not read.
CREATE FUNCTION @extschema@.my_registrars() RETURNS integer[]
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT coalesce(array_agg(DISTINCT m.registrar_id ORDER BY m.registrar_id), '{}')
	  FROM @extschema@.role_map m
	 WHERE m.kind = 'registrar' AND pg_has_role(@extschema@.session_role(), m.role_name, 'MEMBER') $$;
COMMENT ON FUNCTION @extschema@.my_registrars() IS 'ids of the registrars whose role (role_map) the session''s role is a member of';
REVOKE EXECUTE ON FUNCTION @extschema@.my_registrars() FROM PUBLIC;

-- One policy per table: every row, to the analysts and writers.  Created
-- for the installing role alone (the owner, who bypasses row-level
-- security anyway); apply_policies() adds the others.
ALTER TABLE @extschema@.registrar ENABLE ROW LEVEL SECURITY;
CREATE POLICY registrar_read ON @extschema@.registrar FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.role_map ENABLE ROW LEVEL SECURITY;
CREATE POLICY role_map_read ON @extschema@.role_map FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.registration ENABLE ROW LEVEL SECURITY;
CREATE POLICY registration_read ON @extschema@.registration FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.event ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_read ON @extschema@.event FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.attribution ENABLE ROW LEVEL SECURITY;
CREATE POLICY attribution_read ON @extschema@.attribution FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.pending ENABLE ROW LEVEL SECURITY;
CREATE POLICY pending_read ON @extschema@.pending FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.quarter_queue ENABLE ROW LEVEL SECURITY;
CREATE POLICY quarter_queue_read ON @extschema@.quarter_queue FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.event_flags ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_flags_read ON @extschema@.event_flags FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.monthly_status ENABLE ROW LEVEL SECURITY;
CREATE POLICY monthly_status_read ON @extschema@.monthly_status FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.quarterly ENABLE ROW LEVEL SECURITY;
CREATE POLICY quarterly_read ON @extschema@.quarterly FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.group_score ENABLE ROW LEVEL SECURITY;
CREATE POLICY group_score_read ON @extschema@.group_score FOR SELECT TO CURRENT_USER USING (true);
ALTER TABLE @extschema@.refresh_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY refresh_state_read ON @extschema@.refresh_state FOR SELECT TO CURRENT_USER USING (true);

-- Give every <table>_read policy of the schema the roles it should have:
-- the table's owner and the analysts and writers of role_map.  ALTER
-- POLICY locks the table, so a policy is altered only when its roles
-- differ.  The grant_ functions call it, and so does refresh(): pg_dump
-- does not dump an extension's policies, so after a restore the first
-- refresh gives them their roles again (until then only the owner reads).
CREATE FUNCTION bounce_internal.apply_policies(wait boolean DEFAULT true) RETURNS integer
	LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_readers oid[];
	v_want oid[];
	v_changed integer := 0;
	p record;
BEGIN
	SELECT coalesce(array_agg(r.oid), '{}') INTO v_readers
	  FROM @extschema@.role_map m JOIN pg_roles r ON r.oid = m.role_name
	 WHERE m.kind IN ('analyst', 'writer');
	FOR p IN
		SELECT pol.polname, c.relname, c.relowner, pol.polroles
		  FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
		 WHERE c.relnamespace = '@extschema@'::regnamespace AND pol.polname = c.relname || '_read'
		 ORDER BY c.relname
	LOOP
		v_want := ARRAY(SELECT DISTINCT x FROM unnest(v_readers || p.relowner) x ORDER BY x);
		IF v_want IS DISTINCT FROM ARRAY(SELECT x FROM unnest(p.polroles) x ORDER BY x) THEN
			IF NOT wait THEN	-- 55P03 rather than wait for a reader
				EXECUTE format('LOCK TABLE @extschema@.%I IN ACCESS EXCLUSIVE MODE NOWAIT', p.relname);
			END IF;
			EXECUTE format('ALTER POLICY %I ON @extschema@.%I TO %s', p.polname, p.relname,
			               (SELECT string_agg(quote_ident(r.rolname), ', ' ORDER BY r.rolname)
			                  FROM pg_roles r WHERE r.oid = ANY (v_want)));
			v_changed := v_changed + 1;
		END IF;
	END LOOP;
	RETURN v_changed;
END $$;
COMMENT ON FUNCTION bounce_internal.apply_policies(boolean) IS 'internal to the grant_ functions and refresh(): give each table''s read policy the analysts and writers of role_map (and the owner); returns how many policies changed; wait => false: error 55P03 instead of waiting for a table in use';
REVOKE EXECUTE ON FUNCTION bounce_internal.apply_policies(boolean) FROM PUBLIC;
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
-- idempotency key returns the existing id and writes nothing.
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
		SELECT e.id INTO v_id FROM @extschema@.event e WHERE e.idempotency_key = v_key;
		RETURN v_id;
	END IF;
	INSERT INTO @extschema@.attribution (event_id, registrar_id)
	SELECT DISTINCT v_id, r FROM unnest(registrars) r;
	INSERT INTO @extschema@.pending (event_id) VALUES (v_id);
	RETURN v_id;
END $$;
COMMENT ON FUNCTION @extschema@.record_bounce(text, text, timestamptz, integer[], integer, text, text, text, text, @extschema@.reason) IS
	'record one bounce against its registrars (''{}'': none; NULL is an error) and return its id; a reply code or status not given is the one the diagnostic text states (as classify_explain() reads it), stored in the event; reason: the one the source states itself, e.g. an MTA''s bounce category, else the classifier''s; a repeated idempotency key returns the existing id and writes nothing; bad input is an error and writes nothing';
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
		SELECT DISTINCT ON (i.k) i.o, i.k, i.addr, i.t, i.diag, i.regs,
		       coalesce(i.rc, p.reply_code) AS rc, coalesce(i.st, p.status) AS st,
		       coalesce(p.reason, 'undefined') AS reason
		  FROM input i, LATERAL @extschema@.classify_explain(i.diag, i.rc, i.st, i.cmd, i.rh) p
		 ORDER BY i.k, i.o
	), ins AS (
		-- in key order: two batches with the same keys in other orders
		-- wait for each other instead of deadlocking
		INSERT INTO @extschema@.event (idempotency_key, address, occurred_at, reply_code, status,
		                               diagnostic, reason, hard, permanent)
		SELECT k, addr, t, rc, st, diag, f.reason, @extschema@.is_hard(f.reason, rc, st), @extschema@.is_permanent(rc, st)
		  FROM firsts f ORDER BY f.k COLLATE "C"
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
	'record a JSON array of bounces (fields key, address, occurred_at, registrars, reply_code, status, diagnostic, remote_host, command; registrars required, [] for none), each as record_bounce() does; returns each element''s bounce id and whether it is new; all or nothing: one bad element rejects the batch, naming it';
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
BEGIN
	IF array_position(registrars, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'registrars must not contain NULL: %', registrars
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.event e WHERE e.id = record_attribution.bounce_id) THEN
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
	INSERT INTO @extschema@.attribution (event_id, registrar_id)
	SELECT DISTINCT record_attribution.bounce_id, r FROM unnest(registrars) r
	ON CONFLICT ON CONSTRAINT attribution_pkey DO NOTHING;
	GET DIAGNOSTICS v_added = ROW_COUNT;
	IF v_added > 0 THEN
		INSERT INTO @extschema@.pending (event_id, recount) VALUES (record_attribution.bounce_id, true);
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
COMMENT ON TABLE @extschema@.ingest IS 'COPY (or INSERT) bounces here: each row is passed to record_bounce() and not kept (so registrars is required: {} for none); one bad row fails the whole COPY';
COMMENT ON COLUMN @extschema@.ingest.idempotency_key IS 'as record_bounce(idempotency_key)';
COMMENT ON COLUMN @extschema@.ingest.address IS 'as record_bounce(address)';
COMMENT ON COLUMN @extschema@.ingest.occurred_at IS 'as record_bounce(occurred_at)';
COMMENT ON COLUMN @extschema@.ingest.registrars IS 'as record_bounce(registrars): required, {} for none';
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
-- ---------------------------------------------------------------------
-- Registry: refresh
--
-- CALL refresh() brings event_flags and the summaries up to date: the
-- per-bounce work is refresh_scan() in C (src/flag/refresh.c), the
-- quarterly summary and the benchmark groups are SQL.  The quarters it
-- rescores are those the new bounces moved and those quarter_queue holds,
-- which the triggers below fill when a registration or a registrar
-- changes.
-- ---------------------------------------------------------------------

-- ---- what queues a registrar-quarter ---------------------------------
--
-- The triggers only insert into quarter_queue.  Who fires them: the
-- registration rows are written by record_registration() (SECURITY
-- DEFINER, so as the extension's owner) or by the owner; registrars and
-- config by the owner alone.  So the owner inserts the queue rows, and no
-- other role needs a privilege on quarter_queue.

-- A registration row decides its registrar's quarter (its rating and the
-- benchmark groups of that quarter): queue the quarter of the old and the
-- new row.
CREATE FUNCTION bounce_internal.registration_changed() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		INSERT INTO @extschema@.quarter_queue VALUES (NULL, NULL);
		RETURN NULL;
	END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		INSERT INTO @extschema@.quarter_queue VALUES (OLD.registrar_id, date_trunc('quarter', OLD.month)::date);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NOT (TG_OP = 'UPDATE' AND (OLD.registrar_id, OLD.month) = (NEW.registrar_id, NEW.month)) THEN
		INSERT INTO @extschema@.quarter_queue VALUES (NEW.registrar_id, date_trunc('quarter', NEW.month)::date);
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION bounce_internal.registration_changed() IS 'trigger on registration: queue the changed registrar-quarters for the next refresh()';
CREATE TRIGGER registration_changed AFTER INSERT OR UPDATE OR DELETE ON @extschema@.registration
	FOR EACH ROW EXECUTE FUNCTION bounce_internal.registration_changed();
CREATE TRIGGER registration_truncated AFTER TRUNCATE ON @extschema@.registration
	FOR EACH STATEMENT EXECUTE FUNCTION bounce_internal.registration_changed();

-- A registrar's category names one of its benchmark groups: a change
-- rescores every quarter (rare, and done by the extension's owner).
CREATE FUNCTION bounce_internal.registrar_changed() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	INSERT INTO @extschema@.quarter_queue VALUES (NULL, NULL);
	RETURN NULL;
END $$;
COMMENT ON FUNCTION bounce_internal.registrar_changed() IS 'trigger on registrar: a changed category or id queues every quarter for the next refresh()';
CREATE TRIGGER registrar_changed AFTER UPDATE OF id, category OR DELETE ON @extschema@.registrar
	FOR EACH STATEMENT EXECUTE FUNCTION bounce_internal.registrar_changed();

-- A change of the settings that the stored flags and summaries depend on
-- (all but the star bands and future_tolerance, which are read when used)
-- queues a mark, so that the next refresh() finds work without reading
-- config: it then compares the settings and refreshes in full, or redraws
-- the trends.
CREATE FUNCTION bounce_internal.config_changed() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF TG_OP = 'INSERT'
	   OR to_jsonb(OLD) - 'star3_max' - 'star2_max' - 'star1_max' - 'future_tolerance'
	      IS DISTINCT FROM to_jsonb(NEW) - 'star3_max' - 'star2_max' - 'star1_max' - 'future_tolerance' THEN
		INSERT INTO @extschema@.quarter_queue VALUES (NULL, NULL);
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION bounce_internal.config_changed() IS 'trigger on config: a changed setting that refresh() depends on queues a mark in quarter_queue for the next refresh()';
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE ON @extschema@.config
	FOR EACH ROW EXECUTE FUNCTION bounce_internal.config_changed();

-- ---- the refresh -----------------------------------------------------

-- In C (src/score/sparkline.c): refresh() draws one trend per rewritten quarter.
CREATE FUNCTION @extschema@.sparkline(vals numeric[]) RETURNS text
	AS 'MODULE_PATHNAME', 'bounce_sparkline'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sparkline(numeric[]) IS 'a small bar chart of the values, one block character each (U+2581 to U+2588), scaled from 0 to the largest; NULL is a blank';

-- The per-bounce work of refresh(), in C (src/flag/refresh.c): one ordered pass
-- over event_address_idx that applies the rules of recurring() and
-- suppress() and counts per registrar, month and status.
CREATE FUNCTION bounce_internal.refresh_scan(new_ids bigint[], min_gap interval, max_gap interval,
		strikes integer, span interval, count_hard boolean)
	RETURNS TABLE (block bigint, flags bytea, registrar_id integer, month date,
	               status @extschema@.smtp_status, counted bigint, recurring bigint)
	AS 'MODULE_PATHNAME', 'bounce_refresh_scan'
	LANGUAGE C STABLE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION bounce_internal.refresh_scan(bigint[], interval, interval, integer, interval, boolean) IS
	'internal to refresh(): with new_ids NULL, every event_flags row and the counted and recurring bounces per registrar, month and status; with new_ids, only the event_flags rows that change and the count differences, for the addresses of those bounces from each one''s first new bounce on (a dense run of ids is read as one range: older bounces inside it are compared too, and found unchanged); plus one row with only counted set: the bounces flagged';

-- Recompute the flags of the bounces of the addresses of the given new
-- bounces and apply the differences to the summaries.  The rules look only
-- backwards, so a bounce earlier than an address's first new one keeps its
-- flags: refresh_scan() reads every bounce of the address (for its state)
-- but compares only those from the first new one on.  Returns how many
-- bounces it compared and the registrar-quarters whose counts moved.
CREATE FUNCTION bounce_internal.refresh_addresses(new_ids bigint[], OUT compared bigint,
		OUT registrar_ids integer[], OUT quarters date[])
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
	), q AS (	-- the registrar-quarters moved, for refresh_quarters()
		SELECT DISTINCT ms.registrar_id, date_trunc('quarter', ms.month)::date AS quarter FROM ms
	)
	SELECT (SELECT r.counted FROM r WHERE r.block IS NULL AND r.registrar_id IS NULL),
	       (SELECT array_agg(q.registrar_id) FROM q), (SELECT array_agg(q.quarter) FROM q),
	       (SELECT array_agg(ms.registrar_id) FROM ms WHERE ms.counted = 0 AND ms.recurring = 0),
	       (SELECT array_agg(ms.month) FROM ms WHERE ms.counted = 0 AND ms.recurring = 0),
	       (SELECT array_agg(ms.status) FROM ms WHERE ms.counted = 0 AND ms.recurring = 0)
	  INTO compared, registrar_ids, quarters, zr, zm, zs;
	compared := coalesce(compared, 0);
	-- after the statement above, so that it sees the new sums
	IF zr IS NOT NULL THEN
		DELETE FROM @extschema@.monthly_status m USING unnest(zr, zm, zs) z(r, mo, st)
		 WHERE m.registrar_id = z.r AND m.month = z.mo AND m.status OPERATOR(@extschema@.=) z.st AND m.counted = 0 AND m.recurring = 0;
	END IF;
END $$;
COMMENT ON FUNCTION bounce_internal.refresh_addresses(bigint[]) IS 'internal to refresh(): recompute the flags of the bounces of these new bounces'' addresses, from each address''s first new bounce on, apply the differences to the summaries, and return how many bounces were compared and the registrar-quarters whose counts moved';

-- Full recompute of event_flags and the summaries.
CREATE FUNCTION bounce_internal.refresh_full() RETURNS bigint
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
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
		SELECT * FROM bounce_internal.refresh_scan(NULL, c.recurring_min_gap, c.recurring_max_gap,
		                                       c.suppress_strikes, c.suppress_span, c.count_kind = 'hard')
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
		         ON o.registrar_id = n.registrar_id AND o.month = n.month AND o.status OPERATOR(@extschema@.=) n.status
		 WHERE (n.counted, n.recurring) IS DISTINCT FROM (o.counted, o.recurring)
	), ms AS (
		INSERT INTO @extschema@.monthly_status (registrar_id, month, status, counted, recurring)
		SELECT d.nr, d.nm, d.ns, d.counted, d.recurring FROM dms d WHERE d.orr IS NULL
	), msu AS (
		UPDATE @extschema@.monthly_status m SET counted = d.counted, recurring = d.recurring
		  FROM dms d
		 WHERE d.nr IS NOT NULL AND m.registrar_id = d.orr AND m.month = d.om AND m.status OPERATOR(@extschema@.=) d.os
	), msd AS (
		DELETE FROM @extschema@.monthly_status m USING dms d
		 WHERE d.nr IS NULL AND m.registrar_id = d.orr AND m.month = d.om AND m.status OPERATOR(@extschema@.=) d.os
	)
	SELECT r.counted INTO n FROM r WHERE r.block IS NULL AND r.registrar_id IS NULL;
	RETURN coalesce(n, 0);
END $$;
COMMENT ON FUNCTION bounce_internal.refresh_full() IS 'internal to refresh(): recompute every bounce''s flags and all summaries';

-- Rescore the given registrar-quarters (or all of them), redraw the
-- trends they move and recompute the benchmark groups of their quarters
-- (and the portfolio ranks, where a registration count moved).  Each
-- statement costs its planning in the new session a pg_cron job runs in,
-- so those a small refresh does not need are skipped.
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
	-- the pairs to rescore, once each; a NULL one (a mark) means all
	SELECT coalesce(bool_or(d.r IS NULL OR d.q IS NULL), false),
	       array_agg(d.r), array_agg(d.q), array_agg(DISTINCT d.q)
	  INTO v_everything, v_r, v_q, v_dq
	  FROM (SELECT DISTINCT u.r, u.q FROM unnest(registrar_ids, quarters) u(r, q)) d;
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
COMMENT ON FUNCTION bounce_internal.refresh_quarters(boolean, integer, integer[], date[]) IS 'internal to refresh(): rescore the given registrar-quarters (all_quarters, or a NULL pair: every one), redraw their trends (of trend_quarters quarters) from each one on, and recompute the benchmark groups of their quarters and, where registrations moved, the portfolio ranks';

-- The refresh's internals are for refresh() alone, which its owner (or the
-- pg_cron job) runs.
REVOKE EXECUTE ON FUNCTION bounce_internal.refresh_scan(bigint[], interval, interval, integer, interval, boolean),
	bounce_internal.refresh_addresses(bigint[]), bounce_internal.refresh_full(),
	bounce_internal.refresh_quarters(boolean, integer, integer[], date[]) FROM PUBLIC;

-- The refresh proper, for refresh() when there is work.  jit off: the
-- refresh's statements are index scans feeding C and joins of a few
-- thousand summary rows, whose 10M-row estimates cross jit_above_cost;
-- compiling them cost about 150 ms of a 5 s full refresh at 10M and
-- bought nothing.
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
	v_full := v_full OR EXISTS (SELECT FROM @extschema@.pending p WHERE p.recount);
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

-- Bring the summaries up to date.  With nothing to do it ends after one
-- statement; refresh_run() is the rest, so that a pg_cron run with
-- nothing new does not compile it either.
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
	   AND NOT EXISTS (SELECT FROM @extschema@.pending) AND NOT EXISTS (SELECT FROM @extschema@.quarter_queue) THEN
		RETURN;
	END IF;
	CALL bounce_internal.refresh_run(refresh.full);
END $$;
COMMENT ON PROCEDURE @extschema@.refresh(boolean) IS
	'bring the summaries up to date: recompute only the addresses with new bounces and the registrar-quarters queued (full => true, or changed settings, recomputes everything); with nothing new it writes nothing and takes no lock; one at a time (it locks the row of refresh_state); run it from pg_cron as the extension''s owner';

-- refresh() is the owner's (the pg_cron job runs as it).  Its row lock
-- stops any other role that finds work; a refresh with nothing new ends
-- before taking it, so EXECUTE is taken from PUBLIC as well: another role
-- gets a plain "permission denied" either way.
REVOKE EXECUTE ON PROCEDURE @extschema@.refresh(boolean), bounce_internal.refresh_run(boolean) FROM PUBLIC;
-- ---------------------------------------------------------------------
-- Registry: the scoring views
--
-- flagged_event decodes the flag bytes (their values come from
-- src/flag/event_flags.h at build time, see the Makefile); the scoring
-- views read the summaries that refresh() keeps.  Every view is
-- security_invoker: row-level security applies to the reader.
-- ---------------------------------------------------------------------

-- The star bands, defined once: in C (src/score/stars.c) so that
-- quarterly_score applies them per row at the cost of an operator (an SQL
-- function with a pinned search_path is never inlined).
CREATE FUNCTION @extschema@.stars(per_1m numeric, star3_max numeric, star2_max numeric,
		star1_max numeric) RETURNS integer
	AS 'MODULE_PATHNAME', 'bounce_stars'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.stars(numeric, numeric, numeric, numeric) IS 'stars (0-3) for a number of recurring bounces per 1M registrations under the given bands: 3 at or below star3_max, 2 at or below star2_max, 1 at or below star1_max, else 0';

CREATE FUNCTION @extschema@.stars(per_1m numeric) RETURNS integer
	LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT @extschema@.stars(per_1m, c.star3_max, c.star2_max, c.star1_max)
	  FROM @extschema@.config c $$;
COMMENT ON FUNCTION @extschema@.stars(numeric) IS 'stars (0-3) for a number of recurring bounces per 1M registrations, per the bands in config';

CREATE VIEW @extschema@.flagged_event WITH (security_invoker = true) AS
SELECT e.id, e.address, e.occurred_at, e.reply_code, e.status, e.reason, e.hard, e.permanent,
       (x.f & 2) <> 0 AS counted, (x.f & 4) <> 0 AS recurring,
       (x.f & 8) <> 0 AS suppressed
  FROM @extschema@.event e
  LEFT JOIN @extschema@.event_flags b ON b.block = e.id >> 8
  CROSS JOIN LATERAL (SELECT nullif(get_byte(b.flags, (e.id & 255)::integer), 0) AS f) x;
COMMENT ON VIEW @extschema@.flagged_event IS 'every bounce with its flags as of the last refresh(): counted, recurring (recurring() over the counted bounces of the address) and suppressed (suppress() over all its bounces); NULL flags = not yet refreshed';
COMMENT ON COLUMN @extschema@.flagged_event.id IS 'bounce id (event.id)';
COMMENT ON COLUMN @extschema@.flagged_event.address IS 'recipient, normalised';
COMMENT ON COLUMN @extschema@.flagged_event.occurred_at IS 'when the bounce happened';
COMMENT ON COLUMN @extschema@.flagged_event.reply_code IS 'SMTP reply code, as stored in event';
COMMENT ON COLUMN @extschema@.flagged_event.status IS 'enhanced status code, as stored in event';
COMMENT ON COLUMN @extschema@.flagged_event.reason IS 'bounce reason, as stored in event';
COMMENT ON COLUMN @extschema@.flagged_event.hard IS 'the address itself is bad (is_hard at ingest)';
COMMENT ON COLUMN @extschema@.flagged_event.permanent IS 'SMTP 5xx or 5.x.x (is_permanent at ingest)';
COMMENT ON COLUMN @extschema@.flagged_event.counted IS 'counted in the scores (config.count_kind); NULL before the refresh that first saw the bounce';
COMMENT ON COLUMN @extschema@.flagged_event.recurring IS 'a counted bounce 2 weeks to 3 months (config.recurring_min_gap, recurring_max_gap) after the previous counted bounce of the address; NULL before the first refresh';
COMMENT ON COLUMN @extschema@.flagged_event.suppressed IS 'the address had config.suppress_strikes bounces spanning more than config.suppress_span without a delivery in between; NULL before the first refresh';

-- Per registrar and month, the sum of its statuses: a view rather than a
-- second summary to keep, so a refresh writes one row per registrar,
-- month and status, not two.
CREATE VIEW @extschema@.monthly WITH (security_invoker = true) AS
SELECT m.registrar_id, m.month, sum(m.counted)::bigint AS counted, sum(m.recurring)::bigint AS recurring
  FROM @extschema@.monthly_status m
 GROUP BY m.registrar_id, m.month;
COMMENT ON VIEW @extschema@.monthly IS 'counted and recurring bounces per registrar and month as of the last refresh() (monthly_status summed over status codes)';
COMMENT ON COLUMN @extschema@.monthly.registrar_id IS 'registrar';
COMMENT ON COLUMN @extschema@.monthly.month IS 'first day of the month (in config.time_zone)';
COMMENT ON COLUMN @extschema@.monthly.counted IS 'counted bounces (config.count_kind)';
COMMENT ON COLUMN @extschema@.monthly.recurring IS 'recurring bounces';

CREATE VIEW @extschema@.monthly_score WITH (security_invoker = true) AS
SELECT r.id AS registrar_id, r.name AS registrar, coalesce(g.month, m.month) AS month,
       g.registrations, coalesce(m.counted, 0) AS counted, coalesce(m.recurring, 0) AS recurring,
       round(coalesce(m.counted, 0) * 1000000.0 / nullif(g.registrations, 0), 1) AS counted_per_1m,
       round(coalesce(m.recurring, 0) * 1000000.0 / nullif(g.registrations, 0), 1) AS recurring_per_1m
  FROM @extschema@.registration g
  FULL JOIN @extschema@.monthly m ON m.registrar_id = g.registrar_id AND m.month = g.month
  JOIN @extschema@.registrar r ON r.id = coalesce(g.registrar_id, m.registrar_id);
COMMENT ON VIEW @extschema@.monthly_score IS 'per registrar and month: registrations at month end, counted (permanent or hard, per config) and recurring bounces, both per 1M registrations';
COMMENT ON COLUMN @extschema@.monthly_score.registrar_id IS 'registrar id';
COMMENT ON COLUMN @extschema@.monthly_score.registrar IS 'registrar name';
COMMENT ON COLUMN @extschema@.monthly_score.month IS 'first day of the month (in config.time_zone)';
COMMENT ON COLUMN @extschema@.monthly_score.registrations IS 'registrations at the end of the month; NULL when the month has no registration row';
COMMENT ON COLUMN @extschema@.monthly_score.counted IS 'counted bounces in the month';
COMMENT ON COLUMN @extschema@.monthly_score.recurring IS 'recurring bounces in the month';
COMMENT ON COLUMN @extschema@.monthly_score.counted_per_1m IS 'counted bounces per 1M registrations, one decimal; NULL without a registration count (or a count of 0)';
COMMENT ON COLUMN @extschema@.monthly_score.recurring_per_1m IS 'recurring bounces per 1M registrations, one decimal; NULL without a registration count (or a count of 0)';

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
COMMENT ON COLUMN @extschema@.top_errors.period IS 'month or quarter';
COMMENT ON COLUMN @extschema@.top_errors.period_start IS 'first day of the month or quarter';
COMMENT ON COLUMN @extschema@.top_errors.registrar_id IS 'registrar id';
COMMENT ON COLUMN @extschema@.top_errors.registrar IS 'registrar name';
COMMENT ON COLUMN @extschema@.top_errors.status IS 'enhanced status code (4.0.0 or 5.0.0 for bounces that had none)';
COMMENT ON COLUMN @extschema@.top_errors.status_text IS 'the status code''s meaning (status_text)';
COMMENT ON COLUMN @extschema@.top_errors.errors IS 'counted bounces with this status in the period';
COMMENT ON COLUMN @extschema@.top_errors.registrations IS 'registrations at the end of the period''s last month; NULL without a registration row';
COMMENT ON COLUMN @extschema@.top_errors.per_1m IS 'errors per 1M registrations, one decimal; NULL without a registration count (or a count of 0)';
COMMENT ON COLUMN @extschema@.top_errors.rank IS 'rank of the status within the registrar''s period, most errors first (ties share a rank)';

-- Stars compare the exact ratio with the bands: stars() is given
-- recurring * 1M and each band times the registrations (both sides of
-- per_1m <= band multiplied by registrations > 0, numeric products: no
-- rounding), so 50.02 per 1M is above a band of 50 however it is shown.
-- The figures shown are rounded, the distances outwards (to_better up,
-- to_worse down) so that a distance shown never promises a band the
-- exact figure would miss.
CREATE VIEW @extschema@.quarterly_score WITH (security_invoker = true) AS
WITH t AS (
	SELECT q.*,
	       CASE WHEN q.registrations > 0 THEN
	            @extschema@.stars(q.recurring * 1000000.0, c.star3_max * q.registrations,
	                              c.star2_max * q.registrations, c.star1_max * q.registrations) END AS stars,
	       c.star3_max, c.star2_max, c.star1_max
	  FROM @extschema@.quarterly q CROSS JOIN (SELECT * FROM @extschema@.config LIMIT 1) c	-- one row: keeps estimates (and JIT) sane
)
SELECT t.registrar_id, r.name AS registrar, r.category, t.quarter,
       to_char(t.quarter, 'YYYY-"Q"Q') AS label, t.registrations, t.counted, t.recurring,
       round(t.per_1m, 1) AS recurring_per_1m, t.stars,
       ceil(10 * CASE t.stars WHEN 2 THEN t.per_1m - t.star3_max WHEN 1 THEN t.per_1m - t.star2_max
                              WHEN 0 THEN t.per_1m - t.star1_max END) * 0.1 AS to_better_per_1m,
       floor(10 * CASE t.stars WHEN 3 THEN t.star3_max - t.per_1m WHEN 2 THEN t.star2_max - t.per_1m
                               WHEN 1 THEN t.star1_max - t.per_1m END) * 0.1 AS to_worse_per_1m,
       t.trend,
       CASE WHEN t.registrations IS NULL
            THEN 'no registration count for ' || to_char(t.quarter + interval '2 months', 'YYYY-MM')
            WHEN t.registrations = 0
            THEN 'no registrations at the end of ' || to_char(t.quarter + interval '2 months', 'YYYY-MM') END AS no_rating_reason,
       t.portfolio_rank
  FROM t JOIN @extschema@.registrar r ON r.id = t.registrar_id;
COMMENT ON VIEW @extschema@.quarterly_score IS 'per registrar and quarter with a registration row or a counted bounce: recurring bounces per 1M registrations at quarter end, stars 0-3 (from the exact ratio), distance (per 1M) to the next-better and next-worse band boundary, the trend, and why there is no rating when there is none';
COMMENT ON COLUMN @extschema@.quarterly_score.registrar_id IS 'registrar id';
COMMENT ON COLUMN @extschema@.quarterly_score.registrar IS 'registrar name';
COMMENT ON COLUMN @extschema@.quarterly_score.category IS 'registrar category (business model)';
COMMENT ON COLUMN @extschema@.quarterly_score.quarter IS 'first day of the quarter (in config.time_zone)';
COMMENT ON COLUMN @extschema@.quarterly_score.label IS 'the quarter as text, e.g. 2025-Q1';
COMMENT ON COLUMN @extschema@.quarterly_score.registrations IS 'registrations at the end of the quarter''s last month; NULL when that month has no registration row';
COMMENT ON COLUMN @extschema@.quarterly_score.counted IS 'counted bounces in the quarter (config.count_kind)';
COMMENT ON COLUMN @extschema@.quarterly_score.recurring IS 'recurring bounces in the quarter';
COMMENT ON COLUMN @extschema@.quarterly_score.recurring_per_1m IS 'recurring bounces per 1M registrations, rounded to 0.1 for display; NULL: no rating';
COMMENT ON COLUMN @extschema@.quarterly_score.stars IS '0-3 by the bands in config, from the exact (unrounded) ratio; NULL: no rating';
COMMENT ON COLUMN @extschema@.quarterly_score.to_better_per_1m IS 'how much lower (per 1M) the figure must get for the next-better band, from the exact ratio, rounded up to 0.1; NULL at 3 stars or without a rating';
COMMENT ON COLUMN @extschema@.quarterly_score.to_worse_per_1m IS 'how much higher (per 1M) the figure may get and keep its band, from the exact ratio, rounded down to 0.1; NULL at 0 stars or without a rating';
COMMENT ON COLUMN @extschema@.quarterly_score.trend IS 'sparkline of recurring_per_1m, oldest to newest, over the last config.trend_quarters quarters ending with this one (from the registrar''s first quarter on); a quarter without a rating is a blank';
COMMENT ON COLUMN @extschema@.quarterly_score.no_rating_reason IS 'NULL when rated; else why not: no registration count for the quarter''s last month, or zero registrations then';
COMMENT ON COLUMN @extschema@.quarterly_score.portfolio_rank IS 'rank among the quarter''s rated registrars by registrations at quarter end, larger first, ties by smaller registrar id (decides top 10 and top 50); NULL: no rating';

CREATE VIEW @extschema@.benchmark WITH (security_invoker = true) AS
SELECT s.registrar_id, s.registrar, s.quarter, s.label, s.recurring_per_1m, s.stars,
       round(t10.recurring * 1000000.0 / nullif(t10.registrations, 0), 1) AS top10_per_1m,
       round(t50.recurring * 1000000.0 / nullif(t50.registrations, 0), 1) AS top50_per_1m,
       round(a.recurring * 1000000.0 / nullif(a.registrations, 0), 1) AS all_per_1m,
       s.category,
       round(cat.recurring * 1000000.0 / nullif(cat.registrations, 0), 1) AS category_per_1m,
       s.portfolio_rank, t10.members AS top10_registrars, t50.members AS top50_registrars,
       a.members AS all_registrars, cat.members AS category_registrars, s.no_rating_reason
  FROM @extschema@.quarterly_score s
  LEFT JOIN @extschema@.group_score t10 ON t10.quarter = s.quarter AND t10.group_name = 'top 10'
  LEFT JOIN @extschema@.group_score t50 ON t50.quarter = s.quarter AND t50.group_name = 'top 50'
  LEFT JOIN @extschema@.group_score a ON a.quarter = s.quarter AND a.group_name = 'all'
  LEFT JOIN @extschema@.group_score cat ON cat.quarter = s.quarter AND cat.group_name = 'category ' || s.category;
COMMENT ON VIEW @extschema@.benchmark IS 'each registrar''s quarterly recurring bounces per 1M beside its benchmark groups (top 10 and top 50 by portfolio, all registrars, its category), each group counted as one virtual registrar over its members with a rating';
COMMENT ON COLUMN @extschema@.benchmark.registrar_id IS 'registrar id';
COMMENT ON COLUMN @extschema@.benchmark.registrar IS 'registrar name';
COMMENT ON COLUMN @extschema@.benchmark.quarter IS 'first day of the quarter';
COMMENT ON COLUMN @extschema@.benchmark.label IS 'the quarter as text, e.g. 2025-Q1';
COMMENT ON COLUMN @extschema@.benchmark.recurring_per_1m IS 'the registrar''s recurring bounces per 1M registrations (as in quarterly_score); NULL: no rating';
COMMENT ON COLUMN @extschema@.benchmark.stars IS 'the registrar''s stars (as in quarterly_score)';
COMMENT ON COLUMN @extschema@.benchmark.top10_per_1m IS 'the 10 rated registrars with the most registrations (portfolio_rank 1-10), as one registrar: their recurring bounces per 1M of their registrations';
COMMENT ON COLUMN @extschema@.benchmark.top50_per_1m IS 'the same for portfolio_rank 1-50';
COMMENT ON COLUMN @extschema@.benchmark.all_per_1m IS 'the same for every rated registrar';
COMMENT ON COLUMN @extschema@.benchmark.category IS 'the registrar''s category';
COMMENT ON COLUMN @extschema@.benchmark.category_per_1m IS 'the same for the rated registrars of its category';
COMMENT ON COLUMN @extschema@.benchmark.portfolio_rank IS 'the registrar''s rank by registrations at quarter end among the rated registrars, ties by smaller registrar id; NULL: no rating';
COMMENT ON COLUMN @extschema@.benchmark.top10_registrars IS 'how many registrars the top 10 group covers (fewer than 10 when fewer are rated)';
COMMENT ON COLUMN @extschema@.benchmark.top50_registrars IS 'how many registrars the top 50 group covers';
COMMENT ON COLUMN @extschema@.benchmark.all_registrars IS 'how many registrars have a rating in the quarter';
COMMENT ON COLUMN @extschema@.benchmark.category_registrars IS 'how many registrars of its category have a rating in the quarter';
COMMENT ON COLUMN @extschema@.benchmark.no_rating_reason IS 'why the registrar has no rating (as in quarterly_score); NULL when rated';

-- The figures of an address are those of the score: its counted bounces.
-- The bounces the score leaves out (soft ones, or under count_kind = hard
-- the permanent ones whose address is not bad) are shown apart.
CREATE VIEW @extschema@.fix_list WITH (security_invoker = true) AS
WITH hit AS (
	SELECT DISTINCT a.registrar_id, e.address
	  FROM @extschema@.flagged_event e
	  JOIN @extschema@.attribution a ON a.event_id = e.id
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
	  JOIN @extschema@.attribution a ON a.event_id = e.id AND a.registrar_id = h.registrar_id
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

CREATE VIEW @extschema@.address_status WITH (security_invoker = true) AS
SELECT DISTINCT ON (x.address) x.address, x.occurred_at AS last_bounce, x.reason AS last_reason,
       x.status AS last_status, x.hard AS last_hard, x.streak, coalesce(x.suppressed, false) AS suppressed
  FROM (SELECT e.*, @extschema@.streak(e.occurred_at, e.reason = 'delivered')
                    OVER (PARTITION BY e.address ORDER BY e.occurred_at, e.id) AS streak
          FROM @extschema@.flagged_event e) x
 ORDER BY x.address, x.occurred_at DESC, x.id DESC;
COMMENT ON VIEW @extschema@.address_status IS 'per address: last bounce, its reason and status, current streak (bounces since the last delivery, counted now, over the bounces the reader may see) and whether to suppress mail (as of the last refresh); filter by address, e.g. WHERE address = normalize_address($1)';
COMMENT ON COLUMN @extschema@.address_status.address IS 'recipient, normalised';
COMMENT ON COLUMN @extschema@.address_status.last_bounce IS 'time of the address''s last bounce';
COMMENT ON COLUMN @extschema@.address_status.last_reason IS 'reason of that bounce';
COMMENT ON COLUMN @extschema@.address_status.last_status IS 'enhanced status code of that bounce';
COMMENT ON COLUMN @extschema@.address_status.last_hard IS 'that bounce says the address itself is bad';
COMMENT ON COLUMN @extschema@.address_status.streak IS 'bounces since the address''s last delivery notice, counting the last one';
COMMENT ON COLUMN @extschema@.address_status.suppressed IS 'stop mailing the address: its last bounce was flagged suppressed by the last refresh()';
-- ---------------------------------------------------------------------
-- record_dsn: ingest a bounce e-mail through bounce.record_bounce.
-- After the ingestion fragment (52_registry_ingest.sql), whose record_bounce()
-- and address_problem() it calls.
-- ---------------------------------------------------------------------

-- Each failed recipient of the message becomes one bounce.record_bounce() call,
-- keyed by the returned message's Message-ID plus the recipient (the
-- SHA-256 of the message when it has no Message-ID, of the Message-ID
-- when that is longer than 255 bytes), so that the same
-- e-mail ingested twice records nothing new.  Everything else is reported,
-- not recorded: feedback reports, auto-replies, delayed and success DSNs,
-- malformed recipient addresses, and messages with no recipient at all.
-- One statement: an error in any record_bounce() call records nothing.
CREATE FUNCTION @extschema@.record_dsn(message bytea, registrars integer[],
		occurred_at timestamptz DEFAULT NULL)
	RETURNS TABLE (recipient text, action text, status @extschema@.smtp_status,
	               reply_code integer, format text, outcome text, bounce_id bigint)
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
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
	IF registrars IS NULL THEN
		RAISE EXCEPTION 'bounce registrars must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				HINT = 'Pass an empty array, ''{}'', for bounces that count against no registrar.';
	END IF;
	FOR d IN SELECT * FROM @extschema@.parse_dsn_fields(message) LOOP
		v_any := true;
		recipient := d.recipient;
		action := d.action;
		status := d.status;
		reply_code := d.reply_code;
		format := d.format;
		bounce_id := NULL;
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
			bounce_id := @extschema@.record_bounce(v_key, d.recipient,
				coalesce(record_dsn.occurred_at, d.last_attempt, d.message_date, now()), registrars,
				d.reply_code, d.status::text, d.diagnostic, coalesce(d.remote_mta, d.reporting_mta), d.smtp_command,
				d.stated_reason);
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
		outcome := 'not a bounce: no recipient found';
		RETURN NEXT;
	END IF;
END $$;

CREATE FUNCTION @extschema@.record_dsn(message text, registrars integer[],
		occurred_at timestamptz DEFAULT NULL)
	RETURNS TABLE (recipient text, action text, status @extschema@.smtp_status,
	               reply_code integer, format text, outcome text, bounce_id bigint)
	LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT * FROM @extschema@.record_dsn(
	        convert_to(message, current_setting('server_encoding')), registrars, occurred_at) $$;

COMMENT ON FUNCTION @extschema@.record_dsn(bytea, integer[], timestamptz) IS 'record the failed recipients of a bounce e-mail with bounce.record_bounce (key: Message-ID plus recipient; time: occurred_at, else Last-Attempt-Date, else the report''s Date, else now()); reports, without recording, feedback reports, auto-replies, delayed and success notices';
COMMENT ON FUNCTION @extschema@.record_dsn(text, integer[], timestamptz) IS 'record_dsn for a message as text';
-- It records through record_bounce(), which only writers may run.
REVOKE EXECUTE ON FUNCTION @extschema@.record_dsn(bytea, integer[], timestamptz),
	@extschema@.record_dsn(text, integer[], timestamptz) FROM PUBLIC;
-- ---------------------------------------------------------------------
-- Registry: roles
--
-- The extension creates no role: the DBA does, and maps each with
-- grant_registrar(), grant_analyst() or grant_writer().  A role has one
-- kind at a time: each grant_ function first takes back what the role had.
--   registrar  USAGE on the schema and EXECUTE on the my_ report functions
--              (57_registrar_reports.sql); nothing on any table or view
--   analyst    SELECT on every table and view (row-level security shows
--              it every row: apply_policies())
--   writer     what an analyst has, EXECUTE on record_bounce(), record_batch(),
--              record_dsn(), record_dsn_batch(), record_attribution() and record_registration(),
--              and INSERT on ingest (COPY); no other privilege on any
--              table, so no table lock that could stop the refresh
-- ---------------------------------------------------------------------

CREATE FUNCTION bounce_internal.check_role(role_name name) RETURNS name
	LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF role_name IS NULL OR NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
		RAISE EXCEPTION 'role "%" does not exist', role_name
			USING ERRCODE = 'undefined_object', HINT = 'The DBA creates roles; bounce only grants to them.';
	END IF;
	RETURN role_name;
END $$;
COMMENT ON FUNCTION bounce_internal.check_role(name) IS 'the role name, or error 42704 when no such role exists';

-- Take back every privilege bounce's grant_ functions give (the role's
-- row in role_map is the caller's business).
CREATE FUNCTION bounce_internal.revoke_all(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM %I', role_name);
	EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM %I', role_name);
	EXECUTE format('REVOKE ALL ON ALL ROUTINES IN SCHEMA @extschema@ FROM %I', role_name);
	EXECUTE format('REVOKE USAGE ON SCHEMA @extschema@ FROM %I', role_name);
END $$;
COMMENT ON FUNCTION bounce_internal.revoke_all(name) IS 'internal to the grant_ functions: take back every privilege on the schema and its objects that they give';

CREATE FUNCTION bounce_internal.grant_read(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	EXECUTE format('GRANT USAGE ON SCHEMA @extschema@ TO %I', role_name);
	EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA @extschema@ TO %I', role_name);
END $$;
COMMENT ON FUNCTION bounce_internal.grant_read(name) IS 'internal to grant_analyst() and grant_writer(): SELECT on every table and view';

CREATE FUNCTION @extschema@.grant_registrar(registrar integer, role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	f regprocedure;
BEGIN
	PERFORM bounce_internal.check_role(role_name);
	IF NOT EXISTS (SELECT FROM @extschema@.registrar r WHERE r.id = registrar) THEN
		RAISE EXCEPTION 'unknown registrar: %', registrar USING ERRCODE = 'foreign_key_violation';
	END IF;
	INSERT INTO @extschema@.role_map (role_name, kind, registrar_id)
	SELECT r.oid, 'registrar', registrar FROM pg_roles r WHERE r.rolname = grant_registrar.role_name
	ON CONFLICT ON CONSTRAINT role_map_pkey DO UPDATE SET kind = 'registrar', registrar_id = excluded.registrar_id;
	PERFORM bounce_internal.revoke_all(role_name);
	EXECUTE format('GRANT USAGE ON SCHEMA @extschema@ TO %I', role_name);
	FOR f IN SELECT p.oid FROM pg_proc p
	          WHERE p.pronamespace = '@extschema@'::regnamespace AND p.proname LIKE 'my\_%' ORDER BY 1
	LOOP
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, role_name);
	END LOOP;
	PERFORM bounce_internal.apply_policies();
END $$;
COMMENT ON FUNCTION @extschema@.grant_registrar(integer, name) IS 'map a role to a registrar: it (and its members) reads that registrar''s reports through the my_ functions, and nothing else';

CREATE FUNCTION @extschema@.grant_analyst(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM bounce_internal.check_role(role_name);
	INSERT INTO @extschema@.role_map (role_name, kind)
	SELECT r.oid, 'analyst' FROM pg_roles r WHERE r.rolname = grant_analyst.role_name
	ON CONFLICT ON CONSTRAINT role_map_pkey DO UPDATE SET kind = 'analyst', registrar_id = NULL;
	PERFORM bounce_internal.revoke_all(role_name);
	PERFORM bounce_internal.grant_read(role_name);
	PERFORM bounce_internal.apply_policies();
END $$;
COMMENT ON FUNCTION @extschema@.grant_analyst(name) IS 'let a role read every row of every table and view; it cannot write';

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
		@extschema@.record_dsn_batch(bytea[], integer[], timestamptz)
		TO %I', role_name);
	EXECUTE format('GRANT INSERT ON @extschema@.ingest TO %I', role_name);
	PERFORM bounce_internal.apply_policies();
END $$;
COMMENT ON FUNCTION @extschema@.grant_writer(name) IS 'let a role (the application) record bounces and month-end registrations through record_bounce(), record_batch(), record_dsn(), record_dsn_batch(), COPY into ingest, record_attribution() and record_registration(), and read everything; it cannot change config, registrars or grants';

CREATE FUNCTION @extschema@.revoke_role(role_name name) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	PERFORM bounce_internal.check_role(role_name);
	DELETE FROM @extschema@.role_map m
	 WHERE m.role_name = (SELECT r.oid FROM pg_roles r WHERE r.rolname = revoke_role.role_name);
	PERFORM bounce_internal.revoke_all(role_name);
	PERFORM bounce_internal.apply_policies();
END $$;
COMMENT ON FUNCTION @extschema@.revoke_role(name) IS 'undo grant_registrar(), grant_analyst() or grant_writer() for a role';

-- Granting is the owner's business.
REVOKE EXECUTE ON FUNCTION bounce_internal.revoke_all(name), bounce_internal.grant_read(name),
	@extschema@.grant_registrar(integer, name), @extschema@.grant_analyst(name),
	@extschema@.grant_writer(name), @extschema@.revoke_role(name) FROM PUBLIC;
-- ---------------------------------------------------------------------
-- Registry: what a registrar reads
--
-- A registrar's role has no privilege on any table or view (see
-- 51_registry_security.sql).  It reads its reports through these
-- functions, one per scoring view, each returning the view's own row type
-- (so they follow the views as they change) with the rows of the
-- registrars my_registrars() gives the session's role:
--
--   SELECT * FROM bounce.my_quarterly_score() WHERE quarter = '2025-01-01';
--
-- Why they cannot leak another registrar's rows:
--   - They are SECURITY DEFINER (they run as the extension's owner, who
--     reads every table), and the planner never inlines such a function:
--     the caller's WHERE clause is applied to the rows it returns, after
--     it has run, never inside it.  So the caller's predicates, operators
--     and subplans see, count and time only the caller's own rows.
--   - They take no argument: what they read is decided by role_map and
--     the session's role alone, never by a value the caller gives (a
--     lookup by a given value in an index that holds other registrars'
--     rows would show in the statistics counters).
--   - They are driven from the registrar's own rows: its attribution rows
--     (by attribution_registrar_idx), then its bounces by id; the
--     per-registrar views are read for its registrar ids.  They never
--     look up another registrar's bounces, not even those at an address
--     the registrar shares: fix_list and address_status are computed from
--     the registrar's own bounces.
--   - search_path is pg_catalog, pg_temp and every name is qualified.
-- What a registrar can still learn is written in doc/bounce.md, 5.6.
--
-- EXECUTE is not granted to PUBLIC; grant_registrar() grants every
-- function of the schema whose name starts with my_.
-- ---------------------------------------------------------------------

-- The registrar's bounces, with their flags.
CREATE FUNCTION @extschema@.my_flagged_event() RETURNS SETOF @extschema@.flagged_event
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT f.*
	  FROM (SELECT DISTINCT a.event_id FROM @extschema@.attribution a
	         WHERE a.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[])) own
	 CROSS JOIN LATERAL (SELECT * FROM @extschema@.flagged_event f WHERE f.id = own.event_id) f $$;
COMMENT ON FUNCTION @extschema@.my_flagged_event() IS 'flagged_event for the registrars of the session''s role: its own bounces and their flags';
REVOKE EXECUTE ON FUNCTION @extschema@.my_flagged_event() FROM PUBLIC;

CREATE FUNCTION @extschema@.my_monthly_score() RETURNS SETOF @extschema@.monthly_score
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT s.* FROM @extschema@.monthly_score s WHERE s.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]) $$;
COMMENT ON FUNCTION @extschema@.my_monthly_score() IS 'monthly_score for the registrars of the session''s role';
REVOKE EXECUTE ON FUNCTION @extschema@.my_monthly_score() FROM PUBLIC;

CREATE FUNCTION @extschema@.my_top_errors() RETURNS SETOF @extschema@.top_errors
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT s.* FROM @extschema@.top_errors s WHERE s.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]) $$;
COMMENT ON FUNCTION @extschema@.my_top_errors() IS 'top_errors for the registrars of the session''s role';
REVOKE EXECUTE ON FUNCTION @extschema@.my_top_errors() FROM PUBLIC;

CREATE FUNCTION @extschema@.my_quarterly_score() RETURNS SETOF @extschema@.quarterly_score
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT s.* FROM @extschema@.quarterly_score s WHERE s.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]) $$;
COMMENT ON FUNCTION @extschema@.my_quarterly_score() IS 'quarterly_score for the registrars of the session''s role';
REVOKE EXECUTE ON FUNCTION @extschema@.my_quarterly_score() FROM PUBLIC;

CREATE FUNCTION @extschema@.my_benchmark() RETURNS SETOF @extschema@.benchmark
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT s.* FROM @extschema@.benchmark s WHERE s.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]) $$;
COMMENT ON FUNCTION @extschema@.my_benchmark() IS 'benchmark for the registrars of the session''s role: its quarters beside the benchmark groups (aggregates of all registrars)';
REVOKE EXECUTE ON FUNCTION @extschema@.my_benchmark() FROM PUBLIC;

-- fix_list per registrar counts only that registrar's bounces of each
-- address, so it is computed here from them alone, as the view computes
-- it (the view finds them through every bounce of the address): figured
-- on the counted bounces, the others apart.
CREATE FUNCTION @extschema@.my_fix_list() RETURNS SETOF @extschema@.fix_list
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	WITH own AS MATERIALIZED (
		SELECT a.registrar_id, f.*
		  FROM @extschema@.attribution a
		 CROSS JOIN LATERAL (SELECT * FROM @extschema@.flagged_event f WHERE f.id = a.event_id) f
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

-- address_status over the registrar's own bounces: the last one it had
-- at each address, and the streak counted over its own bounces, as a
-- registrar's role saw it through row-level security.
CREATE FUNCTION @extschema@.my_address_status() RETURNS SETOF @extschema@.address_status
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT DISTINCT ON (x.address) x.address, x.occurred_at AS last_bounce, x.reason AS last_reason,
	       x.status AS last_status, x.hard AS last_hard, x.streak, coalesce(x.suppressed, false) AS suppressed
	  FROM (SELECT e.*, @extschema@.streak(e.occurred_at, e.reason OPERATOR(pg_catalog.=) 'delivered'::@extschema@.reason)
	                    OVER (PARTITION BY e.address ORDER BY e.occurred_at, e.id) AS streak
	          FROM @extschema@.my_flagged_event() e) x
	 ORDER BY x.address, x.occurred_at DESC, x.id DESC $$;
COMMENT ON FUNCTION @extschema@.my_address_status() IS 'address_status over the own bounces of the registrars of the session''s role';
REVOKE EXECUTE ON FUNCTION @extschema@.my_address_status() FROM PUBLIC;
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
			SELECT DISTINCT ON (r.k) r.o, r.n, r.k, r.t, r.reply_code, r.status, r.diagnostic,
			       @extschema@.normalize_address(r.recipient) AS addr,
			       coalesce(r.stated_reason, @extschema@.classify(r.diagnostic, r.reply_code, r.status,
			                                                     r.smtp_command, r.host), 'undefined') AS reason
			  FROM keyed r WHERE r.outcome = 'recorded' AND r.problem IS NULL
			 ORDER BY r.k, r.o, r.n
		), ins AS (
			-- in key order, as record_batch(): concurrent batches with the
			-- same keys wait for each other instead of deadlocking
			INSERT INTO @extschema@.event (idempotency_key, address, occurred_at, reply_code, status,
			                               diagnostic, reason, hard, permanent)
			SELECT f.k, f.addr, f.t, f.reply_code, f.status, f.diagnostic, f.reason,
			       @extschema@.is_hard(f.reason, f.reply_code, f.status), @extschema@.is_permanent(f.reply_code, f.status)
			  FROM firsts f ORDER BY f.k COLLATE "C"
			ON CONFLICT ON CONSTRAINT event_idempotency_key_key DO NOTHING
			RETURNING id, idempotency_key
		), att AS (
			INSERT INTO @extschema@.attribution (event_id, registrar_id)
			SELECT ins.id, g.r FROM ins, (SELECT DISTINCT x AS r FROM unnest(registrars) x) g
		), pend AS (
			INSERT INTO @extschema@.pending (event_id) SELECT ins.id FROM ins
		)
		SELECT array_agg(r.o ORDER BY r.o, r.n), array_agg(r.recipient ORDER BY r.o, r.n),
		       array_agg(r.action ORDER BY r.o, r.n), array_agg(r.status ORDER BY r.o, r.n),
		       array_agg(r.reply_code ORDER BY r.o, r.n), array_agg(r.format ORDER BY r.o, r.n),
		       array_agg(r.outcome ORDER BY r.o, r.n), array_agg(r.k ORDER BY r.o, r.n),
		       array_agg(coalesce(ins.id, e.id) ORDER BY r.o, r.n),
		       array_agg(CASE WHEN r.outcome = 'recorded' THEN ins.id IS NOT NULL AND f.o = r.o AND f.n = r.n END
		                 ORDER BY r.o, r.n),
		       min(r.o) FILTER (WHERE r.problem IS NOT NULL),
		       (array_agg(r.problem ORDER BY r.o, r.n) FILTER (WHERE r.problem IS NOT NULL))[1]
		  INTO r_o, r_rcpt, r_action, r_status, r_code, r_format, r_outcome, r_key, r_id, r_new, v_el, v_text
		  FROM keyed r
		  LEFT JOIN firsts f ON f.k = r.k
		  LEFT JOIN ins ON ins.idempotency_key = r.k
		  LEFT JOIN @extschema@.event e ON e.idempotency_key = r.k;
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
	RETURN QUERY
	SELECT r.o, r.rcpt, r.act, r.st, r.rc, r.fmt, r.outcome,
	       CASE WHEN r.outcome = 'recorded'
	            THEN coalesce(r.id, (SELECT e.id FROM @extschema@.event e WHERE e.idempotency_key = r.k)) END,
	       r.isnew
	  FROM unnest(r_o, r_rcpt, r_action, r_status, r_code, r_format, r_outcome, r_key, r_id, r_new)
	       AS r(o, rcpt, act, st, rc, fmt, outcome, k, id, isnew);
END $$;
COMMENT ON FUNCTION @extschema@.record_dsn_batch(bytea[], integer[], timestamptz) IS
	'record_dsn for many bounce e-mails in one statement: one row per recipient of each message (message: its position from 1), as record_dsn would give, plus is_new (false: the key was already recorded); all or nothing: a message record_dsn would refuse stops the batch, naming its position';
-- It writes the registry's tables, as record_bounce() does: writers only.
REVOKE EXECUTE ON FUNCTION @extschema@.record_dsn_batch(bytea[], integer[], timestamptz) FROM PUBLIC;
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
