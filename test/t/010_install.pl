# Installation: the extension creates, drops cleanly, keeps its objects in
# schema bounce, and works with fully qualified names and an empty
# search_path; pg_cron is preloaded in the test node.
use strict;
use warnings;
use Test::More;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use File::Basename qw(dirname);
use BounceTest;

my $node = bounce_node('install');
my $db = fresh_db($node, 'bounce_tap_install');

my ($default_version) = slurp_file(dirname(__FILE__) . '/../../bounce.control') =~ /^default_version = '([^']+)'/m;
is(psql_ok($node, $db, 'CREATE EXTENSION bounce; SELECT extversion FROM pg_extension WHERE extname = $$bounce$$;'),
	$default_version, "CREATE EXTENSION installs the default version, $default_version");
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
	   AND (SELECT pronamespace FROM pg_proc WHERE oid = d.objid) NOT IN ('bounce'::regnamespace, 'bounce_internal'::regnamespace)}),
	'0', 'every function lives in schema bounce or bounce_internal');

# \df bounce.* lists what users call: the trigger functions, the type's
# support functions and the refresh's steps are in bounce_internal
is(psql_ok($node, $db, q{
	SELECT string_agg(p.proname, ', ' ORDER BY p.proname) FROM pg_proc p
	 WHERE p.pronamespace = 'bounce'::regnamespace
	   AND (p.prorettype = 'trigger'::regtype OR p.proname ~ '^(smtp_status_|refresh_)' OR p.proname IN ('revoke_all', 'check_role', 'apply_policies', 'grant_read', 'record_event'))}),
	'', 'no trigger function, type support function or refresh step in schema bounce');
is(psql_ok($node, $db, q{SELECT count(*) FROM pg_proc WHERE pronamespace = 'bounce_internal'::regnamespace}), '33',
	'the internal helpers are in bounce_internal');
is(psql_ok($node, $db, q{
	SELECT count(*) FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
	 WHERE n.nspname = 'bounce_internal' AND a.grantee <> n.nspowner}),
	'0', 'no role but the owner has a privilege on schema bounce_internal');
is(psql_ok($node, $db, q{SELECT d.deptype FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'bounce'
	 WHERE d.classid = 'pg_namespace'::regclass AND d.objid = 'bounce_internal'::regnamespace}), 'e',
	'schema bounce_internal belongs to the extension (DROP EXTENSION drops it, pg_dump leaves it to CREATE EXTENSION)');

# install script hygiene (the generated script as installed)
my $sharedir = $node->config_data('--sharedir');
my ($version) = slurp_file("$sharedir/extension/bounce.control") =~ /^default_version = '([^']+)'/m;
open my $fh, '<', "$sharedir/extension/bounce--$version.sql" or die "install script: $!";
my $script = do { local $/; <$fh> };
$script =~ s/^\s*--.*$//mg;    # comments may name what is forbidden
close $fh;
unlike($script, qr/CREATE\s+OR\s+REPLACE/i, 'install script has no CREATE OR REPLACE');

# every object has a comment: functions, types, operators, views, tables
is(psql_ok($node, $db, q{
	SELECT string_agg(pg_describe_object(d.classid, d.objid, 0), ', ')
	  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'bounce'
	 WHERE d.deptype = 'e'
	   AND d.classid IN ('pg_proc'::regclass, 'pg_type'::regclass, 'pg_operator'::regclass, 'pg_class'::regclass)
	   AND obj_description(d.objid, d.classid::regclass::text) IS NULL
	   AND NOT (d.classid = 'pg_type'::regclass AND EXISTS (SELECT FROM pg_type t WHERE t.oid = d.objid AND (t.typelem <> 0 AND t.typlen = -1 OR t.typrelid <> 0)))}),
	'', 'every function, type, operator and relation has a COMMENT');
is(psql_ok($node, $db, q{
	SELECT string_agg(c.relname || '.' || a.attname, ', ' ORDER BY c.relname, a.attnum)
	  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'bounce'
	  JOIN pg_class c ON c.oid = d.objid AND c.relkind IN ('r', 'v', 'm', 'p')
	  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	 WHERE d.deptype = 'e' AND d.classid = 'pg_class'::regclass AND col_description(c.oid, a.attnum) IS NULL}),
	'', 'every column of every table and view has a COMMENT');

# Every function and procedure of the extension runs with the search_path
# pg_catalog, pg_temp: a function or operator someone put in schema bounce
# (or anywhere else) is never picked up by name.  C functions are exempt
# only when their source file runs no SQL (no SPI): they resolve no name.
my %spi_symbol;
for my $c (glob(dirname(__FILE__) . '/../../src/*.c'), glob(dirname(__FILE__) . '/../../src/*/*.c')) {
	my $src = slurp_file($c);
	next unless $src =~ /\bSPI_/;
	$spi_symbol{$1} = 1 while $src =~ /PG_FUNCTION_INFO_V1\((\w+)\)/g;
}
ok(exists $spi_symbol{bounce_refresh_scan}, 'the C functions that run SQL are found (refresh_scan)');
my @unpinned;
for my $row (split /\n/, psql_ok($node, $db, q{
	SELECT p.oid::regprocedure, l.lanname, CASE WHEN l.lanname = 'c' THEN p.prosrc END, coalesce(array_to_string(p.proconfig, ';'), '')
	  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'bounce'
	  JOIN pg_proc p ON p.oid = d.objid JOIN pg_language l ON l.oid = p.prolang
	 WHERE d.deptype = 'e' AND d.classid = 'pg_proc'::regclass ORDER BY 1}))
{
	my ($f, $lang, $src, $config) = split /\|/, $row;
	my @paths = grep { /^search_path=/ } split /;/, $config;
	next if "@paths" eq 'search_path=pg_catalog, pg_temp';
	next if $lang eq 'c' && !@paths && !$spi_symbol{$src};
	push @unpinned, "$f ($lang: " . ($config || 'no SET') . ')';
}
is(join(', ', @unpinned), '', 'every function runs with search_path = pg_catalog, pg_temp (C functions that run no SQL excepted)');

# SECURITY DEFINER functions (the registrars' reports, the writers'
# ingestion): none may be run by PUBLIC, and each is documented in the
# security section of the manual
my @secdef = split /\n/, psql_ok($node, $db, q{
	SELECT p.proname FROM pg_proc p WHERE p.pronamespace IN ('bounce'::regnamespace, 'bounce_internal'::regnamespace) AND p.prosecdef ORDER BY 1});
ok(@secdef >= 8, 'SECURITY DEFINER functions: ' . join(', ', @secdef));
is(psql_ok($node, $db, q{
	SELECT string_agg(p.proname, ', ') FROM pg_proc p
	 WHERE p.pronamespace IN ('bounce'::regnamespace, 'bounce_internal'::regnamespace) AND p.prosecdef
	   AND (p.proacl IS NULL OR EXISTS (SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0))}),
	'', 'no SECURITY DEFINER function may be run by PUBLIC');
my $manual = slurp_file(dirname(__FILE__) . '/../../doc/bounce.md');
my ($security) = $manual =~ /^### 5\.6 (.*?)^### /ms;
is(join(', ', grep { ($security // '') !~ /`\Q$_\E\(/ } @secdef), '', 'each is named in doc/bounce.md 5.6');

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
is(psql_ok($node, $db, q{SELECT count(*) FROM pg_namespace WHERE nspname = 'bounce_internal'}), '0', 'and schema bounce_internal');
psql_ok($node, $db, 'DROP SCHEMA IF EXISTS bounce CASCADE; CREATE EXTENSION bounce');
is(psql_ok($node, $db, q{SELECT '4.2.2'::bounce.smtp_status::text}), '4.2.2', 're-create after drop works');

# pg_cron is preloaded in the node the test runs against
like(psql_ok($node, 'postgres', 'SHOW shared_preload_libraries'), qr/pg_cron/, 'pg_cron is preloaded');
is(psql_ok($node, 'postgres', q{SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'}), '1', 'pg_cron extension exists');
is(psql_ok($node, 'postgres', q{SHOW listen_addresses}), '', 'node listens on no TCP address');

done_testing();
