#!/usr/bin/env bash
# test/bench/citus.sh -- what a full refresh costs on a Citus cluster
# against one node, at several sizes (not part of test/check).
#
# Starts a coordinator and CITUS_WORKERS workers (test/citus/cluster.sh)
# and, for each size in BENCH_SIZES, generates the same registry twice in
# the coordinator's instance: in one database as one node (bounce alone),
# in the cluster's database distributed (bounce.distribute(8)).  Both run
# in the same PostgreSQL instance, with the same settings, so the ratio is
# the cost of distribution: the refresh's pass runs on the workers, once
# per shard, and the coordinator gathers the shards' flags and counts
# (doc/scaling.md, "Refresh").  Then CALL bounce.refresh(full
# => true), best of BENCH_RUNS, on each:
#                                             target: cluster <= 2 x one node,
#                                             the ratio not growing with size
#
#   test/bench/citus.sh                          # 1M and 4M bounces
#   BENCH_SIZES="200000" BENCH_RUNS=1 test/bench/citus.sh
source "$(dirname "$0")/../citus/cluster.sh"
set -euo pipefail

SIZES=${BENCH_SIZES:-1000000 4000000}
RUNS=${BENCH_RUNS:-3}

build_install
citus_ensure || die "$CITUS_SKIP_REASON"
citus_start_cluster
c() { citus_psql 0 -qAt "$@"; }
one() { "$BINDIR/psql" -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${CITUS_PORTS[0]}" -U postgres -d bounce_one -qAt "$@"; }

# generate: the registry of registry.sh (500 registrars, Zipf-sized, 24
# months; about 4 bounces an address over two years; one bounce in 20
# with two registrars), N bounces, through psql function $1
generate() {
	local run=$1 n=$2
	"$run" <<SQL
SET search_path = bounce, public;
SELECT setseed(0.7);
INSERT INTO registrar SELECT i, 'R' || i, (ARRAY['hosting','reseller','agency','brand'])[1 + i % 4] FROM generate_series(1, 500) i;
INSERT INTO registration SELECT i, ('2024-01-01'::date + k * interval '1 month')::date,
       greatest(20, round(1800000 * (1.0 / power(i, 1.07)) / 6.5))::bigint
  FROM generate_series(1, 500) i, generate_series(0, 23) k;
INSERT INTO event (id, idempotency_key, address, occurred_at, reply_code, status, reason, hard, permanent)
SELECT g, 'k' || g, 'user' || a || '@d' || (a % 1000) || '.example', t, rc, st::smtp_status,
       CASE WHEN rc = 550 THEN 'userunknown' WHEN rc = 552 THEN 'mailboxfull' ELSE 'blocked' END::reason,
       rc = 550, rc >= 500
  FROM (SELECT g, abs(hashint8(g * 7919)) % ($n / 4) AS a, timestamptz '2024-01-01 00:00+00' + ((hashint8(g) & 1048575) / 1048576.0) * interval '729 days' AS t,
               (ARRAY[550, 550, 550, 550, 552, 554, 451])[1 + (hashint8(g + 1) & 65535) % 7] AS rc
          FROM generate_series(1::bigint, $n) g) s,
       LATERAL (SELECT CASE rc WHEN 550 THEN '5.1.1' WHEN 552 THEN '5.2.2' WHEN 554 THEN '5.7.1' ELSE '4.2.2' END AS st) x;
SELECT setval('event_id_seq', $n);
INSERT INTO attribution (address, event_id, registrar_id)
SELECT e.address, e.id, least(500, 1 + floor(power(500, ((hashtext(e.address || 'z') & 65535) / 65536.0)) - 1)::int) FROM event e;
INSERT INTO attribution (address, event_id, registrar_id)
SELECT e.address, e.id, 1 + (e.id % 499)::int FROM event e
 WHERE e.id % 20 = 0 AND 1 + (e.id % 499)::int <> least(500, 1 + floor(power(500, ((hashtext(e.address || 'z') & 65535) / 65536.0)) - 1)::int);
VACUUM ANALYZE event;
VACUUM ANALYZE attribution;
CALL refresh();
SQL
}

ms() { # ms RUN: best of RUNS full refreshes, in ms (measured by the client)
	local run=$1 best= t0 t
	for _ in $(seq 1 "$RUNS"); do
		t0=$(date +%s%N)
		"$run" -c "CALL bounce.refresh(full => true)"
		t=$((($(date +%s%N) - t0) / 1000000))
		[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
	done
	echo "$best"
}

echo "bounces | one node (ms) | cluster, 8 shards on $CITUS_WORKERS workers (ms) | ratio | same monthly figures"
for n in $SIZES; do
	"$BINDIR/psql" -X -q -h 127.0.0.1 -p "${CITUS_PORTS[0]}" -U postgres -d postgres -c "DROP DATABASE IF EXISTS bounce_one" -c "CREATE DATABASE bounce_one" >/dev/null
	one -c "CREATE EXTENSION bounce"
	for w in $(seq 0 "$CITUS_WORKERS"); do	# a fresh bounce on every node
		citus_psql "$w" -q -c "DROP EXTENSION IF EXISTS bounce CASCADE" -c "DROP SCHEMA IF EXISTS bounce CASCADE" >/dev/null 2>&1
	done
	c -c "CREATE EXTENSION bounce" -c "SELECT count(*) FROM bounce.distribute(8)" >/dev/null
	log "generating $n bounces on one node"
	generate one "$n" >/dev/null
	log "generating $n bounces on the cluster"
	generate c "$n" >/dev/null 2>&1
	same=$([ "$(one -c "SELECT md5(string_agg(m::text, ',' ORDER BY m::text)) FROM bounce.monthly m")" = \
	         "$(c -c "SELECT md5(string_agg(m::text, ',' ORDER BY m::text)) FROM bounce.monthly m")" ] && echo yes || echo NO)
	t1=$(ms one)
	tc=$(ms c)
	echo "$n | $t1 | $tc | $(awk -v a="$tc" -v b="$t1" 'BEGIN { printf "%.2f", a / b }') | $same"
done
