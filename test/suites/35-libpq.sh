# libpq client: what the registry's application code sees (test/libpq/*.c).
out="$PGWORK/libpq"
mkdir -p "$out"
incdir=$("$PG_CONFIG" --includedir)
libdir=$("$PG_CONFIG" --libdir)
"$BINDIR/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS bounce_libpq" 2>/dev/null
"$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE bounce_libpq" >/dev/null
"$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d bounce_libpq -c "CREATE EXTENSION bounce" >/dev/null
pass=0 fail=0
for src in "$ROOT"/test/libpq/*.c; do
	bin="$out/$(basename "$src" .c)"
	if ! gcc -std=c99 -Wall -Wextra -Werror -I"$incdir" "$src" -L"$libdir" -lpq -o "$bin"; then
		echo "FAIL compile $(basename "$src")"; fail=$((fail + 1)); continue
	fi
	res=$(BOUNCE_DB="dbname=bounce_libpq" "$bin" 2>&1) || true
	echo "$res"
	last=$(echo "$res" | tail -n 1)
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		pass=$((pass + BASH_REMATCH[1])); fail=$((fail + BASH_REMATCH[2]))
	else
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
