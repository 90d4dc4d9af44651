/*-------------------------------------------------------------------------
 *
 * dsn_mime.c
 *		Reading the message's structure: header blocks (folded lines
 *		unfolded), content transfer encodings and RFC 2047 encoded words,
 *		and the walk of the MIME tree that collects the parts the readers
 *		use (delivery-status, feedback report, text, returned message).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dsn/dsn_int.h"

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
b64_decode(Ctx *c, const char *p, size_t n, char *out)
{
	unsigned int acc = 0;
	int			bits = 0;
	size_t		o = 0;
	size_t		i;
	size_t		ticked = 0;

	for (i = 0; i < n; i++)
	{
		int			v;

		dsn_tick_at(c, i, &ticked);
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

int
dsn_hexval(char ch)
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
qp_decode(Ctx *c, const char *p, size_t n, char *out, bool underscore_space)
{
	size_t		o = 0;
	size_t		i = 0;
	size_t		ticked = 0;

	while (i < n)
	{
		dsn_tick_at(c, i, &ticked);
		if (p[i] == '=' && i + 2 < n &&
			dsn_hexval(p[i + 1]) >= 0 && dsn_hexval(p[i + 2]) >= 0)
		{
			out[o++] = (char) (dsn_hexval(p[i + 1]) * 16 + dsn_hexval(p[i + 2]));
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
char *
dsn_decode_words(Ctx *c, const char *v, size_t n, size_t *outlen)
{
	char	   *out;
	size_t		o = 0;
	size_t		i = 0;
	size_t		ticked = 0;
	size_t		pending_ws = 0;	/* whitespace held back after a word */
	bool		after_word = false;
	const char *close = NULL;	/* first "?=" at or after the last search */
	bool		close_searched = false;

	if (dsn_ci_find_long(c, v, n, "=?") == NULL)
	{
		*outlen = n;
		return (char *) v;
	}
	out = dsn_alloc(c, n + 1);
	if (out == NULL)
		return NULL;
	while (i < n)
	{
		dsn_tick_at(c, i, &ticked);
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
					close = dsn_ci_find_long(c, v + q3, n - q3, "?=");
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
							o += b64_decode(c, v + q3, tlen, out + o);
						else
							o += qp_decode(c, v + q3, tlen, out + o, true);
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
const char *
dsn_parse_headers(Ctx *c, const char *p, const char *end, Headers *hs)
{
	hs->h = NULL;
	hs->cap = 0;
	return dsn_parse_headers_again(c, p, end, hs);
}

/* One more field in hs: the slots doubled when full; NULL past the limit. */
static Header *
new_header(Ctx *c, Headers *hs)
{
	if (hs->n >= DSN_MAX_HEADERS)
	{
		c->err = DSN_ERR_HEADERS;
		return NULL;
	}
	if (hs->n == hs->cap)
	{
		int			ncap = hs->cap ? hs->cap * 2 : 16;
		Header	   *nh = dsn_alloc(c, sizeof(Header) * ncap);

		if (nh == NULL)
			return NULL;
		if (hs->n)
			memcpy(nh, hs->h, sizeof(Header) * hs->n);
		hs->h = nh;
		hs->cap = ncap;
	}
	return &hs->h[hs->n++];
}

/*
 * The value of a field from start to vend, unfolded (the CR and LF of each
 * line break dropped) and trimmed: where it is in the message when it is
 * one line, else a copy.  Many small fields then take no memory.
 */
static Str
unfold_value(Ctx *c, const char *start, const char *vend)
{
	Str			t = {NULL, 0};
	char	   *val;
	size_t		vlen = 0;
	size_t		ticked = 0;
	const char *q;

	if (memchr(start, '\n', vend - start) == NULL &&
		memchr(start, '\r', vend - start) == NULL)
		return dsn_trim((Str) {start, (size_t) (vend - start)});
	val = dsn_alloc(c, (vend - start) + 1);
	if (val == NULL)
		return t;
	for (q = start; q < vend; q++)
	{
		dsn_tick_at(c, q - start, &ticked);
		if (*q != '\r' && *q != '\n')
			val[vlen++] = *q;
	}
	return dsn_trim((Str) {val, vlen});
}

/*
 * dsn_parse_headers into hs, reusing the slots of a block read into it
 * before (whose fields are gone), so that reading many small blocks one
 * after the other, as the field groups of a delivery-status part, takes
 * memory for the largest only.
 */
const char *
dsn_parse_headers_again(Ctx *c, const char *p, const char *end, Headers *hs)
{
	const char *block = p;
	size_t		ticked = 0;

	hs->n = 0;
	/* tolerate an mbox "From " line at the top */
	if (end - p > 5 && memcmp(p, "From ", 5) == 0)
	{
		const char *eol;

		p = dsn_line_end(p, end, &eol);
	}
	while (p < end && c->err == DSN_OK)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);
		const char *colon;
		const char *vend;
		Header	   *h;
		Str			v;

		if (eol == p)
			return next;		/* empty line: end of headers */
		if (!is_field_line(p, eol))
			return p;			/* not a header: the body starts here */
		colon = memchr(p, ':', eol - p);
		/* the value runs on over continuation lines */
		vend = eol;
		while (next < end && is_wsp(*next))
		{
			const char *e2;
			const char *n2 = dsn_line_end(next, end, &e2);

			vend = e2;
			next = n2;
			dsn_tick_at(c, next - block, &ticked);
		}
		dsn_tick_at(c, next - block, &ticked);
		if ((h = new_header(c, hs)) == NULL)
			return end;
		v = unfold_value(c, colon + 1, vend);
		if (v.p == NULL)
			return end;
		h->name.p = p;
		h->name.n = colon - p;
		/* trim the name too: "Status :" occurs */
		while (h->name.n > 0 && is_wsp(p[h->name.n - 1]))
			h->name.n--;
		h->value = v.p;
		h->vlen = v.n;
		p = next;
	}
	return p;
}

const Header *
dsn_hdr_get(const Headers *hs, const char *name)
{
	int			i;

	for (i = 0; i < hs->n; i++)
		if (dsn_ci_equal(hs->h[i].name, name))
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
	return dsn_trim(s);
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
		if (dsn_ci_prefix(p, end - p, name) && p + nl < end)
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

void
dsn_add_part(Ctx *c, PartKind kind, const char *body, size_t len)
{
	Part	   *pt = dsn_alloc(c, sizeof(Part));

	if (pt == NULL)
		return;
	pt->kind = kind;
	pt->body = body;
	pt->len = len;
	pt->next = NULL;
	*c->tail = pt;
	c->tail = &pt->next;
}

/* Decode a body by its Content-Transfer-Encoding. */
const char *
dsn_decode_body(Ctx *c, const Headers *hs, const char *p, size_t n, size_t *outlen)
{
	const Header *cte = dsn_hdr_get(hs, "content-transfer-encoding");
	char	   *out;

	*outlen = n;
	if (cte == NULL)
		return p;
	if (dsn_ci_find(cte->value, cte->vlen, "base64"))
	{
		out = dsn_alloc(c, n / 4 * 3 + 4);
		if (out == NULL)
			return p;
		*outlen = b64_decode(c, p, n, out);
		return out;
	}
	if (dsn_ci_find(cte->value, cte->vlen, "quoted-printable"))
	{
		out = dsn_alloc(c, n + 1);
		if (out == NULL)
			return p;
		*outlen = qp_decode(c, p, n, out, false);
		return out;
	}
	return p;
}

/* Split a multipart body at its boundary lines and walk each part. */
static void
walk_multipart(Ctx *c, Str boundary, const char *p, const char *end, int depth)
{
	const char *part = NULL;	/* start of the current part */
	const char *part_end = NULL;
	const char *start = p;
	size_t		ticked = 0;

	while (p < end && c->err == DSN_OK)
	{
		const char *eol;
		const char *next = dsn_line_end(p, end, &eol);

		dsn_tick_at(c, next - start, &ticked);

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
				pb = dsn_parse_headers(c, part, part_end, &phs);
				if (pb > part_end)
					pb = part_end;
				dsn_walk(c, &phs, pb, part_end, depth + 1);
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
		pb = dsn_parse_headers(c, part, end, &phs);
		dsn_walk(c, &phs, pb, end, depth + 1);
	}
}

void
dsn_walk(Ctx *c, const Headers *hs, const char *body, const char *end, int depth)
{
	const Header *ct = dsn_hdr_get(hs, "content-type");
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
	if (type.n >= 10 && dsn_ci_prefix(type.p, type.n, "multipart/"))
	{
		Str			b = ctype_param(ct, "boundary");

		if (b.n > 0)
		{
			Str			rt = ctype_param(ct, "report-type");

			if (dsn_ci_equal(type, "multipart/report"))
				c->is_report = true;
			if (rt.n > 0 && dsn_ci_equal(rt, "feedback-report"))
				c->is_report_feedback = true;
			walk_multipart(c, b, body, end, depth);
			return;
		}
		/* no boundary: read it as text */
	}
	dec = dsn_decode_body(c, hs, body, end - body, &dlen);
	if (dsn_ci_equal(type, "message/delivery-status") ||
		dsn_ci_equal(type, "message/global-delivery-status"))
		dsn_add_part(c, PK_DS, dec, dlen);
	else if (dsn_ci_equal(type, "message/feedback-report"))
		dsn_add_part(c, PK_FEEDBACK, dec, dlen);
	else if (dsn_ci_equal(type, "message/rfc822") ||
			 dsn_ci_equal(type, "message/global") ||
			 dsn_ci_equal(type, "text/rfc822-headers") ||
			 dsn_ci_equal(type, "message/rfc822-headers") ||
			 dsn_ci_equal(type, "message/global-headers"))
		dsn_add_part(c, PK_ORIGINAL, dec, dlen);
	else if (dsn_ci_equal(type, "text/html"))
	{
		dec = dsn_text_to_utf8(c, ctype_param(ct, "charset"), dec, dlen, &dlen);
		dsn_add_part(c, PK_HTML, dec, dlen);
	}
	else if (type.n >= 5 && dsn_ci_prefix(type.p, type.n, "text/"))
	{
		dec = dsn_text_to_utf8(c, ctype_param(ct, "charset"), dec, dlen, &dlen);
		dsn_add_part(c, PK_TEXT, dec, dlen);
	}
}
