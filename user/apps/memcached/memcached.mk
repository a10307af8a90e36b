# memcached on ixos (issue 13): Debian's memcached 1.6.18 (tools/memcached/fetch.sh unpacks
# it, with our patches, into the ignored third_party/memcached) built against newlib with the
# port layer in user/apps/memcached (mc_main.c says how it is bridged), into
# build/apps/memcached. Included from the Makefile, after LIBC_CFLAGS and LIBIX.
#
# Left out of memcached's sources, with why: TLS (tls.c: no OpenSSL), SASL (sasl_defs.c: no
# Cyrus SASL), extstore (extstore.c, storage.c, crc32c.c: no disk), the proxy (proto_proxy.c,
# proxy_*.c: no Lua), privilege dropping (*_priv.c: there are no users to drop to).

MC_VERSION := 1.6.18-1+deb12u1
MC_DIR := third_party/memcached
MC_STAMP := $(MC_DIR)/.ixos-$(MC_VERSION)
MC_PATCHES := tools/memcached/patches $(wildcard tools/memcached/patches/*.patch)
MC_FILES := memcached.c hash.c jenkins_hash.c murmur3_hash.c slabs.c items.c assoc.c thread.c \
	daemon.c stats_prefix.c util.c cache.c bipbuffer.c base64.c logger.c crawler.c \
	itoa_ljust.c slab_automove.c authfile.c restart.c proto_text.c proto_bin.c
MC_PORT_SRCS := $(wildcard user/apps/memcached/*.c)
MC_HDRS := $(wildcard user/apps/memcached/*.h user/apps/memcached/include/*.h \
	user/apps/memcached/include/*/*.h)
MC_OBJS := $(patsubst %.c,$(BUILD)/memcached/mc/%.o,$(MC_FILES))
MC_PORT_OBJS := $(patsubst user/apps/memcached/%.c,$(BUILD)/memcached/port/%.o,$(MC_PORT_SRCS))
MC_INC := -Iuser/apps/memcached/include
# memcached's own files, with -Werror too; what we turn off there, and why:
#   -Wno-sign-compare, -Wno-unused-parameter: memcached's style (Debian builds it without
#     -Wextra); -Wno-unused-function: what the patches leave unused (the dispatcher's thread
#     pickers, the logger thread); -Wno-implicit-fallthrough: its switches fall through on
#     purpose without GCC's markers; -Wno-missing-field-initializers: its option tables;
#     -Wno-unused-but-set-parameter: a parameter only its asserts read;
#     -Wno-old-style-declaration: its `const static`.
MC_CFLAGS = $(LIBC_CFLAGS) $(MC_INC) -DHAVE_CONFIG_H -D_GNU_SOURCE -Wno-sign-compare \
	-Wno-unused-parameter -Wno-unused-function -Wno-implicit-fallthrough \
	-Wno-missing-field-initializers -Wno-unused-but-set-parameter -Wno-old-style-declaration
MC_WRAP := -Wl,--wrap=read,--wrap=write,--wrap=close,--wrap=strtol,--wrap=strtoul,--wrap=strtoll \
	-Wl,--wrap=strtoull

$(MC_STAMP): tools/memcached/fetch.sh tools/debsrc-unpack.sh $(MC_PATCHES)
	tools/memcached/fetch.sh
$(addprefix $(MC_DIR)/,$(MC_FILES)): | $(MC_STAMP) ;

$(BUILD)/memcached/mc/%.o: $(MC_DIR)/%.c $(MC_STAMP) $(MC_HDRS) $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	$(CC) $(MC_CFLAGS) $(if $(filter memcached.c,$*.c),-Dmain=memcached_main) -c -o $@ $<

$(BUILD)/memcached/port/%.o: user/apps/memcached/%.c $(MC_HDRS) user/libix/ix.h $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	$(CC) $(LIBC_CFLAGS) $(MC_INC) -I$(MC_DIR) -c -o $@ $<

$(BUILD)/apps/memcached: $(MC_OBJS) $(MC_PORT_OBJS) user/libc/crt0.S user/libc/start.c \
		user/libc/syscalls.c user/apps/sys.h user/user.ld $(LIBIX)
	@mkdir -p $(BUILD)/apps
	$(CC) $(LIBC_CFLAGS) $(MC_WRAP) -o $@ user/libc/crt0.S user/libc/start.c \
		user/libc/syscalls.c $(MC_OBJS) $(MC_PORT_OBJS) $(LIBIX) -L$(NEWLIB)/lib -lc -lm -lgcc
