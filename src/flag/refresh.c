/*-------------------------------------------------------------------------
 *
 * refresh.c
 *		bounce.refresh_scan(): the per-bounce work of CALL bounce.refresh(),
 *		in one ordered pass over the bounces.
 *
 * A full refresh computes, for every bounce, whether it counts, whether it
 * is recurring and whether its address is suppressed, and counts counted
 * and recurring bounces per registrar, month and status.  Written as SQL
 * (three window functions, one event_state row per bounce, a join with
 * attribution and a hash aggregate) that cost about six times the bare
 * recurring window query.  Here the rows stream out of event_address_idx
 * (an index-only scan in address, occurred_at, id order) straight into C,
 * which applies the rules of the window functions in recurring.c (and
 * shares their gap arithmetic), keeps one flag byte, the month and the
 * status per bounce in memory, and then counts per registrar in one
 * sequential read of attribution.  What is written is small: one
 * event_flags row of BOUNCE_FLAG_BLOCK flag bytes per block of bounce ids,
 * and the summary counts.
 *
 * Incrementally (new_ids given) only the addresses of the new bounces are
 * read (when their ids are a dense run, of every bounce in the run: see
 * new_ids_dense()).  The flags from each address's first new bounce on are
 * compared with the stored bytes (the rules look only backwards, so
 * earlier bounces cannot change), and what changed comes back as rewritten
 * blocks and as count differences per registrar, month and status.
 *
 * On a Citus cluster, where event is distributed, the same pass runs on
 * the workers, once per shard, and the coordinator puts the shards'
 * results together (see "on a Citus cluster" below, and doc/scaling.md).
 *
 * All reads use the caller's snapshot (read_only SPI), so the bounces, the
 * stored flags and attribution are seen as of one instant.  Memory: about
 * 7 bytes per bounce in a full refresh (70 MB at 10 million bounces), in a
 * context of its own that is freed before returning.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "bounce.h"
#include "flag/event_flags.h"
#include "flag/recurring.h"
#include "status/status.h"

StaticAssertDecl(BOUNCE_FLAG_BLOCK == (1 << BOUNCE_FLAG_BLOCK_BITS) &&
				 BOUNCE_FLAG_BLOCK_MASK == BOUNCE_FLAG_BLOCK - 1,
				 "event_flags.h: block size, bits and mask disagree");

/* Rows within this of a month boundary get the exact calendar check. */
#define MONTH_MARGIN	(2 * USECS_PER_DAY)

/* One local calendar month: [start, end) in the session time zone. */
typedef struct MonthRange
{
	TimestampTz start;
	TimestampTz end;
	DateADT		first_day;
} MonthRange;

/* What a full refresh keeps per block of bounce ids. */
typedef struct FlagBlock
{
	uint8		flags[BOUNCE_FLAG_BLOCK];
	uint16		month[BOUNCE_FLAG_BLOCK];	/* index into months */
	int32		status[BOUNCE_FLAG_BLOCK];	/* packed smtp_status */
	bool		dirty;			/* incremental: a byte changed */
} FlagBlock;

/* A hash of a 64-bit key for simplehash. */
static inline uint32
hash_int64(int64 key)
{
	return murmurhash32((uint32) key ^ murmurhash32((uint32) ((uint64) key >> 32)));
}

/* block number -> FlagBlock */
typedef struct BlockEntry
{
	int64		block;
	char		status;
	FlagBlock  *data;
} BlockEntry;

#define SH_PREFIX		blockhash
#define SH_ELEMENT_TYPE	BlockEntry
#define SH_KEY_TYPE		int64
#define SH_KEY			block
#define SH_HASH_KEY(tb, key)	hash_int64(key)
#define SH_EQUAL(tb, a, b)		((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* (registrar, month, status) -> counts */
typedef struct CountKey
{
	int32		registrar;
	int32		month;
	int32		status;
} CountKey;

typedef struct CountEntry
{
	CountKey	key;
	char		status;
	int64		counted;
	int64		recurring;
} CountEntry;

static inline uint32
count_key_hash(CountKey k)
{
	return murmurhash32((uint32) k.registrar) ^
		murmurhash32((uint32) k.month * 0x9e3779b9u + (uint32) k.status);
}

#define SH_PREFIX		counthash
#define SH_ELEMENT_TYPE	CountEntry
#define SH_KEY_TYPE		CountKey
#define SH_KEY			key
#define SH_HASH_KEY(tb, k)	count_key_hash(k)
#define SH_EQUAL(tb, a, b)	((a).registrar == (b).registrar && (a).month == (b).month && (a).status == (b).status)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Incremental: a bounce whose counted or recurring flag changed. */
typedef struct Change
{
	int64		id;
	int32		month;
	int32		status;
	int32		dc;				/* counted: new - old */
	int32		dr;				/* recurring: new - old */
} Change;

/* Incremental: a bounce from its address's first new bounce on. */
typedef struct Affected
{
	int64		id;
	uint8		flags;
	int32		month;
	int32		status;
} Affected;

/* bounce id -> index into changes */
typedef struct IdEntry
{
	int64		id;
	char		status;
	int32		index;
} IdEntry;

#define SH_PREFIX		idhash
#define SH_ELEMENT_TYPE	IdEntry
#define SH_KEY_TYPE		int64
#define SH_KEY			id
#define SH_HASH_KEY(tb, key)	hash_int64(key)
#define SH_EQUAL(tb, a, b)		((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct RefreshScan
{
	MemoryContext cxt;			/* everything below lives here */
	bool		incremental;

	/* settings */
	BounceSpan	min_gap;
	BounceSpan	max_gap;
	BounceSpan	span;
	int32		strikes;
	bool		count_hard;
	Oid			delivered;		/* the bounce.reason that resets a streak */
	int32		status_4xx;		/* 4.0.0: no status, 4xx reply */
	int32		status_5xx;		/* 5.0.0: no status, otherwise */

	/*
	 * Months seen, in the order first seen (an index into months is what
	 * is stored per bounce, so it must not move), and their indexes sorted
	 * by start, for the search.
	 */
	MonthRange *months;
	int		   *sorted;
	int			nmonths;
	int			maxmonths;
	int			last_month;

	/* the current address (partition) */
	char	   *addr;
	int			addr_len;
	int			addr_cap;
	bool		have_addr;
	bool		have_prev;
	TimestampTz prev;
	bool		have_prev_counted;
	TimestampTz prev_counted;
	BounceStreak streak;

	/* full: flags per block; incremental: old and new blocks */
	blockhash_hash *blocks;
	int64		cached_block;
	FlagBlock  *cached_data;

	/* incremental */
	Affected   *affected;
	int			naffected;
	int			maxaffected;
	Change	   *changes;
	int			nchanges;
	idhash_hash *change_ids;

	/* incremental: the range of the new bounces' ids, and how many */
	int64		new_min;
	int64		new_max;
	int64		new_count;

	counthash_hash *counts;
	int64		rows;

	/* Citus: the shards that answered (coordinator) */
	int			shards_seen;
	/* Citus worker: the queries read local shards only (see run_query()) */
	bool		local_shards;
	int			last_found;		/* worker, full: find_affected()'s last hit */
	/* Citus, incremental: (bounce id, registrar) of the affected bounces */
	int64	   *pair_ids;
	int32	   *pair_registrars;
	int			npairs;
	int			maxpairs;
	idhash_hash *affected_ids;	/* worker: bounce id -> index into affected */
} RefreshScan;

#if PG_VERSION_NUM >= 140000
/* A DestReceiver that hands each row of a query to a C function. */
typedef struct RowReceiver
{
	DestReceiver pub;
	RefreshScan *st;
	void		(*row) (RefreshScan *st, Datum *values, bool *isnull, int natts);
} RowReceiver;

static bool
row_receive(TupleTableSlot *slot, DestReceiver *self)
{
	RowReceiver *r = (RowReceiver *) self;

	slot_getallattrs(slot);
	r->row(r->st, slot->tts_values, slot->tts_isnull,
		   slot->tts_tupleDescriptor->natts);
	return true;
}

static void
row_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	(void) self;
	(void) operation;
	(void) typeinfo;
}

static void
row_nothing(DestReceiver *self)
{
	(void) self;
}
#endif

/*
 * Whether Citus is loaded in this server.  The refresh's queries then read
 * distributed tables, whose rows come back from the shards' tasks
 * interleaved: they are read through a cursor (run_query_cursor()) and
 * every query states its order.
 */
static bool
citus_loaded(void)
{
	return GetConfigOption("citus.version", true, false) != NULL;
}

/*
 * Run a read-only query through a cursor, passing every row to fn, in
 * batches of 10000.  PostgreSQL 13's way, and on every version the way on
 * a Citus node: a distributed query (the coordinator reading a
 * distributed event) is not streamed into a DestReceiver of our own (that
 * crashed Citus 13.2's executor), but is read through a cursor.
 */
static void
run_query_cursor(RefreshScan *st, const char *sql, int nargs, Oid *types, Datum *values,
				 void (*fn) (RefreshScan *, Datum *, bool *, int))
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);
	Portal		portal;
	Datum	   *vals;
	bool	   *nulls;

	if (plan == NULL)
		elog(ERROR, "bounce.refresh_scan: query failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, values, NULL, true);
	for (;;)
	{
		uint64		i;
		int			natts;

		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		natts = SPI_tuptable->tupdesc->natts;
		vals = palloc(natts * sizeof(Datum));
		nulls = palloc(natts * sizeof(bool));
		for (i = 0; i < SPI_processed; i++)
		{
			heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, vals, nulls);
			fn(st, vals, nulls, natts);
		}
		pfree(vals);
		pfree(nulls);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
}

/*
 * Run a read-only query with up to two parameters and pass every row to
 * fn.  PostgreSQL 14+ streams the rows through a DestReceiver, except
 * where Citus is loaded (run_query_cursor()) and the query may be a
 * distributed one (not in a shard's task, whose queries read the worker's
 * own shards, plain tables); 13 uses the cursor.
 */
static void
run_query(RefreshScan *st, const char *sql, int nargs, Oid *types, Datum *values,
		  void (*fn) (RefreshScan *, Datum *, bool *, int))
{
#if PG_VERSION_NUM >= 140000
	RowReceiver r;
	SPIExecuteOptions opts;
	ParamListInfo params;
	int			rc;
	int			i;

	if (citus_loaded() && !st->local_shards)
	{
		run_query_cursor(st, sql, nargs, types, values, fn);
		return;
	}
	params = makeParamList(nargs);
	for (i = 0; i < nargs; i++)
	{
		params->params[i].value = values[i];
		params->params[i].isnull = false;
		params->params[i].pflags = PARAM_FLAG_CONST;
		params->params[i].ptype = types[i];
	}
	memset(&r, 0, sizeof(r));
	r.pub.receiveSlot = row_receive;
	r.pub.rStartup = row_startup;
	r.pub.rShutdown = row_nothing;
	r.pub.rDestroy = row_nothing;
	r.pub.mydest = DestNone;
	r.st = st;
	r.row = fn;

	memset(&opts, 0, sizeof(opts));
	opts.params = params;
	opts.read_only = true;
	opts.dest = (DestReceiver *) &r;
	rc = SPI_execute_extended(sql, &opts);
	/* a SELECT sent to a receiver other than SPI's own reports UTILITY */
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		elog(ERROR, "bounce.refresh_scan: query failed: %s", SPI_result_code_string(rc));
#else
	run_query_cursor(st, sql, nargs, types, values, fn);
#endif
}

/*
 * The local month of ts, as an index into st->months.  Rows well inside a
 * known month are placed by comparison; near a boundary (where a change of
 * UTC offset could matter) or in a new month, by the calendar, exactly as
 * date_trunc('month', ts AT TIME ZONE zone) does.
 */
static int
month_of(RefreshScan *st, TimestampTz ts)
{
	int			lo;
	int			hi;
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	DateADT		day;
	MonthRange	m;
	MemoryContext old;

	if (st->nmonths > 0)
	{
		MonthRange *r = &st->months[st->last_month];	/* often the same */

		if (ts >= r->start + MONTH_MARGIN && ts < r->end - MONTH_MARGIN)
			return st->last_month;
		lo = 0;
		hi = st->nmonths - 1;
		while (lo <= hi)
		{
			int			mid = (lo + hi) / 2;

			r = &st->months[st->sorted[mid]];
			if (ts < r->start)
				hi = mid - 1;
			else if (ts >= r->end)
				lo = mid + 1;
			else
			{
				if (ts >= r->start + MONTH_MARGIN && ts < r->end - MONTH_MARGIN)
				{
					st->last_month = st->sorted[mid];
					return st->last_month;
				}
				break;
			}
		}
	}

	/* by the calendar */
	if (TIMESTAMP_NOT_FINITE(ts) ||
		timestamp2tm(ts, &tz, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("bounce.refresh_scan: bounce time \"%s\" has no calendar month",
						DatumGetCString(DirectFunctionCall1(timestamptz_out,
															TimestampTzGetDatum(ts))))));
	day = date2j(tm.tm_year, tm.tm_mon, 1) - POSTGRES_EPOCH_JDATE;
	for (lo = 0; lo < st->nmonths; lo++)
	{
		int			k = st->sorted[lo];

		if (st->months[k].first_day == day)
		{
			st->last_month = k;
			return k;
		}
		if (st->months[k].first_day > day)
			break;
	}

	/* a month not seen yet: its bounds, as local midnights of the 1st */
	m.first_day = day;
	memset(&tm, 0, sizeof(tm));
	j2date(day + POSTGRES_EPOCH_JDATE, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
	tz = DetermineTimeZoneOffset(&tm, session_timezone);
	if (tm2timestamp(&tm, 0, &tz, &m.start) != 0)
		m.start = DT_NOBEGIN;
	if (++tm.tm_mon > MONTHS_PER_YEAR)
	{
		tm.tm_mon = 1;
		tm.tm_year++;
	}
	tm.tm_mday = 1;
	tz = DetermineTimeZoneOffset(&tm, session_timezone);
	if (tm2timestamp(&tm, 0, &tz, &m.end) != 0)
		m.end = DT_NOEND;

	if (st->nmonths >= PG_UINT16_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("bounce.refresh_scan: bounces fall in more than %d different months", PG_UINT16_MAX),
				 errdetail("The month of the bounce at \"%s\" is one too many.",
						   DatumGetCString(DirectFunctionCall1(timestamptz_out,
															   TimestampTzGetDatum(ts)))),
				 errhint("Bounces more than 5,000 years apart are not scored; check the times recorded.")));
	old = MemoryContextSwitchTo(st->cxt);
	if (st->nmonths == st->maxmonths)
	{
		st->maxmonths = st->maxmonths ? st->maxmonths * 2 : 64;
		st->months = st->months ? repalloc(st->months, st->maxmonths * sizeof(MonthRange))
			: palloc(st->maxmonths * sizeof(MonthRange));
		st->sorted = st->sorted ? repalloc(st->sorted, st->maxmonths * sizeof(int))
			: palloc(st->maxmonths * sizeof(int));
	}
	MemoryContextSwitchTo(old);
	memmove(&st->sorted[lo + 1], &st->sorted[lo], (st->nmonths - lo) * sizeof(int));
	st->sorted[lo] = st->nmonths;
	st->months[st->nmonths] = m;
	st->last_month = st->nmonths++;
	return st->last_month;
}

/* The block holding bounce id, made (zeroed) when create is set. */
static FlagBlock *
get_block(RefreshScan *st, int64 id, bool create)
{
	int64		block = id >> BOUNCE_FLAG_BLOCK_BITS;
	BlockEntry *e;
	bool		found;

	if (st->cached_data != NULL && st->cached_block == block)
		return st->cached_data;
	if (create)
	{
		e = blockhash_insert(st->blocks, block, &found);
		if (!found)
			e->data = MemoryContextAllocZero(st->cxt, sizeof(FlagBlock));
	}
	else
	{
		e = blockhash_lookup(st->blocks, block);
		if (e == NULL)
			return NULL;
	}
	st->cached_block = block;
	st->cached_data = e->data;
	return e->data;
}

/*
 * The flags of one bounce of the current address, the rules of
 * recurring() over the counted bounces and suppress() over all of them
 * (src/flag/recurring.c).
 */
static inline uint8
flag_bounce(RefreshScan *st, TimestampTz ts, bool counted, bool reset)
{
	uint8		f = BOUNCE_FLAG_REFRESHED;

	if (st->have_prev && ts < st->prev)
		elog(ERROR, "bounce.refresh_scan: bounces of an address are not in time order");
	st->prev = ts;
	st->have_prev = true;

	if (counted)
	{
		f |= BOUNCE_FLAG_COUNTED;
		if (st->have_prev_counted &&
			bounce_is_recurring(st->prev_counted, ts, &st->min_gap, &st->max_gap))
			f |= BOUNCE_FLAG_RECURRING;
		st->prev_counted = ts;
		st->have_prev_counted = true;
	}

	bounce_streak_advance(&st->streak, ts, reset);
	if (bounce_suppress_check(&st->streak, ts, reset, st->strikes, &st->span))
		f |= BOUNCE_FLAG_SUPPRESSED;
	return f;
}

/*
 * One bounce from the scan query: address, occurred_at, id, hard,
 * permanent, reason, status, reply_code [, first_at].  Starts a new
 * partition when the address changes.
 */
static void
bounce_row(RefreshScan *st, Datum *values, bool *isnull, int natts)
{
	text	   *addr;
	int			len;
	TimestampTz ts;
	int64		id;
	bool		counted;
	bool		reset;
	int32		status;
	uint8		f;

	if (natts < 8 || isnull[0] || isnull[1] || isnull[2])
		elog(ERROR, "bounce.refresh_scan: unexpected row from the bounce query");
	addr = DatumGetTextPP(values[0]);
	len = VARSIZE_ANY_EXHDR(addr);
	if (!st->have_addr || len != st->addr_len ||
		memcmp(VARDATA_ANY(addr), st->addr, len) != 0)
	{
		if (len > st->addr_cap)
		{
			st->addr_cap = Max(len, 256);
			st->addr = st->addr ? repalloc(st->addr, st->addr_cap)
				: MemoryContextAlloc(st->cxt, st->addr_cap);
		}
		memcpy(st->addr, VARDATA_ANY(addr), len);
		st->addr_len = len;
		st->have_addr = true;
		st->have_prev = false;
		st->have_prev_counted = false;
		memset(&st->streak, 0, sizeof(st->streak));
	}

	ts = DatumGetTimestampTz(values[1]);
	id = DatumGetInt64(values[2]);
	/* count_kind: hard or permanent; NULL does not count */
	counted = st->count_hard ? (!isnull[3] && DatumGetBool(values[3]))
		: (!isnull[4] && DatumGetBool(values[4]));
	reset = !isnull[5] && DatumGetObjectId(values[5]) == st->delivered;
	if (!isnull[6])
		status = DatumGetSmtpStatus(values[6]);
	else if (!isnull[7] && DatumGetInt32(values[7]) >= 400 && DatumGetInt32(values[7]) <= 499)
		status = st->status_4xx;
	else
		status = st->status_5xx;

	f = flag_bounce(st, ts, counted, reset);
	st->rows++;

	if (!st->incremental)
	{
		FlagBlock  *b = get_block(st, id, true);
		int			i = (int) (id & BOUNCE_FLAG_BLOCK_MASK);

		b->flags[i] = f;
		b->month[i] = (uint16) month_of(st, ts);
		b->status[i] = status;
	}
	else if (natts >= 9 && !isnull[8] && ts >= DatumGetTimestampTz(values[8]))
	{
		/* from the address's first new bounce on: compare later */
		Affected   *a;

		if (st->naffected == st->maxaffected)
		{
			st->maxaffected = st->maxaffected ? st->maxaffected * 2 : 1024;
			st->affected = st->affected
				? repalloc_huge(st->affected, (Size) st->maxaffected * sizeof(Affected))
				: MemoryContextAllocHuge(st->cxt, (Size) st->maxaffected * sizeof(Affected));
		}
		a = &st->affected[st->naffected++];
		a->id = id;
		a->flags = f;
		a->month = month_of(st, ts);
		a->status = status;
	}
}

/* Add to the count of (registrar, month, status). */
static inline void
add_count(RefreshScan *st, int32 registrar, int32 month, int32 status,
		  int64 counted, int64 recurring)
{
	CountKey	k;
	CountEntry *e;
	bool		found;

	k.registrar = registrar;
	k.month = month;
	k.status = status;
	e = counthash_insert(st->counts, k, &found);
	if (!found)
	{
		e->counted = 0;
		e->recurring = 0;
	}
	e->counted += counted;
	e->recurring += recurring;
}

/* Full: one attribution row (event_id, registrar_id). */
static void
attribution_row_full(RefreshScan *st, Datum *values, bool *isnull, int natts)
{
	int64		id;
	FlagBlock  *b;
	int			i;
	uint8		f;

	if (natts < 2 || isnull[0] || isnull[1])
		return;
	id = DatumGetInt64(values[0]);
	b = get_block(st, id, false);
	if (b == NULL)
		return;					/* a bounce the scan did not see */
	i = (int) (id & BOUNCE_FLAG_BLOCK_MASK);
	f = b->flags[i];
	if (!(f & BOUNCE_FLAG_COUNTED))
		return;
	add_count(st, DatumGetInt32(values[1]), b->month[i], b->status[i], 1,
			  (f & BOUNCE_FLAG_RECURRING) ? 1 : 0);
}

/* Incremental: one stored event_flags row (block, flags). */
static void
stored_block_row(RefreshScan *st, Datum *values, bool *isnull, int natts)
{
	int64		block;
	bytea	   *flags;
	FlagBlock  *b;

	if (natts < 2 || isnull[0] || isnull[1])
		return;
	block = DatumGetInt64(values[0]);
	flags = DatumGetByteaPP(values[1]);
	b = get_block(st, block << BOUNCE_FLAG_BLOCK_BITS, true);
	memcpy(b->flags, VARDATA_ANY(flags),
		   Min(VARSIZE_ANY_EXHDR(flags), BOUNCE_FLAG_BLOCK));
}

/* Incremental: one attribution row of a changed bounce. */
static void
attribution_row_delta(RefreshScan *st, Datum *values, bool *isnull, int natts)
{
	IdEntry    *e;
	Change	   *c;

	if (natts < 2 || isnull[0] || isnull[1])
		return;
	e = idhash_lookup(st->change_ids, DatumGetInt64(values[0]));
	if (e == NULL)
		return;
	c = &st->changes[e->index];
	add_count(st, DatumGetInt32(values[1]), c->month, c->status, c->dc, c->dr);
}

/* A one-dimensional int8[] of n values. */
static ArrayType *
int8_array(int64 *vals, int n)
{
	Datum	   *d = palloc(Max(n, 1) * sizeof(Datum));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Int64GetDatum(vals[i]);
	return construct_array(d, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * Are the new ids a dense run (as the identity hands them out), so that
 * reading that run of ids as one range of a key costs less than probing
 * them one by one?  The run may hold a few ids that are not new: bounces
 * refreshed before, or recorded by transactions this snapshot does not
 * see (invisible, so never read).  Treating an old bounce as new costs a
 * little work and changes nothing: its flags are recomputed and only
 * differences from the stored ones are applied.
 */
static bool
new_ids_dense(RefreshScan *st)
{
	return st->new_count > 0 &&
		(uint64) st->new_max - (uint64) st->new_min < (uint64) st->new_count * 4;
}

/*
 * The arguments of a query of the new bounces: their id range when the
 * ids are dense (one descent of the primary key), else the array.  Sets
 * types and values ($1, $2) and returns the condition on n.id.
 */
static const char *
new_ids_args(RefreshScan *st, ArrayType *new_ids, Oid *types, Datum *values, int *nargs)
{
	if (new_ids_dense(st))
	{
		types[0] = types[1] = INT8OID;
		values[0] = Int64GetDatum(st->new_min);
		values[1] = Int64GetDatum(st->new_max);
		*nargs = 2;
		return "n.id BETWEEN $1 AND $2";
	}
	types[0] = INT8ARRAYOID;
	values[0] = PointerGetDatum(new_ids);
	*nargs = 1;
	return "n.id = ANY ($1)";
}

/*
 * Compare the affected bounces with their stored flags (the blocks of
 * event_flags they fall in), write the new flags into those blocks, and
 * note each bounce whose counted or recurring flag changed.
 */
static void
apply_affected(RefreshScan *st, const char *nsp)
{
	int64	   *blocks;
	int			nblocks = 0;
	int			i;
	char	   *sql;
	Oid			types[1] = {INT8ARRAYOID};
	Datum		values[1];

	/* the stored blocks of the affected bounces */
	blocks = MemoryContextAllocHuge(st->cxt, (Size) st->naffected * sizeof(int64));
	for (i = 0; i < st->naffected; i++)
	{
		int64		block = st->affected[i].id >> BOUNCE_FLAG_BLOCK_BITS;
		BlockEntry *e;
		bool		found;

		e = blockhash_insert(st->blocks, block, &found);
		if (!found)
		{
			e->data = MemoryContextAllocZero(st->cxt, sizeof(FlagBlock));
			blocks[nblocks++] = block;
		}
	}
	values[0] = PointerGetDatum(int8_array(blocks, nblocks));
	sql = psprintf("SELECT block, flags FROM %s.event_flags WHERE block = ANY ($1)", nsp);
	run_query(st, sql, 1, types, values, stored_block_row);

	/* what changed */
	st->changes = MemoryContextAllocHuge(st->cxt, (Size) st->naffected * sizeof(Change));
	st->change_ids = idhash_create(st->cxt, Max(st->naffected, 16), NULL);
	for (i = 0; i < st->naffected; i++)
	{
		Affected   *a = &st->affected[i];
		FlagBlock  *b = get_block(st, a->id, true);
		int			j = (int) (a->id & BOUNCE_FLAG_BLOCK_MASK);
		uint8		old = b->flags[j];
		int			dc;
		int			dr;

		if (old == a->flags)
			continue;
		b->flags[j] = a->flags;
		b->dirty = true;
		dc = ((a->flags & BOUNCE_FLAG_COUNTED) ? 1 : 0) - ((old & BOUNCE_FLAG_COUNTED) ? 1 : 0);
		dr = ((a->flags & BOUNCE_FLAG_RECURRING) ? 1 : 0) - ((old & BOUNCE_FLAG_RECURRING) ? 1 : 0);
		if (dc != 0 || dr != 0)
		{
			Change	   *c = &st->changes[st->nchanges];
			IdEntry    *e;
			bool		found;

			c->id = a->id;
			c->month = a->month;
			c->status = a->status;
			c->dc = dc;
			c->dr = dr;
			e = idhash_insert(st->change_ids, a->id, &found);
			if (found)
				elog(ERROR, "bounce.refresh_scan: bounce " INT64_FORMAT " seen twice", a->id);
			e->index = st->nchanges++;
		}
	}
}

/* Incremental: compare the affected bounces with their stored flags. */
static void
compare_affected(RefreshScan *st, const char *nsp)
{
	int			i;
	char	   *sql;
	Oid			types[1] = {INT8ARRAYOID};
	Datum		values[1];
	int64	   *ids;

	if (st->naffected == 0)
		return;

	apply_affected(st, nsp);
	if (st->nchanges == 0)
		return;

	/*
	 * Their registrars.  When the new bounces are a dense run of ids, read
	 * that run as one range of attribution's key rather than probing it id
	 * by id (a third of a day's refresh at 10M), and probe only the others.
	 */
	{
		bool		use_range = new_ids_dense(st);
		int			nids = 0;

		ids = MemoryContextAllocHuge(st->cxt, (Size) st->nchanges * sizeof(int64));
		for (i = 0; i < st->nchanges; i++)
		{
			int64		id = st->changes[i].id;

			if (!use_range || id < st->new_min || id > st->new_max)
				ids[nids++] = id;
		}
		if (use_range)
		{
			Oid			rtypes[2] = {INT8OID, INT8OID};
			Datum		rvalues[2] = {Int64GetDatum(st->new_min), Int64GetDatum(st->new_max)};

			sql = psprintf("SELECT event_id, registrar_id FROM %s.attribution"
						   " WHERE event_id BETWEEN $1 AND $2", nsp);
			run_query(st, sql, 2, rtypes, rvalues, attribution_row_delta);
		}
		if (nids > 0)
		{
			values[0] = PointerGetDatum(int8_array(ids, nids));
			sql = psprintf("SELECT event_id, registrar_id FROM %s.attribution WHERE event_id = ANY ($1)", nsp);
			run_query(st, sql, 1, types, values, attribution_row_delta);
		}
	}
}

/* The smallest and largest of the new ids, and how many are not NULL. */
static void
new_ids_range(RefreshScan *st, ArrayType *new_ids)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	deconstruct_array(new_ids, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		int64		id;

		if (nulls[i])
			continue;
		id = DatumGetInt64(elems[i]);
		if (st->new_count == 0 || id < st->new_min)
			st->new_min = id;
		if (st->new_count == 0 || id > st->new_max)
			st->new_max = id;
		st->new_count++;
	}
	pfree(elems);
	pfree(nulls);
}

/*
 * The OID of the bounce.reason label 'delivered', which resets a streak.
 * The scan compares OIDs in C rather than asking SQL for reason =
 * 'delivered': the enum equality is found by trying every "=" operator,
 * a hundred catalog lookups that a new session (every pg_cron run) pays.
 */
static Oid
delivered_oid(Oid nsp)
{
	Oid			typoid;
	HeapTuple	tup;
	Oid			result;

	typoid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
							 CStringGetDatum("reason"), ObjectIdGetDatum(nsp));
	if (!OidIsValid(typoid))
		elog(ERROR, "bounce.refresh_scan: type reason not found in the schema of the extension");
	tup = SearchSysCache2(ENUMTYPOIDNAME, ObjectIdGetDatum(typoid), CStringGetDatum("delivered"));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "bounce.refresh_scan: bounce.reason has no label \"delivered\"");
	result = ((Form_pg_enum) GETSTRUCT(tup))->oid;
	ReleaseSysCache(tup);
	return result;
}

/* Read and check an interval argument. */
static Interval *
interval_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	Interval   *iv;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("bounce.refresh_scan: %s must not be NULL", name)));
	iv = PG_GETARG_INTERVAL_P(argno);
	bounce_check_span(iv, "bounce.refresh_scan", name);
	return iv;
}

/*
 * The settings from arguments 1 to 5 (checked: 22023 for a negative or
 * inverted gap, a strikes below 1) and the statuses that stand for a
 * bounce without one.
 */
static void
read_settings(FunctionCallInfo fcinfo, RefreshScan *st)
{
	int32		packed;

	bounce_span_init(&st->min_gap, interval_arg(fcinfo, 1, "min_gap"));
	bounce_span_init(&st->max_gap, interval_arg(fcinfo, 2, "max_gap"));
	if (PG_ARGISNULL(3) || PG_GETARG_INT32(3) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bounce.refresh_scan: strikes must be at least 1")));
	st->strikes = PG_GETARG_INT32(3);
	bounce_span_init(&st->span, interval_arg(fcinfo, 4, "span"));
	st->count_hard = !PG_ARGISNULL(5) && PG_GETARG_BOOL(5);
	if (DatumGetBool(DirectFunctionCall2(interval_gt,
										 IntervalPGetDatum(&st->min_gap.iv),
										 IntervalPGetDatum(&st->max_gap.iv))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bounce.refresh_scan: min_gap is greater than max_gap")));
	if (bounce_status_parse("4.0.0", 5, &packed) != BSE_OK)
		elog(ERROR, "bounce.refresh_scan: cannot parse 4.0.0");
	st->status_4xx = packed;
	if (bounce_status_parse("5.0.0", 5, &packed) != BSE_OK)
		elog(ERROR, "bounce.refresh_scan: cannot parse 5.0.0");
	st->status_5xx = packed;
}

/* Full: flag every bounce, in the order of event_address_idx, and count. */
static void
scan_full(RefreshScan *st, const char *nsp)
{
	char	   *sql;

	sql = psprintf("SELECT e.address, e.occurred_at, e.id, e.hard, e.permanent,"
				   " e.reason, e.status, e.reply_code"
				   " FROM %s.event e ORDER BY e.address, e.occurred_at, e.id",
				   nsp);
	run_query(st, sql, 0, NULL, NULL, bounce_row);
	sql = psprintf("SELECT event_id, registrar_id FROM %s.attribution", nsp);
	run_query(st, sql, 0, NULL, NULL, attribution_row_full);
}

/*
 * Incremental: flag every bounce of the new bounces' addresses, address
 * by address, with the time of the address's first new bounce, and
 * compare from there on.  The new bounces themselves are read as one
 * range of the primary key when their ids are dense (one descent instead
 * of one per bounce), else id by id.  The addresses are visited in index
 * order: successive descents of event_address_idx then share their upper
 * pages in the CPU cache (a quarter less time for a batch of 10,000, at
 * 1M bounces as at 10M).
 */
static void
scan_incremental(RefreshScan *st, const char *nsp, ArrayType *new_ids)
{
	Oid			types[2];
	Datum		values[2];
	int			nargs;
	const char *cond = new_ids_args(st, new_ids, types, values, &nargs);
	char	   *sql;

	/*
	 * On one node the nested loop gives the rows in address order; Citus
	 * gathers its tasks' rows as they arrive, which can split an address,
	 * so there the order is stated.
	 */
	sql = psprintf("SELECT e.address, e.occurred_at, e.id, e.hard, e.permanent,"
				   " e.reason, e.status, e.reply_code, t.first_at"
				   " FROM (SELECT n.address, min(n.occurred_at) AS first_at"
				   "         FROM %s.event n WHERE %s GROUP BY n.address ORDER BY n.address) t"
				   " CROSS JOIN LATERAL (SELECT * FROM %s.event e"
				   "                      WHERE e.address = t.address"
				   "                      ORDER BY e.occurred_at, e.id) e%s",
				   nsp, cond, nsp,
				   citus_loaded() ? " ORDER BY e.address, e.occurred_at, e.id" : "");
	run_query(st, sql, nargs, types, values, bounce_row);
	compare_affected(st, nsp);
}

/*
 * The non-zero counts (or count differences) as rows: registrar, month,
 * status, counted, recurring in columns 2 to 6; the caller has set the
 * other columns' nulls.
 */
static void
put_count_rows(RefreshScan *st, Tuplestorestate *store, TupleDesc tupdesc,
			   Datum *values, bool *nulls)
{
	counthash_iterator ci;
	CountEntry *ce;

	counthash_start_iterate(st->counts, &ci);
	while ((ce = counthash_iterate(st->counts, &ci)) != NULL)
	{
		if (ce->counted == 0 && ce->recurring == 0)
			continue;
		values[2] = Int32GetDatum(ce->key.registrar);
		values[3] = DateADTGetDatum(st->months[ce->key.month].first_day);
		values[4] = SmtpStatusGetDatum(ce->key.status);
		values[5] = Int64GetDatum(ce->counted);
		values[6] = Int64GetDatum(ce->recurring);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
}

/*
 * The rows of the result: the event_flags blocks (all, or the rewritten
 * ones), the non-zero counts (or count differences), and one row with
 * only counted set, the number of bounces flagged (full) or compared
 * (incremental).  The store lives in per_query.
 */
static Tuplestorestate *
result_rows(RefreshScan *st, TupleDesc tupdesc, MemoryContext per_query)
{
	Tuplestorestate *store;
	MemoryContext old;
	blockhash_iterator bi;
	BlockEntry *be;
	Datum		values[7];
	bool		nulls[7];
	bytea	   *flags = palloc(VARHDRSZ + BOUNCE_FLAG_BLOCK);

	old = MemoryContextSwitchTo(per_query);
	store = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(old);

	SET_VARSIZE(flags, VARHDRSZ + BOUNCE_FLAG_BLOCK);
	memset(nulls, true, sizeof(nulls));
	nulls[0] = nulls[1] = false;
	blockhash_start_iterate(st->blocks, &bi);
	while ((be = blockhash_iterate(st->blocks, &bi)) != NULL)
	{
		if (st->incremental && !be->data->dirty)
			continue;
		memcpy(VARDATA(flags), be->data->flags, BOUNCE_FLAG_BLOCK);
		values[0] = Int64GetDatum(be->block);
		values[1] = PointerGetDatum(flags);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}

	memset(nulls, false, sizeof(nulls));
	nulls[0] = nulls[1] = true;
	put_count_rows(st, store, tupdesc, values, nulls);

	memset(nulls, true, sizeof(nulls));
	nulls[5] = false;
	values[5] = Int64GetDatum(st->incremental ? st->naffected : st->rows);
	tuplestore_putvalues(store, tupdesc, values, nulls);
	return store;
}

/* ---- on a Citus cluster: the pass per shard ----------------------------
 *
 * Where event is distributed, the pass runs on the workers, once per
 * shard: the coordinator sends one query over the marker table shard (one
 * row per shard of event, co-located with it, filled by distribute()),
 * SELECT ... FROM shard m CROSS JOIN LATERAL refresh_scan_shard(m.tableoid,
 * ...), which Citus runs as one task per shard; in its task
 * refresh_scan_shard() is handed the marker's shard, finds the co-located
 * shards of event and attribution, and runs the pass above over them.
 * What comes back is small: each shard's flag bytes, two bytes per bounce
 * (event_flags stays on the coordinator, keyed by id, where a block holds
 * bounces of every shard: the coordinator puts the shards' bytes together),
 * and its counts per registrar, month and status, which the coordinator
 * adds up.  Incrementally, each shard sends the bounces it recomputed with
 * their registrars, and the coordinator compares them with event_flags.
 * Either way the coordinator then returns what refresh_scan() returns on
 * one node.
 */

static void check_shards_seen(RefreshScan *st, const char *nsp, int64 nshards);

/* The local month (an index into st->months) that begins on day. */
static int
month_by_day(RefreshScan *st, DateADT day)
{
	TimestampTz mid;
	int			lo = 0;
	int			hi = st->nmonths - 1;

	/* a month seen already: by its first day (sorted is in start order) */
	while (lo <= hi)
	{
		int			m = lo + (hi - lo) / 2;
		DateADT		d = st->months[st->sorted[m]].first_day;

		if (d == day)
			return st->sorted[m];
		if (d < day)
			lo = m + 1;
		else
			hi = m - 1;
	}
	/* noon of the 15th: inside the month, far from its boundaries */
	mid = DatumGetTimestampTz(DirectFunctionCall1(date_timestamptz, DateADTGetDatum(day + 14)));
	return month_of(st, mid + USECS_PER_DAY / 2);
}

/*
 * How many shards event has: 0 on one node, or where Citus is loaded but
 * event is not distributed.
 */
static int64
event_shard_count(const char *nsp)
{
	char	   *sql;
	bool		isnull;
	Datum		d;

	/* Citus loaded, and its extension made in this database */
	if (!citus_loaded() || !OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)))
		return 0;
	sql = psprintf("SELECT count(*) FROM pg_catalog.pg_dist_shard WHERE logicalrelid = '%s.event'::pg_catalog.regclass", nsp);
	if (SPI_execute(sql, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "bounce.refresh_scan: cannot read pg_dist_shard");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/* Coordinator: one row of a shard's result (see shard_result_rows()). */
static void
shard_row(RefreshScan *st, Datum *values, bool *isnull, int natts)
{
	if (natts < 7)
		elog(ERROR, "bounce.refresh_scan: unexpected row from a shard");
	if (!isnull[0] && !isnull[1])
	{
		/* a block's bytes of this shard's bounces: (index, flags) pairs */
		bytea	   *entries = DatumGetByteaPP(values[1]);
		const uint8 *p = (const uint8 *) VARDATA_ANY(entries);
		int			len = VARSIZE_ANY_EXHDR(entries);
		FlagBlock  *b = get_block(st, DatumGetInt64(values[0]) << BOUNCE_FLAG_BLOCK_BITS, true);
		int			i;

		if (len % 2 != 0)
			elog(ERROR, "bounce.refresh_scan: a shard sent a block of odd length %d", len);
		for (i = 0; i < len; i += 2)
			b->flags[p[i]] |= p[i + 1];
	}
	else if (!isnull[2])
	{
		if (isnull[3] || isnull[4] || isnull[5] || isnull[6])
			elog(ERROR, "bounce.refresh_scan: a shard sent an incomplete count");
		add_count(st, DatumGetInt32(values[2]), month_by_day(st, DatumGetDateADT(values[3])),
				  DatumGetSmtpStatus(values[4]), DatumGetInt64(values[5]), DatumGetInt64(values[6]));
	}
	else if (!isnull[5])
	{
		/* a shard's last row: how many bounces it flagged */
		st->rows += DatumGetInt64(values[5]);
		st->shards_seen++;
	}
}

/* Coordinator: every shard must have answered, once. */
static void
check_shards_seen(RefreshScan *st, const char *nsp, int64 nshards)
{
	if (st->shards_seen != nshards)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("bounce.refresh_scan: %d shards answered, but bounce.event has " INT64_FORMAT,
						st->shards_seen, nshards),
				 errdetail("The table %s.shard must hold one row in every shard of event.", nsp),
				 errhint("Its shards follow event's when Citus moves them; after a change of the shard count, empty it and insert one row per shard (doc/scaling.md).")));
}

/* A new entry at the end of st->affected. */
static Affected *
append_affected(RefreshScan *st)
{
	if (st->naffected == st->maxaffected)
	{
		st->maxaffected = st->maxaffected ? st->maxaffected * 2 : 1024;
		st->affected = st->affected
			? repalloc_huge(st->affected, (Size) st->maxaffected * sizeof(Affected))
			: MemoryContextAllocHuge(st->cxt, (Size) st->maxaffected * sizeof(Affected));
	}
	return &st->affected[st->naffected++];
}

/* Incremental, Citus: one registrar of an affected bounce. */
static void
append_pair(RefreshScan *st, int64 id, int32 registrar)
{
	if (st->npairs == st->maxpairs)
	{
		st->maxpairs = st->maxpairs ? st->maxpairs * 2 : 1024;
		st->pair_ids = st->pair_ids
			? repalloc_huge(st->pair_ids, (Size) st->maxpairs * sizeof(int64))
			: MemoryContextAllocHuge(st->cxt, (Size) st->maxpairs * sizeof(int64));
		st->pair_registrars = st->pair_registrars
			? repalloc_huge(st->pair_registrars, (Size) st->maxpairs * sizeof(int32))
			: MemoryContextAllocHuge(st->cxt, (Size) st->maxpairs * sizeof(int32));
	}
	st->pair_ids[st->npairs] = id;
	st->pair_registrars[st->npairs] = registrar;
	st->npairs++;
}

/*
 * Coordinator, incremental: one row of a shard's result (see
 * shard_result_rows_incremental()): an affected bounce, a registrar of
 * one, or the shard's last row.
 */
static void
shard_row_incremental(RefreshScan *st, Datum *values, bool *isnull, int natts)
{
	if (natts < 8)
		elog(ERROR, "bounce.refresh_scan: unexpected row from a shard");
	if (!isnull[7] && !isnull[2])
		append_pair(st, DatumGetInt64(values[7]), DatumGetInt32(values[2]));
	else if (!isnull[7])
	{
		bytea	   *entries;
		Affected   *a;

		if (isnull[1] || isnull[3] || isnull[4])
			elog(ERROR, "bounce.refresh_scan: a shard sent an incomplete bounce");
		entries = DatumGetByteaPP(values[1]);
		if (VARSIZE_ANY_EXHDR(entries) != 1)
			elog(ERROR, "bounce.refresh_scan: a shard sent a bounce's flags of length %d",
				 (int) VARSIZE_ANY_EXHDR(entries));
		a = append_affected(st);
		a->id = DatumGetInt64(values[7]);
		a->flags = *(const uint8 *) VARDATA_ANY(entries);
		a->month = month_by_day(st, DatumGetDateADT(values[3]));
		a->status = DatumGetSmtpStatus(values[4]);
	}
	else if (isnull[0] && isnull[2] && !isnull[5])
		st->shards_seen++;
}

/*
 * Coordinator, incremental: compare the affected bounces that the shards
 * sent with their stored flags (event_flags is the coordinator's), and
 * count the changes for the registrars the shards sent with them.  The
 * comparison is compare_affected()'s; the registrars come from the
 * shards instead of a query of the distributed attribution.
 */
static void
compare_affected_sharded(RefreshScan *st, const char *nsp)
{
	int			i;

	if (st->naffected == 0)
		return;

	apply_affected(st, nsp);

	/* their registrars */
	for (i = 0; i < st->npairs; i++)
	{
		IdEntry    *e = idhash_lookup(st->change_ids, st->pair_ids[i]);
		Change	   *c;

		if (e == NULL)
			continue;
		c = &st->changes[e->index];
		add_count(st, st->pair_registrars[i], c->month, c->status, c->dc, c->dr);
	}
}

/*
 * Coordinator, refresh of a distributed event: run the pass on every shard,
 * one task per row of the marker table, and put the rows together
 * (shard_row(), or shard_row_incremental() for an incremental pass).  The
 * settings are the caller's arguments 1 to 5; the time zone, which the
 * workers do not get from the refresh's set_config(), is passed as an
 * argument, and so are the new ids (argument 0) of an incremental pass.
 */
static void
scan_sharded(RefreshScan *st, const char *nsp, int64 nshards, FunctionCallInfo fcinfo)
{
	Oid			types[7] = {INTERVALOID, INTERVALOID, INT4OID, INTERVALOID, BOOLOID, TEXTOID, INT8ARRAYOID};
	Datum		values[7];
	char	   *sql;
	int			i;

	for (i = 0; i < 5; i++)
		values[i] = PG_GETARG_DATUM(i + 1);
	values[4] = BoolGetDatum(st->count_hard);
	values[5] = CStringGetTextDatum(pg_get_timezone_name(session_timezone));
	if (st->incremental)
		values[6] = PG_GETARG_DATUM(0);
	sql = psprintf("SELECT s.block, s.entries, s.registrar_id, s.month, s.status, s.counted, s.recurring, s.event_id"
				   " FROM %s.shard m CROSS JOIN LATERAL"
				   " bounce_internal.refresh_scan_shard(m.tableoid, $1, $2, $3, $4, $5, $6, %s) s",
				   nsp, st->incremental ? "$7" : "NULL");
	run_query_cursor(st, sql, st->incremental ? 7 : 6, types, values,
					 st->incremental ? shard_row_incremental : shard_row);
	check_shards_seen(st, nsp, nshards);
}

/*
 * Coordinator, incremental refresh of a distributed event: each shard
 * flags the bounces of its addresses with new bounces and sends the
 * affected ones (from each address's first new bounce on) with their
 * registrars; the coordinator compares them with event_flags.  Every
 * shard gets all the new ids and finds its own among them.
 */
static void
scan_incremental_sharded(RefreshScan *st, const char *nsp, int64 nshards, FunctionCallInfo fcinfo)
{
	scan_sharded(st, nsp, nshards, fcinfo);
	compare_affected_sharded(st, nsp);
}

/*
 * Worker: the names of event's and attribution's shards co-located with
 * the marker shard rel (shard_<shardid>), from Citus's metadata.
 */
static void
colocated_shards(Oid rel, Oid ext_nsp, const char *nsp, char **event_rel, char **attribution_rel)
{
	char	   *name = get_rel_name(rel);
	char	   *end;
	int64		shardid;
	char	   *sql;
	bool		isnull;

	if (name == NULL || get_rel_namespace(rel) != ext_nsp || strncmp(name, "shard_", 6) != 0 ||
		!isdigit((unsigned char) name[6]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bounce.refresh_scan_shard: relation \"%s\" is not a shard of %s.shard",
						name ? name : psprintf("%u", rel), nsp),
				 errhint("It is called by refresh(), in the tasks Citus runs on the workers.")));
	if (!OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("bounce.refresh_scan_shard needs Citus: relation \"%s\" is not a shard, pg_dist_shard does not exist in this database", name)));
	errno = 0;
	shardid = (int64) strtoll(name + 6, &end, 10);
	if (errno != 0 || *end != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bounce.refresh_scan_shard: relation \"%s\" is not a shard of %s.shard", name, nsp)));
	sql = psprintf("SELECT e.shardid, a.shardid"
				   "  FROM pg_catalog.pg_dist_shard m, pg_catalog.pg_dist_shard e, pg_catalog.pg_dist_shard a"
				   " WHERE m.shardid = " INT64_FORMAT " AND m.logicalrelid = '%s.shard'::pg_catalog.regclass"
				   "   AND e.logicalrelid = '%s.event'::pg_catalog.regclass AND e.shardminvalue = m.shardminvalue"
				   "   AND a.logicalrelid = '%s.attribution'::pg_catalog.regclass AND a.shardminvalue = m.shardminvalue",
				   shardid, nsp, nsp, nsp);
	if (SPI_execute(sql, true, 2) != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("bounce.refresh_scan_shard: no shards of event and attribution co-located with shard " INT64_FORMAT, shardid)));
	*event_rel = psprintf("%s.%s", nsp, quote_identifier(psprintf("event_" INT64_FORMAT,
		DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))));
	*attribution_rel = psprintf("%s.%s", nsp, quote_identifier(psprintf("attribution_" INT64_FORMAT,
		DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)))));
}

/* Order of Affected by bounce id. */
static int
affected_id_cmp(const void *a, const void *b)
{
	int64		x = ((const Affected *) a)->id;
	int64		y = ((const Affected *) b)->id;

	return (x > y) - (x < y);
}

/* Worker, full: the bounce id in the sorted st->affected, or NULL. */
static Affected *
find_affected(RefreshScan *st, int64 id)
{
	int			lo = 0;
	int			hi = st->naffected - 1;
	int			k = st->last_found;

	/* attribution is read in about id order: try where the last one was */
	if (k < st->naffected && st->affected[k].id == id)
		return &st->affected[k];
	if (k + 1 < st->naffected && st->affected[k + 1].id == id)
	{
		st->last_found = k + 1;
		return &st->affected[k + 1];
	}
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int64		m = st->affected[mid].id;

		if (m == id)
		{
			st->last_found = mid;
			return &st->affected[mid];
		}
		if (m < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* Worker, full: one attribution row (event_id, registrar_id) of the shard. */
static void
attribution_row_shard_full(RefreshScan *st, Datum *values, bool *isnull, int natts)
{
	Affected   *a;

	if (natts < 2 || isnull[0] || isnull[1])
		return;
	a = find_affected(st, DatumGetInt64(values[0]));
	if (a == NULL || !(a->flags & BOUNCE_FLAG_COUNTED))
		return;
	add_count(st, DatumGetInt32(values[1]), a->month, a->status, 1,
			  (a->flags & BOUNCE_FLAG_RECURRING) ? 1 : 0);
}

/*
 * Worker: the full pass over one shard's bounces and attribution.  A
 * shard's bounces are spread over every block of ids (their ids are
 * interleaved with the other shards'), so rather than a FlagBlock per
 * block (7 bytes per id of the whole table, in every shard's task) the
 * pass keeps its own bounces only: bounce_row() collects them as it
 * collects the affected ones of an incremental pass (every bounce is
 * "from the first new one on" when that is -infinity), about 24 bytes a
 * bounce of the shard; sorted by id, they are found by binary search for
 * attribution and written out block by block.
 */
static void
scan_full_shard(RefreshScan *st, const char *event_rel, const char *attribution_rel)
{
	char	   *sql;
	int			i;

	st->incremental = true;		/* collect into st->affected */
	sql = psprintf("SELECT e.address, e.occurred_at, e.id, e.hard, e.permanent,"
				   " e.reason, e.status, e.reply_code, '-infinity'::pg_catalog.timestamptz"
				   " FROM %s e ORDER BY e.address, e.occurred_at, e.id",
				   event_rel);
	run_query(st, sql, 0, NULL, NULL, bounce_row);
	if (st->naffected > 1)
		qsort(st->affected, st->naffected, sizeof(Affected), affected_id_cmp);
	for (i = 1; i < st->naffected; i++)
		if (st->affected[i].id == st->affected[i - 1].id)
			elog(ERROR, "bounce.refresh_scan_shard: bounce " INT64_FORMAT " seen twice", st->affected[i].id);
	sql = psprintf("SELECT event_id, registrar_id FROM %s", attribution_rel);
	run_query(st, sql, 0, NULL, NULL, attribution_row_shard_full);
}

/*
 * Worker: the rows of a shard's result.  A block of bounce ids as the
 * pairs (byte index, flags) of this shard's bounces in it (the other
 * shards' bounces are not here); the non-zero counts; and one row with
 * only counted set, the bounces flagged.
 */
static Tuplestorestate *
shard_result_rows(RefreshScan *st, TupleDesc tupdesc, MemoryContext per_query)
{
	Tuplestorestate *store;
	MemoryContext old;
	Datum		values[8];
	bool		nulls[8];
	bytea	   *entries = palloc(VARHDRSZ + 2 * BOUNCE_FLAG_BLOCK);
	int			i;

	old = MemoryContextSwitchTo(per_query);
	store = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(old);

	/* st->affected is in id order: one row per block */
	memset(nulls, true, sizeof(nulls));
	nulls[0] = nulls[1] = false;
	i = 0;
	while (i < st->naffected)
	{
		uint8	   *p = (uint8 *) VARDATA(entries);
		int64		block = st->affected[i].id >> BOUNCE_FLAG_BLOCK_BITS;
		int			n = 0;

		for (; i < st->naffected && (st->affected[i].id >> BOUNCE_FLAG_BLOCK_BITS) == block; i++)
		{
			p[n++] = (uint8) (st->affected[i].id & BOUNCE_FLAG_BLOCK_MASK);
			p[n++] = st->affected[i].flags;
		}
		SET_VARSIZE(entries, VARHDRSZ + n);
		values[0] = Int64GetDatum(block);
		values[1] = PointerGetDatum(entries);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}

	memset(nulls, false, sizeof(nulls));
	nulls[0] = nulls[1] = nulls[7] = true;
	put_count_rows(st, store, tupdesc, values, nulls);

	memset(nulls, true, sizeof(nulls));
	nulls[5] = false;
	values[5] = Int64GetDatum(st->rows);
	tuplestore_putvalues(store, tupdesc, values, nulls);
	return store;
}

/* Worker, incremental: a registrar of a bounce, kept if it is affected. */
static void
attribution_row_shard(RefreshScan *st, Datum *values, bool *isnull, int natts)
{
	int64		id;

	if (natts < 2 || isnull[0] || isnull[1])
		return;
	id = DatumGetInt64(values[0]);
	if (idhash_lookup(st->affected_ids, id) != NULL)
		append_pair(st, id, DatumGetInt32(values[1]));
}

/*
 * Worker, incremental: flag the bounces of this shard's addresses with new
 * bounces (the query of scan_incremental(), over the shard), and read the
 * registrars of those addresses' bounces, through attribution's key.
 */
static void
scan_incremental_shard(RefreshScan *st, const char *event_rel, const char *attribution_rel,
					   ArrayType *new_ids)
{
	Oid			types[2];
	Datum		values[2];
	int			nargs;
	const char *cond = new_ids_args(st, new_ids, types, values, &nargs);
	char	   *sql;
	int			i;

	sql = psprintf("SELECT e.address, e.occurred_at, e.id, e.hard, e.permanent,"
				   " e.reason, e.status, e.reply_code, t.first_at"
				   " FROM (SELECT n.address, min(n.occurred_at) AS first_at"
				   "         FROM %s n WHERE %s GROUP BY n.address) t"
				   " CROSS JOIN LATERAL (SELECT * FROM %s e WHERE e.address = t.address) e"
				   " ORDER BY e.address, e.occurred_at, e.id",
				   event_rel, cond, event_rel);
	run_query(st, sql, nargs, types, values, bounce_row);
	if (st->naffected == 0)
		return;

	st->affected_ids = idhash_create(st->cxt, Max(st->naffected, 16), NULL);
	for (i = 0; i < st->naffected; i++)
	{
		bool		found;
		IdEntry    *e = idhash_insert(st->affected_ids, st->affected[i].id, &found);

		if (found)
			elog(ERROR, "bounce.refresh_scan_shard: bounce " INT64_FORMAT " seen twice", st->affected[i].id);
		e->index = i;
	}
	sql = psprintf("SELECT a.event_id, a.registrar_id FROM %s a"
				   " WHERE a.address IN (SELECT n.address FROM %s n WHERE %s)",
				   attribution_rel, event_rel, cond);
	run_query(st, sql, nargs, types, values, attribution_row_shard);
}

/*
 * Worker, incremental: the rows of a shard's result.  One row per
 * affected bounce (event_id, its flag byte in entries, month, status),
 * one per registrar of an affected bounce (event_id, registrar_id), and
 * one row with only counted set, the bounces affected.
 */
static Tuplestorestate *
shard_result_rows_incremental(RefreshScan *st, TupleDesc tupdesc, MemoryContext per_query)
{
	Tuplestorestate *store;
	MemoryContext old;
	Datum		values[8];
	bool		nulls[8];
	bytea	   *flag = palloc(VARHDRSZ + 1);
	int			i;

	old = MemoryContextSwitchTo(per_query);
	store = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(old);

	SET_VARSIZE(flag, VARHDRSZ + 1);
	memset(nulls, true, sizeof(nulls));
	nulls[1] = nulls[3] = nulls[4] = nulls[7] = false;
	for (i = 0; i < st->naffected; i++)
	{
		Affected   *a = &st->affected[i];

		*(uint8 *) VARDATA(flag) = a->flags;
		values[1] = PointerGetDatum(flag);
		values[3] = DateADTGetDatum(st->months[a->month].first_day);
		values[4] = SmtpStatusGetDatum(a->status);
		values[7] = Int64GetDatum(a->id);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}

	memset(nulls, true, sizeof(nulls));
	nulls[2] = nulls[7] = false;
	for (i = 0; i < st->npairs; i++)
	{
		values[2] = Int32GetDatum(st->pair_registrars[i]);
		values[7] = Int64GetDatum(st->pair_ids[i]);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}

	memset(nulls, true, sizeof(nulls));
	nulls[5] = false;
	values[5] = Int64GetDatum(st->naffected);
	tuplestore_putvalues(store, tupdesc, values, nulls);
	return store;
}

/*
 * The start of refresh_scan() and refresh_scan_shard(): called in a FROM
 * clause (its rows are materialized), returning a row type (*tupdesc); the
 * new ids of argument ids_arg (NULL: a full pass; else one-dimensional,
 * *new_ids) and the settings of arguments 1 to 5.  fname names the
 * function in errors.
 */
static RefreshScan *
begin_scan(FunctionCallInfo fcinfo, const char *fname, int ids_arg,
		   TupleDesc *tupdesc, ArrayType **new_ids)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RefreshScan *st;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("bounce.%s must be called in a FROM clause", fname)));
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "bounce.%s: return type must be a row type", fname);

	st = palloc0(sizeof(RefreshScan));
	st->cxt = AllocSetContextCreate(CurrentMemoryContext, "bounce refresh_scan",
									ALLOCSET_DEFAULT_SIZES);
	*new_ids = NULL;
	if (!PG_ARGISNULL(ids_arg))
	{
		*new_ids = PG_GETARG_ARRAYTYPE_P(ids_arg);
		if (ARR_NDIM(*new_ids) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("bounce.%s: new_ids must be one-dimensional", fname)));
		st->incremental = true;
		new_ids_range(st, *new_ids);
	}
	read_settings(fcinfo, st);
	st->counts = counthash_create(st->cxt, 1024, NULL);
	return st;
}

/*
 * The end of refresh_scan() and refresh_scan_shard(): their rows, made by
 * rows() in the query's memory, as the materialized result, and the
 * pass's own memory freed.
 */
static void
end_scan(FunctionCallInfo fcinfo, RefreshScan *st, TupleDesc tupdesc,
		 Tuplestorestate *(*rows) (RefreshScan *, TupleDesc, MemoryContext))
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext per_query = rsinfo->econtext->ecxt_per_query_memory;
	MemoryContext old;

	old = MemoryContextSwitchTo(per_query);
	tupdesc = CreateTupleDescCopy(tupdesc);
	MemoryContextSwitchTo(old);
	rsinfo->setResult = rows(st, tupdesc, per_query);
	MemoryContextDelete(st->cxt);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setDesc = tupdesc;
}

/*
 * bounce.refresh_scan(new_ids, min_gap, max_gap, strikes, span, count_hard)
 * RETURNS TABLE (block, flags, registrar_id, month, status, counted, recurring)
 *
 * new_ids NULL: a full refresh; the rows are every event_flags block and
 * every non-zero count.  new_ids given: the blocks that changed (their
 * whole new content) and the count differences.  Internal to refresh().
 */
PG_FUNCTION_INFO_V1(bounce_refresh_scan);
Datum
bounce_refresh_scan(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	RefreshScan *st;
	Oid			ext_nsp;
	const char *nsp;
	ArrayType  *new_ids;
	int64		nshards;
	int			rc;

	st = begin_scan(fcinfo, "refresh_scan", 0, &tupdesc, &new_ids);
	st->blocks = blockhash_create(st->cxt, 1024, NULL);

	ext_nsp = bounce_extension_schema();
	nsp = quote_identifier(get_namespace_name(ext_nsp));
	st->delivered = delivered_oid(ext_nsp);
	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "bounce.refresh_scan: SPI_connect failed: %s", SPI_result_code_string(rc));
	nshards = event_shard_count(nsp);
	if (nshards > 0 && !st->incremental)
		scan_sharded(st, nsp, nshards, fcinfo);
	else if (nshards > 0)
		scan_incremental_sharded(st, nsp, nshards, fcinfo);
	else if (!st->incremental)
		scan_full(st, nsp);
	else
		scan_incremental(st, nsp, new_ids);
	SPI_finish();
	end_scan(fcinfo, st, tupdesc, result_rows);
	return (Datum) 0;
}

/*
 * bounce_internal.refresh_scan_shard(shard, min_gap, max_gap, strikes,
 * span, count_hard, time_zone, new_ids)
 * RETURNS TABLE (block, entries, registrar_id, month, status, counted,
 *				  recurring, event_id)
 *
 * The pass of refresh_scan() over one shard of a Citus cluster, run on the
 * worker that holds it: shard is the OID of a shard of the marker table
 * (m.tableoid in the coordinator's query, see scan_sharded()), and the
 * pass reads the co-located shards of event and attribution.  The gap and
 * month arithmetic runs in time_zone, set for the call only.  new_ids NULL:
 * the full pass (shard_result_rows()); else the incremental one, which
 * sends the affected bounces for the coordinator to compare
 * (shard_result_rows_incremental()).  Internal to refresh_scan().
 */
PG_FUNCTION_INFO_V1(bounce_refresh_scan_shard);
Datum
bounce_refresh_scan_shard(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	RefreshScan *st;
	Oid			ext_nsp;
	const char *nsp;
	char	   *event_rel;
	char	   *attribution_rel;
	ArrayType  *new_ids;
	int			nestlevel;
	int			rc;

	st = begin_scan(fcinfo, "refresh_scan_shard", 7, &tupdesc, &new_ids);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(6))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("bounce.refresh_scan_shard: shard and time_zone must not be NULL")));
	st->local_shards = true;

	/* the refresh's time zone, for this call (as a function's SET clause) */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("TimeZone", text_to_cstring(PG_GETARG_TEXT_PP(6)),
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	ext_nsp = bounce_extension_schema();
	nsp = quote_identifier(get_namespace_name(ext_nsp));
	st->delivered = delivered_oid(ext_nsp);
	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "bounce.refresh_scan_shard: SPI_connect failed: %s", SPI_result_code_string(rc));
	colocated_shards(PG_GETARG_OID(0), ext_nsp, nsp, &event_rel, &attribution_rel);
	if (new_ids != NULL)
		scan_incremental_shard(st, event_rel, attribution_rel, new_ids);
	else
		scan_full_shard(st, event_rel, attribution_rel);
	SPI_finish();
	end_scan(fcinfo, st, tupdesc,
			 new_ids != NULL ? shard_result_rows_incremental : shard_result_rows);
	AtEOXact_GUC(true, nestlevel);
	return (Datum) 0;
}
