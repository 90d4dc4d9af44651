# Other PostgreSQL major versions.  Debian ships 13 (bullseye) and 17
# (trixie) besides this machine's 15; their packages are fetched with a
# private apt configuration (the system's sources and package state are
# not touched) and unpacked, never installed, into a cache directory.
#
#   build  every C file under src/ compiled against 13's, 15's and 17's server
#          headers with -Wall -Wextra -Werror, so that both sides of every
#          PG_VERSION_NUM guard (14 and 16) are compiled
#   link   every symbol the module takes from the server is one that
#          version's postgres binary exports
#   13     a real 13 server (bullseye's binaries, run from the cache):
#          CREATE EXTENSION refuses with 0A000 and creates nothing (the
#          registry views need 15's security_invoker), and the C types and
#          functions, created by hand from the install fragments, pass
#          their pg_regress files there.  17's binaries need a newer glibc
#          than bookworm's, so 17 is built and linked, not run.
#
#   BOUNCE_VERSIONS_CACHE  where the packages go (default ~/.cache/bounce-pg-versions)
set -uo pipefail
cache=${BOUNCE_VERSIONS_CACHE:-${HOME:-/root}/.cache/bounce-pg-versions}
work="$PGWORK/versions"
mkdir -p "$cache/lists/partial" "$cache/archives/partial" "$work"
pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# ---- fetch ------------------------------------------------------------
cat >"$cache/sources.list" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bullseye main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
EOF
apt_opts=(-o Dir::Etc::sourcelist="$cache/sources.list" -o Dir::Etc::sourceparts=/nonexistent
	-o Dir::State::Lists="$cache/lists" -o Dir::Cache="$cache" -o Dir::Cache::archives="$cache/archives"
	-o APT::Sandbox::User=root -o Debug::NoLocking=1 -qq)
packages=(postgresql-server-dev-13 postgresql-13 postgresql-client-13 libssl1.1 libldap-2.4-2 libicu67
	postgresql-server-dev-17 postgresql-17)
fetch() {
	local p missing=()
	for p in "${packages[@]}"; do
		compgen -G "$cache/archives/${p}_*.deb" >/dev/null || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	apt-get "${apt_opts[@]}" update >"$work/apt.log" 2>&1 &&
		(cd "$cache/archives" && apt-get "${apt_opts[@]}" download "${missing[@]}") >>"$work/apt.log" 2>&1
}
if ! fetch; then
	cat "$work/apt.log"
	bad "fetch PostgreSQL 13 and 17 packages from Debian"
	echo "$pass passed, $fail failed"
	exit 1
fi
for p in "${packages[@]}"; do
	case $p in *-13 | libssl1.1 | libldap-2.4-2 | libicu67) v=13 ;; *) v=17 ;; esac
	dpkg-deb -x "$(ls "$cache/archives/${p}"_*.deb | tail -n 1)" "$work/pg$v"
done

# ---- build and link ---------------------------------------------------
cflags=$("$PG_CONFIG" --cflags)
cflags_sl=$("$PG_CONFIG" --cflags_sl)
libc_syms=$(nm -D --defined-only /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6 2>/dev/null |
	awk 'NF == 3 {sub(/@.*/, "", $3); print $3}' | sort -u)
for v in 13 15 17; do
	if [ $v = 15 ]; then
		inc=$("$PG_CONFIG" --includedir-server) server="$("$PG_CONFIG" --bindir)/postgres"
	else
		inc="$work/pg$v/usr/include/postgresql/$v/server" server="$work/pg$v/usr/lib/postgresql/$v/bin/postgres"
	fi
	obj="$work/obj$v"
	mkdir -p "$obj"
	built=1
	for src in $(find "$ROOT/src" -name '*.c' | sort); do
		# shellcheck disable=SC2086
		if ! gcc $cflags $cflags_sl -I"$ROOT/src" -isystem "$inc" -Wall -Wextra -Werror \
			-c "$src" -o "$obj/$(basename "$src" .c).o" 2>"$obj/err"; then
			cat "$obj/err"
			built=0
		fi
	done
	if [ $built = 1 ] && gcc -shared -o "$obj/bounce.so" "$obj"/*.o 2>"$obj/err"; then
		ok "build on PostgreSQL $v ($(find "$ROOT/src" -name '*.c' | wc -l) files, -Werror)"
	else
		cat "$obj/err"
		bad "build on PostgreSQL $v"
		continue
	fi
	missing=$(comm -23 <(nm -D --undefined-only "$obj/bounce.so" | awk '$1 == "U" {sub(/@.*/, "", $2); print $2}' | sort -u) \
		<( (nm -D --defined-only "$server" | awk 'NF == 3 {print $3}'; echo "$libc_syms") | sort -u))
	if [ -z "$missing" ]; then
		ok "link on PostgreSQL $v: every server symbol the module uses is exported by its postgres"
	else
		bad "link on PostgreSQL $v: not exported by its postgres: $(echo $missing)"
	fi
done

# ---- a PostgreSQL 13 server ---------------------------------------------
p13="$work/pg13"
bin13="$p13/usr/lib/postgresql/13/bin"
export LD_LIBRARY_PATH="$p13/usr/lib/x86_64-linux-gnu"
if [ -f "$work/obj13/bounce.so" ]; then
	# the binaries find share/ and lib/ relative to themselves
	cp "$work/obj13/bounce.so" "$p13/usr/lib/postgresql/13/lib/"
	cp "$ROOT/bounce.control" "$ROOT"/src/bounce--*.sql "$p13/usr/share/postgresql/13/extension/"
	d13="$work/data13"
	[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work"
	if as_owner "$bin13/initdb" -D "$d13" -U postgres --auth=trust -E UTF8 --locale=C >"$work/initdb13.log" 2>&1 &&
		printf "listen_addresses = ''\nunix_socket_directories = '%s'\njit = off\nfsync = off\n" "$work" >>"$d13/postgresql.conf" &&
		as_owner "$bin13/pg_ctl" -D "$d13" -l "$work/server13.log" -w -t 60 start >/dev/null; then
		ok "a PostgreSQL 13 server starts ($("$bin13/postgres" --version))"
		q13() { "$BINDIR/psql" -X -h "$work" -p 5432 -U postgres "$@"; }
		out=$(q13 -d postgres -v VERBOSITY=verbose -c 'CREATE EXTENSION bounce' 2>&1)
		if [[ $out == *"ERROR:  0A000: bounce needs PostgreSQL 15 or later, not 13."* && $out == *HINT:* ]]; then
			ok "PostgreSQL 13: CREATE EXTENSION bounce refused with 0A000, naming the version, with a hint"
		else
			bad "PostgreSQL 13: CREATE EXTENSION bounce was not refused as expected: $out"
		fi
		left=$(q13 -d postgres -At -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'bounce'" 2>&1)
		[ "$left" = 0 ] && ok "PostgreSQL 13: the refused CREATE EXTENSION left no schema" ||
			bad "PostgreSQL 13: schema bounce left behind ($left)"

		# The C types and functions, without the registry: the fragments
		# of the install script that hold no view, in a plain schema.
		q13 -d postgres -q -c 'CREATE DATABASE smoke' -c 'ALTER DATABASE smoke SET search_path = bounce, public'
		if { echo 'CREATE SCHEMA bounce; CREATE SCHEMA bounce_internal;'; cat "$ROOT"/src/sql/{10,20,30,40}_*.sql; } |
			sed -e 's/@extschema@/bounce/g' -e 's#MODULE_PATHNAME#$libdir/bounce#g' |
			q13 -d smoke -q -v ON_ERROR_STOP=1 >"$work/smoke13.log" 2>&1; then
			regress=$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress
			tests=(smtp_status smtp_status_soft reply_code classify recurring recurring_reference)
			(cd "$ROOT" && PGHOST="$work" PGPORT=5432 "$regress" --bindir="$BINDIR" --use-existing --dbname=smoke \
				--inputdir=. --outputdir="$work/regress13" "${tests[@]}") >"$work/regress13.log" 2>&1
			for t in "${tests[@]}"; do
				if grep -qE "^test +$t +\.\.\. ok" "$work/regress13.log"; then
					ok "PostgreSQL 13: pg_regress $t"
				else
					bad "PostgreSQL 13: pg_regress $t"
				fi
			done
			[ -f "$work/regress13/regression.diffs" ] && cat "$work/regress13/regression.diffs"
		else
			cat "$work/smoke13.log"
			bad "PostgreSQL 13: the C types and functions could not be created by hand"
		fi
		as_owner "$bin13/pg_ctl" -D "$d13" -m immediate -w stop >/dev/null 2>&1
	else
		cat "$work/initdb13.log" "$work/server13.log" 2>/dev/null
		bad "a PostgreSQL 13 server starts"
	fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
