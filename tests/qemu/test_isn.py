"""QEMU end-to-end tests of TCP initial sequence numbers (issue 12): RFC 6528 ISNs, a keyed
hash of the 4-tuple plus a 4 us clock, the key from the kernel's random source.

From the namespace, 1,000 successive connections to the echo app's port 7; a packet socket
on the tap captures each SYN-ACK's sequence number. A counter (lwIP's own scheme: one start
value plus ticks) makes every step between successive ISNs small; keyed hashes of distinct
4-tuples make a step below 2^20 either way (mod 2^32) a 1-in-2,048 event. A second boot, its
first connection from the same source port as the first boot's, must start elsewhere: the
secret is drawn anew at each boot. The boot log must say where the random seed came from;
on a CPU without RDRAND and RDSEED it warns of a weak seed, and the ISNs are still hashes.
The same capture checks the SYN-ACKs' IP IDs are random too, not lwIP's per-core counter.

Run as a script inside the namespace, it is the probe (stdlib only):
  test_isn.py HOST PORT COUNT FIRST_PORT TIMEOUT
prints one JSON line {"ok", "isns", "ports", "ids", "detail"} ("detail": what went wrong, or how
long it took) and exits 0 only if every connection's SYN-ACK was captured.
"""
import json
import os
import select
import socket
import struct
import sys
import time

TESTS = []
SMALL = 1 << 20
CONNS = 1000
FIRST_PORT = 40777  # the first connection's source port, the same in both boots
RANDOM_LINE = (r"random: seeded from (RDSEED|RDRAND)$"
               r"|warning: random: no (working )?RDRAND/RDSEED: seeded from TSC, RTC and PIT "
               r"\(weak\)$")
ETH_P_IP = 0x0800


def _synack_seq(frame, guest, gport, lport):
    """(sequence number, IP ID) of a SYN-ACK from guest:gport to lport in an Ethernet frame,
    or None."""
    if len(frame) < 14 + 20 + 20 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 6 or ip[12:16] != guest or len(ip) < ihl + 20:
        return None
    tcp = ip[ihl:]
    sport, dport, seq = struct.unpack("!HHI", tcp[:8])
    if sport != gport or dport != lport or tcp[13] & 0x12 != 0x12:
        return None
    return seq, struct.unpack("!H", ip[4:6])[0]


def probe(host, port, count, first_port, timeout):
    """count successive connections to host:port; returns each SYN-ACK's sequence number and
    IP ID, each connection's local port, and what went wrong or how long it took."""
    guest = socket.inet_aton(host)
    deadline = time.monotonic() + timeout
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    sniff.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sniff.bind(("tap0", ETH_P_IP))
    sniff.setblocking(False)
    isns, ports, ids = [], [], []
    start = time.monotonic()
    try:
        for i in range(count):
            if time.monotonic() > deadline:
                return isns, ports, ids, "timed out after %d connections" % i
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(min(10, max(1, deadline - time.monotonic())))
            try:
                if i == 0 and first_port:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("", first_port))
                s.connect((host, port))
                lport = s.getsockname()[1]
                # The SYN-ACK reached the packet socket before connect() could return.
                seq = None
                wait_until = min(deadline, time.monotonic() + 5)
                while seq is None and time.monotonic() < wait_until:
                    r, _, _ = select.select([sniff], [], [], 0.2)
                    while r and seq is None:
                        try:
                            frame = sniff.recv(2048)
                        except BlockingIOError:
                            break
                        seq = _synack_seq(frame, guest, port, lport)
                if seq is None:
                    return isns, ports, ids, "no SYN-ACK captured for connection %d (port %d)" % (
                        i, lport)
                isns.append(seq[0])
                ids.append(seq[1])
                ports.append(lport)
            except OSError as e:
                return isns, ports, ids, "connection %d: %s" % (i, e)
            finally:
                s.close()
    finally:
        sniff.close()
    return isns, ports, ids, "%.1f s" % (time.monotonic() - start)


def small_steps(isns):
    """How many steps between successive ISNs are below 2^20 in either direction (mod 2^32)."""
    n = 0
    for a, b in zip(isns, isns[1:]):
        d = (b - a) & 0xFFFFFFFF
        n += d < SMALL or d > (1 << 32) - SMALL
    return n


def small_id_steps(ids):
    """How many steps between successive IP IDs are below 2^8 in either direction (mod 2^16):
    a counter (lwIP's own, one per core) makes nearly all of them small, 16 random bits make
    each one so with probability 511/65536."""
    n = 0
    for a, b in zip(ids, ids[1:]):
        d = (b - a) & 0xFFFF
        n += d < 256 or d > 65536 - 256
    return n


def run_probe(ns, count, timeout):
    cmd = ["/usr/bin/python3", os.path.abspath(__file__), NetNS.GUEST_IP, "7", str(count),
           str(FIRST_PORT), str(timeout)]
    r = ns.sh(*cmd, check=False, timeout=timeout + 60)
    try:
        result = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        result = None
    if r.returncode != 0 or not result or not result.get("ok"):
        raise TestFailure("ISN probe failed (exit %d): %s\nstderr: %s"
                          % (r.returncode, r.stdout.strip()[-2000:], r.stderr.strip()[-2000:]))
    return result


def boot_and_probe(nic, count, timeout, cpu="max", line_rx=RANDOM_LINE):
    """One boot with the echo app: checks the random-source line, probes; returns the result
    and the line."""
    with NetNS(nic=nic) as ns, Machine(direct_args(GUEST, ECHO_APP), smp=4, netns=ns,
                                       cpu=cpu) as m:
        up(m, ns)
        line = m.seen(line_rx).group(0)
        result = run_probe(ns, count, timeout)
        m.absent(r"FATAL|error: ")
        return result, line


def tcp_isns_unpredictable(tmp, nic):
    first, line = boot_and_probe(nic, CONNS, 400)
    isns = first["isns"]
    if len(isns) != CONNS:
        raise TestFailure("captured %d ISNs, wanted %d" % (len(isns), CONNS))
    small = small_steps(isns)
    steps = len(isns) - 1
    if small * 100 >= steps:  # fewer than 1% may be small
        raise TestFailure("%d of %d steps between successive ISNs are below 2^20: "
                          "predictable (first ten: %s)" % (small, steps, isns[:10]))
    small_ids = small_id_steps(first["ids"])
    if small_ids * 20 >= steps:  # fewer than 5% may be small (random: 0.8% expected)
        raise TestFailure("%d of %d steps between successive SYN-ACKs' IP IDs are below 2^8: "
                          "a counter (first ten: %s)" % (small_ids, steps, first["ids"][:10]))
    second, line2 = boot_and_probe(nic, 1, 60)
    a, b = isns[0], second["isns"][0]
    if first["ports"][0] != FIRST_PORT or second["ports"][0] != FIRST_PORT:
        raise TestFailure("the first connections did not use port %d: %s, %s"
                          % (FIRST_PORT, first["ports"][0], second["ports"][0]))
    if a == b:
        raise TestFailure("two boots gave the same first ISN %#010x" % a)
    print("isn %s: %d of %d steps < 2^20 (%.2f%%), first ISNs of two boots %#010x %#010x, "
          "IP ID steps < 2^8: %d of %d, %d connections in %s; '%s' / '%s'"
          % (nic, small, steps, 100.0 * small / steps, a, b, small_ids, steps, len(isns),
             first["detail"], line, line2), file=sys.stderr, flush=True)


def tcp_isns_unpredictable_without_rdrand(tmp):
    """A CPU without RDRAND and RDSEED: the boot log warns of the weak seed, and the ISNs are
    keyed hashes all the same."""
    result, line = boot_and_probe("igb", 200, 120, cpu="max,rdrand=off,rdseed=off",
                                  line_rx=r"warning: random: no RDRAND/RDSEED: seeded from "
                                          r"TSC, RTC and PIT \(weak\)$")
    small = small_steps(result["isns"])
    if small * 100 >= len(result["isns"]) - 1:
        raise TestFailure("%d of %d steps between successive ISNs are below 2^20"
                          % (small, len(result["isns"]) - 1))
    print("isn without RDRAND: %d of %d steps < 2^20; '%s'" % (small, len(result["isns"]) - 1,
                                                              line), file=sys.stderr, flush=True)


if __name__ == "__main__":
    host, port, count, first_port, timeout = sys.argv[1:6]
    got, ports, ids, why = probe(host, int(port), int(count), int(first_port), float(timeout))
    ok = len(got) == int(count)
    print(json.dumps({"ok": ok, "isns": got, "ports": ports, "ids": ids, "detail": why}))
    sys.exit(0 if ok else 1)
else:
    from qemu import Machine, NetNS, TestFailure, direct_args
    from test_net import per_nic_into
    from test_tcp import ECHO_APP, GUEST, up

    per_nic_into(TESTS, tcp_isns_unpredictable)
    TESTS.append(tcp_isns_unpredictable_without_rdrand)
