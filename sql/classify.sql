SET search_path = bounce, public;
-- the enum: 34 labels
SELECT count(*) AS labels FROM unnest(enum_range(NULL::reason));
SELECT count(*) AS described FROM reasons() WHERE description <> '' AND reason_group IS NOT NULL;
SELECT reason_group, string_agg(reason::text, ' ' ORDER BY reason) FROM reasons() GROUP BY 1 ORDER BY 1;
-- NULL only when every argument is NULL; nothing to go on is undefined
SELECT classify(NULL) IS NULL AS all_null, classify(''), classify('   '), classify(E'\t\n ');
SELECT classify(NULL, 550), classify(NULL, NULL, '5.1.1'), classify(NULL, NULL, NULL, 'RCPT'), classify(NULL, NULL, NULL, NULL, 'mx.example.com');
-- codes embedded in the text are used when the arguments are NULL
SELECT d, classify(d) FROM (VALUES
  ('550-5.1.1 The email account does not fit'),
  ('smtp; 554 5.7.1 nothing more'),
  ('Sorry (#5.1.1)'),
  ('452 4.2.2 full up'),
  ('421 4.4.7 ..'),
  ('250 2.1.5 Ok')) v(d);
-- a transcript: the failure code wins over the success codes before it
SELECT reply_code, status, reason FROM parse('250 2.1.0 Sender OK 250 2.1.5 Recipient OK 354 go ahead 552 5.2.2 Mailbox full');
SELECT reply_code, status, reason FROM parse('MAIL FROM 250 2.1.0 ok; RCPT TO 550 5.1.1 nope');
-- explicit arguments win over the text
SELECT classify('550 5.1.1 nope', NULL, '5.2.2'), classify('550 5.2.2 whatever', NULL, '5.1.1');
-- embedded codes that are not codes: IP addresses, long numbers, 4-part versions
SELECT (parse('from 192.0.2.1 port 5500 ver 4.16.55.1 id 12345')).reply_code,
       (parse('from 192.0.2.1 port 5500 ver 4.16.55.1 id 12345')).status;
-- postfix, sendmail, exim, qmail generic texts
SELECT classify('550 5.1.1 <a@example.com>: Recipient address rejected: User unknown in local recipient table') AS postfix,
       classify('550 5.1.1 <a@example.com>... User unknown') AS sendmail,
       classify('Unrouteable address') AS exim,
       classify('Sorry, no mailbox here by that name. (#5.1.1)') AS qmail,
       classify('Sorry, I couldn''t find any host named nowhere.example. (#5.1.2)') AS qmail_host;
-- Exchange / Microsoft 365, with their own meanings of 5.4.1 and 5.1.10
SELECT classify('550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup') AS m365,
       classify('550 5.4.1 Recipient address rejected: Access denied. AS(201806281)') AS m365_541,
       classify('550 5.4.1 ', NULL, NULL, NULL, 'example-com.mail.protection.outlook.com') AS m365_541_host,
       classify('550 5.4.1 ', NULL, NULL, NULL, 'mx.example.org') AS iana_541,
       classify('#550 5.2.2 STOREDRV.Deliver: mailbox full') AS exchange_full;
-- Gmail, Yahoo, iCloud, Orange, Laposte
SELECT classify('550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking') AS gmail_unknown,
       classify('550 5.2.1 The email account that you tried to reach is disabled.') AS gmail_disabled,
       classify('452 4.2.2 The email account that you tried to reach is over quota.') AS gmail_full,
       classify('554 delivery error: dd This user doesn''t have a yahoo.com account (x@yahoo.com) [0]') AS yahoo,
       classify('554 Message not allowed - [299]', NULL, NULL, 'DATA', 'mta7.am0.yahoodns.net') AS yahoo_554,
       classify('550 5.1.1 <x@icloud.com>: inactive email address') AS icloud,
       classify('550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416') AS laposte,
       classify('550 mwinf Adresse IP source bloquee pour incident de spam. OFR006_102') AS orange;
-- KDDI au's address-less "550 : User unknown" is its filter's refusal, whoever relays it;
-- with the address it is an unknown user
SELECT classify('550 : User unknown') AS au, classify('550: : User unknown', remote_host => 'sonic3.consmr.mail.yahoo.com') AS au_via_yahoo,
       classify('550 <x@ezweb.ne.jp>: User unknown') AS with_address;
SELECT classify('Each of the following recipients was rejected by a remote mail server.', remote_host => 'wsmtpr24.ezweb.ne.jp') AS au_notice,
       classify('Each of the following recipients was rejected by a remote mail server. <<< 550 <x@ezweb.ne.jp>... User unknown', remote_host => 'wsmtpr00.ezweb.ne.jp') AS au_notice_unknown_user;
-- AOL's relays: a permanent malformed-MX answer is notaccept; elsewhere, or temporary, a network error
SELECT classify('Name service error for name=example.org type=MX: Malformed or unexpected name server reply', NULL, '5.4.4', NULL, 'omr-m04.mx.aol.com') AS aol_permanent,
       classify('Name service error for name=example.org type=MX: Malformed or unexpected name server reply', NULL, '4.4.3', NULL, 'omr-m04.mx.aol.com') AS aol_temporary,
       classify('Name service error for name=example.org type=MX: Malformed or unexpected name server reply', NULL, '5.4.4', NULL, 'mx20.example.jp') AS other_host;
-- a sending-IP verification refusal at MAIL is about the IP, not the sender address;
-- an address on the site's block list is the sender refused
SELECT classify('450 service permits 2 unverifyable sending IPs - example.com is not 192.0.2.1', NULL, NULL, 'MAIL') AS unverified_ip,
       classify('Sorry, you are sending to/from an address that has been blacklisted') AS address_blacklisted,
       classify('554 Service unavailable; Client host [192.0.2.1] blacklisted') AS ip_blacklisted;
-- a provider's own code on its own host is not re-read by the command; a generic text is
SELECT classify('550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416', NULL, NULL, 'DATA', 'smtpz4.laposte.net') AS laposte_at_data,
       classify('550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416', NULL, NULL, 'DATA', 'relay.example.net') AS relayed_at_data,
       classify('550 5.5.0 Invalid recipient', NULL, NULL, 'DATA', 'smtpz4.laposte.net') AS generic_at_data;
-- mailbox full as 4.2.2 or 5.2.2, and status-only classification
SELECT classify('', 452, '4.2.2'), classify('', 552, '5.2.2'), classify('', 552), classify('', NULL, '5.2.3'), classify('', NULL, '5.1.2');
-- block lists, SPF/DKIM/DMARC, reverse DNS
SELECT classify('554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org') AS spamhaus,
       classify('550 5.7.1 rejected, see http://www.spamcop.net/bl.shtml?192.0.2.1') AS spamcop,
       classify('554 Service unavailable; Client host [192.0.2.1] blocked using Barracuda Reputation, http://www.barracudanetworks.com/reputation') AS barracuda,
       classify('550 5.7.23 SPF validation failed') AS spf,
       classify('550 5.7.20 No passing DKIM signature found') AS dkim,
       classify('550 5.7.1 Unauthenticated email from example.com is not accepted due to domain''s DMARC policy') AS dmarc,
       classify('550 5.7.25 The IP address sending this message does not have a PTR record setup') AS ptr;
-- the command: DATA separates filtered from userunknown, MAIL means rejected, HELO blocked
SELECT classify('550 User unknown', NULL, NULL, 'RCPT') AS rcpt, classify('550 User unknown', NULL, NULL, 'DATA') AS data,
       classify('550 5.1.1 User unknown', NULL, NULL, 'DATA') AS data_with_address_status,
       classify('550 go away', NULL, NULL, 'MAIL FROM') AS mail, classify('554 go away', NULL, NULL, 'EHLO') AS helo,
       classify('550 go away', NULL, NULL, 'whatever') AS unknown_command;
-- not bounces
SELECT classify('This is an email abuse report for an email message received from IP 192.0.2.1') AS feedback,
       classify('I am currently away and will respond upon my return.') AS vacation,
       is_hard('delivered'), is_hard('feedback'), is_hard('vacation');
-- is_hard: Sisimai semantics; notaccept is hard unless transient
SELECT is_hard('userunknown'), is_hard('hostunknown'), is_hard('hasmoved'), is_hard('mailboxfull'), is_hard('filtered'),
       is_hard('notaccept'), is_hard('notaccept', 556), is_hard('notaccept', NULL, '4.1.10'), is_hard(NULL);
-- is_permanent: the status wins when the two disagree
SELECT is_permanent(550, NULL), is_permanent(450, NULL), is_permanent(NULL, '5.1.1'), is_permanent(550, '4.2.2'),
       is_permanent(NULL, NULL) IS NULL AS unknown;
-- parse: NULL only for all-NULL input; command forms
SELECT parse(NULL) IS NULL AS all_null, (parse(NULL, 550)).reason AS code_only;
SELECT left(c, 16) AS command, classify('550 User unknown', NULL, NULL, c) FROM (VALUES ('rcpt to'), (' RCPT'), ('Data'), ('BDAT'), ('mail from:<a@b>'), ('ehlo'), ('CONNECT'), ('RCPTX'), (repeat('x', 100000))) v(c);
-- parse explains
SELECT * FROM parse('host mx.example.jp said: 550 5.1.1 <x@example.jp>... User Unknown (in reply to RCPT TO command)', NULL, NULL, 'RCPT');
SELECT reason, rule, rule_source FROM parse('', 550, '5.1.1');
SELECT reason, rule FROM parse('totally unexplained words');
SELECT reason, rule FROM parse('', 451, '4.3.2');
SELECT reason, rule FROM parse('', 450);
-- reason_group
SELECT reason_group('userunknown'), reason_group('mailboxfull'), reason_group('blocked'), reason_group('authfailure'),
       reason_group('spamdetected'), reason_group('expired'), reason_group('onhold'), reason_group('vacation'), reason_group(NULL);
-- every rule has a source; text rules are lower case in ASCII, the only letters
-- the matcher folds (lower() under the C collation folds the same ones, whatever
-- the database's locale: a rule may quote a capital Cyrillic letter as it is sent)
SELECT count(*) > 300 AS many_rules, count(*) FILTER (WHERE source IS NULL OR source = '') AS without_source,
       count(*) FILTER (WHERE layer = 'text' AND pattern <> lower(pattern COLLATE "C")) AS not_lower_case
  FROM classifier_rules();
SELECT layer, count(*) > 0 AS has_rules FROM classifier_rules() GROUP BY 1 ORDER BY 1;
-- no rule is shadowed: each text rule, given its own words (a name in a gap) and
-- its conditions, decides its own reason (first match wins, so a shorter, earlier
-- pattern could silently take a later rule's texts)
WITH hosts(provider, host) AS (VALUES
  ('Microsoft','mx.protection.outlook.com'), ('Google','gmail-smtp-in.l.google.com'), ('Yahoo/AOL','mta5.am0.yahoodns.net'),
  ('Apple iCloud','mx01.mail.icloud.com'), ('Orange/La Poste','smtp-in.orange.fr'), ('GMX/web.de','mx00.gmx.net'),
  ('T-Online','mx00.t-online.de'), ('Zoho','mx.zoho.com'), ('Proton','mail.protonmail.ch'), ('Mimecast','eu-smtp-1.mimecast.com'),
  ('Proofpoint','mx0a.pphosted.com'), ('Barracuda','d1.barracudanetworks.com'), ('Cisco','mx1.iphmx.com'),
  ('Tencent QQ','mx1.qq.com'), ('GoDaddy','mx.secureserver.net'), ('Amazon SES','feedback-smtp.amazonses.com'),
  ('KDDI au','lsean.ezweb.ne.jp'), ('NTT docomo','mfsmax.docomo.ne.jp')),
r AS (
  SELECT n, pattern, reason, command, provider,
         'someone ' || replace(pattern, '*', 'someone') AS txt,
         CASE WHEN status ~ '^[245]\.$' THEN status || '0.0' WHEN status ~ '\.$' THEN status || '0' ELSE status END AS st
    FROM classifier_rules() WHERE layer = 'text')
SELECT count(*) AS text_rules, count(*) FILTER (WHERE p.reason IS DISTINCT FROM r.reason) AS shadowed,
       count(*) FILTER (WHERE r.provider IS NOT NULL AND h.host IS NULL) AS provider_without_host
  FROM r LEFT JOIN hosts h ON h.provider = r.provider,
  LATERAL parse(r.txt, NULL, r.st::smtp_status, r.command, h.host) p;
-- gap rules ("user * was not found"): both parts, in order, with 1 to 120 bytes between
SELECT d, classify(d) FROM (VALUES
  ('550 user kijitora was not found'),
  ('550 user kijitora@example.jp does not exist'),
  ('550 Mailbox kijitora does not exist'),
  ('550 5.1.1 RCPT <kijitora@example.jp> does not exist'),
  ('550 <kijitora@example.jp> not found'),
  ('550 5.4.1 Recipient address rejected: Access denied. The email account kijitora does not exist at the organization this message was sent to'),
  ('550 5.1.1 Mailbox kijitora@example.jp unavailable'),
  ('451 4.7.1 Greylisted, please try again in 300 seconds'),
  ('550 5.7.1 Sender <sano@example.org> rejected'),
  ('550 5.7.1 Sender is in my do-not-mail list'),
  ('550 5.7.1 Domain example.org is a dead domain')) v(d);
SELECT classify('550 user was not found') AS nothing_between,
       classify('550 was not found user kijitora') AS reversed,
       classify('550 user ' || repeat('k', 120) || ' was not found') AS gap_120,
       classify('550 user ' || repeat('k', 121) || ' was not found') AS gap_121,
       classify('450 4.2.1 Mailbox kijitora unavailable') AS transient_mailbox;
-- message classes named by their words rather than their codes
SELECT d, classify(d) FROM (VALUES
  ('550 Requested action not taken: mailbox unavailable'),
  ('450 Requested mail action not taken: mailbox unavailable'),
  ('550 Recipient not OK'),
  ('553 No thank you rejected: Account Unavailable: kijitora@example.jp'),
  ('550 5.1.1 No valid recipients, bye'),
  ('550 5.2.2 user is over the quota'),
  ('552 5.2.2 user has too many messages on the server'),
  ('552 mail file size exceeds the maximum size allowed for mail delivery'),
  ('550 5.2.1 kijitora is currently suspended'),
  ('550 5.1.6 kijitora@example.jp has been replaced by neko@example.jp'),
  ('550 5.7.1 user reject'),
  ('550 5.7.1 User refuses to receive this mail'),
  ('550 IP 192.0.2.1 is blocked by EarthLink'),
  ('550 Not currently accepting mail from your ip'),
  ('550 5.7.1 Sender IP address rejected'),
  ('550 5.7.1 Bad sender IP address'),
  ('550 We do not accept mail from dynamic IPs'),
  ('550 5.7.1 Rejecting open proxy'),
  ('554 IP/domain reputation problems'),
  ('550 Server access example.net forbidden by invalid RDNS record of your mail server'),
  ('550 Your sender''s IP address is listed at cbl.abuseat.org'),
  ('550 5.7.1 Mailfrom domain is listed in Spamhaus'),
  ('550 5.7.1 This server does not accept mail from example.org'),
  ('550 5.1.0 Sender is spammer'),
  ('550 5.7.1 Sender is in my black list'),
  ('550 5.7.1 Your access to submit messages to this e-mail system has been rejected'),
  ('553 sender domain listed at dbl.example.net'),
  ('550 Returned mail not accepted here'),
  ('553 sorry, that domain isn''t in my list of allowed rcpthost (#5.7.1)'),
  ('550 5.7.1 Sender address has been blacklisted'),
  ('554 Transaction failed: Unsigned DSN for kijitora@example.jp'),
  ('550 5.7.1 Recipient not accepted. (BATV: no tag)'),
  ('550 Too many spams from your IP (192.0.2.1)'),
  ('554 Sorry, your remotehost looks suspiciously like spammer'),
  ('550 5.7.1 Our system has detected that this message is suspicious'),
  ('421 4.7.0 We have already made numerous attempts to deliver this message'),
  ('451 Please try again slower'),
  ('451 DNS lookup failure: example.net try again later'),
  ('550 unresolvable relay host name'),
  ('550 Domain example.net mismatches client IP'),
  ('550 5.7.1 Please inspect your SPF settings'),
  ('550 See http://spf.pobox.com/why.html'),
  ('550 5.7.1 rejected due to a poor email reputation score'),
  ('554 Message considered as spam or virus'),
  ('554 5.7.1 Message rejected because of unacceptable content'),
  ('550 Your email breaches local URIBL policy'),
  ('554 5.7.1 It has a potentially executable attachment'),
  ('421 4.3.0 interrupted system call'),
  ('550 5.7.1 Your message was blocked by the receiving site')) v(d);
-- bad input: reply codes out of range (22023), bad status text (22P02)
\set VERBOSITY default
SELECT classify('x', 600);
SELECT classify('x', 99);
SELECT parse('x', -1);
SELECT is_permanent(1000, NULL);
SELECT is_hard('userunknown', 199);
SELECT classify('x', NULL, '5.1');
SELECT classify('x', NULL, '6.1.1');
SELECT 'nope'::reason;
-- odd input neither crashes nor misleads
SELECT classify(repeat('a', 1000000)) AS megabyte_of_a, classify(repeat('user ', 200000) || 'unknown') AS long_then_match;
SELECT classify(E'\\x01\\x02 \\xff\\xfe') AS odd_bytes, classify('ユーザーが見つかりません') AS japanese_no_rule,
       classify(convert_from('\x5573657220756e6b6e6f776e'::bytea, 'UTF8')) AS user_unknown_bytes;
SELECT classify('550 5.1.1 ' || repeat('x', 5000) || ' mailbox full') AS rule_far_away;
-- markings: IMMUTABLE PARALLEL SAFE, commented
SELECT p.proname, p.provolatile, p.proparallel, obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc p WHERE p.pronamespace = 'bounce'::regnamespace
   AND p.proname IN ('classify', 'parse', 'is_hard', 'is_permanent', 'reason_group', 'reasons', 'classifier_rules')
 ORDER BY 1;
-- fully qualified, without bounce on the search path
SET search_path = public;
SELECT bounce.classify('550 5.1.1 User unknown'), (bounce.parse('552 5.2.2 Mailbox full')).reason_group;
