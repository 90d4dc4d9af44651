# test/citus/cluster.sh -- a throwaway Citus cluster for the tests.
#
# Sourced, not run (test/citus/start runs it by hand).  Starts a coordinator
# and CITUS_WORKERS workers (default 2), each its own PostgreSQL instance in
# a temporary directory under /tmp, run as the postgres user, listening on
# 127.0.0.1 only (plus a unix socket in its directory) on a free port chosen
# at run time, with trust authentication for loopback connections only and
# citus then pg_cron preloaded (Citus must come first in
# shared_preload_libraries).  Creates the database $CITUS_DB on every node
# with the citus extension and joins the nodes with
# citus_set_coordinator_host() and citus_add_node().  The instances are
# stopped and their directories removed on exit, also on failure or Ctrl-C.
#
# Uses test/lib.sh (as_owner, log).  Provides:
#   citus_ensure          0 when Citus is installed for $PG_CONFIG, building
#                         it with test/vendor/citus/build.sh when it is not;
#                         else 1 with the reason in CITUS_SKIP_REASON
#   citus_start_cluster   start and join the nodes; sets CITUS_DIR,
#                         CITUS_PORTS (coordinator first), CITUS_START_MS
#   citus_stop_cluster    stop every node and remove CITUS_DIR
#   citus_psql N ...      psql -X to node N (0 = coordinator, 1.. workers),
#                         database $CITUS_DB, stopping at the first error
#   citus_conninfo N      connection string of node N
#
# Knobs:
#   CITUS_WORKERS=2       number of workers
#   CITUS_DB=bounce       database created on every node
#   CITUS_BUILD=1         build Citus when missing (0: skip instead)
#   CITUS_KEEP=1          leave the cluster running on exit

: "${ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# lib.sh resets PGWORK: keep the caller's (test/check's cluster directory)
_citus_pgwork=${PGWORK:-}
# shellcheck source=../lib.sh
source "$ROOT/test/lib.sh"
PGWORK=$_citus_pgwork
BINDIR=$("$PG_CONFIG" --bindir)

CITUS_WORKERS=${CITUS_WORKERS:-2}
CITUS_DB=${CITUS_DB:-bounce}
CITUS_DIR=
CITUS_PORTS=()
CITUS_SKIP_REASON=
CITUS_START_MS=

citus_ensure() {
	local pkglib share
	pkglib=$("$PG_CONFIG" --pkglibdir)
	share=$("$PG_CONFIG" --sharedir)
	if [ -f "$pkglib/citus.so" ] && [ -f "$share/extension/citus.control" ]; then
		return 0
	fi
	if [ "${CITUS_BUILD:-1}" != 1 ]; then
		CITUS_SKIP_REASON="Citus is not installed for $("$PG_CONFIG" --version) ($PG_CONFIG) and CITUS_BUILD=0"
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		CITUS_SKIP_REASON="Citus is not installed for $PG_CONFIG, and building it needs root: run test/vendor/citus/build.sh $PG_CONFIG as root"
		return 1
	fi
	log "Citus is not installed for $("$PG_CONFIG" --version): building it (test/vendor/citus/build.sh, once per machine, 5-10 minutes)"
	local out
	out=$(mktemp /tmp/bounce-citus-build.XXXXXX)
	if ! sh "$ROOT/test/vendor/citus/build.sh" "$PG_CONFIG" >"$out" 2>&1; then
		CITUS_SKIP_REASON="Citus could not be built for $PG_CONFIG: $(tail -n 3 "$out" | tr '\n' ' ')"
		rm -f "$out"
		return 1
	fi
	rm -f "$out"
	if [ ! -f "$pkglib/citus.so" ]; then
		CITUS_SKIP_REASON="test/vendor/citus/build.sh ran but $pkglib/citus.so is missing"
		return 1
	fi
	return 0
}

# A TCP port on 127.0.0.1 that nothing listens on now.  Another program may
# take it before the node binds it: _citus_start_node then picks another.
_citus_free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		[[ " ${CITUS_PORTS[*]} " == *" $p "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free TCP port found on 127.0.0.1"
}

# Start node $1 from the data directory $CITUS_DIR/node$1 on a free port;
# a port taken meanwhile gives another try.
_citus_start_node() {
	local n=$1 d="$CITUS_DIR/node$1" port try
	for try in 1 2 3 4 5; do
		port=$(_citus_free_port)
		as_owner sh -c "cat >'$d/port.conf'" <<-EOF
			port = $port
			unix_socket_directories = '$d'
		EOF
		if as_owner "$BINDIR/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 60 start >/dev/null 2>&1; then
			CITUS_PORTS[n]=$port
			return 0
		fi
		grep -q 'could not bind\|Address already in use\|could not create any TCP/IP sockets' "$d/server.log" 2>/dev/null ||
			break
		log "node $n: port $port was taken, trying another (try $try)"
	done
	cat "$d/server.log" >&2
	die "Citus node $n did not start"
}

citus_conninfo() {
	echo "host=127.0.0.1 port=${CITUS_PORTS[$1]} user=postgres dbname=$CITUS_DB"
}

citus_psql() {
	local n=$1
	shift
	"$BINDIR/psql" -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${CITUS_PORTS[$n]}" -U postgres -d "$CITUS_DB" "$@"
}

citus_stop_cluster() {
	[ -n "$CITUS_DIR" ] || return 0
	local d
	for d in "$CITUS_DIR"/node*/data; do
		[ -f "$d/postmaster.pid" ] &&
			as_owner "$BINDIR/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1
	done
	rm -rf "$CITUS_DIR"
	CITUS_DIR=
	CITUS_PORTS=()
}

_citus_on_exit() {
	local rc=$?
	[ "${CITUS_KEEP:-0}" = 1 ] || citus_stop_cluster
	exit $rc
}

citus_start_cluster() {
	local t0 n d
	t0=$(date +%s%N)
	CITUS_DIR=$(mktemp -d /tmp/bounce-citus.XXXXXX)
	trap _citus_on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	chmod 755 "$CITUS_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$CITUS_DIR"

	# One initdb, copied for each node: the nodes differ only in port.
	d="$CITUS_DIR/node0"
	as_owner mkdir "$d"
	as_owner "$BINDIR/initdb" -D "$d/data" -U postgres --auth=trust -E UTF8 --locale=C \
		>"$CITUS_DIR/initdb.log" 2>&1 || { cat "$CITUS_DIR/initdb.log" >&2; die "initdb failed"; }
	as_owner sh -c "cat >>'$d/data/postgresql.conf'" <<-EOF
		listen_addresses = '127.0.0.1'
		include '../port.conf'
		shared_preload_libraries = 'citus,pg_cron'
		cron.database_name = 'postgres'
		cron.use_background_workers = on
		max_worker_processes = 32
		max_connections = 100
		max_prepared_transactions = 100
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 128MB
		work_mem = 32MB
		log_min_messages = warning
		timezone = 'UTC'
	EOF
	# trust, for loopback connections only
	as_owner sh -c "cat >'$d/data/pg_hba.conf'" <<-EOF
		local all all trust
		host  all all 127.0.0.1/32 trust
	EOF
	for n in $(seq 1 "$CITUS_WORKERS"); do
		as_owner cp -a "$d" "$CITUS_DIR/node$n"
	done
	for n in $(seq 0 "$CITUS_WORKERS"); do
		_citus_start_node "$n"
	done

	for n in $(seq 0 "$CITUS_WORKERS"); do
		"$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${CITUS_PORTS[n]}" -U postgres -d postgres \
			-c "CREATE DATABASE $CITUS_DB" >/dev/null
		citus_psql "$n" -q -c 'CREATE EXTENSION citus' >/dev/null
	done
	citus_psql 0 -q -c "SELECT citus_set_coordinator_host('127.0.0.1', ${CITUS_PORTS[0]})" >/dev/null
	for n in $(seq 1 "$CITUS_WORKERS"); do
		citus_psql 0 -q -c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[n]})" >/dev/null
	done
	CITUS_START_MS=$((($(date +%s%N) - t0) / 1000000))
	log "Citus cluster up in ${CITUS_START_MS} ms: coordinator 127.0.0.1:${CITUS_PORTS[0]}, workers ${CITUS_PORTS[*]:1} ($CITUS_DIR)"
}
