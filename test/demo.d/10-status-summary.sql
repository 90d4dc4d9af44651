-- Demo: a status-code summary over synthetic bounces (replaced by the
-- registrar scoreboard once the scoring views exist).
SET search_path = bounce, public;
CREATE TEMP TABLE demo_status AS
SELECT (ARRAY['5.1.1','5.1.1','5.1.1','5.2.2','4.2.2','5.7.1','5.4.4','4.4.7','5.1.10','5.7.26','5.2.1','5.1.6'])
           [1 + (abs(hashint4(i)) % 12)]::smtp_status AS status
  FROM generate_series(1, 20000) i;

\echo
\echo 'Bounces by enhanced status code (synthetic demo data)'
SELECT status, status_text(status) AS meaning,
       CASE WHEN is_permanent(status) THEN 'permanent' ELSE 'transient' END AS class,
       count(*) AS bounces
  FROM demo_status GROUP BY status ORDER BY bounces DESC, status;
