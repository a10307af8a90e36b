#!/usr/bin/env python3
"""A lossy, reordering Ethernet link between QEMU and a tap device, for hosts whose kernel has
no netem (tc qdisc netem). QEMU's NIC talks to a UDP socket (-netdev dgram); this relay
forwards its frames to and from the tap, dropping LOSS percent of them and holding back
REORDER percent so they arrive after the next frame. Runs inside the test namespace, for at
most SECONDS, and prints what it did when it ends.

Usage: lossy_link.py TAP QEMU_PORT RELAY_PORT LOSS REORDER SECONDS
"""
import fcntl
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def main():
    tap, qport, rport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    loss, reorder, secs = float(sys.argv[4]) / 100, float(sys.argv[5]) / 100, float(sys.argv[6])
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), IFF_TAP | IFF_NO_PI))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", rport))
    qemu = ("127.0.0.1", qport)
    rnd = random.Random(2544)
    held = [None, None]  # per direction: 0 = to the tap, 1 = to QEMU
    count = {"forwarded": 0, "dropped": 0, "reordered": 0}
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *a: stop.__setitem__(0, True))

    def out(direction, frame):
        count["forwarded"] += 1
        if direction == 0:
            os.write(fd, frame)
        else:
            s.sendto(frame, qemu)

    def deliver(direction, frame):
        if rnd.random() < loss:
            count["dropped"] += 1
            return
        if held[direction] is None and rnd.random() < reorder:
            held[direction] = frame
            count["reordered"] += 1
            return
        out(direction, frame)
        if held[direction] is not None:
            out(direction, held[direction])
            held[direction] = None

    deadline = time.monotonic() + secs
    while not stop[0] and time.monotonic() < deadline:
        ready, _, _ = select.select([fd, s], [], [], 0.02)
        if not ready:
            for d in (0, 1):  # nothing came after a held frame for a while: let it go
                if held[d] is not None:
                    out(d, held[d])
                    held[d] = None
        if fd in ready:
            deliver(1, os.read(fd, 65536))
        if s in ready:
            deliver(0, s.recv(65536))
    print(count, flush=True)


if __name__ == "__main__":
    main()
