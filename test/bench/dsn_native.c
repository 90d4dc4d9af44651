/*
 * dsn_native.c -- run the pure-C DSN parser core outside the server.
 *
 *   dsn_native FILE...          print one TSV row per recipient:
 *                               file, index, recipient, reply code, status,
 *                               action, format, command, remote MTA, diagnostic
 *   dsn_native -n N FILE...     parse every file N times, print messages/s
 *   dsn_native -g FILE...       parse each file once, print the longest gap
 *                               between two calls of the interrupt hook
 *                               (how late a cancel would be noticed) and
 *                               the memory the parser took, per input byte
 *
 * Used by test/bench/dsn.sh (the parser's speed without SQL overhead) and
 * by developers to look at what the parser finds in a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsn/dsn.h"
#include "status/status.h"

typedef struct Arena
{
	void	  **blocks;
	size_t		n,
				cap;
	size_t		bytes;			/* allocated since the last arena_free */
} Arena;

static void *
arena_alloc(void *opaque, size_t size)
{
	Arena	   *a = opaque;
	void	   *p = malloc(size);

	if (p == NULL)
		return NULL;
	if (a->n == a->cap)
	{
		a->cap = a->cap ? a->cap * 2 : 64;
		a->blocks = realloc(a->blocks, a->cap * sizeof(void *));
	}
	a->blocks[a->n++] = p;
	a->bytes += size;
	return p;
}

static void
arena_free(Arena *a)
{
	size_t		i;

	for (i = 0; i < a->n; i++)
		free(a->blocks[i]);
	a->n = 0;
	a->bytes = 0;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL)
	{
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? n : 1);
	if (fread(buf, 1, n, f) != (size_t) n)
	{
		perror(path);
		exit(1);
	}
	fclose(f);
	*len = n;
	return buf;
}

/* The interrupt hook of -g: the longest time between two calls. */
typedef struct Gaps
{
	struct timespec last;
	double		longest;
	long		calls;
} Gaps;

static double
since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static Gaps gaps;

static void
gap_interrupt(void *opaque)
{
	double		ms = since(&gaps.last);

	(void) opaque;
	if (ms > gaps.longest)
		gaps.longest = ms;
	gaps.calls++;
	clock_gettime(CLOCK_MONOTONIC, &gaps.last);
}

static int
show_gaps(int nfiles, char **files)
{
	Arena		arena = {0};
	DsnAllocator al = {.alloc = arena_alloc, .opaque = &arena, .interrupt = gap_interrupt};
	int			i;

	for (i = 0; i < nfiles; i++)
	{
		size_t		len;
		char	   *buf = slurp(files[i], &len);
		DsnResult	res;
		struct timespec t0;
		double		total;

		/* read the input once, so that the first touch of its pages is not counted */
		if (memchr(buf, '\0', len) == (void *) 1)
			abort();
		memset(&gaps, 0, sizeof(gaps));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		gaps.last = t0;
		bounce_dsn_parse(buf, len, false, &al, &res);
		total = since(&t0);
		if (since(&gaps.last) > gaps.longest)
			gaps.longest = since(&gaps.last);
		printf("%s\t%zu bytes\t%.1f ms\t%ld calls\tlongest gap %.1f ms\tmemory %.2f x\n",
			   files[i], len, total, gaps.calls, gaps.longest,
			   len ? (double) arena.bytes / len : 0.0);
		arena_free(&arena);
		free(buf);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	Arena		arena = {0};
	DsnAllocator al = {.alloc = arena_alloc, .opaque = &arena};
	int			reps = 0;
	int			first = 1;
	int			i;

	if (argc > 2 && strcmp(argv[1], "-g") == 0)
		return show_gaps(argc - 2, argv + 2);
	if (argc > 2 && strcmp(argv[1], "-n") == 0)
	{
		reps = atoi(argv[2]);
		first = 3;
	}
	if (reps > 0)
	{
		int			nfiles = argc - first;
		char	  **bufs = malloc(sizeof(char *) * nfiles);
		size_t	   *lens = malloc(sizeof(size_t) * nfiles);
		struct timespec t0,
					t1;
		long		msgs = 0;
		long		rows = 0;
		double		secs;
		int			r;

		for (i = 0; i < nfiles; i++)
			bufs[i] = slurp(argv[first + i], &lens[i]);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (r = 0; r < reps; r++)
			for (i = 0; i < nfiles; i++)
			{
				DsnResult	res;

				bounce_dsn_parse(bufs[i], lens[i], false, &al, &res);
				rows += res.nrecipients;
				msgs++;
				arena_free(&arena);
			}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("%ld messages, %ld rows in %.3f s: %.0f messages/s\n",
			   msgs, rows, secs, msgs / secs);
		return 0;
	}
	for (i = first; i < argc; i++)
	{
		size_t		len;
		char	   *buf = slurp(argv[i], &len);
		DsnResult	res;
		DsnError	err = bounce_dsn_parse(buf, len, false, &al, &res);
		const char *base = strrchr(argv[i], '/');
		int			k;

		base = base ? base + 1 : argv[i];
		if (err != DSN_OK)
			printf("%s\tERROR\t%s\n", base, bounce_dsn_error_text(err));
		for (k = 0; k < res.nrecipients; k++)
		{
			DsnRecipient *r = &res.recipients[k];
			char		st[BOUNCE_STATUS_BUFLEN] = "";

			if (r->status)
				bounce_status_format(r->status, st, sizeof(st));
			printf("%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", base, k + 1,
				   r->recipient ? r->recipient : "",
				   r->reply_code ? (char[4]) {'0' + r->reply_code / 100, '0' + r->reply_code / 10 % 10, '0' + r->reply_code % 10, 0} : "",
				   st, r->action ? r->action : "", res.format,
				   r->smtp_command ? r->smtp_command : "",
				   r->remote_mta ? r->remote_mta : "",
				   r->diagnostic ? r->diagnostic : "");
		}
		if (res.nrecipients == 0)
			printf("%s\t0\t\t\t\t\t%s\t\t\t\n", base, res.format ? res.format : "");
		arena_free(&arena);
		free(buf);
	}
	return 0;
}
