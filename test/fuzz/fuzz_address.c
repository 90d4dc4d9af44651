/*
 * fuzz_address.c -- libFuzzer target for the address checks and normal form.
 *
 * SOURCES: src/address/address.c
 *
 * Properties checked on every input, beyond "no crash, no sanitizer report":
 *	- the problem text, when there is one, is valid UTF-8 and fits its buffer;
 *	- an accepted address has a normal form that is valid UTF-8 with no
 *	  control character, at most 254 bytes, itself accepted, and its own
 *	  normal form (normalising twice changes nothing);
 *	- the checks never read outside [data, data + size) (ASan checks this:
 *	  the input is copied into an exactly-sized heap buffer, no terminator).
 * Once, at start-up: case folding is idempotent on every code point, gives
 * a scalar value for every scalar value, and folds ASCII letters to lower
 * case.
 */
#include <stdlib.h>
#include <string.h>

#include "address/address.h"

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint32_t	cp;

	(void) argc;
	(void) argv;
	for (cp = 0; cp < 0x110000; cp++)
	{
		uint32_t	f = bounce_casefold(cp);

		if (f >= 0x110000 || bounce_casefold(f) != f ||
			((f >= 0xD800 && f <= 0xDFFF) != (cp >= 0xD800 && cp <= 0xDFFF)))
			abort();
		if ((cp >= 'A' && cp <= 'Z' && f != cp + 32) || (cp < 0x80 && !(cp >= 'A' && cp <= 'Z') && f != cp))
			abort();
	}
	return 0;
}

/* Valid UTF-8 without control characters (C0, DEL, C1)? */
static bool
clean_utf8(const unsigned char *p, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		unsigned char b = p[i];
		int			k,
					j;
		uint32_t	v;

		if (b < 0x20 || b == 0x7F)
			return false;
		if (b < 0x80)
		{
			i++;
			continue;
		}
		k = (b >= 0xF0 && b <= 0xF4) ? 4 : (b >= 0xE0) ? 3 : (b >= 0xC2 && b <= 0xDF) ? 2 : 0;
		if (k == 0 || i + k > n)
			return false;
		v = b & (0x7F >> k);
		for (j = 1; j < k; j++)
		{
			if ((p[i + j] & 0xC0) != 0x80)
				return false;
			v = (v << 6) | (p[i + j] & 0x3F);
		}
		if ((k == 3 && v < 0x800) || (k == 4 && v < 0x10000) || v > 0x10FFFF ||
			(v >= 0xD800 && v <= 0xDFFF) || (v >= 0x80 && v <= 0x9F))
			return false;
		i += k;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *copy = malloc(size ? size : 1);
	char		buf[BOUNCE_ADDRESS_PROBLEM_BUFLEN];
	const char *problem;

	memcpy(copy, data, size);
	problem = bounce_address_problem(copy, size, buf);
	if (problem != NULL)
	{
		size_t		n = strnlen(problem, sizeof(buf));

		if (n == 0 || n >= sizeof(buf) || !clean_utf8((const unsigned char *) problem, n))
			abort();
	}
	else
	{
		char	   *out = malloc(2 * size + 1);
		char	   *again = malloc(2 * size + 1);
		size_t		n = bounce_address_normalize(copy, size, out);
		size_t		m;

		if (n == 0 || n > 254 || strlen(out) != n || !clean_utf8((const unsigned char *) out, n))
			abort();
		if (bounce_address_problem(out, n, buf) != NULL)
			abort();
		m = bounce_address_normalize(out, n, again);
		if (m != n || memcmp(out, again, n) != 0)
			abort();
		free(out);
		free(again);
	}
	free(copy);
	return 0;
}
