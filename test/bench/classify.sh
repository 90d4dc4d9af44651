#!/usr/bin/env bash
# test/bench/classify.sh -- classifier throughput, as ratios against
# baselines run in the same server on the same table.
#
#   test/bench/classify.sh [ROWS]        (default 1000000)
#
# Builds and installs bounce against $PG_CONFIG, starts a private cluster
# (test/lib.sh), and times the classifier on two tables of ROWS rows each:
#   bench    synthetic bounces from 48 real-looking templates (addresses,
#            hosts, IPs and ids varied), about 105 bytes of diagnostic;
#   corpus   the development corpus's real diagnostics with their codes,
#            command and remote host (test/corpus/dev.tsv, repeated),
#            about 150 characters: longer texts that walk deeper into the
#            rules;
# each at two rule counts:
#   1x       bounce.classify, today's rules;
#   2x       the same C built with -DBOUNCE_BENCH_DOUBLE_RULES, which adds
#            a synthetic variant of every text pattern (the same words in
#            another order, never reported) so the automaton is twice as
#            large; loaded from $PGWORK as bounce.classify_x2 and checked to
#            give the same answer on every row.
# Single-process (max_parallel_workers_per_gather = 0), best of ROUNDS (5)
# interleaved rounds (the regex classifier: best of 2):
#   floor    SELECT sum(length(diagnostic))                 -- a trivial built-in over the text
#   C        SELECT count(*) WHERE bounce.classify(diagnostic, reply_code, status, command, rhost) = ...
#   C text   the same with the diagnostic alone
#   regex    a plain-SQL classifier (CASE on status/reply code + ~* patterns), on a sample
#   Sisimai  Sisimai->match() (Debian's libsisimai-perl, when installed), on a sample
#            of bench, strings per CPU-second of the perl process
# then the C core alone (test/bench/classify_native.c, both rule counts,
# on the corpus rows), and prints rows/s, the ratios recorded in
# doc/performance.md and whether each meets its target.
#
# Each query runs in a new session, so run as root the cluster's shared
# memory is backed by huge pages (as test/bench/registry.sh does): without
# them a new backend takes a page fault for every shared-buffer page it
# touches, a cost that is neither the floor's nor the classifier's.
# BENCH_HUGE_PAGES=0 measures without.
source "$(dirname "$0")/../lib.sh"
ROWS=${1:-1000000}
SAMPLE=${SAMPLE:-100000}
ROUNDS=${ROUNDS:-5}
if [ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/nr_hugepages ]; then
	BOUNCE_HUGE_PAGES=${BENCH_HUGE_PAGES:-1}
else
	BOUNCE_HUGE_PAGES=0
fi
export BOUNCE_HUGE_PAGES
ensure_packages
build_install
start_cluster
db=bounce_bench
psql_db postgres -q -c "CREATE DATABASE $db"
q() { psql_db $db -qAt "$@"; }
q -c "CREATE EXTENSION bounce"

# The doubled rule set: the same sources, another library name, linked
# -Bsymbolic so that its calls stay inside it when a backend has loaded
# both libraries.
log "building the doubled rule set (bounce_x2.so)"
x2="$PGWORK/x2"
mkdir -p "$x2"
cp -r "$ROOT/Makefile" "$ROOT/bounce.control" "$ROOT/src" "$x2/"
find "$x2/src" \( -name "*.o" -o -name "*.bc" -o -name "*.so" \) -delete
make -C "$x2" -s PG_CONFIG="$PG_CONFIG" MODULE_big=bounce_x2 \
	COPT=-DBOUNCE_BENCH_DOUBLE_RULES SHLIB_LINK=-Wl,-Bsymbolic bounce_x2.so >/dev/null
chmod -R a+rX "$x2"
q <<SQL
CREATE FUNCTION bounce.classify_x2(diagnostic text, reply_code integer DEFAULT NULL,
		status bounce.smtp_status DEFAULT NULL, command text DEFAULT NULL,
		remote_host text DEFAULT NULL)
	RETURNS bounce.reason
	AS '$x2/bounce_x2.so', 'bounce_classify_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
SQL

log "generating $ROWS rows of each table"
q <<SQL
CREATE TABLE tpl (n int, diagnostic text, reply_code int, status bounce.smtp_status, command text, rhost text);
INSERT INTO tpl (diagnostic, reply_code, status, command, rhost) VALUES
 ('host {host}[{ip}] said: 550 5.1.1 <{addr}>: Recipient address rejected: User unknown in local recipient table (in reply to RCPT TO command)', 550, '5.1.1', 'RCPT', '{host}'),
 ('SMTP error from remote mail server after RCPT TO:<{addr}>: host {host} [{ip}]: 550 5.1.1 <{addr}>... User Unknown', 550, '5.1.1', 'RCPT', '{host}'),
 ('550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient''s email address for typos or unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser {id} - gsmtp', 550, '5.1.1', 'RCPT', 'gmail-smtp-in.l.google.com'),
 ('550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', 550, '5.1.10', 'RCPT', '{dom}-com.mail.protection.outlook.com'),
 ('550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [{id}.prod.protection.outlook.com]', 550, '5.4.1', 'RCPT', '{dom}-com.mail.protection.outlook.com'),
 ('Remote Server returned ''550 5.1.1 RESOLVER.ADR.RecipNotFound; not found''', 550, '5.1.1', NULL, '{host}'),
 ('554 delivery error: dd This user doesn''t have a yahoo.com account ({addr}) [0] - mta{n}.mail.bf1.yahoo.com', 554, '5.0.0', 'DATA', 'mta7.am0.yahoodns.net'),
 ('Sorry, no mailbox here by that name. (#5.1.1)', NULL, '5.1.1', NULL, '{host}'),
 ('550 5.1.1 <{addr}>: inactive email address', 550, '5.1.1', 'RCPT', 'mx01.mail.icloud.com'),
 ('550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]', 550, '5.1.1', 'RCPT', 'smtp-in.orange.fr'),
 ('host {host}[{ip}] said: 552 5.2.2 <{addr}>: user is over quota (in reply to RCPT TO command)', 552, '5.2.2', 'RCPT', '{host}'),
 ('452 4.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp {id} - gsmtp', 452, '4.2.2', 'RCPT', 'gmail-smtp-in.l.google.com'),
 ('#550 5.2.2 STOREDRV.Deliver: mailbox full. The following information should help identify the cause: "MapiExceptionShutoffQuotaExceeded:{id}"', 550, '5.2.2', NULL, '{host}'),
 ('552 5.2.2 Mailbox quota exceeded for {addr}', 552, '5.2.2', 'RCPT', 'mx00.gmx.net'),
 ('Host or domain name not found. Name service error for name={dom}.example type=A: Host not found', NULL, '5.4.4', NULL, NULL),
 ('Sorry, I couldn''t find any host named {dom}.example. (#5.1.2)', NULL, '5.1.2', NULL, NULL),
 ('Unrouteable address', NULL, '5.4.4', NULL, NULL),
 ('550 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{ip}', 550, '5.7.1', 'RCPT', '{host}'),
 ('554 5.7.1 Service unavailable; Client host [{ip}] blocked using Barracuda Reputation, https://www.barracudanetworks.com/reputation/?pr=1&ip={ip}', 554, '5.7.1', 'RCPT', '{host}'),
 ('550 5.7.606 Access denied, banned sending IP [{ip}]. To request removal from this list please visit https://sender.office.com/', 550, '5.7.606', 'RCPT', '{dom}-com.mail.protection.outlook.com'),
 ('421 4.7.0 [TSS04] Messages from {ip} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes', 421, '4.7.0', 'MAIL', 'mta6.am0.yahoodns.net'),
 ('550 5.7.26 Unauthenticated email from {dom}.example is not accepted due to domain''s DMARC policy. Please contact the administrator of {dom}.example domain. {id} - gsmtp', 550, '5.7.26', 'DATA', 'gmail-smtp-in.l.google.com'),
 ('550 5.7.23 The message was rejected because of Sender Policy Framework violation', 550, '5.7.23', 'DATA', '{host}'),
 ('550 5.7.25 [{ip}] The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP. {id} - gsmtp', 550, '5.7.25', 'DATA', 'gmail-smtp-in.l.google.com'),
 ('554 5.7.1 <{addr}>: Relay access denied', 554, '5.7.1', 'RCPT', '{host}'),
 ('552 5.3.4 Message size exceeds fixed limit', 552, '5.3.4', 'DATA', '{host}'),
 ('550 5.7.1 Message content rejected, UBE, id={id}', 550, '5.7.1', 'DATA', 'barracuda.{dom}.example'),
 ('554 5.7.0 Reject, id={id} - spam', 554, '5.7.0', 'DATA', '{host}'),
 ('554 5.7.9 Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes', 554, '5.7.9', 'DATA', 'mta5.am0.yahoodns.net'),
 ('550 5.2.1 The email account that you tried to reach is disabled. Learn more at https://support.google.com/mail/?p=DisabledUser {id} - gsmtp', 550, '5.2.1', 'RCPT', 'gmail-smtp-in.l.google.com'),
 ('550 5.5.0 Le compte du destinataire est bloque. The recipient account is blocked. LPN007_426', 550, '5.5.0', 'RCPT', 'smtpz4.laposte.net'),
 ('host {host}[{ip}] said: 550 5.1.6 recipient no longer on server: {addr} (in reply to RCPT TO command)', 550, '5.1.6', 'RCPT', '{host}'),
 ('Could not deliver for the last 432000 seconds. Giving up.', NULL, NULL, NULL, '{host}'),
 ('Message could not be delivered for 5 days Message will be deleted from queue', NULL, '4.4.7', NULL, '{host}'),
 ('connect to {host}[{ip}]:25: Connection timed out', NULL, '4.4.1', NULL, '{host}'),
 ('Name service error for name={dom}.example type=MX: Malformed or unexpected name server reply', NULL, '5.4.4', NULL, NULL),
 ('host {host}[{ip}] refused to talk to me: 554 5.7.1 {host} ESMTP not accepting connections', 554, '5.7.1', 'CONN', '{host}'),
 ('501 5.1.8 <{addr}>: Sender address rejected: Domain not found', 501, '5.1.8', 'MAIL', '{host}'),
 ('550 5.7.1 Unauthenticated senders not allowed', 550, '5.7.1', 'MAIL', '{host}'),
 ('451 4.3.0 Error: queue file write error', 451, '4.3.0', 'DATA', '{host}'),
 ('421 4.2.0 Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR005_505 [505]', 421, '4.2.0', 'DATA', 'smtp-in.orange.fr'),
 ('550 Requested action not taken: mailbox unavailable ({id})', 550, '5.5.0', 'RCPT', 'mx.hotmail.com'),
 ('554 5.4.6 Too many hops', 554, '5.4.6', 'DATA', '{host}'),
 ('552 Too many recipients', 552, NULL, 'RCPT', 'mfsmax.docomo.ne.jp'),
 ('This is an email abuse report for an email message received from IP {ip} on Thu, 29 Apr 2015 23:34:45 +0000', NULL, NULL, NULL, '{ip}'),
 ('I am currently away returning to the office on May 5th. I will respond upon my return.', NULL, NULL, NULL, '{host}'),
 ('550 Host does not accept mail', 550, '5.7.27', NULL, '{dom}.example'),
 ('554 5.7.1 The message from (<{addr}>) with the subject of ({id}) matches a profile the Internet community may consider spam. Please revise your message before resending.', 554, '5.7.1', 'DATA', '{host}');
UPDATE tpl t SET n = s.rn - 1 FROM (SELECT ctid, row_number() OVER () rn FROM tpl) s WHERE s.ctid = t.ctid;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE bench AS
SELECT replace(replace(replace(replace(replace(t.diagnostic,
           '{addr}', 'user' || (g % 9973) || '@dom' || (g % 997) || '.example'),
           '{host}', 'mx' || (g % 89) || '.dom' || (g % 997) || '.example'),
           '{ip}', '192.0.' || (g % 256) || '.' || (g * 7 % 256)),
           '{dom}', 'dom' || (g % 997)),
           '{id}', md5(g::text)) AS diagnostic,
       t.reply_code, t.status, t.command,
       replace(replace(replace(t.rhost, '{host}', 'mx' || (g % 89) || '.dom' || (g % 997) || '.example'),
           '{dom}', 'dom' || (g % 997)), '{ip}', '192.0.2.' || (g % 256)) AS rhost
  FROM generate_series(1, $ROWS) g
  JOIN tpl t ON t.n = g % (SELECT count(*) FROM tpl);
VACUUM ANALYZE bench;
-- the plain-SQL classifier an analyst would write
CREATE FUNCTION sql_classify(d text, code int, st bounce.smtp_status) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS \$\$
SELECT CASE
  WHEN d ~* '(user|recipient) (unknown|not found)|no such (user|mailbox)|does not exist|recip(ient)?notfound|invalid recipient|no mailbox here' THEN 'userunknown'
  WHEN d ~* 'mailbox (is )?full|over ?quota|quota exceeded|storage' THEN 'mailboxfull'
  WHEN d ~* 'host (unknown|not found)|domain (does not exist|not found)|unrouteable|find any host' THEN 'hostunknown'
  WHEN d ~* 'spamhaus|spamcop|barracuda|blocked using|blacklist|block ?list|banned sending ip' THEN 'blocked'
  WHEN d ~* 'dmarc|dkim|spf|sender policy framework' THEN 'authfailure'
  WHEN d ~* 'ptr record|reverse dns' THEN 'requireptr'
  WHEN d ~* 'relay(ing)? (access )?denied' THEN 'norelaying'
  WHEN d ~* 'size exceeds|too (large|big)' THEN 'emailtoolarge'
  WHEN d ~* 'spam|ube' THEN 'spamdetected'
  WHEN d ~* 'policy' THEN 'policyviolation'
  WHEN d ~* 'disabled|suspended|bloque' THEN 'suspend'
  WHEN d ~* 'moved|no longer' THEN 'hasmoved'
  WHEN d ~* 'giving up|expired|could not be delivered for|timed out' THEN 'expired'
  WHEN d ~* 'too many (recipients|connections)|rate limit|reputation|complaints' THEN 'ratelimited'
  WHEN d ~* 'sender (address )?rejected|unauthenticated senders' THEN 'rejected'
  WHEN d ~* 'abuse report' THEN 'feedback'
  WHEN d ~* 'away|vacation|out of (the )?office' THEN 'vacation'
  WHEN d ~* 'does not accept mail|null mx' THEN 'notaccept'
  WHEN bounce.status_subject(st) = 1 THEN 'userunknown'
  WHEN bounce.status_subject(st) = 2 THEN 'mailboxfull'
  WHEN bounce.status_subject(st) = 7 THEN 'securityerror'
  WHEN code / 100 = 4 OR bounce.status_class(st) = 4 THEN 'expired'
  ELSE 'undefined' END
\$\$;
-- a random sample (bench is stored grouped by template, its first rows are not one)
CREATE TABLE bench_sample AS SELECT * FROM bench ORDER BY md5(diagnostic) LIMIT $SAMPLE;
VACUUM ANALYZE bench_sample;
-- the development corpus's rows, repeated in a shuffled order
CREATE TABLE dev (id text, recipient text, replycode text, status text, command text,
                  rhost text, diagnostic text, reason text, hard int, reason_v5 text);
\copy dev FROM '$ROOT/test/corpus/dev.tsv' WITH (FORMAT csv, HEADER true, DELIMITER E'\t', QUOTE E'\x01')
CREATE TABLE dev_rows AS
SELECT row_number() OVER (ORDER BY id) - 1 AS n, diagnostic,
       nullif(replycode, '')::int AS reply_code, nullif(status, '')::bounce.smtp_status AS status,
       nullif(command, '') AS command, nullif(rhost, '') AS rhost
  FROM dev;
CREATE TABLE corpus AS
SELECT d.diagnostic, d.reply_code, d.status, d.command, d.rhost
  FROM generate_series(1, $ROWS) g
  JOIN dev_rows d ON d.n = (hashint4(g)::bigint & 2147483647) % (SELECT count(*) FROM dev_rows);
VACUUM ANALYZE corpus;
CREATE TABLE corpus_sample AS SELECT * FROM corpus ORDER BY random() LIMIT $SAMPLE;
VACUUM ANALYZE corpus_sample;
SQL
for t in bench corpus; do
	d=$(q -c "SELECT count(*) FROM $t WHERE bounce.classify(diagnostic, reply_code, status, command, rhost)
	            IS DISTINCT FROM bounce.classify_x2(diagnostic, reply_code, status, command, rhost)")
	[ "$d" = 0 ] || die "the doubled rule set classifies $d rows of $t otherwise"
done

# One timing, in ms, of one query in a fresh session.  The session first
# classifies one string with each rule set, so that the one-time set-up of
# the backend (the automaton is built on first use, about BUILD ms, see
# below) is not counted.
time_ms() {
	psql_db $db -qAt -c "SET max_parallel_workers_per_gather = 0" \
		-c "SELECT bounce.classify('x'), bounce.classify_x2('x')" \
		-c '\timing on' -c "$1" | tail -n 1 |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", n / (ms / 1000) }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }
C5='diagnostic, reply_code, status, command, rhost'
pass=0 miss=0
target() { # label value op bound
	if awk -v v="$2" -v b="$4" -v op="$3" 'BEGIN { exit !(op == "<=" ? v <= b : v >= b) }'; then
		printf 'ok     %-44s %s (target %s %s)\n' "$1" "$2" "$3" "$4"; pass=$((pass + 1))
	else
		printf 'MISSED %-44s %s (target %s %s)\n' "$1" "$2" "$3" "$4"; miss=$((miss + 1))
	fi
}

# Time one table at both rule counts.  The rounds interleave the queries,
# so that load from other processes on the machine hits them alike; each
# figure is the best round.
measure() { # table sample
	local t=$1 s=$2 r floor= c1= c2= ctext= s1= s2= rsamp=
	psql_db $db -qAt -c "SELECT count(*), round(avg(length(diagnostic))) FROM $t" |
		{ IFS='|' read -r n avg; echo "table $t: $n rows, average diagnostic length: $avg bytes"; }
	for r in $(seq 1 "$ROUNDS"); do
		floor=$(min "$(time_ms "SELECT sum(length(diagnostic)) FROM $t")" "$floor")
		c1=$(min "$(time_ms "SELECT count(*) FROM $t WHERE bounce.classify($C5) = 'userunknown'")" "$c1")
		c2=$(min "$(time_ms "SELECT count(*) FROM $t WHERE bounce.classify_x2($C5) = 'userunknown'")" "$c2")
		ctext=$(min "$(time_ms "SELECT count(*) FROM $t WHERE bounce.classify(diagnostic) = 'userunknown'")" "$ctext")
		s1=$(min "$(time_ms "SELECT count(*) FROM $s WHERE bounce.classify($C5) = 'userunknown'")" "$s1")
		s2=$(min "$(time_ms "SELECT count(*) FROM $s WHERE bounce.classify_x2($C5) = 'userunknown'")" "$s2")
		[ "$r" -le 2 ] && rsamp=$(min "$(time_ms "SELECT count(*) FROM $s WHERE sql_classify(diagnostic, reply_code, status) = 'userunknown'")" "$rsamp")
	done
	echo "floor   sum(length(diagnostic)):           $floor ms  $(rate "$ROWS" "$floor") rows/s"
	echo "C 1x    classify(all five arguments):      $c1 ms  $(rate "$ROWS" "$c1") rows/s"
	echo "C 2x    the same, doubled rule set:        $c2 ms  $(rate "$ROWS" "$c2") rows/s"
	echo "C 1x    classify(diagnostic):              $ctext ms  $(rate "$ROWS" "$ctext") rows/s"
	echo "C 1x    classify, $SAMPLE-row sample:      $s1 ms  $(rate "$SAMPLE" "$s1") rows/s"
	echo "C 2x    classify, $SAMPLE-row sample:      $s2 ms  $(rate "$SAMPLE" "$s2") rows/s"
	echo "regex   plain-SQL CASE + ~*, sample:       $rsamp ms  $(rate "$SAMPLE" "$rsamp") rows/s"
	awk -v t="$ctext" -v f="$floor" 'BEGIN { printf "ratio   C 1x text-only / floor (time):      %.2fx\n", t / f }'
	target "$t 1x: classify / floor (time)" "$(awk -v c="$c1" -v f="$floor" 'BEGIN { printf "%.2f", c / f }')" "<=" 2
	target "$t 2x: classify / floor (time)" "$(awk -v c="$c2" -v f="$floor" 'BEGIN { printf "%.2f", c / f }')" "<=" 2
	target "$t 1x: regex / classify (time, sample)" "$(awk -v r="$rsamp" -v c="$s1" 'BEGIN { printf "%.0f", r / c }')" ">=" 50
	target "$t 2x: regex / classify (time, sample)" "$(awk -v r="$rsamp" -v c="$s2" 'BEGIN { printf "%.0f", r / c }')" ">=" 50
	target "$t 1x: classify, M rows/s (one core)" "$(awk -v c="$c1" -v n="$ROWS" 'BEGIN { printf "%.2f", n / c / 1000 }')" ">=" 1
	target "$t 2x: classify, M rows/s (one core)" "$(awk -v c="$c2" -v n="$ROWS" 'BEGIN { printf "%.2f", n / c / 1000 }')" ">=" 1
}

log "timing (best of $ROUNDS interleaved rounds, one process)"
echo "huge pages: $([ "$BOUNCE_HUGE_PAGES" = 1 ] && echo on || echo off)"
measure bench bench_sample
measure corpus corpus_sample
build=$(psql_db $db -qAt -c '\timing on' -c "SELECT bounce.classify('x')" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
build2=$(psql_db $db -qAt -c '\timing on' -c "SELECT bounce.classify_x2('x')" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
echo "first classify() in a session (builds the automaton): $build ms; doubled rule set: $build2 ms"

log "the C core alone, on the corpus rows (test/bench/classify_native.c)"
nsrc=("$ROOT/test/bench/classify_native.c" "$ROOT/src/classify/matcher.c" "$ROOT/src/classify/classify.c"
	"$ROOT/src/classify/classify_rules.c" "$ROOT/src/status/status.c" "$ROOT/src/status/status_codes.c")
cc -O2 -I"$ROOT/src" -o "$x2/native_1x" "${nsrc[@]}"
cc -O2 -I"$ROOT/src" -DBOUNCE_BENCH_DOUBLE_RULES -o "$x2/native_2x" "${nsrc[@]}"
for n in 1x 2x; do
	echo "native $n:"
	"$x2/native_$n" -n 1000 "$ROOT/test/corpus/dev.tsv" | sed 's/^/  /'
done

if perl -MSisimai -e1 2>/dev/null; then
	out="$PGWORK/texts.txt"
	q -c "\\copy (SELECT replace(diagnostic, E'\\n', ' ') FROM bench_sample) TO '$out'"
	perl -MSisimai -e '
		open my $f, "<", $ARGV[0] or die; my @t = <$f>; chomp @t;
		my ($u0, $s0) = times; my $n = 0;
		for my $x (@t) { my $r = Sisimai->match($x); $n++ }
		my ($u1, $s1) = times; my $cpu = ($u1 - $u0) + ($s1 - $s0);
		printf "Sisimai %s match(): %d strings in %.2f CPU s = %.0f strings per CPU-second\n",
			Sisimai->version, $n, $cpu, $n / $cpu;
		open my $o, ">", "$ARGV[0].rate" or die; print $o $n / $cpu;' "$out"
	srate=$(cat "$out.rate")
	stext=$(min "$(time_ms "SELECT count(*) FROM bench_sample WHERE bounce.classify(diagnostic) = 'userunknown'")" "$(time_ms "SELECT count(*) FROM bench_sample WHERE bounce.classify(diagnostic) = 'userunknown'")")
	echo "C       classify(diagnostic), sample:   $stext ms  $(rate "$SAMPLE" "$stext") rows/s"
	awk -v s="$srate" -v n="$SAMPLE" -v ct="$stext" 'BEGIN { printf "ratio   C classify(diagnostic) / Sisimai match() on the sample (strings per second): %.0fx\n", (n / (ct / 1000)) / s }'
else
	echo "Sisimai: libsisimai-perl not installed, skipped"
fi
echo "targets: $pass met, $miss missed"
