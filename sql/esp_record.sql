-- record_esp_event: the providers' documented example payloads (test/esp/)
-- recorded as record_dsn records a bounce e-mail: outcomes, keys, codes,
-- idempotency, attribution, and bad payloads that record nothing.
SET search_path = bounce, public;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

CREATE TEMP TABLE fixture (name text PRIMARY KEY, payload jsonb);
\set f `cat test/esp/ses-bounce.json`
INSERT INTO fixture VALUES ('ses-bounce', :'f');
\set f `cat test/esp/ses-complaint.json`
INSERT INTO fixture VALUES ('ses-complaint', :'f');
\set f `cat test/esp/ses-delivery.json`
INSERT INTO fixture VALUES ('ses-delivery', :'f');
\set f `cat test/esp/ses-sns-envelope.json`
INSERT INTO fixture VALUES ('ses-sns-envelope', :'f');
\set f `cat test/esp/ses-event-bounce.json`
INSERT INTO fixture VALUES ('ses-event-bounce', :'f');
\set f `cat test/esp/ses-event-deliverydelay.json`
INSERT INTO fixture VALUES ('ses-event-deliverydelay', :'f');
\set f `cat test/esp/sendgrid-events.json`
INSERT INTO fixture VALUES ('sendgrid-events', :'f');
\set f `cat test/esp/postmark-bounce.json`
INSERT INTO fixture VALUES ('postmark-bounce', :'f');
\set f `cat test/esp/postmark-spam-complaint.json`
INSERT INTO fixture VALUES ('postmark-spam-complaint', :'f');
\set f `cat test/esp/mailgun-failed-permanent.json`
INSERT INTO fixture VALUES ('mailgun-failed-permanent', :'f');
\set f `cat test/esp/mailgun-failed-temporary.json`
INSERT INTO fixture VALUES ('mailgun-failed-temporary', :'f');
\set f `cat test/esp/sparkpost-batch.json`
INSERT INTO fixture VALUES ('sparkpost-batch', :'f');
\set VERBOSITY terse

-- Everything below is rolled back, and the event id sequence put back.
SELECT last_value AS seq_last, is_called AS seq_called FROM bounce.event_id_seq \gset
BEGIN;
INSERT INTO registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'retail');

-- Every fixture: each recipient's outcome; only failures are recorded
SELECT f.name, r.element, r.recipient, r.action, r.status, r.format, r.outcome, r.bounce_id IS NOT NULL AS recorded, r.is_new
  FROM fixture f, record_esp_event(f.payload, '{1}') r ORDER BY f.name, r.element, r.recipient;
-- what is stored: the key (provider, message id, recipient), the time,
-- the codes (5.0.0 for a permanent failure the provider gives no code
-- for), the provider's reason, and the registrar
SELECT e.idempotency_key, e.address, e.occurred_at, e.reply_code, e.status, e.reason, e.hard, e.permanent,
       array_agg(a.registrar_id) AS registrars
  FROM event e LEFT JOIN attribution a ON a.address = e.address AND a.event_id = e.id GROUP BY e.address, e.id ORDER BY e.idempotency_key;
-- each is what parse_esp_event read
SELECT count(*) AS failures, count(*) FILTER (WHERE e.id IS NULL OR e.address <> normalize_address(p.recipient)
    OR e.occurred_at <> p.occurred_at OR e.reason IS DISTINCT FROM p.reason OR e.hard IS DISTINCT FROM p.hard
    OR e.permanent IS DISTINCT FROM p.permanent) AS unlike_parse_esp_event
  FROM fixture f, parse_esp_event(f.payload) p
  LEFT JOIN event e ON e.idempotency_key = p.format || ':' || coalesce(p.message_id, p.event_id) || ' ' || lower(p.recipient)
 WHERE p.action = 'failed';

-- the provider posts again: nothing new, the same ids
SELECT count(*) AS events FROM event \gset
SELECT r.element, r.outcome, r.is_new FROM record_esp_event((SELECT payload FROM fixture WHERE name = 'sendgrid-events'), '{1}') r
 WHERE r.outcome = 'recorded' ORDER BY r.element;
SELECT count(*) = :events AS nothing_new FROM event;
SELECT bool_and(r.bounce_id = e.id) AS same_ids
  FROM fixture f, record_esp_event(f.payload, '{1}') r
  JOIN event e ON e.idempotency_key LIKE r.format || ':%' AND e.address = r.recipient
 WHERE r.outcome = 'recorded';
-- one recipient twice in one batch: the first is new, the second not
SELECT element, outcome, is_new FROM record_esp_event('[
  {"email": "twice@example.net", "timestamp": 1735689600, "event": "bounce", "type": "bounce", "status": "5.1.1", "sg_message_id": "tw1", "sg_event_id": "t1"},
  {"email": "twice@example.net", "timestamp": 1735689601, "event": "bounce", "type": "bounce", "status": "5.1.1", "sg_message_id": "tw1", "sg_event_id": "t2"}]', '{}');
-- an explicit time wins over the event's
SELECT outcome FROM record_esp_event('{"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "Email": "late@example.net",
  "MessageID": "pm-late", "BouncedAt": "2025-01-02T10:00:00Z"}', '{}', '2025-01-03 00:00+00');
SELECT occurred_at FROM event WHERE address = 'late@example.net';
-- an event without ids is keyed by the payload's SHA-256 and its position
SELECT outcome FROM record_esp_event('{"event": "bounce", "type": "bounce", "email": "noid@example.net", "timestamp": 1735689600, "status": "5.1.1"}', '{}');
SELECT left(idempotency_key, 16) AS key_start FROM event WHERE address = 'noid@example.net';
-- a payload with nothing about delivery
SELECT element, outcome, bounce_id FROM record_esp_event('[{"email": "a@example.net", "timestamp": 1735689600, "event": "open", "sg_event_id": "o1"}]', '{}');
-- a malformed recipient is skipped, as record_dsn skips it
SELECT recipient, outcome FROM record_esp_event('{"event": "bounce", "type": "bounce", "email": "not an address", "timestamp": 1735689600, "sg_message_id": "bad1"}', '{}');

-- registrars NULL: from the contacts
CREATE TABLE pg_temp.c (address text, registrar_id integer, domain text, valid tstzrange);
INSERT INTO pg_temp.c VALUES ('gone@test.com', 2, 'gone.be', '(,)');
SELECT inserted FROM load_contacts('pg_temp.c');
SELECT outcome, is_new FROM record_esp_event((SELECT payload FROM fixture WHERE name = 'sendgrid-events')::jsonb #- '{3,sg_message_id}', NULL) WHERE recipient = 'gone@test.com';
SELECT a.registrar_id, a.domains FROM event e JOIN attribution a ON a.event_id = e.id
 WHERE e.idempotency_key LIKE 'sendgrid:sg_event_id_4 %';

-- bad payloads: an error naming the event and the field, nothing recorded
SELECT count(*) AS events FROM event \gset
SAVEPOINT s;
SELECT * FROM record_esp_event(NULL, '{}');
ROLLBACK TO s;
SELECT * FROM record_esp_event('[{"email": "ok@example.net", "timestamp": 1735689600, "event": "bounce", "type": "bounce", "sg_message_id": "ok1"},
  {"email": "x@example.net", "timestamp": 1735689600, "event": "bounced"}]', '{}');
ROLLBACK TO s;
SELECT * FROM record_esp_event('{"notificationType": "Bounce", "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "bouncedRecipients": [{}]}}', '{}');
ROLLBACK TO s;
SELECT * FROM record_esp_event('"just a string"', '{}');
ROLLBACK TO s;
-- a row record_bounce() refuses: named by its event and recipient
SELECT * FROM record_esp_event('[{"email": "ok@example.net", "timestamp": 1735689600, "event": "bounce", "type": "bounce", "sg_message_id": "ok2"},
  {"email": "future@example.net", "timestamp": 32503680000, "event": "bounce", "type": "bounce", "sg_message_id": "f1"}]', '{}');
ROLLBACK TO s;
SELECT * FROM record_esp_event('{"email": "ok@example.net", "timestamp": 1735689600, "event": "bounce", "type": "bounce", "sg_message_id": "ok3"}', '{99}');
ROLLBACK TO s;
DELETE FROM contact;
SELECT * FROM record_esp_event('{"email": "ok@example.net", "timestamp": 1735689600, "event": "bounce", "type": "bounce", "sg_message_id": "ok4"}', NULL);
ROLLBACK TO s;
SELECT count(*) = :events AS nothing_recorded FROM event;
-- writers only
SELECT has_function_privilege('public', 'record_esp_event(jsonb, integer[], timestamptz)', 'EXECUTE') AS public_may_run;
ROLLBACK;
SELECT setval('bounce.event_id_seq', :seq_last, :'seq_called'::boolean) IS NOT NULL AS sequence_restored;
