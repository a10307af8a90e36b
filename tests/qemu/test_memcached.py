"""QEMU end-to-end tests of memcached on ixos (issue 13): Debian's memcached 1.6.18 as an app
(build/apps/memcached, user/apps/memcached), one worker on every dataplane core of a 4-CPU
guest, answering clients in the test namespace: version, set/get, a multi-key get, sets and
gets over many connections that land on every core (a key set through one core is read back
through another: one shared cache), a 1 MB value, one over -I, a client that stops reading
next to the others, pipelined gets, an expiry, memcached's own statistics, and libmemcached's
memccapable (all of its ASCII and binary tests). Every test runs on igb and ixgbe."""
import json
import os

from qemu import BUILD, Machine, NetNS, TestFailure, direct_args
from test_net import boot, per_nic_into, stats_until, total

TESTS = []
# As test_tcp: apps get 200 ms before the time budget stops them (TCG can deschedule a vCPU).
GUEST = "ip=198.18.0.2/24 gw=198.18.0.1 stats_interval=1 app_budget_us=200000"
PORT = 11211
MEMCACHED_APP = [(os.path.join(BUILD, "apps", "memcached"), "-m 64 -p %d" % PORT)]


def per_nic(fn):
    return per_nic_into(TESTS, fn)


def up(m):
    """Waits for the guest and memcached listening on every dataplane core."""
    boot(m)
    got = m.expect(r"app memcached: started, (\d+) threads?")
    for _ in range(int(got.group(1))):
        m.expect(r"app memcached: listening on TCP port %d on cpu \d+" % PORT)
    return int(got.group(1))


# The client, run in the namespace: one JSON line, {"ok": bool, ...}.
CLIENT = r"""
import json, socket, sys, time
host, port, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = {"ok": False}

class Conn:
    def __init__(self):
        self.s = socket.create_connection((host, port), timeout=20)
        self.buf = b""
    def send(self, data):
        self.s.sendall(data)
    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed by memcached")
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l
    def exact(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed by memcached")
            self.buf += d
        r, self.buf = self.buf[:n], self.buf[n:]
        return r
    def set(self, k, v):
        self.send(b"set %s 5 0 %d\r\n%s\r\n" % (k, len(v), v))
        r = self.line()
        if r != b"STORED":
            raise ValueError("set %r: %r" % (k, r))
    def get(self, *keys):
        self.send(b"get " + b" ".join(keys) + b"\r\n")
        got = {}
        while True:
            l = self.line()
            if l == b"END":
                return got
            f = l.split()
            if f[0] != b"VALUE" or f[2] != b"5":
                raise ValueError("get: %r" % l)
            got[f[1]] = self.exact(int(f[3]))
            if self.exact(2) != b"\r\n":
                raise ValueError("get: value of %r not followed by CRLF" % f[1])
    def stats(self, what=b""):
        self.send(b"stats" + (b" " + what if what else b"") + b"\r\n")
        st = {}
        while True:
            l = self.line()
            if l == b"END":
                return st
            f = l.split(None, 2)
            st[f[1].decode()] = f[2].decode() if len(f) > 2 else ""
    def close(self):
        self.s.close()

try:
    c = Conn()
    c.send(b"version\r\n")
    out["version"] = c.line().decode()
    if not out["version"].startswith("VERSION 1.6.18"):
        raise ValueError("version: %r" % out["version"])
    few = {b"k%d" % i: b"value %d " % i * (i + 1) for i in range(5)}
    for k, v in few.items():
        c.set(k, v)
    for k, v in few.items():
        if c.get(k) != {k: v}:
            raise ValueError("get %r: %r" % (k, c.get(k)))
    if c.get(*few) != few:
        raise ValueError("multi-key get: %r" % c.get(*few))
    if c.get(b"missing") != {}:
        raise ValueError("a missing key was found")
    # 100 keys over `conns` connections; each key is read back through another connection
    # (most likely another core), so the cache is shared.
    pool = [Conn() for _ in range(conns)]
    keys = {b"spread:%03d" % i: (b"v%03d-" % i) * (1 + i % 7) for i in range(100)}
    for i, (k, v) in enumerate(keys.items()):
        pool[i % conns].set(k, v)
    for i, (k, v) in enumerate(keys.items()):
        if pool[(i + 1) % conns].get(k) != {k: v}:
            raise ValueError("key %r set on connection %d not read back on %d"
                             % (k, i % conns, (i + 1) % conns))
    # A value of nearly 1 MiB (hundreds of segments each way, more than a connection may
    # have unacknowledged), a value over -I refused with memcached's own error, 200 gets
    # pipelined in one send, and an expiry (memcached's clock runs from an event timer).
    big = bytes(range(256)) * 3906 + b"tail"
    c.set(b"big", big)
    if pool[0].get(b"big") != {b"big": big}:
        raise ValueError("the 1 MB value came back wrong")
    # A client that asks for 20 MB and reads none of it holds a bounded amount of memory and
    # stalls only itself: every other connection (on every core) is still served.
    stall = Conn()
    stall.send(b"get big\r\n" * 20)
    time.sleep(1)
    for i, p in enumerate(pool):
        k = b"spread:%03d" % i
        if p.get(k) != {k: keys[k]}:
            raise ValueError("connection %d not served next to a stalled reader" % i)
    c.send(b"set huge 0 0 %d\r\n%s\r\n" % (2 << 20, b"x" * (2 << 20)))
    r = c.line()
    if not r.startswith(b"SERVER_ERROR object too large"):
        raise ValueError("a 2 MiB value: %r" % r)
    c.send(b"get k1\r\n" * 200)
    want = (b"VALUE k1 5 %d" % len(few[b"k1"]), few[b"k1"] + b"\r\n", b"END")
    for i in range(200):
        if (c.line(), c.exact(len(few[b"k1"]) + 2), c.line()) != want:
            raise ValueError("pipelined get %d came back wrong" % i)
    c.send(b"set short 5 1 1\r\nx\r\n")
    if c.line() != b"STORED" or c.get(b"short") != {b"short": b"x"}:
        raise ValueError("set with an expiry failed")
    deadline = time.time() + 15  # memcached's clock ticks once a second; TCG may lag
    while c.get(b"short"):
        if time.time() > deadline:
            raise ValueError("an item with a 1 s expiry was still there after 15 s")
        time.sleep(0.5)
    st = c.stats()
    out["stats"] = {k: st.get(k) for k in ("curr_items", "total_items", "threads",
                                           "curr_connections", "total_connections",
                                           "get_hits", "cmd_set")}
    for what in (b"conns", b"slabs", b"items", b"sizes"):
        if not c.stats(what):
            raise ValueError("stats %s came back empty" % what.decode())
    ss = c.stats(b"settings")
    out["settings"] = {k: ss.get(k) for k in ("maxbytes", "num_threads", "lru_crawler",
                                              "lru_maintainer_thread", "slab_reassign",
                                              "hashpower_init")}
    for p in pool + [stall]:
        p.close()
    c.send(b"quit\r\n")
    out["ok"] = True
except Exception as e:
    out["error"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(out))
"""


def client(ns, conns, timeout=180):
    r = ns.sh("/usr/bin/python3", "-c", CLIENT, NetNS.GUEST_IP, str(PORT), str(conns),
              check=False, timeout=timeout)
    try:
        result = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        result = None
    if r.returncode != 0 or not result or not result.get("ok"):
        raise TestFailure("memcached client failed (exit %d): %s\nstderr: %s"
                          % (r.returncode, r.stdout.strip(), r.stderr.strip()[-2000:]))
    return result


@per_nic
def memcached_get_set_on_every_core(tmp, nic):
    with NetNS(nic=nic) as ns, Machine(direct_args(GUEST, MEMCACHED_APP), smp=4, mem="512M",
                                       netns=ns) as m:
        threads = up(m)
        since = m.mark()
        res = client(ns, conns=48)
        st, ss = res["stats"], res["settings"]
        if st["threads"] != str(threads) or ss["num_threads"] != str(threads):
            raise TestFailure("memcached runs %s workers (settings %s), not one per core (%d)"
                              % (st["threads"], ss["num_threads"], threads))
        if st["curr_items"] != "106":  # 5 + 100 + the big one (the short one expired)
            raise TestFailure("stats curr_items is %s, not the 106 keys set" % st["curr_items"])
        if int(st["total_connections"]) < 50:
            raise TestFailure("stats total_connections is %s, fewer than the 50 made"
                              % st["total_connections"])
        off = {k: ss[k] for k in ("lru_crawler", "lru_maintainer_thread", "slab_reassign")}
        if set(off.values()) != {"no"}:
            raise TestFailure("background work not shown as off in stats settings: %s" % off)

        def spread(cores, _):
            if len(cores) != threads:
                raise TestFailure("expected %d dataplane cores, stats show %s"
                                  % (threads, sorted(cores)))
            # 49 random client ports over 3 cores: every core gets some (odds of one getting
            # none are about (2/3)^49, 2e-9).
            idle = [c for c, v in cores.items() if v["tcp_accepted"] == 0]
            if idle:
                return "cores that accepted no connection: %s" % idle
            if total(cores, "tcp_accepted") < 49:
                return "only %d accepted connections counted" % total(cores, "tcp_accepted")
            return None

        stats_until(m, since, spread)
        m.absent(r"FATAL|error: |memcached cpu\d\] (Failed|Can't|Catastrophic)")


def memccapable(ns, mode):
    """Runs memccapable's ASCII (-a) or binary (-b) tests; returns (passed, failed) names."""
    r = ns.sh("memccapable", "-h", NetNS.GUEST_IP, "-p", str(PORT), "-t", "20", mode,
              check=False, timeout=600)
    passed = [l.split("[")[0].strip() for l in r.stdout.splitlines() if l.endswith("[pass]")]
    failed = [l.strip() for l in r.stdout.splitlines()
              if "[" in l and not l.endswith("[pass]") and not l.endswith("[skip]")]
    if r.returncode != 0 and not failed:
        failed = ["memccapable %s exited %d: %s %s" % (mode, r.returncode, r.stdout[-1000:],
                                                       r.stderr[-1000:])]
    return passed, failed


@per_nic
def memcached_memccapable(tmp, nic):
    """libmemcached's protocol conformance tests: 27 ASCII and 27 binary, all must pass."""
    with NetNS(nic=nic) as ns, Machine(direct_args(GUEST, MEMCACHED_APP), smp=4, mem="512M",
                                       netns=ns) as m:
        up(m)
        for mode, want in (("-a", 27), ("-b", 27)):
            passed, failed = memccapable(ns, mode)
            if failed or len(passed) < want:
                raise TestFailure("memccapable %s: %d passed, failed: %s"
                                  % (mode, len(passed), failed))
        m.absent(r"FATAL|error: ")
