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
line_is_just_address(const char *p, const char *eol, size_t alen)
{
	size_t		other = 0;

	for (; p < eol; p++)
		if (!is_space(*p) && *p != '<' && *p != '>' && *p != ':' && *p != '"' &&
			*p != '\'' && *p != ',' && *p != '*' && *p != '-')
			other++;
	return other <= alen;
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
paragraph_end(const char *p, const char *end)
{
	bool		text = false;

	while (p < end)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);

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

/*
 * The diagnostic of a recipient's block [bs, be) in a plain-text bounce:
 * its first paragraph, which names the failure; when that paragraph has
 * no SMTP reply, also the first later paragraph that has one (Gmail puts
 * "The response from the remote server was: 550 ..." after a blank
 * line).  Closing boilerplate ("The attachment contains ...", "Please
 * contact your administrator") stays out.
 */
static char *
block_diagnostic(Ctx *c, const char *bs, const char *be)
{
	const char *pe = paragraph_end(bs, be);
	const char *q = pe;
	int			rc;
	int32_t		st;
	char	   *buf;

	dsn_find_codes(bs, pe - bs, false, &rc, &st);
	if (rc != 0 || st != 0)
		return dsn_clean(c, bs, pe - bs);
	while (q < be)
	{
		const char *qe = paragraph_end(q, be);

		dsn_find_codes(q, qe - q, false, &rc, &st);
		if (rc != 0 || st != 0)
		{
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
} TextRcpts;

/*
 * Where the bounce's own text ends in t[0..n): at the line that starts the
 * copy of the returned message (never the first line with text), else at
 * t + n.  *has_text: a line with text comes before that end.
 */
static const char *
own_text_end(const char *t, size_t n, bool *has_text)
{
	const char *end = t + n;
	const char *p = t;

	*has_text = false;
	while (p < end)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);

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
	return dsn_ci_prefix(l.p, l.n, "references") || dsn_ci_prefix(l.p, l.n, "in-reply-to") ||
		dsn_ci_prefix(l.p, l.n, "from:") || dsn_ci_prefix(l.p, l.n, "reply-to") ||
		dsn_ci_prefix(l.p, l.n, "sender:") || dsn_ci_prefix(l.p, l.n, "return-path") ||
		dsn_ci_prefix(l.p, l.n, "message-id") || dsn_ci_find(l.p, l.n, "message-id:") ||
		dsn_ci_find(l.p, l.n, "envelope-id") ||
		dsn_ci_find(l.p, l.n, "please contact") || dsn_ci_find(l.p, l.n, "for assistance");
}

/*
 * Can the address at line[st, st + ln) be a recipient: not excluded, among
 * the wanted ones when any are given, not a mailer daemon, not the sender
 * (after MAIL FROM), not part of a path or a parameter (after / or =)?
 */
static bool
is_candidate(const char *line, size_t st, size_t ln, const AddrList *exclude,
			 const AddrList *wanted)
{
	const char *a = line + st;

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
 * no more can be added.
 */
static bool
add_text_rcpt(Ctx *c, TextRcpts *l, const char *a, size_t ln, const char *line,
			  const char *eol, const char *next, bool weak)
{
	TextRcpt   *t;
	int			i;

	for (i = 0; i < l->n; i++)
		if (dsn_addr_equal(l->tr[i].addr, l->tr[i].alen, a, ln))
			return true;
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
	t->just_address = line_is_just_address(line, eol, ln);
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

	while (p < end && c->err == DSN_OK)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);
		Str			line = dsn_trim((Str) {p, (size_t) (eol - p)});
		size_t		pos = 0,
					st,
					ln;
		bool		weak;

		if (is_non_recipient_line(line))
		{
			p = next;
			continue;
		}
		/* the original To and Cc: recipients only when nothing else is */
		weak = dsn_ci_prefix(line.p, line.n, "to:") || dsn_ci_prefix(line.p, line.n, "cc:");
		while (dsn_next_address(p, eol - p, &pos, &st, &ln))
			if (is_candidate(p, st, ln, exclude, wanted) &&
				!add_text_rcpt(c, l, p + st, ln, p, eol, next, weak))
				return false;
		p = next;
	}
	return true;
}

/* Drop the addresses seen only in To: or Cc: when others were found. */
static void
keep_strong(TextRcpts *l)
{
	int			i,
				k = 0;

	if (l->nstrong == 0 || l->nstrong == l->n)
		return;
	for (i = 0; i < l->n; i++)
		if (!l->tr[i].weak)
			l->tr[k++] = l->tr[i];
	l->n = k;
}

/*
 * The row of address i: its diagnostic is the text from its line to the
 * next address's line (several addresses on one line share that line's
 * text).  t[0..end) is the bounce's own text; has_text as own_text_end()
 * says.  False when no row could be added.
 */
static bool
text_rcpt_row(Ctx *c, const TextRcpts *l, int i, const char *t, const char *end,
			  bool has_text, const char *action)
{
	const TextRcpt *tr = l->tr;
	DsnRecipient *r = dsn_new_rcpt(c);
	const char *bs = tr[i].just_address ? tr[i].next : tr[i].line;
	const char *be = (i + 1 < l->n) ? tr[i + 1].line : end;

	if (r == NULL)
		return false;
	if (be < bs)
		be = bs;
	if (i + 1 < l->n && tr[i + 1].line == tr[i].line)
	{
		int			j = i + 1;

		while (j < l->n && tr[j].line == tr[i].line)
			j++;
		be = (j < l->n) ? tr[j].line : end;
	}
	r->recipient = dsn_clean(c, tr[i].addr, tr[i].alen);
	r->action = action;
	r->diagnostic = block_diagnostic(c, bs, be);
	/* codes from the whole block: a reply may follow a blank line */
	dsn_fill_from_text(c, r, bs, be - bs, false);
	/*
	 * Nothing after the address: the reason came before the list of
	 * recipients ("The user(s) account is disabled.\n\n<a@b>", as au and
	 * other Japanese carriers write it).
	 */
	if (!dsn_has_word(r->diagnostic) && tr[0].line > t)
		r->diagnostic = dsn_clean(c, t, tr[0].line - t);
	/* codes that only the preamble gives apply to every recipient */
	if (has_text && (r->status == 0 || r->reply_code == 0) && tr[0].line > t)
		dsn_fill_from_text(c, r, t, tr[0].line - t, false);
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
	TextRcpts	l = {NULL, 0, 0, 0};
	bool		has_text;
	const char *end = own_text_end(t, n, &has_text);
	int			i;

	if (!collect_text_rcpts(c, t, end, exclude, wanted, &l))
		return;
	keep_strong(&l);
	for (i = 0; i < l.n && c->err == DSN_OK; i++)
		if (!text_rcpt_row(c, &l, i, t, end, has_text, action))
			return;
}

/* A row for the address a[0..alen) whose diagnostic is the whole text. */
static void
whole_text_row(Ctx *c, const char *a, size_t alen, const char *text, size_t tlen,
			   const char *action)
{
	DsnRecipient *r = dsn_new_rcpt(c);

	if (r == NULL)
		return;
	r->recipient = dsn_clean(c, a, alen);
	r->action = action;
	r->diagnostic = dsn_clean(c, text, tlen);
	dsn_fill_from_text(c, r, text, tlen, false);
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
	AddrList	exclude = {{{0}}, 0};
	AddrList	wanted = {{{0}}, 0};
	const Header *h;
	size_t		pos = 0,
				st,
				ln;
	int			i;

	/* the bounce goes back to the sender: never a recipient */
	if ((h = dsn_hdr_get(top, "to")) != NULL)
		dsn_addrlist_add(&exclude, h->value, h->vlen);
	if (orig && (h = dsn_hdr_get(orig, "from")) != NULL)
		dsn_addrlist_add(&exclude, h->value, h->vlen);
	if ((h = dsn_hdr_get(top, "return-path")) != NULL)
		dsn_addrlist_add(&exclude, h->value, h->vlen);
	if ((h = dsn_hdr_get(top, "x-failed-recipients")) != NULL)
		dsn_addrlist_add(&wanted, h->value, h->vlen);
	scan_text(c, text, tlen, &exclude, &wanted, action);
	/* Exim names them in a header though the text may not */
	for (i = 0; c->nrcpt == 0 && i < wanted.n && c->err == DSN_OK; i++)
		whole_text_row(c, wanted.a[i].p, wanted.a[i].n, text, tlen, action);
	/* no address in the text: the returned message's To */
	if (c->nrcpt == 0 && c->err == DSN_OK && orig && (h = dsn_hdr_get(orig, "to")) != NULL &&
		dsn_next_address(h->value, h->vlen, &pos, &st, &ln))
		whole_text_row(c, h->value + st, ln, text, tlen, action);
}
