#!/usr/bin/env python3
"""Frames per second through ixos's reflect mode (dp_mode=reflect) on QEMU's igb.

A generator in a private network namespace sends a bounded number of UDP frames (many
source ports, so RSS spreads them) to the guest as fast as it can, and counts the frames
the guest bounces back. Each configuration boots its own guest. The baseline, measured in the
same run, is the generator's own rate against a guest that answers nothing (dp_mode=stack:
UDP to port 9 is counted and dropped), i.e. what this host can offer at all.

Usage: bench/reflect.py [--frames N] [--size BYTES] [--smp 2,4]
Not a test: it prints figures with their settings and asserts nothing about speed.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "qemu"))
from qemu import PROJECT_QEMU, QEMU, Machine, NetNS, direct_args  # noqa: E402

GEN = r'''
import socket, struct, sys, threading, time
iface, dst, frames, size = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((iface, 0))
src = s.getsockname()[4]
got = [0]
last = [0.0]
stop = [False]
def rx():
    r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    r.bind((iface, 0))
    r.settimeout(0.2)
    while not stop[0]:
        try:
            f = r.recv(4096)
        except socket.timeout:
            continue
        if f[6:12] == dst:
            got[0] += 1
            last[0] = time.monotonic()
t = threading.Thread(target=rx, daemon=True)
t.start()
time.sleep(0.2)
pay = bytes(max(0, size - 42))
def frame(i):
    udp = struct.pack("!HHHH", 10000 + i % 4096, 9, 8 + len(pay), 0) + pay
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                     socket.inet_aton("198.18.0.1"), socket.inet_aton("198.18.0.2"))
    return dst + src + b"\x08\x00" + ip + udp
pkts = [frame(i) for i in range(4096)]
t0 = time.monotonic()
sent = 0
deadline = t0 + 30
while sent < frames and time.monotonic() < deadline:
    try:
        s.send(pkts[sent % 4096])
        sent += 1
    except OSError:
        time.sleep(0.0005)
t1 = time.monotonic()
time.sleep(1.0)
stop[0] = True
print(sent, got[0], t1 - t0, max(last[0] - t0, 1e-6))
'''


def run(nic, smp, mode, frames, size):
    with NetNS(nic=nic) as ns, Machine(direct_args("ip=198.18.0.2/24 dp_mode=%s" % mode), smp=smp,
                                netns=ns) as m:
        mac = m.expect(r"dataplane: \w+ ([0-9a-f:]{17}) at .* link up").group(1).decode()
        m.expect(r"^ixos: ready ")
        r = ns.sh("/usr/bin/python3", "-c", GEN, "tap0", mac, str(frames), str(size),
                  timeout=90)
        sent, got, secs, rx_secs = r.stdout.split()
        return int(sent), int(got), float(secs), float(rx_secs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=200000)
    ap.add_argument("--size", type=int, default=64, help="frame size without CRC")
    ap.add_argument("--smp", default="2,4", help="CPU counts to measure (1 = mgmt core only)")
    ap.add_argument("--nic", default="igb,ixgbe",
                    help="NICs: igb (QEMU's 82576), ixgbe (the project's 82599 model)")
    o = ap.parse_args()
    def version(binary):
        v = os.popen("%s --version" % binary).readline().split()
        return v[3] if len(v) > 3 else "?"

    print("bench/reflect: %d frames of %d bytes, UDP from 4096 source ports, TCG, NIC on a tap "
          "in a private namespace, host %d CPUs; igb on Debian's QEMU %s, ixgbe on the "
          "project's QEMU %s" % (o.frames, o.size, os.cpu_count(), version(QEMU),
                                 version(PROJECT_QEMU)))
    print("%-40s %10s %10s %12s %12s" % ("configuration", "sent", "returned", "offered/s",
                                         "returned/s"))
    for nic in o.nic.split(","):
        sent, got, secs, _ = run(nic, 2, "stack", o.frames, o.size)
        print("%-40s %10d %10s %12.0f %12s" % ("%s baseline: generator, guest drops" % nic,
                                               sent, "-", sent / secs, "-"))
        for smp in [int(x) for x in o.smp.split(",")]:
            sent, got, secs, rx_secs = run(nic, smp, "reflect", o.frames, o.size)
            dp = max(1, smp - 1)
            print("%-40s %10d %10d %12.0f %12.0f" % ("%s reflect, %d CPUs (%d dataplane)"
                                                     % (nic, smp, dp), sent, got, sent / secs,
                                                     got / rx_secs))
    print("offered/s: generator send rate; returned/s: bounced frames over the time from the "
          "first send to the last return (the guest is saturated when returned < sent)")


if __name__ == "__main__":
    main()
