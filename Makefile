# One entry point for everything: see README.md.
#   make                 build/monitor_system, build/orchestrate (dynamic, for this host)
#   make static          build/static/monitor_system        (fully static, musl, x86-64)
#   make static-arm64    build/static-arm64/monitor_system  (fully static, musl, ARM64)
#   make test            static builds, unit + integration tests under ASan/UBSan, fuzz
#   make fuzz            short fuzz runs of every parser (clang libFuzzer)
#   make images          FROM scratch monitor images + multi-arch OCI archive (podman)
#   make bench           benchmarks, side by side with the peer tools
#   make install PREFIX=/usr/local DESTDIR=
#   make demo            the README's first command: prime_numbers on the local backend
#
# Sources are found by wildcard: a new file in a component folder is built without
# touching this file. Each component is an archive; a component's main.c is its binary.

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CSTD     := -std=c11 -D_GNU_SOURCE
OPT      ?= -O2 -g
SAN      ?=
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
ifeq ($(SAN),1)
  OPT    := -O1 -g -fno-omit-frame-pointer $(SANFLAGS)
  LDFLAGS += $(SANFLAGS)
endif
CPPFLAGS += -I. -MMD -MP -DMONITOR_VERSION=\"$(VERSION)\"
CFLAGS   += $(CSTD) $(WARN) $(OPT)

PKGS_UPLOADER := libcurl openssl expat jansson libdeflate
PKGS_MONITOR  := libnl-3.0 libnl-route-3.0
PKGS_ORCH     := yaml-0.1 sqlite3
PKGCFG        ?= pkg-config
# One query per component: the static build's pkg-config knows only the monitor's
# libraries, and a single query for all would fail and yield no flags at all.
CPPFLAGS += $(shell $(PKGCFG) --cflags $(PKGS_UPLOADER) $(PKGS_MONITOR) 2>/dev/null)
CPPFLAGS += $(shell $(PKGCFG) --cflags $(PKGS_ORCH) 2>/dev/null)
LIBS_UPLOADER := $(shell $(PKGCFG) --libs $(PKGS_UPLOADER) 2>/dev/null) -lpthread
LIBS_MONITOR  := $(shell $(PKGCFG) --libs $(PKGS_MONITOR) 2>/dev/null)
LIBS_ORCH     := $(shell $(PKGCFG) --libs $(PKGS_ORCH) 2>/dev/null) -lm

COMPONENTS := common uploader monitor orchestrator
src_of  = $(filter-out $(1)/main.c,$(wildcard $(1)/*.c))
objs_of = $(patsubst %.c,$(BUILD)/obj/%.o,$(call src_of,$(1)))

LIB_common       := $(BUILD)/libcommon.a
LIB_uploader     := $(BUILD)/libuploader.a
LIB_monitor      := $(BUILD)/libmonitor.a
LIB_orchestrator := $(BUILD)/liborchestrator.a

MONITOR_BIN := $(BUILD)/monitor_system
ORCH_BIN    := $(BUILD)/orchestrate

.PHONY: all static static-arm64 test unit integration fuzz fuzz-bins bench install demo images clean distclean check-man print-orch-libs
all: $(MONITOR_BIN) $(ORCH_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(foreach c,$(COMPONENTS),$(eval $(LIB_$(c)): $(call objs_of,$(c)) ; @mkdir -p $$(dir $$@); rm -f $$@; $$(AR) rcs $$@ $$^))

# uploader/: the build host's CA bundle compiled in, the TLS fallback for FROM scratch images.
CA_BUNDLE_SRC ?= /etc/ssl/certs/ca-certificates.crt
$(BUILD)/gen/ca_bundle.inc: tools/gen_ca_bundle.sh
	tools/gen_ca_bundle.sh $(CA_BUNDLE_SRC) $@
$(BUILD)/obj/uploader/ca_embedded.o: $(BUILD)/gen/ca_bundle.inc
$(BUILD)/obj/uploader/ca_embedded.o: CPPFLAGS += -I$(BUILD)/gen

$(MONITOR_BIN): $(BUILD)/obj/monitor/main.o $(LIB_monitor) $(LIB_uploader) $(LIB_common)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_MONITOR) $(LIBS_UPLOADER) -lm

$(ORCH_BIN): $(BUILD)/obj/orchestrator/main.o $(LIB_orchestrator) $(LIB_uploader) $(LIB_common)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_ORCH) $(LIBS_UPLOADER)

# Unit tests: tests/unit/<component>/test_*.c, one binary each, linked with that component
# and what it depends on.
UNIT_SRC  := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_DEPS_common       := $(LIB_common)
UNIT_DEPS_uploader     := $(LIB_uploader) $(LIB_common)
UNIT_DEPS_monitor      := $(LIB_monitor) $(LIB_uploader) $(LIB_common)
UNIT_DEPS_orchestrator := $(LIB_orchestrator) $(LIB_uploader) $(LIB_common)
ALL_LIBS := $(LIBS_ORCH) $(LIBS_MONITOR) $(LIBS_UPLOADER) -lm

define unit_rule
$(BUILD)/tests/$(1)/%: tests/unit/$(1)/%.c tests/unit/unit.h $(UNIT_DEPS_$(1))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$< $$(UNIT_DEPS_$(1)) $$(ALL_LIBS)
endef
$(foreach c,$(COMPONENTS),$(eval $(call unit_rule,$(c))))

unit-bins: $(UNIT_BINS)
# Per component, so work on one component does not need the others to build:
#   make BUILD=build/mine SAN=1 unit-bins-monitor
$(foreach c,$(COMPONENTS),$(eval unit-bins-$(c): $(filter $(BUILD)/tests/$(c)/%,$(UNIT_BINS))))

# Fuzz targets: tests/fuzz/fuzz_*.c, each linked with every component archive. Built by
# tests/fuzz/run_fuzz.sh with BUILD=build/fuzz CC=clang and -fsanitize=fuzzer-no-link in OPT.
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz-bin/%,$(FUZZ_SRC))
$(BUILD)/fuzz-bin/%: tests/fuzz/%.c $(LIB_orchestrator) $(LIB_monitor) $(LIB_uploader) $(LIB_common)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(filter %.a,$^) $(ALL_LIBS)
fuzz-bins: $(FUZZ_BINS)

# The libraries a program linked with liborchestrator.a and libuploader.a needs (the test
# and bench scripts build their drivers with it): make -s print-orch-libs
print-orch-libs:
	@echo $(LIBS_ORCH) $(LIBS_UPLOADER)

# `make test` builds the static monitors (the container and qemu tests run them), builds
# everything again with ASan+UBSan in build/san, runs every test, then the fuzz targets.
# (parallel inside, so the plain `make test` of README and CI uses both cores)
NPROC := $(shell nproc 2>/dev/null || echo 2)
test:
	$(MAKE) static static-arm64
	$(MAKE) -j$(NPROC) BUILD=$(BUILD)/san SAN=1 all unit-bins
	BUILD=$(BUILD)/san tests/run_tests.sh --fuzz

unit:
	$(MAKE) BUILD=$(BUILD)/san SAN=1 all unit-bins
	BUILD=$(BUILD)/san tests/run_tests.sh --unit-only

# Fully static monitor: dependencies are built once with musl into a cache outside the
# clone (~/.cache/monitor_system-deps/<arch>-<hash>) by tools/build_static_deps.sh.
static:
	tools/build_static.sh x86_64

static-arm64:
	tools/build_static.sh aarch64

fuzz:
	tests/fuzz/run_fuzz.sh

bench: all
	bench/run_bench.sh

images: static static-arm64
	images/build_images.sh

demo:
	tools/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(MONITOR_BIN) $(ORCH_BIN) $(DESTDIR)$(PREFIX)/bin/
	$(if $(wildcard man/*.1),install -m 644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/)
	$(if $(wildcard man/*.5),install -m 644 $(wildcard man/*.5) $(DESTDIR)$(PREFIX)/share/man/man5/)

clean:
	rm -rf build/obj build/san build/tests build/*.a $(MONITOR_BIN) $(ORCH_BIN)

distclean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
