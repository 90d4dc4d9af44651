# Incremental refresh equals a full recompute.  Random bounces (with
# repeated keys, late arrivals and several registrars per bounce) arrive in
# random order and random batches.  Database "inc" refreshes incrementally
# after each batch; database "ful" receives the same batches and recomputes
# everything each time.  After every batch the summaries, the per-bounce
# flags and the scoreboard must be identical.
use strict;
use warnings;
use Test::More;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $seed = $ENV{BOUNCE_SEED} // (time() % 100000);
srand($seed);
diag("seed $seed (rerun with BOUNCE_SEED=$seed)");

my $node = bounce_node('incremental');
my ($inc, $ful) = (fresh_db($node, 'bounce_tap_inc'), fresh_db($node, 'bounce_tap_ful'));
my $setup = q{
	CREATE EXTENSION bounce;
	UPDATE bounce.config SET time_zone = 'Europe/Brussels';
	INSERT INTO bounce.registrar SELECT i, 'R' || i, CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END FROM generate_series(1, 6) i;
	INSERT INTO bounce.registration SELECT r, m, 1000 * r FROM generate_series(1, 6) r,
	       generate_series('2024-01-01'::date, '2025-12-01', '1 month') m;
};
psql_ok($node, $_, $setup) for ($inc, $ful);

# 700 bounces of 40 addresses over two years; some keys repeat
my @codes = (['550', '5.1.1'], ['550', '5.1.1'], ['552', '5.2.2'], ['451', '4.2.2'], ['554', '5.7.1'], ['550', undef]);
my @events;
for my $i (1 .. 700) {
	my $addr = 'u' . int(rand(40)) . '@d' . int(rand(3)) . '.be';
	my $t = sprintf('2024-%02d-%02d %02d:%02d:00+00', 1 + int(rand(12)), 1 + int(rand(28)), int(rand(24)), int(rand(60)));
	$t =~ s/^2024/2025/ if rand() < 0.5;
	my ($rc, $st) = @{ $codes[int(rand(@codes))] };
	my %regs = map { (1 + int(rand(6))) => 1 } 1 .. (1 + int(rand(2)));
	push @events, sprintf('{"key": "k%d", "address": "%s", "occurred_at": "%s", "registrars": [%s], "reply_code": %s%s}',
		$i, $addr, $t, join(',', sort keys %regs), $rc, defined $st ? qq(, "status": "$st") : '');
}
push @events, @events[map { int(rand(700)) } 1 .. 50];    # duplicates
for (my $i = @events - 1; $i > 0; $i--) { my $j = int(rand($i + 1)); @events[$i, $j] = @events[$j, $i]; }

my $state = q{
	SELECT md5(coalesce(string_agg(x, ';' ORDER BY x), '')) FROM (
		SELECT 'm' || row(m.*)::text AS x FROM bounce.monthly m
		UNION ALL SELECT 's' || row(s.*)::text FROM bounce.monthly_status s
		UNION ALL SELECT 'e' || row(e.*)::text FROM bounce.event_flags e
		UNION ALL SELECT 'g' || row(g.*)::text FROM bounce.group_score g
		UNION ALL SELECT 'q' || row(q.*)::text FROM bounce.quarterly_score q
		UNION ALL SELECT 't' || row(t.*)::text FROM bounce.top_errors t
		UNION ALL SELECT 'f' || row(f.*)::text FROM bounce.fix_list f) u
};
my $batches = 0;
while (@events) {
	my $n = 1 + int(rand(150));
	my @b = splice(@events, 0, $n);
	my $json = '[' . join(",\n", @b) . ']';
	$json =~ s/'/''/g;
	psql_ok($node, $inc, "SELECT count(*) FROM bounce.record_batch('$json'); CALL bounce.refresh();");
	psql_ok($node, $ful, "SELECT count(*) FROM bounce.record_batch('$json'); CALL bounce.refresh(full => true);");
	$batches++;
	is(psql_ok($node, $inc, $state), psql_ok($node, $ful, $state), "batch $batches (" . scalar(@b) . " bounces): incremental equals full");
}
is(psql_ok($node, $inc, 'SELECT last_kind FROM bounce.refresh_state'), 'incremental', 'the incremental database refreshed incrementally');
is(psql_ok($node, $inc, 'SELECT count(*) FROM bounce.event'), '700', 'every bounce recorded once');
ok(psql_ok($node, $inc, 'SELECT count(*) FROM bounce.flagged_event WHERE recurring') > 20, 'the data has recurring bounces');
ok(psql_ok($node, $inc, 'SELECT count(*) FROM bounce.flagged_event WHERE suppressed') > 20, 'and suppressed ones');
is(psql_ok($node, $inc, 'SELECT count(*) FROM bounce.flagged_event WHERE counted IS NULL'), '0', 'every bounce has its flags');

# the summaries equal a direct SQL aggregate over the flags, the month
# taken in the configured zone (Brussels: many bounces fall on the first
# or last hours of a month in UTC)
my $agg = q{
	SELECT a.registrar_id, date_trunc('month', f.occurred_at AT TIME ZONE 'Europe/Brussels')::date AS month,
	       coalesce(f.status, CASE WHEN f.reply_code BETWEEN 400 AND 499 THEN '4.0.0' ELSE '5.0.0' END::bounce.smtp_status) AS status,
	       count(*) FILTER (WHERE f.counted) AS counted, count(*) FILTER (WHERE f.recurring) AS recurring
	  FROM bounce.flagged_event f JOIN bounce.attribution a ON a.event_id = f.id
	 GROUP BY 1, 2, 3 HAVING count(*) FILTER (WHERE f.counted) > 0
};
is(psql_ok($node, $inc, qq{
	SELECT count(*) FROM (($agg) EXCEPT SELECT registrar_id, month, status, counted, recurring FROM bounce.monthly_status) d}), '0',
	'monthly_status holds the aggregate of the flags');
is(psql_ok($node, $inc, qq{
	SELECT count(*) FROM (SELECT registrar_id, month, status, counted, recurring FROM bounce.monthly_status EXCEPT ($agg)) d}), '0',
	'and nothing else');

# the flags equal the window functions applied directly
is(psql_ok($node, $inc, q{
	SET TimeZone = 'Europe/Brussels';
	SELECT count(*) FROM (
		SELECT e.id, coalesce(CASE WHEN e.permanent THEN bounce.recurring(e.occurred_at) OVER (PARTITION BY e.address, coalesce(e.permanent, false) ORDER BY e.occurred_at, e.id) END, false) AS r
		  FROM bounce.event e) x JOIN bounce.flagged_event s ON s.id = x.id WHERE s.recurring IS DISTINCT FROM x.r}), '0',
	'recurring flags equal bounce.recurring() over the permanent bounces of each address');
is(psql_ok($node, $inc, q{
	SET TimeZone = 'Europe/Brussels';
	SELECT count(*) FROM (
		SELECT e.id, bounce.suppress(e.occurred_at, 3, '15 days', e.reason = 'delivered') OVER (PARTITION BY e.address ORDER BY e.occurred_at, e.id) AS s
		  FROM bounce.event e) x JOIN bounce.flagged_event f ON f.id = x.id WHERE f.suppressed IS DISTINCT FROM x.s}), '0',
	'suppressed flags equal bounce.suppress() over every bounce of each address');

# Denominators, categories and the trend length change without new
# bounces: the incremental refresh rescores only the registrar-quarters
# queued since the last one (quarter_queue), and must still pick each
# change up as a full recompute does.
my $late = q{SELECT count(*) FROM bounce.record_batch('[
	{"key": "late1", "address": "u1@d1.be", "occurred_at": "2024-02-10 08:00:00+00", "registrars": [5], "reply_code": 550, "status": "5.1.1"},
	{"key": "late2", "address": "u1@d1.be", "occurred_at": "2024-03-10 08:00:00+00", "registrars": [5], "reply_code": 550, "status": "5.1.1"}]')};
for my $change (
	["a month-end registration count", q{UPDATE bounce.registration SET registrations = registrations + 7 WHERE registrar_id = 2 AND month = '2025-06-01'}],
	["a removed quarter-end registration row", q{DELETE FROM bounce.registration WHERE registrar_id = 3 AND month = '2025-09-01'}],
	["a zero quarter-end count", q{UPDATE bounce.registration SET registrations = 0 WHERE registrar_id = 4 AND month = '2024-12-01'}],
	["a quarter-end row for a quarter that had none", q{INSERT INTO bounce.registration VALUES (3, '2025-09-01', 2500)}],
	["a portfolio overtaking another (ranks)", q{UPDATE bounce.registration SET registrations = 9000 WHERE registrar_id = 1 AND month = '2025-03-01'}],
	["a registrar's rows removed from a quarter", q{DELETE FROM bounce.registration WHERE registrar_id = 6 AND month BETWEEN '2024-04-01' AND '2024-06-01'}],
	["a changed category", q{UPDATE bounce.registrar SET category = 'odd' WHERE id = 2}],
	["new bounces and a changed count in one refresh", "$late; UPDATE bounce.registration SET registrations = 1234 WHERE registrar_id = 5 AND month = '2024-03-01'"],
	["registrations truncated and reloaded", q{TRUNCATE bounce.registration; INSERT INTO bounce.registration SELECT r, m, 900 * r FROM generate_series(1, 6) r, generate_series('2024-01-01'::date, '2025-12-01', '1 month') m}],
	["a count recorded by record_registration()", q{SELECT bounce.record_registration(2, '2025-12-01', 777)}],
	["changed star bands", q{UPDATE bounce.config SET star3_max = 100, star2_max = 200, star1_max = 300}],
	["a shorter trend", q{UPDATE bounce.config SET trend_quarters = 4}],
	["nothing", q{SELECT 1}])
{
	my ($what, $sql) = @$change;
	psql_ok($node, $inc, "$sql; CALL bounce.refresh();");
	psql_ok($node, $ful, "$sql; CALL bounce.refresh(full => true);");
	is(psql_ok($node, $inc, $state), psql_ok($node, $ful, $state), "after $what: incremental equals full");
	is(psql_ok($node, $inc, 'SELECT last_kind FROM bounce.refresh_state'), 'incremental', "after $what: the refresh was incremental");
}

# a refresh with nothing new rewrites no summary row
my $versions = q{
	SELECT md5(string_agg(x, ';' ORDER BY x)) FROM (
		SELECT 'q' || registrar_id || quarter || xmin AS x FROM bounce.quarterly
		UNION ALL SELECT 'g' || quarter || group_name || xmin FROM bounce.group_score
		UNION ALL SELECT 's' || registrar_id || month || status || xmin FROM bounce.monthly_status) u
};
my $v0 = psql_ok($node, $inc, $versions);
psql_ok($node, $inc, 'CALL bounce.refresh()');
is(psql_ok($node, $inc, $versions), $v0, 'a refresh with nothing new rewrites no summary row');
is(psql_ok($node, $inc, 'SELECT count(*) FROM bounce.quarter_queue'), '0', 'and leaves nothing queued');

# registrars added to bounces already recorded and refreshed: a writer
# cannot INSERT INTO attribution, it calls record_attribution(), which
# queues the bounces for a recount (the incremental pass counts a bounce
# for its registrars only when its flags change): the next refresh is full
my $add = q{SELECT sum(bounce.record_attribution(id, ARRAY[1 + (id % 6)::integer, 6])) FROM bounce.event WHERE id % 7 = 0};
ok(psql_ok($node, $inc, $add) > 20, 'registrars added to recorded bounces');
psql_ok($node, $ful, $add);
psql_ok($node, $inc, 'CALL bounce.refresh()');
psql_ok($node, $ful, 'CALL bounce.refresh(full => true)');
is(psql_ok($node, $inc, 'SELECT last_kind FROM bounce.refresh_state'), 'full', 'the refresh after record_attribution() is a full one');
is(psql_ok($node, $inc, $state), psql_ok($node, $ful, $state), 'and equals a full refresh');
psql_ok($node, $_, q{SELECT bounce.record_attribution(id, ARRAY[2]) FROM bounce.event WHERE id = 3}) for ($inc, $ful);
psql_ok($node, $inc, q{SELECT count(*) FROM bounce.record_batch('[{"key": "late", "address": "u1@d1.be", "occurred_at": "2025-06-03 10:00+00", "registrars": [3], "reply_code": 550}]'); CALL bounce.refresh();});
psql_ok($node, $ful, q{SELECT count(*) FROM bounce.record_batch('[{"key": "late", "address": "u1@d1.be", "occurred_at": "2025-06-03 10:00+00", "registrars": [3], "reply_code": 550}]'); CALL bounce.refresh(full => true);});
is(psql_ok($node, $inc, $state), psql_ok($node, $ful, $state), 'also with a new bounce queued beside the recount');
# the next bounce is refreshed incrementally again (a refresh with nothing
# new would end at once and leave refresh_state as it is)
my $next = q{SELECT count(*) FROM bounce.record_batch('[{"key": "late3", "address": "u2@d1.be", "occurred_at": "2025-06-04 10:00+00", "registrars": [4], "reply_code": 550}]')};
psql_ok($node, $inc, "$next; CALL bounce.refresh();");
psql_ok($node, $ful, "$next; CALL bounce.refresh(full => true);");
is(psql_ok($node, $inc, 'SELECT last_kind FROM bounce.refresh_state'), 'incremental', 'and the refresh after it is incremental again');
is(psql_ok($node, $inc, $state), psql_ok($node, $ful, $state), 'and equals a full refresh');

# a settings change is picked up: the next refresh is a full one
psql_ok($node, $inc, q{UPDATE bounce.config SET recurring_min_gap = '7 days'; CALL bounce.refresh();});
psql_ok($node, $ful, q{UPDATE bounce.config SET recurring_min_gap = '7 days'; CALL bounce.refresh(full => true);});
is(psql_ok($node, $inc, 'SELECT last_kind FROM bounce.refresh_state'), 'full', 'changed recurring gap forces a full refresh');
is(psql_ok($node, $inc, $state), psql_ok($node, $ful, $state), 'and the result matches');

done_testing();
