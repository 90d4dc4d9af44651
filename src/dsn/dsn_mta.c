/*-------------------------------------------------------------------------
 *
 * dsn_mta.c
 *		Which mail system wrote the report, by its own signature, and what
 *		that system states about each recipient itself: a verdict from a
 *		table of its own (Exchange 2003's MSEXCH codes), a header it sets
 *		(au's X-SPASIGN), the shape of a notice it always sends (Google
 *		Groups), the step of the SMTP session its wording names, and the
 *		line of its report that is the error.
 *
 * A report is read the same way whoever wrote it (dsn_report.c,
 * dsn_plain.c); this file only adds what one system's report says in its
 * own terms.  The classifier is told the system (DsnResult.mta), so that
 * a text from one system's message table is that system's verdict in its
 * own report and an ordinary reply in another's.
 *
 * Sources: each system's signature and table are those that Sisimai 5's
 * module for the system reads (Sisimai::Lhost::*, BSD-2; go-sisimai
 * lhost/via-*.go), which cite the systems' own sources (qmail-remote.c,
 * Exim's deliver.c and transports/smtp.c, Sendmail's savemail.c, ...);
 * each entry names its module.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dsn/dsn_int.h"

/* ----------------------------------------------------------------
 * Signatures
 * ----------------------------------------------------------------
 */

/* Does a header named name hold phrase in its first PHRASE_SPAN bytes? */
static bool
hdr_has(const Headers *hs, const char *name, const char *phrase)
{
	int			i;

	for (i = 0; i < hs->n; i++)
		if (dsn_ci_equal(hs->h[i].name, name) &&
			dsn_ci_find(hs->h[i].value, phrase_span(hs->h[i].vlen), phrase))
			return true;
	return false;
}

/* Does the header named name start with the phrase? */
static bool
hdr_starts(const Headers *hs, const char *name, const char *phrase)
{
	const Header *h = dsn_hdr_get(hs, name);

	return h != NULL && dsn_ci_prefix(h->value, h->vlen, phrase);
}

/* Is the header named name exactly the phrase (blanks around aside)? */
static bool
hdr_is(const Headers *hs, const char *name, const char *phrase)
{
	const Header *h = dsn_hdr_get(hs, name);

	return h != NULL && dsn_ci_equal(dsn_trim((Str) {h->value, h->vlen}), phrase);
}

/* Does the first SIGNATURE_SPAN bytes of the text hold the phrase (case as written)? */
#define SIGNATURE_SPAN 16384

static bool
text_has(const char *t, size_t n, const char *phrase)
{
	return t != NULL && dsn_find_bytes(t, n < SIGNATURE_SPAN ? n : SIGNATURE_SPAN,
									   phrase, strlen(phrase)) != NULL;
}

/*
 * Google Groups' notice that a post was refused, in any language: from
 * Gmail's mailer daemon, with X-Failed-Recipients and X-Google-Smtp-Source,
 * naming "Google Groups" (Sisimai::Lhost::GoogleGroups).
 */
static bool
is_googlegroups(const Headers *top, const char *t, size_t n)
{
	return hdr_has(top, "from", "<mailer-daemon@googlemail.com>") &&
		hdr_has(top, "subject", "delivery status notification") &&
		dsn_hdr_get(top, "x-failed-recipients") != NULL &&
		dsn_hdr_get(top, "x-google-smtp-source") != NULL &&
		text_has(t, n, "Google Groups");
}

/* Gmail's own bounce (Sisimai::Lhost::Gmail). */
static bool
is_gmail(const Headers *top, const char *t, size_t n)
{
	(void) t;
	(void) n;
	return hdr_has(top, "from", "<mailer-daemon@googlemail.com>") &&
		hdr_has(top, "subject", "delivery status notification");
}

/*
 * Microsoft Exchange Server 2003 and its Internet Mail Service
 * (Sisimai::Lhost::Exchange2003): its own headers.
 */
static bool
is_exchange2003(const Headers *top, const char *t, size_t n)
{
	(void) t;
	(void) n;
	return dsn_hdr_get(top, "x-ms-embedded-report") != NULL ||
		hdr_starts(top, "x-mailer", "internet mail service (") ||
		hdr_starts(top, "x-mailer", "microsoft exchange server internet mail connector") ||
		hdr_starts(top, "x-mimeole", "produced by microsoft exchange") ||
		hdr_has(top, "received", " with internet mail service (");
}

/* HCL (IBM, Lotus) Domino (Sisimai::Lhost::Domino): its subject. */
static bool
is_domino(const Headers *top, const char *t, size_t n)
{
	(void) t;
	(void) n;
	return hdr_starts(top, "subject", "delivery failure:") ||
		hdr_has(top, "subject", "delivery_failure");
}

/*
 * au (KDDI) EZweb (Sisimai::Lhost::EZweb): two of its From, Subject,
 * Received and Message-ID signatures.
 */
static bool
is_ezweb(const Headers *top, const char *t, size_t n)
{
	int			k = 0;

	(void) t;
	(void) n;
	k += hdr_has(top, "from", "postmaster@ezweb.ne.jp");
	k += hdr_has(top, "from", "postmaster@au.com");
	k += hdr_is(top, "subject", "mail system error - returned mail");
	k += hdr_has(top, "received", "ezweb.ne.jp (ezweb mail) with") ||
		hdr_has(top, "received", ".au.com (");
	k += hdr_has(top, "message-id", ".ezweb.ne.jp>");
	k += hdr_has(top, "message-id", ".au.com>");
	return k >= 2;
}

/*
 * au by KDDI's own reports (Sisimai::Lhost::KDDI): its senders, or
 * relayed through its servers.
 */
static bool
is_kddi(const Headers *top, const char *t, size_t n)
{
	(void) t;
	(void) n;
	return hdr_has(top, "from", ".dion.ne.jp") ||
		hdr_has(top, "reply-to", "no-reply@app.auone-net.jp") ||
		hdr_has(top, "received", "ezweb.ne.jp (") || hdr_has(top, "received", ".au.com (");
}

/* Yahoo Mail (Sisimai::Lhost::Yahoo): its X-YMailISG header. */
static bool
is_yahoo(const Headers *top, const char *t, size_t n)
{
	(void) t;
	(void) n;
	return dsn_hdr_get(top, "x-ymailisg") != NULL;
}

/*
 * Trend Micro InterScan Messaging Security Suite
 * (Sisimai::Lhost::InterScanMSS): its name in From, Content-Type or text.
 */
static bool
is_interscan(const Headers *top, const char *t, size_t n)
{
	return hdr_starts(top, "from", "\"interscan") ||
		hdr_has(top, "content-type", "interscan") ||
		text_has(t, n, " InterScan ");
}

/* McAfee Email Gateway (Sisimai::Lhost::McAfee): its own header. */
static bool
is_mcafee(const Headers *top, const char *t, size_t n)
{
	(void) t;
	(void) n;
	return hdr_has(top, "x-nai-header", "modified by mcafee") &&
		hdr_is(top, "subject", "delivery status");
}

/* Progress iMail Server (Sisimai::Lhost::IMailServer). */
static bool
is_imailserver(const Headers *top, const char *t, size_t n)
{
	(void) t;
	(void) n;
	return hdr_starts(top, "subject", "undeliverable mail ") ||
		hdr_starts(top, "x-mailer", "<smtp32 v");
}

/* Courier MTA (Sisimai::Lhost::Courier). */
static bool
is_courier(const Headers *top, const char *t, size_t n)
{
	(void) t;
	(void) n;
	return hdr_has(top, "from", "courier mail server at ") ||
		hdr_has(top, "subject", "notice: mail delivery status.") ||
		hdr_has(top, "subject", "warning: delayed mail.") ||
		hdr_starts(top, "message-id", "<courier.");
}

/*
 * qmail (Sisimai::Lhost::qmail): qmail-send's subject, its Received line
 * for a bounce, or its greeting in the text.
 */
static bool
is_qmail(const Headers *top, const char *t, size_t n)
{
	return hdr_is(top, "subject", "failure notice") ||
		hdr_has(top, "received", "invoked for bounce") ||
		text_has(t, n, "This is the qmail-send program");
}

/*
 * Postfix (Sisimai::Lhost::Postfix): the subject of bounce(8)'s notice,
 * or of smtpd's notice of a failed session (smtpd_chat.c).
 */
static bool
is_postfix(const Headers *top, const char *t, size_t n)
{
	return hdr_is(top, "subject", "undelivered mail returned to sender") ||
		hdr_has(top, "subject", "smtp server: errors from ") ||
		text_has(t, n, "This is the mail system at host");
}

/*
 * Sendmail (Sisimai::Lhost::Sendmail): savemail.c's subjects, "Returned
 * mail: see transcript for details" and "Warning: could not send message
 * for past ...".
 */
static bool
is_sendmail(const Headers *top, const char *t, size_t n)
{
	(void) t;
	(void) n;
	return hdr_has(top, "subject", "see transcript for details") ||
		hdr_starts(top, "subject", "warning: could not send message");
}

/* Is the Message-ID Exim's own: "<XXXXXX-XXXXXX-XX@host>"? */
static bool
exim_message_id(const Headers *top)
{
	const Header *h = dsn_hdr_get(top, "message-id");
	Str			v;

	if (h == NULL)
		return false;
	v = dsn_trim((Str) {h->value, h->vlen});
	return v.n > 19 && v.p[0] == '<' && memchr(v.p, '-', v.n) == v.p + 8 &&
		memchr(v.p, '@', v.n) == v.p + 18;
}

/*
 * Exim (Sisimai::Lhost::Exim): two of its From ("Mail Delivery System"),
 * its Message-ID form and its subjects (deliver.c).
 */
static bool
is_exim(const Headers *top, const char *t, size_t n)
{
	static const char *const titles[] = {
		"delivery status notification", "mail delivery failed", "mail failure",
		"message frozen", "warning: message ", "error(s) in forwarding or filtering"
	};
	int			k = 0;
	size_t		i;

	(void) t;
	(void) n;
	k += hdr_starts(top, "from", "mail delivery system");
	k += exim_message_id(top);
	for (i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (hdr_has(top, "subject", titles[i]))
		{
			k++;
			break;
		}
	return k >= 2;
}

/*
 * The systems, in the order their signatures are tried: a narrower one
 * (Google Groups, Gmail) before a wider one (Exim's subjects).  The names
 * are Sisimai's module names, lower case.
 */
static const struct
{
	const char *name;
	bool		(*is) (const Headers *top, const char *t, size_t n);
}			systems[] = {
	{"googlegroups", is_googlegroups},
	{"gmail", is_gmail},
	{"exchange2003", is_exchange2003},
	{"domino", is_domino},
	{"ezweb", is_ezweb},
	{"kddi", is_kddi},
	{"yahoo", is_yahoo},
	{"interscanmss", is_interscan},
	{"mcafee", is_mcafee},
	{"imailserver", is_imailserver},
	{"courier", is_courier},
	{"qmail", is_qmail},
	{"postfix", is_postfix},
	{"sendmail", is_sendmail},
	{"exim", is_exim},
};

const char *
dsn_identify_mta(const Headers *top, const char *text, size_t tlen)
{
	size_t		i;

	for (i = 0; i < sizeof(systems) / sizeof(systems[0]); i++)
		if (systems[i].is(top, text, text ? tlen : 0))
			return systems[i].name;
	return NULL;
}

/* ----------------------------------------------------------------
 * What each system states itself
 * ----------------------------------------------------------------
 */

static inline bool
is_mta(const char *mta, const char *name)
{
	return mta != NULL && strcmp(mta, name) == 0;
}

/*
 * Exchange 2003's error codes, written in parentheses after its
 * "MSEXCH:" token, and the reason each means (Sisimai::Lhost::Exchange2003,
 * its error code table).  Codes it files as "onhold" (a remote MTA's
 * message follows) are left to the classifier.
 */
static const struct
{
	const char *code;
	const char *reason;
}			msexch_codes[] = {
	{"000C05A6", "userunknown"},	/* Unknown Recipient */
	{"000C0595", "filtered"},	/* Ambiguous Recipient */
	{"00010256", "systemerror"},	/* Too many recipients */
	{"000D06B5", "systemerror"},	/* No proxy for recipient */
	{"00120270", "networkerror"},	/* Too Many Hops */
	{"00050311", "contenterror"},	/* Conversion to Internet format failed */
	{"000502CC", "contenterror"},	/* Conversion to Internet format failed */
	{"000B0981", "securityerror"},	/* 502 Server does not support AUTH */
};

/* Is p[0..8) the hexadecimal code, in either case? */
static bool
same_code(const char *p, const char *code)
{
	int			i;

	for (i = 0; i < 8; i++)
		if (lower(p[i]) != lower(code[i]))
			return false;
	return true;
}

/*
 * An Exchange 2003 row: "MSEXCH:IMS:... 0 (000C05A6) Unknown Recipient".
 * The code gives the reason, and the text after it is the error; the
 * recipient's line and the MTS-ID before it are not.
 */
static void
exchange2003_row(Ctx *c, DsnRecipient *r)
{
	const char *d = r->diagnostic;
	const char *m;
	const char *open;
	const char *close;
	size_t		n;
	size_t		i;

	if (d == NULL || (m = strstr(d, "MSEXCH:")) == NULL)
		return;
	n = strlen(m);
	if ((open = memchr(m, '(', n)) == NULL ||
		(close = memchr(open, ')', n - (open - m))) == NULL || close - open != 9)
		return;
	for (i = 0; i < sizeof(msexch_codes) / sizeof(msexch_codes[0]); i++)
		if (same_code(open + 1, msexch_codes[i].code))
		{
			r->stated_reason = msexch_codes[i].reason;
			break;
		}
	if (r->stated_reason != NULL && dsn_has_word(c, close + 1))
		r->diagnostic = dsn_clean(c, close + 1, strlen(close + 1));
}

/*
 * Google Groups' refusal lists the four reasons a post may be refused as
 * four bullet lines ("* You might have spelled or formatted the group
 * name incorrectly.", ...), in whatever language the notice is written:
 * then the sender was refused (Sisimai::Lhost::GoogleGroups).
 */
static bool
googlegroups_refusal(Ctx *c, const char *t, size_t n)
{
	const char *p = t;
	const char *end = t + n;
	int			bullets = 0;
	size_t		ticked = 0;

	while (p < end)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);
		const char *q = p;

		dsn_tick_at(c, next - t, &ticked);
		if (dsn_is_original_start(p, eol))
			break;
		if (q < eol && *q == ' ')
			q++;
		if (q < eol && *q == '*')
			bullets++;
		p = next;
	}
	return bullets == 4;
}

/*
 * au EZweb's own texts, written before the list of recipients, and what
 * each means (Sisimai::Lhost::EZweb, its message table).
 */
static const struct
{
	const char *text;
	const char *reason;
}			ezweb_messages[] = {
	{"The user(s) account is disabled.", "suspend"},
	{"The user(s) account is temporarily limited.", "suspend"},
	{"The user(s) account is temporarily over quota", "mailboxfull"},
	{"Your message was not delivered within ", "expired"},
};

/*
 * An au (EZweb, KDDI) report: a recipient who filters the sender out is
 * returned with the header "X-SPASIGN: NG" (au's anti-spam filter:
 * Sisimai::Lhost::EZweb and ::KDDI); otherwise an EZweb report's own text
 * before the recipients says why.
 */
static void
au_rows(Ctx *c, const char *mta, const Headers *top, const char *t, size_t n)
{
	const char *reason = NULL;
	size_t		i;
	int			k;

	if (hdr_is(top, "x-spasign", "ng"))
		reason = "filtered";
	for (i = 0; reason == NULL && t != NULL && is_mta(mta, "ezweb") &&
		 i < sizeof(ezweb_messages) / sizeof(ezweb_messages[0]); i++)
		if (text_has(t, n, ezweb_messages[i].text))
			reason = ezweb_messages[i].reason;
	for (k = 0; reason != NULL && k < c->nrcpt; k++)
		if (c->rcpt[k].stated_reason == NULL)
			c->rcpt[k].stated_reason = reason;
}

/*
 * Gmail's report explains in its own words what happened, then quotes the
 * remote server: "... The error that the other server returned was: 550
 * 5.1.1 ... (state 14)."  The quoted reply is the error, and another
 * server's; Gmail's own explanation is kept only when it quotes none (a
 * connection that never got a reply, a DNS failure).
 */
static void
gmail_row(Ctx *c, DsnRecipient *r)
{
	const char *d = r->diagnostic;
	const char *q;
	static const char marker[] = "the other server returned was:";

	if (d == NULL || (q = dsn_ci_find(d, strlen(d), marker)) == NULL)
		return;
	q += sizeof(marker) - 1;
	if (dsn_has_word(c, q))
		r->diagnostic = dsn_clean(c, q, strlen(q));
	/* the other server, not Gmail, refused: Google's own rules do not apply */
	if (r->remote_mta == NULL)
		r->quotes_remote = true;
}

/*
 * qmail and Exim file a refusal of their HELO/EHLO as a refusal of the
 * client itself, "blocked", whatever the reply says (Sisimai::Lhost::qmail:
 * "Connected to %s but my name was rejected."; Sisimai::Lhost::Exim:
 * "SMTP error from remote mail server after EHLO").
 */
static void
refused_at_helo(DsnRecipient *r)
{
	if (r->smtp_command != NULL && r->stated_reason == NULL &&
		(strcmp(r->smtp_command, "HELO") == 0 || strcmp(r->smtp_command, "EHLO") == 0))
		r->stated_reason = "blocked";
}

/*
 * Yahoo's report names the step in brackets ("[RCPT_TO]"); a reply that
 * names none but quotes an address ("550 5.1.1 <a@b>... User Unknown") is
 * one to RCPT, as Sisimai 5 reads it (Sisimai::Lhost::Yahoo).
 */
static void
yahoo_row(DsnRecipient *r)
{
	const char *lt;

	if (r->smtp_command == NULL && r->diagnostic != NULL &&
		(lt = strchr(r->diagnostic, '<')) != NULL && strchr(lt, '@') != NULL &&
		strchr(strchr(lt, '@'), '>') != NULL)
		r->smtp_command = "RCPT";
}

/*
 * What the system that wrote the report states for each row: called once
 * the rows are read and their commands known.  text[0..tlen) is the
 * report's human-readable part (NULL when there is none).
 */
void
dsn_mta_rows(Ctx *c, const char *mta, const Headers *top, const char *text,
			 size_t tlen)
{
	int			i;

	if (mta == NULL)
		return;
	if (is_mta(mta, "ezweb") || is_mta(mta, "kddi"))
		au_rows(c, mta, top, text, tlen);
	if (is_mta(mta, "googlegroups") && text != NULL &&
		googlegroups_refusal(c, text, tlen < TEXT_LOOKUP_SPAN ? tlen : TEXT_LOOKUP_SPAN))
		for (i = 0; i < c->nrcpt; i++)
			c->rcpt[i].stated_reason = "rejected";
	for (i = 0; i < c->nrcpt && c->err == DSN_OK; i++)
	{
		DsnRecipient *r = &c->rcpt[i];

		if (is_mta(mta, "exchange2003"))
			exchange2003_row(c, r);
		else if (is_mta(mta, "gmail"))
			gmail_row(c, r);
		else if (is_mta(mta, "qmail") || is_mta(mta, "exim"))
			refused_at_helo(r);
		else if (is_mta(mta, "yahoo"))
			yahoo_row(r);
	}
}

/*
 * Does the system quote the SMTP session as a transcript whose last
 * command is the one Sisimai 5 files the failure under (Sendmail's
 * "----- Transcript of session follows -----", Courier's and EZweb's
 * ">>> RCPT TO:" lines, InterScan's "Sent <<< RCPT TO:")?
 */
bool
dsn_mta_last_command(const char *mta)
{
	return is_mta(mta, "sendmail") || is_mta(mta, "courier") ||
		is_mta(mta, "ezweb") || is_mta(mta, "interscanmss");
}
