# Registry access by role.  A registrar's role reads its own reports
# through the my_ functions, which give exactly the scoring views' rows of
# its registrar, and reads no table or view; the analyst reads every row of
# every table and view and writes nothing; the application's writer
# records through the ingestion functions and COPY, reads everything, and
# has no other privilege on any table.  A role granted SELECT by mistake
# sees no row.  The extension creates no roles: the test creates them, as
# a DBA would.  (What a hostile registrar can learn by other means is
# 115_registrar_exfiltration.pl.)
use strict;
use warnings;
use Test::More;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $node = bounce_node('rls');
my $db = fresh_db($node, 'bounce_tap_rls');
my @roles = qw(bt_reg_a bt_reg_b bt_analyst bt_writer bt_nobody bt_pool bt_switch);
psql_ok($node, 'postgres', join('', map { "CREATE ROLE $_ LOGIN; " } @roles) . 'GRANT bt_reg_a, bt_reg_b TO bt_pool;');

psql_ok($node, $db, q{
	CREATE EXTENSION bounce;
	INSERT INTO bounce.registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'hosting');
	INSERT INTO bounce.registration SELECT r, m, 1000 FROM generate_series(1, 2) r,
	       generate_series('2025-01-01'::date, '2025-06-01', '1 month') m;
	-- B has a July count but none for September: an unrated Q3
	INSERT INTO bounce.registration VALUES (2, '2025-07-01', 1000);
	SELECT bounce.grant_registrar(1, 'bt_reg_a');
	SELECT bounce.grant_registrar(2, 'bt_reg_b');
	SELECT bounce.grant_analyst('bt_analyst');
	SELECT bounce.grant_writer('bt_writer');
});

# the writer ingests: record_bounce(), record_batch(), COPY into ingest, record_dsn(),
# and records month-end registrations
my $w = psql_ok($node, $db, q{
	SET search_path = bounce;
	SELECT record_bounce('a1', 'a@x.be', '2025-01-05', '{1}', 550, '5.1.1');
	SELECT record_bounce('a2', 'a@x.be', '2025-02-05', '{1}', 550, '5.1.1');
	SELECT count(*) FROM record_batch('[{"key": "b1", "address": "b@x.be", "occurred_at": "2025-01-07", "registrars": [2], "reply_code": 550, "status": "5.1.1"},
	                                   {"key": "b2", "address": "b@x.be", "occurred_at": "2025-02-07", "registrars": [2], "reply_code": 550, "status": "5.1.1"},
	                                   {"key": "b3", "address": "h@x.be", "occurred_at": "2025-01-20", "registrars": [2], "reply_code": 550, "status": "5.1.1"},
	                                   {"key": "b4", "address": "b@x.be", "occurred_at": "2025-02-20", "registrars": [2], "reply_code": 452, "status": "4.2.2"}]');
	COPY ingest (idempotency_key, address, occurred_at, registrars, reply_code, status) FROM stdin;
s1	s@x.be	2025-01-09	{1,2}	550	5.1.1
s2	s@x.be	2025-02-09	{1,2}	550	5.2.2
\.
	SELECT count(*) FROM record_dsn(E'From: MAILER-DAEMON@mx.x.be\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx.x.be>\r\n\r\n<d@x.be>: host mx.x.be said: 550 5.1.1 user unknown\r\n', '{2}', '2025-03-03');
	SELECT record_attribution(id, '{2}') FROM event WHERE idempotency_key = 'a2';
	SELECT record_registration(1, '2025-07-01', 1000);
	SELECT record_registration(1, '2025-07-01', 1001);
	SELECT count(*) FROM event;
}, user => 'bt_writer');
like($w, qr/4\n1\n1\n\n\n9\z/, 'writer records through record_bounce(), record_batch(), COPY into ingest, record_dsn() and record_attribution(), and records registrations');
is(psql_ok($node, $db, q{SELECT registrations FROM bounce.registration WHERE registrar_id = 1 AND month = '2025-07-01'}), '1001',
	'record_registration() replaces the month\'s number');
like(psql_fails($node, $db, q{SELECT bounce.record_registration(1, '2025-07-15', 5)}, user => 'bt_writer') // '',
	qr/month must be the first day of a month, not 2025-07-15/, 'record_registration() names a month that is not a first day');
like(psql_fails($node, $db, q{SELECT bounce.record_registration(9, '2025-07-01', 5)}, user => 'bt_writer') // '',
	qr/unknown registrar: 9/, 'record_registration() names an unknown registrar');
like(psql_fails($node, $db, q{SELECT bounce.record_registration(1, '2025-07-01', -1)}, user => 'bt_writer') // '',
	qr/registrations must not be negative: -1/, 'record_registration() refuses a negative number');

# the writer writes only through those functions
for my $sql (q{UPDATE bounce.config SET star3_max = 1}, q{INSERT INTO bounce.registrar VALUES (9, 'Nine')},
	q{INSERT INTO bounce.event (idempotency_key, address, occurred_at, reason) VALUES ('x', 'x@x.be', now(), 'undefined')},
	q{INSERT INTO bounce.attribution SELECT id, 2 FROM bounce.event WHERE idempotency_key = 'a1'},
	q{INSERT INTO bounce.pending VALUES (1)}, q{INSERT INTO bounce.registration VALUES (2, '2025-08-01', 5)},
	q{UPDATE bounce.registration SET registrations = 0}, q{DELETE FROM bounce.event},
	q{SELECT bounce.grant_analyst('bt_writer')}, q{CALL bounce.refresh()})
{
	like(psql_fails($node, $db, $sql, user => 'bt_writer') // '', qr/permission denied/, "writer cannot: $sql");
}
is(psql_ok($node, $db, q{
	SELECT string_agg(DISTINCT privilege_type, ',' ORDER BY privilege_type) FROM information_schema.role_table_grants
	 WHERE grantee = 'bt_writer' AND table_schema = 'bounce' AND table_name <> 'ingest'}), 'SELECT',
	'the writer holds no privilege but SELECT on any table or view but ingest');

psql_ok($node, $db, 'CALL bounce.refresh()');

# the analyst reads every row of every table and view
for my $rel (split /\n/, psql_ok($node, $db, q{
	SELECT format('bounce.%I', relname) FROM pg_class WHERE relnamespace = 'bounce'::regnamespace AND relkind IN ('r', 'v') ORDER BY 1}))
{
	my $all = psql_ok($node, $db, "SELECT count(*) FROM $rel");
	is(psql_ok($node, $db, "SELECT count(*) FROM $rel", user => 'bt_analyst'), $all, "analyst sees all $all rows of $rel");
	is(psql_ok($node, $db, "SELECT count(*) FROM $rel", user => 'bt_writer'), $all, "writer sees all $all rows of $rel") if $rel ne 'bounce.ingest';
}

# the registrar's reports are the scoring views' rows of its registrar
my %own = (
	my_monthly_score => 'SELECT * FROM bounce.monthly_score WHERE registrar_id = 2',
	my_top_errors => 'SELECT * FROM bounce.top_errors WHERE registrar_id = 2',
	my_quarterly_score => 'SELECT * FROM bounce.quarterly_score WHERE registrar_id = 2',
	my_benchmark => 'SELECT * FROM bounce.benchmark WHERE registrar_id = 2',
	my_fix_list => 'SELECT * FROM bounce.fix_list WHERE registrar_id = 2',
	my_flagged_event => 'SELECT * FROM bounce.flagged_event WHERE id IN (SELECT event_id FROM bounce.attribution WHERE registrar_id = 2)',
	# over B's own bounces: equal to the view at the addresses only B has
	# (A shares s@x.be, and a@x.be got B as a registrar later)
	my_address_status => q{SELECT * FROM bounce.address_status WHERE address IN ('b@x.be', 'h@x.be', 'd@x.be')});
for my $f (sort keys %own) {
	my $rows = "SELECT md5(coalesce(string_agg(x::text, ';' ORDER BY x::text), '')), count(*) FROM (%s) x";
	my $want = psql_ok($node, $db, sprintf($rows, $own{$f}));
	my $got = psql_ok($node, $db, sprintf($rows, "SELECT * FROM bounce.$f()" . ($f eq 'my_address_status' ? q{ WHERE address NOT IN ('s@x.be', 'a@x.be')} : '')),
		user => 'bt_reg_b');
	ok($want =~ /\|[1-9]\d*$/, "$f: the view has rows of B ($want)");
	is($got, $want, "$f(): exactly the view's rows of B's registrar");
}
# and the rows that tell the view's newer columns apart: B's soft bounce at
# b@x.be is shown beside its counted ones, not among them, and B's Q3 is
# listed without a rating
is(psql_ok($node, $db, q{SELECT counted_bounces, uncounted_bounces, last_uncounted_bounce FROM bounce.my_fix_list() WHERE address = 'b@x.be'}, user => 'bt_reg_b'),
	'2|1|2025-02-20 00:00:00+00', 'my_fix_list() counts the counted bounces and shows the soft one apart');
is(psql_ok($node, $db, q{SELECT label, stars IS NULL, no_rating_reason FROM bounce.my_quarterly_score() WHERE no_rating_reason IS NOT NULL}, user => 'bt_reg_b'),
	'2025-Q3|t|no registration count for 2025-09', 'my_quarterly_score() lists an unrated quarter, saying why');
is(psql_ok($node, $db, q{SELECT label, all_registrars, portfolio_rank FROM bounce.my_benchmark() WHERE quarter = '2025-01-01'}, user => 'bt_reg_b'),
	'2025-Q1|2|2', 'my_benchmark() gives the group sizes and the portfolio rank (a tie with A: the smaller id first)');
is(psql_ok($node, $db, q{SELECT streak, last_bounce FROM bounce.my_address_status() WHERE address = 's@x.be'}, user => 'bt_reg_a'),
	psql_ok($node, $db, q{SELECT streak, last_bounce FROM bounce.address_status WHERE address = 's@x.be'}),
	'address_status of a shared address: the streak over the registrar\'s own bounces');
is(psql_ok($node, $db, q{SELECT string_agg(address, ',' ORDER BY address) FROM bounce.my_fix_list()}, user => 'bt_reg_a'),
	'a@x.be,s@x.be', "A's fix list holds its own addresses only");
is(psql_ok($node, $db, q{SELECT count(*) FROM bounce.my_benchmark() WHERE all_per_1m IS NOT NULL}, user => 'bt_reg_b'),
	psql_ok($node, $db, q{SELECT count(*) FROM bounce.benchmark WHERE registrar_id = 2 AND all_per_1m IS NOT NULL}),
	'the benchmark groups (aggregates of all registrars) come with B\'s own quarters');

# A registrar's bounce is recurring when the previous counted bounce of its
# address is in the window, whoever's it was: the metric counts addresses.
# So B learns that some registrar had a bounce at an address B itself has
# (documented in the manual, 5.6).
psql_ok($node, $db, q{
	SELECT bounce.record_bounce('r1', 'r@x.be', '2025-03-01', '{1}', 550, '5.1.1');
	SELECT bounce.record_bounce('r2', 'r@x.be', '2025-03-20', '{2}', 550, '5.1.1');
	CALL bounce.refresh();
});
is(psql_ok($node, $db, q{SELECT recurring FROM bounce.my_flagged_event() WHERE address = 'r@x.be'}, user => 'bt_reg_b'), 't',
	'a bounce of B is recurring after a bounce of A at the same address (documented)');
is(psql_ok($node, $db, q{SELECT count(*) FROM bounce.my_flagged_event() WHERE address = 'r@x.be'}, user => 'bt_reg_b'), '1',
	'while A\'s bounce itself stays hidden');

# the session's role decides, also through SET ROLE (a connection pool
# that logs in as one role and sets the registrar's role)
is(psql_ok($node, $db, q{SELECT bounce.my_registrars()}, user => 'bt_reg_a'), '{1}', 'my_registrars() maps the role');
is(psql_ok($node, $db, q{SELECT bounce.my_registrars()}, user => 'bt_pool'), '{1,2}', 'a member of both registrar roles has both');
is(psql_ok($node, $db, q{SET ROLE bt_reg_b; SELECT bounce.my_registrars(); SELECT DISTINCT registrar_id FROM bounce.my_quarterly_score()}, user => 'bt_pool'),
	"{2}\n2", 'after SET ROLE bt_reg_b it has only B');

# a registrar reads no table or view, and writes nothing
for my $rel (qw(event attribution event_flags refresh_state role_map registrar registration config monthly quarterly group_score
	flagged_event quarterly_score fix_list address_status)) {
	like(psql_fails($node, $db, "SELECT count(*) FROM bounce.$rel", user => 'bt_reg_b') // '', qr/permission denied/, "B cannot read $rel");
}
for my $u (qw(bt_reg_b bt_analyst)) {
	for my $sql (q{SELECT bounce.record_bounce('x1', 'x@x.be', '2025-01-01', '{2}')},
		q{SELECT * FROM bounce.record_batch('[{"key": "x2", "address": "x@x.be", "occurred_at": "2025-01-01"}]')},
		q{SELECT bounce.record_registration(2, '2026-01-01', 5)}, q{INSERT INTO bounce.registration VALUES (2, '2026-01-01', 5)},
		q{UPDATE bounce.registration SET registrations = 0}, q{UPDATE bounce.config SET star3_max = 0}, q{CALL bounce.refresh()},
		q{COPY bounce.ingest (idempotency_key) FROM stdin}, q{SELECT count(*) FROM bounce_internal.refresh_scan(NULL, '14 days', '3 months', 3, '15 days', false)})
	{
		like(psql_fails($node, $db, $sql, user => $u) // '', qr/permission denied/, "$u cannot: $sql");
	}
}
like(psql_fails($node, $db, q{SELECT * FROM bounce.my_quarterly_score()}, user => 'bt_analyst') // '', qr/permission denied/,
	'the analyst does not run the registrars\' functions (it reads the views)');
is(psql_ok($node, $db, q{SELECT count(*) FROM bounce.event WHERE idempotency_key LIKE 'x%'}), '0', 'nothing was written');

# a role granted SELECT by mistake sees no row; one never granted is refused
like(psql_fails($node, $db, q{SELECT count(*) FROM bounce.quarterly_score}, user => 'bt_nobody') // '', qr/permission denied/,
	'an ungranted role is refused');
psql_ok($node, $db, 'GRANT USAGE ON SCHEMA bounce TO bt_nobody; GRANT SELECT ON ALL TABLES IN SCHEMA bounce TO bt_nobody');
is(psql_ok($node, $db, q{SELECT (SELECT count(*) FROM bounce.event) + (SELECT count(*) FROM bounce.attribution)
                               + (SELECT count(*) FROM bounce.flagged_event) + (SELECT count(*) FROM bounce.quarterly_score)}, user => 'bt_nobody'),
	'0', 'a role granted SELECT outside grant_ functions sees no row (row-level security)');

like(psql_fails($node, $db, q{SELECT bounce.grant_registrar(1, 'no_such_role')}) // '', qr/role "no_such_role" does not exist/,
	'grant_registrar() names a missing role');
like(psql_fails($node, $db, q{SELECT bounce.grant_registrar(77, 'bt_nobody')}) // '', qr/unknown registrar: 77/,
	'grant_registrar() names an unknown registrar');

# one kind at a time: an analyst made a registrar loses its SELECT
psql_ok($node, $db, q{SELECT bounce.grant_analyst('bt_switch')});
is(psql_ok($node, $db, q{SELECT count(*) > 0 FROM bounce.event}, user => 'bt_switch'), 't', 'an analyst reads event');
psql_ok($node, $db, q{SELECT bounce.grant_registrar(1, 'bt_switch')});
like(psql_fails($node, $db, q{SELECT count(*) FROM bounce.event}, user => 'bt_switch') // '', qr/permission denied/,
	'made a registrar, it no longer does');
is(psql_ok($node, $db, q{SELECT count(*) FROM bounce.my_flagged_event()}, user => 'bt_switch'),
	psql_ok($node, $db, q{SELECT count(DISTINCT event_id) FROM bounce.attribution WHERE registrar_id = 1}), 'and reads its registrar\'s bounces');
is(psql_ok($node, $db, q{SELECT count(*) FROM pg_policy WHERE 'bt_switch'::regrole = ANY (polroles)}), '0', 'and no read policy names it');

# role_map keeps roles by OID: a renamed role keeps its registrar, and a
# new role that takes the old name inherits nothing
psql_ok($node, 'postgres', 'ALTER ROLE bt_reg_a RENAME TO bt_reg_a_renamed; CREATE ROLE bt_reg_a LOGIN');
psql_ok($node, $db, 'GRANT USAGE ON SCHEMA bounce TO bt_reg_a; GRANT EXECUTE ON FUNCTION bounce.my_registrars() TO bt_reg_a');
is(psql_ok($node, $db, q{SELECT bounce.my_registrars()}, user => 'bt_reg_a_renamed'), '{1}', 'a renamed role keeps its registrar');
is(psql_ok($node, $db, q{SELECT bounce.my_registrars()}, user => 'bt_reg_a'), '{}', 'a new role with the old name has none');
is(psql_ok($node, $db, q{SELECT role_name FROM bounce.role_map WHERE registrar_id = 1 ORDER BY 1 LIMIT 1}), 'bt_reg_a_renamed',
	'role_map shows the new name');

# revoke_role takes everything back
psql_ok($node, $db, q{SELECT bounce.revoke_role('bt_reg_b'), bounce.revoke_role('bt_analyst')});
like(psql_fails($node, $db, q{SELECT count(*) FROM bounce.my_monthly_score()}, user => 'bt_reg_b') // '', qr/permission denied/,
	'revoke_role() removes a registrar\'s access');
like(psql_fails($node, $db, q{SELECT count(*) FROM bounce.event}, user => 'bt_analyst') // '', qr/permission denied/,
	'and an analyst\'s');
is(psql_ok($node, $db, q{SELECT count(*) FROM pg_policy WHERE 'bt_analyst'::regrole = ANY (polroles)}), '0', 'whom no read policy names any more');
my $rls_tables = psql_ok($node, $db, q{SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'bounce'::regnamespace AND c.relrowsecurity});
is($rls_tables, '13', 'row-level security on the 13 tables with registry data (contact included)');
is(psql_ok($node, $db, q{SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
                          WHERE c.relnamespace = 'bounce'::regnamespace AND 'bt_writer'::regrole = ANY (polroles)}), $rls_tables,
	"the writer is still named by the read policy of each of the $rls_tables tables");

# policies_in_step(), which refresh() asks before apply_policies(): true
# exactly when apply_policies() would alter no policy
is(psql_ok($node, $db, q{SELECT bounce_internal.policies_in_step()}), 't', 'policies_in_step(): in step after the grant_ functions');
psql_ok($node, $db, q{ALTER POLICY event_read ON bounce.event TO CURRENT_USER});
is(psql_ok($node, $db, q{SELECT bounce_internal.policies_in_step()}), 'f', 'a policy that lost its readers (as after a restore) is not in step');
is(psql_ok($node, $db, q{SELECT bounce_internal.apply_policies()}), '1', 'apply_policies() alters that one policy');
is(psql_ok($node, $db, q{SELECT bounce_internal.policies_in_step()}), 't', 'and then they are in step');
psql_ok($node, $db, q{ALTER POLICY attribution_read ON bounce.attribution TO PUBLIC});
is(psql_ok($node, $db, q{SELECT bounce_internal.policies_in_step()}), 'f', 'a policy for PUBLIC is not in step');
psql_ok($node, $db, q{SELECT bounce_internal.apply_policies()});
psql_ok($node, 'postgres', 'CREATE ROLE bt_late_analyst');
psql_ok($node, $db, q{INSERT INTO bounce.role_map VALUES ('bt_late_analyst', 'analyst')});
is(psql_ok($node, $db, q{SELECT bounce_internal.policies_in_step()}), 'f', 'an analyst added to role_map by hand is not yet in the policies');
psql_ok($node, $db, q{DELETE FROM bounce.role_map WHERE role_name = 'bt_late_analyst'::regrole});
psql_ok($node, $db, q{INSERT INTO bounce.role_map VALUES ('bt_late_analyst', 'registrar', 1)});
is(psql_ok($node, $db, q{SELECT bounce_internal.policies_in_step()}), 't', 'a registrar role is in no read policy: still in step');
psql_ok($node, $db, q{DELETE FROM bounce.role_map WHERE role_name = 'bt_late_analyst'::regrole});
like(psql_fails($node, $db, q{SELECT bounce_internal.policies_in_step()}, user => 'bt_writer') // '', qr/permission denied/,
	'policies_in_step() is the owner\'s alone');

done_testing();
