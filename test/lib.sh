# test/lib.sh -- shared set-up for test/demo, test/check and the benchmarks.
#
# Sourced, not run.  Provides:
#   ensure_packages   apt-get install what is missing (root only)
#   build_install     make && make install against $PG_CONFIG
#   start_cluster     private throwaway cluster: initdb as postgres into a
#                     temp dir, unix socket only, pg_cron preloaded
#   stop_cluster      stop it and remove the directory (also on EXIT/INT)
#   psql_db DB ...    psql -X against the cluster
#   make_tests TARGET [VAR=value...]
#                     a PGXS test target (Makefile) as the cluster owner, in
#                     a copy of the repository's test inputs under $PGWORK
#   regress_summary LOG
#                     pg_regress's (or pg_isolation_regress's) per-test lines
#                     and diffs from LOG, then "N passed, N failed"
#
# Environment knobs:
#   PG_MAJOR   PostgreSQL major version (default 15)
#   PG_CONFIG  pg_config of the server to build against (default Debian's)
#   BOUNCE_KEEP_CLUSTER=1  do not stop the cluster on exit
#   POSTGRES_WRAPPER       program pg_ctl starts instead of postgres
#                          (test/valgrind uses it to run under valgrind)
#   BOUNCE_SHARED_BUFFERS  shared_buffers of the cluster (default 512MB)
#   BOUNCE_HUGE_PAGES=1    back shared memory with huge pages (root and
#                          PostgreSQL 15+ only: raises vm.nr_hugepages by what
#                          the cluster needs, gives them back when it stops;
#                          with BOUNCE_KEEP_CLUSTER=1 they stay reserved)

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=${PG_MAJOR:-15}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}
export ROOT PG_MAJOR PG_CONFIG

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Packages the build, the cluster and the test suites need.  clang and llvm
# build the server's JIT bitcode and the fuzz targets; libclang-rt brings
# libFuzzer, ASan and UBSan; perl runs the TAP and doc tests, and IPC::Run
# is what PostgreSQL::Test::Cluster (in the server-dev package) runs
# programs with.
BOUNCE_PACKAGES=(
	"postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" "postgresql-$PG_MAJOR-cron"
	make gcc libc6-dev clang llvm libclang-rt-14-dev perl libipc-run-perl
)

ensure_packages() {
	local missing=() p
	for p in "${BOUNCE_PACKAGES[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]} (run as root, or install them)"
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build_install() {
	log "building and installing bounce against $("$PG_CONFIG" --version)"
	make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" WERROR=1 >/dev/null
	make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}

# Run a command as the cluster owner: postgres when we are root (initdb
# refuses root), else ourselves.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}
export -f as_owner	# the suites, run as child shells, use it too

PGWORK=
HUGE_PAGES_ADDED=0
stop_cluster() {
	[ -n "$PGWORK" ] || return 0
	if [ -d "$PGWORK/data" ]; then
		as_owner "$BINDIR/pg_ctl" -D "$PGWORK/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$PGWORK"
	PGWORK=
	if [ "$HUGE_PAGES_ADDED" -gt 0 ]; then
		echo $(($(cat /proc/sys/vm/nr_hugepages) - HUGE_PAGES_ADDED)) >/proc/sys/vm/nr_hugepages || true
		HUGE_PAGES_ADDED=0
	fi
}

# Reserve the huge pages the cluster's shared memory needs and require them
# (huge_pages = on: a silent fallback would measure the wrong thing).
# PostgreSQL's docs advise them for a large shared_buffers; without them
# each new backend pays a page fault per shared-buffer page it touches.
_reserve_huge_pages() {
	local need have
	[ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/nr_hugepages ] ||
		die "BOUNCE_HUGE_PAGES=1 needs root and a writable /proc/sys/vm/nr_hugepages"
	need=$(as_owner "$BINDIR/postgres" -D "$PGWORK/data" -C shared_memory_size_in_huge_pages)
	have=$(cat /proc/sys/vm/nr_hugepages)
	echo $((have + need)) >/proc/sys/vm/nr_hugepages
	HUGE_PAGES_ADDED=$(($(cat /proc/sys/vm/nr_hugepages) - have))
	[ "$HUGE_PAGES_ADDED" -ge "$need" ] ||
		die "could reserve only $HUGE_PAGES_ADDED of $need huge pages"
	echo "huge_pages = on" >>"$PGWORK/data/postgresql.conf"
	log "shared memory in $need huge pages"
}

_on_exit() {
	local rc=$?
	if [ "${BOUNCE_KEEP_CLUSTER:-0}" != 1 ]; then
		stop_cluster
	fi
	exit $rc
}

start_cluster() {
	BINDIR=$("$PG_CONFIG" --bindir)
	export BINDIR
	PGWORK=$(mktemp -d /tmp/bounce-pg.XXXXXX)
	export PGWORK    # the suites keep their scratch files in it
	trap _on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	chmod 755 "$PGWORK"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$PGWORK"

	log "starting a private cluster in $PGWORK (unix socket only)"
	as_owner "$BINDIR/initdb" -D "$PGWORK/data" -U postgres --auth=trust \
		-E UTF8 --locale=C >"$PGWORK/initdb.log" 2>&1 ||
		{ cat "$PGWORK/initdb.log" >&2; die "initdb failed"; }
	cat >>"$PGWORK/data/postgresql.conf" <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$PGWORK'
		port = 5432
		shared_preload_libraries = 'pg_cron'
		cron.database_name = 'postgres'
		cron.use_background_workers = on
		max_worker_processes = 32
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = ${BOUNCE_SHARED_BUFFERS:-512MB}
		work_mem = 64MB
		maintenance_work_mem = 512MB
		max_wal_size = 4GB
		log_min_messages = warning
		timezone = 'UTC'
	EOF
	[ "${BOUNCE_HUGE_PAGES:-0}" = 1 ] && _reserve_huge_pages
	local wrapper=()
	[ -n "${POSTGRES_WRAPPER:-}" ] && wrapper=(-p "$POSTGRES_WRAPPER")
	as_owner "$BINDIR/pg_ctl" -D "$PGWORK/data" -l "$PGWORK/server.log" "${wrapper[@]}" \
		-w -t "${PG_START_TIMEOUT:-60}" start >/dev/null ||
		{ cat "$PGWORK/server.log" >&2; die "server did not start"; }

	export PGHOST=$PGWORK PGPORT=5432 PGUSER=postgres
	psql_db postgres -q -c 'CREATE EXTENSION pg_cron' >/dev/null
}

psql_db() {
	local db=$1
	shift
	"$BINDIR/psql" -X -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# pg_regress's temporary instances and the TAP tests' nodes are started by
# the test process itself, and initdb refuses to run as root: the PGXS test
# targets run as the cluster owner, in a copy of what they read (the
# Makefile, the extension's sources, sql/, expected/ and test/) that the
# owner may write its results in.
make_tests() {
	local tree=$PGWORK/tree
	if [ ! -d "$tree" ]; then
		mkdir "$tree"
		tar -C "$ROOT" --exclude=./.git --exclude=./test/vendor --exclude=./test/corpus \
			--exclude=./test/fuzz --exclude=./test/bench -cf - . | tar -C "$tree" -xf -
		[ "$(id -u)" -eq 0 ] && chown -R postgres: "$tree"
	fi
	as_owner make -C "$tree" --no-print-directory PG_CONFIG="$PG_CONFIG" "$@"
}
export -f make_tests

# Counts come from pg_regress's own summary ("All N tests passed." or
# "M of N tests failed."), which per-test lines cannot garble.  RC is the
# exit status of the make that wrote LOG: a failure that no test shows
# (e.g. an instance that did not start) counts as one failed test.
regress_summary() {
	local log=$1 rc=$2 summary pass fail diffs
	grep -E '^(ok|not ok|test | +[a-z_0-9]+ +\.\.\.)' "$log" || cat "$log"
	summary=$(grep -E 'tests? (passed|failed)' "$log" | tail -n 1)
	if [[ $summary =~ All\ ([0-9]+)\ tests?\ passed ]]; then
		pass=${BASH_REMATCH[1]} fail=0
	elif [[ $summary =~ ([0-9]+)\ of\ ([0-9]+)\ tests?\ failed ]]; then
		fail=${BASH_REMATCH[1]} pass=$((BASH_REMATCH[2] - BASH_REMATCH[1]))
	else
		pass=0 fail=1
		cat "$log"
	fi
	for diffs in "$PGWORK"/tree/regression.diffs "$PGWORK"/tree/output_iso/regression.diffs; do
		[ -s "$diffs" ] && { echo "---- $diffs"; cat "$diffs"; rm -f "$diffs"; }
	done
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		cat "$log"
		fail=1
	fi
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
export -f regress_summary
