# mcload: the open-loop memcached/echo/HTTP load generator (tools/loadgen/mcload*.c), and its
# host unit tests. Included by the Makefile, which defines BUILD and HOST_CFLAGS; it runs the
# tests in LOADGEN_UNIT_BINS with the other host unit tests.
MCLOAD_LIB_SRCS := tools/loadgen/mcload_dist.c tools/loadgen/mcload_hist.c \
	tools/loadgen/mcload_proto.c tools/loadgen/mcload_http.c tools/loadgen/mcload_opts.c
MCLOAD_LIB_HDRS := tools/loadgen/mcload_dist.h tools/loadgen/mcload_hist.h \
	tools/loadgen/mcload_proto.h tools/loadgen/mcload_http.h tools/loadgen/mcload_opts.h
# The tool itself: main and the phases, the event loop, the report (the settings are a library
# above: the unit tests check them).
MCLOAD_SRCS := tools/loadgen/mcload.c tools/loadgen/mcload_loop.c tools/loadgen/mcload_report.c
MCLOAD_HDRS := $(MCLOAD_LIB_HDRS) tools/loadgen/mcload_loop.h \
	tools/loadgen/mcload_report.h
MCLOAD := $(BUILD)/host/mcload
LOADGEN_UNIT_BINS := $(BUILD)/host/test_mcload $(BUILD)/host/test_mcload_proto \
	$(BUILD)/host/test_mcload_opts $(BUILD)/host/test_mcload_http

$(MCLOAD): $(MCLOAD_SRCS) $(MCLOAD_LIB_SRCS) $(MCLOAD_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -pthread -o $@ $(MCLOAD_SRCS) $(MCLOAD_LIB_SRCS) -lm

$(LOADGEN_UNIT_BINS): $(BUILD)/host/%: tests/unit/%.c $(MCLOAD_LIB_SRCS) $(MCLOAD_LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $< $(MCLOAD_LIB_SRCS) -lcmocka -lm
