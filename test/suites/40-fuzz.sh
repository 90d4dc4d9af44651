# Fuzz smoke runs: every libFuzzer target under ASan+UBSan for a bounded time,
# seeded with test/fuzz/corpus/<name>/ (and its own seed dirs).  A crash,
# leak, sanitizer report or time-out is a failure.
#   FUZZ_SECONDS  seconds per target (default 15)
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
fz="$ROOT/test/fuzz"
bash "$fz/build.sh" || { echo "0 passed, 1 failed"; exit 1; }
pass=0 fail=0
for bin in "$fz"/bin/fuzz_*; do
	name=$(basename "$bin")
	short=${name#fuzz_}
	work=$(mktemp -d)
	seeds=()
	[ -d "$fz/corpus/$short" ] && seeds+=("$fz/corpus/$short")
	[ -f "$fz/$short.dict" ] && dict=(-dict="$fz/$short.dict") || dict=()
	if "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-max_len=${FUZZ_MAX_LEN:-65536} "${dict[@]}" -artifact_prefix="$work/" \
		"$work" "${seeds[@]}" >"$work/log" 2>&1; then
		echo "ok   $name ($(grep -oE 'stat::number_of_executed_units: [0-9]+' "$work/log" | awk '{print $2}') runs in ${FUZZ_SECONDS}s)"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		tail -n 40 "$work/log"
		ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null | while read -r a; do
			echo "artifact: $a"; od -c "$a" | head -n 5; done
		fail=$((fail + 1))
	fi
	rm -rf "$work"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
