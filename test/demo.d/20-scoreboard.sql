-- The registrar scoreboard of the last quarter, one registrar's fix list,
-- and the top errors.
SET search_path = bounce, public;
\pset footer off

\echo
\echo 'Scoreboard 2025-Q4: the 15 largest registrars (recurring bounces per 1M registrations; placeholder star bands)'
SELECT s.registrar, s.category, s.registrations, s.recurring, s.recurring_per_1m AS per_1m,
       repeat('*', s.stars) AS stars, s.to_better_per_1m AS to_better, s.to_worse_per_1m AS to_worse,
       s.trend, b.category_per_1m AS "category avg", b.top10_per_1m AS "top 10 avg", b.all_per_1m AS "all avg"
  FROM quarterly_score s JOIN benchmark b USING (registrar_id, quarter)
 WHERE s.quarter = '2025-10-01'
 ORDER BY s.registrations DESC LIMIT 15;

\echo 'Stars over all registrars, 2025-Q4'
SELECT repeat('*', stars) AS stars, count(*) AS registrars, sum(registrations) AS registrations
  FROM quarterly_score WHERE quarter = '2025-10-01' GROUP BY stars ORDER BY stars DESC;

\echo 'Benchmark groups, 2025-Q4 (each group as one virtual registrar)'
SELECT group_name, members, recurring, registrations,
       round(recurring * 1e6 / registrations, 1) AS per_1m, stars(round(recurring * 1e6 / registrations, 1)) AS stars
  FROM group_score WHERE quarter = '2025-10-01' ORDER BY group_name;

SELECT registrar_id AS fix_id, registrar AS fix_name FROM quarterly_score
 WHERE quarter = '2025-10-01' AND stars <= 1 ORDER BY registrations DESC LIMIT 1 \gset
\echo
\echo 'Fix list of' :fix_name '(worst first, top 10)'
SELECT rank, address, recurring_bounces AS recurring, counted_bounces AS counted, first_bounce::date AS first, last_bounce::date AS last,
       last_reason, last_status, suppressed
  FROM fix_list WHERE registrar_id = :fix_id ORDER BY rank, address LIMIT 10;

\echo 'Top errors of' :fix_name 'in 2025-Q4'
SELECT rank, status, status_text, errors, per_1m FROM top_errors
 WHERE registrar_id = :fix_id AND period = 'quarter' AND period_start = '2025-10-01' ORDER BY rank, status;

\echo 'Top errors over all registrars, 2025-Q4 (per 1M registrations)'
SELECT status, status_text, sum(errors) AS errors,
       round(sum(errors) * 1e6 / (SELECT sum(registrations) FROM registration WHERE month = '2025-12-01'), 1) AS per_1m
  FROM top_errors WHERE period = 'quarter' AND period_start = '2025-10-01'
 GROUP BY status, status_text ORDER BY errors DESC LIMIT 8;
