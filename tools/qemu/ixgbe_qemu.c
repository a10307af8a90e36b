/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ixos: the Intel 82599 behavioural model (tests/model/ixgbe_model.c, MIT) as a QEMU PCI
 * Express device, "-device ixgbe". This file is only the glue: PCI identity and BARs, MSI-X,
 * the network backend, DMA and time. Everything the 82599 does lives in the model, which the
 * host unit tests drive too. tools/qemu/build.sh copies both into QEMU's hw/net/.
 *
 * Copyright (c) 2026 the ixos developers. Licensed under the GNU GPL, version 2 or later,
 * as QEMU requires of code linked into it.
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "net/net.h"
#include "ixos_ixgbe_model.h"

#define TYPE_IXOS_IXGBE "ixgbe"
OBJECT_DECLARE_SIMPLE_TYPE(IxgbeState, IXOS_IXGBE)

#define IXGBE_PCI_DEVICE_82599_SFP 0x10fb
#define IXGBE_BAR_MMIO 0	   /* 128 KiB of registers, 64-bit memory BAR */
#define IXGBE_BAR_MSIX 4	   /* MSI-X table and PBA, 64-bit memory BAR */
#define IXGBE_MSIX_SIZE 0x4000
#define IXGBE_MSIX_VECTORS 64	   /* the 82599 has 64 MSI-X vectors */
#define IXGBE_MSIX_PBA 0x2000
#define IXGBE_MSIX_CAP 0x70
#define IXGBE_PCIE_CAP 0xa0
#define IXGBE_POLL_NS (1000 * 1000) /* time-driven state (reset, link) advances every 1 ms */
#define ETH_ZLEN_NOFCS 60	   /* the wire pads shorter frames; a tap does not */

struct IxgbeState {
    PCIDevice parent_obj;
    MemoryRegion mmio;
    MemoryRegion msix;
    NICState *nic;
    NICConf conf;
    struct ixgbe_model *model;
    QEMUTimer *timer;
    QEMUBH *bh;
};

static int ixgbe_dma_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    IxgbeState *s = ctx;
    return pci_dma_read(PCI_DEVICE(s), addr, buf, len) == MEMTX_OK ? 0 : -1;
}

static int ixgbe_dma_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
    IxgbeState *s = ctx;
    return pci_dma_write(PCI_DEVICE(s), addr, buf, len) == MEMTX_OK ? 0 : -1;
}

static void ixgbe_tx_frame(void *ctx, const void *frame, size_t len)
{
    IxgbeState *s = ctx;
    qemu_send_packet(qemu_get_queue(s->nic), frame, len);
}

static void ixgbe_msix(void *ctx, unsigned vector)
{
    PCIDevice *pd = PCI_DEVICE(ctx);

    if (msix_enabled(pd) && vector < IXGBE_MSIX_VECTORS) {
        msix_notify(pd, vector);
    }
}

static uint64_t ixgbe_now_ns(void *ctx)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static void ixgbe_log(void *ctx, const char *msg)
{
    qemu_log_mask(LOG_GUEST_ERROR, "ixgbe: %s\n", msg);
}

static void ixgbe_kick(void *ctx)
{
    IxgbeState *s = ctx;
    /* Transmit outside the MMIO write that asked for it: the model is not re-entered. */
    qemu_bh_schedule(s->bh);
}

static const struct ixgbe_model_ops ixgbe_model_glue = {
    .dma_read = ixgbe_dma_read,
    .dma_write = ixgbe_dma_write,
    .tx_frame = ixgbe_tx_frame,
    .msix = ixgbe_msix,
    .now_ns = ixgbe_now_ns,
    .log = ixgbe_log,
    .kick = ixgbe_kick,
};

static uint64_t ixgbe_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    IxgbeState *s = opaque;
    return ixgbe_model_mmio_read(s->model, addr);
}

static void ixgbe_mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    IxgbeState *s = opaque;
    ixgbe_model_mmio_write(s->model, addr, val);
}

static const MemoryRegionOps ixgbe_mmio_ops = {
    .read = ixgbe_mmio_read,
    .write = ixgbe_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

static void ixgbe_bh(void *opaque)
{
    IxgbeState *s = opaque;
    ixgbe_model_poll(s->model);
}

static void ixgbe_timer(void *opaque)
{
    IxgbeState *s = opaque;

    ixgbe_model_poll(s->model);
    timer_mod(s->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + IXGBE_POLL_NS);
}

static ssize_t ixgbe_nc_receive(NetClientState *nc, const uint8_t *buf, size_t size)
{
    IxgbeState *s = qemu_get_nic_opaque(nc);
    uint8_t padded[ETH_ZLEN_NOFCS];

    if (size < ETH_ZLEN_NOFCS) {
        memset(padded, 0, sizeof(padded));
        memcpy(padded, buf, size);
        ixgbe_model_receive(s->model, padded, sizeof(padded));
    } else {
        ixgbe_model_receive(s->model, buf, size);
    }
    /* Taken either way: a frame the model dropped is counted there, like on the wire. */
    return size;
}

static void ixgbe_set_link_status(NetClientState *nc)
{
    IxgbeState *s = qemu_get_nic_opaque(nc);
    ixgbe_model_set_cable(s->model, !nc->link_down);
}

static NetClientInfo ixgbe_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .receive = ixgbe_nc_receive,
    .link_status_changed = ixgbe_set_link_status,
};

static void ixgbe_realize(PCIDevice *pd, Error **errp)
{
    IxgbeState *s = IXOS_IXGBE(pd);
    DeviceState *dev = DEVICE(pd);
    struct ixgbe_model_config cfg;

    pd->config[PCI_INTERRUPT_PIN] = 1;
    memory_region_init_io(&s->mmio, OBJECT(s), &ixgbe_mmio_ops, s, "ixgbe-mmio",
                          IXGBE_MODEL_BAR_SIZE);
    pci_register_bar(pd, IXGBE_BAR_MMIO,
                     PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64, &s->mmio);
    memory_region_init(&s->msix, OBJECT(s), "ixgbe-msix", IXGBE_MSIX_SIZE);
    pci_register_bar(pd, IXGBE_BAR_MSIX, PCI_BASE_ADDRESS_MEM_TYPE_64, &s->msix);

    if (pcie_endpoint_cap_init(pd, IXGBE_PCIE_CAP) < 0) {
        error_setg(errp, "ixgbe: cannot add the PCI Express capability");
        return;
    }
    if (msix_init(pd, IXGBE_MSIX_VECTORS, &s->msix, IXGBE_BAR_MSIX, 0, &s->msix,
                  IXGBE_BAR_MSIX, IXGBE_MSIX_PBA, IXGBE_MSIX_CAP, errp) < 0) {
        return;
    }
    for (int i = 0; i < IXGBE_MSIX_VECTORS; i++) {
        msix_vector_use(pd, i);
    }

    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->nic = qemu_new_nic(&ixgbe_net_info, &s->conf, object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);

    ixgbe_model_default_config(&cfg, s->conf.macaddr.a);
    s->model = ixgbe_model_create(&cfg, &ixgbe_model_glue, s);
    if (!s->model) {
        error_setg(errp, "ixgbe: out of memory for the device model");
        return;
    }
    s->bh = qemu_bh_new_guarded(ixgbe_bh, s, &dev->mem_reentrancy_guard);
    s->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, ixgbe_timer, s);
    timer_mod(s->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + IXGBE_POLL_NS);
}

static void ixgbe_exit(PCIDevice *pd)
{
    IxgbeState *s = IXOS_IXGBE(pd);

    timer_free(s->timer);
    qemu_bh_delete(s->bh);
    msix_unuse_all_vectors(pd);
    msix_uninit(pd, &s->msix, &s->msix);
    qemu_del_nic(s->nic);
    ixgbe_model_destroy(s->model);
}

static void ixgbe_reset_hold(Object *obj, ResetType type)
{
    IxgbeState *s = IXOS_IXGBE(obj);

    if (s->model) {
        ixgbe_model_reset(s->model);
    }
}

/* The model's state is not serialised: refuse migration rather than lose it. */
static const VMStateDescription ixgbe_vmstate = {
    .name = "ixgbe",
    .unmigratable = 1,
};

static const Property ixgbe_properties[] = {
    DEFINE_NIC_PROPERTIES(IxgbeState, conf),
};

static void ixgbe_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    PCIDeviceClass *c = PCI_DEVICE_CLASS(klass);

    c->realize = ixgbe_realize;
    c->exit = ixgbe_exit;
    c->vendor_id = PCI_VENDOR_ID_INTEL;
    c->device_id = IXGBE_PCI_DEVICE_82599_SFP;
    c->revision = 1;
    c->class_id = PCI_CLASS_NETWORK_ETHERNET;
    c->subsystem_vendor_id = PCI_VENDOR_ID_INTEL;
    c->subsystem_id = 0x000c;
    rc->phases.hold = ixgbe_reset_hold;
    dc->desc = "Intel 82599 10 GbE (ixos behavioural model)";
    dc->vmsd = &ixgbe_vmstate;
    device_class_set_props(dc, ixgbe_properties);
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo ixgbe_info = {
    .name = TYPE_IXOS_IXGBE,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(IxgbeState),
    .class_init = ixgbe_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void ixgbe_register_types(void)
{
    type_register_static(&ixgbe_info);
}

type_init(ixgbe_register_types)
