# ixos build. `make` builds build/ixos.elf, build/ixos.iso and build/pxe/;
# `make run` boots memcached in QEMU (user networking); `make test` runs host and QEMU tests.
# Every target first runs tools/setup.sh, which installs what is missing (idempotent).

CC := gcc
LD := ld
BUILD := build
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
QEMU ?= qemu-system-x86_64
SMP ?= 4
MEM ?= 1G

GCC_INCLUDE := $(shell $(CC) -print-file-name=include)
KCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -nostdinc -isystem $(GCC_INCLUDE) -fno-builtin-printf \
	-mno-red-zone -mgeneral-regs-only -mcmodel=kernel -fno-pie -fno-pic \
	-fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-MMD -MP -I. -DIXOS_VERSION='"$(VERSION)"'
KASFLAGS := -g -I. -MMD -MP -D__ASSEMBLY__
KLDFLAGS := -n -z max-page-size=0x1000 -z noexecstack -T linker.ld --no-warn-rwx-segments

KERNEL_C := $(wildcard kernel/*.c kernel/lib/*.c drivers/*.c drivers/igb/*.c drivers/ixgbe/*.c net/*.c) \
	$(filter-out mgmt/proto.c mgmt/hmac.c,$(wildcard mgmt/*.c))
KERNEL_S := $(wildcard boot/*.S kernel/*.S)
KOBJS := $(patsubst %.c,$(BUILD)/k/%.o,$(KERNEL_C)) $(patsubst %.S,$(BUILD)/k/%.o,$(KERNEL_S))

# lwIP: one TCP/IP stack instance per dataplane core (net/stack/stack.h says how). lwIP and
# the glue in net/stack/ are linked into one relocatable object, then copied STACK_N times
# with every global symbol renamed stack<i>_NAME: each copy has its own data and bss.
LWIP_VERSION := 2.1.3+dfsg1-2
LWIP_STAMP := third_party/lwip/.ixos-$(LWIP_VERSION)
LWIP_SRC := third_party/lwip/src
LWIP_FILES := core/def.c core/inet_chksum.c core/init.c core/ip.c core/mem.c core/memp.c \
	core/netif.c core/pbuf.c core/stats.c core/tcp.c core/tcp_in.c core/tcp_out.c \
	core/timeouts.c core/udp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c netif/ethernet.c
STACK_CFLAGS := $(KCFLAGS) -Inet/lwip -Inet/lwip/libc -I$(LWIP_SRC)/include
STACK_OBJS := $(patsubst %.c,$(BUILD)/stack/lwip/%.o,$(LWIP_FILES)) \
	$(patsubst %.c,$(BUILD)/stack/%.o,$(wildcard net/stack/*.c))
STACK_N := 8
STACK_COPIES := $(foreach i,$(shell seq 0 $$(($(STACK_N) - 1))),$(BUILD)/stackcopy/stack$(i).o)
KDEPS := $(KOBJS:.o=.d) $(STACK_OBJS:.o=.d)
KOBJS += $(STACK_COPIES) $(BUILD)/stackcopy/stack_table.o

include tests/unit/unit.mk
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -DHOST_TEST
# The management protocol (the codec both sides compile, HMAC-SHA256 through BearSSL) and
# ixmgr: defines MGMT_KOBJS and BEARSSL_KOBJS for the kernel, MGMT_ALL, adds unit tests.
include mgmt/mgmt.mk
KOBJS += $(MGMT_KOBJS) $(BEARSSL_KOBJS)

.PHONY: FORCE all setup run run-cmd run-hints gdb test unit-tests fuzz bench bench-reflect clean format linux-guest
.DEFAULT_GOAL := all

APPS := $(patsubst user/apps/%/,%,$(wildcard user/apps/*/))
# Raw apps bring their own _start and no C library; the others are C programs on newlib.
RAW_APPS := hello spin
LIBC_APPS := $(filter-out $(RAW_APPS) memcached,$(APPS))
APP_BINS := $(foreach a,$(APPS),$(BUILD)/apps/$(a))
NEWLIB := $(BUILD)/newlib/x86_64-elf
UCFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -nostdlib -fno-pie -no-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -static -I. -Wl,-T,user/user.ld \
	-Wl,-z,noexecstack -Wl,--build-id=none

all: setup $(BUILD)/ixos.elf $(BUILD)/ixos.iso $(BUILD)/pxe/boot.ipxe $(APP_BINS)

# Apps: static ELF64 executables, loaded as boot modules (kernel/user.c).
define raw_app_rule
$(BUILD)/apps/$(1): $(wildcard user/apps/$(1)/*.c) user/apps/sys.h user/user.ld
	@mkdir -p $(BUILD)/apps
	$(CC) $(UCFLAGS) -o $$@ $(wildcard user/apps/$(1)/*.c)
endef
$(foreach a,$(RAW_APPS),$(eval $(call raw_app_rule,$(a))))

$(NEWLIB)/lib/libc.a: tools/newlib/build.sh tools/debsrc.sh
	tools/newlib/build.sh

# libix (user/libix): an archive, so only apps that use the event loop carry it.
LIBC_CFLAGS = $(UCFLAGS) -nostdinc -isystem $(NEWLIB)/include -isystem $(GCC_INCLUDE)
LIBIX := $(BUILD)/user/libix.a
$(BUILD)/user/ixev.o: user/libix/ixev.c user/libix/ix.h user/libix/ix_abi.h user/apps/sys.h $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	$(CC) $(LIBC_CFLAGS) -c -o $@ $<
$(BUILD)/user/ixmod.o: user/libix/ixmod.c user/libix/ix.h user/libix/ix_abi.h user/apps/sys.h $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	$(CC) $(LIBC_CFLAGS) -c -o $@ $<
$(LIBIX): $(BUILD)/user/ixev.o $(BUILD)/user/ixmod.o
	rm -f $@
	ar rcs $@ $^

define libc_app_rule
$(BUILD)/apps/$(1): $(wildcard user/apps/$(1)/*.c) user/libc/crt0.S user/libc/start.c user/libc/syscalls.c user/apps/sys.h user/libix/ix.h user/libix/ix_abi.h user/user.ld $(NEWLIB)/lib/libc.a $(LIBIX)
	@mkdir -p $(BUILD)/apps
	$(CC) $(LIBC_CFLAGS) -o $$@ user/libc/crt0.S user/libc/start.c user/libc/syscalls.c \
		$(wildcard user/apps/$(1)/*.c) $(LIBIX) -L$(NEWLIB)/lib -lc -lm -lgcc
endef
$(foreach a,$(LIBC_APPS),$(eval $(call libc_app_rule,$(a))))
include user/apps/memcached/memcached.mk

# Dependencies from Debian's archive, then the project's QEMU (Debian's QEMU 10 source plus our
# 82599 model as -device ixgbe), built once into ~/.cache/ixos and linked as build/qemu-system-x86_64.
setup:
	@tools/setup.sh
	@tools/qemu/build.sh

$(BUILD)/k/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/k/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(KASFLAGS) -c $< -o $@

# Our patches to lwIP (each with its reason on top); the folder itself is a prerequisite so a
# removed patch unpacks afresh too, and every lwIP object is rebuilt after an unpack.
LWIP_PATCHES := tools/lwip/patches $(wildcard tools/lwip/patches/*.patch)
$(LWIP_STAMP): tools/lwip/fetch.sh tools/debsrc-unpack.sh $(LWIP_PATCHES)
	tools/lwip/fetch.sh
$(addprefix $(LWIP_SRC)/,$(LWIP_FILES)): | $(LWIP_STAMP) ;

$(BUILD)/stack/lwip/%.o: $(LWIP_SRC)/%.c $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(STACK_CFLAGS) -c $< -o $@

$(BUILD)/stack/%.o: %.c | $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(STACK_CFLAGS) -c $< -o $@

$(BUILD)/stackcopy/stack.o: $(STACK_OBJS)
	@mkdir -p $(dir $@)
	$(LD) -r -o $@ $(STACK_OBJS)
	nm --defined-only -g $@ | awk '{print $$3}' > $@.syms

$(BUILD)/stackcopy/stack%.o: $(BUILD)/stackcopy/stack.o
	awk '{print $$1, "stack$*_" $$1}' $<.syms > $@.map
	objcopy --redefine-syms=$@.map $< $@

$(BUILD)/stackcopy/stack_table.c: Makefile
	@mkdir -p $(dir $@)
	@{ echo '#include "net/stack/stack.h"'; \
	  for i in $$(seq 0 $$(($(STACK_N) - 1))); do echo "extern const struct stack_ops stack$${i}_stack_ops;"; done; \
	  echo 'const struct stack_ops *const stack_instances[STACK_MAX_INSTANCES] = {'; \
	  for i in $$(seq 0 $$(($(STACK_N) - 1))); do echo "	&stack$${i}_stack_ops,"; done; \
	  echo '};'; } > $@

$(BUILD)/stackcopy/stack_table.o: $(BUILD)/stackcopy/stack_table.c
	$(CC) $(KCFLAGS) -c $< -o $@

# Two links: the first finds the function addresses, the second carries them as the symbol
# table for backtraces. The table sits after the code, so no function moves; we check that.
$(BUILD)/ixos.elf: $(KOBJS) linker.ld tools/gensyms.sh
	$(LD) $(KLDFLAGS) -o $@.pass1 $(KOBJS)
	tools/gensyms.sh $@.pass1 > $(BUILD)/ksyms.S
	$(CC) $(KASFLAGS) -c $(BUILD)/ksyms.S -o $(BUILD)/ksyms.o
	$(LD) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/ksyms.o
	@nm -n $@.pass1 | grep -i ' t ' > $@.syms1; nm -n $@ | grep -i ' t ' > $@.syms2; \
	  cmp -s $@.syms1 $@.syms2 || { echo "ksyms: functions moved between links" >&2; rm -f $@; exit 1; }
	@rm -f $@.pass1 $@.syms1 $@.syms2

# The apps that ride along in the ISO and the PXE folder: memcached boots by default, echo is
# the second GRUB entry and the documented iPXE alternative.
IMAGE_APPS := $(BUILD)/apps/memcached $(BUILD)/apps/echo $(BUILD)/apps/httpd $(BUILD)/site.tar

# The example site httpd serves in the ISO's third entry (user/apps/httpd/site/), as a tar
# archive: a data module. Sorted, owned by root, so the same files make the same archive.
SITE_FILES := $(shell find user/apps/httpd/site -type f 2>/dev/null)
$(BUILD)/site.tar: $(SITE_FILES)
	@mkdir -p $(dir $@)
	tar --format=ustar --sort=name --owner=0 --group=0 --numeric-owner -C user/apps/httpd/site \
	  -cf $@.tmp . && mv $@.tmp $@
$(BUILD)/ixos.iso: $(BUILD)/ixos.elf grub.cfg tools/mkiso.sh $(IMAGE_APPS)
	tools/mkiso.sh $@ grub.cfg $(BUILD)/ixos.elf $(IMAGE_APPS)

$(BUILD)/pxe/boot.ipxe: $(BUILD)/ixos.elf boot/boot.ipxe $(IMAGE_APPS)
	@mkdir -p $(BUILD)/pxe
	cp $(BUILD)/ixos.elf $(BUILD)/pxe/ixos.elf
	cp $(IMAGE_APPS) $(BUILD)/pxe/
	cp boot/boot.ipxe $@

QEMU_BASE := $(QEMU) -accel tcg -machine q35 -cpu max -smp $(SMP) -m $(MEM) -display none -nodefaults -no-reboot

# make run: memcached (or RUN_APP=httpd, echo) on QEMU user networking (no root, no tap). Each
# NIC has its own slirp network, whose DHCP server the guest asks (ip=dhcp mgmt_ip=dhcp); the
# host reaches memcached on 127.0.0.1:RUN_MC_PORT, httpd on RUN_HTTP_PORT, echo on
# RUN_ECHO_PORT and the management port on 127.0.0.1:RUN_MGMT_PORT (UDP). The demo
# key (build/demo.key, made once, mode 600) goes on the kernel command line through a run ISO
# of its own (build/run/, mode 600): build/ixos.iso stays free of keys. `make -s run-cmd`
# prints the QEMU command line make run runs (tests/qemu/test_run.py starts exactly that).
RUN_MC_PORT ?= 11211
RUN_MGMT_PORT ?= 7070
RUN_HTTP_PORT ?= 8080
RUN_ECHO_PORT ?= 7007
RUN_APP ?= memcached
RUN_MENU_TIMEOUT ?= 3
RUN_KEY := $(BUILD)/demo.key
RUN_ISO := $(BUILD)/run/ixos-run.iso
RUN_QEMU = $(QEMU_BASE) -serial mon:stdio -cdrom $(RUN_ISO) \
	-netdev user,id=n0,hostfwd=tcp:127.0.0.1:$(RUN_MC_PORT)-:11211,hostfwd=tcp:127.0.0.1:$(RUN_HTTP_PORT)-:80,hostfwd=tcp:127.0.0.1:$(RUN_ECHO_PORT)-:7 \
	-device igb,netdev=n0 \
	-netdev user,id=m0,hostfwd=udp:127.0.0.1:$(RUN_MGMT_PORT)-:7070 \
	-device igb,netdev=m0,addr=0x4

$(RUN_KEY):
	@mkdir -p $(dir $@)
	@umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > $@.tmp && echo >> $@.tmp && \
	  mv $@.tmp $@ && echo "run: made the demo management key $@ (for trying ixos out only)" >&2

# The run ISO's menu: grub.cfg's entries with the demo key added to their multiboot2 lines,
# RUN_APP's entry the default after RUN_MENU_TIMEOUT seconds (tools/runcfg.sh), and
# RUN_BUDGET: QEMU's TCG runs the guest tens of times slower than a server (more on a busy
# host), so the 10 ms default app time budget, right for hardware, would stop memcached while
# it sets up its memory.
RUN_BUDGET ?= app_budget_us=200000
$(BUILD)/run/grub.cfg: grub.cfg $(RUN_KEY) Makefile tools/runcfg.sh FORCE
	@mkdir -p $(dir $@)
	@umask 077 && tools/runcfg.sh grub.cfg $(RUN_KEY) "$(RUN_BUDGET)" $(RUN_APP) \
	  $(RUN_MENU_TIMEOUT) > $@.tmp && { cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }

$(RUN_ISO): $(BUILD)/ixos.elf $(BUILD)/run/grub.cfg tools/mkiso.sh $(IMAGE_APPS)
	@umask 077 && tools/mkiso.sh $@ $(BUILD)/run/grub.cfg $(BUILD)/ixos.elf $(IMAGE_APPS)

run: all $(RUN_ISO) run-hints
	@echo "Booting $(RUN_APP) on ixos in QEMU ($(SMP) CPUs, $(MEM)); quit with Ctrl-A X."
	@echo "(GRUB's menu waits $(RUN_MENU_TIMEOUT) s: pick memcached, echo or httpd; RUN_APP= sets the default.)"
	$(RUN_QEMU)

# The two lines to try (test_run.py runs them as printed, after "  ").
run-hints:
	@echo "Once it prints 'dhcp: dataplane ...', try from another terminal:"
ifeq ($(RUN_APP),httpd)
	@echo "  curl http://127.0.0.1:$(RUN_HTTP_PORT)/"
else ifeq ($(RUN_APP),echo)
	@echo "  echo hello | nc -q1 127.0.0.1 $(RUN_ECHO_PORT)"
else
	@printf '%s\n' "  printf 'set hello 0 0 5\\r\\nworld\\r\\nget hello\\r\\n' | nc -q1 127.0.0.1 $(RUN_MC_PORT)"
endif
	@echo "  build/ixmgr -k $(RUN_KEY) -t udp:127.0.0.1:$(RUN_MGMT_PORT) status"

run-cmd: $(RUN_ISO)
	@echo '$(RUN_QEMU)'

# QEMU waits for the debugger (port 1234); gdb loads the symbols and connects.
gdb: all
	$(QEMU_BASE) -serial file:$(BUILD)/gdb-serial.log -cdrom $(BUILD)/ixos.iso -s -S & \
	gdb -q $(BUILD)/ixos.elf -ex 'target remote :1234' -ex 'hbreak kmain' -ex continue; \
	kill %1 2>/dev/null || true

all: $(MGMT_ALL)

# Host-side load generators the tests and benchmarks drive the guest with (tools/loadgen/).
LOADGEN := $(BUILD)/host/echoload
$(BUILD)/host/%: tools/loadgen/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -o $@ $<
# mcload, the open-loop memcached/echo load generator, and its unit tests (explicit rules:
# it is several files).
include tools/loadgen/loadgen.mk
LOADGEN += $(MCLOAD)
all: $(LOADGEN)
UNIT_BINS := $(foreach t,$(UNIT_TESTS),$(BUILD)/host/test_$(t)) $(LOADGEN_UNIT_BINS)

define unit_rule
$(BUILD)/host/test_$(1): tests/unit/test_$(1).c $$(unit_$(1)_SRCS) $$(wildcard kernel/*.h kernel/lib/*.h drivers/*.h drivers/*/*.h net/*.h tests/model/*.h tests/unit/*.h user/apps/*/*.h)
	@mkdir -p $(BUILD)/host
	$(CC) $(HOST_CFLAGS) -o $$@ tests/unit/test_$(1).c $$(unit_$(1)_SRCS) -lcmocka
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

unit-tests: setup $(UNIT_BINS)

test: all unit-tests
	@tests/run.sh $(UNIT_BINS)

# Every libFuzzer target for 5 minutes each (make test gives each 15 seconds).
fuzz:
	@FUZZ_TIME=300 tests/fuzz/run.sh

# Benchmarks print figures with their settings; they are not tests and assert nothing.
# make bench: ixos against Linux in the same VM (bench/bench.py; BENCH_ARGS adds options,
# e.g. BENCH_ARGS="--reps 1 --workloads usr"); the figures go to build/bench/ and docs/bench/.
BENCH_ARGS ?=
bench: all linux-guest
	/usr/bin/python3 bench/bench.py --docs docs/bench $(BENCH_ARGS)

# Frames per second through dp_mode=reflect on igb (the NIC path alone).
bench-reflect: all
	/usr/bin/python3 bench/reflect.py

# The Linux baseline guest for the benchmark: Debian's kernel, memcached and busybox
# (bench/linux/build.sh; it skips the work when nothing changed).
linux-guest: setup
	bench/linux/build.sh $(BUILD)

# memcached's own t/*.t suite against memcached on ixos, every file's result printed (make
# test runs it too).
memcached-suite: all
	/usr/bin/python3 tests/qemu/test_memcached_t.py

format:
	clang-format -i $(KERNEL_C) $(wildcard kernel/*.h kernel/lib/*.h drivers/*.h drivers/*/*.h net/*.h tests/unit/*.c)

clean:
	rm -rf $(BUILD)

-include $(KDEPS)

FORCE:
