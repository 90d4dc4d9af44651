/*-------------------------------------------------------------------------
 *
 * dsn_report.c
 *		The readers of reports that say what they are: RFC 3464 / RFC 6533
 *		delivery status notifications (one row per per-recipient field
 *		group), RFC 5965 ARF feedback reports and RFC 3834 auto-replies.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dsn/dsn_int.h"

/* ----------------------------------------------------------------
 * RFC 3464 delivery status notifications
 * ----------------------------------------------------------------
 */

/*
 * PowerMTA writes its own verdict into each recipient group of its DSNs,
 * "X-PowerMTA-BounceCategory: bad-mailbox", from a fixed list (PowerMTA
 * User's Guide, "Bounce categories").  Those that name one reason map to
 * it; "other" and unknown ones leave the reason to the classifier.
 */
static const struct
{
	const char *category;
	const char *reason;
}			powermta_categories[] = {
	{"bad-mailbox", "userunknown"},
	{"bad-domain", "hostunknown"},
	{"inactive-mailbox", "suspend"},
	{"quota-issues", "mailboxfull"},
	{"message-expired", "expired"},
	{"no-answer-from-host", "expired"},
	{"bad-connection", "networkerror"},
	{"routing-errors", "networkerror"},
	{"spam-related", "spamdetected"},
	{"virus-related", "virusdetected"},
	{"content-related", "contenterror"},
	{"policy-related", "policyviolation"},
	{"invalid-sender", "rejected"},
	{"relaying-issues", "norelaying"},
	{"protocol-errors", "syntaxerror"},
	{"bad-configuration", "systemerror"},
};

static const char *
powermta_reason(const char *v, size_t n)
{
	Str			t = dsn_trim((Str) {v, n});
	size_t		i;

	for (i = 0; i < sizeof(powermta_categories) / sizeof(powermta_categories[0]); i++)
		if (dsn_ci_equal(t, powermta_categories[i].category))
			return powermta_categories[i].reason;
	return NULL;
}

/*
 * The lines of a Sendmail "----- Transcript of session follows -----"
 * section, up to the next blank line or "-----" banner; empty if none.
 */
static Str
transcript_section(const char *t, size_t n)
{
	Str			r = {NULL, 0};
	const char *h = dsn_ci_find(t, n, "transcript of session follows");
	const char *end = t + n;
	const char *p;

	if (h == NULL)
		return r;
	dsn_line_end(h, end, &p);
	p = dsn_line_end(h, end, &p);		/* the line after the banner */
	r.p = p;
	while (p < end)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);
		Str			l = dsn_trim((Str) {p, (size_t) (eol - p)});

		if (l.n == 0 || (l.n >= 5 && memcmp(l.p, "-----", 5) == 0))
			break;
		p = next;
	}
	r.n = p - r.p;
	return r;
}

/*
 * The state of one per-recipient field group while its fields are read:
 * the row they go to, and which recipient fields it has had.
 */
typedef struct DsGroup
{
	DsnRecipient *row;
	bool		have_final;
	bool		have_orig;
} DsGroup;

/*
 * Read the field group at *p into g (reusing its slots) and move *p past
 * it.  False when *p is a blank line between groups, which is skipped; a
 * line that is not a field is skipped too, as an empty group.
 */
static bool
next_group(Ctx *c, const char **p, const char *end, Headers *g)
{
	const char *eol;
	const char *next = dsn_line_end(*p, end, &eol);

	if (eol == *p)
	{
		*p = next;
		return false;
	}
	next = dsn_parse_headers_again(c, *p, end, g);
	if (next == *p)
		next = dsn_line_end(*p, end, &eol);
	*p = next;
	return true;
}

static bool
is_recipient_field(const Header *h)
{
	return dsn_ci_equal(h->name, "final-recipient") ||
		dsn_ci_equal(h->name, "original-recipient") ||
		dsn_ci_equal(h->name, "x-actual-recipient");
}

/*
 * A Final-Recipient, Original-Recipient or X-Actual-Recipient field.  A
 * second Final-Recipient (or Original-Recipient) in one group starts
 * another row: some MTAs leave out the blank lines.  A recipient that is
 * a file or a program ("/path", "|prog") is kept as local_target.  False
 * when no row could be added.
 */
static bool
recipient_field(Ctx *c, const Header *h, DsGroup *grp)
{
	Str			v = dsn_typed_value(h->value, h->vlen);
	bool		final = dsn_ci_equal(h->name, "final-recipient");
	bool		orig = dsn_ci_equal(h->name, "original-recipient");
	DsnRecipient *r;
	Str			a;

	if ((final && grp->have_final) || (orig && grp->have_orig))
	{
		grp->row = dsn_new_rcpt(c);
		grp->have_final = grp->have_orig = false;
	}
	if (grp->row == NULL)
		return false;
	r = grp->row;
	grp->have_final |= final;
	grp->have_orig |= orig;
	a = dsn_plain_address(v);
	if (a.n == 0 && v.n > 0 && (v.p[0] == '/' || v.p[0] == '|'))
		r->local_target = dsn_clean(c, v.p, v.n);
	v = a;
	if (final || (!orig && r->recipient == NULL))
	{
		if (v.n > 0)
			r->recipient = dsn_clean(c, v.p, v.n);
	}
	else if (orig && v.n > 0)
		r->original_recipient = dsn_clean(c, v.p, v.n);
	return true;
}

/* Action: its first word, lower-cased ("failed", "delayed", ...). */
static void
action_field(Ctx *c, const Header *h, DsnRecipient *r)
{
	Str			v = dsn_trim((Str) {h->value, h->vlen});
	size_t		k = 0;
	char	   *a;
	size_t		j;

	while (k < v.n && is_alpha(v.p[k]))
		k++;
	a = dsn_dup_str(c, v.p, k);
	if (a == NULL)
		return;
	for (j = 0; j < k; j++)
		a[j] = lower(a[j]);
	r->action = k ? a : NULL;
}

/*
 * Status: an enhanced status code, whatever follows it.  A comment after
 * the code ("Status: 5.4.4 (Illegal host/domain name found)": Oracle
 * Messaging Server; RFC 3464 fields allow RFC 822 comments) is the
 * reporting MTA's own word on the failure: kept for a row that has no
 * other diagnostic.
 */
static void
status_field(Ctx *c, const Header *h, DsnRecipient *r)
{
	Str			v = dsn_trim((Str) {h->value, h->vlen});
	size_t		k = 0;
	int32_t		st;

	while (k < v.n && (is_digit(v.p[k]) || v.p[k] == '.'))
		k++;
	if (bounce_status_parse(v.p, k, &st) == BSE_OK)
		r->status = st;
	v.p += k;
	v.n -= k;
	v = dsn_trim(v);
	if (v.n > 2 && v.p[0] == '(' && v.p[v.n - 1] == ')')
		r->status_comment = dsn_clean(c, v.p + 1, v.n - 2);
}

/*
 * Diagnostic-Code: the text, its encoded words decoded, and the codes,
 * command and remote host written in it (its status code is more precise
 * than the Status field's).
 */
static void
diagnostic_field(Ctx *c, const Header *h, DsnRecipient *r)
{
	Str			v = {h->value, h->vlen};
	const char *semi = memchr(v.p, ';', v.n);
	size_t		wl;
	char	   *dw;

	/*
	 * "smtp; 550 ...", "X-Postfix; ...": drop the diagnostic type, an atom
	 * (RFC 3464 section 2.3.6)
	 */
	if (semi && dsn_is_type_atom(v.p, semi - v.p))
	{
		v.n -= semi + 1 - v.p;
		v.p = semi + 1;
	}
	dw = dsn_decode_words(c, v.p, v.n, &wl);
	if (dw && (dsn_ci_find_long(c, dw, wl, "\x1b$b") || dsn_ci_find_long(c, dw, wl, "\x1b$@")))
	{
		/* raw ISO-2022-JP in the field (Domino): it says so itself */
		Str			jis = {"iso-2022-jp", 11};

		dw = (char *) dsn_text_to_utf8(c, jis, dw, wl, &wl);
	}
	if (dw)
	{
		r->diagnostic = dsn_clean(c, dw, wl);
		if (r->diagnostic)
			dsn_fill_from_text(c, r, r->diagnostic, strlen(r->diagnostic), true);
	}
}

/* A per-recipient field other than the recipient fields. */
static void
row_field(Ctx *c, const Header *h, DsnRecipient *r)
{
	if (dsn_ci_equal(h->name, "action"))
		action_field(c, h, r);
	else if (dsn_ci_equal(h->name, "status"))
		status_field(c, h, r);
	else if (dsn_ci_equal(h->name, "remote-mta"))
	{
		Str			v = dsn_mta_name(h->value, h->vlen);

		r->remote_mta = dsn_clean(c, v.p, v.n);
	}
	else if (dsn_ci_equal(h->name, "diagnostic-code"))
		diagnostic_field(c, h, r);
	else if (dsn_ci_equal(h->name, "x-powermta-bouncecategory"))
		r->stated_reason = powermta_reason(h->value, h->vlen);
	else if (dsn_ci_equal(h->name, "last-attempt-date"))
	{
		int64_t		t;

		if (bounce_dsn_parse_date(h->value, h->vlen, &t))
		{
			r->has_last_attempt = true;
			r->last_attempt = t;
		}
	}
}

/*
 * One field group.  A group with a recipient field is a per-recipient
 * group; its fields may come before the recipient fields (Action first is
 * seen), so the row is started with the group.  The per-message fields
 * (only Reporting-MTA is kept) may come in any group.  False when no row
 * could be added.
 */
static bool
read_group(Ctx *c, const Headers *g, char **reporting)
{
	DsGroup		grp = {NULL, false, false};
	int			i;

	for (i = 0; i < g->n; i++)
		if (is_recipient_field(&g->h[i]))
		{
			grp.row = dsn_new_rcpt(c);
			if (grp.row == NULL)
				return false;
			break;
		}
	for (i = 0; i < g->n && c->err == DSN_OK; i++)
	{
		const Header *h = &g->h[i];

		if (dsn_ci_equal(h->name, "reporting-mta"))
		{
			Str			v = dsn_mta_name(h->value, h->vlen);

			*reporting = dsn_clean(c, v.p, v.n);
		}
		else if (is_recipient_field(h))
		{
			if (!recipient_field(c, h, &grp))
				return false;
		}
		else if (grp.row != NULL)
			row_field(c, h, grp.row);
	}
	return true;
}

/*
 * Is the address at a on a line that only sums up the returned message's
 * header ("  To: kijitora@example.jp", as Oracle Messaging Server lists
 * the header fields before the recipients), rather than one that reports
 * on the recipient?
 */
static bool
on_summary_line(const char *text, const char *a)
{
	static const char *const fields[] = {"to:", "cc:", "bcc:", "from:", "reply-to:"};
	const char *ls = a;
	size_t		i;

	while (ls > text && ls[-1] != '\n' && a - ls < 200)
		ls--;
	while (ls < a && is_wsp(*ls))
		ls++;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (dsn_ci_prefix(ls, a - ls, fields[i]))
			return true;
	return false;
}

/*
 * Where the human-readable part names the row's recipient (or, for a file
 * or program, that name) within its first TEXT_LOOKUP_SPAN bytes; NULL if
 * nowhere.  *namelen: the length of the name.
 */
static const char *
name_in_text(const DsnRecipient *r, const char *text, size_t tlen, size_t *namelen)
{
	const char *name = r->recipient ? r->recipient : r->local_target;
	size_t		span = tlen < TEXT_LOOKUP_SPAN ? tlen : TEXT_LOOKUP_SPAN;
	size_t		pos = 0,
				st,
				ln;

	*namelen = strlen(name);
	if (r->recipient)
	{
		const char *first = NULL;

		while (dsn_next_address(text, span, &pos, &st, &ln))
			if (dsn_addr_equal(text + st, ln, name, *namelen))
			{
				if (!on_summary_line(text, text + st))
					return text + st;
				if (first == NULL)
					first = text + st;
			}
		return first;
	}
	/*
	 * Delivery to a file or a program (Exim "save to /path", Sendmail
	 * "|/path/prog"): not an address, so look for the name itself
	 * (case-sensitive, as file names are).
	 */
	if (*namelen >= 3)
		return dsn_find_bytes(text, span, name, *namelen);
	return NULL;
}

/* Is the line t a banner ("----- Transcript of session follows -----")? */
static bool
is_banner(Str t)
{
	return t.n >= 6 && (memcmp(t.p, "---", 3) == 0 || memcmp(t.p, "===", 3) == 0) &&
		(t.p[t.n - 1] == '-' || t.p[t.n - 1] == '=');
}

/*
 * The diagnostic of the recipient's paragraph [ls, le), which names it at
 * [at, at + alen): its lines, without the banners between them and
 * without the address where a line starts with it ("<a@b>... Deferred:
 * Connection refused by mx.example.net.": Sendmail's transcript), so that
 * what is left says why.  The whole paragraph when nothing would be left.
 */
static const char *
paragraph_diagnostic(Ctx *c, const char *ls, const char *le, const char *at, size_t alen)
{
	char	   *buf = dsn_alloc(c, le - ls + 1);
	size_t		n = 0;
	const char *p = ls;

	if (buf == NULL)
		return NULL;
	while (p < le)
	{
		const char *eol;
		const char *next = dsn_line_end(p, le, &eol);
		Str			t = dsn_trim((Str) {p, (size_t) (eol - p)});

		p = next;
		if (is_banner(t))
			continue;
		if ((t.n >= alen && dsn_addr_equal(t.p, alen, at, alen)) ||
			(t.n > alen && t.p[0] == '<' && dsn_addr_equal(t.p + 1, alen, at, alen)))
		{
			/* the line starts with the address: what follows it */
			const char *q = t.p + (t.p[0] == '<') + alen;

			while (q < t.p + t.n && (*q == '>' || *q == '.' || *q == ':' || *q == ';' || *q == ',' || is_wsp(*q)))
				q++;
			t.n -= q - t.p;
			t.p = q;
		}
		if (t.n == 0)
			continue;
		if (n > 0)
			buf[n++] = '\n';
		memcpy(buf + n, t.p, t.n);
		n += t.n;
	}
	if (n == 0)
		return dsn_clean(c, ls, le - ls);
	return dsn_clean(c, buf, n);
}

/*
 * The paragraph that ends before the line at ls (blank lines between
 * aside), at most 4 kB back; empty when there is none.
 */
static Str
paragraph_before(const char *text, const char *ls)
{
	Str			r = {NULL, 0};
	const char *e = ls;
	const char *b;
	const char *start = NULL;

	/* back over the blank lines before ls */
	while (e > text && is_space(e[-1]) && ls - e < 4096)
		e--;
	if (e == text || is_space(e[-1]))
		return r;
	/* then line by line, back to a blank line or the start of the text */
	b = e;
	while (e - b < 4096)
	{
		const char *lb = b;

		while (lb > text && lb[-1] != '\n')
			lb--;
		if (dsn_trim((Str) {lb, (size_t) (b - lb)}).n == 0)
			break;
		start = lb;
		if (lb == text)
			break;
		b = lb - 1;				/* the end of the line before */
	}
	if (start != NULL)
	{
		r.p = start;
		r.n = e - start;
	}
	return r;
}

/*
 * The recipient's paragraph in the human-readable part, from the line
 * that names it to the next blank line after it (at most 4 kB): the
 * diagnostic when the fields gave none, and the codes, command and remote
 * host they left out (a Status field keeps its code).
 */
static const char *
fill_from_paragraph(Ctx *c, DsnRecipient *r, const char *text, size_t tlen)
{
	size_t		rl;
	const char *at = name_in_text(r, text, tlen, &rl);
	const char *ls;
	const char *le;
	const char *q;
	int			blank = 0;

	if (at == NULL)
		return NULL;
	ls = at;
	le = (text + tlen - at > 4096) ? at + 4096 : text + tlen;
	while (ls > text && ls[-1] != '\n')
		ls--;
	/* to the next blank line after some text */
	q = ls;
	while (q < le)
	{
		const char *eol;
		const char *next = dsn_line_end(q, le, &eol);

		if (eol == q)
		{
			if (++blank >= 1 && q > at + rl + 2)
			{
				le = q;
				break;
			}
		}
		q = next;
	}
	if (r->diagnostic == NULL)
	{
		r->diagnostic = paragraph_diagnostic(c, ls, le, at, rl);
		dsn_fill_from_text(c, r, ls, le - ls, false);
	}
	else
	{
		int32_t		st0 = r->status;

		dsn_fill_from_text(c, r, ls, le - ls, false);
		r->status = st0 ? st0 : r->status;
	}
	return ls;
}

/*
 * Complete a row of a delivery-status part from the per-message fields
 * and the human-readable text (NULL when there is none).  nth: the row's
 * index among the part's rows; only: it is the part's one row.
 */
static void
complete_row(Ctx *c, DsnRecipient *r, char *reporting, int nth, bool only,
			 const char *text, size_t tlen)
{
	const char *ls = NULL;		/* the recipient's paragraph in the text */

	if (r->recipient == NULL)
		r->recipient = r->original_recipient;
	r->reporting_mta = reporting;
	/* a Diagnostic-Code without a word ("smtp; 255") says nothing */
	if (r->diagnostic != NULL)
	{
		const char *q = r->diagnostic;

		while (*q && !is_alpha(*q))
			q++;
		if (*q == '\0')
			r->diagnostic = NULL;
	}
	/*
	 * Bounded so that the time stays linear: a human-readable part
	 * describes its recipients in its first lines.
	 */
	if (text && (r->recipient || r->local_target) && nth < TEXT_LOOKUP_RECIPIENTS &&
		(r->diagnostic == NULL || r->reply_code == 0 || r->smtp_command == NULL))
		ls = fill_from_paragraph(c, r, text, tlen);
	/*
	 * Nothing in the text either: the comment the reporting MTA wrote
	 * after the Status code, if any.
	 */
	if (!dsn_has_word(c, r->diagnostic) && dsn_has_word(c, r->status_comment))
		r->diagnostic = r->status_comment;

	/*
	 * Still nothing that reads as a reason (no Diagnostic-Code, or only
	 * "X-Unix; 255", and a paragraph of bare addresses): a Sendmail report
	 * quotes the session, and its transcript is the reason.
	 */
	if (text && !dsn_has_word(c, r->diagnostic) && only)
	{
		size_t		span = tlen < TEXT_LOOKUP_SPAN ? tlen : TEXT_LOOKUP_SPAN;
		Str			tr = transcript_section(text, span);

		if (tr.n > 0)
		{
			r->diagnostic = dsn_clean(c, tr.p, tr.n);
			dsn_fill_from_text(c, r, tr.p, tr.n, false);
		}
	}

	/*
	 * The recipient's paragraph only lists the address: what the text
	 * says before the list ("Delivery to the following recipients has
	 * been delayed.\n\n    a@b"), as in a plain-text bounce.
	 */
	if (ls != NULL && !dsn_has_word(c, r->diagnostic))
	{
		Str			before = paragraph_before(text, ls);
		char	   *d = before.n > 0 ? dsn_clean(c, before.p, before.n) : NULL;

		if (dsn_has_word(c, d))
			r->diagnostic = d;
	}
}

/*
 * A message/(global-)delivery-status part ds[0..n): one row per
 * per-recipient field group (RFC 3464 section 2.3), completed from the
 * per-message fields and from the human-readable part text[0..tlen)
 * where the fields lack a diagnostic, a reply code or a command.
 */
void
dsn_read_ds(Ctx *c, const char *ds, size_t n, const char *text, size_t tlen)
{
	const char *p = ds;
	const char *end = ds + n;
	char	   *reporting = NULL;
	int			first = c->nrcpt;
	int			i;
	Headers		g = {NULL, 0, 0};	/* one group at a time, in the same slots */
	size_t		ticked = 0;

	while (p < end && c->err == DSN_OK)
	{
		dsn_tick_at(c, p - ds, &ticked);
		if (!next_group(c, &p, end, &g))
			continue;
		if (!read_group(c, &g, &reporting))
			return;
	}
	for (i = first; i < c->nrcpt && c->err == DSN_OK; i++)
		complete_row(c, &c->rcpt[i], reporting, i - first, first + 1 == c->nrcpt,
					 text, tlen);
}

/* ----------------------------------------------------------------
 * ARF feedback reports and auto-replies
 * ----------------------------------------------------------------
 */

/* Recipients of an ARF report: Original-Rcpt-To, else the original To. */
void
dsn_read_feedback(Ctx *c, const Headers *top, const Headers *orig, const char *fb, size_t fblen,
			const char *text, size_t tlen)
{
	Headers		fh = {NULL, 0, 0};
	int			i;
	int			before = c->nrcpt;
	const char *diag = NULL;

	if (text)
	{
		/* the first paragraph of the human-readable part */
		const char *p = text;
		const char *end = text + tlen;
		const char *s = NULL;
		const char *e = end;
		size_t		ticked = 0;

		while (p < end)
		{
			const char *eol;
			const char *next = dsn_line_end(p, end, &eol);

			dsn_tick_at(c, next - text, &ticked);
			if (eol > p && s == NULL)
				s = p;
			else if (eol == p && s != NULL)
			{
				e = p;
				break;
			}
			p = next;
		}
		if (s)
			diag = dsn_clean(c, s, e - s);
	}
	if (fb)
		dsn_parse_headers(c, fb, fb + fblen, &fh);
	for (i = 0; i < fh.n && c->err == DSN_OK; i++)
		if (dsn_ci_equal(fh.h[i].name, "original-rcpt-to") ||
			dsn_ci_equal(fh.h[i].name, "removal-recipient"))
		{
			Str			a = dsn_typed_value(fh.h[i].value, fh.h[i].vlen);
			DsnRecipient *r = dsn_new_rcpt(c);

			if (r == NULL)
				return;
			r->recipient = dsn_clean(c, a.p, a.n);
			r->diagnostic = diag;
		}
	if (c->nrcpt == before)
	{
		const Header *to = orig ? dsn_hdr_get(orig, "to") : NULL;
		size_t		pos = 0,
					st,
					ln;

		if (to == NULL)
			to = dsn_hdr_get(top, "to");
		if (to)
			while (dsn_next_address(to->value, to->vlen, &pos, &st, &ln) && c->err == DSN_OK)
			{
				DsnRecipient *r = dsn_new_rcpt(c);

				if (r == NULL)
					return;
				r->recipient = dsn_clean(c, to->value + st, ln);
				r->diagnostic = diag;
			}
	}
	(void) fblen;
}

/*
 * RFC 3834 auto-replies and vacation notices, by their headers: an
 * Auto-Submitted keyword of the IANA registry other than "no"
 * (auto-replied, auto-generated, auto-notified), X-Autoreply and its
 * kin, Precedence: auto_reply, Apple's X-Apple-Action: vacation, or an
 * auto-reply subject (the headers Sisimai 5's RFC 3834 reader,
 * Sisimai::RFC3834, reads).  Not from a mailer daemon or postmaster, and
 * not about a delivery.
 */
bool
dsn_is_autoreply(const Headers *top)
{
	static const char *const delivery_words[] = {
		"deliver", "failure", "returned", "undeliver", "bounce", "error"
	};
	const Header *h;
	size_t		i;
	size_t		pos = 0,
				st,
				ln;

	/* MTAs mark their bounces auto-replied too (RFC 3834 section 5) */
	h = dsn_hdr_get(top, "from");
	if (h == NULL || !dsn_next_address(h->value, phrase_span(h->vlen), &pos, &st, &ln) ||
		dsn_is_robot(h->value + st, ln))
		return false;
	h = dsn_hdr_get(top, "subject");
	for (i = 0; h && i < sizeof(delivery_words) / sizeof(delivery_words[0]); i++)
		if (dsn_ci_find(h->value, phrase_span(h->vlen), delivery_words[i]))
			return false;
	h = dsn_hdr_get(top, "auto-submitted");
	if (h && (dsn_ci_find(h->value, phrase_span(h->vlen), "auto-replied") ||
			  dsn_ci_find(h->value, phrase_span(h->vlen), "auto-generated") ||
			  dsn_ci_find(h->value, phrase_span(h->vlen), "auto-notified")))
		return true;
	if (dsn_hdr_get(top, "x-autoreply") || dsn_hdr_get(top, "x-autorespond") ||
		dsn_hdr_get(top, "x-autoresponder"))
		return true;
	h = dsn_hdr_get(top, "x-apple-action");
	if (h && dsn_ci_find(h->value, phrase_span(h->vlen), "vacation"))
		return true;
	h = dsn_hdr_get(top, "precedence");
	if (h && dsn_ci_find(h->value, phrase_span(h->vlen), "auto_reply"))
		return true;
	h = dsn_hdr_get(top, "subject");
	if (h && (dsn_ci_prefix(h->value, h->vlen, "auto:") ||
			  dsn_ci_prefix(h->value, h->vlen, "automatic reply") ||
			  dsn_ci_prefix(h->value, h->vlen, "auto response:") ||
			  dsn_ci_prefix(h->value, h->vlen, "out of office") ||
			  dsn_ci_prefix(h->value, h->vlen, "out of the office") ||
			  dsn_ci_prefix(h->value, h->vlen, "autoreply") ||
			  dsn_ci_prefix(h->value, h->vlen, "auto-reply")))
		return true;
	return false;
}

/*
 * The one row of an auto-reply: its sender (the From address) is the
 * recipient the mail reached, and its text is the diagnostic.
 */
void
dsn_read_autoreply(Ctx *c, const Headers *top, const char *text, size_t tlen)
{
	const Header *from = dsn_hdr_get(top, "from");
	size_t		pos = 0,
				st,
				ln;
	DsnRecipient *r;

	if (from == NULL || !dsn_next_address(from->value, from->vlen, &pos, &st, &ln))
		return;
	r = dsn_new_rcpt(c);
	if (r == NULL)
		return;
	r->recipient = dsn_clean(c, from->value + st, ln);
	r->diagnostic = text ? dsn_clean(c, text, tlen) : NULL;
}
