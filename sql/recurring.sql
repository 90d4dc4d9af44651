-- bounce.recurring: hand-written probes of every edge.
SET search_path = bounce, public;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';

-- Markings: a STABLE (time zone), PARALLEL SAFE, non-STRICT window function.
SELECT p.proname, p.prokind, p.provolatile, p.proparallel, p.proisstrict,
       pg_get_function_arguments(p.oid) AS args, p.prorettype::regtype
  FROM pg_proc p WHERE p.pronamespace = 'bounce'::regnamespace
   AND p.proname IN ('recurring', 'suppress', 'streak') ORDER BY 1;

-- Helper: each probe is (partition, prev, cur); the answer is for cur.
CREATE TEMP TABLE probe (id int, label text, prev timestamptz, cur timestamptz);
INSERT INTO probe VALUES
  (1,  'exactly 14 days',               '2024-03-01 12:00', '2024-03-15 12:00'),
  (2,  '14 days minus 1 us',            '2024-03-01 12:00', '2024-03-15 11:59:59.999999'),
  (3,  '14 days plus 1 us',             '2024-03-01 12:00', '2024-03-15 12:00:00.000001'),
  (4,  'exactly 3 months',              '2024-01-15 08:00', '2024-04-15 08:00'),
  (5,  '3 months plus 1 us',            '2024-01-15 08:00', '2024-04-15 08:00:00.000001'),
  (6,  '3 months minus 1 us',           '2024-01-15 08:00', '2024-04-15 07:59:59.999999'),
  (7,  '31 Jan + 3 months = 30 Apr',    '2023-01-31 00:00', '2023-04-30 00:00'),
  (8,  '31 Jan + 3 months + 1 day',     '2023-01-31 00:00', '2023-05-01 00:00'),
  (9,  '31 May - 3 months = 29 Feb',    '2024-02-29 00:00', '2024-05-31 00:00'),
  (10, '31 May - 3 months, 28 Feb',     '2024-02-28 23:59:59.999999', '2024-05-31 00:00'),
  (11, '31 May 2023 - 3 months = 28 Feb','2023-02-28 00:00', '2023-05-31 00:00'),
  (12, '29 Feb + 3 months = 29 May',    '2024-02-29 10:00', '2024-05-29 10:00'),
  (13, '29 Feb + 3 months + 1 us',      '2024-02-29 10:00', '2024-05-29 10:00:00.000001'),
  (14, '92 days is not 3 months',       '2024-05-31 00:00', '2024-08-31 00:00'),
  (15, '90 days < 3 months',            '2024-01-01 00:00', '2024-03-31 00:00'),
  (16, 'tie: same timestamp',           '2024-06-01 00:00', '2024-06-01 00:00'),
  (17, '13 days',                       '2024-06-01 00:00', '2024-06-14 00:00');

-- The answer for the second row of each pair, with what the naive
-- "occurred_at - prev BETWEEN '14 days' AND '3 months'" says.
SELECT id, label, r AS recurring, cur - prev AS naive_gap,
       (cur - prev) BETWEEN interval '14 days' AND interval '3 months' AS naive
  FROM (SELECT id, label, ts AS cur, lag(ts) OVER w AS prev,
               recurring(ts) OVER w AS r
          FROM probe, LATERAL (VALUES (prev), (cur)) v(ts)
        WINDOW w AS (PARTITION BY id ORDER BY ts)) x
 WHERE prev IS NOT NULL
 ORDER BY id;

-- DST in Europe/Brussels (31 March and 27 October 2024): 14 days are 14
-- local days, 13 days 23 hours in spring and 14 days 1 hour in autumn.
-- The "rule" column is the SQL formula; "naive" is the interval BETWEEN.
SET TimeZone = 'Europe/Brussels';
CREATE TEMP TABLE dst (id int, label text, prev timestamptz, cur timestamptz,
                       min_gap interval, max_gap interval);
INSERT INTO dst VALUES
  (1, 'spring: 14 local days = 13d23h',   '2024-03-17 12:00', '2024-03-31 12:00', '14 days', '3 months'),
  (2, 'spring: 13d23h - 1 us',            '2024-03-17 12:00:00.000001', '2024-03-31 12:00', '14 days', '3 months'),
  (3, 'autumn: 14 local days = 14d1h',    '2024-10-13 12:00', '2024-10-27 12:00', '14 days', '3 months'),
  (4, 'autumn: 14d0h30 is < 14 local days','2024-10-13 12:30', '2024-10-27 12:00', '14 days', '3 months'),
  (5, 'a DST week, 7 local days',         '2024-03-28 12:00', '2024-04-04 12:00', '7 days', '8 days'),
  (6, 'a DST week, 7 x 24 h',             '2024-03-28 12:00', '2024-04-04 13:00', '7 days', '7 days'),
  -- 31 March 02:30 does not exist; PostgreSQL reads it as 03:30 CEST
  (7, 'bound in the spring gap',          '2024-03-31 03:30', '2024-04-14 02:30', '14 days', '3 months'),
  (8, 'bound in the spring gap + 1 us',   '2024-03-31 03:30:00.000001', '2024-04-14 02:30', '14 days', '3 months'),
  -- 27 October 02:30 happens twice; PostgreSQL takes the second (CET)
  (9, 'bound in the autumn overlap',      '2024-10-27 02:30+01', '2024-11-10 02:30', '14 days', '3 months'),
  (10, 'bound in the autumn overlap + 1 us', '2024-10-27 02:30:00.000001+01', '2024-11-10 02:30', '14 days', '3 months'),
  (11, '3 months across both changes',    '2024-02-15 12:00', '2024-05-15 12:00', '14 days', '3 months');
SELECT id, label, r AS recurring,
       prev BETWEEN cur - max_gap AND cur - min_gap AS rule,
       cur - prev AS elapsed,
       (cur - prev) BETWEEN min_gap AND max_gap AS naive
  FROM (SELECT id, label, ts AS cur, min_gap, max_gap, lag(ts) OVER w AS prev,
               recurring(ts, min_gap, max_gap) OVER w AS r
          FROM dst, LATERAL (VALUES (prev), (cur)) v(ts)
        WINDOW w AS (PARTITION BY id ORDER BY ts)) x
 WHERE prev IS NOT NULL
 ORDER BY id;
SET TimeZone = 'UTC';

-- Single-row partitions and the first row are false; a NULL occurred_at is
-- NULL and is not "the previous" for the next row; ties give a zero gap.
SELECT a, t, recurring(t) OVER w
  FROM (VALUES ('solo', '2024-01-01'::timestamptz),
               ('n', '2024-01-01'), ('n', NULL), ('n', '2024-01-20'),
               ('m', NULL), ('m', '2024-02-01'), ('m', '2024-03-01'),
               ('tie', '2024-01-01'), ('tie', '2024-01-20'), ('tie', '2024-01-20')) e(a, t)
WINDOW w AS (PARTITION BY a ORDER BY t NULLS FIRST)
 ORDER BY a, t NULLS FIRST;

-- NULL in the middle of the sort order (ORDER BY ... NULLS FIRST puts it
-- first; a NULL row between two others does not break the pair).
SELECT t, recurring(t) OVER (ORDER BY k)
  FROM (VALUES (1, '2024-01-01'::timestamptz), (2, NULL), (3, '2024-01-20')) e(k, t)
 ORDER BY k;

-- Custom gaps: zero min_gap makes ties recurring.
SELECT t, recurring(t, '0', '1 day') OVER (ORDER BY t)
  FROM (VALUES ('2024-01-01'::timestamptz), ('2024-01-01'), ('2024-01-02'), ('2024-01-03 00:00:01')) e(t);

-- Bad arguments: 22023, naming the function and the value.
\set VERBOSITY default
SELECT recurring(t, NULL) OVER (ORDER BY t) FROM (VALUES (now())) e(t);
SELECT recurring(t, '14 days', NULL) OVER (ORDER BY t) FROM (VALUES (now())) e(t);
SELECT recurring(t, '-1 day') OVER (ORDER BY t) FROM (VALUES (now())) e(t);
SELECT recurring(t, '1 month -1 day') OVER (ORDER BY t) FROM (VALUES (now())) e(t);
SELECT recurring(t, '14 days', '-3 months') OVER (ORDER BY t) FROM (VALUES (now())) e(t);
SELECT recurring(t, '3 months', '14 days') OVER (ORDER BY t) FROM (VALUES (now())) e(t);
SELECT recurring(t, g) OVER (ORDER BY t)
  FROM (VALUES ('2024-01-01'::timestamptz, '14 days'::interval), ('2024-02-01', '15 days')) e(t, g);
SELECT recurring(t, '1 day', g) OVER (ORDER BY t)
  FROM (VALUES ('2024-01-01'::timestamptz, '1 month'::interval), ('2024-02-01', '30 days')) e(t, g);
SELECT recurring(t) OVER (ORDER BY t DESC)
  FROM (VALUES ('2024-01-01'::timestamptz), ('2024-02-01')) e(t);
SELECT recurring(t) OVER (ORDER BY k)
  FROM (VALUES (1, '2024-01-01'::timestamptz), (2, '2024-02-01'), (3, '2024-01-31')) e(k, t);
\set VERBOSITY terse
-- Gaps may change between partitions.
SELECT a, recurring(t, g) OVER (PARTITION BY a ORDER BY t)
  FROM (VALUES ('x', '2024-01-01'::timestamptz, '14 days'::interval), ('x', '2024-01-20', '14 days'),
               ('y', '2024-01-01', '30 days'), ('y', '2024-01-20', '30 days')) e(a, t, g)
 ORDER BY a, t;
-- Fully qualified, outside the search_path.
SET search_path = public;
SELECT bounce.recurring(t) OVER (ORDER BY t)
  FROM (VALUES ('2024-01-01'::timestamptz), ('2024-01-20')) e(t);
SET search_path = bounce, public;
