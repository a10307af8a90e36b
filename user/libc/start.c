/*
 * The C start of every app thread. Thread 0 runs the C library's constructors and
 * main(argc, argv), with argv split from the module's argument string (argv[0] is the
 * module's path), and exits the app with main's status. The other threads run the libix
 * event loop if the app uses libix (it then waits for main to start it), else they end.
 */
#include <stdint.h>
#include <stdlib.h>
#include "user/apps/sys.h"

#define ARGV_MAX 16

int main(int argc, char **argv);
void __libc_init_array(void);
/* From user/libix/ixev.c, linked only into apps that use libix. */
void __ix_thread_main(unsigned index, unsigned nthreads) __attribute__((weak));
void __ix_set_thread_count(unsigned n) __attribute__((weak));

static char args_copy[128];
static char *argv[ARGV_MAX + 1];

static int split_args(const char *s)
{
	int argc = 0;
	unsigned i = 0;

	for (; s[i] && i < sizeof(args_copy) - 1; i++)
		args_copy[i] = s[i];
	args_copy[i] = 0;
	for (char *p = args_copy; *p && argc < ARGV_MAX;) {
		while (*p == ' ')
			*p++ = 0;
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	argv[argc] = NULL;
	return argc;
}

void __ix_start(unsigned index, unsigned nthreads, uint64_t shared, const char *args)
{
	(void)shared;
	if (__ix_set_thread_count)
		__ix_set_thread_count(nthreads);
	if (index) {
		if (__ix_thread_main)
			__ix_thread_main(index, nthreads);
		sys_thread_exit();
	}
	__libc_init_array();
	int argc = split_args(args);
	exit(main(argc, argv));
}
