#!/usr/bin/env python3
"""Raw management-protocol messages for the security tests (docs/mgmt-protocol.md): builds
requests (header, text payload, HMAC-SHA256 tag) and sends them, broken in chosen ways, to
the guest's UDP port; prints a JSON summary of what came back.

Usage: mgmt_client.py HOST KEYHEX MODE [N]
MODE: ok | replay | flip | truncated | oversized | version | wrongkey | garbage N
"""
import hashlib
import hmac
import json
import os
import random
import socket
import struct
import sys
import time

PORT = 7070
HDR = struct.Struct("<4sBBHHHHHQ")  # magic version type command status flags part len seq
PING = 1


def request(key, seq, command=PING, payload=b"", version=1, part=0):
    h = HDR.pack(b"IXMG", version, 1, command, 0, 0, part, len(payload), seq)
    return h + payload + hmac.new(key, h + payload, hashlib.sha256).digest()


def parse(msg):
    """(status, flags, seq, payload) of a response, or None if it is not one."""
    if len(msg) < HDR.size + 32:
        return None
    magic, ver, typ, cmd, status, flags, part, n, seq = HDR.unpack_from(msg)
    if magic != b"IXMG" or typ != 2:
        return None
    return status, flags, seq, msg[HDR.size:HDR.size + n]


def exchange(sock, host, msg, wait=0.5):
    sock.sendto(msg, (host, PORT))
    sock.settimeout(wait)
    try:
        data, _ = sock.recvfrom(4096)
        return parse(data)
    except socket.timeout:
        return None


def main():
    host, key, mode = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    seq = int(time.time() * 1e6)
    out = {"mode": mode}
    if mode == "ok":
        r = exchange(s, host, request(key, seq))
        out["status"] = r[0] if r else None
    elif mode == "replay":
        msg = request(key, seq)
        first, again = exchange(s, host, msg), exchange(s, host, msg)
        out["first"] = first[0] if first else None
        out["again"] = again[0] if again else None
        out["again_unauth"] = bool(again and again[1] & 2)
    elif mode == "flip":
        msg = bytearray(request(key, seq, payload=b"arg lines=5\n", command=4))
        statuses = []
        for i in range(0, len(msg), 7):  # a flipped bit in header, payload or tag
            bad = bytearray(msg)
            bad[i] ^= 0x10
            r = exchange(s, host, bytes(bad), wait=0.3)
            statuses.append(r[0] if r else None)
        out["statuses"] = statuses
    elif mode == "truncated":
        msg = request(key, seq)
        out["replies"] = sum(1 for k in range(1, len(msg), 3)
                             if exchange(s, host, msg[:k], wait=0.1))
        out["tried"] = len(range(1, len(msg), 3))
    elif mode == "oversized":
        big = request(key, seq) + bytes(1420 - 56)
        r = exchange(s, host, big)
        out["status"] = r[0] if r else None
    elif mode == "version":
        r = exchange(s, host, request(key, seq, version=2))
        out["status"] = r[0] if r else None
    elif mode == "wrongkey":
        r = exchange(s, host, request(bytes(32), seq))
        out["status"] = r[0] if r else None
    elif mode == "garbage":
        rng = random.Random(7)
        for i in range(n):
            size = rng.choice([0, 1, 23, 24, 55, 56, 57, 100, 700, 1399, 1400, 1401, 1450])
            data = bytes(rng.getrandbits(8) for _ in range(size))
            if i % 3 == 0 and size >= 4:
                data = b"IXMG" + data[4:]  # past the magic check, into the parser
            s.sendto(data, (host, PORT))
            if i % 200 == 0:
                time.sleep(0.01)  # bounded rate
        out["sent"] = n
    print(json.dumps(out))


if __name__ == "__main__":
    main()
