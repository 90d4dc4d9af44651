# A refresh does not block the registry's other users.  A full refresh is
# held open (not committed) in one session; meanwhile other sessions, each
# with a 1 s lock_timeout, read every scoring view and record bounces.  They
# see the state before the refresh, and nothing they do waits for it.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep);
use BounceTest;

my $db = fresh_db('bounce_tap_locks');
psql_ok($db, q{
	CREATE EXTENSION bounce;
	INSERT INTO bounce.registrar VALUES (1, 'Alpha'), (2, 'Beta');
	INSERT INTO bounce.registration SELECT r, m, 1000 FROM generate_series(1, 2) r,
	       generate_series('2025-01-01'::date, '2025-12-01', '1 month') m;
	SELECT count(bounce.record('k' || i, 'u' || (i % 7) || '@x.be', timestamptz '2025-01-01 00:00+00' + i * interval '9 days',
	       ARRAY[1 + i % 2], 550, '5.1.1')) FROM generate_series(1, 40) i;
	CALL bounce.refresh();
});
my $before = psql_ok($db, 'SELECT sum(recurring) FROM bounce.monthly');
ok($before > 0, "the data has recurring bounces ($before)");

# change the gaps, so that the held refresh is a full one and changes the counts
psql_ok($db, q{UPDATE bounce.config SET recurring_min_gap = '1 day', recurring_max_gap = '1 month'});

my $pid = fork();
die "fork: $!" unless defined $pid;
if ($pid == 0) {
	my ($rc, $out) = psql($db, q{BEGIN; CALL bounce.refresh(); SELECT pg_sleep(6); COMMIT;});
	exit($rc ? 1 : 0);
}
# wait until the refresh has done its work and sits in pg_sleep
my $held = 0;
for (1 .. 50) {
	$held = psql_ok($db, qq{SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND state = 'active'
	                          AND query LIKE 'SELECT pg_sleep(6)%' AND backend_xid IS NOT NULL});
	last if $held;
	sleep 0.1;
}
is($held, '1', 'a full refresh is held open, uncommitted');

for my $view (qw(flagged_event monthly_score top_errors quarterly_score benchmark fix_list address_status)) {
	my ($rc, $out) = psql($db, "SET lock_timeout = '1s'; SELECT count(*) FROM bounce.$view");
	is($rc, 0, "$view can be read meanwhile") or diag($out);
}
is(psql_ok($db, q{SET lock_timeout = '1s'; SELECT sum(recurring) FROM bounce.monthly}), $before,
	'and shows the state before the refresh');
my ($rc, $out) = psql($db, q{SET lock_timeout = '1s';
	SELECT bounce.record('during', 'new@x.be', '2025-06-01 00:00+00', '{2}', 550, '5.1.1') > 0});
is($rc, 0, 'a bounce can be recorded meanwhile') or diag($out);

waitpid($pid, 0);
is($? >> 8, 0, 'the held refresh committed');
isnt(psql_ok($db, 'SELECT sum(recurring) FROM bounce.monthly'), $before, 'its result is visible after the commit');
is(psql_ok($db, q{SELECT count(*) FROM bounce.pending p JOIN bounce.event e ON e.id = p.event_id WHERE e.idempotency_key = 'during'}), '1',
	'the bounce recorded during the refresh is queued for the next one');
psql_ok($db, 'CALL bounce.refresh()');
is(psql_ok($db, q{SELECT counted FROM bounce.flagged_event WHERE address = 'new@x.be'}), 't', 'and the next refresh flags it');

psql_ok('postgres', "DROP DATABASE $db");
done_testing();
