# Load and scheduling.  A pg_cron job (pg_cron is preloaded in the test
# node) refreshes the test database every minute.  While it waits for its
# first run, pgbench ingests with 4 clients whose keys collide on purpose
# (single bounces, and batches of ten keys in random order),
# while 2 more clients run CALL bounce.refresh() over and over (two
# refreshes at once).  Afterwards every bounce is there exactly once, every
# caller of a key got the same id, the summaries equal a full recompute, and
# cron.job_run_details shows the scheduled refresh succeeded.
use strict;
use warnings;
use Test::More;
use IPC::Run;
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $node = bounce_node('load_cron');
my $db = fresh_db($node, 'bounce_tap_load');
psql_ok($node, $db, q{
	CREATE EXTENSION bounce;
	INSERT INTO bounce.registrar SELECT i, 'R' || i FROM generate_series(1, 5) i;
	INSERT INTO bounce.registration SELECT r, m, 10000 FROM generate_series(1, 5) r,
	       generate_series('2024-01-01'::date, '2025-12-01', '1 month') m;
	CREATE TABLE attempt (k integer, id bigint);
	CREATE SEQUENCE batch_keys;
});

# schedule first: pg_cron 1.4 runs at the next minute boundary
my $job = psql_ok($node, 'postgres', qq{SELECT cron.schedule_in_database('bounce-tap-refresh', '* * * * *', 'CALL bounce.refresh()', '$db')});
like($job, qr/^\d+$/, "refresh scheduled with cron.schedule_in_database (job $job)");
my $t0 = time();

my $dir = PostgreSQL::Test::Utils::tempdir;
open my $fh, '>', "$dir/ingest.sql" or die;
print $fh <<'EOF';
\set k random(1, 1500)
INSERT INTO attempt SELECT :k, bounce.record_bounce('msg-' || :k || '/rcpt', 'user' || (:k % 300) || '@Example.be',
       timestamptz '2024-01-01 00:00+00' + (:k * 7 % 700) * interval '1 day', ARRAY[1 + :k % 5, 1 + :k % 3],
       550, CASE WHEN :k % 4 = 0 THEN '5.2.2' ELSE '5.1.1' END, 'load test');
EOF
close $fh;
# batches of ten new keys in random order, each set of keys sent by two
# batches at about the same time: two batches with the same keys in
# different orders must not deadlock (record_batch() inserts in key order)
my @bk = 1 .. 10;
open $fh, '>', "$dir/batch.sql" or die;
print $fh "SELECT 100000 + nextval('batch_keys') / 2 * 10 AS base \\gset\n";
print $fh join('', map { "\\set k$_ :base + random(1, 10)\n" } @bk);
print $fh "INSERT INTO attempt SELECT (ARRAY[" . join(', ', map { ":k$_" } @bk) . "])[b.element], b.bounce_id FROM bounce.record_batch(jsonb_build_array(\n";
print $fh join(",\n", map { "  jsonb_build_object('key', 'msg-' || :k$_ || '/rcpt', 'address', 'user' || (:k$_ % 300) || '\@Example.be', "
	. "'occurred_at', timestamptz '2024-01-01 00:00+00' + (:k$_ * 7 % 700) * interval '1 day', 'registrars', ARRAY[1 + :k$_ % 5, 1 + :k$_ % 3], "
	. "'reply_code', 550, 'status', CASE WHEN :k$_ % 4 = 0 THEN '5.2.2' ELSE '5.1.1' END, 'diagnostic', 'load test')" } @bk);
print $fh ")) b;\n";
close $fh;
open $fh, '>', "$dir/refresh.sql" or die;
print $fh "CALL bounce.refresh();\n";
close $fh;

# the clients run against this node
local $ENV{PGHOST} = $node->host;
local $ENV{PGPORT} = $node->port;
my ($rout, $rerr, $out, $err) = ('', '', '', '');
my $refresher = IPC::Run::start(['pgbench', '-n', '-c', '2', '-j', '2', '-T', '6', '-f', "$dir/refresh.sql", $db],
	'>', \$rout, '2>', \$rerr);
my $ingested = IPC::Run::run(['pgbench', '-n', '-c', '4', '-j', '2', '-t', '600', '-f', "$dir/ingest.sql", '-f', "$dir/batch.sql", $db],
	'>', \$out, '2>', \$err);
my $refreshed = $refresher->finish;
ok($ingested, 'pgbench ingestion ran without error') or diag($out . $err);
like($out, qr/number of transactions actually processed: 2400\b/, '2400 ingest transactions (single bounces and batches) processed');
like($out, qr/^number of failed transactions: 0\b/m, 'no transaction failed (batches with the same keys did not deadlock)');
ok($refreshed, 'two concurrent refresh loops ran without error') or diag($rout . $rerr);
my ($refreshes) = $rout =~ /number of transactions actually processed: (\d+)/;
ok(($refreshes // 0) >= 4, 'refreshes ran concurrently with ingestion (' . ($refreshes // 0) . ')');

ok(psql_ok($node, $db, 'SELECT count(*) FROM attempt') > 2400, 'every attempt returned (a batch returns ten)');
ok(($out =~ /batch\.sql.*?\n.*?- (\d+) transactions/s ? $1 : 0) > 50, 'batches ran') or diag($out);
is(psql_ok($node, $db, 'SELECT count(*) FROM (SELECT k FROM attempt GROUP BY k HAVING count(DISTINCT id) <> 1) d'), '0',
	'every caller of a key got the same id');
is(psql_ok($node, $db, 'SELECT count(DISTINCT k) = (SELECT count(*) FROM bounce.event) FROM attempt'), 't',
	'one bounce per distinct key, no more, no less');
is(psql_ok($node, $db, q{SELECT count(*) FROM attempt a JOIN bounce.event e ON e.id = a.id WHERE e.idempotency_key <> 'msg-' || a.k || '/rcpt'}),
	'0', 'each id is the bounce of its key');
is(psql_ok($node, $db, q{SELECT count(*) FROM bounce.event e WHERE (SELECT count(*) FROM bounce.attribution a WHERE a.event_id = e.id)
	<> (SELECT count(DISTINCT r) FROM regexp_split_to_table(substring(e.idempotency_key from '\d+'), 'x') k,
	    LATERAL (VALUES (1 + k::int % 5), (1 + k::int % 3)) v(r))}), '0', 'each bounce attributed exactly once to each of its registrars');

# the concurrent refreshes left consistent summaries
my $state = q{SELECT md5(string_agg(x, ';' ORDER BY x)) FROM (
	SELECT row(m.*)::text AS x FROM bounce.monthly m UNION ALL SELECT row(s.*)::text FROM bounce.monthly_status s
	UNION ALL SELECT row(e.*)::text FROM bounce.event_flags e) u};
psql_ok($node, $db, 'CALL bounce.refresh()');
my $inc = psql_ok($node, $db, $state);
psql_ok($node, $db, 'CALL bounce.refresh(full => true)');
is($inc, psql_ok($node, $db, $state), 'after concurrent ingestion and refreshes, incremental state equals a full recompute');

# the scheduled refresh: wait (bounded) for its first run
my ($status, $msg) = ('', '');
while (time() - $t0 < 75) {
	($status, $msg) = split /\|/, psql_ok($node, 'postgres', qq{SELECT status, return_message FROM cron.job_run_details WHERE jobid = $job AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1}) . '|';
	last if $status;
	sleep(1);
}
is($status, 'succeeded', 'cron.job_run_details shows the scheduled CALL bounce.refresh() succeeded') or diag($msg);
is($msg, 'CALL', 'its return message is CALL');
psql_ok($node, 'postgres', qq{SELECT cron.unschedule($job)});

done_testing();
