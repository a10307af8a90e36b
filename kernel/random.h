/*
 * The kernel's random source. At boot, random_init draws a 256-bit seed from RDSEED or
 * RDRAND (where CPUID has them) mixed with timer readings, or from timer readings alone;
 * from it each CPU gets its own ChaCha20 key (RFC 8439) and generates with fast key erasure:
 * every refill replaces the key with the first 32 bytes of its own output, so what was
 * handed out cannot be recomputed from a later state. A 128-bit secret for keyed hashes
 * (SipHash-2-4) comes from the same seed and never leaves the kernel.
 */
#ifndef IXOS_KERNEL_RANDOM_H
#define IXOS_KERNEL_RANDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acpi_info;

/*
 * Seeds the random source; logs where the seed came from (a warning if from timers alone).
 * Boot CPU, once, after time_init and before any other CPU or any user of random_u64 runs;
 * ai (may be NULL) gives the ACPI PM timer for the fallback.
 */
void random_init(const struct acpi_info *ai);

/* 64 random bits. Any CPU, any context (interrupts are held off for the few instructions it
 * touches this CPU's state), no locks; panics if called before random_init. */
uint64_t random_u64(void);
/* Fills buf with n random bytes. As random_u64. */
void random_bytes(void *buf, size_t n);
/* SipHash-2-4 of data under the boot-time secret: for hashes an outsider must not predict
 * (RFC 6528 initial sequence numbers). Any CPU, after random_init. */
uint64_t random_keyed_hash(const void *data, size_t len);

/* Where the seed came from. */
enum random_seed_source {
	RANDOM_SEED_RDSEED,
	RANDOM_SEED_RDRAND,
	RANDOM_SEED_TIMERS, /* no usable instruction: TSC, RTC, PIT and PM timer (weak) */
};

/* --- Building blocks, exported for random_init and the host tests. --- */

/* The ChaCha20 block function (RFC 8439, 2.3): 64 bytes of key stream for key, counter and
 * nonce (key and nonce as the RFC's little-endian words). */
void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
		    uint8_t out[64]);

/* SipHash-2-4 (Aumasson and Bernstein, 2012) of data under a 128-bit key (16 bytes, as the
 * reference code reads it: two little-endian words). */
uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

/*
 * A seed pool: a sponge over the ChaCha20 permutation (20 rounds, no feed-forward), 256-bit
 * rate and 256-bit capacity. Absorb any number of samples, then extract one 32-byte seed.
 */
struct random_pool {
	uint32_t s[16];
	unsigned pos;	   /* next rate word to absorb into (0..7) */
	uint64_t absorbed; /* samples absorbed: bound into the final block */
};

void random_pool_init(struct random_pool *p);
void random_pool_absorb(struct random_pool *p, uint64_t sample);
/* Ends the pool (it is wiped) and writes the seed. */
void random_pool_extract(struct random_pool *p, uint8_t seed[32]);

/*
 * The hardware the seed is drawn from; tests give fakes. rdseed and rdrand make one attempt
 * each (false: no value this time) and are NULL where the CPU lacks them; pm_timer may be
 * NULL; the others always read something (0 when the device is absent).
 */
struct random_hw {
	bool (*rdseed)(uint64_t *v);
	bool (*rdrand)(uint64_t *v);
	uint64_t (*tsc)(void);
	uint64_t (*rtc_seconds)(void);
	uint32_t (*pit)(void);
	uint32_t (*pm_timer)(void);
};

/* Attempts per 64-bit word before an instruction counts as failed: Intel's DRNG software
 * guide asks for 10 retries of RDRAND; RDSEED may run dry under load, so it gets more, with
 * a pause between (the rdseed hook pauses). Both bounded. */
#define RANDOM_RDRAND_TRIES 10
#define RANDOM_RDSEED_TRIES 100
/* Timer samples mixed in when there is no instruction, and alongside one when there is. */
#define RANDOM_WEAK_SAMPLES   1024
#define RANDOM_STRONG_SAMPLES 16

/*
 * Collects a 256-bit seed: RDSEED (4 words) if present and it delivers, else RDRAND, always
 * mixed with timer samples; only timer samples (RANDOM_WEAK_SAMPLES rounds of TSC, PIT and
 * PM timer, and the RTC) when neither delivers. A word equal to the previous one, all zeros
 * or all ones counts as a failed attempt (a broken DRNG repeats itself). Returns the source.
 */
enum random_seed_source random_seed_collect(const struct random_hw *hw, uint8_t seed[32]);

/*
 * One CPU's generator: ChaCha20 with fast key erasure. Each refill computes four blocks
 * (counters 0-3, nonce 0) under key, takes the first 32 bytes as the next key and hands out
 * the other 224 bytes, wiping each word as it goes.
 */
#define RANDOM_GEN_WORDS 28
struct random_gen {
	uint32_t key[8];
	uint64_t buf[RANDOM_GEN_WORDS];
	unsigned left; /* unread words in buf, taken from the end */
};
_Static_assert(sizeof(((struct random_gen *)0)->buf) + 32 == 4 * 64,
	       "a refill is four ChaCha20 blocks: the next key and the output");

void random_gen_init(struct random_gen *g, const uint32_t key[8]);
uint64_t random_gen_next(struct random_gen *g);

#endif
