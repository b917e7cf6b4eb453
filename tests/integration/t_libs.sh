#!/usr/bin/env bash
# libcurl and libpq are loaded when first needed (src/dynlib.c): a command
# that reaches neither WeChat Pay nor a desk server starts without them, and
# a machine without one is told what to install, with nothing sent.
. "$(dirname "$0")/lib_sim.sh"

sim_setup || t_setup_fail "the simulator did not start"

# loaded CMD...: the shared objects the command loaded, one per line.
loaded() {
	rm -f "$T_TMP"/ld.*
	LD_DEBUG=files LD_DEBUG_OUTPUT="$T_TMP/ld" "$@" >/dev/null 2>&1 </dev/null
	cat "$T_TMP"/ld.* 2>/dev/null | sed -n 's/.*file=\([^ ]*\).*/\1/p' | sort -u
}

t_begin "wxrev --version and wxrev history load neither libcurl nor libpq"
libs=$(loaded "$WXREV_BIN" --version)
t_contains "the loader was watched" "$libs" "libsqlite3.so"
t_lacks "--version: libcurl" "$libs" "libcurl.so"
t_lacks "--version: libpq" "$libs" "libpq.so"
libs=$(loaded "$WXREV_BIN" history --limit 5)
t_contains "the loader was watched" "$libs" "libsqlite3.so"
t_lacks "history: libcurl" "$libs" "libcurl.so"
t_lacks "history: libpq" "$libs" "libpq.so"
t_ok

t_begin "a reversal loads libcurl, and libpq only for a desk history"
sim_paid L-LOAD-1
libs=$(loaded "$WXREV_BIN" reverse --sub "Coffee Shop" --yes L-LOAD-1)
t_contains "libcurl" "$libs" "libcurl.so.4"
t_lacks "libpq" "$libs" "libpq.so"
t_eq "the order was reversed" REVERSED "$(sim_state L-LOAD-1)"
t_ok

# The library's own file, hidden behind an empty one in a private mount
# namespace of one command: the machine itself is not changed.
real_file() { readlink -f "$(ldconfig -p | awk -v l="$1" '$1 == l { print $NF; exit }')"; }
without() { # without LIB CMD...: runs CMD as on a machine where LIB is broken
	local lib=$1 file
	shift
	file=$(real_file "$lib")
	: >"$T_TMP/empty.so"
	timeout 60 unshare -m --propagation private -- \
		sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
		sh "$T_TMP/empty.so" "$file" "$@" \
		>"$T_TMP/wx.out" 2>"$T_TMP/wx.err" </dev/null
	WX_RC=$?
	WX_ERR=$(cat "$T_TMP/wx.err")
}

if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null &&
	[ -n "$(real_file libcurl.so.4)" ] && [ -n "$(real_file libpq.so.5)" ]; then
	t_begin "without libcurl: what to install, and nothing reaches WeChat Pay"
	sim_paid L-NOCURL-1
	without libcurl.so.4 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes L-NOCURL-1
	t_eq "exit status: refused before sending" 2 "$WX_RC"
	t_contains "names the library" "$WX_ERR" "cannot load libcurl.so.4"
	t_contains "names the package" "$WX_ERR" "install the libcurl4 package"
	t_eq "requests the simulator received" 0 "$(sim_count L-NOCURL-1)"
	t_eq "the order is still paid" PAID "$(sim_state L-NOCURL-1)"
	without libcurl.so.4 "$WXREV_BIN" history --limit 5
	t_eq "the history still reads (stderr: $WX_ERR)" 0 "$WX_RC"
	t_ok

	t_begin "without libpq: a desk history names the package; SQLite works"
	without libpq.so.5 "$WXREV_BIN" history --history "postgresql://alice@localhost/wxrev"
	t_eq "exit status" 2 "$WX_RC"
	t_contains "names the library" "$WX_ERR" "cannot load libpq.so.5"
	t_contains "names the package" "$WX_ERR" "install the libpq5 package"
	sim_paid L-NOPQ-1
	without libpq.so.5 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes L-NOPQ-1
	t_eq "a reversal on SQLite (stderr: $WX_ERR)" 0 "$WX_RC"
	t_eq "the order was reversed" REVERSED "$(sim_state L-NOPQ-1)"
	t_ok
else
	echo "note: the missing-library cases need root and unshare; not run"
fi

t_done
