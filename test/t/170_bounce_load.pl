# bounce-load (tools/bounce-load/, doc/bounce-load.md) against a node:
# a maildir and an mbox built from the corpus e-mails (test/corpus/eml).
#   - Loading the maildir gives exactly the bounces, attributions and
#     per-recipient outcomes that record_dsn gives when called on each
#     message in turn; a second load changes nothing and reports every
#     recipient as already known.
#   - Two bad messages in the middle (a header block past the parser's
#     limit, a bounce time in the future) are reported with their file and
#     error, exit status 1, and the rest is recorded.
#   - mbox splitting: mboxrd quoting undone, Content-Length trusted, a
#     "From " line inside a body without a blank line before it is body.
#   - Standard input (a pipe transport's message, with its From_ line),
#     exit statuses 0, 1 and 2, and a role without the privilege.
use strict;
use warnings;
use Test::More;
use Digest::SHA qw(sha256_hex);
use File::Basename qw(basename);
use File::Copy qw(copy);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $root = $ENV{ROOT} // '.';
my $corpus = "$root/test/corpus/eml";
my @eml = sort grep { -f } glob("$corpus/*.eml");
plan skip_all => "corpus not found in $corpus" unless @eml > 200;

my $node = bounce_node('load');
my $loader = $node->config_data('--bindir') . '/bounce-load';
ok(-x $loader, "bounce-load is installed in the server's bindir");

my $setup = q{
	CREATE EXTENSION bounce;
	INSERT INTO bounce.registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'hosting');
};
for my $db (qw(loaded reference)) {
	fresh_db($node, $db);
	psql_ok($node, $db, $setup);
}

# Run bounce-load with ARGS (and STDIN); returns (exit status, stdout, stderr).
sub load {
	my ($args, $stdin) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([$loader, @$args], '<', \($stdin // ''), '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub summary_count {
	my ($out, $label) = @_;
	return $out =~ /^\Q$label\E\s+(\d+)/m ? $1 : undef;
}

sub slurp_raw {
	my ($f) = @_;
	open my $h, '<:raw', $f or die "$f: $!";
	local $/;
	return scalar <$h>;
}

# ---- the maildir --------------------------------------------------------

my $dir = PostgreSQL::Test::Utils::tempdir;
my $md = "$dir/maildir";
mkdir $_ for $md, "$md/cur", "$md/new", "$md/tmp";
copy($_, "$md/cur/" . basename($_)) or die "copy $_: $!" for @eml;
# bad messages, sorted into the middle of the corpus
my $too_many = "From: MAILER-DAEMON\@mx.example.org\nSubject: Undelivered Mail Returned to Sender\n"
	. join('', map { "X-Field-$_: v\n" } 1 .. 2500) . "\n<gone\@example.net>: 550 5.1.1 User unknown\n";
my $future = <<'EOF';
From: MAILER-DAEMON@mx.example.org
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; later@example.net
Action: failed
Status: 5.1.1
Last-Attempt-Date: Fri, 1 Jan 2099 00:00:00 +0000

--B--
EOF
for (["lhost-m-too-many-fields.eml", $too_many], ["lhost-m-future.eml", $future]) {
	open my $h, '>:raw', "$md/cur/$_->[0]" or die;
	print $h $_->[1];
	close $h;
}
# new/ holds a copy of a message already in cur/; tmp/ is never read
copy($eml[0], "$md/new/1700000000.copy") or die;
copy($eml[1], "$md/tmp/1700000001.partial") or die;
my @order = ((map { "$md/cur/$_" } sort map { basename($_) } glob("$md/cur/*")), "$md/new/1700000000.copy");

# the reference: record_dsn on each message in turn, in the loader's order
my $started = psql_ok($node, 'reference', 'SELECT now()');
psql_ok($node, 'reference', 'CREATE TABLE ref_outcome (file text, outcome text)');
my $script = join '', map {
	"INSERT INTO ref_outcome SELECT '$_', outcome FROM bounce.record_dsn(pg_read_binary_file('$_'), '{1,2}');\n"
} @order;
my (undef, undef, $ref_err) = $node->psql('reference', $script, on_error_stop => 0);
is(() = $ref_err =~ /ERROR:/g, 2, 'record_dsn refuses the two bad messages');

my ($rc, $out, $err) = load(['-v', '-d', $node->connstr('loaded'), '-r', '1,2', $md]);
is($rc, 1, 'a maildir with bad messages: exit status 1');
like($err, qr/failed: \Q$md\E\/cur\/lhost-m-too-many-fields\.eml: bounce message rejected: a header block has too many fields \(54000\)/,
	'the message past the parser\'s limit is reported with its file, error and SQLSTATE');
like($err, qr/failed: \Q$md\E\/cur\/lhost-m-future\.eml: bounce time 2099-01-01 00:00:00\+00 is in the future .*\(22023\)/,
	'the message dated in the future is reported too');
is(summary_count($out, 'messages'), scalar @order, 'every file of cur/ and new/ is read, tmp/ is not');
is(summary_count($out, 'failed'), 2, 'the summary counts 2 failed messages');
like($out, qr/^  \Q$md\E\/cur\/lhost-m-future\.eml: /m, 'and lists them');

my $rows = q{
	SELECT string_agg(concat_ws('|', e.idempotency_key, e.address,
	                            CASE WHEN e.occurred_at < '%s' THEN e.occurred_at::text END,
	                            e.reply_code, e.status, md5(e.diagnostic), e.reason, e.hard, e.permanent,
	                            (SELECT string_agg(a.registrar_id::text, ',' ORDER BY a.registrar_id)
	                               FROM bounce.attribution a WHERE a.event_id = e.id)), E'\n' ORDER BY e.idempotency_key)
	  FROM bounce.event e
};
$rows = sprintf($rows, $started);
my $ref_rows = psql_ok($node, 'reference', $rows);
my $n_events = psql_ok($node, 'reference', 'SELECT count(*) FROM bounce.event');
cmp_ok($n_events, '>', 250, "the reference records the corpus's bounces ($n_events)");
is(psql_ok($node, 'loaded', $rows), $ref_rows,
	'bounce-load records exactly what record_dsn records message by message: keys, addresses, times, codes, diagnostics, reasons, attributions');
is(psql_ok($node, 'loaded', 'SELECT count(*) FROM bounce.pending'), $n_events, 'every new bounce is queued for the refresh once');

# per recipient: the loader's outcome of each file is record_dsn's
my %from_loader;
for (split /\n/, $out) {
	my ($origin, $rcpt, $outcome) = split /\t/;
	next unless defined $outcome;
	$outcome = 'recorded' if $outcome eq 'already known';
	push @{ $from_loader{$origin} }, $outcome;
}
my %from_ref;
for (split /\n/, psql_ok($node, 'reference', "SELECT file || '\t' || outcome FROM ref_outcome")) {
	my ($f, $o) = split /\t/;
	push @{ $from_ref{$f} }, $o;
}
my $same = join("\n", map { "$_: " . join(',', sort @{ $from_loader{$_} }) } sort keys %from_loader);
my $want = join("\n", map { "$_: " . join(',', sort @{ $from_ref{$_} }) } sort keys %from_ref);
is($same, $want, 'the outcome of every recipient of every file is the one record_dsn gives');
my $known = grep { $_ eq 'recorded' } map { @$_ } values %from_ref;
is(summary_count($out, 'recorded') + summary_count($out, 'already known'), $known,
	'recorded plus already known is the number of recipients record_dsn records');
cmp_ok(summary_count($out, 'already known'), '>=', 1, 'the copy in new/ (and repeated keys in the corpus) are already known');
my $not = grep { /^not a bounce/ } map { @$_ } values %from_ref;
is(summary_count($out, 'not a bounce'), $not, 'not a bounce: as many as record_dsn reports');
like($out, qr/^  feedback report\s+\d+$/m, 'counted by why');

# ---- a second load: nothing changes ------------------------------------
my $before = psql_ok($node, 'loaded', 'SELECT count(*), max(id), (SELECT count(*) FROM bounce.attribution), (SELECT count(*) FROM bounce.pending) FROM bounce.event');
($rc, $out, $err) = load(['-d', $node->connstr('loaded'), '-r', '1,2', '-b', '7', $md]);
is($rc, 1, 'second load, in batches of 7: exit status 1 again (the bad messages fail again)');
is(summary_count($out, 'recorded'), 0, 'second load: nothing recorded');
is(summary_count($out, 'already known'), $known, 'second load: every recipient already known');
is(psql_ok($node, 'loaded', 'SELECT count(*), max(id), (SELECT count(*) FROM bounce.attribution), (SELECT count(*) FROM bounce.pending) FROM bounce.event'),
	$before, 'second load: no bounce, attribution or queue entry added');
is(psql_ok($node, 'loaded', $rows), $ref_rows, 'second load: the rows are unchanged');

# ---- an mbox ------------------------------------------------------------
sub bounce_text {
	my ($rcpt, $body_extra) = @_;
	return "From: MAILER-DAEMON\@mx.example.org\nTo: sender\@example.com\n"
		. "Subject: Undelivered Mail Returned to Sender\nDate: Mon, 1 Jan 2024 01:02:03 +0000\n\n"
		. "This is the mail system at host mx.example.org.\n\n"
		. "<$rcpt>: host mx.example.net[192.0.2.1] said: 550 5.1.1 <$rcpt>: Recipient\n"
		. "    address rejected: User unknown (in reply to RCPT TO command)\n\n$body_extra";
}
# no Message-ID: record_dsn's key is the SHA-256 of the message, so a key
# shows that the message came out of the mbox byte for byte
my $m1 = bounce_text('quoted@example.net', "From here on, a line mboxrd quotes\n>From a line quoted already\n");
my $m2 = bounce_text('length@example.net', "a body with\n\nFrom a line after a blank line, not quoted\n");
my $m3 = bounce_text('inline@example.net', "a body line\nFrom a line without a blank line before\n");
(my $q1 = $m1) =~ s/^(>*From )/>$1/mg;
my $m2_headers = substr($m2, 0, index($m2, "\n\n") + 1);
my $m2_body = substr($m2, index($m2, "\n\n") + 2);
my $mbox = "From MAILER-DAEMON Mon Jan  1 01:02:03 2024\n$q1\n"
	. "From MAILER-DAEMON Mon Jan  1 01:02:04 2024\n${m2_headers}Content-Length: " . length($m2_body) . "\n\n$m2_body\n"
	. "From MAILER-DAEMON Mon Jan  1 01:02:05 2024\n$m3\n"
	. "From MAILER-DAEMON Mon Jan  1 01:02:06 2024\n" . slurp_raw($eml[2]);
open my $h, '>:raw', "$dir/bounces.mbox" or die;
print $h $mbox;
close $h;
fresh_db($node, 'mbox');
psql_ok($node, 'mbox', $setup);
($rc, $out, $err) = load(['-d', $node->connstr('mbox'), "$dir/bounces.mbox"]);
is($rc, 0, 'an mbox: exit status 0');
is(summary_count($out, 'messages'), 4, 'the mbox holds 4 messages: no split at a body line, none at the Content-Length body\'s');
my $m2_stored = "${m2_headers}Content-Length: " . length($m2_body) . "\n\n$m2_body";
for ([$m1, 'quoted@example.net', '>From quoting undone'], [$m2_stored, 'length@example.net', 'Content-Length trusted, its body kept whole'],
	[$m3, 'inline@example.net', 'a From line without a blank line before it is body']) {
	my ($m, $r, $what) = @$_;
	is(psql_ok($node, 'mbox', "SELECT count(*) FROM bounce.event WHERE idempotency_key = 'sha256:" . sha256_hex($m) . " $r'"),
		1, "mbox: $what (the message comes out byte for byte)");
}
is(psql_ok($node, 'mbox', 'SELECT count(*) FROM bounce.attribution'), 0, 'without --registrars, no registrar is charged');

# ---- --registrars=contacts: each recipient from bounce.contact -------------
($rc, undef, $err) = load(['-d', $node->connstr('mbox'), '-r', 'contacts', "$dir/bounces.mbox"]);
is($rc, 2, '--registrars=contacts with no contact loaded: exit status 2, nothing sent');
like($err, qr/bounce registrars must not be NULL/, '  and says why');
psql_ok($node, 'mbox', q{CREATE TABLE public.c (address text, registrar_id integer, domain text, valid tstzrange);
	INSERT INTO public.c VALUES ('contact1@example.net', 2, 'one.be', '(,)'), ('contact1@example.net', 1, 'two.be', '(,)');
	SELECT bounce.load_contacts('public.c')});
my $for_contact = "From MAILER-DAEMON Mon Jan  1 01:02:03 2024\n" . bounce_text('contact1@example.net', '')
	. "\nFrom MAILER-DAEMON Mon Jan  1 01:02:04 2024\n" . bounce_text('nocontact@example.net', '');
($rc, $out, $err) = load(['-d', $node->connstr('mbox'), '-r', 'contacts', '-f', 'mbox', '-'], $for_contact);
is($rc, 0, '--registrars=contacts: exit status 0');
is(psql_ok($node, 'mbox', q{SELECT e.address || ':' || string_agg(a.registrar_id || '=' || array_to_string(a.domains, ','), ' ' ORDER BY a.registrar_id)
	FROM bounce.event e JOIN bounce.attribution a ON a.event_id = e.id WHERE e.address LIKE '%contact%@example.net' GROUP BY e.address}),
	'contact1@example.net:1=two.be 2=one.be', 'each recipient charged to its contacts\' registrars, with their domains; none for an address without a contact');
is(psql_ok($node, 'mbox', q{SELECT count(*) FROM bounce.event WHERE address = 'nocontact@example.net'}), 1, '  which is still recorded');

# ---- standard input -------------------------------------------------------
my $piped = "From MAILER-DAEMON Mon Jan  1 01:02:03 2024\n" . bounce_text('piped@example.net', '');
($rc, $out, $err) = load(['-q', '-d', $node->connstr('mbox'), '-r', '2'], $piped);
is($rc, 0, 'standard input: exit status 0');
is($out, '', '--quiet: nothing on stdout');
is(psql_ok($node, 'mbox', "SELECT string_agg(a.registrar_id::text, ',') FROM bounce.event e JOIN bounce.attribution a ON a.event_id = e.id WHERE e.address = 'piped\@example.net'"),
	'2', 'the piped message is recorded, charged to --registrars');
is(psql_ok($node, 'mbox', "SELECT count(*) FROM bounce.event WHERE idempotency_key = 'sha256:" . sha256_hex(bounce_text('piped@example.net', '')) . " piped\@example.net'"),
	1, 'the pipe transport\'s From_ line is not part of the message');
($rc, $out) = load(['-d', $node->connstr('mbox'), '-'], $piped);
is(summary_count($out, 'already known'), 1, 'the same message again: already known');

# ---- exit statuses and refusals -------------------------------------------
($rc, $out, $err) = load(['-d', $node->connstr('mbox'), "$dir/bounces.mbox"]);
is($rc, 0, 'nothing failed: exit status 0');
($rc, undef, $err) = load(['-b', '0', $md]);
is($rc, 2, '--batch 0: exit status 2');
like($err, qr/invalid --batch "0"/, '--batch 0: says why');
($rc, undef, $err) = load(['-r', '1,x', $md]);
is($rc, 2, '--registrars 1,x: exit status 2');
like($err, qr/invalid --registrars "1,x"/, '--registrars 1,x: says why');
($rc, undef, $err) = load(['-d', $node->connstr('mbox'), "$dir/no-such-file"]);
is($rc, 2, 'a path that does not exist: exit status 2');
like($err, qr/cannot read ".*no-such-file": No such file or directory/, 'a path that does not exist: named');
($rc, undef, $err) = load(['-d', $node->connstr('mbox'), '-r', '1,42', $md]);
is($rc, 2, 'an unknown registrar: exit status 2, before anything is sent');
like($err, qr/unknown registrar: 42/, 'an unknown registrar: named');
($rc, undef, $err) = load(['-d', $node->connstr('no_such_db'), $md]);
is($rc, 2, 'no connection: exit status 2');
like($err, qr/cannot connect: .*no_such_db/s, 'no connection: says why');
my $events = psql_ok($node, 'mbox', 'SELECT count(*) FROM bounce.event');
psql_ok($node, 'mbox', q{CREATE ROLE bt_load_analyst LOGIN; SELECT bounce.grant_analyst('bt_load_analyst')});
($rc, undef, $err) = load(['-d', $node->connstr('mbox') . ' user=bt_load_analyst', $md]);
is($rc, 2, 'a role that may not record (an analyst): exit status 2');
like($err, qr/permission denied for function record_dsn_batch.*grant_writer/s, 'an analyst: permission denied, with the hint');
is(psql_ok($node, 'mbox', 'SELECT count(*) FROM bounce.event'), $events, 'nothing recorded by the refused runs');
psql_ok($node, 'mbox', q{CREATE ROLE bt_load_writer LOGIN; SELECT bounce.grant_writer('bt_load_writer')});
($rc, undef, $err) = load(['-d', $node->connstr('mbox') . ' user=bt_load_writer', $md]);
# The maildir holds the two bad messages: the writer's run fails on them, as
# the owner's did, and on nothing else (no permission error).
is($rc, 1, 'the application\'s writer role (grant_writer) may run the loader: exit status 1, the bad messages only');
my @failed = $err =~ /^bounce-load: failed: /mg;
is(scalar @failed, 2, 'the writer role: the two bad messages fail, as for the owner');
unlike($err, qr/permission denied/, 'the writer role: no permission error');

done_testing();
