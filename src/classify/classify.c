/*-------------------------------------------------------------------------
 *
 * classify.c
 *		The classifier's decision procedure, in pure C.
 *
 * Input: diagnostic text, reply code, enhanced status, SMTP command and
 * remote host (each optional).  Output: a reason, the codes used, and which
 * rule decided.  The rules themselves are data (classify_rules.c); this
 * file only says in which order the layers are consulted:
 *
 *	1. a 2.x.x status (or a 2xx reply with no failure status): delivered;
 *	2. text rules, scanned once with the Aho-Corasick matcher (a gap
 *	   rule's two parts are two patterns, matched when they occur in order
 *	   close enough); the first rule in table order whose conditions
 *	   (status prefix, command, provider of the remote host) hold wins;
 *	   then, for a generic (not provider-scoped) rule, Sisimai 5's order:
 *	   a status of a reason it tries before the text's decides (X.2.2
 *	   mailboxfull, ...); a user-unknown text means an unknown user only
 *	   at RCPT or with an address status, the sender at MAIL (rejected),
 *	   and a filter's refusal otherwise (filtered), unless it comes from
 *	   a mail system's own table and no command is known;
 *	3. the status code table (provider-specific rows first);  a "weak" row
 *	   (X.0.0-like catch-alls) gives way to the command;
 *	4. the SMTP command alone: CONN/HELO/EHLO -> blocked, MAIL -> rejected;
 *	5. the reply code table (RFC 5321);
 *	6. an unexplained 4xx / 4.x.x: the bounce is a give-up -> expired;
 *	7. unrecognised text -> onhold; nothing at all -> undefined.
 *
 * No PostgreSQL dependency: linked into the libFuzzer target too.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
#include "classify/matcher.h"
#include "status/status.h"

/* Codes are looked for in the first this many bytes of the text. */
#define CODE_SCAN_LIMIT	4096

static BounceMatcher matcher;
static bool matcher_ready = false;

/* Parsed status rules: class (0 = 4 or 5), subject, detail. */
typedef struct ParsedCode
{
	int			cls;
	int			subject;
	int			detail;
} ParsedCode;

static ParsedCode *parsed_status;	/* bounce_status_rules_count entries */
static int *parsed_reply;			/* bounce_reply_rules_count entries */

/*
 * Gap rules ("user * was not found"): the automaton holds the part before
 * the "*" under the rule's own number and the part after it under number
 * bounce_text_rules_count + k, for the k-th gap rule.
 */
static int ngaps;
static int *gap_of_rule;		/* per rule: k, or -1 for a plain rule */
static int gap_rule[BOUNCE_GAP_RULES_MAX];	/* k -> rule */
static size_t gap_tail_len[BOUNCE_GAP_RULES_MAX];	/* length of the part after "*" */

static inline char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Build the matcher and parse the code tables, once per process.  Returns
 * false when out of memory (the caller reports it).
 */
bool
bounce_classifier_init(void)
{
	static const char *patterns[4096 + BOUNCE_GAP_RULES_MAX];
	int			i;

	if (matcher_ready)
		return true;
	if (bounce_text_rules_count > 4096)
		return false;
	gap_of_rule = malloc(sizeof(int) * bounce_text_rules_count);
	if (!gap_of_rule)
		return false;
	ngaps = 0;
	for (i = 0; i < bounce_text_rules_count; i++)
	{
		const char *pat = bounce_text_rules[i].pattern;
		const char *star = strchr(pat, '*');
		char	   *head;

		gap_of_rule[i] = -1;
		patterns[i] = pat;
		if (star == NULL)
			continue;
		/* a broken table (two stars, an empty part, too many): tests catch it */
		if (ngaps == BOUNCE_GAP_RULES_MAX || star == pat || star[1] == '\0' ||
			strchr(star + 1, '*') != NULL)
			goto oom;
		head = malloc(star - pat + 1);
		if (!head)
			goto oom;
		memcpy(head, pat, star - pat);
		head[star - pat] = '\0';
		patterns[i] = head;
		patterns[bounce_text_rules_count + ngaps] = star + 1;
		gap_rule[ngaps] = i;
		gap_tail_len[ngaps] = strlen(star + 1);
		gap_of_rule[i] = ngaps++;
	}

	parsed_status = malloc(sizeof(ParsedCode) * bounce_status_rules_count);
	parsed_reply = malloc(sizeof(int) * bounce_reply_rules_count);
	if (!parsed_status || !parsed_reply)
		goto oom;

	for (i = 0; i < bounce_status_rules_count; i++)
	{
		const char *c = bounce_status_rules[i].code;
		int			k,
					s,
					d;

		k = (c[0] == 'X') ? 0 : c[0] - '0';
		if (sscanf(c + 2, "%d.%d", &s, &d) != 2)
			goto oom;			/* a broken table; tests catch it */
		parsed_status[i].cls = k;
		parsed_status[i].subject = s;
		parsed_status[i].detail = d;
	}
	for (i = 0; i < bounce_reply_rules_count; i++)
		parsed_reply[i] = atoi(bounce_reply_rules[i].code);

	if (!bounce_matcher_build(&matcher, patterns, bounce_text_rules_count + ngaps))
		goto oom;
	matcher_ready = true;
	return true;

oom:
	for (i = 0; i < ngaps; i++)
		free((char *) patterns[gap_rule[i]]);
	ngaps = 0;
	free(gap_of_rule);
	free(parsed_status);
	free(parsed_reply);
	gap_of_rule = NULL;
	parsed_status = NULL;
	parsed_reply = NULL;
	return false;
}

/*
 * Find the reply code and the enhanced status code written in the text, as
 * MTAs write them: "550 5.1.1 ...", "550-5.1.1", "#5.1.1", "smtp; 554
 * 5.7.1", "(#4.4.1)".  A reply code is three digits, valid per RFC 5321,
 * standing alone (not part of a longer number, an IP address or a word); a
 * status is class.subject.detail standing alone (so "4.16.55.1" and
 * "192.0.2.1" are not).  The first failure code (4xx/5xx, 4.x.x/5.x.x)
 * wins; a success code counts only when the text has no failure code, so
 * that an SMTP transcript ("250 2.1.0 Sender OK ... 550 5.1.1 ...") is not
 * read as a delivery.  Leaves a field untouched when nothing is found.
 */
void
bounce_extract_codes(const char *text, size_t len, int *reply_code, int32_t *status)
{
	size_t		i;
	bool		want_reply = (*reply_code == 0);
	bool		want_status = (*status < 0);
	int			ok_reply = 0;	/* first 2xx/3xx, used only if no failure */
	int32_t		ok_status = -1;
	int			fail_reply = 0;
	int32_t		fail_status = -1;

	if (len > CODE_SCAN_LIMIT)
		len = CODE_SCAN_LIMIT;
	for (i = 0; i < len && ((want_reply && fail_reply == 0) || (want_status && fail_status < 0)); i++)
	{
		size_t		j;
		size_t		tend;
		size_t		ndig;

		if (!is_digit(text[i]))
			continue;

		/*
		 * A token must start at a boundary.  '-' is one only in a
		 * multi-line reply ("550-5.1.1"), i.e. right after a reply code.
		 */
		if (i > 0 && (is_alnum(text[i - 1]) || text[i - 1] == '.' ||
					  (text[i - 1] == '-' &&
					   !(i >= 4 && is_digit(text[i - 2]) && is_digit(text[i - 3]) &&
						 is_digit(text[i - 4]) && (i == 4 || !is_alnum(text[i - 5])))) ||
					  text[i - 1] == '_' ||
					  text[i - 1] == '/' || (unsigned char) text[i - 1] >= 0x80))
		{
			/* skip the rest of this digit run */
			while (i + 1 < len && is_digit(text[i + 1]))
				i++;
			continue;
		}
		/* the maximal token of digits and dots; a trailing dot ends a sentence */
		j = i;
		while (j < len && (is_digit(text[j]) || text[j] == '.'))
			j++;
		tend = j;
		while (tend > i && text[tend - 1] == '.')
			tend--;
		if (j < len && (is_alnum(text[j]) || (unsigned char) text[j] >= 0x80 ||
						text[j] == '_'))
		{
			i = j;
			continue;
		}
		ndig = 0;
		while (i + ndig < tend && is_digit(text[i + ndig]))
			ndig++;
		if (i + ndig == tend)
		{
			/* a plain number: a reply code if it has three digits and is valid */
			if (ndig == 3)
			{
				int			v = (text[i] - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');

				if (bounce_reply_code_valid(v))
				{
					if (v >= 400 && fail_reply == 0)
						fail_reply = v;
					else if (v < 400 && ok_reply == 0)
						ok_reply = v;
				}
			}
		}
		else
		{
			int32_t		v;

			if (bounce_status_parse(text + i, tend - i, &v) == BSE_OK)
			{
				if (BOUNCE_STATUS_CLASS(v) != 2 && fail_status < 0)
					fail_status = v;
				else if (BOUNCE_STATUS_CLASS(v) == 2 && ok_status < 0)
					ok_status = v;
			}
		}
		i = j;
	}
	if (want_reply)
		*reply_code = fail_reply ? fail_reply : ok_reply;
	if (want_status)
		*status = fail_status >= 0 ? fail_status : ok_status;
}

/* "RCPT", "rcpt to", "MAIL FROM", "EHLO" ... -> command; else BC_OTHER. */
BounceCommand
bounce_parse_command(const char *s, size_t len)
{
	char		w[8];
	size_t		i = 0,
				n = 0;

	if (s == NULL)
		return BC_ANY;
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	if (i == len)
		return BC_ANY;
	while (i < len && n < sizeof(w) - 1 && is_alnum(s[i]))
		w[n++] = lower(s[i++]);
	w[n] = '\0';
	if (i < len && is_alnum(s[i]))
		return BC_OTHER;
	if (strcmp(w, "conn") == 0 || strcmp(w, "connect") == 0)
		return BC_CONN;
	if (strcmp(w, "helo") == 0 || strcmp(w, "ehlo") == 0 || strcmp(w, "lhlo") == 0)
		return BC_HELO;
	if (strcmp(w, "mail") == 0)
		return BC_MAIL;
	if (strcmp(w, "rcpt") == 0)
		return BC_RCPT;
	if (strcmp(w, "data") == 0 || strcmp(w, "bdat") == 0)
		return BC_DATA;
	return BC_OTHER;
}

/* Case-insensitive: does hay[0..hlen) contain the lower-case needle? */
static bool
contains_ci(const char *hay, size_t hlen, const char *needle)
{
	size_t		nlen = strlen(needle);
	size_t		i,
				k;

	if (nlen == 0 || nlen > hlen)
		return nlen == 0;
	for (i = 0; i + nlen <= hlen; i++)
	{
		for (k = 0; k < nlen; k++)
			if (lower(hay[i + k]) != needle[k])
				break;
		if (k == nlen)
			return true;
	}
	return false;
}

/*
 * The system of a name the DSN parser gives (DsnResult.mta: "domino",
 * "exchange2003", ...), or BM_NONE when it is none with rows of its own
 * here (or NULL).
 */
BounceMta
bounce_mta_of_name(const char *name)
{
	static const struct
	{
		const char *name;
		BounceMta	mta;
	}			names[] = {
		{"domino", BM_DOMINO}, {"exchange2003", BM_EXCHANGE2003}, {"gmail", BM_GMAIL},
		{"imailserver", BM_IMAILSERVER}, {"interscanmss", BM_INTERSCANMSS},
		{"mcafee", BM_MCAFEE}, {"qmail", BM_QMAIL}
	};
	size_t		i;

	if (name == NULL)
		return BM_NONE;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].mta;
	/* a known system without rows of its own: no row is its verdict */
	return BM_OTHER;
}

/* Which provider runs this remote host (first match in the table). */
BounceProvider
bounce_provider_of_host(const char *host, size_t len)
{
	int			i;

	if (host == NULL || len == 0)
		return BP_ANY;
	if (len > 255)
		len = 255;				/* no host name is longer */
	for (i = 0; i < bounce_provider_hosts_count; i++)
		if (contains_ci(host, len, bounce_provider_hosts[i].host_part))
			return bounce_provider_hosts[i].provider;
	return BP_ANY;
}

/*
 * Does the packed status start with the rule's prefix ("5.4.1", "5.7.",
 * "4.")?  A prefix "X.s.d" leaves the class open: 4 or 5.  A trailing "*"
 * stands for more digits of the detail ("5.7.9*": 5.7.9, 5.7.900-999), for
 * the ranges a provider documents (Microsoft's 5.7.900-999).
 */
static bool
status_has_prefix(int32_t status, const char *prefix)
{
	char		buf[BOUNCE_STATUS_BUFLEN];
	size_t		n = strlen(prefix);
	size_t		from = 0;
	bool		open_end;
	int			len;

	if (status < 0)
		return false;
	len = bounce_status_format(status, buf, sizeof(buf));
	if (prefix[0] == 'X')
	{
		if (buf[0] != '4' && buf[0] != '5')
			return false;
		from = 1;
	}
	open_end = (prefix[n - 1] == '*');
	if (open_end)
		n--;
	if ((size_t) len < n || memcmp(buf + from, prefix + from, n - from) != 0)
		return false;
	/* "5.4.1" must not accept 5.4.10: a full code matches exactly */
	return open_end || prefix[n - 1] == '.' || (size_t) len == n;
}

typedef struct ScanState
{
	int			best;
	/* per gap rule: the end of the first and of the last part before "*" */
	int64_t		gap_first[BOUNCE_GAP_RULES_MAX];
	int64_t		gap_last[BOUNCE_GAP_RULES_MAX];
	int32_t		status;
	BounceCommand command;
	BounceClassification *out;
	const BounceClassifyInput *in;
	bool		provider_known;
} ScanState;

/*
 * The provider of the remote host, looked up only when a rule asks for it
 * (most rows never need it).
 */
static BounceProvider
provider_of(ScanState *st)
{
	if (!st->provider_known)
	{
		st->out->provider = bounce_provider_of_host(st->in->host, st->in->host_len);
		st->provider_known = true;
	}
	return st->out->provider;
}

/* Does a head that ended at head_end leave a gap before start? */
static inline bool
gap_fits(int64_t head_end, int64_t start)
{
	return head_end >= 0 && head_end < start && start - head_end <= BOUNCE_GAP_MAX;
}

/*
 * Matcher callback: keep the lowest-numbered rule whose conditions hold.
 * The head of a gap rule only records where it ended; its tail matches
 * the rule when a head ended far enough before the tail began.
 */
static void
on_match(int id, size_t end, void *arg)
{
	ScanState  *st = (ScanState *) arg;
	const BounceTextRule *r;
	int			rule = id;

	if (id >= bounce_text_rules_count)
	{
		int			k = id - bounce_text_rules_count;
		int64_t		start = (int64_t) end - (int64_t) gap_tail_len[k];

		if (!gap_fits(st->gap_first[k], start) && !gap_fits(st->gap_last[k], start))
			return;
		rule = gap_rule[k];
	}
	else if (gap_of_rule[id] >= 0)
	{
		int			k = gap_of_rule[id];

		if (st->gap_first[k] < 0 || (int64_t) end - st->gap_first[k] > BOUNCE_GAP_MAX)
			st->gap_first[k] = (int64_t) end;
		st->gap_last[k] = (int64_t) end;
		return;
	}
	if (st->best >= 0 && rule >= st->best)
		return;
	r = &bounce_text_rules[rule];
	if (r->command != BC_ANY && r->command != st->command)
		return;
	if (r->provider != BP_ANY && r->provider != provider_of(st))
		return;
	if (r->status != NULL && !status_has_prefix(st->status, r->status))
		return;
	st->best = rule;
}

/* The status rule for this code and provider, or -1. */
static int
lookup_status(int32_t status, BounceProvider provider)
{
	int			c = BOUNCE_STATUS_CLASS(status);
	int			s = BOUNCE_STATUS_SUBJECT(status);
	int			d = BOUNCE_STATUS_DETAIL(status);
	int			pass;
	int			i;

	/* provider-specific rows first, then the general ones */
	for (pass = 0; pass < 2; pass++)
	{
		for (i = 0; i < bounce_status_rules_count; i++)
		{
			const ParsedCode *p = &parsed_status[i];
			BounceProvider rp = bounce_status_rules[i].provider;

			if (pass == 0 ? (rp == BP_ANY || rp != provider) : rp != BP_ANY)
				continue;
			if (p->subject == s && p->detail == d && (p->cls == 0 || p->cls == c))
				return i;
		}
	}
	return -1;
}

static int
lookup_reply(int code, BounceProvider provider)
{
	int			pass;
	int			i;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < bounce_reply_rules_count; i++)
		{
			BounceProvider rp = bounce_reply_rules[i].provider;

			if (pass == 0 ? (rp == BP_ANY || rp != provider) : rp != BP_ANY)
				continue;
			if (parsed_reply[i] == code)
				return i;
		}
	return -1;
}

/* The interrupt hook of the input, if any. */
static inline void
tick(const BounceClassifyInput *in)
{
	if (in->interrupt != NULL)
		in->interrupt(in->interrupt_arg);
}

static bool
text_is_blank(const BounceClassifyInput *in)
{
	size_t		i;

	if (in->text == NULL)
		return true;
	for (i = 0; i < in->len; i++)
	{
		char		ch = in->text[i];

		if (i > 0 && i % BOUNCE_CLASSIFY_INTERRUPT_SPAN == 0)
			tick(in);
		if (!(ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' ||
			  ch == '\f' || ch == '\v'))
			return false;
	}
	return true;
}

/*
 * Sisimai 5 tries its reasons in a fixed order, each on the status code
 * first and then on the text (Sisimai::Reason, ClassOrder; each module's
 * true()).  The first three it tries by their codes are mailboxfull
 * (X.2.2), emailtoolarge (X.2.3, X.3.4, X.7.16) and, after suspend,
 * hasmoved and norelaying, authfailure (X.7.20-24, X.7.26, X.7.29).  So
 * such a status beats any text of a reason tried later: "552 5.2.2 ...
 * user unknown" is a full mailbox.  Called after a generic text rule has
 * matched; when the status wins, out is rewritten to the status rule.
 */
static bool
status_goes_first(BounceClassification *out)
{
	static const BounceReason order[] = {
		BR_MAILBOXFULL, BR_EMAILTOOLARGE, BR_SUSPEND, BR_HASMOVED,
		BR_NORELAYING, BR_AUTHFAILURE
	};
	BounceReason sr;
	int			r;
	int			i;

	if (out->status < 0 || out->reason == BR_FEEDBACK || out->reason == BR_VACATION)
		return false;
	r = lookup_status(out->status, BP_ANY);
	if (r < 0)
		return false;
	sr = bounce_status_rules[r].reason;
	if (sr != BR_MAILBOXFULL && sr != BR_EMAILTOOLARGE && sr != BR_AUTHFAILURE)
		return false;
	for (i = 0; i < (int) (sizeof(order) / sizeof(order[0])); i++)
	{
		if (order[i] == out->reason)
			return false;		/* the text's reason is tried first */
		if (order[i] == sr)
			break;
	}
	out->kind = BK_STATUS;
	out->rule = r;
	out->reason = sr;
	return true;
}

/*
 * A user-unknown text, refused other than at RCPT, read in context as
 * Sisimai 5 does (Sisimai::Reason::UserUnknown and ::Filtered, true()):
 * the text means an unknown user only with an address status (5.1.0,
 * 5.1.1, 5.1.3) or at RCPT.  Refused at MAIL FROM, the unknown user is
 * the sender (rejected).  Otherwise -- at DATA, or with no command at all
 * -- the mailbox exists as far as the envelope went, and a filter refused
 * the message (filtered).  A text from one mail system's own table (mta)
 * is that system's verdict when no command is known.  A refusal at
 * CONN/HELO keeps the text's reason.
 */
static void
adjust_user_unknown(BounceClassification *out, bool mta)
{
	int			subj = out->status >= 0 ? BOUNCE_STATUS_SUBJECT(out->status) : -1;
	int			detail = out->status >= 0 ? BOUNCE_STATUS_DETAIL(out->status) : -1;

	if (out->command == BC_MAIL)
	{
		/* refused at MAIL FROM: the unknown user is the sender */
		out->reason = BR_REJECTED;
		out->adjust = BA_SENDER_AT_MAIL;
		return;
	}
	if (out->command == BC_CONN || out->command == BC_HELO)
		return;
	if (subj == 1 && (detail == 0 || detail == 1 || detail == 3) &&
		BOUNCE_STATUS_CLASS(out->status) == 5)
		return;					/* an address status confirms the text */
	if (out->command == BC_DATA)
	{
		out->reason = BR_FILTERED;
		out->adjust = BA_FILTERED_AFTER_DATA;
		return;
	}
	if (mta && out->command == BC_ANY)
		return;
	out->reason = BR_FILTERED;
	out->adjust = BA_FILTERED_BY_STATUS;
}

/*
 * Is the rule a text of the very system that wrote the report?  Then it
 * is that system's verdict, whatever the command: Sisimai 5 takes the
 * reason an MTA module sets from its own table (Sisimai::Fact, reason).
 */
static inline bool
own_verdict(const BounceTextRule *r, BounceMta mta)
{
	return mta != BM_NONE && r->mta != BM_NONE && r->mta != BM_ANY && r->mta == mta;
}

/*
 * Is the rule a text from a mail system's own table, as far as this
 * report goes: a table tied to no one reporting system, or, when the
 * system that wrote the report is not known, any system's.  A row of
 * another system's table, in a report of a known system, is a reply like
 * any other.
 */
static inline bool
from_a_table(const BounceTextRule *r, BounceMta mta)
{
	return r->mta == BM_ANY || (r->mta != BM_NONE && (mta == BM_NONE || r->mta == mta));
}

/*
 * Classify.  bounce_classifier_init() must have succeeded.  Never fails:
 * every input gets a reason.
 */
void
bounce_classify(const BounceClassifyInput *in, BounceClassification *out)
{
	ScanState	st;
	int			r;
	int			cls;
	bool		blank = text_is_blank(in);

	memset(out, 0, sizeof(*out));
	out->reply_code = in->reply_code;
	out->status = in->status;
	out->rule = -1;
	if (!blank && (out->reply_code == 0 || out->status < 0))
		bounce_extract_codes(in->text, in->len, &out->reply_code, &out->status);
	out->command = bounce_parse_command(in->command, in->command_len);
	st.out = out;
	st.in = in;
	st.provider_known = false;

	/* 1. delivered */
	if ((out->status >= 0 && BOUNCE_STATUS_CLASS(out->status) == 2) ||
		(out->status < 0 && out->reply_code >= 200 && out->reply_code < 300))
	{
		out->reason = BR_DELIVERED;
		out->kind = BK_DELIVERED;
		return;
	}

	/* 2. text rules */
	if (!blank)
	{
		st.best = -1;
		for (r = 0; r < ngaps; r++)
			st.gap_first[r] = st.gap_last[r] = -1;
		st.status = out->status;
		st.command = out->command;
		bounce_matcher_scan(&matcher, in->text, in->len, on_match, &st,
							in->interrupt, in->interrupt_arg,
							BOUNCE_CLASSIFY_INTERRUPT_SPAN);
		if (st.best >= 0)
		{
			out->kind = BK_TEXT;
			out->rule = st.best;
			out->reason = bounce_text_rules[st.best].reason;
			/*
			 * Context adjusts generic texts only: a provider-scoped rule is
			 * that provider's documented meaning, whatever the command.
			 */
			if (bounce_text_rules[st.best].provider == BP_ANY &&
				status_goes_first(out))
				;				/* the status has decided */
			else if (out->reason == BR_USERUNKNOWN && out->command != BC_RCPT &&
					 bounce_text_rules[st.best].provider == BP_ANY &&
					 !own_verdict(&bounce_text_rules[st.best], in->mta))
				adjust_user_unknown(out, from_a_table(&bounce_text_rules[st.best], in->mta));
			return;
		}
	}

	/* 3. status table */
	if (out->status >= 0)
	{
		r = lookup_status(out->status, provider_of(&st));
		if (r >= 0 && !(bounce_status_rules[r].weak &&
						(out->command == BC_CONN || out->command == BC_HELO ||
						 out->command == BC_MAIL)))
		{
			out->kind = BK_STATUS;
			out->rule = r;
			out->reason = bounce_status_rules[r].reason;
			return;
		}
	}

	/* 4. the command alone */
	if (out->command == BC_CONN || out->command == BC_HELO)
	{
		out->kind = BK_COMMAND;
		out->reason = BR_BLOCKED;
		return;
	}
	if (out->command == BC_MAIL)
	{
		out->kind = BK_COMMAND;
		out->reason = BR_REJECTED;
		return;
	}

	/* 5. reply code table */
	if (out->reply_code != 0)
	{
		r = lookup_reply(out->reply_code, provider_of(&st));
		if (r >= 0)
		{
			out->kind = BK_REPLY;
			out->rule = r;
			out->reason = bounce_reply_rules[r].reason;
			return;
		}
	}

	/* 6. a transient failure nobody explained: the sender gave up */
	cls = out->status >= 0 ? BOUNCE_STATUS_CLASS(out->status) :
		(out->reply_code ? out->reply_code / 100 : 0);
	if (cls == 4)
	{
		out->kind = BK_CLASS4;
		out->reason = BR_EXPIRED;
		return;
	}

	/* 7. */
	if (!blank)
	{
		out->kind = BK_UNMATCHED;
		out->reason = BR_ONHOLD;
		return;
	}
	out->kind = BK_NONE;
	out->reason = BR_UNDEFINED;
}

/*
 * Sisimai's hard flag: 1 hard, 0 soft, -1 not a bounce (NULL).  permanent
 * is 1, 0, or -1 when unknown.
 */
int
bounce_hard(BounceReason reason, int permanent)
{
	switch (bounce_reasons[reason].hardness)
	{
		case BH_HARD:
			return 1;
		case BH_HARD_IF_PERMANENT:
			return permanent == 0 ? 0 : 1;
		case BH_NOT_BOUNCE:
			return -1;
		default:
			return 0;
	}
}

/*
 * The SMTP verdict: 1 permanent (5.x.x / 5xx), 0 not, -1 unknown.  The
 * enhanced status code wins over the basic reply code when both are given
 * (it is the more specific of the two, RFC 3463 section 2).
 */
int
bounce_permanent(int reply_code, int32_t status)
{
	if (status >= 0)
		return BOUNCE_STATUS_CLASS(status) == 5;
	if (reply_code > 0)
		return reply_code / 100 == 5;
	return -1;
}

static const char *const command_names[] = {
	"", "CONN", "HELO/EHLO", "MAIL", "RCPT", "DATA", "other"
};

/* A one-line human-readable name of the rule that decided. */
int
bounce_describe_rule(const BounceClassification *c, char *buf, size_t buflen)
{
	int			n = 0;
	char		code[BOUNCE_STATUS_BUFLEN];

	switch (c->kind)
	{
		case BK_TEXT:
			{
				const BounceTextRule *r = &bounce_text_rules[c->rule];

				n = snprintf(buf, buflen, "text \"%s\"", r->pattern);
				if (r->status)
					n += snprintf(buf + n, buflen > (size_t) n ? buflen - n : 0,
								  " + status %s", r->status);
				if (r->command != BC_ANY)
					n += snprintf(buf + n, buflen > (size_t) n ? buflen - n : 0,
								  " + command %s", command_names[r->command]);
				if (r->provider != BP_ANY)
					n += snprintf(buf + n, buflen > (size_t) n ? buflen - n : 0,
								  " + host of %s", bounce_provider_names[r->provider]);
				if (c->adjust == BA_FILTERED_AFTER_DATA)
					n += snprintf(buf + n, buflen > (size_t) n ? buflen - n : 0,
								  "; refused at DATA: filtered");
				else if (c->adjust == BA_SENDER_AT_MAIL)
					n += snprintf(buf + n, buflen > (size_t) n ? buflen - n : 0,
								  "; refused at MAIL: the sender, rejected");
				else if (c->adjust == BA_FILTERED_BY_STATUS)
					n += snprintf(buf + n, buflen > (size_t) n ? buflen - n : 0,
								  "; not at RCPT and no address status: filtered");
				break;
			}
		case BK_STATUS:
			{
				const BounceCodeRule *r = &bounce_status_rules[c->rule];

				bounce_status_format(c->status, code, sizeof(code));
				n = snprintf(buf, buflen, "status %s", r->code);
				if (r->provider != BP_ANY)
					n += snprintf(buf + n, buflen > (size_t) n ? buflen - n : 0,
								  " at %s", bounce_provider_names[r->provider]);
				break;
			}
		case BK_REPLY:
			{
				const BounceCodeRule *r = &bounce_reply_rules[c->rule];

				n = snprintf(buf, buflen, "reply code %s", r->code);
				if (r->provider != BP_ANY)
					n += snprintf(buf + n, buflen > (size_t) n ? buflen - n : 0,
								  " at %s", bounce_provider_names[r->provider]);
				break;
			}
		case BK_COMMAND:
			n = snprintf(buf, buflen, "refused at %s", command_names[c->command]);
			break;
		case BK_DELIVERED:
			n = snprintf(buf, buflen, "success code");
			break;
		case BK_CLASS4:
			n = snprintf(buf, buflen, "transient code, not otherwise explained");
			break;
		case BK_UNMATCHED:
			n = snprintf(buf, buflen, "text matched no rule");
			break;
		default:
			n = snprintf(buf, buflen, "nothing to go on");
			break;
	}
	return n;
}

/* Where the deciding rule comes from. */
const char *
bounce_rule_source(const BounceClassification *c)
{
	switch (c->kind)
	{
		case BK_TEXT:
			return bounce_text_rules[c->rule].source;
		case BK_STATUS:
			return bounce_status_rules[c->rule].source;
		case BK_REPLY:
			return bounce_reply_rules[c->rule].source;
		case BK_COMMAND:
			return "Sisimai semantics: refusal before RCPT (CONN/HELO: blocked client; MAIL: rejected sender)";
		case BK_DELIVERED:
			return "RFC 3463 section 3.1 (class 2, success); RFC 5321 section 4.2.1 (2yz)";
		case BK_CLASS4:
			return "RFC 3463 section 3.2 (class 4, persistent transient failure): a bounce after retries means delivery time expired";
		case BK_UNMATCHED:
			return "Sisimai semantics: a diagnostic no rule explains is on hold";
		default:
			return "no input";
	}
}
