/*-------------------------------------------------------------------------
 *
 * classify_rules.c
 *		The classifier's rules, as data.
 *
 * Four tables, each read top to bottom:
 *
 *	bounce_reasons			the 34 reasons: group, hard/soft, meaning;
 *	bounce_provider_hosts	remote host -> provider, for provider rules;
 *	bounce_text_rules		diagnostic text -> reason; FIRST MATCH WINS, so
 *							specific texts come before general ones;
 *	bounce_status_rules		enhanced status code -> reason (IANA layer,
 *							with provider-specific meanings first);
 *	bounce_reply_rules		basic reply code -> reason (RFC 5321 layer).
 *
 * To add a provider's message: add one row to bounce_text_rules, above
 * the general rules it must beat, with the provider's documented text in
 * lower case (runs of blanks written as one space) and its source.
 * Patterns are plain substrings, never regular expressions.
 *
 * A text rule row is:
 *	RULE(pattern, reason, status prefix or ANY_STATUS, command, provider, source)
 *
 *-------------------------------------------------------------------------
 */
#include "bounce.h"

#define ANY_STATUS	NULL
#define RULE(pat, reason, status, cmd, prov, src) \
	{ pat, BR_##reason, status, BC_##cmd, BP_##prov, src }

/* ---------------------------------------------------------------- reasons */

const char *const bounce_group_names[BG_COUNT] = {
	"address", "mailbox", "policy", "authentication", "content",
	"transient", "undetermined", "not a bounce"
};

const BounceReasonInfo bounce_reasons[BR_COUNT] = {
	{"authfailure", BG_AUTHENTICATION, BH_SOFT, "SPF, DKIM or DMARC check failed"},
	{"badreputation", BG_POLICY, BH_SOFT, "sending IP or domain has a poor reputation"},
	{"blocked", BG_POLICY, BH_SOFT, "client IP address or hostname refused (block list, no PTR match, ...)"},
	{"contenterror", BG_CONTENT, BH_SOFT, "message content or header format refused (incl. attachments)"},
	{"delivered", BG_NOT_BOUNCE, BH_NOT_BOUNCE, "delivered (2.x.x); not a bounce"},
	{"emailtoolarge", BG_CONTENT, BH_SOFT, "message exceeds a size limit (5.2.3, 5.3.4, 552)"},
	{"expired", BG_TRANSIENT, BH_SOFT, "delivery time expired; the message gave up after retries"},
	{"failedstarttls", BG_AUTHENTICATION, BH_SOFT, "STARTTLS negotiation failed or TLS required (523, 524, 538)"},
	{"feedback", BG_NOT_BOUNCE, BH_NOT_BOUNCE, "a spam complaint (ARF feedback report); not a bounce"},
	{"filtered", BG_ADDRESS, BH_SOFT, "refused after DATA for a user-unknown-like cause (filter, alias rule)"},
	{"hasmoved", BG_ADDRESS, BH_HARD, "mailbox has moved, no forwarding address (5.1.6)"},
	{"hostunknown", BG_ADDRESS, BH_HARD, "recipient domain does not exist or has no usable MX/A"},
	{"mailboxfull", BG_MAILBOX, BH_SOFT, "recipient mailbox is full or over quota (4.2.2 or 5.2.2)"},
	{"mailererror", BG_MAILBOX, BH_SOFT, "local mailer program failed (e.g. pipe to a program)"},
	{"networkerror", BG_TRANSIENT, BH_SOFT, "DNS or network failure on the way"},
	{"norelaying", BG_POLICY, BH_SOFT, "relaying denied"},
	{"notaccept", BG_ADDRESS, BH_HARD_IF_PERMANENT, "recipient domain accepts no mail (null MX, RFC 7505; 5.1.10 / 556)"},
	{"notcompliantrfc", BG_CONTENT, BH_SOFT, "message is not RFC 5322 compliant (duplicate headers, bad Message-ID, ...)"},
	{"onhold", BG_UNDETERMINED, BH_SOFT, "not enough information to decide yet"},
	{"policyviolation", BG_POLICY, BH_SOFT, "refused by the receiving site's policy"},
	{"ratelimited", BG_POLICY, BH_SOFT, "sending too fast or too many connections"},
	{"rejected", BG_POLICY, BH_SOFT, "the envelope sender (MAIL FROM) was refused"},
	{"requireptr", BG_POLICY, BH_SOFT, "the sending IP has no valid reverse DNS (PTR)"},
	{"securityerror", BG_AUTHENTICATION, BH_SOFT, "security violation, e.g. authentication required; fallback for 5.7.x"},
	{"spamdetected", BG_CONTENT, BH_SOFT, "the receiving spam filter refused the content"},
	{"suppressed", BG_POLICY, BH_SOFT, "the address is on the sending MTA's own suppression list"},
	{"suspend", BG_ADDRESS, BH_SOFT, "recipient mailbox suspended or disabled"},
	{"syntaxerror", BG_TRANSIENT, BH_SOFT, "SMTP command syntax error (50x)"},
	{"systemerror", BG_TRANSIENT, BH_SOFT, "error on the receiving system"},
	{"systemfull", BG_TRANSIENT, BH_SOFT, "receiving system's disk is full"},
	{"undefined", BG_UNDETERMINED, BH_SOFT, "could not be decided"},
	{"userunknown", BG_ADDRESS, BH_HARD, "the local part does not exist"},
	{"vacation", BG_NOT_BOUNCE, BH_NOT_BOUNCE, "an auto-reply; not a bounce"},
	{"virusdetected", BG_CONTENT, BH_SOFT, "a virus scanner refused the message"},
};

/* -------------------------------------------------------------- providers */

const char *const bounce_provider_names[BP_COUNT] = {
	"any", "Microsoft", "Google", "Yahoo/AOL", "Apple iCloud", "Orange/La Poste",
	"GMX/web.de", "T-Online", "Zoho", "Proton", "Mimecast", "Proofpoint",
	"Barracuda", "Cisco", "Tencent QQ", "GoDaddy", "Amazon SES", "KDDI au",
	"NTT docomo"
};

/* Host names of the providers' inbound MX hosts (first match wins). */
const BounceProviderHost bounce_provider_hosts[] = {
	{"protection.outlook.com", BP_MICROSOFT},
	{"outlook.com", BP_MICROSOFT},
	{"hotmail.com", BP_MICROSOFT},
	{"exchangelabs.com", BP_MICROSOFT},
	{"messaging.microsoft.com", BP_MICROSOFT},
	{"google.com", BP_GOOGLE},
	{"googlemail.com", BP_GOOGLE},
	{"gmail.com", BP_GOOGLE},
	{"yahoodns.net", BP_YAHOO},
	{"yahoo.com", BP_YAHOO},
	{"yahoo.co.jp", BP_YAHOO},
	{"aol.com", BP_YAHOO},
	{"icloud.com", BP_APPLE},
	{"me.com", BP_APPLE},
	{"orange.fr", BP_ORANGE},
	{"wanadoo.fr", BP_ORANGE},
	{"laposte.net", BP_ORANGE},
	{"gmx.net", BP_GMX},
	{"web.de", BP_GMX},
	{"t-online.de", BP_TONLINE},
	{"zoho.com", BP_ZOHO},
	{"zohomail.com", BP_ZOHO},
	{"protonmail.ch", BP_PROTON},
	{"proton.me", BP_PROTON},
	{"mimecast.com", BP_MIMECAST},
	{"pphosted.com", BP_PROOFPOINT},
	{"ppe-hosted.com", BP_PROOFPOINT},
	{"barracudanetworks.com", BP_BARRACUDA},
	{"iphmx.com", BP_CISCO},
	{"qq.com", BP_TENCENT},
	{"secureserver.net", BP_GODADDY},
	{"amazonses.com", BP_AMAZON},
	{"amazonaws.com", BP_AMAZON},
	{"ezweb.ne.jp", BP_KDDI},
	{".au.com", BP_KDDI},
	{"docomo.ne.jp", BP_DOCOMO},
};
const int	bounce_provider_hosts_count = sizeof(bounce_provider_hosts) / sizeof(bounce_provider_hosts[0]);

/* ---------------------------------------------------------------- sources */

#define S_RFC5321	"RFC 5321 section 4.2.3 (reply code texts)"
#define S_RFC3463	"RFC 3463 section 3 (status code meanings)"
#define S_RFC7505	"RFC 7505 (null MX) / RFC 7504 (556, 5.1.10)"
#define S_SPF		"RFC 7208 (SPF) and RFC 7372 section 3.3 (X.7.23, X.7.24)"
#define S_DKIM		"RFC 6376 (DKIM) and RFC 7372 section 3.1 (X.7.20-22)"
#define S_DMARC		"RFC 7489 (DMARC) and RFC 7372 section 3.4 (X.7.26)"
#define S_ARF		"RFC 5965 (Abuse Reporting Format): feedback reports"
#define S_AUTOREPLY	"RFC 3834 (auto-replies): out-of-office texts"
#define S_POSTFIX	"Postfix: smtpd/local/virtual reply texts (postfix.org)"
#define S_EXIM		"Exim: reply and bounce texts (exim.org spec, ch. 'SMTP error')"
#define S_SENDMAIL	"Sendmail: reply and DSN texts (sendmail.org)"
#define S_QMAIL		"qmail: bounce texts (cr.yp.to/qmail)"
#define S_EXCHANGE	"Microsoft Exchange Server: NDR texts (RESOLVER/STOREDRV)"
#define S_M365		"Microsoft 365: Exchange Online NDR reference (learn.microsoft.com, 'Email non-delivery reports')"
#define S_GMAIL		"Gmail: SMTP error reference (support.google.com/a/answer/3726730)"
#define S_YAHOO		"Yahoo/AOL: Sender Hub SMTP error codes (senders.yahooinc.com/smtp-error-codes)"
#define S_ICLOUD	"Apple iCloud Mail: postmaster information (support.apple.com/HT204137)"
#define S_ORANGE	"Orange/Wanadoo and La Poste: postmaster error codes (OFR_/LPN codes)"
#define S_GMX		"GMX / web.de: postmaster error texts (postmaster.gmx.net)"
#define S_TONLINE	"T-Online: postmaster texts (postmaster.t-online.de)"
#define S_ZOHO		"Zoho Mail: SMTP error texts (zoho.com/mail/help)"
#define S_PROTON	"Proton Mail: bounce texts (proton.me/support)"
#define S_MIMECAST	"Mimecast: SMTP error codes (community.mimecast.com, 'Mimecast SMTP Error Codes')"
#define S_PROOFPOINT	"Proofpoint: reject texts (ipcheck.proofpoint.com)"
#define S_BARRACUDA	"Barracuda Email Security: reject texts (campus.barracuda.com)"
#define S_CISCO		"Cisco Secure Email (IronPort): default SMTP responses"
#define S_DNSBL		"block lists: Spamhaus, SpamCop, Barracuda BRBL and generic RBL/DNSBL mentions"
#define S_AMAZON	"Amazon SES: SMTP response texts (docs.aws.amazon.com/ses)"
#define S_TENCENT	"Tencent QQ Mail: error codes (service.mail.qq.com)"
#define S_GODADDY	"GoDaddy: bounce codes (IBxxx, x.co/rlbounce)"
#define S_GGROUPS	"Google Groups: localized notice that the group may not exist or posting is not permitted"
#define S_KDDI		"KDDI au/ezweb: '550 : User unknown' (no address) is its reply when the recipient's filter refuses the sender"
#define S_DOCOMO	"NTT docomo: '550 Unknown user' after DATA is its reply when the recipient refuses the sender"
#define S_DOMINO	"IBM/HCL Domino: recipient-not-in-directory text (Japanese locale)"
#define C(desc)		"class of message: " desc

/* ------------------------------------------------------------- text rules */

const BounceTextRule bounce_text_rules[] = {
	/* -- provider-specific texts whose meaning differs from the words -- */
	RULE("recipient address rejected: access denied", USERUNKNOWN, "5.4.1", ANY, ANY, S_M365 " (5.4.1: recipient not found by directory-based edge blocking)"),
	RULE("recipient address rejected: access denied", USERUNKNOWN, ANY_STATUS, ANY, MICROSOFT, S_M365 " (5.4.1: recipient not found by directory-based edge blocking)"),
	RULE("recipientnotfound", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_M365 " (5.1.10 RESOLVER.ADR.RecipientNotFound)"),
	RULE("recipnotfound", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_EXCHANGE " (5.1.1 RESOLVER.ADR.RecipNotFound)"),
	RULE("resolver.adr.exrecipnotfound", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_EXCHANGE),
	RULE("recipsizelimit", EMAILTOOLARGE, ANY_STATUS, ANY, ANY, S_EXCHANGE " (5.2.3 RESOLVER.RST.RecipSizeLimit)"),
	RULE("sendsizelimit", EMAILTOOLARGE, ANY_STATUS, ANY, ANY, S_EXCHANGE " (5.3.4 RESOLVER.RST.SendSizeLimit)"),
	RULE("quotaexceeded", MAILBOXFULL, ANY_STATUS, ANY, ANY, S_EXCHANGE " (STOREDRV.Deliver: MapiExceptionShutoffQuotaExceeded)"),
	RULE("storedrv.deliver: mailbox full", MAILBOXFULL, ANY_STATUS, ANY, ANY, S_EXCHANGE),
	RULE("resolver.rst.authrequired", SECURITYERROR, ANY_STATUS, ANY, ANY, S_EXCHANGE),
	RULE("resolver.rst.notauthorized", SECURITYERROR, ANY_STATUS, ANY, ANY, S_EXCHANGE),
	RULE("banned sending ip", BLOCKED, ANY_STATUS, ANY, ANY, S_M365 " (5.7.606-5.7.609)"),
	RULE("sender.office.com", BLOCKED, ANY_STATUS, ANY, ANY, S_M365 " (delist portal for banned IPs)"),
	RULE("due to ip reputation", BADREPUTATION, ANY_STATUS, ANY, ANY, S_M365 " (4.7.650/4.7.651)"),
	RULE("[tss04]", BADREPUTATION, ANY_STATUS, ANY, ANY, S_YAHOO " (TSS04: deferred for volume or user complaints)"),
	RULE("[tss09]", BADREPUTATION, ANY_STATUS, ANY, ANY, S_YAHOO " (TSS09: deferred for reputation)"),
	RULE("[ts01]", RATELIMITED, ANY_STATUS, ANY, ANY, S_YAHOO " (TS01: too many connections)"),
	RULE("[ts02]", RATELIMITED, ANY_STATUS, ANY, ANY, S_YAHOO " (TS02: too many messages)"),
	RULE("[ts03]", BADREPUTATION, ANY_STATUS, ANY, ANY, S_YAHOO " (TS03: permanently deferred)"),
	RULE("[bl21]", BLOCKED, ANY_STATUS, ANY, ANY, S_YAHOO " (BL21: IP listed by Spamhaus)"),
	RULE("[bl23]", BLOCKED, ANY_STATUS, ANY, ANY, S_YAHOO " (BL23: IP listed by SpamCop)"),
	RULE("doesn't have a yahoo", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_YAHOO " (554 delivery error: user doesn't have a yahoo.com account)"),
	RULE("message not allowed", POLICYVIOLATION, ANY_STATUS, ANY, YAHOO, S_YAHOO " (554 Message not allowed: policy)"),
	RULE("invalid ip for sending mail of domain", BLOCKED, ANY_STATUS, ANY, ANY, S_YAHOO " (554: sending IP not allowed for the domain)"),
	RULE("tosa@rx.t-online.de", BLOCKED, ANY_STATUS, ANY, ANY, S_TONLINE " (554 IP=... (BL): IP blocked)"),
	RULE("ip source bloquee", BLOCKED, ANY_STATUS, ANY, ANY, S_ORANGE " (OFR_006 / OFR006: source IP blocked)"),
	RULE("destinataire invalide", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_ORANGE " (OFR_416 / LPN007_416: invalid recipient)"),
	RULE("compte du destinataire est bloque", SUSPEND, ANY_STATUS, ANY, ANY, S_ORANGE " (LPN007_426: recipient account blocked)"),
	RULE("mail rejete", SPAMDETECTED, ANY_STATUS, ANY, ANY, S_ORANGE " (OFR_506: mail refused as spam)"),
	RULE("service refuse", SYSTEMERROR, ANY_STATUS, ANY, ANY, S_ORANGE " (OFR005_505: service refused, try later)"),
	RULE("frequency limited", RATELIMITED, ANY_STATUS, ANY, ANY, S_TENCENT " (IP/connection frequency limited)"),
	RULE("x.co/rlbounce", RATELIMITED, ANY_STATUS, ANY, ANY, S_GODADDY " (IB607 and friends: rate limits)"),
	RULE("email address is not verified", NORELAYING, ANY_STATUS, ANY, ANY, S_AMAZON " (554 Message rejected: identity not verified)"),
	RULE("ipcheck.proofpoint.com", BLOCKED, ANY_STATUS, ANY, ANY, S_PROOFPOINT " (554 5.7.0 Blocked - see ipcheck)"),
	RULE("barracudacentral", BLOCKED, ANY_STATUS, ANY, ANY, S_BARRACUDA " (listed on the Barracuda Reputation Block List)"),
	RULE("barracuda reputation", BLOCKED, ANY_STATUS, ANY, ANY, S_BARRACUDA " (client host blocked using Barracuda Reputation)"),
	RULE("rejected due to security policies", VIRUSDETECTED, ANY_STATUS, ANY, MIMECAST, S_MIMECAST " (554 email rejected due to security policies: signature match)"),
	RULE("envelope blocked", BLOCKED, ANY_STATUS, ANY, ANY, S_MIMECAST " (550 Envelope blocked - User/Domain/IP entry)"),
	RULE("administrative prohibition", POLICYVIOLATION, ANY_STATUS, ANY, ANY, S_MIMECAST " (550 Administrative prohibition)"),
	RULE("550 : user unknown", FILTERED, ANY_STATUS, ANY, KDDI, S_KDDI),
	RULE("unknown user", REJECTED, "5.0.0", DATA, DOCOMO, S_DOCOMO),
	RULE("552 too much mail data", MAILBOXFULL, ANY_STATUS, ANY, DOCOMO, "NTT docomo: 552 too much mail data (mailbox full)"),
	RULE("ディレクトリには見つかりません", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_DOMINO),

	/* -- not bounces -- */
	RULE("email abuse report", FEEDBACK, ANY_STATUS, ANY, ANY, S_ARF),
	RULE("abuse report for an email message", FEEDBACK, ANY_STATUS, ANY, ANY, S_ARF),
	RULE("email abuse complaint", FEEDBACK, ANY_STATUS, ANY, ANY, S_ARF),
	RULE("feedback-type: abuse", FEEDBACK, ANY_STATUS, ANY, ANY, S_ARF),
	RULE("out of the office", VACATION, ANY_STATUS, ANY, ANY, S_AUTOREPLY),
	RULE("out of office", VACATION, ANY_STATUS, ANY, ANY, S_AUTOREPLY),
	RULE("i am currently away", VACATION, ANY_STATUS, ANY, ANY, S_AUTOREPLY),
	RULE("i am away", VACATION, ANY_STATUS, ANY, ANY, S_AUTOREPLY),
	RULE("i will be traveling", VACATION, ANY_STATUS, ANY, ANY, S_AUTOREPLY),
	RULE("i will be out of", VACATION, ANY_STATUS, ANY, ANY, S_AUTOREPLY),
	RULE("on vacation", VACATION, ANY_STATUS, ANY, ANY, S_AUTOREPLY),
	RULE("upon my return", VACATION, ANY_STATUS, ANY, ANY, S_AUTOREPLY),
	RULE("automatic reply", VACATION, ANY_STATUS, ANY, ANY, S_AUTOREPLY),

	/* -- local mailer programs: their own words, before what they quote -- */
	RULE("procmail:", MAILERERROR, ANY_STATUS, ANY, ANY, S_SENDMAIL " (procmail local delivery failure)"),
	RULE("pipe to |", MAILERERROR, ANY_STATUS, ANY, ANY, S_SENDMAIL " / " S_EXIM " (pipe to a program failed)"),
	RULE("mailer error", MAILERERROR, ANY_STATUS, ANY, ANY, S_SENDMAIL " (unknown mailer error N)"),
	RULE("command died with status", MAILERERROR, ANY_STATUS, ANY, ANY, S_POSTFIX " (pipe: command died)"),
	RULE("command output:", MAILERERROR, ANY_STATUS, ANY, ANY, S_POSTFIX " (pipe: command output)"),

	/* -- header format: before SPF/DKIM, whose header names they quote -- */
	RULE("duplicate header", CONTENTERROR, ANY_STATUS, ANY, ANY, S_AMAZON " (Duplicate header)"),
	RULE("headers too large", CONTENTERROR, ANY_STATUS, ANY, ANY, C("header refused")),

	/* -- authentication: SPF, DKIM, DMARC -- */
	RULE("dmarc", AUTHFAILURE, ANY_STATUS, ANY, ANY, S_DMARC),
	RULE("spf record", AUTHFAILURE, ANY_STATUS, ANY, ANY, S_SPF),
	RULE("spf check", AUTHFAILURE, ANY_STATUS, ANY, ANY, S_SPF),
	RULE("spf validation", AUTHFAILURE, ANY_STATUS, ANY, ANY, S_SPF),
	RULE("spf fail", AUTHFAILURE, ANY_STATUS, ANY, ANY, S_SPF),
	RULE("spf sender invalid", AUTHFAILURE, ANY_STATUS, ANY, ANY, S_SPF " / " S_MIMECAST),
	RULE("sender policy framework", AUTHFAILURE, ANY_STATUS, ANY, ANY, S_SPF),
	RULE("dkim", AUTHFAILURE, ANY_STATUS, ANY, ANY, S_DKIM),
	RULE("multiple authentication checks failed", AUTHFAILURE, ANY_STATUS, ANY, ANY, S_DMARC),
	RULE("unauthenticated email", AUTHFAILURE, ANY_STATUS, ANY, ANY, S_GMAIL " (5.7.26 unauthenticated email)"),
	RULE("not authenticated with dkim or spf", AUTHFAILURE, ANY_STATUS, ANY, ANY, S_GMAIL),

	/* -- reverse DNS -- */
	RULE("reverse dns", REQUIREPTR, ANY_STATUS, ANY, ANY, C("reverse DNS (PTR) required") " / " S_GMAIL " (5.7.25)"),
	RULE("ptr record", REQUIREPTR, ANY_STATUS, ANY, ANY, C("reverse DNS (PTR) required") " / " S_GMAIL " (5.7.25)"),
	RULE("cannot find your reverse hostname", REQUIREPTR, ANY_STATUS, ANY, ANY, S_POSTFIX " (reject_unknown_reverse_client_hostname)"),
	RULE("cannot find your hostname", REQUIREPTR, ANY_STATUS, ANY, ANY, S_POSTFIX " (reject_unknown_client_hostname)"),
	RULE("ip name lookup failed", REQUIREPTR, ANY_STATUS, ANY, ANY, C("reverse DNS (PTR) required")),
	RULE("no reverse dns", REQUIREPTR, ANY_STATUS, ANY, ANY, C("reverse DNS (PTR) required")),
	RULE("reverse lookup", REQUIREPTR, ANY_STATUS, ANY, ANY, C("reverse DNS (PTR) required")),

	/* -- reputation and rate limits -- */
	RULE("poor reputation", BADREPUTATION, ANY_STATUS, ANY, ANY, S_CISCO " (rejected due to the sending MTA's poor reputation)"),
	RULE("low reputation", BADREPUTATION, ANY_STATUS, ANY, ANY, S_GMAIL " (very low reputation of the sending IP/domain)"),
	RULE("bad reputation", BADREPUTATION, ANY_STATUS, ANY, ANY, C("sender reputation")),
	RULE("sender reputation", BADREPUTATION, ANY_STATUS, ANY, ANY, C("sender reputation")),
	RULE("unexpected volume or user complaints", BADREPUTATION, ANY_STATUS, ANY, ANY, S_YAHOO),
	RULE("too many recipients", RATELIMITED, ANY_STATUS, ANY, ANY, S_RFC5321 " (452 too many recipients) / " S_RFC3463 " X.5.3"),
	RULE("rate limit", RATELIMITED, ANY_STATUS, ANY, ANY, C("rate limiting")),
	RULE("receiving mail at a rate", RATELIMITED, ANY_STATUS, ANY, ANY, S_GMAIL " (4.2.1/4.7.28 rate that prevents additional messages)"),
	RULE("too many connections", RATELIMITED, ANY_STATUS, ANY, ANY, C("rate limiting")),
	RULE("too many concurrent", RATELIMITED, ANY_STATUS, ANY, ANY, C("rate limiting")),
	RULE("too many messages", RATELIMITED, ANY_STATUS, ANY, ANY, C("rate limiting")),
	RULE("too many mails", RATELIMITED, ANY_STATUS, ANY, ANY, C("rate limiting")),
	RULE("throttl", RATELIMITED, ANY_STATUS, ANY, ANY, C("rate limiting (throttled/throttling)")),
	RULE("sending rate", RATELIMITED, ANY_STATUS, ANY, ANY, C("rate limiting")),
	RULE("exceeded the rate", RATELIMITED, ANY_STATUS, ANY, ANY, C("rate limiting")),

	/* -- relaying -- */
	RULE("relay access denied", NORELAYING, ANY_STATUS, ANY, ANY, S_POSTFIX " (554 5.7.1 Relay access denied)"),
	RULE("relaying denied", NORELAYING, ANY_STATUS, ANY, ANY, S_SENDMAIL " (550 5.7.1 Relaying denied)"),
	RULE("relay denied", NORELAYING, ANY_STATUS, ANY, ANY, C("relaying refused")),
	RULE("relay not permitted", NORELAYING, ANY_STATUS, ANY, ANY, S_EXIM " (550 relay not permitted)"),
	RULE("not permitted to relay", NORELAYING, ANY_STATUS, ANY, ANY, C("relaying refused")),
	RULE("unable to relay", NORELAYING, ANY_STATUS, ANY, ANY, S_EXCHANGE " (550 5.7.1 Unable to relay)"),
	RULE("relaying not allowed", NORELAYING, ANY_STATUS, ANY, ANY, C("relaying refused")),
	RULE("no relaying", NORELAYING, ANY_STATUS, ANY, ANY, C("relaying refused")),
	RULE("we do not relay", NORELAYING, ANY_STATUS, ANY, ANY, C("relaying refused")),

	/* -- mailbox full and size -- */
	RULE("mailbox full", MAILBOXFULL, ANY_STATUS, ANY, ANY, S_SENDMAIL " / " S_POSTFIX " (mailbox full)"),
	RULE("mailbox is full", MAILBOXFULL, ANY_STATUS, ANY, ANY, C("mailbox full") " / " S_QMAIL),
	RULE("over quota", MAILBOXFULL, ANY_STATUS, ANY, ANY, C("mailbox over quota") " / " S_GMAIL " / " S_ICLOUD),
	RULE("overquota", MAILBOXFULL, ANY_STATUS, ANY, ANY, C("mailbox over quota")),
	RULE("quota exceeded", MAILBOXFULL, ANY_STATUS, ANY, ANY, C("mailbox over quota") " / " S_GMX),
	RULE("exceeded storage allocation", MAILBOXFULL, ANY_STATUS, ANY, ANY, S_RFC5321 " (552 exceeded storage allocation)"),
	RULE("out of storage space", MAILBOXFULL, ANY_STATUS, ANY, ANY, S_GMAIL " (4.2.2/5.2.2 out of storage)"),
	RULE("mailbox exceeds allowed size", MAILBOXFULL, ANY_STATUS, ANY, ANY, C("mailbox full")),
	RULE("mailbox size limit", MAILBOXFULL, ANY_STATUS, ANY, ANY, C("mailbox full")),
	RULE("exceeded its storage limit", MAILBOXFULL, ANY_STATUS, ANY, ANY, S_PROTON " (mailbox has exceeded its storage limit)"),
	RULE("insufficient storage", MAILBOXFULL, "5.2.", ANY, ANY, C("mailbox full")),
	RULE("messages in recipient's mailbox exceeded", MAILBOXFULL, ANY_STATUS, ANY, ANY, C("mailbox message-count limit")),
	RULE("not enough disk space", MAILBOXFULL, ANY_STATUS, ANY, ANY, C("recipient's storage exhausted")),
	RULE("mailbox exceeded", MAILBOXFULL, ANY_STATUS, ANY, ANY, C("mailbox full")),
	RULE("message size exceeds", EMAILTOOLARGE, ANY_STATUS, ANY, ANY, S_SENDMAIL " / " S_POSTFIX " (message size exceeds fixed limit)"),
	RULE("message too large", EMAILTOOLARGE, ANY_STATUS, ANY, ANY, C("message too large")),
	RULE("message is too large", EMAILTOOLARGE, ANY_STATUS, ANY, ANY, C("message too large")),
	RULE("message too big", EMAILTOOLARGE, ANY_STATUS, ANY, ANY, C("message too large")),
	RULE("message is too big", EMAILTOOLARGE, ANY_STATUS, ANY, ANY, C("message too large")),
	RULE("size limit exceeded", EMAILTOOLARGE, ANY_STATUS, ANY, ANY, C("message too large") " / 1&1 postmaster"),
	RULE("message length exceeds", EMAILTOOLARGE, ANY_STATUS, ANY, ANY, S_RFC3463 " X.2.3 (message length exceeds administrative limit)"),
	RULE("exceeds the maximum size", EMAILTOOLARGE, ANY_STATUS, ANY, ANY, C("message too large")),
	RULE("exceeds maximum message size", EMAILTOOLARGE, ANY_STATUS, ANY, ANY, C("message too large")),
	RULE("maximum message size", EMAILTOOLARGE, ANY_STATUS, ANY, ANY, C("message too large")),

	/* -- disabled, moved, null MX -- */
	RULE("inactive email address", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_ICLOUD " (550 5.1.1 inactive email address)"),
	RULE("account that you tried to reach is disabled", SUSPEND, ANY_STATUS, ANY, ANY, S_GMAIL " (5.2.1 DisabledUser)"),
	RULE("account that you tried to reach is inactive", SUSPEND, ANY_STATUS, ANY, ANY, S_GMAIL " (5.2.1 DisabledUser)"),
	RULE("disableduser", SUSPEND, ANY_STATUS, ANY, ANY, S_GMAIL " (5.2.1 DisabledUser)"),
	RULE("account is disabled", SUSPEND, ANY_STATUS, ANY, ANY, C("account disabled")),
	RULE("account has been disabled", SUSPEND, ANY_STATUS, ANY, ANY, C("account disabled")),
	RULE("account disabled", SUSPEND, ANY_STATUS, ANY, ANY, C("account disabled")),
	RULE("mailbox disabled", SUSPEND, ANY_STATUS, ANY, ANY, S_RFC3463 " X.2.1 (mailbox disabled)"),
	RULE("mailbox is disabled", SUSPEND, ANY_STATUS, ANY, ANY, S_RFC3463 " X.2.1 (mailbox disabled)"),
	RULE("disabled recipient", SUSPEND, ANY_STATUS, ANY, ANY, S_RFC3463 " X.7.13 (user account disabled)"),
	RULE("account has been suspended", SUSPEND, ANY_STATUS, ANY, ANY, C("account suspended")),
	RULE("account is suspended", SUSPEND, ANY_STATUS, ANY, ANY, C("account suspended")),
	RULE("mailbox suspended", SUSPEND, ANY_STATUS, ANY, ANY, C("account suspended")),
	RULE("account is locked", SUSPEND, ANY_STATUS, ANY, ANY, C("account locked")),
	RULE("temporary locked", SUSPEND, ANY_STATUS, ANY, ANY, C("account locked")),
	RULE("temporarily locked", SUSPEND, ANY_STATUS, ANY, ANY, C("account locked")),
	RULE("account is frozen", SUSPEND, ANY_STATUS, ANY, ANY, C("account suspended")),
	RULE("discontinued", SUSPEND, ANY_STATUS, ANY, ANY, C("account discontinued")),
	RULE("mailbox has moved", HASMOVED, ANY_STATUS, ANY, ANY, S_RFC3463 " X.1.6 (destination mailbox has moved)"),
	RULE("has moved", HASMOVED, "5.1.6", ANY, ANY, S_RFC3463 " X.1.6"),
	RULE("no longer on server", HASMOVED, ANY_STATUS, ANY, ANY, C("recipient moved away")),
	RULE("no longer with", HASMOVED, ANY_STATUS, ANY, ANY, C("recipient moved away")),
	RULE("not our user", HASMOVED, ANY_STATUS, ANY, ANY, S_RFC5321 " (551 user not local)"),
	RULE("user not local", HASMOVED, ANY_STATUS, ANY, ANY, S_RFC5321 " (551 user not local; please try <forward-path>)"),
	RULE("null mx", NOTACCEPT, ANY_STATUS, ANY, ANY, S_RFC7505),
	RULE("does not accept mail", NOTACCEPT, ANY_STATUS, ANY, ANY, S_RFC7505 " (556 domain does not accept mail)"),
	RULE("doesn't receive email", NOTACCEPT, ANY_STATUS, ANY, ANY, S_GMAIL " (domain doesn't receive email: null MX)"),
	RULE("not accepting network messages", NOTACCEPT, ANY_STATUS, ANY, ANY, S_RFC3463 " X.3.2"),
	RULE("no mx found", NOTACCEPT, ANY_STATUS, ANY, ANY, C("recipient domain publishes no MX")),

	/* -- sender refused (MAIL FROM) -- */
	RULE("sender address rejected", REJECTED, ANY_STATUS, ANY, ANY, S_POSTFIX " (Sender address rejected)"),
	RULE("sender rejected", REJECTED, ANY_STATUS, ANY, ANY, C("envelope sender refused")),
	RULE("sender verify failed", REJECTED, ANY_STATUS, ANY, ANY, S_EXIM " (sender verify failed)"),
	RULE("unroutable sender", REJECTED, ANY_STATUS, ANY, ANY, S_EXIM " (unroutable sender address)"),
	RULE("sender domain", REJECTED, ANY_STATUS, MAIL, ANY, C("envelope sender domain refused at MAIL")),
	RULE("domain of sender address", REJECTED, ANY_STATUS, ANY, ANY, S_SENDMAIL " (Domain of sender address does not exist)"),
	RULE("invalid sender", REJECTED, ANY_STATUS, ANY, ANY, C("envelope sender refused")),
	RULE("bad sender", REJECTED, ANY_STATUS, ANY, ANY, C("envelope sender refused")),
	RULE("sender not allowed", REJECTED, ANY_STATUS, ANY, ANY, C("envelope sender refused")),
	RULE("sender address is not allowed", REJECTED, ANY_STATUS, ANY, ANY, S_GMX),
	RULE("not a member of this", REJECTED, ANY_STATUS, ANY, ANY, C("mailing list refuses non-members")),
	/* Google Groups: "the group you tried to contact may not exist, or you may not have permission to post", as localized */
	RULE("permission to post", REJECTED, ANY_STATUS, ANY, ANY, S_GMAIL " (Google Groups: no permission to post)"),
	RULE("le groupe que vous avez essayé de contacter", REJECTED, ANY_STATUS, ANY, ANY, S_GGROUPS " (French)"),
	RULE("die gruppe, die sie kontaktieren möchten", REJECTED, ANY_STATUS, ANY, ANY, S_GGROUPS " (German)"),
	RULE("el grupo con el que has intentado ponerte en contacto", REJECTED, ANY_STATUS, ANY, ANY, S_GGROUPS " (Spanish)"),
	RULE("連絡しようとしたグループ", REJECTED, ANY_STATUS, ANY, ANY, S_GGROUPS " (Japanese)"),
	RULE("您試圖聯絡的", REJECTED, ANY_STATUS, ANY, ANY, S_GGROUPS " (Chinese, traditional)"),
	RULE("η ομάδα με την οποία επιχειρείτε να επικοινωνήσετε", REJECTED, ANY_STATUS, ANY, ANY, S_GGROUPS " (Greek)"),
	RULE("з якою Ви намагалися зв", REJECTED, ANY_STATUS, ANY, ANY, S_GGROUPS " (Ukrainian)"),
	RULE("با آن ارتباط برقرار کنید", REJECTED, ANY_STATUS, ANY, ANY, S_GGROUPS " (Persian)"),
	RULE("sender blocked", REJECTED, ANY_STATUS, ANY, ANY, C("envelope sender refused")),
	RULE("sender address blocked", REJECTED, ANY_STATUS, ANY, ANY, S_MIMECAST),

	/* -- host unknown (before network errors that share words) -- */
	RULE("host not found, try again", NETWORKERROR, ANY_STATUS, ANY, ANY, S_POSTFIX " (temporary DNS failure)"),
	RULE("host unknown", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, S_SENDMAIL " (550 5.1.2 Host unknown)"),
	RULE("unknown host", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, C("recipient domain does not resolve")),
	RULE("domain does not exist", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, C("recipient domain does not exist")),
	RULE("domain not found", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, S_POSTFIX " (Recipient address rejected: Domain not found)"),
	RULE("no such domain", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, C("recipient domain does not exist")),
	RULE("couldn't find any host named", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, S_QMAIL " (#5.1.2)"),
	RULE("couldn't find a mail exchanger", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, S_QMAIL " (#5.4.4)"),
	RULE("illegal host/domain", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, S_SENDMAIL),
	RULE("host or domain name not found", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, S_POSTFIX " (Host or domain name not found)"),
	RULE("unrouteable address", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, S_EXIM " (Unrouteable address)"),
	RULE("mx records point to non-existent hosts", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, S_EXIM),
	RULE("invalid domain", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, C("recipient domain invalid")),
	RULE("domain is not reachable", HOSTUNKNOWN, ANY_STATUS, ANY, ANY, S_M365 " (hotmail: the domain is not reachable)"),
	RULE("no route to host", NETWORKERROR, ANY_STATUS, ANY, ANY, C("network unreachable")),

	/* -- user unknown (adjusted to filtered by context, see classify_core.c) -- */
	RULE("user unknown", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_POSTFIX " / " S_SENDMAIL " (User unknown)"),
	RULE("unknown user", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown") " / " S_GMX),
	RULE("no such user", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_SENDMAIL " / " S_EXIM " (No such user)"),
	RULE("user not exist", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("user does not exist", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("user doesn't exist", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("user doesn't have a", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_YAHOO " (this user doesn't have a ... account)"),
	RULE("unknown recipient", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("recipient unknown", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("invalid recipient", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown") " / " S_MIMECAST),
	RULE("recipient not found", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("no mailbox here by that name", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_QMAIL " (#5.1.1)"),
	RULE("no such mailbox", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("no such recipient", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("invalid mailbox", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("mailbox not found", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("mailbox does not exist", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("address does not exist", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_PROTON " / " C("user unknown")),
	RULE("account does not exist", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("tried to reach does not exist", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_GMAIL " (5.1.1 the email account that you tried to reach does not exist)"),
	RULE("address couldn't be found", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_GMAIL " (Address not found)"),
	RULE("nosuchuser", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_GMAIL " (?p=NoSuchUser)"),
	RULE("unknown or illegal alias", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown") " / " S_ICLOUD),
	RULE("unknown or illegal user", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("invalid final delivery userid", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("not a valid mailbox", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("is not a known user", USERUNKNOWN, ANY_STATUS, ANY, ANY, C("user unknown")),
	RULE("bad destination mailbox", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_RFC3463 " X.1.1"),
	RULE("address rejected.", USERUNKNOWN, "5.1.", ANY, ANY, S_CISCO " (#5.1.0 Address rejected)"),
	RULE("mailbox unavailable", USERUNKNOWN, "5.", ANY, ANY, S_RFC5321 " (550 Requested action not taken: mailbox unavailable)"),
	RULE("mailbox unavailable", USERUNKNOWN, ANY_STATUS, RCPT, ANY, S_RFC5321 " (550 Requested action not taken: mailbox unavailable)"),

	/* -- block lists and client refusals -- */
	RULE("spamhaus", BLOCKED, ANY_STATUS, ANY, ANY, S_DNSBL),
	RULE("spamcop", BLOCKED, ANY_STATUS, ANY, ANY, S_DNSBL),
	RULE("blocked using", BLOCKED, ANY_STATUS, ANY, ANY, S_POSTFIX " (Client host rejected: blocked using <dnsbl>)"),
	RULE("dnsbl", BLOCKED, ANY_STATUS, ANY, ANY, S_DNSBL),
	RULE("/rbl", BLOCKED, ANY_STATUS, ANY, ANY, S_DNSBL),
	RULE(" rbl", BLOCKED, ANY_STATUS, ANY, ANY, S_DNSBL),
	RULE("blacklist", BLOCKED, ANY_STATUS, ANY, ANY, S_DNSBL),
	RULE("black list", BLOCKED, ANY_STATUS, ANY, ANY, S_DNSBL " / " S_GMX),
	RULE("blocklist", BLOCKED, ANY_STATUS, ANY, ANY, S_DNSBL),
	RULE("block list", BLOCKED, ANY_STATUS, ANY, ANY, S_DNSBL),
	RULE("denylist", BLOCKED, ANY_STATUS, ANY, ANY, S_DNSBL),
	RULE("client host rejected", BLOCKED, ANY_STATUS, ANY, ANY, S_POSTFIX " (Client host rejected)"),
	RULE("client host blocked", BLOCKED, ANY_STATUS, ANY, ANY, C("client host refused") " / " S_ORANGE),
	RULE("helo command rejected", BLOCKED, ANY_STATUS, ANY, ANY, S_POSTFIX " (Helo command rejected)"),
	RULE("refused to talk to me", BLOCKED, ANY_STATUS, ANY, ANY, S_POSTFIX " (host refused to talk to me: greeting refused)"),
	RULE("not accepting connections", BLOCKED, ANY_STATUS, ANY, ANY, C("greeting refused") " / " S_ICLOUD),
	RULE("open relay", BLOCKED, ANY_STATUS, ANY, ANY, C("client listed as an open relay")),
	RULE("connection refused", BLOCKED, ANY_STATUS, ANY, ANY, C("connection refused by the receiving host")),
	RULE("not authorized to send email directly", BLOCKED, ANY_STATUS, ANY, ANY, S_GMAIL " (IP not authorized)"),
	RULE("ip address blocked", BLOCKED, ANY_STATUS, ANY, ANY, C("client IP refused")),
	RULE("your ip", BLOCKED, "5.7.", ANY, ANY, C("client IP refused")),
	RULE("access denied", BLOCKED, ANY_STATUS, ANY, ANY, C("client refused (Access denied)") " / " S_M365),

	/* -- content: spam, virus, policy, format -- */
	RULE("virus", VIRUSDETECTED, ANY_STATUS, ANY, ANY, C("virus scanner refusal")),
	RULE("malware", VIRUSDETECTED, ANY_STATUS, ANY, ANY, C("virus scanner refusal")),
	RULE("infected", VIRUSDETECTED, ANY_STATUS, ANY, ANY, C("virus scanner refusal")),
	RULE("message content rejected, ube", SPAMDETECTED, ANY_STATUS, ANY, ANY, S_BARRACUDA " / amavisd-new (UBE: unsolicited bulk e-mail)"),
	RULE("unsolicited", SPAMDETECTED, ANY_STATUS, ANY, ANY, S_GMAIL " (likely unsolicited mail)"),
	RULE("junk mail", SPAMDETECTED, ANY_STATUS, ANY, ANY, C("spam filter refusal")),
	RULE("bulk mail", SPAMDETECTED, ANY_STATUS, ANY, ANY, C("spam filter refusal")),
	RULE("content rejected", SPAMDETECTED, ANY_STATUS, ANY, ANY, C("content filter refusal")),
	RULE("not rfc 5322 compliant", NOTCOMPLIANTRFC, ANY_STATUS, ANY, ANY, S_GMAIL " (5.7.1 not RFC 5322 compliant)"),
	RULE("not rfc5322 compliant", NOTCOMPLIANTRFC, ANY_STATUS, ANY, ANY, S_GMAIL),
	RULE("multiple addresses in from", NOTCOMPLIANTRFC, ANY_STATUS, ANY, ANY, S_GMAIL " (multiple From: addresses)"),
	RULE("rfc 5322", NOTCOMPLIANTRFC, ANY_STATUS, ANY, ANY, C("message format not RFC 5322 compliant")),
	RULE("header error", CONTENTERROR, ANY_STATUS, ANY, ANY, C("header refused")),
	RULE("media error", CONTENTERROR, ANY_STATUS, ANY, ANY, S_RFC3463 " X.6.0"),
	RULE("media not supported", CONTENTERROR, ANY_STATUS, ANY, ANY, S_RFC3463 " X.6.1"),
	RULE("blocked because its content presents a potential", POLICYVIOLATION, ANY_STATUS, ANY, ANY, S_GMAIL " (5.7.0 potential security issue)"),
	RULE("policy violation", POLICYVIOLATION, ANY_STATUS, ANY, ANY, C("local policy refusal")),
	RULE("denied by policy", POLICYVIOLATION, ANY_STATUS, ANY, ANY, C("local policy refusal")),
	RULE("policy reasons", POLICYVIOLATION, ANY_STATUS, ANY, ANY, S_YAHOO " (554 5.7.9 not accepted for policy reasons)"),
	RULE("violates our policy", POLICYVIOLATION, ANY_STATUS, ANY, ANY, C("local policy refusal")),
	RULE("prohibited by policy", POLICYVIOLATION, ANY_STATUS, ANY, ANY, C("local policy refusal")),
	RULE("spam", SPAMDETECTED, ANY_STATUS, ANY, ANY, C("spam filter refusal")),
	RULE("attachment", CONTENTERROR, "5.", ANY, ANY, C("attachment refused")),
	RULE("message filtered", FILTERED, ANY_STATUS, ANY, ANY, S_AMAZON " (5.2.0 Message Filtered)"),
	RULE("rejected by filter", FILTERED, ANY_STATUS, ANY, ANY, C("recipient filter")),

	/* -- security, TLS -- */
	RULE("starttls", FAILEDSTARTTLS, ANY_STATUS, ANY, ANY, C("TLS required or failed")),
	RULE("tls required", FAILEDSTARTTLS, ANY_STATUS, ANY, ANY, C("TLS required or failed")),
	RULE("requiretls", FAILEDSTARTTLS, ANY_STATUS, ANY, ANY, S_RFC3463 " X.7.30 (RFC 8689)"),
	RULE("tls negotiation failed", FAILEDSTARTTLS, ANY_STATUS, ANY, ANY, C("TLS required or failed")),
	RULE("encryption required", FAILEDSTARTTLS, ANY_STATUS, ANY, ANY, S_RFC3463 " X.7.10/X.7.11"),
	RULE("unauthenticated senders", SECURITYERROR, ANY_STATUS, ANY, ANY, C("authentication required")),
	RULE("authentication required", SECURITYERROR, ANY_STATUS, ANY, ANY, S_RFC3463 " / RFC 4954 (530 authentication required)"),
	RULE("must be authenticated", SECURITYERROR, ANY_STATUS, ANY, ANY, C("authentication required")),
	RULE("delivery not authorized", SECURITYERROR, ANY_STATUS, ANY, ANY, S_RFC3463 " X.7.1 (delivery not authorized, message refused)"),
	RULE("not authorized", SECURITYERROR, ANY_STATUS, ANY, ANY, C("not authorized")),

	/* -- receiving system -- */
	RULE("insufficient disk space", SYSTEMFULL, ANY_STATUS, ANY, ANY, S_SENDMAIL " (452 4.4.5 Insufficient disk space)"),
	RULE("insufficient system storage", SYSTEMFULL, ANY_STATUS, ANY, ANY, S_RFC5321 " (452 insufficient system storage)"),
	RULE("disk full", SYSTEMFULL, ANY_STATUS, ANY, ANY, C("receiving disk full")),
	RULE("mail system full", SYSTEMFULL, ANY_STATUS, ANY, ANY, S_RFC3463 " X.3.1"),
	RULE("queue file write error", SYSTEMERROR, ANY_STATUS, ANY, ANY, S_POSTFIX " (451 4.3.0 queue file write error)"),
	RULE("service currently unavailable", SYSTEMERROR, ANY_STATUS, ANY, ANY, C("receiving service unavailable")),
	RULE("service unavailable", SYSTEMERROR, ANY_STATUS, ANY, ANY, S_RFC5321 " (421/554 service not available)"),
	RULE("service not available", SYSTEMERROR, ANY_STATUS, ANY, ANY, S_RFC5321 " (421 service not available)"),
	RULE("local error in processing", SYSTEMERROR, ANY_STATUS, ANY, ANY, S_RFC5321 " (451)"),
	RULE("internal error", SYSTEMERROR, ANY_STATUS, ANY, ANY, C("receiving system error")),
	RULE("system error", SYSTEMERROR, ANY_STATUS, ANY, ANY, C("receiving system error")),
	RULE("server error", SYSTEMERROR, ANY_STATUS, ANY, ANY, C("receiving system error")),
	RULE("could not load drd", SYSTEMERROR, ANY_STATUS, ANY, ANY, "McAfee MX Logic: domain routing data not loaded"),
	RULE("duplicated message-id", SYSTEMERROR, ANY_STATUS, ANY, ANY, C("receiving MTA refused a duplicate")),

	/* -- network and expiry -- */
	RULE("wasn't able to establish an smtp connection", NETWORKERROR, ANY_STATUS, ANY, ANY, S_QMAIL " (#4.4.1)"),
	RULE("name service error", NETWORKERROR, ANY_STATUS, ANY, ANY, S_POSTFIX " (Name service error)"),
	RULE("dns error", NETWORKERROR, ANY_STATUS, ANY, ANY, S_GMAIL " (DNS Error)"),
	RULE("routing loop", NETWORKERROR, ANY_STATUS, ANY, ANY, S_RFC3463 " X.4.6 (routing loop detected)"),
	RULE("mail loop", NETWORKERROR, ANY_STATUS, ANY, ANY, S_RFC3463 " X.4.6"),
	RULE("loops back to myself", NETWORKERROR, ANY_STATUS, ANY, ANY, S_POSTFIX " (mail for X loops back to myself)"),
	RULE("hop count exceeded", NETWORKERROR, ANY_STATUS, ANY, ANY, S_RFC3463 " X.4.6"),
	RULE("too many hops", NETWORKERROR, ANY_STATUS, ANY, ANY, S_RFC3463 " X.4.6"),
	RULE("maximum hop count", NETWORKERROR, ANY_STATUS, ANY, ANY, S_RFC3463 " X.4.6"),
	RULE("envelope expired", EXPIRED, ANY_STATUS, ANY, ANY, C("queue lifetime expired")),
	RULE("delivery time expired", EXPIRED, ANY_STATUS, ANY, ANY, S_RFC3463 " X.4.7"),
	RULE("could not deliver for the last", EXPIRED, ANY_STATUS, ANY, ANY, C("queue lifetime expired")),
	RULE("could not be delivered for", EXPIRED, ANY_STATUS, ANY, ANY, S_SENDMAIL " (could not be delivered for N days)"),
	RULE("cannot send message for", EXPIRED, ANY_STATUS, ANY, ANY, S_SENDMAIL " (Cannot send message for N days)"),
	RULE("could not send message for", EXPIRED, ANY_STATUS, ANY, ANY, S_SENDMAIL " (Warning: could not send message for past N hours)"),
	RULE("in the queue too long", EXPIRED, ANY_STATUS, ANY, ANY, S_QMAIL " (this message has been in the queue too long)"),
	RULE("retry timeout exceeded", EXPIRED, ANY_STATUS, ANY, ANY, S_EXIM " (retry timeout exceeded)"),
	RULE("failing for a long time", EXPIRED, ANY_STATUS, ANY, ANY, S_EXIM " (all hosts have been failing for a long time)"),
	RULE("giving up", EXPIRED, ANY_STATUS, ANY, ANY, C("sender gave up")),
	RULE("has been delayed", EXPIRED, ANY_STATUS, ANY, ANY, S_EXCHANGE " / " S_GMAIL " (delivery delayed)"),
	RULE("will be retried", EXPIRED, ANY_STATUS, ANY, ANY, S_GMAIL " (message will be retried)"),
	RULE("did not accept our requests to connect", EXPIRED, ANY_STATUS, ANY, ANY, S_GMAIL " (recipient server did not accept our requests to connect)"),
	RULE("unable to connect successfully", EXPIRED, ANY_STATUS, ANY, ANY, S_EXCHANGE " (unable to connect to the destination mail server)"),
	RULE("connection timed out", EXPIRED, ANY_STATUS, ANY, ANY, C("connection timed out, retried until expiry")),
	RULE("host not reachable", EXPIRED, ANY_STATUS, ANY, ANY, S_ZOHO " (Host not reachable)"),
	RULE("could not find a gateway", EXPIRED, ANY_STATUS, ANY, ANY, C("no route found before expiry")),
	RULE("delivery failed 2", EXPIRED, ANY_STATUS, ANY, ANY, C("delivery failed N attempts")),
	RULE("attempts:", EXPIRED, "4.", ANY, ANY, C("delivery failed after N attempts")),

	/* -- protocol -- */
	RULE("command parameter not implemented", SYNTAXERROR, ANY_STATUS, ANY, ANY, S_RFC5321 " (504)"),
	RULE("syntax error", SYNTAXERROR, ANY_STATUS, ANY, ANY, S_RFC5321 " (500/501 syntax error)"),
	RULE("command not recognized", SYNTAXERROR, ANY_STATUS, ANY, ANY, S_RFC5321 " (500)"),
	RULE("command unrecognized", SYNTAXERROR, ANY_STATUS, ANY, ANY, S_RFC5321 " (500)"),
	RULE("bad sequence of commands", SYNTAXERROR, "5.5.", ANY, ANY, S_RFC5321 " (503)"),

	RULE("on hold", ONHOLD, ANY_STATUS, ANY, ANY, C("delivery on hold")),

	/* -- weakest: generic refusals of the recipient -- */
	RULE("address rejected", USERUNKNOWN, "5.1.", ANY, ANY, C("recipient refused with an address status")),
	RULE("recipient rejected", USERUNKNOWN, "5.1.", ANY, ANY, C("recipient refused with an address status")),
	RULE("recipient address rejected", USERUNKNOWN, ANY_STATUS, RCPT, ANY, S_POSTFIX " (Recipient address rejected, at RCPT)"),
	RULE("recipient address rejected", USERUNKNOWN, ANY_STATUS, ANY, ANY, S_POSTFIX " (Recipient address rejected)"),
	RULE("rejected for policy", POLICYVIOLATION, ANY_STATUS, ANY, ANY, C("local policy refusal")),
	RULE("mail rejected by destination domain", REJECTED, ANY_STATUS, ANY, ZOHO, S_ZOHO " (541 5.4.1 Mail rejected by destination domain)"),
};
const int	bounce_text_rules_count = sizeof(bounce_text_rules) / sizeof(bounce_text_rules[0]);

/* ----------------------------------------------------------- status rules */

#define SC(code, reason, prov, weak, src) { code, BR_##reason, BP_##prov, weak, src }

/*
 * Enhanced status codes.  "X.s.d" applies to both classes 4 and 5; a row
 * for one class ("4.4.7") applies to that class only.  Provider rows are
 * consulted before the others, whatever their position.  Codes absent here
 * (X.0.0, 5.5.0, ...) say nothing beyond permanent/transient.
 */
const BounceCodeRule bounce_status_rules[] = {
	/* provider-specific meanings */
	SC("5.4.1", USERUNKNOWN, MICROSOFT, false, S_M365 " (5.4.1 recipient address rejected: access denied)"),
	SC("5.1.10", USERUNKNOWN, MICROSOFT, false, S_M365 " (5.1.10 recipient not found)"),
	SC("5.4.1", REJECTED, ZOHO, false, S_ZOHO " (541 5.4.1 mail rejected by destination domain)"),
	SC("5.4.312", NETWORKERROR, MICROSOFT, false, S_M365 " (5.4.312 DNS query failed)"),
	SC("5.4.316", NETWORKERROR, MICROSOFT, false, S_M365 " (5.4.316 connection refused)"),
	SC("4.4.316", NETWORKERROR, MICROSOFT, false, S_M365 " (4.4.316 connection refused)"),
	SC("5.7.606", BLOCKED, ANY, false, S_M365 " (5.7.606-649 banned sending IP)"),
	SC("5.7.607", BLOCKED, ANY, false, S_M365),
	SC("5.7.608", BLOCKED, ANY, false, S_M365),
	SC("5.7.609", BLOCKED, ANY, false, S_M365),
	SC("5.7.509", AUTHFAILURE, ANY, false, S_M365 " (5.7.509 DMARC reject)"),
	SC("5.7.510", AUTHFAILURE, ANY, false, S_M365),
	SC("5.7.708", BLOCKED, ANY, false, S_M365 " (5.7.708 traffic not accepted from this IP)"),
	SC("5.7.750", BLOCKED, ANY, false, S_M365 " (5.7.750 client blocked from sending from unregistered domains)"),
	SC("4.7.650", BADREPUTATION, ANY, false, S_M365 " (4.7.650 IP reputation)"),
	SC("4.7.651", BADREPUTATION, ANY, false, S_M365),
	SC("4.2.1", RATELIMITED, GOOGLE, false, S_GMAIL " (4.2.1 receiving mail at a rate that prevents additional messages)"),
	SC("5.7.1", BLOCKED, APPLE, false, S_ICLOUD " (5.7.1 blocked: reputation/policy)"),

	/* the IANA registry, RFC 3463 and its successors */
	SC("X.1.0", USERUNKNOWN, ANY, true, S_RFC3463 " X.1.0 other address status"),
	SC("X.1.1", USERUNKNOWN, ANY, false, S_RFC3463 " X.1.1 bad destination mailbox address"),
	SC("X.1.2", HOSTUNKNOWN, ANY, false, S_RFC3463 " X.1.2 bad destination system address"),
	SC("X.1.3", USERUNKNOWN, ANY, false, S_RFC3463 " X.1.3 bad destination mailbox address syntax"),
	SC("X.1.4", FILTERED, ANY, false, S_RFC3463 " X.1.4 destination mailbox address ambiguous"),
	SC("X.1.6", HASMOVED, ANY, false, S_RFC3463 " X.1.6 destination mailbox has moved"),
	SC("X.1.7", REJECTED, ANY, false, S_RFC3463 " X.1.7 bad sender's mailbox address syntax"),
	SC("X.1.8", REJECTED, ANY, false, S_RFC3463 " X.1.8 bad sender's system address"),
	SC("X.1.9", SYSTEMERROR, ANY, false, "RFC 3886 X.1.9 message relayed to non-compliant mailer"),
	SC("X.1.10", NOTACCEPT, ANY, false, S_RFC7505 " X.1.10 recipient address has null MX"),
	SC("X.2.0", FILTERED, ANY, true, S_RFC3463 " X.2.0 other or undefined mailbox status"),
	SC("X.2.1", SUSPEND, ANY, false, S_RFC3463 " X.2.1 mailbox disabled, not accepting messages"),
	SC("X.2.2", MAILBOXFULL, ANY, false, S_RFC3463 " X.2.2 mailbox full"),
	SC("X.2.3", EMAILTOOLARGE, ANY, false, S_RFC3463 " X.2.3 message length exceeds administrative limit"),
	SC("X.2.4", FILTERED, ANY, false, S_RFC3463 " X.2.4 mailing list expansion problem"),
	SC("X.3.0", SYSTEMERROR, ANY, true, S_RFC3463 " X.3.0 other or undefined mail system status"),
	SC("X.3.1", SYSTEMFULL, ANY, false, S_RFC3463 " X.3.1 mail system full"),
	SC("X.3.2", NOTACCEPT, ANY, false, S_RFC3463 " X.3.2 system not accepting network messages"),
	SC("X.3.3", SYSTEMERROR, ANY, false, S_RFC3463 " X.3.3 system not capable of selected features"),
	SC("X.3.4", EMAILTOOLARGE, ANY, false, S_RFC3463 " X.3.4 message too big for system"),
	SC("X.3.5", SYSTEMERROR, ANY, false, S_RFC3463 " X.3.5 system incorrectly configured"),
	SC("5.4.0", NETWORKERROR, ANY, true, S_RFC3463 " X.4.0 other or undefined network or routing status"),
	SC("5.4.1", NETWORKERROR, ANY, false, S_RFC3463 " X.4.1 no answer from host"),
	SC("4.4.1", EXPIRED, ANY, false, S_RFC3463 " X.4.1 no answer from host (retried until expiry)"),
	SC("X.4.2", NETWORKERROR, ANY, false, S_RFC3463 " X.4.2 bad connection"),
	SC("X.4.3", SYSTEMERROR, ANY, false, S_RFC3463 " X.4.3 directory server failure"),
	SC("5.4.4", HOSTUNKNOWN, ANY, false, S_RFC3463 " X.4.4 unable to route"),
	SC("4.4.4", NETWORKERROR, ANY, false, S_RFC3463 " X.4.4 unable to route (transient)"),
	SC("X.4.5", SYSTEMFULL, ANY, false, S_RFC3463 " X.4.5 mail system congestion"),
	SC("X.4.6", NETWORKERROR, ANY, false, S_RFC3463 " X.4.6 routing loop detected"),
	SC("X.4.7", EXPIRED, ANY, false, S_RFC3463 " X.4.7 delivery time expired"),
	SC("X.5.1", SYNTAXERROR, ANY, false, S_RFC3463 " X.5.1 invalid command"),
	SC("X.5.2", SYNTAXERROR, ANY, false, S_RFC3463 " X.5.2 syntax error"),
	SC("X.5.3", RATELIMITED, ANY, false, S_RFC3463 " X.5.3 too many recipients"),
	SC("X.5.4", SYNTAXERROR, ANY, false, S_RFC3463 " X.5.4 invalid command arguments"),
	SC("X.5.5", SYSTEMERROR, ANY, false, S_RFC3463 " X.5.5 wrong protocol version"),
	SC("X.5.6", SECURITYERROR, ANY, false, "RFC 4954 X.5.6 authentication exchange line too long"),
	SC("X.6.0", CONTENTERROR, ANY, false, S_RFC3463 " X.6.0 other or undefined media error"),
	SC("X.6.1", CONTENTERROR, ANY, false, S_RFC3463 " X.6.1 media not supported"),
	SC("X.6.2", CONTENTERROR, ANY, false, S_RFC3463 " X.6.2 conversion required and prohibited"),
	SC("X.6.3", CONTENTERROR, ANY, false, S_RFC3463 " X.6.3 conversion required but not supported"),
	SC("X.6.5", CONTENTERROR, ANY, false, S_RFC3463 " X.6.5 conversion failed"),
	SC("X.6.6", CONTENTERROR, ANY, false, "RFC 4468 X.6.6 message content not available"),
	SC("X.6.7", CONTENTERROR, ANY, false, "RFC 6531 X.6.7 non-ASCII addresses not permitted"),
	SC("X.6.8", CONTENTERROR, ANY, false, "RFC 6531 X.6.8 UTF-8 string reply required"),
	SC("X.6.9", CONTENTERROR, ANY, false, "RFC 6531 X.6.9 UTF-8 header cannot be transferred"),
	SC("X.7.0", SECURITYERROR, ANY, true, S_RFC3463 " X.7.0 other or undefined security status"),
	SC("5.7.1", SECURITYERROR, ANY, true, S_RFC3463 " X.7.1 delivery not authorized, message refused"),
	SC("4.7.1", BLOCKED, ANY, true, S_RFC3463 " X.7.1 delivery not authorized (transient: greylisting/blocking)"),
	SC("X.7.2", SECURITYERROR, ANY, false, S_RFC3463 " X.7.2 mailing list expansion prohibited"),
	SC("X.7.3", SECURITYERROR, ANY, false, S_RFC3463 " X.7.3 security conversion required but not possible"),
	SC("X.7.4", SECURITYERROR, ANY, false, S_RFC3463 " X.7.4 security features not supported"),
	SC("X.7.5", SECURITYERROR, ANY, false, S_RFC3463 " X.7.5 cryptographic failure"),
	SC("X.7.6", SECURITYERROR, ANY, false, S_RFC3463 " X.7.6 cryptographic algorithm not supported"),
	SC("X.7.7", SECURITYERROR, ANY, false, S_RFC3463 " X.7.7 message integrity failure"),
	SC("X.7.8", SECURITYERROR, ANY, false, "RFC 4954 X.7.8 authentication credentials invalid"),
	SC("X.7.9", SECURITYERROR, ANY, false, "RFC 4954 X.7.9 authentication mechanism is too weak"),
	SC("X.7.10", FAILEDSTARTTLS, ANY, false, "RFC 5248 X.7.10 encryption needed"),
	SC("X.7.11", FAILEDSTARTTLS, ANY, false, "RFC 4954 X.7.11 encryption required for requested authentication mechanism"),
	SC("X.7.12", SECURITYERROR, ANY, false, "RFC 4954 X.7.12 a password transition is needed"),
	SC("X.7.13", SUSPEND, ANY, false, "RFC 5248 X.7.13 user account disabled"),
	SC("X.7.14", SECURITYERROR, ANY, false, "RFC 5248 X.7.14 trust relationship required"),
	SC("X.7.15", SECURITYERROR, ANY, false, "RFC 6710 X.7.15 priority level is too low"),
	SC("X.7.16", EMAILTOOLARGE, ANY, false, "RFC 6710 X.7.16 message is too big for the specified priority"),
	SC("X.7.17", HASMOVED, ANY, false, "RFC 7293 X.7.17 mailbox owner has changed"),
	SC("X.7.18", HASMOVED, ANY, false, "RFC 7293 X.7.18 domain owner has changed"),
	SC("X.7.19", SECURITYERROR, ANY, false, "RFC 7293 X.7.19 RRVS test cannot be completed"),
	SC("X.7.20", AUTHFAILURE, ANY, false, S_DKIM " X.7.20 no passing DKIM signature"),
	SC("X.7.21", AUTHFAILURE, ANY, false, S_DKIM " X.7.21 no acceptable DKIM signature"),
	SC("X.7.22", AUTHFAILURE, ANY, false, S_DKIM " X.7.22 no valid author-matched DKIM signature"),
	SC("X.7.23", AUTHFAILURE, ANY, false, S_SPF " X.7.23 SPF validation failed"),
	SC("X.7.24", AUTHFAILURE, ANY, false, S_SPF " X.7.24 SPF validation error"),
	SC("X.7.25", REQUIREPTR, ANY, false, "RFC 7372 X.7.25 reverse DNS validation failed"),
	SC("X.7.26", AUTHFAILURE, ANY, false, "RFC 7372 X.7.26 multiple authentication checks failed"),
	SC("X.7.27", NOTACCEPT, ANY, false, "RFC 7505 X.7.27 null MX (Sisimai: notaccept)"),
	SC("X.7.28", RATELIMITED, ANY, false, "IANA X.7.28 mail flood detected (draft-levine-mailbomb-header)"),
	SC("X.7.29", AUTHFAILURE, ANY, false, "RFC 8617 X.7.29 ARC validation failure"),
	SC("X.7.30", FAILEDSTARTTLS, ANY, false, "RFC 8689 X.7.30 REQUIRETLS support required"),
};
const int	bounce_status_rules_count = sizeof(bounce_status_rules) / sizeof(bounce_status_rules[0]);

/* --------------------------------------------------------- reply code rules */

/*
 * Basic reply codes (RFC 5321 section 4.2.2-4.2.3, RFC 7504, RFC 3207,
 * RFC 4954).  Only codes that say something about the cause are listed;
 * 450, 550 and 554 are catch-alls and are left to the text and the status.
 */
const BounceCodeRule bounce_reply_rules[] = {
	SC("421", SYSTEMERROR, ANY, false, S_RFC5321 " (421 service not available, closing transmission channel)"),
	SC("451", SYSTEMERROR, ANY, false, S_RFC5321 " (451 local error in processing)"),
	SC("452", SYSTEMFULL, ANY, false, S_RFC5321 " (452 insufficient system storage)"),
	SC("455", SYSTEMERROR, ANY, false, "RFC 5321 section 4.2.3 (455 server unable to accommodate parameters)"),
	SC("500", SYNTAXERROR, ANY, false, S_RFC5321 " (500 syntax error, command unrecognized)"),
	SC("501", SYNTAXERROR, ANY, false, S_RFC5321 " (501 syntax error in parameters or arguments)"),
	SC("502", SYNTAXERROR, ANY, false, S_RFC5321 " (502 command not implemented)"),
	SC("503", SYNTAXERROR, ANY, false, S_RFC5321 " (503 bad sequence of commands)"),
	SC("504", SYNTAXERROR, ANY, false, S_RFC5321 " (504 command parameter not implemented)"),
	SC("521", NOTACCEPT, ANY, false, "RFC 7504 (521 host does not accept mail)"),
	SC("523", FAILEDSTARTTLS, ANY, false, "RFC 5248 / IANA (523 encryption needed)"),
	SC("524", FAILEDSTARTTLS, ANY, false, "RFC 4954 (524 encryption required for requested authentication mechanism)"),
	SC("530", SECURITYERROR, ANY, false, "RFC 4954 / RFC 3207 (530 authentication or STARTTLS required)"),
	SC("534", SECURITYERROR, ANY, false, "RFC 4954 (534 authentication mechanism is too weak)"),
	SC("535", SECURITYERROR, ANY, false, "RFC 4954 (535 authentication credentials invalid)"),
	SC("538", FAILEDSTARTTLS, ANY, false, "RFC 4954 (538 encryption required)"),
	SC("551", HASMOVED, ANY, false, S_RFC5321 " (551 user not local; please try <forward-path>)"),
	SC("552", MAILBOXFULL, ANY, false, S_RFC5321 " (552 exceeded storage allocation)"),
	SC("553", USERUNKNOWN, ANY, false, S_RFC5321 " (553 mailbox name not allowed)"),
	SC("556", NOTACCEPT, ANY, false, "RFC 7504 (556 domain does not accept mail)"),
};
const int	bounce_reply_rules_count = sizeof(bounce_reply_rules) / sizeof(bounce_reply_rules[0]);
