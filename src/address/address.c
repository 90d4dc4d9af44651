/*-------------------------------------------------------------------------
 *
 * address.c
 *		Pure-C checking and normalising of e-mail addresses (UTF-8), the
 *		same under every locale.
 *
 * An address is accepted when, once the blanks around it are trimmed:
 *	- it is at most 254 bytes (RFC 5321 section 4.5.3.1.3), valid UTF-8
 *	  (RFC 3629), and holds no control character (gc=Cc);
 *	- the local part, before the last "@", is at most 64 bytes (section
 *	  4.5.3.1.1) and either a quoted string ("a b"@x, "a\"b"@x) or a run of
 *	  characters other than white space and ()<>[]:;@\", with no dot at
 *	  either end and no two dots together (RFC 5321 section 4.1.2, leaving
 *	  out nothing a mail system sends in practice);
 *	- the domain, without its trailing dots, is an address literal in
 *	  brackets ([192.0.2.1], [IPv6:2001:db8::1]) or dot-separated labels of
 *	  1 to 63 characters (RFC 1035 section 2.3.4) made of letters, digits
 *	  and inner hyphens; beyond ASCII, a label character is a letter
 *	  (gc=L), a combining mark (gc=Mn, Mc) or a decimal digit (gc=Nd),
 *	  RFC 5892 section 2.1's LetterDigits plus the titlecase letters.
 *
 * The normal form keeps the local part exactly (RFC 5321 section 2.4: it
 * may be case-sensitive) and case-folds the domain: ASCII letters to lower
 * case, every other character by Unicode simple case folding
 * (CaseFolding.txt, statuses C and S), from the table unicode_data.h that
 * gen_unicode_data.pl generates.  No locale, ctype or collation is
 * consulted, so the stored form cannot change with the database it is
 * restored into.  There is no Unicode normalisation (NFC) and no IDNA
 * conversion: "xn--bcher-kva.be" and "bücher.be" stay two domains.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "address/address.h"
#include "address/unicode_data.h"

#define ADDRESS_MAX_BYTES	254		/* RFC 5321 section 4.5.3.1.3 */
#define LOCAL_MAX_BYTES		64		/* RFC 5321 section 4.5.3.1.1 */
#define LABEL_MAX_CHARS		63		/* RFC 1035 section 2.3.4 */
#define QUOTE_LOCAL_CHARS	64		/* how much of a bad part a problem quotes */
#define QUOTE_DOMAIN_CHARS	80

const char *const bounce_unicode_version = BOUNCE_UNICODE_VERSION;

/* ----------------------------------------------------------------
 * UTF-8 and the Unicode tables
 * ----------------------------------------------------------------
 */

/*
 * The code point of the valid UTF-8 sequence at p (RFC 3629: no
 * overlongs, no surrogates, at most U+10FFFF) and its length, or 0.
 */
static int
utf8_decode(const unsigned char *p, size_t avail, uint32_t *cp)
{
	unsigned char b = p[0];
	int			n,
				i;
	uint32_t	v;

	if (b < 0x80)
	{
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF)
		n = 2, v = b & 0x1F;
	else if (b >= 0xE0 && b <= 0xEF)
		n = 3, v = b & 0x0F;
	else if (b >= 0xF0 && b <= 0xF4)
		n = 4, v = b & 0x07;
	else
		return 0;
	if (avail < (size_t) n)
		return 0;
	for (i = 1; i < n; i++)
	{
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF ||
		(v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

static int
utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/* Is cp in the sorted ranges r[0..n)? */
static bool
in_ranges(const UniRange *r, size_t n, uint32_t cp)
{
	size_t		lo = 0,
				hi = n;

	while (lo < hi)
	{
		size_t		mid = (lo + hi) / 2;

		if (cp < r[mid].first)
			hi = mid;
		else if (cp > r[mid].last)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

#define IN_TABLE(t, cp) in_ranges((t), sizeof(t) / sizeof((t)[0]), (cp))

uint32_t
bounce_casefold(uint32_t cp)
{
	size_t		lo = 0,
				hi = sizeof(uni_fold) / sizeof(uni_fold[0]);

	if (cp < 0x80)
		return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
	while (lo < hi)
	{
		size_t		mid = (lo + hi) / 2;

		if (cp < uni_fold[mid].first)
			hi = mid;
		else if (cp > uni_fold[mid].last)
			lo = mid + 1;
		else
			return (uint32_t) ((int32_t) cp + uni_fold[mid].delta);
	}
	return cp;
}

static bool
is_space_cp(uint32_t cp)
{
	return IN_TABLE(uni_space, cp);
}

/* May cp stand in a domain label (a hyphen only inside)? */
static bool
is_label_cp(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
			(cp >= '0' && cp <= '9');
	return IN_TABLE(uni_label, cp);
}

/* The code point at s[i] of the valid UTF-8 string s[0..n), and its length. */
static int
next_cp(const char *s, size_t n, size_t i, uint32_t *cp)
{
	int			k = utf8_decode((const unsigned char *) s + i, n - i, cp);

	return k > 0 ? k : 1;		/* never 0 on valid input; 1 keeps loops going */
}

/* The bytes of the first max characters of s[0..n). */
static size_t
clip_chars(const char *s, size_t n, int max)
{
	size_t		i = 0;
	uint32_t	cp;

	while (i < n && max-- > 0)
		i += next_cp(s, n, i, &cp);
	return i;
}

/* ----------------------------------------------------------------
 * The parts of an address
 * ----------------------------------------------------------------
 */

/* An address cut into its parts; each empty when absent. */
typedef struct AddressParts
{
	const char *a;				/* the trimmed address */
	size_t		n;
	const char *local;			/* before the last "@" */
	size_t		local_n;
	const char *domain;			/* after it, without trailing dots */
	size_t		domain_n;
	bool		has_at;
} AddressParts;

static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static void
split_address(const char *addr, size_t len, AddressParts *ap)
{
	const char *at = NULL;
	size_t		i;

	memset(ap, 0, sizeof(*ap));
	while (len > 0 && is_blank(addr[0]))
		addr++, len--;
	while (len > 0 && is_blank(addr[len - 1]))
		len--;
	ap->a = addr;
	ap->n = len;
	for (i = len; i > 0; i--)
		if (addr[i - 1] == '@')
		{
			at = addr + i - 1;
			break;
		}
	if (at == NULL)
		return;
	ap->has_at = true;
	ap->local = addr;
	ap->local_n = at - addr;
	ap->domain = at + 1;
	ap->domain_n = addr + len - ap->domain;
	while (ap->domain_n > 0 && ap->domain[ap->domain_n - 1] == '.')
		ap->domain_n--;
}

static bool
valid_utf8(const char *s, size_t n)
{
	size_t		i = 0;
	uint32_t	cp;

	while (i < n)
	{
		int			k = utf8_decode((const unsigned char *) s + i, n - i, &cp);

		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

static bool
has_control(const char *s, size_t n)
{
	size_t		i = 0;
	uint32_t	cp;

	while (i < n)
	{
		i += next_cp(s, n, i, &cp);
		if (IN_TABLE(uni_control, cp))
			return true;
	}
	return false;
}

/* A quoted local part: "..." of characters and backslash pairs. */
static bool
quoted_local_ok(const char *l, size_t n)
{
	size_t		i = 1;
	uint32_t	cp;

	if (n < 2 || l[0] != '"')
		return false;
	while (i < n && l[i] != '"')
	{
		if (l[i] == '\\')
		{
			if (i + 1 >= n)
				return false;
			i++;
		}
		i += next_cp(l, n, i, &cp);
	}
	return i == n - 1;
}

/* A dot-atom local part: no blank or special, no dot at an end or doubled. */
static bool
atom_local_ok(const char *l, size_t n)
{
	size_t		i = 0;
	uint32_t	cp;

	if (l[0] == '.' || l[n - 1] == '.')
		return false;
	while (i < n)
	{
		i += next_cp(l, n, i, &cp);
		if (is_space_cp(cp) || (cp != 0 && cp < 0x80 && strchr("[]\"(),:;<>@\\", (int) cp) != NULL))
			return false;
		if (cp == '.' && i < n && l[i] == '.')
			return false;
	}
	return true;
}

/* [...] with no "]", backslash or white space inside. */
static bool
address_literal_ok(const char *d, size_t n)
{
	size_t		i = 1;
	uint32_t	cp;

	if (n < 3 || d[0] != '[' || d[n - 1] != ']')
		return false;
	while (i < n - 1)
	{
		i += next_cp(d, n - 1, i, &cp);
		if (cp == ']' || cp == '\\' || is_space_cp(cp))
			return false;
	}
	return true;
}

/* Labels of 1 to 63 label characters, hyphens only inside. */
static bool
labels_ok(const char *d, size_t n)
{
	size_t		i = 0;

	while (true)
	{
		int			chars = 0;
		uint32_t	cp = 0;
		bool		last_hyphen = false;

		while (i < n && d[i] != '.')
		{
			i += next_cp(d, n, i, &cp);
			if (cp == '-' ? chars == 0 : !is_label_cp(cp))
				return false;
			last_hyphen = (cp == '-');
			chars++;
		}
		if (chars == 0 || chars > LABEL_MAX_CHARS || last_hyphen)
			return false;
		if (i == n)
			return true;
		i++;					/* the dot */
	}
}

/* The domain d[0..n) case-folded into out; its length. */
static size_t
fold_domain(const char *d, size_t n, char *out)
{
	size_t		i = 0,
				o = 0;
	uint32_t	cp;

	while (i < n)
	{
		int			k = utf8_decode((const unsigned char *) d + i, n - i, &cp);

		if (k == 0)
		{
			out[o++] = d[i++];	/* not reached on a checked address */
			continue;
		}
		o += utf8_encode(bounce_casefold(cp), out + o);
		i += k;
	}
	return o;
}

/* The length of the normal form: the domain's folding may change it. */
static size_t
folded_length(const AddressParts *ap)
{
	size_t		i = 0,
				len = ap->local_n + 1;
	uint32_t	cp;
	char		buf[4];

	while (i < ap->domain_n)
	{
		i += next_cp(ap->domain, ap->domain_n, i, &cp);
		len += utf8_encode(bounce_casefold(cp), buf);
	}
	return len;
}

/* ----------------------------------------------------------------
 * The entry points
 * ----------------------------------------------------------------
 */

const char *
bounce_address_problem(const char *addr, size_t len, char *buf)
{
	AddressParts ap;
	const char *msg = NULL;

	split_address(addr, len, &ap);
	if (ap.n == 0)
		msg = "the address is empty";
	else if (ap.n > ADDRESS_MAX_BYTES)
		msg = "longer than 254 bytes (RFC 5321 section 4.5.3.1.3)";
	else if (!valid_utf8(ap.a, ap.n))
		msg = "not valid UTF-8";
	else if (has_control(ap.a, ap.n))
		msg = "contains a control character";
	else if (!ap.has_at)
		msg = "no \"@\"";
	else if (ap.local_n == 0)
		msg = "empty local part";
	else if (ap.local_n > LOCAL_MAX_BYTES)
		msg = "local part longer than 64 bytes";
	else if (!quoted_local_ok(ap.local, ap.local_n) && !atom_local_ok(ap.local, ap.local_n))
	{
		snprintf(buf, BOUNCE_ADDRESS_PROBLEM_BUFLEN, "malformed local part \"%.*s\"",
				 (int) clip_chars(ap.local, ap.local_n, QUOTE_LOCAL_CHARS), ap.local);
		return buf;
	}
	else if (ap.domain_n == 0)
		msg = "empty domain";
	else if (!address_literal_ok(ap.domain, ap.domain_n) && !labels_ok(ap.domain, ap.domain_n))
	{
		snprintf(buf, BOUNCE_ADDRESS_PROBLEM_BUFLEN, "malformed domain \"%.*s\"",
				 (int) clip_chars(ap.domain, ap.domain_n, QUOTE_DOMAIN_CHARS), ap.domain);
		return buf;
	}
	else if (folded_length(&ap) > ADDRESS_MAX_BYTES)
		msg = "longer than 254 bytes (RFC 5321 section 4.5.3.1.3) once its domain is case-folded";
	if (msg == NULL)
		return NULL;
	snprintf(buf, BOUNCE_ADDRESS_PROBLEM_BUFLEN, "%s", msg);
	return buf;
}

size_t
bounce_address_normalize(const char *addr, size_t len, char *out)
{
	AddressParts ap;
	size_t		o;

	split_address(addr, len, &ap);
	if (!ap.has_at)
	{
		memcpy(out, ap.a, ap.n);
		out[ap.n] = '\0';
		return ap.n;
	}
	memcpy(out, ap.local, ap.local_n + 1);	/* with the "@" */
	o = ap.local_n + 1;
	o += fold_domain(ap.domain, ap.domain_n, out + o);
	out[o] = '\0';
	return o;
}
