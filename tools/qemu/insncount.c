/*
 * insncount: a TCG plugin for the benchmark (make bench) that counts the guest instructions
 * each vCPU executes and writes samples of those counts to a file while the guest runs, so a
 * benchmark can take the instructions spent in one measured window of a load, not the whole
 * run's (boot and idle polling included).
 *
 *   qemu-system-x86_64 -plugin build/qemu-insncount.so,out=FILE[,period_ms=N] ...
 *
 * FILE gets one line per sample, every period_ms (default 10):
 *   <CLOCK_MONOTONIC ns> <all vCPUs' instructions> <vCPU 0's> <vCPU 1's> ...
 * and a last sample at exit. Counts are cumulative from QEMU's start. With hot=FILE, it also
 * counts each translated block's executions and writes them at exit (see hot_dump): a guest
 * instruction profile by address, for bench/profile.py to put names on. The counting is inline:
 * each translated block adds its instruction count to the running vCPU's counter when it
 * starts. (A block left early by an exception still counts whole: a small overcount.)
 *
 * Built by tools/qemu/build.sh against the QEMU source's include/qemu/qemu-plugin.h.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static struct qemu_plugin_scoreboard *counts; /* one uint64_t per vCPU */
static qemu_plugin_u64 insns;
static FILE *out;
static unsigned period_ms = 10;
static pthread_t sampler;
static volatile int stopping;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * One sample line. The counters are written by the vCPU threads without locks; an aligned
 * 64-bit load on the host sees either the old or the new value, which is all a sample needs.
 * The scoreboard is only resized when a vCPU is created, at start-up, before the samples that
 * matter.
 */
static void sample(void)
{
	int n = qemu_plugin_num_vcpus();
	uint64_t v[256], sum = 0;
	if (n > 256)
		n = 256;
	for (int i = 0; i < n; i++)
		sum += v[i] = qemu_plugin_u64_get(insns, i);
	fprintf(out, "%" PRIu64 " %" PRIu64, now_ns(), sum);
	for (int i = 0; i < n; i++)
		fprintf(out, " %" PRIu64, v[i]);
	fputc('\n', out);
	fflush(out);
}

static void *sampler_main(void *arg)
{
	(void)arg;
	struct timespec p = {.tv_sec = period_ms / 1000, .tv_nsec = (period_ms % 1000) * 1000000L};
	while (!stopping) {
		nanosleep(&p, NULL);
		sample();
	}
	return NULL;
}

/* hot=FILE: a translated block's guest address, size and executions (one per translation). */
struct hot_tb {
	uint64_t vaddr;
	uint64_t n_insns;
	uint64_t execs;
	struct hot_tb *next;
};
static const char *hot_path;
static struct hot_tb *hot_list;
static pthread_mutex_t hot_lock = PTHREAD_MUTEX_INITIALIZER;

static void hot_exec(unsigned int vcpu, void *udata)
{
	(void)vcpu;
	__atomic_fetch_add(&((struct hot_tb *)udata)->execs, 1, __ATOMIC_RELAXED);
}

static void vcpu_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, insns,
							  qemu_plugin_tb_n_insns(tb));
	if (!hot_path)
		return;
	struct hot_tb *h = calloc(1, sizeof(*h));
	if (!h)
		return;
	h->vaddr = qemu_plugin_tb_vaddr(tb);
	h->n_insns = qemu_plugin_tb_n_insns(tb);
	pthread_mutex_lock(&hot_lock);
	h->next = hot_list;
	hot_list = h;
	pthread_mutex_unlock(&hot_lock);
	qemu_plugin_register_vcpu_tb_exec_cb(tb, hot_exec, QEMU_PLUGIN_CB_NO_REGS, h);
}

/* The hot file: one line per translated block that ran, "<vaddr hex> <insns> <executions>". */
static void hot_dump(void)
{
	FILE *f = fopen(hot_path, "w");
	if (!f) {
		perror(hot_path);
		return;
	}
	for (struct hot_tb *h = hot_list; h; h = h->next)
		if (h->execs)
			fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", h->vaddr, h->n_insns,
				h->execs);
	fclose(f);
}

static void plugin_exit(qemu_plugin_id_t id, void *p)
{
	(void)id;
	(void)p;
	stopping = 1;
	pthread_join(sampler, NULL);
	sample();
	fclose(out);
	if (hot_path)
		hot_dump();
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
					   char **argv)
{
	(void)info;
	const char *path = NULL;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "out=", 4) == 0) {
			path = argv[i] + 4;
		} else if (strncmp(argv[i], "hot=", 4) == 0) {
			hot_path = argv[i] + 4;
		} else if (strncmp(argv[i], "period_ms=", 10) == 0) {
			char *end;
			unsigned long v = strtoul(argv[i] + 10, &end, 10);
			if (*end || v < 1 || v > 10000) {
				fprintf(stderr, "insncount: period_ms must be 1..10000: %s\n",
					argv[i]);
				return -1;
			}
			period_ms = (unsigned)v;
		} else {
			fprintf(
			    stderr,
			    "insncount: unknown argument %s (out=FILE, period_ms=N, hot=FILE)\n",
			    argv[i]);
			return -1;
		}
	}
	if (!path) {
		fprintf(stderr, "insncount: out=FILE is required\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return -1;
	}
	counts = qemu_plugin_scoreboard_new(sizeof(uint64_t));
	insns = qemu_plugin_scoreboard_u64(counts);
	qemu_plugin_register_vcpu_tb_trans_cb(id, vcpu_tb_trans);
	qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
	if (pthread_create(&sampler, NULL, sampler_main, NULL) != 0) {
		fprintf(stderr, "insncount: cannot start the sampler thread\n");
		return -1;
	}
	return 0;
}
