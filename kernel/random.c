/*
 * The kernel's random source (kernel/random.h): ChaCha20 (RFC 8439), SipHash-2-4, the seed
 * pool and the per-CPU generators. RDRAND and RDSEED: Intel SDM vol. 1, 7.3.17, and Intel's
 * Digital Random Number Generator software implementation guide (retry bounds).
 */
#include "kernel/random.h"

#ifdef HOST_TEST
#include <string.h>
#else
#include "kernel/acpi.h"
#include "kernel/lib/string.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "kernel/rtc.h"
#include "kernel/x86.h"
#endif

static inline uint32_t rotl32(uint32_t x, unsigned n)
{
	return x << n | x >> (32 - n);
}

static inline uint64_t rotl64(uint64_t x, unsigned n)
{
	return x << n | x >> (64 - n);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Clears secrets so the compiler cannot drop the stores as dead. */
static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

/* --- ChaCha20 --- */

#define QR(a, b, c, d)                                                                             \
	do {                                                                                       \
		a += b, d ^= a, d = rotl32(d, 16);                                                 \
		c += d, b ^= c, b = rotl32(b, 12);                                                 \
		a += b, d ^= a, d = rotl32(d, 8);                                                  \
		c += d, b ^= c, b = rotl32(b, 7);                                                  \
	} while (0)

/* The 20-round ChaCha permutation (10 double rounds), in place. */
static void chacha_permute(uint32_t x[16])
{
	for (int i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
}

/* "expand 32-byte k" as four little-endian words (RFC 8439, 2.3). */
static const uint32_t chacha_const[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
		    uint8_t out[64])
{
	uint32_t in[16], x[16];

	memcpy(in, chacha_const, sizeof(chacha_const));
	memcpy(in + 4, key, 32);
	in[12] = counter;
	memcpy(in + 13, nonce, 12);
	memcpy(x, in, sizeof(x));
	chacha_permute(x);
	for (int i = 0; i < 16; i++)
		put_le32(out + 4 * i, x[i] + in[i]);
	wipe(in, sizeof(in));
	wipe(x, sizeof(x));
}

/* --- SipHash-2-4 --- */

#define SIPROUND(v0, v1, v2, v3)                                                                   \
	do {                                                                                       \
		v0 += v1, v1 = rotl64(v1, 13), v1 ^= v0, v0 = rotl64(v0, 32);                      \
		v2 += v3, v3 = rotl64(v3, 16), v3 ^= v2;                                           \
		v0 += v3, v3 = rotl64(v3, 21), v3 ^= v0;                                           \
		v2 += v1, v1 = rotl64(v1, 17), v1 ^= v2, v2 = rotl64(v2, 32);                      \
	} while (0)

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	size_t whole = len & ~(size_t)7;

	for (size_t i = 0; i < whole; i += 8) {
		uint64_t m = le64(p + i);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	/* The last word: the remaining bytes, and the length's low byte on top. */
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = whole; i < len; i++)
		b |= (uint64_t)p[i] << (8 * (i - whole));
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* --- The seed pool --- */

void random_pool_init(struct random_pool *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->s, chacha_const, sizeof(chacha_const));
}

/* Rate words are 4..11 (where ChaCha keeps its key); the rest is capacity. */
void random_pool_absorb(struct random_pool *p, uint64_t sample)
{
	p->s[4 + p->pos] ^= (uint32_t)sample;
	p->s[5 + p->pos] ^= (uint32_t)(sample >> 32);
	p->absorbed++;
	p->pos += 2;
	if (p->pos == 8) {
		chacha_permute(p->s);
		p->pos = 0;
	}
}

void random_pool_extract(struct random_pool *p, uint8_t seed[32])
{
	/* The count and a final marker in the capacity: pools that absorbed different numbers
	 * of samples, or a trailing zero sample, end differently. */
	p->s[12] ^= (uint32_t)p->absorbed;
	p->s[13] ^= (uint32_t)(p->absorbed >> 32);
	p->s[15] ^= 0x80000000u;
	chacha_permute(p->s);
	chacha_permute(p->s);
	for (int i = 0; i < 8; i++)
		put_le32(seed + 4 * i, p->s[4 + i]);
	wipe(p, sizeof(*p));
}

/* --- Seeding --- */

/* One 64-bit word from an instruction within tries attempts; *prev is the last word it gave
 * (a repeat, all zeros or all ones is refused: a stuck DRNG must not pass as working). */
static bool hw_word(bool (*once)(uint64_t *), unsigned tries, uint64_t *prev, uint64_t *out)
{
	for (unsigned t = 0; t < tries; t++) {
		uint64_t v;
		if (!once(&v) || v == 0 || v == ~0ULL || v == *prev)
			continue;
		*prev = v;
		*out = v;
		return true;
	}
	return false;
}

/* Four words from an instruction into the pool; false (pool unchanged) if any failed. */
static bool hw_seed(struct random_pool *p, bool (*once)(uint64_t *), unsigned tries)
{
	uint64_t w[4], prev = 0;

	if (!once)
		return false;
	for (int i = 0; i < 4; i++)
		if (!hw_word(once, tries, &prev, &w[i])) {
			wipe(w, sizeof(w));
			return false;
		}
	for (int i = 0; i < 4; i++)
		random_pool_absorb(p, w[i]);
	wipe(w, sizeof(w));
	return true;
}

/* Timer readings: each sample is a TSC value and the slower counters read right after it,
 * whose phase against the TSC varies from read to read (port I/O timing, bus arbitration). */
static void timer_samples(struct random_pool *p, const struct random_hw *hw, unsigned n)
{
	random_pool_absorb(p, hw->rtc_seconds());
	for (unsigned i = 0; i < n; i++) {
		uint64_t t = hw->tsc();
		uint64_t pit = hw->pit();
		uint64_t pm = hw->pm_timer ? hw->pm_timer() : 0;
		random_pool_absorb(p, t);
		random_pool_absorb(p, pit | pm << 16 | (hw->tsc() - t) << 40);
	}
}

enum random_seed_source random_seed_collect(const struct random_hw *hw, uint8_t seed[32])
{
	struct random_pool p;
	enum random_seed_source src;

	random_pool_init(&p);
	if (hw_seed(&p, hw->rdseed, RANDOM_RDSEED_TRIES))
		src = RANDOM_SEED_RDSEED;
	else if (hw_seed(&p, hw->rdrand, RANDOM_RDRAND_TRIES))
		src = RANDOM_SEED_RDRAND;
	else
		src = RANDOM_SEED_TIMERS;
	timer_samples(&p, hw,
		      src == RANDOM_SEED_TIMERS ? RANDOM_WEAK_SAMPLES : RANDOM_STRONG_SAMPLES);
	random_pool_absorb(&p, src);
	random_pool_extract(&p, seed);
	return src;
}

/* --- The generator --- */

void random_gen_init(struct random_gen *g, const uint32_t key[8])
{
	memcpy(g->key, key, sizeof(g->key));
	wipe(g->buf, sizeof(g->buf));
	g->left = 0;
}

static void random_gen_refill(struct random_gen *g)
{
	static const uint32_t zero_nonce[3];
	uint8_t out[4 * 64];

	for (uint32_t i = 0; i < 4; i++)
		chacha20_block(g->key, i, zero_nonce, out + 64 * i);
	for (int i = 0; i < 8; i++)
		g->key[i] = le32(out + 4 * i);
	for (int i = 0; i < RANDOM_GEN_WORDS; i++)
		g->buf[i] = le64(out + 32 + 8 * i);
	g->left = RANDOM_GEN_WORDS;
	wipe(out, sizeof(out));
}

uint64_t random_gen_next(struct random_gen *g)
{
	if (!g->left)
		random_gen_refill(g);
	uint64_t v = g->buf[--g->left];
	g->buf[g->left] = 0;
	return v;
}

#ifndef HOST_TEST

/* One generator per CPU, each on its own cache lines: no CPU writes another's. */
static struct {
	struct random_gen g;
} __attribute__((aligned(64))) random_cpu[MAX_CPUS];
static uint8_t hash_key[16];
static volatile bool random_ready;
static uint16_t pm_port;
static uint32_t pm_mask;

static bool rdrand_once(uint64_t *v)
{
	bool ok;

	__asm__ volatile("rdrand %0" : "=r"(*v), "=@ccc"(ok));
	return ok;
}

static bool rdseed_once(uint64_t *v)
{
	bool ok;

	__asm__ volatile("rdseed %0" : "=r"(*v), "=@ccc"(ok));
	if (!ok)
		cpu_pause(); /* the guide's advice: let the entropy source refill */
	return ok;
}

static uint32_t pit_read(void)
{
	outb(0x43, 0x00); /* latch channel 0's count */
	uint32_t lo = inb(0x40);
	return lo | (uint32_t)inb(0x40) << 8;
}

static uint32_t pm_read(void)
{
	return inl(pm_port) & pm_mask;
}

static uint64_t tsc_read(void)
{
	return rdtsc();
}

void random_init(const struct acpi_info *ai)
{
	static const char *const name[] = {
	    [RANDOM_SEED_RDSEED] = "RDSEED",
	    [RANDOM_SEED_RDRAND] = "RDRAND",
	    [RANDOM_SEED_TIMERS] = "timers",
	};
	uint32_t a, b, c, d, max_leaf;
	struct random_hw hw = {.tsc = tsc_read, .rtc_seconds = rtc_unix_seconds, .pit = pit_read};
	uint8_t seed[32], block[64];
	uint32_t key[8];

	cpuid(0, 0, &max_leaf, &b, &c, &d);
	cpuid(1, 0, &a, &b, &c, &d);
	if (c & (1u << 30))
		hw.rdrand = rdrand_once;
	if (max_leaf >= 7) {
		cpuid(7, 0, &a, &b, &c, &d);
		if (b & (1u << 18))
			hw.rdseed = rdseed_once;
	}
	if (ai && ai->pm_timer_port) {
		pm_port = (uint16_t)ai->pm_timer_port;
		pm_mask = ai->pm_timer_32bit ? 0xffffffffu : 0xffffffu;
		hw.pm_timer = pm_read;
	}

	enum random_seed_source src = random_seed_collect(&hw, seed);
	for (int i = 0; i < 8; i++)
		key[i] = le32(seed + 4 * i);
	/* Each CPU's key and the hash secret: blocks of the seed's key stream under distinct
	 * nonces (word 1 says what for, word 0 which CPU), so none tells anything of another. */
	for (uint32_t cpu = 0; cpu < MAX_CPUS; cpu++) {
		const uint32_t nonce[3] = {cpu, 1, 0};
		uint32_t k[8];
		chacha20_block(key, 0, nonce, block);
		for (int i = 0; i < 8; i++)
			k[i] = le32(block + 4 * i);
		random_gen_init(&random_cpu[cpu].g, k);
		wipe(k, sizeof(k));
	}
	const uint32_t hash_nonce[3] = {0, 2, 0};
	chacha20_block(key, 0, hash_nonce, block);
	memcpy(hash_key, block, sizeof(hash_key));
	wipe(block, sizeof(block));
	wipe(key, sizeof(key));
	wipe(seed, sizeof(seed));
	__atomic_store_n(&random_ready, true, __ATOMIC_RELEASE);

	if (src == RANDOM_SEED_TIMERS)
		log_warn("random: no %s: seeded from TSC, RTC and PIT (weak)",
			 hw.rdrand || hw.rdseed ? "working RDRAND/RDSEED" : "RDRAND/RDSEED");
	else
		log_info("random: seeded from %s", name[src]);
}

uint64_t random_u64(void)
{
	if (!__atomic_load_n(&random_ready, __ATOMIC_ACQUIRE))
		panic("random: used before random_init");
	/* Interrupts off: a handler on this CPU must not run into a half-done refill. */
	uint64_t flags = irq_save();
	unsigned id = this_cpu()->id;
	if (id >= MAX_CPUS)
		panic("random: cpu %u out of range", id);
	uint64_t v = random_gen_next(&random_cpu[id].g);
	irq_restore(flags);
	return v;
}

void random_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		uint64_t v = random_u64();
		size_t k = n < sizeof(v) ? n : sizeof(v);
		memcpy(p, &v, k);
		p += k, n -= k;
	}
}

uint64_t random_keyed_hash(const void *data, size_t len)
{
	if (!__atomic_load_n(&random_ready, __ATOMIC_ACQUIRE))
		panic("random: used before random_init");
	return siphash24(hash_key, data, len);
}

#endif
