/*-------------------------------------------------------------------------
 *
 * matcher.c
 *		Aho-Corasick multi-pattern matcher for the classifier.
 *
 * All classification patterns are compiled once (per process) into one
 * deterministic automaton: a full table of transitions, one row per state.
 * Scanning a diagnostic is one table lookup per byte, whatever the number
 * of patterns: linear time, no allocation, no regular expressions.
 *
 * Case folding and blank collapse happen in the automaton itself, so the
 * text is never copied or lower-cased into a buffer:
 *	- every byte is mapped to a class: ASCII upper and lower case share
 *	  one, every byte that occurs in no pattern shares class 0, and the
 *	  bytes left over when the row is full (digits, punctuation, UTF-8)
 *	  share a few; a pattern with such bytes is verified byte for byte
 *	  when it hits (a hit is rare next to the lookups, so this costs
 *	  less than wider rows);
 *	- a run of blanks (space, tab, CR, LF, FF, VT) counts as one space: a
 *	  state entered by a blank stays put on the next one (a reporting
 *	  state goes to a silent twin, so it reports once), and leading blanks
 *	  are skipped.
 *
 * Layout, for the cache: a row is ROW_CLASSES transitions of two bytes,
 * one cache line; states are numbered breadth first, so that the shallow
 * states text visits most are packed together; the reporting states come
 * last, so that "report?" is a comparison of the state number.
 *
 * Speed.  Each lookup needs the state the previous one returned, so a
 * scan front to back waits for memory at every byte.  Instead a block of
 * text is cut into up to MAX_CHAINS segments, scanned side by side, one
 * state each, and the processor overlaps their lookups.  The first
 * segment starts from the true state; every other one starts from the
 * root, WARMUP bytes before its segment: once the true state's prefix lies
 * within what a chain has read, the chain is in the true state, and stays
 * in it.  The join checks that where each segment begins (the states are
 * equal); where not (a long pattern straddles the boundary), the true
 * state runs on into the segment until its depth shows it.  A segment's
 * hits are held back until then and reported from there on, so each hit is
 * reported once, in text order, exactly as a front-to-back scan would.
 * Each byte is scanned at most twice, plus the warm-ups: still linear.
 *
 * Pure C, no PostgreSQL dependency: also linked into test/fuzz and
 * test/bench/classify_native.c.
 *
 * Built with -DBOUNCE_BENCH_DOUBLE_RULES (test/bench/classify.sh), the
 * automaton also holds a synthetic variant of every pattern, never
 * reported, so that the benchmark can time a rule set twice as large.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/matcher.h"

/* State numbers are uint16_t. */
#define MAX_STATES	65535

/*
 * Transitions per row.  Letters, the blank and "in no pattern" have a
 * class each; the other bytes the patterns use get their own class, most
 * frequent first, while at least SHARED_CLASSES are left for the rest.
 * With 32 that is 4 classes: one for the digits (frequent in text, and
 * apart they do not make every digit a hit of a pattern like "<"), three
 * shared by punctuation and UTF-8.
 */
#define ROW_CLASSES		32
#define SHARED_CLASSES	4

/* The scan: blocks of BLOCK bytes, in segments of at least MIN_SEGMENT. */
#define MAX_CHAINS		4
#define MIN_SEGMENT		24
#define WARMUP			16
#define BLOCK			2048
#define MAX_PENDING		32		/* hits a segment holds back */

/* Building: no class is this. */
#define NO_LABEL		0xff

static inline uint8_t
fold(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + ('a' - 'A');
	if (c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
		return ' ';
	return c;
}

static inline bool
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void
bounce_matcher_free(BounceMatcher *m)
{
	free(m->mem);
	m->mem = NULL;
	m->delta = NULL;
	m->depth = NULL;
	m->out_first = NULL;
	m->out = NULL;
	m->verify = NULL;
}

/*
 * Byte classes.  Sets shared[class] when more than one byte (after
 * folding) falls into the class: a pattern with such a byte is verified.
 */
static void
assign_classes(BounceMatcher *m, const char *const *pats, int npats, bool *shared)
{
	size_t		count[256] = {0};
	int			members[ROW_CLASSES] = {0};
	int			nc = 1;
	int			i;

	memset(m->cls, 0, sizeof(m->cls));
	for (i = 0; i < npats; i++)
	{
		const uint8_t *p = (const uint8_t *) pats[i];

		for (; p && *p; p++)
			count[fold(*p)]++;
	}
	m->cls[' '] = (uint8_t) nc++;
	for (i = 'a'; i <= 'z'; i++)
		m->cls[i] = (uint8_t) nc++;
	count[' '] = 0;
	for (i = 'a'; i <= 'z'; i++)
		count[i] = 0;
	/* own classes for the most frequent other bytes */
	while (nc < ROW_CLASSES - SHARED_CLASSES)
	{
		int			best = -1;

		for (i = 0; i < 256; i++)
			if (count[i] > 0 && (best < 0 || count[i] > count[best]))
				best = i;
		if (best < 0)
			break;
		m->cls[best] = (uint8_t) nc++;
		count[best] = 0;
	}
	/* the rest share the classes left: digits one, the others the rest */
	{
		bool		digits = false;

		for (i = '0'; i <= '9'; i++)
			if (count[i] > 0)
			{
				m->cls[i] = (uint8_t) nc;
				members[nc]++;
				count[i] = 0;
				digits = true;
			}
		if (digits && ROW_CLASSES - nc > 1)
			nc++;
	}
	for (i = 0; i < 256; i++)
		if (count[i] > 0)
		{
			m->cls[i] = (uint8_t) (nc + i % (ROW_CLASSES - nc));
			members[m->cls[i]]++;
		}
	for (i = 0; i < ROW_CLASSES; i++)
		shared[i] = members[i] > 1;
	for (i = 'A'; i <= 'Z'; i++)
		m->cls[i] = m->cls[i + ('a' - 'A')];
	m->cls['\t'] = m->cls['\n'] = m->cls['\r'] = m->cls['\f'] = m->cls['\v'] = m->cls[' '];
	m->space_class = m->cls[' '];
	m->nclasses = ROW_CLASSES;
	m->shift = 0;
	while ((1 << m->shift) < ROW_CLASSES)
		m->shift++;
}

/*
 * The trie while it is built, with int32 ids (0 is the root) and children
 * as sibling lists, so that its size is the patterns' and no more.
 */
typedef struct Trie
{
	int			n;
	uint8_t    *label;			/* class of the edge into the state */
	int32_t    *child;			/* first child, or -1 */
	int32_t    *sibling;		/* next child of the same parent, or -1 */
	int32_t    *fail;
	int32_t    *own;			/* first pattern ending here, or -1 */
} Trie;

static int
trie_child(const Trie *t, int s, int c)
{
	int			k;

	for (k = t->child[s]; k >= 0; k = t->sibling[k])
		if (t->label[k] == c)
			return k;
	return -1;
}

/* The Aho-Corasick transition on the trie: follow failure links. */
static int
trie_delta(const Trie *t, int s, int c)
{
	for (;;)
	{
		int			k = trie_child(t, s, c);

		if (k >= 0)
			return k;
		if (s == 0)
			return 0;
		s = t->fail[s];
	}
}

#ifdef BOUNCE_BENCH_DOUBLE_RULES
/*
 * A synthetic pattern as long as p and made of the same words in another
 * order ("user unknown" -> "unknown user"; one word is cut in two and its
 * halves swapped), so that it walks states as real text does.
 */
static char *
synthetic_variant(const char *p)
{
	size_t		n = strlen(p);
	const char *sp = strchr(p, ' ');
	size_t		cut = sp ? (size_t) (sp - p) : n / 2;
	char	   *v = malloc(n + 1);

	if (v == NULL)
		return NULL;
	if (sp)
	{
		memcpy(v, p + cut + 1, n - cut - 1);
		v[n - cut - 1] = ' ';
		memcpy(v + n - cut, p, cut);
	}
	else
	{
		memcpy(v, p + cut, n - cut);
		memcpy(v + n - cut, p, cut);
	}
	v[n] = '\0';
	return v;
}
#endif

/*
 * Build the automaton for patterns[0..npatterns).  Patterns are matched
 * case-insensitively (ASCII), a blank as a run of blanks; an empty or NULL
 * pattern never matches, nor does one with two blanks in a row (the text
 * never shows two).  Returns false when out of memory or when the patterns
 * need more than MAX_STATES states.
 */
bool
bounce_matcher_build(BounceMatcher *m, const char *const *patterns, int npatterns)
{
	const char **pats = NULL;	/* the patterns the trie holds */
	int			npats = npatterns;
	int			maxstates = 1;
	bool		shared[ROW_CLASSES];
	Trie		t = {0};
	int32_t    *order = NULL;	/* breadth first */
	int32_t    *depth = NULL;
	int32_t    *outcount = NULL;
	int32_t    *own_next = NULL;
	int32_t    *newid = NULL;
	int32_t    *twin = NULL;
	int			nc = ROW_CLASSES;
	int			nstates,
				nplain,
				ntwins,
				nout,
				total_out,
				i;
	char	   *mem;
	bool		ok = false;

	memset(m, 0, sizeof(*m));
	m->patterns = patterns;
	m->npatterns = npatterns;

#ifdef BOUNCE_BENCH_DOUBLE_RULES
	npats = 2 * npatterns;
#endif
	pats = calloc(npats > 0 ? npats : 1, sizeof(char *));
	if (pats == NULL)
		return false;
	for (i = 0; i < npatterns; i++)
		pats[i] = patterns[i];
#ifdef BOUNCE_BENCH_DOUBLE_RULES
	for (i = 0; i < npatterns; i++)
		if (patterns[i] && patterns[i][0] &&
			(pats[npatterns + i] = synthetic_variant(patterns[i])) == NULL)
			goto done;
#endif
	for (i = 0; i < npats; i++)
		maxstates += pats[i] ? strlen(pats[i]) : 0;

	assign_classes(m, pats, npats, shared);

	/* the trie */
	t.label = malloc(maxstates);
	t.child = malloc(maxstates * sizeof(int32_t));
	t.sibling = malloc(maxstates * sizeof(int32_t));
	t.fail = calloc(maxstates, sizeof(int32_t));
	t.own = malloc(maxstates * sizeof(int32_t));
	own_next = malloc((npats + 1) * sizeof(int32_t));
	if (!t.label || !t.child || !t.sibling || !t.fail || !t.own || !own_next)
		goto done;
	t.n = 1;
	t.label[0] = NO_LABEL;
	t.child[0] = t.sibling[0] = t.own[0] = -1;
	for (i = npats - 1; i >= 0; i--)
	{
		const uint8_t *p = (const uint8_t *) pats[i];
		const uint8_t *q;
		int			s = 0;

		own_next[i] = -1;
		if (p == NULL || *p == '\0')
			continue;
		for (q = p; q[1]; q++)
			if (fold(q[0]) == ' ' && fold(q[1]) == ' ')
				break;
		if (q[1])
			continue;			/* two blanks in a row: never matches */
		for (; *p; p++)
		{
			int			c = m->cls[fold(*p)];
			int			k = trie_child(&t, s, c);

			if (k < 0)
			{
				k = t.n++;
				t.label[k] = (uint8_t) c;
				t.child[k] = -1;
				t.own[k] = -1;
				t.sibling[k] = t.child[s];
				t.child[s] = k;
			}
			s = k;
		}
		/* prepend: iterating backwards keeps chains in ascending order */
		own_next[i] = t.own[s];
		t.own[s] = i;
	}
	nstates = t.n;

	/* breadth-first order, depths, failure links, output counts */
	order = malloc(nstates * sizeof(int32_t));
	depth = malloc(nstates * sizeof(int32_t));
	outcount = calloc(nstates, sizeof(int32_t));
	if (!order || !depth || !outcount)
		goto done;
	{
		int			head = 0,
					tail = 0;

		order[tail++] = 0;
		depth[0] = 0;
		while (head < tail)
		{
			int			s = order[head++];
			int			k;

			for (k = t.child[s]; k >= 0; k = t.sibling[k])
			{
				t.fail[k] = (s == 0) ? 0 : trie_delta(&t, t.fail[s], t.label[k]);
				depth[k] = depth[s] + 1;
				order[tail++] = k;
			}
		}
	}
	total_out = 0;
	for (i = 0; i < nstates; i++)
	{
		int			s = order[i];
		int			p;

		for (p = t.own[s]; p >= 0; p = own_next[p])
			outcount[s]++;
		if (s != 0)
			outcount[s] += outcount[t.fail[s]];	/* shallower: done */
		total_out += outcount[s] ? outcount[s] + 1 : 0;
	}

	/*
	 * Numbers: the silent states breadth first, the twins, then the
	 * reporting states breadth first.  A twin is a reporting state entered
	 * by a blank, after its hit: the blanks that follow stay in it.
	 */
	newid = malloc(nstates * sizeof(int32_t));
	twin = malloc(nstates * sizeof(int32_t));
	if (!newid || !twin)
		goto done;
	nplain = ntwins = nout = 0;
	for (i = 0; i < nstates; i++)
	{
		int			s = order[i];

		twin[s] = -1;
		if (outcount[s] == 0)
			newid[s] = nplain++;
		else if (t.label[s] == m->space_class)
			twin[s] = ntwins++;
	}
	for (i = 0; i < nstates; i++)
	{
		int			s = order[i];

		if (twin[s] >= 0)
			twin[s] += nplain;
		if (outcount[s] > 0)
			newid[s] = nplain + ntwins + nout++;
	}
	if (nplain + ntwins + nout > MAX_STATES)
		goto done;
	m->nstates = nplain + ntwins + nout;
	m->out_start = nplain + ntwins;

	/* one block for everything the scan reads */
	{
		size_t		sz_delta = (size_t) m->nstates * nc * sizeof(uint16_t);
		size_t		sz_outf = (size_t) (nout > 0 ? nout : 1) * sizeof(int32_t);
		size_t		sz_out = (size_t) (total_out + 1) * sizeof(int32_t);
		size_t		sz_depth = (size_t) m->nstates;
		size_t		sz_verify = (size_t) (npats > 0 ? npats : 1) * sizeof(uint32_t);
		size_t		off = 0;

		m->memsize = sz_delta + sz_outf + sz_out + sz_depth + sz_verify;
		mem = malloc(m->memsize);
		if (mem == NULL)
			goto done;
		m->mem = mem;
		m->delta = (uint16_t *) (mem + off);
		off += sz_delta;
		m->out_first = (int32_t *) (mem + off);
		off += sz_outf;
		m->out = (int32_t *) (mem + off);
		off += sz_out;
		m->verify = (uint32_t *) (mem + off);
		off += sz_verify;
		m->depth = (uint8_t *) (mem + off);
	}

	/*
	 * Rows, breadth first: the failure state's row (complete, being
	 * shallower), overwritten by the state's own edges.  A state entered by
	 * a blank stays put on the next blank, in its twin if it reports.
	 */
	for (i = 0; i < nstates; i++)
	{
		int			s = order[i];
		uint16_t   *row = &m->delta[(size_t) newid[s] * nc];
		int			k;

		if (s == 0)
			memset(row, 0, nc * sizeof(uint16_t));
		else
			memcpy(row, &m->delta[(size_t) newid[t.fail[s]] * nc], nc * sizeof(uint16_t));
		for (k = t.child[s]; k >= 0; k = t.sibling[k])
			row[t.label[k]] = (uint16_t) newid[k];
		if (s != 0 && t.label[s] == m->space_class)
		{
			if (twin[s] >= 0)
			{
				uint16_t   *trow = &m->delta[(size_t) twin[s] * nc];

				memcpy(trow, row, nc * sizeof(uint16_t));
				trow[m->space_class] = (uint16_t) twin[s];
				row[m->space_class] = (uint16_t) twin[s];
			}
			else
				row[m->space_class] = (uint16_t) newid[s];
		}
		m->depth[newid[s]] = (uint8_t) (depth[s] > 255 ? 255 : depth[s]);
		if (twin[s] >= 0)
			m->depth[twin[s]] = m->depth[newid[s]];
	}

	/* output lists: own patterns, then the failure state's */
	{
		int			pos = 0;

		for (i = 0; i < nstates; i++)
		{
			int			s = order[i];
			int			p;

			if (outcount[s] == 0)
				continue;
			m->out_first[newid[s] - m->out_start] = pos;
			for (p = t.own[s]; p >= 0; p = own_next[p])
				m->out[pos++] = p;
			if (s != 0 && outcount[t.fail[s]] > 0)
			{
				int			k;

				for (k = m->out_first[newid[t.fail[s]] - m->out_start]; m->out[k] >= 0; k++)
					m->out[pos++] = m->out[k];
			}
			m->out[pos++] = -1;
		}
		m->out[pos] = -1;
	}

	for (i = 0; i < npats; i++)
	{
		const uint8_t *p = (const uint8_t *) pats[i];

		m->verify[i] = 0;
		for (; p && *p; p++)
			if (shared[m->cls[fold(*p)]])
				m->verify[i] = (uint32_t) strlen(pats[i]);
	}
	ok = true;

done:
#ifdef BOUNCE_BENCH_DOUBLE_RULES
	if (pats)
		for (i = npatterns; i < npats; i++)
			free((char *) pats[i]);
#endif
	free(pats);
	free(t.label);
	free(t.child);
	free(t.sibling);
	free(t.fail);
	free(t.own);
	free(own_next);
	free(order);
	free(depth);
	free(outcount);
	free(newid);
	free(twin);
	if (!ok)
		bounce_matcher_free(m);
	return ok;
}

/*
 * Does the pattern, of length j, really end at text[end]?  Walks both
 * backwards; a space in the pattern stands for a run of blanks in the
 * text, as in the scan.
 */
static bool
verify_at(const char *pattern, size_t j, const uint8_t *text, size_t end)
{
	size_t		i = end + 1;	/* one past the text byte to compare */

	while (j > 0)
	{
		uint8_t		pc = fold((uint8_t) pattern[--j]);

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

/* Report the patterns of reporting state s, entered at text[at]. */
static void
report(const BounceMatcher *m, unsigned s, const uint8_t *text, size_t at,
	   BounceMatchFn fn, void *arg)
{
	const int32_t *o;

	for (o = &m->out[m->out_first[s - m->out_start]]; *o >= 0; o++)
	{
#ifdef BOUNCE_BENCH_DOUBLE_RULES
		if (*o >= m->npatterns)
			continue;			/* a synthetic pattern */
#endif
		if (m->verify[*o] == 0 || verify_at(m->patterns[*o], m->verify[*o], text, at))
			fn(*o, at + 1, arg);
	}
}

/* The hits a segment holds back until its state is known to be exact. */
typedef struct Pending
{
	int			n[MAX_CHAINS];	/* -1: too many, the segment is rescanned */
	struct
	{
		uint16_t	state;
		uint16_t	at;			/* offset in the block */
	}			hit[MAX_CHAINS][MAX_PENDING];
} Pending;

static void
hold(Pending *pend, int chain, unsigned s, size_t at)
{
	int			n = pend->n[chain];

	if (n < 0)
		return;
	if (n == MAX_PENDING)
	{
		pend->n[chain] = -1;
		return;
	}
	pend->hit[chain][n].state = (uint16_t) s;
	pend->hit[chain][n].at = (uint16_t) at;
	pend->n[chain] = n + 1;
}

/* Front to back over text[from..to) from state s; returns the state at to. */
static unsigned
scan_run(const BounceMatcher *m, const uint8_t *text, size_t from, size_t to,
		 unsigned s, BounceMatchFn fn, void *arg)
{
	const uint16_t *delta = m->delta;
	const uint8_t *cls = m->cls;
	const unsigned shift = m->shift;
	const unsigned out_start = m->out_start;
	size_t		i;

	for (i = from; i < to; i++)
	{
		s = delta[((size_t) s << shift) + cls[text[i]]];
		if (s >= out_start)
			report(m, s, text, i, fn, arg);
	}
	return s;
}

#define STEP(s, at) \
	((s) = delta[((size_t) (s) << shift) + cls[text[at]]])

/*
 * Scan the block text[from..to) (at most BLOCK bytes) from state s, in
 * segments side by side (see the header comment); returns the state at to.
 *
 * Chain 0 scans [from, start[1]) from s.  Chain k > 0 scans its segment
 * [start[k], start[k + 1]) from the root, starting WARMUP bytes early so
 * that it usually has the exact state by the time it reaches the segment;
 * the hits it sees before then are ignored.
 */
static unsigned
scan_block(const BounceMatcher *m, const uint8_t *text, size_t from, size_t to,
		   unsigned s, BounceMatchFn fn, void *arg)
{
	const uint16_t *delta = m->delta;
	const uint8_t *cls = m->cls;
	const unsigned shift = m->shift;
	const unsigned out_start = m->out_start;
	size_t		n = to - from;
	int			nchains;
	size_t		seg,
				lock;
	size_t		start[MAX_CHAINS + 1];
	unsigned	entry[MAX_CHAINS];	/* chain k's state on reaching start[k] */
	unsigned	st[MAX_CHAINS];
	Pending		pend;
	size_t		i;
	int			k;

	nchains = n >= MAX_CHAINS * MIN_SEGMENT + WARMUP ? MAX_CHAINS :
		n >= 2 * MIN_SEGMENT + WARMUP ? 2 : 1;
	if (nchains == 1)
		return scan_run(m, text, from, to, s, fn, arg);
	seg = (n - WARMUP) / nchains;
	lock = seg + WARMUP;		/* bytes each chain scans side by side */
	start[0] = from;
	for (k = 1; k < nchains; k++)
		start[k] = from + lock + (k - 1) * seg;
	start[nchains] = to;
	for (k = 0; k < nchains; k++)
		pend.n[k] = 0;

	/* side by side: chain 0 from s, the others from the root */
	{
		unsigned	s0 = s,
					s1 = 0,
					s2 = 0,
					s3 = 0;
		const uint8_t *p0 = text + start[0];
		const uint8_t *p1 = text + start[1] - WARMUP;
		const uint8_t *p2 = text + (nchains > 2 ? start[2] - WARMUP : 0);
		const uint8_t *p3 = text + (nchains > 3 ? start[3] - WARMUP : 0);

#define STEP4(i, hits) \
		do { \
			s0 = delta[((size_t) s0 << shift) + cls[p0[i]]]; \
			s1 = delta[((size_t) s1 << shift) + cls[p1[i]]]; \
			s2 = delta[((size_t) s2 << shift) + cls[p2[i]]]; \
			s3 = delta[((size_t) s3 << shift) + cls[p3[i]]]; \
			if (s0 >= out_start) \
				report(m, s0, text, p0 + (i) - text, fn, arg); \
			if (hits && s1 >= out_start) \
				hold(&pend, 1, s1, p1 + (i) - text - from); \
			if (hits && s2 >= out_start) \
				hold(&pend, 2, s2, p2 + (i) - text - from); \
			if (hits && s3 >= out_start) \
				hold(&pend, 3, s3, p3 + (i) - text - from); \
		} while (0)
#define STEP2(i, hits) \
		do { \
			s0 = delta[((size_t) s0 << shift) + cls[p0[i]]]; \
			s1 = delta[((size_t) s1 << shift) + cls[p1[i]]]; \
			if (s0 >= out_start) \
				report(m, s0, text, p0 + (i) - text, fn, arg); \
			if (hits && s1 >= out_start) \
				hold(&pend, 1, s1, p1 + (i) - text - from); \
		} while (0)

		if (nchains == 4)
		{
			for (i = 0; i < WARMUP; i++)
				STEP4(i, false);
			entry[1] = s1;
			entry[2] = s2;
			entry[3] = s3;
			for (; i < lock; i++)
				STEP4(i, true);
		}
		else
		{
			for (i = 0; i < WARMUP; i++)
				STEP2(i, false);
			entry[1] = s1;
			for (; i < lock; i++)
				STEP2(i, true);
		}
#undef STEP4
#undef STEP2
		st[0] = s0;
		st[1] = s1;
		st[2] = s2;
		st[3] = s3;
	}
	/* the last segment's odd bytes */
	k = nchains - 1;
	for (i = start[k] + seg; i < to; i++)
	{
		STEP(st[k], i);
		if (st[k] >= out_start)
			hold(&pend, k, st[k], i - from);
	}

	/*
	 * Join: s is exact at start[k].  When chain k reached start[k] in the
	 * same state, its state and held hits are exact.  Otherwise s runs on
	 * into the segment until its prefix lies within what chain k has seen
	 * since start[k] (blank runs count once), which makes the two equal.
	 */
	s = st[0];
	for (k = 1; k < nchains; k++)
	{
		size_t		y = start[k];
		bool		synced = (s == entry[k]);

		if (!synced && pend.n[k] >= 0)
		{
			size_t		seen = 0;
			bool		prev_blank = false;

			for (; y < start[k + 1]; y++)
			{
				unsigned	c = cls[text[y]];

				if (c != m->space_class || !prev_blank)
					seen++;
				prev_blank = (c == m->space_class);
				s = delta[((size_t) s << shift) + c];
				if (s >= out_start)
					report(m, s, text, y, fn, arg);
				if (m->depth[s] < 255 && m->depth[s] <= seen)
				{
					synced = true;
					y++;
					break;
				}
			}
		}
		if (synced && pend.n[k] >= 0)
		{
			int			h;

			/* y: the first byte s has not scanned */
			for (h = 0; h < pend.n[k]; h++)
				if (from + pend.hit[k][h].at >= y)
					report(m, pend.hit[k][h].state, text, from + pend.hit[k][h].at, fn, arg);
			s = st[k];
		}
		else
			s = scan_run(m, text, y, start[k + 1], s, fn, arg);
	}
	return s;
}

/*
 * Scan text[0..len) and call fn(pattern, end, arg) for every occurrence of
 * every pattern, end being the offset just past the occurrence, in order
 * of end.  Blank runs count as one space; leading blanks are skipped.  tick,
 * when given, is called between blocks, once tick_span bytes have passed.
 */
void
bounce_matcher_scan(const BounceMatcher *m, const char *text, size_t len,
					BounceMatchFn fn, void *arg, BounceMatchTick tick,
					void *tick_arg, size_t tick_span)
{
	const uint8_t *t = (const uint8_t *) text;
	size_t		pos = 0;
	size_t		next_tick = tick != NULL ? tick_span : SIZE_MAX;
	unsigned	s = 0;

	while (pos < len && m->cls[t[pos]] == m->space_class)
		pos++;
	while (pos < len)
	{
		size_t		to = len - pos > BLOCK ? pos + BLOCK : len;

		/* between blocks: the interrupt check, every tick_span bytes */
		if (pos >= next_tick)
		{
			tick(tick_arg);
			next_tick = pos + tick_span;
		}
		s = scan_block(m, t, pos, to, s, fn, arg);
		pos = to;
	}
}
