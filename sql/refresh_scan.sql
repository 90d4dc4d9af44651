-- refresh_scan: the C pass behind refresh(); months in odd time zones, bad arguments
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET search_path = bounce, public;
\set VERBOSITY terse
-- a database of its own making: start from an empty registry, and leave one
DROP EXTENSION bounce CASCADE;
CREATE EXTENSION bounce;

INSERT INTO registrar VALUES (1, 'Alpha'), (2, 'Beta');
-- bounces on both sides of local month boundaries, in zones with a DST
-- change at midnight or a skipped day at the end of a month (Samoa left
-- out 30 December 2011), plus a reply code without status
SELECT count(record_bounce('k' || i, 'a' || (i % 3) || '@x.be', t, '{1,2}', 550, '5.1.1')) AS recorded
  FROM (SELECT i, timestamptz '2011-12-29 00:00+00' + i * interval '5 hours 7 minutes' AS t
          FROM generate_series(1, 40) i) s;
SELECT record_bounce('rc4', 'b@x.be', '2012-01-05 00:00+00', '{1}', 451) > 0 AS recorded,
       record_bounce('rc5', 'b@x.be', '2012-01-25 00:00+00', '{1}', 554) > 0 AS recorded;

-- each zone: a full refresh, then the months of the summaries against date_trunc in SQL
CREATE FUNCTION pg_temp.months_unlike_sql(zone text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
	UPDATE bounce.config SET time_zone = zone;
	CALL bounce.refresh();
	SELECT count(*) INTO n FROM (
		(SELECT a.registrar_id, date_trunc('month', f.occurred_at AT TIME ZONE zone)::date AS month,
		        coalesce(f.status, CASE WHEN f.reply_code BETWEEN 400 AND 499 THEN '4.0.0' ELSE '5.0.0' END::bounce.smtp_status) AS status,
		        count(*) FILTER (WHERE f.counted), count(*) FILTER (WHERE f.recurring)
		   FROM bounce.flagged_event f JOIN bounce.attribution a ON a.event_id = f.id
		  GROUP BY 1, 2, 3 HAVING count(*) FILTER (WHERE f.counted) > 0)
		EXCEPT ALL SELECT registrar_id, month, status, counted, recurring FROM bounce.monthly_status) d;
	RETURN n + (SELECT count(*) FROM bounce.monthly_status) - (SELECT count(*) FROM (
		SELECT DISTINCT a.registrar_id, date_trunc('month', f.occurred_at AT TIME ZONE zone),
		       coalesce(f.status, CASE WHEN f.reply_code BETWEEN 400 AND 499 THEN '4.0.0' ELSE '5.0.0' END::bounce.smtp_status)
		  FROM bounce.flagged_event f JOIN bounce.attribution a ON a.event_id = f.id WHERE f.counted) d);
END $$;
SELECT zone, pg_temp.months_unlike_sql(zone) AS unlike_sql
  FROM unnest(ARRAY['UTC', 'Pacific/Apia', 'Pacific/Kiritimati', 'America/St_Johns', 'Asia/Kathmandu', 'Europe/Brussels']) zone;
SELECT month, sum(counted) AS counted FROM monthly_status GROUP BY month ORDER BY month;
UPDATE config SET time_zone = DEFAULT;
CALL refresh();

-- one row per 256 bounce ids, 256 bytes each; the summary row counts the bounces flagged
SELECT count(*) FILTER (WHERE block IS NOT NULL) AS blocks, min(octet_length(flags)) AS bytes,
       count(*) FILTER (WHERE registrar_id IS NOT NULL) AS counts,
       max(counted) FILTER (WHERE block IS NULL AND registrar_id IS NULL) AS flagged
  FROM bounce_internal.refresh_scan(NULL, '14 days', '3 months', 3, '15 days', false);
-- counting hard bounces: the 451 does not count either way, the 554 only as permanent
SELECT sum(counted) FILTER (WHERE registrar_id IS NOT NULL) AS permanent
  FROM bounce_internal.refresh_scan(NULL, '14 days', '3 months', 3, '15 days', false);
SELECT sum(counted) FILTER (WHERE registrar_id IS NOT NULL) AS hard
  FROM bounce_internal.refresh_scan(NULL, '14 days', '3 months', 3, '15 days', true);
-- nothing new: no block changes, no differences
SELECT count(*) AS rows, max(counted) AS compared FROM bounce_internal.refresh_scan('{}', '14 days', '3 months', 3, '15 days', false);
-- an id that is not a bounce is ignored
SELECT count(*) AS rows FROM bounce_internal.refresh_scan('{-7}', '14 days', '3 months', 3, '15 days', false);
-- the same bounces again: compared, nothing changes
SELECT count(*) FILTER (WHERE block IS NOT NULL OR registrar_id IS NOT NULL) AS changed, max(counted) AS compared
  FROM bounce_internal.refresh_scan(ARRAY(SELECT id FROM event), '14 days', '3 months', 3, '15 days', false);
-- new ids far apart are read id by id; a dense run of ids (as the identity
-- hands them out) as one range, old bounces inside it included (harmless:
-- they are compared and found unchanged).  compared: the bounces from each
-- address's first new (or read) bounce on.
CREATE FUNCTION pg_temp.from_first(lo bigint, hi bigint, ids bigint[]) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM bounce.event e
	  JOIN (SELECT address, min(occurred_at) AS f FROM bounce.event
	         WHERE CASE WHEN ids IS NULL THEN id BETWEEN lo AND hi ELSE id = ANY (ids) END GROUP BY 1) t
	    ON e.address = t.address AND e.occurred_at >= t.f $$;
SELECT r.changed, r.compared, r.compared = pg_temp.from_first(x.lo, x.hi, ARRAY[x.lo, x.hi]) AS id_by_id,
       r.compared = pg_temp.from_first(x.lo, x.hi, NULL) AS as_range
  FROM (SELECT min(id) AS lo, max(id) AS hi FROM event) x,
       LATERAL (SELECT count(*) FILTER (WHERE block IS NOT NULL OR registrar_id IS NOT NULL) AS changed, max(counted) AS compared
                  FROM bounce_internal.refresh_scan(ARRAY[x.lo, x.hi], '14 days', '3 months', 3, '15 days', false)) r;
SELECT r.changed, r.compared, r.compared = pg_temp.from_first(x.lo, x.lo + 2, ARRAY[x.lo, x.lo + 2]) AS id_by_id,
       r.compared = pg_temp.from_first(x.lo, x.lo + 2, NULL) AS as_range
  FROM (SELECT min(id) AS lo FROM event) x,
       LATERAL (SELECT count(*) FILTER (WHERE block IS NOT NULL OR registrar_id IS NOT NULL) AS changed, max(counted) AS compared
                  FROM bounce_internal.refresh_scan(ARRAY[x.lo, x.lo + 2], '14 days', '3 months', 3, '15 days', false)) r;
-- other settings: the differences are returned, nothing is written
SELECT sum(recurring) FILTER (WHERE registrar_id IS NOT NULL) AS recurring_change
  FROM bounce_internal.refresh_scan(ARRAY(SELECT id FROM event), '0 days', '1 year', 3, '15 days', false);
SELECT sum(recurring) AS recurring FROM monthly_status;

-- bad arguments
SELECT * FROM bounce_internal.refresh_scan(NULL, NULL, '3 months', 3, '15 days', false);
SELECT * FROM bounce_internal.refresh_scan(NULL, '-1 day', '3 months', 3, '15 days', false);
SELECT * FROM bounce_internal.refresh_scan(NULL, '14 days', '1 day', 3, '15 days', false);
SELECT * FROM bounce_internal.refresh_scan(NULL, '14 days', '3 months', 0, '15 days', false);
SELECT * FROM bounce_internal.refresh_scan(NULL, '14 days', '3 months', NULL, '15 days', false);
SELECT * FROM bounce_internal.refresh_scan(NULL, '14 days', '3 months', 3, '1 mon -40 days', false);
SELECT * FROM bounce_internal.refresh_scan('{{1,2},{3,4}}', '14 days', '3 months', 3, '15 days', false);

-- the pass over one shard of a Citus cluster: on one node, nothing is a shard
SELECT count(*) FROM bounce.shard;
SELECT * FROM bounce_internal.refresh_scan_shard('bounce.event'::regclass, '14 days', '3 months', 3, '15 days', false, 'UTC', NULL);
SELECT * FROM bounce_internal.refresh_scan_shard('bounce.shard'::regclass, '14 days', '3 months', 3, '15 days', false, 'UTC', NULL);
SELECT * FROM bounce_internal.refresh_scan_shard(NULL, '14 days', '3 months', 3, '15 days', false, 'UTC', NULL);
SELECT * FROM bounce_internal.refresh_scan_shard('bounce.shard'::regclass, '14 days', '3 months', 3, '15 days', false, NULL, NULL);
SELECT * FROM bounce_internal.refresh_scan_shard('bounce.shard'::regclass, '14 days', '3 months', 0, '15 days', false, 'UTC', NULL);
SELECT * FROM bounce_internal.refresh_scan_shard('bounce.shard'::regclass, '14 days', '3 months', 3, '15 days', false, 'Mars/Olympus', NULL);
CREATE TABLE bounce.shard_102008 (address text);
SELECT * FROM bounce_internal.refresh_scan_shard('bounce.shard_102008'::regclass, '14 days', '3 months', 3, '15 days', false, 'UTC', NULL);
DROP TABLE bounce.shard_102008;

-- leave an empty registry for the next test
DROP EXTENSION bounce CASCADE;
CREATE EXTENSION bounce;
