# Survival: pg_dump / pg_restore keeps the registry's data and its
# configuration (the extension's tables are registered with
# pg_extension_config_dump).  The derived summaries are not dumped: the
# first refresh after a restore is a full one and gives the same scores.
use strict;
use warnings;
use Test::More;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $node = bounce_node('dump');
my ($src, $dst) = ('bounce_tap_dump_src', 'bounce_tap_dump_dst');
fresh_db($node, $src);
psql_ok($node, 'postgres', 'CREATE ROLE bt_dump_reg LOGIN; CREATE ROLE bt_dump_ana LOGIN');
psql_ok($node, $src, q{
	CREATE EXTENSION bounce;
	UPDATE bounce.config SET star3_max = 10, star2_max = 20, star1_max = 30, count_kind = 'hard',
	       recurring_min_gap = '10 days', time_zone = 'Europe/Brussels';
	INSERT INTO bounce.registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'hosting');
	INSERT INTO bounce.registration SELECT r, m, 1000 FROM generate_series(1, 2) r,
	       generate_series('2025-01-01'::date, '2025-06-01', '1 month') m;
	SELECT bounce.grant_registrar(2, 'bt_dump_reg');
	SELECT bounce.grant_analyst('bt_dump_ana');
	SELECT count(bounce.record_bounce('k' || i, 'u' || (i % 7) || '@x.be', timestamptz '2025-01-01' + i * interval '5 days',
	       ARRAY[1 + i % 2], 550, '5.1.1', 'user unknown')) FROM generate_series(1, 30) i;
	UPDATE bounce.config SET count_kind = 'permanent';
	CALL bounce.refresh();
});

my $data = q{
	SELECT md5(string_agg(x, ';' ORDER BY x)) FROM (
		SELECT row(c.*)::text AS x FROM bounce.config c
		UNION ALL SELECT row(r.*)::text FROM bounce.registrar r
		UNION ALL SELECT row(g.*)::text FROM bounce.registration g
		UNION ALL SELECT row(e.*)::text FROM bounce.event e
		UNION ALL SELECT row(a.*)::text FROM bounce.attribution a
		UNION ALL SELECT row(m.*)::text FROM bounce.role_map m) u
};
my $scores = q{SELECT md5(string_agg(row(q.*)::text, ';' ORDER BY registrar_id, quarter)) FROM bounce.quarterly_score q};
my ($d0, $s0) = (psql_ok($node, $src, $data), psql_ok($node, $src, $scores));

my $dir = PostgreSQL::Test::Utils::tempdir;
$node->command_ok(['pg_dump', '-Fc', '-f', "$dir/dump", '-d', $node->connstr($src)], 'pg_dump -Fc');
psql_ok($node, 'postgres', "CREATE DATABASE $dst");
$node->command_ok(['pg_restore', '-d', $node->connstr($dst), "$dir/dump"], 'pg_restore without error');

is(psql_ok($node, $dst, $data), $d0, 'config, registrars, registrations, bounces, attributions and role mapping survive');
is(psql_ok($node, $dst, 'SELECT star3_max, count_kind, time_zone FROM bounce.config'), '10|permanent|Europe/Brussels', 'the changed settings, not the defaults');
is(psql_ok($node, $dst, 'SELECT count(*) FROM bounce.config'), '1', 'still one config row');
# pg_dump does not dump an extension's row-level security policies: until
# the first refresh applies role_map again, the analyst reads no row
my $events = psql_ok($node, $src, 'SELECT count(*) FROM bounce.event');
is(psql_ok($node, $dst, 'SELECT count(*) FROM bounce.event', user => 'bt_dump_ana'), '0', 'before the first refresh the analyst reads no row');
psql_ok($node, $dst, 'CALL bounce.refresh()');
is(psql_ok($node, $dst, 'SELECT last_kind FROM bounce.refresh_state'), 'full', 'the first refresh after restore is a full one');
is(psql_ok($node, $dst, 'SELECT count(*) FROM bounce.event', user => 'bt_dump_ana'), $events, 'after it the analyst reads every row again');
is(psql_ok($node, $dst, $scores), $s0, 'and the scores are the same');
my $max = psql_ok($node, $dst, 'SELECT max(id) FROM bounce.event');
ok(psql_ok($node, $dst, q{SELECT bounce.record_bounce('new', 'n@x.be', '2025-03-01', '{1}', 550, '5.1.1')}) > $max, 'new bounces get new ids (sequence restored)');
my ($k3_id, $k3_addr) = split /\|/, psql_ok($node, $src, q{SELECT id || '|' || address FROM bounce.event WHERE idempotency_key = 'k3'});
is(psql_ok($node, $dst, qq{SELECT bounce.record_bounce('k3', '$k3_addr', '2025-03-01', '{1}')}), $k3_id,
	'idempotency keys survive (a key is unique per address)');
is(psql_ok($node, $dst, q{SELECT string_agg(concat_ws('|', role_name, kind, registrar_id), ',' ORDER BY kind) FROM bounce.role_map}), 'bt_dump_ana|analyst,bt_dump_reg|registrar|2',
	'the role mapping survives, by the role\'s name');
is(psql_ok($node, $dst, q{SELECT bounce.my_registrars()}, user => 'bt_dump_reg'), '{2}', 'and the restored role is registrar 2');
my $mine = q{SELECT md5(string_agg(row(q.*)::text, ';' ORDER BY quarter)) FROM bounce.my_quarterly_score() q};
is(psql_ok($node, $dst, $mine, user => 'bt_dump_reg'), psql_ok($node, $src, $mine, user => 'bt_dump_reg'),
	'which reads the same report as before (its grants survive)');

done_testing();
