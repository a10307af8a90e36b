#!/usr/bin/env python3
"""Echo (RFC 862) client for the QEMU tests; runs inside a test namespace. Stdlib only.

  echo_client.py tcp --bytes N --conns C [--seed S]   C concurrent connections, N bytes in all
  echo_client.py udp --count N --size B               N numbered datagrams of B bytes
Common: --host (198.18.0.2) --port (7) --timeout (global, seconds).
Prints one JSON line with the outcome; exits 0 only if it is good. Nothing runs unbounded.
"""
import argparse
import asyncio
import hashlib
import json
import os
import random
import resource
import socket
import sys
import time

CHUNK = 16384


def payload(rng, n):
    return rng.randbytes(n) if rng else os.urandom(n)


class Conn:
    def __init__(self, i, data):
        self.i, self.data, self.sent, self.got = i, data, 0, 0
        self.sha = hashlib.sha256()
        self.writer = None
        self.guest_closed = False

    def where(self):
        return "conn %d (%d bytes): sent %d, received %d" % (self.i, len(self.data), self.sent,
                                                             self.got)


async def connect(c, host, port, opts, gate):
    async with gate:  # bounds the SYNs in flight, not the connections held open
        r, c.writer = await asyncio.wait_for(asyncio.open_connection(host, port),
                                             opts.connect_timeout)
    return r


async def exchange(c, r, opts):
    """Sends c.data while reading the echo concurrently; checks length and SHA-256."""
    async def send():
        for off in range(0, len(c.data), CHUNK):
            c.writer.write(c.data[off:off + CHUNK])
            await asyncio.wait_for(c.writer.drain(), opts.read_timeout)
            c.sent = min(off + CHUNK, len(c.data))

    async def recv():
        while c.got < len(c.data):
            b = await asyncio.wait_for(r.read(min(65536, len(c.data) - c.got)),
                                       opts.read_timeout)
            if not b:
                raise ConnectionError("guest closed the connection early")
            c.sha.update(b)
            c.got += len(b)

    tasks = [asyncio.ensure_future(send()), asyncio.ensure_future(recv())]
    try:
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
    if c.sha.digest() != hashlib.sha256(c.data).digest():
        raise ValueError("echoed bytes differ from the bytes sent")
    # Half-close: nothing more may come back; a guest that answers our FIN closes too.
    try:
        c.writer.write_eof()
        extra = await asyncio.wait_for(r.read(65536), 5)
    except OSError:  # includes the timeout: how the guest closes is not judged here
        return
    if extra:
        raise ValueError("%d bytes more than were sent" % len(extra))
    c.guest_closed = True


async def one(c, host, port, opts, gate, all_connected, pending):
    try:
        try:
            r = await connect(c, host, port, opts, gate)
        finally:
            pending[0] -= 1
            if pending[0] == 0:
                all_connected.set()
        await all_connected.wait()  # every connection is open at once before data flows
        await exchange(c, r, opts)
        return None
    except asyncio.TimeoutError:
        return "%s: %s" % (c.where(), "timed out" if c.writer else "connect timed out")
    except Exception as e:
        return "%s: %s" % (c.where(), str(e) or type(e).__name__)
    finally:
        if c.writer:
            c.writer.close()


async def tcp_main(opts, conns):
    gate = asyncio.Semaphore(opts.connect_parallel)
    all_connected = asyncio.Event()
    pending = [len(conns)]
    tasks = [asyncio.ensure_future(one(c, opts.host, opts.port, opts, gate, all_connected,
                                       pending)) for c in conns]
    done, late = await asyncio.wait(tasks, timeout=opts.timeout)
    for t in late:
        t.cancel()
    errors = [t.result() for t in tasks if t in done and t.result()]
    errors += ["%s: unfinished at the global timeout" % c.where()
               for c, t in zip(conns, tasks) if t in late]
    return errors


def tcp(opts):
    if opts.conns < 1 or opts.bytes < opts.conns:
        sys.exit("need at least one byte per connection")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < opts.conns + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, opts.conns + 1024), hard))
    rng = random.Random(opts.seed) if opts.seed is not None else None
    base, rest = divmod(opts.bytes, opts.conns)
    conns = [Conn(i, payload(rng, base + (i < rest))) for i in range(opts.conns)]
    start = time.monotonic()
    errors = asyncio.run(tcp_main(opts, conns))
    return {"conns": opts.conns, "bytes": opts.bytes, "ok": not errors,
            "closed_by_guest": sum(c.guest_closed for c in conns),
            "errors": errors[:20] + (["... and %d more" % (len(errors) - 20)]
                                     if len(errors) > 20 else []),
            "seconds": round(time.monotonic() - start, 3)}


def udp(opts):
    """Keeps up to --window datagrams in flight; a datagram not back after 2 s counts as lost
    (a late echo still counts as received)."""
    if opts.size < 8:
        sys.exit("--size must be at least 8 (the sequence number)")
    rng = random.Random(opts.seed) if opts.seed is not None else None
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((opts.host, opts.port))
    sent, inflight, got = {}, {}, set()
    mismatched = duplicates = refused = 0
    start = time.monotonic()
    deadline = start + opts.timeout
    while (len(sent) < opts.count or inflight) and time.monotonic() < deadline:
        while len(sent) < opts.count and len(inflight) < opts.window:
            seq = len(sent)
            sent[seq] = seq.to_bytes(8, "big") + payload(rng, opts.size - 8)
            inflight[seq] = time.monotonic()
            try:
                s.send(sent[seq])
            except ConnectionRefusedError:  # an earlier datagram's ICMP port unreachable
                refused += 1
        s.settimeout(0.2)
        try:
            b = s.recv(65536)
            seq = int.from_bytes(b[:8], "big")
            if sent.get(seq) != b:
                mismatched += 1
            elif seq in got:
                duplicates += 1
            else:
                got.add(seq)
                inflight.pop(seq, None)
        except socket.timeout:
            pass
        except ConnectionRefusedError:  # ICMP port unreachable
            refused += 1
        now = time.monotonic()
        for seq in [q for q, t in inflight.items() if now - t > 2]:
            del inflight[seq]
    s.close()
    errors = []
    if refused:
        errors.append("%d ICMP port unreachable" % refused)
    if time.monotonic() >= deadline:
        errors.append("global timeout with %d of %d sent" % (len(sent), opts.count))
    ok = len(got) >= 0.95 * opts.count and not mismatched and len(sent) == opts.count
    return {"sent": len(sent), "received": len(got), "mismatched": mismatched,
            "duplicates": duplicates, "ok": ok, "errors": errors,
            "seconds": round(time.monotonic() - start, 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("tcp", "udp"))
    ap.add_argument("--host", default="198.18.0.2")
    ap.add_argument("--port", type=int, default=7)
    ap.add_argument("--timeout", type=float, default=120, help="global, seconds")
    ap.add_argument("--seed", type=int, help="reproducible data instead of os.urandom")
    ap.add_argument("--bytes", type=int, default=1 << 20, help="tcp: total over all conns")
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--connect-timeout", type=float, default=30)
    ap.add_argument("--connect-parallel", type=int, default=64, help="tcp: SYNs in flight")
    ap.add_argument("--read-timeout", type=float, default=20)
    ap.add_argument("--count", type=int, default=100, help="udp: datagrams")
    ap.add_argument("--size", type=int, default=512, help="udp: bytes per datagram")
    ap.add_argument("--window", type=int, default=32, help="udp: datagrams in flight")
    opts = ap.parse_args()
    result = tcp(opts) if opts.mode == "tcp" else udp(opts)
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
