#!/usr/bin/env bash
# The endpoint is the one the operator saw: a test base_url has no hidden
# production backup, profiles --check names each partner's backup, and the
# confirmation names every host a retry may go to.
. "$(dirname "$0")/lib_sim.sh"

sim_setup || t_setup_fail "the simulator did not start"
# A loopback port nothing listens on (discard): connection refused.
CLOSED=https://127.0.0.1:9

# no_backup FILE BASE_URL: a profile without a backup_url line.
no_backup() {
	write_profile "$1" "$2"
	sed -i '/^  backup_url:/d' "$1"
}

t_begin "a test base_url without backup_url never falls back to production"
no_backup "$T_TMP/closed.yaml" "$CLOSED"
WXREV_PROFILES="$T_TMP/closed.yaml" wx reverse --sub "Coffee Shop" --yes --json END-CLOSED-1
t_eq "not reversed" "false" "$(jq -r '.outcome == "reversed"' <<<"$WX_OUT")"
hosts=$(hist_sql "SELECT DISTINCT url FROM attempts a JOIN reversals r ON r.id = a.reversal_id WHERE r.out_trade_no = 'END-CLOSED-1'")
t_contains "attempts went to the test host" "$hosts" "127.0.0.1:9"
if grep -q "weixin" <<<"$hosts"; then
	t_fail "an attempt went to WeChat Pay: $hosts"
fi
t_ok

t_begin "a backup_url written in the profile is used when the main host is down"
sim_paid END-BACKUP-1
write_profile "$T_TMP/backup.yaml" "$CLOSED" "$MAIN_URL"
WXREV_PROFILES="$T_TMP/backup.yaml" wx reverse --sub "Coffee Shop" --yes --json END-BACKUP-1
t_eq "exit status" 0 "$WX_RC"
t_eq "outcome" reversed "$(jfield "$WX_OUT" outcome)"
t_eq "the written backup received one request" 1 "$(sim_count END-BACKUP-1)"
t_ok

t_begin "profiles --check names each partner's backup, or none"
mkdir -p "$T_TMP/two"
no_backup "$T_TMP/two/a-test.yaml" "$CLOSED"
write_profile "$T_TMP/two/b-official.yaml" "https://api.mch.weixin.qq.com"
sed -i '/^  backup_url:/d; s/^name: Test Provider/name: Official Provider/; s/^sp_mchid: .*/sp_mchid: "1230000200"/' "$T_TMP/two/b-official.yaml"
wx profiles --check --profiles "$T_TMP/two"
t_eq "exit status" 0 "$WX_RC"
t_contains "test endpoint: no backup" "$WX_OUT" "Test Provider (1230000109): endpoint 127.0.0.1 (not WeChat Pay); backup none: retries go only to 127.0.0.1"
t_contains "WeChat Pay's own: the default backup" "$WX_OUT" "Official Provider (1230000200): endpoint api.mch.weixin.qq.com; backup api2.mch.weixin.qq.com, when the main host cannot be reached"
t_ok

t_begin "the terminal confirmation names the backup host a retry may go to"
sim_paid END-TTY-1
write_profile "$T_TMP/tty.yaml" "$MAIN_URL" "https://localhost:9"
out=$(printf '\n' | WXREV_PROFILES="$T_TMP/tty.yaml" timeout 30 script -qec "$WXREV_BIN reverse --sub 'Coffee Shop' END-TTY-1" /dev/null)
t_contains "main host" "$out" "Endpoint:      127.0.0.1 (not WeChat Pay)"
t_contains "backup host" "$out" "Backup:        localhost (not WeChat Pay), when the main host cannot be reached"
t_eq "nothing sent" 0 "$(sim_count END-TTY-1)"
no_backup "$T_TMP/tty2.yaml" "$MAIN_URL"
out=$(printf '\n' | WXREV_PROFILES="$T_TMP/tty2.yaml" timeout 30 script -qec "$WXREV_BIN reverse --sub 'Coffee Shop' END-TTY-1" /dev/null)
t_contains "no backup said" "$out" "Backup:        none: retries go only to 127.0.0.1"
t_ok

t_done
