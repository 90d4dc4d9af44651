/*
 * fuzz_esp.c -- libFuzzer target for the ESP event reader (src/esp/).
 *
 * SOURCES: src/esp/esp.c src/esp/esp_json.c src/esp/esp_ses.c src/esp/esp_sendgrid.c src/esp/esp_postmark.c src/esp/esp_mailgun.c src/esp/esp_sparkpost.c src/classify/classify.c src/classify/classify_rules.c src/classify/matcher.c src/status/status.c src/status/status_codes.c
 *
 * Seeded with the providers' example payloads (test/esp/, linked as
 * test/fuzz/corpus/esp) and the field names of test/fuzz/esp.dict.
 * Properties checked on every input, beyond "no crash, no sanitizer
 * report, no leak":
 *	- the reader never reads outside [data, data + size) (the input is
 *	  copied into an exactly-sized heap buffer, no terminator);
 *	- on success every row has a recipient and a provider, every output
 *	  string is valid UTF-8 without control characters and at most
 *	  ESP_MAX_STRING bytes, every status and reply code valid, every stated
 *	  or fallback reason one of the reasons, the element within the batch;
 *	- on failure there are no rows and an error message;
 *	- everything allocated goes through the allocator hook (the arena is
 *	  freed after each input; LeakSanitizer would report anything else).
 */
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
#include "esp/esp.h"
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
check_string(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;

	if (s == NULL)
		return;
	if (*p == '\0' || strlen(s) > ESP_MAX_STRING)
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
		n = (*p >= 0xF0) ? 4 : (*p >= 0xE0) ? 3 : (*p >= 0xC2) ? 2 : 0;
		if (n == 0 || *p > 0xF4)
			abort();
		for (i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				abort();
		p += n;
	}
}

static void
check_reason(const char *label)
{
	int			i;

	if (label == NULL)
		return;
	for (i = 0; i < BR_COUNT; i++)
		if (strcmp(bounce_reasons[i].name, label) == 0)
			return;
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Arena		arena = {0};
	EspAllocator al = {.alloc = arena_alloc, .opaque = &arena, .interrupt = count_interrupt};
	char	   *copy = malloc(size ? size : 1);
	EspResult	res;
	size_t		i;
	int			k;

	memcpy(copy, data, size);
	interrupts = 0;
	if (bounce_esp_parse(copy, size, &al, &res) == ESP_OK)
	{
		for (k = 0; k < res.nrows; k++)
		{
			EspRow	   *r = &res.rows[k];

			if (r->recipient == NULL || r->provider == NULL || r->element < 1 ||
				r->permanent < -1 || r->permanent > 1)
				abort();
			check_string(r->recipient);
			check_string(r->action);
			check_string(r->diagnostic);
			check_string(r->remote_mta);
			check_string(r->reporting_mta);
			check_string(r->category);
			check_string(r->message_id);
			check_string(r->event_id);
			check_reason(r->stated_reason);
			check_reason(r->fallback_reason);
			if (r->status != 0 && !bounce_status_valid(r->status))
				abort();
			if (r->reply_code != 0 && !bounce_reply_code_valid(r->reply_code))
				abort();
		}
	}
	else if (res.nrows != 0 || res.error == NULL)
	{
		/* out of memory (the arena's budget) is the one error without text */
		if (res.nrows != 0 || arena.bytes < (size_t) 256 * 1024 * 1024)
			abort();
	}
	for (i = 0; i < arena.n; i++)
		free(arena.blocks[i]);
	free(arena.blocks);
	free(copy);
	return 0;
}
