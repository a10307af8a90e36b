#!/usr/bin/env python3
"""Sends crafted Ethernet frames out of an interface (run inside a test namespace).

Usage: sendraw.py IFACE DST_MAC KIND [COUNT]
KIND: runt | oversize | badipcsum | random | udpflows | tcpbad
Each kind is a bounded burst; nothing here loops without a count.
"""
import os
import random
import socket
import struct
import sys

from pkt import csum, ipv4


def main():
    iface, dst, kind = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), sys.argv[3]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src = s.getsockname()[4]
    rnd = random.Random(1234)
    for i in range(min(count, 100000)):
        if kind == "runt":
            # An IPv4 frame cut after 6 bytes of header; the NIC pads it to 60 bytes.
            frame = dst + src + b"\x08\x00" + b"\x45\x00\x00\x54\x00\x01"
        elif kind == "oversize":
            frame = dst + src + b"\x08\x00" + bytes(1600)
        elif kind == "badipcsum":
            icmp = struct.pack("!BBHHH", 8, 0, 0, 7, i) + b"x" * 32
            icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
            frame = dst + src + b"\x08\x00" + ipv4("198.18.0.1", "198.18.0.2", 1, icmp, True)
        elif kind == "random":
            frame = dst + src + bytes(rnd.getrandbits(8) for _ in range(rnd.randint(2, 300)))
        elif kind == "tcpbad":
            # Cycles through broken TCP/IP headers aimed at port 7: bad TCP checksum, a
            # data offset below 5, a header cut short, an IP header length beyond the packet.
            sport = 20000 + i
            tcp = struct.pack("!HHIIBBHHH", sport, 7, 1000 + i, 0, 5 << 4, 0x02, 65535, 0x1234, 0)
            variant = i % 4
            if variant == 1:
                tcp = tcp[:12] + bytes([2 << 4]) + tcp[13:]
            elif variant == 2:
                tcp = tcp[:10]
            ip = ipv4("198.18.0.1", "198.18.0.2", 6, tcp)
            if variant == 3:
                ip = bytes([0x4F]) + ip[1:]
                ip = ip[:10] + b"\0\0" + ip[12:]
                ip = ip[:10] + struct.pack("!H", csum(ip[:60] if len(ip) >= 60 else ip)) + ip[12:]
            frame = dst + src + b"\x08\x00" + ip
        elif kind == "udpflows":
            sport = 10000 + i
            udp = struct.pack("!HHHH", sport, 9, 8 + 16, 0) + b"ixos-rss-test..."
            frame = dst + src + b"\x08\x00" + ipv4("198.18.0.1", "198.18.0.2", 17, udp)
        else:
            sys.exit("unknown kind %r" % kind)
        s.send(frame)
    s.close()


if __name__ == "__main__":
    main()
