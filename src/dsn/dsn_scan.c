/*-------------------------------------------------------------------------
 *
 * dsn_scan.c
 *		The text scan: reply codes and enhanced status codes, the SMTP
 *		command that failed, the remote host, and e-mail addresses in the
 *		free text of a bounce; and the typed field values (address-type;
 *		address, mta-name-type; name) of RFC 3464.
 *
 * Every scan is a forward walk over bytes, and every search is for a short
 * fixed string, so the time is linear in the text's length.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dsn/dsn_int.h"

/* ----------------------------------------------------------------
 * Codes
 * ----------------------------------------------------------------
 */

/*
 * First RFC 3463 code (class 2, 4 or 5) in s that stands alone: not part
 * of a longer number or of an IP address.  Returns 0 when none.
 */
static int32_t
find_status(Ctx *c, const char *s, size_t n)
{
	size_t		i;
	size_t		ticked = 0;

	for (i = 0; i + 5 <= n; i++)
	{
		char		ch = s[i];
		size_t		j;
		int32_t		v;

		dsn_tick_at(c, i, &ticked);
		if (ch != '2' && ch != '4' && ch != '5')
			continue;
		if (s[i + 1] != '.')
			continue;
		if (i > 0 && (is_digit(s[i - 1]) || s[i - 1] == '.' || is_alpha(s[i - 1])))
			continue;
		j = i + 2;
		while (j < n && is_digit(s[j]) && j - i < 6)
			j++;
		if (j == i + 2 || j >= n || s[j] != '.')
			continue;
		j++;
		{
			size_t		k = j;

			while (k < n && is_digit(s[k]) && k - j < 4)
				k++;
			if (k == j)
				continue;
			if (k < n && (is_digit(s[k]) || is_alpha(s[k]) ||
						  (s[k] == '.' && k + 1 < n && is_digit(s[k + 1]))))
				continue;
			if (bounce_status_parse(s + i, k - i, &v) == BSE_OK)
				return v;
		}
	}
	return 0;
}

/*
 * Is s[i..i+3) a reply code standing alone as a word: not inside a
 * number, an address, a time or a host name?  "550-5.1.1", "550 5.1.1",
 * "550:" and "CODE :550" are words; "12:550", "550.1", "x550" are not.
 */
static bool
reply_code_at(const char *s, size_t n, size_t i)
{
	char		b,
				a;

	if (s[i] < '2' || s[i] > '5' || !is_digit(s[i + 1]) || !is_digit(s[i + 2]))
		return false;
	b = i > 0 ? s[i - 1] : ' ';
	a = i + 3 < n ? s[i + 3] : ' ';
	if (b == ':' && !(i >= 2 && is_space(s[i - 2])))
		return false;
	if (is_digit(b) || is_alpha(b) || b == '.' || b == '-' ||
		b == '#' || b == '=' || b == '/' || b == '_' || b == '+' || b == '@')
		return false;
	if (a == ':' && !(i + 4 >= n || is_space(s[i + 4])))
		return false;
	if (is_digit(a) || is_alpha(a) || a == '.' || a == '@' ||
		a == '/' || a == '_' || a == '=' || a == '%')
		return false;
	return bounce_reply_code_valid((s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0'));
}

/*
 * The enhanced status code that directly follows the negative reply code
 * at s[i] ("550 5.1.1", "550-5.1.1", "550-'5.2.2"), of the reply code's
 * class; 0 when none does.
 */
static int32_t
paired_status(Ctx *c, const char *s, size_t n, size_t i)
{
	size_t		j = i + 3;
	int32_t		st;

	while (j < n && j < i + 6 && (s[j] == ' ' || s[j] == '-' || s[j] == '\'' ||
								  s[j] == ':' || s[j] == '"'))
		j++;
	if (j < n && s[j] == s[i] && (st = find_status(c, s + j, n - j < 12 ? n - j : 12)) != 0 &&
		BOUNCE_STATUS_CLASS(st) == s[i] - '0')
		return st;
	return 0;
}

static inline int
reply_value(const char *s, size_t i)
{
	return (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
}

/*
 * The reply code and enhanced status code of a diagnostic text.
 *
 * A negative reply code (4yz, 5yz) directly followed by a status code
 * ("550 5.1.1", "550-5.1.1", "550-'5.2.2") is the best evidence: both are
 * taken from it.  Otherwise the first negative reply code and the first
 * status code are taken separately.  Positive codes (2yz, 3yz) are taken
 * only when positive is true (a success report): in a failure they are
 * greetings or transcript lines ("220 mx ESMTP", "250 Ok").
 */
void
dsn_find_codes(Ctx *c, const char *s, size_t n, bool positive, int *reply, int32_t *status)
{
	size_t		i;
	size_t		ticked = 0;
	int			first_reply = 0;
	int			first_pos = 0;

	*reply = 0;
	*status = 0;
	for (i = 0; i + 3 <= n; i++)
	{
		int			v;
		int32_t		st;

		dsn_tick_at(c, i, &ticked);
		if (!reply_code_at(s, n, i))
			continue;
		v = reply_value(s, i);
		if (v < 400)
		{
			if (first_pos == 0)
				first_pos = v;
			i += 2;
			continue;
		}
		if (first_reply == 0)
			first_reply = v;
		if ((st = paired_status(c, s, n, i)) != 0)
		{
			*reply = v;
			*status = st;
			return;
		}
		i += 2;
	}
	*reply = first_reply ? first_reply : (positive ? first_pos : 0);
	*status = find_status(c, s, n);
}

/*
 * Does s hold an SMTP failure reply as a bounce quotes it: a negative
 * reply code followed by an enhanced status code of its class (RFC 3463:
 * "550 5.1.1", "550-5.1.1"), or a negative reply code quoted as the
 * remote server's answer, after "said:" (Postfix's "host ... said: 550",
 * qmail's "Remote host said: 550") or after the "<<<" of a session
 * transcript (Sendmail)?  A number in a sentence ("450 of them renew")
 * is neither.
 */
bool
dsn_has_smtp_reply(Ctx *c, const char *s, size_t n)
{
	size_t		i;

	for (i = 0; i + 3 <= n; i++)
	{
		size_t		k = i;

		if ((s[i] != '4' && s[i] != '5') || !reply_code_at(s, n, i))
			continue;
		if (paired_status(c, s, n, i) != 0)
			return true;
		while (k > 0 && is_space(s[k - 1]) && i - k < 8)
			k--;
		if ((k >= 5 && dsn_ci_prefix(s + k - 5, 5, "said:")) ||
			(k >= 3 && memcmp(s + k - 3, "<<<", 3) == 0))
			return true;
	}
	return false;
}

/* ----------------------------------------------------------------
 * The SMTP command and the remote host
 * ----------------------------------------------------------------
 */

/*
 * The SMTP command at which delivery failed, from the wording MTAs use.
 * The table is in priority order: the first phrase found wins.  A phrase
 * starts a word ("mail from" is not found in "email from").
 */
static const struct
{
	const char *phrase;
	const char *command;
}			command_phrases[] = {
	/*
	 * Postfix (smtp(8), smtp_proto.c): "(in reply to end of DATA
	 * command)", "(in reply to RCPT TO command)"; Exim (transports/smtp.c):
	 * "SMTP error from remote mail server after end of data", "... after
	 * RCPT TO:<...>", "... after pipelined DATA"
	 */
	{"end of data", "DATA"},
	{"in reply to data", "DATA"},
	{"after data", "DATA"},
	{"after pipelined data", "DATA"},
	/* RFC 3030 CHUNKING, the data phase: "(in reply to end of BDAT command)", Exim "after BDAT" */
	{"end of bdat", "BDAT"},
	{"in reply to bdat", "BDAT"},
	{"after bdat", "BDAT"},
	{"after pipelined bdat", "BDAT"},
	/*
	 * qmail 1.03, qmail-remote.c, the step of the session that failed:
	 * "%s failed on DATA command", "%s failed after I sent the message",
	 * "%s does not like recipient.", "Connected to %s but sender was
	 * rejected.", "... but my name was rejected.", "... but greeting
	 * failed."
	 */
	{"failed on data command", "DATA"},
	{"failed after i sent the message", "DATA"},
	{"does not like recipient", "RCPT"},
	{"but sender was rejected", "MAIL"},
	{"but my name was rejected", "HELO"},
	{"but greeting failed", "CONN"},
	/* DragonFly Mail Agent (dma, net.c): "%s [%s] did not like our final DATA:" */
	{"did not like our final data", "DATA"},
	{"in reply to rcpt to", "RCPT"},
	{"after rcpt to", "RCPT"},
	{"rcpt to", "RCPT"},
	{"in reply to mail from", "MAIL"},
	{"after mail from", "MAIL"},
	{"mail from", "MAIL"},
	{"in reply to ehlo", "EHLO"},
	{"after ehlo", "EHLO"},
	{"in reply to helo", "HELO"},
	{"after helo", "HELO"},
	/*
	 * Postfix (smtp_proto.c) when the server refuses the session before
	 * MAIL: "host %s refused to talk to me: %s"; Sisimai 5
	 * (Sisimai::Lhost::Postfix) reads it as HELO
	 */
	{"refused to talk to me", "HELO"},
	{"starttls", "STARTTLS"},
	/* labelled: "SMTP command: RCPT" / "SMTP command\nDATA" (mFILTER and others), Yahoo "[RCPT_TO]" */
	{"smtp command: data", "DATA"},
	{"smtp command data", "DATA"},
	{"smtp command: rcpt", "RCPT"},
	{"smtp command rcpt", "RCPT"},
	{"smtp command: mail", "MAIL"},
	{"smtp command mail", "MAIL"},
	{"[rcpt_to]", "RCPT"},
	{"[mail_from]", "MAIL"},
	/*
	 * Gmail's relay writes the SMTP state it failed in after the other
	 * server's reply: "(state 14)" RCPT, "(state 13)" EHLO, "(state 6)"
	 * MAIL (STARTTLS refused), "(state 15)", "(state 17)", "(state 18)"
	 * DATA (Sisimai 5, Sisimai::Lhost::Gmail, its state table)
	 */
	{"(state 6)", "MAIL"},
	{"(state 13)", "EHLO"},
	{"(state 14)", "RCPT"},
	{"(state 15)", "DATA"},
	{"(state 17)", "DATA"},
	{"(state 18)", "DATA"},
	/*
	 * Exim: "SMTP error from remote mail server after initial connection",
	 * the server's greeting refused the session.  A connection that failed
	 * ("Connection refused", "Connection timed out") never reached SMTP,
	 * so it names no command.
	 */
	{"initial connection", "CONN"},
};

#define NCOMMAND_PHRASES (sizeof(command_phrases) / sizeof(command_phrases[0]))

/*
 * Like ci_prefix_n, but a blank in lit matches any run of white space
 * (folded lines and line breaks), so phrases match across lines.
 */
static bool
ci_prefix_ws(const char *p, size_t avail, const char *lit, size_t n)
{
	size_t		i = 0,
				j = 0;

	while (j < n)
	{
		if (lit[j] == ' ')
		{
			if (i >= avail || !is_space(p[i]))
				return false;
			while (i < avail && is_space(p[i]))
				i++;
			j++;
			continue;
		}
		if (i >= avail || lower(p[i]) != lit[j])
			return false;
		i++;
		j++;
	}
	return true;
}

/*
 * Phrases by their first byte (both cases), each list in table order and
 * ended by -1, built once: at each byte of the text only the phrases that
 * start with it are tried.
 */
static int	command_bucket[256][NCOMMAND_PHRASES + 1];
static size_t command_plen[NCOMMAND_PHRASES];
static bool command_ready = false;

static void
command_init(void)
{
	int			fill[256] = {0};
	size_t		k;
	int			b;

	for (k = 0; k < NCOMMAND_PHRASES; k++)
	{
		unsigned char f = (unsigned char) command_phrases[k].phrase[0];
		unsigned char u = (f >= 'a' && f <= 'z') ? f - 32 : f;

		command_plen[k] = strlen(command_phrases[k].phrase);
		command_bucket[f][fill[f]++] = (int) k;
		if (u != f)
			command_bucket[u][fill[u]++] = (int) k;
	}
	for (b = 0; b < 256; b++)
		command_bucket[b][fill[b]] = -1;
	command_ready = true;
}

/*
 * The command of the first phrase of command_phrases found in s, in table
 * order, or NULL.  One pass over s: at each byte that starts a word, try
 * only the phrases that start with it, and keep the one earliest in the
 * table.
 */
static const char *
find_command(Ctx *c, const char *s, size_t n)
{
	size_t		i;
	size_t		ticked = 0;
	size_t		best = NCOMMAND_PHRASES;

	if (s == NULL)
		return NULL;
	if (!command_ready)
		command_init();
	for (i = 0; i < n && best > 0; i++)
	{
		const int  *k = command_bucket[(unsigned char) s[i]];

		dsn_tick_at(c, i, &ticked);
		if (i > 0 && (is_alpha(s[i - 1]) || is_digit(s[i - 1])))
			continue;
		for (; *k >= 0 && (size_t) *k < best; k++)
			if (ci_prefix_ws(s + i, n - i, command_phrases[*k].phrase, command_plen[*k]))
			{
				best = *k;
				break;
			}
	}
	return best < NCOMMAND_PHRASES ? command_phrases[best].command : NULL;
}

/*
 * SMTP commands as a text names them in capitals, in the order of the
 * session (Sisimai 5, Sisimai::SMTP::Command->find): the one latest in the
 * session is the one that failed.  QUIT, AUTH and XFORWARD end the list
 * as commands the classifier gives no meaning to.  A word that is part of
 * a longer word or an address ("DATABASE", "HELO.example") is not one;
 * "MAIL F" and "RCPT T" need the word after them.
 */
static const struct
{
	const char *token;
	const char *command;		/* NULL: a command of no use to the classifier */
}			command_tokens[] = {
	{"HELO", "HELO"}, {"EHLO", "EHLO"}, {"STARTTLS", "STARTTLS"},
	{"AUTH ", NULL}, {"MAIL F", "MAIL"}, {"RCPT T", "RCPT"}, {"RCPT", "RCPT"},
	{"DATA", "DATA"}, {"QUIT", NULL}, {"XFORWARD", NULL}
};

/* Is ch a byte that joins a capitalised word to what is around it? */
static inline bool
joins_word(char ch)
{
	return is_digit(ch) || is_alpha(ch) || ch == '@' || ch == '[' || ch == '\\' ||
		ch == ']' || ch == '^' || ch == '_' || ch == '`' || ch == '{' || ch == '|' ||
		ch == '}' || ch == '~';
}

/*
 * The command named in capitals in s[0..n) that comes latest in the
 * session, or NULL: the last resort when no phrase names it.  Each token
 * is looked for once (its first occurrence, as Sisimai does).
 */
const char *
dsn_command_token(Ctx *c, const char *s, size_t n)
{
	size_t		i;
	int			best = -1;

	if (s == NULL)
		return NULL;
	for (i = 0; i < sizeof(command_tokens) / sizeof(command_tokens[0]); i++)
	{
		const char *t = command_tokens[i].token;
		size_t		tl = strlen(t);
		const char *at = dsn_find_bytes(s, n, t, tl);

		dsn_tick(c, n);
		if (at == NULL)
			continue;
		if (strchr(t, ' ') == NULL &&
			((at > s && joins_word(at[-1])) || (at + tl < s + n && joins_word(at[tl]))))
			continue;
		best = (int) i;
	}
	return best >= 0 ? command_tokens[best].command : NULL;
}

/* ----------------------------------------------------------------
 * SMTP session transcripts
 * ----------------------------------------------------------------
 */

/*
 * Words that start a command line of a transcript, in capitals as the
 * MTAs write them (Sendmail ">>> RCPT To:<...>", Courier ">>> RCPT
 * TO:<...>", Postfix's "In: RCPT TO:<...>").  A line of just "." ends the
 * message: the data phase.  QUIT, RSET and NOOP are not the step that
 * failed.
 */
static const struct
{
	const char *word;
	const char *command;
}			transcript_words[] = {
	{"EHLO", "EHLO"}, {"HELO", "HELO"}, {"LHLO", "EHLO"}, {"STARTTLS", "STARTTLS"},
	{"MAIL", "MAIL"}, {"RCPT", "RCPT"}, {"DATA", "DATA"}, {"BDAT", "BDAT"},
	{"QUIT", NULL}, {"RSET", NULL}, {"NOOP", NULL}
};

/*
 * The content of a transcript line after its markers: an optional label
 * ("Sent", "Received": Trend Micro InterScan; "In:", "Out:": Postfix's
 * notice of an SMTP session) and an arrow (">>>", "<<<"; which way the
 * arrow points differs between MTAs, so the content says what the line
 * is).  Empty when the line is not one of a transcript.
 */
static Str
transcript_line(const char *p, const char *eol)
{
	Str			r = {NULL, 0};
	const char *q = p;
	bool		labelled = false;

	while (q < eol && is_wsp(*q) && q - p < 8)
		q++;
	if (dsn_ci_prefix(q, eol - q, "sent ") || dsn_ci_prefix(q, eol - q, "received "))
	{
		q = memchr(q, ' ', eol - q);
		while (q < eol && is_wsp(*q))
			q++;
	}
	else if (dsn_ci_prefix(q, eol - q, "in:") || dsn_ci_prefix(q, eol - q, "out:"))
	{
		q = (const char *) memchr(q, ':', eol - q) + 1;
		while (q < eol && is_wsp(*q))
			q++;
		labelled = true;
	}
	if (eol - q >= 4 && (memcmp(q, ">>> ", 4) == 0 || memcmp(q, "<<< ", 4) == 0))
	{
		q += 4;
		while (q < eol && is_wsp(*q))
			q++;
	}
	else if (!labelled)
		return r;
	r.p = q;
	r.n = eol - q;
	return r;
}

/*
 * Read the SMTP session transcript in t[0..n), if there is one: the
 * command of the first negative reply (the step that failed) and the last
 * command sent.
 */
void
dsn_read_transcript(Ctx *c, const char *t, size_t n, DsnTranscript *tr)
{
	const char *p = t;
	const char *end = t + n;
	const char *last = NULL;
	size_t		ticked = 0;

	memset(tr, 0, sizeof(*tr));
	while (p < end)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);
		Str			l = transcript_line(p, eol);

		dsn_tick_at(c, next - t, &ticked);
		p = next;
		if (l.n == 0)
			continue;
		if (l.n >= 3 && l.p[0] >= '2' && l.p[0] <= '5' && is_digit(l.p[1]) &&
			is_digit(l.p[2]) && (l.n == 3 || l.p[3] == ' ' || l.p[3] == '-'))
		{
			/* a reply */
			tr->replies = true;
			if ((l.p[0] == '4' || l.p[0] == '5') && tr->first_failed == NULL)
				tr->first_failed = last;
		}
		else if (l.n == 1 && l.p[0] == '.')
			last = tr->last_sent = "DATA";
		else
		{
			size_t		i;

			for (i = 0; i < sizeof(transcript_words) / sizeof(transcript_words[0]); i++)
			{
				size_t		wl = strlen(transcript_words[i].word);

				if (l.n >= wl && memcmp(l.p, transcript_words[i].word, wl) == 0 &&
					(l.n == wl || !is_alpha(l.p[wl])))
				{
					if (transcript_words[i].command != NULL)
						last = tr->last_sent = transcript_words[i].command;
					break;
				}
			}
		}
	}
}

/*
 * The host a DragonFly Mail Agent report names: "mx.example.com
 * [192.0.2.1] did not like our RCPT TO:" (dma, net.c: "%s [%s] did not
 * like our %s:"), or empty.
 */
static Str
dma_remote_host(Ctx *c, const char *s, size_t n)
{
	Str			r = {NULL, 0};
	const char *m = dsn_ci_find_long(c, s, n, "] did not like our ");
	const char *q;
	const char *e;

	if (m == NULL)
		return r;
	q = m;
	while (q > s && q[-1] != '[' && m - q < 48)
		q--;
	if (q == s || q[-1] != '[' || q - 1 == s || q[-2] != ' ')
		return r;
	e = q - 2;
	q = e;
	while (q > s && (is_alpha(q[-1]) || is_digit(q[-1]) || q[-1] == '.' || q[-1] == '-') && e - q < 255)
		q--;
	if (q < e && memchr(q, '.', e - q) != NULL)
	{
		r.p = q;
		r.n = e - q;
	}
	return r;
}

/*
 * The remote host in text such as "host mx.example.com[192.0.2.1] said:"
 * (Postfix) or "host mx.example.com [192.0.2.1]:" (Exim), or DragonFly's
 * "mx.example.com [192.0.2.1] did not like our ...".
 */
static Str
find_remote_host(Ctx *c, const char *s, size_t n)
{
	Str			r = {NULL, 0};
	const char *p = s;
	const char *end = s + n;
	size_t		ticked = 0;

	while (p < end)
	{
		const char *h = dsn_ci_find_long(c, p, end - p, "host ");
		const char *q;
		bool		dot = false;

		if (h == NULL)
			break;
		if (h > s && is_alpha(h[-1]))
		{
			p = h + 5;
			continue;
		}
		q = h + 5;
		p = q;
		while (q < end && (is_alpha(*q) || is_digit(*q) || *q == '.' || *q == '-'))
		{
			dsn_tick_at(c, (size_t) (q - s), &ticked);
			if (*q == '.')
				dot = true;
			q++;
		}
		if (dot && q > p)
		{
			r.p = p;
			r.n = q - p;
			while (r.n > 0 && r.p[r.n - 1] == '.')
				r.n--;
			return r;
		}
	}
	return dma_remote_host(c, s, n);
}

/*
 * Does the row report a success, so that positive reply codes (2yz, 3yz)
 * in its text are its codes too?
 */
bool
dsn_reads_success(const DsnRecipient *r)
{
	return BOUNCE_STATUS_CLASS(r->status) == 2 ||
		(r->action != NULL && (strcmp(r->action, "delivered") == 0 ||
							   strcmp(r->action, "relayed") == 0 ||
							   strcmp(r->action, "expanded") == 0));
}

/*
 * The row's status once a text gave the code found (0: none): the found
 * code when the row has none, or when prefer (a code in the diagnostic is
 * more specific than the Status field), or when it refines the row's
 * generic X.0.0 of the same class.
 */
int32_t
dsn_better_status(int32_t have, int32_t found, bool prefer)
{
	if (have == 0 || (found != 0 && prefer) ||
		(found != 0 && BOUNCE_STATUS_CLASS(found) == BOUNCE_STATUS_CLASS(have) &&
		 BOUNCE_STATUS_SUBJECT(have) == 0 && BOUNCE_STATUS_DETAIL(have) == 0))
		return found;
	return have;
}

/* Fill reply code, status, command and remote MTA from a diagnostic text. */
void
dsn_fill_from_text(Ctx *c, DsnRecipient *r, const char *t, size_t n, bool prefer_text_status)
{
	int			rc;
	int32_t		st;

	if (t == NULL || n == 0)
		return;
	dsn_find_codes(c, t, n, dsn_reads_success(r), &rc, &st);
	if (r->reply_code == 0)
		r->reply_code = rc;
	r->status = dsn_better_status(r->status, st, prefer_text_status);
	if (r->smtp_command == NULL)
		r->smtp_command = find_command(c, t, n);
	if (r->remote_mta == NULL)
	{
		Str			h = find_remote_host(c, t, n);

		if (h.n)
			r->remote_mta = dsn_clean(c, h.p, h.n);
	}
}

/* ----------------------------------------------------------------
 * Addresses and typed values
 * ----------------------------------------------------------------
 */

static inline bool
is_local_char(char ch)
{
	return (unsigned char) ch >= 0x80 || is_alpha(ch) || is_digit(ch) || (ch != '\0' && strchr("!#$%&'*+/=?^_`{|}~.-", ch) != NULL);
}

static inline bool
is_domain_char(char ch)
{
	return (unsigned char) ch >= 0x80 || is_alpha(ch) || is_digit(ch) || ch == '.' || ch == '-';
}

/*
 * The start of an RFC 5321 quoted local part ("john..doe"@example.com,
 * "a b"@example.com) whose closing quote is s[close], or close + 1 when
 * there is none: the opening quote not escaped by a backslash, within 130
 * bytes, on the same line (RFC 5321 allows even "" as a local part, and so
 * does normalize_address()).
 */
static size_t
quoted_local_start(const char *s, size_t close)
{
	size_t		q = close;

	while (q > 0 && close - q < 130)
	{
		size_t		bs = 0;

		q--;
		if (s[q] == '\r' || s[q] == '\n')
			break;
		if (s[q] != '"')
			continue;
		while (q > bs && s[q - bs - 1] == '\\')
			bs++;
		if (bs % 2 == 0)
			return q;
	}
	return close + 1;
}

/*
 * Find the next e-mail address at or after *pos in s[0..n).  Returns false
 * when there is none; otherwise the address is s[*start, *start + *len)
 * and *pos moves past it.  A domain needs a dot ("localhost" addresses are
 * not recipients of a registry's mail).
 */
bool
dsn_next_address(const char *s, size_t n, size_t *pos, size_t *start, size_t *len)
{
	size_t		i = *pos;

	while (i < n)
	{
		const char *at = memchr(s + i, '@', n - i);
		size_t		a,
					l,
					r;
		bool		dot = false;

		if (at == NULL)
			break;
		a = at - s;
		l = a;
		if (a > 0 && s[a - 1] == '"')
			l = quoted_local_start(s, a - 1);
		else
		{
			while (l > 0 && is_local_char(s[l - 1]) && a - l < 128)
				l--;
			while (l < a && s[l] == '.')
				l++;
		}
		r = a + 1;
		while (r < n && is_domain_char(s[r]) && r - a < 256)
		{
			if (s[r] == '.')
				dot = true;
			r++;
		}
		while (r > a + 1 && (s[r - 1] == '.' || s[r - 1] == '-'))
			r--;
		i = a + 1;
		if (l == a || r == a + 1 || !dot)
			continue;
		if (memchr(s + a + 1, '.', r - a - 1) == NULL)
			continue;
		*start = l;
		*len = r - l;
		*pos = r;
		return true;
	}
	*pos = n;
	return false;
}

bool
dsn_addr_equal(const char *a, size_t an, const char *b, size_t bn)
{
	size_t		i;

	if (an != bn)
		return false;
	for (i = 0; i < an; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/* Strip "type;" (RFC 3464 address-type / mta-name-type), <>, and blanks. */
Str
dsn_typed_value(const char *v, size_t n)
{
	Str			s = {v, n};
	const char *semi = memchr(v, ';', n);

	if (semi)
	{
		s.p = semi + 1;
		s.n = n - (semi + 1 - v);
	}
	s = dsn_trim(s);
	if (s.n >= 2 && s.p[0] == '<' && s.p[s.n - 1] == '>')
	{
		s.p++;
		s.n -= 2;
		s = dsn_trim(s);
	}
	return s;
}

/*
 * An MTA name field (Reporting-MTA, Remote-MTA): the typed value without
 * the comments that follow the name ("mx1.example.com (192.0.2.1)",
 * "mx.example.net (Postfix)"): RFC 5322 comments are not part of it.
 */
Str
dsn_mta_name(const char *v, size_t n)
{
	Str			s = dsn_typed_value(v, n);
	const char *paren;

	if (s.n > 0 && s.p[0] != '(' && (paren = memchr(s.p, '(', s.n)) != NULL)
	{
		s.n = paren - s.p;
		s = dsn_trim(s);
	}
	return s;
}

/*
 * The address in a recipient field value, or an empty Str when it is not
 * a usable address ("@mx.example.org", "user@server" without a dot, or an
 * RFC 5321 source route's host list only).
 */
Str
dsn_plain_address(Str v)
{
	size_t		pos = 0,
				st,
				ln;
	Str			none = {NULL, 0};
	const char *colon;

	/* "@relay:user@domain" source route: the mailbox is after the colon */
	if (v.n > 0 && v.p[0] == '@' && (colon = memchr(v.p, ':', v.n)) != NULL)
	{
		v.n -= colon + 1 - v.p;
		v.p = colon + 1;
	}
	if (!dsn_next_address(v.p, v.n, &pos, &st, &ln))
		return none;
	v.p += st;
	v.n = ln;
	return v;
}

/* Is p[0..n) a diagnostic type such as "smtp" or "X-Outbound-Mail-Relay"? */
bool
dsn_is_type_atom(const char *p, size_t n)
{
	Str			t = dsn_trim((Str) {p, n});
	size_t		i;

	if (t.n == 0 || t.n > 40 || !is_alpha(t.p[0]))
		return false;
	for (i = 0; i < t.n; i++)
		if (!is_alpha(t.p[i]) && !is_digit(t.p[i]) && t.p[i] != '-' && t.p[i] != '_')
			return false;
	return true;
}

/* Local parts that are never a bounced recipient: they send the bounce. */
bool
dsn_is_robot(const char *a, size_t n)
{
	return dsn_ci_prefix(a, n, "mailer-daemon@") || dsn_ci_prefix(a, n, "postmaster@") ||
		dsn_ci_prefix(a, n, "mail-daemon@") || dsn_ci_prefix(a, n, "mailer_daemon@");
}

/* Does s hold a word beyond addresses and punctuation? (NULL: no) */
bool
dsn_has_word(Ctx *c, const char *s)
{
	size_t		n,
				pos = 0,
				st,
				ln,
				i,
				prev = 0,
				ticked = 0;

	if (s == NULL)
		return false;
	n = strlen(s);
	/* letters outside the addresses, "(expanded from: <a@b>)" aside */
	while (true)
	{
		bool		more = dsn_next_address(s, n, &pos, &st, &ln);
		size_t		stop = more ? st : n;
		size_t		letters = 0;

		for (i = prev; i < stop; i++)
		{
			dsn_tick_at(c, i, &ticked);
			letters += is_alpha(s[i]);
		}
		if (letters > 0 && !(stop - prev < 40 && dsn_ci_find(s + prev, stop - prev, "expanded from")))
			return true;
		if (!more)
			return false;
		prev = st + ln;
	}
}
