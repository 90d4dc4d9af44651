# Installation: the extension creates, drops cleanly, keeps its objects in
# schema bounce, and works with fully qualified names and an empty
# search_path; pg_cron is preloaded in the test node.
use strict;
use warnings;
use Test::More;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $node = bounce_node('install');
my $db = fresh_db($node, 'bounce_tap_install');

is(psql_ok($node, $db, 'CREATE EXTENSION bounce; SELECT extversion FROM pg_extension WHERE extname = $$bounce$$;'),
	'0.1', 'CREATE EXTENSION installs the default version');
is(psql_ok($node, $db, q{SELECT nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'bounce'}),
	'bounce', 'installed in schema bounce');
is(psql_ok($node, $db, q{SELECT extrelocatable FROM pg_extension WHERE extname = 'bounce'}), 'f', 'not relocatable');

# fully qualified use, with nothing on the search path
is(psql_ok($node, $db, q{SET search_path = ''; SELECT bounce.status_text('5.1.1'::bounce.smtp_status), '5.1.1'::bounce.smtp_status OPERATOR(bounce.<) '5.2.0'::bounce.smtp_status}),
	'Bad destination mailbox address|t', 'works fully qualified with an empty search_path');

# every extension object is in schema bounce (no stray objects in public)
is(psql_ok($node, $db, q{
	SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'bounce'
	 WHERE d.deptype = 'e' AND d.classid = 'pg_proc'::regclass
	   AND (SELECT pronamespace FROM pg_proc WHERE oid = d.objid) <> 'bounce'::regnamespace}),
	'0', 'every function lives in schema bounce');

# install script hygiene (the generated script as installed)
my $sharedir = $node->config_data('--sharedir');
open my $fh, '<', "$sharedir/extension/bounce--0.1.sql" or die "install script: $!";
my $script = do { local $/; <$fh> };
$script =~ s/^\s*--.*$//mg;    # comments may name what is forbidden
close $fh;
unlike($script, qr/CREATE\s+OR\s+REPLACE/i, 'install script has no CREATE OR REPLACE');
unlike($script, qr/SECURITY\s+DEFINER/i, 'install script has no SECURITY DEFINER');

# every object has a comment: functions, types, operators, views, tables
is(psql_ok($node, $db, q{
	SELECT string_agg(pg_describe_object(d.classid, d.objid, 0), ', ')
	  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'bounce'
	 WHERE d.deptype = 'e'
	   AND d.classid IN ('pg_proc'::regclass, 'pg_type'::regclass, 'pg_operator'::regclass, 'pg_class'::regclass)
	   AND obj_description(d.objid, d.classid::regclass::text) IS NULL
	   AND NOT (d.classid = 'pg_type'::regclass AND EXISTS (SELECT FROM pg_type t WHERE t.oid = d.objid AND (t.typelem <> 0 AND t.typlen = -1 OR t.typrelid <> 0)))}),
	'', 'every function, type, operator and relation has a COMMENT');

# functions that run SQL pin their search_path
is(psql_ok($node, $db, q{
	SELECT string_agg(p.oid::regprocedure::text, ', ')
	  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
	 WHERE p.pronamespace = 'bounce'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
	   AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')}),
	'', 'SQL and PL/pgSQL functions SET search_path');

is(psql_ok($node, $db, q{SELECT count(*) FROM pg_proc WHERE pronamespace = 'bounce'::regnamespace AND prosecdef}),
	'0', 'no SECURITY DEFINER function');

# a database of another encoding is refused before anything is created
for my $enc (qw(LATIN1 EUC_JP SQL_ASCII)) {
	my $other = "bounce_tap_" . lc $enc;
	$node->command_ok(['createdb', '-h', $node->host, '-p', $node->port, '-E', $enc, '-T', 'template0', '--locale=C', $other],
		"createdb -E $enc");
	my $err = psql_fails($node, $other, "\\set VERBOSITY verbose\nCREATE EXTENSION bounce") // '';
	like($err, qr/0A000: bounce needs a UTF8 database, not $enc/, "CREATE EXTENSION in a $enc database: a clear error, 0A000");
	like($err, qr/HINT:\s+Create the database with encoding UTF8/, '  with a hint');
	is(psql_ok($node, $other, q{SELECT count(*) FROM pg_namespace WHERE nspname = 'bounce'}), '0', '  and no schema left behind');
}
like(slurp_file($node->config_data('--sharedir') . '/extension/bounce.control'), qr/^encoding = UTF8$/m,
	'the control file states encoding = UTF8');

# drop leaves nothing behind, and create works again (idempotent)
psql_ok($node, $db, 'DROP EXTENSION bounce');
is(psql_ok($node, $db, q{SELECT count(*) FROM pg_proc WHERE proname LIKE 'smtp_status%'}), '0', 'DROP EXTENSION removes the functions');
psql_ok($node, $db, 'DROP SCHEMA IF EXISTS bounce CASCADE; CREATE EXTENSION bounce');
is(psql_ok($node, $db, q{SELECT '4.2.2'::bounce.smtp_status::text}), '4.2.2', 're-create after drop works');

# pg_cron is preloaded in the node the test runs against
like(psql_ok($node, 'postgres', 'SHOW shared_preload_libraries'), qr/pg_cron/, 'pg_cron is preloaded');
is(psql_ok($node, 'postgres', q{SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'}), '1', 'pg_cron extension exists');
is(psql_ok($node, 'postgres', q{SHOW listen_addresses}), '', 'node listens on no TCP address');

done_testing();
