/*
 * fuzz_dsn.c -- libFuzzer target for the DSN (bounce e-mail) parser.
 *
 * SOURCES: src/dsn/dsn_parse.c src/dsn/dsn_mime.c src/dsn/dsn_charset.c src/dsn/dsn_date.c src/dsn/dsn_scan.c src/dsn/dsn_addrlist.c src/dsn/dsn_evidence.c src/dsn/dsn_mta.c src/dsn/dsn_report.c src/dsn/dsn_plain.c src/dsn/dsn_ses.c src/dsn/dsn_util.c src/status/status.c src/status/status_codes.c
 *
 * Properties checked on every input, beyond "no crash, no sanitizer report,
 * no leak":
 *	- the parser never reads outside [data, data + size) (ASan checks this:
 *	  the input is copied into an exactly-sized heap buffer, no terminator);
 *	- every output string is valid UTF-8 without control characters (ASCII
 *	  only when asked for), every status code and reply code valid;
 *	- everything allocated goes through the allocator hook: the arena is
 *	  freed after each input, and LeakSanitizer would report anything else;
 *	- no output string is longer than DSN_MAX_STRING bytes.
 * The interrupt hook is set (it counts its calls), so that the parser's
 * paths through it are fuzzed too.
 */
#include <stdlib.h>
#include <string.h>

#include "dsn/dsn.h"
#include "status/status.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Arena
{
	void	  **blocks;
	size_t		n,
				cap;
	size_t		bytes;
} Arena;

static void *
arena_alloc(void *opaque, size_t size)
{
	Arena	   *a = opaque;
	void	   *p;

	/* a budget, so that a bug that allocates without bound shows up */
	if (a->bytes + size > (size_t) 512 * 1024 * 1024)
		return NULL;
	p = malloc(size);
	if (p == NULL)
		return NULL;
	if (a->n == a->cap)
	{
		size_t		ncap = a->cap ? a->cap * 2 : 64;
		void	  **nb = realloc(a->blocks, ncap * sizeof(void *));

		if (nb == NULL)
		{
			free(p);
			return NULL;
		}
		a->blocks = nb;
		a->cap = ncap;
	}
	a->blocks[a->n++] = p;
	a->bytes += size;
	return p;
}

static long interrupts;

static void
count_interrupt(void *opaque)
{
	(void) opaque;
	interrupts++;
}

static void
check_string(const char *s, bool ascii)
{
	const unsigned char *p = (const unsigned char *) s;

	if (s == NULL)
		return;
	if (*p == '\0')
		abort();				/* empty strings are reported as NULL */
	if (strlen(s) > DSN_MAX_STRING)
		abort();
	while (*p)
	{
		int			n,
					i;

		if (*p < 0x20 || *p == 0x7F)
			abort();
		if (*p < 0x80)
		{
			p++;
			continue;
		}
		if (ascii)
			abort();
		n = (*p >= 0xF0) ? 4 : (*p >= 0xE0) ? 3 : (*p >= 0xC2) ? 2 : 0;
		if (n == 0 || *p > 0xF4)
			abort();
		for (i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				abort();
		p += n;
	}
}

/*
 * Charset hook stand-in: reads every charset as ISO-8859-1 (each byte one
 * code point), except "x-unknown", which it does not know.  Its output is
 * valid UTF-8, like the server's; what is checked is the core around it,
 * including the ISO-2022-JP decoder that runs before it.
 */
static char *
fuzz_convert(void *opaque, const char *charset, const char *src, size_t len,
			 size_t *outlen)
{
	unsigned char *out;
	size_t		i,
				o = 0;

	if (strcmp(charset, "x-unknown") == 0)
		return NULL;
	out = arena_alloc(opaque, len * 2 + 1);
	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++)
	{
		unsigned char b = (unsigned char) src[i];

		if (b < 0x80)
			out[o++] = b;
		else
		{
			out[o++] = 0xC0 | (b >> 6);
			out[o++] = 0x80 | (b & 0x3F);
		}
	}
	out[o] = '\0';
	*outlen = o;
	return (char *) out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Arena		arena = {0};
	DsnAllocator al = {.alloc = arena_alloc, .opaque = &arena, .convert = fuzz_convert,
	.interrupt = count_interrupt};
	char	   *copy = malloc(size ? size : 1);
	DsnResult	res;
	bool		ascii = size > 0 && (data[0] & 1);
	size_t		i;
	int			k;

	memcpy(copy, data, size);
	interrupts = 0;
	if (bounce_dsn_parse(copy, size, ascii, &al, &res) == DSN_OK)
	{
		check_string(res.format, false);
		check_string(res.message_id, ascii);
		for (k = 0; k < res.nrecipients; k++)
		{
			DsnRecipient *r = &res.recipients[k];

			if (r->recipient == NULL)
				abort();
			check_string(r->recipient, ascii);
			check_string(r->original_recipient, ascii);
			check_string(r->action, ascii);
			check_string(r->diagnostic, ascii);
			check_string(r->remote_mta, ascii);
			check_string(r->reporting_mta, ascii);
			check_string(r->smtp_command, ascii);
			if (r->status != 0 && !bounce_status_valid(r->status))
				abort();
			if (r->reply_code != 0 && !bounce_reply_code_valid(r->reply_code))
				abort();
		}
	}
	else if (res.nrecipients != 0)
		abort();
	{
		int64_t		t;

		(void) bounce_dsn_parse_date(copy, size, &t);
	}
	for (i = 0; i < arena.n; i++)
		free(arena.blocks[i]);
	free(arena.blocks);
	free(copy);
	return 0;
}
