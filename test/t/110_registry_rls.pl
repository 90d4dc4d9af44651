# Registry security: row-level security through security_invoker views.
# A registrar's role sees its own rows only, in every table and view, and
# cannot write; the analyst sees everything and cannot write; the
# application's writer ingests but cannot change configuration.  The
# extension creates no roles: the test creates them, as a DBA would.
use strict;
use warnings;
use Test::More;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $node = bounce_node('rls');
my $db = fresh_db($node, 'bounce_tap_rls');
my @roles = qw(bt_reg_a bt_reg_b bt_analyst bt_writer bt_nobody);
psql_ok($node, 'postgres', join('', map { "CREATE ROLE $_ LOGIN; " } @roles));

psql_ok($node, $db, q{
	CREATE EXTENSION bounce;
	INSERT INTO bounce.registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'hosting');
	INSERT INTO bounce.registration SELECT r, m, 1000 FROM generate_series(1, 2) r,
	       generate_series('2025-01-01'::date, '2025-06-01', '1 month') m;
	SELECT bounce.grant_registrar(1, 'bt_reg_a');
	SELECT bounce.grant_registrar(2, 'bt_reg_b');
	SELECT bounce.grant_analyst('bt_analyst');
	SELECT bounce.grant_writer('bt_writer');
});

# the writer ingests: record(), record_batch() and COPY into ingest
my $w = psql_ok($node, $db, q{
	SET search_path = bounce;
	SELECT record('a1', 'a@x.be', '2025-01-05', '{1}', 550, '5.1.1');
	SELECT record('a2', 'a@x.be', '2025-02-05', '{1}', 550, '5.1.1');
	SELECT count(*) FROM record_batch('[{"key": "b1", "address": "b@x.be", "occurred_at": "2025-01-07", "registrars": [2], "reply_code": 550, "status": "5.1.1"},
	                                   {"key": "b2", "address": "b@x.be", "occurred_at": "2025-02-07", "registrars": [2], "reply_code": 550, "status": "5.1.1"}]');
	COPY ingest (idempotency_key, address, occurred_at, registrars, reply_code, status) FROM stdin;
s1	s@x.be	2025-01-09	{1,2}	550	5.1.1
s2	s@x.be	2025-02-09	{1,2}	550	5.2.2
\.
	INSERT INTO registration VALUES (1, '2025-07-01', 1000);
	UPDATE registration SET registrations = 1001 WHERE registrar_id = 1 AND month = '2025-07-01';
	SELECT count(*) FROM event;
}, user => 'bt_writer');
like($w, qr/2\n6\z/, 'writer records through record(), record_batch() and COPY into ingest, and maintains registrations');

ok(psql_fails($node, $db, q{UPDATE bounce.config SET star3_max = 1}, user => 'bt_writer'), 'writer cannot change config');
ok(psql_fails($node, $db, q{INSERT INTO bounce.registrar VALUES (9, 'Nine')}, user => 'bt_writer'), 'writer cannot add registrars');
ok(psql_fails($node, $db, q{SELECT bounce.grant_analyst('bt_writer')}, user => 'bt_writer'), 'writer cannot grant');
ok(psql_fails($node, $db, q{DELETE FROM bounce.event}, user => 'bt_writer'), 'writer cannot delete bounces');

psql_ok($node, $db, 'CALL bounce.refresh()');

# per registrar-keyed relation: what the owner sees per registrar
my @by_registrar = qw(registrar registration attribution monthly monthly_status quarterly monthly_score top_errors
	quarterly_score benchmark fix_list);
my @by_event = qw(event flagged_event address_status);
for my $rel (@by_registrar) {
	my $col = $rel eq 'registrar' ? 'id' : 'registrar_id';
	my $all = psql_ok($node, $db, "SELECT count(*) FROM bounce.$rel");
	my $own_b = psql_ok($node, $db, "SELECT count(*) FROM bounce.$rel WHERE $col = 2");
	ok($all > $own_b && $own_b > 0, "$rel has rows of both registrars ($all, of B $own_b)");
	is(psql_ok($node, $db, "SELECT count(*) FROM bounce.$rel WHERE $col <> 2", user => 'bt_reg_b'), '0', "B sees no row of A in $rel");
	is(psql_ok($node, $db, "SELECT count(*) FROM bounce.$rel", user => 'bt_reg_b'), $own_b, "B sees all its own rows in $rel");
	is(psql_ok($node, $db, "SELECT count(*) FROM bounce.$rel", user => 'bt_analyst'), $all, "analyst sees every row of $rel");
}
for my $rel (@by_event) {
	my $key = $rel eq 'address_status' ? 'address' : 'id';
	my $keys_b = $rel eq 'address_status'
		? q{SELECT e.address FROM bounce.event e JOIN bounce.attribution a ON a.event_id = e.id WHERE a.registrar_id = 2}
		: q{SELECT event_id FROM bounce.attribution WHERE registrar_id = 2};
	my $all = psql_ok($node, $db, "SELECT count(*) FROM bounce.$rel");
	my $own_b = psql_ok($node, $db, "SELECT count(*) FROM bounce.$rel WHERE $key IN ($keys_b)");
	my $got = psql_ok($node, $db, "SELECT string_agg($key\::text, ',' ORDER BY $key) FROM bounce.$rel", user => 'bt_reg_b');
	my $want = psql_ok($node, $db, "SELECT string_agg($key\::text, ',' ORDER BY $key) FROM bounce.$rel WHERE $key IN ($keys_b)");
	ok($all > $own_b, "$rel has rows B must not see");
	is($got, $want, "B sees exactly the $rel rows of its own bounces");
	is(psql_ok($node, $db, "SELECT count(*) FROM bounce.$rel", user => 'bt_analyst'), $all, "analyst sees every row of $rel");
}
is(psql_ok($node, $db, q{SELECT string_agg(address, ',' ORDER BY address) FROM bounce.fix_list}, user => 'bt_reg_a'),
	'a@x.be,s@x.be', "A's fix list holds its own addresses only");
is(psql_ok($node, $db, q{SELECT count(*) FROM bounce.group_score WHERE group_name = 'all'}, user => 'bt_reg_b'),
	psql_ok($node, $db, q{SELECT count(*) FROM bounce.group_score WHERE group_name = 'all'}), 'benchmark groups (aggregates) are readable by every registrar');
is(psql_ok($node, $db, q{SELECT bounce.my_registrars()}, user => 'bt_reg_a'), '{1}', 'my_registrars() maps the role');
is(psql_ok($node, $db, q{SELECT count(*) FROM bounce.role_map}, user => 'bt_reg_a'), '1', 'a registrar sees only its own role mapping');

# registrars and the analyst cannot write
for my $u (qw(bt_reg_b bt_analyst)) {
	ok(psql_fails($node, $db, q{SELECT bounce.record('x1', 'x@x.be', '2025-01-01', '{2}')}, user => $u), "$u cannot record a bounce");
	ok(psql_fails($node, $db, q{INSERT INTO bounce.registration VALUES (2, '2026-01-01', 5)}, user => $u), "$u cannot write registrations");
	ok(psql_fails($node, $db, q{UPDATE bounce.registration SET registrations = 0}, user => $u), "$u cannot change registrations");
	ok(psql_fails($node, $db, q{UPDATE bounce.config SET star3_max = 0}, user => $u), "$u cannot change config");
	ok(psql_fails($node, $db, q{CALL bounce.refresh()}, user => $u), "$u cannot refresh");
	like(psql_fails($node, $db, q{SELECT count(*) FROM bounce.refresh_scan(NULL, '14 days', '3 months', 3, '15 days', false)}, user => $u) // '',
		qr/permission denied for function refresh_scan/, "$u cannot run the refresh's internal pass");
}
is(psql_ok($node, $db, q{SELECT count(*) FROM bounce.event WHERE idempotency_key = 'x1'}), '0', 'nothing was written');

# a role that was never granted sees nothing at all
like(psql_fails($node, $db, q{SELECT count(*) FROM bounce.quarterly_score}, user => 'bt_nobody') // '', qr/permission denied/,
	'an ungranted role is refused');
like(psql_fails($node, $db, q{SELECT bounce.grant_registrar(1, 'no_such_role')}) // '', qr/role "no_such_role" does not exist/,
	'grant_registrar() names a missing role');
like(psql_fails($node, $db, q{SELECT bounce.grant_registrar(77, 'bt_nobody')}) // '', qr/unknown registrar: 77/,
	'grant_registrar() names an unknown registrar');

# role_map keeps roles by OID: a renamed role keeps its registrar, and a
# new role that takes the old name inherits nothing
psql_ok($node, 'postgres', 'ALTER ROLE bt_reg_a RENAME TO bt_reg_a_renamed; CREATE ROLE bt_reg_a LOGIN');
psql_ok($node, $db, 'GRANT USAGE ON SCHEMA bounce TO bt_reg_a; GRANT SELECT ON bounce.role_map TO bt_reg_a');
is(psql_ok($node, $db, q{SELECT bounce.my_registrars()}, user => 'bt_reg_a_renamed'), '{1}', 'a renamed role keeps its registrar');
is(psql_ok($node, $db, q{SELECT bounce.my_registrars()}, user => 'bt_reg_a'), '{}', 'a new role with the old name has none');
is(psql_ok($node, $db, q{SELECT role_name FROM bounce.role_map WHERE registrar_id = 1}), 'bt_reg_a_renamed', 'role_map shows the new name');

# revoke_role takes everything back
psql_ok($node, $db, q{SELECT bounce.revoke_role('bt_reg_b')});
ok(psql_fails($node, $db, q{SELECT count(*) FROM bounce.monthly_score}, user => 'bt_reg_b'), 'revoke_role() removes access');

done_testing();
