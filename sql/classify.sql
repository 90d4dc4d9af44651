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
SELECT reply_code, status, reason FROM classify_explain('250 2.1.0 Sender OK 250 2.1.5 Recipient OK 354 go ahead 552 5.2.2 Mailbox full');
SELECT reply_code, status, reason FROM classify_explain('MAIL FROM 250 2.1.0 ok; RCPT TO 550 5.1.1 nope');
-- explicit arguments win over the text
SELECT classify('550 5.1.1 nope', NULL, '5.2.2'), classify('550 5.2.2 whatever', NULL, '5.1.1');
-- embedded codes that are not codes: IP addresses, long numbers, 4-part versions
SELECT (classify_explain('from 192.0.2.1 port 5500 ver 4.16.55.1 id 12345')).reply_code,
       (classify_explain('from 192.0.2.1 port 5500 ver 4.16.55.1 id 12345')).status;
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
       classify('550 <x@ezweb.ne.jp>: User unknown', remote_host => 'lsean.ezweb.ne.jp') AS with_address;
SELECT classify('Each of the following recipients was rejected by a remote mail server.', remote_host => 'wsmtpr24.ezweb.ne.jp') AS au_notice,
       classify('Each of the following recipients was rejected by a remote mail server. <<< 550 <x@ezweb.ne.jp>... User unknown', command => 'RCPT', remote_host => 'wsmtpr00.ezweb.ne.jp') AS au_notice_unknown_user;
-- AOL's relays (Sisimai::Rhost::Aol): a malformed-MX answer is notaccept, whatever its class;
-- elsewhere a network error
SELECT classify('Name service error for name=example.org type=MX: Malformed or unexpected name server reply', NULL, '5.4.4', NULL, 'omr-m04.mx.aol.com') AS aol_permanent,
       classify('Name service error for name=example.org type=MX: Malformed or unexpected name server reply', NULL, '4.4.3', NULL, 'omr-m04.mx.aol.com') AS aol_temporary,
       classify('Name service error for name=example.org type=MX: Malformed or unexpected name server reply', NULL, '5.4.4', NULL, 'mx20.example.jp') AS other_host;
-- the remote-host modules (Sisimai::Rhost::*): a provider's own text or code, on its own
-- host, with the status its module lists, means what the provider says it means
SELECT classify('550 5.7.620 Access denied, banned sending IP [192.0.2.1]', remote_host => 'example-com.mail.protection.outlook.com') AS ms_range,
       classify('550 5.7.900 Delivery not authorized, message refused', remote_host => 'example-com.mail.protection.outlook.com') AS ms_transport_rule,
       classify('550 5.7.1 Delivery not authorized, message refused', remote_host => 'example-com.mail.protection.outlook.com') AS ms_571,
       classify('550 5.7.900 Delivery not authorized, message refused', remote_host => 'mx.example.be') AS elsewhere_5790,
       classify('550 5.7.504 Recipient address rejected: Access denied', remote_host => 'example-com.mail.protection.outlook.com') AS ms_5504,
       classify('421 RP-001 (BAY004-MC1F63) Unfortunately, some messages from 192.0.2.1 weren''t sent', remote_host => 'mx1.hotmail.com') AS outlook_rp001;
SELECT classify('421 4.7.0 IP not in whitelist for RCPT domain, closing connection.', remote_host => 'aspmx.l.google.com') AS google_4,
       classify('550 5.7.0 IP not in whitelist for RCPT domain, closing connection.', remote_host => 'aspmx.l.google.com') AS google_5,
       classify('550 5.7.27 Gmail requires all senders to authenticate with SPF', remote_host => 'gmail-smtp-in.l.google.com') AS google_5727,
       classify('550 5.7.27 Gmail requires all senders to authenticate with SPF', remote_host => 'mx.example.be') AS iana_5727,
       classify('DNS Error: Domain name not found', NULL, '5.1.2', NULL, 'mail-yw1-f41.googlemail.com') AS gsuite_5,
       classify('DNS Error: Domain name not found', NULL, '4.4.3', NULL, 'mail-yw1-f41.googlemail.com') AS gsuite_4;
SELECT classify('421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints', remote_host => 'mta6.am0.yahoodns.net') AS yahoo_tss04,
       classify('421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints', remote_host => '192.0.2.25') AS tss04_elsewhere,
       classify('550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]', remote_host => 'smtp-in.orange.fr') AS orange_416,
       classify('421 mwinf5c79 ME Trop de connexions. Too many connections, slow down. OFR005_104 [104]', remote_host => 'smtp-in.orange.fr') AS orange_104,
       classify('550 5.7.1 [CS01] Message rejected due to local policy.', remote_host => 'mx01.mail.icloud.com') AS icloud_cs01,
       classify('550 unknown or illegal alias: x@icloud.com', remote_host => 'mx01.mail.icloud.com') AS icloud_alias,
       classify('550 unknown or illegal alias: x@acme.com', remote_host => 'mx.acme.com') AS acme_is_not_me_com;
SELECT classify('554 Connection refused. This IP address is listed on the Spamhaus Block List (SBL). IB104', remote_host => 'smtp.secureserver.net') AS godaddy_ib104,
       classify('552 Virus infected message rejected. IB705', remote_host => 'smtp.secureserver.net') AS godaddy_ib705,
       classify('554 5.7.1 Your mail could not be delivered. AUP#CXDNS', remote_host => 'mx.east.cox.net') AS cox_cxdns,
       classify('554 5.7.1 ESMTP server not available AUP#I-1010', remote_host => 'mx0.charter.net') AS spectrum_1010,
       classify('421 4.7.1 ESMTP server not available AUP#I-1340', remote_host => 'mx0.charter.net') AS spectrum_1340,
       classify('550 5.1.1 RCP-P2 https://www.facebook.com/postmaster/response_codes', remote_host => 'smtpin.mx.facebook.com') AS facebook_rcp_p2;
SELECT classify('550 Mailbox is full, see https://mail.i.ua/err/4/', remote_host => 'mx.email.ua') AS iua_4,
       classify('550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369', remote_host => 'eu-smtp-inbound-1.mimecast.com') AS mimecast_invalid,
       classify('550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369', remote_host => 'mx.example.be') AS invalid_elsewhere,
       classify('553-mail rejected because your IP is in the PBL. See http://www.spamhaus.org/pbl', remote_host => 'cluster1.eu.messagelabs.com') AS messagelabs_pbl,
       classify('554 5.7.1 Upstream error, try again later', remote_host => 'route1.mx.cloudflare.net') AS cloudflare,
       classify('550 Mailbox not found. https://service.mail.qq.com/detail/122/169', remote_host => 'mx1.qq.com') AS tencent;
SELECT classify('550 5.1.1 User does not exist - <x@zoho.com>', remote_host => 'mx.zoho.com') AS zoho,
       classify('550 5.7.1 Email rejected per DMARC policy for zoho.com', remote_host => 'smtpin.zoho.com') AS zoho_dmarc,
       classify('550 Unknown user x@docomo.ne.jp', NULL, '5.0.0', 'RCPT', 'mfsmax.docomo.ne.jp') AS docomo_rcpt,
       classify('550 Unknown user x@docomo.ne.jp', NULL, '5.0.0', 'DATA', 'mfsmax.docomo.ne.jp') AS docomo_data,
       classify('550 Unknown user x@docomo.ne.jp', NULL, '5.2.0', NULL, 'mfsmax.docomo.ne.jp') AS docomo_520;
-- a rule's status may leave the class open (X.7.0) or end in a range (5.7.9*); neither matches
-- another subject, and a 2.x.x status is a delivery before any rule is read
SELECT classify('IP not in whitelist for RCPT domain', NULL, '4.5.0', NULL, 'aspmx.l.google.com') AS other_subject,
       classify('Delivery not authorized, message refused', NULL, '5.7.89', NULL, 'example-com.mail.protection.outlook.com') AS below_range,
       classify('IP not in whitelist for RCPT domain', NULL, '2.7.0', NULL, 'aspmx.l.google.com') AS success_status;
SELECT provider, count(*) > 0 AS has_rules FROM classifier_rules()
 WHERE layer = 'text' AND source LIKE 'Sisimai 5 Sisimai::Rhost::%' AND provider IS NOT NULL GROUP BY 1 ORDER BY 1;
-- the mail systems' own reports in Sisimai 5's MTA and local-delivery modules
SELECT d, classify(d) FROM (VALUES
  ('procmail: user over quota'),
  ('Loop Back Warning: x@example.org'),
  ('reject spammers: x@example.org'),
  ('Duplicated Message-ID in <x@example.org>.'),
  ('550 550 Unknown user x@example.org (state 18).'),
  ('500 Remote server does not support TLS (state 6).'),
  ('Sorry, I couldn''t find a mail exchanger or IP address. (#5.4.4)'),
  ('Loop detected'),
  ('Message 1pXyZ-000ABC-12 has been frozen by the system filter.'),
  ('Delay reason: retry time not reached for any host after a long failure period'),
  ('550 - Requested action not taken: no such user here / No valid recipients'),
  ('Error: no valid recipients from 192.0.2.1'),
  ('Mail size limit exceeded. For explanation visit http://postmaster.1and1.com/en/error-messages'),
  ('Illegal host/domain name found')) v(d);
-- the mail systems' own texts, from their sources and documentation: Postfix, Sendmail,
-- Exchange's NDR, a groupware directory; and feedback reports (RFC 5965, 6591, 6430)
SELECT d, classify(d) FROM (VALUES
  ('550 5.5.0 <>: Data command rejected: Multi-recipient bounce'),
  ('lost connection with mx.example.org[192.0.2.1] while sending RCPT TO'),
  ('cannot update mailbox /var/mail/x for user x. error writing message: File too large'),
  ('TLS is required, but was not offered by host mx.example.org[192.0.2.1]'),
  ('Server certificate not verified'),
  ('Warning: message still undelivered after 4 hours'),
  ('The email address you entered couldn''t be found. Please check the recipient''s email address and try to resend the message.'),
  ('The recipient''s e-mail address was not found in the recipient''s e-mail system.'),
  ('kijitora wasn''t found at example.org.'),
  ('User kijitora (kijitora@example.org) not listed in the company directory'),
  ('Feedback-Type: auth-failure'),
  ('Content-Type: message/feedback-report'),
  ('550 #5.7.1 SPF unauthorized mail is prohibited.'),
  ('451 #4.4.3 Temporary error occurred during SPF verification.'),
  ('mail.local: cannot create lock file /var/mail/x.lock'),
  ('Your message to <x@example.org> was automatically rejected: sieve script failed')) v(d);
-- a host that refuses the client says so ("Connection refused by <host>"); a TCP refusal is a
-- connection failure, and after the retries its status 4.4.1 says the message expired
SELECT classify('Deferred: Connection refused by mx.example.org.') AS refused_by_host,
       classify('connect to mx.example.org[192.0.2.1]:25: Connection refused', NULL, '4.4.1') AS tcp_refused;
-- a directory the name is not listed in needs a name between: the words alone say nothing
SELECT classify('not listed in directory') AS no_name, classify('550 not listed in directory', command => 'RCPT') AS at_rcpt;
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
       classify('550 nope', NULL, NULL, 'MAIL FROM') AS mail, classify('554 nope', NULL, NULL, 'EHLO') AS helo,
       classify('550 nope', NULL, NULL, 'whatever') AS unknown_command;
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
SELECT classify_explain(NULL) IS NULL AS all_null, (classify_explain(NULL, 550)).reason AS code_only;
SELECT left(c, 16) AS command, classify('550 User unknown', NULL, NULL, c) FROM (VALUES ('rcpt to'), (' RCPT'), ('Data'), ('BDAT'), ('mail from:<a@b>'), ('ehlo'), ('CONNECT'), ('RCPTX'), (repeat('x', 100000))) v(c);
-- parse explains
SELECT * FROM classify_explain('host mx.example.jp said: 550 5.1.1 <x@example.jp>... User Unknown (in reply to RCPT TO command)', NULL, NULL, 'RCPT');
SELECT reason, rule, rule_source FROM classify_explain('', 550, '5.1.1');
SELECT reason, rule FROM classify_explain('totally unexplained words');
SELECT reason, rule FROM classify_explain('', 451, '4.3.2');
SELECT reason, rule FROM classify_explain('', 450);
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
-- pattern could silently take a later rule's texts); a user-unknown text that the
-- context read as filtered or rejected (the rule description says so)
-- counts as the text rule's own reason
WITH hosts(provider, host) AS (VALUES
  ('Microsoft','mx.protection.outlook.com'), ('Google','gmail-smtp-in.l.google.com'), ('Yahoo/AOL','mta5.am0.yahoodns.net'),
  ('Apple iCloud','mx01.mail.icloud.com'), ('Orange/La Poste','smtp-in.orange.fr'), ('GMX/web.de','mx00.gmx.net'),
  ('T-Online','mx00.t-online.de'), ('Zoho','mx.zoho.com'), ('Proton','mail.protonmail.ch'), ('Mimecast','eu-smtp-1.mimecast.com'),
  ('Proofpoint','mx0a.pphosted.com'), ('Barracuda','d1.barracudanetworks.com'), ('Cisco','mx1.iphmx.com'),
  ('Tencent QQ','mx1.qq.com'), ('GoDaddy','mx.secureserver.net'), ('Amazon SES','feedback-smtp.amazonses.com'),
  ('KDDI au','lsean.ezweb.ne.jp'), ('NTT docomo','mfsmax.docomo.ne.jp'), ('Cloudflare','route1.mx.cloudflare.net'),
  ('Cox','mx.east.cox.net'), ('Facebook','smtpin.mx.facebook.com'), ('i.ua','mx.email.ua'),
  ('MessageLabs','cluster1.eu.messagelabs.com'), ('Spectrum','mx0.charter.net')),
r AS (
  SELECT n, pattern, reason, command, provider,
         'someone ' || replace(pattern, '*', 'someone') AS txt,
         CASE WHEN status ~ '^[245X]\.$' THEN status || '0.0' WHEN status ~ '\.$' THEN status || '0'
              WHEN status ~ '\*$' THEN replace(status, '*', '0') ELSE status END AS st0
    FROM classifier_rules() WHERE layer = 'text')
SELECT count(*) AS text_rules,
       count(*) FILTER (WHERE CASE WHEN p.rule ~ '; (refused at|not at RCPT)' THEN 'userunknown' ELSE p.reason END
                              IS DISTINCT FROM r.reason) AS shadowed,
       count(*) FILTER (WHERE r.provider IS NOT NULL AND h.host IS NULL) AS provider_without_host
  FROM r LEFT JOIN hosts h ON h.provider = r.provider,
  LATERAL classify_explain(r.txt, NULL, replace(r.st0, 'X', '5')::smtp_status, r.command, h.host) p;
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
SELECT classify_explain('x', -1);
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
-- rules from Sisimai 5's reason modules, its MTA tables (Lhost, MDA) and its remote-host
-- modules: each rule's own words decide its reason (a generic user-unknown text at RCPT,
-- where Sisimai reads it as one); wrong lists any that do not
WITH probe(diagnostic, status, command, remote_host, expected) AS (VALUES
  ('someone recipient address rejected: access denied', '5.4.1', NULL, NULL, 'userunknown'),
  ('someone recipientnotfound', NULL, NULL, NULL, 'userunknown'),
  ('someone recipnotfound', NULL, NULL, NULL, 'userunknown'),
  ('someone resolver.adr.exrecipnotfound', NULL, NULL, NULL, 'userunknown'),
  ('someone resolver.rst.notauthorized', NULL, NULL, NULL, 'filtered'),
  ('someone doesn''t have a yahoo', NULL, NULL, NULL, 'userunknown'),
  ('someone destinataire invalide', NULL, NULL, NULL, 'userunknown'),
  ('someone service refused, please try later. someone103', NULL, NULL, NULL, 'blocked'),
  ('someone service refused, please try later. someone510', NULL, NULL, NULL, 'blocked'),
  ('someone envelope blocked', NULL, NULL, NULL, 'rejected'),
  ('someone administrative prohibition', NULL, NULL, NULL, 'rejected'),
  ('someone ディレクトリには見つかりません', NULL, NULL, NULL, 'userunknown'),
  ('someone >: user unknown', NULL, NULL, 'lsean.ezweb.ne.jp', 'userunknown'),
  ('someone requested action not taken: mailbox unavailable (not enough free space)', NULL, NULL, NULL, 'systemfull'),
  ('someone requested action not taken: mailbox unavailable', NULL, NULL, 'bay004-mx.hotmail.com', 'userunknown'),
  ('someone groups.google.com/support', NULL, NULL, NULL, 'rejected'),
  ('someone  - unable to relay message back to mta', NULL, NULL, NULL, 'systemerror'),
  ('someone unknown user:', NULL, NULL, NULL, 'userunknown'),
  ('someone mail.local: user unknown', NULL, NULL, NULL, 'userunknown'),
  ('someone mail.local: invalid mailbox path', NULL, NULL, NULL, 'userunknown'),
  ('someone mailbox doesn''t exist: ', NULL, NULL, NULL, 'userunknown'),
  ('someone maildrop: invalid user specified', NULL, NULL, NULL, 'userunknown'),
  ('someone cannot find system user', NULL, NULL, NULL, 'userunknown'),
  ('someone invalid or unknown base user or domain', NULL, NULL, NULL, 'userunknown'),
  ('someone user name does not refer to a virtual user', NULL, NULL, NULL, 'userunknown'),
  ('someone delivery failed due to system quota violation', NULL, NULL, NULL, 'mailboxfull'),
  ('someone user does not exist, but will deliver to', NULL, NULL, NULL, 'filtered'),
  ('someone procmail: quota exceeded while writing', NULL, NULL, NULL, 'mailboxfull'),
  ('someone procmail: no space left to finish writing', NULL, NULL, NULL, 'systemfull'),
  ('someone not listed in domino directory', NULL, NULL, NULL, 'userunknown'),
  ('someone not listed in public name & address book', NULL, NULL, NULL, 'userunknown'),
  ('someone no se encuentra en el directorio de domino', NULL, NULL, NULL, 'userunknown'),
  ('someone dans l''annuaire domino', NULL, NULL, NULL, 'userunknown'),
  ('someone ディレクトリのリストにありません', NULL, NULL, NULL, 'userunknown'),
  ('someone cannot route mail to user', NULL, NULL, NULL, 'filtered'),
  ('someone ambiguous recipient', NULL, NULL, NULL, 'filtered'),
  ('someone unable to deliver message to <', NULL, NULL, NULL, 'userunknown'),
  ('someone does not like recipient.', NULL, NULL, NULL, 'userunknown'),
  ('someone the user(s) account is temporarily limited', NULL, NULL, NULL, 'suspend'),
  ('someone due to the following smtp relay error', NULL, NULL, NULL, 'norelaying'),
  ('someone  - bad header:', NULL, NULL, NULL, 'contenterror'),
  ('someone resolver.adr.reciplimit', NULL, NULL, NULL, 'ratelimited'),
  ('someone error: quota exceed', NULL, NULL, NULL, 'mailboxfull'),
  ('someone too many "received" headers', NULL, NULL, NULL, 'contenterror'),
  ('someone mailaddress is administrativ', NULL, NULL, NULL, 'suspend'),
  ('someone the message exeeded the maximum size the user accepts', NULL, NULL, NULL, 'emailtoolarge'),
  ('someone domain or user isn''t in my list of allowed rcpthosts', NULL, 'RCPT', NULL, 'userunknown'),
  ('someone you don''t authenticate or the domain isn''t in my list of allowed rcpthosts', NULL, NULL, NULL, 'securityerror'),
  ('someone requested mail action aborted: exceeded storage allocation', NULL, NULL, NULL, 'systemfull'),
  ('someone //www.spamhaus.org/help/help_spam_16.htm', NULL, NULL, NULL, 'spamdetected'),
  ('someone message rejected for policy reasons', NULL, NULL, NULL, 'spamdetected'),
  ('someone message was rejected for possible spam/virus content', NULL, NULL, NULL, 'spamdetected'),
  ('someone message filtered. refer to the troubleshooting page at', NULL, NULL, NULL, 'spamdetected'),
  ('someone rule imposed as someone is blacklisted on', NULL, NULL, NULL, 'spamdetected'),
  ('someone you''re using a mass mailer', NULL, NULL, NULL, 'policyviolation'),
  ('someone delivery not authorized, message refused', NULL, NULL, NULL, 'rejected'),
  ('someone mailbox someone unavailable or access denied', NULL, 'RCPT', NULL, 'userunknown'),
  ('someone <someone>... blocked by ', NULL, 'RCPT', NULL, 'userunknown'),
  ('someone too many spam complaints', NULL, NULL, NULL, 'spamdetected'),
  ('someone bounced address', NULL, NULL, NULL, 'filtered'),
  ('someone bin/maidrop', NULL, NULL, NULL, 'mailererror'),
  ('someone  || exit ', NULL, NULL, NULL, 'mailererror'),
  ('someone is not allowed to send mail.someone_401', NULL, NULL, NULL, 'authfailure'),
  ('someone the corresponding forward dns entry does not point to the sending ip', NULL, NULL, NULL, 'requireptr'),
  ('someone specified domain is not allowed', NULL, NULL, NULL, 'norelaying'),
  ('someone 452 insufficient disk space', NULL, NULL, NULL, 'mailboxfull'),
  ('someone diskspace quota', NULL, NULL, NULL, 'mailboxfull'),
  ('someone no space left on device', NULL, NULL, NULL, 'mailboxfull'),
  ('someone not sufficient disk space', NULL, NULL, NULL, 'mailboxfull'),
  ('someone exceeded the maximum incoming message size', NULL, NULL, NULL, 'emailtoolarge'),
  ('someone inactive account', NULL, NULL, NULL, 'suspend'),
  ('someone is unavailable: user is terminated', NULL, NULL, NULL, 'suspend'),
  ('someone account has been temporarily suspended', NULL, NULL, NULL, 'suspend'),
  ('someone user or domain is disabled', NULL, NULL, NULL, 'suspend'),
  ('someone does not exist e2110', NULL, NULL, NULL, 'rejected'),
  ('someone invalid domain, see <url:', NULL, NULL, NULL, 'rejected'),
  ('someone rule imposed mailbox access for', NULL, NULL, NULL, 'rejected'),
  ('someone sender domain listed at', NULL, NULL, NULL, 'spamdetected'),
  ('someone host unreachable', NULL, NULL, NULL, 'hostunknown'),
  ('someone 553 someone does not exist', NULL, NULL, NULL, 'hostunknown'),
  ('someone no such user', NULL, NULL, NULL, 'userunknown'),
  ('someone user not exist', NULL, NULL, NULL, 'userunknown'),
  ('someone unknown recipient', NULL, NULL, NULL, 'userunknown'),
  ('someone no mailbox here by that name', NULL, NULL, NULL, 'userunknown'),
  ('someone address couldn''t be found', NULL, NULL, NULL, 'userunknown'),
  ('someone invalid final delivery userid', NULL, NULL, NULL, 'userunknown'),
  ('someone archived recipient', NULL, NULL, NULL, 'suspend'),
  ('someone address no longer accepts mail', NULL, NULL, NULL, 'suspend'),
  ('someone user missing home directory', NULL, NULL, NULL, 'userunknown'),
  ('someone invalid or unknown virtual user', NULL, NULL, NULL, 'userunknown'),
  ('someone rcpt <someone does not exist', NULL, 'RCPT', NULL, 'userunknown'),
  ('someone no matches to nameserver query', NULL, NULL, NULL, 'blocked'),
  ('someone mailbox unavaiable', NULL, 'RCPT', NULL, 'userunknown'),
  ('someone not email addresses', NULL, 'RCPT', NULL, 'userunknown'),
  ('someone recipient is not accepted', NULL, 'RCPT', NULL, 'userunknown'),
  ('someone resolver.adr.recipient notfound', NULL, 'RCPT', NULL, 'userunknown'),
  ('someone no someone in name directory', NULL, 'RCPT', NULL, 'userunknown'),
  ('someone rcpt (someonet exist ', NULL, 'RCPT', NULL, 'userunknown'),
  ('someone user (someone) unknown', NULL, 'RCPT', NULL, 'userunknown'),
  ('someone does not exist.', NULL, 'RCPT', NULL, 'userunknown'),
  ('someone  said: 550 blocked', NULL, NULL, NULL, 'blocked'),
  ('someone error: no valid recipients from ', NULL, NULL, NULL, 'blocked'),
  ('someone go away', NULL, NULL, NULL, 'blocked'),
  ('someone host network not allowed', NULL, NULL, NULL, 'blocked'),
  ('someone rejected because the sending mta or the sender has not passed validation', NULL, NULL, NULL, 'blocked'),
  ('someone service not available, closing transmission channel', NULL, NULL, NULL, 'blocked'),
  ('someone to submit messages to this e-mail system has been rejected', NULL, NULL, NULL, 'blocked'),
  ('someone @someone:blocked)', NULL, NULL, NULL, 'blocked'),
  ('someone mail from someone refused:', NULL, NULL, NULL, 'blocked'),
  ('someone mail from someone refused, see', NULL, NULL, NULL, 'blocked'),
  ('someone messages from someone temporarily deferred due to user complaints', NULL, NULL, NULL, 'blocked'),
  ('someone your access ipsomeone has been rejected', NULL, NULL, NULL, 'blocked'),
  ('someone blocked by spamassassin', NULL, NULL, NULL, 'spamdetected'),
  ('someone 554 5.7.0 reject, id=', NULL, NULL, NULL, 'spamdetected'),
  ('someone listed in work.drbl.imedia.ru', NULL, NULL, NULL, 'spamdetected'),
  ('someone rejecting mail content', NULL, NULL, NULL, 'spamdetected'),
  ('someone mail score (someone over ', NULL, NULL, NULL, 'spamdetected'),
  ('someone rfcmessagenoncompliant', NULL, NULL, NULL, 'notcompliantrfc'),
  ('someone multiple someone header', NULL, NULL, NULL, 'notcompliantrfc'),
  ('someone header error', NULL, NULL, NULL, 'policyviolation'),
  ('someone mail.local: temporary file write error', NULL, NULL, NULL, 'systemerror'),
  ('someone several matches found in domino directory', NULL, NULL, NULL, 'systemerror'),
  ('someone your message was not delivered within ', NULL, NULL, NULL, 'expired'),
  ('someone please turn on smtp authentication in your mail client', NULL, NULL, NULL, 'securityerror'),
  ('someone as the remote domain doesnt exist', NULL, NULL, NULL, 'hostunknown'),
  ('someone no action is required on your part', NULL, NULL, NULL, 'expired'),
  ('someone  - temporary mta failure on relaying', NULL, NULL, NULL, 'systemerror'),
  ('someone  - rejected by next-hop mta on relaying', NULL, NULL, NULL, 'systemerror'),
  ('someone dns error: could not contact dns servers', NULL, NULL, NULL, 'expired'),
  ('someone dns error: domain name not found', NULL, NULL, NULL, 'hostunknown'),
  ('someone dns error: dns server returned answer with no data', NULL, NULL, NULL, 'hostunknown'),
  ('someone  had no relevant answers.', NULL, NULL, NULL, 'networkerror'),
  ('someone  responded with code nxdomain', NULL, NULL, NULL, 'networkerror'),
  ('someone smtpsend.dns.nonexistentdomain', NULL, NULL, NULL, 'hostunknown'),
  ('someone smtpsend.dns.mxloopback', NULL, NULL, NULL, 'networkerror'),
  ('someone resolver.adr.badprimary', NULL, NULL, NULL, 'systemerror'),
  ('someone resolver.adr.invalidinsmtp', NULL, NULL, NULL, 'systemerror'),
  ('someone resolver.adr.ambiguous', NULL, NULL, NULL, 'systemerror'),
  ('someone queue.expired', NULL, NULL, NULL, 'expired'),
  ('someone this domain''s dns violates rfc 1035', NULL, NULL, NULL, 'systemerror'),
  ('someone dns lookup failed.', NULL, NULL, NULL, 'networkerror'),
  ('someone all host address lookups failed permanently', NULL, NULL, NULL, 'hostunknown'),
  ('someone an mx or srv record indicated no smtp service', NULL, NULL, NULL, 'notaccept'),
  ('someone no host found for existing smtp connection', NULL, NULL, NULL, 'notaccept'),
  ('someone angle-brackets nested too deep', NULL, NULL, NULL, 'syntaxerror'),
  ('someone expected word or "<"', NULL, NULL, NULL, 'syntaxerror'),
  ('someone domain missing in source-routed address', NULL, NULL, NULL, 'syntaxerror'),
  ('someone malformed address:', NULL, NULL, NULL, 'syntaxerror'),
  ('someone delivery to file forbidden', NULL, NULL, NULL, 'systemerror'),
  ('someone delivery to pipe forbidden', NULL, NULL, NULL, 'systemerror'),
  ('someone local delivery failed', NULL, NULL, NULL, 'systemerror'),
  ('someone lmtp error after ', NULL, NULL, NULL, 'systemerror'),
  ('someone destination seem to reject all mails', NULL, NULL, NULL, 'notaccept'),
  ('someone address family mismatch on destination mxs', NULL, NULL, NULL, 'networkerror'),
  ('someone all routes to destination blocked', NULL, NULL, NULL, 'networkerror'),
  ('someone bad dns lookup error code', NULL, NULL, NULL, 'networkerror'),
  ('someone could not retrieve source address', NULL, NULL, NULL, 'networkerror'),
  ('someone network error on destination mxs', NULL, NULL, NULL, 'networkerror'),
  ('someone no valid route to remote mx', NULL, NULL, NULL, 'networkerror'),
  ('someone no valid route to destination', NULL, NULL, NULL, 'networkerror'),
  ('someone temporary failure in mx lookup', NULL, NULL, NULL, 'networkerror'),
  ('someone could not retrieve credentials', NULL, NULL, NULL, 'securityerror'),
  ('someone automatic homedir creator crashed', NULL, NULL, NULL, 'systemerror'),
  ('someone illegal value in ldap attribute', NULL, NULL, NULL, 'systemerror'),
  ('someone ldap attribute is not given but mandatory', NULL, NULL, NULL, 'systemerror'),
  ('someone timeout while performing search on ldap server', NULL, NULL, NULL, 'systemerror'),
  ('someone too many results returned but needs to be unique', NULL, NULL, NULL, 'systemerror'),
  ('someone error while executing qmail-forward', NULL, NULL, NULL, 'systemerror'),
  ('someone temporary error in automatic homedir creation', NULL, NULL, NULL, 'systemerror'),
  ('someone temporary failure in ldap lookup', NULL, NULL, NULL, 'systemerror'),
  ('someone unable to contact ldap server', NULL, NULL, NULL, 'systemerror'),
  ('someone unable to login into ldap server', NULL, NULL, NULL, 'systemerror'),
  ('someone bad interpreter: no such file or directory', NULL, NULL, NULL, 'systemerror'),
  ('someone although i''m listed as a best-preference mx or a for that host', NULL, NULL, NULL, 'networkerror'),
  ('someone i couldn''t find any host ', NULL, NULL, NULL, 'hostunknown'),
  ('someone delivery failed someone attempts', NULL, NULL, NULL, 'expired'),
  ('someone mail receiving disabled', NULL, NULL, NULL, 'notaccept'),
  ('someone name server: .: host not found', NULL, NULL, NULL, 'notaccept'),
  ('someone no route for current request', NULL, NULL, NULL, 'notaccept'),
  ('someone smtp protocol returned a permanent error', NULL, NULL, NULL, 'notaccept'),
  ('someone executable files are not allowed in compressed files', NULL, NULL, NULL, 'securityerror'),
  ('someone authentification invalidesomeone305', NULL, NULL, NULL, 'securityerror'),
  ('someone recipient deferred because there is no mdb', NULL, NULL, NULL, 'systemerror'),
  ('someone unable to connect someone daemon', NULL, NULL, NULL, 'systemerror'),
  ('someone delivery expired', NULL, NULL, NULL, 'expired'),
  ('someone address rejected', NULL, NULL, NULL, 'rejected')
)
SELECT count(*) AS probes, count(*) FILTER (WHERE got = expected) AS right,
       string_agg(diagnostic || ' -> ' || got, '; ') FILTER (WHERE got <> expected) AS wrong FROM (
  SELECT diagnostic, expected, classify(diagnostic, NULL, status::smtp_status, command, remote_host)::text AS got FROM probe) v;
-- Sisimai 5's reading of a user-unknown text: an unknown user at RCPT or with an address
-- status (5.1.0/5.1.1/5.1.3); the sender at MAIL; a filter's refusal at DATA or with no
-- command and no address status; unless one mail system's own table (an MTA row) gave it
SELECT d, s, c, classify(d, NULL, s::smtp_status, c) FROM (VALUES
  ('550 User unknown', NULL, NULL), ('550 User unknown', NULL, 'RCPT'), ('550 User unknown', '5.1.1', NULL),
  ('550 User unknown', '5.1.0', 'DATA'), ('550 User unknown', '5.1.2', NULL), ('450 User unknown', '4.1.1', NULL),
  ('550 User unknown', '5.0.0', 'MAIL'), ('550 User unknown', '5.2.1', NULL), ('550 User unknown', NULL, 'DATA'),
  ('Unknown Recipient', NULL, NULL), ('Unknown Recipient', NULL, 'DATA'), ('550 kijitora@example.jp... No such user', '5.0.0', NULL),
  ('Unknown user: kijitora@example.jp', NULL, NULL), ('mail.local: unknown user: kijitora', '5.5.0', NULL),
  ('User kijitora (kijitora@example.jp) not listed in Domino Directory', NULL, NULL),
  ('User kijitora not listed in public Name & Address Book', NULL, NULL)) v(d, s, c);
-- a status of a reason Sisimai tries before the text's reason decides; a text of a reason
-- it tries earlier still wins (suspend, hasmoved and norelaying come before authfailure)
SELECT classify('552 5.2.2 <x@example.jp>... User unknown') AS full_beats_unknown,
       classify('552 5.3.4 Mailbox does not exist') AS size_beats_unknown,
       classify('550 5.7.26 User unknown', command => 'RCPT') AS auth_beats_unknown,
       classify('554 5.7.26 Relay access denied') AS relaying_beats_auth,
       classify('552 5.2.2 Mailbox disabled') AS full_beats_disabled,
       classify('550 5.7.26 mailbox disabled') AS disabled_beats_auth;
-- status codes as Sisimai::SMTP::Status reads them where it differs from RFC 3463's words
SELECT classify('550 5.2.1 Sorry') AS s_521, classify('450 4.2.1 Sorry') AS s_421, classify('554 5.5.4 Sorry') AS s_554,
       classify('500 5.5.6 Sorry') AS s_556, classify('450 4.7.2 Sorry') AS s_472, classify('554 5.7.10 Sorry') AS s_5710,
       classify('554 5.7.28 Sorry') AS s_5728, classify('450 4.4.8 Sorry') AS s_448;
-- Google Groups notices in any language link the same Help Center; Domino's French text
-- whose accents did not survive decoding still names the directory
SELECT classify('Ciao kijitora@example.jp, il gruppo libsisimai potrebbe non esistere. * ... https://groups.google.com/support/') AS groups_it,
       classify('User kijitora non r?pertori? dans l''annuaire Domino') AS domino_fr;
-- markings: IMMUTABLE PARALLEL SAFE, commented
SELECT p.proname, p.provolatile, p.proparallel, obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc p WHERE p.pronamespace = 'bounce'::regnamespace
   AND p.proname IN ('classify', 'classify_explain', 'is_hard', 'is_permanent', 'reason_group', 'reasons', 'classifier_rules')
 ORDER BY 1;
-- fully qualified, without bounce on the search path
SET search_path = public;
SELECT bounce.classify('550 5.1.1 User unknown'), (bounce.classify_explain('552 5.2.2 Mailbox full')).reason_group;
