/*-------------------------------------------------------------------------
 *
 * report.c
 *		What bounce-load says: a line per failed message as it happens (on
 *		stderr), a progress bar on a terminal, a line per recipient with
 *		--verbose, and the summary at the end (on stdout).
 *
 * The summary counts messages and recipients by outcome, as
 * record_dsn_batch reports them: recorded now, already known (the same
 * idempotency key was recorded before: a second run over the same files
 * records nothing), not a bounce (counted by why: feedback report,
 * auto-reply, delivery delayed, no recipient found, ...), skipped (an
 * address record_bounce() refuses), and failed messages with the error.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

/* Distinct "not a bounce" outcomes kept; more are counted as "other". */
#define MAX_WHYS		32
/* Failed messages listed in the summary; all are printed as they happen. */
#define MAX_LISTED		20

typedef struct Why
{
	char	   *text;
	uint64_t	count;
} Why;

static Why	whys[MAX_WHYS];
static int	nwhys;
static uint64_t other_whys;
static char *listed[MAX_LISTED];
static int	nlisted;
static bool bar_shown;

static void
count_why(const char *why)
{
	int			i;

	for (i = 0; i < nwhys; i++)
	{
		if (strcmp(whys[i].text, why) == 0)
		{
			whys[i].count++;
			return;
		}
	}
	if (nwhys < MAX_WHYS && (whys[nwhys].text = strdup(why)) != NULL)
		whys[nwhys++].count = 1;
	else
		other_whys++;
}

void
tally_row(Tally *t, const char *origin, const char *recipient,
		  const char *outcome, const char *bounce_id, bool is_new)
{
	const char *shown;

	if (strcmp(outcome, "recorded") == 0)
	{
		if (is_new)
			t->recorded++;
		else
			t->known++;
		shown = is_new ? "recorded" : "already known";
	}
	else if (strncmp(outcome, "not a bounce: ", 14) == 0)
	{
		t->not_bounce++;
		count_why(outcome + 14);
		shown = outcome;
	}
	else
	{
		t->skipped++;
		shown = outcome;
	}
	if (t->verbose)
	{
		progress_clear(t);
		printf("%s\t%s\t%s\t%s\n", origin, recipient ? recipient : "", shown,
			   bounce_id ? bounce_id : "");
	}
}

void
tally_failed(Tally *t, const char *origin, const char *sqlstate, const char *error)
{
	size_t		n = strlen(origin) + strlen(error) + 16;
	char	   *line = malloc(n);

	t->failed++;
	if (line == NULL)
		return;
	if (sqlstate && *sqlstate)
		snprintf(line, n, "%s: %s (%s)", origin, error, sqlstate);
	else
		snprintf(line, n, "%s: %s", origin, error);
	/* one line: an error may span several */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	progress_clear(t);
	fprintf(stderr, "bounce-load: failed: %s\n", line);
	if (nlisted < MAX_LISTED)
		listed[nlisted++] = line;
	else
		free(line);
}

void
progress_show(Tally *t, uint64_t done, uint64_t total)
{
	char		bar[31];
	int			fill = 0,
				i;

	if (!t->progress)
		return;
	if (total > 0)
		fill = (int) (done >= total ? 30 : done * 30 / total);
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	if (total > 0)
		fprintf(stderr, "\r[%s] %3d%%  %llu messages, %llu recorded, %llu known, %llu failed ",
				bar, (int) (done >= total ? 100 : done * 100 / total),
				(unsigned long long) t->messages, (unsigned long long) t->recorded,
				(unsigned long long) t->known, (unsigned long long) t->failed);
	else
		fprintf(stderr, "\r%llu messages, %llu recorded, %llu known, %llu failed ",
				(unsigned long long) t->messages, (unsigned long long) t->recorded,
				(unsigned long long) t->known, (unsigned long long) t->failed);
	fflush(stderr);
	bar_shown = true;
}

void
progress_clear(Tally *t)
{
	if (!t->progress || !bar_shown)
		return;
	fprintf(stderr, "\r%100s\r", "");
	bar_shown = false;
}

void
summary_print(const Tally *t, double seconds, bool stopped)
{
	int			i;

	if (t->quiet)
		return;
	printf("messages         %llu (%.1f s, %.0f messages/s)\n", (unsigned long long) t->messages,
		   seconds, seconds > 0 ? (double) t->messages / seconds : 0.0);
	printf("recorded         %llu recipients\n", (unsigned long long) t->recorded);
	printf("already known    %llu recipients\n", (unsigned long long) t->known);
	printf("not a bounce     %llu\n", (unsigned long long) t->not_bounce);
	for (i = 0; i < nwhys; i++)
		printf("  %-24s %llu\n", whys[i].text, (unsigned long long) whys[i].count);
	if (other_whys)
		printf("  %-24s %llu\n", "other", (unsigned long long) other_whys);
	printf("skipped          %llu recipients (address refused)\n", (unsigned long long) t->skipped);
	printf("failed           %llu messages\n", (unsigned long long) t->failed);
	for (i = 0; i < nlisted; i++)
		printf("  %s\n", listed[i]);
	if (t->failed > (uint64_t) nlisted)
		printf("  ... and %llu more (each was printed on stderr)\n",
			   (unsigned long long) (t->failed - nlisted));
	if (stopped)
		printf("stopped before the end: the messages not yet sent were not recorded\n");
	fflush(stdout);
}
