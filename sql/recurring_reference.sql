-- bounce.recurring, suppress and streak against SQL reference formulas
--, on 120k random events over 2019-2025: month ends, leap days
-- and the Europe/Brussels DST changes, under three TimeZone settings (dst_day is
-- expected false in UTC only).
-- Every comparison must report zero differences.  Last, random garbage
-- arguments and extreme timestamps, checked against the same formula.
SET search_path = bounce, public;
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET TimeZone = 'Europe/Brussels';
SELECT setseed(0.4242);

-- 6000 addresses, 20 events each.  Gaps are drawn to hit the bounds: a
-- few hours, 14 days give or take up to an hour or a microsecond, whole
-- calendar months give or take a day or a microsecond, month ends, exact
-- local midnights and long pauses; ties; 1% NULL timestamps; 10% resets
-- (0.5% NULL).  The timeline starts near a DST change or a month end.
CREATE TEMP TABLE ev AS
WITH g AS (
  SELECT a, n, random() AS r1, random() AS r2, random() AS r3, random() AS r4
    FROM generate_series(1, 6000) a, generate_series(1, 20) n
), gap AS (
  SELECT a, n, r3, r4,
         CASE WHEN n = 1 THEN interval '0'
              WHEN r1 < 0.10 THEN interval '0'                                   -- tie
              WHEN r1 < 0.25 THEN make_interval(hours => (r2 * 72)::int)
              WHEN r1 < 0.45 THEN interval '14 days' + make_interval(secs => ((r2 - 0.5) * 7200)::int)
              WHEN r1 < 0.50 THEN interval '14 days' + (((r2 * 3)::int - 1) * interval '1 microsecond')
              WHEN r1 < 0.55 THEN interval '13 days 23:00'                       -- 14 local days across DST
              WHEN r1 < 0.75 THEN make_interval(months => 1 + (r2 * 3)::int, days => (r3 * 3)::int - 1)
              WHEN r1 < 0.80 THEN interval '3 months' + (((r2 * 3)::int - 1) * interval '1 microsecond')
              WHEN r1 < 0.85 THEN make_interval(days => 88 + (r2 * 6)::int)
              ELSE make_interval(days => (r2 * 400)::int, secs => r3 * 86400)
         END AS gap
    FROM g
), start AS (
  SELECT a,
         CASE (a % 6)
           WHEN 0 THEN timestamptz '2019-03-31 02:30' + (a % 7) * interval '1 year'
           WHEN 1 THEN timestamptz '2019-10-27 02:30' + (a % 7) * interval '1 year'
           WHEN 2 THEN timestamptz '2019-01-31 00:00' + (a % 70) * interval '1 month'
           WHEN 3 THEN timestamptz '2020-02-29 00:00' + (a % 5) * interval '1 day'
           WHEN 4 THEN timestamptz '2019-05-31 23:59:59.999999' + (a % 60) * interval '1 month'
           ELSE timestamptz '2019-01-01' + (a % 2000) * interval '1 day' + (a % 24) * interval '1 hour'
         END AS t0
    FROM generate_series(1, 6000) a
)
SELECT gap.a, gap.n,
       CASE WHEN gap.r4 < 0.01 THEN NULL
            ELSE s.t0 + sum(gap.gap) OVER (PARTITION BY gap.a ORDER BY gap.n) END AS t,
       CASE WHEN gap.r3 < 0.005 THEN NULL ELSE gap.r3 < 0.105 END AS reset
  FROM gap JOIN start s USING (a);

-- The data covers what it must.
SELECT count(*) >= 100000 AS rows_100k,
       max(t) - min(t) > interval '5 years' AS several_years,
       count(*) FILTER (WHERE t IS NULL) > 500 AS has_nulls,
       count(*) FILTER (WHERE extract(day FROM t + interval '1 day') = 1) > 500 AS month_ends,
       count(*) FILTER (WHERE extract(month FROM t) = 2 AND extract(day FROM t) = 29) > 100 AS leap_days
  FROM ev;

-- Reference for recurring: lag() over the non-NULL rows and the calendar
-- arithmetic of the rule.  The window is ordered by n, in which t never
-- decreases, so NULL timestamps sit between the others.
CREATE TEMP VIEW recurring_check AS
WITH c AS (
  SELECT a, n, recurring(t) OVER w AS r1,
         recurring(t, '1 day', '1 month 2 days') OVER w AS r2
    FROM ev WINDOW w AS (PARTITION BY a ORDER BY n)
), ref AS (
  SELECT a, n, t, prev,
         prev IS NOT NULL AND t - interval '3 months' <= prev AND prev <= t - interval '14 days' AS r1,
         prev IS NOT NULL AND t - interval '1 month 2 days' <= prev AND prev <= t - interval '1 day' AS r2
    FROM (SELECT a, n, t, lag(t) OVER (PARTITION BY a ORDER BY n) AS prev
            FROM ev WHERE t IS NOT NULL) x
)
SELECT count(*) FILTER (WHERE c.r1 IS DISTINCT FROM ref.r1) AS diff_default,
       count(*) FILTER (WHERE c.r2 IS DISTINCT FROM ref.r2) AS diff_custom,
       count(*) FILTER (WHERE ref.r1) > 10000 AS many_recurring,
       count(*) FILTER (WHERE ref.prev = ref.t - interval '14 days') > 50 AS on_min_bound,
       count(*) FILTER (WHERE ref.prev = ref.t - interval '3 months') > 50 AS on_max_bound,
       count(*) FILTER (WHERE ref.prev < ref.t - interval '14 days' AND ref.t - ref.prev < interval '14 days') > 10 AS dst_day,
       count(*) FILTER (WHERE (ref.t - ref.prev) BETWEEN interval '14 days' AND interval '3 months'
                          IS DISTINCT FROM ref.r1) > 100 AS naive_is_wrong
  FROM c LEFT JOIN ref USING (a, n);

-- Reference for suppress and streak: gaps and islands.  An island is the
-- run of rows after a reset; NULL rows (timestamp or reset) are skipped.
CREATE TEMP VIEW suppress_check AS
WITH c AS (
  SELECT a, n, streak(t, reset) OVER w AS s,
         suppress(t, reset => reset) OVER w AS p1,
         suppress(t, 2, '1 month', reset) OVER w AS p2
    FROM ev WINDOW w AS (PARTITION BY a ORDER BY n)
), k AS (
  SELECT a, n, t, reset,
         count(*) FILTER (WHERE reset) OVER (PARTITION BY a ORDER BY n) AS island
    FROM ev WHERE t IS NOT NULL AND reset IS NOT NULL
), st AS (
  SELECT *, CASE WHEN reset THEN 0
                 ELSE count(*) FILTER (WHERE NOT reset) OVER (PARTITION BY a, island ORDER BY n) END AS s,
         min(t) FILTER (WHERE NOT reset) OVER (PARTITION BY a, island) AS first
    FROM k
), hit AS (
  SELECT *, NOT reset AND s >= 3 AND first < t - interval '15 days' AS hit1,
            NOT reset AND s >= 2 AND first < t - interval '1 month' AS hit2
    FROM st
), ref AS (
  SELECT a, n, s,
         NOT reset AND bool_or(hit1) OVER (PARTITION BY a, island ORDER BY n) AS p1,
         NOT reset AND bool_or(hit2) OVER (PARTITION BY a, island ORDER BY n) AS p2
    FROM hit
)
SELECT count(*) FILTER (WHERE c.s IS DISTINCT FROM ref.s) AS diff_streak,
       count(*) FILTER (WHERE c.p1 IS DISTINCT FROM ref.p1) AS diff_default,
       count(*) FILTER (WHERE c.p2 IS DISTINCT FROM ref.p2) AS diff_custom,
       count(*) FILTER (WHERE ref.p1) > 10000 AS many_suppressed,
       count(*) FILTER (WHERE ref.p1 IS NOT NULL AND NOT ref.p1) > 10000 AS many_not
  FROM c LEFT JOIN ref USING (a, n);

SELECT * FROM recurring_check;
SELECT * FROM suppress_check;
SET TimeZone = 'UTC';
SELECT * FROM recurring_check;
SELECT * FROM suppress_check;
SET TimeZone = 'America/New_York';
SELECT * FROM recurring_check;
SELECT * FROM suppress_check;

-- Garbage and extremes: random gaps (also negative, huge), infinite and
-- far-away timestamps, NULLs, ties, five time zones (one a POSIX zone with
-- a 150-hour DST jump).  recurring must agree with the SQL formula wherever
-- the formula itself does not fail, and may only fail with 22023 (bad
-- argument) or 22008 (a gap reaching past 4714 BC, as the formula does).
DO $$
DECLARE
  g1 interval; g2 interval; k int; ts timestamptz[]; ours boolean[]; ref boolean[];
  compared int := 0; formula_failed int := 0; rejected int := 0;
  tz text[] := ARRAY['UTC', 'Europe/Brussels', 'Pacific/Apia',
                     'AAA+0BBB-150,M3.5.0,M10.5.0', 'Australia/Lord_Howe'];
BEGIN
  PERFORM setseed(0.77);
  FOR i IN 1..1000 LOOP
    PERFORM set_config('TimeZone', tz[1 + (random() * 4)::int], true);
    g1 := make_interval(months => (random() * 30)::int * (CASE WHEN random() < 0.1 THEN 10000 ELSE 1 END),
                        days => (random() * 40)::int, secs => random() * 1e6)
          * (CASE WHEN random() < 0.02 THEN -1 ELSE 1 END);
    g2 := g1 + make_interval(months => (random() * 40)::int * (CASE WHEN random() < 0.1 THEN 1000 ELSE 1 END),
                             days => (random() * 100)::int);
    k := (random() * 4)::int;
    SELECT array_agg(CASE WHEN random() < 0.03 THEN '-infinity'::timestamptz
                          WHEN random() < 0.03 THEN 'infinity'
                          WHEN random() < 0.1 THEN NULL
                          WHEN random() < 0.5 THEN '2000-01-01'::timestamptz + (random() - 0.5) * interval '10000 years'
                          ELSE '2024-01-01'::timestamptz + random() * interval '1 year' END)
      INTO ts FROM generate_series(1, 30);
    BEGIN
      SELECT array_agg(r ORDER BY id) INTO ours
        FROM (SELECT id, recurring(t, g1, g2) OVER w AS r, suppress(t, k, g1) OVER w AS s,
                     streak(t) OVER w AS n
                FROM unnest(ts) WITH ORDINALITY AS u(t, id) WINDOW w AS (ORDER BY t, id)) o;
    EXCEPTION WHEN invalid_parameter_value OR datetime_field_overflow THEN
      rejected := rejected + 1;
      CONTINUE;
    END;
    BEGIN
      SELECT array_agg(CASE WHEN t IS NULL THEN NULL
                            ELSE COALESCE(p BETWEEN t - g2 AND t - g1, false) END ORDER BY id) INTO ref
        FROM (SELECT id, t, lag(t) OVER (ORDER BY t, id) AS p
                FROM unnest(ts) WITH ORDINALITY AS u(t, id)) z;
    EXCEPTION WHEN datetime_field_overflow THEN
      formula_failed := formula_failed + 1;
      CONTINUE;
    END;
    IF ours IS DISTINCT FROM ref THEN
      RAISE EXCEPTION 'recurring(t, %, %) differs from the formula in %: % vs %',
        g1, g2, current_setting('TimeZone'), ours, ref;
    END IF;
    compared := compared + 1;
  END LOOP;
  RAISE NOTICE 'garbage: no difference; at least 600 cases compared: %, some rejected: %, some where the formula fails: %',
    compared >= 600, rejected > 0, formula_failed > 0;
END $$;
