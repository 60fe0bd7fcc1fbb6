# valgrind.mk -- pools under Valgrind (test/valgrind): memcheck reports
# each memory error in a pool object exactly as it would in a block of
# its own malloc, through the libvmem API (vg_pool) and through
# libvmmalloc (vg_heap under vmmalloc --valgrind); helgrind and drd find
# no race in a correct threaded program (run.sh checks the reports).
#
#   make check-valgrind    builds the two programs and runs them
#
# Owns $(BUILD)/test/valgrind/.

VG_DIR := $(BUILD)/test/valgrind

$(VG_DIR)/vg_pool: test/valgrind/vg_objects.c $(BUILD)/libvmem.so include/libvmem.h
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -DVG_POOL -O1 -g -pthread \
		-Iinclude $(WARN) $< -o $@ -L$(BUILD) \
		-Wl,-rpath,$(abspath $(BUILD)) -lvmem
# run under vmmalloc --valgrind: links nothing of ours
$(VG_DIR)/vg_heap: test/valgrind/vg_objects.c
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O1 -g -pthread $(WARN) \
		$< -o $@

.PHONY: check-valgrind
check-valgrind: lib $(VG_DIR)/vg_pool $(VG_DIR)/vg_heap
	test/valgrind/run.sh $(BUILD)
