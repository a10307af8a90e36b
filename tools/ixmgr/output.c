/* ixmgr output formats over the protocol's text records (pure: writes to a FILE only). */
#include "tools/ixmgr/output.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/proto.h"

#define OUT_MAX_NAMES 64
#define OUT_VAL_MAX   1400

/* A list of distinct names (record types or keys), pointing into the records text. */
struct out_names {
	const char *s[OUT_MAX_NAMES];
	size_t n[OUT_MAX_NAMES];
	size_t count;
};

static int out_names_find(const struct out_names *l, const char *s, size_t n)
{
	for (size_t i = 0; i < l->count; i++)
		if (l->n[i] == n && memcmp(l->s[i], s, n) == 0)
			return (int)i;
	return -1;
}

static void out_names_add(struct out_names *l, const char *s, size_t n)
{
	if (out_names_find(l, s, n) < 0 && l->count < OUT_MAX_NAMES) {
		l->s[l->count] = s;
		l->n[l->count] = n;
		l->count++;
	}
}

static bool out_type_is(const struct mgmt_rec *r, const char *s, size_t n)
{
	return r->type_len == n && memcmp(r->type, s, n) == 0;
}

/* The distinct record types of text, checking that every record is well formed. */
static int out_types(const char *text, size_t len, struct out_names *types)
{
	struct mgmt_rec_iter it;
	struct mgmt_rec r;
	int rc;

	types->count = 0;
	mgmt_rec_iter_init(&it, text, len);
	while ((rc = mgmt_rec_next(&it, &r)) == 1)
		out_names_add(types, r.type, r.type_len);
	return rc;
}

/* The distinct keys of the records of one type. */
static void out_keys(const char *text, size_t len, const char *type, size_t tlen,
		     struct out_names *keys)
{
	struct mgmt_rec_iter it;
	struct mgmt_rec r;
	struct mgmt_kv kv;

	keys->count = 0;
	mgmt_rec_iter_init(&it, text, len);
	while (mgmt_rec_next(&it, &r) == 1) {
		if (!out_type_is(&r, type, tlen))
			continue;
		size_t pos = 0;
		while (mgmt_kv_next(&r, &pos, &kv) == 1)
			out_names_add(keys, kv.key, kv.key_len);
	}
}

static bool out_get(const struct mgmt_rec *r, const char *key, size_t klen, const char **v,
		    size_t *vn)
{
	struct mgmt_kv kv;
	size_t pos = 0;

	while (mgmt_kv_next(r, &pos, &kv) == 1) {
		if (kv.key_len == klen && memcmp(kv.key, key, klen) == 0) {
			*v = kv.val;
			*vn = kv.val_len;
			return true;
		}
	}
	return false;
}

/* Unescapes a value for display; a bad escape shows the raw value. */
static const char *out_value(const char *v, size_t n, char *buf)
{
	if (mgmt_unescape(v, n, buf, OUT_VAL_MAX) < 0) {
		size_t m = n < OUT_VAL_MAX - 1 ? n : OUT_VAL_MAX - 1;
		memcpy(buf, v, m);
		buf[m] = '\0';
	}
	return buf;
}

static bool out_is_number(const char *v, size_t n)
{
	if (n == 0 || n > 19 || (n > 1 && v[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

int ixmgr_out_records(FILE *f, const char *text, size_t len)
{
	fwrite(text, 1, len, f);
	if (len > 0 && text[len - 1] != '\n')
		fputc('\n', f);
	return 0;
}

int ixmgr_out_table(FILE *f, const char *text, size_t len)
{
	struct out_names types, keys;
	static char val[OUT_VAL_MAX];

	if (out_types(text, len, &types) < 0)
		return -1;
	for (size_t t = 0; t < types.count; t++) {
		size_t width[OUT_MAX_NAMES];
		struct mgmt_rec_iter it;
		struct mgmt_rec r;
		const char *v;
		size_t vn;

		out_keys(text, len, types.s[t], types.n[t], &keys);
		for (size_t k = 0; k < keys.count; k++)
			width[k] = keys.n[k];
		mgmt_rec_iter_init(&it, text, len);
		while (mgmt_rec_next(&it, &r) == 1) {
			if (!out_type_is(&r, types.s[t], types.n[t]))
				continue;
			for (size_t k = 0; k < keys.count; k++) {
				if (out_get(&r, keys.s[k], keys.n[k], &v, &vn)) {
					size_t w = strlen(out_value(v, vn, val));
					if (w > width[k])
						width[k] = w;
				}
			}
		}
		if (t > 0)
			fputc('\n', f);
		fprintf(f, "%.*s\n", (int)types.n[t], types.s[t]);
		if (keys.count == 0)
			continue;
		for (size_t k = 0; k < keys.count; k++) {
			for (size_t i = 0; i < keys.n[k]; i++) {
				char c = keys.s[k][i];
				fputc(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c, f);
			}
			if (k + 1 < keys.count)
				fprintf(f, "%*s", (int)(width[k] - keys.n[k] + 2), "");
		}
		fputc('\n', f);
		mgmt_rec_iter_init(&it, text, len);
		while (mgmt_rec_next(&it, &r) == 1) {
			if (!out_type_is(&r, types.s[t], types.n[t]))
				continue;
			for (size_t k = 0; k < keys.count; k++) {
				const char *s = "-";
				if (out_get(&r, keys.s[k], keys.n[k], &v, &vn))
					s = out_value(v, vn, val);
				if (k + 1 < keys.count)
					fprintf(f, "%-*s  ", (int)width[k], s);
				else
					fprintf(f, "%s", s);
			}
			fputc('\n', f);
		}
	}
	return 0;
}

static void out_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c); /* bytes as code points: keeps the output ASCII */
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int ixmgr_out_json(FILE *f, const char *text, size_t len)
{
	struct out_names types;
	static char val[OUT_VAL_MAX];

	if (out_types(text, len, &types) < 0)
		return -1;
	fputc('{', f);
	for (size_t t = 0; t < types.count; t++) {
		struct mgmt_rec_iter it;
		struct mgmt_rec r;
		bool first = true;

		fprintf(f, "%s\"%.*s\":[", t ? "," : "", (int)types.n[t], types.s[t]);
		mgmt_rec_iter_init(&it, text, len);
		while (mgmt_rec_next(&it, &r) == 1) {
			struct mgmt_kv kv;
			size_t pos = 0;
			bool firstkv = true;

			if (!out_type_is(&r, types.s[t], types.n[t]))
				continue;
			fprintf(f, "%s{", first ? "" : ",");
			first = false;
			while (mgmt_kv_next(&r, &pos, &kv) == 1) {
				fprintf(f, "%s\"%.*s\":", firstkv ? "" : ",", (int)kv.key_len,
					kv.key);
				firstkv = false;
				if (out_is_number(kv.val, kv.val_len))
					fprintf(f, "%.*s", (int)kv.val_len, kv.val);
				else
					out_json_string(f, out_value(kv.val, kv.val_len, val));
			}
			fputc('}', f);
		}
		fputc(']', f);
	}
	fputs("}\n", f);
	return 0;
}

/* ---- Prometheus ---- */

struct out_metric {
	const char *type; /* record type */
	const char *key;
	const char *name;
	const char *kind; /* counter / gauge */
	const char *help;
	unsigned divisor; /* value / divisor (1: as is) */
};

static const struct out_metric out_metrics[] = {
    {"dp", "rx_packets", "ixos_rx_packets_total", "counter", "Packets received.", 1},
    {"dp", "rx_bytes", "ixos_rx_bytes_total", "counter", "Bytes received.", 1},
    {"dp", "tx_packets", "ixos_tx_packets_total", "counter", "Packets sent.", 1},
    {"dp", "tx_bytes", "ixos_tx_bytes_total", "counter", "Bytes sent.", 1},
    {"dp", "drops", "ixos_drops_total", "counter", "Packets dropped.", 1},
    {"dp", "loops", "ixos_loops_total", "counter", "Dataplane loop iterations.", 1},
    {"dp", "loop_ns_avg", "ixos_loop_seconds_avg", "gauge",
     "Average duration of a non-idle loop iteration.", 1000000000},
    {"dp", "loop_ns_max", "ixos_loop_seconds_max", "gauge", "Longest loop iteration since boot.",
     1000000000},
    {"dp", "idle_permille", "ixos_idle_ratio", "gauge",
     "Fraction of loop iterations that found no work.", 1000},
    {"tcp", "conns", "ixos_tcp_connections", "gauge", "Open TCP connections.", 1},
    {"tcp", "retransmits", "ixos_tcp_retransmits_total", "counter", "TCP segments retransmitted.",
     1},
    {"app", "events", "ixos_app_events_total", "counter", "Event conditions delivered to the app.",
     1},
    {"app", "syscalls", "ixos_app_syscalls_total", "counter",
     "Batched system calls executed for the app.", 1},
    {"app", "restarts", "ixos_app_restarts_total", "counter", "App restarts.", 1},
};

static bool out_is_label(const char *k, size_t n)
{
	static const char *const labels[] = {"core", "name", "port", "id", "state", "role"};

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strlen(labels[i]) == n && memcmp(labels[i], k, n) == 0)
			return true;
	return false;
}

/* A bucket key of a batch record: bN (bursts of at most N packets, above the previous bound). */
static bool out_is_bucket(const char *k, size_t n)
{
	return n >= 2 && k[0] == 'b' && out_is_number(k + 1, n - 1);
}

/* Prints {label="value",...} for the label keys of r, plus an extra label if given. */
static void out_prom_labels(FILE *f, const struct mgmt_rec *r, const char *extra)
{
	static char val[OUT_VAL_MAX];
	struct mgmt_kv kv;
	size_t pos = 0;
	bool any = false;

	while (mgmt_kv_next(r, &pos, &kv) == 1) {
		if (!out_is_label(kv.key, kv.key_len))
			continue;
		fprintf(f, "%s%.*s=\"", any ? "," : "{", (int)kv.key_len, kv.key);
		for (const char *s = out_value(kv.val, kv.val_len, val); *s; s++) {
			if (*s == '\\' || *s == '"')
				fprintf(f, "\\%c", *s);
			else if (*s == '\n')
				fputs("\\n", f);
			else
				fputc(*s, f);
		}
		fputc('"', f);
		any = true;
	}
	if (extra) {
		fprintf(f, "%s%s", any ? "," : "{", extra);
		any = true;
	}
	if (any)
		fputc('}', f);
}

static void out_prom_value(FILE *f, const char *v, size_t n, unsigned divisor)
{
	if (divisor == 1) {
		fprintf(f, " %.*s\n", (int)n, v);
		return;
	}
	uint64_t x = strtoull(v, NULL, 10);
	fprintf(f, " %.9g\n", (double)x / divisor);
}

static void out_prom_batch(FILE *f, const char *text, size_t len)
{
	struct mgmt_rec_iter it;
	struct mgmt_rec r;
	bool header = false;

	mgmt_rec_iter_init(&it, text, len);
	while (mgmt_rec_next(&it, &r) == 1) {
		struct mgmt_kv kv;
		size_t pos = 0;
		uint64_t cum = 0, sum = 0, over = 0;
		char le[40];

		if (!out_type_is(&r, "batch", 5))
			continue;
		if (!header) {
			fputs("# HELP ixos_batch_size Packets per receive poll (0: nothing "
			      "received).\n"
			      "# TYPE ixos_batch_size histogram\n",
			      f);
			header = true;
		}
		/* Buckets as the record lists them (ascending); counts become cumulative. */
		while (mgmt_kv_next(&r, &pos, &kv) == 1) {
			if (kv.key_len == 3 && memcmp(kv.key, "sum", 3) == 0) {
				sum = strtoull(kv.val, NULL, 10);
				continue;
			}
			if (!out_is_number(kv.val, kv.val_len))
				continue;
			if (kv.key_len == 4 && memcmp(kv.key, "bmax", 4) == 0) {
				over += strtoull(kv.val, NULL, 10); /* only in +Inf */
				continue;
			}
			if (!out_is_bucket(kv.key, kv.key_len))
				continue;
			cum += strtoull(kv.val, NULL, 10);
			snprintf(le, sizeof(le), "le=\"%.*s\"", (int)kv.key_len - 1, kv.key + 1);
			fputs("ixos_batch_size_bucket", f);
			out_prom_labels(f, &r, le);
			fprintf(f, " %llu\n", (unsigned long long)cum);
		}
		cum += over;
		fputs("ixos_batch_size_bucket", f);
		out_prom_labels(f, &r, "le=\"+Inf\"");
		fprintf(f, " %llu\n", (unsigned long long)cum);
		fputs("ixos_batch_size_sum", f);
		out_prom_labels(f, &r, NULL);
		fprintf(f, " %llu\n", (unsigned long long)sum);
		fputs("ixos_batch_size_count", f);
		out_prom_labels(f, &r, NULL);
		fprintf(f, " %llu\n", (unsigned long long)cum);
	}
}

int ixmgr_out_prometheus(FILE *f, const char *text, size_t len)
{
	struct out_names types, keys;

	if (out_types(text, len, &types) < 0)
		return -1;
	for (size_t t = 0; t < types.count; t++) {
		if (types.n[t] == 5 && memcmp(types.s[t], "batch", 5) == 0) {
			out_prom_batch(f, text, len);
			continue;
		}
		out_keys(text, len, types.s[t], types.n[t], &keys);
		for (size_t k = 0; k < keys.count; k++) {
			const struct out_metric *m = NULL;
			struct mgmt_rec_iter it;
			struct mgmt_rec r;
			bool header = false;
			char name[80];

			if (out_is_label(keys.s[k], keys.n[k]))
				continue;
			for (size_t i = 0; i < sizeof(out_metrics) / sizeof(out_metrics[0]); i++) {
				const struct out_metric *c = &out_metrics[i];
				if (strlen(c->type) == types.n[t] &&
				    memcmp(c->type, types.s[t], types.n[t]) == 0 &&
				    strlen(c->key) == keys.n[k] &&
				    memcmp(c->key, keys.s[k], keys.n[k]) == 0)
					m = c;
			}
			/* Other keys of dp (net/dp_stats.h) and mgmt records are counters, and so
			 * are an app's published ones (appctr: ixos_appctr_KEY_total{name=APP}). */
			bool counter =
			    !m && ((types.n[t] == 2 && memcmp(types.s[t], "dp", 2) == 0) ||
				   (types.n[t] == 4 && memcmp(types.s[t], "mgmt", 4) == 0) ||
				   (types.n[t] == 6 && memcmp(types.s[t], "appctr", 6) == 0));
			if (m)
				snprintf(name, sizeof(name), "%s", m->name);
			else
				snprintf(name, sizeof(name), "ixos_%.*s_%.*s%s", (int)types.n[t],
					 types.s[t], (int)keys.n[k], keys.s[k],
					 counter ? "_total" : "");
			mgmt_rec_iter_init(&it, text, len);
			while (mgmt_rec_next(&it, &r) == 1) {
				const char *v;
				size_t vn;
				if (!out_type_is(&r, types.s[t], types.n[t]) ||
				    !out_get(&r, keys.s[k], keys.n[k], &v, &vn) ||
				    !out_is_number(v, vn))
					continue;
				if (!header) {
					if (m)
						fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name,
							m->help, name, m->kind);
					else
						fprintf(f,
							"# HELP %s ixos %.*s %.*s.\n# TYPE %s %s\n",
							name, (int)types.n[t], types.s[t],
							(int)keys.n[k], keys.s[k], name,
							counter ? "counter" : "untyped");
					header = true;
				}
				fputs(name, f);
				out_prom_labels(f, &r, NULL);
				out_prom_value(f, v, vn, m ? m->divisor : 1);
			}
		}
	}
	return 0;
}

int ixmgr_out_log(FILE *f, const char *text, size_t len)
{
	static char val[OUT_VAL_MAX];
	struct mgmt_rec_iter it;
	struct mgmt_rec r;
	const char *v;
	size_t vn;
	int rc;

	mgmt_rec_iter_init(&it, text, len);
	while ((rc = mgmt_rec_next(&it, &r)) != 0) {
		if (rc < 0)
			return -1;
		if (mgmt_rec_is(&r, "line") && mgmt_rec_get(&r, "text", &v, &vn))
			fprintf(f, "%s\n", out_value(v, vn, val));
	}
	return 0;
}
