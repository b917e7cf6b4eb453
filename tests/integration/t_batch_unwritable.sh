#!/usr/bin/env bash
# wxrev reverse --from when a group's commit fails (its pending rows and
# first attempts go in one transaction; here the transaction fails at
# COMMIT, as it does when the disk fills up). Nothing of the group may
# leave, the operator is told, and nothing stays half-written: no row is
# pending and no attempt is recorded. Counted in the simulator's request
# log.
. "$(dirname "$0")/lib_sim.sh"

M=20
orders() { seq -f "UW-%05g" 0 $((M - 1)); }
world=$(orders | jq -R '{out_trade_no: ., sub_mchid: "'"$SUB_COFFEE"'", state: "PAID"}' | jq -s -c .)
sim_setup "$world" || t_setup_fail "the simulator did not start"
orders >"$T_TMP/list.txt"

posts() {
	jq -c --arg p "${REVERSE_PREFIX}UW-" 'select(.method == "POST" and (.target | startswith($p)))' "$MAIN_LOG" | wc -l | tr -d ' '
}

t_begin "the attempts of a group cannot be committed: nothing is sent, each order is told why, nothing is left pending"
# A history file exists (any command makes one); then every transaction
# that writes an attempt fails at COMMIT (a deferred foreign key), while
# the pending rows before it commit as usual.
wx history
sqlite3 "$WXREV_HISTORY" "
	CREATE TABLE fault_parent (id INTEGER PRIMARY KEY);
	CREATE TABLE fault_child (pid INTEGER REFERENCES fault_parent(id) DEFERRABLE INITIALLY DEFERRED);
	CREATE TRIGGER fault_attempts AFTER INSERT ON attempts BEGIN INSERT INTO fault_child VALUES (1); END;"
wx reverse --sub "Coffee Shop" --yes --rate 1000 --from "$T_TMP/list.txt"
t_eq "not a single reversal reached the simulator" 0 "$(posts)"
t_eq "exit status 1: not sent" 1 "$WX_RC"
t_contains "each refused order is named with the reason" "$WX_ERR" "UW-00000: nothing was sent because the history cannot be written"
t_contains "the summary counts them not sent" "$WX_OUT" "not sent"
t_contains "and says how to resume" "$WX_OUT" "Run the same command again to resume."
t_eq "no row left pending" 0 "$(hist_sql "SELECT count(*) FROM reversals WHERE outcome = 'pending'")"
t_eq "no attempt recorded" 0 "$(hist_sql "SELECT count(*) FROM attempts")"
# The group's rows went in the transaction that failed: none of them is in
# the history, so nothing claims to have been tried.
t_eq "no row of the group is in the history" 0 "$(hist_sql "SELECT count(*) FROM reversals")"
t_ok

t_begin "once the history can be written, the same command sends each order once"
sqlite3 "$WXREV_HISTORY" "DROP TRIGGER fault_attempts;"
wx reverse --sub "Coffee Shop" --yes --rate 1000 --from "$T_TMP/list.txt"
t_eq "exit status 0" 0 "$WX_RC"
t_eq "one reversal per order" "$M" "$(posts)"
t_eq "each order reversed" "$M" "$(hist_sql "SELECT count(DISTINCT out_trade_no) FROM reversals WHERE outcome = 'reversed'")"
t_ok

t_done
