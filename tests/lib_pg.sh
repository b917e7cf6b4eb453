# A real PostgreSQL 15 for a test suite: a private cluster in a temporary
# folder, listening only on a Unix socket in that folder, stopped on every
# exit path. Source after tests/lib.sh, then:
#   pg_start                 initdb + start; sets PGHOST, PGPORT, PG_DB
#   pg_suite_start SETUP...  a desk suite's start: SETUP (sim_setup or
#                            ui_setup with its arguments), then pg_start;
#                            either failing stops the suite as not set up
#   pg_psql ROLE SQL...      psql as ROLE into the test database (-X -q -At)
#   pg_uri ROLE              a libpq URI for ROLE on the test database
#   pg_desk [ROLE...]        `wxrev history init` as the owner, then pg_operators
#   pg_operators ROLE...     login roles granted wxrev_operator
#   pg_stop / pg_restart     fast shutdown / stop and start again
#   pg_crash                 kill -9 the server (the next pg_start_again recovers)
#   pg_start_again           starts the existing cluster
#   pg_password_role ROLE PW an operator who must give password PW (scram)
#   pg_relay [PATTERN]       a TCP relay to the server (tests/pg_relay.py):
#                            PG_RELAY (its pid) and PG_RELAY_PORT; kill
#                            -STOP/-CONT freezes and thaws it, -USR1/-USR2
#                            turn it into a black hole and back
# As root, initdb and the server run as the `postgres` system user (initdb
# refuses root). Where /dev/null is not writable by that user (mode 0600 on
# some CI machines) they run in a private mount namespace with a
# world-writable null device bound over /dev/null; the machine itself is not
# changed.

PG_BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PG_DIR=""      # the cluster's folder: data/, the socket, server.log
PG_DB=wxrev
PG_SUPER=""    # the bootstrap superuser (the user initdb ran as)
PG_PORT=${PG_PORT:-5432} # only names the socket file; nothing listens on TCP

# Runs a PostgreSQL program as the user that owns the cluster, with a
# writable /dev/null when the machine's is not.
pg__as_owner() {
	local run=()
	if [ "$(id -u)" -eq 0 ]; then
		run=(runuser -u postgres --)
	fi
	if pg__null_ok; then
		"${run[@]}" "$@"
		return
	fi
	# Private mount namespace: a fresh tmpfs (device nodes allowed whatever
	# /tmp's options) holds the null device that is bound over /dev/null.
	unshare -m --propagation private -- /bin/sh -ec '
		d=$1; shift
		mount -t tmpfs -o size=64k,mode=755 wxrev-null "$d"
		mknod -m 666 "$d/null" c 1 3
		mount --bind "$d/null" /dev/null
		exec "$@"' sh "$PG_DIR/dev" "${run[@]}" "$@"
}

# True when the cluster owner can write /dev/null as it is.
pg__null_ok() {
	[ "$(id -u)" -ne 0 ] && return 0
	local mode
	mode=$(stat -Lc %a /dev/null)
	[ $((8#$mode & 2)) -ne 0 ]
}

pg_start() {
	if [ ! -x "$PG_BINDIR/initdb" ]; then
		echo "lib_pg: PostgreSQL server programs not found (install with: bash scripts/deps.sh)" >&2
		return 1
	fi
	# Not under T_TMP: the postgres user cannot enter a root-only folder.
	PG_DIR=$(mktemp -d /tmp/wxrev-pg.XXXXXX) || return 1
	mkdir -p "$PG_DIR/dev"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$PG_DIR"
		chmod 700 "$PG_DIR"
		PG_SUPER=postgres
	else
		PG_SUPER=$(id -un)
	fi
	t_cleanup_add pg__cleanup
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if ! pg__as_owner "$PG_BINDIR/initdb" -D "$PG_DIR/data" -U "$PG_SUPER" \
		-A trust -E UTF8 --locale=C.UTF-8 -N >"$PG_DIR/initdb.log" 2>&1; then
		echo "lib_pg: initdb failed:" >&2
		cat "$PG_DIR/initdb.log" >&2
		return 1
	fi
	cat >>"$PG_DIR/data/postgresql.conf" <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$PG_DIR'
		port = $PG_PORT
		fsync = off
		full_page_writes = off
		shared_buffers = 32MB
		max_connections = 60
		log_min_messages = warning
	EOF
	export PGHOST="$PG_DIR" PGPORT="$PG_PORT"
	unset PGUSER PGDATABASE PGPASSWORD PGSERVICE PGSERVICEFILE PGPASSFILE
	pg_start_again || return 1
	pg_psql "$PG_SUPER" -d postgres -c "CREATE DATABASE $PG_DB" >/dev/null
}

pg_suite_start() {
	if ! "$@" || ! pg_start; then
		t_setup_fail "the simulator or PostgreSQL did not start"
	fi
}

pg_start_again() {
	if ! pg__as_owner "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
		-w -t 60 start >/dev/null 2>&1; then
		echo "lib_pg: the server did not start:" >&2
		tail -n 20 "$PG_DIR/server.log" >&2
		return 1
	fi
}

pg_stop() {
	[ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	pg__as_owner "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1
}

pg_restart() { pg_stop && pg_start_again; }

# The server dies at once, as in a power cut of the database host.
pg_crash() {
	local pid
	pid=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) || return 1
	kill -9 "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	# Backends notice their postmaster is gone and exit on their own.
	sleep 0.5
}

pg__cleanup() {
	local pid
	[ -n "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ] &&
		! pg__as_owner "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1; then
		# After pg_crash the file names a process that is gone, and its
		# number may belong to another by now: only a postgres is killed.
		pid=$(head -n 1 "$PG_DIR/data/postmaster.pid")
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" != postgres ] || kill -9 "$pid" 2>/dev/null
	fi
	[ -n "${T_KEEP:-}" ] || rm -rf "$PG_DIR"
}

# pg_psql ROLE [psql args...]: as ROLE, into the test database unless -d.
pg_psql() {
	local role=$1; shift
	PGOPTIONS='-c client_min_messages=warning' \
		"$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -U "$role" -d "$PG_DB" "$@"
}

pg_uri() { printf 'postgresql:///%s?host=%s&port=%s&user=%s' "$PG_DB" "$PG_DIR" "$PG_PORT" "$1"; }

# Login roles granted wxrev_operator: the desk's operators.
pg_operators() {
	local r
	for r in "$@"; do
		pg_psql "$PG_SUPER" -c "CREATE ROLE \"$r\" LOGIN; GRANT wxrev_operator TO \"$r\"" || return 1
	done
}

# Applies docs/postgres.sql as the superuser and creates operator roles.
pg_schema() {
	pg_psql "$PG_SUPER" -1 -f "$T_ROOT/docs/postgres.sql" >/dev/null || return 1
	pg_operators "$@"
}

# The schema as a desk's owner applies it (`wxrev history init`), and
# operator roles.
pg_desk() {
	WXREV_HISTORY=$(pg_uri "$PG_SUPER") "$WXREV_BIN" history init >/dev/null || return 1
	pg_operators "$@"
}

# A psql session kept open, as a desk's connection is:
#   pg_session_open NAME ROLE; pg_session NAME SQL (prints its rows);
#   pg_session_pid NAME (the client); the session ends with the suite.
declare -A PG_SESS_FD PG_SESS_PID
pg_session_open() {
	local name=$1 role=$2 fifo="$T_TMP/pgsess-$1" fd
	mkfifo "$fifo.in"
	PGOPTIONS='-c client_min_messages=warning' \
		"$PG_BINDIR/psql" -X -q -At -U "$role" -d "$PG_DB" <"$fifo.in" >>"$fifo.out" 2>&1 &
	PG_SESS_PID[$name]=$!
	exec {fd}>"$fifo.in"
	PG_SESS_FD[$name]=$fd
	t_cleanup_kill "${PG_SESS_PID[$name]}"
}
pg_session() {
	local name=$1 sql=$2 fifo="$T_TMP/pgsess-$1" mark="--done-$RANDOM$RANDOM--" i
	: >"$fifo.out"
	printf '%s;\n\\echo %s\n' "$sql" "$mark" >&"${PG_SESS_FD[$name]}"
	for ((i = 0; i < 600; i++)); do
		grep -qF -- "$mark" "$fifo.out" && break
		sleep 0.05
	done
	grep -vF -- "$mark" "$fifo.out"
}
pg_session_pid() { echo "${PG_SESS_PID[$1]}"; }

# Waits until the server has run longer than the claim's restart grace.
pg_past_grace() {
	local left
	left=$(pg_psql "$PG_SUPER" -c "SELECT ceil(extract(epoch FROM pg_postmaster_start_time()
		+ make_interval(secs => restart_grace_s) - clock_timestamp()) * 10) FROM wxrev.meta")
	[ "${left:-0}" -le 0 ] || sleep "$(((left + 2) / 10)).$(((left + 2) % 10))"
}

pg_relay() {
	local port_file
	port_file="$T_TMP/relay.port.$RANDOM"
	python3 "$T_ROOT/tests/pg_relay.py" "$PG_DIR/.s.PGSQL.$PG_PORT" "$port_file" "$@" &
	PG_RELAY=$!
	# A frozen relay is thawed before it is stopped, on every exit path.
	t_cleanup_kill "$PG_RELAY" CONT TERM
	for _ in $(seq 1 100); do [ -s "$port_file" ] && break; sleep 0.05; done
	PG_RELAY_PORT=$(cat "$port_file" 2>/dev/null)
	[ -n "$PG_RELAY_PORT" ]
}

# pg_password_role ROLE PW: an operator role that must give its password;
# everyone else keeps trust (the tests' own psql as the superuser).
pg_password_role() {
	local hba="$PG_DIR/data/pg_hba.conf"
	pg_psql "$PG_SUPER" -c "CREATE ROLE \"$1\" LOGIN PASSWORD '$2'; GRANT wxrev_operator TO \"$1\"" || return 1
	{ echo "local all $1 scram-sha-256"; cat "$hba"; } >"$T_TMP/hba" && cat "$T_TMP/hba" >"$hba"
	pg_psql "$PG_SUPER" -c "SELECT pg_reload_conf()" >/dev/null
}
