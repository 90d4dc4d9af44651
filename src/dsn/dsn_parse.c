/*-------------------------------------------------------------------------
 *
 * dsn_parse.c
 *		Pure-C parser of bounce e-mails: RFC 3464 / RFC 6522 delivery
 *		status notifications, RFC 6533 global DSNs, ARF feedback reports,
 *		RFC 3834 auto-replies, Amazon SES notifications and the plain-text
 *		bounces of MTAs that send no delivery-status part (qmail, Exim, old
 *		Sendmail/Postfix, Exchange, Gmail, Yahoo, ...).  This file is the
 *		entry point: it finds the parts and tells the formats apart.
 *
 * No PostgreSQL dependency: the same code is linked into the extension and
 * into the libFuzzer target test/fuzz/fuzz_dsn.c.  Memory comes only from
 * the caller's allocator hook (palloc in a per-call context in the
 * backend), and is never freed here.
 *
 * How it works, in one pass over the input plus passes over decoded parts:
 *	1. the header block is read (folded lines unfolded) and the MIME tree
 *	   is walked (multipart boundaries, base64 and quoted-printable
 *	   decoded), collecting the delivery-status parts, the feedback-report
 *	   part, the human-readable text parts and the headers of the returned
 *	   message (dsn_mime.c, dsn_charset.c);
 *	2. a message/(global-)delivery-status part gives one row per
 *	   per-recipient field group (RFC 3464 section 2.3), completed from the
 *	   text part where it lacks a diagnostic (dsn_report.c);
 *	3. without one, the text is read as an SES notification (dsn_ses.c)
 *	   or as a plain-text bounce, whose recipients and diagnostics are
 *	   found by the format of such bounces (dsn_plain.c);
 *	4. codes, commands and addresses are found in free text by forward
 *	   walks over bytes, never by regular expressions, so the time is
 *	   linear in the message size (dsn_scan.c).
 *
 * Limits (dsn.h) stop pathological nesting and header floods with an
 * error.  The strings returned are cleaned in dsn_util.c.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dsn/dsn_int.h"

/* ----------------------------------------------------------------
 * Format detection
 * ----------------------------------------------------------------
 */

/*
 * Signatures of the non-standard formats, checked in order; the first
 * that matches names the format.  where: 'f' From header, 's' Subject,
 * 'b' body text, 'h' any header name present.  The names follow the MTA
 * or provider; the phrases are their fixed bounce wording.
 */
static const struct
{
	char		where;
	const char *phrase;
	const char *format;
}			signatures[] = {
	{'b', "qmail-send program", "qmail"},
	{'b', "this is the qmail", "qmail"},
	{'h', "x-failed-recipients", "exim"},
	{'b', "message was created automatically by mail delivery software", "exim"},
	{'b', "the postfix program", "postfix"},
	{'b', "this is the mail system at host", "postfix"},
	{'b', "transcript of session follows", "sendmail"},
	{'b', "the original message was received at", "sendmail"},
	{'f', "googlemail.com", "gmail"},
	{'b', "delivery to the following recipient", "gmail"},
	{'b', "google groups", "googlegroups"},
	{'f', "yahoo", "yahoo"},
	{'b', "amazonses.com", "amazonses"},
	{'h', "x-ses-outgoing", "amazonses"},
	{'b', "microsoft exchange", "exchange"},
	{'h', "x-ms-exchange-message-is-ndr", "office365"},
	{'b', "delivery has failed to these recipients", "exchange"},
	{'b', "did not reach the following recipient", "exchange"},
	{'b', "your message to", "office365"},
	{'f', "aol.com", "aol"},
	{'f', "mail.ru", "mailru"},
	{'f', "yandex", "yandex"},
	{'b', "opensmtpd", "opensmtpd"},
	{'b', "dragonfly", "dragonfly"},
	{'b', "imail server", "imailserver"},
	{'b', "lotus domino", "domino"},
	{'b', "courier mail server", "courier"},
	{'b', "fml ", "fml"},
};

#define SIGNATURE_SPAN 4096

static const char *
detect_format(const Headers *top, const char *text, size_t tlen)
{
	size_t		i;
	const Header *from = dsn_hdr_get(top, "from");
	const Header *subj = dsn_hdr_get(top, "subject");
	char		lc[SIGNATURE_SPAN];		/* the first lines, lower-cased once */
	size_t		lcn = text ? (tlen < SIGNATURE_SPAN ? tlen : SIGNATURE_SPAN) : 0;

	dsn_lower_copy(lc, text, lcn);
	for (i = 0; i < sizeof(signatures) / sizeof(signatures[0]); i++)
	{
		const char *ph = signatures[i].phrase;

		switch (signatures[i].where)
		{
			case 'f':
				if (from && dsn_ci_find(from->value, phrase_span(from->vlen), ph))
					return signatures[i].format;
				break;
			case 's':
				if (subj && dsn_ci_find(subj->value, phrase_span(subj->vlen), ph))
					return signatures[i].format;
				break;
			case 'h':
				if (dsn_hdr_get(top, ph))
					return signatures[i].format;
				break;
			case 'b':
				/* the wording is in the first lines of the bounce */
				if (dsn_find_bytes(lc, lcn, ph, strlen(ph)))
					return signatures[i].format;
				break;
		}
	}
	return "text";
}

/* Does the bounce say delivery is only delayed (still being retried)? */
static bool
text_says_delayed(const Headers *top, const char *t, size_t n)
{
	const Header *s = dsn_hdr_get(top, "subject");
	char		lc[SIGNATURE_SPAN];

	if (s && (dsn_ci_find(s->value, phrase_span(s->vlen), "delayed") ||
			  dsn_ci_find(s->value, phrase_span(s->vlen), "warning:")))
		return true;

	if (t == NULL)
		return false;
	if (n > SIGNATURE_SPAN)
		n = SIGNATURE_SPAN;
	dsn_lower_copy(lc, t, n);
	return dsn_find_bytes(lc, n, "delay reason", 12) != NULL ||
		dsn_find_bytes(lc, n, "will continue to", 16) != NULL ||
		dsn_find_bytes(lc, n, "has not yet been delivered", 26) != NULL;
}

/*
 * A delivery-status part that the MIME structure does not declare: a
 * bounce forwarded as plain text, or a multipart body whose top-level
 * Content-Type was lost.  Any line "Content-Type: message/delivery-status"
 * starts one; it runs to the next line that starts with "--" (a
 * boundary).
 */
static void
find_loose_ds(Ctx *c, const char *p, const char *end)
{
	const char *start = p;
	size_t		ticked = 0;

	while (p < end && c->err == DSN_OK)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);

		dsn_tick_at(c, next - start, &ticked);
		if (dsn_ci_prefix(p, eol - p, "content-type:") &&
			dsn_ci_find(p, phrase_span(eol - p), "delivery-status"))
		{
			Headers		hs;
			const char *b = dsn_parse_headers(c, p, end, &hs);
			const char *q = b;
			const char *e = end;
			const char *dec;
			size_t		dlen;

			if (++c->nparts > DSN_MAX_PARTS)
			{
				c->err = DSN_ERR_PARTS;
				return;
			}
			while (q < end)
			{
				const char *qe;
				const char *qn = dsn_line_end(q, end, &qe);

				dsn_tick_at(c, qn - start, &ticked);
				if (qe - q >= 2 && q[0] == '-' && q[1] == '-')
				{
					e = q;
					break;
				}
				q = qn;
			}
			dec = dsn_decode_body(c, &hs, b, e - b, &dlen);
			dsn_add_part(c, PK_DS, dec, dlen);
			next = e;
		}
		p = next;
	}
}

/* Field names that start an RFC 3464 field block written into text. */
static const char *const ds_field_starts[] = {
	"reporting-mta:", "original-envelope-id:", "arrival-date:", "final-recipient:",
	"original-recipient:", "action:"
};

/*
 * RFC 3464 fields written as plain text in the human-readable body (Sun
 * ONE Messaging Server, some gateways).  Needs a "Final-Recipient:" line
 * at the start of a line; the block runs from the first DS field line of
 * its paragraph to the copy of the original message.
 */
static void
find_inline_ds(Ctx *c, const char *t, const char *end)
{
	const char *p = t;
	const char *start = NULL;
	const char *para = t;
	bool		final = false;
	size_t		ticked = 0;

	while (p < end)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);
		size_t		i;

		dsn_tick_at(c, next - t, &ticked);
		if (eol == p)
			para = next;
		else if (start != NULL && final && dsn_is_original_start(p, eol))
		{
			end = p;
			break;
		}
		for (i = 0; i < sizeof(ds_field_starts) / sizeof(ds_field_starts[0]); i++)
			if (dsn_ci_prefix(p, eol - p, ds_field_starts[i]))
			{
				if (start == NULL)
					start = para;
				if (i == 3)
					final = true;
			}
		p = next;
	}
	if (start != NULL && final)
		dsn_add_part(c, PK_DS, start, end - start);
}

/* ----------------------------------------------------------------
 * The entry point
 * ----------------------------------------------------------------
 */

const char *
bounce_dsn_error_text(DsnError err)
{
	switch (err)
	{
		case DSN_OK:
			return "no error";
		case DSN_ERR_DEPTH:
			return "MIME parts are nested too deeply";
		case DSN_ERR_HEADERS:
			return "a header block has too many fields";
		case DSN_ERR_PARTS:
			return "the message has too many MIME parts";
		case DSN_ERR_RECIPIENTS:
			return "the message lists too many recipients";
		case DSN_ERR_ADDRESSES:
			return "a header field lists too many addresses";
		case DSN_ERR_NOMEM:
			return "out of memory";
	}
	return "unknown error";
}

/* Is there a delivery-status or feedback-report part? */
static bool
has_report_part(const Ctx *c)
{
	const Part *pt;

	for (pt = c->parts; pt; pt = pt->next)
		if (pt->kind == PK_DS || pt->kind == PK_FEEDBACK)
			return true;
	return false;
}

/*
 * Delivery-status fields that the MIME structure does not declare as a
 * part: a loose "Content-Type: message/delivery-status" block in the body,
 * else fields written into the first text part (or into a body with no
 * parts at all).
 */
static void
find_undeclared_ds(Ctx *c, const char *body, const char *end)
{
	const Part *tp;

	if (has_report_part(c))
		return;
	find_loose_ds(c, body, end);
	if (has_report_part(c))
		return;
	for (tp = c->parts; tp; tp = tp->next)
		if (tp->kind == PK_TEXT)
			break;
	if (tp)
		find_inline_ds(c, tp->body, tp->body + tp->len);
	else if (c->parts == NULL)
		find_inline_ds(c, body, end);
}

/* What the readers take from the parts the MIME walk found. */
typedef struct Found
{
	const char *text;			/* the human-readable text, or NULL */
	size_t		tlen;
	const char *fb;				/* the feedback-report part, or NULL */
	size_t		fblen;
	bool		have_ds;		/* any delivery-status part */
	bool		have_orig;		/* the returned message's headers: */
	Headers		orig;
} Found;

/*
 * Sort the parts: the first text part (else the first HTML part, else
 * the body before delivery-status fields written into it), the last
 * feedback report, whether any delivery-status part exists, and the
 * headers of the first returned message.
 */
static void
collect_parts(Ctx *c, const char *body, const char *end, Found *f)
{
	const char *html = NULL;
	size_t		hlen = 0;
	const Part *pt;

	memset(f, 0, sizeof(*f));
	for (pt = c->parts; pt; pt = pt->next)
	{
		switch (pt->kind)
		{
			case PK_TEXT:
				if (f->text == NULL)
				{
					f->text = pt->body;
					f->tlen = pt->len;
				}
				break;
			case PK_HTML:
				if (html == NULL)
				{
					html = pt->body;
					hlen = pt->len;
				}
				break;
			case PK_DS:
				f->have_ds = true;
				break;
			case PK_FEEDBACK:
				f->fb = pt->body;
				f->fblen = pt->len;
				break;
			case PK_ORIGINAL:
				if (!f->have_orig)
				{
					dsn_parse_headers(c, pt->body, pt->body + pt->len, &f->orig);
					f->have_orig = true;
				}
				break;
		}
	}
	if (f->text == NULL && html != NULL)
	{
		f->text = html;
		f->tlen = hlen;
	}
	if (f->text == NULL && c->parts != NULL && c->parts->kind == PK_DS &&
		c->parts->body >= body && c->parts->body < end)
	{
		/* DS fields written into a body with no parts: the body is the text */
		f->text = body;
		f->tlen = c->parts->body - body;
	}
}

/* The report's Date, and the Message-ID that identifies the bounce. */
static void
read_message_fields(Ctx *c, const Headers *top, const Found *f, DsnResult *out)
{
	const Header *h;

	/* when the report was written: the time of a bounce without dates */
	if ((h = dsn_hdr_get(top, "date")) != NULL &&
		bounce_dsn_parse_date(h->value, phrase_span(h->vlen), &out->date))
		out->has_date = true;

	/* the returned message's Message-ID identifies the bounce */
	h = f->have_orig ? dsn_hdr_get(&f->orig, "message-id") : NULL;
	if (h == NULL)
		h = dsn_hdr_get(top, "message-id");
	if (h)
	{
		Str			v = dsn_typed_value(h->value, h->vlen);

		out->message_id = dsn_clean(c, v.p, v.n);
	}
}

/* No recipient yet, and no error: the next reader may try. */
static inline bool
none_yet(const Ctx *c)
{
	return c->nrcpt == 0 && c->err == DSN_OK;
}

/*
 * The recipients, by the first reader that finds any: the feedback report
 * or the delivery-status parts, an auto-reply's sender, an SES
 * notification, the plain text.  Sets the format.
 */
static void
read_recipients(Ctx *c, const Headers *top, Found *f, const char *body,
				const char *end, DsnResult *out)
{
	if (f->fb != NULL || c->is_report_feedback)
	{
		out->format = "arf";
		dsn_read_feedback(c, top, f->have_orig ? &f->orig : NULL, f->fb, f->fblen,
						  f->text, f->tlen);
	}
	else if (f->have_ds)
	{
		const Part *pt;

		out->format = "rfc3464";
		for (pt = c->parts; pt && c->err == DSN_OK; pt = pt->next)
			if (pt->kind == PK_DS)
				dsn_read_ds(c, pt->body, pt->len, f->text, f->tlen);
	}
	if (none_yet(c) && dsn_is_autoreply(top))
	{
		out->format = "autoreply";
		dsn_read_autoreply(c, top, f->text, f->tlen);
	}
	if (none_yet(c) && f->text == NULL && !f->have_ds)
	{
		/* not MIME at all: the body is the text */
		f->text = body;
		f->tlen = end - body;
	}
	if (none_yet(c) && f->text != NULL && !f->have_ds &&
		dsn_read_ses(c, f->text, f->tlen))
		out->format = "amazonses";
	else if (none_yet(c) && f->text != NULL &&
			 (f->have_ds || dsn_is_bounce(c, top, f->text, f->tlen)))
	{
		bool		delayed = text_says_delayed(top, f->text, f->tlen);

		out->format = f->have_ds ? "rfc3464" : detect_format(top, f->text, f->tlen);
		dsn_read_plain(c, top, f->have_orig ? &f->orig : NULL, f->text, f->tlen,
					   delayed ? "delayed" : "failed");
	}
}

/*
 * The command of every row: the SMTP session the text quotes, if it
 * quotes one, says it best (the command of the first negative reply; for
 * the systems whose transcript Sisimai 5 reads by its last command, that
 * one); else the phrase that named it; else a command the row's
 * diagnostic names in capitals.  A Sendmail report that quotes only the
 * server's replies failed at the greeting (Sisimai::Lhost::Sendmail).
 */
static void
fill_commands(Ctx *c, const Found *f, const char *mta)
{
	DsnTranscript tr;
	bool		last = dsn_mta_last_command(mta);
	int			i;

	memset(&tr, 0, sizeof(tr));
	if (c->nrcpt > 0 && f->text != NULL)
		dsn_read_transcript(c, f->text,
							f->tlen < TEXT_LOOKUP_SPAN ? f->tlen : TEXT_LOOKUP_SPAN, &tr);
	for (i = 0; i < c->nrcpt && c->err == DSN_OK; i++)
	{
		DsnRecipient *r = &c->rcpt[i];
		const char *cmd;

		cmd = last ? tr.last_sent : tr.first_failed;
		if (cmd != NULL)
			r->smtp_command = cmd;
		if (r->smtp_command == NULL && r->diagnostic != NULL)
			r->smtp_command = dsn_command_token(c, r->diagnostic, strlen(r->diagnostic));
		if (r->smtp_command == NULL && tr.replies && mta != NULL && strcmp(mta, "sendmail") == 0)
			r->smtp_command = "EHLO";
	}
}

/* The address of a header value when it names just one (repeats aside), else empty. */
static Str
only_address(Ctx *c, const Header *h)
{
	Str			one = {NULL, 0};
	size_t		pos = 0,
				st,
				ln,
				ticked = 0;

	while (dsn_next_address(h->value, h->vlen, &pos, &st, &ln))
	{
		dsn_tick_at(c, pos, &ticked);
		if (one.n > 0 && !dsn_addr_equal(one.p, one.n, h->value + st, ln))
			return (Str) {NULL, 0};
		one.p = h->value + st;
		one.n = ln;
	}
	return one;
}

/*
 * The one recipient named in Exim's X-Failed-Recipients, else in the
 * returned message's To; empty when there are none or several.
 */
static Str
sole_recipient(Ctx *c, const Headers *top, const Found *f)
{
	Str			none = {NULL, 0};
	const Header *h;

	if ((h = dsn_hdr_get(top, "x-failed-recipients")) != NULL)
		return only_address(c, h);
	if (f->have_orig && (h = dsn_hdr_get(&f->orig, "to")) != NULL)
		return only_address(c, h);
	return none;
}

/*
 * A bounce with no Reporting-MTA was still written by someone: the domain
 * of the mailer daemon in From (postmaster@ezweb.ne.jp), or empty.
 */
static Str
robot_domain(const Headers *top)
{
	Str			robot = {NULL, 0};
	const Header *h = dsn_hdr_get(top, "from");
	size_t		pos = 0,
				st,
				ln;

	if (h != NULL && dsn_next_address(h->value, phrase_span(h->vlen), &pos, &st, &ln) &&
		dsn_is_robot(h->value + st, ln))
	{
		const char *at = memchr(h->value + st, '@', ln);

		robot.p = at + 1;
		robot.n = h->value + st + ln - robot.p;
	}
	return robot;
}

/*
 * Does the diagnostic quote another server's reply, in the words the
 * reporting MTAs use for it: qmail's and Yahoo's "Remote host said:",
 * Gmail's "The error that the other server returned was:"?  (Postfix's
 * "host mx.example.net said:" names the host, which becomes remote_mta;
 * Exchange's "Remote Server returned" is often its own organisation's
 * server, whose provider's rules then apply.)
 */
static bool
quotes_remote_reply(const char *d)
{
	size_t		n;

	if (d == NULL)
		return false;
	n = phrase_span(strlen(d));
	return dsn_ci_find(d, n, "remote host said") != NULL ||
		dsn_ci_find(d, n, "other server returned") != NULL;
}

/*
 * Last touches to the rows: a row without a Reporting-MTA takes the mailer
 * daemon's domain; a row whose recipient field held no usable address
 * takes the sole recipient the headers name, or else is dropped, since a
 * row must name its recipient; a row that quotes an unnamed remote
 * server's reply is marked so.
 */
static void
finish_rows(Ctx *c, const Headers *top, const Found *f)
{
	Str			only = sole_recipient(c, top, f);
	Str			robot = robot_domain(top);
	char	   *robot_host = NULL;
	int			k = 0;
	int			i;

	for (i = 0; i < c->nrcpt; i++)
	{
		if (c->rcpt[i].reporting_mta == NULL && robot.n > 0)
		{
			if (robot_host == NULL)
				robot_host = dsn_clean(c, robot.p, robot.n);
			c->rcpt[i].reporting_mta = robot_host;
		}
		if (c->rcpt[i].recipient == NULL && only.n > 0)
			c->rcpt[i].recipient = dsn_clean(c, only.p, only.n);
		if (c->rcpt[i].remote_mta == NULL && quotes_remote_reply(c->rcpt[i].diagnostic))
			c->rcpt[i].quotes_remote = true;
		if (c->rcpt[i].recipient != NULL)
			c->rcpt[k++] = c->rcpt[i];
	}
	c->nrcpt = k;
}

/*
 * Parse msg[0..len), in named steps: the header block and the MIME tree,
 * delivery-status fields written outside a declared part, the parts the
 * readers take, the message's own fields, the recipients (by the first
 * reader that finds any), and what the rows still lack.
 */
DsnError
bounce_dsn_parse(const char *msg, size_t len, bool ascii_only,
				 const DsnAllocator *alloc, DsnResult *out)
{
	Ctx			c;
	Headers		top;
	Found		f;
	const char *body;
	const char *end = msg + len;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.a = alloc;
	c.ascii_only = ascii_only;
	c.tail = &c.parts;
	if (msg == NULL || len == 0)
		return DSN_OK;

	body = dsn_parse_headers(&c, msg, end, &top);
	dsn_walk(&c, &top, body, end, 0);
	if (c.err != DSN_OK)
		return c.err;
	find_undeclared_ds(&c, body, end);
	collect_parts(&c, body, end, &f);
	if (c.err != DSN_OK)
		return c.err;
	read_message_fields(&c, &top, &f, out);
	read_recipients(&c, &top, &f, body, end, out);
	if (c.err != DSN_OK)
		return c.err;
	out->mta = dsn_identify_mta(&top, f.text, f.tlen);
	fill_commands(&c, &f, out->mta);
	dsn_mta_rows(&c, out->mta, &top, f.text, f.tlen);
	finish_rows(&c, &top, &f);
	if (c.err != DSN_OK)
		return c.err;
	if (out->format == NULL)
		out->format = "text";
	out->nrecipients = c.nrcpt;
	out->recipients = c.rcpt;
	return DSN_OK;
}
