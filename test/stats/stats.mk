# stats.mk -- the machine-readable statistics (test/stats): JSON from
# vmem_stats_print(vmp, "J") and VMMALLOC_LOG_STATS=json, and libvmmalloc's
# malloc_info XML, parsed by python's json and xml modules (check.py).
#
#   make check-stats      builds stats_dump and runs check.py
#
# Owns $(BUILD)/test/stats/.

$(BUILD)/test/stats/stats_dump: test/stats/stats_dump.c $(BUILD)/libvmem.so include/libvmem.h
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O1 -g -Iinclude $(WARN) \
		$< -o $@ -L$(BUILD) -Wl,-rpath,$(abspath $(BUILD)) -lvmem

.PHONY: check-stats
check-stats: lib $(BUILD)/test/stats/stats_dump
	python3 test/stats/check.py $(BUILD)
