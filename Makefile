# Makefile -- builds libvmem (release, debug, sanitizer variants), its tests
# and its benchmark. Everything lands in build/.
#
#   make            release + debug libraries
#   make demo       a real program (test/example/wordfreq.c) on a pool
#   make check      unit, API and stress tests on the release/debug build,
#                   libvmmalloc under real programs, device DAX pools on an
#                   emulated NVDIMM under QEMU (test/dax), then the suite
#                   again under AddressSanitizer + UBSan and ThreadSanitizer,
#                   fault injection, fuzzing and pools under Valgrind
#                   (installs what it needs from Debian's packages:
#                   test/deps.sh)
#   make bench      the throughput and capacity benchmark (not a test)
#   make install    PREFIX=/usr/local DESTDIR=...: libraries (debug builds
#                   in $(libdir)/vmem_debug), headers, pkg-config files, the
#                   launcher, manual pages; make uninstall removes them
#
# libvmmalloc (src/interpose) is the same core compiled a second time with
# VM_INTERPOSE=1, plus the malloc family it exports; build/vmmalloc is its
# launcher.

CC      ?= cc
BUILD   ?= build
PKG_CONFIG ?= pkg-config

SOVER   := 1
# V=1 shows the full commands
Q := $(if $(V),,@)
say = $(if $(V),,@printf '  %-7s %s\n' $(1) $(2);)
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASEFLAGS := -std=c11 -D_GNU_SOURCE -pthread -fPIC -fvisibility=hidden \
	-Iinclude -Isrc $(WARN)
REL_FLAGS  := -O2 -g -DVM_DEBUG=0
DBG_FLAGS  := -O0 -g -DVM_DEBUG=3
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -DVM_DEBUG=2 \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
TSAN_FLAGS := -O1 -g -DVM_DEBUG=1 -fsanitize=thread
# fault injection (src/base/fault.h): libraries in $(BUILD)/fault
FAULT_FLAGS := -O1 -g -DVM_DEBUG=2 -DVM_FAULT_INJECT=1
ASAN_LD := -fsanitize=address,undefined
TSAN_LD := -fsanitize=thread

CORE_SRCS := $(sort $(wildcard src/base/*.c src/dax/*.c src/large/*.c src/slab/*.c src/pool/*.c))
CORE_HDRS := $(wildcard include/*.h src/*.h src/*/*.h)
# The core makes Valgrind's client requests when its headers are there
# (src/base/vg.h). $(BUILD)/valgrind.flag says whether they were, and
# changes when that changes (test/deps.sh installs valgrind for make
# check): every object is then built again.
VALGRIND_FLAG := $(if $(wildcard /usr/include/valgrind/memcheck.h),1,0)
$(shell mkdir -p $(BUILD) && { [ "$$(cat $(BUILD)/valgrind.flag 2>/dev/null)" = \
	"$(VALGRIND_FLAG)" ] || echo $(VALGRIND_FLAG) > $(BUILD)/valgrind.flag; })
CORE_HDRS += $(BUILD)/valgrind.flag

CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

# objects of one variant: $(call objs,VARIANT)
objs = $(patsubst src/%.c,$(BUILD)/obj/$(1)/%.o,$(CORE_SRCS))

.PHONY: all lib demo deps bench-deps fault-lib check check-all check-release check-vmmalloc check-dax \
	check-install check-man \
	check-asan check-tsan \
	bench install uninstall clean
all: lib
lib: $(BUILD)/libvmem.so $(BUILD)/libvmem.a \
	$(BUILD)/debug/libvmem.so $(BUILD)/debug/libvmem.a $(BUILD)/libvmem.pc \
	$(BUILD)/libvmmalloc.so $(BUILD)/libvmmalloc.a \
	$(BUILD)/debug/libvmmalloc.so $(BUILD)/debug/libvmmalloc.a \
	$(BUILD)/vmmalloc

# pkg-config file for using the library from this tree, uninstalled:
#   PKG_CONFIG_PATH=build pkg-config --cflags --libs libvmem
$(BUILD)/libvmem.pc: Makefile
	@mkdir -p $(@D)
	$(Q)printf '%s\n' 'includedir=$(abspath include)' 'libdir=$(abspath $(BUILD))' '' \
		'Name: libvmem' 'Description: volatile memory pools in mapped files' \
		'Version: 1.1.0' 'Cflags: -I$${includedir}' \
		'Libs: -L$${libdir} -Wl,-rpath,$${libdir} -lvmem' 'Libs.private: -pthread' > $@

$(BUILD)/obj/release/%.o: src/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) $(BASEFLAGS) $(REL_FLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/debug/%.o: src/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) $(BASEFLAGS) $(DBG_FLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/asan/%.o: src/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) $(BASEFLAGS) $(ASAN_FLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/tsan/%.o: src/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) $(BASEFLAGS) $(TSAN_FLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/fault/%.o: src/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) $(BASEFLAGS) $(FAULT_FLAGS) $(CFLAGS) -c $< -o $@

# shared and static library of one variant into one directory
define libvariant
$(2)/libvmem.so.$(SOVER): $(call objs,$(1)) src/libvmem.map
	@mkdir -p $$(@D)
	$$(call say,LD,$$@) $(CC) -shared -pthread -Wl,-soname,libvmem.so.$(SOVER) \
		-Wl,--version-script=src/libvmem.map -Wl,-z,defs -Wl,-z,now \
		$$(filter %.o,$$^) -o $$@ $(3)
$(2)/libvmem.so: $(2)/libvmem.so.$(SOVER)
	$(Q)ln -sf libvmem.so.$(SOVER) $$@
$(2)/libvmem.a: $(call objs,$(1))
	@mkdir -p $$(@D)
	$$(call say,AR,$$@) rm -f $$@ && ar rcs $$@ $$^
endef
$(eval $(call libvariant,release,$(BUILD),))
$(eval $(call libvariant,debug,$(BUILD)/debug,))
$(eval $(call libvariant,asan,$(BUILD)/asan,$$(ASAN_LD)))
$(eval $(call libvariant,tsan,$(BUILD)/tsan,$$(TSAN_LD)))
$(eval $(call libvariant,fault,$(BUILD)/fault,))

# ---- libvmmalloc -----------------------------------------------------------
INTERPOSE_SRCS := $(filter-out src/interpose/launcher.c,\
	$(sort $(wildcard src/interpose/*.c)))
# objects of one interposer variant: $(call iobjs,VARIANT)
iobjs = $(patsubst src/%.c,$(BUILD)/obj/$(1)/%.o,$(CORE_SRCS) $(INTERPOSE_SRCS))

$(BUILD)/obj/vmmalloc/%.o: src/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) $(BASEFLAGS) $(REL_FLAGS) -DVM_INTERPOSE=1 $(CFLAGS) -c $< -o $@
$(BUILD)/obj/vmmalloc-debug/%.o: src/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) $(BASEFLAGS) $(DBG_FLAGS) -DVM_INTERPOSE=1 $(CFLAGS) -c $< -o $@
$(BUILD)/obj/vmmalloc-fault/%.o: src/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) $(BASEFLAGS) $(FAULT_FLAGS) -DVM_INTERPOSE=1 $(CFLAGS) -c $< -o $@

define vmmallocvariant
$(2)/libvmmalloc.so.$(SOVER): $(call iobjs,$(1)) src/interpose/libvmmalloc.map
	@mkdir -p $$(@D)
	$$(call say,LD,$$@) $(CC) -shared -pthread -Wl,-soname,libvmmalloc.so.$(SOVER) \
		-Wl,--version-script=src/interpose/libvmmalloc.map -Wl,-z,defs -Wl,-z,now \
		$$(filter %.o,$$^) -o $$@ -ldl
$(2)/libvmmalloc.so: $(2)/libvmmalloc.so.$(SOVER)
	$(Q)ln -sf libvmmalloc.so.$(SOVER) $$@
$(2)/libvmmalloc.a: $(call iobjs,$(1))
	@mkdir -p $$(@D)
	$$(call say,AR,$$@) rm -f $$@ && ar rcs $$@ $$^
endef
$(eval $(call vmmallocvariant,vmmalloc,$(BUILD)))
$(eval $(call vmmallocvariant,vmmalloc-debug,$(BUILD)/debug))
$(eval $(call vmmallocvariant,vmmalloc-fault,$(BUILD)/fault))
# the libraries of the fault-injection build (src/base/fault.h)
fault-lib: $(BUILD)/fault/libvmem.so $(BUILD)/fault/libvmmalloc.so

# the launcher finds the library it was built beside (make install builds
# one that names the installed library)
VMMALLOC_LIB ?= $(abspath $(BUILD))/libvmmalloc.so.$(SOVER)
$(BUILD)/vmmalloc: src/interpose/launcher.c include/libvmmalloc.h
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O2 -g -Iinclude $(WARN) \
		-DVMMALLOC_LIB='"$(VMMALLOC_LIB)"' $< -o $@

# ---- tests ---------------------------------------------------------------
# test/unit/*.c   see the internals: linked statically with the debug build
# test/api/*.c    see only <libvmem.h>: linked with the shared release library
# test/stress/*.c like api, long-running threaded programs
UNIT_SRCS   := $(sort $(wildcard test/unit/*.c))
API_SRCS    := $(sort $(wildcard test/api/*.c))
STRESS_SRCS := $(sort $(wildcard test/stress/*.c))
TEST_HDRS   := $(wildcard test/*.h)
TFLAGS := -std=c11 -D_GNU_SOURCE -pthread -Iinclude -Isrc -Itest $(WARN) \
	-Wno-missing-prototypes $(CHECK_CFLAGS)

# $(call testbins,VARIANT-DIR) -> the test binaries of a variant
testbins = $(patsubst test/%.c,$(1)/test/%,$(UNIT_SRCS) $(API_SRCS) $(STRESS_SRCS))

# $(call testvariant,BUILDDIR,LIBDIR-FOR-UNIT,LIBDIR-FOR-API,FLAGS,UNIT-FLAGS)
# (a unit test sees the core's structures: UNIT-FLAGS give it the VM_DEBUG
# of the library it links, where FLAGS do not)
define testvariant
$(1)/test/unit/%: test/unit/%.c $(2)/libvmem.a $(TEST_HDRS) $(CORE_HDRS)
	@mkdir -p $$(@D)
	$$(call say,CC,$$@) $(CC) $(TFLAGS) $(4) $(5) $$< -o $$@ $(2)/libvmem.a $(CHECK_LIBS) -lm
$(1)/test/api/%: test/api/%.c $(3)/libvmem.so $(TEST_HDRS) include/libvmem.h
	@mkdir -p $$(@D)
	$$(call say,CC,$$@) $(CC) $(TFLAGS) $(4) $$< -o $$@ -L$(3) -Wl,-rpath,$(abspath $(3)) -lvmem $(CHECK_LIBS) -lm
$(1)/test/stress/%: test/stress/%.c $(3)/libvmem.so $(TEST_HDRS) include/libvmem.h
	@mkdir -p $$(@D)
	$$(call say,CC,$$@) $(CC) $(TFLAGS) $(4) $$< -o $$@ -L$(3) -Wl,-rpath,$(abspath $(3)) -lvmem $(CHECK_LIBS) -lm
endef
$(eval $(call testvariant,$(BUILD),$(BUILD)/debug,$(BUILD),-O2 -g,-DVM_DEBUG=3))
$(eval $(call testvariant,$(BUILD)/asan,$(BUILD)/asan,$(BUILD)/asan,-O1 -g $(ASAN_FLAGS)))
$(eval $(call testvariant,$(BUILD)/tsan,$(BUILD)/tsan,$(BUILD)/tsan,-O1 -g $(TSAN_FLAGS)))

# test/vmmalloc/*.c: programs run under the interposer by test/vmmalloc/run.sh;
# linked_*.c are linked with -lvmmalloc instead of preloading it
# lib_*.c are shared libraries the programs load (build/test/vmmalloc/lib_*.so)
VMM_LIB_SRCS := $(sort $(wildcard test/vmmalloc/lib_*.c))
VMM_TEST_SRCS := $(filter-out $(VMM_LIB_SRCS),$(sort $(wildcard test/vmmalloc/*.c)))
VMM_TESTS := $(patsubst test/%.c,$(BUILD)/test/%,$(VMM_TEST_SRCS)) \
	$(patsubst test/%.c,$(BUILD)/test/%.so,$(VMM_LIB_SRCS))
$(BUILD)/test/vmmalloc/lib_%.so: test/vmmalloc/lib_%.c
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O2 -g -fPIC -shared -Iinclude $(WARN) \
		-Wno-missing-prototypes $< -o $@
VMM_TEST_HDRS := $(wildcard test/vmmalloc/*.h)
$(BUILD)/test/vmmalloc/linked_%: test/vmmalloc/linked_%.c $(BUILD)/libvmmalloc.so include/libvmmalloc.h $(VMM_TEST_HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O2 -g -pthread -Iinclude $(WARN) \
		-Wno-missing-prototypes $< -o $@ -L$(BUILD) -Wl,-rpath,$(abspath $(BUILD)) -lvmmalloc -ldl
$(BUILD)/test/vmmalloc/%: test/vmmalloc/%.c $(VMM_TEST_HDRS)
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O2 -g -pthread -Iinclude $(WARN) \
		-Wno-missing-prototypes $< -o $@ -ldl

# ---- DAX, end to end (test/dax) ---------------------------------------------
# run-vm.sh boots Debian's kernel under QEMU with an emulated NVDIMM, makes
# /dev/dax0.0 with ndctl at 2M and 4K alignment and runs these inside, then
# DAX file systems (ext4, xfs with and without reflink) on an fsdax
# namespace and runs the programs of test/dax/dax.mk there
DAX_PROGS := $(BUILD)/test/dax/dax_e2e $(BUILD)/test/dax/dax_vmmalloc
$(BUILD)/test/dax/dax_e2e: test/dax/dax_e2e.c test/dax/devmap.h $(BUILD)/libvmem.a include/libvmem.h
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O2 -g -Iinclude $(WARN) $< -o $@ \
		$(BUILD)/libvmem.a -pthread
$(BUILD)/test/dax/dax_vmmalloc: test/dax/dax_vmmalloc.c test/dax/devmap.h
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -pthread $< -o $@
check-dax: lib $(DAX_PROGS)
	test/dax/run-vm.sh -b $(BUILD)

# Check's flags are read when make starts: install it first, then recurse
deps:
	@test/deps.sh
check: deps
	@$(MAKE) --no-print-directory check-all
check-all: check-release check-vmmalloc check-install check-man check-dax check-asan check-tsan \
	check-fault check-fuzz check-valgrind check-stats
check-release: lib $(BUILD)/wordfreq $(call testbins,$(BUILD))
	test/run-tests.sh release "test/abi.sh $(BUILD)" "test/layers.py $(BUILD)" \
		$(call testbins,$(BUILD))
check-vmmalloc: lib $(VMM_TESTS)
	test/vmmalloc/run.sh $(BUILD)
# every manual page renders without a warning (man --warnings)
check-man:
	man/lint.sh
# make install into a temporary DESTDIR, used through pkg-config, uninstalled
check-install: lib
	test/install.sh $(BUILD)
check-asan: $(call testbins,$(BUILD)/asan)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		test/run-tests.sh asan $(call testbins,$(BUILD)/asan)
check-tsan: $(call testbins,$(BUILD)/tsan)
	TSAN_OPTIONS=halt_on_error=1 test/run-tests.sh tsan $(call testbins,$(BUILD)/tsan)

# ---- the demo --------------------------------------------------------------
DEMO_DIR ?= $(or $(TMPDIR),/tmp)
$(BUILD)/wordfreq: test/example/wordfreq.c $(BUILD)/libvmem.so include/libvmem.h
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -Iinclude $(WARN) $< -o $@ \
		-L$(BUILD) -Wl,-rpath,$(abspath $(BUILD)) -lvmem
# the main job: an unmodified program (perl, counting words) whose whole heap
# is a pool, run with the launcher; then the same through the libvmem API
DEMO_PERL := $$c{lc $$1}++ while /(\w+)/g; END { printf "%7d %s\n", $$c{$$_}, $$_ \
	for (sort { $$c{$$b} <=> $$c{$$a} || $$a cmp $$b } keys %c)[0..9] }
demo: lib $(BUILD)/wordfreq
	$(BUILD)/vmmalloc --dir $(DEMO_DIR) --size 64M --stats -- \
		perl -ne '$(DEMO_PERL)' README.md LICENSE $(CORE_SRCS)
	$(BUILD)/wordfreq $(DEMO_DIR) README.md LICENSE $(CORE_SRCS)

# ---- benchmark -----------------------------------------------------------
BENCH_SRCS := $(sort $(wildcard test/bench/*.c))
$(BUILD)/bench/%: test/bench/%.c $(BUILD)/libvmem.so include/libvmem.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g -pthread -Iinclude $(WARN) -Wno-missing-prototypes \
		$< -o $@ -L$(BUILD) -Wl,-rpath,$(abspath $(BUILD)) -lvmem -ldl -lm
# the peers it compares with are installed first when missing
bench-deps:
	@test/bench/deps.sh
bench: bench-deps $(patsubst test/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS)) $(BUILD)/libvmmalloc.so
	test/bench/run.sh $(BUILD)

# ---- installation ----------------------------------------------------------
PREFIX     ?= /usr/local
prefix     ?= $(PREFIX)
bindir     ?= $(prefix)/bin
libdir     ?= $(prefix)/lib
includedir ?= $(prefix)/include
mandir     ?= $(prefix)/share/man
pkgconfigdir ?= $(libdir)/pkgconfig
debuglibdir  := $(libdir)/vmem_debug
INSTALL    ?= install
MAN_PAGES  := $(sort $(wildcard man/*.[137]))

# what an installed system sees: pkg-config files and the launcher naming
# the installed library (kept apart from the build tree's own)
$(BUILD)/install/libvmem.pc $(BUILD)/install/libvmmalloc.pc: Makefile
	@mkdir -p $(@D)
	$(Q)printf '%s\n' 'prefix=$(prefix)' 'libdir=$(libdir)' 'includedir=$(includedir)' '' \
		'Name: $(basename $(@F))' \
		'Description: $(if $(findstring vmmalloc,$(@F)),the malloc family from a volatile memory pool,volatile memory pools in mapped files)' \
		'Version: 1.1.0' 'Cflags: -I$${includedir}' \
		'Libs: -L$${libdir} -l$(patsubst lib%.pc,%,$(@F))' 'Libs.private: -pthread' > $@
$(BUILD)/install/vmmalloc: src/interpose/launcher.c include/libvmmalloc.h Makefile
	@mkdir -p $(@D)
	$(call say,CC,$@) $(CC) -std=c11 -D_GNU_SOURCE -O2 -g -Iinclude $(WARN) \
		-DVMMALLOC_LIB='"$(libdir)/libvmmalloc.so.$(SOVER)"' \
		-DVMMALLOC_DEBUG_DIR='"vmem_debug"' $< -o $@

# $(call install_libs,FROM,TO): both libraries of one build, with links
define install_libs
	$(INSTALL) -d $(2)
	$(INSTALL) -m 755 $(1)/libvmem.so.$(SOVER) $(1)/libvmmalloc.so.$(SOVER) $(2)/
	$(INSTALL) -m 644 $(1)/libvmem.a $(1)/libvmmalloc.a $(2)/
	ln -sf libvmem.so.$(SOVER) $(2)/libvmem.so
	ln -sf libvmmalloc.so.$(SOVER) $(2)/libvmmalloc.so
endef

install: lib $(BUILD)/install/libvmem.pc $(BUILD)/install/libvmmalloc.pc \
		$(BUILD)/install/vmmalloc
	$(call install_libs,$(BUILD),$(DESTDIR)$(libdir))
	$(call install_libs,$(BUILD)/debug,$(DESTDIR)$(debuglibdir))
	$(INSTALL) -d $(DESTDIR)$(includedir) $(DESTDIR)$(pkgconfigdir) $(DESTDIR)$(bindir)
	$(INSTALL) -m 644 include/libvmem.h include/libvmmalloc.h $(DESTDIR)$(includedir)/
	$(INSTALL) -m 644 $(BUILD)/install/libvmem.pc $(BUILD)/install/libvmmalloc.pc \
		$(DESTDIR)$(pkgconfigdir)/
	$(INSTALL) -m 755 $(BUILD)/install/vmmalloc $(DESTDIR)$(bindir)/vmmalloc
	for p in $(MAN_PAGES); do \
		s=$${p##*.}; $(INSTALL) -d $(DESTDIR)$(mandir)/man$$s && \
		$(INSTALL) -m 644 $$p $(DESTDIR)$(mandir)/man$$s/ || exit 1; \
	done

# exactly what install put there; directories only when left empty
uninstall:
	for d in $(DESTDIR)$(libdir) $(DESTDIR)$(debuglibdir); do \
		rm -f $$d/libvmem.so.$(SOVER) $$d/libvmem.so $$d/libvmem.a \
			$$d/libvmmalloc.so.$(SOVER) $$d/libvmmalloc.so $$d/libvmmalloc.a; \
	done
	-rmdir $(DESTDIR)$(debuglibdir) 2>/dev/null
	rm -f $(DESTDIR)$(includedir)/libvmem.h $(DESTDIR)$(includedir)/libvmmalloc.h \
		$(DESTDIR)$(pkgconfigdir)/libvmem.pc $(DESTDIR)$(pkgconfigdir)/libvmmalloc.pc \
		$(DESTDIR)$(bindir)/vmmalloc
	for p in $(MAN_PAGES); do s=$${p##*.}; rm -f $(DESTDIR)$(mandir)/man$$s/$${p##*/}; done

clean:
	rm -rf $(BUILD)

# a test suite with targets of its own keeps them beside it (test/X/X.mk)
include $(sort $(wildcard test/*/*.mk))
