/*
 * The 82599 model's receive path (7.1): MAC checks and statistics, the station address,
 * multicast and broadcast filters, RSS over IPv4 with TCP/UDP ports, IPv4 and TCP/UDP checksum
 * checks, and the advanced one-buffer descriptors that take the frame (tests/model/ixgbe_model.h).
 */
#include <string.h>

#include "net/toeplitz.h"
#include "tests/model/ixgbe_model_priv.h"

#define TINY_FRAME 12 /* spec update, clarification 18 */

static const char *const rx_names[] = {
    [IXGBE_MODEL_RX_OK] = "ok",
    [IXGBE_MODEL_RX_OFF] = "receiver off",
    [IXGBE_MODEL_RX_TINY] = "shorter than 12 bytes",
    [IXGBE_MODEL_RX_FILTERED] = "filtered",
    [IXGBE_MODEL_RX_CRC] = "bad FCS",
    [IXGBE_MODEL_RX_RUNT] = "runt",
    [IXGBE_MODEL_RX_OVERSIZE] = "oversize",
    [IXGBE_MODEL_RX_NO_DESC] = "no descriptor",
    [IXGBE_MODEL_RX_DMA_ERROR] = "DMA error",
};

const char *ixgbe_model_rx_name(enum ixgbe_model_rx r)
{
	return (unsigned)r < sizeof(rx_names) / sizeof(rx_names[0]) ? rx_names[r] : "?";
}

uint32_t ixgbe_model_fcs(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

struct rx_info {
	uint32_t hash, rss_type, pkt_type, status, errors;
	unsigned queue;
};

/* Layer 3/4 parsing for RSS, packet type and checksums (7.1.2.8, 7.1.11). */
static void rx_classify(struct ixgbe_model *m, const uint8_t *f, size_t len, struct rx_info *ri)
{
	uint32_t mrqc = *reg(m, IXGBE_MRQC);
	bool rss = (mrqc & IXGBE_MRQC_MRQE_MASK) == IXGBE_MRQC_MRQE_RSS;
	size_t l3 = ETH_HLEN;
	uint8_t key[TOEPLITZ_KEY_SIZE], in[TOEPLITZ_IPV4_PORTS_LEN];
	size_t in_len = 0;

	memset(ri, 0, sizeof(*ri));
	if (len >= 18 && get_be16(f + 12) == ETH_P_VLAN)
		l3 += 4;
	if (len < l3 + 20 || get_be16(f + l3 - 2) != ETH_P_IPV4 || f[l3] >> 4 != 4)
		goto select;
	const uint8_t *ip = f + l3;
	unsigned ihl = (ip[0] & 0xf) * 4, tot = get_be16(ip + 2), proto = ip[9];
	bool frag = get_be16(ip + 6) & 0x3fff; /* MF or a fragment offset */

	ri->pkt_type = IXGBE_RXDADV_PKTTYPE_IPV4;
	ri->status |= IXGBE_RXDADV_STAT_IPCS;
	if (ihl < 20 || l3 + ihl > len || tot < ihl || l3 + tot > len) {
		ri->errors |= IXGBE_RXDADV_ERR_IPE;
		goto select;
	}
	if (csum_fold(csum_add(0, ip, ihl)) != 0xffff)
		ri->errors |= IXGBE_RXDADV_ERR_IPE;
	memcpy(in, ip + 12, 8);
	in_len = TOEPLITZ_IPV4_LEN;
	if (frag || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		goto hash;

	const uint8_t *l4 = ip + ihl;
	unsigned l4len = tot - ihl;
	bool tcp = proto == IPPROTO_TCP;
	if (l4len < (tcp ? 20u : 8u))
		goto hash;
	ri->pkt_type |= tcp ? IXGBE_RXDADV_PKTTYPE_TCP : IXGBE_RXDADV_PKTTYPE_UDP;
	/* a UDP checksum of 0 means none was sent: nothing to check */
	if (tcp || get_be16(l4 + 6) != 0) {
		uint32_t sum = csum_add(0, ip + 12, 8) + proto + l4len;
		ri->status |= IXGBE_RXDADV_STAT_L4CS | (tcp ? 0 : IXGBE_RXDADV_STAT_UDPCS);
		if (csum_fold(csum_add(sum, l4, l4len)) != 0xffff)
			ri->errors |= IXGBE_RXDADV_ERR_L4E;
	}
	if ((tcp && (mrqc & IXGBE_MRQC_RSS_FIELD_IPV4_TCP)) ||
	    (!tcp && (mrqc & IXGBE_MRQC_RSS_FIELD_IPV4_UDP))) {
		memcpy(in + 8, l4, 4);
		in_len = TOEPLITZ_IPV4_PORTS_LEN;
		ri->rss_type = tcp ? IXGBE_RXDADV_RSSTYPE_IPV4_TCP : IXGBE_RXDADV_RSSTYPE_IPV4_UDP;
	}
hash:
	if (!rss)
		goto select;
	if (in_len == TOEPLITZ_IPV4_LEN) {
		if (!(mrqc & IXGBE_MRQC_RSS_FIELD_IPV4))
			goto select;
		ri->rss_type = IXGBE_RXDADV_RSSTYPE_IPV4;
	}
	for (unsigned i = 0; i < TOEPLITZ_KEY_SIZE; i++)
		key[i] = *reg(m, IXGBE_RSSRK(i / 4)) >> (8 * (i % 4));
	ri->hash = toeplitz_hash(key, in, in_len);
select:
	if (!rss || ri->rss_type == IXGBE_RXDADV_RSSTYPE_NONE) {
		ri->rss_type = 0;
		ri->hash = 0;
		ri->queue = 0; /* 7.1.2.8: packets RSS does not hash go to the default queue */
		return;
	}
	unsigned e = ri->hash & 127;
	ri->queue = (*reg(m, IXGBE_RETA(e / 4)) >> (8 * (e % 4))) & IXGBE_RETA_ENTRY_MASK;
}

/*
 * The multicast table (7.1.1.1): MCSTCTRL.MO picks which 12 of the destination address's last
 * 16 bits index the 4096-bit MTA.
 */
static bool mta_match(struct ixgbe_model *m, const uint8_t *f)
{
	uint32_t mcstctrl = *reg(m, IXGBE_MCSTCTRL);
	unsigned shift = 4 - (mcstctrl & IXGBE_MCSTCTRL_MO_MASK);
	unsigned v = ((unsigned)f[4] | (unsigned)f[5] << 8) >> shift & 0xfff;

	if (!(mcstctrl & IXGBE_MCSTCTRL_MFE))
		return false;
	return *reg(m, IXGBE_MTA(v >> 5)) >> (v & 31) & 1;
}

static bool rx_filter(struct ixgbe_model *m, const uint8_t *f)
{
	uint32_t fctrl = *reg(m, IXGBE_FCTRL);
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	if (!memcmp(f, bcast, 6))
		return fctrl & (IXGBE_FCTRL_BAM | IXGBE_FCTRL_MPE);
	if (f[0] & 1)
		return (fctrl & IXGBE_FCTRL_MPE) || mta_match(m, f);
	if (fctrl & IXGBE_FCTRL_UPE)
		return true;
	for (unsigned i = 0; i < 128; i++) {
		uint32_t rah = *reg(m, IXGBE_RAH(i));
		if ((rah & IXGBE_RAH_AV) && get_le32(f) == *reg(m, IXGBE_RAL(i)) &&
		    (uint32_t)(f[4] | f[5] << 8) == (rah & 0xffff))
			return true;
	}
	return false;
}

static void rx_drop_no_desc(struct ixgbe_model *m, unsigned q)
{
	count(m, IXGBE_RNBC(0), 1);
	if (*reg(m, IXGBE_SRRCTL(q)) & IXGBE_SRRCTL_DROP_EN) {
		if (q < 16)
			count(m, IXGBE_QPRDC(q), 1);
	} else {
		count(m, IXGBE_MPC(0), 1); /* no packet buffer to wait in: see the header */
	}
}

/* Writes one advanced write-back descriptor (7.1.6.2). */
static int rx_writeback(struct ixgbe_model *m, uint64_t addr, const struct rx_info *ri,
			uint32_t staterr, uint16_t len)
{
	uint8_t d[16];

	put_le32(d, ri->rss_type | ri->pkt_type);
	/* second dword: the RSS hash with RXCSUM.PCSD, else IP id and fragment checksum (0 here) */
	put_le32(d + 4, *reg(m, IXGBE_RXCSUM) & IXGBE_RXCSUM_PCSD ? ri->hash : 0);
	put_le32(d + 8, staterr);
	put_le16(d + 12, len);
	put_le16(d + 14, 0);
	return m->ops.dma_write(m->ctx, addr, d, sizeof(d));
}

static enum ixgbe_model_rx rx_to_ring(struct ixgbe_model *m, const uint8_t *f, size_t len,
				      const struct rx_info *ri)
{
	unsigned q = ri->queue, n = ring_count(m, IXGBE_RDLEN(q));
	uint32_t srrctl = *reg(m, IXGBE_SRRCTL(q));
	size_t bufsz = (size_t)(srrctl & IXGBE_SRRCTL_BSIZEPACKET_MASK) * 1024;
	uint64_t base = *reg(m, IXGBE_RDBAL(q)) | (uint64_t)*reg(m, IXGBE_RDBAH(q)) << 32;
	uint32_t head = *reg(m, IXGBE_RDH(q)), tail = *reg(m, IXGBE_RDT(q));

	if (!m->rx_enabled[q] || n == 0 || head >= n) {
		rx_drop_no_desc(m, q);
		return IXGBE_MODEL_RX_NO_DESC;
	}
	if ((srrctl & IXGBE_SRRCTL_DESCTYPE_MASK) != IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF || !bufsz) {
		ixgbe_model_log(
		    m,
		    "RX queue %u: SRRCTL 0x%08x asks for a descriptor type or buffer size the "
		    "model does not support; frame dropped",
		    q, srrctl);
		return IXGBE_MODEL_RX_DMA_ERROR;
	}
	size_t need = (len + bufsz - 1) / bufsz;
	if ((tail + n - head) % n < need) {
		rx_drop_no_desc(m, q);
		return IXGBE_MODEL_RX_NO_DESC;
	}
	enum ixgbe_model_rx res = IXGBE_MODEL_RX_OK;
	for (size_t off = 0, i = 0; i < need; i++, off += bufsz) {
		uint64_t daddr = base + (uint64_t)head * 16;
		uint8_t d[16];
		size_t chunk = len - off < bufsz ? len - off : bufsz;
		bool last = i + 1 == need;
		uint32_t staterr = IXGBE_RXDADV_STAT_DD |
				   (last ? IXGBE_RXDADV_STAT_EOP | ri->status | ri->errors : 0);

		if (m->ops.dma_read(m->ctx, daddr, d, sizeof(d)) < 0) {
			ixgbe_model_log(
			    m,
			    "RX queue %u: descriptor %u at 0x%llx is not reachable; frame dropped",
			    q, head, (unsigned long long)daddr);
			res = IXGBE_MODEL_RX_DMA_ERROR;
			break;
		}
		uint64_t buf = get_le64(d);
		if (m->ops.dma_write(m->ctx, buf, f + off, chunk) < 0) {
			/* hand the descriptor back marked bad rather than wedge the ring */
			ixgbe_model_log(
			    m, "RX queue %u: buffer 0x%llx of descriptor %u is not reachable", q,
			    (unsigned long long)buf, head);
			staterr =
			    IXGBE_RXDADV_STAT_DD | IXGBE_RXDADV_STAT_EOP | IXGBE_RXDADV_ERR_RXE;
			chunk = 0;
			res = IXGBE_MODEL_RX_DMA_ERROR;
			last = true;
		}
		if (rx_writeback(m, daddr, ri, staterr, chunk) < 0)
			ixgbe_model_log(m, "RX queue %u: write-back to 0x%llx failed", q,
					(unsigned long long)daddr);
		head = (head + 1) % n;
		if (last)
			break;
	}
	*reg(m, IXGBE_RDH(q)) = head;
	if (res == IXGBE_MODEL_RX_OK && q < 16)
		count(m, IXGBE_QPRC(q), 1);
	ixgbe_model_queue_cause(m, q, false);
	return res;
}

enum ixgbe_model_rx ixgbe_model_rx_frame(struct ixgbe_model *m, const uint8_t *f, size_t len,
					 bool fcs_ok)
{
	uint32_t hlreg0 = *reg(m, IXGBE_HLREG0);
	size_t wire = len + ETH_FCS_LEN, max = ETH_MAX_FRAME;
	struct rx_info ri;

	if (!ixgbe_model_link_is_up(m) || !(*reg(m, IXGBE_RXCTRL) & IXGBE_RXCTRL_RXEN) ||
	    (*reg(m, IXGBE_SECRXCTRL) & IXGBE_SECRXCTRL_RX_DIS))
		return IXGBE_MODEL_RX_OFF;
	if (wire < TINY_FRAME)
		return IXGBE_MODEL_RX_TINY;
	count(m, IXGBE_TPR, 1);
	count36(&m->tor, wire);
	bool pass = len >= 6 && rx_filter(m, f);
	if (!fcs_ok) {
		if (wire >= ETH_MIN_FRAME)
			count(m, IXGBE_CRCERRS, 1);
		else if (pass)
			count(m, IXGBE_RFC, 1);
		return IXGBE_MODEL_RX_CRC;
	}
	if (!pass)
		return IXGBE_MODEL_RX_FILTERED;
	if (hlreg0 & IXGBE_HLREG0_JUMBOEN)
		max = *reg(m, IXGBE_MAXFRS) >> IXGBE_MAXFRS_MFS_SHIFT;
	else if (len >= 16 && get_be16(f + 12) == ETH_P_VLAN)
		max += 4;
	if (wire < ETH_MIN_FRAME) {
		count(m, IXGBE_RUC, 1);
		return IXGBE_MODEL_RX_RUNT;
	}
	if (wire > max || wire > IXGBE_MODEL_MAX_FRAME) {
		count(m, IXGBE_ROC, 1);
		return IXGBE_MODEL_RX_OVERSIZE;
	}
	/* the MAC accepted it: 8.2.3.23 counts it before it reaches host memory */
	count(m, IXGBE_GPRC, 1);
	count36(&m->gorc, wire);
	if (f[0] & 1)
		count(m, memcmp(f, "\xff\xff\xff\xff\xff\xff", 6) ? IXGBE_MPRC : IXGBE_BPRC, 1);
	rx_classify(m, f, len, &ri);
	if (!(hlreg0 & IXGBE_HLREG0_RXCRCSTRP)) {
		uint32_t fcs = ixgbe_model_fcs(f, len);
		memcpy(m->frame, f, len);
		put_le32(m->frame + len, fcs);
		f = m->frame;
		len += ETH_FCS_LEN;
	}
	return rx_to_ring(m, f, len, &ri);
}
