/*-------------------------------------------------------------------------
 *
 * load.h
 *		bounce-load: bounce e-mails from maildirs, mboxes, single files or
 *		standard input into bounce.record_dsn_batch(), through libpq.
 *
 *		input.c		what the command line names: maildirs, files, stdin
 *		mbox.c		an mbox split into its messages (mboxo, mboxrd, mboxcl2)
 *		send.c		batches to the server, one message at a time on error
 *		report.c	the counts, the progress bar and the summary
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_LOAD_H
#define BOUNCE_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses (doc/bounce-load.md). */
#define LOAD_EXIT_OK		0	/* every message was read and sent */
#define LOAD_EXIT_FAILED	1	/* some messages failed; the rest went in */
#define LOAD_EXIT_USAGE		2	/* bad arguments, no connection, or a run
								 * stopped by the server (no privilege ...) */

/* A message larger than this is reported as failed, not sent. */
#define LOAD_MAX_MESSAGE	((size_t) 256 * 1024 * 1024)

/* One e-mail, in memory of its own (malloc). */
typedef struct LoadMessage
{
	char	   *data;
	size_t		len;
	char	   *origin;			/* file, file:line of an mbox, or "stdin" */
} LoadMessage;

/* ---- mbox.c ---- */

typedef enum MboxStatus
{
	MBOX_MESSAGE,				/* *out filled */
	MBOX_END,					/* no more messages */
	MBOX_NOT_MBOX				/* buf does not start with a "From " line */
} MboxStatus;

/*
 * The next message of the mbox buf[0..len), starting at *pos (0 at
 * first): its From_ line dropped, mboxrd quoting undone (one '>' less on
 * each line matching ^>+From ), except in a message whose Content-Length
 * (mboxcl2) was trusted.  *line counts the lines read (1 at first) and
 * *from_line is set to the line of the message's From_ line.  out->data is
 * malloc'ed; NULL on out of memory (reported by the caller).
 */
extern MboxStatus mbox_next(const char *buf, size_t len, size_t *pos,
							size_t *line, size_t *from_line, LoadMessage *out);

/* ---- input.c ---- */

typedef enum InputFormat
{
	FORMAT_AUTO = 0, FORMAT_MAILDIR, FORMAT_MBOX, FORMAT_EML
} InputFormat;

typedef struct Input Input;

/*
 * The sources that the command line names (paths; "-" or none: standard
 * input), expanded: a maildir to the files of its cur/ and new/, another
 * directory to its files.  NULL, with the error printed, when a path
 * cannot be read.
 */
extern Input *input_open(char **paths, int npaths, InputFormat format);

/* Total bytes of the sources (0 when unknown: standard input). */
extern uint64_t input_total_bytes(const Input *in);

/* Bytes of the sources read so far. */
extern uint64_t input_done_bytes(const Input *in);

/*
 * The next message, or false at the end.  A source that cannot be read
 * (a file gone, a bad mbox) is returned as a message with data NULL and
 * *error set to why, so that it is counted as failed and the run goes on.
 */
extern bool input_next(Input *in, LoadMessage *msg, const char **error);

extern void input_close(Input *in);

/* ---- report.c ---- */

typedef struct Tally
{
	uint64_t	messages;		/* read */
	uint64_t	recorded;		/* recipients recorded now */
	uint64_t	known;			/* recipients recorded before (same key) */
	uint64_t	not_bounce;		/* recipients (or messages) not recorded */
	uint64_t	skipped;		/* recipients whose address was refused */
	uint64_t	failed;			/* messages not recorded because of an error */
	bool		quiet;
	bool		verbose;		/* one line per recipient on stdout */
	bool		progress;		/* a progress bar on stderr */
} Tally;

/* One row of record_dsn_batch's answer, counted (and shown if verbose). */
extern void tally_row(Tally *t, const char *origin, const char *recipient,
					  const char *outcome, const char *bounce_id, bool is_new);

/* A message that failed: counted, and listed now on stderr and in the summary. */
extern void tally_failed(Tally *t, const char *origin, const char *sqlstate,
						 const char *error);

extern void progress_show(Tally *t, uint64_t done_bytes, uint64_t total_bytes);
extern void progress_clear(Tally *t);
extern void summary_print(const Tally *t, double seconds, bool stopped);

/* ---- send.c ---- */

typedef struct Sender Sender;

/*
 * Connect (conninfo may be NULL: the PG* environment), check that
 * record_dsn_batch can be called with these registrars (text, "{1,2}";
 * NULL: each recipient's from bounce.contact).
 * NULL, with the error printed, when it cannot.
 */
extern Sender *sender_open(const char *conninfo, const char *registrars, Tally *tally);

/*
 * Record msgs[0..n): sent as one statement, and sender_start returns; the
 * caller reads the next batch meanwhile, then calls sender_wait, which
 * counts the answer.  If the server refuses the batch, its messages are
 * sent again in one transaction, with a savepoint around each statement,
 * so that a bad message is reported and the others are recorded.  The
 * messages (which must live until then) are freed.  False when the run
 * must stop (connection lost, privilege missing ...), with the error
 * printed.
 */
extern bool sender_start(Sender *s, LoadMessage *msgs, int n);
extern bool sender_wait(Sender *s);

extern void sender_close(Sender *s);

#endif							/* BOUNCE_LOAD_H */
