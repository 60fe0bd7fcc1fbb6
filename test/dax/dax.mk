# test/dax/dax.mk -- the DAX end-to-end tests' programs and targets beside
# the top Makefile's device DAX ones (it includes this file): libvmem and
# libvmmalloc in a directory of a DAX file system, ext4 and xfs mounted
# with -o dax on an emulated NVDIMM's fsdax namespace under QEMU
# (run-vm.sh's modes fsdax-ext4 and fsdax-xfs, tests-fsdax.txt).
#
#   make check-fsdax   the file system modes only
#   make check-dax     (the top Makefile's) every mode: run-vm.sh's default
#                      is 2M 4K fsdax-ext4 fsdax-xfs fsdax-xfs-reflink
#   make dax-tests     builds the programs of both
FSDAX_PROGS := $(BUILD)/test/dax/fsdax_e2e $(BUILD)/test/dax/fsdax_vmmalloc \
	$(BUILD)/test/dax/fsdax_stat

# the headers the device DAX programs share with these (their rules, in
# the top Makefile, name devmap.h only)
$(BUILD)/test/dax/dax_e2e: test/dax/objects.h
$(BUILD)/test/dax/dax_vmmalloc: test/dax/vmm_checks.h

$(BUILD)/test/dax/fsdax_e2e: test/dax/fsdax_e2e.c test/dax/fsdax.h test/dax/devmap.h \
		test/dax/objects.h $(BUILD)/libvmem.a include/libvmem.h
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O2 -g -Iinclude $(WARN) $< -o $@ \
		$(BUILD)/libvmem.a -pthread
$(BUILD)/test/dax/fsdax_vmmalloc: test/dax/fsdax_vmmalloc.c test/dax/fsdax.h \
		test/dax/devmap.h test/dax/vmm_checks.h
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -pthread $< -o $@
$(BUILD)/test/dax/fsdax_stat: test/dax/fsdax_stat.c
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) $< -o $@

.PHONY: check-fsdax dax-tests
dax-tests: $(DAX_PROGS) $(FSDAX_PROGS)
check-dax: $(FSDAX_PROGS)
check-fsdax: lib $(FSDAX_PROGS)
	test/dax/run-vm.sh -b $(BUILD) fsdax-ext4 fsdax-xfs fsdax-xfs-reflink
