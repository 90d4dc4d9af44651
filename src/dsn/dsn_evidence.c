/*-------------------------------------------------------------------------
 *
 * dsn_evidence.c
 *		Is a message with no delivery-status part a bounce at all?  The
 *		plain-text reader takes every address in a text as a recipient, so
 *		it runs only on a message that shows it was written by a mail
 *		system about a failed delivery; a person's e-mail that names an
 *		address ("please send the invoice to an.janssens@customer.be") is
 *		not a bounce, and neither is binary junk.
 *
 * The evidence, any one of which suffices (each table names its source):
 *	- the sender: the null reverse-path (Return-Path: <>), or a mailer
 *	  daemon or postmaster in From, Sender or Return-Path;
 *	- the structure: an RFC 6522 multipart/report, or a header field that
 *	  only MTAs write into their bounces;
 *	- the subject: the fixed subject of an MTA's bounce;
 *	- the text: an MTA's fixed bounce wording, or an SMTP reply, either as
 *	  a reply line (a 4yz/5yz code at the start of a line) or as a reply
 *	  code followed by an enhanced status code of its class ("550 5.1.1").
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dsn/dsn_int.h"

/*
 * How much of the text is searched for bounce wording and SMTP replies:
 * an MTA states the failure at the top.
 */
#define EVIDENCE_SPAN 16384

/*
 * Header fields that MTAs add to their bounces only.  Sources: the Exim
 * specification ("X-Failed-Recipients", chapter "Bounce messages"),
 * Microsoft Exchange's NDR header, and fml's error replies as Sisimai's
 * Lhost::FML module tells them apart (below).
 */
static const char *const bounce_fields[] = {
	"x-failed-recipients",
	"x-ms-exchange-message-is-ndr",
};

/*
 * Subjects of MTAs' bounces, matched anywhere in the Subject, ignoring
 * case.  Sources: Postfix's bounce(5) templates ("Undelivered Mail
 * Returned to Sender", "Delayed Mail (still being retried)", "Mail
 * Delivery Status Report"), Exim ("Mail delivery failed: returning
 * message to sender", "Warning: message ... delayed"), Sendmail
 * ("Returned mail: ...", "Warning: could not send message for past ..."),
 * qmail and Yahoo ("failure notice"), Exchange and Office 365
 * ("Undeliverable: ...", "Delivery delayed: ..."), Gmail ("Delivery
 * Status Notification (Failure)"), Domino ("DELIVERY FAILURE: ..."), IMail
 * ("Undeliverable Mail"), au ("Mail System Error - Returned Mail").
 */
static const char *const bounce_subjects[] = {
	"undeliver",				/* Undeliverable, Undelivered */
	"non-deliver",
	"nondeliver",
	"returned mail",
	"returned to sender",
	"failure notice",
	"delivery status notification",
	"mail delivery status",
	"delivery failure",
	"delivery failed",
	"delivery has failed",
	"failure delivery",
	"could not send message",
	"delayed mail",
	"delivery delayed",
	"mail system error",
};

/*
 * The fixed wording at the top of MTAs' plain-text bounces.  Sources:
 * qmail's qmail-send ("Hi. This is the qmail-send program at ..."), Exim
 * ("This message was created automatically by mail delivery software."),
 * Postfix's bounce(5) templates ("This is the mail system at host ...",
 * "... the Postfix program"), Sendmail ("The original message was
 * received at ...", "----- Transcript of session follows -----"), Gmail
 * ("Delivery to the following recipient failed permanently"), Exchange
 * ("Delivery has failed to these recipients or groups", "Your message did
 * not reach some or all of the intended recipients").
 */
static const char *const bounce_wording[] = {
	"qmail-send program",
	"this is the qmail",
	"message was created automatically by mail delivery software",
	"this is the mail system at host",
	"the postfix program",
	"the original message was received at",
	"transcript of session follows",
	"delivery to the following recipient",
	"delivery has failed to these recipients",
	"did not reach the following recipient",
	"did not reach some or all of the intended recipients",
};

/*
 * A mail system in From, Sender or Return-Path: the null reverse-path,
 * with which RFC 5321 section 4.5.5 has non-delivery notifications sent
 * (recorded as "Return-Path: <>", section 4.4; some write it into From);
 * an address whose local part is a mailer daemon or postmaster (RFC 5321
 * section 4.5.1; "MAILER-DAEMON" is the sender of Sendmail's, Postfix's,
 * Exim's and qmail's bounces), also without a domain ("MAILER-DAEMON <>").
 */
static bool
mail_system_sender(const Headers *top)
{
	static const char *const fields[] = {"from", "sender", "return-path"};
	size_t		i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
	{
		const Header *h = dsn_hdr_get(top, fields[i]);
		size_t		pos = 0,
					st,
					ln,
					n;

		if (h == NULL)
			continue;
		n = phrase_span(h->vlen);
		if (dsn_ci_find(h->value, n, "<>") || dsn_ci_find(h->value, n, "mailer-daemon"))
			return true;
		while (dsn_next_address(h->value, n, &pos, &st, &ln))
			if (dsn_is_robot(h->value + st, ln))
				return true;
	}
	return false;
}

/*
 * fml's error replies, told apart as Sisimai's Lhost::FML does: an
 * X-MLServer field, From an "-admin@" address, and ".FML" in the
 * Message-ID.
 */
static bool
fml_error(const Headers *top)
{
	const Header *from = dsn_hdr_get(top, "from");
	const Header *mid = dsn_hdr_get(top, "message-id");

	return dsn_hdr_get(top, "x-mlserver") != NULL &&
		from != NULL && dsn_ci_find(from->value, phrase_span(from->vlen), "-admin@") != NULL &&
		mid != NULL && dsn_ci_find(mid->value, phrase_span(mid->vlen), ".fml") != NULL;
}

static bool
bounce_structure(const Ctx *c, const Headers *top)
{
	size_t		i;

	if (c->is_report)
		return true;
	for (i = 0; i < sizeof(bounce_fields) / sizeof(bounce_fields[0]); i++)
		if (dsn_hdr_get(top, bounce_fields[i]))
			return true;
	return fml_error(top);
}

static bool
bounce_subject(const Headers *top)
{
	const Header *s = dsn_hdr_get(top, "subject");
	size_t		i;

	if (s == NULL)
		return false;
	for (i = 0; i < sizeof(bounce_subjects) / sizeof(bounce_subjects[0]); i++)
		if (dsn_ci_find(s->value, phrase_span(s->vlen), bounce_subjects[i]))
			return true;
	return false;
}

static bool
bounce_text(Ctx *c, const char *t, size_t n)
{
	size_t		i;

	if (t == NULL)
		return false;
	if (n > EVIDENCE_SPAN)
		n = EVIDENCE_SPAN;
	for (i = 0; i < sizeof(bounce_wording) / sizeof(bounce_wording[0]); i++)
		if (dsn_ci_find(t, n, bounce_wording[i]))
			return true;
	return dsn_has_smtp_reply(c, t, n);
}

bool
dsn_is_bounce(Ctx *c, const Headers *top, const char *text, size_t tlen)
{
	return mail_system_sender(top) || bounce_structure(c, top) ||
		bounce_subject(top) || bounce_text(c, text, tlen);
}
