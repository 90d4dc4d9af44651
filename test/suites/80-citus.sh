# Citus: bounce on a real cluster (a coordinator and 2 workers, started by
# test/citus/cluster.sh), compared with one plain node (test/check's own
# cluster, which has no Citus).
#
#   propagation  CREATE EXTENSION bounce on the coordinator creates it on
#                every worker, where the C functions run
#   pushdown     classify() and recurring()/suppress()/streak()
#                OVER (PARTITION BY address ...) on a table distributed by
#                address run on the shards: one WindowAgg per shard task,
#                none on the coordinator; a window not partitioned by the
#                distribution column stays on the coordinator
#   equivalence  the same random bounces give the same per-bounce results
#                and aggregates on the cluster as on the plain node
#   time zone    a session TimeZone set on the coordinator does not reach
#                the workers; SET LOCAL with citus.propagate_set_commands
#                = 'local' does (doc/scaling.md)
#   distribute() refused without Citus and on a worker (55000); on the
#                coordinator it distributes event, attribution and pending
#                by address, co-located, with the refresh's marker table
#                (one row per shard), and refuses a second run
#   per shard    the refresh's pass (full and incremental) runs on the
#                workers, one task per shard (EXPLAIN), sending flags and
#                counts, not bounces; without a shard's marker row
#                refresh() fails, full or incremental
#   registry     the same random registry (two loads through
#                record_batch(), the second with late bounces, repeated
#                keys and bounces without registrars, charged from contacts
#                that load_contacts() loads through the coordinator) on the
#                plain node and on the cluster: every view and summary
#                identical after the full refresh, the incremental one and a
#                full one again
#   registrars   two registrars' my_ functions give the same rows through
#                the coordinator as on one node; a registrar's role may
#                not read the distributed tables
#   clean-up     an interrupted cluster stops its nodes and removes its
#                directory
#
# Skipped, not passed, where Citus is not installed for $PG_CONFIG and
# cannot be built (test/vendor/citus/build.sh, as root).
#   CITUS_BOUNCES  random bounces compared (default 20000)
source "$ROOT/test/citus/cluster.sh"
set +e -uo pipefail

N=${CITUS_BOUNCES:-20000}
pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
check() { # check NAME GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got [$2], want [$3]"; fi
}

if ! citus_ensure; then
	echo "SKIPPED: $CITUS_SKIP_REASON"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

t_suite=$(date +%s)
citus_start_cluster
c() { citus_psql 0 -qAt "$@"; }
plain() { "$BINDIR/psql" -X -v ON_ERROR_STOP=1 -d bounce_citus_plain -qAt "$@"; }

# ---- the cluster itself ------------------------------------------------
check "every worker is an active node of the coordinator (cluster up in $CITUS_START_MS ms)" \
	"$(c -c "SELECT count(*) FROM pg_dist_node WHERE isactive AND shouldhaveshards AND groupid > 0")" "$CITUS_WORKERS"
check "nodes listen on 127.0.0.1 only, with citus first in shared_preload_libraries" \
	"$(c -c "SHOW listen_addresses")|$(c -c "SHOW shared_preload_libraries")" "127.0.0.1|citus,pg_cron"

# ---- propagation -------------------------------------------------------
c -c 'CREATE EXTENSION bounce' >/dev/null
want_version=$(c -c "SELECT extversion FROM pg_extension WHERE extname = 'bounce'")
want_funcs=$(c -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'bounce'::regnamespace")
for n in $(seq 1 "$CITUS_WORKERS"); do
	check "worker $n: CREATE EXTENSION bounce propagated (version, number of functions)" \
		"$(citus_psql "$n" -qAt -c "SELECT extversion FROM pg_extension WHERE extname = 'bounce'")|$(citus_psql "$n" -qAt -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'bounce'::regnamespace")" \
		"$want_version|$want_funcs"
	check "worker $n: the C classifier runs there" \
		"$(citus_psql "$n" -qAt -c "SELECT bounce.classify('550 5.1.1 <ann@example.be>: Recipient address rejected: User unknown')")" \
		"userunknown"
done

# ---- the same random bounces on the plain node and the cluster ---------
"$BINDIR/psql" -X -q -d postgres -c 'DROP DATABASE IF EXISTS bounce_citus_plain' 2>/dev/null
if ! "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE bounce_citus_plain' ||
	! plain -c 'CREATE EXTENSION bounce'; then
	bad "the plain node (test/check's cluster, PGHOST=${PGHOST:-unset}) cannot be reached: run this suite with test/check citus"
	echo "$pass passed, $fail failed"
	exit 1
fi
# Bounces of N/10 addresses over two years, some on the same day and some
# near month ends (where the calendar arithmetic of recurring() matters),
# with texts and codes the classifier tells apart.
plain >/dev/null <<SQL
SELECT setseed(0.2024);
CREATE TABLE b (id bigint PRIMARY KEY, address text NOT NULL, occurred_at timestamptz NOT NULL,
                reply_code integer, status text, diagnostic text);
INSERT INTO b
SELECT g, 'u' || (random() * $N / 10)::int || '@d' || (random() * 50)::int || '.example',
       CASE WHEN random() < 0.1 THEN date_trunc('month', t) - interval '1 minute' * (random() * 90) ELSE t END,
       d.rc, d.st, d.diag
  FROM generate_series(1, $N) g,
       LATERAL (SELECT '2024-01-01 00:00+00'::timestamptz + random() * interval '730 days' + g * interval '0 s' AS t) x,
       LATERAL (SELECT * FROM (VALUES
           (550, '5.1.1', '550 5.1.1 <x@example.be>: Recipient address rejected: User unknown in virtual mailbox table'),
           (552, '5.2.2', '552 5.2.2 The email account that you tried to reach is over quota'),
           (451, '4.2.2', '451 4.2.2 Mailbox full, try again later'),
           (554, '5.7.1', '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org'),
           (550, NULL, '550 Requested action not taken: mailbox unavailable'),
           (421, '4.7.0', '421 4.7.0 Try again later, closing connection. (rate limited)'),
           (NULL, '5.4.4', 'Host or domain name not found. Name service error for name=example.invalid'),
           (250, '2.0.0', 'delivered: 250 2.0.0 OK'))
         AS v(rc, st, diag) OFFSET floor(random() * 8 + g * 0)::int LIMIT 1) d(rc, st, diag);
SQL
c <<SQL >/dev/null
CREATE TABLE b (id bigint PRIMARY KEY, address text NOT NULL, occurred_at timestamptz NOT NULL,
                reply_code integer, status text, diagnostic text);
SQL
# a distributed table's primary key must hold the distribution column
out=$(c -c "SELECT create_distributed_table('b', 'address', shard_count => 8)" 2>&1)
[[ $out == *"cannot create constraint"*"include the partition column"* ]] &&
	ok "a primary key without the distribution column is refused, as doc/scaling.md says" ||
	bad "create_distributed_table with PRIMARY KEY (id): $out"
c <<SQL >/dev/null
ALTER TABLE b DROP CONSTRAINT b_pkey, ADD PRIMARY KEY (address, id);
SELECT create_distributed_table('b', 'address', shard_count => 8);
SQL
plain -c 'COPY b TO STDOUT' | c -c 'COPY b FROM STDIN'
check "the cluster holds all $N bounces, on 8 shards over $CITUS_WORKERS workers" \
	"$(c -c "SELECT count(*) FROM b")|$(c -c "SELECT count(*), count(DISTINCT nodeport) FROM citus_shards WHERE table_name = 'b'::regclass")" \
	"$N|8|$CITUS_WORKERS"

per_bounce="SELECT id, address, occurred_at,
       bounce.classify(diagnostic, reply_code, status::bounce.smtp_status) AS reason,
       bounce.is_hard(bounce.classify(diagnostic, reply_code, status::bounce.smtp_status), reply_code, status::bounce.smtp_status) AS hard,
       bounce.recurring(occurred_at) OVER w AS recurring,
       bounce.suppress(occurred_at) OVER w AS suppressed,
       bounce.streak(occurred_at, reply_code = 250) OVER w AS streak
  FROM b WINDOW w AS (PARTITION BY address ORDER BY occurred_at, id)"

# ---- pushdown ----------------------------------------------------------
plan=$(c -c "SET citus.explain_all_tasks = on" -c "EXPLAIN (COSTS OFF, VERBOSE) $per_bounce ORDER BY id")
coord_part=$(echo "$plan" | sed '/Custom Scan (Citus Adaptive)/q')
tasks=$(echo "$plan" | grep -oE 'Task Count: [0-9]+' | grep -oE '[0-9]+')
check "EXPLAIN: the per-bounce query runs as 8 shard tasks" "$tasks" 8
check "EXPLAIN: one WindowAgg per shard task" "$(echo "$plan" | grep -c 'WindowAgg')" 8
check "EXPLAIN: no WindowAgg on the coordinator (it only merges)" "$(echo "$coord_part" | grep -c 'WindowAgg')" 0
check "EXPLAIN: classify() and recurring() are evaluated in the shard tasks" \
	"$(echo "$plan" | sed '1,/Custom Scan (Citus Adaptive)/d' | grep -c 'Output: .*bounce\.classify(.*bounce\.recurring(')" 8
plan=$(c -c "EXPLAIN (COSTS OFF) SELECT id, bounce.recurring(occurred_at) OVER (PARTITION BY reply_code ORDER BY occurred_at, id) FROM b")
check "EXPLAIN: a window partitioned by another column runs on the coordinator (WindowAgg above the Citus scan)" \
	"$(echo "$plan" | sed '/Custom Scan (Citus Adaptive)/q' | grep -c 'WindowAgg')" 1

# ---- equivalence -------------------------------------------------------
plain -c "COPY ($per_bounce ORDER BY id) TO STDOUT" >"$CITUS_DIR/plain.tsv"
c -c "COPY ($per_bounce ORDER BY id) TO STDOUT" >"$CITUS_DIR/citus.tsv"
read -r rows nrec nsup nreason < <(awk -F'\t' '{n++; r += ($6 == "t"); s += ($7 == "t"); reasons[$4]} END {print n, r, s, length(reasons)}' "$CITUS_DIR/plain.tsv")
if [ "$rows" = "$N" ] && [ "$nrec" -gt 50 ] && [ "$nsup" -gt 50 ] && [ "$nreason" -ge 6 ]; then
	ok "the data has something to compare: $rows bounces, $nrec recurring, $nsup suppressed, $nreason reasons"
else
	bad "the data is too poor to compare: $rows bounces, $nrec recurring, $nsup suppressed, $nreason reasons"
fi
if [ "$(wc -l <"$CITUS_DIR/citus.tsv")" = "$N" ] && cmp -s "$CITUS_DIR/plain.tsv" "$CITUS_DIR/citus.tsv"; then
	ok "per bounce: reason, hard, recurring, suppressed and streak identical on the cluster and one node"
else
	bad "per bounce: $(diff "$CITUS_DIR/plain.tsv" "$CITUS_DIR/citus.tsv" | grep -c '^[<>]') lines differ, first: $(diff "$CITUS_DIR/plain.tsv" "$CITUS_DIR/citus.tsv" | head -n 4 | tr '\n' ' ')"
fi
agg="SELECT reason, date_trunc('month', occurred_at) AS month, count(*), count(*) FILTER (WHERE recurring),
            count(*) FILTER (WHERE suppressed), max(streak)
       FROM ($per_bounce) x GROUP BY 1, 2 ORDER BY 1, 2"
agg_plain=$(plain -c "$agg")
agg_citus=$(c -c "$agg")
if [ -n "$agg_plain" ] && [ "$agg_plain" = "$agg_citus" ]; then
	ok "aggregates per reason and month over the window results identical ($(echo "$agg_plain" | wc -l) groups)"
else
	bad "aggregates per reason and month differ: $(diff <(echo "$agg_plain") <(echo "$agg_citus") | head -n 4 | tr '\n' ' ')"
fi

# ---- time zone ---------------------------------------------------------
# The second bounce is 3 months after the first in UTC, not in
# Pacific/Kiritimati (UTC+14): recurring() gives t and f.
c -c "INSERT INTO b VALUES (-1, 'tz@example.be', '2024-01-31 00:00+00', 550, '5.1.1', 'x'),
                           (-2, 'tz@example.be', '2024-04-30 12:00+00', 550, '5.1.1', 'x')"
tzq="SELECT string_agg(left(r::text, 1), ',' ORDER BY id DESC) FROM (SELECT id, bounce.recurring(occurred_at) OVER (PARTITION BY address ORDER BY occurred_at) AS r FROM b WHERE address = 'tz@example.be') x"
one() { # the second of two bounces 3 months apart in UTC, not in Kiritimati, on one node
	plain -c "SET TimeZone = '$1'" -c "SELECT r FROM (SELECT t, bounce.recurring(t) OVER (ORDER BY t) AS r
		FROM (VALUES ('2024-01-31 00:00+00'::timestamptz), ('2024-04-30 12:00+00')) v(t)) x ORDER BY t DESC LIMIT 1"
}
check "time zone: one node computes in the session's zone (UTC: recurring; Kiritimati: not)" \
	"$(one UTC) $(one Pacific/Kiritimati)" "t f"
check "time zone: a session SET TimeZone on the coordinator does not reach the workers (they compute in UTC)" \
	"$(c -c "SET TimeZone = 'Pacific/Kiritimati'" -c "$tzq")" "f,t"
check "time zone: SET LOCAL TimeZone with citus.propagate_set_commands = 'local' does" \
	"$(c -c "BEGIN" -c "SET LOCAL citus.propagate_set_commands = 'local'" -c "SET LOCAL TimeZone = 'Pacific/Kiritimati'" -c "$tzq" -c "COMMIT")" "f,f"
check "time zone: set_config(..., true), as refresh() sets it, does not" \
	"$(c -c "BEGIN" -c "SET LOCAL citus.propagate_set_commands = 'local'" -c "DO \$\$ BEGIN PERFORM set_config('TimeZone', 'Pacific/Kiritimati', true); END \$\$" -c "$tzq" -c "COMMIT")" "f,t"

# ---- distribute() -----------------------------------------------------
out=$(plain -c "SELECT bounce.distribute()" 2>&1)
[[ $out == *"needs Citus: the citus extension is not installed"* ]] &&
	ok "distribute() on a node without Citus: refused, saying why" ||
	bad "distribute() without Citus: $out"
check "distribute() on a node without Citus: SQLSTATE 55000" \
	"$(plain -c "DO \$\$ BEGIN PERFORM bounce.distribute(); EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$" 2>&1 | grep -oE '[0-9A-Z]{5}$')" "55000"
out=$(citus_psql 1 -qAt -c "SELECT bounce.distribute()" 2>&1)
[[ $out == *"must run on a Citus coordinator"*"a worker (group 1)"* ]] &&
	ok "distribute() on a worker: refused, naming the node's group" ||
	bad "distribute() on a worker: $out"
check "distribute(8) on the coordinator: the bounces' tables, distributed by address" \
	"$(c -c "SELECT string_agg(table_name || ':' || kind, ',') FROM bounce.distribute(8)")" \
	"bounce.event:distributed by address,bounce.attribution:distributed by address, co-located with event,bounce.pending:distributed by address, co-located with event,bounce.shard:distributed by address, co-located with event"
check "pg_dist_partition: event, attribution, pending and the marker shard hash-distributed on address, one co-location group, 8 shards each; nothing else of bounce" \
	"$(c -c "SELECT string_agg(p.logicalrelid::text || ':' || p.partmethod::text || ':' || column_to_column_name(p.logicalrelid, p.partkey), ',' ORDER BY p.logicalrelid::text), count(DISTINCT p.colocationid), min(n), max(n)
	           FROM pg_dist_partition p, LATERAL (SELECT count(*) AS n FROM pg_dist_shard s WHERE s.logicalrelid = p.logicalrelid) s
	          WHERE p.logicalrelid::text LIKE 'bounce.%'")" \
	"bounce.attribution:h:address,bounce.event:h:address,bounce.pending:h:address,bounce.shard:h:address|1|8|8"
check "the marker shard: one row in each of event's 8 shards" \
	"$(c -c "SELECT count(*), count(DISTINCT get_shard_id_for_distribution_column('bounce.shard', address)) FROM bounce.shard")" "8|8"
out=$(c -c "SELECT bounce.distribute()" 2>&1)
[[ $out == *"bounce is already distributed"* ]] && ok "a second distribute(): refused, already distributed" ||
	bad "second distribute(): $out"

# ---- the same registry on one node and on the cluster -----------------
# Registrars of three categories with month-end registrations (some months
# missing: unrated quarters), and bounces in two loads: the second has
# late bounces (dated among the first load's bounces of the same
# addresses), new addresses, and keys of the first load again.  Each load
# goes through record_batch() in batches of 500 on both; then the views
# are compared row by row, after the full refresh of the first load,
# after the incremental refresh of the second, and after a full one.
plain >/dev/null <<SQL
SELECT setseed(0.1931);
CREATE TABLE reg_b (o integer PRIMARY KEY, load integer, k text, address text, t timestamptz,
                    regs integer[], rc integer, st text, diag text);
INSERT INTO reg_b
SELECT g, CASE WHEN g > $N * 8 / 10 THEN 2 ELSE 1 END, 'm' || g || '@mx.example/' || a, a, t, regs, rc, st, diag
  FROM generate_series(1, $N) g,
       LATERAL (SELECT 'u' || (random() * $N / 8)::int || '@d' || (random() * 40)::int || '.example' || left(g::text, 0) AS a,
                       '2024-01-01 00:00+00'::timestamptz + random() * interval '700 days' AS t) x,
       LATERAL (SELECT ARRAY(SELECT DISTINCT 1 + (random() * 39)::int + g * 0 FROM generate_series(1, 1 + (random() < 0.1)::int)) AS regs) r,
       LATERAL (SELECT * FROM (VALUES
           (550, '5.1.1', '550 5.1.1 <x@example.be>: Recipient address rejected: User unknown in virtual mailbox table'),
           (552, '5.2.2', '552 5.2.2 The email account that you tried to reach is over quota'),
           (451, '4.2.2', '451 4.2.2 Mailbox full, try again later'),
           (554, '5.7.1', '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org'),
           (550, NULL, '550 Requested action not taken: mailbox unavailable'),
           (NULL, '5.4.4', 'Host or domain name not found. Name service error for name=example.invalid'))
         AS v(rc, st, diag) OFFSET floor(random() * 6 + g * 0)::int LIMIT 1) d(rc, st, diag);
-- the second load repeats 200 keys of the first (nothing new is recorded)
INSERT INTO reg_b SELECT $N + o, 2, k, address, t, regs, rc, st, diag FROM reg_b WHERE o % 97 = 0 AND load = 1 LIMIT 200;
-- one bounce in 13 of the second load names no registrars: charged from the contacts
UPDATE reg_b SET regs = NULL WHERE load = 2 AND o <= $N AND o % 13 = 0;
-- the contacts of those addresses: one or two registrars, one or two domains each
CREATE TABLE contact_src AS
SELECT DISTINCT address, 1 + abs(hashtext(address) + r) % 40 AS registrar_id,
       'dom' || abs(hashtext(address) + d) % 1000 || '.be' AS domain, tstzrange('2023-06-01', NULL) AS valid
  FROM reg_b, generate_series(0, abs(hashtext(address)) % 2) r, generate_series(0, abs(hashtext(address) / 7) % 2) d
 WHERE regs IS NULL;
SQL
registry_sql() { # the registrars, their registrations and the zone, as SQL
	cat <<-SQL
	UPDATE bounce.config SET time_zone = 'Europe/Brussels';
	INSERT INTO bounce.registrar SELECT r, 'Registrar ' || r, (ARRAY['reseller', 'hosting', 'retail'])[1 + r % 3] FROM generate_series(1, 40) r;
	INSERT INTO bounce.registration SELECT r, m, 1000 * r + 10 * extract(month FROM m)
	  FROM generate_series(1, 40) r, generate_series('2024-01-01'::date, '2025-12-01', '1 month') m
	 WHERE (r * 7 + extract(month FROM m)::int) % 11 <> 0;
	SQL
}
load_sql() { # the bounces of load $1 as record_batch() calls
	plain -c "SELECT format('SELECT count(*) FROM bounce.record_batch(%L);',
	                        jsonb_agg(jsonb_build_object('key', k, 'address', address, 'occurred_at', t, 'registrars', to_jsonb(regs),
	                                                     'reply_code', rc, 'status', st, 'diagnostic', diag) ORDER BY o))
	            FROM reg_b WHERE load = $1 GROUP BY o / 500 ORDER BY o / 500"
}
registry_sql | plain >/dev/null
registry_sql | c >/dev/null
t0=$(date +%s%N); load_sql 1 | plain >/dev/null; plain_ms=$((($(date +%s%N) - t0) / 1000000))
t0=$(date +%s%N); load_sql 1 | c >/dev/null; citus_ms=$((($(date +%s%N) - t0) / 1000000))
n1=$(plain -c "SELECT count(*) FROM reg_b WHERE load = 1")
check "load 1 through record_batch(): the same $n1 bounces on both (one node ${plain_ms} ms, cluster ${citus_ms} ms)" \
	"$(plain -c "SELECT count(*), count(DISTINCT address) FROM bounce.event")" \
	"$(c -c "SELECT count(*), count(DISTINCT address) FROM bounce.event")"
check "the cluster's bounces are on its shards, placed on the $CITUS_WORKERS workers" \
	"$(c -c "SELECT sum(result::bigint) FROM run_command_on_shards('bounce.event', 'SELECT count(*) FROM %s')")|$(c -c "SELECT count(DISTINCT pl.groupid), bool_and(pl.groupid > 0) FROM pg_dist_placement pl JOIN pg_dist_shard s USING (shardid) WHERE s.logicalrelid = 'bounce.event'::regclass")" \
	"$(c -c "SELECT count(*) FROM bounce.event")|$CITUS_WORKERS|t"

views="flagged_event monthly monthly_score quarterly_score top_errors benchmark fix_list address_status quarterly group_score"
compare() { # compare STAGE: every view and summary, row by row, on both
	local v q ndiff total=0 rows=0 bad_views=""
	for v in $views; do
		if [ "$v" = flagged_event ]; then	# ids are each node's own
			q="SELECT concat_ws('|', address, occurred_at, reply_code, status, reason, hard, permanent, counted, recurring, suppressed) AS x FROM bounce.flagged_event"
		else
			q="SELECT x::text AS x FROM bounce.$v x"
		fi
		plain -c "COPY ($q ORDER BY 1) TO STDOUT" >"$CITUS_DIR/p-$v.txt"
		c -c "COPY ($q ORDER BY 1) TO STDOUT" >"$CITUS_DIR/c-$v.txt" 2>"$CITUS_DIR/c-$v.err"
		ndiff=$(diff "$CITUS_DIR/p-$v.txt" "$CITUS_DIR/c-$v.txt" | grep -c '^[<>]')
		rows=$((rows + $(wc -l <"$CITUS_DIR/p-$v.txt")))
		if [ "$ndiff" != 0 ] || [ -s "$CITUS_DIR/c-$v.err" ]; then
			bad_views="$bad_views $v($ndiff lines$(head -c 200 "$CITUS_DIR/c-$v.err"))"
			total=$((total + ndiff))
		fi
	done
	if [ -z "$bad_views" ] && [ "$rows" -gt 0 ]; then
		ok "$1: every view identical on one node and the cluster ($rows rows: $views)"
	else
		bad "$1: differences in$bad_views"
	fi
}
flags_summary() { # counted, recurring, suppressed bounces and rated quarters (to show the data has substance)
	plain -c "SELECT (SELECT count(*) FILTER (WHERE counted) || ' counted, ' || count(*) FILTER (WHERE recurring) || ' recurring, '
	                  || count(*) FILTER (WHERE suppressed) || ' suppressed' FROM bounce.flagged_event)
	                 || ', ' || (SELECT count(*) FROM bounce.quarterly WHERE per_1m IS NOT NULL) || ' rated quarters'"
}

t0=$(date +%s%N); plain -c "CALL bounce.refresh()"; plain_ms=$((($(date +%s%N) - t0) / 1000000))
t0=$(date +%s%N); c -c "CALL bounce.refresh()"; citus_ms=$((($(date +%s%N) - t0) / 1000000))
check "first refresh: full on both (one node ${plain_ms} ms, cluster ${citus_ms} ms)" \
	"$(plain -c "SELECT last_kind, last_events FROM bounce.refresh_state")" "$(c -c "SELECT last_kind, last_events FROM bounce.refresh_state")"
echo "# after the full refresh: $(flags_summary)"
compare "after the full refresh"

# The full refresh's pass runs per shard: refresh_scan() on the coordinator
# sends one query over the marker table, which Citus runs as one task per
# shard, each calling refresh_scan_shard() on a worker; what travels is two
# bytes of flags per bounce and the counts.
settings=$(c -c "SELECT format('%L, %L, %s, %L, %L, %L', recurring_min_gap, recurring_max_gap, suppress_strikes, suppress_span, count_kind = 'hard', time_zone) FROM bounce.config")
shard_q="SELECT s.* FROM bounce.shard m CROSS JOIN LATERAL bounce_internal.refresh_scan_shard(m.tableoid, $settings, NULL) s"
plan=$(c -c "SET citus.explain_all_tasks = on" -c "EXPLAIN (COSTS OFF, VERBOSE) $shard_q")
check "EXPLAIN: the shard pass runs as 8 tasks, each calling refresh_scan_shard() on a worker, over one shard of the marker" \
	"$(echo "$plan" | grep -c -- '-> *Task$')|$(echo "$plan" | grep -c 'Function Scan on bounce_internal.refresh_scan_shard')|$(echo "$plan" | grep -oE 'Node: host=[^ ]+ port=[0-9]+' | grep -vc "port=${CITUS_PORTS[0]}\$")|$(echo "$plan" | grep -oE 'bounce\.shard_[0-9]+ m' | sort -u | wc -l)" \
	"8|8|8|8"
check "what the shards send: 2 bytes of flags per bounce, counts that add up to monthly_status's, and one total per shard" \
	"$(c -c "SELECT sum(octet_length(entries)) / 2, sum(counted) FILTER (WHERE registrar_id IS NOT NULL), count(*) FILTER (WHERE block IS NULL AND registrar_id IS NULL), sum(counted) FILTER (WHERE block IS NULL AND registrar_id IS NULL) FROM ($shard_q) s")" \
	"$(c -c "SELECT count(*) FROM bounce.event")|$(c -c "SELECT sum(counted) FROM bounce.monthly_status")|8|$(c -c "SELECT count(*) FROM bounce.event")"
m1=$(c -c "SELECT address FROM bounce.shard ORDER BY address LIMIT 1")
out=$(c -c "BEGIN" -c "DELETE FROM bounce.shard WHERE address = '$m1'" -c "CALL bounce.refresh(full => true)" 2>&1)
[[ $out == *"7 shards answered, but bounce.event has 8"* ]] &&
	ok "refresh() goes through the marker: without the row of one shard it fails, saying so" ||
	bad "refresh() without a marker row: $out"
out=$(c -c "SELECT count(*) FROM bounce_internal.refresh_scan_shard('bounce.event'::regclass, '14 days', '3 months', 3, '15 days', false, 'UTC', NULL)" 2>&1)
[[ $out == *"is not a shard of bounce.shard"* ]] && ok "refresh_scan_shard() on a relation that is not a marker shard: refused" ||
	bad "refresh_scan_shard() on bounce.event: $out"
out=$(c -c "SELECT count(*) FROM bounce.shard m CROSS JOIN LATERAL bounce_internal.refresh_scan_shard(m.tableoid, '14 days', '3 months', 3, '15 days', false, 'Mars/Olympus', NULL) s" 2>&1)
[[ $out == *"invalid value for parameter \"TimeZone\": \"Mars/Olympus\""* ]] && ok "refresh_scan_shard() with an unknown time zone: refused, naming it" ||
	bad "refresh_scan_shard() with an unknown zone: $out"

# contacts through the coordinator: load_contacts() from a table of the
# coordinator, the same source on both
c -c "CREATE TABLE contact_src (address text, registrar_id integer, domain text, valid tstzrange)"
plain -c "COPY contact_src TO STDOUT" | c -c "COPY contact_src FROM STDIN"
contacts_sql="SELECT count(*), count(DISTINCT address), md5(string_agg(c::text, ',' ORDER BY c::text)) FROM bounce.contact c"
c_contacts=$(c -c "SELECT * FROM bounce.load_contacts('contact_src')" -c "$contacts_sql" | tr '\n' ' ')
p_contacts=$(plain -c "SELECT * FROM bounce.load_contacts('contact_src')" -c "$contacts_sql" | tr '\n' ' ')
check "load_contacts() through the coordinator: the same counts and contacts as one node ($(echo "$p_contacts" | cut -d' ' -f2 | cut -d'|' -f1) contacts)" \
	"$c_contacts" "$p_contacts"
[[ $p_contacts == [1-9]* ]] || bad "load_contacts() loaded nothing on one node: '$p_contacts'"
t0=$(date +%s%N); load_sql 2 | plain >/dev/null; load_sql 2 | c >/dev/null
attributed_sql="SELECT count(DISTINCT (a.address, a.event_id)), count(*), md5(string_agg(concat_ws('|', e.idempotency_key, a.registrar_id, a.domains), ',' ORDER BY e.idempotency_key, a.registrar_id))
                  FROM bounce.attribution a JOIN bounce.event e ON e.address = a.address AND e.id = a.event_id WHERE a.domains IS NOT NULL"
nattr=$(plain -c "$attributed_sql" | cut -d'|' -f1)
check "load 2's bounces without registrars ($nattr) are charged from the contacts alike on both" \
	"$(c -c "$attributed_sql")" "$(plain -c "$attributed_sql")"
[ "${nattr:-0}" -gt 100 ] && ok "enough bounces attributed from contacts to compare ($nattr)" || bad "too few bounces attributed from contacts: $nattr"
check "load 2 (late bounces, new addresses, 200 keys again): the same bounces and queue on both" \
	"$(plain -c "SELECT count(*) FROM bounce.event" -c "SELECT count(*) FROM bounce.pending" | tr '\n' ' ')" \
	"$(c -c "SELECT count(*) FROM bounce.event" -c "SELECT count(*) FROM bounce.pending" | tr '\n' ' ')"
late=$(plain -c "SELECT count(*) FROM reg_b n WHERE n.load = 2 AND n.o <= $N AND EXISTS (SELECT FROM reg_b o WHERE o.load = 1 AND o.address = n.address AND o.t > n.t)")
out=$(c -c "BEGIN" -c "DELETE FROM bounce.shard WHERE address = '$m1'" -c "CALL bounce.refresh()" 2>&1)
[[ $out == *"7 shards answered, but bounce.event has 8"* ]] &&
	ok "the incremental refresh goes through the marker as well: without the row of one shard it fails" ||
	bad "incremental refresh() without a marker row: $out"
t0=$(date +%s%N); plain -c "CALL bounce.refresh()"; plain_ms=$((($(date +%s%N) - t0) / 1000000))
t0=$(date +%s%N); c -c "CALL bounce.refresh()"; citus_ms=$((($(date +%s%N) - t0) / 1000000))
check "second refresh: incremental on both, over the same bounces (one node ${plain_ms} ms, cluster ${citus_ms} ms)" \
	"$(c -c "SELECT last_kind, last_events FROM bounce.refresh_state")" "$(plain -c "SELECT last_kind, last_events FROM bounce.refresh_state")"
echo "# load 2 holds $late late bounces (earlier than a bounce of the same address already refreshed)"
[ "$late" -gt 100 ] && ok "the second load has late bounces to get right ($late)" || bad "too few late bounces: $late"
compare "after the incremental refresh"
plain -c "CALL bounce.refresh(full => true)"; c -c "CALL bounce.refresh(full => true)"
compare "after a full refresh of both loads"

# ---- a registrar's rows through the coordinator -----------------------
# Registrars read only through the my_ functions (SECURITY DEFINER, on the
# coordinator); their roles have no privilege on any table.
for node in plain c; do
	$node >/dev/null <<-SQL
	CREATE ROLE bt_citus_reg3 LOGIN; CREATE ROLE bt_citus_reg7 LOGIN;
	SELECT bounce.grant_registrar(3, 'bt_citus_reg3'), bounce.grant_registrar(7, 'bt_citus_reg7');
	SQL
done
mine="my_fix_list my_flagged_event my_monthly_score my_quarterly_score my_top_errors my_address_status my_benchmark"
rls_bad="" rls_rows=0
for role in bt_citus_reg3 bt_citus_reg7; do
	for f in $mine; do
		q="SELECT (to_jsonb(x) - 'id')::text FROM bounce.$f() x ORDER BY 1"
		p_out=$(plain -c "SET ROLE $role" -c "$q" 2>&1)
		c_out=$(c -c "SET ROLE $role" -c "$q" 2>&1)
		rls_rows=$((rls_rows + $(echo -n "$p_out" | grep -c .)))
		[ "$p_out" = "$c_out" ] || rls_bad="$rls_bad $role:$f($(diff <(echo "$p_out") <(echo "$c_out") | grep -c '^[<>]') lines)"
	done
done
[ -z "$rls_bad" ] && [ "$rls_rows" -gt 100 ] &&
	ok "two registrars' my_ functions give the same rows on one node and through the coordinator ($rls_rows rows)" ||
	bad "registrars' my_ functions differ:$rls_bad ($rls_rows rows)"
check "through the coordinator a registrar sees only its own: its fix list holds its registrar alone" \
	"$(c -c "SET ROLE bt_citus_reg3" -c "SELECT string_agg(DISTINCT registrar_id::text, ',') FROM bounce.my_fix_list()")" "3"
out=$(c -c "SET ROLE bt_citus_reg3" -c "SELECT count(*) FROM bounce.event" 2>&1)
[[ $out == *"permission denied for table event"* ]] && ok "a registrar's role reading the distributed event directly: permission denied" ||
	bad "a registrar reading bounce.event on the cluster: $out"
plain -c "DROP OWNED BY bt_citus_reg3, bt_citus_reg7" -c "DROP ROLE bt_citus_reg3" -c "DROP ROLE bt_citus_reg7" >/dev/null

# ---- clean-up ----------------------------------------------------------
# A cluster in a child shell, interrupted as Ctrl-C would: its nodes stop
# and its directory goes.
dirfile="$CITUS_DIR/child-dir"
cat >"$CITUS_DIR/child.sh" <<EOF
source '$ROOT/test/citus/cluster.sh'
CITUS_WORKERS=1 citus_start_cluster 2>/dev/null
echo "\$CITUS_DIR \$(head -qn 1 "\$CITUS_DIR"/node*/data/postmaster.pid | tr '\n' ' ')" >'$dirfile'
kill -INT \$\$
sleep 60
EOF
bash "$CITUS_DIR/child.sh" 2>/dev/null
read -r child_dir child_pids <"$dirfile"
for _ in $(seq 1 50); do	# a postmaster removes its pid file just before it exits
	alive=0
	for p in $child_pids; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
	[ "$alive" = 0 ] && break
	sleep 0.1
done
if [ -n "$child_dir" ] && [ ! -e "$child_dir" ] && [ "$alive" = 0 ] && [ -n "$child_pids" ]; then
	ok "an interrupted cluster stops its $(echo $child_pids | wc -w) nodes and removes its directory"
else
	bad "interrupted cluster: directory '$child_dir' $([ -e "$child_dir" ] && echo left || echo removed), $alive of '$child_pids' still running"
fi

"$BINDIR/psql" -X -q -d postgres -c 'DROP DATABASE bounce_citus_plain' 2>/dev/null
echo "# Citus part: $(($(date +%s) - t_suite)) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
