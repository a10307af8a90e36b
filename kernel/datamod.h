/*
 * Data modules: boot modules that are not apps (a tar archive of a web site, say). Each is
 * mapped read-only into every app's address space at IX_MODMAP_BASE (user/libix/ix_abi.h),
 * where SYS_MODULE tells the app its name, address and size (libix: ix_module). Their pages
 * are never freed, so the NIC may send from them (zero copy) for as long as it likes.
 */
#ifndef IXOS_KERNEL_DATAMOD_H
#define IXOS_KERNEL_DATAMOD_H

#include <stdint.h>

struct bootinfo;
struct ix_module_desc;

/* Takes the boot modules that are not ELF executables as data modules (management core,
 * once, before any app loads). Logs each with its address in apps. */
void datamod_init(const struct bootinfo *bi);

/* Maps every data module read-only into the address space at pml4, through map_page(pml4,
 * va, phys) (kernel/user.c: a foreign, non-executable page). 0, or -1 if a mapping failed. */
int datamod_map(uint64_t pml4, int (*map_page)(uint64_t pml4, uint64_t va, uint64_t phys));

/* Fills *d for data module i (name, address in apps, length). 0, or -1 past the last. */
int datamod_get(unsigned i, struct ix_module_desc *d);

#endif
