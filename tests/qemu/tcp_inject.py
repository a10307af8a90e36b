#!/usr/bin/env python3
"""Injects hostile TCP segments into a live echo connection, then checks the connection still
echoes exactly what the real client sent. Run inside a test namespace.

The client connects with the host's own TCP to GUEST:7 and sends a first block; a packet
socket on the tap learns the connection's sequence numbers; then it injects, with the
connection's own addresses and ports: an RST far outside the window (RFC 5961: must not
reset), a segment repeating old data that overlaps the window's left edge, a zero-window-
style 1-byte probe of old data, and a data segment with a wrong TCP checksum. Finally the
client sends a second block and checks that the echo is both blocks, once, in order.
Prints one JSON line; exit 0 when the connection survived intact.
Usage: tcp_inject.py TAP GUEST
"""
import json
import socket
import struct
import sys
import time

from pkt import csum, ipv4


def tcp_frame(eth, src, dst, sport, dport, seq, ack, flags, payload=b"", bad_csum=False):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                      flags, 65535, 0, 0) + payload
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(tcp))
    c = csum(pseudo + tcp) ^ (0x5A5A if bad_csum else 0)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    return eth + b"\x08\x00" + ipv4(src, dst, 6, tcp, ident=4242)


def recv_exact(s, n, deadline):
    out = b""
    while len(out) < n and time.monotonic() < deadline:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            b = s.recv(n - len(out))
        except socket.timeout:
            break
        if not b:
            break
        out += b
    return out


def main():
    tap, guest = sys.argv[1], sys.argv[2]
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sniff.bind((tap, 0))
    sniff.settimeout(0.2)
    deadline = time.monotonic() + 60
    c = socket.create_connection((guest, 7), timeout=10)
    sport = c.getsockname()[1]
    first, second = b"A" * 300, b"C" * 1000
    c.sendall(first)
    got = recv_exact(c, len(first), deadline)
    # The last segment the host sent on this connection gives its MACs and sequence numbers.
    last = None
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        try:
            f = sniff.recv(65536)
        except socket.timeout:
            continue
        if len(f) >= 54 and f[12:14] == b"\x08\x00" and f[23] == 6:
            ihl = (f[14] & 15) * 4
            sp, dp, seq, ack = struct.unpack("!HHII", f[14 + ihl:14 + ihl + 12])
            if sp == sport and dp == 7:
                tot = struct.unpack("!H", f[16:18])[0]
                doff = (f[14 + ihl + 12] >> 4) * 4
                last = (f[:12], f[26:30], f[30:34], seq + tot - ihl - doff, ack)
    result = {"first_echo_ok": got == first, "injected": []}
    if not last:
        result["error"] = "never saw the connection's segments on %s" % tap
        print(json.dumps(result))
        return 1
    eth, src, dst, nxt, ack = last
    send = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    send.bind((tap, 0))
    ACK, PSH, RST = 0x10, 0x08, 0x04
    inject = [
        ("rst_out_of_window", dict(seq=nxt + 10000000, flags=RST | ACK)),
        ("overlapping_old_data", dict(seq=nxt - 200, flags=PSH | ACK, payload=first[:200])),
        ("zero_window_probe", dict(seq=nxt - 1, flags=ACK, payload=first[-1:])),
        ("bad_checksum_data", dict(seq=nxt, flags=PSH | ACK, payload=b"X" * 100, bad=True)),
    ]
    for name, k in inject:
        send.send(tcp_frame(eth, src, dst, sport, 7, k["seq"], ack, k["flags"],
                            k.get("payload", b""), k.get("bad", False)))
        result["injected"].append(name)
        time.sleep(0.05)
    c.sendall(second)
    got2 = recv_exact(c, len(second), deadline)
    c.settimeout(1.0)
    try:
        extra = c.recv(65536)  # anything more would be injected data echoed
    except socket.timeout:
        extra = b""
    result.update(second_echo_ok=got2 == second, extra_bytes=len(extra))
    ok = result["first_echo_ok"] and result["second_echo_ok"] and not extra
    result["ok"] = ok
    print(json.dumps(result))
    c.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
