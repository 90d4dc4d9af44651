# Rebuilding the extension in place without losing data: the procedure of
# doc/bounce.md 5.7 (dump the registry's tables' data, DROP EXTENSION,
# CREATE EXTENSION, restore, grant again, refresh), run as the manual
# writes it, leaves every row, the scores, the id sequence, the role
# mapping and each role's privileges as they were.  And DROP EXTENSION
# alone deletes the registry, as the manual warns.
use strict;
use warnings;
use File::Basename qw(dirname);
use Test::More;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

# the shell block that follows "Rebuilding without losing data" in the manual
my $manual = dirname(__FILE__) . '/../../doc/bounce.md';
my $text = slurp_file($manual);
my ($script) = $text =~ /\*\*Rebuilding without losing data\.\*\*.*?^```sh\n(.*?)^```/ms;
ok(defined $script, 'the manual gives the rebuild procedure');
like($script, qr/DROP EXTENSION bounce/, 'which drops the extension');

my $node = bounce_node('rebuild');
my $db = fresh_db($node, 'bounce_tap_rebuild');
psql_ok($node, 'postgres', 'CREATE ROLE bt_rb_reg LOGIN; CREATE ROLE bt_rb_ana LOGIN; CREATE ROLE bt_rb_app LOGIN');
psql_ok($node, $db, q{
	CREATE EXTENSION bounce;
	UPDATE bounce.config SET star3_max = 10, star2_max = 20, star1_max = 30, count_kind = 'hard',
	       recurring_min_gap = '10 days', time_zone = 'Europe/Brussels', trend_quarters = 4;
	INSERT INTO bounce.registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'hosting'), (3, 'Gamma', 'reseller');
	INSERT INTO bounce.registration SELECT r, m, 1000 * r FROM generate_series(1, 3) r,
	       generate_series('2025-01-01'::date, '2025-09-01', '1 month') m;
	SELECT bounce.grant_registrar(2, 'bt_rb_reg');
	SELECT bounce.grant_analyst('bt_rb_ana');
	SELECT bounce.grant_writer('bt_rb_app');
	SELECT count(*) FROM bounce.record_batch((
		SELECT jsonb_agg(jsonb_build_object('key', 'k' || i, 'address', 'u' || (i % 11) || '@x.be',
		       'occurred_at', timestamptz '2025-01-01' + i * interval '3 days', 'registrars', jsonb_build_array(1 + i % 3),
		       'reply_code', CASE WHEN i % 4 = 0 THEN 452 ELSE 550 END,
		       'status', CASE WHEN i % 4 = 0 THEN '4.2.2' ELSE '5.1.1' END,
		       'diagnostic', CASE WHEN i % 4 = 0 THEN 'mailbox full' ELSE 'user unknown' END))
		  FROM generate_series(1, 80) i));
	SELECT bounce.record_attribution(id, ARRAY[3]) FROM bounce.event WHERE idempotency_key IN ('k4', 'k6');
	CALL bounce.refresh();
});
# a bounce recorded by the application's role, so that its grants are used
psql_ok($node, $db, q{SELECT count(*) FROM bounce.record_batch('[{"key": "app1", "address": "a@x.be",
	"occurred_at": "2025-08-01", "registrars": [2], "reply_code": 550, "status": "5.1.1"}]')}, user => 'bt_rb_app');
psql_ok($node, $db, 'CALL bounce.refresh()');

my $data = q{
	SELECT md5(string_agg(x, ';' ORDER BY x)) FROM (
		SELECT 'c' || row(c.*)::text AS x FROM bounce.config c
		UNION ALL SELECT 'r' || row(r.*)::text FROM bounce.registrar r
		UNION ALL SELECT 'g' || row(g.*)::text FROM bounce.registration g
		UNION ALL SELECT 'e' || row(e.*)::text FROM bounce.event e
		UNION ALL SELECT 'a' || row(a.*)::text FROM bounce.attribution a
		UNION ALL SELECT 'm' || row(m.*)::text FROM bounce.role_map m) u
};
my $counts = q{SELECT (SELECT count(*) FROM bounce.registrar) || '|' || (SELECT count(*) FROM bounce.registration) || '|' ||
	(SELECT count(*) FROM bounce.event) || '|' || (SELECT count(*) FROM bounce.attribution) || '|' || (SELECT count(*) FROM bounce.role_map)};
my $scores = q{SELECT md5(string_agg(row(q.*)::text, ';' ORDER BY registrar_id, quarter)) FROM bounce.quarterly_score q};
my $flags = q{SELECT md5(string_agg(row(f.*)::text, ';' ORDER BY f.id)) FROM bounce.flagged_event f};
# what each of the three roles may do in schema bounce, by object name
my $privileges = q{
	SELECT string_agg(x, ',' ORDER BY x) FROM (
		SELECT r.rolname || ':' || c.relname || ':' || a.privilege_type AS x
		  FROM pg_class c, aclexplode(c.relacl) a, pg_roles r
		 WHERE c.relnamespace = 'bounce'::regnamespace AND r.oid = a.grantee AND r.rolname LIKE 'bt\_rb\_%'
		UNION ALL
		SELECT r.rolname || ':' || p.oid::regprocedure::text || ':' || a.privilege_type
		  FROM pg_proc p, aclexplode(p.proacl) a, pg_roles r
		 WHERE p.pronamespace = 'bounce'::regnamespace AND r.oid = a.grantee AND r.rolname LIKE 'bt\_rb\_%'
		UNION ALL
		SELECT r.rolname || ':schema:' || a.privilege_type
		  FROM pg_namespace n, aclexplode(n.nspacl) a, pg_roles r
		 WHERE n.nspname = 'bounce' AND r.oid = a.grantee AND r.rolname LIKE 'bt\_rb\_%') u
};
my $mine = q{SELECT md5(string_agg(row(q.*)::text, ';' ORDER BY quarter)) FROM bounce.my_quarterly_score() q};

my %before = (data => psql_ok($node, $db, $data), counts => psql_ok($node, $db, $counts),
	scores => psql_ok($node, $db, $scores), flags => psql_ok($node, $db, $flags),
	privileges => psql_ok($node, $db, $privileges), mine => psql_ok($node, $db, $mine, user => 'bt_rb_reg'),
	analyst => psql_ok($node, $db, 'SELECT count(*) FROM bounce.event', user => 'bt_rb_ana'),
	key => psql_ok($node, $db, q{SELECT id FROM bounce.event WHERE idempotency_key = 'k7'}));
like($before{counts}, qr/^3\|27\|81\|83\|3$/, 'a registry with registrars, registrations, bounces, attributions and roles');
like($before{privileges}, qr/bt_rb_app:.*record_batch.*EXECUTE/, 'the writer may record');
is($before{analyst}, '81', 'the analyst reads every bounce');

# DROP EXTENSION alone: the registry is gone, and so are the roles' privileges
my $scratch = fresh_db($node, 'bounce_tap_rebuild_drop');
psql_ok($node, $scratch, q{CREATE EXTENSION bounce; INSERT INTO bounce.registrar VALUES (1, 'Alpha');
	SELECT bounce.grant_analyst('bt_rb_ana')});
psql_ok($node, $scratch, 'DROP EXTENSION bounce');
is(psql_ok($node, $scratch, q{SELECT to_regclass('bounce.registrar') IS NULL AND to_regclass('bounce.event') IS NULL
	AND NOT EXISTS (SELECT FROM pg_class WHERE relnamespace = 'bounce'::regnamespace)}), 't',
	'DROP EXTENSION deletes the registry\'s tables with their rows (the empty schema stays)');
psql_ok($node, $scratch, 'CREATE EXTENSION bounce');
is(psql_ok($node, $scratch, 'SELECT count(*) FROM bounce.registrar'), '0', 'and CREATE EXTENSION brings back no registrar');
is(psql_ok($node, $scratch, q{SELECT has_table_privilege('bt_rb_ana', 'bounce.event', 'SELECT')}), 'f', 'nor any grant');

# the manual's procedure, on this database
(my $run = $script) =~ s/\bmydb\b/$db/g;
my $dir = PostgreSQL::Test::Utils::tempdir;
$node->command_ok(['bash', '-ec', "cd '$dir'\n$run"], 'the rebuild procedure runs without error');
ok(-s "$dir/bounce-data.dump", 'it dumped the data to bounce-data.dump');

is(psql_ok($node, $db, $counts), $before{counts}, 'as many registrars, registrations, bounces, attributions and role mappings');
is(psql_ok($node, $db, $data), $before{data}, 'the same rows: settings, registrars, registrations, bounces (ids included), attributions, role mapping');
is(psql_ok($node, $db, 'SELECT star3_max, count_kind, time_zone, trend_quarters FROM bounce.config'), '10|hard|Europe/Brussels|4',
	'the changed settings, not the defaults');
is(psql_ok($node, $db, 'SELECT last_kind FROM bounce.refresh_state'), 'full', 'the refresh was a full one');
is(psql_ok($node, $db, $flags), $before{flags}, 'the same flags on every bounce');
is(psql_ok($node, $db, $scores), $before{scores}, 'the same scores');
is(psql_ok($node, $db, $privileges), $before{privileges}, 'each role holds the same privileges again');
is(psql_ok($node, $db, 'SELECT count(*) FROM bounce.event', user => 'bt_rb_ana'), $before{analyst}, 'the analyst reads every bounce again');
is(psql_ok($node, $db, $mine, user => 'bt_rb_reg'), $before{mine}, 'the registrar\'s role reads the same report');
like(psql_fails($node, $db, 'SELECT count(*) FROM bounce.event', user => 'bt_rb_reg') // '', qr/permission denied for table event/,
	'and still reads no table');
my $max = psql_ok($node, $db, 'SELECT max(id) FROM bounce.event');
my $new = psql_ok($node, $db, q{SELECT bounce_id FROM bounce.record_batch('[{"key": "app2", "address": "b@x.be",
	"occurred_at": "2025-08-02", "registrars": [2]}]')}, user => 'bt_rb_app');
ok($new > $max, 'the writer records again, and a new bounce gets a new id (the sequence was restored)');
is(psql_ok($node, $db, q{SELECT bounce_id || '|' || is_new FROM bounce.record_batch('[{"key": "k7", "address": "u7@x.be",
	"occurred_at": "2025-01-22", "registrars": [2]}]')}), "$before{key}|false", 'an old idempotency key still finds its bounce');

done_testing();
