/*-------------------------------------------------------------------------
 *
 * matcher.c
 *		Aho-Corasick multi-pattern matcher for the classifier.
 *
 * All classification patterns are compiled once (per process) into one
 * deterministic automaton.  Scanning a diagnostic is then one table lookup
 * per byte, whatever the number of patterns: linear time, no allocation,
 * no regular expressions.
 *
 * Case folding and whitespace normalisation happen in the scan itself:
 * every byte is mapped to a "class" (ASCII upper and lower case share one;
 * every byte that occurs in no pattern shares class 0), and a run of
 * blanks (space, tab, CR, LF, FF, VT) counts as one space.  So the text is
 * never copied or lower-cased into a buffer.
 *
 * Pure C, no PostgreSQL dependency: also linked into test/fuzz.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "classify/matcher.h"

/* Upper bound on states: uint16_t transitions. */
#define MAX_STATES	32767

/* Bit 15 of a transition: the target state has patterns to report. */
#define HAS_OUT		0x8000

static inline uint8_t
fold(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + ('a' - 'A');
	if (c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
		return ' ';
	return c;
}

void
bounce_matcher_free(BounceMatcher *m)
{
	free(m->delta);
	free(m->out_first);
	free(m->out);
	free(m->verify);
	m->delta = NULL;
	m->out_first = NULL;
	m->out = NULL;
	m->verify = NULL;
}

/*
 * Build the automaton for patterns[0..npatterns).  Patterns are matched
 * case-insensitively (ASCII); an empty or NULL pattern never matches.
 * Returns false when out of memory or when the patterns need more than
 * MAX_STATES states.
 */
bool
bounce_matcher_build(BounceMatcher *m, const char *const *patterns, int npatterns)
{
	int			maxstates = 1;
	int			i;
	int			nc;
	int32_t    *fail = NULL;
	int32_t    *queue = NULL;
	int32_t    *own_first = NULL;	/* per state: first own pattern in chain */
	int32_t    *own_next = NULL;	/* per pattern: next pattern at same state */
	int32_t    *outcount = NULL;
	int			qhead,
				qtail;
	int			total_out;

	memset(m, 0, sizeof(*m));
	m->patterns = patterns;
	m->npatterns = npatterns;

	/*
	 * Byte classes: class 0 is "no pattern uses this byte"; each ASCII byte
	 * a pattern uses has its own class.  Bytes >= 0x80 (UTF-8 in the
	 * non-English patterns) share a few classes, so that a row of the
	 * table stays 64 wide; a pattern with such bytes may then match text
	 * that differs in them, so its matches are verified byte for byte.
	 */
	nc = 1;
	for (i = 0; i < npatterns; i++)
	{
		const uint8_t *p = (const uint8_t *) patterns[i];

		if (p == NULL)
			continue;
		for (; *p; p++)
		{
			uint8_t		c = fold(*p);

			if (c < 0x80 && m->cls[c] == 0)
			{
				if (nc == 127)
					return false;
				m->cls[c] = (uint8_t) nc++;
			}
			maxstates++;
		}
	}
	if (m->cls[' '] == 0)
		m->cls[' '] = (uint8_t) nc++;
	{
		int			nk = 64 - nc;

		if (nk < 4)
			nk = 128 - nc;		/* rows 128 wide */
		for (i = 0x80; i <= 0xff; i++)
			m->cls[i] = (uint8_t) (nc + (i % nk));
		nc += nk;
	}
	m->verify = calloc(npatterns > 0 ? npatterns : 1, 1);
	if (m->verify == NULL)
		return false;
	for (i = 0; i < npatterns; i++)
	{
		const uint8_t *p = (const uint8_t *) patterns[i];

		for (; p && *p; p++)
			if (*p >= 0x80)
				m->verify[i] = 1;
	}
	for (i = 'A'; i <= 'Z'; i++)
		m->cls[i] = m->cls[i + ('a' - 'A')];
	m->cls['\t'] = m->cls['\n'] = m->cls['\r'] = m->cls['\f'] = m->cls['\v'] = m->cls[' '];
	m->space_class = m->cls[' '];
	/* rows are a power of two wide: the scan shifts instead of multiplying */
	m->shift = 0;
	while ((1 << m->shift) < nc)
		m->shift++;
	nc = 1 << m->shift;
	m->nclasses = nc;
	if (maxstates > MAX_STATES)
	{
		bounce_matcher_free(m);
		return false;
	}

	m->delta = calloc((size_t) maxstates * nc, sizeof(uint16_t));
	fail = calloc(maxstates, sizeof(int32_t));
	queue = calloc(maxstates, sizeof(int32_t));
	own_first = malloc(maxstates * sizeof(int32_t));
	own_next = malloc((npatterns + 1) * sizeof(int32_t));
	outcount = calloc(maxstates, sizeof(int32_t));
	m->out_first = malloc(maxstates * sizeof(int32_t));
	if (!m->delta || !fail || !queue || !own_first || !own_next || !outcount || !m->out_first)
		goto oom;
	for (i = 0; i < maxstates; i++)
		own_first[i] = -1;

	/* The trie; 0 in delta means "no edge" while building (0 is the root). */
	m->nstates = 1;
	for (i = npatterns - 1; i >= 0; i--)
	{
		const uint8_t *p = (const uint8_t *) patterns[i];
		int			s = 0;

		own_next[i] = -1;
		if (p == NULL || *p == '\0')
			continue;
		for (; *p; p++)
		{
			int			c = m->cls[fold(*p)];
			uint16_t   *t = &m->delta[(size_t) s * nc + c];

			if (*t == 0)
				*t = (uint16_t) m->nstates++;
			s = *t;
		}
		/* prepend: iterating backwards keeps chains in ascending order */
		own_next[i] = own_first[s];
		own_first[s] = i;
	}

	/*
	 * Breadth-first: failure links, and missing edges filled from the
	 * failure state, which turns the trie into a DFA.
	 */
	qhead = qtail = 0;
	for (i = 0; i < nc; i++)
	{
		int			t = m->delta[i];

		if (t != 0)
		{
			fail[t] = 0;
			queue[qtail++] = t;
		}
	}
	while (qhead < qtail)
	{
		int			s = queue[qhead++];

		for (i = 0; i < nc; i++)
		{
			uint16_t   *t = &m->delta[(size_t) s * nc + i];
			int			f = m->delta[(size_t) fail[s] * nc + i];

			if (*t != 0)
			{
				fail[*t] = f;
				queue[qtail++] = *t;
			}
			else
				*t = (uint16_t) f;
		}
	}

	/*
	 * Output lists: a state's own patterns plus those of its failure state
	 * (already complete, since BFS order visits shorter suffixes first).
	 */
	total_out = 0;
	for (i = 0; i < qtail; i++)
	{
		int			s = queue[i];
		int			n = 0;
		int			p;

		for (p = own_first[s]; p >= 0; p = own_next[p])
			n++;
		outcount[s] = n + outcount[fail[s]];
		total_out += outcount[s] ? outcount[s] + 1 : 0;
	}
	m->out = malloc((total_out + 1) * sizeof(int32_t));
	if (!m->out)
		goto oom;
	{
		int			pos = 0;

		m->out_first[0] = -1;
		for (i = 0; i < qtail; i++)
		{
			int			s = queue[i];
			int			p;

			if (outcount[s] == 0)
			{
				m->out_first[s] = -1;
				continue;
			}
			m->out_first[s] = pos;
			for (p = own_first[s]; p >= 0; p = own_next[p])
				m->out[pos++] = p;
			if (m->out_first[fail[s]] >= 0)
			{
				int			k;

				for (k = m->out_first[fail[s]]; m->out[k] >= 0; k++)
					m->out[pos++] = m->out[k];
			}
			m->out[pos++] = -1;
		}
	}

	/* flag transitions into states with output, so the scan needs no second lookup */
	{
		size_t		k;
		size_t		total = (size_t) m->nstates * nc;

		for (k = 0; k < total; k++)
			if (m->out_first[m->delta[k]] >= 0)
				m->delta[k] |= HAS_OUT;
	}

	free(fail);
	free(queue);
	free(own_first);
	free(own_next);
	free(outcount);
	return true;

oom:
	free(fail);
	free(queue);
	free(own_first);
	free(own_next);
	free(outcount);
	bounce_matcher_free(m);
	return false;
}

static inline bool
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Does the pattern really end at text[end]?  Walks both backwards; a space
 * in the pattern stands for a run of blanks in the text, as in the scan.
 */
static bool
verify_at(const char *pattern, const uint8_t *text, size_t end)
{
	size_t		j = strlen(pattern);
	size_t		i = end + 1;	/* one past the text byte to compare */

	while (j > 0)
	{
		uint8_t		pc = (uint8_t) pattern[--j];

		if (i == 0)
			return false;
		if (pc == ' ')
		{
			if (!is_blank(text[--i]))
				return false;
			while (i > 0 && is_blank(text[i - 1]))
				i--;
		}
		else if (fold(text[--i]) != pc)
			return false;
	}
	return true;
}

/*
 * Scan text[0..len) and call fn(pattern, end, arg) for every occurrence of
 * every pattern, end being the offset just past the occurrence.  Blank
 * runs count as one space; leading blanks are skipped.  tick, when given,
 * is called after every tick_span bytes.
 */
void
bounce_matcher_scan(const BounceMatcher *m, const char *text, size_t len,
					BounceMatchFn fn, void *arg, BounceMatchTick tick,
					void *tick_arg, size_t tick_span)
{
	const uint8_t *p = (const uint8_t *) text;
	const uint8_t *end = p + len;
	const uint16_t *delta = m->delta;
	const int32_t *out_first = m->out_first;
	const uint8_t *cls = m->cls;
	const int	shift = m->shift;
	const uint8_t sp = m->space_class;
	uint8_t		prev = sp;
	int			s = 0;
	const uint8_t *next_tick = (tick != NULL && len > tick_span) ? p + tick_span : end;

	for (; p < end; p++)
	{
		uint8_t		c = cls[*p];

		if (p == next_tick)
		{
			tick(tick_arg);
			next_tick = (end - p > (ptrdiff_t) tick_span) ? p + tick_span : end;
		}

		if (c == sp && prev == sp)
			continue;
		prev = c;
		s = delta[((size_t) s << shift) + c];
		if (s & HAS_OUT)
		{
			const int32_t *o;

			s &= ~HAS_OUT;
			for (o = &m->out[out_first[s]]; *o >= 0; o++)
				if (!m->verify[*o] ||
					verify_at(m->patterns[*o], (const uint8_t *) text,
							  p - (const uint8_t *) text))
					fn(*o, (size_t) (p - (const uint8_t *) text) + 1, arg);
		}
	}
}
