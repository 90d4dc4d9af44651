/*-------------------------------------------------------------------------
 *
 * dsn_plain.c
 *		The reader of plain-text bounces, which carry no delivery-status
 *		part (qmail, Exim, old Sendmail and Postfix, Exchange, Gmail, ...).
 *
 * The text is cut at the "copy of the original message" line and scanned
 * for recipient addresses; the lines from one address to the next are that
 * recipient's diagnostic, and the first enhanced status code and reply
 * code in them are its codes.  This is written for the FORMAT of these
 * bounces (an address line, then the reason) rather than for any one
 * MTA's wording.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "dsn/dsn_int.h"

/*
 * Lines that start the copy of the returned message in a plain-text
 * bounce.  Matched case-insensitively at the start of a line (after
 * leading dashes, blanks and similar decoration); the scan for recipients
 * stops there.  Sources: the wording of the MTAs in the corpus.
 */
static const char *const original_markers[] = {
	"below this line is a copy of the message",	/* qmail */
	"this is a copy of the message",	/* Exim */
	"original message",			/* Gmail, Sendmail, Exchange, many */
	"returned message",			/* old Sendmail, FML */
	"the original message",
	"message header follows",
	"unsent message below",		/* Postfix, old */
	"undelivered message",
	"headers of the original message",
	"header of the original message",
	"copy of the original message",
	"original mail",
	"rfc822 header",
	"content-type: message/rfc822",
	"forwarded message",
};

/* Field names that, at the start of a line, begin a returned header block. */
static const char *const original_fields[] = {
	"return-path:", "received:", "dkim-signature:", "x-received:",
	"arc-seal:", "authentication-results:"
};

bool
dsn_is_original_start(const char *p, const char *eol)
{
	const char *s = p;
	size_t		i;

	if (eol - p > PHRASE_SPAN)
		eol = p + PHRASE_SPAN;
	for (i = 0; i < sizeof(original_fields) / sizeof(original_fields[0]); i++)
		if (dsn_ci_prefix(p, eol - p, original_fields[i]))
			return true;
	while (s < eol && (*s == '-' || *s == '=' || *s == '_' || *s == '*' ||
					   *s == '>' || *s == '<' || *s == '[' || *s == '(' || is_wsp(*s)))
		s++;
	if (s - p < 3 && !(s < eol && lower(*s) == 'b'))
	{
		/*
		 * markers are decorated lines, except qmail's and a plain
		 * announcement such as "Original message follows." (IMail, fml)
		 */
		if (dsn_ci_find(s, eol - s, "follow") == NULL || eol - s > 60)
			return false;
		for (i = 0; i < sizeof(original_markers) / sizeof(original_markers[0]); i++)
			if (dsn_ci_prefix(s, eol - s, original_markers[i]))
				return true;
		return false;
	}
	for (i = 0; i < sizeof(original_markers) / sizeof(original_markers[0]); i++)
		if (s - p >= 3 ? dsn_ci_find(s, eol - s, original_markers[i]) != NULL
			: dsn_ci_prefix(s, eol - s, original_markers[i]))
			return true;
	return false;
}

/* Is the address at s[st] the argument of MAIL FROM (the sender)? */
static bool
after_from(const char *s, size_t st)
{
	size_t		k = st;
	int			back = 0;

	while (k > 0 && back < 12 && (s[k - 1] == '<' || is_wsp(s[k - 1]) || s[k - 1] == ':'))
	{
		k--;
		back++;
	}
	return (k >= 4 && dsn_ci_prefix(s + k - 4, 4, "from")) ||
		(k >= 4 && dsn_ci_prefix(s + k - 4, 4, " for"));
}

/* Does the line, apart from the address, hold only decoration? */
static bool
line_is_just_address(Ctx *c, const char *p, const char *eol, size_t alen)
{
	const char *start = p;
	size_t		other = 0;
	size_t		ticked = 0;

	for (; p < eol; p++)
	{
		dsn_tick_at(c, p - start, &ticked);
		if (!is_space(*p) && *p != '<' && *p != '>' && *p != ':' && *p != '"' &&
			*p != '\'' && *p != ',' && *p != '*' && *p != '-' && ++other > alen)
			return false;
	}
	return true;
}

typedef struct TextRcpt
{
	const char *addr;
	size_t		alen;
	const char *line;			/* start of the line where it first appears */
	const char *next;			/* start of the line after it */
	bool		just_address;
	bool		weak;			/* seen only in a "To:" or "Cc:" line */
} TextRcpt;

/* End of the paragraph that starts at p: its first blank line after text. */
static const char *
paragraph_end(Ctx *c, const char *p, const char *end)
{
	const char *start = p;
	bool		text = false;
	size_t		ticked = 0;

	while (p < end)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);

		dsn_tick_at(c, next - start, &ticked);
		if (dsn_trim((Str) {p, (size_t) (eol - p)}).n == 0)
		{
			if (text)
				return p;
		}
		else
			text = true;
		p = next;
	}
	return end;
}

/* Is the line [p, eol) blank, or only a rule drawn with = - * _ or ~? */
static bool
is_rule_line(const char *p, const char *eol)
{
	for (; p < eol; p++)
		if (!is_space(*p) && *p != '=' && *p != '-' && *p != '*' && *p != '_' && *p != '~')
			return false;
	return true;
}

/* The start of the first line of [p, end) that is neither blank nor a rule. */
static const char *
skip_rule_lines(Ctx *c, const char *p, const char *end)
{
	const char *start = p;
	size_t		ticked = 0;

	while (p < end)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);

		dsn_tick_at(c, next - start, &ticked);
		if (!is_rule_line(p, eol))
			return p;
		p = next;
	}
	return end;
}

/*
 * Is the paragraph [p, pe) only a heading: one short line ending in a
 * colon ("Technical details:"), which names what follows and says nothing
 * itself?
 */
static bool
is_heading(const char *p, const char *pe)
{
	Str			t = dsn_trim((Str) {p, (size_t) (pe - p)});

	return t.n > 0 && t.n <= 80 && t.p[t.n - 1] == ':' && memchr(t.p, '\n', t.n) == NULL;
}

/*
 * The diagnostic of a recipient's block [bs, be) in a plain-text bounce:
 * its first paragraph, which names the failure; when that paragraph has
 * no SMTP reply, also the first later paragraph that has one (Gmail puts
 * "The response from the remote server was: 550 ..." after a blank
 * line), or that paragraph alone when the first is a heading ("Technical
 * details:").  Rules drawn with "=====" are decoration, not text, and
 * closing boilerplate ("The attachment contains ...", "Please contact
 * your administrator") stays out.
 */
static char *
block_diagnostic(Ctx *c, const char *bs, const char *be)
{
	const char *pe;
	const char *q;
	int			rc;
	int32_t		st;
	char	   *buf;

	bs = skip_rule_lines(c, bs, be);
	pe = paragraph_end(c, bs, be);
	q = pe;
	dsn_find_codes(c, bs, pe - bs, false, &rc, &st);
	if (rc != 0 || st != 0)
		return dsn_clean(c, bs, pe - bs);
	while (q < be)
	{
		const char *qe = paragraph_end(c, q, be);

		dsn_find_codes(c, q, qe - q, false, &rc, &st);
		if (rc != 0 || st != 0)
		{
			if (is_heading(bs, pe))
				return dsn_clean(c, q, qe - q);
			buf = dsn_alloc(c, (pe - bs) + (qe - q) + 2);
			if (buf == NULL)
				return NULL;
			memcpy(buf, bs, pe - bs);
			buf[pe - bs] = '\n';
			memcpy(buf + (pe - bs) + 1, q, qe - q);
			return dsn_clean(c, buf, (pe - bs) + 1 + (qe - q));
		}
		if (qe == q)
			break;
		q = qe;
	}
	return dsn_clean(c, bs, be - bs);
}

/* The distinct addresses found in a plain-text bounce, in order. */
typedef struct TextRcpts
{
	TextRcpt   *tr;
	int			n;
	int			cap;
	int			nstrong;		/* how many were seen outside To: and Cc: */
	bool		moved;			/* one moved from its To: line to a later one */
	AddrList	seen;			/* the same addresses: seen.a[k] is tr[k]'s */
} TextRcpts;

/*
 * Where the bounce's own text ends in t[0..n): at the line that starts the
 * copy of the returned message (never the first line with text), else at
 * t + n.  *has_text: a line with text comes before that end.
 */
static const char *
own_text_end(Ctx *c, const char *t, size_t n, bool *has_text)
{
	const char *end = t + n;
	const char *p = t;
	size_t		ticked = 0;

	*has_text = false;
	while (p < end)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);

		dsn_tick_at(c, next - t, &ticked);
		if (*has_text && dsn_is_original_start(p, eol))
			return p;
		if (eol > p)
			*has_text = true;
		p = next;
	}
	return end;
}

/*
 * Lines whose addresses are not recipients: identifiers and the sender in
 * a summary of the original headers, and help desks ("please contact
 * <support@...>").
 */
static bool
is_non_recipient_line(Str l)
{
	l.n = phrase_span(l.n);
	return dsn_ci_prefix(l.p, l.n, "references") || dsn_ci_prefix(l.p, l.n, "in-reply-to") ||
		dsn_ci_prefix(l.p, l.n, "from:") || dsn_ci_prefix(l.p, l.n, "reply-to") ||
		dsn_ci_prefix(l.p, l.n, "sender:") || dsn_ci_prefix(l.p, l.n, "return-path") ||
		dsn_ci_prefix(l.p, l.n, "original sender:") ||
		dsn_ci_prefix(l.p, l.n, "message-id") || dsn_ci_find(l.p, l.n, "message-id:") ||
		dsn_ci_find(l.p, l.n, "envelope-id") ||
		dsn_ci_find(l.p, l.n, "please contact") || dsn_ci_find(l.p, l.n, "for assistance");
}

/*
 * Can the address at line[st, st + ln) be a recipient: text, not excluded, among
 * the wanted ones when any are given, not a mailer daemon, not the sender
 * (after MAIL FROM), not part of a path or a parameter (after / or =)?
 */
static bool
is_candidate(const char *line, size_t st, size_t ln, const AddrList *exclude,
			 const AddrList *wanted)
{
	const char *a = line + st;

	/* bytes that are not text (binary junk, an unknown charset) */
	if (!dsn_valid_utf8(a, ln))
		return false;
	if (exclude && dsn_addrlist_has(exclude, a, ln))
		return false;
	if (wanted && wanted->n && !dsn_addrlist_has(wanted, a, ln))
		return false;
	return !(dsn_is_robot(a, ln) || after_from(line, st) ||
			 (st > 0 && (line[st - 1] == '/' || line[st - 1] == '=')));
}

/*
 * Add the address a[0..ln), seen on the line [line, eol) that next
 * follows, unless it is there already.  False (and the scan stops) when
 * no more can be added: past DSN_MAX_RECIPIENTS, an error.
 */
static bool
add_text_rcpt(Ctx *c, TextRcpts *l, const char *a, size_t ln, const char *line,
			  const char *eol, const char *next, bool weak)
{
	TextRcpt   *t;
	bool		added;
	int			k = dsn_addrlist_put(c, &l->seen, a, ln, &added);

	if (k < 0)
		return false;
	if (!added)
	{
		/*
		 * Seen first in a To: or Cc: summary ("Your message\n  To: a@b"),
		 * and now on a line of its own ("a@b on Thu, ...": Exchange): that
		 * line is where its report is.
		 */
		t = &l->tr[k];
		if (t->weak && !weak)
		{
			t->addr = a;
			t->line = line;
			t->next = next;
			t->just_address = line_is_just_address(c, line, eol, ln);
			t->weak = false;
			l->nstrong++;
			l->moved = true;
		}
		return true;
	}
	if (l->n >= DSN_MAX_RECIPIENTS)
	{
		c->err = DSN_ERR_RECIPIENTS;
		return false;
	}
	if (l->n == l->cap)
	{
		int			ncap = l->cap ? l->cap * 2 : 8;
		TextRcpt   *n2 = dsn_alloc(c, sizeof(TextRcpt) * ncap);

		if (n2 == NULL)
			return false;
		if (l->n)
			memcpy(n2, l->tr, sizeof(TextRcpt) * l->n);
		l->tr = n2;
		l->cap = ncap;
	}
	t = &l->tr[l->n++];
	t->addr = a;
	t->alen = ln;
	t->line = line;
	t->next = next;
	t->just_address = line_is_just_address(c, line, eol, ln);
	t->weak = weak;
	l->nstrong += !weak;
	return true;
}

/*
 * Collect the distinct recipient addresses of t[0..end), each with the
 * line where it first appears.  False when the scan had to stop.
 */
static bool
collect_text_rcpts(Ctx *c, const char *t, const char *end, const AddrList *exclude,
				   const AddrList *wanted, TextRcpts *l)
{
	const char *p = t;
	size_t		ticked = 0;

	while (p < end && c->err == DSN_OK)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);
		Str			line = dsn_trim((Str) {p, (size_t) (eol - p)});
		size_t		pos = 0,
					st,
					ln;
		bool		weak;

		dsn_tick_at(c, next - t, &ticked);
		if (is_non_recipient_line(line))
		{
			p = next;
			continue;
		}
		/* the original To and Cc: recipients only when nothing else is */
		weak = dsn_ci_prefix(line.p, line.n, "to:") || dsn_ci_prefix(line.p, line.n, "cc:");
		while (dsn_next_address(p, eol - p, &pos, &st, &ln))
		{
			dsn_tick_at(c, p + pos - t, &ticked);
			if (is_candidate(p, st, ln, exclude, wanted) &&
				!add_text_rcpt(c, l, p + st, ln, p, eol, next, weak))
				return false;
		}
		p = next;
	}
	return true;
}

/* Text order of two addresses: by their lines, then within a line. */
static int
text_order(const void *x, const void *y)
{
	const TextRcpt *a = x;
	const TextRcpt *b = y;

	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->addr < b->addr ? -1 : (a->addr > b->addr);
}

/*
 * Drop the addresses seen only in To: or Cc: when others were found, and
 * put them back in the order of their lines if one of them moved to a
 * later line (each recipient's block runs to the next one's line).
 */
static void
keep_strong(TextRcpts *l)
{
	int			i,
				k = 0;

	if (l->nstrong > 0 && l->nstrong < l->n)
	{
		for (i = 0; i < l->n; i++)
			if (!l->tr[i].weak)
				l->tr[k++] = l->tr[i];
		l->n = k;
	}
	if (l->moved)
		qsort(l->tr, l->n, sizeof(TextRcpt), text_order);
}

/*
 * The text before the first recipient's line, t[0..n): what it says is
 * worked out once, when a row first needs it, and then applies to every
 * row, so that a long preamble is read once however many rows there are.
 */
typedef struct Preamble
{
	const char *t;
	size_t		n;
	bool		has_text;		/* as own_text_end() says */
	bool		diag_done;
	char	   *diag;			/* the preamble as a diagnostic */
	bool		facts_done[2];
	DsnRecipient facts[2];		/* its codes, command and host, as a failure
								 * [0] and as a success [1] read them */
} Preamble;

static const char *
preamble_diagnostic(Ctx *c, Preamble *pre)
{
	if (!pre->diag_done)
	{
		pre->diag = dsn_clean(c, pre->t, pre->n);
		pre->diag_done = true;
	}
	return pre->diag;
}

/* What the preamble says, added to what r lacks, as dsn_fill_from_text would. */
static void
fill_from_preamble(Ctx *c, DsnRecipient *r, Preamble *pre)
{
	int			k = dsn_reads_success(r) ? 1 : 0;
	const DsnRecipient *f = &pre->facts[k];

	if (!pre->facts_done[k])
	{
		memset(&pre->facts[k], 0, sizeof(DsnRecipient));
		pre->facts[k].action = k ? "delivered" : "failed";
		dsn_fill_from_text(c, &pre->facts[k], pre->t, pre->n, false);
		pre->facts_done[k] = true;
	}
	if (r->reply_code == 0)
		r->reply_code = f->reply_code;
	r->status = dsn_better_status(r->status, f->status, false);
	if (r->smtp_command == NULL)
		r->smtp_command = f->smtp_command;
	if (r->remote_mta == NULL)
		r->remote_mta = f->remote_mta;
}

/*
 * Where the text of a recipient's line starts when the line begins with
 * the address itself ("<a@b>: 550 ...", "a@b: Domain does not exist", "a@b
 * Invalid Address, ..."): after the address and its ">" and ":".  The
 * address is who failed, not why.  Else the start of the line.
 */
static const char *
after_leading_address(const TextRcpt *t)
{
	const char *p = t->line;
	const char *q;

	while (p < t->next && is_wsp(*p))
		p++;
	if (p < t->next && *p == '<')
		p++;
	if (p != t->addr)
		return t->line;
	q = t->addr + t->alen;
	if (q < t->next && *q == '>')
		q++;
	if (q < t->next && *q == ':')
		q++;
	while (q < t->next && is_wsp(*q))
		q++;
	return q;
}

/* Does the preamble quote a reply code or a status code? */
static bool
preamble_has_codes(Ctx *c, Preamble *pre)
{
	DsnRecipient probe;

	memset(&probe, 0, sizeof(probe));
	probe.action = "failed";
	fill_from_preamble(c, &probe, pre);
	return probe.status != 0 || probe.reply_code != 0;
}

/* The block of text of address i: [*bs, *be). */
static void
text_rcpt_block(const TextRcpts *l, int i, const char *end, const char **bs,
				const char **be)
{
	const TextRcpt *tr = l->tr;

	*bs = tr[i].just_address ? tr[i].next : after_leading_address(&tr[i]);
	*be = (i + 1 < l->n) ? tr[i + 1].line : end;
	if (i + 1 < l->n && tr[i + 1].line == tr[i].line)
	{
		int			j = i + 1;

		while (j < l->n && tr[j].line == tr[i].line)
			j++;
		*be = (j < l->n) ? tr[j].line : end;
	}
	if (*be < *bs)
		*be = *bs;
}

/*
 * The row of address i: its diagnostic is the text from its line to the
 * next address's line; several addresses on one line share that line's
 * text, and the row of the one before (prev, or -1) when the block is the
 * same, so that a line of many addresses is read once.  False when no row
 * could be added.
 */
static bool
text_rcpt_row(Ctx *c, const TextRcpts *l, int i, const char *end, int prev,
			  Preamble *pre, const char *action)
{
	const TextRcpt *tr = l->tr;
	const char *bs,
			   *be,
			   *pbs = NULL,
			   *pbe = NULL;
	DsnRecipient *r = dsn_new_rcpt(c);

	if (r == NULL)
		return false;
	text_rcpt_block(l, i, end, &bs, &be);
	if (i > 0)
		text_rcpt_block(l, i - 1, end, &pbs, &pbe);
	if (prev >= 0 && bs == pbs && be == pbe)
	{
		*r = c->rcpt[prev];
		r->recipient = dsn_clean(c, tr[i].addr, tr[i].alen);
		return true;
	}
	r->recipient = dsn_clean(c, tr[i].addr, tr[i].alen);
	r->action = action;
	r->diagnostic = block_diagnostic(c, bs, be);
	/* codes from the whole block: a reply may follow a blank line */
	dsn_fill_from_text(c, r, bs, be - bs, false);
	/*
	 * Nothing after the address: the reason came before the list of
	 * recipients ("The user(s) account is disabled.\n\n<a@b>", as au and
	 * other Japanese carriers write it).  So too when the address is
	 * listed on a line of its own and what follows it quotes no reply
	 * while the text before the list does ("Could not be delivered
	 * because of\n\n550 5.1.1 User unknown\n\nThe following recipients
	 * were affected:\n    a@b": MailMarshal).
	 */
	if (!dsn_has_word(c, r->diagnostic) && pre->n > 0)
		r->diagnostic = preamble_diagnostic(c, pre);
	else if (tr[i].just_address && r->status == 0 && r->reply_code == 0 && pre->n > 0 &&
			 preamble_has_codes(c, pre))
		r->diagnostic = preamble_diagnostic(c, pre);
	/* codes that only the preamble gives apply to every recipient */
	if (pre->has_text && (r->status == 0 || r->reply_code == 0) && pre->n > 0)
		fill_from_preamble(c, r, pre);
	return true;
}

/*
 * Scan the human-readable text t[0..n) of a bounce for recipients, one
 * row each.  wanted, when given, limits the recipients to those addresses
 * (Exim's X-Failed-Recipients); exclude lists addresses that are never
 * recipients (the sender).
 */
static void
scan_text(Ctx *c, const char *t, size_t n, const AddrList *exclude,
		  const AddrList *wanted, const char *action)
{
	TextRcpts	l;
	Preamble	pre;
	const char *end;
	int			i;

	memset(&l, 0, sizeof(l));
	memset(&pre, 0, sizeof(pre));
	end = own_text_end(c, t, n, &pre.has_text);
	if (!collect_text_rcpts(c, t, end, exclude, wanted, &l))
		return;
	keep_strong(&l);
	if (l.n == 0)
		return;
	pre.t = t;
	pre.n = l.tr[0].line - t;
	for (i = 0; i < l.n && c->err == DSN_OK; i++)
		if (!text_rcpt_row(c, &l, i, end, i > 0 ? c->nrcpt - 1 : -1, &pre, action))
			return;
}

/*
 * One row for each of the addresses, whose diagnostic is the whole text:
 * the text is read once, and every row gets what it says.
 */
static void
whole_text_rows(Ctx *c, const Str *addrs, int naddrs, const char *text,
				size_t tlen, const char *action)
{
	DsnRecipient proto;
	int			i;

	memset(&proto, 0, sizeof(proto));
	proto.action = action;
	proto.diagnostic = dsn_clean(c, text, tlen);
	dsn_fill_from_text(c, &proto, text, tlen, false);
	for (i = 0; i < naddrs && c->err == DSN_OK; i++)
	{
		DsnRecipient *r = dsn_new_rcpt(c);

		if (r == NULL)
			return;
		*r = proto;
		r->recipient = dsn_clean(c, addrs[i].p, addrs[i].n);
	}
}

/*
 * The recipients of a bounce that is only text[0..tlen) (top: its
 * headers; orig: the returned message's, or NULL), each with action.  The
 * addresses in the text, else Exim's X-Failed-Recipients, else the
 * returned message's To.
 */
void
dsn_read_plain(Ctx *c, const Headers *top, const Headers *orig, const char *text,
			   size_t tlen, const char *action)
{
	AddrList	exclude;
	AddrList	wanted;
	const Header *h;
	size_t		pos = 0,
				st,
				ln;

	memset(&exclude, 0, sizeof(exclude));
	memset(&wanted, 0, sizeof(wanted));
	/* the bounce goes back to the sender: never a recipient */
	if ((h = dsn_hdr_get(top, "to")) != NULL)
		dsn_addrlist_add(c, &exclude, h->value, h->vlen);
	if (orig && (h = dsn_hdr_get(orig, "from")) != NULL)
		dsn_addrlist_add(c, &exclude, h->value, h->vlen);
	if ((h = dsn_hdr_get(top, "return-path")) != NULL)
		dsn_addrlist_add(c, &exclude, h->value, h->vlen);
	if ((h = dsn_hdr_get(top, "x-failed-recipients")) != NULL)
		dsn_addrlist_add(c, &wanted, h->value, h->vlen);
	if (c->err != DSN_OK)
		return;
	scan_text(c, text, tlen, &exclude, &wanted, action);
	/* Exim names them in a header though the text may not */
	if (c->nrcpt == 0 && c->err == DSN_OK && wanted.n > 0)
		whole_text_rows(c, wanted.a, wanted.n, text, tlen, action);
	/* no address in the text: the returned message's To */
	if (c->nrcpt == 0 && c->err == DSN_OK && orig && (h = dsn_hdr_get(orig, "to")) != NULL &&
		dsn_next_address(h->value, h->vlen, &pos, &st, &ln))
	{
		Str			to = {h->value + st, ln};

		whole_text_rows(c, &to, 1, text, tlen, action);
	}
}
