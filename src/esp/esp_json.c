/*-------------------------------------------------------------------------
 *
 * esp_json.c
 *		A small JSON reader (RFC 8259) into a tree, for the ESP reader.
 *
 * Recursive descent, nesting limited to ESP_MAX_DEPTH.  Strings are
 * decoded: the escapes, \uXXXX with surrogate pairs (a lone surrogate
 * becomes U+FFFD).  Numbers are kept as written, checked against the
 * grammar.  Anything else (a trailing comma, a single quote, bytes after
 * the value) is an error: what reaches it from the server is jsonb's own
 * output, and an SNS envelope's Message is JSON written by Amazon.  Every
 * node is allocated from the reader's allocator; the work is counted so
 * that the interrupt hook is called however large the input.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "esp/esp_int.h"

typedef struct Reader
{
	EspCtx	   *c;
	const char *start;
	const char *p;
	const char *end;
} Reader;

static bool value(Reader *r, EspJson *out, int depth);

static bool
bad(Reader *r, const char *what)
{
	return esp_fail(r->c, ESP_ERR_JSON, "not JSON: %s at byte %zu", what,
					(size_t) (r->p - r->start) + 1);
}

static void
ws(Reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int
hex4(const char *p)
{
	int			v = 0,
				k;

	for (k = 0; k < 4; k++)
	{
		char		ch = p[k];

		v *= 16;
		if (ch >= '0' && ch <= '9')
			v += ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v += ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v += ch - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t
put_utf8(char *o, int u)
{
	if (u < 0x80)
	{
		o[0] = (char) u;
		return 1;
	}
	if (u < 0x800)
	{
		o[0] = (char) (0xC0 | (u >> 6));
		o[1] = (char) (0x80 | (u & 0x3F));
		return 2;
	}
	if (u < 0x10000)
	{
		o[0] = (char) (0xE0 | (u >> 12));
		o[1] = (char) (0x80 | ((u >> 6) & 0x3F));
		o[2] = (char) (0x80 | (u & 0x3F));
		return 3;
	}
	o[0] = (char) (0xF0 | (u >> 18));
	o[1] = (char) (0x80 | ((u >> 12) & 0x3F));
	o[2] = (char) (0x80 | ((u >> 6) & 0x3F));
	o[3] = (char) (0x80 | (u & 0x3F));
	return 4;
}

/* A string at r->p (the opening quote), decoded into memory of its own. */
static bool
string(Reader *r, const char **out, size_t *outlen)
{
	const char *q = r->p + 1,
			   *e = q;
	char	   *o;
	size_t		n = 0;

	/* the decoded string is never longer than the raw one */
	while (e < r->end && *e != '"')
		e += (*e == '\\' && e + 1 < r->end) ? 2 : 1;
	if (e >= r->end)
		return bad(r, "a string without its closing quote");
	esp_tick(r->c, e - q);
	o = esp_alloc(r->c, (e - q) + 1);
	if (o == NULL)
		return false;
	while (q < e)
	{
		char		ch = *q++;

		if ((unsigned char) ch < 0x20)
			return bad(r, "a control character in a string");
		if (ch != '\\')
		{
			o[n++] = ch;
			continue;
		}
		ch = *q++;
		switch (ch)
		{
			case '"':
			case '\\':
			case '/':
				o[n++] = ch;
				break;
			case 'b':
				o[n++] = '\b';
				break;
			case 'f':
				o[n++] = '\f';
				break;
			case 'n':
				o[n++] = '\n';
				break;
			case 'r':
				o[n++] = '\r';
				break;
			case 't':
				o[n++] = '\t';
				break;
			case 'u':
				{
					int			u = (e - q >= 4) ? hex4(q) : -1;

					if (u < 0)
						return bad(r, "a bad \\u escape");
					q += 4;
					if (u >= 0xD800 && u <= 0xDBFF && e - q >= 6 && q[0] == '\\' && q[1] == 'u')
					{
						int			lo = hex4(q + 2);

						if (lo >= 0xDC00 && lo <= 0xDFFF)
						{
							u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
							q += 6;
						}
					}
					if (u >= 0xD800 && u <= 0xDFFF)
						u = 0xFFFD;
					/* 6 raw bytes (or 12) become at most 4 */
					n += put_utf8(o + n, u);
					break;
				}
			default:
				return bad(r, "a bad escape");
		}
	}
	o[n] = '\0';
	r->p = e + 1;
	*out = o;
	*outlen = n;
	return true;
}

static bool
number(Reader *r, EspJson *out)
{
	const char *st = r->p;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return bad(r, "a bad number");
	if (*r->p == '0')
		r->p++;
	else
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	if (r->p < r->end && *r->p == '.')
	{
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return bad(r, "a bad number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E'))
	{
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return bad(r, "a bad number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	esp_tick(r->c, r->p - st);
	out->type = EJ_NUMBER;
	out->s = st;
	out->n = r->p - st;
	return true;
}

static bool
literal(Reader *r, const char *word, EspJsonType type, EspJson *out)
{
	size_t		n = strlen(word);

	if ((size_t) (r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return bad(r, "an unexpected character");
	r->p += n;
	out->type = type;
	return true;
}

/*
 * The elements (or members) of an array (object) at r->p, collected in a
 * growing array of nodes, then kept at their final size.
 */
static bool
container(Reader *r, EspJson *out, int depth, bool object)
{
	char		close = object ? '}' : ']';
	int			cap = 8,
				n = 0;
	EspJson    *items;
	const char **keys = NULL;
	size_t	   *keylens = NULL;

	if (depth >= ESP_MAX_DEPTH)
		return esp_fail(r->c, ESP_ERR_DEPTH, "the JSON is nested deeper than %d levels", ESP_MAX_DEPTH);
	r->p++;
	out->type = object ? EJ_OBJECT : EJ_ARRAY;
	items = esp_alloc(r->c, sizeof(EspJson) * cap);
	if (object)
	{
		keys = esp_alloc(r->c, sizeof(char *) * cap);
		keylens = esp_alloc(r->c, sizeof(size_t) * cap);
	}
	if (items == NULL || (object && (keys == NULL || keylens == NULL)))
		return false;
	ws(r);
	if (r->p < r->end && *r->p == close)
	{
		r->p++;
		out->items = items;
		out->keys = keys;
		out->keylens = keylens;
		out->count = 0;
		return true;
	}
	for (;;)
	{
		if (n == cap)
		{
			EspJson    *ni = esp_alloc(r->c, sizeof(EspJson) * cap * 2);

			if (ni == NULL)
				return false;
			memcpy(ni, items, sizeof(EspJson) * cap);
			items = ni;
			if (object)
			{
				const char **nk = esp_alloc(r->c, sizeof(char *) * cap * 2);
				size_t	   *nl = esp_alloc(r->c, sizeof(size_t) * cap * 2);

				if (nk == NULL || nl == NULL)
					return false;
				memcpy(nk, keys, sizeof(char *) * cap);
				memcpy(nl, keylens, sizeof(size_t) * cap);
				keys = nk;
				keylens = nl;
			}
			cap *= 2;
		}
		ws(r);
		if (object)
		{
			if (r->p >= r->end || *r->p != '"')
				return bad(r, "a member without a name");
			if (!string(r, &keys[n], &keylens[n]))
				return false;
			ws(r);
			if (r->p >= r->end || *r->p != ':')
				return bad(r, "a member without ':'");
			r->p++;
		}
		memset(&items[n], 0, sizeof(EspJson));
		if (!value(r, &items[n], depth + 1))
			return false;
		n++;
		ws(r);
		if (r->p < r->end && *r->p == ',')
		{
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close)
		{
			r->p++;
			break;
		}
		return bad(r, object ? "an object not closed" : "an array not closed");
	}
	out->items = items;
	out->keys = keys;
	out->keylens = keylens;
	out->count = n;
	return true;
}

static bool
value(Reader *r, EspJson *out, int depth)
{
	ws(r);
	if (r->p >= r->end)
		return bad(r, "the end where a value was expected");
	esp_tick(r->c, 1);
	switch (*r->p)
	{
		case '{':
			return container(r, out, depth, true);
		case '[':
			return container(r, out, depth, false);
		case '"':
			out->type = EJ_STRING;
			return string(r, &out->s, &out->n);
		case 't':
			return literal(r, "true", EJ_TRUE, out);
		case 'f':
			return literal(r, "false", EJ_FALSE, out);
		case 'n':
			return literal(r, "null", EJ_NULL, out);
		default:
			return number(r, out);
	}
}

bool
esp_json_parse(EspCtx *c, const char *p, size_t n, EspJson *out)
{
	Reader		r;

	r.c = c;
	r.start = p;
	r.p = p;
	r.end = p + n;
	memset(out, 0, sizeof(EspJson));
	if (!value(&r, out, 0))
		return false;
	ws(&r);
	if (r.p != r.end)
		return bad(&r, "more after the value");
	return true;
}
