-- normalize_address and address_problem: the same answer under every
-- locale, collation and database, as IMMUTABLE promises.
SET search_path = bounce, public;
\pset null '(null)'

-- The domain is case-folded by Unicode simple case folding; the local part
-- is kept as written.
SELECT a, normalize_address(a) FROM unnest(ARRAY[
  'ann@BÜCHER.be', 'Ann@Bücher.BE.', 'ANN@ΕΛΛΆΔΑ.gr', 'x@КИРИЛЛИЦА.РФ', 'Ö@x.be', 'x@日本.jp',
  'x@ẞ.de', 'x@ǅ.be', 'x@' || U&'\212A' || '.be', 'x@ſ.be', 'x@µ.be', 'x@İ.tr', 'x@Ⱥ.be',
  'x@e' || U&'\0301' || '.be', 'x@XN--BCHER-KVA.BE', 'x@[IPv6:ABCD::1]']) a;

-- Under the C collation, a libc UTF-8 one and an ICU one: the same.  (A
-- lower() that follows the ctype gives "bÜcher.be" under C.)
SELECT a, c, c = libc_utf8 COLLATE "C" AS same_libc_utf8, c = icu COLLATE "C" AS same_icu,
       pc IS NOT DISTINCT FROM pu COLLATE "C" AS problem_same
  FROM (SELECT a, normalize_address(a COLLATE "C") AS c, normalize_address(a COLLATE "C.utf8") AS libc_utf8,
               normalize_address(a COLLATE "und-x-icu") AS icu,
               address_problem(a COLLATE "C") AS pc, address_problem(a COLLATE "C.utf8") AS pu
          FROM unnest(ARRAY['ann@BÜCHER.be', 'ANN@ΕΛΛΆΔΑ.gr', 'x@КИРИЛЛИЦА.РФ', 'x@ẞ.de', 'x@Ⱥ.be']) a) s;

-- Non-ASCII characters a label may hold: letters, combining marks, decimal
-- digits.  Symbols, punctuation and white space of any script may not.
SELECT a, address_problem(a COLLATE "C") AS c, address_problem(a COLLATE "C.utf8") AS libc_utf8
  FROM unnest(ARRAY['x@€.be', 'x@a·b.be', 'x@a' || U&'\2003' || 'b.be', 'x@' || U&'\00A0' || '.be',
                    'a' || U&'\2003' || 'b@x.be', 'x@' || U&'\0085' || 'a.be', 'x@Ⓐ.be', 'x@٣.eg', 'x@é.be']) a;

-- The checks, message for message (a person's typing, RFC 5321's limits)
SELECT left(replace(a, E'\n', '\n'), 24) AS a, address_problem(a) FROM unnest(ARRAY['', '   ', 'plain', '@x.be', 'x@', 'x@.', 'a b@x.be',
  'a..b@x.be', '.a@x.be', 'a.@x.be', '"a b"@x.be', '"a\"b"@x.be', '"a\"@x.be', '""@x.be', '"a"b"@x.be',
  'a@b@x.be', 'a(b)@x.be', 'a,b@x.be', 'a;b@x.be', 'a<b@x.be', 'a[b@x.be', 'o''brien+tag@x.be',
  'x@sub..be', 'x@-a.be', 'x@a-.be', 'x@a-b.be', 'x@a_b.be', 'x@[192.0.2.1]', 'x@[a b]', 'x@[a\b]', 'x@[]',
  repeat('a', 64) || '@x.be', repeat('a', 65) || '@x.be', 'x@' || repeat('a', 63) || '.be',
  'x@' || repeat('a', 64) || '.be', 'x@' || repeat('é', 63) || '.be', 'x@' || repeat('b.', 130) || 'be',
  'x@' || repeat('ⱥ.', 62) || 'be', 'x@' || repeat('Ⱥ.', 83) || 'be', E'a\tb@x.be', E'a@x\n.be']) a;

-- They agree: address_problem is NULL exactly when normalize_address
-- accepts, and a normal form is its own normal form.
CREATE FUNCTION pg_temp.accepted(a text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bounce.normalize_address(a);
  RETURN true;
EXCEPTION WHEN invalid_text_representation THEN
  RETURN false;
END $$;
WITH a(a) AS (
  SELECT unnest(ARRAY['ann@BÜCHER.be', 'x@€.be', 'x@' || repeat('Ⱥ.', 83) || 'be', 'a..b@x.be', '"a b"@X.BE',
                      'x@e' || U&'\0301' || '.be', 'plain', ' y@Z.be. '])
  UNION ALL
  SELECT chr(65 + i % 26) || '@' || chr(192 + i % 400) || chr(880 + i % 700) || '.be' FROM generate_series(0, 2000) i)
SELECT count(*) AS addresses,
       count(*) FILTER (WHERE (address_problem(a) IS NULL) = pg_temp.accepted(a)) AS agree,
       count(*) FILTER (WHERE address_problem(a) IS NULL) AS accepted,
       count(*) FILTER (WHERE address_problem(a) IS NULL
                          AND normalize_address(normalize_address(a)) = normalize_address(a)
                          AND address_problem(normalize_address(a)) IS NULL) AS accepted_and_stable
  FROM a;

-- The error names the address and its problem.
SELECT normalize_address('ann@x_y.be');

-- In a database whose ctype is C and in one whose ctype is C.UTF-8: the
-- same stored form, so a dump of one restores into the other unchanged.
SELECT current_database() AS regress_db \gset
DROP DATABASE IF EXISTS bounce_address_c;
DROP DATABASE IF EXISTS bounce_address_utf8;
CREATE DATABASE bounce_address_c TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';
CREATE DATABASE bounce_address_utf8 TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8';
\c bounce_address_c
CREATE EXTENSION bounce;
SELECT current_setting('lc_ctype') AS ctype, lower('BÜCHER') AS lower_follows_ctype,
       bounce.normalize_address('ann@BÜCHER.be') AS n1, bounce.normalize_address('x@ΕΛΛΆΔΑ.gr') AS n2,
       bounce.address_problem('x@€.be') AS p1 \gset c_
\c bounce_address_utf8
CREATE EXTENSION bounce;
SELECT current_setting('lc_ctype') AS ctype, lower('BÜCHER') AS lower_follows_ctype,
       bounce.normalize_address('ann@BÜCHER.be') AS n1, bounce.normalize_address('x@ΕΛΛΆΔΑ.gr') AS n2,
       bounce.address_problem('x@€.be') AS p1 \gset u_
\c :regress_db
DROP DATABASE bounce_address_c;
DROP DATABASE bounce_address_utf8;
SELECT :'c_ctype' AS c_ctype, :'c_lower_follows_ctype' AS c_lower, :'u_ctype' AS u_ctype,
       :'u_lower_follows_ctype' AS u_lower,
       :'c_n1' AS c_n1, :'c_n1' = :'u_n1' AS n1_same, :'c_n2' AS c_n2, :'c_n2' = :'u_n2' AS n2_same,
       :'c_p1' AS c_p1, :'c_p1' = :'u_p1' AS p1_same;

-- Volatility, strictness and parallel safety as documented
SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel, l.lanname,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'bounce'::regnamespace
   AND p.proname IN ('normalize_address', 'address_problem') ORDER BY 1::text;
