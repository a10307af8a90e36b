/*
 * The management core (CPU 0): it owns the management port (a NIC of its own, addressed by
 * mgmt_ip=) and COM2, serves the management protocol (mgmt/proto.h, docs/mgmt-protocol.md)
 * on both, and halts between requests (the port's MSI-X interrupt and COM2's receive
 * interrupt wake it). Dataplane cores never see this traffic.
 */
#ifndef IXOS_MGMT_MGMT_H
#define IXOS_MGMT_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mgmt/proto.h"

struct kconfig;

/* Sets up the key (mgmt_key=), the management port and COM2. Boot CPU, after the dataplane. */
void mgmt_init(const struct kconfig *cfg);

/* Handles whatever arrived on the port and on COM2. The management loop, after each wake-up. */
void mgmt_poll(void);

/* The protocol's counters (X-macro), named as the stats command reports them. */
#define MGMT_STATS(X)                                                                          \
	X(rx)		   /* messages received (both transports) */                          \
	X(tx)		   /* responses sent */                                               \
	X(ok)		   /* requests carried out */                                         \
	X(bad_mac)	   /* wrong key or changed bytes */                                   \
	X(replay)	   /* sequence number not above the last accepted */                  \
	X(bad_version)                                                                         \
	X(bad_magic)	   /* not this protocol, or not a request */                          \
	X(truncated)                                                                           \
	X(oversized)                                                                           \
	X(unknown_command)                                                                     \
	X(bad_argument)                                                                        \
	X(not_provisioned) /* requests before a key was set */                                \
	X(busy)                                                                                \
	X(too_large)	   /* answers refused: larger than the answer buffer */               \
	X(snapshot_gone)   /* parts asked of a snapshot no longer kept */                     \
	X(snapshots_evicted) /* kept answers dropped for newer ones */                        \
	X(internal)                                                                            \
	X(frame_errors)	   /* COM2 frames dropped by the deframer */                          \
	X(udp_other)	   /* frames on the port that were not for the protocol */           \
	X(arp_replies)                                                                         \
	X(icmp_echo_replies)

struct mgmt_stats {
#define MGMT_STATS_FIELD(n) uint64_t n;
	MGMT_STATS(MGMT_STATS_FIELD)
#undef MGMT_STATS_FIELD
};

extern struct mgmt_stats mgmt_stats;

/* mgmt/port.c: the management NIC. */
struct mgmt_reply;
typedef void (*mgmt_send_fn)(const uint8_t *msg, size_t len, void *arg);
int mgmt_port_init(const struct kconfig *cfg);
void mgmt_port_poll(void);
bool mgmt_port_info(const char **name, uint8_t mac[6], bool *up, unsigned *speed_mbps,
		    uint32_t *ip, unsigned *prefix);

/* mgmt/com2.c: the serial transport. */
void mgmt_com2_init(void);
void mgmt_com2_poll(void);

/* mgmt/mgmt.c: one received message from either transport; the reply goes out through send. */
void mgmt_handle(const uint8_t *msg, size_t len, bool serial, mgmt_send_fn send, void *arg);

/*
 * mgmt/cmds.c: runs an authenticated request (command, arguments args[0..alen)) and writes its
 * response records into out. Returns its status. *changes says whether the command changes
 * something (then it answers in one part).
 */
enum mgmt_status mgmt_cmd_run(const struct mgmt_hdr *h, const char *args, size_t alen,
			      struct mgmt_buf *out, bool *changes);
/* After the reply to a reboot request has gone out. */
void mgmt_cmd_after_reply(void);

#endif
