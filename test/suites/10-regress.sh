# pg_regress: sql/*.sql against expected/*.out, via PGXS installcheck.
cd "$ROOT"
rm -f regression.diffs regression.out
set +e
make -s PG_CONFIG="$PG_CONFIG" installcheck >"$PGWORK/regress.log" 2>&1
rc=$?
set -e
grep -E '^(ok|not ok|test | +[a-z_0-9]+ +\.\.\.)' "$PGWORK/regress.log" || cat "$PGWORK/regress.log"
pass=$(grep -cE '^(ok [0-9]+ |test .*\.\.\. ok| +[a-z_0-9]+ +\.\.\. ok)' "$PGWORK/regress.log" || true)
fail=$(grep -cE '^(not ok|test .*\.\.\. FAILED| +[a-z_0-9]+ +\.\.\. FAILED)' "$PGWORK/regress.log" || true)
if [ -f regression.diffs ]; then
	echo "---- regression.diffs"
	cat regression.diffs
fi
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
	cat "$PGWORK/regress.log"
	fail=1
fi
echo "$pass passed, $fail failed"
[ "$rc" -eq 0 ]
