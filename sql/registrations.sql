-- load_registrations(): month-end registration counts from a domain table
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET search_path = bounce, public;
\set VERBOSITY terse
\pset null '(null)'

BEGIN;
INSERT INTO registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'retail'), (3, 'Gamma', 'retail');
-- the registry's domains: created, deleted (NULL while registered)
CREATE TABLE pg_temp.domains (name text, registrar_id integer, created timestamptz, deleted timestamptz);
INSERT INTO pg_temp.domains VALUES
	('a1.be', 1, '2024-12-15', NULL),
	('a2.be', 1, '2025-01-10', '2025-02-10'),       -- January only
	('a3.be', 1, '2025-01-31 23:59:59+00', NULL),   -- counts at January's end
	('a4.be', 1, '2025-02-28 23:30:00+00', NULL),   -- created before February ends (UTC)
	('b1.be', 2, '2025-01-01', '2025-01-31 23:00+00'), -- gone by January's end
	('b2.be', 2, '2025-03-01', NULL);

SELECT * FROM load_registrations('pg_temp.domains', '2025-01-01', '2025-03-01');
SELECT registrar_id, month, registrations FROM registration ORDER BY 1, 2;
-- again: nothing changes; a changed month is updated, the rest left alone
SELECT * FROM load_registrations('pg_temp.domains', '2025-01-01', '2025-03-01');
UPDATE pg_temp.domains SET deleted = '2025-03-15' WHERE name = 'a1.be';
SELECT * FROM load_registrations('pg_temp.domains', '2025-01-01', '2025-03-01');
SELECT month, registrations FROM registration WHERE registrar_id = 1 ORDER BY 1;
-- the counts are the domains alive at each month's end, counted by hand
SELECT count(*) AS mismatches FROM registration g
 WHERE g.registrations <> (SELECT count(*) FROM pg_temp.domains d WHERE d.registrar_id = g.registrar_id
                              AND d.created < g.month + interval '1 month'
                              AND (d.deleted IS NULL OR d.deleted >= g.month + interval '1 month'));
-- the month ends in config.time_zone: in Brussels February ends at
-- 2025-02-28 23:00 UTC, before a4.be was created
UPDATE config SET time_zone = 'Europe/Brussels';
SELECT * FROM load_registrations('pg_temp.domains', '2025-02-01');
SELECT registrations FROM registration WHERE registrar_id = 1 AND month = '2025-02-01';
UPDATE config SET time_zone = 'UTC';
-- dates are read in config.time_zone too
CREATE TABLE pg_temp.domains_by_date (registrar_id integer, created date, deleted date);
INSERT INTO pg_temp.domains_by_date VALUES (3, '2025-01-01', NULL), (3, '2025-01-05', '2025-02-01'), (3, '2025-02-01', NULL);
SELECT * FROM load_registrations('pg_temp.domains_by_date', '2025-01-01', '2025-02-01');
SELECT month, registrations FROM registration WHERE registrar_id = 3 ORDER BY 1;
-- the default: the last month that has ended
SELECT months FROM load_registrations('pg_temp.domains_by_date');
SELECT max(month) = (date_trunc('month', now()) - interval '1 month')::date AS last_ended_month FROM registration WHERE registrar_id = 3;
-- the quarters are queued for the next refresh
SELECT count(*) > 0 AS queued FROM quarter_queue;

-- bad input: an error naming the problem, and nothing changes
SELECT count(*) AS rows_before, sum(registrations) AS sum_before FROM registration;
SAVEPOINT s;
SELECT * FROM load_registrations(NULL);
ROLLBACK TO s;
SELECT * FROM load_registrations('pg_temp.domains', '2025-01-15');
ROLLBACK TO s;
SELECT * FROM load_registrations('pg_temp.domains', '2025-03-01', '2025-01-01');
ROLLBACK TO s;
SELECT * FROM load_registrations('pg_temp.domains', '2999-01-01');
ROLLBACK TO s;
SELECT * FROM load_registrations('pg_temp.domains', '1960-01-01', '1960-02-01');
ROLLBACK TO s;
CREATE TABLE pg_temp.nocols (registrar integer, created date);
SELECT * FROM load_registrations('pg_temp.nocols');
ROLLBACK TO s;
CREATE TABLE pg_temp.texttimes (registrar_id integer, created text, deleted text);
SELECT * FROM load_registrations('pg_temp.texttimes');
ROLLBACK TO s;
INSERT INTO pg_temp.domains VALUES ('x.be', 99, '2025-01-01', NULL);
SELECT * FROM load_registrations('pg_temp.domains', '2025-01-01');
ROLLBACK TO s;
INSERT INTO pg_temp.domains VALUES ('x.be', NULL, '2025-01-01', NULL);
SELECT * FROM load_registrations('pg_temp.domains', '2025-01-01');
ROLLBACK TO s;
INSERT INTO pg_temp.domains VALUES ('x.be', 1, NULL, NULL);
SELECT * FROM load_registrations('pg_temp.domains', '2025-01-01');
ROLLBACK TO s;
INSERT INTO pg_temp.domains VALUES ('x.be', 1, '2025-01-05', '2025-01-01');
SELECT * FROM load_registrations('pg_temp.domains', '2025-01-01');
ROLLBACK TO s;
-- a writer may load only a source it may read itself
CREATE ROLE regress_bounce_registrations_writer;
SELECT grant_writer('regress_bounce_registrations_writer');
SET ROLE regress_bounce_registrations_writer;
SELECT * FROM load_registrations('pg_temp.domains', '2025-01-01');
ROLLBACK TO s;
SELECT count(*) AS rows_after, sum(registrations) AS sum_after FROM registration;
ROLLBACK;
