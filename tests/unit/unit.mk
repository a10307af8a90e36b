# Host unit tests. Each tests/unit/test_NAME.c is one cmocka program, built for the host with
# the kernel sources it tests (listed in unit_NAME_SRCS) and run under valgrind.
UNIT_TESTS :=
UNIT_TESTS += printf
unit_printf_SRCS := kernel/lib/printf.c
UNIT_TESTS += cmdline
unit_cmdline_SRCS := kernel/cmdline.c kernel/lib/printf.c
UNIT_TESTS += acpi
unit_acpi_SRCS := kernel/acpi.c kernel/lib/printf.c
UNIT_TESTS += pmm
unit_pmm_SRCS := kernel/pmm.c
UNIT_TESTS += bootinfo
unit_bootinfo_SRCS := kernel/bootinfo.c
UNIT_TESTS += mbuf
unit_mbuf_SRCS := drivers/mbuf.c
UNIT_TESTS += l2l3
unit_l2l3_SRCS := net/l2l3.c
UNIT_TESTS += ixgbe
unit_ixgbe_SRCS := drivers/ixgbe/ixgbe.c drivers/nic.c drivers/adv_ring.c drivers/mbuf.c tests/model/ixgbe_model.c net/toeplitz.c kernel/lib/printf.c
UNIT_TESTS += toeplitz
unit_toeplitz_SRCS := net/toeplitz.c
UNIT_TESTS += rss
unit_rss_SRCS := net/rss.c net/toeplitz.c
UNIT_TESTS += timerwheel
unit_timerwheel_SRCS := net/timerwheel.c
UNIT_TESTS += ixcall
unit_ixcall_SRCS := kernel/ixcall.c
