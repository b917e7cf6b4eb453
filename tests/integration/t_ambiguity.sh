#!/usr/bin/env bash
# Ambiguity is never hidden: an answer that cannot prove this order's fate
# is `unknown`, with the reason. Each test is a row of the fault catalogue
# in tests/README.md.
# shellcheck source=tests/integration/lib_sim.sh
. "$(dirname "$0")/lib_sim.sh"

sim_setup || t_setup_fail "the simulator did not start"

t_begin "rejected after an attempt that went unanswered: unknown, not rejected"
sim_order '{"out_trade_no":"AMB-REFUND-1","sub_mchid":"'"$SUB_COFFEE"'","state":"REFUND"}'
sim_fault AMB-REFUND-1 '{"type":"drop","count":1}'
wx reverse --sub "Coffee Shop" --yes --json AMB-REFUND-1
t_eq "exit status" 3 "$WX_RC"
t_eq "outcome" unknown "$(jfield "$WX_OUT" outcome)"
t_eq "requests the simulator received" 2 "$(sim_count AMB-REFUND-1)"
t_eq "the last answer was a rejection" 400 "$(sim_log AMB-REFUND-1 | tail -1 | jq -r .status)"
t_eq "history" unknown "$(jfield "$(hist_row AMB-REFUND-1)" outcome)"
t_ok

t_begin "a verified 204 names no order: unknown with the reason"
sim_paid AMB-204-1
sim_fault AMB-204-1 '{"type":"no_content"}'
wx reverse --sub "Coffee Shop" --yes --json --no-settle AMB-204-1
t_eq "exit status" 3 "$WX_RC"
t_eq "outcome" unknown "$(jfield "$WX_OUT" outcome)"
t_eq "code" UNCONFIRMED_204 "$(jfield "$WX_OUT" code)"
t_contains "says why" "$(jfield "$WX_OUT" message)" "names no order"
t_eq "the simulator answered 204" 204 "$(sim_log AMB-204-1 | jq -r .status)"
t_ok

t_begin "a verified 204 is reversed only when the order query confirms it"
sim_paid AMB-204-2
sim_fault AMB-204-2 '{"type":"no_content"}'
wx reverse --sub "Coffee Shop" --yes --json AMB-204-2
t_eq "exit status" 0 "$WX_RC"
t_eq "outcome" reversed "$(jfield "$WX_OUT" outcome)"
t_eq "settled by" query "$(jfield "$WX_OUT" settled_by)"
t_eq "reversals the simulator received" 1 "$(sim_count AMB-204-2)"
t_eq "queries the simulator received" 1 "$(sim_query_count AMB-204-2)"
t_ok

t_begin "an answer repeating a Wechatpay-Nonce seen in the last 300 s: unknown (replay)"
sim_paid AMB-RP-A
sim_paid AMB-RP-B
sim_fault AMB-RP-B '{"type":"replay_nonce"}'
wx reverse --sub "Coffee Shop" --yes --json --no-settle AMB-RP-A AMB-RP-B
t_eq "exit status" 3 "$WX_RC"
t_eq "A: outcome" reversed "$(sed -n 1p <<<"$WX_OUT" | jq -r .outcome)"
t_eq "B: outcome" unknown "$(sed -n 2p <<<"$WX_OUT" | jq -r .outcome)"
t_eq "B: code" REPLAYED_RESPONSE "$(sed -n 2p <<<"$WX_OUT" | jq -r .code)"
t_ok

t_done
