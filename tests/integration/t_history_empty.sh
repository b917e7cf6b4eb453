#!/usr/bin/env bash
# wxrev history with nothing to show says so, naming the filter, instead of
# printing nothing (or a bare table header).
. "$(dirname "$0")/lib_sim.sh"

sim_setup || t_setup_fail "the simulator did not start"

t_begin "an empty history says nothing matched"
wx history
t_eq "exit" 0 "$WX_RC"
t_eq "stdout" "" "$WX_OUT"
t_contains "stderr" "$WX_ERR" "nothing matched"
t_contains "why" "$WX_ERR" "no reversals yet"
t_ok

sim_paid EMPTY-PAID-01
wx reverse --sub "Coffee Shop" --yes EMPTY-PAID-01

t_begin "a filter that matches nothing is named"
wx history --sub "Tea House" --outcome failed
t_eq "exit" 0 "$WX_RC"
t_eq "no table" "" "$WX_OUT"
t_contains "names --outcome" "$WX_ERR" '--outcome "failed"'
t_contains "names --sub" "$WX_ERR" '--sub "Tea House"'
t_contains "says it" "$WX_ERR" "nothing matched"
t_ok

t_begin "exports stay well-formed when nothing matches"
wx history --format jsonl --order NOSUCH-ORDER
t_eq "jsonl empty" "" "$WX_OUT"
t_contains "stderr" "$WX_ERR" '--order "NOSUCH-ORDER"'
wx history --format csv --order NOSUCH-ORDER
t_contains "csv header kept" "$WX_OUT" "out_trade_no"
t_ok

t_begin "a matching filter prints rows and no message"
wx history --order EMPTY-PAID-01
t_contains "row" "$WX_OUT" "EMPTY-PAID-01"
t_eq "stderr" "" "$WX_ERR"
t_ok

t_done
