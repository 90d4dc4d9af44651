/*-------------------------------------------------------------------------
 *
 * address_sql.c
 *		SQL face of the address checks (address.c): bounce.address_problem
 *		and bounce.normalize_address.
 *
 * Both ignore the collation they are called with and the database's
 * ctype: the pure-C core folds case by a Unicode table, so they are truly
 * IMMUTABLE, and an index or a stored address made in one database matches
 * in any other.  The core works on UTF-8; in a database of another
 * encoding the text is converted to UTF-8 and back.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#include "address/address.h"

/* How many characters of a refused address its error quotes. */
#define QUOTE_CHARS	80

/* The text's bytes in UTF-8, *len of them (not NUL-terminated). */
static const char *
text_utf8(text *t, size_t *len)
{
	const char *s = VARDATA_ANY(t);
	int			n = VARSIZE_ANY_EXHDR(t);

	if (GetDatabaseEncoding() != PG_UTF8)
	{
		const char *u = pg_server_to_any(s, n, PG_UTF8);

		if (u != s)
			n = strlen(u);
		s = u;
	}
	*len = n;
	return s;
}

/* UTF-8 s[0..len) as a text in the server's encoding. */
static text *
utf8_text(const char *s, size_t len)
{
	if (GetDatabaseEncoding() != PG_UTF8)
	{
		char	   *v = pg_any_to_server(s, len, PG_UTF8);

		return cstring_to_text(v);
	}
	return cstring_to_text_with_len(s, len);
}

/*
 * address_problem(address text): why the address is malformed, or NULL
 * when normalize_address() accepts it.  Never errors.
 */
PG_FUNCTION_INFO_V1(bounce_address_problem_sql);
Datum
bounce_address_problem_sql(PG_FUNCTION_ARGS)
{
	size_t		len;
	const char *s = text_utf8(PG_GETARG_TEXT_PP(0), &len);
	char		buf[BOUNCE_ADDRESS_PROBLEM_BUFLEN];
	const char *problem = bounce_address_problem(s, len, buf);

	if (problem == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(utf8_text(problem, strlen(problem)));
}

/*
 * normalize_address(address text): the stored form of an address (see
 * address.c), or error 22P02 naming the address and its problem.
 */
PG_FUNCTION_INFO_V1(bounce_normalize_address_sql);
Datum
bounce_normalize_address_sql(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);
	size_t		len;
	const char *s = text_utf8(arg, &len);
	char		buf[BOUNCE_ADDRESS_PROBLEM_BUFLEN];
	const char *problem = bounce_address_problem(s, len, buf);
	char	   *out;
	size_t		olen;

	if (problem != NULL)
	{
		char	   *given = text_to_cstring(arg);
		int			clip = pg_mbcharcliplen(given, strlen(given), QUOTE_CHARS);
		text	   *why = utf8_text(problem, strlen(problem));

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid e-mail address: \"%.*s\"", clip, given),
				 errdetail("%s.", text_to_cstring(why)),
				 errhint("Give one address such as someone@example.be, without display name or angle brackets.")));
	}
	out = palloc(2 * len + 1);
	olen = bounce_address_normalize(s, len, out);
	PG_RETURN_TEXT_P(utf8_text(out, olen));
}
