# Knowledge coverage: the phrases of Sisimai 5's reason modules, of the
# message tables of its MTA modules and local delivery agents, and of its
# remote-host modules (test/reference/sisimai-phrases.tsv), each fed to
# bounce.classify() with the SMTP command under which Sisimai gives its
# reason and, for a remote-host module, the provider's host and the status
# code the module requires.  Prints the share classify() gets right, per
# module and overall, and the phrases it misses.  Fails below the floor,
# which sits just under what the classifier reaches, so that a regression
# is caught.
#   floor: overall >= COVERAGE_FLOOR %
COVERAGE_FLOOR=${COVERAGE_FLOOR:-99.0}
phrases="$ROOT/test/reference/sisimai-phrases.tsv"
if [ ! -f "$phrases" ]; then
	echo "FAIL: phrase list not found: $phrases"
	echo "0 passed, 1 failed"
	exit 1
fi
db=bounce_coverage
psql() { "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
psql -d postgres -c "CREATE DATABASE $db"
psql -d $db -c "CREATE EXTENSION bounce"
psql -d $db -c "CREATE TABLE phrase (module text, version text, reason text, command text,
                                     status text, host text, phrase text, sample text, counted text)"
grep -v '^#' "$phrases" | psql -d $db -c "\copy phrase FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER E'\t', QUOTE E'\x01')"
psql -d $db -c "CREATE TABLE result AS
SELECT p.*, bounce.classify(p.sample, NULL, nullif(p.status, '')::bounce.smtp_status,
                            nullif(p.command, ''), nullif(p.host, ''))::text AS got
  FROM phrase p WHERE p.counted = 'yes'"
read -r n ok pct < <(psql -d $db -At -F' ' -c "
SELECT count(*), count(*) FILTER (WHERE got = reason),
       round(100.0 * count(*) FILTER (WHERE got = reason) / count(*), 1) FROM result")
echo "phrases: $n   classified as Sisimai's module says: $ok ($pct %)"
echo "per module (share right):"
psql -d $db -c "
SELECT module, count(*) AS phrases, count(*) FILTER (WHERE got = reason) AS right,
       round(100.0 * count(*) FILTER (WHERE got = reason) / count(*), 1) AS pct
  FROM result GROUP BY module ORDER BY module"
echo "missed (module, expected -> got, sample):"
psql -d $db -At -F' | ' -c "
SELECT module, reason || ' -> ' || got, sample FROM result WHERE got <> reason ORDER BY module, sample"
pass=0 fail=0
if awk -v v="$pct" -v f="$COVERAGE_FLOOR" 'BEGIN { exit !(v >= f) }'; then
	echo "ok   coverage $pct % >= $COVERAGE_FLOOR %"; pass=$((pass + 1))
else
	echo "FAIL coverage $pct % < $COVERAGE_FLOOR %"; fail=$((fail + 1))
fi
[ "$n" -ge 1400 ] && { echo "ok   phrases $n"; pass=$((pass + 1)); } || { echo "FAIL phrases $n < 1400"; fail=$((fail + 1)); }
[ -n "${KEEP_DB:-}" ] || psql -d postgres -c "DROP DATABASE $db"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
