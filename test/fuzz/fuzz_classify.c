/*
 * fuzz_classify.c -- libFuzzer target for the classifier's pure-C core:
 * code extraction, the Aho-Corasick scan and the decision procedure.
 *
 * SOURCES: src/classify/classify.c src/classify/classify_rules.c src/classify/matcher.c src/status/status.c src/status/status_codes.c
 *
 * The input is split at the first two NUL bytes into diagnostic text,
 * command and remote host, and its first byte picks explicit codes, so
 * every argument is fuzzed.  Properties checked beyond "no crash, no
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
 *	- the rule description fits and names the layer.
 */
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
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
