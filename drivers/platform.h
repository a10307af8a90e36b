/*
 * What a NIC driver needs from its platform: register access, DMA memory, time.
 * In the kernel these are MMIO and the page allocator (drivers/platform.c); in host tests
 * (HOST_TEST) they are provided by the test harness, which routes register accesses to a
 * device model and hands out DMA memory whose "physical" address is its host address.
 */
#ifndef IXOS_DRIVERS_PLATFORM_H
#define IXOS_DRIVERS_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef HOST_TEST
uint32_t host_mmio_read32(volatile void *base, uint32_t off);
void host_mmio_write32(volatile void *base, uint32_t off, uint32_t v);

static inline uint32_t mmio_read32(volatile void *base, uint32_t off)
{
	return host_mmio_read32(base, off);
}

static inline void mmio_write32(volatile void *base, uint32_t off, uint32_t v)
{
	host_mmio_write32(base, off, v);
}

/* Host tests: ordering comes from the harness running one thread. */
#define dma_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define dma_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#else
static inline uint32_t mmio_read32(volatile void *base, uint32_t off)
{
	return *(volatile uint32_t *)((volatile uint8_t *)base + off);
}

static inline void mmio_write32(volatile void *base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)((volatile uint8_t *)base + off) = v;
}

/*
 * x86 keeps stores in order and loads in order with respect to other loads, and uncached
 * MMIO writes are not reordered with earlier WB stores; only the compiler must be stopped.
 */
#define dma_wmb() __asm__ volatile("" ::: "memory")
#define dma_rmb() __asm__ volatile("" ::: "memory")
#endif

/*
 * Allocates size bytes of zeroed, physically contiguous, page-aligned memory the device can
 * reach, and its bus address in *phys. Returns NULL when out of memory.
 */
void *dma_alloc(size_t size, uint64_t *phys);
void dma_free(void *va, size_t size);

/* Waits at least us microseconds (host tests: advances the model's clock instead). */
void plat_delay_us(unsigned us);

/* Log hook for drivers: printf-style, one line, level as kernel/log.h's LOG_*. */
void plat_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
