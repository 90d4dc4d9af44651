/*
 * fuzz_status.c -- libFuzzer target for the enhanced status code parser.
 *
 * SOURCES: src/status/status.c src/status/status_codes.c
 *
 * Properties checked on every input, beyond "no crash, no sanitizer report":
 *	- a parsed value is valid and its canonical text parses back to itself;
 *	- the parser never reads outside [data, data + size) (ASan checks this:
 *	  the input is copied into an exactly-sized heap buffer, no terminator).
 */
#include <stdlib.h>
#include <string.h>

#include "status/status.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *copy = malloc(size ? size : 1);
	int32_t		v;
	int32_t		again;
	char		buf[BOUNCE_STATUS_BUFLEN];
	int			len;

	memcpy(copy, data, size);
	if (bounce_status_parse(copy, size, &v) == BSE_OK)
	{
		if (!bounce_status_valid(v))
			abort();
		len = bounce_status_format(v, buf, sizeof(buf));
		if (len <= 0 || len >= (int) sizeof(buf))
			abort();
		if (bounce_status_parse(buf, len, &again) != BSE_OK || again != v)
			abort();
		(void) bounce_status_lookup(BOUNCE_STATUS_SUBJECT(v), BOUNCE_STATUS_DETAIL(v));
	}
	free(copy);
	return 0;
}
