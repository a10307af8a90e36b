/* An app on newlib: printf, malloc, string.h, floating point and time, from ring 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

int main(void)
{
	struct timeval tv;
	size_t total = 0;

	/* 200 allocations of growing size: the heap grows through brk. */
	for (int i = 1; i <= 200; i++) {
		char *p = malloc((size_t)i * 1024);
		if (!p)
			return 1;
		memset(p, i, (size_t)i * 1024);
		total += (size_t)i * 1024;
		if (p[i * 1024 - 1] != (char)i)
			return 2;
		if (i % 2)
			free(p);
	}
	gettimeofday(&tv, NULL);
	/* newlib is built without C99 printf formats (%zu): cast to unsigned long. */
	printf("hello from newlib: %lu KiB allocated, pi is about %.5f, wall clock %ld.%06ld s\n",
	       (unsigned long)(total / 1024), 355.0 / 113.0, (long)tv.tv_sec, (long)tv.tv_usec);
	return 42;
}
