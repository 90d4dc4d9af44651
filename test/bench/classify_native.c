/*
 * classify_native.c -- the classifier's pure-C core outside the server.
 *
 *   classify_native [-n ROUNDS] FILE.tsv
 *
 * FILE.tsv has the columns of test/corpus/dev.tsv (a header line, then id,
 * recipient, reply code, status, command, remote host, diagnostic, ...).
 * Prints the size of the text automaton, then two rates, each the
 * fastest of ROUNDS passes over the rows (default 2000), so that other
 * load on the machine disturbs them little:
 *	scan      bounce_matcher_scan alone over each diagnostic;
 *	classify  bounce_classify with all five fields.
 *
 * Used by test/bench/classify.sh (built as is and with
 * -DBOUNCE_BENCH_DOUBLE_RULES, which doubles the automaton) and for A/B
 * comparisons of the matcher under valgrind --tool=callgrind, whose
 * instruction counts do not depend on the load of a shared machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify/classify.h"
#include "classify/matcher.h"
#include "status/status.h"

typedef struct Row
{
	char	   *text;
	size_t		len;
	int			reply_code;
	int32_t		status;
	char	   *command;
	char	   *host;
} Row;

static long nhits;

static void
count_hit(int pattern, size_t end, void *arg)
{
	(void) pattern;
	(void) end;
	(void) arg;
	nhits++;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Split a line at tabs in place; returns the number of fields. */
static int
split(char *line, char **f, int max)
{
	int			n = 0;

	f[n++] = line;
	for (; *line && n < max; line++)
		if (*line == '\t')
		{
			*line = '\0';
			f[n++] = line + 1;
		}
	return n;
}

static Row *
read_rows(const char *path, int *nrows, long *nbytes)
{
	FILE	   *fp = fopen(path, "r");
	static char line[1 << 20];
	Row		   *rows = NULL;
	int			n = 0,
				cap = 0;

	if (fp == NULL)
	{
		perror(path);
		exit(1);
	}
	*nbytes = 0;
	if (fgets(line, sizeof(line), fp) == NULL)	/* the header */
		exit(1);
	while (fgets(line, sizeof(line), fp))
	{
		char	   *f[12];
		Row		   *r;

		line[strcspn(line, "\n")] = '\0';
		if (split(line, f, 12) < 7)
			continue;
		if (n == cap)
		{
			cap = cap ? cap * 2 : 512;
			rows = realloc(rows, cap * sizeof(Row));
		}
		r = &rows[n++];
		r->text = strdup(f[6]);
		r->len = strlen(f[6]);
		r->reply_code = atoi(f[2]);
		r->status = -1;
		if (f[3][0] && bounce_status_parse(f[3], strlen(f[3]), &r->status) != BSE_OK)
			r->status = -1;
		r->command = f[4][0] ? strdup(f[4]) : NULL;
		r->host = f[5][0] ? strdup(f[5]) : NULL;
		*nbytes += r->len;
	}
	fclose(fp);
	*nrows = n;
	return rows;
}

int
main(int argc, char **argv)
{
	static const char *patterns[8192];
	BounceMatcher m;
	int			rounds = 2000;
	int			npat = 0;
	int			nrows;
	long		nbytes;
	Row		   *rows;
	double		best_scan = 1e30,
				best_class = 1e30;
	int			i,
				r;

	if (argc > 3 && strcmp(argv[1], "-n") == 0)
	{
		rounds = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc != 2)
	{
		fprintf(stderr, "usage: classify_native [-n ROUNDS] FILE.tsv\n");
		return 2;
	}
	rows = read_rows(argv[1], &nrows, &nbytes);
	if (nrows == 0 || !bounce_classifier_init())
		return 1;

	/* the classifier's patterns, a gap rule as its two parts */
	for (i = 0; i < bounce_text_rules_count && npat < 8190; i++)
	{
		const char *p = bounce_text_rules[i].pattern;
		const char *star = strchr(p, '*');

		if (star)
		{
			patterns[npat++] = strndup(p, star - p);
			patterns[npat++] = star + 1;
		}
		else
			patterns[npat++] = p;
	}
	if (!bounce_matcher_build(&m, patterns, npat))
		return 1;
	printf("automaton: %d patterns%s, %d states, rows of %d classes, %zu bytes\n",
#ifdef BOUNCE_BENCH_DOUBLE_RULES
		   2 * npat, " (half of them synthetic)",
#else
		   npat, "",
#endif
		   m.nstates, m.nclasses, m.memsize);

	/* each pass timed alone: the fastest is the one least disturbed */
	for (r = 0; r < rounds; r++)
	{
		double		t0 = now(),
					t1,
					t2;

		for (i = 0; i < nrows; i++)
			bounce_matcher_scan(&m, rows[i].text, rows[i].len, count_hit, NULL, NULL, NULL, 0);
		t1 = now();
		for (i = 0; i < nrows; i++)
		{
			BounceClassifyInput in = {0};
			BounceClassification out;

			in.text = rows[i].text;
			in.len = rows[i].len;
			in.reply_code = rows[i].reply_code;
			in.status = rows[i].status;
			in.command = rows[i].command;
			in.command_len = rows[i].command ? strlen(rows[i].command) : 0;
			in.host = rows[i].host;
			in.host_len = rows[i].host ? strlen(rows[i].host) : 0;
			bounce_classify(&in, &out);
		}
		t2 = now();
		if (t1 - t0 < best_scan)
			best_scan = t1 - t0;
		if (t2 - t1 < best_class)
			best_class = t2 - t1;
	}
	printf("rows: %d, average diagnostic %.0f bytes; fastest of %d passes over them\n",
		   nrows, (double) nbytes / nrows, rounds);
	printf("scan:     %.2f ns/byte, %.0f ns/row, %.2f M rows/s (%.1f matches/row)\n",
		   best_scan * 1e9 / nbytes, best_scan * 1e9 / nrows,
		   nrows / best_scan / 1e6, (double) nhits / ((double) nrows * rounds));
	printf("classify: %.0f ns/row, %.2f M rows/s\n",
		   best_class * 1e9 / nrows, nrows / best_class / 1e6);
	bounce_matcher_free(&m);
	return 0;
}
