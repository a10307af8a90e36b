#!/usr/bin/env bash
# Runs every test: the host unit tests given as arguments (cmocka programs, under valgrind),
# the protocol fuzzer (bounded time), then the QEMU end-to-end tests. Ends with
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

# The management protocol parser under libFuzzer, for a bounded time (tests/fuzz/run.sh).
fout=$(tests/fuzz/run.sh)
echo "$fout"
fline=$(tail -n 1 <<<"$fout")
if [[ $fline =~ ^fuzz\ [a-z]+:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
	pass=$((pass + BASH_REMATCH[1])) fail=$((fail + BASH_REMATCH[2]))
else
	fail=$((fail + 1))
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
