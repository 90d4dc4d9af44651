-- scoring: what the scoring views show in the cases a registry analyst
-- checks by hand: the fix list on counted bounces, registrars without a
-- rating, stars on exact figures, gaps in the trend, bounces known only
-- by their text, NULL registrars, ties at the top-10 boundary, and a
-- refresh that skips what did not change
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET search_path = bounce, public;
\set VERBOSITY terse
-- a database of its own making: start from an empty registry, and leave one
DROP EXTENSION bounce CASCADE;
CREATE EXTENSION bounce;
-- an error as its SQLSTATE and message, as a value
CREATE FUNCTION pg_temp.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE sql;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

INSERT INTO registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'hosting'), (3, 'Gamma', 'reseller'),
       (4, 'Delta', 'hosting'), (5, 'Epsilon', 'reseller');
-- Alpha: 1,000,000 all year; Beta: 20,000; Gamma: no registration row at
-- all; Delta: no row for March and June (Q1 and Q2 have no quarter-end
-- count), 0 at the end of September; Epsilon: 19,992
INSERT INTO registration SELECT 1, m, 1000000 FROM generate_series('2025-01-01'::date, '2025-12-01', '1 month') m;
INSERT INTO registration SELECT 2, m, 20000 FROM generate_series('2025-01-01'::date, '2025-12-01', '1 month') m;
INSERT INTO registration SELECT 4, m, CASE WHEN m = '2025-09-01' THEN 0 ELSE 50000 END
  FROM generate_series('2025-01-01'::date, '2025-12-01', '1 month') m WHERE extract(month FROM m) NOT IN (3, 6);
INSERT INTO registration SELECT 5, m, 19992 FROM generate_series('2025-01-01'::date, '2025-12-01', '1 month') m;

-- 1. fix_list counts, dates and ranks by the counted bounces.
-- ann (Alpha): 4.2.2, 5.1.1, 4.2.2, 5.1.1, 4.2.2 over January to March:
-- the score counts the two 5.1.1 (3 and 25 February), the second recurring
SELECT count(*) FROM record_batch('[
  {"key": "a1", "address": "ann@x.be", "occurred_at": "2025-01-20 10:00", "registrars": [1], "reply_code": 452, "status": "4.2.2"},
  {"key": "a2", "address": "ann@x.be", "occurred_at": "2025-02-03 10:00", "registrars": [1], "reply_code": 550, "status": "5.1.1"},
  {"key": "a3", "address": "ann@x.be", "occurred_at": "2025-02-10 10:00", "registrars": [1], "reply_code": 452, "status": "4.2.2"},
  {"key": "a4", "address": "ann@x.be", "occurred_at": "2025-02-25 10:00", "registrars": [1], "reply_code": 550, "status": "5.1.1"},
  {"key": "a5", "address": "ann@x.be", "occurred_at": "2025-03-01 10:00", "registrars": [1], "reply_code": 452, "status": "4.2.2"}]');
-- bob (Alpha): three counted bounces, two recurring, no soft ones; cleo
-- (Alpha): one recurring among two counted, and many soft ones, which must
-- not rank her above ann
SELECT count(*) FROM record_batch('[
  {"key": "b1", "address": "bob@x.be", "occurred_at": "2025-01-05 10:00", "registrars": [1], "reply_code": 550, "status": "5.1.1"},
  {"key": "b2", "address": "bob@x.be", "occurred_at": "2025-02-05 10:00", "registrars": [1], "reply_code": 550, "status": "5.1.1"},
  {"key": "b3", "address": "bob@x.be", "occurred_at": "2025-03-05 10:00", "registrars": [1], "reply_code": 550, "status": "5.1.1"},
  {"key": "c1", "address": "cleo@x.be", "occurred_at": "2025-01-02 10:00", "registrars": [1], "reply_code": 550, "status": "5.2.1"},
  {"key": "c2", "address": "cleo@x.be", "occurred_at": "2025-01-03 10:00", "registrars": [1], "reply_code": 451, "status": "4.4.1"},
  {"key": "c3", "address": "cleo@x.be", "occurred_at": "2025-01-04 10:00", "registrars": [1], "reply_code": 451, "status": "4.4.1"},
  {"key": "c4", "address": "cleo@x.be", "occurred_at": "2025-01-05 10:00", "registrars": [1], "reply_code": 451, "status": "4.4.1"},
  {"key": "c5", "address": "cleo@x.be", "occurred_at": "2025-02-01 10:00", "registrars": [1], "reply_code": 550, "status": "5.2.1"},
  {"key": "c6", "address": "cleo@x.be", "occurred_at": "2025-04-01 10:00", "registrars": [1], "reply_code": 451, "status": "4.4.1"}]');
CALL refresh();
SELECT rank, address, recurring_bounces, counted_bounces, first_bounce, last_bounce, last_reason, last_status,
       suppressed, uncounted_bounces, last_uncounted_bounce
  FROM fix_list WHERE registrar_id = 1 ORDER BY rank, address;
-- the same bounces as the score: fix_list's counted and recurring bounces
-- add up to monthly's for the addresses it lists
SELECT (SELECT sum(counted_bounces) FROM fix_list WHERE registrar_id = 1) AS fix_list_counted,
       (SELECT count(*) FROM flagged_event WHERE counted AND address IN ('ann@x.be', 'bob@x.be', 'cleo@x.be')) AS score_counted,
       (SELECT sum(recurring_bounces) FROM fix_list WHERE registrar_id = 1) AS fix_list_recurring,
       (SELECT sum(recurring) FROM monthly WHERE registrar_id = 1) AS score_recurring;
-- under count_kind = hard, the 5.2.1 (mailbox disabled: the address is not bad) bounces are not counted either
UPDATE config SET count_kind = 'hard';
CALL refresh();
SELECT rank, address, recurring_bounces, counted_bounces, uncounted_bounces FROM fix_list WHERE registrar_id = 1 ORDER BY rank, address;
UPDATE config SET count_kind = DEFAULT;
CALL refresh();

-- 2. A registrar never silently disappears: without a quarter-end count
-- (Gamma: none at all; Delta: none for March) or with 0, the row is there,
-- unrated, saying why
SELECT count(*) FROM record_batch('[
  {"key": "g1", "address": "gil@x.be", "occurred_at": "2025-01-10 10:00", "registrars": [3], "reply_code": 550, "status": "5.1.1"},
  {"key": "g2", "address": "gil@x.be", "occurred_at": "2025-02-10 10:00", "registrars": [3], "reply_code": 550, "status": "5.1.1"},
  {"key": "d1", "address": "dan@x.be", "occurred_at": "2025-01-10 10:00", "registrars": [4], "reply_code": 550, "status": "5.1.1"},
  {"key": "d2", "address": "dan@x.be", "occurred_at": "2025-02-10 10:00", "registrars": [4], "reply_code": 550, "status": "5.1.1"},
  {"key": "d3", "address": "dan@x.be", "occurred_at": "2025-07-10 10:00", "registrars": [4], "reply_code": 550, "status": "5.1.1"},
  {"key": "d4", "address": "dan@x.be", "occurred_at": "2025-08-10 10:00", "registrars": [4], "reply_code": 550, "status": "5.1.1"},
  {"key": "e1", "address": "eve@x.be", "occurred_at": "2025-01-10 10:00", "registrars": [5], "reply_code": 550, "status": "5.1.1"},
  {"key": "e2", "address": "eve@x.be", "occurred_at": "2025-02-10 10:00", "registrars": [5], "reply_code": 550, "status": "5.1.1"},
  {"key": "f1", "address": "fay@x.be", "occurred_at": "2025-01-10 10:00", "registrars": [2], "reply_code": 550, "status": "5.1.1"},
  {"key": "f2", "address": "fay@x.be", "occurred_at": "2025-02-10 10:00", "registrars": [2], "reply_code": 550, "status": "5.1.1"}]');
CALL refresh();
SELECT registrar, label, registrations, recurring, recurring_per_1m, stars, to_better_per_1m, to_worse_per_1m,
       portfolio_rank, no_rating_reason
  FROM quarterly_score ORDER BY registrar_id, quarter;
-- the groups are computed over the rated registrars, and say how many:
-- Q1 has Alpha (1 recurring), Beta (1) and Epsilon (1); Gamma's and
-- Delta's recurring bounces are in no group
SELECT group_name, members, recurring, registrations FROM group_score WHERE quarter = '2025-01-01' ORDER BY group_name;
SELECT registrar, label, recurring_per_1m, all_per_1m, all_registrars, category, category_per_1m, category_registrars,
       top10_registrars, no_rating_reason
  FROM benchmark WHERE quarter = '2025-01-01' ORDER BY registrar_id;
-- Delta's 0 in Q3 neither joins a group's members nor its figures
SELECT group_name, members, recurring, registrations FROM group_score WHERE quarter = '2025-07-01' ORDER BY group_name;
-- the group figure is the members' recurring bounces over their
-- registrations: Alpha 4, Beta 1, Epsilon 1
SELECT round((4 + 1 + 1) * 1000000.0 / (1000000 + 20000 + 19992), 1) AS all_q1_by_hand;

-- 3. Stars from the exact figure: bands 50/100/200 per 1M.  Beta's 1 on
-- 20,000 is exactly 50: 3 stars, no headroom.  Epsilon's 1 on 19,992 is
-- 50.02, shown as 50.0: 2 stars, 0.02 from 3 stars (shown rounded up) and
-- 49.98 from 1 star (shown rounded down)
UPDATE config SET star3_max = 50, star2_max = 100, star1_max = 200;
SELECT registrar, recurring, registrations, recurring_per_1m, stars, to_better_per_1m, to_worse_per_1m
  FROM quarterly_score WHERE quarter = '2025-01-01' AND registrar_id IN (2, 5) ORDER BY registrar_id;
SELECT per_1m FROM quarterly WHERE registrar_id = 5 AND quarter = '2025-01-01';
-- a band boundary that is not a round figure is compared exactly too
UPDATE config SET star3_max = 50.02, star2_max = 100, star1_max = 200;
SELECT registrar, stars, to_better_per_1m, to_worse_per_1m FROM quarterly_score
 WHERE quarter = '2025-01-01' AND registrar_id IN (2, 5) ORDER BY registrar_id;
UPDATE config SET star3_max = DEFAULT, star2_max = DEFAULT, star1_max = DEFAULT;

-- 4. The trend keeps its gaps, oldest to newest: Delta is rated in Q4
-- only (no count for March and June, 0 for September), so its Q4 trend is
-- three blanks and a bar; Epsilon, rated throughout, has a bar for each
SELECT registrar, label, recurring_per_1m, '[' || trend || ']' AS trend, length(trend) AS quarters_drawn
  FROM quarterly_score WHERE registrar_id IN (4, 5) ORDER BY registrar_id, quarter;
-- a rated, unrated, rated run is drawn with the blank between, not side by side
DELETE FROM registration WHERE registrar_id = 2 AND month = '2025-06-01';
SELECT count(*) FROM record_batch('[
  {"key": "f3", "address": "fay@x.be", "occurred_at": "2025-07-10 10:00", "registrars": [2], "reply_code": 550, "status": "5.1.1"},
  {"key": "f4", "address": "fay@x.be", "occurred_at": "2025-08-10 10:00", "registrars": [2], "reply_code": 550, "status": "5.1.1"}]');
CALL refresh();
SELECT label, recurring_per_1m, no_rating_reason, '[' || trend || ']' AS trend FROM quarterly_score WHERE registrar_id = 2 ORDER BY quarter;
-- a shorter trend shows only the last quarters, the blank included
UPDATE config SET trend_quarters = 2;
CALL refresh();
SELECT label, '[' || trend || ']' AS trend FROM quarterly_score WHERE registrar_id = 2 ORDER BY quarter;
UPDATE config SET trend_quarters = DEFAULT;
CALL refresh();
SELECT col_description(attrelid, attnum) AS trend_comment FROM pg_attribute
 WHERE attrelid = 'bounce.quarterly_score'::regclass AND attname = 'trend';

-- 5. A bounce known only by its diagnostic text: the codes the text states
-- are stored, and it counts as the permanent bounce it is
SELECT record_bounce('t1', 'tom@x.be', '2025-05-01 10:00', '{2}', diagnostic => '550 5.1.1 User unknown') > 0 AS recorded;
SELECT count(*) FROM record_batch('[{"key": "t2", "address": "tom@x.be", "occurred_at": "2025-05-20 10:00", "registrars": [2],
                                     "diagnostic": "550 5.1.1 <tom@x.be>: Recipient address rejected: User unknown"}]');
COPY ingest (idempotency_key, address, occurred_at, registrars, diagnostic) FROM stdin;
t3	tom@x.be	2025-06-10 10:00	{2}	550 5.1.1 User unknown
t4	tim@x.be	2025-06-10 10:00	{2}	452 4.2.2 Mailbox full
\.
-- a code the caller gives is kept; the missing one comes from the text
SELECT record_bounce('t5', 'tim@x.be', '2025-06-11 10:00', '{2}', 550, diagnostic => 'said 550 5.2.2 mailbox full') > 0 AS recorded;
-- text with no code leaves the codes NULL (and the bounce uncounted)
SELECT record_bounce('t6', 'tim@x.be', '2025-06-12 10:00', '{2}', diagnostic => 'User unknown') > 0 AS recorded;
CALL refresh();
SELECT e.idempotency_key, f.reply_code, f.status, f.reason, f.hard, f.permanent, f.counted, f.recurring
  FROM flagged_event f JOIN event e ON e.id = f.id WHERE e.idempotency_key ~ '^t[0-9]' ORDER BY 1;

-- 6. registrars NULL, with no contact loaded, is an error (22004); '{}' (or []) is no registrar
SELECT pg_temp.err($$SELECT record_bounce('n1', 'nul@x.be', '2025-05-01', NULL, 550, '5.1.1')$$);
SELECT pg_temp.err($$SELECT * FROM record_batch('[{"key": "n2", "address": "nul@x.be", "occurred_at": "2025-05-01", "reply_code": 550}]')$$);
SELECT pg_temp.err($$SELECT * FROM record_batch('[{"key": "n3", "address": "nul@x.be", "occurred_at": "2025-05-01", "registrars": null}]')$$);
SELECT pg_temp.err($$INSERT INTO ingest (idempotency_key, address, occurred_at, registrars, reply_code) VALUES ('n4', 'nul@x.be', '2025-05-01', NULL, 550)$$);
SELECT pg_temp.err($$SELECT * FROM record_dsn('not a bounce', NULL)$$);
SELECT pg_temp.err($$SELECT * FROM record_dsn(NULL::bytea, NULL)$$);
SELECT count(*) AS recorded FROM event WHERE address = 'nul@x.be';
SELECT record_bounce('n5', 'nul@x.be', '2025-05-01', '{}', 550, '5.1.1') > 0 AS recorded;
SELECT element, is_new FROM record_batch('[{"key": "n6", "address": "nul@x.be", "occurred_at": "2025-05-02", "registrars": [], "reply_code": 550}]');
SELECT count(*) AS recorded, (SELECT count(*) FROM attribution a JOIN event e ON e.id = a.event_id WHERE e.address = 'nul@x.be') AS attributed
  FROM event WHERE address = 'nul@x.be';

-- 6. Ties at the top-10 boundary: portfolio first, then the smaller
-- registrar id.  Twelve registrars of 1,000 registrations at the end of
-- 2025 come after the four larger ones (ranks 1-4), so ranks 5-16 are a
-- tie: ids 101-106 are in the top 10, 107-112 are not
INSERT INTO registrar SELECT i, 'T' || i, 'tied' FROM generate_series(101, 112) i;
INSERT INTO registration SELECT i, '2025-12-01', 1000 FROM generate_series(101, 112) i;
CALL refresh();
SELECT registrar_id, registrations, portfolio_rank FROM quarterly_score
 WHERE quarter = '2025-10-01' AND portfolio_rank BETWEEN 8 AND 13 ORDER BY portfolio_rank;
SELECT members, registrations FROM group_score WHERE quarter = '2025-10-01' AND group_name = 'top 10';
SELECT sum(registrations) AS top10_by_hand FROM quarterly_score WHERE quarter = '2025-10-01' AND portfolio_rank <= 10;

-- 7. What a refresh skips.  Nothing new: no summary row is rewritten.
CREATE TEMP TABLE before AS
SELECT 'q' AS t, xmin::text AS x, registrar_id::text AS k FROM quarterly
UNION ALL SELECT 'g', xmin::text, quarter || group_name FROM group_score;
CALL refresh();
SELECT count(*) AS rows_rewritten FROM (
	SELECT 'q' AS t, xmin::text AS x, registrar_id::text AS k FROM quarterly
	UNION ALL SELECT 'g', xmin::text, quarter || group_name FROM group_score
	EXCEPT SELECT * FROM before) d;
SELECT count(*) AS queued FROM quarter_queue;
-- new bounces that move no count (a soft one) rescore no quarter, and
-- leave the benchmark groups as they are
SELECT count(*) AS groups_before FROM group_score \gset
SELECT record_bounce('s1', 'soft@x.be', '2025-05-02 10:00', '{2}', 452, '4.2.2') > 0 AS recorded;
CALL refresh();
SELECT last_kind, last_events, (SELECT count(*) FROM group_score) AS groups, :groups_before AS groups_before FROM refresh_state;
-- a changed registration queues its quarter, and the next refresh rescores it
UPDATE registration SET registrations = 10000 WHERE registrar_id = 2 AND month = '2025-03-01';
SELECT registrar_id, quarter FROM quarter_queue;
CALL refresh();
SELECT label, registrations, recurring_per_1m FROM quarterly_score WHERE registrar_id = 2 AND quarter = '2025-01-01';
SELECT count(*) AS queued FROM quarter_queue;
-- a new registrar's row for a quarter that had none, and a deleted one
INSERT INTO registration VALUES (3, '2025-03-01', 40000);
CALL refresh();
SELECT label, registrations, recurring_per_1m, stars, no_rating_reason FROM quarterly_score WHERE registrar_id = 3;
DELETE FROM registration WHERE registrar_id = 3;
CALL refresh();
SELECT label, registrations, recurring_per_1m, no_rating_reason FROM quarterly_score WHERE registrar_id = 3;
-- star bands are read when the views are: changing them queues nothing;
-- a setting the flags depend on queues a mark, and the next refresh,
-- finding it, compares the settings and recomputes everything
UPDATE config SET star3_max = 100;
SELECT count(*) AS queued FROM quarter_queue;
UPDATE config SET star3_max = DEFAULT, recurring_min_gap = '10 days';
SELECT registrar_id, quarter FROM quarter_queue;
CALL refresh();
SELECT last_kind FROM refresh_state;
UPDATE config SET recurring_min_gap = DEFAULT;
CALL refresh();
SELECT last_kind, (SELECT count(*) FROM quarter_queue) AS queued FROM refresh_state;
-- a changed category moves the registrar to another group
UPDATE registrar SET category = 'hosting' WHERE id = 5;
CALL refresh();
SELECT group_name, members FROM group_score WHERE quarter = '2025-01-01' AND group_name LIKE 'category%' ORDER BY 1;
UPDATE registrar SET category = 'reseller' WHERE id = 5;
-- and after all of it, the incremental state equals a full recompute
CALL refresh();
CREATE TEMP TABLE inc AS SELECT * FROM quarterly;
CREATE TEMP TABLE inc_g AS SELECT * FROM group_score;
CALL refresh(full => true);
SELECT (SELECT count(*) FROM (TABLE inc EXCEPT TABLE quarterly) d) + (SELECT count(*) FROM (TABLE quarterly EXCEPT TABLE inc) d)
     + (SELECT count(*) FROM (TABLE inc_g EXCEPT TABLE group_score) d) + (SELECT count(*) FROM (TABLE group_score EXCEPT TABLE inc_g) d)
       AS incremental_vs_full_differences;

-- every view of the extension, in whichever schema, has a comment, and so
-- has every column of it: \d+ tells a psql user what each one means
SELECT count(*) AS views, count(*) FILTER (WHERE obj_description(c.oid, 'pg_class') IS NULL) AS views_without_comment
  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bounce') AND c.relkind IN ('v', 'm');
SELECT c.relnamespace::regnamespace AS schema, c.relname AS view, a.attname AS column_without_comment
  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bounce') AND c.relkind IN ('v', 'm')
   AND col_description(c.oid, a.attnum) IS NULL
 ORDER BY 1, 2, 3;
-- the probe sees a column without one: a view of the extension's own
-- making here, dropped again
CREATE VIEW bounce.uncommented AS SELECT 1 AS x;
ALTER EXTENSION bounce ADD VIEW bounce.uncommented;
SELECT c.relname AS view, a.attname AS column_without_comment
  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bounce') AND c.relkind IN ('v', 'm')
   AND col_description(c.oid, a.attnum) IS NULL;
ALTER EXTENSION bounce DROP VIEW bounce.uncommented;
DROP VIEW bounce.uncommented;

-- leave an empty registry for the next test
DROP EXTENSION bounce CASCADE;
CREATE EXTENSION bounce;
