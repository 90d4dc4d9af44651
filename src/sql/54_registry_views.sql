-- ---------------------------------------------------------------------
-- Registry: the scoring views
--
-- flagged_event decodes the flag bytes (their values come from
-- src/flag/event_flags.h at build time, see the Makefile); the scoring
-- views read the summaries that refresh() keeps.  Every view is
-- security_invoker: row-level security applies to the reader.
-- ---------------------------------------------------------------------

-- The star bands, defined once: in C (src/score/stars.c) so that
-- quarterly_score applies them per row at the cost of an operator (an SQL
-- function with a pinned search_path is never inlined).
CREATE FUNCTION @extschema@.stars(per_1m numeric, star3_max numeric, star2_max numeric,
		star1_max numeric) RETURNS integer
	AS 'MODULE_PATHNAME', 'bounce_stars'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.stars(numeric, numeric, numeric, numeric) IS 'stars (0-3) for a number of recurring bounces per 1M registrations under the given bands: 3 at or below star3_max, 2 at or below star2_max, 1 at or below star1_max, else 0';

CREATE FUNCTION @extschema@.stars(per_1m numeric) RETURNS integer
	LANGUAGE sql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT @extschema@.stars(per_1m, c.star3_max, c.star2_max, c.star1_max)
	  FROM @extschema@.config c $$;
COMMENT ON FUNCTION @extschema@.stars(numeric) IS 'stars (0-3) for a number of recurring bounces per 1M registrations, per the bands in config';

CREATE VIEW @extschema@.flagged_event WITH (security_invoker = true) AS
SELECT e.id, e.address, e.occurred_at, e.reply_code, e.status, e.reason, e.hard, e.permanent,
       (x.f & @BOUNCE_FLAG_COUNTED@) <> 0 AS counted, (x.f & @BOUNCE_FLAG_RECURRING@) <> 0 AS recurring,
       (x.f & @BOUNCE_FLAG_SUPPRESSED@) <> 0 AS suppressed
  FROM @extschema@.event e
  LEFT JOIN @extschema@.event_flags b ON b.block = e.id >> @BOUNCE_FLAG_BLOCK_BITS@
  CROSS JOIN LATERAL (SELECT nullif(get_byte(b.flags, (e.id & @BOUNCE_FLAG_BLOCK_MASK@)::integer), 0) AS f) x;
COMMENT ON VIEW @extschema@.flagged_event IS 'every bounce with its flags as of the last refresh(): counted, recurring (recurring() over the counted bounces of the address) and suppressed (suppress() over all its bounces); NULL flags = not yet refreshed';

CREATE VIEW @extschema@.monthly_score WITH (security_invoker = true) AS
SELECT r.id AS registrar_id, r.name AS registrar, coalesce(g.month, m.month) AS month,
       g.registrations, coalesce(m.counted, 0) AS counted, coalesce(m.recurring, 0) AS recurring,
       round(coalesce(m.counted, 0) * 1000000.0 / nullif(g.registrations, 0), 1) AS counted_per_1m,
       round(coalesce(m.recurring, 0) * 1000000.0 / nullif(g.registrations, 0), 1) AS recurring_per_1m
  FROM @extschema@.registration g
  FULL JOIN @extschema@.monthly m ON m.registrar_id = g.registrar_id AND m.month = g.month
  JOIN @extschema@.registrar r ON r.id = coalesce(g.registrar_id, m.registrar_id);
COMMENT ON VIEW @extschema@.monthly_score IS 'per registrar and month: registrations at month end, counted (permanent or hard, per config) and recurring bounces, both per 1M registrations';

CREATE VIEW @extschema@.top_errors WITH (security_invoker = true) AS
WITH per AS (
	SELECT 'month'::text AS period, ms.month AS period_start, ms.registrar_id, ms.status,
	       ms.counted AS errors, g.registrations
	  FROM @extschema@.monthly_status ms
	  LEFT JOIN @extschema@.registration g ON g.registrar_id = ms.registrar_id AND g.month = ms.month
	UNION ALL
	SELECT 'quarter', q.quarter, q.registrar_id, q.status, q.errors, g.registrations
	  FROM (SELECT date_trunc('quarter', month)::date AS quarter, registrar_id, status, sum(counted) AS errors
	          FROM @extschema@.monthly_status GROUP BY 1, 2, 3) q
	  LEFT JOIN @extschema@.registration g
	         ON g.registrar_id = q.registrar_id AND g.month = (q.quarter + interval '2 months')::date
)
SELECT p.period, p.period_start, p.registrar_id, r.name AS registrar, p.status,
       @extschema@.status_text(p.status) AS status_text, p.errors, p.registrations,
       round(p.errors * 1000000.0 / nullif(p.registrations, 0), 1) AS per_1m,
       rank() OVER (PARTITION BY p.period, p.period_start, p.registrar_id ORDER BY p.errors DESC) AS rank
  FROM per p JOIN @extschema@.registrar r ON r.id = p.registrar_id
 WHERE p.errors > 0;
COMMENT ON VIEW @extschema@.top_errors IS 'counted bounces per registrar, period (month or quarter) and enhanced status code, per 1M registrations at the period''s end, ranked within the registrar''s period';

CREATE VIEW @extschema@.quarterly_score WITH (security_invoker = true) AS
WITH t AS (
	SELECT q.*, @extschema@.stars(q.per_1m, c.star3_max, c.star2_max, c.star1_max) AS stars,
	       c.star3_max, c.star2_max, c.star1_max
	  FROM @extschema@.quarterly q CROSS JOIN (SELECT * FROM @extschema@.config LIMIT 1) c	-- one row: keeps estimates (and JIT) sane
)
SELECT t.registrar_id, r.name AS registrar, r.category, t.quarter,
       to_char(t.quarter, 'YYYY-"Q"Q') AS label, t.registrations, t.counted, t.recurring,
       t.per_1m AS recurring_per_1m, t.stars,
       CASE t.stars WHEN 2 THEN t.per_1m - t.star3_max WHEN 1 THEN t.per_1m - t.star2_max
                    WHEN 0 THEN t.per_1m - t.star1_max END AS to_better_per_1m,
       CASE t.stars WHEN 3 THEN t.star3_max - t.per_1m WHEN 2 THEN t.star2_max - t.per_1m
                    WHEN 1 THEN t.star1_max - t.per_1m END AS to_worse_per_1m,
       t.trend
  FROM t JOIN @extschema@.registrar r ON r.id = t.registrar_id;
COMMENT ON VIEW @extschema@.quarterly_score IS 'per registrar and quarter: recurring bounces per 1M registrations at quarter end, stars 0-3, distance (per 1M) to the next-better and next-worse band boundary, and the trend of the last config.trend_quarters quarters as a sparkline';

CREATE VIEW @extschema@.benchmark WITH (security_invoker = true) AS
SELECT s.registrar_id, s.registrar, s.quarter, s.label, s.recurring_per_1m, s.stars,
       round(t10.recurring * 1000000.0 / nullif(t10.registrations, 0), 1) AS top10_per_1m,
       round(t50.recurring * 1000000.0 / nullif(t50.registrations, 0), 1) AS top50_per_1m,
       round(a.recurring * 1000000.0 / nullif(a.registrations, 0), 1) AS all_per_1m,
       s.category,
       round(cat.recurring * 1000000.0 / nullif(cat.registrations, 0), 1) AS category_per_1m
  FROM @extschema@.quarterly_score s
  LEFT JOIN @extschema@.group_score t10 ON t10.quarter = s.quarter AND t10.group_name = 'top 10'
  LEFT JOIN @extschema@.group_score t50 ON t50.quarter = s.quarter AND t50.group_name = 'top 50'
  LEFT JOIN @extschema@.group_score a ON a.quarter = s.quarter AND a.group_name = 'all'
  LEFT JOIN @extschema@.group_score cat ON cat.quarter = s.quarter AND cat.group_name = 'category ' || s.category;
COMMENT ON VIEW @extschema@.benchmark IS 'each registrar''s quarterly recurring bounces per 1M beside its benchmark groups (top 10 and top 50 by portfolio, all registrars, its category), each group counted as one virtual registrar';

CREATE VIEW @extschema@.fix_list WITH (security_invoker = true) AS
WITH hit AS (
	SELECT DISTINCT a.registrar_id, e.address
	  FROM @extschema@.flagged_event e
	  JOIN @extschema@.attribution a ON a.event_id = e.id
	 WHERE e.recurring
), per AS (
	SELECT h.registrar_id, h.address, count(*) AS bounces,
	       count(*) FILTER (WHERE e.recurring) AS recurring_bounces,
	       min(e.occurred_at) AS first_bounce, max(e.occurred_at) AS last_bounce,
	       (array_agg(e.reason ORDER BY e.occurred_at DESC, e.id DESC))[1] AS last_reason,
	       (array_agg(e.status ORDER BY e.occurred_at DESC, e.id DESC))[1] AS last_status,
	       (array_agg(e.suppressed ORDER BY e.occurred_at DESC, e.id DESC))[1] AS suppressed
	  FROM hit h
	  JOIN @extschema@.flagged_event e ON e.address = h.address
	  JOIN @extschema@.attribution a ON a.event_id = e.id AND a.registrar_id = h.registrar_id
	 GROUP BY h.registrar_id, h.address
)
SELECT per.registrar_id, r.name AS registrar,
       rank() OVER (PARTITION BY per.registrar_id ORDER BY per.recurring_bounces DESC, per.bounces DESC, per.last_bounce DESC) AS rank,
       per.address, per.recurring_bounces, per.bounces, per.first_bounce, per.last_bounce,
       per.last_reason, per.last_status, per.suppressed
  FROM per JOIN @extschema@.registrar r ON r.id = per.registrar_id;
COMMENT ON VIEW @extschema@.fix_list IS 'per registrar, the addresses behind its recurring bounces, worst first (rank): recurring and total bounces, first and last bounce, last reason and status, suppressed';

CREATE VIEW @extschema@.address_status WITH (security_invoker = true) AS
SELECT DISTINCT ON (x.address) x.address, x.occurred_at AS last_bounce, x.reason AS last_reason,
       x.status AS last_status, x.hard AS last_hard, x.streak, coalesce(x.suppressed, false) AS suppressed
  FROM (SELECT e.*, @extschema@.streak(e.occurred_at, e.reason = 'delivered')
                    OVER (PARTITION BY e.address ORDER BY e.occurred_at, e.id) AS streak
          FROM @extschema@.flagged_event e) x
 ORDER BY x.address, x.occurred_at DESC, x.id DESC;
COMMENT ON VIEW @extschema@.address_status IS 'per address: last bounce, its reason and status, current streak (bounces since the last delivery, counted now, over the bounces the reader may see) and whether to suppress mail (as of the last refresh); filter by address, e.g. WHERE address = normalize_address($1)';
