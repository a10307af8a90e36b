#!/bin/sh
# Usage: gensyms.sh KERNEL.elf > ksyms.S
# Emits the kernel's text symbols, sorted by address, as the .ksyms table kernel/ksyms.c reads.
set -eu
nm -n --defined-only "$1" | awk '
	$2 ~ /^[tTwW]$/ && $3 !~ /^\./ { addr[n] = $1; name[n] = $3; n++ }
	END {
		print "\t.section .ksyms, \"a\""
		print "\t.balign 8"
		for (i = 0; i < n; i++)
			printf "\t.quad 0x%s, .Lksym%d\n", addr[i], i
		print "\t.section .rodata.ksymstr, \"a\""
		for (i = 0; i < n; i++)
			printf ".Lksym%d:\t.asciz \"%s\"\n", i, name[i]
	}'
