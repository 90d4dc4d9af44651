-- smtp_status: the RFC 3463 enhanced status code type
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET search_path = bounce, public;

-- canonical input and output
SELECT '5.1.1'::smtp_status, '4.2.2'::smtp_status, '2.0.0'::smtp_status;
SELECT '5.999.999'::smtp_status AS max, '2.0.0'::smtp_status AS min;
SELECT '5.7.26'::smtp_status, '5.1.10'::smtp_status;
-- surrounding whitespace is ignored, like int4in
SELECT '  5.1.1 '::smtp_status, E'\t4.4.7\n'::smtp_status;
-- storage: 4 bytes, by value
SELECT typlen, typbyval, typalign FROM pg_type WHERE oid = 'bounce.smtp_status'::regtype;
SELECT pg_column_size('5.1.1'::smtp_status);

-- invalid input: 22P02, naming the value
\set VERBOSITY default
SELECT '5.1'::smtp_status;
SELECT '6.1.1'::smtp_status;
SELECT '5.1.1000'::smtp_status;
SELECT 'x.1.1'::smtp_status;
SELECT ''::smtp_status;
SELECT '   '::smtp_status;
SELECT '5..1'::smtp_status;
SELECT '5.1.1.1'::smtp_status;
SELECT '5.01.1'::smtp_status;
SELECT '5.1.01'::smtp_status;
SELECT '05.1.1'::smtp_status;
SELECT '5.1.1 x'::smtp_status;
SELECT '5 .1.1'::smtp_status;
SELECT '-5.1.1'::smtp_status;
SELECT '+5.1.1'::smtp_status;
SELECT '5.1.'::smtp_status;
SELECT '.1.1'::smtp_status;
SELECT '5.1.99999999999999999999'::smtp_status;
SELECT '５.1.1'::smtp_status;
SELECT repeat('5', 300)::smtp_status;
\set VERBOSITY terse
-- the SQLSTATE is 22P02 for every kind of bad input
DO $$
DECLARE v text;
BEGIN
	FOREACH v IN ARRAY ARRAY['5.1', '6.1.1', '5.1.1000', 'x.1.1', '', '5..1', '5.1.1.1', '5.01.1'] LOOP
		BEGIN
			PERFORM v::bounce.smtp_status;
			RAISE NOTICE '% accepted', v;
		EXCEPTION WHEN invalid_text_representation THEN
			RAISE NOTICE '% -> 22P02', quote_literal(v);
		END;
	END LOOP;
END $$;

-- NULL in, NULL out
SELECT NULL::smtp_status IS NULL AS null_ok, status_class(NULL) IS NULL AS class_null;

-- comparison operators
SELECT '5.1.1'::smtp_status = '5.1.1', '5.1.1'::smtp_status <> '5.1.2',
       '4.9.9'::smtp_status < '5.0.0', '5.1.2'::smtp_status <= '5.1.10',
       '5.2.0'::smtp_status > '5.1.999', '5.1.1'::smtp_status >= '5.1.1';
SELECT '5.1.10'::smtp_status > '5.1.2' AS numeric_not_textual;
SELECT bounce_internal.smtp_status_cmp('5.1.1', '5.1.2'), bounce_internal.smtp_status_cmp('5.1.1', '5.1.1'), bounce_internal.smtp_status_cmp('5.2.1', '5.1.1');
-- commutators and negators are declared
SELECT o.oprname, c.oprname AS commutator, n.oprname AS negator, o.oprrest, o.oprjoin, o.oprcanhash, o.oprcanmerge
  FROM pg_operator o
  LEFT JOIN pg_operator c ON c.oid = o.oprcom
  LEFT JOIN pg_operator n ON n.oid = o.oprnegate
 WHERE o.oprleft = 'bounce.smtp_status'::regtype
 ORDER BY o.oprname;

-- operator classes: btree with btequalimage, hash with the extended hash
SELECT am.amname, opc.opcname, opc.opcdefault
  FROM pg_opclass opc JOIN pg_am am ON am.oid = opc.opcmethod
 WHERE opc.opcintype = 'bounce.smtp_status'::regtype ORDER BY 1;
SELECT amprocnum, amproc::regproc
  FROM pg_amproc WHERE amproclefttype = 'bounce.smtp_status'::regtype ORDER BY amprocfamily, amprocnum;
SELECT bounce_internal.smtp_status_hash('5.1.1') = bounce_internal.smtp_status_hash('5.1.1') AS hash_stable,
       bounce_internal.smtp_status_hash_extended('5.1.1', 0) = bounce_internal.smtp_status_hash_extended('5.1.1', 0) AS ext_stable,
       bounce_internal.smtp_status_hash_extended('5.1.1', 0) <> bounce_internal.smtp_status_hash_extended('5.1.1', 1) AS seed_matters;

-- a table exercising ORDER BY, GROUP BY, DISTINCT, indexes and hash joins
CREATE TEMP TABLE st AS
SELECT (c || '.' || s || '.' || d)::smtp_status AS code, i
  FROM generate_series(1, 3000) i,
       LATERAL (SELECT (ARRAY[2,4,5])[1 + i % 3] AS c, i % 8 AS s, (i * 7) % 12 AS d) x;
SELECT code FROM st ORDER BY code LIMIT 5;
SELECT code FROM st ORDER BY code DESC LIMIT 3;
SELECT count(DISTINCT code) FROM st;
SELECT code, count(*) FROM st WHERE code >= '5.7.0' GROUP BY code ORDER BY code;
SET enable_sort = off;
SET enable_hashagg = on;
EXPLAIN (COSTS OFF) SELECT code, count(*) FROM st GROUP BY code;
SELECT count(*) FROM (SELECT code, count(*) FROM st GROUP BY code) g;
RESET enable_sort;
CREATE INDEX st_code_idx ON st (code);
ANALYZE st;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM st WHERE code = '5.1.1';
SELECT count(*) FROM st WHERE code = '5.1.1';
SELECT count(*) FROM st WHERE code BETWEEN '5.1.0' AND '5.1.999';
RESET enable_seqscan;
-- btree deduplication is allowed because of btequalimage
CREATE EXTENSION IF NOT EXISTS pageinspect;
SELECT allequalimage FROM bt_metap('st_code_idx');
CREATE INDEX st_code_hash ON st USING hash (code);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM st WHERE code = '4.4.4';
RESET enable_seqscan;
RESET enable_bitmapscan;
CREATE TEMP TABLE names AS SELECT DISTINCT code FROM st;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM st JOIN names USING (code);
SELECT count(*) FROM st JOIN names USING (code);
RESET enable_mergejoin;
RESET enable_nestloop;
SET enable_hashjoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM st JOIN names USING (code);
SELECT count(*) FROM st JOIN names USING (code);
RESET enable_hashjoin;
RESET enable_nestloop;
-- hash partitioning uses the extended hash function
CREATE TEMP TABLE hp (code smtp_status) PARTITION BY HASH (code);
CREATE TEMP TABLE hp0 PARTITION OF hp FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TEMP TABLE hp1 PARTITION OF hp FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO hp SELECT DISTINCT code FROM st;
SELECT (SELECT count(*) FROM hp0) > 0 AND (SELECT count(*) FROM hp1) > 0 AS both_used, count(*) FROM hp;
-- selectivity estimators give sane estimates
EXPLAIN (COSTS OFF) SELECT * FROM st WHERE code < '4.0.0';

-- casts
SELECT '5.1.1'::text::smtp_status, ('5.7.1'::smtp_status)::text || '!' AS to_text;
SELECT CAST(' 4.2.2' AS smtp_status);
CREATE TEMP TABLE cast_target (s smtp_status);
INSERT INTO cast_target VALUES ('5.2.2'::text);
SELECT * FROM cast_target;

-- accessors and predicates
SELECT status_class('5.1.10'), status_subject('5.1.10'), status_detail('5.1.10');
SELECT s, is_permanent(s), is_transient(s), is_success(s)
  FROM (VALUES ('5.1.1'::smtp_status), ('4.2.2'), ('2.1.5')) v(s);

-- status_text: the 81 IANA codes, and a marked fallback
SELECT count(*) FROM status_registry();
SELECT * FROM status_registry() WHERE code IN ('X.1.1', 'X.1.10', 'X.7.26', 'X.6.10');
SELECT status_text('5.1.1'), status_text('4.2.2'), status_text('5.7.26');
SELECT status_text('5.1.99');
SELECT status_text('5.9.1');
SELECT status_text('2.0.0');
-- every registered code, in every class, gets its registry text back
SELECT count(*) FROM status_registry() r, unnest(ARRAY['2','4','5']) c
 WHERE status_text((c || substr(r.code, 2))::smtp_status) <> r.name;

-- binary I/O round trip
SELECT bounce_internal.smtp_status_send('5.1.10');
SELECT bounce_internal.smtp_status_send('2.999.0');
CREATE TEMP TABLE bin AS SELECT DISTINCT code FROM st;
-- scratch files go to the cluster's private directory, not a shared /tmp path
\getenv pgwork PGHOST
\set binfile :pgwork '/smtp_status_bin.copy'
\set badfile :pgwork '/smtp_status_bad.copy'
COPY bin TO :'binfile' WITH (FORMAT binary);
CREATE TEMP TABLE bin2 (code smtp_status);
COPY bin2 FROM :'binfile' WITH (FORMAT binary);
SELECT count(*) AS roundtrip_mismatches FROM (SELECT code FROM bin EXCEPT SELECT code FROM bin2) x;
-- binary input is validated like text input: craft 6-byte fields via bytea
CREATE TEMP TABLE rawbin (b bytea);
INSERT INTO rawbin VALUES ('\x000600010001');
COPY rawbin TO :'badfile' WITH (FORMAT binary);
COPY bin2 FROM :'badfile' WITH (FORMAT binary);
TRUNCATE rawbin;
INSERT INTO rawbin VALUES ('\x000500010400');
COPY rawbin TO :'badfile' WITH (FORMAT binary);
COPY bin2 FROM :'badfile' WITH (FORMAT binary);
TRUNCATE rawbin;
INSERT INTO rawbin VALUES ('\x0005000100');
COPY rawbin TO :'badfile' WITH (FORMAT binary);
COPY bin2 FROM :'badfile' WITH (FORMAT binary);

-- every function is IMMUTABLE, STRICT, PARALLEL SAFE and commented
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel
  FROM pg_proc p
 WHERE p.pronamespace = 'bounce'::regnamespace
   AND (p.proargtypes::oid[] && ARRAY['bounce.smtp_status'::regtype::oid]
        OR p.prorettype = 'bounce.smtp_status'::regtype OR p.proname IN ('status_registry'))
   AND (p.provolatile <> 'i' OR NOT p.proisstrict OR p.proparallel <> 's'
        OR obj_description(p.oid, 'pg_proc') IS NULL);
