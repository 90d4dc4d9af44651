/*-------------------------------------------------------------------------
 *
 * bounce-load.c
 *		bounce-load: record the bounce e-mails of maildirs, mboxes, single
 *		files or standard input with bounce.record_dsn_batch().
 *
 *		bounce-load [OPTION]... [PATH]...
 *
 * The manual is doc/bounce-load.md.  This file reads the options and runs
 * the loop: read a batch of messages (input.c), send it (send.c), and read
 * the next batch while the server records the last one; report.c counts
 * and prints.
 *
 *-------------------------------------------------------------------------
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "load.h"

#define LOAD_VERSION		"0.1"
#define DEFAULT_BATCH		500
#define MAX_BATCH			100000
/* A batch is cut short past this many bytes of messages. */
#define BATCH_BYTES			((size_t) 64 * 1024 * 1024)

static void
usage(FILE *f)
{
	fprintf(f,
			"bounce-load records bounce e-mails with bounce.record_dsn_batch().\n"
			"\n"
			"Usage:\n"
			"  bounce-load [OPTION]... [PATH]...\n"
			"\n"
			"PATH is a maildir (its cur/ and new/), a directory of messages, an mbox, a\n"
			"single message (.eml), or - for standard input (the default: one message,\n"
			"as a Postfix or Exim pipe transport gives it).\n"
			"\n"
			"Options:\n"
			"  -d, --dbname=CONNINFO    database name or connection string (default: the\n"
			"                           PG* environment variables)\n"
			"  -r, --registrars=IDS     registrar ids to charge the bounces to, e.g. 1,2,\n"
			"                           or \"contacts\": each recipient's registrars from\n"
			"                           bounce.contact (default: none, an empty array)\n"
			"  -b, --batch=N            messages per transaction (default %d)\n"
			"  -f, --format=FORMAT      auto (default), maildir, mbox or eml\n"
			"  -q, --quiet              print only the messages that failed\n"
			"  -v, --verbose            print one line per recipient: source, recipient,\n"
			"                           outcome, bounce id\n"
			"  -V, --version            print the version and exit\n"
			"  -h, --help               print this help and exit\n"
			"\n"
			"Exit status: 0 all messages read and recorded or reported, 1 some messages\n"
			"failed (the others were recorded), 2 bad usage, no connection, or a run\n"
			"stopped by an error that is not about one message.\n",
			DEFAULT_BATCH);
}

/* "1, 2,3" -> "{1,2,3}"; "" -> "{}"; NULL (with the error printed) if bad. */
static char *
registrar_array(const char *s)
{
	size_t		n = strlen(s);
	char	   *o = malloc(n + 3),
			   *w = o;
	const char *p = s;

	if (o == NULL)
		return NULL;
	*w++ = '{';
	while (*p)
	{
		long		v = 0;
		int			digits = 0;

		while (*p == ' ')
			p++;
		while (*p >= '0' && *p <= '9')
		{
			v = v * 10 + (*p - '0');
			*w++ = *p++;
			if (++digits > 10 || v > 2147483647L)
				break;
		}
		while (*p == ' ')
			p++;
		if (digits == 0 || digits > 10 || v < 1 || v > 2147483647L || (*p != ',' && *p != '\0'))
		{
			fprintf(stderr, "bounce-load: invalid --registrars \"%s\": give registrar ids separated by commas, e.g. 1,2\n", s);
			free(o);
			return NULL;
		}
		if (*p == ',')
		{
			p++;
			if (*p == '\0')
			{
				fprintf(stderr, "bounce-load: invalid --registrars \"%s\": give registrar ids separated by commas, e.g. 1,2\n", s);
				free(o);
				return NULL;
			}
			*w++ = ',';
		}
	}
	*w++ = '}';
	*w = '\0';
	return o;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Fill batch[0..) with up to max messages; the ones that cannot be read
 * are reported as failed.  Returns how many; *more false at the end.
 */
static int
read_batch(Input *in, Tally *t, LoadMessage *batch, int max, bool *more)
{
	int			n = 0;
	size_t		bytes = 0;

	while (n < max && bytes < BATCH_BYTES)
	{
		LoadMessage m;
		const char *error;

		if (!input_next(in, &m, &error))
		{
			*more = false;
			return n;
		}
		t->messages++;
		if (error == NULL && m.len > LOAD_MAX_MESSAGE)
			error = "message larger than the 256 MB bounce-load sends";
		if (error != NULL)
		{
			tally_failed(t, m.origin ? m.origin : "?", NULL, error);
			free(m.data);
			free(m.origin);
			continue;
		}
		bytes += m.len;
		batch[n++] = m;
	}
	*more = true;
	return n;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"registrars", required_argument, NULL, 'r'},
		{"batch", required_argument, NULL, 'b'},
		{"format", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	const char *conninfo = NULL;
	char	   *registrars = NULL;
	bool		from_contacts = false;
	long		batch = DEFAULT_BATCH;
	InputFormat format = FORMAT_AUTO;
	Tally		tally;
	Input	   *in;
	Sender	   *sender;
	LoadMessage *bufs[2];
	int			c,
				cur = 0,
				n;
	bool		more = true,
				stopped = false;
	double		start;

	memset(&tally, 0, sizeof(tally));
	while ((c = getopt_long(argc, argv, "d:r:b:f:qvVh", opts, NULL)) != -1)
	{
		char	   *end;

		switch (c)
		{
			case 'd':
				conninfo = optarg;
				break;
			case 'r':
				free(registrars);
				registrars = NULL;
				/* NULL registrars: record_dsn_batch attributes from contact */
				from_contacts = strcmp(optarg, "contacts") == 0;
				if (!from_contacts && (registrars = registrar_array(optarg)) == NULL)
					return LOAD_EXIT_USAGE;
				break;
			case 'b':
				batch = strtol(optarg, &end, 10);
				if (*optarg == '\0' || *end != '\0' || batch < 1 || batch > MAX_BATCH)
				{
					fprintf(stderr, "bounce-load: invalid --batch \"%s\": give a number of messages from 1 to %d\n",
							optarg, MAX_BATCH);
					return LOAD_EXIT_USAGE;
				}
				break;
			case 'f':
				if (strcmp(optarg, "auto") == 0)
					format = FORMAT_AUTO;
				else if (strcmp(optarg, "maildir") == 0)
					format = FORMAT_MAILDIR;
				else if (strcmp(optarg, "mbox") == 0)
					format = FORMAT_MBOX;
				else if (strcmp(optarg, "eml") == 0)
					format = FORMAT_EML;
				else
				{
					fprintf(stderr, "bounce-load: invalid --format \"%s\": give auto, maildir, mbox or eml\n", optarg);
					return LOAD_EXIT_USAGE;
				}
				break;
			case 'q':
				tally.quiet = true;
				break;
			case 'v':
				tally.verbose = true;
				break;
			case 'V':
				printf("bounce-load %s\n", LOAD_VERSION);
				return LOAD_EXIT_OK;
			case 'h':
				usage(stdout);
				return LOAD_EXIT_OK;
			default:
				fprintf(stderr, "Try \"bounce-load --help\" for more information.\n");
				return LOAD_EXIT_USAGE;
		}
	}
	if (registrars == NULL && !from_contacts && (registrars = registrar_array("")) == NULL)
		return LOAD_EXIT_USAGE;
	tally.progress = !tally.quiet && isatty(STDERR_FILENO);

	in = input_open(argv + optind, argc - optind, format);
	if (in == NULL)
		return LOAD_EXIT_USAGE;
	sender = sender_open(conninfo, registrars, &tally);
	if (sender == NULL)
		return LOAD_EXIT_USAGE;
	bufs[0] = calloc(batch, sizeof(LoadMessage));
	bufs[1] = calloc(batch, sizeof(LoadMessage));
	if (bufs[0] == NULL || bufs[1] == NULL)
	{
		fprintf(stderr, "bounce-load: out of memory\n");
		return LOAD_EXIT_USAGE;
	}

	start = now_seconds();
	n = read_batch(in, &tally, bufs[cur], (int) batch, &more);
	while (n > 0)
	{
		int			next_n = 0;

		if (!sender_start(sender, bufs[cur], n))
		{
			stopped = true;
			break;
		}
		/* read the next batch while the server records this one */
		if (more)
			next_n = read_batch(in, &tally, bufs[1 - cur], (int) batch, &more);
		if (!sender_wait(sender))
		{
			stopped = true;
			break;
		}
		progress_show(&tally, input_done_bytes(in), input_total_bytes(in));
		cur = 1 - cur;
		n = next_n;
	}
	progress_clear(&tally);
	summary_print(&tally, now_seconds() - start, stopped);
	sender_close(sender);
	input_close(in);
	if (stopped)
		return LOAD_EXIT_USAGE;
	return tally.failed > 0 ? LOAD_EXIT_FAILED : LOAD_EXIT_OK;
}
