-- contact and load_contacts(): which registrar's domain used an address,
-- and when; bounces recorded without registrars (NULL) are attributed from it.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET search_path = bounce, public;
\set VERBOSITY terse
\pset null '(null)'

-- Everything below is rolled back, and the event id sequence put back.
SELECT last_value AS seq_last, is_called AS seq_called FROM bounce.event_id_seq \gset
BEGIN;
INSERT INTO registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'retail'), (3, 'Gamma', 'retail');

-- the registry's own data, as a table of its own
CREATE TABLE pg_temp.reg_contacts (address text, registrar_id integer, domain text, valid tstzrange);
INSERT INTO pg_temp.reg_contacts VALUES
	('ann@Example.BE', 1, 'ann.be', '[2024-01-01, 2025-01-01)'),   -- normalised: the domain case-folded
	('ann@example.be', 1, 'ann.be', '[2024-06-01, 2025-06-01)'),   -- overlaps: merged
	('Ann@example.be', 1, 'ann.be', '[2024-01-01,)'),              -- the local part is kept as it is: another address
	('ann@example.be', 1, 'ann.be', '[2025-06-01, 2025-09-01)'),   -- touches: merged
	('ann@example.be', 1, 'ann.be', '[2026-01-01,)'),              -- a gap: apart
	('ann@example.be', 1, 'ann-shop.be', '[2024-01-01,)'),         -- another domain
	('ann@example.be', 2, 'ann.eu', '[2025-03-01,)'),              -- transferred
	('ann@example.be', 2, 'ann.eu', '[2025-03-01,)'),              -- registrant and admin contact: one row
	('bob@example.be', 2, 'bob.be', '(,)'),                        -- always
	('not an address', 3, 'junk.be', '[2024-01-01,)'),             -- skipped, counted
	(NULL, 3, 'none.be', '[2024-01-01,)'),                         -- skipped, counted
	('carl@example.be', 3, 'carl.be', 'empty');                    -- an empty span: nothing

SELECT * FROM load_contacts('pg_temp.reg_contacts');
SELECT address, registrar_id, domain, valid FROM contact ORDER BY address, registrar_id, domain, lower(valid) NULLS FIRST;
-- the same source again changes nothing
SELECT * FROM load_contacts('pg_temp.reg_contacts');
-- a change: one row ends, one appears; the rest is not rewritten
UPDATE pg_temp.reg_contacts SET valid = '[2024-01-01, 2025-12-01)' WHERE domain = 'ann-shop.be';
INSERT INTO pg_temp.reg_contacts VALUES ('dora@example.be', 3, 'dora.be', '[2025-01-01,)');
SELECT ctid AS bob_ctid FROM contact WHERE address = 'bob@example.be' \gset
SELECT * FROM load_contacts('pg_temp.reg_contacts');
SELECT ctid = :'bob_ctid' AS bob_untouched FROM contact WHERE address = 'bob@example.be';
-- one registrar's contacts: the others' rows stay, whatever the source holds
DELETE FROM pg_temp.reg_contacts WHERE registrar_id = 3;
SELECT * FROM load_contacts('pg_temp.reg_contacts', 2);
SELECT count(*) AS dora_kept FROM contact WHERE registrar_id = 3;
SELECT * FROM load_contacts('pg_temp.reg_contacts', 3);
SELECT count(*) AS registrar_3_left FROM contact WHERE registrar_id = 3;
-- a view over the registry's tables, with created and deleted times
CREATE TABLE pg_temp.domains (name text, registrar integer, email text, created timestamptz, deleted timestamptz);
INSERT INTO pg_temp.domains VALUES ('eve.be', 3, 'eve@example.be', '2025-02-01', NULL), ('old.be', 3, 'eve@example.be', '2023-01-01', '2024-01-01');
CREATE VIEW pg_temp.domain_contacts AS
	SELECT email AS address, registrar AS registrar_id, name AS domain, tstzrange(created, deleted) AS valid FROM pg_temp.domains;
SELECT * FROM load_contacts('pg_temp.domain_contacts', 3);
SELECT address, domain, valid FROM contact WHERE registrar_id = 3 ORDER BY domain;
SELECT * FROM load_contacts('pg_temp.reg_contacts');   -- the whole set: registrar 3 has none there

-- bad sources: an error naming the problem, and nothing changes
SELECT count(*) AS contacts_before FROM contact;
SAVEPOINT s;
SELECT * FROM load_contacts(NULL);
ROLLBACK TO s;
SELECT * FROM load_contacts('pg_temp.no_such_table');
ROLLBACK TO s;
CREATE TABLE pg_temp.wrong (address text, registrar integer, domain text);
SELECT * FROM load_contacts('pg_temp.wrong');
ROLLBACK TO s;
INSERT INTO pg_temp.reg_contacts VALUES ('zed@example.be', NULL, 'zed.be', '[2025-01-01,)');
SELECT * FROM load_contacts('pg_temp.reg_contacts');
ROLLBACK TO s;
INSERT INTO pg_temp.reg_contacts VALUES ('zed@example.be', 99, 'zed.be', '[2025-01-01,)');
SELECT * FROM load_contacts('pg_temp.reg_contacts');
ROLLBACK TO s;
INSERT INTO pg_temp.reg_contacts VALUES ('zed@example.be', 1, ' ', '[2025-01-01,)');
SELECT * FROM load_contacts('pg_temp.reg_contacts');
ROLLBACK TO s;
INSERT INTO pg_temp.reg_contacts VALUES ('zed@example.be', 1, 'zed.be', NULL);
SELECT * FROM load_contacts('pg_temp.reg_contacts');
ROLLBACK TO s;
SELECT * FROM load_contacts('pg_temp.reg_contacts', 99);
ROLLBACK TO s;
-- a writer may load only a source it may read itself
CREATE ROLE regress_bounce_contact_writer;
SELECT grant_writer('regress_bounce_contact_writer');
SET ROLE regress_bounce_contact_writer;
SELECT * FROM load_contacts('pg_temp.reg_contacts');
ROLLBACK TO s;
CREATE TABLE pg_temp.badtype (address text, registrar_id integer, domain text, valid daterange);
INSERT INTO pg_temp.badtype VALUES ('zed@example.be', 1, 'zed.be', '[2025-01-01,)');
SELECT * FROM load_contacts('pg_temp.badtype');
ROLLBACK TO s;
SELECT count(*) AS contacts_after FROM contact;
-- the table refuses what load_contacts would never write
INSERT INTO contact VALUES ('not an address', 1, 'x.be', '[2025-01-01,)');
ROLLBACK TO s;
INSERT INTO contact VALUES ('x@example.be', 1, 'x.be', 'empty');
ROLLBACK TO s;

-- Attribution from the contacts: registrars NULL.  ann@example.be in
-- 2025-04 was ann.be's and ann-shop.be's (registrar 1) and ann.eu's (2).
SELECT record_bounce('c1', 'ann@example.be', '2025-04-01', NULL, 550, '5.1.1') AS c1 \gset
SELECT registrar_id, domains FROM attribution WHERE event_id = :c1 ORDER BY registrar_id;
-- in 2025-10 only ann-shop.be (1) and ann.eu (2); in 2023 nobody's: recorded against no registrar
SELECT record_bounce('c2', 'ann@EXAMPLE.be', '2025-10-01', NULL, 550, '5.1.1') AS c2 \gset
SELECT registrar_id, domains FROM attribution WHERE event_id = :c2 ORDER BY registrar_id;
SELECT record_bounce('c3', 'ann@example.be', '2023-01-01', NULL, 550, '5.1.1') AS c3 \gset
SELECT count(*) AS attributed FROM attribution WHERE event_id = :c3;
-- registrars given: those, with no domains
SELECT record_bounce('c4', 'ann@example.be', '2025-04-01', '{3}', 550, '5.1.1') AS c4 \gset
SELECT registrar_id, domains FROM attribution WHERE event_id = :c4;
-- record_batch: null or missing registrars, from the contacts
SELECT element, is_new FROM record_batch('[{"key": "c5", "address": "bob@example.be", "occurred_at": "2025-04-01", "reply_code": 550},
	{"key": "c6", "address": "bob@example.be", "occurred_at": "2025-04-02", "registrars": null, "reply_code": 550},
	{"key": "c7", "address": "bob@example.be", "occurred_at": "2025-04-03", "registrars": [], "reply_code": 550}]');
SELECT e.idempotency_key, a.registrar_id, a.domains FROM event e LEFT JOIN attribution a ON a.event_id = e.id
 WHERE e.idempotency_key IN ('c5', 'c6', 'c7') ORDER BY 1;
-- COPY into ingest
INSERT INTO ingest (idempotency_key, address, occurred_at, registrars, reply_code) VALUES ('c8', 'bob@example.be', '2025-04-04', NULL, 550);
SELECT a.registrar_id, a.domains FROM event e JOIN attribution a ON a.event_id = e.id WHERE e.idempotency_key = 'c8';
-- record_dsn and record_dsn_batch: each recipient from its own contacts
CREATE TEMP TABLE msg AS SELECT $m$From: MAILER-DAEMON@mx.example.org
Content-Type: multipart/report; report-type=delivery-status; boundary=B
Message-ID: <r1@mx.example.org>

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; ann@example.be
Action: failed
Status: 5.1.1
Last-Attempt-Date: Tue, 1 Apr 2025 10:00:00 +0000

Final-Recipient: rfc822; bob@example.be
Action: failed
Status: 5.1.1
Last-Attempt-Date: Tue, 1 Apr 2025 10:00:00 +0000

--B
Content-Type: text/rfc822-headers

Message-ID: <orig-c@example.com>

--B--
$m$::text AS m;
SELECT recipient, outcome, is_new FROM record_dsn((SELECT m FROM msg), NULL);
SELECT e.address, a.registrar_id, a.domains FROM event e JOIN attribution a ON a.event_id = e.id
 WHERE e.idempotency_key LIKE 'orig-c@%' ORDER BY 1, 2;
SELECT message, recipient, outcome, is_new
  FROM record_dsn_batch(ARRAY[convert_to(replace((SELECT m FROM msg), 'orig-c', 'orig-d'), 'UTF8')], NULL);
SELECT e.address, a.registrar_id, a.domains FROM event e JOIN attribution a ON a.event_id = e.id
 WHERE e.idempotency_key LIKE 'orig-d@%' ORDER BY 1, 2;
-- the two paths attribute alike
SELECT count(*) AS differences FROM (
	(SELECT e.address, a.registrar_id, a.domains FROM event e JOIN attribution a ON a.event_id = e.id WHERE e.idempotency_key LIKE 'orig-c@%'
	 EXCEPT SELECT e.address, a.registrar_id, a.domains FROM event e JOIN attribution a ON a.event_id = e.id WHERE e.idempotency_key LIKE 'orig-d@%')
	UNION ALL
	(SELECT e.address, a.registrar_id, a.domains FROM event e JOIN attribution a ON a.event_id = e.id WHERE e.idempotency_key LIKE 'orig-d@%'
	 EXCEPT SELECT e.address, a.registrar_id, a.domains FROM event e JOIN attribution a ON a.event_id = e.id WHERE e.idempotency_key LIKE 'orig-c@%')) d;

-- fix_list names the domains: a second bounce of ann@example.be a month
-- later makes the first recurring
SELECT record_bounce('c9', 'ann@example.be', '2025-05-01', NULL, 550, '5.1.1') > 0 AS recorded;
CALL refresh();
SELECT registrar, address, recurring_bounces, counted_bounces, domains FROM fix_list
 WHERE address = 'ann@example.be' ORDER BY registrar_id;
-- a registrar's own fix_list, through my_fix_list()
CREATE ROLE regress_bounce_contact_alpha;
SELECT grant_registrar(1, 'regress_bounce_contact_alpha');
SAVEPOINT r;
SET ROLE regress_bounce_contact_alpha;
SELECT registrar, address, domains FROM my_fix_list() ORDER BY address;
SELECT count(*) FROM contact;                   -- a registrar reads no table
ROLLBACK TO r;
SELECT current_user = session_user AS role_reset;
SELECT revoke_role('regress_bounce_contact_alpha');

-- with no contact at all, NULL is an error again
DELETE FROM contact;
SELECT record_bounce('c10', 'ann@example.be', '2025-04-01', NULL, 550);
ROLLBACK;
SELECT setval('bounce.event_id_seq', :seq_last, :'seq_called'::boolean) IS NOT NULL AS sequence_restored;
SELECT count(*) AS contacts_left FROM bounce.contact;
