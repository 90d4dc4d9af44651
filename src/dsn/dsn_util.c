/*-------------------------------------------------------------------------
 *
 * dsn_util.c
 *		The DSN parser's memory, result rows and byte-string helpers, and
 *		the cleaning of every string it returns (valid UTF-8, or ASCII
 *		only; control characters and runs of blanks collapsed).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dsn/dsn_int.h"

void
dsn_interrupt(Ctx *c)
{
	c->work = 0;
	if (c->a->interrupt != NULL)
		c->a->interrupt(c->a->opaque);
}

void *
dsn_alloc(Ctx *c, size_t n)
{
	void	   *p;

	if (c->err != DSN_OK)
		return NULL;
	p = c->a->alloc(c->a->opaque, n ? n : 1);
	if (p == NULL)
		c->err = DSN_ERR_NOMEM;
	return p;
}

DsnRecipient *
dsn_new_rcpt(Ctx *c)
{
	DsnRecipient *r;

	if (c->err != DSN_OK)
		return NULL;
	if (c->nrcpt >= DSN_MAX_RECIPIENTS)
	{
		c->err = DSN_ERR_RECIPIENTS;
		return NULL;
	}
	if (c->nrcpt == c->maxrcpt)
	{
		int			ncap = c->maxrcpt ? c->maxrcpt * 2 : 8;
		DsnRecipient *nr = dsn_alloc(c, sizeof(DsnRecipient) * ncap);

		if (nr == NULL)
			return NULL;
		if (c->nrcpt)
			memcpy(nr, c->rcpt, sizeof(DsnRecipient) * c->nrcpt);
		c->rcpt = nr;
		c->maxrcpt = ncap;
	}
	r = &c->rcpt[c->nrcpt++];
	memset(r, 0, sizeof(*r));
	return r;
}

/*
 * Case-insensitive search of a short lowercase literal in s[0..n).  The
 * literal is short and fixed, so this is linear in n.
 */
const char *
dsn_ci_find(const char *s, size_t n, const char *lit)
{
	size_t		m = strlen(lit);
	size_t		i;
	char		first = lit[0];

	if (m == 0 || n < m)
		return NULL;
	if (first >= 'a' && first <= 'z')
	{
		char		upper = first - 32;

		for (i = 0; i + m <= n; i++)
			if ((s[i] == first || s[i] == upper) && ci_prefix_n(s + i + 1, n - i - 1, lit + 1, m - 1))
				return s + i;
	}
	else
	{
		const char *q = s;
		const char *last = s + n - m;

		while (q <= last && (q = memchr(q, first, last - q + 1)) != NULL)
		{
			if (ci_prefix_n(q + 1, n - (q - s) - 1, lit + 1, m - 1))
				return q;
			q++;
		}
	}
	return NULL;
}

const char *
dsn_ci_find_long(Ctx *c, const char *s, size_t n, const char *lit)
{
	const size_t window = 0x10000;
	size_t		m = strlen(lit);
	size_t		off = 0;

	/* windows overlapping by m bytes, so that no occurrence is cut */
	while (off < n)
	{
		size_t		w = (n - off > window + m) ? window + m : n - off;
		const char *r = dsn_ci_find(s + off, w, lit);

		if (r != NULL)
			return r;
		dsn_tick(c, w);
		if (off + w >= n)
			break;
		off += window;
	}
	return NULL;
}

/* The first occurrence of lit[0..m) in s[0..n), or NULL. */
const char *
dsn_find_bytes(const char *s, size_t n, const char *lit, size_t m)
{
	const char *q = s;
	const char *last;

	if (m == 0 || n < m)
		return NULL;
	last = s + n - m;
	while (q <= last && (q = memchr(q, lit[0], last - q + 1)) != NULL)
	{
		if (memcmp(q, lit, m) == 0)
			return q;
		q++;
	}
	return NULL;
}

char *
dsn_dup_str(Ctx *c, const char *p, size_t n)
{
	char	   *r = dsn_alloc(c, n + 1);

	if (r == NULL)
		return NULL;
	memcpy(r, p, n);
	r[n] = '\0';
	return r;
}

/* ----------------------------------------------------------------
 * Output strings: valid UTF-8 (invalid bytes become U+FFFD), or ASCII
 * only, with control characters and runs of whitespace collapsed to one
 * space and the ends trimmed.
 * ----------------------------------------------------------------
 */

/* Length of the valid UTF-8 sequence at p, or 0. */
static int
utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned char b = p[0];
	int			n;
	int			i;

	if (b < 0x80)
		return 1;
	if (b >= 0xC2 && b <= 0xDF)
		n = 2;
	else if (b >= 0xE0 && b <= 0xEF)
		n = 3;
	else if (b >= 0xF0 && b <= 0xF4)
		n = 4;
	else
		return 0;
	if (avail < (size_t) n)
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	/* overlongs and surrogates, ranges per RFC 3629 */
	if (b == 0xE0 && p[1] < 0xA0)
		return 0;
	if (b == 0xED && p[1] > 0x9F)
		return 0;
	if (b == 0xF0 && p[1] < 0x90)
		return 0;
	if (b == 0xF4 && p[1] > 0x8F)
		return 0;
	return n;
}

bool
dsn_valid_utf8(const char *p, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		int			k = utf8_seq((const unsigned char *) p + i, n - i);

		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/*
 * p[0..n) cleaned into out[0..cap); returns the length of the whole
 * cleaned string, which is larger than cap when it did not fit.  Stops
 * before the character that would take it past DSN_MAX_STRING.
 */
static size_t
clean_into(Ctx *c, const char *p, size_t n, char *out, size_t cap)
{
	size_t		i = 0,
				o = 0,
				ticked = 0;
	bool		space = false;

#define PUT(ch) do { if (o < cap) out[o] = (char) (ch); o++; } while (0)
	while (i < n && o + (space ? 1 : 0) + 4 <= DSN_MAX_STRING)
	{
		unsigned char b = (unsigned char) p[i];
		int			k;

		dsn_tick_at(c, i, &ticked);
		if (b <= 0x20 || b == 0x7F)
		{
			space = (o != 0);
			i++;
			continue;
		}
		if (space)
		{
			PUT(' ');
			space = false;
		}
		if (b < 0x80)
		{
			PUT(b);
			i++;
			continue;
		}
		k = utf8_seq((const unsigned char *) p + i, n - i);
		if (c->ascii_only)
		{
			PUT('?');
			i += k ? k : 1;
		}
		else if (k == 0)
		{
			PUT(0xEF);
			PUT(0xBF);
			PUT(0xBD);
			i++;
		}
		else
		{
			for (; k > 0; k--, i++)
				PUT(p[i]);
		}
	}
#undef PUT
	return o;
}

/*
 * p[0..n) as an output string: valid UTF-8 (each invalid byte U+FFFD), or
 * ASCII only (each non-ASCII character '?'), control characters and runs
 * of blanks one space, the ends trimmed, at most DSN_MAX_STRING bytes
 * (whole characters); NULL when nothing is left.  Its memory is what it
 * needs: n bytes at most, unless invalid bytes make it longer, and then
 * it is counted first.
 */
char *
dsn_clean(Ctx *c, const char *p, size_t n)
{
	char	   *out;
	size_t		cap = n < DSN_MAX_STRING ? n : DSN_MAX_STRING;
	size_t		len;

	if (p == NULL)
		return NULL;
	out = dsn_alloc(c, cap + 1);
	if (out == NULL)
		return NULL;
	len = clean_into(c, p, n, out, cap);
	if (len > cap)
	{
		out = dsn_alloc(c, len + 1);
		if (out == NULL)
			return NULL;
		clean_into(c, p, n, out, len);
	}
	out[len] = '\0';
	return len > 0 ? out : NULL;
}
