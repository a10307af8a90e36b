#!/usr/bin/env bash
# Runs every test: the host unit tests given as arguments (cmocka programs, under valgrind),
# the fuzzers (bounded time), then the QEMU end-to-end tests. Ends with
# "N passed, N failed"; exits 1 on any failure.
set -u
cd "$(dirname "$0")/.."

pass=0 fail=0
for t in "$@"; do
	name=$(basename "$t")
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite "$t" 2>&1)
	rc=$?
	p=$(grep -c '^ok ' <<<"$out")
	f=$(grep -c '^not ok ' <<<"$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed, or valgrind found a memory error
	fi
	if [ "$f" -ne 0 ]; then
		echo "$out" | grep -v '^ok '
	fi
	echo "unit $name: $p passed, $f failed"
	pass=$((pass + p)) fail=$((fail + f))
done

# Every libFuzzer target (the management protocol parser, the ELF checker), each for a bounded
# time (tests/fuzz/run.sh): one "fuzz NAME: N passed, M failed" line per target.
fout=$(tests/fuzz/run.sh)
frc=$?
echo "$fout"
fseen=0
while read -r fline; do
	if [[ $fline =~ ^fuzz\ [a-z0-9_]+:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		pass=$((pass + BASH_REMATCH[1])) fail=$((fail + BASH_REMATCH[2]))
		fseen=$((fseen + 1))
	fi
done <<<"$fout"
if [ "$fseen" -eq 0 ] || { [ "$frc" -ne 0 ] && ! grep -q ' [1-9][0-9]* failed' <<<"$fout"; }; then
	fail=$((fail + 1)) # no result at all, or it failed without saying so
fi

qout=$(mktemp)
/usr/bin/python3 tests/qemu/run_tests.py | tee "$qout"
summary=$(tail -n 1 "$qout")
rm -f "$qout"
if [[ $summary =~ ^qemu:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	pass=$((pass + BASH_REMATCH[1])) fail=$((fail + BASH_REMATCH[2]))
else
	echo "the QEMU test runner did not finish" >&2
	fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
