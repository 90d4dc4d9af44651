# Long parses can be cancelled, and a parse takes memory in proportion to
# the message.  parse_dsn and classify check for interrupts every few
# hundred kilobytes of their work: a cancel sent while they read a
# message of 100 MB or more ends them within a second (the target is
# 100 ms; the margin is for a loaded machine).  The peak memory of a
# backend that parses a 32 MB message of each hostile shape (a huge
# Diagnostic-Code, millions of empty field groups, a huge header, a
# base64 or ISO-2022-JP part ...) grows by less than 4 times the message,
# the message itself included.
use strict;
use warnings;
use Test::More;
use POSIX ();
use Time::HiRes qw(sleep time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $node = bounce_node('cancel');
my $db = fresh_db($node, 'bounce_tap_cancel');
psql_ok($node, $db, q{
	CREATE EXTENSION bounce;
	-- a message of about mb megabytes, in one of the shapes below
	CREATE FUNCTION big_message(kind text, mb int) RETURNS text LANGUAGE plpgsql AS $f$
	DECLARE n int := mb * 1024 * 1024;
	BEGIN
	  RETURN CASE kind
	    WHEN 'plain' THEN E'From: MAILER-DAEMON@example.org\nSubject: failure notice\n\n'
	      || repeat(E'<user@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 unknown (in reply to RCPT TO command)\n', n / 100)
	    WHEN 'diagnostic' THEN E'Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 '
	      || repeat(E'user unknown in virtual mailbox table host \n ', n / 44) || E'\n'
	    WHEN 'groups' THEN E'Content-Type: message/delivery-status\n\n' || repeat(E'X-A: b\n\n', n / 8)
	    WHEN 'header' THEN E'From: MAILER-DAEMON@example.org\nSubject: failure notice\nX-Long: '
	      || repeat(E'folded header value that goes on and on\n ', n / 41) || E'\n\n<a@example.net>: 550 5.1.1 unknown\n'
	    WHEN 'line' THEN E'From: MAILER-DAEMON@example.org\nSubject: failure notice\n\n<a@example.net>: 550 5.1.1 unknown '
	      || repeat('-----original message---- x ', n / 28) || E'\n'
	    WHEN 'base64' THEN E'From: MAILER-DAEMON@example.org\nSubject: failure notice\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n'
	      || repeat(E'PGFAZXhhbXBsZS5uZXQ+OiA1NTAgNS4xLjEgdW5rbm93biB0aGUgcXVpY2sgYnJvd24gZm94IGp1\n', n / 77) || E'\n--B--\n'
	    WHEN 'latin1' THEN E'From: MAILER-DAEMON@example.org\nSubject: failure notice\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain; charset=iso-8859-1\n\n<a@example.net>: 550 5.1.1 unknown\n'
	      || repeat(E'the quick brown fox jumps over the lazy dog again and again and again and again ok\n', n / 84) || E'\n--B--\n'
	    WHEN 'iso-2022-jp' THEN E'From: MAILER-DAEMON@example.org\nSubject: failure notice\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain; charset=iso-2022-jp\n\n<a@example.net>: 550 5.1.1 unknown\n'
	      || repeat(E'\x1b$B$3$l$O\x1b(B the quick brown fox jumps over the lazy dog again and again\n', n / 72) || E'\n--B--\n'
	    WHEN 'ses' THEN E'From: no-reply@sns.amazonaws.com\n\n{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","x":"'
	      || repeat('abcdefgh\n', n / 10) || '","bouncedRecipients":[{"emailAddress":"a@example.net","diagnosticCode":"smtp; 550 5.1.1 unknown"}]}}'
	  END;
	END $f$;
	CREATE FUNCTION peak_memory() RETURNS bigint LANGUAGE sql AS $f$
	  SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmHWM:\s*(\d+) kB')::bigint * 1024 $f$;
});

# ---- cancel ------------------------------------------------------------

# Session A builds the message (the expression make), then runs stmt on it
# (m) with a generic plan, so that nothing copies the message before the
# parse starts; this process cancels A 0.2 s into the statement.  Returns
# the milliseconds from the cancel to A's handler, or undef when A finished
# first.
my $lock = 160160;
sub cancel_latency {
	my ($kind, $make, $stmt) = @_;
	my $app = "bounce_tap_cancel_$kind";
	my $out = PostgreSQL::Test::Utils::tempdir() . "/session_a.out";
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		$ENV{PGAPPNAME} = $app;
		my ($rc, $o, $e) = psql($node, $db, qq{
			SET plan_cache_mode = force_generic_plan;
			SELECT pg_advisory_lock($lock);
			DO \$\$ DECLARE m text := $make; r text;
			BEGIN
			  PERFORM pg_advisory_unlock($lock);
			  BEGIN
			    $stmt;
			    RAISE NOTICE 'finished';
			  EXCEPTION WHEN query_canceled THEN
			    RAISE NOTICE 'canceled at %', extract(epoch FROM clock_timestamp());
			  END;
			END \$\$;
		});
		open my $fh, '>', $out or die;
		print $fh "$o\n$e\n";	# the notices come on stderr
		close $fh;
		# _exit: the END blocks of PostgreSQL::Test::Cluster would stop the node
		POSIX::_exit($rc ? 1 : 0);
	}
	# wait until A holds the lock, then until it lets it go: the message is built
	my $apid;
	for (1 .. 200) {
		$apid = psql_ok($node, $db, qq{SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)
			WHERE l.locktype = 'advisory' AND l.objid = $lock AND l.granted AND a.application_name = '$app'});
		last if $apid;
		sleep 0.05;
	}
	die "session A did not start" unless $apid;
	psql_ok($node, $db, "SELECT pg_advisory_lock($lock); SELECT pg_advisory_unlock($lock);");
	sleep 0.2;
	my ($t_cancel) = split /\|/, psql_ok($node, $db, "SELECT extract(epoch FROM clock_timestamp()), pg_cancel_backend($apid)");
	waitpid($pid, 0);
	open my $fh, '<', $out or die "no output of session A";
	local $/;
	my $o = <$fh>;
	close $fh;
	unlink $out;
	return undef unless $o =~ /canceled at ([0-9.]+)/;
	return ($1 - $t_cancel) * 1000;
}

for my $case (['parse_dsn of a 150 MB plain-text bounce', 'plain', "big_message('plain', 150)",
			   'SELECT count(*) INTO r FROM bounce.parse_dsn(m)'],
			  ['parse_dsn of a 150 MB Diagnostic-Code', 'diagnostic', "big_message('diagnostic', 150)",
			   'SELECT count(*) INTO r FROM bounce.parse_dsn(m)'],
			  ['parse_dsn_fields of 150 MB of empty field groups', 'groups', "big_message('groups', 150)",
			   'SELECT count(*) INTO r FROM bounce.parse_dsn_fields(m)'],
			  ['parse_dsn of a 150 MB ISO-8859-1 part', 'latin1', "big_message('latin1', 150)",
			   'SELECT count(*) INTO r FROM bounce.parse_dsn(m)'],
			  ['classify of 400 MB of text', 'text', "repeat('the mailbox of this user is full right now ', 400 * 1024 * 1024 / 43)",
			   'SELECT bounce.classify(m) INTO r']) {
	my ($what, $kind, $make, $stmt) = @$case;
	my $ms = cancel_latency($kind, $make, $stmt);
	ok(defined $ms, "$what was still running 0.2 s in, and was cancelled");
	ok(defined $ms && $ms < 1000, sprintf("$what ended %s ms after the cancel (under 1000)",
		defined $ms ? sprintf('%.0f', $ms) : '?'));
}

# ---- memory ------------------------------------------------------------

psql_ok($node, $db, q{CREATE TABLE msg (kind text PRIMARY KEY, m text)});
my @shapes = qw(plain diagnostic groups header line base64 latin1 iso-2022-jp ses);
psql_ok($node, $db, "INSERT INTO msg VALUES ('$_', big_message('$_', 32))") for @shapes;
for my $kind (@shapes) {
	# a fresh backend: its peak is this parse (and the message read from the table)
	my $out = psql_ok($node, $db, qq{
		SELECT peak_memory() AS before \\gset
		SELECT count(*) FROM msg, bounce.parse_dsn(m) WHERE kind = '$kind';
		SELECT octet_length(m), peak_memory() - :before FROM msg WHERE kind = '$kind';
	});
	my ($size, $grew) = split /\|/, (split /\n/, $out)[-1];
	$grew //= 0;
	ok($size && $grew < 4 * $size, sprintf("parse_dsn of a %d MB %s message: peak memory grew %.1f times its size (under 4)",
		($size // 0) >> 20, $kind, $size ? $grew / $size : 0));
}

psql_ok($node, 'postgres', "DROP DATABASE $db");
done_testing();
