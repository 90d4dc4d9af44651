# Adding a reason in an upgrade, shown once for real (doc/releasing.md,
# "Adding a reason").  In a scratch copy of the repository, the current
# version is released as it stands and a next version adds the reason
# 'demoreason' after 'mailboxfull': in the install script's CREATE TYPE (the
# fragments) and, in the upgrade script, with ALTER TYPE ... ADD VALUE ...
# AFTER.  Built and installed into a private copy of the server's
# installation (the system's is not touched), test/t/180_upgrade.pl then
# upgrades every release to it and compares the catalog, the data and the
# scores with a fresh install.  The same test with the label added at the
# end instead must fail: the order of an enum's labels is part of the
# catalog the upgrade must reproduce.
set -uo pipefail
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
not_ok() { echo "FAIL $1"; fail=$((fail + 1)); }

work=$PGWORK/upgrade-reason
rm -rf "$work" && mkdir -p "$work/pg"
# a private installation: the server's files, under $work/pg
for d in "$("$PG_CONFIG" --bindir)/.." "$("$PG_CONFIG" --sharedir)" "$("$PG_CONFIG" --includedir)"; do
	d=$(cd "$d" && pwd)
	mkdir -p "$work/pg$(dirname "$d")"
	cp -a "$d" "$work/pg$(dirname "$d")/"
done
pgc="$work/pg$(cd "$("$PG_CONFIG" --bindir)" && pwd)/pg_config"
[ -x "$pgc" ] || { not_ok "private installation: no $pgc"; echo "$pass passed, $fail failed"; exit 1; }

tree=$work/tree
mkdir "$tree"
tar -C "$ROOT" --exclude=./.git --exclude=./test/vendor --exclude=./test/corpus --exclude=./test/fuzz \
	--exclude=./test/bench -cf - . | tar -C "$tree" -xf -
cur=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$tree/bounce.control")
next=$cur.demo
make -C "$tree" -s PG_CONFIG="$pgc" clean >/dev/null 2>&1
make -C "$tree" -s PG_CONFIG="$pgc" "src/bounce--$cur.sql" >/dev/null
# the current version, released as it stands
if [ ! -f "$tree/src/release/bounce--$cur.sql" ]; then
	cp "$tree/src/bounce--$cur.sql" "$tree/src/release/"
	(cd "$tree/src/release" && sha256sum "bounce--$cur.sql" >>SHA256SUMS)
fi
sed -i "s/^default_version = .*/default_version = '$next'/" "$tree/bounce.control"

# The next version: the new label in the fragment, after mailboxfull
grep -q "'mailboxfull'" "$tree/src/sql/20_classify.sql" || not_ok "20_classify.sql names 'mailboxfull'"
sed -i "0,/'mailboxfull'/s//'mailboxfull', 'demoreason'/" "$tree/src/sql/20_classify.sql"

run_upgrade_test() {	# $1: the ALTER TYPE statement of the upgrade script
	printf '%s\n' '\echo Use "ALTER EXTENSION bounce UPDATE" to load this file. \quit' "$1" \
		>"$tree/src/bounce--$cur--$next.sql"
	make -C "$tree" -s PG_CONFIG="$pgc" WERROR=1 >/dev/null 2>&1 &&
		make -C "$tree" -s PG_CONFIG="$pgc" install >/dev/null 2>&1 || return 100	# the build failed
	[ "$(id -u)" -eq 0 ] && chown -R postgres: "$tree"
	as_owner make -C "$tree" --no-print-directory PG_CONFIG="$pgc" prove_installcheck \
		PROVE_TESTS=test/t/180_upgrade.pl >"$work/prove.log" 2>&1
}

run_upgrade_test "ALTER TYPE @extschema@.reason ADD VALUE 'demoreason' AFTER 'mailboxfull';"
rc=$?
if [ $rc -eq 0 ]; then
	ok "$cur -> $next: ALTER TYPE reason ADD VALUE 'demoreason' AFTER 'mailboxfull' upgrades to a fresh install's catalog, data and scores"
else
	not_ok "$cur -> $next: the upgrade that adds a reason (rc $rc)"
	tail -n 40 "$work/prove.log"
fi

run_upgrade_test "ALTER TYPE @extschema@.reason ADD VALUE 'demoreason';"
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 100 ] && grep -q "only after the upgrade:" "$work/prove.log" && grep -q "CREATE TYPE bounce.reason AS ENUM" "$work/prove.log"; then
	ok "the label added at the end instead: the upgrade test fails and shows the enum that differs"
else
	not_ok "the label added at the end instead: the upgrade test should fail on the enum's order (rc $rc)"
	tail -n 40 "$work/prove.log"
fi

rm -rf "$work"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
