#!/usr/bin/env bash
# Command-line basics: help, version, usage errors and their exit statuses.
. "$(dirname "$0")/../lib.sh"

run() { "$WXREV_BIN" "$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null; RC=$?; OUT=$(cat "$T_TMP/out"); ERR=$(cat "$T_TMP/err"); }

t_begin "--version and -V print the version"
run --version
t_eq "exit" 0 "$RC"
t_check "format" grep -Eq '^wxrev [0-9]+\.[0-9]+\.[0-9]+$' "$T_TMP/out"
run -V
t_eq "-V" "$OUT" "$("$WXREV_BIN" --version)"
t_ok

t_begin "--help documents the commands, options and exit statuses"
run --help
t_eq "exit" 0 "$RC"
for w in "wxrev reverse --sub SUB" "wxrev history" "wxrev profiles [--check]" "--profiles DIR|FILE" "--history FILE" "--json" "--yes" "WXREV_OPERATOR" "Exit status"; do
	t_contains "mentions $w" "$OUT" "$w"
done
run -h
t_eq "-h exit" 0 "$RC"
run reverse --help
t_eq "reverse --help exit" 0 "$RC"
t_contains "reverse --help" "$OUT" "Usage"
t_ok

t_begin "an unknown command is a usage error (exit 2)"
run frobnicate
t_eq "exit" 2 "$RC"
t_contains "names it" "$ERR" "frobnicate"
t_ok

t_begin "an unknown option is a usage error (exit 2)"
run reverse --sub X --bogus 1
t_eq "exit" 2 "$RC"
run --bogus
t_eq "exit before the command" 2 "$RC"
t_ok

t_begin "reverse without an order is a usage error"
run reverse --sub "Coffee Shop" --yes
t_eq "exit" 2 "$RC"
t_contains "says so" "$ERR" "order"
t_ok


t_done
