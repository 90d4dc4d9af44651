# DSN parser accuracy and scaling.
#
# Loads every e-mail of test/corpus/eml into the server and compares
# bounce.parse_dsn with eml/expected.tsv, per (file, recipient):
#   found     expected recipients that parse_dsn returns
#   strict    found rows whose status and reply code both equal the
#             expected ones (an expected empty code must be NULL)
#   stated    found rows whose codes agree wherever expected.tsv has one
#             (the labels leave out codes some messages do state)
#   reason    found rows whose reason equals the expected reason
#   command   found rows whose SMTP command is the one the labels' reading
#             of the same e-mail gives (test/corpus/dev.tsv, both NULL
#             counting as equal): the command decides user-unknown texts
# and fails when one is under its floor (set just under what the parser
# reaches).  Then checks that a 20 MB message parses in linear time.
set -uo pipefail
EML="$ROOT/test/corpus/eml"
[ -f "$EML/expected.tsv" ] || { echo "DSN corpus not found at $EML (expected.tsv)"; echo "0 passed, 1 failed"; exit 1; }
psql_db() { "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
psql_db postgres -c "DROP DATABASE IF EXISTS bounce_dsn" 2>/dev/null
psql_db postgres -c "CREATE DATABASE bounce_dsn" >/dev/null
psql_db bounce_dsn -c 'CREATE EXTENSION bounce' >/dev/null

pass=0 fail=0
check() {	# check NAME VALUE FLOOR: pass when VALUE >= FLOOR
	if awk -v v="$2" -v f="$3" 'BEGIN { exit !(v >= f) }'; then
		echo "ok   $1: $2 (floor $3)"; pass=$((pass + 1))
	else
		echo "FAIL $1: $2 is below the floor $3"; fail=$((fail + 1))
	fi
}

# Messages go in as bytea (hex), so no charset is assumed.
{
	echo "CREATE TABLE eml (file text PRIMARY KEY, msg bytea);"
	echo "COPY eml FROM STDIN;"
	perl -e 'for my $f (@ARGV) { open my $h, "<:raw", $f or die "$f: $!"; local $/; my $d = <$h>;
		(my $n = $f) =~ s{.*/}{}; print "$n\t\\\\x", unpack("H*", $d), "\n"; }' "$EML"/*.eml
	echo '\.'
	echo "CREATE TABLE expected (file text, idx int, recipient text, replycode text, status text,"
	echo "  diagnostic text, reason text, hard int);"
	echo "COPY expected FROM STDIN WITH (FORMAT csv, DELIMITER E'\\t', HEADER true, QUOTE E'\\x01');"
	cat "$EML/expected.tsv"
	echo '\.'
	echo "CREATE TABLE labels (id text, recipient text, replycode text, status text, command text,"
	echo "  rhost text, diagnostic text, reason text, hard int, reason_v5 text);"
	echo "COPY labels FROM STDIN WITH (FORMAT csv, DELIMITER E'\\t', HEADER true, QUOTE E'\\x01');"
	cat "$ROOT/test/corpus/dev.tsv"
	echo '\.'
} | psql_db bounce_dsn >/dev/null || { echo "loading the corpus failed"; echo "0 passed, 1 failed"; exit 1; }

read -r files rows found strict stated reason nonclass_ok nonclass command < <(psql_db bounce_dsn -At -F ' ' <<'SQL'
CREATE TABLE got AS SELECT e.file, p.* FROM eml e, bounce.parse_dsn(e.msg) p;
WITH j AS (
	SELECT x.*, g.recipient IS NOT NULL AS found,
	       g.status::text AS gstatus, g.reply_code::text AS grc, g.reason::text AS greason,
	       g.smtp_command AS gcommand, l.command AS lcommand
	  FROM expected x
	  LEFT JOIN labels l ON l.id = x.file || '#' || x.idx
	  LEFT JOIN LATERAL (SELECT * FROM got g WHERE g.file = x.file
	                       AND lower(g.recipient) = lower(x.recipient) LIMIT 1) g ON true)
SELECT (SELECT count(*) FROM eml), count(*),
       count(*) FILTER (WHERE found),
       count(*) FILTER (WHERE found AND coalesce(gstatus, '') = coalesce(status, '')
                                    AND coalesce(grc, '') = coalesce(replycode, '')),
       count(*) FILTER (WHERE found AND (coalesce(status, '') = '' OR gstatus = status)
                                    AND (coalesce(replycode, '') = '' OR grc = replycode)),
       count(*) FILTER (WHERE found AND greason = reason),
       count(*) FILTER (WHERE found AND greason = reason AND reason IN ('feedback', 'vacation', 'delivered')),
       count(*) FILTER (WHERE found AND reason IN ('feedback', 'vacation', 'delivered')),
       count(*) FILTER (WHERE found AND coalesce(gcommand, '') = coalesce(lcommand, ''))
  FROM j;
SQL
)
echo "# $files messages, $rows expected recipients: found $found, strict codes $strict, stated codes $stated, reason $reason, command $command"
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", (b ? a / b : 0) }'; }
check "recipients found" "$(pct "$found" "$rows")" 0.97
check "status and reply code, strict" "$(pct "$strict" "$found")" 0.95
check "status and reply code, where stated" "$(pct "$stated" "$found")" 0.99
# Feedback, auto-replies and successes are told apart by the parser itself.
check "non-bounces recognised (feedback, vacation, delivered)" "$(pct "$nonclass_ok" "$nonclass")" 0.93
check "reason agreement" "$(pct "$reason" "$found")" 0.98
check "SMTP command as the labels read it" "$(pct "$command" "$found")" 0.96
# Every message either parses or (none here) is refused; none gives a row without a recipient.
check "rows without a recipient (want 0; value is 1 - count)" \
	"$(psql_db bounce_dsn -At -c "SELECT 1 - count(*) FROM got WHERE recipient IS NULL")" 1

# Linear time: a 2 MB and a 20 MB plain-text bounce (no MIME, so the text
# scanner reads all of it), each parsed a few times.  Each time is divided
# by the time md5() takes over the same bytes in the same session, so that
# caches and the machine's load cancel out: the normalised cost of 20 MB
# must stay within 3x that of 2 MB (a quadratic parser would be ~10x).
read -r r2 r20 n20 < <(psql_db bounce_dsn -At -F ' ' <<'SQL'
CREATE FUNCTION big(mb int) RETURNS text LANGUAGE sql AS $$
SELECT E'From: MAILER-DAEMON@example.org\nTo: sender@example.com\nSubject: failure notice\n\n'
    || repeat(E'<user@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 unknown (in reply to RCPT TO command)\n', mb * 1024 * 1024 / 100) $$;
CREATE TABLE big AS SELECT 2 AS mb, big(2) AS msg UNION ALL SELECT 20, big(20);
ALTER TABLE big ALTER msg SET STORAGE EXTERNAL;
CREATE FUNCTION cost(m text, n int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; tp float8 := 1e9; th float8 := 1e9; c int; h text;
BEGIN
  -- the fastest of n runs of each, so that a busy machine does not count
  FOR i IN 1..n LOOP
    t0 := clock_timestamp();
    SELECT count(*) INTO c FROM bounce.parse_dsn_fields(m);
    tp := least(tp, extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp();
    h := md5(m);
    th := least(th, extract(epoch FROM clock_timestamp() - t0));
  END LOOP;
  RETURN tp / greatest(th, 1e-6); END $$;
SELECT cost((SELECT msg FROM big WHERE mb = 2), 15), cost((SELECT msg FROM big WHERE mb = 20), 5),
       (SELECT count(*) FROM bounce.parse_dsn_fields((SELECT msg FROM big WHERE mb = 20)));
SQL
)
echo "# parse time / md5 time: 2 MB ${r2}, 20 MB ${r20}"
check "20 MB message parsed (rows)" "$n20" 1
check "20 MB in linear time (3 x cost(2 MB) / cost(20 MB))" "$(awk -v a="$r2" -v b="$r20" 'BEGIN { printf "%.3f", (b > 0 ? 3 * a / b : 99) }')" 1.0

psql_db postgres -c "DROP DATABASE bounce_dsn" >/dev/null 2>&1 || true
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
