/*-------------------------------------------------------------------------
 *
 * dsn_addrlist.c
 *		Address lists: the addresses of a header field (X-Failed-Recipients,
 *		To, Return-Path) or of a bounce's text, in order of first
 *		appearance, each once (compared ignoring ASCII case, as
 *		dsn_addr_equal does).
 *
 * A list grows through the allocator hook, so it holds as many addresses
 * as the message gives, up to the limit its caller sets (DSN_MAX_ADDRESSES
 * for a header field, DSN_MAX_RECIPIENTS for the recipients of a text),
 * past which the parse stops with an error instead of dropping any.  A
 * hash index makes each lookup cost the same for ten addresses or ten
 * thousand, so the plain-text reader stays linear when it checks every
 * address of a long text against a long X-Failed-Recipients.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dsn/dsn_int.h"

/* FNV-1a over the ASCII-lower-cased bytes: equal addresses hash alike. */
static uint32_t
addr_hash(const char *a, size_t n)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		h ^= (unsigned char) lower(a[i]);
		h *= 16777619u;
	}
	return h;
}

/* The index of a[0..n) in l, or -1; *slot: where it is or would go. */
static int
addr_lookup(const AddrList *l, const char *a, size_t n, size_t *slot)
{
	size_t		mask = l->nslot - 1;
	size_t		s = addr_hash(a, n) & mask;

	while (l->slot[s] != 0)
	{
		const Str  *e = &l->a[l->slot[s] - 1];

		if (dsn_addr_equal(e->p, e->n, a, n))
		{
			*slot = s;
			return l->slot[s] - 1;
		}
		s = (s + 1) & mask;
	}
	*slot = s;
	return -1;
}

/*
 * Room for one more address: the array and the index doubled when full
 * (the index kept at most half full).  False when memory ran out.
 */
static bool
addr_grow(Ctx *c, AddrList *l)
{
	int			ncap;
	size_t		nslot;
	Str		   *na;
	int		   *ns;
	int			i;

	if (l->n < l->cap)
		return true;
	ncap = l->cap ? l->cap * 2 : 8;
	nslot = (size_t) ncap * 2;
	na = dsn_alloc(c, sizeof(Str) * ncap);
	ns = dsn_alloc(c, sizeof(int) * nslot);
	if (na == NULL || ns == NULL)
		return false;
	if (l->n)
		memcpy(na, l->a, sizeof(Str) * l->n);
	memset(ns, 0, sizeof(int) * nslot);
	l->a = na;
	l->cap = ncap;
	l->slot = ns;
	l->nslot = nslot;
	for (i = 0; i < l->n; i++)
	{
		size_t		s;

		(void) addr_lookup(l, l->a[i].p, l->a[i].n, &s);
		l->slot[s] = i + 1;
	}
	return true;
}

int
dsn_addrlist_put(Ctx *c, AddrList *l, const char *a, size_t n, bool *added)
{
	size_t		s;
	int			i;

	*added = false;
	if (l->nslot > 0 && (i = addr_lookup(l, a, n, &s)) >= 0)
		return i;
	if (!addr_grow(c, l))
		return -1;
	(void) addr_lookup(l, a, n, &s);
	l->a[l->n].p = a;
	l->a[l->n].n = n;
	l->slot[s] = ++l->n;
	*added = true;
	return l->n - 1;
}

bool
dsn_addrlist_add(Ctx *c, AddrList *l, const char *v, size_t n)
{
	size_t		pos = 0,
				st,
				ln;
	bool		added;

	while (c->err == DSN_OK && dsn_next_address(v, n, &pos, &st, &ln))
	{
		if (dsn_addrlist_put(c, l, v + st, ln, &added) < 0)
			return false;
		if (added && l->n > DSN_MAX_ADDRESSES)
		{
			c->err = DSN_ERR_ADDRESSES;
			return false;
		}
	}
	return c->err == DSN_OK;
}

bool
dsn_addrlist_has(const AddrList *l, const char *a, size_t n)
{
	size_t		s;

	return l->nslot > 0 && addr_lookup(l, a, n, &s) >= 0;
}
