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
