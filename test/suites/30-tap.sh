# TAP: test/t/*.pl on PostgreSQL::Test::Cluster, each starting its own node
# with pg_cron preloaded, run by prove two at a time: make
# prove_installcheck.  Counts assertions, from prove's summary ("Files=N,
# Tests=N") less the failed ones of its "Test Summary Report".
log="$PGWORK/tap.log"
make_tests PROVE_FLAGS="-j2 --timer" prove_installcheck >"$log" 2>&1 && rc=0 || rc=$?
grep -vE '^(echo|\+\+\+) ' "$log"
total=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$log" | tail -n 1)
# per file that failed: its failed assertions, or 1 if it failed otherwise
# (died, wrong plan, non-zero exit)
read -r failed dubious < <(grep -oE '\(Wstat: [0-9]+( \([^)]*\))? Tests: [0-9]+ Failed: [0-9]+\)' "$log" |
	awk '{ f = $NF; sub(/\)/, "", f); if (f > 0) n += f; else d++ } END { print n + 0, d + 0 }')
pass=$(( ${total:-0} - failed ))
fail=$(( failed + dubious ))
if [ "$rc" -ne 0 ]; then
	[ "$fail" -gt 0 ] || fail=1
	# each test's own log: every psql call and the node's server log
	for f in "$PGWORK"/tree/tmp_check/log/regress_log_*; do
		[ -e "$f" ] && grep -qE '^not ok|died|Bail out' "$f" && { echo "---- $f (last 60 lines)"; tail -n 60 "$f"; }
	done
fi
echo "$pass passed, $fail failed"
[ "$rc" -eq 0 ]
