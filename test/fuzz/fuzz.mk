# fuzz.mk -- the libFuzzer target test/fuzz/fuzz_pools.c (included by the
# top Makefile): its build with clang, and the two ways of running it.
#
#   make fuzz         FUZZ_SECONDS (600) of fuzzing on a working copy of the
#                     corpus in $(BUILD)/fuzz/corpus, which keeps what it
#                     finds; crashes go to $(BUILD)/crashes/
#   make check-fuzz   every file of test/fuzz/corpus once, then
#                     FUZZ_CHECK_SECONDS (60) of fuzzing from it; fails if
#                     libFuzzer finds a crash (new inputs go to a scratch
#                     directory, never into test/fuzz/corpus)
#
# The core is compiled into the binary with the fuzzer's coverage,
# AddressSanitizer and UBSan (VM_DEBUG=2: the allocator's own assertions
# on), not linked from libvmem.so. Needs Debian's clang-14 and
# libclang-rt-14-dev (the fuzzer and sanitizer runtimes); llvm-14 for
# symbolized stacks.

FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 600
FUZZ_CHECK_SECONDS ?= 60
# libFuzzer options of both runs: a hang of 25 s is a crash too
FUZZ_OPTS ?= -timeout=25 -print_final_stats=1
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_BIN := $(FUZZ_DIR)/fuzz_pools
FUZZ_ARTIFACTS := $(BUILD)/crashes
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread -Iinclude -Isrc -DVM_DEBUG=2 \
	$(WARN) -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJS := $(patsubst src/%.c,$(FUZZ_DIR)/obj/%.o,$(CORE_SRCS))
FUZZ_SEEDS := $(sort $(wildcard test/fuzz/corpus/*))
FUZZ_SYMBOLIZER := $(firstword $(wildcard /usr/lib/llvm-14/bin/llvm-symbolizer))
FUZZ_ENV := $(if $(FUZZ_SYMBOLIZER),ASAN_SYMBOLIZER_PATH=$(FUZZ_SYMBOLIZER)) \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: fuzz check-fuzz

$(FUZZ_DIR)/obj/%.o: src/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$@) $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
		-c $< -o $@

$(FUZZ_BIN): test/fuzz/fuzz_pools.c $(FUZZ_OBJS) include/libvmem.h
	@mkdir -p $(@D)
	$(call say,LD,$@) $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< \
		$(FUZZ_OBJS) -o $@

# what libFuzzer printed at the start and the end: executions, coverage
# (cov, ft), speed; with -fork=N, the last of its status lines
FUZZ_SUMMARY = { grep -E -e '^\#[0-9]+[[:space:]]+(INITED|DONE)' \
	-e '^Done [0-9]+ runs' -e '^stat::number_of_executed_units' \
	-e '^stat::(average_exec_per_sec|peak_rss_mb)' $(1); \
	grep -E '^\#[0-9]+: cov:' $(1) | tail -n 1; } || true

fuzz: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_ARTIFACTS)
	$(Q)for f in $(FUZZ_SEEDS); do \
		[ -e $(FUZZ_DIR)/corpus/$${f##*/} ] || \
			cp $$f $(FUZZ_DIR)/corpus/ || exit 1; \
	done
	$(Q){ $(FUZZ_ENV) $(FUZZ_BIN) $(FUZZ_OPTS) \
		-max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(FUZZ_ARTIFACTS)/ $(FUZZ_DIR)/corpus; \
		echo $$? > $(FUZZ_DIR)/fuzz.rc; } 2>&1 | \
		tee $(FUZZ_DIR)/fuzz.log
	@echo '--- fuzz: $(FUZZ_SECONDS) s, corpus $(FUZZ_DIR)/corpus' \
		"($$(ls $(FUZZ_DIR)/corpus | wc -l) inputs)"
	@$(call FUZZ_SUMMARY,$(FUZZ_DIR)/fuzz.log)
	@exit $$(cat $(FUZZ_DIR)/fuzz.rc)

check-fuzz: $(FUZZ_BIN)
	@rm -rf $(FUZZ_DIR)/check-corpus
	@mkdir -p $(FUZZ_DIR)/check-corpus $(FUZZ_ARTIFACTS)
	@echo "--- check-fuzz: the $(words $(FUZZ_SEEDS)) inputs of" \
		"test/fuzz/corpus, once each"
	$(Q)$(FUZZ_ENV) $(FUZZ_BIN) -artifact_prefix=$(FUZZ_ARTIFACTS)/ \
		$(FUZZ_SEEDS) > $(FUZZ_DIR)/check-seeds.log 2>&1 || \
		{ cat $(FUZZ_DIR)/check-seeds.log; exit 1; }
	@echo "--- check-fuzz: $(FUZZ_CHECK_SECONDS) s of fuzzing from them"
	$(Q){ $(FUZZ_ENV) $(FUZZ_BIN) $(FUZZ_OPTS) \
		-max_total_time=$(FUZZ_CHECK_SECONDS) \
		-artifact_prefix=$(FUZZ_ARTIFACTS)/ \
		$(FUZZ_DIR)/check-corpus test/fuzz/corpus; \
		echo $$? > $(FUZZ_DIR)/check.rc; } > $(FUZZ_DIR)/check.log 2>&1
	@$(call FUZZ_SUMMARY,$(FUZZ_DIR)/check.log)
	@rc=$$(cat $(FUZZ_DIR)/check.rc); if [ "$$rc" != 0 ]; then \
		tail -n 60 $(FUZZ_DIR)/check.log; \
		echo "check-fuzz: libFuzzer found a crash (status $$rc):" \
			"$(FUZZ_DIR)/check.log, $(FUZZ_ARTIFACTS)/"; \
		exit 1; fi
