#!/usr/bin/env bash
# test/bench/recurring.sh -- cost of bounce.recurring / bounce.suppress
# against a bare lag() over the same sort and data, and their memory on one
# huge partition.  Sets up its own cluster (test/lib.sh).
#
#   test/bench/recurring.sh            # 10M events
#   BENCH_ROWS=3000000 test/bench/recurring.sh
#
# Prints one line per query (backend CPU time, best of BENCH_RUNS
# interleaved runs: the machine is shared, and the minimum is the figure
# least disturbed by other load) and the ratios that doc/performance.md records.  Two settings:
#   sort      the events in random order, sorted by the window (the usual case)
#   presorted an index-only scan on (addr, t) feeds the window in order, so no
#             sort hides the window functions' own cost
source "$(dirname "$0")/../lib.sh"

ROWS=${BENCH_ROWS:-10000000}
RUNS=${BENCH_RUNS:-3}
TZ_BENCH=${BENCH_TIMEZONE:-Europe/Brussels}

ensure_packages
build_install
start_cluster
psql_db postgres -q -c 'CREATE DATABASE bench' >/dev/null
q() { psql_db bench -qAt "$@"; }

log "generating $ROWS events"
q <<SQL
CREATE EXTENSION bounce;
SELECT setseed(0.1);
-- Realistic repetition: a skewed number of events per address (most
-- addresses bounce once or twice, a few dozens of times), spread over five
-- years, with retries hours apart and repeats weeks or months apart.
CREATE TABLE ev AS
SELECT (floor(random() ^ 2 * ($ROWS / 8)))::int AS addr,
       timestamptz '2020-01-01' + random() * interval '5 years' AS t,
       random() < 0.1 AS ok
  FROM generate_series(1, $ROWS);
-- One huge partition, already in order (index), for the memory test.
CREATE TABLE one AS
SELECT timestamptz '2020-01-01' + g * interval '17 minutes' AS t, g % 10 = 0 AS ok
  FROM generate_series(1, $ROWS) g;
CREATE INDEX ON one (t);
-- The same events, physically in window order, with a covering index.
CREATE TABLE evs AS SELECT * FROM ev ORDER BY addr, t;
CREATE INDEX ON evs (addr, t) INCLUDE (ok);
VACUUM ANALYZE evs;
VACUUM ANALYZE ev;
VACUUM ANALYZE one;
SQL
q -c "SELECT 'addresses: ' || count(DISTINCT addr) || ', events per address: avg ' || round(count(*)::numeric / count(DISTINCT addr), 1) || ', max ' || (SELECT max(c) FROM (SELECT count(*) c FROM ev GROUP BY addr) m) FROM ev"

SETTINGS="SET search_path = bounce, public; SET TimeZone = '$TZ_BENCH'; SET max_parallel_workers_per_gather = 0; SET jit = off;"
W="WINDOW w AS (PARTITION BY addr ORDER BY t)"

declare -A QUERY BEST
for tab in ev evs; do
	QUERY[$tab.lag]="SELECT count(*) FILTER (WHERE p IS NOT NULL) FROM (SELECT lag(t) OVER w AS p FROM $tab $W) s"
	QUERY[$tab.recurring]="SELECT count(*) FILTER (WHERE r) FROM (SELECT recurring(t) OVER w AS r FROM $tab $W) s"
	QUERY[$tab.sql_formula]="SELECT count(*) FILTER (WHERE p BETWEEN t - interval '3 months' AND t - interval '14 days') FROM (SELECT t, lag(t) OVER w AS p FROM $tab $W) s"
	QUERY[$tab.suppress]="SELECT count(*) FILTER (WHERE r) FROM (SELECT suppress(t, reset => ok) OVER w AS r FROM $tab $W) s"
	QUERY[$tab.streak]="SELECT sum(r) FROM (SELECT streak(t, ok) OVER w AS r FROM $tab $W) s"
done

# Run one query in a fresh session; print the backend's CPU time (user +
# system, from log_executor_stats) in milliseconds.  CPU time rather than
# elapsed time, since other work on a shared machine stretches the latter.
time_query() {
	psql_db bench -qAt -c "$SETTINGS SET log_executor_stats = on; SET client_min_messages = log;" \
		-c "$1" 2>&1 | awk '/s user,/ {printf "%.1f\n", ($2 + $4) * 1000; exit}'
}

names=(lag recurring sql_formula suppress streak)
# The plans: sort vs index-only scan.
for tab in ev evs; do
	log "plan for $tab: $(psql_db bench -qAt -c "$SETTINGS" -c "EXPLAIN (COSTS OFF) ${QUERY[$tab.recurring]}" | sed -n 's/^ *-> *//p' | tr '\n' ';')"
done
for run in $(seq 1 "$RUNS"); do
	for tab in ev evs; do
		for name in "${names[@]}"; do
			key=$tab.$name
			ms=$(time_query "${QUERY[$key]}")
			log "run $run $key: $ms ms"
			if [ -z "${BEST[$key]:-}" ] || awk "BEGIN{exit !($ms < ${BEST[$key]})}"; then BEST[$key]=$ms; fi
		done
	done
done

echo "rows=$ROWS timezone=$TZ_BENCH, best of $RUNS interleaved runs, window (PARTITION BY addr ORDER BY t)"
echo "backend CPU time (user + system), milliseconds"
printf '%-12s %14s %9s %16s %9s\n' query "sort (ms)" "vs lag" "presorted (ms)" "vs lag"
for name in "${names[@]}"; do
	printf '%-12s %14.0f %8.3fx %16.0f %8.3fx\n' "$name" \
		"${BEST[ev.$name]}" "$(awk "BEGIN{print ${BEST[ev.$name]} / ${BEST[ev.lag]}}")" \
		"${BEST[evs.$name]}" "$(awk "BEGIN{print ${BEST[evs.$name]} / ${BEST[evs.lag]}}")"
done

# Memory on one huge partition.  The input comes from an index, in order,
# so there is no sort.  With work_mem at 64kB, any window function that keeps
# old rows has its tuplestore spill to disk, which EXPLAIN (BUFFERS) shows as
# temp blocks written by the WindowAgg node; a function that lets the
# executor drop old rows writes none, whatever the partition size.
# first_value(), which must keep the partition's first row, is the contrast.
mem_probe() {
	psql_db bench -qAt -c "$SETTINGS SET work_mem = '64kB';" \
		-c "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, COSTS OFF) SELECT count(*) FILTER (WHERE r IS NOT NULL) FROM (SELECT $1 OVER (ORDER BY t) AS r FROM (SELECT * FROM one ORDER BY t LIMIT $2) o) s" |
		awk '/WindowAgg/ {w=1; next} w && /Buffers/ {t="0"; if (match($0, /temp( read=[0-9]+)? written=[0-9]+/)) {t=substr($0, RSTART, RLENGTH); sub(/.*written=/, "", t)}; print t; exit} w && /->/ {print "0"; exit}'
}
echo "one partition, input in order (no sort), work_mem=64kB: WindowAgg temp blocks written (8kB each)"
printf '%-26s %12s %12s\n' "function" "$((ROWS / 10)) rows" "$ROWS rows"
for fn in "lag(t)" "recurring(t)" "suppress(t, reset => ok)" "streak(t, ok)" "first_value(t)"; do
	printf '%-26s %12s %12s\n' "$fn" "$(mem_probe "$fn" $((ROWS / 10)))" "$(mem_probe "$fn" "$ROWS")"
done
