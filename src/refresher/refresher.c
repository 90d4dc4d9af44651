/*-------------------------------------------------------------------------
 *
 * refresher.c
 *		The refresher: a background worker that calls refresh() every
 *		bounce.refresh_interval in one long-lived session.
 *
 * A pg_cron job runs each refresh in a new backend, which first fills its
 * caches: every table, index, type and function a refresh touches, and
 * the PL/pgSQL bodies.  For a refresh of a few bounces that is most of
 * its cost (doc/performance.md).  The refresher pays it once: it stays
 * connected to one database and keeps its caches and its prepared plans
 * from one refresh to the next.
 *
 * It runs when bounce is in shared_preload_libraries and
 * bounce.refresh_database names a database.  Each refresh is one
 * transaction that calls <schema>.refresh() as the extension's owner, as
 * the pg_cron job of doc/bounce.md does; a database without the extension
 * is looked at again at the next interval.  A reload (pg_reload_conf())
 * wakes it: it refreshes at once.  An error ends the worker,
 * which the postmaster starts again after a minute (a failing refresh is
 * not retried in a loop).  Settings:
 *
 *	bounce.refresh_database			the database (postmaster start); '' for none
 *	bounce.refresh_interval			the wait after a refresh ends (reload)
 *	bounce.refresh_log_min_duration	log each refresh that takes at least
 *									this long; -1 logs none (reload)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "bounce.h"
#include "refresher/refresher.h"

/* seconds before the postmaster starts a worker that ended on an error */
#define REFRESHER_RESTART_SECONDS 60

static char *refresh_database = NULL;
static int	refresh_interval = 60000;
static int	refresh_log_min_duration = -1;

PGDLLEXPORT void bounce_refresher_main(Datum arg);

void
bounce_refresher_init(void)
{
	BackgroundWorker worker;

	/*
	 * A PGC_POSTMASTER setting may only be defined while preloading.  Loaded
	 * later (by a session's first call into bounce), the settings are
	 * placeholders: say so when one asks for a refresher that cannot run.
	 */
	if (!process_shared_preload_libraries_in_progress)
	{
		const char *db = GetConfigOption("bounce.refresh_database", true, false);

		if (db != NULL && db[0] != '\0')
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("bounce.refresh_database is set to \"%s\", but bounce is not in shared_preload_libraries: no refresher runs", db),
					 errhint("Add bounce to shared_preload_libraries and restart the server.")));
		return;
	}

	DefineCustomStringVariable("bounce.refresh_database",
							   "Database in which the refresher calls bounce.refresh(); empty for no refresher.",
							   NULL, &refresh_database, "",
							   PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bounce.refresh_interval",
							"Time the refresher waits after a refresh before the next one.",
							NULL, &refresh_interval, 60000, 100, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("bounce.refresh_log_min_duration",
							"Logs each refresh of the refresher that takes at least this long; -1 logs none.",
							NULL, &refresh_log_min_duration, -1, -1, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("bounce");
#else
	EmitWarningsOnPlaceholders("bounce");
#endif

	if (refresh_database == NULL || refresh_database[0] == '\0')
		return;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = REFRESHER_RESTART_SECONDS;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "bounce");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "bounce_refresher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "bounce refresher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "bounce refresher");
	RegisterBackgroundWorker(&worker);
}

/*
 * One refresh: CALL <schema>.refresh() as the extension's owner, in a
 * transaction of its own.  Returns false when the extension is not
 * installed (nothing was called).  An error propagates (the worker ends).
 */
static bool
refresh_once(void)
{
	Oid			owner;
	Oid			schema;
	bool		installed;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	installed = bounce_extension_lookup(&owner, &schema);
	if (installed)
	{
		Oid			save_userid;
		int			save_sec_context;
		char	   *sql;

		sql = psprintf("CALL %s.refresh()", quote_identifier(get_namespace_name(schema)));
		pgstat_report_activity(STATE_RUNNING, sql);
		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "bounce refresher: SPI_connect failed");
		if (SPI_execute(sql, false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "bounce refresher: %s failed", sql);
		SPI_finish();
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return installed;
}

/* Log a refresh's duration when it reaches bounce.refresh_log_min_duration. */
static void
log_refresh_duration(instr_time start)
{
	instr_time	elapsed;
	double		ms;

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	ms = INSTR_TIME_GET_MILLISEC(elapsed);
	if (refresh_log_min_duration >= 0 && ms >= refresh_log_min_duration)
		ereport(LOG,
				(errmsg("bounce refresher: refresh in database \"%s\" took %.3f ms",
						refresh_database, ms)));
}

/*
 * Wait until bounce.refresh_interval has passed since the last refresh
 * ended, or a reload (SIGHUP) asks for one at once.  Other wake-ups of
 * the latch (catch-up of the shared invalidation queue, for one) go back
 * to waiting for the time left.
 */
static void
wait_for_next(void)
{
	instr_time	start;

	INSTR_TIME_SET_CURRENT(start);
	for (;;)
	{
		instr_time	now;
		double		left;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			return;
		}
		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, start);
		left = refresh_interval - INSTR_TIME_GET_MILLISEC(now);
		if (left <= 0)
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 (long) left + 1, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * The worker: connect to bounce.refresh_database, then refresh, wait,
 * and again.
 */
void
bounce_refresher_main(Datum arg)
{
	bool		was_installed = true;

	(void) arg;
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(refresh_database, NULL, 0);
	pgstat_report_appname("bounce refresher");
	ereport(LOG,
			(errmsg("bounce refresher started in database \"%s\", every %d ms",
					refresh_database, refresh_interval)));

	for (;;)
	{
		instr_time	start;
		bool		installed;

		INSTR_TIME_SET_CURRENT(start);
		installed = refresh_once();
		if (installed)
			log_refresh_duration(start);
		else if (was_installed)
			ereport(LOG,
					(errmsg("bounce refresher: extension \"bounce\" is not installed in database \"%s\"; looking again every %d ms",
							refresh_database, refresh_interval)));
		was_installed = installed;
		wait_for_next();
	}
}
