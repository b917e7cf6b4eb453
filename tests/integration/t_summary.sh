#!/usr/bin/env bash
# reverse of several orders ends with one summary line on stderr, counts by
# outcome and the exit status; --json output stays one object per line.
. "$(dirname "$0")/lib_sim.sh"

sim_setup || t_setup_fail "the simulator did not start"

t_begin "three orders: a summary line with the counts and the exit status"
sim_paid SUM-PAID-01
sim_paid SUM-PAID-02
wx reverse --sub "Coffee Shop" --yes SUM-PAID-01 SUM-MISSING-01 SUM-PAID-02
t_eq "exit" 1 "$WX_RC"
t_contains "summary" "$WX_ERR" "3 orders: 2 reversed, 1 rejected (exit 1)"
t_eq "one summary line" 1 "$(grep -c "orders:" <<<"$WX_ERR")"
t_eq "requests" "1 1 1" "$(sim_count SUM-PAID-01) $(sim_count SUM-MISSING-01) $(sim_count SUM-PAID-02)"
t_ok

t_begin "--json: stdout is one object per order, the summary goes to stderr"
sim_paid SUM-JSON-01
sim_paid SUM-JSON-02
wx reverse --sub "Coffee Shop" --yes --json SUM-JSON-01 SUM-JSON-02
t_eq "exit" 0 "$WX_RC"
t_eq "lines" 2 "$(wc -l <<<"$WX_OUT" | tr -d ' ')"
t_eq "every line is a JSON object" true "$(jq -s 'length == 2 and all(type == "object")' <<<"$WX_OUT")"
t_check "no summary on stdout" bash -c '! grep -q "orders:" <<<"$1"' _ "$WX_OUT"
t_contains "summary" "$WX_ERR" "2 orders: 2 reversed (exit 0)"
t_ok

t_begin "an order listed twice is sent once and counted as such"
sim_paid SUM-DUP-01
wx reverse --sub "Coffee Shop" --yes SUM-DUP-01 SUM-DUP-01
t_eq "exit" 0 "$WX_RC"
t_eq "requests" 1 "$(sim_count SUM-DUP-01)"
t_contains "summary" "$WX_ERR" "2 orders: 1 reversed, 1 listed twice (exit 0)"
t_ok

t_begin "one order: no summary line"
sim_paid SUM-ONE-01
wx reverse --sub "Coffee Shop" --yes SUM-ONE-01
t_eq "exit" 0 "$WX_RC"
t_check "no summary" bash -c '! grep -q "order:" <<<"$1"' _ "$WX_ERR"
t_ok

t_begin "the summary in Chinese"
sim_paid SUM-ZH-01
sim_paid SUM-ZH-02
WX_ERR=$(env LANGUAGE=zh_CN LANG=C.UTF-8 LC_ALL=C.UTF-8 "$WXREV_BIN" reverse --sub "Coffee Shop" --yes SUM-ZH-01 SUM-ZH-02 2>&1 >/dev/null)
t_contains "summary" "$WX_ERR" "2 个订单：2 已撤销（退出状态 0）"
t_ok

t_done
