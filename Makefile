# wxrev: reverse WeChat Pay partner orders from a terminal.
# `make demo` and `make test` are the two commands a newcomer needs; both
# install missing Debian packages first (scripts/deps.sh).

PREFIX ?= /usr/local
CC ?= cc
CFLAGS ?= -O2 -g
LDFLAGS ?=
BUILD ?= build

PKGS := ncursesw libcurl libcrypto libssl jansson yaml-0.1 sqlite3 libpq
SIM_PKGS := libmicrohttpd
TEST_PKGS := cmocka libmicrohttpd

# Evaluated once per make run; the top-level targets re-run make after
# scripts/deps.sh so a fresh machine sees the flags of what it installed.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(SIM_PKGS) $(TEST_PKGS) 2>/dev/null)
# libcurl and libpq, with the thirty-odd libraries they pull in, are loaded
# when first used (src/dynlib.c), so wxrev is not linked against them;
# test helpers that call them directly are.
DYN_PKGS := libcurl libpq
PKG_LIBS := $(shell pkg-config --libs $(filter-out $(DYN_PKGS),$(PKGS)) 2>/dev/null)
ALL_PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SIM_LIBS := $(shell pkg-config --libs $(SIM_PKGS) libcrypto jansson 2>/dev/null)
TEST_LIBS := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

WARN := -std=c11 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wundef -Wvla -Wwrite-strings \
	-Wold-style-definition
ifneq ($(CI)$(WERROR),)
WARN += -Werror
endif

ALL_CFLAGS = $(WARN) $(PKG_CFLAGS) -Isrc -I$(BUILD)/gen -MMD -MP $(CFLAGS)

SRC := $(wildcard src/*.c src/tui/*.c)
LIB_SRC := $(filter-out src/main.c,$(SRC))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/main.o
SIM_SRC := $(wildcard tests/sim/*.c)
SIM_OBJ := $(SIM_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_HELPER_SRC := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
UNIT_HELPER_OBJ := $(UNIT_HELPER_SRC:%.c=$(BUILD)/%.o)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

# Translations: po/LANG.po, compiled into the build tree's own locale folder
# (which a build-tree wxrev finds next to its binary, see src/i18n.h).
LINGUAS := $(patsubst po/%.po,%,$(wildcard po/*.po))
MO_FILES := $(LINGUAS:%=$(BUILD)/locale/%/LC_MESSAGES/wxrev.mo)
LOCALEDIR := $(PREFIX)/share/locale
XGETTEXT := xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ \
	--keyword=C_:1c,2 \
	--add-comments=TRANSLATORS: --add-location=file --package-name=wxrev

WXREV := $(BUILD)/bin/wxrev
SIM := $(BUILD)/bin/wxpay-sim

# Test-only helpers (e.g. a hostile HTTPS server), one binary per file.
HELPER_SRC := $(wildcard tests/integration/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/integration/helpers/%.c=$(BUILD)/bin/%)

# libFuzzer harnesses: tests/fuzz/fuzz_*.c, each linked with the other
# tests/fuzz/*.c files and every src/ object except main, cli and the UI.
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_LIB_SRC := $(filter-out $(FUZZ_SRC),$(wildcard tests/fuzz/*.c))
FUZZ_LIB_OBJ := $(filter-out $(BUILD)/src/tui/% $(BUILD)/src/cli%.o,$(LIB_OBJ)) \
	$(FUZZ_LIB_SRC:%.c=$(BUILD)/%.o)
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=undefined
VALGRIND := valgrind --error-exitcode=99 --leak-check=full \
	--suppressions=$(CURDIR)/tests/valgrind.supp \
	--errors-for-leak-kinds=definite,indirect --quiet

.PHONY: all build deps demo demo-desk test test-bins test-run check-asan lint fmt bench docs \
	screenshots install clean demo-keys fuzz fuzz-build check-valgrind \
	helpers pot mo FORCE

all: deps-quiet
	@$(MAKE) --no-print-directory build

build: $(WXREV) $(SIM) mo demo-keys
	@ln -sf $(WXREV) wxrev

mo: $(MO_FILES)

$(BUILD)/locale/%/LC_MESSAGES/wxrev.mo: po/%.po
	@mkdir -p $(@D)
	msgfmt --check -o $@ $<

# Re-extracts the marked strings (_ and N_) into po/wxrev.pot and merges
# them into every po/LANG.po; new strings then show as untranslated there.
pot:
	$(XGETTEXT) -o po/wxrev.pot $(sort $(SRC))
	@# No creation date: it would make every merge of the catalogue conflict.
	@sed -i '/^"POT-Creation-Date: /d' po/wxrev.pot
	@for po in $(wildcard po/*.po); do \
		msgmerge --quiet --update --backup=none --add-location=file $$po po/wxrev.pot || exit 1; \
		msgattrib --no-obsolete --add-location=file -o $$po $$po || exit 1; \
		sed -i '/^"POT-Creation-Date: /d' $$po; \
		msgfmt --check --statistics -o /dev/null $$po; \
	done

# The installed catalogue folder, baked into i18n.o; rewritten only when
# PREFIX changes, so a plain rebuild does not recompile it.
$(BUILD)/gen/localedir.h: FORCE
	@mkdir -p $(@D)
	@echo '#define WXREV_LOCALEDIR "$(LOCALEDIR)"' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/src/i18n.o: $(BUILD)/gen/localedir.h

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# docs/postgres.sql is the one home of the desk schema; wxrev carries it.
$(BUILD)/gen/postgres_sql.h: docs/postgres.sql
	@mkdir -p $(@D)
	@{ echo 'static const char wxrev_postgres_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } >$@.tmp && mv $@.tmp $@
$(BUILD)/src/history_pg.o: $(BUILD)/gen/postgres_sql.h

$(WXREV): $(LIB_OBJ) $(MAIN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(SIM): $(SIM_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SIM_LIBS)

helpers: $(HELPER_BIN)

$(BUILD)/bin/%: tests/integration/helpers/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(SIM_LIBS) $(ALL_PKG_LIBS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) $(UNIT_HELPER_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS) $(TEST_LIBS)

$(BUILD)/bench/%: tests/bench/%.c $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS) -lutil

# Demo and test keys: generated, never committed, owner-only.
demo-keys: profiles/keys/.done

profiles/keys/.done: scripts/demo-keys.sh
	@scripts/demo-keys.sh profiles/keys

# Installs missing Debian packages (as root or through sudo), or says how.
deps:
	@scripts/deps.sh

deps-quiet:
	@scripts/deps.sh --if-missing

test: deps-quiet
	@$(MAKE) --no-print-directory test-bins
	@$(MAKE) --no-print-directory test-run

# What the suites run: wxrev, the simulator, the unit tests and helpers.
test-bins: build $(UNIT_BIN) $(HELPER_BIN)

test-run:
	@BUILD=$(BUILD) WXREV_TESTS_BUILT=1 tests/run.sh

demo: deps-quiet
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh $(BUILD)

# Two operators, one desk history on a local PostgreSQL, side by side in tmux.
demo-desk: deps-quiet
	@$(MAKE) --no-print-directory build
	@scripts/demo-desk.sh $(BUILD)

# The whole suite, UI tests included, under AddressSanitizer and UBSan.
check-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		LDFLAGS="-fsanitize=address,undefined" test

# The command-line integration tests with every wxrev run under valgrind:
# any memory error or definite leak fails the test that ran it.
check-valgrind: deps-quiet
	@$(MAKE) --no-print-directory build $(HELPER_BIN)
	@WXREV_WRAP="$(VALGRIND)" BUILD=$(BUILD) SUITE_TIMEOUT=1800 \
		WXREV_TESTS_BUILT=1 tests/run.sh integration

# Each libFuzzer harness for FUZZ_SECONDS from its corpus (tests/fuzz/run.sh).
fuzz: deps-quiet
	@$(MAKE) --no-print-directory BUILD=$(BUILD)-fuzz CC=clang \
		CFLAGS="$(FUZZ_CFLAGS)" LDFLAGS= fuzz-build
	@BUILD=$(BUILD)-fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

fuzz-build: $(FUZZ_BIN)
.SECONDARY: $(FUZZ_LIB_SRC:%.c=$(BUILD)/%.o)

lint: $(BUILD)/gen/localedir.h $(BUILD)/gen/postgres_sql.h
	clang-tidy --quiet $(SRC) -- $(WARN) $(PKG_CFLAGS) -Isrc -I$(BUILD)/gen
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr --std=c11 -Isrc -I$(BUILD)/gen $(SRC) $(SIM_SRC)

fmt:
	clang-format -i $(SRC) $(wildcard src/*.h src/tui/*.h) $(SIM_SRC) \
		$(wildcard tests/unit/*.c)

bench: deps-quiet
	@$(MAKE) --no-print-directory build $(BENCH_BIN)
	@BUILD=$(BUILD) tests/bench/run.sh

screenshots: deps-quiet
	@$(MAKE) --no-print-directory build
	@BUILD=$(BUILD) tests/ui/screenshots.sh

# Rewrites the key tables of README.md and docs/wxrev.1 from the dispatcher's.
docs:
	@$(MAKE) --no-print-directory $(BUILD)/tests/test_docs
	@WXREV_UPDATE_DOCS=1 $(BUILD)/tests/test_docs >/dev/null

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(WXREV) $(DESTDIR)$(PREFIX)/bin/wxrev
	install -m 644 docs/wxrev.1 $(DESTDIR)$(PREFIX)/share/man/man1/wxrev.1
	install -D -m 644 docs/wxrev.zh_CN.1 $(DESTDIR)$(PREFIX)/share/man/zh_CN/man1/wxrev.1
	@for lang in $(LINGUAS); do \
		echo install -D -m 644 $(BUILD)/locale/$$lang/LC_MESSAGES/wxrev.mo \
			$(DESTDIR)$(LOCALEDIR)/$$lang/LC_MESSAGES/wxrev.mo; \
		install -D -m 644 $(BUILD)/locale/$$lang/LC_MESSAGES/wxrev.mo \
			$(DESTDIR)$(LOCALEDIR)/$$lang/LC_MESSAGES/wxrev.mo || exit 1; \
	done

clean:
	rm -rf build build-asan build-fuzz wxrev

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
