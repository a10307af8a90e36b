/*
 * The 82599 model's transmit path (7.2): advanced context and data descriptors, checksum
 * insertion, TCP/UDP segmentation (TSO, 7.2.4), padding and the FCS, descriptor write-back and
 * the TX statistics (tests/model/ixgbe_model.h).
 */
#include <string.h>

#include "tests/model/ixgbe_model_priv.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

struct tx_desc {
	uint64_t addr;
	uint32_t cmd; /* cmd_type_len */
	uint32_t olinfo;
};

static int tx_fetch(struct ixgbe_model *m, uint64_t base, unsigned i, struct tx_desc *d)
{
	uint8_t b[16];

	if (m->ops.dma_read(m->ctx, base + (uint64_t)i * 16, b, sizeof(b)) < 0)
		return -1;
	d->addr = get_le64(b);
	d->cmd = get_le32(b + 8);
	d->olinfo = get_le32(b + 12);
	return 0;
}

static bool tx_is_ctx(const struct tx_desc *d)
{
	return (d->cmd & IXGBE_TXD_CMD_DEXT) &&
	       (d->cmd & IXGBE_TXD_DTYP_MASK) == IXGBE_TXD_DTYP_CTXT;
}

static void tx_done(struct ixgbe_model *m, uint64_t base, unsigned i)
{
	uint8_t st[4];

	/* write-back format (7.2.3.2.4): DD in the status dword */
	put_le32(st, IXGBE_TXD_STAT_DD);
	if (m->ops.dma_write(m->ctx, base + (uint64_t)i * 16 + 12, st, sizeof(st)) < 0)
		ixgbe_model_log(m, "TX: write-back of descriptor %u failed", i);
}

/*
 * Stores the TCP/UDP checksum of f[l4, len) at f[at]. The checksum field holds the sum of the
 * pseudo-header as software left it, less extra (the L4 length TSO's seed leaves out).
 */
static void l4_csum(uint8_t *f, size_t l4, size_t len, size_t at, uint32_t extra, bool udp)
{
	uint16_t sum = ~csum_fold(csum_add(extra, f + l4, len - l4));

	if (udp && sum == 0)
		sum = 0xffff; /* 0 would mean "no checksum" */
	put_be16(f + at, sum);
}

/*
 * Checksum insertion without segmentation. On entry the L4 checksum field holds the
 * pseudo-header sum, as software must leave it: the part sums from the L4 header to the end and
 * stores the complement.
 */
static void tx_offload(struct ixgbe_model *m, unsigned q, uint8_t *f, size_t len, uint32_t olinfo)
{
	const struct tx_ctx *c = &m->tx_ctx[q][(olinfo >> IXGBE_TXD_IDX_SHIFT) & 1];
	size_t l3 = c->maclen, l4 = c->maclen + c->iplen;

	if (!(olinfo & (IXGBE_TXD_POPTS_IXSM | IXGBE_TXD_POPTS_TXSM)))
		return;
	if (l3 < ETH_HLEN || c->iplen < 20 || l4 > len) {
		ixgbe_model_log(m,
				"TX queue %u: checksum offload with MACLEN %u IPLEN %u on a "
				"%zu-byte frame; not inserted",
				q, c->maclen, c->iplen, len);
		return;
	}
	if ((olinfo & IXGBE_TXD_POPTS_IXSM) && (c->tucmd & IXGBE_TXCTX_TUCMD_IPV4))
		put_be16(f + l3 + 10, ~csum_fold(csum_add(0, f + l3, c->iplen)));
	if (olinfo & IXGBE_TXD_POPTS_TXSM) {
		uint32_t l4t = c->tucmd & IXGBE_TXCTX_TUCMD_L4T_MASK;
		size_t at = l4 + (l4t == IXGBE_TXCTX_TUCMD_L4T_TCP ? 16 : 6);
		if (l4t == IXGBE_TXCTX_TUCMD_L4T_SCTP || at + 2 > len) {
			ixgbe_model_log(
			    m, "TX queue %u: L4 checksum requested that the model cannot insert",
			    q);
			return;
		}
		l4_csum(f, l4, len, at, 0, l4t == IXGBE_TXCTX_TUCMD_L4T_UDP);
	}
}

/* One frame to the wire: padding, the FCS, statistics. */
static void tx_wire(struct ixgbe_model *m, uint8_t *f, size_t len, uint32_t cmd)
{
	if (len < ETH_MIN_FRAME - ETH_FCS_LEN && (*reg(m, IXGBE_HLREG0) & IXGBE_HLREG0_TXPADEN)) {
		memset(f + len, 0, ETH_MIN_FRAME - ETH_FCS_LEN - len);
		len = ETH_MIN_FRAME - ETH_FCS_LEN;
	}
	/* without IFCS the last 4 bytes are the FCS software supplied; the wire has no other */
	if (!(cmd & IXGBE_TXD_CMD_IFCS) && len >= ETH_FCS_LEN)
		len -= ETH_FCS_LEN;
	count(m, IXGBE_GPTC, 1);
	count(m, IXGBE_TPT, 1);
	count36(&m->gotc, len + ETH_FCS_LEN);
	if (ixgbe_model_link_is_up(m))
		m->ops.tx_frame(m->ctx, f, len);
}

/*
 * TCP/UDP segmentation (7.2.4): the header (MACLEN + IPLEN + L4LEN bytes) goes in front of
 * every MSS bytes of payload. Per segment the part rewrites the IPv4 total length,
 * identification (+1 a segment) and header checksum, or the IPv6 payload length; the TCP
 * sequence number, with FIN and PSH only on the last segment and CWR only on the first, or the
 * UDP length; and the L4 checksum, from the seed software left in it (the pseudo-header without
 * a length).
 */
static void tx_tso(struct ixgbe_model *m, unsigned q, const uint8_t *pkt, size_t len,
		   uint32_t olinfo, uint32_t cmd)
{
	const struct tx_ctx *c = &m->tx_ctx[q][(olinfo >> IXGBE_TXD_IDX_SHIFT) & 1];
	size_t l3 = c->maclen, l4 = l3 + c->iplen, hdr = l4 + c->l4len;
	uint32_t l4t = c->tucmd & IXGBE_TXCTX_TUCMD_L4T_MASK;
	bool v4 = c->tucmd & IXGBE_TXCTX_TUCMD_IPV4, tcp = l4t == IXGBE_TXCTX_TUCMD_L4T_TCP;

	if ((!tcp && l4t != IXGBE_TXCTX_TUCMD_L4T_UDP) || l3 < ETH_HLEN ||
	    c->iplen < (v4 ? 20u : 40u) || c->l4len < (tcp ? 20u : 8u) || hdr >= len ||
	    c->mss == 0 || hdr + c->mss > IXGBE_MODEL_MAX_FRAME - ETH_FCS_LEN) {
		ixgbe_model_log(m,
				"TX queue %u: TSO with MACLEN %u IPLEN %u L4LEN %u MSS %u L4T %u "
				"on a %zu-byte packet; dropped",
				q, c->maclen, c->iplen, c->l4len, c->mss, l4t >> 11, len);
		return;
	}
	uint32_t seq = tcp ? get_be32(pkt + l4 + 4) : 0;
	unsigned id = v4 ? get_be16(pkt + l3 + 4) : 0;
	size_t paylen = len - hdr;

	for (size_t off = 0, seg = 0; off < paylen; off += c->mss, seg++) {
		size_t chunk = paylen - off < c->mss ? paylen - off : c->mss;
		uint8_t *f = m->frame;

		memcpy(f, pkt, hdr);
		memcpy(f + hdr, pkt + hdr + off, chunk);
		if (v4) {
			put_be16(f + l3 + 2, c->iplen + c->l4len + chunk);
			put_be16(f + l3 + 4, id + seg);
			put_be16(f + l3 + 10, 0);
			if (olinfo & IXGBE_TXD_POPTS_IXSM)
				put_be16(f + l3 + 10, ~csum_fold(csum_add(0, f + l3, c->iplen)));
		} else {
			put_be16(f + l3 + 4, c->iplen - 40 + c->l4len + chunk);
		}
		if (tcp) {
			put_be32(f + l4 + 4, seq + off);
			if (off + chunk < paylen)
				f[l4 + 13] &= ~(TCP_FIN | TCP_PSH);
			if (off)
				f[l4 + 13] &= ~TCP_CWR;
		} else {
			put_be16(f + l4 + 4, c->l4len + chunk);
		}
		if (olinfo & IXGBE_TXD_POPTS_TXSM)
			l4_csum(f, l4, hdr + chunk, l4 + (tcp ? 16 : 6), c->l4len + chunk, !tcp);
		tx_wire(m, f, hdr + chunk, cmd | IXGBE_TXD_CMD_IFCS);
	}
}

/*
 * Sends the packet whose descriptors are [head, eop]; bad descriptors drop the packet. Every
 * descriptor with RS is written back either way, so software gets its buffers back.
 */
static void tx_packet(struct ixgbe_model *m, unsigned q, uint64_t base, unsigned head, unsigned eop,
		      unsigned n)
{
	size_t len = 0, max = IXGBE_MODEL_MAX_FRAME;
	bool bad = false;
	uint32_t olinfo = 0, cmd = 0;
	struct tx_desc d = {0};

	for (unsigned i = head;; i = (i + 1) % n) {
		if (tx_fetch(m, base, i, &d) < 0) {
			ixgbe_model_log(m, "TX queue %u: descriptor %u not reachable", q, i);
			bad = true;
		} else {
			size_t dlen = d.cmd & 0xffff;
			if (i == head) {
				/* the first descriptor's command and offload fields apply */
				olinfo = d.olinfo;
				cmd = d.cmd;
				if ((cmd & IXGBE_TXD_CMD_TSE) && (cmd & IXGBE_TXD_CMD_DEXT))
					max = IXGBE_MODEL_TSO_MAX;
			}
			if (!bad && (d.addr == 0 || dlen == 0 || len + dlen > max)) {
				ixgbe_model_log(m,
						"TX queue %u: bad descriptor %u (buffer 0x%llx, "
						"length %zu); packet dropped",
						q, i, (unsigned long long)d.addr, dlen);
				bad = true;
			}
			if (!bad && m->ops.dma_read(m->ctx, d.addr, m->tx_buf + len, dlen) < 0) {
				ixgbe_model_log(m,
						"TX queue %u: buffer 0x%llx of descriptor %u not "
						"reachable",
						q, (unsigned long long)d.addr, i);
				bad = true;
			}
			len += bad ? 0 : dlen;
			if (d.cmd & IXGBE_TXD_CMD_RS)
				tx_done(m, base, i);
		}
		if (i == eop)
			break;
	}
	if (bad)
		return;
	if (max == IXGBE_MODEL_TSO_MAX) {
		tx_tso(m, q, m->tx_buf, len, olinfo, cmd);
		return;
	}
	memcpy(m->frame, m->tx_buf, len);
	if (cmd & IXGBE_TXD_CMD_DEXT)
		tx_offload(m, q, m->frame, len, olinfo);
	tx_wire(m, m->frame, len, cmd);
}

void ixgbe_model_tx_queue(struct ixgbe_model *m, unsigned q)
{
	unsigned n = ring_count(m, IXGBE_TDLEN(q));
	uint64_t base = *reg(m, IXGBE_TDBAL(q)) | (uint64_t)*reg(m, IXGBE_TDBAH(q)) << 32;
	uint32_t head = *reg(m, IXGBE_TDH(q)), tail = *reg(m, IXGBE_TDT(q));
	bool reported = false;
	struct tx_desc d;

	if (n == 0 || head >= n || tail >= n)
		return;
	while (head != tail) {
		if (tx_fetch(m, base, head, &d) < 0) {
			ixgbe_model_log(m,
					"TX queue %u: descriptor %u at 0x%llx not reachable; queue "
					"stalled",
					q, head, (unsigned long long)(base + head * 16ull));
			break;
		}
		if (tx_is_ctx(&d)) {
			/* dwords: vlan_macip_lens, seqnum_seed, type_tucmd, mss_l4len_idx */
			struct tx_ctx *c = &m->tx_ctx[q][(d.olinfo >> IXGBE_TXCTX_IDX_SHIFT) & 1];
			c->iplen = (uint32_t)d.addr & IXGBE_TXCTX_IPLEN_MASK;
			c->maclen = ((uint32_t)d.addr & IXGBE_TXCTX_MACLEN_MASK) >>
				    IXGBE_TXCTX_MACLEN_SHIFT;
			c->tucmd = d.cmd;
			c->l4len = (d.olinfo >> IXGBE_TXCTX_L4LEN_SHIFT) & 0xff;
			c->mss = d.olinfo >> IXGBE_TXCTX_MSS_SHIFT;
			head = (head + 1) % n;
			continue;
		}
		/* the packet goes out once its end-of-packet descriptor is in the ring */
		unsigned eop = head;
		for (;;) {
			if (tx_fetch(m, base, eop, &d) < 0 || (d.cmd & IXGBE_TXD_CMD_EOP))
				break;
			eop = (eop + 1) % n;
			if (eop == tail) {
				eop = n; /* incomplete */
				break;
			}
		}
		if (eop == n)
			break;
		tx_packet(m, q, base, head, eop, n);
		head = (eop + 1) % n;
		reported = true;
	}
	*reg(m, IXGBE_TDH(q)) = head;
	if (reported)
		ixgbe_model_queue_cause(m, q, true);
}
