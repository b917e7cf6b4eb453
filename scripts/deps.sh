#!/usr/bin/env bash
# Installs the Debian packages wxrev needs to build, test and run its demo.
#   scripts/deps.sh               install whatever is missing
#   scripts/deps.sh --if-missing  the same, silent when nothing is missing
#   scripts/deps.sh --check       list what is missing; exit 1 if anything is
#   scripts/deps.sh --list        print the package list
# As root it runs apt-get; otherwise through sudo when that works without a
# password; otherwise it prints the one command to run.
set -euo pipefail

# Libraries (with their pkg-config names) and tools, one Debian package each.
libs=(
	"libncurses-dev:ncursesw"
	"libcurl4-openssl-dev:libcurl"
	"libssl-dev:libcrypto"
	"libjansson-dev:jansson"
	"libyaml-dev:yaml-0.1"
	"libsqlite3-dev:sqlite3"
	"libcmocka-dev:cmocka"
	"libmicrohttpd-dev:libmicrohttpd"
	"libpq-dev:libpq"
)
tools=(
	"gcc:gcc"
	"make:make"
	"pkg-config:pkg-config"
	"openssl:openssl"
	"tmux:tmux"
	"sqlite3:sqlite3"
	"jq:jq"
	"clang:clang"
	"clang-tidy:clang-tidy"
	"clang-format:clang-format"
	"cppcheck:cppcheck"
	"valgrind:valgrind"
	"ncurses-bin:tic"
	"procps:ps"
	"libclang-rt-14-dev:"
	"postgresql:"
	"util-linux:unshare"
	"gettext:msgfmt"
	"locales:"
)

mode=install
case "${1:-}" in
	--if-missing) mode=quiet ;;
	--check) mode=check ;;
	--list) mode=list ;;
	"") ;;
	*) echo "usage: scripts/deps.sh [--if-missing|--check|--list]" >&2; exit 2 ;;
esac

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
all=()
for entry in "${libs[@]}"; do
	pkg=${entry%%:*} pc=${entry#*:}
	all+=("$pkg")
	pkg-config --exists "$pc" 2>/dev/null || missing+=("$pkg")
done
for entry in "${tools[@]}"; do
	pkg=${entry%%:*} cmd=${entry#*:}
	all+=("$pkg")
	if [ -n "$cmd" ]; then
		command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
	else
		have_pkg "$pkg" || missing+=("$pkg")
	fi
done

if [ "$mode" = list ]; then
	printf '%s\n' "${all[@]}"
	exit 0
fi
# The Chinese locale, so LANG=zh_CN.UTF-8 works (LANGUAGE=zh_CN works
# without it). Generated only as root and only when absent.
zh_locale() {
	[ "$(id -u)" -eq 0 ] || return 0
	command -v locale-gen >/dev/null 2>&1 || return 0
	locale -a 2>/dev/null | grep -qix 'zh_CN.utf8' && return 0
	echo "deps: generating the zh_CN.UTF-8 locale"
	if [ -f /etc/locale.gen ] && grep -q '^# *zh_CN.UTF-8 UTF-8' /etc/locale.gen; then
		sed -i 's/^# *\(zh_CN.UTF-8 UTF-8\)/\1/' /etc/locale.gen
	elif ! grep -qs '^zh_CN.UTF-8 UTF-8' /etc/locale.gen; then
		echo 'zh_CN.UTF-8 UTF-8' >>/etc/locale.gen
	fi
	locale-gen >/dev/null
}

if [ ${#missing[@]} -eq 0 ]; then
	[ "$mode" = check ] || zh_locale
	[ "$mode" = quiet ] || echo "deps: everything wxrev needs is installed"
	exit 0
fi
if [ "$mode" = check ]; then
	echo "deps: missing: ${missing[*]}"
	exit 1
fi

cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo=(sudo)
else
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: install them with:" >&2
	echo "  sudo apt-get update && sudo ${cmd[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" "${cmd[@]}"
zh_locale
