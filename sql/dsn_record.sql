-- record_dsn: bounce e-mails ingested through bounce.record_bounce.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET search_path = bounce, public;
\set VERBOSITY terse
\pset null '(null)'

-- Everything below is rolled back, and the event id sequence put back, so
-- that the other tests in this database see the registry untouched.
SELECT last_value AS seq_last, is_called AS seq_called FROM bounce.event_id_seq \gset
BEGIN;
INSERT INTO registrar VALUES (1, 'Alpha', 'reseller');

-- A DSN with one failed and one delayed recipient: only the failure is
-- recorded, at its Last-Attempt-Date, keyed by Message-ID plus recipient.
CREATE TEMP TABLE msg AS SELECT $m$From: MAILER-DAEMON@mx.example.org
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary=B

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; Gone@Example.NET
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.net>: Recipient address rejected:
    User unknown in virtual mailbox table
Last-Attempt-Date: Wed, 15 Jan 2025 10:00:00 +0100

Final-Recipient: rfc822; slow@example.com
Action: delayed
Status: 4.4.1

--B
Content-Type: text/rfc822-headers

From: sender@example.com
To: gone@example.net, slow@example.com
Message-ID: <orig-1@example.com>

--B--
$m$::text AS m;

SELECT recipient, action, status, reply_code, format, outcome, bounce_id IS NOT NULL AS recorded, is_new
  FROM record_dsn((SELECT m FROM msg), '{1}');
SELECT idempotency_key, address, occurred_at, reply_code, status, permanent FROM event;
SELECT registrar_id FROM attribution;
-- the same e-mail again records nothing new (same id back, is_new false;
-- NULL for a row that records nothing)
SELECT outcome, is_new FROM record_dsn((SELECT m FROM msg), '{1}');
SELECT count(*) AS events FROM event;
SELECT (SELECT bounce_id FROM record_dsn((SELECT m FROM msg), '{1}') WHERE outcome = 'recorded')
     = (SELECT id FROM event) AS same_id;
-- the bytea form; an explicit time wins over Last-Attempt-Date
SELECT outcome FROM record_dsn(convert_to(replace((SELECT m FROM msg), 'orig-1', 'orig-2'), 'UTF8'),
                               '{1}', '2025-02-01 00:00+00');
SELECT occurred_at FROM event WHERE idempotency_key LIKE 'orig-2%';
-- one message naming a recipient twice: the first row is new, the second not
SELECT recipient, outcome, is_new FROM record_dsn(replace(replace((SELECT m FROM msg), 'orig-1', 'orig-twice'),
       'Final-Recipient: rfc822; slow@example.com' || E'\nAction: delayed', 'Final-Recipient: rfc822; Gone@Example.NET' || E'\nAction: failed'), '{1}');
-- local parts differing in case are two addresses (normalize_address keeps the
-- local part as written), and the key is unique per address: both are new
SAVEPOINT two_cases;
SELECT recipient, outcome, is_new FROM record_dsn(replace(replace((SELECT m FROM msg), 'orig-1', 'orig-cases'),
       'Final-Recipient: rfc822; slow@example.com' || E'\nAction: delayed', 'Final-Recipient: rfc822; gone@example.net' || E'\nAction: failed'), '{1}');
ROLLBACK TO SAVEPOINT two_cases;
-- is_new is record_dsn_batch's for the same messages
SELECT b.outcome, b.is_new FROM record_dsn_batch(ARRAY[convert_to((SELECT m FROM msg), 'UTF8')], '{1}') b;
-- the column order: the new column comes last
SELECT string_agg(a, ', ' ORDER BY o) FROM unnest((SELECT proargnames FROM pg_proc WHERE oid = 'record_dsn(bytea, integer[], timestamptz)'::regprocedure)) WITH ORDINALITY AS x(a, o);

-- a plain-text bounce has no Last-Attempt-Date: its Date header is the time
SELECT outcome, recipient, format FROM record_dsn($m$From: MAILER-DAEMON@mail.example.org
To: sender@example.com
Date: Thu, 6 Mar 2025 12:00:00 +0100
Subject: failure notice

Hi. This is the qmail-send program at mail.example.org.

<nobody@example.org>:
Sorry, no mailbox here by that name. (#5.1.1)
$m$, '{1}');
SELECT address, occurred_at, status FROM event WHERE address = 'nobody@example.org';

-- not bounces: reported, not recorded
SELECT outcome, recipient, format FROM record_dsn($m$From: Holiday Person <away@example.net>
To: sender@example.com
Subject: Away until Monday
Auto-Submitted: auto-replied

I am out of the office until Monday.
$m$, '{1}');
SELECT outcome, recipient FROM record_dsn($m$From: abuse@isp.example
Content-Type: multipart/report; report-type=feedback-report; boundary=a

--a
Content-Type: message/feedback-report

Feedback-Type: abuse
Original-Rcpt-To: complainer@isp.example

--a--
$m$, '{1}');
SELECT outcome, recipient FROM record_dsn($m$Content-Type: message/delivery-status

Final-Recipient: rfc822; happy@example.net
Action: delivered
Status: 2.0.0
$m$, '{1}');
SELECT outcome, recipient FROM record_dsn('hello, this is not a bounce', '{1}');
-- a person's e-mail that names an address is not a bounce: nothing recorded,
-- however often it comes
SELECT outcome, recipient FROM record_dsn('please send the invoice to an.janssens@customer.be', '{1}');
SELECT outcome, recipient FROM record_dsn(E'From: Jan <jan@customer.be>\nSubject: invoice\n\nplease send the invoice to an.janssens@customer.be\n', '{1}');
SELECT outcome, recipient FROM record_dsn('\x89504e470d0a1a0a40e9e92e62650a'::bytea, '{1}');
SELECT count(*) AS events FROM event;

-- the reason PowerMTA states (X-PowerMTA-BounceCategory) is the one recorded, via
-- record_bounce(..., reason => ...); the classifier alone would say filtered for 5.2.1
SELECT outcome, recipient FROM record_dsn(E'From: MAILER-DAEMON@mta.example.org\nMessage-ID: <pmta-1@mta.example.org>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.example.org\n\nFinal-Recipient: rfc822; pmta@example.jp\nAction: failed\nStatus: 5.2.1\nDiagnostic-Code: smtp; 550 5.2.1 <pmta@example.jp>... User Unknown\nX-PowerMTA-BounceCategory: bad-mailbox\n\n--B--\n', '{1}');
SELECT reason, hard, classify(diagnostic, reply_code, status) AS classifier_alone FROM event WHERE address = 'pmta@example.jp';
SELECT record_bounce('explicit-reason', 'x@example.jp', '2025-01-01', '{1}', 550, '5.2.1', 'User Unknown', reason => 'userunknown') AS xid \gset
SELECT reason, hard FROM event WHERE id = :xid;

-- a Message-ID of 3 KB: the key holds its SHA-256 (a 3 KB key would be
-- refused), so the message is recorded, and only once
SELECT E'From: MAILER-DAEMON@mta.example.org\nMessage-ID: <' || repeat('x', 3000) || E'@mta.example.org>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.example.org\n\nFinal-Recipient: rfc822; long@example.jp\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n\n--B--\n' AS long_id \gset
SELECT outcome, recipient, bounce_id IS NOT NULL AS recorded FROM record_dsn(:'long_id', '{1}');
SELECT outcome, (SELECT count(*) FROM event WHERE address = 'long@example.jp') AS bounces FROM record_dsn(:'long_id', '{1}');
SELECT left(idempotency_key, 7) AS key_start, octet_length(idempotency_key) AS key_bytes FROM event WHERE address = 'long@example.jp';

-- bad input: clear errors, nothing recorded
SAVEPOINT s;
SELECT * FROM record_dsn(NULL::text, '{1}');
ROLLBACK TO s;
SELECT * FROM record_dsn((SELECT replace(m, 'orig-1', 'orig-3') FROM msg), '{99}');
ROLLBACK TO s;
-- NULL registrars, with no contact loaded, is an error ('{}' is the
-- explicit "no registrar"; contact.sql: NULL with contacts)
SELECT * FROM record_dsn((SELECT replace(m, 'orig-1', 'orig-3') FROM msg), NULL);
ROLLBACK TO s;
SELECT count(*) AS events FROM event;
ROLLBACK;
SELECT setval('bounce.event_id_seq', :seq_last, :'seq_called'::boolean) IS NOT NULL AS sequence_restored;
