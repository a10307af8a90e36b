#!/usr/bin/env bash
# Fuzzes the management protocol parser (tests/fuzz/fuzz_mgmtproto.c) with libFuzzer for a
# bounded time, on a copy of the seed corpus in tests/fuzz/corpus/mgmtproto (the repository's
# corpus never grows during a test run). Prints "fuzz mgmtproto: 1 passed, 0 failed", or
# "0 passed, 1 failed" and the input that crashed. FUZZ_TIME overrides the 20 seconds.
set -u
cd "$(dirname "$0")/../.."

name=mgmtproto
out=build/fuzz
mkdir -p "$out"
tools/bearssl/fetch.sh >/dev/null || { echo "fuzz $name: 0 passed, 1 failed (no BearSSL)"; exit 1; }
B=third_party/bearssl
if ! clang -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I. -I$B/inc -I$B/src \
	-o "$out/fuzz_$name" tests/fuzz/fuzz_$name.c mgmt/proto.c mgmt/hmac.c \
	$B/src/hash/sha2small.c $B/src/mac/hmac.c $B/src/codec/dec32be.c \
	$B/src/codec/enc32be.c 2>"$out/build-$name.log"; then
	cat "$out/build-$name.log" >&2
	echo "fuzz $name: 0 passed, 1 failed (build)"
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r tests/fuzz/corpus/$name "$work/corpus"
mkdir -p "$out/artifacts"
"$out/fuzz_$name" -max_total_time="${FUZZ_TIME:-20}" -timeout=10 -rss_limit_mb=1024 \
	-max_len=4096 -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
	"$work/corpus" >"$out/$name.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
	tail -n 30 "$out/$name.log" >&2
	crash=$(grep -o "Test unit written to [^ ]*" "$out/$name.log" | tail -n 1)
	echo "fuzz $name: 0 passed, 1 failed (${crash:-exit status $rc})"
	exit 1
fi
runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/$name.log" | grep -o '[0-9]*$')
echo "fuzz $name: ${runs:-?} inputs in ${FUZZ_TIME:-20} s, no crash"
echo "fuzz $name: 1 passed, 0 failed"
