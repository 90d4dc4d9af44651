-- ESP events: bounce.parse_esp_event on the providers' documented example
-- payloads (test/esp/, sources in test/esp/README.md), batches, and bad
-- payloads.
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

-- Every fixture: who, what, the codes, the verdict and the provider's category
SELECT f.name, e.element, e.recipient, e.action, e.status, e.reply_code, e.reason, e.hard, e.permanent,
       e.format, e.category
  FROM fixture f, parse_esp_event(f.payload) e ORDER BY f.name, e.element, e.recipient;

-- The rest of the columns: diagnostic, hosts, time and ids
SELECT f.name, e.element, e.diagnostic, e.remote_mta, e.reporting_mta, e.occurred_at, e.message_id, e.event_id
  FROM fixture f, parse_esp_event(f.payload) e ORDER BY f.name, e.element, e.recipient;

-- Amazon SES: each bounce type states its reason, or leaves it to the reply
SELECT t.bt || '/' || t.bst AS bounce_type, e.action, e.reason, e.permanent
  FROM (VALUES ('Undetermined', 'Undetermined'), ('Permanent', 'General'), ('Permanent', 'NoEmail'),
               ('Permanent', 'Suppressed'), ('Permanent', 'OnAccountSuppressionList'), ('Transient', 'General'),
               ('Transient', 'MailboxFull'), ('Transient', 'MessageTooLarge'), ('Transient', 'ContentRejected'),
               ('Transient', 'AttachmentRejected'), ('Permanent', 'SomethingNew')) t(bt, bst),
       parse_esp_event(jsonb_build_object('notificationType', 'Bounce', 'mail', '{}'::jsonb,
           'bounce', jsonb_build_object('bounceType', t.bt, 'bounceSubType', t.bst,
               'bouncedRecipients', '[{"emailAddress": "ann@example.be"}]'::jsonb))) e;
-- the recipient's own action wins over the type's, as in dsn_ses.c
SELECT action, reason FROM parse_esp_event('{"notificationType": "Bounce", "bounce": {"bounceType": "Transient",
  "bounceSubType": "MailboxFull", "bouncedRecipients": [{"emailAddress": "ann@example.be", "action": "failed"}]}}');
-- the classifier reads the reply of a vague type: General with a 5.2.2
SELECT reason, status, reply_code FROM parse_esp_event('{"notificationType": "Bounce", "bounce": {"bounceType": "Permanent",
  "bounceSubType": "General", "bouncedRecipients": [{"emailAddress": "ann@example.be",
  "diagnosticCode": "smtp; 552 5.2.2 Mailbox full"}]}}');
-- Reject (event publishing): every destination, virusdetected
SELECT recipient, action, reason, category FROM parse_esp_event('{"eventType": "Reject",
  "mail": {"messageId": "m1", "destination": ["a@example.be", "b@example.be"]}, "reject": {"reason": "Bad content"}}');
-- events that are not about delivery give no rows
SELECT count(*) FROM parse_esp_event('{"eventType": "Open", "mail": {"messageId": "m1"}, "open": {}}');
SELECT count(*) FROM parse_esp_event('{"Type": "SubscriptionConfirmation", "MessageId": "x", "Message": "You have chosen to subscribe", "TopicArn": "arn:aws:sns:us-west-2:1:T"}');

-- Postmark: Type and TypeCode, alone or together
SELECT t.type, e.action, e.reason, e.permanent
  FROM (VALUES ('HardBounce'), ('Transient'), ('AutoResponder'), ('AddressChange'), ('DnsError'),
               ('SpamNotification'), ('Unknown'), ('SoftBounce'), ('VirusNotification'), ('BadEmailAddress'),
               ('ManuallyDeactivated'), ('Blocked'), ('DMARCPolicy'), ('Unsubscribe'), ('OpenRelayTest')) t(type)
  LEFT JOIN LATERAL parse_esp_event(jsonb_build_object('RecordType', 'Bounce', 'Type', t.type,
           'Email', 'ann@example.be')) e ON true;
SELECT reason FROM parse_esp_event('{"TypeCode": 4096, "Email": "ann@example.be", "Details": "smtp;552 5.2.2 over quota"}');
-- HardBounce's reply wins when it tells more than "unknown user"
SELECT reason FROM parse_esp_event('{"RecordType": "Bounce", "Type": "HardBounce", "Email": "ann@example.be",
  "Details": "smtp;550 5.7.1 Service unavailable; client host blocked using Spamhaus"}');

-- Mailgun: the Events API's page of items is a batch; the suppressions
SELECT element, recipient, action, reason, category FROM parse_esp_event('{"items": [
  {"event": "failed", "severity": "permanent", "reason": "suppress-bounce", "recipient": "a@example.be", "timestamp": 1521233195},
  {"event": "failed", "severity": "permanent", "reason": "old", "recipient": "b@example.be", "timestamp": 1521233195},
  {"event": "delivered", "recipient": "c@example.be", "delivery-status": {"code": 250, "message": "OK"}},
  {"event": "opened", "recipient": "c@example.be"},
  {"event": "complained", "recipient": "d@example.be"}], "paging": {}}');

-- SparkPost: each bounce class
SELECT c.class, e.action, e.reason, e.permanent, e.category
  FROM generate_series(1, 101) c(class)
  JOIN LATERAL (SELECT * FROM parse_esp_event(jsonb_build_array(jsonb_build_object('msys', jsonb_build_object(
       'message_event', jsonb_build_object('type', 'bounce', 'bounce_class', c.class::text, 'rcpt_to', 'ann@example.be')))))) e
    ON true
 WHERE c.class IN (1, 10, 20, 21, 22, 23, 24, 25, 30, 40, 50, 51, 52, 53, 54, 60, 70, 99) ORDER BY 1;

-- Text is cleaned: control characters, runs of blanks; NULL is no rows
SELECT recipient, diagnostic FROM parse_esp_event(jsonb_build_object('event', 'bounce', 'email', E'  ann@example.be\t',
  'reason', E'550\t5.1.1\n\n  no  such user'));
SELECT count(*) FROM parse_esp_event(NULL);
SELECT count(*) FROM parse_esp_event('[]');

-- Bad payloads: an error naming the event and the field
SELECT * FROM parse_esp_event('{"foo": 1}');
SELECT * FROM parse_esp_event('"a string"');
SELECT * FROM parse_esp_event('[{"event": "bounce", "email": "a@example.be"}, 42]');
SELECT * FROM parse_esp_event('[{"event": "bounce", "email": "a@example.be"}, {"event": "bounced", "email": "b@example.be"}]');
SELECT * FROM parse_esp_event('{"event": "bounce", "email": {"address": "a@example.be"}}');
SELECT * FROM parse_esp_event('{"event": "bounce", "email": "a@example.be", "bounce_classification": "Unheard Of"}');
SELECT * FROM parse_esp_event('{"event": "bounce", "email": "a@example.be", "timestamp": "yesterday"}');
SELECT * FROM parse_esp_event('{"notificationType": "Bounce", "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"action": "failed"}]}}');
SELECT * FROM parse_esp_event('{"notificationType": "Bounce", "bounce": {"bounceType": "Sometimes", "bouncedRecipients": []}}');
SELECT * FROM parse_esp_event('{"notificationType": "Bounced", "mail": {}}');
SELECT * FROM parse_esp_event('{"notificationType": "Bounce", "mail": {}}');
SELECT * FROM parse_esp_event('{"Type": "Notification", "MessageId": "x", "TopicArn": "t", "Message": "{not json"}');
SELECT * FROM parse_esp_event('{"Type": "Notification", "MessageId": "x", "TopicArn": "t", "Message": "{\"event\": \"bounce\", \"email\": \"a@example.be\"}"}');
SELECT * FROM parse_esp_event('{"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 2, "Email": "a@example.be"}');
SELECT * FROM parse_esp_event('{"RecordType": "Bounce", "TypeCode": 3, "Email": "a@example.be"}');
SELECT * FROM parse_esp_event('{"event-data": {"event": "failed", "severity": "fatal", "recipient": "a@example.be"}}');
SELECT * FROM parse_esp_event('[{"msys": {"message_event": {"type": "bounce", "bounce_class": "ten", "rcpt_to": "a@example.be"}}}]');
SELECT * FROM parse_esp_event('[{"msys": {"message_event": {"type": "bounce", "bounce_class": "10"}}}]');
-- nesting past 64 levels: the parser's limit
SELECT count(*) FROM parse_esp_event((repeat('{"a":', 70) || '1' || repeat('}', 70))::jsonb);

-- Volatility, strictness and parallel safety as documented
SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel, p.proretset,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc p WHERE p.pronamespace = 'bounce'::regnamespace AND p.proname = 'parse_esp_event';
