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
COMMENT ON COLUMN @extschema@.flagged_event.id IS 'bounce id (event.id)';
COMMENT ON COLUMN @extschema@.flagged_event.address IS 'recipient, normalised';
COMMENT ON COLUMN @extschema@.flagged_event.occurred_at IS 'when the bounce happened';
COMMENT ON COLUMN @extschema@.flagged_event.reply_code IS 'SMTP reply code, as stored in event';
COMMENT ON COLUMN @extschema@.flagged_event.status IS 'enhanced status code, as stored in event';
COMMENT ON COLUMN @extschema@.flagged_event.reason IS 'bounce reason, as stored in event';
COMMENT ON COLUMN @extschema@.flagged_event.hard IS 'the address itself is bad (is_hard at ingest)';
COMMENT ON COLUMN @extschema@.flagged_event.permanent IS 'SMTP 5xx or 5.x.x (is_permanent at ingest)';
COMMENT ON COLUMN @extschema@.flagged_event.counted IS 'counted in the scores (config.count_kind); NULL before the refresh that first saw the bounce';
COMMENT ON COLUMN @extschema@.flagged_event.recurring IS 'a counted bounce 2 weeks to 3 months (config.recurring_min_gap, recurring_max_gap) after the previous counted bounce of the address; NULL before the first refresh';
COMMENT ON COLUMN @extschema@.flagged_event.suppressed IS 'the address had config.suppress_strikes bounces spanning more than config.suppress_span without a delivery in between; NULL before the first refresh';

-- Per registrar and month, the sum of its statuses: a view rather than a
-- second summary to keep, so a refresh writes one row per registrar,
-- month and status, not two.
CREATE VIEW @extschema@.monthly WITH (security_invoker = true) AS
SELECT m.registrar_id, m.month, sum(m.counted)::bigint AS counted, sum(m.recurring)::bigint AS recurring
  FROM @extschema@.monthly_status m
 GROUP BY m.registrar_id, m.month;
COMMENT ON VIEW @extschema@.monthly IS 'counted and recurring bounces per registrar and month as of the last refresh() (monthly_status summed over status codes)';
COMMENT ON COLUMN @extschema@.monthly.registrar_id IS 'registrar';
COMMENT ON COLUMN @extschema@.monthly.month IS 'first day of the month (in config.time_zone)';
COMMENT ON COLUMN @extschema@.monthly.counted IS 'counted bounces (config.count_kind)';
COMMENT ON COLUMN @extschema@.monthly.recurring IS 'recurring bounces';

CREATE VIEW @extschema@.monthly_score WITH (security_invoker = true) AS
SELECT r.id AS registrar_id, r.name AS registrar, coalesce(g.month, m.month) AS month,
       g.registrations, coalesce(m.counted, 0) AS counted, coalesce(m.recurring, 0) AS recurring,
       round(coalesce(m.counted, 0) * 1000000.0 / nullif(g.registrations, 0), 1) AS counted_per_1m,
       round(coalesce(m.recurring, 0) * 1000000.0 / nullif(g.registrations, 0), 1) AS recurring_per_1m
  FROM @extschema@.registration g
  FULL JOIN @extschema@.monthly m ON m.registrar_id = g.registrar_id AND m.month = g.month
  JOIN @extschema@.registrar r ON r.id = coalesce(g.registrar_id, m.registrar_id);
COMMENT ON VIEW @extschema@.monthly_score IS 'per registrar and month: registrations at month end, counted (permanent or hard, per config) and recurring bounces, both per 1M registrations';
COMMENT ON COLUMN @extschema@.monthly_score.registrar_id IS 'registrar id';
COMMENT ON COLUMN @extschema@.monthly_score.registrar IS 'registrar name';
COMMENT ON COLUMN @extschema@.monthly_score.month IS 'first day of the month (in config.time_zone)';
COMMENT ON COLUMN @extschema@.monthly_score.registrations IS 'registrations at the end of the month; NULL when the month has no registration row';
COMMENT ON COLUMN @extschema@.monthly_score.counted IS 'counted bounces in the month';
COMMENT ON COLUMN @extschema@.monthly_score.recurring IS 'recurring bounces in the month';
COMMENT ON COLUMN @extschema@.monthly_score.counted_per_1m IS 'counted bounces per 1M registrations, one decimal; NULL without a registration count (or a count of 0)';
COMMENT ON COLUMN @extschema@.monthly_score.recurring_per_1m IS 'recurring bounces per 1M registrations, one decimal; NULL without a registration count (or a count of 0)';

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
COMMENT ON COLUMN @extschema@.top_errors.period IS 'month or quarter';
COMMENT ON COLUMN @extschema@.top_errors.period_start IS 'first day of the month or quarter';
COMMENT ON COLUMN @extschema@.top_errors.registrar_id IS 'registrar id';
COMMENT ON COLUMN @extschema@.top_errors.registrar IS 'registrar name';
COMMENT ON COLUMN @extschema@.top_errors.status IS 'enhanced status code (4.0.0 or 5.0.0 for bounces that had none)';
COMMENT ON COLUMN @extschema@.top_errors.status_text IS 'the status code''s meaning (status_text)';
COMMENT ON COLUMN @extschema@.top_errors.errors IS 'counted bounces with this status in the period';
COMMENT ON COLUMN @extschema@.top_errors.registrations IS 'registrations at the end of the period''s last month; NULL without a registration row';
COMMENT ON COLUMN @extschema@.top_errors.per_1m IS 'errors per 1M registrations, one decimal; NULL without a registration count (or a count of 0)';
COMMENT ON COLUMN @extschema@.top_errors.rank IS 'rank of the status within the registrar''s period, most errors first (ties share a rank)';

-- Stars compare the exact ratio with the bands: stars() is given
-- recurring * 1M and each band times the registrations (both sides of
-- per_1m <= band multiplied by registrations > 0, numeric products: no
-- rounding), so 50.02 per 1M is above a band of 50 however it is shown.
-- The figures shown are rounded, the distances outwards (to_better up,
-- to_worse down) so that a distance shown never promises a band the
-- exact figure would miss.
CREATE VIEW @extschema@.quarterly_score WITH (security_invoker = true) AS
WITH t AS (
	SELECT q.*,
	       CASE WHEN q.registrations > 0 THEN
	            @extschema@.stars(q.recurring * 1000000.0, c.star3_max * q.registrations,
	                              c.star2_max * q.registrations, c.star1_max * q.registrations) END AS stars,
	       c.star3_max, c.star2_max, c.star1_max
	  FROM @extschema@.quarterly q CROSS JOIN (SELECT * FROM @extschema@.config LIMIT 1) c	-- one row: keeps estimates (and JIT) sane
)
SELECT t.registrar_id, r.name AS registrar, r.category, t.quarter,
       to_char(t.quarter, 'YYYY-"Q"Q') AS label, t.registrations, t.counted, t.recurring,
       round(t.per_1m, 1) AS recurring_per_1m, t.stars,
       ceil(10 * CASE t.stars WHEN 2 THEN t.per_1m - t.star3_max WHEN 1 THEN t.per_1m - t.star2_max
                              WHEN 0 THEN t.per_1m - t.star1_max END) * 0.1 AS to_better_per_1m,
       floor(10 * CASE t.stars WHEN 3 THEN t.star3_max - t.per_1m WHEN 2 THEN t.star2_max - t.per_1m
                               WHEN 1 THEN t.star1_max - t.per_1m END) * 0.1 AS to_worse_per_1m,
       t.trend,
       CASE WHEN t.registrations IS NULL
            THEN 'no registration count for ' || to_char(t.quarter + interval '2 months', 'YYYY-MM')
            WHEN t.registrations = 0
            THEN 'no registrations at the end of ' || to_char(t.quarter + interval '2 months', 'YYYY-MM') END AS no_rating_reason,
       t.portfolio_rank
  FROM t JOIN @extschema@.registrar r ON r.id = t.registrar_id;
COMMENT ON VIEW @extschema@.quarterly_score IS 'per registrar and quarter with a registration row or a counted bounce: recurring bounces per 1M registrations at quarter end, stars 0-3 (from the exact ratio), distance (per 1M) to the next-better and next-worse band boundary, the trend, and why there is no rating when there is none';
COMMENT ON COLUMN @extschema@.quarterly_score.registrar_id IS 'registrar id';
COMMENT ON COLUMN @extschema@.quarterly_score.registrar IS 'registrar name';
COMMENT ON COLUMN @extschema@.quarterly_score.category IS 'registrar category (business model)';
COMMENT ON COLUMN @extschema@.quarterly_score.quarter IS 'first day of the quarter (in config.time_zone)';
COMMENT ON COLUMN @extschema@.quarterly_score.label IS 'the quarter as text, e.g. 2025-Q1';
COMMENT ON COLUMN @extschema@.quarterly_score.registrations IS 'registrations at the end of the quarter''s last month; NULL when that month has no registration row';
COMMENT ON COLUMN @extschema@.quarterly_score.counted IS 'counted bounces in the quarter (config.count_kind)';
COMMENT ON COLUMN @extschema@.quarterly_score.recurring IS 'recurring bounces in the quarter';
COMMENT ON COLUMN @extschema@.quarterly_score.recurring_per_1m IS 'recurring bounces per 1M registrations, rounded to 0.1 for display; NULL: no rating';
COMMENT ON COLUMN @extschema@.quarterly_score.stars IS '0-3 by the bands in config, from the exact (unrounded) ratio; NULL: no rating';
COMMENT ON COLUMN @extschema@.quarterly_score.to_better_per_1m IS 'how much lower (per 1M) the figure must get for the next-better band, from the exact ratio, rounded up to 0.1; NULL at 3 stars or without a rating';
COMMENT ON COLUMN @extschema@.quarterly_score.to_worse_per_1m IS 'how much higher (per 1M) the figure may get and keep its band, from the exact ratio, rounded down to 0.1; NULL at 0 stars or without a rating';
COMMENT ON COLUMN @extschema@.quarterly_score.trend IS 'sparkline of recurring_per_1m, oldest to newest, over the last config.trend_quarters quarters ending with this one (from the registrar''s first quarter on); a quarter without a rating is a blank';
COMMENT ON COLUMN @extschema@.quarterly_score.no_rating_reason IS 'NULL when rated; else why not: no registration count for the quarter''s last month, or zero registrations then';
COMMENT ON COLUMN @extschema@.quarterly_score.portfolio_rank IS 'rank among the quarter''s rated registrars by registrations at quarter end, larger first, ties by smaller registrar id (decides top 10 and top 50); NULL: no rating';

CREATE VIEW @extschema@.benchmark WITH (security_invoker = true) AS
SELECT s.registrar_id, s.registrar, s.quarter, s.label, s.recurring_per_1m, s.stars,
       round(t10.recurring * 1000000.0 / nullif(t10.registrations, 0), 1) AS top10_per_1m,
       round(t50.recurring * 1000000.0 / nullif(t50.registrations, 0), 1) AS top50_per_1m,
       round(a.recurring * 1000000.0 / nullif(a.registrations, 0), 1) AS all_per_1m,
       s.category,
       round(cat.recurring * 1000000.0 / nullif(cat.registrations, 0), 1) AS category_per_1m,
       s.portfolio_rank, t10.members AS top10_registrars, t50.members AS top50_registrars,
       a.members AS all_registrars, cat.members AS category_registrars, s.no_rating_reason
  FROM @extschema@.quarterly_score s
  LEFT JOIN @extschema@.group_score t10 ON t10.quarter = s.quarter AND t10.group_name = 'top 10'
  LEFT JOIN @extschema@.group_score t50 ON t50.quarter = s.quarter AND t50.group_name = 'top 50'
  LEFT JOIN @extschema@.group_score a ON a.quarter = s.quarter AND a.group_name = 'all'
  LEFT JOIN @extschema@.group_score cat ON cat.quarter = s.quarter AND cat.group_name = 'category ' || s.category;
COMMENT ON VIEW @extschema@.benchmark IS 'each registrar''s quarterly recurring bounces per 1M beside its benchmark groups (top 10 and top 50 by portfolio, all registrars, its category), each group counted as one virtual registrar over its members with a rating';
COMMENT ON COLUMN @extschema@.benchmark.registrar_id IS 'registrar id';
COMMENT ON COLUMN @extschema@.benchmark.registrar IS 'registrar name';
COMMENT ON COLUMN @extschema@.benchmark.quarter IS 'first day of the quarter';
COMMENT ON COLUMN @extschema@.benchmark.label IS 'the quarter as text, e.g. 2025-Q1';
COMMENT ON COLUMN @extschema@.benchmark.recurring_per_1m IS 'the registrar''s recurring bounces per 1M registrations (as in quarterly_score); NULL: no rating';
COMMENT ON COLUMN @extschema@.benchmark.stars IS 'the registrar''s stars (as in quarterly_score)';
COMMENT ON COLUMN @extschema@.benchmark.top10_per_1m IS 'the 10 rated registrars with the most registrations (portfolio_rank 1-10), as one registrar: their recurring bounces per 1M of their registrations';
COMMENT ON COLUMN @extschema@.benchmark.top50_per_1m IS 'the same for portfolio_rank 1-50';
COMMENT ON COLUMN @extschema@.benchmark.all_per_1m IS 'the same for every rated registrar';
COMMENT ON COLUMN @extschema@.benchmark.category IS 'the registrar''s category';
COMMENT ON COLUMN @extschema@.benchmark.category_per_1m IS 'the same for the rated registrars of its category';
COMMENT ON COLUMN @extschema@.benchmark.portfolio_rank IS 'the registrar''s rank by registrations at quarter end among the rated registrars, ties by smaller registrar id; NULL: no rating';
COMMENT ON COLUMN @extschema@.benchmark.top10_registrars IS 'how many registrars the top 10 group covers (fewer than 10 when fewer are rated)';
COMMENT ON COLUMN @extschema@.benchmark.top50_registrars IS 'how many registrars the top 50 group covers';
COMMENT ON COLUMN @extschema@.benchmark.all_registrars IS 'how many registrars have a rating in the quarter';
COMMENT ON COLUMN @extschema@.benchmark.category_registrars IS 'how many registrars of its category have a rating in the quarter';
COMMENT ON COLUMN @extschema@.benchmark.no_rating_reason IS 'why the registrar has no rating (as in quarterly_score); NULL when rated';

-- The figures of an address are those of the score: its counted bounces.
-- The bounces the score leaves out (soft ones, or under count_kind = hard
-- the permanent ones whose address is not bad) are shown apart.
CREATE VIEW @extschema@.fix_list WITH (security_invoker = true) AS
WITH hit AS (
	SELECT DISTINCT a.registrar_id, e.address
	  FROM @extschema@.flagged_event e
	  JOIN @extschema@.attribution a ON a.address = e.address AND a.event_id = e.id
	 WHERE e.recurring
), per AS (
	SELECT h.registrar_id, h.address,
	       count(*) FILTER (WHERE e.counted) AS counted_bounces,
	       count(*) FILTER (WHERE e.recurring) AS recurring_bounces,
	       min(e.occurred_at) FILTER (WHERE e.counted) AS first_bounce,
	       max(e.occurred_at) FILTER (WHERE e.counted) AS last_bounce,
	       (array_agg(e.reason ORDER BY e.occurred_at DESC, e.id DESC) FILTER (WHERE e.counted))[1] AS last_reason,
	       (array_agg(e.status ORDER BY e.occurred_at DESC, e.id DESC) FILTER (WHERE e.counted))[1] AS last_status,
	       (array_agg(e.suppressed ORDER BY e.occurred_at DESC, e.id DESC))[1] AS suppressed,
	       count(*) FILTER (WHERE NOT e.counted) AS uncounted_bounces,
	       max(e.occurred_at) FILTER (WHERE NOT e.counted) AS last_uncounted_bounce
	  FROM hit h
	  JOIN @extschema@.flagged_event e ON e.address = h.address
	  JOIN @extschema@.attribution a ON a.address = e.address AND a.event_id = e.id AND a.registrar_id = h.registrar_id
	 GROUP BY h.registrar_id, h.address
), dom AS (	-- the domains of the contacts that attributed them
	SELECT h.registrar_id, h.address, array_agg(DISTINCT d.domain ORDER BY d.domain) AS domains
	  FROM hit h
	  JOIN @extschema@.event e ON e.address = h.address
	  JOIN @extschema@.attribution a ON a.address = e.address AND a.event_id = e.id AND a.registrar_id = h.registrar_id
	 CROSS JOIN LATERAL unnest(a.domains) AS d(domain)
	 GROUP BY h.registrar_id, h.address
)
SELECT per.registrar_id, r.name AS registrar,
       rank() OVER (PARTITION BY per.registrar_id ORDER BY per.recurring_bounces DESC, per.counted_bounces DESC, per.last_bounce DESC) AS rank,
       per.address, per.recurring_bounces, per.counted_bounces, per.first_bounce, per.last_bounce,
       per.last_reason, per.last_status, per.suppressed, per.uncounted_bounces, per.last_uncounted_bounce,
       dom.domains
  FROM per JOIN @extschema@.registrar r ON r.id = per.registrar_id
  LEFT JOIN dom ON dom.registrar_id = per.registrar_id AND dom.address = per.address;
COMMENT ON VIEW @extschema@.fix_list IS 'per registrar, the addresses behind its recurring bounces, worst first (rank), figured on the counted bounces as the score is: recurring and counted bounces, first and last, last reason and status; whether the address is suppressed; and apart, the bounces the score leaves out';
COMMENT ON COLUMN @extschema@.fix_list.registrar_id IS 'registrar id';
COMMENT ON COLUMN @extschema@.fix_list.registrar IS 'registrar name';
COMMENT ON COLUMN @extschema@.fix_list.rank IS '1 = worst: by recurring_bounces, then counted_bounces, then the latest last_bounce (equal ones share a rank)';
COMMENT ON COLUMN @extschema@.fix_list.address IS 'the recipient address';
COMMENT ON COLUMN @extschema@.fix_list.recurring_bounces IS 'its recurring bounces attributed to the registrar';
COMMENT ON COLUMN @extschema@.fix_list.counted_bounces IS 'its counted bounces (config.count_kind) attributed to the registrar';
COMMENT ON COLUMN @extschema@.fix_list.first_bounce IS 'time of the first counted bounce';
COMMENT ON COLUMN @extschema@.fix_list.last_bounce IS 'time of the last counted bounce';
COMMENT ON COLUMN @extschema@.fix_list.last_reason IS 'reason of the last counted bounce';
COMMENT ON COLUMN @extschema@.fix_list.last_status IS 'enhanced status code of the last counted bounce';
COMMENT ON COLUMN @extschema@.fix_list.suppressed IS 'the suppressed flag of the address''s last bounce attributed to the registrar (suppression looks at every bounce, counted or not)';
COMMENT ON COLUMN @extschema@.fix_list.uncounted_bounces IS 'its bounces attributed to the registrar that the score does not count (soft ones; under count_kind = hard also permanent ones whose address is not bad)';
COMMENT ON COLUMN @extschema@.fix_list.last_uncounted_bounce IS 'time of the last of those; NULL if none';
COMMENT ON COLUMN @extschema@.fix_list.domains IS 'the registrar''s domains whose contact data holds the address: those of the contacts (contact) that attributed its bounces to the registrar; NULL when the caller named the registrar of every bounce';

CREATE VIEW @extschema@.address_status WITH (security_invoker = true) AS
SELECT DISTINCT ON (x.address) x.address, x.occurred_at AS last_bounce, x.reason AS last_reason,
       x.status AS last_status, x.hard AS last_hard, x.streak, coalesce(x.suppressed, false) AS suppressed
  FROM (SELECT e.*, @extschema@.streak(e.occurred_at, e.reason = 'delivered')
                    OVER (PARTITION BY e.address ORDER BY e.occurred_at, e.id) AS streak
          FROM @extschema@.flagged_event e) x
 ORDER BY x.address, x.occurred_at DESC, x.id DESC;
COMMENT ON VIEW @extschema@.address_status IS 'per address: last bounce, its reason and status, current streak (bounces since the last delivery, counted now, over the bounces the reader may see) and whether to suppress mail (as of the last refresh); filter by address, e.g. WHERE address = normalize_address($1)';
COMMENT ON COLUMN @extschema@.address_status.address IS 'recipient, normalised';
COMMENT ON COLUMN @extschema@.address_status.last_bounce IS 'time of the address''s last bounce';
COMMENT ON COLUMN @extschema@.address_status.last_reason IS 'reason of that bounce';
COMMENT ON COLUMN @extschema@.address_status.last_status IS 'enhanced status code of that bounce';
COMMENT ON COLUMN @extschema@.address_status.last_hard IS 'that bounce says the address itself is bad';
COMMENT ON COLUMN @extschema@.address_status.streak IS 'bounces since the address''s last delivery notice, counting the last one';
COMMENT ON COLUMN @extschema@.address_status.suppressed IS 'stop mailing the address: its last bounce was flagged suppressed by the last refresh()';
