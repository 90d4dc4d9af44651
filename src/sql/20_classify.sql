-- ---------------------------------------------------------------------
-- Classifier (issue 3): reason enum and classification functions.
--
-- CONTRACT STUBS: the signatures below are what the rest of bounce codes
-- against (registry ingestion, DSN parser).  The classifier work replaces
-- the bodies with the C implementation and keeps the signatures.
-- ---------------------------------------------------------------------

CREATE TYPE @extschema@.reason AS ENUM (
	'authfailure', 'badreputation', 'blocked', 'contenterror', 'delivered',
	'emailtoolarge', 'expired', 'failedstarttls', 'feedback', 'filtered',
	'hasmoved', 'hostunknown', 'mailboxfull', 'mailererror', 'networkerror',
	'norelaying', 'notaccept', 'notcompliantrfc', 'onhold', 'policyviolation',
	'ratelimited', 'rejected', 'requireptr', 'securityerror', 'spamdetected',
	'suppressed', 'suspend', 'syntaxerror', 'systemerror', 'systemfull',
	'undefined', 'userunknown', 'vacation', 'virusdetected'
);
COMMENT ON TYPE @extschema@.reason IS 'bounce reason, Sisimai 5.6 taxonomy (34 labels)';

CREATE FUNCTION @extschema@.classify(diagnostic text, reply_code integer DEFAULT NULL,
		status @extschema@.smtp_status DEFAULT NULL, command text DEFAULT NULL,
		remote_host text DEFAULT NULL)
	RETURNS @extschema@.reason
	LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT CASE WHEN diagnostic IS NULL AND reply_code IS NULL AND status IS NULL
	                       AND command IS NULL AND remote_host IS NULL THEN NULL
	                  ELSE 'undefined'::@extschema@.reason END $$;
COMMENT ON FUNCTION @extschema@.classify(text, integer, @extschema@.smtp_status, text, text) IS 'STUB: bounce reason of a diagnostic text';

CREATE FUNCTION @extschema@.is_hard(reason @extschema@.reason, reply_code integer DEFAULT NULL,
		status @extschema@.smtp_status DEFAULT NULL)
	RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT CASE WHEN reason IN ('delivered', 'feedback', 'vacation') THEN NULL
	                  ELSE reason IN ('userunknown', 'hostunknown', 'hasmoved', 'notaccept') END $$;
COMMENT ON FUNCTION @extschema@.is_hard(@extschema@.reason, integer, @extschema@.smtp_status) IS 'STUB: true when the address itself is bad (Sisimai semantics)';

CREATE FUNCTION @extschema@.is_permanent(reply_code integer, status @extschema@.smtp_status)
	RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$ SELECT COALESCE(@extschema@.status_class(status) = 5, reply_code / 100 = 5) $$;
COMMENT ON FUNCTION @extschema@.is_permanent(integer, @extschema@.smtp_status) IS 'STUB: SMTP verdict, 5xx or 5.x.x';
