#!/usr/bin/env python3
"""Raw management-protocol messages for the security tests (docs/mgmt-protocol.md): builds
requests (header, text payload, HMAC-SHA256 tag) and sends them, broken in chosen ways, to
the guest's UDP port; prints a JSON summary of what came back.

Usage: mgmt_client.py HOST KEYHEX MODE [N]
MODE: ok | replay | flip | truncated | oversized | version | version1 | wrongkey | garbage N
      | snapshots N (N rounds of two stats answers fetched with their parts interleaved)
      | gone (a part of a snapshot the target does not keep)
"""
import hashlib
import hmac
import json
import os
import random
import re
import socket
import struct
import sys
import time

PORT = 7070
VERSION = 2
# magic version type command status flags part len seq snapshot
HDR = struct.Struct("<4sBBHHHHHQI")
HDR_V1 = struct.Struct("<4sBBHHHHHQ")  # version 1 had no snapshot field
PING, STATS = 1, 3
MORE = 1
SNAPSHOT_GONE = 13
RECORD = re.compile(rb"^[a-z0-9_]{1,32}( [a-z0-9_]{1,32}=[!-~]*)*$")


def request(key, seq, command=PING, payload=b"", version=VERSION, part=0, snap=0):
    if version == 1:
        h = HDR_V1.pack(b"IXMG", version, 1, command, 0, 0, part, len(payload), seq)
    else:
        h = HDR.pack(b"IXMG", version, 1, command, 0, 0, part, len(payload), seq, snap)
    return h + payload + hmac.new(key, h + payload, hashlib.sha256).digest()


def parse(msg, key=None):
    """(status, flags, seq, payload, part, snapshot, version) of a response, or None if it is
    not one (or, given the key, if its tag is wrong). Version 1 answers (bad_version from the
    target to a version 1 request) are read in their own layout."""
    if len(msg) >= HDR_V1.size + 32 and msg[4] == 1:
        magic, ver, typ, cmd, status, flags, part, n, seq = HDR_V1.unpack_from(msg)
        snap, size = 0, HDR_V1.size
    elif len(msg) >= HDR.size + 32:
        magic, ver, typ, cmd, status, flags, part, n, seq, snap = HDR.unpack_from(msg)
        size = HDR.size
    else:
        return None
    if magic != b"IXMG" or typ != 2 or len(msg) != size + n + 32:
        return None
    if key is not None and not flags & 2 and \
            hmac.new(key, msg[:size + n], hashlib.sha256).digest() != msg[size + n:]:
        return None
    return status, flags, seq, msg[size:size + n], part, snap, ver


def exchange(sock, host, msg, wait=0.5, key=None, seq=None):
    """Sends msg, returns the parsed answer (with key and seq: only an authentic answer to
    that seq; others are skipped) or None after wait seconds."""
    sock.sendto(msg, (host, PORT))
    deadline = time.monotonic() + wait
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(4096)
        except socket.timeout:
            return None
        r = parse(data, key)
        if r is not None and (seq is None or r[2] == seq):
            return r


def interleaved_stats(sock, host, key, seq):
    """Two stats answers fetched at once, their parts interleaved (A0 B0 A1 B1 ...). Returns
    a summary per answer: snapshot ids seen, parts, statuses, and whether its text parses."""
    got = [{"snaps": [], "parts": 0, "statuses": [], "text": b"", "more": True}
           for _ in range(2)]
    for part in range(64):
        for a in got:
            if not a["more"]:
                continue
            seq[0] += 1
            snap = a["snaps"][0] if a["snaps"] else 0
            r = exchange(sock, host, request(key, seq[0], STATS, part=part, snap=snap),
                         wait=2.0, key=key, seq=seq[0])
            if r is None:
                a["statuses"].append(None)
                a["more"] = False
                continue
            status, flags, _, payload, rpart, rsnap, _ = r
            a["statuses"].append(status)
            if status != 0 or rpart != part:
                a["more"] = False
                continue
            a["snaps"].append(rsnap)
            a["parts"] += 1
            a["text"] += payload
            a["more"] = bool(flags & MORE)
        if not got[0]["more"] and not got[1]["more"]:
            break
    for a in got:
        lines = [l for l in a.pop("text").split(b"\n") if l]
        a.pop("more")
        a["records_ok"] = bool(lines) and all(RECORD.match(l) for l in lines)
        a["dp_cores"] = sorted(int(re.search(rb" core=(\d+)", l).group(1))
                               for l in lines if l.startswith(b"dp "))
        a["mgmt_records"] = sum(1 for l in lines if l.startswith(b"mgmt "))
    return got


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
        r = exchange(s, host, request(key, seq, version=VERSION + 1))
        out["status"] = r[0] if r else None
        out["version"] = r[6] if r else None
    elif mode == "version1":  # an old client: a version 1 request, 56 bytes
        r = exchange(s, host, request(key, seq, version=1))
        out["status"] = r[0] if r else None
        out["version"] = r[6] if r else None
        out["unauth"] = bool(r and r[1] & 2)
    elif mode == "snapshots":
        counter = [seq]
        out["rounds"] = []
        for _ in range(n):
            out["rounds"].append(interleaved_stats(s, host, key, counter))
    elif mode == "gone":
        r = exchange(s, host, request(key, seq, STATS, part=1, snap=1), wait=2.0, key=key,
                     seq=seq)
        out["status"] = r[0] if r else None
        out["snap"] = r[5] if r else None
        out["payload"] = r[3].decode() if r else None
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
            if i % 100 == 99 or i == n - 1:
                # A barrier: the target answers in order, so once this ping is answered every
                # datagram before it has been taken and judged. At most 100 are in flight, less
                # than the management port's receive ring holds, so none can be lost on the way
                # and every one of them must be counted.
                for _ in range(10):
                    seq += 1
                    if exchange(s, host, request(key, seq), wait=2.0, key=key, seq=seq):
                        out["barriers"] = out.get("barriers", 0) + 1
                        break
                else:
                    out["barrier_lost"] = i + 1
                    break
        out["sent"] = n
    print(json.dumps(out))


if __name__ == "__main__":
    main()
