# fault.mk -- the fault-injection test (test/fault): every system call the
# library makes is failed in turn, through the libvmem API (fault_api.c)
# and libvmmalloc's start-up and fork (fault_vmm.c, /bin/echo), and each
# failure must give a clean error (run.sh).
#
#   make check-fault     builds the fault-injection libraries and runs it
#
# Owns $(BUILD)/test/fault/.

FAULT_PROGS := $(BUILD)/test/fault/fault_api $(BUILD)/test/fault/fault_vmm

$(BUILD)/test/fault/fault_api: test/fault/fault_api.c $(BUILD)/fault/libvmem.so include/libvmem.h
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O1 -g -pthread -Iinclude $(WARN) \
		$< -o $@ -L$(BUILD)/fault -Wl,-rpath,$(abspath $(BUILD)/fault) -lvmem
# run under LD_PRELOAD of $(BUILD)/fault/libvmmalloc.so.1: links nothing of ours
$(BUILD)/test/fault/fault_vmm: test/fault/fault_vmm.c
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O1 -g -pthread $(WARN) $< -o $@

.PHONY: check-fault
check-fault: fault-lib $(FAULT_PROGS)
	test/fault/run.sh $(BUILD)
