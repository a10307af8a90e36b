/*
 * The management core's side of apps (kernel/apps.h). An app is loaded here, then each of
 * its threads is handed to a dataplane core, which runs it in its loop; when the app ends,
 * every core lets go of its thread (resetting the app's connections on that core) and the
 * last one marks the app dead, so the management core can free it. A machine with no
 * dataplane runs the one thread on the management core (it gets no network events).
 */
#include "kernel/apps.h"
#include "kernel/bootinfo.h"
#include "kernel/heap.h"
#include "kernel/lib/printf.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/mem.h"
#include "kernel/paging.h"
#include "kernel/percpu.h"
#include "kernel/user.h"
#include "kernel/x86.h"
#include "net/dataplane.h"

#define APPS_MAX  16
#define ELF_MAGIC 0x464c457fu

static struct {
	char name[32];
	const char *args; /* the module's string: its path, then arguments */
	const uint8_t *image;
	uint64_t len;
} apps_mods[APPS_MAX];
static unsigned apps_nmods, apps_runs, apps_next, apps_run_no;
static struct app *apps_cur;
static struct uthread *apps_local; /* the thread the management core hosts, if any */
static bool apps_queue_done, apps_stop_requested;
static int apps_pending_start = -1; /* a module to start on request */
static struct pmm apps_mem_before;
static struct {
	char name[32];
	const char *state;
	int exit_code;
	unsigned threads;
} apps_last;
static unsigned apps_starts;

void apps_init(const struct bootinfo *bi, unsigned runs)
{
	for (unsigned i = 0; i < bi->nmodules && apps_nmods < APPS_MAX; i++) {
		const struct boot_module *m = &bi->modules[i];
		const uint8_t *image = phys_to_virt(m->start);
		if (m->end - m->start < 4 || *(const uint32_t *)image != ELF_MAGIC)
			continue; /* not an app (data) */
		bootinfo_module_name(m->args, apps_mods[apps_nmods].name, 32);
		apps_mods[apps_nmods].args = m->args;
		apps_mods[apps_nmods].image = image;
		apps_mods[apps_nmods].len = m->end - m->start;
		apps_nmods++;
	}
	apps_runs = runs ? runs : 1;
	mem_stats(&apps_mem_before);
	if (!apps_nmods)
		apps_queue_done = true;
}

static void apps_launch(unsigned mod)
{
	unsigned cpus[MAX_CPUS], n = dataplane_app_cpus(cpus);
	struct app *app = kmalloc(sizeof(*app));
	const char *name = apps_mods[mod].name;

	if (!app) {
		log_err("app %s: no memory to start it", name);
		return;
	}
	if (app_load(app, name, apps_mods[mod].args, apps_mods[mod].image, apps_mods[mod].len,
		     n ? n : 1)) {
		app_unload(app);
		kfree(app);
		return;
	}
	app->live = app->nthreads;
	apps_cur = app;
	apps_starts++;
	apps_stop_requested = false;
	if (!n) {
		log_warn("app %s: no dataplane: its one thread runs on the management core, "
			 "without network",
			 name);
		apps_local = &app->threads[0];
		log_info("app %s: started, 1 thread on cpu 0", name);
		return;
	}
	char list[96];
	unsigned len = 0;
	for (unsigned i = 0; i < n && len < sizeof(list) - 8; i++)
		len += (unsigned)ksnprintf(list + len, sizeof(list) - len, "%s%u", i ? "," : "",
					   cpus[i]);
	log_info("app %s: started, %u thread%s on cpu %s", name, n, n == 1 ? "" : "s", list);
	for (unsigned i = 0; i < n; i++)
		dataplane_host_thread(cpus[i], &app->threads[i]);
}

/* The app's state: dataplane cores change it (app_stop's compare-and-swap, the last thread's
 * APP_DEAD), so every read here is an acquire load. */
static int apps_state(const struct app *app)
{
	return __atomic_load_n(&app->state, __ATOMIC_ACQUIRE);
}

static void apps_reap(void)
{
	struct app *app = apps_cur;
	const char *state = apps_stop_requested ? "stopped" : app->faulted ? "faulted" : "exited";

	if (apps_stop_requested)
		log_info("app %s: stopped on request", app->name);
	else if (!app->faulted)
		log_info("app %s: exited with status %d", app->name, app->exit_code);
	strlcpy(apps_last.name, app->name, sizeof(apps_last.name));
	apps_last.state = state;
	apps_last.exit_code = app->exit_code;
	apps_last.threads = app->nthreads;
	app_unload(app);
	kfree(app);
	apps_cur = NULL;
	apps_local = NULL;
}

void apps_tick(void)
{
	if (apps_cur) {
		if (apps_local && apps_state(apps_cur) == APP_RUNNING) {
			if (uthread_due(apps_local, rdtsc()))
				uthread_run(apps_local, 0);
			return;
		}
		if (apps_local && apps_state(apps_cur) != APP_DEAD) {
			struct uthread *t = apps_local;
			apps_local = NULL;
			uthread_release(t);
		}
		if (apps_state(apps_cur) != APP_DEAD)
			return;
		apps_reap();
	}
	if (apps_pending_start >= 0) {
		unsigned mod = (unsigned)apps_pending_start;
		apps_pending_start = -1;
		apps_launch(mod);
		return;
	}
	if (apps_queue_done)
		return;
	if (apps_next < apps_nmods) {
		unsigned mod = apps_next;
		if (++apps_run_no >= apps_runs) {
			apps_run_no = 0;
			apps_next++;
		}
		apps_launch(mod);
		return;
	}
	struct pmm after;
	mem_stats(&after);
	log_info("apps: done; %lu pages free before, %lu after",
		 (unsigned long)apps_mem_before.free_pages, (unsigned long)after.free_pages);
	apps_queue_done = true;
}

int apps_stop(void)
{
	if (!apps_cur || apps_state(apps_cur) != APP_RUNNING)
		return -1;
	apps_stop_requested = true;
	app_stop(apps_cur, -1, false);
	return 0;
}

int apps_start(const char *name)
{
	for (unsigned i = 0; i < apps_nmods; i++) {
		if (strcmp(apps_mods[i].name, name))
			continue;
		apps_stop();
		apps_queue_done = true; /* an operator decides from now on */
		apps_pending_start = (int)i;
		return 0;
	}
	return -1;
}

int apps_restart(void)
{
	const char *name = apps_cur ? apps_cur->name : apps_last.name[0] ? apps_last.name : NULL;

	return name ? apps_start(name) : -1;
}

void apps_get_info(struct apps_info *out)
{
	*out = (struct apps_info){.starts = apps_starts};
	if (apps_cur) {
		out->name = apps_cur->name;
		out->state = apps_state(apps_cur) == APP_RUNNING ? "running" : "stopping";
		out->threads = apps_cur->nthreads;
		out->heap_bytes = apps_cur->brk - apps_cur->brk_start;
		out->heap_large_bytes = apps_cur->heap_large_pages * LARGE_PAGE_SIZE;
	} else if (apps_last.name[0]) {
		out->name = apps_last.name;
		out->state = apps_last.state;
		out->exit_code = apps_last.exit_code;
		out->threads = apps_last.threads;
	}
}

unsigned apps_list(const char **names, unsigned max)
{
	unsigned n = 0;

	for (; n < apps_nmods && n < max; n++)
		names[n] = apps_mods[n].name;
	return n;
}

unsigned apps_counters(const char **names, uint64_t *sums, unsigned max)
{
	return apps_cur && apps_state(apps_cur) == APP_RUNNING
		   ? app_read_counters(apps_cur, names, sums, max)
		   : 0;
}
