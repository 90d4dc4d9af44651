/*-------------------------------------------------------------------------
 *
 * status.c
 *		Pure-C parsing and formatting of RFC 3463 enhanced status codes
 *		and RFC 5321 reply codes.
 *
 * No PostgreSQL dependency: the same code is linked into the extension and
 * into the libFuzzer target test/fuzz/fuzz_status.c.
 *
 * Accepted syntax (RFC 3463 section 2, "class.subject.detail"):
 *	- class is 2, 4 or 5;
 *	- subject and detail are 1 to 3 decimal digits (0..999);
 *	- surrounding ASCII whitespace is ignored, as int4in ignores it;
 *	- a part with a leading zero ("5.01.1", "5.1.001") is refused rather
 *	  than read as 5.1.1: RFC 3463's ABNF writes numbers without leading
 *	  zeros, and a code we would print differently from how it was written
 *	  must not slip in silently.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>

#include "status/status.h"

static inline bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Read one dot-separated part of 1..4 digits starting at *p.  Four digits
 * are read so that 1000 is reported as out of range rather than as syntax.
 */
static BounceStatusError
read_part(const char **p, const char *end, int *value)
{
	const char *s = *p;
	int			v = 0;
	int			n = 0;

	while (s < end && *s >= '0' && *s <= '9')
	{
		if (n == 4)
			return BSE_RANGE;
		v = v * 10 + (*s - '0');
		s++;
		n++;
	}
	if (n == 0)
		return BSE_SYNTAX;
	if (v > BOUNCE_STATUS_MAX_PART)
		return BSE_RANGE;
	if (n > 1 && **p == '0')
		return BSE_LEADING_ZERO;
	*p = s;
	*value = v;
	return BSE_OK;
}

/*
 * Parse str[0..len) as an enhanced status code.  On success stores the
 * packed value in *result and returns BSE_OK.  Never reads past len.
 */
BounceStatusError
bounce_status_parse(const char *str, size_t len, int32_t *result)
{
	const char *p = str;
	const char *end = str + len;
	int			parts[3];
	int			i;

	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (p == end)
		return BSE_EMPTY;

	for (i = 0; i < 3; i++)
	{
		BounceStatusError err;

		if (i > 0)
		{
			if (p >= end || *p != '.')
				return BSE_SYNTAX;
			p++;
		}
		err = read_part(&p, end, &parts[i]);
		if (err != BSE_OK)
			return err;
	}
	if (p != end)
		return BSE_SYNTAX;
	if (parts[0] != 2 && parts[0] != 4 && parts[0] != 5)
		return BSE_CLASS;

	*result = BOUNCE_STATUS_PACK(parts[0], parts[1], parts[2]);
	return BSE_OK;
}

/* Is a packed value one that bounce_status_parse could have produced? */
bool
bounce_status_valid(int32_t packed)
{
	int			c;

	if (packed < 0)
		return false;
	c = BOUNCE_STATUS_CLASS(packed);
	return c == 2 || c == 4 || c == 5;
}

/* Canonical text form into buf; returns the length written. */
int
bounce_status_format(int32_t packed, char *buf, size_t buflen)
{
	return snprintf(buf, buflen, "%d.%d.%d",
					BOUNCE_STATUS_CLASS(packed),
					BOUNCE_STATUS_SUBJECT(packed),
					BOUNCE_STATUS_DETAIL(packed));
}

/*
 * RFC 5321 section 4.2: a reply code is three digits; the first is 2..5
 * (1yz is unused by SMTP) and the second 0..5.
 */
bool
bounce_reply_code_valid(int64_t code)
{
	return code >= 200 && code <= 559 && (code / 10) % 10 <= 5;
}

/* Find a registry entry by subject and detail (binary search), or NULL. */
const BounceStatusCode *
bounce_status_lookup(int subject, int detail)
{
	int			lo = 0;
	int			hi = bounce_status_codes_count - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		const BounceStatusCode *e = &bounce_status_codes[mid];
		int			cmp = (e->subject != subject) ? e->subject - subject : e->detail - detail;

		if (cmp == 0)
			return e;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}
