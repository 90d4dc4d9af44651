-- reply codes: RFC 5321 basic reply codes are integers with helpers
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET search_path = bounce, public;

SELECT c, is_valid_reply_code(c), CASE WHEN is_valid_reply_code(c) THEN reply_class(c) END
  FROM unnest(ARRAY[200, 250, 354, 421, 450, 452, 550, 554, 559, 199, 260, 600, 99, 5500, -550, 0]) c;
SELECT 550::reply_code, 421::reply_code;
\set VERBOSITY default
SELECT 600::reply_code;
SELECT 560::reply_code;
SELECT 1000::reply_code;
SELECT reply_class(99);
SELECT reply_class(-1);
SELECT bounce_internal.reply_code_check(2147483647);
\set VERBOSITY terse
SELECT reply_class(NULL), is_valid_reply_code(NULL), NULL::reply_code;
-- a domain column rejects bad codes on INSERT
CREATE TEMP TABLE r (code reply_code);
INSERT INTO r VALUES (550), (451);
INSERT INTO r VALUES (650);
SELECT * FROM r ORDER BY code;
DO $$ BEGIN PERFORM 999::bounce.reply_code; EXCEPTION WHEN invalid_parameter_value THEN RAISE NOTICE '22023 as documented'; END $$;
SELECT obj_description('bounce.reply_code'::regtype, 'pg_type') IS NOT NULL AS commented;
