# Nobody can make the extension's owner run their code by name.
#
# 1. A role given CREATE on schema bounce adds bounce.date_trunc(text,
#    date), an exact match for the refresh's date_trunc('quarter', month)
#    that would beat pg_catalog's, which makes its caller a superuser.  The
#    owner (a superuser) then uses every part of the extension: nothing
#    runs it, because every function runs with search_path = pg_catalog,
#    pg_temp and names bounce's objects with their schema.
# 2. A database owner who is not a superuser creates schema bounce (with
#    the same function in it) before a superuser installs the extension:
#    CREATE EXTENSION refuses the schema and creates nothing.  So does a
#    schema another role may create objects in, and one that already holds
#    objects; an empty schema of the installing role is used.
use strict;
use warnings;
use Test::More;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $node = bounce_node('hijack');
psql_ok($node, 'postgres', q{
	CREATE ROLE bt_planter LOGIN;
	CREATE ROLE bt_dbowner LOGIN CREATEDB;
	CREATE ROLE bt_reg LOGIN; CREATE ROLE bt_app LOGIN; CREATE ROLE bt_analyst LOGIN;
});
my $trap = q{
	CREATE FUNCTION bounce.date_trunc(text, date) RETURNS timestamptz LANGUAGE plpgsql AS $$
	BEGIN
		ALTER ROLE bt_planter SUPERUSER;
		ALTER ROLE bt_dbowner SUPERUSER;
		RETURN pg_catalog.date_trunc($1, $2::timestamptz);
	END $$;
	CREATE FUNCTION bounce.planted_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		EXECUTE 'ALTER ROLE bt_planter SUPERUSER';
		RETURN $1 OPERATOR(pg_catalog.=) $2;
	END $$;
	CREATE OPERATOR bounce.= (LEFTARG = text, RIGHTARG = text, FUNCTION = bounce.planted_eq);
};
my $supers = q{SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'bt\_%' AND rolsuper};

# ---- 1: a planted function in the extension's schema ----------------
my $db = fresh_db($node, 'bounce_tap_hijack');
psql_ok($node, $db, q{
	CREATE EXTENSION bounce;
	INSERT INTO bounce.registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'hosting');
	INSERT INTO bounce.registration SELECT r, m, 1000 FROM generate_series(1, 2) r,
	       generate_series('2025-01-01'::date, '2025-06-01', '1 month') m;
	SELECT bounce.grant_registrar(1, 'bt_reg'), bounce.grant_writer('bt_app'), bounce.grant_analyst('bt_analyst');
	GRANT USAGE, CREATE ON SCHEMA bounce TO bt_planter;
});
psql_ok($node, $db, $trap, user => 'bt_planter');
is(psql_ok($node, $db, q{SELECT count(*) FROM pg_proc WHERE pronamespace = 'bounce'::regnamespace AND proname IN ('date_trunc', 'planted_eq')}),
	'2', 'the planted functions are in schema bounce');

# the owner uses every part of the extension
psql_ok($node, $db, q{
	SELECT bounce.record_bounce('k1', 'ann@x.be', '2025-01-05', '{1}', 550, '5.1.1', 'user unknown');
	SELECT count(*) FROM bounce.record_batch('[{"key": "k2", "address": "ann@x.be", "occurred_at": "2025-02-05", "registrars": [1, 2], "reply_code": 550, "status": "5.1.1"}]');
	SELECT count(*) FROM bounce.record_dsn(E'From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\n<bob@x.be>: host mx.x.be said: 550 5.1.1 user unknown\r\n', '{2}', '2025-03-01');
	CALL bounce.refresh();
	CALL bounce.refresh(full => true);
	SELECT count(*) FROM bounce.flagged_event;
	SELECT count(*) FROM bounce.monthly_score;
	SELECT count(*) FROM bounce.top_errors;
	SELECT count(*) FROM bounce.quarterly_score;
	SELECT count(*) FROM bounce.benchmark;
	SELECT count(*) FROM bounce.fix_list;
	SELECT count(*) FROM bounce.address_status;
	SELECT bounce.normalize_address('Ann@X.BE'), bounce.address_problem('x'), bounce.stars(10);
	SELECT bounce.classify('550 5.1.1 user unknown'), bounce.status_text('5.1.1');
	SELECT bounce.grant_registrar(2, 'bt_reg'), bounce.revoke_role('bt_reg'), bounce.grant_registrar(1, 'bt_reg');
	UPDATE bounce.config SET time_zone = 'Europe/Brussels';
	CALL bounce.refresh();
});
psql_ok($node, $db, q{SELECT count(*) FROM bounce.record_batch('[{"key": "k3", "address": "cy@x.be", "occurred_at": "2025-03-05", "registrars": [2]}]')}, user => 'bt_app');
psql($node, $db, q{SELECT * FROM bounce.quarterly_score}, user => 'bt_analyst');
psql($node, $db, q{SELECT bounce.my_registrars()}, user => 'bt_reg');
is(psql_ok($node, $db, $supers), '', 'after every function ran, no planted code ran: nobody became a superuser');

# every function's search_path leaves schema bounce out
is(psql_ok($node, $db, q{
	SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'bounce'
	  JOIN pg_proc p ON p.oid = d.objid
	 WHERE d.deptype = 'e' AND d.classid = 'pg_proc'::regclass
	   AND EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%bounce%')}), '0',
	'no function of the extension has bounce in its search_path');

# ---- 2: a schema prepared before the install ---------------------------
# as a database owner who is not a superuser
$node->command_ok(['createdb', '-h', $node->host, '-p', $node->port, '-U', 'bt_dbowner', 'bounce_tap_owned'], 'bt_dbowner creates a database');
psql_ok($node, 'bounce_tap_owned', "CREATE SCHEMA bounce; $trap", user => 'bt_dbowner');
my $err = psql_fails($node, 'bounce_tap_owned', "\\set VERBOSITY verbose\nCREATE EXTENSION bounce") // '';
like($err, qr/42501: schema bounce is owned by role bt_dbowner, not by postgres, who installs bounce/,
	'CREATE EXTENSION refuses a schema bounce owned by another role (42501, naming it)');
like($err, qr/HINT:\s+Drop that schema/, '  with a hint');
is(psql_ok($node, 'bounce_tap_owned', q{SELECT count(*) FROM pg_extension WHERE extname = 'bounce'}), '0', '  and creates no extension');
is(psql_ok($node, 'bounce_tap_owned', q{SELECT count(*) FROM pg_proc WHERE pronamespace = 'bounce'::regnamespace}), '2',
	'  and no function: the schema holds only what its owner put there');
is(psql_ok($node, $db, $supers), '', '  and nobody became a superuser');

# a schema of the installing role that another role may create objects in
my $open = fresh_db($node, 'bounce_tap_open');
psql_ok($node, $open, 'CREATE SCHEMA bounce; GRANT CREATE ON SCHEMA bounce TO bt_planter, PUBLIC');
like(psql_fails($node, $open, 'CREATE EXTENSION bounce') // '', qr/other roles may create objects in schema bounce: (PUBLIC, bt_planter|bt_planter, PUBLIC)/,
	'CREATE EXTENSION refuses a schema other roles may create objects in, naming them');
like(psql_fails($node, $open, 'CREATE EXTENSION bounce') // '', qr/REVOKE CREATE ON SCHEMA bounce FROM/, '  with the REVOKE to run');

# a schema of the installing role that already holds an object
my $full = fresh_db($node, 'bounce_tap_full');
psql_ok($node, $full, "CREATE SCHEMA bounce; $trap");
like(psql_fails($node, $full, 'CREATE EXTENSION bounce') // '', qr/schema bounce already holds objects: function (bounce\.)?date_trunc\(text,date\)/,
	'CREATE EXTENSION refuses a schema that holds objects, naming them');

# an empty schema of the installing role is fine, and so is the schema a
# dropped extension left behind
my $empty = fresh_db($node, 'bounce_tap_empty');
psql_ok($node, $empty, 'CREATE SCHEMA bounce; CREATE EXTENSION bounce; DROP EXTENSION bounce; CREATE EXTENSION bounce');
is(psql_ok($node, $empty, q{SELECT bounce.status_text('5.1.1')}), 'Bad destination mailbox address',
	'an empty schema of the installing role is used, also after DROP EXTENSION');

done_testing();
