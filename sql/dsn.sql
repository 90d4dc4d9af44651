-- DSN parser: bounce.parse_dsn and bounce.parse_dsn_fields.
SET search_path = bounce, public;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

-- An RFC 3464 / RFC 6522 report: two recipients, a folded Diagnostic-Code,
-- per-message and per-recipient groups, a Last-Attempt-Date with a zone.
CREATE TEMP TABLE m (name text PRIMARY KEY, msg text);
INSERT INTO m VALUES ('rfc3464', $m$Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
Date: Mon, 1 Jan 2024 01:05:00 +0100
Message-Id: <20240101000000.AAAA@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="BOUND/ARY"

This is a MIME-encapsulated message.

--BOUND/ARY
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<nobody@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1
    <nobody@example.net>: Recipient address rejected: User unknown (in reply to
    RCPT TO command)

--BOUND/ARY
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
Arrival-Date: Mon,  1 Jan 2024 00:00:00 +0100 (CET)

Final-Recipient: rfc822; nobody@example.net
Original-Recipient: rfc822;Nobody@Example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: Recipient address
    rejected: User unknown
Last-Attempt-Date: Mon, 1 Jan 2024 01:02:03 +0100

Final-Recipient: rfc822; slow@example.com
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.example.com[192.0.2.2]:25: Connection
    timed out

--BOUND/ARY
Content-Type: message/rfc822

From: sender@example.com
To: nobody@example.net, slow@example.com
Message-Id: <original-1@example.com>
Subject: hello

hi
--BOUND/ARY--
$m$);

SELECT recipient, original_recipient, action, status, reply_code, remote_mta,
       reporting_mta, last_attempt, smtp_command, format
  FROM parse_dsn((SELECT msg FROM m WHERE name = 'rfc3464'));
SELECT recipient, diagnostic FROM parse_dsn((SELECT msg FROM m WHERE name = 'rfc3464'));
-- the returned message's Message-ID, for idempotent ingestion
SELECT DISTINCT message_id, message_date FROM parse_dsn_fields((SELECT msg FROM m WHERE name = 'rfc3464'));
-- classification columns come from the classifier (reason, hard) and from
-- the codes (permanent)
SELECT recipient, reason IS NOT NULL AS has_reason, permanent
  FROM parse_dsn((SELECT msg FROM m WHERE name = 'rfc3464'));
-- fully qualified, without the search_path
SET search_path = public;
SELECT count(*) FROM bounce.parse_dsn((SELECT msg FROM m WHERE name = 'rfc3464'));
SET search_path = bounce, public;

-- base64 delivery-status part, quoted-printable text, CRLF line ends,
-- RFC 2047 encoded words in the Diagnostic-Code
INSERT INTO m VALUES ('b64', replace($m$From: MAILER-DAEMON@relay.example.org
To: sender@example.com
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type="delivery-status"; boundary=xyz

--xyz
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Delivery to full@example.jp failed: mailbox is f=
ull (=E2=9C=89).

--xyz
Content-Type: message/delivery-status
Content-Transfer-Encoding: base64

$m$ || encode(convert_to(E'Reporting-MTA: dns; relay.example.org\n\nFinal-Recipient: rfc822; full@example.jp\nAction: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 =?UTF-8?B?TWFpbGJveCBmdWxs?= =?UTF-8?Q?_=E2=9C=89?=\n', 'UTF8'), 'base64') || $m$

--xyz--
$m$, E'\n', E'\r\n'));
SELECT recipient, action, status, reply_code, diagnostic, format
  FROM parse_dsn((SELECT msg FROM m WHERE name = 'b64'));

-- qmail: no delivery-status part; the recipient and codes come from the text
INSERT INTO m VALUES ('qmail', $m$From: MAILER-DAEMON@mail.example.org
To: sender@example.com
Subject: failure notice

Hi. This is the qmail-send program at mail.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<gone@example.net>:
192.0.2.9 does not like recipient.
Remote host said: 550 5.1.1 <gone@example.net>... User unknown
Giving up on 192.0.2.9.

<full@example.net>:
Sorry, the mailbox is full. (#5.2.2)

--- Below this line is a copy of the message.

Return-Path: <sender@example.com>
To: gone@example.net, full@example.net
From: sender@example.com

hello
$m$);
SELECT recipient, action, status, reply_code, diagnostic, format
  FROM parse_dsn((SELECT msg FROM m WHERE name = 'qmail'));

-- A plain-text bounce: the sender (To), MAIL FROM, Message-ID lines, help
-- desk addresses and mailer daemons are not recipients
SELECT recipient, status, reply_code, smtp_command, format FROM parse_dsn($m$From: MAILER-DAEMON@mx.example.org
To: sender@example.com
Subject: Returned mail

The message could not be delivered.
For further assistance, please contact <support@isp.example>.
Message-ID: <abc.123@example.com>

   ----- The following addresses had permanent fatal errors -----
<bad@example.net>
    (reason: 550 5.1.1 User unknown)

   ----- Transcript of session follows -----
... while talking to mx.example.net.:
>>> MAIL FROM:<sender@example.com>
<<< 250 2.1.0 Ok
>>> RCPT TO:<bad@example.net>
<<< 550 5.1.1 User unknown
$m$);

-- Exim: recipients from X-Failed-Recipients, the SMTP command from the text
INSERT INTO m VALUES ('exim', $m$From: Mail Delivery System <Mailer-Daemon@mx.example.org>
To: sender@example.com
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: user@example.co.jp
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  user@example.co.jp
    host mx.example.co.jp [192.0.2.82]
    SMTP error from remote mail server after RCPT TO:<user@example.co.jp>:
    550 5.1.1 unknown user

------ This is a copy of the message, including all the headers. ------

Return-path: <sender@example.com>
To: user@example.co.jp
$m$);
SELECT recipient, action, status, reply_code, remote_mta, smtp_command, format
  FROM parse_dsn((SELECT msg FROM m WHERE name = 'exim'));

-- Not bounces: an ARF feedback report, an auto-reply, a success DSN
INSERT INTO m VALUES ('arf', $m$From: abuse@isp.example
To: fbl@example.com
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="arf"

--arf
Content-Type: text/plain

This is an email abuse report for a message received from 192.0.2.1.

--arf
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Rcpt-To: complainer@isp.example

--arf
Content-Type: text/rfc822-headers

From: sender@example.com
To: complainer@isp.example
Message-ID: <m1@example.com>

--arf--
$m$), ('vacation', $m$From: Holiday Person <away@example.net>
To: sender@example.com
Subject: Away until Monday
Auto-Submitted: auto-replied

I am out of the office until Monday.
$m$), ('delivered', $m$From: postmaster@example.net
To: sender@example.com
Subject: Delivery Status Notification (Success)
Content-Type: multipart/report; report-type=delivery-status; boundary=b

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; example.net

Final-Recipient: rfc822; happy@example.net
Action: delivered
Status: 2.0.0
Diagnostic-Code: smtp; 250 2.0.0 OK

--b--
$m$);
SELECT name, recipient, action, status, reply_code, reason, hard, format
  FROM m, parse_dsn(msg) WHERE name IN ('arf', 'vacation', 'delivered') ORDER BY name;

-- RFC 6533 global delivery status with a UTF-8 address
SELECT recipient, status, format FROM parse_dsn($m$From: MAILER-DAEMON@example.org
Content-Type: multipart/report; report-type=global-delivery-status; boundary=g

--g
Content-Type: message/global-delivery-status

Reporting-MTA: dns; example.org

Final-Recipient: utf-8; θέμα@παράδειγμα.example
Action: failed
Status: 5.1.1

--g--
$m$);

-- bytea: a message in an unknown charset; undecodable bytes become U+FFFD
SELECT recipient, status, diagnostic FROM parse_dsn(
  convert_to($m$From: MAILER-DAEMON@example.org
Content-Type: multipart/report; report-type=delivery-status; boundary=c

--c
Content-Type: message/delivery-status

Final-Recipient: rfc822; latin@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 Benutzer unbekannt: M$m$, 'UTF8')
  || '\xfc'::bytea || convert_to($m$ller
--c--
$m$, 'UTF8'));

-- Empty, blank, junk and binary input: no rows, no error; NULL is NULL
SELECT count(*) FROM parse_dsn('');
SELECT count(*) FROM parse_dsn(E'\n\n\n');
SELECT count(*) FROM parse_dsn('just some text without any address');
SELECT count(*) FROM parse_dsn('\x00ff00fe4142'::bytea);
SELECT count(*) FROM parse_dsn(NULL::text);
-- Evidence: without a delivery-status part, a message is read as a bounce
-- only when it shows it is one.  A person's e-mail that names an address is
-- not, even with numbers in it; nor is binary junk, even with a bounce's
-- sender (an address that is not UTF-8 text is no recipient).
SELECT count(*) AS person FROM parse_dsn('please send the invoice to an.janssens@customer.be');
SELECT count(*) AS person FROM parse_dsn($m$From: Jan Peeters <jan@customer.be>
To: billing@registry.example
Subject: Re: invoice 2024-0117
Content-Type: text/plain; charset=utf-8

Hello,

please send the invoice to an.janssens@customer.be from now on.
We have 550 domains with you.
450 of them renew in May; version 5.1.1 of the contract applies.
$m$);
SELECT count(*) AS junk_rows, count(*) FILTER (WHERE recipient LIKE '%' || U&'\FFFD' || '%') AS replacement_chars
  FROM generate_series(1, 500) i,
       parse_dsn(decode(md5(i::text) || md5((-i)::text) || '40' || md5((i * 7)::text) || '2e6265' || md5((i * 3)::text), 'hex'));
SELECT count(*) AS junk_from_daemon FROM parse_dsn(
  convert_to(E'From: MAILER-DAEMON@mx.example.org\nSubject: failure notice\n\n', 'UTF8')
  || '\xc3283fff40e9e92e6265200a'::bytea || convert_to(E' 550 5.1.1 unknown\n', 'UTF8'));
-- each kind of evidence is enough on its own (a lone line "<a@example.net>:
-- user unknown" otherwise)
SELECT e.kind, count(p.recipient) AS rows, min(p.recipient) AS recipient
  FROM (VALUES
    ('null reverse-path', E'From: x@example.org\nReturn-Path: <>\n\n'),
    ('mailer daemon', E'From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n\n'),
    ('mailer daemon without address', E'From: MAILER-DAEMON <>\n\n'),
    ('postmaster', E'From: postmaster@mx.example.org\n\n'),
    ('subject', E'From: x@example.org\nSubject: Undeliverable: your message\n\n'),
    ('exim header', E'From: x@example.org\nX-Failed-Recipients: a@example.net\n\n'),
    ('report structure', E'From: x@example.org\nContent-Type: multipart/report; boundary=b\n\n--b\nContent-Type: text/plain\n\n'),
    ('MTA wording', E'From: x@example.org\n\nThis is the mail system at host mx.example.org.\n\n'),
    ('reply and status', E'From: x@example.org\n\nRemote: 550 5.1.1 rejected\n'),
    ('reply quoted', E'From: x@example.org\n\nmx.example.net said: 550 rejected\n'),
    ('transcript', E'From: x@example.org\n\n<<< 550 rejected\n'),
    ('none', E'From: x@example.org\nSubject: hello\n\nSee you at 550 Main Street.\n')) e(kind, head)
    LEFT JOIN LATERAL parse_dsn(e.head || E'<a@example.net>: user unknown\n') p ON true
 GROUP BY e.kind ORDER BY e.kind;
-- an unparseable Last-Attempt-Date is NULL, not an error
SELECT recipient, last_attempt FROM parse_dsn($m$Content-Type: message/delivery-status

Final-Recipient: rfc822; a@example.org
Action: failed
Status: 5.0.0
Last-Attempt-Date: Someday, 45 Smarch 2024 99:99
$m$);

-- Limits: nesting depth, header count (54000 with the limit in the detail)
SELECT count(*) FROM parse_dsn((
  SELECT string_agg(format(E'Content-Type: multipart/mixed; boundary="b%s"\n\n--b%s\n', i, i), '' ORDER BY i)
    FROM generate_series(1, 40) i));
SELECT count(*) FROM parse_dsn(repeat(E'X-Header: value\n', 3000) || E'\nbody');
-- just under the limits is fine
SELECT count(*) FROM parse_dsn((
  SELECT string_agg(format(E'Content-Type: multipart/mixed; boundary="b%s"\n\n--b%s\n', i, i), '' ORDER BY i)
    FROM generate_series(1, 30) i));
SELECT count(*) FROM parse_dsn(repeat(E'X-Header: value\n', 1900) || E'\nbody');

-- delivery-status blocks that the MIME structure does not declare count as
-- MIME parts too, so 6000 of them are over the limit of 5000, not 6000
-- parts' worth of memory and time
SELECT count(*) FROM parse_dsn(E'From: MAILER-DAEMON@example.org\n\n'
  || repeat(E'Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@example.net\n--\n', 6000));
-- every string of a row is at most 64 kB, cut at a character boundary
SELECT octet_length(diagnostic) BETWEEN 65530 AND 65536 AS cut, right(diagnostic, 1) IN ('a', 'é') AS whole_characters,
       convert_from(convert_to(diagnostic, 'UTF8'), 'UTF8') = diagnostic AS valid
  FROM parse_dsn(E'Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 '
                 || repeat('aé', 40000) || E'\n');

-- Many recipients: every address Exim's X-Failed-Recipients names is a row,
-- however many; none is dropped.  exim_bounce(n, listed): a bounce for n
-- recipients, each also listed in the text with its SMTP error, or not.
CREATE FUNCTION pg_temp.exim_bounce(n int, listed boolean) RETURNS text LANGUAGE sql AS $f$
SELECT format(E'From: Mail Delivery System <Mailer-Daemon@mx.example.org>\nTo: sender@example.com\n'
    'Subject: Mail delivery failed: returning message to sender\nX-Failed-Recipients: %s\n\n'
    'This message was created automatically by mail delivery software.\n\n'
    'A message that you sent could not be delivered to one or more of its\n'
    'recipients. This is a permanent error. The following address(es) failed:\n\n%s\n'
    '------ This is a copy of the message, including all the headers. ------\n\nFrom: sender@example.com\n',
  (SELECT string_agg(format('user%s@example.net', i), ', ') FROM generate_series(1, n) i),
  CASE WHEN listed THEN (SELECT string_agg(format(E'  user%s@example.net\n    host mx.example.net [192.0.2.1]\n'
      '    SMTP error from remote mail server after RCPT TO:<user%s@example.net>:\n    550 5.1.1 User unknown\n', i, i), '' ORDER BY i)
    FROM generate_series(1, n) i)
  ELSE E'  (addresses withheld)\n    550 5.1.1 User unknown\n' END) $f$;
SELECT n, listed, count(*) AS rows, count(DISTINCT recipient) AS distinct_recipients,
       count(*) FILTER (WHERE status::text = '5.1.1' AND reply_code = 550) AS with_codes,
       min(recipient) AS first, max(recipient) AS last
  FROM (VALUES (20), (100), (1000)) v(n), (VALUES (true), (false)) w(listed),
       LATERAL parse_dsn(pg_temp.exim_bounce(n, listed))
 GROUP BY n, listed ORDER BY n, listed;
-- the limit, 10000 addresses in one header field, is an error, never a cut
SELECT count(*) FROM parse_dsn(pg_temp.exim_bounce(10000, false));
SELECT count(*) FROM parse_dsn(pg_temp.exim_bounce(10001, false));
-- an address written twice (in any case) is one recipient
SELECT recipient FROM parse_dsn(E'From: Mailer-Daemon@mx.example.org\nX-Failed-Recipients: a@example.net, A@Example.NET, b@example.net\n\n550 5.1.1 User unknown\n');

-- Time linear in the size: a Diagnostic-Code of 150000 RFC 2047 openers
-- that are never closed (1 MB) took over ten minutes when each opener
-- rescanned the rest of the value for its "?="; the diagnostic is cut at
-- 64 kB, as every string of a row is
SET statement_timeout = '20s';
SELECT recipient, status, length(diagnostic) AS diagnostic_length
  FROM parse_dsn(E'Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; '
                 || repeat('=?a?b?x', 150000) || E'\n');
RESET statement_timeout;

-- Volatility, strictness and parallel safety as documented
SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel, p.proretset,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc p WHERE p.pronamespace = 'bounce'::regnamespace
   AND p.proname IN ('parse_dsn', 'parse_dsn_fields') ORDER BY 1::text;

-- Delivery to a file or program: Final-Recipient is a path, so the text part
-- is searched for the path itself; the recipient comes from X-Failed-Recipients.
SELECT recipient, status, diagnostic, reason FROM parse_dsn($m$From: Mail Delivery System <Mailer-Daemon@mx.example.org>
To: sender@example.com
X-Failed-Recipients: box@mx.example.org
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=B1

--B1
Content-type: text/plain; charset=us-ascii

The following address(es) failed:

  save to /var/mail/box
    generated by box@mx.example.org
    mailbox is full: retry timeout exceeded

--B1
Content-type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Action: failed
Final-Recipient: rfc822;/var/mail/box
Status: 5.0.0

--B1--
$m$);

-- No Diagnostic-Code (or only "X-Unix; 255"): Sendmail's session transcript is the reason.
SELECT recipient, reply_code, status, diagnostic, reason FROM parse_dsn($m$From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=B2

--B2

   ----- The following addresses had permanent fatal errors -----
"|/usr/local/bin/catch"
    (expanded from: <who@example.org>)
   ----- Transcript of session follows -----
catch: cannot connect to the database
554 5.3.0 unknown mailer error 75

--B2
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: RFC822; who@example.org
X-Actual-Recipient: X-Unix; |/usr/local/bin/catch
Action: failed
Status: 5.0.0
Diagnostic-Code: X-Unix; 75

--B2--
$m$);

-- Labelled commands ("SMTP command: DATA", Yahoo's "[RCPT_TO]"), any diagnostic type
-- atom, and the reporting MTA as the classifier's host when no remote one answered.
SELECT smtp_command FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: failure\n\n<a@example.net>:\nserver message 550 User unknown\nSMTP command: DATA\n');
SELECT smtp_command FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: failure\n\n<a@example.net>:\nRemote host said: 550 5.2.1 <a@example.net>... User Unknown\n[RCPT_TO]\n');
SELECT diagnostic, reporting_mta, reason FROM parse_dsn($m$From: MAILER-DAEMON@omr-m04.mx.aol.com
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary=B3

--B3
Content-Type: message/delivery-status

Reporting-MTA: dns; omr-m04.mx.aol.com

Final-Recipient: rfc822; x@example.org
Action: failed
Status: 5.4.4
Diagnostic-Code: X-Outbound-Mail-Relay; Name service error for name=example.org type=MX: Malformed or unexpected name server reply

--B3--
$m$);

-- Plain text: the recipient's paragraph, not the closing boilerplate; a reason
-- written before the address list; the mailer daemon's domain as reporting MTA.
SELECT diagnostic, reason FROM parse_dsn(E'From: mailer-daemon@mx.example.org\nSubject: error\n\nThe following recipients returned permanent errors: a@example.net. Reason: [554 5.4.6 Hop count exceeded - possible mail loop]\n\nThe attachment contains the original mail headers.\n');
SELECT diagnostic, reporting_mta, reason FROM parse_dsn(E'From: <Postmaster@ezweb.ne.jp>\nSubject: Mail System Error - Returned Mail\n\nThe user(s) account is disabled.\n\n<someone@ezweb.ne.jp>\n');

-- Charsets: a text part is read in its declared charset through the server's conversions;
-- ISO-2022-JP by the parser's own decoder (to EUC-JP first); raw ISO-2022-JP in a
-- Diagnostic-Code too.  Nothing is read as something else.
-- ISO-2022-JP, decoded
SELECT diagnostic, reason FROM parse_dsn('\x46726f6d3a204d41494c45522d4441454d4f4e406d782e6578616d706c652e6f72670a4d494d452d56657273696f6e3a20312e300a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d49534f2d323032322d4a500a0a3c78406578616d706c652e6a703e0a1b24422566213c2536242c382b2444242b246a245e243b24731b2842205573657220756e6b6e6f776e0a'::bytea);
-- EUC-JP bytes labelled ISO-2022-JP (Japanese carriers do this)
SELECT diagnostic, reason FROM parse_dsn('\x46726f6d3a204d41494c45522d4441454d4f4e406d782e6578616d706c652e6f72670a4d494d452d56657273696f6e3a20312e300a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d69736f2d323032322d6a700a0a3c78406578616d706c652e6a703e0aa5e6a1bca5b6a4acb8aba4c4a4aba4eaa4dea4bba4f3205573657220756e6b6e6f776e0a'::bytea);
-- ISO-8859-1 through the server's conversion
SELECT diagnostic, reason FROM parse_dsn('\x46726f6d3a204d41494c45522d4441454d4f4e406d782e6578616d706c652e6f72670a4d494d452d56657273696f6e3a20312e300a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d69736f2d383835392d310a0a3c78406578616d706c652e6f72673e0a353530204c6120626fee746520617578206c657474726573206e27657869737465207061730a'::bytea);
-- an unknown charset keeps its bytes: not UTF-8, so U+FFFD
SELECT diagnostic, reason FROM parse_dsn('\x46726f6d3a204d41494c45522d4441454d4f4e406d782e6578616d706c652e6f72670a4d494d452d56657273696f6e3a20312e300a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d782d756e6b6e6f776e2d636861727365740a0a3c78406578616d706c652e6f72673e0a35353020636166e9207573657220756e6b6e6f776e0a'::bytea);
-- MIME labels PostgreSQL does not know by name (Outlook's cp1252 and ks_c_5601-1987, gb2312,
-- windows-31j, tis-620): mapped to the encoding that decodes them
SELECT 'cp1252' AS charset, diagnostic FROM parse_dsn('\x46726f6d3a204d41494c45522d4441454d4f4e406d782e6578616d706c652e6f72670a4d494d452d56657273696f6e3a20312e300a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d6370313235320a0a3c78406578616d706c652e6f72673e0a35353020636166e92080207573657220756e6b6e6f776e0a'::bytea);
SELECT 'ks_c_5601-1987' AS charset, diagnostic FROM parse_dsn('\x46726f6d3a204d41494c45522d4441454d4f4e406d782e6578616d706c652e6f72670a4d494d452d56657273696f6e3a20312e300a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d6b735f635f353630312d313938370a0a3c78406578616d706c652e6f72673e0a35353020c7d1b1b9207573657220756e6b6e6f776e0a'::bytea);
SELECT 'GB2312' AS charset, diagnostic FROM parse_dsn('\x46726f6d3a204d41494c45522d4441454d4f4e406d782e6578616d706c652e6f72670a4d494d452d56657273696f6e3a20312e300a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d4742323331320a0a3c78406578616d706c652e6f72673e0a35353020d6d0cec4207573657220756e6b6e6f776e0a'::bytea);
SELECT 'windows-31j' AS charset, diagnostic FROM parse_dsn('\x46726f6d3a204d41494c45522d4441454d4f4e406d782e6578616d706c652e6f72670a4d494d452d56657273696f6e3a20312e300a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d77696e646f77732d33316a0a0a3c78406578616d706c652e6f72673e0a3535302093fa967b207573657220756e6b6e6f776e0a'::bytea);
SELECT 'TIS-620' AS charset, diagnostic FROM parse_dsn('\x46726f6d3a204d41494c45522d4441454d4f4e406d782e6578616d706c652e6f72670a4d494d452d56657273696f6e3a20312e300a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d5449532d3632300a0a3c78406578616d706c652e6f72673e0a35353020e4b7c2207573657220756e6b6e6f776e0a'::bytea);
-- cut-off escapes and a lone half of a pair: '?', the rest still read
SELECT diagnostic, reason FROM parse_dsn('\x46726f6d3a204d41494c45522d4441454d4f4e406d782e6578616d706c652e6f72670a4d494d452d56657273696f6e3a20312e300a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d69736f2d323032322d6a700a0a3c78406578616d706c652e6a703e0a1b24422566250a1b28353530207573657220756e6b6e6f776e201b0a'::bytea);

-- PowerMTA states its own verdict per recipient (X-PowerMTA-BounceCategory): a
-- category that names one reason decides it; "other" leaves it to the classifier.
SELECT d.stated_reason, p.reason
  FROM parse_dsn_fields(E'From: MAILER-DAEMON@mta.example.org\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.example.org\n\nFinal-Recipient: rfc822; a@example.jp\nAction: failed\nStatus: 5.2.1\nDiagnostic-Code: smtp; 550 5.2.1 <a@example.jp>... User Unknown\nX-PowerMTA-BounceCategory: bad-mailbox\n\nFinal-Recipient: rfc822; b@example.jp\nAction: failed\nStatus: 5.2.1\nDiagnostic-Code: smtp; 550 5.2.1 <b@example.jp>... User Unknown\nX-PowerMTA-BounceCategory: other\n\n--B--\n') d
  JOIN parse_dsn(E'From: MAILER-DAEMON@mta.example.org\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.example.org\n\nFinal-Recipient: rfc822; a@example.jp\nAction: failed\nStatus: 5.2.1\nDiagnostic-Code: smtp; 550 5.2.1 <a@example.jp>... User Unknown\nX-PowerMTA-BounceCategory: bad-mailbox\n\nFinal-Recipient: rfc822; b@example.jp\nAction: failed\nStatus: 5.2.1\nDiagnostic-Code: smtp; 550 5.2.1 <b@example.jp>... User Unknown\nX-PowerMTA-BounceCategory: other\n\n--B--\n') p
    USING (recipient)
 ORDER BY recipient;

-- Amazon SES notifications (JSON in the body, straight or wrapped by SNS): bounced,
-- complained and delivered recipients from the JSON, not addresses from the text.
SELECT recipient, action, status, reply_code, diagnostic, reporting_mta, reason, format
  FROM parse_dsn($m$From: SES <no-reply@sns.amazonaws.com>
Subject: AWS Notification Message
Content-Type: text/plain; charset=UTF-8

{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"gone@example.net","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"},{"emailAddress":"full@example.net","status":"5.2.2","diagnosticCode":"smtp; 552 5.2.2 mailbox full \u2013 try later"}],"reportingMTA":"dsn; a1-2.smtp-out.amazonses.com"},"mail":{"source":"sender@example.com","destination":["gone@example.net","full@example.net"]}}

--
If you wish to stop receiving notifications from this topic, please click the link below: https://sns.example/unsubscribe?Endpoint=ops@example.com
$m$);
SELECT recipient, action, reason, format FROM parse_dsn($m$From: SES <no-reply@sns.amazonaws.com>
Content-Type: text/plain

{"Type" : "Notification", "MessageId" : "x", "Message" : "{\"notificationType\":\"Complaint\",\"complaint\":{\"complainedRecipients\":[{\"emailAddress\":\"angry@example.net\"}]},\"mail\":{\"source\":\"sender@example.com\"}}"}
$m$);
SELECT recipient, action, reason, format FROM parse_dsn($m$From: SES <no-reply@sns.amazonaws.com>
Content-Type: text/plain

{
  "notificationType": "Delivery",
  "delivery": {"recipients": ["happy@example.net"], "smtpResponse": "250 ok", "reportingMTA": "a1-2.smtp-out.amazonses.com"}
}
$m$);
SELECT outcome, recipient FROM record_dsn($m$From: SES <no-reply@sns.amazonaws.com>
Content-Type: text/plain

{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"angry@example.net"}]}}
$m$, '{}');
-- malformed or hostile JSON: never misread, never deep recursion; JSON too
-- deep to read leaves the message to the plain-text reading, which finds no
-- evidence of a bounce in it (no row)
SELECT recipient, format FROM parse_dsn(E'From: no-reply@sns.amazonaws.com\n\n{"notificationType":"Bounce","bounce":{"bouncedRecipients":[{"emailAddress":"cut@example.net"');
SELECT count(*) AS rows FROM parse_dsn(E'From: no-reply@sns.amazonaws.com\n\n{"notificationType":"Bounce","bounce":{"x":' || repeat('[', 100000) || repeat(']', 100000) || ',"bouncedRecipients":[{"emailAddress":"deep@example.net"}]}}');
SELECT recipient, format FROM parse_dsn(E'From: no-reply@sns.amazonaws.com\n\n{"notificationType":"Bounce","bounce":{"bouncedRecipients":[{"emailAddress":"a\\u00e9\\ud83d\\ude00@example.net"},{"emailAddress":"bad\\ud800@example.net"},{"action":"failed"}]}}');
-- quoted local parts (RFC 5321 4.1.2) are recipients, quotes kept: in DSN fields and in text
SELECT recipient, status, reply_code FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.net\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; "john..doe"@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <"john..doe"@example.com>: User unknown\r\n\r\nFinal-Recipient: rfc822; "a \\"b\\" c"@example.com\r\nAction: failed\r\nStatus: 5.2.2\r\n--B--\r\n');
SELECT recipient FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\nI could not deliver to the following addresses:\n\n<"odd name"@example.org>:\n550 5.1.1 no such user\n');
SELECT normalize_address(recipient) FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\nI could not deliver to:\n\n<"odd name"@Example.ORG>:\n550 5.1.1 no such user\n');
-- MTA names without their comments ("(192.0.2.1)", "(Postfix)"); a value that is only a comment is kept
SELECT recipient, remote_mta, reporting_mta FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.net\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net (Postfix)\r\n\r\nFinal-Recipient: rfc822; a@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx1.example.com (192.0.2.1)\r\n\r\nFinal-Recipient: rfc822; b@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; [192.0.2.7]\r\n\r\nFinal-Recipient: rfc822; c@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; (unknown)\r\n--B--\r\n');
-- commands of pipelined and chunked (BDAT, RFC 3030) transactions: the data phase
SELECT smtp_command, reason FROM parse_dsn(E'From: Mail Delivery System <Mailer-Daemon@mx.example.org>\nSubject: Mail delivery failed\nX-Failed-Recipients: a@example.net\n\nThis message was created automatically by mail delivery software.\n\n  a@example.net\n    host mx.example.net [192.0.2.1]\n    SMTP error from remote mail server after pipelined DATA:\n    550 5.7.1 Message rejected as spam\n');
SELECT smtp_command, reason FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail\n\n<b@example.net>: host mx.example.net[192.0.2.1] said: 554 5.7.1 Message rejected as spam (in reply to end of BDAT command)\n');

-- The system that wrote the report, by its own signature, names the SMTP
-- step in its own words.  qmail-remote (qmail 1.03): "does not like
-- recipient." RCPT, "but sender was rejected." MAIL, "failed after I sent
-- the message." DATA, "but my name was rejected." HELO, a refusal of the
-- client that qmail files as blocked whatever the reply says.
SELECT recipient, smtp_command, reason FROM parse_dsn($m$From: MAILER-DAEMON@mail.example.org
To: sender@example.com
Subject: failure notice

Hi. This is the qmail-send program at mail.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<rcpt@example.net>:
192.0.2.1 does not like recipient.
Remote host said: 550 sorry, no such mailbox
Giving up on 192.0.2.1.

<mail@example.net>:
Connected to 192.0.2.2 but sender was rejected.
Remote host said: 553 sorry, your envelope sender is in my badmailfrom list
Giving up on 192.0.2.2.

<data@example.net>:
192.0.2.3 failed after I sent the message.
Remote host said: 552 5.3.4 sorry, that message size exceeds my databytes limit
Giving up on 192.0.2.3.

<helo@example.net>:
Connected to 192.0.2.4 but my name was rejected.
Remote host said: 501 5.5.4 Invalid domain name
Giving up on 192.0.2.4.

--- Below this line is a copy of the message.

To: rcpt@example.net
$m$) ORDER BY recipient;
-- a phrase starts a word: "email from" names no MAIL FROM
SELECT smtp_command FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail\n\n<a@example.net>: host mx.example.net[192.0.2.1] said: 550 5.7.1 Unauthenticated email from example.org is not accepted\n');
-- Postfix, a server that refuses the session: "refused to talk to me" (HELO)
SELECT smtp_command, reason FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail Returned to Sender\n\n<a@example.net>: host mx.example.net[192.0.2.1] refused to talk to me: 554 5.7.1 Service unavailable; client host blocked\n');
-- a connection that failed reached no SMTP command
SELECT smtp_command, reason FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail Returned to Sender\n\n<a@example.net>: connect to mx.example.net[192.0.2.1]:25: Connection timed out\n');
-- DragonFly Mail Agent: the command and the host in "%s [%s] did not like our %s:"
SELECT smtp_command, remote_mta FROM parse_dsn(E'From: MAILER-DAEMON <>\nSubject: Mail delivery failed\n\nThis is the DragonFly Mail Agent v0.13 at df.example.org.\n\nThere was an error delivering your mail to <a@example.net>.\n\nmx.example.net [192.0.2.25] did not like our final DATA:\n554 5.7.1 Message rejected\n\nOriginal message follows.\n');
-- Gmail's relay: "(state 14)" is RCPT; the diagnostic is the other server's
-- reply, not Gmail's explanation around it
SELECT smtp_command, diagnostic, reason FROM parse_dsn($m$From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: sender@example.com
Subject: Delivery Status Notification (Failure)

Delivery to the following recipient failed permanently:

     a@example.net

Technical details of permanent failure:
Google tried to deliver your message, but it was rejected by the recipient domain. We recommend contacting the other email provider for further information about the cause of this error. The error that the other server returned was: 550 550 <a@example.net>: No such user here (state 14).

----- Original message -----

To: a@example.net
$m$);

-- Transcripts, whichever way their arrows point.  Sendmail's report is read,
-- as Sisimai 5 reads it, by the last command sent (DATA after a refused
-- RCPT); a report that quotes only the server's greeting failed at EHLO.
SELECT smtp_command FROM parse_dsn($m$From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>
Subject: Returned mail: see transcript for details
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="S"

--S
Content-Type: text/plain

   ----- The following addresses had permanent fatal errors -----
<a@example.net>
    (reason: 550 User unknown)

   ----- Transcript of session follows -----
... while talking to mx.example.net.:
>>> RCPT To:<a@example.net>
<<< 550 User unknown
550 5.1.1 <a@example.net>... User unknown
>>> DATA
<<< 503 5.5.1 Need RCPT (recipient)

--S
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: RFC822; a@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: SMTP; 550 User unknown

--S--
$m$);
SELECT smtp_command, diagnostic FROM parse_dsn($m$From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>
Subject: Returned mail: see transcript for details
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="S"

--S
Content-Type: text/plain

   ----- Transcript of session follows -----
... while talking to mx.example.net.:
<<< 554 mx.example.net ESMTP not accepting connections
<a@example.net>... Deferred: 554 mx.example.net ESMTP not accepting connections

--S
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: RFC822; a@example.net
Action: failed
Status: 5.0.0

--S--
$m$);
-- a report of no known system: the command of the first negative reply
SELECT smtp_command FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: Returned mail\n\n<a@example.net>\n>>> RCPT To:<a@example.net>\n<<< 550 5.1.1 User unknown\n>>> DATA\n<<< 503 5.5.1 Need RCPT\n');
-- Trend Micro InterScan: "Sent <<< RCPT TO:", "Received >>> 550 ..."
SELECT smtp_command, reason FROM parse_dsn(E'From: "InterScan MSS" <postmaster@gw.example.org>\nSubject: Mail could not be delivered\n\nSent <<< RCPT TO:<a@example.net>\nReceived >>> 550 5.1.1 <a@example.net>... user unknown\n\nUnable to deliver message to <a@example.net>.\n');
-- Postfix's notice of a failed SMTP session: "In:" the client's command, "Out:" the reply
SELECT smtp_command FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: Postfix SMTP server: errors from client.example.net[192.0.2.9]\n\nTranscript of session follows.\n\n Out: 220 mx.example.org ESMTP Postfix\n In:  MAIL FROM:<s@example.net>\n Out: 250 2.1.0 Ok\n In:  RCPT TO:<a@example.org>\n Out: 250 2.1.5 Ok\n In:  DATA\n Out: 354 End data with <CR><LF>.<CR><LF>\n Out: 451 4.3.0 Error: queue file write error\n\nFor other details, see the local mail logging.\n');
-- last resort: a command the diagnostic names in capitals, as a word
SELECT smtp_command FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: failure notice\n\n<a@example.net>:\n550 5.7.1 refused at DATA by content filter\n');
SELECT smtp_command FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: failure notice\n\n<a@example.net>:\n550 5.7.1 refused: DATABASE unavailable\n');

-- What the system states itself.  Exchange 2003: its MSEXCH code decides,
-- and the text after the code is the error (000C05A6 Unknown Recipient,
-- 000C0595 Ambiguous Recipient).
SELECT recipient, diagnostic, stated_reason FROM parse_dsn_fields($m$From: System Administrator <postmaster@example.org>
To: sender@example.com
Subject: Undeliverable: Nyaan
X-MS-Embedded-Report:
X-Mailer: Internet Mail Service (5.5.2657.72)

Your message

  To:      a@example.org
  Subject: Nyaan
  Sent:    Thu, 29 Apr 2010 00:00:00 -0000

did not reach the following recipient(s):

a@example.org on Thu, 29 Apr 2010 00:00:00 -0000
    The recipient name is not recognized
    MSEXCH:IMS:EXAMPLE:SITE:SERVER 0 (000C05A6) Unknown Recipient
b@example.org on Thu, 29 Apr 2010 00:00:00 -0000
    MSEXCH:IMS:EXAMPLE:SITE:SERVER 0 (000C0595) Ambiguous Recipient
$m$) ORDER BY recipient;
-- Google Groups' refusal lists four reasons as bullets, in any language:
-- the sender was refused
SELECT recipient, reason FROM parse_dsn($m$From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: sender@example.com
Subject: Delivery Status Notification (Failure)
X-Failed-Recipients: group@example.org
X-Google-Smtp-Source: AGHT+IFexample

Hola, sender@example.com:

El grupo al que intentas escribir (group) quizas no exista.

* Es posible que hayas escrito mal el nombre.
* El propietario puede haber eliminado el grupo.
* Puede que tengas que unirte al grupo.
* Puede que el grupo no acepte publicaciones.

Google Groups
$m$);
-- au EZweb: a recipient who filters the sender out comes back with X-SPASIGN: NG
-- (without the header, the same reply at RCPT is an unknown user)
SELECT recipient, reason FROM parse_dsn(E'From: <Postmaster@ezweb.ne.jp>\nSubject: Mail System Error - Returned Mail\nX-SPASIGN: NG\n\n<someone@ezweb.ne.jp>: 550 <someone@ezweb.ne.jp>: User unknown (in reply to RCPT TO command)\n');
SELECT recipient, reason FROM parse_dsn(E'From: <Postmaster@ezweb.ne.jp>\nSubject: Mail System Error - Returned Mail\n\n<someone@ezweb.ne.jp>: 550 <someone@ezweb.ne.jp>: User unknown (in reply to RCPT TO command)\n');
-- Amazon SES: the documented bounce subtypes that name a reason; General names none
SELECT recipient, stated_reason FROM parse_dsn_fields(E'From: no-reply@sns.amazonaws.com\n\n{"notificationType":"Bounce","bounce":{"bounceType":"Transient","bounceSubType":"MailboxFull","bouncedRecipients":[{"emailAddress":"full@example.net"}]}}');
SELECT recipient, stated_reason FROM parse_dsn_fields(E'From: no-reply@sns.amazonaws.com\n\n{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"gone@example.net"}]}}');

-- A text from one system's own table is that system's verdict in its own
-- report, and a reply like any other in another's: Domino's "not listed in
-- Domino Directory" with no command is an unknown user in a Domino report,
-- a filter's refusal quoted by Postfix (as Sisimai 5 reads it), and, with
-- no report around it, read as before.
SELECT reason FROM parse_dsn(E'From: Postmaster <postmaster@example.org>\nSubject: DELIVERY FAILURE: User a (a@example.org) not listed in Domino Directory\n\nYour message\n\n  Subject: Nyaan\n\nwas not delivered to:\n\n  a@example.org\n\nbecause:\n\n  User a (a@example.org) not listed in Domino Directory\n');
SELECT reason FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail Returned to Sender\n\n<a@example.org>: host mx.example.org[192.0.2.1] said: 550 User a (a@example.org) not listed in Domino Directory\n');
SELECT classify('550 User a (a@example.org) not listed in Domino Directory');

-- Diagnostics: the line that says why.  A recipient line that starts with
-- the address loses it; rules ("=====") and a lone heading are left out; the
-- text before the list when the list only names the address; the paragraph
-- that reports on the recipient rather than a summary of the header; the
-- comment after the Status code when nothing else explains.
SELECT diagnostic FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: Delivery status notification\n\n   Delivery for the following recipients failed permanently:\n\na@example.net: Domain does not exist\n');
SELECT diagnostic, reason FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: Delivery Status Notification\n\n=====================\n  This is an automatically generated Delivery Status Notification.\n\nDelivery to the following recipients failed permanently:\n\n   * a@example.net\n\n=====================\n               Technical details:\n\nSMTP:RCPT host 192.0.2.8: 553 5.3.0 <a@example.net>... No such user here\n\n=====================\n');
SELECT diagnostic, reason FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: Undeliverable Mail\n\nYour message:\n   Subject: Nyaan\n\nCould not be delivered because of\n\n550 5.1.1 User unknown\n\nThe following recipients were affected:\n    a@example.net\n\n\nAdditional Information\n======================\nOriginal Sender:    <s@example.org>\n');
SELECT diagnostic, reason FROM parse_dsn($m$From: Internet Mail Delivery <postmaster@mx.example.org>
Subject: Delivery Notification: Delivery has failed
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="M"

--M
Content-Type: text/plain

This report relates to a message you sent with the following header fields:

  Message-id: <x@example.org>
  To: a@example.jp
  Subject: Nyaan

Your message cannot be delivered to the following recipients:

  Recipient address: a@example.jp
  Reason: Illegal host/domain name found

--M
Content-Type: message/delivery-status

Reporting-MTA: dns;mx.example.org

Final-recipient: rfc822;a@example.jp
Action: failed
Status: 5.4.4 (Illegal host/domain name found)

--M--
$m$);
SELECT diagnostic FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="M"\n\n--M\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;mx.example.org\n\nFinal-recipient: rfc822;a@example.jp\nAction: failed\nStatus: 5.2.2 (mailbox full)\n\n--M--\n');
-- Yahoo: a reply that names no step but quotes the recipient is one to RCPT
SELECT smtp_command, reason FROM parse_dsn(E'From: MAILER-DAEMON@yahoo.com\nSubject: Failure Notice\nX-YMailISG: abc\n\nSorry, we were unable to deliver your message to the following address.\n\n<a@example.net>:\n550: <a@example.net>: Recipient address rejected: User unknown\n\n--- Below this line is a copy of the message.\n');
-- au by KDDI: X-SPASIGN: NG, the recipient's filter refused the sender
SELECT reason FROM parse_dsn(E'From: no-reply@.dion.ne.jp\nSubject: Returned mail\nX-SPASIGN: NG\n\nYour mail sent on: Thu, 29 Apr 2010 11:04:47 +0900\n    Could not be delivered to: <a@example.ne.jp>\n    As their mailbox is full.\n');
-- Auto-replies by any keyword of the Auto-Submitted registry, Apple's
-- X-Apple-Action: vacation, and more subjects; a mailer daemon's is a bounce
SELECT recipient, reason, format FROM parse_dsn(E'From: Ann <ann@example.net>\nSubject: Re: invoice\nAuto-Submitted: auto-generated\n\nThanks, your message was received.\n');
SELECT recipient, reason, format FROM parse_dsn(E'From: Ann <ann@example.net>\nSubject: Re: invoice\nX-Apple-Action: vacation\n\nI am away.\n');
SELECT recipient, reason, format FROM parse_dsn(E'From: Ann <ann@example.net>\nSubject: Out of the office: invoice\n\nI am away.\n');
SELECT recipient, reason, format FROM parse_dsn(E'From: MAILER-DAEMON@mx.example.org\nSubject: Warning: could not send message for past 4 hours\nAuto-Submitted: auto-generated (warning-timeout)\n\n<a@example.net>... Deferred: Connection timed out with mx.example.net.\n');
-- an RFC 3464 report whose text only lists the address: the paragraph before the list
SELECT diagnostic, reason FROM parse_dsn(E'From: postmaster@mx.example.org\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="W"\n\n--W\nContent-Type: text/plain\n\nTHIS IS A WARNING MESSAGE ONLY.\n\nDelivery to the following recipients has been delayed.\n\n       a@example.com\n\n--W\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;mx.example.org\n\nFinal-Recipient: rfc822;a@example.com\nAction: delayed\nStatus: 4.4.7\n\n--W--\n');
-- A reply the reporting MTA only quotes ("Remote host said:", Gmail's "the other
-- server returned") is another server's: the reporting MTA's provider rules do
-- not read it (Google's own 4.2.1 is a rate limit; this one is not Google's)
SELECT reason, remote_mta, reporting_mta FROM parse_dsn(E'From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nSubject: Delivery Status Notification (Delay)\n\nDelivery to the following recipient has been delayed:\n\n     a@example.net\n\nTechnical details of temporary failure:\nGoogle tried to deliver your message, but it was rejected by the recipient domain. The error that the other server returned was: 452 4.2.1 try again later\n\n----- Original message -----\n');
SELECT classify('452 4.2.1 try again later', remote_host => 'googlemail.com') AS at_google;
