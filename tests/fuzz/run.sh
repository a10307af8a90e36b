#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz/fuzz_NAME.c: mgmtproto, the management protocol
# parser; elf, the ELF checker; dhcp, the DHCP parser and client; http, httpd's request head
# parser and field helpers; tarfs, httpd's tar index), or the ones named as arguments, each
# for a bounded time on a copy
# of its seed corpus in tests/fuzz/corpus/NAME
# (the repository's corpus never grows during a test run). Prints "fuzz NAME: 1 passed, 0 failed" per target, or "0 passed, 1 failed" and
# the input that crashed; exits 1 if any failed. FUZZ_TIME overrides the 15 seconds per target.
set -u
cd "$(dirname "$0")/../.." || exit 1

out=build/fuzz
time=${FUZZ_TIME:-15}
# shellcheck disable=SC2054 # the commas belong to -fsanitize
CFLAGS=(-std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=undefined -I.)
mkdir -p "$out/artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The sources (besides tests/fuzz/fuzz_NAME.c) and compiler flags of target NAME; returns 1
# for an unknown target, 2 if its third-party sources cannot be fetched.
sources() {
	case $1 in
	mgmtproto)
		tools/bearssl/fetch.sh >/dev/null || return 2
		local B=third_party/bearssl
		echo -I$B/inc -I$B/src mgmt/proto.c mgmt/hmac.c $B/src/hash/sha2small.c \
			$B/src/mac/hmac.c $B/src/codec/dec32be.c $B/src/codec/enc32be.c
		;;
	elf) echo kernel/elf.c ;;
	dhcp) echo net/dhcp.c net/dhcp_client.c kernel/lib/printf.c ;;
	http) echo user/apps/httpd/http_req.c user/apps/httpd/http_util.c ;;
	tarfs) echo user/apps/httpd/tarfs.c ;;
	*) return 1 ;;
	esac
}

# Builds and runs one target; prints its lines; returns 0 if it passed.
fuzz_one() {
	local name=$1 srcs rc
	srcs=$(sources "$name")
	rc=$?
	if [ "$rc" -ne 0 ]; then
		[ "$rc" -eq 2 ] && echo "fuzz $name: 0 passed, 1 failed (no BearSSL)" ||
			echo "fuzz $name: 0 passed, 1 failed (no such fuzzer)"
		return 1
	fi
	# shellcheck disable=SC2086 # srcs is a word list
	if ! clang "${CFLAGS[@]}" -o "$out/fuzz_$name" "tests/fuzz/fuzz_$name.c" $srcs \
		2>"$out/build-$name.log"; then
		cat "$out/build-$name.log" >&2
		echo "fuzz $name: 0 passed, 1 failed (build)"
		return 1
	fi
	cp -r "tests/fuzz/corpus/$name" "$work/$name"
	"$out/fuzz_$name" -max_total_time="$time" -timeout=10 -rss_limit_mb=1024 \
		-max_len=4096 -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
		"$work/$name" >"$out/$name.log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$out/$name.log" >&2
		local crash
		crash=$(grep -o "Test unit written to [^ ]*" "$out/$name.log" | tail -n 1)
		echo "fuzz $name: 0 passed, 1 failed (${crash:-exit status $rc})"
		return 1
	fi
	local runs
	runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/$name.log" | grep -o '[0-9]*$')
	echo "fuzz $name: ${runs:-?} inputs in $time s, no crash"
	echo "fuzz $name: 1 passed, 0 failed"
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		f=${f#tests/fuzz/fuzz_}
		names+=("${f%.c}")
	done
fi
status=0
for name in "${names[@]}"; do
	fuzz_one "$name" || status=1
done
exit $status
