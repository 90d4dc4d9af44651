/*-------------------------------------------------------------------------
 *
 * dsn_charset.c
 *		Text parts to UTF-8 by their charset parameter: as they are for
 *		US-ASCII and UTF-8, ISO-2022-JP turned into EUC-JP here, the rest
 *		through the caller's charset hook (the server's conversions).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dsn/dsn_int.h"

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
	unsigned char *out = dsn_alloc(c, n * 2 + 1);
	size_t		i = 0,
				o = 0,
				ticked = 0;
	enum
	{
		J_ASCII, J_X0208, J_KANA
	}			state = J_ASCII;

	if (out == NULL)
		return NULL;
	while (i < n)
	{
		unsigned char b = (unsigned char) p[i];

		dsn_tick_at(c, i, &ticked);
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
const char *
dsn_text_to_utf8(Ctx *c, Str charset, const char *p, size_t n, size_t *outlen)
{
	char		name[64];
	const char *src = p;
	size_t		srclen = n;
	char	   *res;
	size_t		i;

	*outlen = n;
	charset = dsn_trim(charset);
	if (charset.n == 0 || charset.n >= sizeof(name) || n == 0 ||
		dsn_ci_equal(charset, "us-ascii") || dsn_ci_equal(charset, "utf-8") || dsn_ci_equal(charset, "utf8"))
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
