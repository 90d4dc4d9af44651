-- registry: data model, ingestion, refresh and scoring views
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET search_path = bounce, public;
\set VERBOSITY terse

-- configuration: one row, placeholders, checked
SELECT star3_max, star2_max, star1_max, count_kind, recurring_min_gap, recurring_max_gap, time_zone FROM config;
UPDATE config SET star3_max = 500;          -- bands must stay ordered
UPDATE config SET count_kind = 'soft';
UPDATE config SET time_zone = 'Mars/Olympus';
-- settings that would pass a plain CHECK but break every later refresh or record_bounce()
\set VERBOSITY default
UPDATE config SET time_zone = 'CEST';       -- an abbreviation: refresh() cannot SET TimeZone to it
UPDATE config SET time_zone = 'europe/brussels';
\set VERBOSITY terse
UPDATE config SET time_zone = '<+02>-02';   -- a POSIX offset, no zone
UPDATE config SET time_zone = 'Europe/Brussels';
UPDATE config SET time_zone = DEFAULT;
UPDATE config SET future_tolerance = '300000 years';
UPDATE config SET future_tolerance = '-1 hour';
UPDATE config SET future_tolerance = '1 day';
UPDATE config SET future_tolerance = DEFAULT;
UPDATE config SET recurring_min_gap = '-1 day';
UPDATE config SET recurring_min_gap = '1 mon -40 days';
UPDATE config SET recurring_max_gap = '1 day -1 hour';
UPDATE config SET suppress_span = '-15 days';
SELECT time_zone, future_tolerance, recurring_min_gap, recurring_max_gap, suppress_span FROM config;
INSERT INTO config DEFAULT VALUES;          -- replaces the one row (pg_restore path)
SELECT count(*) FROM config;

-- address normalisation: trimmed, domain lower-cased, local part kept
SELECT normalize_address(a) FROM unnest(ARRAY[' Jan.Peeters@Example.BE ', 'x@Sub.Example.be.', '"a b"@x.be',
       'o''brien+tag@xn--bcher-kva.example', 'x@[192.0.2.1]', 'Ünïcode@Bücher.DE']) a;
SELECT a, address_problem(a) FROM unnest(ARRAY['', 'plain', '@x.be', 'x@', 'a b@x.be', 'a..b@x.be', '.a@x.be',
       'a@x..be', 'a@-x.be', 'a@x_y.be', '<a@x.be>', 'a@x.be,b@y.be', repeat('l', 65) || '@x.be', E'a\tb@x.be']) a;
SELECT normalize_address('not an address');
SELECT normalize_address(NULL) IS NULL AS strict;

-- registrars and month-end registrations
INSERT INTO registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'hosting'), (3, 'Gamma', 'reseller');
INSERT INTO registration SELECT r, m, n FROM (VALUES (1, 1000000), (2, 200000), (3, 50000)) v(r, n),
       generate_series('2025-01-01'::date, '2025-12-01', '1 month') m;
INSERT INTO registration VALUES (1, '2025-01-15', 5);   -- must be a month's first day

-- record_bounce(): returns the id; a key repeated for the same address (as
-- normalised) returns the same id and changes nothing
SELECT record_bounce('m1/a', ' ann@Example.BE', '2025-01-10 10:00', '{1,2}', 550, '5.1.1', '550 5.1.1 user unknown') AS id1 \gset
SELECT record_bounce('m1/a', 'ann@EXAMPLE.be ', '2025-06-01', '{3}') = :id1 AS same_id;
-- the key is unique per address: the same key for another address is
-- another bounce (rolled back here)
BEGIN;
SELECT record_bounce('m1/a', 'other@example.be', '2025-06-01', '{3}') <> :id1 AS other_bounce;
SELECT count(*) AS bounces_of_key FROM event WHERE idempotency_key = 'm1/a';
ROLLBACK;
SELECT id = :id1 AS same, address, status, permanent FROM event;
SELECT registrar_id FROM attribution ORDER BY 1;
-- bad input: clear errors, nothing written
SELECT record_bounce('', 'a@x.be', '2025-01-01', '{1}');
SELECT record_bounce('k', NULL, '2025-01-01', '{1}');
SELECT record_bounce('k', 'a@@', '2025-01-01', '{1}');
SELECT record_bounce('k', 'a@x.be', NULL, '{1}');
SELECT record_bounce('k', 'a@x.be', 'infinity', '{1}');
SELECT record_bounce('k', 'a@x.be', '2999-01-01', '{1}');
SELECT record_bounce(repeat('k', 3000), 'a@x.be', '2025-01-01', '{1}');    -- longer than 1000 bytes: a poison message otherwise (54000)
SELECT record_bounce(E' \t\n ', 'a@x.be', '2025-01-01', '{1}');
SELECT record_bounce('k', 'a@x.be', '4714-11-24 00:00+00 BC', '{1}');    -- before 1970: the oldest bounce time accepted
SELECT record_bounce('k', 'a@x.be', '1969-12-31 23:59:59+00', '{1}');
SELECT record_bounce('k', 'a@x.be', '2025-01-01', '{1,99}');
SELECT record_bounce('k', 'a@x.be', '2025-01-01', '{1,NULL}');
SELECT record_bounce('k', 'a@x.be', '2025-01-01', '{1}', 650);
SELECT record_bounce('k', 'a@x.be', '2025-01-01', '{1}', 550, '5.01.1');
SELECT count(*) AS events, (SELECT count(*) FROM attribution) AS attributions, (SELECT count(*) FROM pending) AS pending FROM event;
-- no registrar ('{}'): kept for address_status, counts against nobody;
-- NULL, with no contact loaded, is an error, so that a caller's bug is not
-- silently counted against nobody (contact.sql: NULL with contacts)
SELECT record_bounce('m0', 'former@x.be', '2025-01-02', '{}', 550, '5.1.1') > 0 AS recorded;
SELECT record_bounce('m0x', 'former@x.be', '2025-01-02', NULL, 550, '5.1.1');

-- record_batch(): all or nothing, errors name the element
SELECT * FROM record_batch('[
  {"key": "m2/a", "address": "ann@example.be", "occurred_at": "2025-02-15 09:00", "registrars": [1, 2], "reply_code": 550, "status": "5.1.1"},
  {"key": "m2/b", "address": "bob@example.be", "occurred_at": "2025-02-15 09:00", "registrars": [3], "reply_code": 552, "status": "5.2.2"},
  {"key": "m2/a", "address": "ann@example.be", "occurred_at": "2025-02-15 09:00", "registrars": [1]},
  {"key": "m1/a", "address": "ann@example.be", "occurred_at": "2025-01-10 10:00", "registrars": [1]}
]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": [1]}, {"key": "z2", "address": "z@x", "occurred_at": "2025-03-01", "registrars": [1], "reply_code": 650}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": [1]}, {"key": "z2", "addres": "z@x"}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": [7]}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": "1"}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": [1], "status": "5.1"}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2999-03-01", "registrars": [1]}]');
-- keys as record_bounce() checks them
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": [1]}, {"key": " \t ", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": [1]}]');
SELECT * FROM record_batch(jsonb_build_array(jsonb_build_object('key', 'z1', 'address', 'z@x.be', 'occurred_at', '2025-03-01', 'registrars', '[1]'::jsonb),
                                             jsonb_build_object('key', repeat('z', 1001), 'address', 'z@x.be', 'occurred_at', '2025-03-01', 'registrars', '[1]'::jsonb)));
-- times as record_bounce() checks them, and one that does not parse, each named by its element
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": [1]}, {"key": "z2", "address": "z@x.be", "occurred_at": "4714-11-24 00:00+00 BC", "registrars": [1]}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": [1]}, {"key": "z2", "address": "z@x.be", "occurred_at": "1969-12-31 23:59+00", "registrars": [1]}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "-infinity", "registrars": [1]}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": [1]}, {"key": "z2", "address": "z@x.be", "occurred_at": "2025-13-45", "registrars": [1]}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": [1]}, {"key": "z2", "address": "z@x.be", "occurred_at": "yesterday at noon", "registrars": [1]}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": [1]}, {"key": "z2", "address": "z@x.be", "occurred_at": "99999-01-01", "registrars": [1]}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01"}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be", "occurred_at": "2025-03-01", "registrars": null}]');
SELECT * FROM record_batch('[{"key": "z1", "address": "z@x.be"}]');
SELECT * FROM record_batch('[{"address": "z@x.be", "occurred_at": "2025-03-01"}]');
SELECT * FROM record_batch('[1]');
SELECT * FROM record_batch('{"key": "z1"}');
SELECT * FROM record_batch('[]');
SELECT count(*) FROM event WHERE idempotency_key LIKE 'z%';

-- keys are stored as they are checked, trimmed, by record_bounce(), record_batch()
-- and COPY alike (rolled back, the id sequence put back)
SELECT last_value AS seq_last, is_called AS seq_called FROM bounce.event_id_seq \gset
BEGIN;
SELECT record_bounce(E' t1\t', 't@x.be', '2025-03-01', '{1}') = record_bounce('t1', 't@x.be', '2025-03-01', '{1}') AS same_bounce;
SELECT element, is_new FROM record_batch('[{"key": " t2 ", "address": "t@x.be", "occurred_at": "2025-03-02", "registrars": [1]},
  {"key": "t2", "address": "t@x.be", "occurred_at": "2025-03-02", "registrars": [1]}, {"key": "t1 ", "address": "t@x.be", "occurred_at": "2025-03-01", "registrars": [1]}]');
COPY ingest (idempotency_key, address, occurred_at, registrars) FROM stdin;
 t3 	t@x.be	2025-03-03	{1}
\.
SELECT '[' || idempotency_key || ']' AS stored FROM event WHERE address = 't@x.be' ORDER BY 1;
ROLLBACK;
SELECT setval('bounce.event_id_seq', :seq_last, :'seq_called'::boolean) IS NOT NULL AS sequence_restored;

-- COPY into ingest: each row is recorded, nothing is kept in ingest
COPY ingest (idempotency_key, address, occurred_at, registrars, reply_code, status, diagnostic) FROM stdin;
m3/a	ann@example.be	2025-04-20 08:00	{1,2}	550	5.1.1	user unknown
m3/b	bob@example.be	2025-03-10 08:00	{3}	552	5.2.2	mailbox full
m3/c	carl@example.be	2025-03-11 08:00	{1}	451	4.7.1	greylisted
m3/a	ann@example.be	2025-04-20 08:00	{1,2}	550	5.1.1	user unknown
\.
SELECT count(*) FROM ingest;
COPY ingest (idempotency_key, address, occurred_at, registrars) FROM stdin;
m4/a	dora@example.be	2025-04-20 08:00	{1}
m4/b	broken	2025-04-20 08:00	{1}
\.
SELECT count(*) FROM event WHERE idempotency_key LIKE 'm4%';

-- refresh and the views
CALL refresh();
SELECT last_kind, last_events FROM refresh_state;
SELECT address, occurred_at, status, counted, recurring, suppressed FROM flagged_event ORDER BY address, occurred_at;
-- the stored flags are those of the window functions over each address
SELECT count(*) AS flags_unlike_window_functions FROM (
  SELECT f.*, coalesce(recurring(CASE WHEN f.permanent THEN f.occurred_at END) OVER w, false) AS r,
         suppress(f.occurred_at, 3, '15 days', f.reason = 'delivered') OVER w AS s
    FROM flagged_event f WINDOW w AS (PARTITION BY f.address ORDER BY f.occurred_at, f.id)) x
 WHERE (x.counted, x.recurring, x.suppressed) IS DISTINCT FROM (coalesce(x.permanent, false), x.r, x.s);
-- one byte per bounce, 256 to a row; a bounce not refreshed yet has NULL flags
SELECT count(*) AS blocks, min(octet_length(flags)) AS bytes FROM event_flags;
SELECT record_bounce('unrefreshed', 'new@example.be', '2025-01-03 00:00', '{1}', 550, '5.1.1') > 0 AS recorded;
SELECT counted, recurring, suppressed FROM flagged_event WHERE address = 'new@example.be';
SELECT * FROM monthly_score WHERE counted > 0 ORDER BY registrar_id, month;
SELECT period, period_start, registrar, status, status_text, errors, per_1m, rank FROM top_errors ORDER BY registrar, period, period_start, rank, status;
SELECT registrar, label, registrations, recurring, recurring_per_1m, stars, to_better_per_1m, to_worse_per_1m, trend
  FROM quarterly_score ORDER BY registrar, quarter;
SELECT registrar, label, recurring_per_1m, top10_per_1m, top50_per_1m, all_per_1m, category, category_per_1m
  FROM benchmark WHERE quarter = '2025-01-01' ORDER BY registrar;
SELECT registrar, rank, address, recurring_bounces, counted_bounces, first_bounce, last_bounce, last_status, suppressed,
       uncounted_bounces, last_uncounted_bounce FROM fix_list ORDER BY registrar, rank;
SELECT address, last_bounce, last_status, streak, suppressed FROM address_status WHERE address = normalize_address(' ann@EXAMPLE.be ');

-- a late bounce changes the next bounce's flag, in a later month
SELECT record_bounce('late', 'bob@example.be', '2025-01-20 08:00', '{3}', 550, '5.1.1') > 0 AS recorded;
SELECT record_bounce('late2', 'ann@example.be', '2025-03-20 08:00', '{1}', 550, '5.1.1') > 0 AS recorded;
CALL refresh();
SELECT last_kind, last_events FROM refresh_state;
SELECT address, occurred_at, recurring FROM flagged_event WHERE address IN ('ann@example.be', 'bob@example.be') ORDER BY 1, 2;
CREATE TEMP TABLE inc_m AS SELECT * FROM monthly;
CREATE TEMP TABLE inc_s AS SELECT * FROM monthly_status;
CREATE TEMP TABLE inc_e AS SELECT * FROM event_flags;
CALL refresh(full => true);
SELECT last_kind FROM refresh_state;
SELECT (SELECT count(*) FROM (TABLE inc_m EXCEPT TABLE monthly) d) + (SELECT count(*) FROM (TABLE monthly EXCEPT TABLE inc_m) d)
     + (SELECT count(*) FROM (TABLE inc_s EXCEPT TABLE monthly_status) d) + (SELECT count(*) FROM (TABLE monthly_status EXCEPT TABLE inc_s) d)
     + (SELECT count(*) FROM (TABLE inc_e EXCEPT TABLE event_flags) d) + (SELECT count(*) FROM (TABLE event_flags EXCEPT TABLE inc_e) d)
       AS incremental_vs_full_differences;
-- nothing new: the refresh reads two empty queues and writes nothing, not
-- even refresh_state (which still describes the last refresh that worked)
SELECT refreshed_at AS refreshed_before FROM refresh_state \gset
CALL refresh();
SELECT last_kind, last_events, refreshed_at = :'refreshed_before' AS refresh_state_unchanged FROM refresh_state;

-- settings: star bands apply at once; the counting rule forces a full refresh
UPDATE config SET star3_max = 0, star2_max = 1, star1_max = 2;
SELECT registrar, label, stars FROM quarterly_score WHERE quarter = '2025-01-01' ORDER BY registrar;
UPDATE config SET star3_max = DEFAULT, star2_max = DEFAULT, star1_max = DEFAULT, count_kind = 'hard';
CALL refresh();
SELECT last_kind FROM refresh_state;
UPDATE config SET count_kind = DEFAULT;
CALL refresh();

-- helpers
SELECT sparkline(ARRAY[0, 1, 2, 3, 4, 5, 6, 7]::numeric[]), sparkline(ARRAY[0, 0]::numeric[]), sparkline(ARRAY[5, NULL, 10]::numeric[]), sparkline(NULL);
-- ties round away from zero, as numeric round() does; negatives draw as 0
SELECT sparkline('{1, 14}'), sparkline('{0.3, 4.2}'), sparkline('{-5, 10}'), sparkline('{-5, -1}'), sparkline('{NULL, NULL}');
SELECT sparkline('{}') IS NULL AS empty_is_null, sparkline('{{1, 2}, {3, 4}}') AS flattened;
SELECT sparkline('{1, NaN}');
-- the C version equals its definition in SQL, on random arrays
CREATE FUNCTION pg_temp.sparkline_sql(vals numeric[]) RETURNS text LANGUAGE sql AS $$
	SELECT string_agg(CASE WHEN v IS NULL THEN ' ' WHEN mx <= 0 THEN U&'\2581'
	                       ELSE substr(U&'\2581\2582\2583\2584\2585\2586\2587\2588', 1 + round(7 * greatest(v, 0) / mx)::integer, 1) END, '' ORDER BY i)
	  FROM unnest(vals) WITH ORDINALITY AS u(v, i), (SELECT coalesce(max(x), 0) AS mx FROM unnest(vals) x) m $$;
SELECT setseed(0.25);
SELECT count(*) AS arrays, count(*) FILTER (WHERE sparkline(a) IS DISTINCT FROM pg_temp.sparkline_sql(a)) AS differ
  FROM (SELECT ARRAY(SELECT CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 200 - 20)::numeric, (random() * 3)::int) END
                       FROM generate_series(1, 1 + (g % 12))) AS a
          FROM generate_series(1, 3000) g) s;
SELECT stars(x) FROM unnest(ARRAY[0, 150, 150.1, 400, 1000, 1000.1]::numeric[]) x;

-- every view is security_invoker, every table has row-level security or holds no registrar data
SELECT c.relname, c.relkind, c.relrowsecurity, c.reloptions
  FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bounce') AND c.relkind IN ('r', 'v')
 ORDER BY c.relkind, c.relname;

-- a bounce known only by its diagnostic text: record_bounce(), record_batch() and
-- COPY store the codes the text states (a code given is kept), so it is
-- permanent and counts
BEGIN;
SELECT record_bounce('d1', 'diag@x.be', '2025-05-01', '{1}', diagnostic => '550 5.1.1 User unknown') > 0 AS recorded;
SELECT count(*) FROM record_batch('[{"key": "d2", "address": "diag@x.be", "occurred_at": "2025-05-20", "registrars": [1], "diagnostic": "550-5.1.1 The email account does not exist"}]');
COPY ingest (idempotency_key, address, occurred_at, registrars, reply_code, diagnostic) FROM stdin;
d3	diag@x.be	2025-06-10	{1}	551	550 5.1.1 User unknown
\.
SELECT idempotency_key, reply_code, status, reason, hard, permanent FROM event WHERE address = 'diag@x.be' ORDER BY 1;
ROLLBACK;
