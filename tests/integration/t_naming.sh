#!/usr/bin/env bash
# Naming a sub-merchant or partner on the command line: one rule for every
# command (reverse, a --from list, query, settle, history --sub): an mchid
# exactly, a name ignoring ASCII case; several candidates are listed and
# nothing is sent (exit 2). Requests are counted in the simulator's log.
. "$(dirname "$0")/lib_sim.sh"

sim_setup || t_setup_fail "the simulator did not start"

t_begin "--sub and --partner match names ignoring case"
sim_paid NAME-CASE-01
wx reverse --sub "coffee SHOP" --partner "test PROVIDER" --yes NAME-CASE-01
t_eq "exit" 0 "$WX_RC"
t_eq "requests" 1 "$(sim_count NAME-CASE-01)"
t_eq "recorded under" "$SUB_COFFEE" "$(jfield "$(hist_row NAME-CASE-01)" sub_mchid)"
wx query --sub "TEA house" NAME-CASE-01
t_check "query resolves a name in another case" test "$WX_RC" -ne 2
t_ok

t_begin "a --from list's sub-merchant column follows the same rule"
sim_paid NAME-LIST-01 "$SUB_TEA"
printf 'out_trade_no,sub_mchid\nNAME-LIST-01,tea house\n' >"$T_TMP/list.csv"
wx reverse --sub "Coffee Shop" --yes --from "$T_TMP/list.csv"
t_eq "exit" 0 "$WX_RC"
t_eq "requests" 1 "$(sim_count NAME-LIST-01)"
t_eq "recorded under" "$SUB_TEA" "$(jfield "$(hist_row NAME-LIST-01)" sub_mchid)"
t_ok

t_begin "history --sub finds rows by a name in another case"
t_eq "rows" NAME-LIST-01 "$("$WXREV_BIN" history --format jsonl --sub "TEA HOUSE" | jq -r .out_trade_no)"
t_ok

# A profile where two sub-merchants differ only in case.
AMBIG="$T_TMP/ambig.yaml"
sed 's/name: Tea House/name: COFFEE SHOP/' "$PROFILE" >"$AMBIG"

t_begin "names differing only in case are ambiguous: listed, nothing sent, exit 2"
sim_paid NAME-AMBIG-01
wx --profiles "$AMBIG" reverse --sub "coffee shop" --yes NAME-AMBIG-01
t_eq "exit" 2 "$WX_RC"
t_contains "first candidate" "$WX_ERR" "Coffee Shop ($SUB_COFFEE)"
t_contains "second candidate" "$WX_ERR" "COFFEE SHOP ($SUB_TEA)"
t_contains "names the partner" "$WX_ERR" "Test Provider"
t_contains "says the fix" "$WX_ERR" "sub_mchid"
t_eq "requests" 0 "$(sim_count NAME-AMBIG-01)"
wx --profiles "$AMBIG" reverse --sub "Coffee Shop" --yes NAME-AMBIG-01
t_eq "exact case is no way out: exit" 2 "$WX_RC"
t_eq "requests" 0 "$(sim_count NAME-AMBIG-01)"
wx --profiles "$AMBIG" reverse --sub "$SUB_COFFEE" --yes NAME-AMBIG-01
t_eq "the sub_mchid settles it: exit" 0 "$WX_RC"
t_eq "requests" 1 "$(sim_count NAME-AMBIG-01)"
t_ok

t_begin "the same ambiguity refuses a query, a list line and a history filter"
wx --profiles "$AMBIG" query --sub "coffee shop" NAME-AMBIG-01
t_eq "query exit" 2 "$WX_RC"
t_contains "query lists" "$WX_ERR" "COFFEE SHOP ($SUB_TEA)"
t_eq "no order query" 0 "$(sim_query_count NAME-AMBIG-01)"
sim_paid NAME-AMBIG-02
printf 'out_trade_no,sub_mchid\nNAME-AMBIG-02,coffee shop\n' >"$T_TMP/ambig.csv"
wx --profiles "$AMBIG" reverse --sub "$SUB_COFFEE" --yes --from "$T_TMP/ambig.csv"
t_eq "list exit" 2 "$WX_RC"
t_contains "list names the line" "$WX_ERR" "2"
t_contains "list lists" "$WX_ERR" "COFFEE SHOP ($SUB_TEA)"
t_eq "list requests" 0 "$(sim_count NAME-AMBIG-02)"
wx --profiles "$AMBIG" history --sub "coffee shop"
t_eq "history exit" 2 "$WX_RC"
t_contains "history lists" "$WX_ERR" "Coffee Shop ($SUB_COFFEE)"
t_ok

t_begin "an unknown name lists what is known"
wx reverse --sub "Book Store" --yes NAME-CASE-01
t_eq "exit" 2 "$WX_RC"
t_contains "known" "$WX_ERR" "Tea House ($SUB_TEA)"
t_eq "requests (still the first one)" 1 "$(sim_count NAME-CASE-01)"
t_ok

t_done
