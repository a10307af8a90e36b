# The management protocol (mgmt/), BearSSL for its HMAC-SHA256, and the host tool ixmgr.
# Included by the top-level Makefile after tests/unit/unit.mk; defines MGMT_ALL and
# BEARSSL_KOBJS / MGMT_KOBJS for the kernel link.

# BearSSL from Debian's source package (tools/bearssl/fetch.sh), only the files HMAC-SHA256
# needs. In the kernel, <string.h> comes from net/lwip/libc (the kernel's own functions) and
# _LIBC_LIMITS_H_ stops gcc's <limits.h> from looking for a C library's.
BEARSSL_VERSION := 0.6+dfsg.1-3
BEARSSL_STAMP := third_party/bearssl/.ixos-$(BEARSSL_VERSION)
BEARSSL_DIR := third_party/bearssl
BEARSSL_FILES := src/hash/sha2small.c src/mac/hmac.c src/codec/dec32be.c src/codec/enc32be.c
BEARSSL_SRCS := $(addprefix $(BEARSSL_DIR)/,$(BEARSSL_FILES))
BEARSSL_INC := -I$(BEARSSL_DIR)/inc -I$(BEARSSL_DIR)/src -DBR_USE_URANDOM=0 -DBR_USE_UNIX_TIME=0
BEARSSL_KCFLAGS := $(KCFLAGS) -Inet/lwip/libc -D_LIBC_LIMITS_H_ $(BEARSSL_INC)
BEARSSL_KOBJS := $(patsubst %.c,$(BUILD)/k/bearssl/%.o,$(BEARSSL_FILES))

$(BEARSSL_STAMP): tools/bearssl/fetch.sh
	tools/bearssl/fetch.sh
$(BEARSSL_SRCS): | $(BEARSSL_STAMP) ;

$(BUILD)/k/bearssl/%.o: $(BEARSSL_DIR)/%.c | $(BEARSSL_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(BEARSSL_KCFLAGS) -c $< -o $@

# The kernel's side of the protocol: the codec and the HMAC glue (which sees bearssl.h).
MGMT_KOBJS := $(BUILD)/k/mgmt/proto.o $(BUILD)/k/mgmt/hmac.o
$(BUILD)/k/mgmt/hmac.o: mgmt/hmac.c | $(BEARSSL_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(BEARSSL_KCFLAGS) -c $< -o $@

# ixmgr, the host CLI (tools/ixmgr/), with the same codec and BearSSL compiled for Linux.
IXMGR_SRCS := $(wildcard tools/ixmgr/*.c) mgmt/proto.c mgmt/hmac.c
IXMGR_HDRS := $(wildcard tools/ixmgr/*.h) mgmt/proto.h mgmt/hmac.h
MGMT_HOST_CFLAGS = -std=gnu11 -O2 -g -Wall -Wextra -Werror -I. $(BEARSSL_INC)
$(BUILD)/ixmgr: $(IXMGR_SRCS) $(IXMGR_HDRS) $(BEARSSL_SRCS) | $(BEARSSL_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(MGMT_HOST_CFLAGS) -DIXMGR_VERSION='"$(VERSION)"' -o $@ $(IXMGR_SRCS) $(BEARSSL_SRCS)

MGMT_ALL := $(BUILD)/ixmgr

# Host unit tests, built by the generic rule in the top-level Makefile. That rule's recipe
# expands unit_NAME_SRCS late, so a target-specific append passes BearSSL's include path on the
# command line (make's prerequisites still see only the sources).
MGMT_TEST_SRCS := mgmt/proto.c mgmt/hmac.c $(BEARSSL_SRCS)
MGMT_TESTS := mgmtproto ixmgr_output
UNIT_TESTS += $(MGMT_TESTS)
# test_mgmtproto also tests the kept answers (mgmt/answer_cache.c, pure logic the kernel links
# too); test_ixmgr_output runs ixmgr's client (snapshot restarts) against it over a fake link.
unit_mgmtproto_SRCS := mgmt/answer_cache.c $(MGMT_TEST_SRCS)
unit_ixmgr_output_SRCS := tools/ixmgr/output.c tools/ixmgr/client.c tools/ixmgr/commands.c \
	mgmt/answer_cache.c $(MGMT_TEST_SRCS)
$(foreach t,$(MGMT_TESTS),$(BUILD)/host/test_$(t)): unit_mgmtproto_SRCS += $(BEARSSL_INC)
$(foreach t,$(MGMT_TESTS),$(BUILD)/host/test_$(t)): unit_ixmgr_output_SRCS += $(BEARSSL_INC)
$(foreach t,$(MGMT_TESTS),$(BUILD)/host/test_$(t)): mgmt/proto.h mgmt/hmac.h mgmt/answer_cache.h \
	$(wildcard tools/ixmgr/*.h) | $(BEARSSL_STAMP)

-include $(MGMT_KOBJS:.o=.d) $(BEARSSL_KOBJS:.o=.d)
