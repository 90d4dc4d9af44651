/*
 * fuzz_classify.c -- libFuzzer target for the classifier's pure-C core:
 * code extraction, the Aho-Corasick scan and the decision procedure.
 *
 * SOURCES: src/classify/classify.c src/classify/classify_rules.c src/classify/matcher.c src/status/status.c src/status/status_codes.c
 *
 * The input is split at the first two NUL bytes into diagnostic text,
 * command and remote host, and its first byte picks explicit codes and
 * the reporting system (which parse_dsn passes), so every argument is
 * fuzzed.  Properties checked beyond "no crash, no
 * sanitizer report, no out-of-bounds read" (inputs are copied into
 * exactly-sized heap buffers without terminators):
 *	- the reason is a valid enum value, and the rule index is in range;
 *	- codes used are valid (reply code per RFC 5321, status per RFC 3463);
 *	- explicit codes are returned unchanged (explicit arguments win);
 *	- classification is deterministic;
 *	- when a text rule decided, its pattern really occurs in the text
 *	  (a gap rule's two parts, in order; checked against a naive
 *	  reference search over the case-folded,
 *	  blank-collapsed text: this checks the automaton, including the
 *	  verification of patterns with non-ASCII bytes);
 *	- the rule description fits and names the layer;
 *	- differential: the matcher, built on the rules' patterns (a gap rule
 *	  as its two parts), reports exactly the occurrences a naive search of
 *	  every pattern at every offset of the case-folded, blank-collapsed
 *	  text finds, each at the right end offset, in order of end.
 */
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
#include "classify/matcher.h"
#include "status/status.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
dup_exact(const uint8_t *p, size_t n)
{
	char	   *c = malloc(n ? n : 1);

	memcpy(c, p, n);
	return c;
}

/* The text as the matcher sees it: ASCII folded, blank runs as one space. */
static size_t
normalise(const char *t, size_t n, char *out)
{
	size_t		i,
				k = 0;
	bool		prev_blank = true;

	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) t[i];
		bool		blank = (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v');

		if (blank && prev_blank)
			continue;
		prev_blank = blank;
		out[k++] = blank ? ' ' : (c >= 'A' && c <= 'Z') ? c + 32 : (char) c;
	}
	return k;
}

/*
 * The text as the matcher sees it, and for each of its bytes the offset in
 * the text of the byte it stands for (a blank run: its first blank).
 */
static size_t
normalise_map(const char *t, size_t n, char *out, size_t *at)
{
	size_t		i,
				k = 0;
	bool		prev_blank = true;

	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) t[i];
		bool		blank = (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v');

		if (blank && prev_blank)
			continue;
		prev_blank = blank;
		at[k] = i;
		out[k++] = blank ? ' ' : (c >= 'A' && c <= 'Z') ? c + 32 : (char) c;
	}
	return k;
}

/* The matcher under test, on the classifier's patterns. */
static BounceMatcher dmatcher;
static const char *dpatterns[8192];
static int	ndpatterns;
static int	dfirst[65537];		/* patterns by their first two bytes: bucket starts */
static int	dorder[8192];
static int	dshort[257];		/* one-byte patterns by their byte */
static int	dshort_order[8192];

typedef struct Hit
{
	int			pattern;
	size_t		end;
} Hit;

typedef struct Hits
{
	Hit		   *hit;
	size_t		n,
				cap;
	bool		ordered;		/* ends never decrease */
} Hits;

static void
collect(int pattern, size_t end, void *arg)
{
	Hits	   *h = (Hits *) arg;

	if (h->n > 0 && end < h->hit[h->n - 1].end)
		h->ordered = false;
	if (h->n == h->cap)
	{
		h->cap = h->cap ? 2 * h->cap : 64;
		h->hit = realloc(h->hit, h->cap * sizeof(Hit));
	}
	h->hit[h->n].pattern = pattern;
	h->hit[h->n++].end = end;
}

static int
hit_cmp(const void *a, const void *b)
{
	const Hit  *x = a,
			   *y = b;

	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return (x->pattern > y->pattern) - (x->pattern < y->pattern);
}

static void
differential_init(void)
{
	int			i,
				c;

	for (i = 0; i < bounce_text_rules_count && ndpatterns < 8190; i++)
	{
		const char *p = bounce_text_rules[i].pattern;
		const char *star = strchr(p, '*');

		if (star)
		{
			dpatterns[ndpatterns++] = strndup(p, star - p);
			dpatterns[ndpatterns++] = star + 1;
		}
		else
			dpatterns[ndpatterns++] = p;
	}
	if (!bounce_matcher_build(&dmatcher, dpatterns, ndpatterns))
		abort();
	/* buckets by counting: dfirst[b] .. dfirst[b + 1] */
	for (i = 0; i < ndpatterns; i++)
	{
		const unsigned char *p = (const unsigned char *) dpatterns[i];

		if (p[0] && p[1])
			dfirst[(p[0] << 8 | p[1]) + 1]++;
		else if (p[0])
			dshort[p[0] + 1]++;
	}
	for (c = 0; c < 65536; c++)
		dfirst[c + 1] += dfirst[c];
	for (c = 0; c < 256; c++)
		dshort[c + 1] += dshort[c];
	{
		static int	fill[65536],
					sfill[256];

		for (i = 0; i < ndpatterns; i++)
		{
			const unsigned char *p = (const unsigned char *) dpatterns[i];

			if (p[0] && p[1])
			{
				c = p[0] << 8 | p[1];
				dorder[dfirst[c] + fill[c]++] = i;
			}
			else if (p[0])
				dshort_order[dshort[p[0]] + sfill[p[0]]++] = i;
		}
	}
}

/* The matcher's hits equal the naive search's, as sets, and come in order. */
static void
differential(const char *text, size_t len)
{
	Hits		got = {NULL, 0, 0, true};
	Hits		want = {NULL, 0, 0, true};
	char	   *norm = malloc(len ? len : 1);
	size_t	   *at = malloc((len ? len : 1) * sizeof(size_t));
	size_t		nl = normalise_map(text, len, norm, at);
	size_t		i,
				k;

	bounce_matcher_scan(&dmatcher, text, len, collect, &got, NULL, NULL, 0);
	if (!got.ordered)
		abort();
	for (i = 0; i < nl; i++)
	{
		unsigned char c = (unsigned char) norm[i];
		int			two = i + 1 < nl ? (c << 8 | (unsigned char) norm[i + 1]) : -1;

		/* hits at the same end are compared as a set: order does not matter */
		for (k = dshort[c]; k < (size_t) dshort[c + 1]; k++)
			collect(dshort_order[k], at[i] + 1, &want);
		for (k = two < 0 ? 0 : dfirst[two]; two >= 0 && k < (size_t) dfirst[two + 1]; k++)
		{
			const char *p = dpatterns[dorder[k]];
			size_t		m = strlen(p);

			if (i + m <= nl && memcmp(norm + i, p, m) == 0)
				collect(dorder[k], at[i + m - 1] + 1, &want);
		}
	}
	if (got.n != want.n)
		abort();
	if (got.n > 0)
	{
		qsort(got.hit, got.n, sizeof(Hit), hit_cmp);
		qsort(want.hit, want.n, sizeof(Hit), hit_cmp);
	}
	for (i = 0; i < got.n; i++)
		if (got.hit[i].pattern != want.hit[i].pattern || got.hit[i].end != want.hit[i].end)
			abort();
	free(got.hit);
	free(want.hit);
	free(norm);
	free(at);
}

/* Offset of the first occurrence of needle[0..m) at or after from, or -1. */
static long
find(const char *hay, size_t n, const char *needle, size_t m, size_t from)
{
	size_t		i;

	for (i = from; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return (long) i;
	return -1;
}

/*
 * Does the rule's pattern occur?  A gap rule's ("user * was not found")
 * head must occur, and its tail after the head's first occurrence.
 */
static bool
occurs(const char *hay, size_t n, const char *pattern)
{
	const char *star = strchr(pattern, '*');
	long		head;

	if (star == NULL)
		return find(hay, n, pattern, strlen(pattern), 0) >= 0;
	head = find(hay, n, pattern, star - pattern, 0);
	return head >= 0 && find(hay, n, star + 1, strlen(star + 1), (size_t) head + 1) >= 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int replies[] = {0, 550, 421, 250, 552, 553};
	static const int32_t statuses[] = {-1, 5001001, 4002002, 2000000, 5004001, 5007026};
	BounceClassifyInput in;
	BounceClassification a,
				b;
	const uint8_t *p;
	const uint8_t *end = data + size;
	const uint8_t *z1,
			   *z2;
	char	   *text,
			   *cmd,
			   *host;
	size_t		tl,
				cl,
				hl;
	uint8_t		sel = size ? data[0] : 0;
	char		buf[600];
	int			n;

	if (!bounce_classifier_init())
		abort();
	if (ndpatterns == 0)
		differential_init();
	p = size ? data + 1 : data;
	z1 = memchr(p, 0, end - p);
	z2 = z1 ? memchr(z1 + 1, 0, end - (z1 + 1)) : NULL;
	tl = (z1 ? z1 : end) - p;
	cl = z1 ? (size_t) ((z2 ? z2 : end) - (z1 + 1)) : 0;
	hl = z2 ? (size_t) (end - (z2 + 1)) : 0;
	text = dup_exact(p, tl);
	cmd = dup_exact(z1 ? z1 + 1 : p, cl);
	host = dup_exact(z2 ? z2 + 1 : p, hl);

	memset(&in, 0, sizeof(in));
	in.text = (sel & 0x80) ? NULL : text;
	in.len = (sel & 0x80) ? 0 : tl;
	in.reply_code = replies[(sel & 7) % 6];
	in.status = statuses[((sel >> 3) & 7) % 6];
	in.command = z1 ? cmd : NULL;
	in.command_len = cl;
	in.host = z2 ? host : NULL;
	in.host_len = hl;
	/* the reporting system, as parse_dsn passes it: any of them, or none */
	in.mta = (sel & 0x40) ? (BounceMta) (BM_ANY + 1 + size % (BM_OTHER - BM_ANY)) : BM_NONE;

	differential(text, tl);
	bounce_classify(&in, &a);
	bounce_classify(&in, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	if ((int) a.reason < 0 || a.reason >= BR_COUNT)
		abort();
	if (a.reply_code != 0 && !bounce_reply_code_valid(a.reply_code))
		abort();
	if (a.status >= 0 && !bounce_status_valid(a.status))
		abort();
	if (in.reply_code != 0 && a.reply_code != in.reply_code)
		abort();
	if (in.status >= 0 && a.status != in.status)
		abort();
	if (a.kind == BK_TEXT && (a.rule < 0 || a.rule >= bounce_text_rules_count))
		abort();
	if (a.kind == BK_STATUS && (a.rule < 0 || a.rule >= bounce_status_rules_count))
		abort();
	if (a.kind == BK_REPLY && (a.rule < 0 || a.rule >= bounce_reply_rules_count))
		abort();
	if (a.kind == BK_TEXT)
	{
		char	   *norm = malloc(tl ? tl : 1);
		size_t		nl = normalise(in.text, in.len, norm);

		if (!occurs(norm, nl, bounce_text_rules[a.rule].pattern))
			abort();
		free(norm);
	}
	n = bounce_describe_rule(&a, buf, sizeof(buf));
	if (n <= 0 || bounce_rule_source(&a) == NULL)
		abort();
	(void) bounce_hard(a.reason, bounce_permanent(a.reply_code, a.status));

	free(text);
	free(cmd);
	free(host);
	return 0;
}
