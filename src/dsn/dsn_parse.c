/*-------------------------------------------------------------------------
 *
 * dsn_parse.c
 *		Pure-C parser of bounce e-mails: RFC 3464 / RFC 6522 delivery
 *		status notifications, RFC 6533 global DSNs, ARF feedback reports,
 *		RFC 3834 auto-replies and the plain-text bounces of MTAs that send
 *		no delivery-status part (qmail, Exim, old Sendmail/Postfix,
 *		Exchange, Gmail, Yahoo, ...).
 *
 * No PostgreSQL dependency: the same code is linked into the extension and
 * into the libFuzzer target test/fuzz/fuzz_dsn.c.  Memory comes only from
 * the caller's allocator hook (palloc in a per-call context in the
 * backend), and is never freed here.
 *
 * How it works, in one pass over the input plus passes over decoded parts:
 *	1. the header block is read (folded lines unfolded);
 *	2. the MIME tree is walked (multipart boundaries, base64 and
 *	   quoted-printable decoded), collecting the delivery-status parts, the
 *	   feedback-report part, the human-readable text parts and the headers
 *	   of the returned message;
 *	3. a message/(global-)delivery-status part gives one row per
 *	   per-recipient field group (RFC 3464 section 2.3), completed from the
 *	   text part where it lacks a diagnostic;
 *	4. without one, the text part is cut at the "copy of the original
 *	   message" line and scanned for recipient addresses; the lines from
 *	   one address to the next are that recipient's diagnostic, and the
 *	   first enhanced status code and reply code in them are its codes.
 *	   This is written for the FORMAT of these bounces (an address line,
 *	   then the reason) rather than for any one MTA's wording.
 *
 * No regular expressions: every scan is a forward walk over bytes, and
 * every search is for a short fixed string, so the time is linear in the
 * message size.  Limits (dsn.h) stop pathological nesting and header
 * floods with an error.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dsn/dsn.h"
#include "status/status.h"

/* ----------------------------------------------------------------
 * Small helpers
 * ----------------------------------------------------------------
 */

typedef struct Str
{
	const char *p;
	size_t		n;
} Str;

typedef struct Header
{
	Str			name;
	char	   *value;			/* unfolded, trimmed, NUL-terminated */
	size_t		vlen;
} Header;

typedef struct Headers
{
	Header	   *h;
	int			n;
} Headers;

/* A leaf of the MIME tree that the analysis uses. */
typedef enum PartKind
{
	PK_TEXT,
	PK_HTML,
	PK_DS,						/* message/delivery-status, global too */
	PK_FEEDBACK,				/* message/feedback-report */
	PK_ORIGINAL					/* message/rfc822 or text/rfc822-headers */
} PartKind;

typedef struct Part
{
	PartKind	kind;
	const char *body;			/* decoded */
	size_t		len;
	struct Part *next;
} Part;

typedef struct Ctx
{
	const DsnAllocator *a;
	DsnError	err;
	bool		ascii_only;
	int			nparts;
	Part	   *parts;
	Part	  **tail;
	bool		is_report_feedback; /* multipart/report; report-type=feedback-report */
	/* the recipients being built */
	DsnRecipient *rcpt;
	int			nrcpt;
	int			maxrcpt;
} Ctx;

static void *
dalloc(Ctx *c, size_t n)
{
	void	   *p;

	if (c->err != DSN_OK)
		return NULL;
	p = c->a->alloc(c->a->opaque, n ? n : 1);
	if (p == NULL)
		c->err = DSN_ERR_NOMEM;
	return p;
}

static inline bool
is_wsp(char ch)
{
	return ch == ' ' || ch == '\t';
}

static inline bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' || ch == '\v';
}

static inline bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static inline bool
is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static inline char
lower(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? ch + 32 : ch;
}

/* Does p start with the n-byte ASCII lowercase literal, ignoring case? */
static inline bool
ci_prefix_n(const char *p, size_t avail, const char *lit, size_t n)
{
	size_t		i;

	if (avail < n)
		return false;
	for (i = 0; i < n; i++)
		if (lower(p[i]) != lit[i])
			return false;
	return true;
}

static bool
ci_prefix(const char *p, size_t avail, const char *lit)
{
	return ci_prefix_n(p, avail, lit, strlen(lit));
}

static bool
ci_equal(Str s, const char *lit)
{
	return s.n == strlen(lit) && ci_prefix(s.p, s.n, lit);
}

/*
 * Case-insensitive search of a short lowercase literal in s[0..n).  The
 * literal is short and fixed, so this is linear in n.
 */
static const char *
ci_find(const char *s, size_t n, const char *lit)
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

static Str
trim(Str s)
{
	while (s.n > 0 && is_space(s.p[0]))
	{
		s.p++;
		s.n--;
	}
	while (s.n > 0 && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

static char *
dup_str(Ctx *c, const char *p, size_t n)
{
	char	   *r = dalloc(c, n + 1);

	if (r == NULL)
		return NULL;
	memcpy(r, p, n);
	r[n] = '\0';
	return r;
}

/*
 * Find the end of the line starting at p: *eol is the end of its content
 * (before CR LF or LF), the return value the start of the next line.
 */
static const char *
line_end(const char *p, const char *end, const char **eol)
{
	const char *nl = memchr(p, '\n', end - p);

	if (nl == NULL)
	{
		*eol = end;
		return end;
	}
	*eol = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
	return nl + 1;
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

static char *
clean(Ctx *c, const char *p, size_t n)
{
	char	   *out;
	char	   *o;
	size_t		i = 0;
	bool		space = false;

	if (p == NULL)
		return NULL;
	/* worst case: every byte becomes the 3-byte U+FFFD */
	out = dalloc(c, n * 3 + 1);
	if (out == NULL)
		return NULL;
	o = out;
	while (i < n)
	{
		unsigned char b = (unsigned char) p[i];
		int			k;

		if (b < 0x20 || b == 0x7F)
		{
			space = (o != out);
			i++;
			continue;
		}
		if (b == ' ')
		{
			space = (o != out);
			i++;
			continue;
		}
		if (space)
		{
			*o++ = ' ';
			space = false;
		}
		if (b < 0x80)
		{
			*o++ = (char) b;
			i++;
			continue;
		}
		k = utf8_seq((const unsigned char *) p + i, n - i);
		if (c->ascii_only)
		{
			*o++ = '?';
			i += k ? k : 1;
		}
		else if (k == 0)
		{
			*o++ = (char) 0xEF;
			*o++ = (char) 0xBF;
			*o++ = (char) 0xBD;
			i++;
		}
		else
		{
			memcpy(o, p + i, k);
			o += k;
			i += k;
		}
	}
	*o = '\0';
	if (o == out)
		return NULL;
	return out;
}

/* ----------------------------------------------------------------
 * Content transfer encodings and RFC 2047 encoded words
 * ----------------------------------------------------------------
 */

static int
b64val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+' || ch == '-')
		return 62;
	if (ch == '/' || ch == '_')
		return 63;
	return -1;
}

/* Base64, skipping anything that is not in the alphabet. */
static size_t
b64_decode(const char *p, size_t n, char *out)
{
	unsigned int acc = 0;
	int			bits = 0;
	size_t		o = 0;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		int			v;

		if (p[i] == '=')
			break;
		v = b64val(p[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned int) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			out[o++] = (char) ((acc >> bits) & 0xFF);
		}
	}
	return o;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = lower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Quoted-printable; underscore_space for RFC 2047 "Q" words. */
static size_t
qp_decode(const char *p, size_t n, char *out, bool underscore_space)
{
	size_t		o = 0;
	size_t		i = 0;

	while (i < n)
	{
		if (p[i] == '=' && i + 2 < n &&
			hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0)
		{
			out[o++] = (char) (hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
			i += 3;
		}
		else if (p[i] == '=' && i + 1 < n && (p[i + 1] == '\n' || p[i + 1] == '\r'))
		{
			/* soft line break */
			i++;
			if (i < n && p[i] == '\r')
				i++;
			if (i < n && p[i] == '\n')
				i++;
		}
		else if (underscore_space && p[i] == '_')
		{
			out[o++] = ' ';
			i++;
		}
		else
			out[o++] = p[i++];
	}
	return o;
}

/*
 * Decode RFC 2047 encoded words (=?charset?B|Q?text?=) in a header value.
 * The bytes are kept as they are (the output cleaner replaces what is not
 * UTF-8); white space between two adjacent encoded words is dropped.
 *
 * The "?=" that ends a word is searched for once per position, not once
 * per "=?": a value of many "=?x?b?" openers that are never closed would
 * otherwise rescan the rest of the value for each (quadratic: a 1 MB
 * Diagnostic-Code of them took over ten minutes).  The first "?=" at or
 * after a position stays the first one for any later position before it,
 * and when there is none, there is none further on either.
 */
static char *
decode_words(Ctx *c, const char *v, size_t n, size_t *outlen)
{
	char	   *out;
	size_t		o = 0;
	size_t		i = 0;
	size_t		pending_ws = 0;	/* whitespace held back after a word */
	bool		after_word = false;
	const char *close = NULL;	/* first "?=" at or after the last search */
	bool		close_searched = false;

	if (ci_find(v, n, "=?") == NULL)
	{
		*outlen = n;
		return (char *) v;
	}
	out = dalloc(c, n + 1);
	if (out == NULL)
		return NULL;
	while (i < n)
	{
		if (v[i] == '=' && i + 1 < n && v[i + 1] == '?')
		{
			/* =?charset?E?text?= */
			size_t		q1,
						q3;
			const char *q2p;
			char		enc;

			q2p = memchr(v + i + 2, '?', n - i - 2);
			if (q2p && (size_t) (q2p - v) + 3 < n && q2p[2] == '?')
			{
				q1 = q2p - v;
				enc = lower(q2p[1]);
				q3 = q1 + 3;
				if (!close_searched ||
					(close != NULL && (size_t) (close - v) < q3))
				{
					close = ci_find(v + q3, n - q3, "?=");
					close_searched = true;
				}
				{
					const char *e = close;

					if (e && (enc == 'b' || enc == 'q'))
					{
						size_t		tlen = e - (v + q3);

						if (!after_word)
						{
							memset(out + o, ' ', pending_ws);
							o += pending_ws;
						}
						pending_ws = 0;
						if (enc == 'b')
							o += b64_decode(v + q3, tlen, out + o);
						else
							o += qp_decode(v + q3, tlen, out + o, true);
						i = (e - v) + 2;
						after_word = true;
						continue;
					}
				}
			}
		}
		if (is_space(v[i]))
		{
			pending_ws++;
			i++;
			continue;
		}
		memset(out + o, ' ', pending_ws);
		o += pending_ws;
		pending_ws = 0;
		after_word = false;
		out[o++] = v[i++];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* ----------------------------------------------------------------
 * Header blocks
 * ----------------------------------------------------------------
 */

/* Does the line look like "Name: value" (RFC 5322 field name)? */
static bool
is_field_line(const char *p, const char *eol)
{
	const char *s = p;

	while (s < eol && *s != ':' && (unsigned char) *s > 32 && (unsigned char) *s < 127)
		s++;
	return s > p && s < eol && *s == ':';
}

/*
 * Read a header block starting at p.  Stops at the first empty line (the
 * body follows it) or at the first line that is neither a field nor a
 * continuation.  Returns the start of the body.
 */
static const char *
parse_headers(Ctx *c, const char *p, const char *end, Headers *hs)
{
	int			cap = 0;
	const char *start;

	hs->h = NULL;
	hs->n = 0;
	/* tolerate an mbox "From " line at the top */
	if (end - p > 5 && memcmp(p, "From ", 5) == 0)
	{
		const char *eol;

		p = line_end(p, end, &eol);
	}
	while (p < end && c->err == DSN_OK)
	{
		const char *eol;
		const char *next = line_end(p, end, &eol);
		const char *colon;
		const char *vend;
		char	   *val;
		size_t		vlen = 0;
		const char *q;

		if (eol == p)
			return next;		/* empty line: end of headers */
		if (!is_field_line(p, eol))
			return p;			/* not a header: the body starts here */
		colon = memchr(p, ':', eol - p);
		start = colon + 1;
		/* the value runs on over continuation lines */
		vend = eol;
		while (next < end && is_wsp(*next))
		{
			const char *e2;
			const char *n2 = line_end(next, end, &e2);

			vend = e2;
			next = n2;
		}
		if (hs->n == cap)
		{
			Header	   *nh;
			int			ncap = cap ? cap * 2 : 32;

			if (cap >= DSN_MAX_HEADERS)
			{
				c->err = DSN_ERR_HEADERS;
				return end;
			}
			nh = dalloc(c, sizeof(Header) * ncap);
			if (nh == NULL)
				return end;
			if (hs->n)
				memcpy(nh, hs->h, sizeof(Header) * hs->n);
			hs->h = nh;
			cap = ncap;
		}
		if (hs->n >= DSN_MAX_HEADERS)
		{
			c->err = DSN_ERR_HEADERS;
			return end;
		}
		/* unfold: drop the CR and LF of each line break */
		val = dalloc(c, (vend - start) + 1);
		if (val == NULL)
			return end;
		for (q = start; q < vend; q++)
			if (*q != '\r' && *q != '\n')
				val[vlen++] = *q;
		val[vlen] = '\0';
		{
			Str			t = trim((Str)
			{
				val, vlen
			});

			hs->h[hs->n].name.p = p;
			hs->h[hs->n].name.n = colon - p;
			/* trim the name too: "Status :" occurs */
			while (hs->h[hs->n].name.n > 0 && is_wsp(p[hs->h[hs->n].name.n - 1]))
				hs->h[hs->n].name.n--;
			hs->h[hs->n].value = (char *) t.p;
			((char *) t.p)[t.n] = '\0';
			hs->h[hs->n].vlen = t.n;
		}
		hs->n++;
		p = next;
	}
	return p;
}

static const Header *
hdr_get(const Headers *hs, const char *name)
{
	int			i;

	for (i = 0; i < hs->n; i++)
		if (ci_equal(hs->h[i].name, name))
			return &hs->h[i];
	return NULL;
}

/* The media type of a Content-Type value, lowercased, e.g. "text/plain". */
static Str
ctype_type(const Header *h)
{
	Str			s = {"text/plain", 10};
	const char *semi;

	if (h == NULL)
		return s;
	semi = memchr(h->value, ';', h->vlen);
	s.p = h->value;
	s.n = semi ? (size_t) (semi - h->value) : h->vlen;
	return trim(s);
}

/* The value of parameter name (lowercase) in a Content-Type value. */
static Str
ctype_param(const Header *h, const char *name)
{
	Str			r = {NULL, 0};
	const char *p;
	const char *end;
	size_t		nl = strlen(name);

	if (h == NULL)
		return r;
	p = h->value;
	end = h->value + h->vlen;
	while (p < end)
	{
		const char *semi = memchr(p, ';', end - p);

		if (semi == NULL)
			break;
		p = semi + 1;
		while (p < end && is_space(*p))
			p++;
		if (ci_prefix(p, end - p, name) && p + nl < end)
		{
			const char *q = p + nl;

			while (q < end && is_space(*q))
				q++;
			if (q < end && *q == '=')
			{
				q++;
				while (q < end && is_space(*q))
					q++;
				if (q < end && *q == '"')
				{
					const char *e = memchr(q + 1, '"', end - q - 1);

					r.p = q + 1;
					r.n = e ? (size_t) (e - q - 1) : (size_t) (end - q - 1);
				}
				else
				{
					const char *e = q;

					while (e < end && *e != ';' && !is_space(*e))
						e++;
					r.p = q;
					r.n = e - q;
				}
				return r;
			}
		}
	}
	return r;
}

/* ----------------------------------------------------------------
 * The MIME walk
 * ----------------------------------------------------------------
 */

static void
add_part(Ctx *c, PartKind kind, const char *body, size_t len)
{
	Part	   *pt = dalloc(c, sizeof(Part));

	if (pt == NULL)
		return;
	pt->kind = kind;
	pt->body = body;
	pt->len = len;
	pt->next = NULL;
	*c->tail = pt;
	c->tail = &pt->next;
}

/*
 * ISO-2022-JP (RFC 1468) to EUC-JP: the same JIS X 0208 characters, each
 * byte with its high bit set instead of escape sequences around them, so
 * that the charset hook needs no stateful decoder.  ESC ( B / ESC ( J
 * return to ASCII, ESC $ @ / ESC $ B switch to JIS X 0208, ESC ( I to
 * half-width katakana (EUC-JP SS2).  Line breaks end a shifted run; an
 * unknown or cut-off escape and a lone half of a pair become '?', so
 * nothing is read as something else.
 */
static char *
iso2022jp_to_eucjp(Ctx *c, const char *p, size_t n, size_t *outlen)
{
	unsigned char *out = dalloc(c, n * 2 + 1);
	size_t		i = 0,
				o = 0;
	enum
	{
		J_ASCII, J_X0208, J_KANA
	}			state = J_ASCII;

	if (out == NULL)
		return NULL;
	while (i < n)
	{
		unsigned char b = (unsigned char) p[i];

		if (b == 0x1B)
		{
			if (i + 2 < n && p[i + 1] == '(' && (p[i + 2] == 'B' || p[i + 2] == 'J'))
				state = J_ASCII;
			else if (i + 2 < n && p[i + 1] == '$' && (p[i + 2] == 'B' || p[i + 2] == '@'))
				state = J_X0208;
			else if (i + 2 < n && p[i + 1] == '(' && p[i + 2] == 'I')
				state = J_KANA;
			else
			{
				out[o++] = '?';
				i++;
				continue;
			}
			i += 3;
			continue;
		}
		if (b == '\r' || b == '\n')
		{
			state = J_ASCII;
			out[o++] = b;
			i++;
			continue;
		}
		if (state == J_X0208 && b >= 0x21 && b <= 0x7E)
		{
			unsigned char b2 = i + 1 < n ? (unsigned char) p[i + 1] : 0;

			if (b2 >= 0x21 && b2 <= 0x7E)
			{
				out[o++] = b | 0x80;
				out[o++] = b2 | 0x80;
				i += 2;
			}
			else
			{
				out[o++] = '?';
				i++;
			}
			continue;
		}
		if (state == J_KANA && b >= 0x21 && b <= 0x5F)
		{
			out[o++] = 0x8E;
			out[o++] = b | 0x80;
			i++;
			continue;
		}
		/*
		 * 8-bit bytes do not belong in ISO-2022-JP: such text is EUC-JP
		 * labelled wrongly (seen from Japanese carriers), so they pass
		 * through for the EUC-JP conversion to read or refuse.
		 */
		out[o++] = b;
		i++;
	}
	out[o] = '\0';
	*outlen = o;
	return (char *) out;
}

/*
 * A text part's bytes in UTF-8, by its charset parameter: as they are for
 * US-ASCII and UTF-8 (and when nothing can convert them), else through
 * the caller's charset hook.
 */
static const char *
text_to_utf8(Ctx *c, Str charset, const char *p, size_t n, size_t *outlen)
{
	char		name[64];
	const char *src = p;
	size_t		srclen = n;
	char	   *res;
	size_t		i;

	*outlen = n;
	charset = trim(charset);
	if (charset.n == 0 || charset.n >= sizeof(name) || n == 0 ||
		ci_equal(charset, "us-ascii") || ci_equal(charset, "utf-8") || ci_equal(charset, "utf8"))
		return p;
	for (i = 0; i < charset.n; i++)
		name[i] = lower(charset.p[i]);
	name[charset.n] = '\0';
	if (strcmp(name, "iso-2022-jp") == 0 || strcmp(name, "csiso2022jp") == 0)
	{
		src = iso2022jp_to_eucjp(c, p, n, &srclen);
		if (src == NULL)
			return p;
		strcpy(name, "euc-jp");
	}
	if (c->a->convert == NULL)
		return p;
	res = c->a->convert(c->a->opaque, name, src, srclen, outlen);
	if (res == NULL)
	{
		*outlen = n;
		return p;
	}
	return res;
}

/* Decode a body by its Content-Transfer-Encoding. */
static const char *
decode_body(Ctx *c, const Headers *hs, const char *p, size_t n, size_t *outlen)
{
	const Header *cte = hdr_get(hs, "content-transfer-encoding");
	char	   *out;

	*outlen = n;
	if (cte == NULL)
		return p;
	if (ci_find(cte->value, cte->vlen, "base64"))
	{
		out = dalloc(c, n / 4 * 3 + 4);
		if (out == NULL)
			return p;
		*outlen = b64_decode(p, n, out);
		return out;
	}
	if (ci_find(cte->value, cte->vlen, "quoted-printable"))
	{
		out = dalloc(c, n + 1);
		if (out == NULL)
			return p;
		*outlen = qp_decode(p, n, out, false);
		return out;
	}
	return p;
}

static void walk(Ctx *c, const Headers *hs, const char *body, const char *end,
				 int depth);

/* Split a multipart body at its boundary lines and walk each part. */
static void
walk_multipart(Ctx *c, Str boundary, const char *p, const char *end, int depth)
{
	const char *part = NULL;	/* start of the current part */
	const char *part_end = NULL;

	while (p < end && c->err == DSN_OK)
	{
		const char *eol;
		const char *next = line_end(p, end, &eol);

		if (eol - p >= (ptrdiff_t) (boundary.n + 2) && p[0] == '-' && p[1] == '-' &&
			memcmp(p + 2, boundary.p, boundary.n) == 0)
		{
			const char *after = p + 2 + boundary.n;
			bool		closing = (eol - after >= 2 && after[0] == '-' && after[1] == '-');
			const char *rest = closing ? after + 2 : after;

			/* only blanks may follow: "--b1" must not match "--b10" */
			while (rest < eol && is_wsp(*rest))
				rest++;
			if (rest != eol)
			{
				p = next;
				continue;
			}

			if (part != NULL)
			{
				Headers		phs;
				const char *pb;

				/* the line break before the boundary belongs to it */
				part_end = p;
				if (part_end > part && part_end[-1] == '\n')
					part_end--;
				if (part_end > part && part_end[-1] == '\r')
					part_end--;
				if (++c->nparts > DSN_MAX_PARTS)
				{
					c->err = DSN_ERR_PARTS;
					return;
				}
				pb = parse_headers(c, part, part_end, &phs);
				if (pb > part_end)
					pb = part_end;
				walk(c, &phs, pb, part_end, depth + 1);
			}
			if (closing)
				return;
			part = next;
		}
		p = next;
	}
	/* an unterminated last part still counts */
	if (part != NULL && part < end && c->err == DSN_OK)
	{
		Headers		phs;
		const char *pb;

		if (++c->nparts > DSN_MAX_PARTS)
		{
			c->err = DSN_ERR_PARTS;
			return;
		}
		pb = parse_headers(c, part, end, &phs);
		walk(c, &phs, pb, end, depth + 1);
	}
}

static void
walk(Ctx *c, const Headers *hs, const char *body, const char *end, int depth)
{
	const Header *ct = hdr_get(hs, "content-type");
	Str			type = ctype_type(ct);
	size_t		dlen;
	const char *dec;

	if (c->err != DSN_OK)
		return;
	if (depth > DSN_MAX_DEPTH)
	{
		c->err = DSN_ERR_DEPTH;
		return;
	}
	if (type.n >= 10 && ci_prefix(type.p, type.n, "multipart/"))
	{
		Str			b = ctype_param(ct, "boundary");

		if (b.n > 0)
		{
			Str			rt = ctype_param(ct, "report-type");

			if (rt.n > 0 && ci_equal(rt, "feedback-report"))
				c->is_report_feedback = true;
			walk_multipart(c, b, body, end, depth);
			return;
		}
		/* no boundary: read it as text */
	}
	dec = decode_body(c, hs, body, end - body, &dlen);
	if (ci_equal(type, "message/delivery-status") ||
		ci_equal(type, "message/global-delivery-status"))
		add_part(c, PK_DS, dec, dlen);
	else if (ci_equal(type, "message/feedback-report"))
		add_part(c, PK_FEEDBACK, dec, dlen);
	else if (ci_equal(type, "message/rfc822") ||
			 ci_equal(type, "message/global") ||
			 ci_equal(type, "text/rfc822-headers") ||
			 ci_equal(type, "message/rfc822-headers") ||
			 ci_equal(type, "message/global-headers"))
		add_part(c, PK_ORIGINAL, dec, dlen);
	else if (ci_equal(type, "text/html"))
	{
		dec = text_to_utf8(c, ctype_param(ct, "charset"), dec, dlen, &dlen);
		add_part(c, PK_HTML, dec, dlen);
	}
	else if (type.n >= 5 && ci_prefix(type.p, type.n, "text/"))
	{
		dec = text_to_utf8(c, ctype_param(ct, "charset"), dec, dlen, &dlen);
		add_part(c, PK_TEXT, dec, dlen);
	}
}

/* ----------------------------------------------------------------
 * Dates (RFC 5322 section 3.3, with the obsolete zone names)
 * ----------------------------------------------------------------
 */

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"
};

/* Obsolete zone names (RFC 5322 section 4.3) and a few common ones. */
static const struct
{
	const char *name;
	int			minutes;
}			zone_names[] = {
	{"ut", 0}, {"utc", 0}, {"gmt", 0}, {"z", 0},
	{"est", -300}, {"edt", -240}, {"cst", -360}, {"cdt", -300},
	{"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420},
	{"jst", 540}, {"cet", 60}, {"cest", 120}, {"bst", 60}
};

static int
read_num(const char **p, const char *end, int maxdigits, int *v)
{
	int			n = 0;

	*v = 0;
	while (*p < end && is_digit(**p) && n < maxdigits)
	{
		*v = *v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

static void
skip_cfws(const char **p, const char *end)
{
	while (*p < end && (is_space(**p) || **p == ','))
		(*p)++;
}

bool
bounce_dsn_parse_date(const char *s, size_t len, int64_t *result)
{
	const char *p = s;
	const char *end = s + len;
	int			day,
				mon = -1,
				year,
				hh,
				mi,
				ss = 0;
	int			zone = 0;
	int			i;
	int			nd;

	skip_cfws(&p, end);
	/* optional day of week */
	if (end - p >= 3 && is_alpha(p[0]))
	{
		while (p < end && is_alpha(*p))
			p++;
		skip_cfws(&p, end);
	}
	if (read_num(&p, end, 2, &day) == 0 || day < 1 || day > 31)
		return false;
	skip_cfws(&p, end);
	for (i = 0; i < 12; i++)
		if (ci_prefix(p, end - p, month_names[i]))
			mon = i + 1;
	if (mon < 0)
		return false;
	while (p < end && is_alpha(*p))
		p++;
	skip_cfws(&p, end);
	nd = read_num(&p, end, 4, &year);
	if (nd == 2)
		year += (year < 50) ? 2000 : 1900;
	else if (nd == 3)
		year += 1900;
	else if (nd != 4)
		return false;
	skip_cfws(&p, end);
	if (read_num(&p, end, 2, &hh) == 0 || hh > 23 || p >= end || *p != ':')
		return false;
	p++;
	if (read_num(&p, end, 2, &mi) != 2 || mi > 59)
		return false;
	if (p < end && *p == ':')
	{
		p++;
		if (read_num(&p, end, 2, &ss) != 2 || ss > 60)
			return false;
	}
	skip_cfws(&p, end);
	if (p < end && (*p == '+' || *p == '-'))
	{
		int			z;
		bool		neg = (*p == '-');

		p++;
		if (read_num(&p, end, 4, &z) != 4 || z % 100 > 59)
			return false;
		zone = (z / 100) * 60 + z % 100;
		if (neg)
			zone = -zone;
	}
	else if (p < end && is_alpha(*p))
	{
		const char *z = p;
		bool		found = false;

		while (p < end && is_alpha(*p))
			p++;
		for (i = 0; i < (int) (sizeof(zone_names) / sizeof(zone_names[0])); i++)
			if (ci_equal((Str)
						 {
						 z, (size_t) (p - z)
						 }, zone_names[i].name))
			{
				zone = zone_names[i].minutes;
				found = true;
			}
		if (!found)
			zone = 0;			/* unknown zone: RFC 5322 says treat as UTC */
	}
	if (day > 28)
	{
		static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		bool		leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

		if (day > mdays[mon - 1] || (mon == 2 && day == 29 && !leap))
			return false;
	}
	*result = days_from_civil(year, mon, day) * 86400 +
		hh * 3600 + mi * 60 + (ss > 59 ? 59 : ss) - (int64_t) zone * 60;
	return true;
}

/* ----------------------------------------------------------------
 * Finding codes, commands and addresses in text
 * ----------------------------------------------------------------
 */

/*
 * First RFC 3463 code (class 2, 4 or 5) in s that stands alone: not part
 * of a longer number or of an IP address.  Returns 0 when none.
 */
static int32_t
find_status(const char *s, size_t n)
{
	size_t		i;

	for (i = 0; i + 5 <= n; i++)
	{
		char		ch = s[i];
		size_t		j;
		int32_t		v;

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
 * The reply code and enhanced status code of a diagnostic text.
 *
 * A negative reply code (4yz, 5yz) directly followed by a status code
 * ("550 5.1.1", "550-5.1.1", "550-'5.2.2") is the best evidence: both are
 * taken from it.  Otherwise the first negative reply code and the first
 * status code are taken separately.  Positive codes (2yz, 3yz) are taken
 * only when positive is true (a success report): in a failure they are
 * greetings or transcript lines ("220 mx ESMTP", "250 Ok").
 */
static void
find_codes(const char *s, size_t n, bool positive, int *reply, int32_t *status)
{
	size_t		i;
	int			first_reply = 0;
	int			first_pos = 0;

	*reply = 0;
	*status = 0;
	for (i = 0; i + 3 <= n; i++)
	{
		int			v;

		if (!reply_code_at(s, n, i))
			continue;
		v = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
		if (v < 400)
		{
			if (first_pos == 0)
				first_pos = v;
			i += 2;
			continue;
		}
		if (first_reply == 0)
			first_reply = v;
		{
			size_t		j = i + 3;
			int32_t		st;

			while (j < n && j < i + 6 && (s[j] == ' ' || s[j] == '-' || s[j] == '\'' ||
										  s[j] == ':' || s[j] == '"'))
				j++;
			if (j < n && s[j] == s[i] && (st = find_status(s + j, n - j < 12 ? n - j : 12)) != 0 &&
				BOUNCE_STATUS_CLASS(st) == s[i] - '0')
			{
				*reply = v;
				*status = st;
				return;
			}
		}
		i += 2;
	}
	*reply = first_reply ? first_reply : (positive ? first_pos : 0);
	*status = find_status(s, n);
}

/*
 * The SMTP command at which delivery failed, from the wording MTAs use.
 * The table is in priority order: the first phrase found wins.
 */
static const struct
{
	const char *phrase;
	const char *command;
}			command_phrases[] = {
	/* Postfix: "(in reply to end of DATA command)"; Exim: "after end of data" */
	{"end of data", "DATA"},
	{"in reply to data", "DATA"},
	{"after data", "DATA"},
	/* Exim with PIPELINING: "after pipelined DATA" (RCPT TO and MAIL FROM are caught below) */
	{"after pipelined data", "DATA"},
	/* RFC 3030 CHUNKING, the data phase: "(in reply to end of BDAT command)", Exim "after BDAT" */
	{"end of bdat", "BDAT"},
	{"in reply to bdat", "BDAT"},
	{"after bdat", "BDAT"},
	{"after pipelined bdat", "BDAT"},
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
	/* Exim: "after initial connection"; Postfix: "while talking to" is not one */
	{"initial connection", "CONN"},
	{"connection refused", "CONN"},
	{"connection timed out", "CONN"},
};

#define NCOMMAND_PHRASES (sizeof(command_phrases) / sizeof(command_phrases[0]))

/*
 * One pass over s: at each byte, try only the phrases that start with it,
 * and keep the one earliest in the table.
 */
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

static const char *
find_command(const char *s, size_t n)
{
	size_t		i;
	size_t		best = NCOMMAND_PHRASES;

	if (s == NULL)
		return NULL;
	if (!command_ready)
		command_init();
	for (i = 0; i < n && best > 0; i++)
	{
		const int  *k = command_bucket[(unsigned char) s[i]];

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
 * The failing command of an SMTP session transcript (Sendmail and others
 * quote the session: ">>> RCPT To:<...>" sent, "<<< 550 ..." received):
 * the last command sent before the first negative reply.  Scans at most
 * span bytes.
 */
static const char *
transcript_command(const char *t, size_t n)
{
	const char *p = t;
	const char *end = t + n;
	const char *last = NULL;
	static const struct
	{
		const char *word;
		const char *command;
	}			words[] = {
		{"ehlo", "EHLO"}, {"helo", "HELO"}, {"starttls", "STARTTLS"},
		{"mail", "MAIL"}, {"rcpt", "RCPT"}, {"data", "DATA"}, {".", "DATA"}
	};

	while (p < end)
	{
		const char *eol;
		const char *next = line_end(p, end, &eol);
		size_t		len = eol - p;

		if (len > 4 && memcmp(p, ">>> ", 4) == 0)
		{
			size_t		i;

			for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
				if (ci_prefix(p + 4, len - 4, words[i].word))
					last = words[i].command;
		}
		else if (len > 5 && memcmp(p, "<<< ", 4) == 0 && (p[4] == '4' || p[4] == '5') &&
				 last != NULL)
			return last;
		p = next;
	}
	return NULL;
}

/*
 * The remote host in text such as "host mx.example.com[192.0.2.1] said:"
 * (Postfix) or "host mx.example.com [192.0.2.1]:" (Exim).
 */
static Str
find_remote_host(const char *s, size_t n)
{
	Str			r = {NULL, 0};
	const char *p = s;
	const char *end = s + n;

	while (p < end)
	{
		const char *h = ci_find(p, end - p, "host ");
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
	return r;
}

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
static bool
next_address(const char *s, size_t n, size_t *pos, size_t *start, size_t *len)
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

static bool
addr_equal(const char *a, size_t an, const char *b, size_t bn)
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
static Str
typed_value(const char *v, size_t n)
{
	Str			s = {v, n};
	const char *semi = memchr(v, ';', n);

	if (semi)
	{
		s.p = semi + 1;
		s.n = n - (semi + 1 - v);
	}
	s = trim(s);
	if (s.n >= 2 && s.p[0] == '<' && s.p[s.n - 1] == '>')
	{
		s.p++;
		s.n -= 2;
		s = trim(s);
	}
	return s;
}

/*
 * An MTA name field (Reporting-MTA, Remote-MTA): the typed value without
 * the comments that follow the name ("mx1.example.com (192.0.2.1)",
 * "mx.example.net (Postfix)"): RFC 5322 comments are not part of it.
 */
static Str
mta_name(const char *v, size_t n)
{
	Str			s = typed_value(v, n);
	const char *paren;

	if (s.n > 0 && s.p[0] != '(' && (paren = memchr(s.p, '(', s.n)) != NULL)
	{
		s.n = paren - s.p;
		s = trim(s);
	}
	return s;
}

/*
 * The address in a recipient field value, or an empty Str when it is not
 * a usable address ("@mx.example.org", "user@server" without a dot, or an
 * RFC 5321 source route's host list only).
 */
static Str
plain_address(Str v)
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
	if (!next_address(v.p, v.n, &pos, &st, &ln))
		return none;
	v.p += st;
	v.n = ln;
	return v;
}

/* ----------------------------------------------------------------
 * Building the result
 * ----------------------------------------------------------------
 */

static DsnRecipient *
new_rcpt(Ctx *c)
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
		DsnRecipient *nr = dalloc(c, sizeof(DsnRecipient) * ncap);

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

/* Fill reply code, status, command and remote MTA from a diagnostic text. */
static void
fill_from_text(Ctx *c, DsnRecipient *r, const char *t, size_t n, bool prefer_text_status)
{
	if (t == NULL || n == 0)
		return;
	{
		int			rc;
		int32_t		st;
		bool		positive = BOUNCE_STATUS_CLASS(r->status) == 2 ||
			(r->action != NULL && (strcmp(r->action, "delivered") == 0 ||
								   strcmp(r->action, "relayed") == 0 ||
								   strcmp(r->action, "expanded") == 0));

		find_codes(t, n, positive, &rc, &st);
		if (r->reply_code == 0)
			r->reply_code = rc;
		/* a code in the diagnostic is more specific than the Status field */
		if (r->status == 0 || (st != 0 && prefer_text_status) ||
			(st != 0 && BOUNCE_STATUS_CLASS(st) == BOUNCE_STATUS_CLASS(r->status) &&
			 BOUNCE_STATUS_SUBJECT(r->status) == 0 && BOUNCE_STATUS_DETAIL(r->status) == 0))
			r->status = st;
	}
	if (r->smtp_command == NULL)
		r->smtp_command = find_command(t, n);
	if (r->remote_mta == NULL)
	{
		Str			h = find_remote_host(t, n);

		if (h.n)
			r->remote_mta = clean(c, h.p, h.n);
	}
}

/*
 * Lines that start the copy of the returned message in a plain-text
 * bounce.  Matched case-insensitively at the start of a line (after
 * leading dashes, blanks and similar decoration); the scan for recipients
 * stops there.  Sources: the wording of the MTAs in the corpus.
 */
static const char *const original_markers[] = {
	"below this line is a copy of the message",	/* qmail */
	"this is a copy of the message",	/* Exim */
	"original message",			/* Gmail, Sendmail, Exchange, many */
	"returned message",			/* old Sendmail, FML */
	"the original message",
	"message header follows",
	"unsent message below",		/* Postfix, old */
	"undelivered message",
	"headers of the original message",
	"header of the original message",
	"copy of the original message",
	"original mail",
	"rfc822 header",
	"content-type: message/rfc822",
	"forwarded message",
};

/* Field names that, at the start of a line, begin a returned header block. */
static const char *const original_fields[] = {
	"return-path:", "received:", "dkim-signature:", "x-received:",
	"arc-seal:", "authentication-results:"
};

static bool
is_original_start(const char *p, const char *eol)
{
	const char *s = p;
	size_t		i;

	for (i = 0; i < sizeof(original_fields) / sizeof(original_fields[0]); i++)
		if (ci_prefix(p, eol - p, original_fields[i]))
			return true;
	while (s < eol && (*s == '-' || *s == '=' || *s == '_' || *s == '*' ||
					   *s == '>' || *s == '<' || *s == '[' || *s == '(' || is_wsp(*s)))
		s++;
	if (s - p < 3 && !(s < eol && lower(*s) == 'b'))
	{
		/*
		 * markers are decorated lines, except qmail's and a plain
		 * announcement such as "Original message follows." (IMail, fml)
		 */
		if (ci_find(s, eol - s, "follow") == NULL || eol - s > 60)
			return false;
		for (i = 0; i < sizeof(original_markers) / sizeof(original_markers[0]); i++)
			if (ci_prefix(s, eol - s, original_markers[i]))
				return true;
		return false;
	}
	for (i = 0; i < sizeof(original_markers) / sizeof(original_markers[0]); i++)
		if (s - p >= 3 ? ci_find(s, eol - s, original_markers[i]) != NULL
			: ci_prefix(s, eol - s, original_markers[i]))
			return true;
	return false;
}

/* A list of addresses not to report as recipients (the sender, ...). */
typedef struct AddrList
{
	Str			a[16];
	int			n;
} AddrList;

static void
addrlist_add_from(AddrList *l, const char *v, size_t n)
{
	size_t		pos = 0,
				st,
				ln;

	while (l->n < 16 && next_address(v, n, &pos, &st, &ln))
	{
		l->a[l->n].p = v + st;
		l->a[l->n].n = ln;
		l->n++;
	}
}

static bool
addrlist_has(const AddrList *l, const char *a, size_t n)
{
	int			i;

	for (i = 0; i < l->n; i++)
		if (addr_equal(l->a[i].p, l->a[i].n, a, n))
			return true;
	return false;
}

/* Local parts that are never a bounced recipient: they send the bounce. */
static bool
is_robot(const char *a, size_t n)
{
	return ci_prefix(a, n, "mailer-daemon@") || ci_prefix(a, n, "postmaster@") ||
		ci_prefix(a, n, "mail-daemon@") || ci_prefix(a, n, "mailer_daemon@");
}

/* Is the address at s[st] the argument of MAIL FROM (the sender)? */
static bool
after_from(const char *s, size_t st)
{
	size_t		k = st;
	int			back = 0;

	while (k > 0 && back < 12 && (s[k - 1] == '<' || is_wsp(s[k - 1]) || s[k - 1] == ':'))
	{
		k--;
		back++;
	}
	return (k >= 4 && ci_prefix(s + k - 4, 4, "from")) ||
		(k >= 4 && ci_prefix(s + k - 4, 4, " for"));
}

/* Does the line, apart from the address, hold only decoration? */
static bool
line_is_just_address(const char *p, const char *eol, size_t alen)
{
	size_t		other = 0;

	for (; p < eol; p++)
		if (!is_space(*p) && *p != '<' && *p != '>' && *p != ':' && *p != '"' &&
			*p != '\'' && *p != ',' && *p != '*' && *p != '-')
			other++;
	return other <= alen;
}

typedef struct TextRcpt
{
	const char *addr;
	size_t		alen;
	const char *line;			/* start of the line where it first appears */
	const char *next;			/* start of the line after it */
	bool		just_address;
	bool		weak;			/* seen only in a "To:" or "Cc:" line */
} TextRcpt;

/*
 * Scan the human-readable text of a bounce for recipients.  wanted, when
 * given, limits the recipients to those addresses (Exim's
 * X-Failed-Recipients).  Each recipient's diagnostic is the text from its
 * line to the next recipient's line.
 */
static bool has_word(const char *s);

/* End of the paragraph that starts at p: its first blank line after text. */
static const char *
paragraph_end(const char *p, const char *end)
{
	bool		text = false;

	while (p < end)
	{
		const char *eol;
		const char *next = line_end(p, end, &eol);

		if (trim((Str) {p, (size_t) (eol - p)}).n == 0)
		{
			if (text)
				return p;
		}
		else
			text = true;
		p = next;
	}
	return end;
}

/*
 * The diagnostic of a recipient's block [bs, be) in a plain-text bounce:
 * its first paragraph, which names the failure; when that paragraph has
 * no SMTP reply, also the first later paragraph that has one (Gmail puts
 * "The response from the remote server was: 550 ..." after a blank
 * line).  Closing boilerplate ("The attachment contains ...", "Please
 * contact your administrator") stays out.
 */
static char *
block_diagnostic(Ctx *c, const char *bs, const char *be)
{
	const char *pe = paragraph_end(bs, be);
	const char *q = pe;
	int			rc;
	int32_t		st;
	char	   *buf;

	find_codes(bs, pe - bs, false, &rc, &st);
	if (rc != 0 || st != 0)
		return clean(c, bs, pe - bs);
	while (q < be)
	{
		const char *qe = paragraph_end(q, be);

		find_codes(q, qe - q, false, &rc, &st);
		if (rc != 0 || st != 0)
		{
			buf = dalloc(c, (pe - bs) + (qe - q) + 2);
			if (buf == NULL)
				return NULL;
			memcpy(buf, bs, pe - bs);
			buf[pe - bs] = '\n';
			memcpy(buf + (pe - bs) + 1, q, qe - q);
			return clean(c, buf, (pe - bs) + 1 + (qe - q));
		}
		if (qe == q)
			break;
		q = qe;
	}
	return clean(c, bs, be - bs);
}

static void
scan_text(Ctx *c, const char *t, size_t n, const AddrList *exclude,
		  const AddrList *wanted, const char *format, const char *action)
{
	const char *end = t + n;
	const char *p = t;
	TextRcpt   *tr = NULL;
	int			ntr = 0,
				cap = 0;
	int			i;
	const char *text_end = end;
	const char *first_line = NULL;
	int			nstrong = 0;

	/* find where the returned message starts */
	while (p < end)
	{
		const char *eol;
		const char *next = line_end(p, end, &eol);

		if (first_line != NULL && is_original_start(p, eol))
		{
			text_end = p;
			break;
		}
		if (eol > p)
			first_line = p;
		p = next;
	}
	end = text_end;

	/* collect the distinct recipient addresses, each with its line */
	p = t;
	while (p < end && c->err == DSN_OK)
	{
		const char *eol;
		const char *next = line_end(p, end, &eol);
		size_t		pos = 0,
					st,
					ln;

		Str			ln0 = trim((Str)
		{
			p, (size_t) (eol - p)
		});
		bool		weak;

		/*
		 * identifiers and the sender in a summary of the original headers,
		 * and help desks ("please contact <support@...>")
		 */
		if (ci_prefix(ln0.p, ln0.n, "references") || ci_prefix(ln0.p, ln0.n, "in-reply-to") ||
			ci_prefix(ln0.p, ln0.n, "from:") || ci_prefix(ln0.p, ln0.n, "reply-to") ||
			ci_prefix(ln0.p, ln0.n, "sender:") || ci_prefix(ln0.p, ln0.n, "return-path") ||
			ci_prefix(ln0.p, ln0.n, "message-id") || ci_find(ln0.p, ln0.n, "message-id:") ||
			ci_find(ln0.p, ln0.n, "envelope-id") ||
			ci_find(ln0.p, ln0.n, "please contact") || ci_find(ln0.p, ln0.n, "for assistance"))
		{
			p = next;
			continue;
		}
		/* the original To and Cc: recipients only when nothing else is */
		weak = ci_prefix(ln0.p, ln0.n, "to:") || ci_prefix(ln0.p, ln0.n, "cc:");
		while (next_address(p, eol - p, &pos, &st, &ln))
		{
			const char *a = p + st;
			bool		dup = false;

			if (exclude && addrlist_has(exclude, a, ln))
				continue;
			if (wanted && wanted->n && !addrlist_has(wanted, a, ln))
				continue;
			if (is_robot(a, ln) || after_from(p, st) ||
				(st > 0 && (p[st - 1] == '/' || p[st - 1] == '=')))
				continue;
			for (i = 0; i < ntr; i++)
				if (addr_equal(tr[i].addr, tr[i].alen, a, ln))
					dup = true;
			if (dup)
				continue;
			if (ntr >= DSN_MAX_RECIPIENTS)
			{
				c->err = DSN_ERR_RECIPIENTS;
				return;
			}
			if (ntr == cap)
			{
				int			ncap = cap ? cap * 2 : 8;
				TextRcpt   *n2 = dalloc(c, sizeof(TextRcpt) * ncap);

				if (n2 == NULL)
					return;
				if (ntr)
					memcpy(n2, tr, sizeof(TextRcpt) * ntr);
				tr = n2;
				cap = ncap;
			}
			tr[ntr].addr = a;
			tr[ntr].alen = ln;
			tr[ntr].line = p;
			tr[ntr].next = next;
			tr[ntr].just_address = line_is_just_address(p, eol, ln);
			tr[ntr].weak = weak;
			nstrong += !weak;
			ntr++;
		}
		p = next;
	}

	if (nstrong > 0 && nstrong < ntr)
	{
		int			k = 0;

		for (i = 0; i < ntr; i++)
			if (!tr[i].weak)
				tr[k++] = tr[i];
		ntr = k;
	}
	for (i = 0; i < ntr && c->err == DSN_OK; i++)
	{
		DsnRecipient *r = new_rcpt(c);
		const char *bs = tr[i].just_address ? tr[i].next : tr[i].line;
		const char *be = (i + 1 < ntr) ? tr[i + 1].line : end;

		if (r == NULL)
			return;
		if (be < bs)
			be = bs;
		/* several addresses on one line share that line's text */
		if (i + 1 < ntr && tr[i + 1].line == tr[i].line)
		{
			int			j = i + 1;

			while (j < ntr && tr[j].line == tr[i].line)
				j++;
			be = (j < ntr) ? tr[j].line : end;
		}
		r->recipient = clean(c, tr[i].addr, tr[i].alen);
		r->action = action;
		r->diagnostic = block_diagnostic(c, bs, be);
		/* codes from the whole block: a reply may follow a blank line */
		fill_from_text(c, r, bs, be - bs, false);
		/*
		 * Nothing after the address: the reason came before the list of
		 * recipients ("The user(s) account is disabled.\n\n<a@b>", as au
		 * and other Japanese carriers write it).
		 */
		if (!has_word(r->diagnostic) && tr[0].line > t)
			r->diagnostic = clean(c, t, tr[0].line - t);
		/* codes that only the preamble gives apply to every recipient */
		if (first_line && (r->status == 0 || r->reply_code == 0) && tr[0].line > t)
			fill_from_text(c, r, t, tr[0].line - t, false);
		(void) format;
	}
}

/* Recipients of an ARF report: Original-Rcpt-To, else the original To. */
static void
do_feedback(Ctx *c, const Headers *top, const Headers *orig, const char *fb, size_t fblen,
			const char *text, size_t tlen)
{
	Headers		fh = {NULL, 0};
	int			i;
	int			before = c->nrcpt;
	const char *diag = NULL;

	if (text)
	{
		/* the first paragraph of the human-readable part */
		const char *p = text;
		const char *end = text + tlen;
		const char *s = NULL;
		const char *e = end;

		while (p < end)
		{
			const char *eol;
			const char *next = line_end(p, end, &eol);

			if (eol > p && s == NULL)
				s = p;
			else if (eol == p && s != NULL)
			{
				e = p;
				break;
			}
			p = next;
		}
		if (s)
			diag = clean(c, s, e - s);
	}
	if (fb)
		parse_headers(c, fb, fb + fblen, &fh);
	for (i = 0; i < fh.n && c->err == DSN_OK; i++)
		if (ci_equal(fh.h[i].name, "original-rcpt-to") ||
			ci_equal(fh.h[i].name, "removal-recipient"))
		{
			Str			a = typed_value(fh.h[i].value, fh.h[i].vlen);
			DsnRecipient *r = new_rcpt(c);

			if (r == NULL)
				return;
			r->recipient = clean(c, a.p, a.n);
			r->diagnostic = diag;
		}
	if (c->nrcpt == before)
	{
		const Header *to = orig ? hdr_get(orig, "to") : NULL;
		size_t		pos = 0,
					st,
					ln;

		if (to == NULL)
			to = hdr_get(top, "to");
		if (to)
			while (next_address(to->value, to->vlen, &pos, &st, &ln) && c->err == DSN_OK)
			{
				DsnRecipient *r = new_rcpt(c);

				if (r == NULL)
					return;
				r->recipient = clean(c, to->value + st, ln);
				r->diagnostic = diag;
			}
	}
	(void) fblen;
}

/* How much of the text part, and for how many recipients, do_ds reads. */
#define TEXT_LOOKUP_SPAN		65536
#define TEXT_LOOKUP_RECIPIENTS	256

/* One recipient per RFC 3464 per-recipient field group. */
/* Is p[0..n) a diagnostic type such as "smtp" or "X-Outbound-Mail-Relay"? */
static bool
is_type_atom(const char *p, size_t n)
{
	Str			t = trim((Str) {p, n});
	size_t		i;

	if (t.n == 0 || t.n > 40 || !is_alpha(t.p[0]))
		return false;
	for (i = 0; i < t.n; i++)
		if (!is_alpha(t.p[i]) && !is_digit(t.p[i]) && t.p[i] != '-' && t.p[i] != '_')
			return false;
	return true;
}

/* dst[0..n) = lower-cased src[0..n) (ASCII letters only). */
static void
lower_copy(char *dst, const char *src, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		dst[i] = lower(src[i]);
}

/* The first occurrence of lit[0..m) in s[0..n), or NULL. */
static const char *
find_bytes(const char *s, size_t n, const char *lit, size_t m)
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

/*
 * PowerMTA writes its own verdict into each recipient group of its DSNs,
 * "X-PowerMTA-BounceCategory: bad-mailbox", from a fixed list (PowerMTA
 * User's Guide, "Bounce categories").  Those that name one reason map to
 * it; "other" and unknown ones leave the reason to the classifier.
 */
static const struct
{
	const char *category;
	const char *reason;
}			powermta_categories[] = {
	{"bad-mailbox", "userunknown"},
	{"bad-domain", "hostunknown"},
	{"inactive-mailbox", "suspend"},
	{"quota-issues", "mailboxfull"},
	{"message-expired", "expired"},
	{"no-answer-from-host", "expired"},
	{"bad-connection", "networkerror"},
	{"routing-errors", "networkerror"},
	{"spam-related", "spamdetected"},
	{"virus-related", "virusdetected"},
	{"content-related", "contenterror"},
	{"policy-related", "policyviolation"},
	{"invalid-sender", "rejected"},
	{"relaying-issues", "norelaying"},
	{"protocol-errors", "syntaxerror"},
	{"bad-configuration", "systemerror"},
};

static const char *
powermta_reason(const char *v, size_t n)
{
	Str			t = trim((Str) {v, n});
	size_t		i;

	for (i = 0; i < sizeof(powermta_categories) / sizeof(powermta_categories[0]); i++)
		if (ci_equal(t, powermta_categories[i].category))
			return powermta_categories[i].reason;
	return NULL;
}

/* Does s hold a word beyond addresses and punctuation? (NULL: no) */
static bool
has_word(const char *s)
{
	size_t		n,
				pos = 0,
				st,
				ln,
				i,
				prev = 0;

	if (s == NULL)
		return false;
	n = strlen(s);
	/* letters outside the addresses, "(expanded from: <a@b>)" aside */
	while (true)
	{
		bool		more = next_address(s, n, &pos, &st, &ln);
		size_t		stop = more ? st : n;
		size_t		letters = 0;

		for (i = prev; i < stop; i++)
			letters += is_alpha(s[i]);
		if (letters > 0 && !(stop - prev < 40 && ci_find(s + prev, stop - prev, "expanded from")))
			return true;
		if (!more)
			return false;
		prev = st + ln;
	}
}

/*
 * The lines of a Sendmail "----- Transcript of session follows -----"
 * section, up to the next blank line or "-----" banner; empty if none.
 */
static Str
transcript_section(const char *t, size_t n)
{
	Str			r = {NULL, 0};
	const char *h = ci_find(t, n, "transcript of session follows");
	const char *end = t + n;
	const char *p;

	if (h == NULL)
		return r;
	line_end(h, end, &p);
	p = line_end(h, end, &p);		/* the line after the banner */
	r.p = p;
	while (p < end)
	{
		const char *eol;
		const char *next = line_end(p, end, &eol);
		Str			l = trim((Str) {p, (size_t) (eol - p)});

		if (l.n == 0 || (l.n >= 5 && memcmp(l.p, "-----", 5) == 0))
			break;
		p = next;
	}
	r.n = p - r.p;
	return r;
}

static void
do_ds(Ctx *c, const char *ds, size_t n, const char *text, size_t tlen)
{
	const char *p = ds;
	const char *end = ds + n;
	char	   *reporting = NULL;
	DsnRecipient *cur = NULL;
	bool		have_final = false,
				have_orig = false;
	int			first = c->nrcpt;
	int			i;

	while (p < end && c->err == DSN_OK)
	{
		Headers		g;
		const char *eol;

		/* skip blank lines between groups */
		line_end(p, end, &eol);
		if (eol == p)
		{
			const char *next = line_end(p, end, &eol);

			p = next;
			cur = NULL;
			continue;
		}
		{
			const char *next = parse_headers(c, p, end, &g);

			if (next == p)
			{
				/* a line that is not a field: skip it */
				next = line_end(p, end, &eol);
			}
			p = next;
		}
		/*
		 * A group with a recipient field is a per-recipient group; its
		 * fields may come before the recipient fields (Action first is
		 * seen), so the row is started with the group.  A second
		 * Final-Recipient (or Original-Recipient) in one group starts
		 * another row: some MTAs leave out the blank lines.
		 */
		cur = NULL;
		have_final = have_orig = false;
		for (i = 0; i < g.n; i++)
			if (ci_equal(g.h[i].name, "final-recipient") ||
				ci_equal(g.h[i].name, "original-recipient") ||
				ci_equal(g.h[i].name, "x-actual-recipient"))
			{
				cur = new_rcpt(c);
				if (cur == NULL)
					return;
				break;
			}
		for (i = 0; i < g.n && c->err == DSN_OK; i++)
		{
			Header	   *h = &g.h[i];

			if (ci_equal(h->name, "reporting-mta"))
			{
				Str			v = mta_name(h->value, h->vlen);

				reporting = clean(c, v.p, v.n);
			}
			else if (ci_equal(h->name, "final-recipient") ||
					 ci_equal(h->name, "original-recipient") ||
					 ci_equal(h->name, "x-actual-recipient"))
			{
				Str			v = typed_value(h->value, h->vlen);
				bool		final = ci_equal(h->name, "final-recipient");
				bool		orig = ci_equal(h->name, "original-recipient");

				if ((final && have_final) || (orig && have_orig))
				{
					cur = new_rcpt(c);
					have_final = have_orig = false;
				}
				if (cur == NULL)
					return;
				have_final |= final;
				have_orig |= orig;
				{
					Str			a = plain_address(v);

					if (a.n == 0 && v.n > 0 && (v.p[0] == '/' || v.p[0] == '|'))
						cur->local_target = clean(c, v.p, v.n);
					v = a;
				}
				if (final || (!orig && cur->recipient == NULL))
				{
					if (v.n > 0)
						cur->recipient = clean(c, v.p, v.n);
				}
				else if (orig && v.n > 0)
					cur->original_recipient = clean(c, v.p, v.n);
			}
			else if (cur == NULL)
				continue;		/* a per-message field */
			else if (ci_equal(h->name, "action"))
			{
				Str			v = trim((Str)
				{
					h->value, h->vlen
				});
				size_t		k = 0;
				char	   *a;

				while (k < v.n && is_alpha(v.p[k]))
					k++;
				a = dup_str(c, v.p, k);
				if (a)
				{
					size_t		j;

					for (j = 0; j < k; j++)
						a[j] = lower(a[j]);
					cur->action = k ? a : NULL;
				}
			}
			else if (ci_equal(h->name, "status"))
			{
				Str			v = trim((Str)
				{
					h->value, h->vlen
				});
				size_t		k = 0;
				int32_t		st;

				while (k < v.n && (is_digit(v.p[k]) || v.p[k] == '.'))
					k++;
				if (bounce_status_parse(v.p, k, &st) == BSE_OK)
					cur->status = st;
			}
			else if (ci_equal(h->name, "remote-mta"))
			{
				Str			v = mta_name(h->value, h->vlen);

				cur->remote_mta = clean(c, v.p, v.n);
			}
			else if (ci_equal(h->name, "diagnostic-code"))
			{
				Str			v = {h->value, h->vlen};
				const char *semi = memchr(v.p, ';', v.n);
				size_t		wl;
				char	   *dw;

				/*
				 * "smtp; 550 ...", "X-Postfix; ...": drop the diagnostic
				 * type, an atom (RFC 3464 section 2.3.6)
				 */
				if (semi && is_type_atom(v.p, semi - v.p))
				{
					v.n -= semi + 1 - v.p;
					v.p = semi + 1;
				}
				dw = decode_words(c, v.p, v.n, &wl);
				if (dw && (ci_find(dw, wl, "\x1b$b") || ci_find(dw, wl, "\x1b$@")))
				{
					/* raw ISO-2022-JP in the field (Domino): it says so itself */
					Str			jis = {"iso-2022-jp", 11};

					dw = (char *) text_to_utf8(c, jis, dw, wl, &wl);
				}
				if (dw)
				{
					cur->diagnostic = clean(c, dw, wl);
					if (cur->diagnostic)
						fill_from_text(c, cur, cur->diagnostic, strlen(cur->diagnostic), true);
				}
			}
			else if (ci_equal(h->name, "x-powermta-bouncecategory"))
				cur->stated_reason = powermta_reason(h->value, h->vlen);
			else if (ci_equal(h->name, "last-attempt-date"))
			{
				int64_t		t;

				if (bounce_dsn_parse_date(h->value, h->vlen, &t))
				{
					cur->has_last_attempt = true;
					cur->last_attempt = t;
				}
			}
		}
	}

	/* complete each recipient from the per-message fields and the text */
	for (i = first; i < c->nrcpt && c->err == DSN_OK; i++)
	{
		DsnRecipient *r = &c->rcpt[i];

		if (r->recipient == NULL)
			r->recipient = r->original_recipient;
		r->reporting_mta = reporting;
		/* a Diagnostic-Code without a word ("smtp; 255") says nothing */
		if (r->diagnostic != NULL)
		{
			const char *q = r->diagnostic;

			while (*q && !is_alpha(*q))
				q++;
			if (*q == '\0')
				r->diagnostic = NULL;
		}
		/*
		 * Bounded so that the time stays linear: a human-readable part
		 * describes its recipients in its first lines.
		 */
		if (text && (r->recipient || r->local_target) && i - first < TEXT_LOOKUP_RECIPIENTS &&
			(r->diagnostic == NULL || r->reply_code == 0 || r->smtp_command == NULL))
		{
			/* the recipient's paragraph in the human-readable part */
			const char *name = r->recipient ? r->recipient : r->local_target;
			size_t		rl = strlen(name);
			const char *at = NULL;
			size_t		pos = 0,
						st,
						ln;

			if (r->recipient)
			{
				while (next_address(text, tlen < TEXT_LOOKUP_SPAN ? tlen : TEXT_LOOKUP_SPAN,
									&pos, &st, &ln))
					if (addr_equal(text + st, ln, name, rl))
					{
						at = text + st;
						break;
					}
			}
			else if (rl >= 3)
			{
				/*
				 * Delivery to a file or a program (Exim "save to /path",
				 * Sendmail "|/path/prog"): not an address, so look for the
				 * name itself (case-sensitive, as file names are).
				 */
				at = find_bytes(text, tlen < TEXT_LOOKUP_SPAN ? tlen : TEXT_LOOKUP_SPAN, name, rl);
			}
			if (at)
			{
				const char *ls = at;
				const char *le = (text + tlen - at > 4096) ? at + 4096 : text + tlen;
				const char *q;
				int			blank = 0;

				while (ls > text && ls[-1] != '\n')
					ls--;
				/* to the next blank line after some text */
				q = ls;
				while (q < le)
				{
					const char *eol;
					const char *next = line_end(q, le, &eol);

					if (eol == q)
					{
						if (++blank >= 1 && q > at + rl + 2)
						{
							le = q;
							break;
						}
					}
					q = next;
				}
				if (r->diagnostic == NULL)
				{
					r->diagnostic = clean(c, ls, le - ls);
					fill_from_text(c, r, ls, le - ls, false);
				}
				else
				{
					int32_t		st0 = r->status;

					fill_from_text(c, r, ls, le - ls, false);
					r->status = st0 ? st0 : r->status;
				}
			}
		}
		/*
		 * Still nothing that reads as a reason (no Diagnostic-Code, or only
		 * "X-Unix; 255", and a paragraph of bare addresses): a Sendmail
		 * report quotes the session, and its transcript is the reason.
		 */
		if (text && !has_word(r->diagnostic) && first + 1 == c->nrcpt)
		{
			Str			tr = transcript_section(text, tlen < TEXT_LOOKUP_SPAN ? tlen : TEXT_LOOKUP_SPAN);

			if (tr.n > 0)
			{
				r->diagnostic = clean(c, tr.p, tr.n);
				fill_from_text(c, r, tr.p, tr.n, false);
			}
		}
	}
}

/* ----------------------------------------------------------------
 * Amazon SES notifications: JSON in the body of an e-mail
 * ----------------------------------------------------------------
 *
 * SES (through SNS e-mail subscriptions) reports bounces, complaints and
 * deliveries as one JSON object, not as a DSN (docs.aws.amazon.com/ses,
 * "Amazon SES notification contents"): notificationType, then "bounce"
 * with bounceType and bouncedRecipients [{emailAddress, action, status,
 * diagnosticCode}], "complaint" with complainedRecipients, or "delivery"
 * with recipients and smtpResponse.  A small reader, no JSON library:
 * strings are decoded (escapes, \uXXXX with surrogates), other values
 * skipped, nesting limited (JSON_MAX_DEPTH).  JSON it cannot read (too
 * deep, not JSON) leaves the message to the plain-text reading; a
 * notification cut short gives the recipients read before the cut.
 */
#define JSON_MAX_DEPTH 64

typedef struct Json
{
	const char *p;
	const char *end;
	bool		bad;
} Json;

static void
json_ws(Json *j)
{
	while (j->p < j->end && is_space(*j->p))
		j->p++;
}

static int
json_hex4(const char *p)
{
	int			v = 0,
				k;

	for (k = 0; k < 4; k++)
	{
		int			h = hexval(p[k]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Read a string at j->p; decoded into *out (c's memory), unless out is NULL (skip). */
static bool
json_string(Json *j, Ctx *c, char **out, size_t *out_len)
{
	const char *q;
	char	   *o = NULL;
	size_t		n = 0;

	json_ws(j);
	if (j->p >= j->end || *j->p != '"')
		return (j->bad = true, false);
	q = ++j->p;
	if (out != NULL && c != NULL)
	{
		/* the decoded string is never longer than the raw one */
		const char *e = q;

		while (e < j->end && *e != '"')
			e += (*e == '\\' && e + 1 < j->end) ? 2 : 1;
		o = dalloc(c, (e - q) + 1);
		if (o == NULL)
			return (j->bad = true, false);
	}
	while (j->p < j->end && *j->p != '"')
	{
		char		ch = *j->p++;

		if (ch == '\\')
		{
			if (j->p >= j->end)
				break;
			ch = *j->p++;
			if (ch == 'u')
			{
				int			u = (j->end - j->p >= 4) ? json_hex4(j->p) : -1;

				if (u < 0)
					return (j->bad = true, false);
				j->p += 4;
				if (u >= 0xD800 && u <= 0xDBFF && j->end - j->p >= 6 &&
					j->p[0] == '\\' && j->p[1] == 'u')
				{
					int			lo = json_hex4(j->p + 2);

					if (lo >= 0xDC00 && lo <= 0xDFFF)
					{
						u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
						j->p += 6;
					}
				}
				if (u >= 0xD800 && u <= 0xDFFF)
					u = 0xFFFD;
				if (o)
				{
					/* 6 raw bytes (or 12) become at most 4 */
					if (u < 0x80)
						o[n++] = (char) u;
					else if (u < 0x800)
					{
						o[n++] = (char) (0xC0 | (u >> 6));
						o[n++] = (char) (0x80 | (u & 0x3F));
					}
					else if (u < 0x10000)
					{
						o[n++] = (char) (0xE0 | (u >> 12));
						o[n++] = (char) (0x80 | ((u >> 6) & 0x3F));
						o[n++] = (char) (0x80 | (u & 0x3F));
					}
					else
					{
						o[n++] = (char) (0xF0 | (u >> 18));
						o[n++] = (char) (0x80 | ((u >> 12) & 0x3F));
						o[n++] = (char) (0x80 | ((u >> 6) & 0x3F));
						o[n++] = (char) (0x80 | (u & 0x3F));
					}
				}
				continue;
			}
			switch (ch)
			{
				case 'n':
					ch = '\n';
					break;
				case 't':
					ch = '\t';
					break;
				case 'r':
					ch = '\r';
					break;
				case 'b':
				case 'f':
					ch = ' ';
					break;
				default:
					break;		/* \" \\ \/ and anything else: the character */
			}
		}
		if (o)
			o[n++] = ch;
	}
	if (j->p >= j->end)
		return (j->bad = true, false);
	j->p++;						/* the closing quote */
	if (o)
	{
		o[n] = '\0';
		*out = o;
		*out_len = n;
	}
	return true;
}

/* Skip one value of any type, nesting at most JSON_MAX_DEPTH deep. */
static void
json_skip(Json *j, int depth)
{
	json_ws(j);
	if (j->p >= j->end || depth > JSON_MAX_DEPTH)
	{
		j->bad = true;
		return;
	}
	if (*j->p == '"')
		json_string(j, NULL, NULL, NULL);
	else if (*j->p == '{' || *j->p == '[')
	{
		char		close = (*j->p == '{') ? '}' : ']';
		bool		obj = (*j->p == '{');

		j->p++;
		json_ws(j);
		if (j->p < j->end && *j->p == close)
		{
			j->p++;
			return;
		}
		while (!j->bad)
		{
			if (obj)
			{
				json_string(j, NULL, NULL, NULL);
				json_ws(j);
				if (j->bad || j->p >= j->end || *j->p != ':')
				{
					j->bad = true;
					return;
				}
				j->p++;
			}
			json_skip(j, depth + 1);
			json_ws(j);
			if (j->bad || j->p >= j->end)
			{
				j->bad = true;
				return;
			}
			if (*j->p == ',')
			{
				j->p++;
				continue;
			}
			if (*j->p == close)
			{
				j->p++;
				return;
			}
			j->bad = true;
		}
	}
	else
	{
		/* number, true, false, null */
		const char *st = j->p;

		while (j->p < j->end && (is_alpha(*j->p) || is_digit(*j->p) ||
								 *j->p == '-' || *j->p == '+' || *j->p == '.'))
			j->p++;
		if (j->p == st)
			j->bad = true;
	}
}

/*
 * In the object that starts at j->p, position j->p on the value of member
 * key (true), or report it absent (false; j->p unchanged).
 */
static bool
json_member(Json *j, const char *key)
{
	Json		k = *j;
	size_t		kl = strlen(key);

	json_ws(&k);
	if (k.p >= k.end || *k.p != '{')
		return false;
	k.p++;
	json_ws(&k);
	if (k.p < k.end && *k.p == '}')
		return false;
	while (!k.bad)
	{
		const char *name;
		size_t		nl;

		json_ws(&k);
		if (k.p >= k.end || *k.p != '"')
			return false;
		name = k.p + 1;
		json_string(&k, NULL, NULL, NULL);
		nl = k.p - name - 1;
		json_ws(&k);
		if (k.bad || k.p >= k.end || *k.p != ':')
			return false;
		k.p++;
		json_ws(&k);
		if (nl == kl && memcmp(name, key, kl) == 0)
		{
			j->p = k.p;
			return true;
		}
		json_skip(&k, 1);
		json_ws(&k);
		if (k.bad || k.p >= k.end || *k.p != ',')
			return false;
		k.p++;
	}
	return false;
}

/* The string member key of the object at o, decoded, or NULL. */
static char *
json_get_string(Ctx *c, Json o, const char *key)
{
	char	   *v = NULL;
	size_t		n;

	if (!json_member(&o, key) || o.p >= o.end || *o.p != '"')
		return NULL;
	if (!json_string(&o, c, &v, &n))
		return NULL;
	return clean(c, v, n);
}

/* Strip "type; " from an SES value such as "dsn; a1-2.smtp-out..." */
static char *
ses_untyped(Ctx *c, char *v)
{
	char	   *semi;

	if (v == NULL)
		return NULL;
	semi = strchr(v, ';');
	if (semi && is_type_atom(v, semi - v))
	{
		Str			t = trim((Str) {semi + 1, strlen(semi + 1)});

		return t.n ? clean(c, t.p, t.n) : NULL;
	}
	return v;
}

/*
 * Rows from an SES notification in t[0..n); true when it was one (even
 * with no recipients), false to read the message as plain text.
 */
static bool
ses_notification(Ctx *c, const char *t, size_t n)
{
	const char *key = ci_find(t, n, "\"notificationtype\"");
	const char *st;
	Json		top,
				sub,
				arr;
	char	   *type;
	const char *list_key;
	const char *kind;

	if (key == NULL)
	{
		/*
		 * An SNS "e-mail-json" subscription wraps the notification as a
		 * string: {"Type": "Notification", ..., "Message": "{\"notificationType\": ...}"}
		 */
		const char *env = ci_find(t, n, "\"type\"");
		char	   *inner;

		if (env == NULL || ci_find(t, n, "notificationtype") == NULL)
			return false;
		while (env > t && env[-1] != '{')
			env--;
		if (env == t)
			return false;
		top.p = env - 1;
		top.end = t + n;
		top.bad = false;
		inner = json_get_string(c, top, "Message");
		if (inner == NULL || ci_find(inner, strlen(inner), "\"notificationtype\"") == NULL)
			return false;
		return ses_notification(c, inner, strlen(inner));
	}
	/* the object that holds it: the '{' just before, blanks aside */
	st = key;
	while (st > t && is_space(st[-1]))
		st--;
	if (st == t || st[-1] != '{')
		return false;
	top.p = st - 1;
	top.end = t + n;
	top.bad = false;
	type = json_get_string(c, top, "notificationType");
	if (type == NULL)
		return false;
	if (strcmp(type, "Bounce") == 0)
		kind = "bounce", list_key = "bouncedRecipients";
	else if (strcmp(type, "Complaint") == 0)
		kind = "complaint", list_key = "complainedRecipients";
	else if (strcmp(type, "Delivery") == 0)
		kind = "delivery", list_key = "recipients";
	else
		return false;
	sub = top;
	if (!json_member(&sub, kind) || sub.p >= sub.end || *sub.p != '{')
		return false;
	arr = sub;
	if (!json_member(&arr, list_key) || arr.p >= arr.end || *arr.p != '[')
		return false;
	arr.p++;
	{
		char	   *reporting = ses_untyped(c, json_get_string(c, sub, "reportingMTA"));
		char	   *remote = json_get_string(c, sub, "remoteMtaIp");
		char	   *smtp_response = json_get_string(c, sub, "smtpResponse");
		char	   *bounce_type = json_get_string(c, sub, "bounceType");

		while (c->err == DSN_OK)
		{
			DsnRecipient *r;
			Json		el;

			json_ws(&arr);
			if (arr.p >= arr.end || *arr.p == ']')
				break;
			el = arr;
			r = new_rcpt(c);
			if (r == NULL)
				return true;
			if (*arr.p == '"')
			{
				/* delivery.recipients: plain address strings */
				char	   *a = NULL;
				size_t		an;

				if (!json_string(&el, c, &a, &an))
					break;
				r->recipient = clean(c, a, an);
			}
			else
			{
				r->recipient = json_get_string(c, el, "emailAddress");
				r->action = json_get_string(c, el, "action");
				r->diagnostic = ses_untyped(c, json_get_string(c, el, "diagnosticCode"));
				{
					char	   *sv = json_get_string(c, el, "status");
					int32_t		code;

					if (sv && bounce_status_parse(sv, strlen(sv), &code) == BSE_OK)
						r->status = code;
				}
			}
			if (strcmp(kind, "delivery") == 0)
			{
				r->action = "delivered";
				r->diagnostic = smtp_response;
			}
			else if (strcmp(kind, "complaint") == 0)
				r->stated_reason = "feedback";
			else if (r->action == NULL)
				r->action = (bounce_type && strcmp(bounce_type, "Transient") == 0) ? "delayed" : "failed";
			r->reporting_mta = reporting;
			r->remote_mta = remote;
			if (r->diagnostic)
				fill_from_text(c, r, r->diagnostic, strlen(r->diagnostic), false);
			if (r->recipient == NULL)
				c->nrcpt--;		/* an element without an address: no row */
			json_skip(&arr, 1);
			json_ws(&arr);
			if (arr.bad || arr.p >= arr.end || *arr.p != ',')
				break;
			arr.p++;
		}
	}
	return true;
}

/*
 * Signatures of the non-standard formats, checked in order; the first
 * that matches names the format.  where: 'f' From header, 's' Subject,
 * 'b' body text, 'h' any header name present.  The names follow the MTA
 * or provider; the phrases are their fixed bounce wording.
 */
static const struct
{
	char		where;
	const char *phrase;
	const char *format;
}			signatures[] = {
	{'b', "qmail-send program", "qmail"},
	{'b', "this is the qmail", "qmail"},
	{'h', "x-failed-recipients", "exim"},
	{'b', "message was created automatically by mail delivery software", "exim"},
	{'b', "the postfix program", "postfix"},
	{'b', "this is the mail system at host", "postfix"},
	{'b', "transcript of session follows", "sendmail"},
	{'b', "the original message was received at", "sendmail"},
	{'f', "googlemail.com", "gmail"},
	{'b', "delivery to the following recipient", "gmail"},
	{'b', "google groups", "googlegroups"},
	{'f', "yahoo", "yahoo"},
	{'b', "amazonses.com", "amazonses"},
	{'h', "x-ses-outgoing", "amazonses"},
	{'b', "microsoft exchange", "exchange"},
	{'h', "x-ms-exchange-message-is-ndr", "office365"},
	{'b', "delivery has failed to these recipients", "exchange"},
	{'b', "did not reach the following recipient", "exchange"},
	{'b', "your message to", "office365"},
	{'f', "aol.com", "aol"},
	{'f', "mail.ru", "mailru"},
	{'f', "yandex", "yandex"},
	{'b', "opensmtpd", "opensmtpd"},
	{'b', "dragonfly", "dragonfly"},
	{'b', "imail server", "imailserver"},
	{'b', "lotus domino", "domino"},
	{'b', "courier mail server", "courier"},
	{'b', "fml ", "fml"},
};

#define SIGNATURE_SPAN 4096

static const char *
detect_format(const Headers *top, const char *text, size_t tlen)
{
	size_t		i;
	const Header *from = hdr_get(top, "from");
	const Header *subj = hdr_get(top, "subject");
	char		lc[SIGNATURE_SPAN];		/* the first lines, lower-cased once */
	size_t		lcn = text ? (tlen < SIGNATURE_SPAN ? tlen : SIGNATURE_SPAN) : 0;

	lower_copy(lc, text, lcn);
	for (i = 0; i < sizeof(signatures) / sizeof(signatures[0]); i++)
	{
		const char *ph = signatures[i].phrase;

		switch (signatures[i].where)
		{
			case 'f':
				if (from && ci_find(from->value, from->vlen, ph))
					return signatures[i].format;
				break;
			case 's':
				if (subj && ci_find(subj->value, subj->vlen, ph))
					return signatures[i].format;
				break;
			case 'h':
				if (hdr_get(top, ph))
					return signatures[i].format;
				break;
			case 'b':
				/* the wording is in the first lines of the bounce */
				if (find_bytes(lc, lcn, ph, strlen(ph)))
					return signatures[i].format;
				break;
		}
	}
	return "text";
}

/* RFC 3834 auto-replies and vacation notices, by their headers. */
static bool
is_autoreply(const Headers *top)
{
	const Header *h;
	size_t		pos = 0,
				st,
				ln;

	/* MTAs mark their bounces auto-replied too (RFC 3834 section 5) */
	h = hdr_get(top, "from");
	if (h == NULL || !next_address(h->value, h->vlen, &pos, &st, &ln) ||
		is_robot(h->value + st, ln))
		return false;
	h = hdr_get(top, "subject");
	if (h && (ci_find(h->value, h->vlen, "deliver") || ci_find(h->value, h->vlen, "failure") ||
			  ci_find(h->value, h->vlen, "returned") || ci_find(h->value, h->vlen, "undeliver") ||
			  ci_find(h->value, h->vlen, "bounce") || ci_find(h->value, h->vlen, "error")))
		return false;
	h = hdr_get(top, "auto-submitted");
	if (h && ci_find(h->value, h->vlen, "auto-replied"))
		return true;
	if (hdr_get(top, "x-autoreply") || hdr_get(top, "x-autorespond") ||
		hdr_get(top, "x-autoresponder"))
		return true;
	h = hdr_get(top, "precedence");
	if (h && ci_find(h->value, h->vlen, "auto_reply"))
		return true;
	h = hdr_get(top, "subject");
	if (h && (ci_prefix(h->value, h->vlen, "auto:") ||
			  ci_prefix(h->value, h->vlen, "automatic reply") ||
			  ci_prefix(h->value, h->vlen, "out of office") ||
			  ci_prefix(h->value, h->vlen, "autoreply") ||
			  ci_prefix(h->value, h->vlen, "auto-reply")))
		return true;
	return false;
}

/* Does the bounce say delivery is only delayed (still being retried)? */
static bool
text_says_delayed(const Headers *top, const char *t, size_t n)
{
	const Header *s = hdr_get(top, "subject");
	char		lc[SIGNATURE_SPAN];

	if (s && (ci_find(s->value, s->vlen, "delayed") || ci_find(s->value, s->vlen, "warning:")))
		return true;

	if (t == NULL)
		return false;
	if (n > SIGNATURE_SPAN)
		n = SIGNATURE_SPAN;
	lower_copy(lc, t, n);
	return find_bytes(lc, n, "delay reason", 12) != NULL ||
		find_bytes(lc, n, "will continue to", 16) != NULL ||
		find_bytes(lc, n, "has not yet been delivered", 26) != NULL;
}

/*
 * A delivery-status part that the MIME structure does not declare: a
 * bounce forwarded as plain text, or a multipart body whose top-level
 * Content-Type was lost.  Any line "Content-Type: message/delivery-status"
 * starts one; it runs to the next line that starts with "--" (a
 * boundary).
 */
static void
find_loose_ds(Ctx *c, const char *p, const char *end)
{
	while (p < end && c->err == DSN_OK)
	{
		const char *eol;
		const char *next = line_end(p, end, &eol);

		if (ci_prefix(p, eol - p, "content-type:") &&
			ci_find(p, eol - p, "delivery-status"))
		{
			Headers		hs;
			const char *b = parse_headers(c, p, end, &hs);
			const char *q = b;
			const char *e = end;
			const char *dec;
			size_t		dlen;

			while (q < end)
			{
				const char *qe;
				const char *qn = line_end(q, end, &qe);

				if (qe - q >= 2 && q[0] == '-' && q[1] == '-')
				{
					e = q;
					break;
				}
				q = qn;
			}
			dec = decode_body(c, &hs, b, e - b, &dlen);
			add_part(c, PK_DS, dec, dlen);
			next = e;
		}
		p = next;
	}
}

/* Field names that start an RFC 3464 field block written into text. */
static const char *const ds_field_starts[] = {
	"reporting-mta:", "original-envelope-id:", "arrival-date:", "final-recipient:",
	"original-recipient:", "action:"
};

/*
 * RFC 3464 fields written as plain text in the human-readable body (Sun
 * ONE Messaging Server, some gateways).  Needs a "Final-Recipient:" line
 * at the start of a line; the block runs from the first DS field line of
 * its paragraph to the copy of the original message.
 */
static void
find_inline_ds(Ctx *c, const char *t, const char *end)
{
	const char *p = t;
	const char *start = NULL;
	const char *para = t;
	bool		final = false;

	while (p < end)
	{
		const char *eol;
		const char *next = line_end(p, end, &eol);
		size_t		i;

		if (eol == p)
			para = next;
		else if (start != NULL && final && is_original_start(p, eol))
		{
			end = p;
			break;
		}
		for (i = 0; i < sizeof(ds_field_starts) / sizeof(ds_field_starts[0]); i++)
			if (ci_prefix(p, eol - p, ds_field_starts[i]))
			{
				if (start == NULL)
					start = para;
				if (i == 3)
					final = true;
			}
		p = next;
	}
	if (start != NULL && final)
		add_part(c, PK_DS, start, end - start);
}

const char *
bounce_dsn_error_text(DsnError err)
{
	switch (err)
	{
		case DSN_OK:
			return "no error";
		case DSN_ERR_DEPTH:
			return "MIME parts are nested too deeply";
		case DSN_ERR_HEADERS:
			return "a header block has too many fields";
		case DSN_ERR_PARTS:
			return "the message has too many MIME parts";
		case DSN_ERR_RECIPIENTS:
			return "the message lists too many recipients";
		case DSN_ERR_NOMEM:
			return "out of memory";
	}
	return "unknown error";
}

DsnError
bounce_dsn_parse(const char *msg, size_t len, bool ascii_only,
				 const DsnAllocator *alloc, DsnResult *out)
{
	Ctx			c;
	Headers		top;
	Headers		orig = {NULL, 0};
	bool		have_orig = false;
	const char *body;
	Part	   *pt;
	const char *text = NULL,
			   *html = NULL,
			   *fb = NULL;
	size_t		tlen = 0,
				hlen = 0,
				fblen = 0;
	bool		have_ds = false;
	AddrList	exclude = {{{0}}, 0};
	AddrList	wanted = {{{0}}, 0};
	const Header *h;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.a = alloc;
	c.ascii_only = ascii_only;
	c.tail = &c.parts;
	if (msg == NULL || len == 0)
		return DSN_OK;

	body = parse_headers(&c, msg, msg + len, &top);
	walk(&c, &top, body, msg + len, 0);
	if (c.err != DSN_OK)
		return c.err;

	for (pt = c.parts; pt; pt = pt->next)
		if (pt->kind == PK_DS || pt->kind == PK_FEEDBACK)
			break;
	if (pt == NULL)
		find_loose_ds(&c, body, msg + len);
	for (pt = c.parts; pt; pt = pt->next)
		if (pt->kind == PK_DS || pt->kind == PK_FEEDBACK)
			break;
	if (pt == NULL)
	{
		/* DS fields written into the text itself */
		Part	   *tp;

		for (tp = c.parts; tp; tp = tp->next)
			if (tp->kind == PK_TEXT)
				break;
		if (tp)
			find_inline_ds(&c, tp->body, tp->body + tp->len);
		else if (c.parts == NULL)
			find_inline_ds(&c, body, msg + len);
	}

	for (pt = c.parts; pt; pt = pt->next)
	{
		switch (pt->kind)
		{
			case PK_TEXT:
				if (text == NULL)
				{
					text = pt->body;
					tlen = pt->len;
				}
				break;
			case PK_HTML:
				if (html == NULL)
				{
					html = pt->body;
					hlen = pt->len;
				}
				break;
			case PK_DS:
				have_ds = true;
				break;
			case PK_FEEDBACK:
				fb = pt->body;
				fblen = pt->len;
				break;
			case PK_ORIGINAL:
				if (!have_orig)
				{
					parse_headers(&c, pt->body, pt->body + pt->len, &orig);
					have_orig = true;
				}
				break;
		}
	}
	if (c.err != DSN_OK)
		return c.err;
	if (text == NULL && html != NULL)
	{
		text = html;
		tlen = hlen;
	}
	if (text == NULL && c.parts != NULL && c.parts->kind == PK_DS && c.parts->body >= body &&
		c.parts->body < msg + len)
	{
		/* DS fields written into a body with no parts: the body is the text */
		text = body;
		tlen = c.parts->body - body;
	}

	/* when the report was written: the time of a bounce without dates */
	if ((h = hdr_get(&top, "date")) != NULL &&
		bounce_dsn_parse_date(h->value, h->vlen, &out->date))
		out->has_date = true;

	/* the returned message's Message-ID identifies the bounce */
	h = have_orig ? hdr_get(&orig, "message-id") : NULL;
	if (h == NULL)
		h = hdr_get(&top, "message-id");
	if (h)
	{
		Str			v = typed_value(h->value, h->vlen);

		out->message_id = clean(&c, v.p, v.n);
	}

	if (fb != NULL || c.is_report_feedback)
	{
		out->format = "arf";
		do_feedback(&c, &top, have_orig ? &orig : NULL, fb, fblen, text, tlen);
	}
	else if (have_ds)
	{
		out->format = "rfc3464";
		for (pt = c.parts; pt && c.err == DSN_OK; pt = pt->next)
			if (pt->kind == PK_DS)
				do_ds(&c, pt->body, pt->len, text, tlen);
	}
	if (c.nrcpt == 0 && c.err == DSN_OK && is_autoreply(&top))
	{
		const Header *from = hdr_get(&top, "from");
		size_t		pos = 0,
					st,
					ln;

		out->format = "autoreply";
		if (from && next_address(from->value, from->vlen, &pos, &st, &ln))
		{
			DsnRecipient *r = new_rcpt(&c);

			if (r)
			{
				r->recipient = clean(&c, from->value + st, ln);
				r->diagnostic = text ? clean(&c, text, tlen) : NULL;
			}
		}
	}
	if (c.nrcpt == 0 && c.err == DSN_OK && text == NULL && !have_ds)
	{
		/* not MIME at all: the body is the text */
		text = body;
		tlen = (msg + len) - body;
	}
	if (c.nrcpt == 0 && c.err == DSN_OK && text != NULL && !have_ds &&
		ses_notification(&c, text, tlen))
		out->format = "amazonses";
	else if (c.nrcpt == 0 && c.err == DSN_OK && text != NULL)
	{
		const char *fmt = have_ds ? "rfc3464" : detect_format(&top, text, tlen);
		const Header *xf = hdr_get(&top, "x-failed-recipients");
		bool		delayed = text_says_delayed(&top, text, tlen);

		/* the bounce goes back to the sender: never a recipient */
		if ((h = hdr_get(&top, "to")) != NULL)
			addrlist_add_from(&exclude, h->value, h->vlen);
		if (have_orig && (h = hdr_get(&orig, "from")) != NULL)
			addrlist_add_from(&exclude, h->value, h->vlen);
		if ((h = hdr_get(&top, "return-path")) != NULL)
			addrlist_add_from(&exclude, h->value, h->vlen);
		if (xf)
			addrlist_add_from(&wanted, xf->value, xf->vlen);
		out->format = fmt;
		scan_text(&c, text, tlen, &exclude, &wanted, fmt,
				  delayed ? "delayed" : "failed");
		for (int i = 0; c.nrcpt == 0 && i < wanted.n && c.err == DSN_OK; i++)
		{
			/* Exim names them in a header though the text may not */
			DsnRecipient *r = new_rcpt(&c);

			if (r)
			{
				r->recipient = clean(&c, wanted.a[i].p, wanted.a[i].n);
				r->action = delayed ? "delayed" : "failed";
				r->diagnostic = clean(&c, text, tlen);
				fill_from_text(&c, r, text, tlen, false);
			}
		}
		if (c.nrcpt == 0 && c.err == DSN_OK && have_orig &&
			(h = hdr_get(&orig, "to")) != NULL)
		{
			/* no address in the text: the returned message's To */
			size_t		pos = 0,
						st,
						ln;

			if (next_address(h->value, h->vlen, &pos, &st, &ln))
			{
				DsnRecipient *r = new_rcpt(&c);

				if (r)
				{
					r->recipient = clean(&c, h->value + st, ln);
					r->action = delayed ? "delayed" : "failed";
					r->diagnostic = clean(&c, text, tlen);
					fill_from_text(&c, r, text, tlen, false);
				}
			}
		}
	}
	if (c.err != DSN_OK)
		return c.err;

	/* an SMTP transcript in the text names the failing command */
	if (text != NULL)
	{
		const char *cmd = NULL;
		bool		looked = false;

		for (int i = 0; i < c.nrcpt; i++)
			if (c.rcpt[i].smtp_command == NULL)
			{
				if (!looked)
					cmd = transcript_command(text, tlen < TEXT_LOOKUP_SPAN ? tlen : TEXT_LOOKUP_SPAN);
				looked = true;
				c.rcpt[i].smtp_command = cmd;
			}
	}

	/*
	 * A row whose recipient field held no usable address takes Exim's
	 * X-Failed-Recipients or the returned message's To when there is just
	 * one; otherwise it is dropped, since a row must name its recipient.
	 */
	{
		int			k = 0;
		Str			only = {NULL, 0};
		AddrList	al = {{{0}}, 0};
		Str			robot = {NULL, 0};
		char	   *robot_host = NULL;

		if ((h = hdr_get(&top, "x-failed-recipients")) != NULL)
			addrlist_add_from(&al, h->value, h->vlen);
		else if (have_orig && (h = hdr_get(&orig, "to")) != NULL)
			addrlist_add_from(&al, h->value, h->vlen);
		if (al.n == 1)
			only = al.a[0];

		/*
		 * A bounce with no Reporting-MTA was still written by someone: the
		 * mailer daemon in From names its domain (postmaster@ezweb.ne.jp).
		 */
		if ((h = hdr_get(&top, "from")) != NULL)
		{
			size_t		pos = 0,
						st,
						ln;

			if (next_address(h->value, h->vlen, &pos, &st, &ln) && is_robot(h->value + st, ln))
			{
				const char *at = memchr(h->value + st, '@', ln);

				robot.p = at + 1;
				robot.n = h->value + st + ln - robot.p;
			}
		}
		for (int i = 0; i < c.nrcpt; i++)
		{
			if (c.rcpt[i].reporting_mta == NULL && robot.n > 0)
			{
				if (robot_host == NULL)
					robot_host = clean(&c, robot.p, robot.n);
				c.rcpt[i].reporting_mta = robot_host;
			}
			if (c.rcpt[i].recipient == NULL && only.n > 0)
				c.rcpt[i].recipient = clean(&c, only.p, only.n);
			if (c.rcpt[i].recipient != NULL)
				c.rcpt[k++] = c.rcpt[i];
		}
		c.nrcpt = k;
	}
	if (c.err != DSN_OK)
		return c.err;
	if (out->format == NULL)
		out->format = "text";
	out->nrecipients = c.nrcpt;
	out->recipients = c.rcpt;
	return DSN_OK;
}
