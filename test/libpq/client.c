/*
 * client.c -- the registry application's view of bounce, through libpq.
 *
 * Checks what an application relies on: smtp_status travels as a text or
 * binary parameter and result, binary values use the documented wire
 * format (three network-order int16), and bad values come back with the
 * documented SQLSTATE, which a client can branch on.
 *
 * Connects with the usual PG* environment variables.  Prints one TAP-style
 * "ok"/"not ok" line per check and "N passed, N failed" at the end.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libpq-fe.h"

static int	passed,
			failed;

static void
check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (cond)
		passed++;
	else
		failed++;
}

/* Run a one-parameter query; return the result (caller clears). */
static PGresult *
run1(PGconn *conn, const char *sql, const char *value, int len, int informat, int outformat)
{
	const char *values[1] = {value};
	int			lengths[1] = {len};
	int			formats[1] = {informat};

	return PQexecParams(conn, sql, 1, NULL, values, lengths, formats, outformat);
}

static int
sqlstate_is(PGresult *res, const char *state)
{
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return PQresultStatus(res) == PGRES_FATAL_ERROR && s && strcmp(s, state) == 0;
}

int
main(void)
{
	PGconn	   *conn = PQconnectdb(getenv("BOUNCE_DB") ? getenv("BOUNCE_DB") : "");
	PGresult   *res;
	unsigned char wire[6];
	uint16_t	parts[3];

	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "connection failed: %s", PQerrorMessage(conn));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	PQclear(PQexec(conn, "SET search_path = bounce, public"));

	/* text parameter in, text result out */
	res = run1(conn, "SELECT $1::smtp_status::text", " 5.1.10 ", 0, 0, 0);
	check(PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "5.1.10") == 0,
		  "text parameter is parsed and printed canonically");
	PQclear(res);

	/* binary result: three network-order int16 */
	res = run1(conn, "SELECT $1::smtp_status", "5.7.26", 0, 0, 1);
	check(PQresultStatus(res) == PGRES_TUPLES_OK && PQgetlength(res, 0, 0) == 6,
		  "binary result is 6 bytes");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQgetlength(res, 0, 0) == 6)
	{
		memcpy(parts, PQgetvalue(res, 0, 0), 6);
		check(ntohs(parts[0]) == 5 && ntohs(parts[1]) == 7 && ntohs(parts[2]) == 26,
			  "binary result decodes to 5.7.26");
	}
	else
		check(0, "binary result decodes to 5.7.26");
	PQclear(res);

	/* binary parameter in: the type's OID is looked up like a driver does */
	res = PQexec(conn, "SELECT 'bounce.smtp_status'::regtype::oid");
	{
		Oid			typoid = (Oid) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
		const char *values[1];
		int			lengths[1] = {6};
		int			formats[1] = {1};
		Oid			types[1];
		PGresult   *r2;

		types[0] = typoid;
		parts[0] = htons(4);
		parts[1] = htons(2);
		parts[2] = htons(2);
		memcpy(wire, parts, 6);
		values[0] = (const char *) wire;
		r2 = PQexecParams(conn, "SELECT $1::text, bounce.is_transient($1)", 1, types, values, lengths, formats, 0);
		check(PQresultStatus(r2) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r2, 0, 0), "4.2.2") == 0 &&
			  strcmp(PQgetvalue(r2, 0, 1), "t") == 0, "binary parameter 4.2.2 is received");
		PQclear(r2);

		/* an invalid binary value is refused with 22P03 */
		parts[0] = htons(6);
		memcpy(wire, parts, 6);
		r2 = PQexecParams(conn, "SELECT $1::text", 1, types, values, lengths, formats, 0);
		check(sqlstate_is(r2, "22P03"), "binary class 6 is refused with 22P03");
		PQclear(r2);

		/* short binary value */
		lengths[0] = 4;
		r2 = PQexecParams(conn, "SELECT $1::text", 1, types, values, lengths, formats, 0);
		check(sqlstate_is(r2, "08P01") || sqlstate_is(r2, "22P03"), "truncated binary value is refused");
		PQclear(r2);
	}
	PQclear(res);

	/* bad text: 22P02 with the value in the message */
	res = run1(conn, "SELECT $1::smtp_status", "5.01.1", 0, 0, 0);
	check(sqlstate_is(res, "22P02") &&
		  strstr(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), "\"5.01.1\"") != NULL &&
		  PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) != NULL,
		  "bad text value: 22P02, value named, hint given");
	PQclear(res);

	/* bad reply code through the domain: 22023 */
	res = run1(conn, "SELECT $1::int::reply_code", "650", 0, 0, 0);
	check(sqlstate_is(res, "22023") &&
		  strstr(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), "650") != NULL,
		  "bad reply code: 22023, value named");
	PQclear(res);

	/* a prepared statement reused with many values (the application's hot path) */
	res = PQprepare(conn, "st", "SELECT bounce.status_class($1::smtp_status)", 1, NULL);
	PQclear(res);
	{
		int			ok = 1;
		char		buf[16];

		for (int i = 0; i < 1000 && ok; i++)
		{
			const char *values[1];

			snprintf(buf, sizeof(buf), "%d.%d.%d", (i % 2) ? 5 : 4, i % 8, i % 30);
			values[0] = buf;
			res = PQexecPrepared(conn, "st", 1, values, NULL, NULL, 0);
			ok = PQresultStatus(res) == PGRES_TUPLES_OK && atoi(PQgetvalue(res, 0, 0)) == ((i % 2) ? 5 : 4);
			PQclear(res);
		}
		check(ok, "1000 executions of a prepared statement");
	}

	PQfinish(conn);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
