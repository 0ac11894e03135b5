# Top-level build: `make`, `make test`, `make asan`, `make bench`, `make demo`, `make deps`.
CC      ?= cc
PKGS    := gmp libsodium libzmq criterion jansson sqlite3 libmicrohttpd
# The Debian 12 package of each pkg-config name in PKGS, and of the tools.
DEB_gmp := libgmp-dev
DEB_libsodium := libsodium-dev
DEB_libzmq := libzmq3-dev
DEB_criterion := libcriterion-dev
DEB_jansson := libjansson-dev
DEB_sqlite3 := libsqlite3-dev
DEB_libmicrohttpd := libmicrohttpd-dev
DEB_cc := build-essential
DEB_pkg-config := pkg-config
DEB_PKGS := $(foreach p,cc pkg-config $(PKGS),$(or $(DEB_$(p)),$(p)))
APT_INSTALL := apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y

# `make demo` / `make test` on a fresh Debian 12 machine (issue 14): before any
# flag below asks pkg-config, check that every package is there (a few
# milliseconds, so every run checks and no stamp can go stale). Missing ones
# are installed when make runs as root, which is why this runs at parse time:
# the flags computed next then see them; otherwise make names the one command
# and stops. Only `clean` and `deps` need nothing.
DEPS_CHECK = $(sort $(foreach p,$(shell \
    command -v $(firstword $(CC)) >/dev/null 2>&1 || echo cc; \
    command -v pkg-config >/dev/null 2>&1 || echo pkg-config; \
    for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || echo $$p; done),\
    $(or $(DEB_$(p)),$(p))))
ifneq ($(filter-out clean deps,$(or $(MAKECMDGOALS),all)),)
DEPS_MISSING := $(DEPS_CHECK)
ifneq ($(DEPS_MISSING),)
ifeq ($(shell id -u),0)
$(info missing packages: $(DEPS_MISSING); installing them (as root))
DEPS_RC := $(shell { $(APT_INSTALL) $(DEPS_MISSING); } >&2; echo $$?)
ifneq ($(DEPS_RC),0)
$(error apt-get could not install $(DEPS_MISSING) (exit $(DEPS_RC)))
endif
DEPS_MISSING := $(DEPS_CHECK)
ifneq ($(DEPS_MISSING),)
$(error still missing after apt-get: $(DEPS_MISSING))
endif
else
$(shell echo "missing packages: $(DEPS_MISSING); run as root: apt-get update && apt-get install -y $(DEPS_MISSING)" >&2)
$(error packages missing (see above))
endif
endif
endif

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP -I. \
           $(shell pkg-config --cflags libsodium libzmq jansson sqlite3 libmicrohttpd 2>/dev/null)
LDLIBS  := -lgmp $(shell pkg-config --libs libsodium libzmq jansson sqlite3 libmicrohttpd 2>/dev/null) -lpthread -lm
CR_LIBS := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

ifdef SANITIZE
BUILD   := build/asan
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
else
BUILD   := build
endif

LIB_SRC   := $(wildcard common/*.c protocols/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/libmpc.a
# The application skeleton (app/) is its own layer: common <- protocols <- app
# <- auction | vote | examples. It links before the core library.
APP_SRC   := $(wildcard app/*.c)
APP_OBJ   := $(APP_SRC:%.c=$(BUILD)/%.o)
APP_LIB   := $(BUILD)/libapp.a
# Test helpers (no tests of their own) live in tests/lib/.
TEST_SRC  := $(wildcard tests/test_*.c tests/lib/*.c)
# The test binary links a second build of the core library with the test-only
# cheating-server hooks (-DMPC_TEST_ADVERSARY); shipped binaries never do, and
# `make test` checks that none of them contains a hook symbol.
ADV_DEF   := -DMPC_TEST_ADVERSARY
ADV_OBJ   := $(LIB_SRC:%.c=$(BUILD)/adv/%.o)
ADV_LIB   := $(BUILD)/adv/libmpc.a
TEST_OBJ  := $(TEST_SRC:%.c=$(BUILD)/adv/%.o)
TEST_BIN  := $(BUILD)/tests/unit
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:%.c=$(BUILD)/%)
BENCH_LIB := $(patsubst %.c,$(BUILD)/%.o,$(wildcard bench/lib/*.c))
APP_DIRS  := $(wildcard auction vote)
APP_BIN   := $(foreach d,$(APP_DIRS),$(if $(wildcard $(d)/*.c),$(BUILD)/$(d)/$(d)))
EX_SRC    := $(wildcard examples/*.c)
EX_BIN    := $(EX_SRC:%.c=$(BUILD)/%)
# Test tools (tests/tools/*.c): C programs the node tests drive (tests/node).
TOOL_SRC  := $(wildcard tests/tools/*.c)
TOOL_BIN  := $(TOOL_SRC:%.c=$(BUILD)/%)

.PHONY: all test asan valgrind bench demo deps clean fuzz web test-node test-browser
.SECONDARY:

all: $(LIB) $(APP_LIB) $(APP_BIN) $(EX_BIN) $(BENCH_BIN) $(TEST_BIN) $(TOOL_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/adv/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ADV_DEF) -c $< -o $@

$(ADV_LIB): $(ADV_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(APP_LIB): $(APP_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/auction/auction: $(patsubst %.c,$(BUILD)/%.o,$(wildcard auction/*.c)) $(APP_LIB) $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/vote/vote: $(patsubst %.c,$(BUILD)/%.o,$(wildcard vote/*.c)) $(APP_LIB) $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/examples/%: $(BUILD)/examples/%.o $(APP_LIB) $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(APP_LIB) $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BENCH_LIB) $(APP_LIB) $(LIB)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(TEST_BIN): $(TEST_OBJ) $(APP_LIB) $(ADV_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ -o $@ $(CR_LIBS) $(LDLIBS)

# Tests find helper binaries (auction, vote) through MPC_BUILD.
test: all
	@for b in $(APP_BIN) $(EX_BIN) $(BENCH_BIN); do \
	    if nm $$b 2>/dev/null | grep -q 'mpc_adv_'; then echo "error: $$b contains test-only adversary code"; exit 1; fi; \
	done
	MPC_BUILD=$(abspath $(BUILD)) $(TEST_BIN) -j2 --short-filename $(TEST_ARGS)
	@if command -v node >/dev/null 2>&1 && [ -d node_modules/libsodium-wrappers ]; then \
	    $(MAKE) --no-print-directory test-node; \
	else \
	    echo "node tests of web/mpc.js skipped: no node or no node_modules (make web, or npm ci)"; \
	fi

# Criterion's runner leaks a few bytes of its own under -j2 (not test code).
asan:
	LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) $(MAKE) SANITIZE=address,undefined test

valgrind: all
	MPC_BUILD=$(abspath $(BUILD)) valgrind --error-exitcode=1 --leak-check=full \
	    --trace-children=yes $(TEST_BIN) -j1 --no-early-exit

bench: all
	@for b in $(BENCH_BIN); do MPC_BUILD=$(abspath $(BUILD)) $$b || exit 1; done

demo: all
	@MPC_BUILD=$(abspath $(BUILD)) sh examples/demo.sh

# The ballot and bid page (web/, issue 15): libsodium.js from npm (versions
# pinned in package.json and package-lock.json), no CDN. npm ci runs only when
# the lock file is newer than the installed tree, so a present node_modules
# needs no network. build/web is the servers' default --web directory:
# the page, mpc.js and libsodium's ESM build (as .js, the MIME type a module
# script needs) with its one bare import made relative (no import map, so a
# strict Content-Security-Policy holds).
WEB_DIR   := build/web
WEB_FILES := $(wildcard web/*)
SODIUM_ESM := node_modules/libsodium/dist/modules-esm/libsodium.mjs
WRAP_ESM  := node_modules/libsodium-wrappers/dist/modules-esm/libsodium-wrappers.mjs

node_modules/.npm-ci-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --prefer-offline
	@touch $@

web: $(WEB_DIR)/.stamp

$(WEB_DIR)/.stamp: node_modules/.npm-ci-stamp $(WEB_FILES)
	@mkdir -p $(WEB_DIR)
	cp $(WEB_FILES) $(WEB_DIR)/
	cp $(SODIUM_ESM) $(WEB_DIR)/libsodium.js
	sed 's|from"libsodium"|from"./libsodium.js"|' $(WRAP_ESM) > $(WEB_DIR)/libsodium-wrappers.js
	@grep -q 'from"./libsodium.js"' $(WEB_DIR)/libsodium-wrappers.js || \
	    { echo "error: libsodium-wrappers.mjs: its import of libsodium was not found"; exit 1; }
	cp node_modules/libsodium-wrappers/LICENSE $(WEB_DIR)/libsodium.LICENSE
	@touch $@

# Known-answer and cross tests of web/mpc.js against the C code (tests/node).
test-node: all node_modules/.npm-ci-stamp
	MPC_BUILD=$(abspath $(BUILD)) node --test tests/node/

# The page in a real headless Chromium against three real servers (--http).
test-browser: all web test-node
	MPC_BUILD=$(abspath $(BUILD)) node tests/browser/run.mjs

# Install every package whether or not it is there (`all` installs only the
# missing ones by itself, see the top).
deps:
	@if [ "$$(id -u)" = 0 ]; then \
	    $(APT_INSTALL) $(DEB_PKGS); \
	else \
	    echo "run as root: apt-get update && apt-get install -y $(DEB_PKGS)"; \
	fi

# libFuzzer targets tests/fuzz/fuzz_*.c (docs/fuzzing.md), built with clang in
# build/fuzz: library objects with -fsanitize=fuzzer-no-link plus ASan/UBSan, each
# target linked with -fsanitize=fuzzer. `make fuzz FUZZ_SECONDS=60` runs every
# target (or FUZZ_TARGETS="keys store") for that long; non-zero on any crash.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 20
FUZZ_TARGETS ?=
FUZZ_DIR     := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -MMD -MP -I. \
                $(shell pkg-config --cflags libsodium libzmq jansson sqlite3 2>/dev/null) $(FUZZ_SAN)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_UTIL    := $(FUZZ_DIR)/obj/tests/fuzz/util.o
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz: $(FUZZ_BIN) $(FUZZ_DIR)/gen_corpus
	@FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ_TARGETS)

# Library warnings are gated by the gcc build; a clang-only one must not stop fuzzing.
$(FUZZ_LIB_OBJ): FUZZ_WERROR := -Wno-error
$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WERROR) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_UTIL) $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $^ -o $@ $(LDLIBS)

$(FUZZ_DIR)/gen_corpus: $(FUZZ_DIR)/obj/tests/fuzz/gen_corpus.o $(FUZZ_UTIL) $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) $^ -o $@ $(LDLIBS)

-include $(wildcard $(FUZZ_DIR)/obj/*/*.d $(FUZZ_DIR)/obj/tests/fuzz/*.d)

clean:
	rm -rf build

-include $(shell find $(BUILD) -maxdepth 4 -name '*.d' 2>/dev/null)
