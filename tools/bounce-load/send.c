/*-------------------------------------------------------------------------
 *
 * send.c
 *		Batches of messages to bounce.record_dsn_batch(), through libpq.
 *
 * Each batch is one statement, so one transaction: the messages go as one
 * bytea[] parameter in binary format (no escaping, no copy into text),
 * the registrars as an integer[] in text.  While the server works on a
 * batch, bounce-load reads the next one (sender_start, then sender_wait).
 *
 * record_dsn_batch is all or nothing, and names the first message it
 * refuses ("bounce message N: ...").  Then the batch is sent again in one
 * transaction, with a savepoint around each statement: the messages
 * before N as a batch, then the messages after N as a batch, and so on;
 * message N is reported with its error.  A failed message writes nothing
 * and the rest of the batch is recorded.  When the server names no
 * message, each is sent alone.  An error that is not
 * about a message (the connection lost, a privilege missing, a cancel)
 * stops the run.
 *
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpq-fe.h"

#include "load.h"

#define BYTEAOID		17
#define BYTEAARRAYOID	1001
#define INT4ARRAYOID	1007

static const char *const batch_sql =
"SELECT message, recipient, outcome, bounce_id, is_new"
" FROM bounce.record_dsn_batch($1, $2)";

struct Sender
{
	PGconn	   *conn;
	char	   *registrars;
	Tally	   *tally;
	LoadMessage *msgs;			/* the batch sent, until sender_wait */
	int			n;
	char	   *param;			/* its bytea[] in binary format */
	size_t		param_len;
};

/* The binary array_send form of bytea[] msgs[0..n). */
static bool
build_param(Sender *s, LoadMessage *msgs, int n)
{
	size_t		len = 20,
				i;
	char	   *p;
	uint32_t	v;

	for (i = 0; i < (size_t) n; i++)
		len += 4 + msgs[i].len;
	free(s->param);
	s->param = p = malloc(len);
	if (p == NULL)
		return false;
	s->param_len = len;
#define PUT32(x) (v = htonl((uint32_t) (x)), memcpy(p, &v, 4), p += 4)
	PUT32(1);					/* dimensions */
	PUT32(0);					/* no NULL */
	PUT32(BYTEAOID);
	PUT32(n);
	PUT32(1);					/* lower bound */
	for (i = 0; i < (size_t) n; i++)
	{
		PUT32(msgs[i].len);
		memcpy(p, msgs[i].data, msgs[i].len);
		p += msgs[i].len;
	}
#undef PUT32
	return true;
}

static bool
send_batch(Sender *s, LoadMessage *msgs, int n, bool async, PGresult **res)
{
	const Oid	types[2] = {BYTEAARRAYOID, INT4ARRAYOID};
	const char *values[2];
	int			lengths[2];
	const int	formats[2] = {1, 0};

	if (n > 0 && msgs[0].len > 0x7fffffff - 64)
		return false;
	if (!build_param(s, msgs, n) || s->param_len > 0x7fffffff)
	{
		fprintf(stderr, "bounce-load: out of memory for a batch of %d messages\n", n);
		return false;
	}
	values[0] = s->param;
	values[1] = s->registrars;
	lengths[0] = (int) s->param_len;
	lengths[1] = 0;
	if (async)
		return PQsendQueryParams(s->conn, batch_sql, 2, types, values, lengths, formats, 0) == 1;
	*res = PQexecParams(s->conn, batch_sql, 2, types, values, lengths, formats, 0);
	return *res != NULL;
}

/* Count the rows of a successful batch of msgs. */
static void
tally_result(Sender *s, PGresult *res, LoadMessage *msgs, int n)
{
	int			i;

	for (i = 0; i < PQntuples(res); i++)
	{
		int			m = atoi(PQgetvalue(res, i, 0));

		tally_row(s->tally, (m >= 1 && m <= n) ? msgs[m - 1].origin : "?",
				  PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1),
				  PQgetvalue(res, i, 2),
				  PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
				  strcmp(PQgetvalue(res, i, 4), "t") == 0);
	}
}

/*
 * An error about the messages sent (bad data, a parser limit, an error
 * inside the parser), after which the others can still be recorded;
 * anything else stops the run.
 */
static bool
message_error(PGresult *res)
{
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (st == NULL)
		return false;
	return strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0 ||
		strncmp(st, "54", 2) == 0 || strncmp(st, "XX", 2) == 0 ||
		strncmp(st, "P0", 2) == 0 || strcmp(st, "53200") == 0;
}

/* The message a batch error names ("bounce message N: ..."), or 0. */
static int
error_position(PGresult *res, const char **text)
{
	const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	int			pos = 0;

	*text = m ? m : PQresultErrorMessage(res);
	if (m == NULL || strncmp(m, "bounce message ", 15) != 0)
		return 0;
	m += 15;
	while (*m >= '0' && *m <= '9' && pos < 100000000)
		pos = pos * 10 + (*m++ - '0');
	if (m[0] != ':' || m[1] != ' ')
		return 0;
	*text = m + 2;
	return pos;
}

static bool
exec_ok(Sender *s, const char *sql)
{
	PGresult   *res = PQexec(s->conn, sql);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "bounce-load: %s: %s", sql, PQerrorMessage(s->conn));
	PQclear(res);
	return ok;
}

static void
report_fatal(Sender *s, PGresult *res)
{
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;

	progress_clear(s->tally);
	fprintf(stderr, "bounce-load: %s", res ? PQresultErrorMessage(res) : PQerrorMessage(s->conn));
	if (hint == NULL && res && PQresultErrorField(res, PG_DIAG_SQLSTATE) &&
		strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42501") == 0)
		fprintf(stderr, "HINT:  bounce-load records as a writer: the owner grants it with bounce.grant_writer(role).\n");
}

/*
 * msgs[0..n) inside the open transaction, after a batch of them failed:
 * a savepoint around each statement.  False to stop the run.
 */
static bool
run_range(Sender *s, LoadMessage *msgs, int n)
{
	while (n > 0)
	{
		PGresult   *res = NULL;
		const char *text;
		int			pos;

		if (!exec_ok(s, "SAVEPOINT bounce_load"))
			return false;
		if (!send_batch(s, msgs, n, false, &res))
			return false;
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
		{
			tally_result(s, res, msgs, n);
			PQclear(res);
			return exec_ok(s, "RELEASE SAVEPOINT bounce_load");
		}
		if (!message_error(res) || PQstatus(s->conn) != CONNECTION_OK)
		{
			report_fatal(s, res);
			PQclear(res);
			return false;
		}
		if (!exec_ok(s, "ROLLBACK TO SAVEPOINT bounce_load") ||
			!exec_ok(s, "RELEASE SAVEPOINT bounce_load"))
		{
			PQclear(res);
			return false;
		}
		pos = error_position(res, &text);
		if (pos < 1 || pos > n)
		{
			/* no message named: each alone */
			if (n == 1)
			{
				tally_failed(s->tally, msgs[0].origin,
							 PQresultErrorField(res, PG_DIAG_SQLSTATE), text);
				PQclear(res);
				return true;
			}
			PQclear(res);
			for (int i = 0; i < n; i++)
				if (!run_range(s, msgs + i, 1))
					return false;
			return true;
		}
		if (pos > 1 && !run_range(s, msgs, pos - 1))
		{
			PQclear(res);
			return false;
		}
		tally_failed(s->tally, msgs[pos - 1].origin,
					 PQresultErrorField(res, PG_DIAG_SQLSTATE), text);
		PQclear(res);
		msgs += pos;
		n -= pos;
	}
	return true;
}

Sender *
sender_open(const char *conninfo, const char *registrars, Tally *tally)
{
	const char *keys[3] = {"dbname", "fallback_application_name", NULL};
	const char *vals[3] = {conninfo, "bounce-load", NULL};
	Sender	   *s = calloc(1, sizeof(Sender));
	PGresult   *res;
	const Oid	types[1] = {INT4ARRAYOID};
	const char *values[1];

	if (s == NULL)
		return NULL;
	if (conninfo == NULL)
	{
		keys[0] = "fallback_application_name";
		vals[0] = "bounce-load";
		keys[1] = vals[1] = NULL;
	}
	s->conn = PQconnectdbParams(keys, vals, 1);
	s->tally = tally;
	s->registrars = registrars ? strdup(registrars) : NULL;	/* NULL: from contact */
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
	{
		fprintf(stderr, "bounce-load: cannot connect: %s", s->conn ? PQerrorMessage(s->conn) : "out of memory\n");
		sender_close(s);
		return NULL;
	}
	/* the function exists, may be called, and the registrars are known */
	values[0] = s->registrars;
	res = PQexecParams(s->conn, "SELECT count(*) FROM bounce.record_dsn_batch('{}', $1)",
					   1, types, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		report_fatal(s, res);
		if (st && (strcmp(st, "42883") == 0 || strcmp(st, "3F000") == 0))
			fprintf(stderr, "HINT:  Install the bounce extension in this database (CREATE EXTENSION bounce), at a version with record_dsn_batch.\n");
		PQclear(res);
		sender_close(s);
		return NULL;
	}
	PQclear(res);
	return s;
}

bool
sender_start(Sender *s, LoadMessage *msgs, int n)
{
	s->msgs = msgs;
	s->n = n;
	if (n == 0)
		return true;
	if (!send_batch(s, msgs, n, true, NULL))
	{
		report_fatal(s, NULL);
		return false;
	}
	return true;
}

bool
sender_wait(Sender *s)
{
	PGresult   *res,
			   *first = NULL;
	bool		ok = true;

	if (s->n == 0)
		return true;
	while ((res = PQgetResult(s->conn)) != NULL)
	{
		if (first == NULL)
			first = res;
		else
			PQclear(res);
	}
	if (first == NULL)
	{
		report_fatal(s, NULL);
		ok = false;
	}
	else if (PQresultStatus(first) == PGRES_TUPLES_OK)
		tally_result(s, first, s->msgs, s->n);
	else if (!message_error(first) || PQstatus(s->conn) != CONNECTION_OK)
	{
		report_fatal(s, first);
		ok = false;
	}
	else
	{
		/* again, in one transaction, a savepoint around each statement */
		ok = exec_ok(s, "BEGIN") && run_range(s, s->msgs, s->n) && exec_ok(s, "COMMIT");
	}
	PQclear(first);
	for (int i = 0; i < s->n; i++)
	{
		free(s->msgs[i].data);
		free(s->msgs[i].origin);
	}
	s->n = 0;
	return ok;
}

void
sender_close(Sender *s)
{
	if (s == NULL)
		return;
	if (s->conn)
		PQfinish(s->conn);
	free(s->registrars);
	free(s->param);
	free(s);
}
