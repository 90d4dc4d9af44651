-- bounce.suppress and bounce.streak: hand-written probes.
SET search_path = bounce, public;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';

-- A timeline: three bounces over more than 15 days suppress; the flag stays
-- on until a reset row (a delivery), which is itself not a bounce.
CREATE TEMP TABLE ev (addr text, t timestamptz, ok boolean);
INSERT INTO ev VALUES
  ('a', '2024-01-01', false), ('a', '2024-01-08', false), ('a', '2024-01-16', false),
  ('a', '2024-01-17', false), ('a', '2024-02-01', true),  ('a', '2024-02-02', false),
  ('a', '2024-02-10', false), ('a', '2024-02-17 00:00:00.000001', false),
  -- exactly 15 days is not "more than 15 days"; 15 days + 1 us is
  ('b', '2024-03-01', false), ('b', '2024-03-08', false), ('b', '2024-03-16', false),
  ('b', '2024-03-16 00:00:00.000001', false),
  -- two bounces only, however far apart
  ('c', '2024-01-01', false), ('c', '2024-12-01', false),
  -- a single row; a reset first
  ('d', '2024-01-01', false),
  ('e', '2024-01-01', true), ('e', '2024-01-02', false);
SELECT addr, t, ok, streak(t, ok) OVER w, suppress(t, reset => ok) OVER w
  FROM ev WINDOW w AS (PARTITION BY addr ORDER BY t)
 ORDER BY addr, t;

-- Other strikes and spans; a month span is a calendar month in the session
-- time zone.
SELECT t, suppress(t, 2, '1 month') OVER (ORDER BY t) AS two_in_a_month,
          suppress(t, 1, '0') OVER (ORDER BY t) AS one_zero,
          suppress(t, 4, '0') OVER (ORDER BY t) AS four_zero
  FROM (VALUES ('2023-01-31'::timestamptz), ('2023-02-28'), ('2023-03-01'),
               ('2023-03-01')) e(t);

-- Ties count as separate bounces; a zero span is never "more than" zero.
SELECT t, streak(t) OVER w, suppress(t, 3, '0') OVER w
  FROM (VALUES ('2024-01-01'::timestamptz), ('2024-01-01'), ('2024-01-01'),
               ('2024-01-01 00:00:00.000001')) e(t)
WINDOW w AS (ORDER BY t);

-- NULL occurred_at or NULL reset: NULL, and the row is skipped (neither a
-- bounce nor a reset).
SELECT k, t, r, streak(t, r) OVER w, suppress(t, 2, '1 day', r) OVER w
  FROM (VALUES (1, '2024-01-01'::timestamptz, false), (2, NULL, false),
               (3, '2024-01-05', NULL), (4, '2024-01-10', false),
               (5, '2024-01-11', true), (6, NULL, true), (7, '2024-01-12', false)) e(k, t, r)
WINDOW w AS (ORDER BY k)
 ORDER BY k;

-- Fully qualified, named arguments.
SET search_path = public;
SELECT bounce.streak(t) OVER w,
       bounce.suppress(t, strikes => 2, min_span => '1 day') OVER w
  FROM (VALUES ('2024-01-01'::timestamptz), ('2024-01-03')) e(t)
WINDOW w AS (ORDER BY t);
SET search_path = bounce, public;

-- Bad arguments: 22023, naming the function and the value.
\set VERBOSITY default
SELECT suppress(t, NULL) OVER (ORDER BY t) FROM (VALUES (now())) e(t);
SELECT suppress(t, 0) OVER (ORDER BY t) FROM (VALUES (now())) e(t);
SELECT suppress(t, -2147483648) OVER (ORDER BY t) FROM (VALUES (now())) e(t);
SELECT suppress(t, 3, NULL) OVER (ORDER BY t) FROM (VALUES (now())) e(t);
SELECT suppress(t, 3, '-1 us') OVER (ORDER BY t) FROM (VALUES (now())) e(t);
SELECT suppress(t, s) OVER (ORDER BY t)
  FROM (VALUES ('2024-01-01'::timestamptz, 3), ('2024-02-01', 4)) e(t, s);
SELECT suppress(t, 3, g) OVER (ORDER BY t)
  FROM (VALUES ('2024-01-01'::timestamptz, '15 days'::interval), ('2024-02-01', '360 hours')) e(t, g);
SELECT suppress(t) OVER (ORDER BY t DESC)
  FROM (VALUES ('2024-01-01'::timestamptz), ('2024-02-01')) e(t);
SELECT streak(t) OVER (ORDER BY t DESC)
  FROM (VALUES ('2024-01-01'::timestamptz), ('2024-02-01')) e(t);
-- a reset row out of order is refused too
SELECT streak(t, r) OVER (ORDER BY k)
  FROM (VALUES (1, '2024-01-02'::timestamptz, false), (2, '2024-01-01', true)) e(k, t, r);
\set VERBOSITY terse
-- No OVER clause, and a plain call: refused by PostgreSQL itself.
SELECT streak(now());
-- Garbage that must not crash: infinities, extreme gaps and spans.
SELECT t, recurring(t, '0', '1000000 years') OVER w, streak(t) OVER w,
       suppress(t, 2, '0') OVER w
  FROM (VALUES ('-infinity'::timestamptz), ('4713-01-01 BC'), ('2024-01-01'),
               ('294276-12-31'), ('infinity'), ('infinity')) e(t)
WINDOW w AS (ORDER BY t);
-- the two ends of the timestamptz range: their difference overflows int64
SELECT t, recurring(t, '0', '300000 years') OVER w AS within_300000_years,
       recurring(t, '0', '1 year') OVER w AS within_a_year
  FROM (VALUES ('4714-11-24 00:00 BC'::timestamptz), ('294276-12-31 23:59:59.999999')) e(t)
WINDOW w AS (ORDER BY t);
SELECT recurring(t, '178000000 years', '178000000 years') OVER (ORDER BY t)
  FROM (VALUES ('2024-01-01'::timestamptz), ('2024-02-01')) e(t);
SELECT suppress(t, 2147483647, '2147483647 days') OVER (ORDER BY t)
  FROM (VALUES ('2024-01-01'::timestamptz), ('2024-02-01')) e(t);
