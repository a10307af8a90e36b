"""QEMU end-to-end tests of memcached on ixos (issue 13): Debian's memcached 1.6.18 as an app
(build/apps/memcached, user/apps/memcached), one worker on every dataplane core of a 4-CPU
guest, answering clients in the test namespace: version, set/get, a multi-key get, sets and
gets over many connections that land on every core (a key set through one core is read back
through another: one shared cache), a 1 MB value, one over -I, a client that stops reading
next to the others, pipelined gets, an expiry, memcached's own statistics, and libmemcached's
memccapable (all of its ASCII and binary tests). Every test runs on igb and ixgbe."""
import json
import os
import subprocess
import threading
import time

from qemu import BUILD, Machine, NetNS, TestFailure, direct_args
from test_net import boot, per_nic_into, stats_until, total
from test_tcp import stats_now

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
    # memcached stopped producing for it (EAGAIN on its own write path) but lost nothing:
    # once it reads, all 20 values come, whole and in order.
    for i in range(20):
        l = stall.line()
        if l != b"VALUE big 5 %d" % len(big) or stall.exact(len(big) + 2) != big + b"\r\n" \
                or stall.line() != b"END":
            raise ValueError("the stalled reader's value %d came back wrong: %r" % (i, l[:80]))
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


# A mixed get/set load, run in the namespace while flow groups move: `conns` connections,
# one thread each, each with its own 8 keys. Every reply is checked as it comes: a SET must
# say STORED, a GET must return the value that connection last stored for that key (or a miss
# before its first set). A lost reply stalls that connection (its timeout fails the run), a
# duplicated or reordered one is the wrong reply to the next request. Values (16 B to 24 KiB)
# carry the connection, key and a sequence number, so no two are alike. It runs until the
# file argv[5] exists (or argv[4] seconds), then reads every key back through fresh
# connections: every acknowledged SET is there with its value. One JSON line.
MIXED = r"""
import json, os, random, socket, sys, threading, time
host, port, conns, limit, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4]), sys.argv[5]
out = {"ok": False, "ops": 0, "sets": 0, "gets": 0, "errors": []}
lock = threading.Lock()
last = {}

def recv_line(s, buf):
    while b"\r\n" not in buf[0]:
        d = s.recv(65536)
        if not d:
            raise EOFError("connection closed by memcached")
        buf[0] += d
    l, buf[0] = buf[0].split(b"\r\n", 1)
    return l

def recv_exact(s, buf, n):
    while len(buf[0]) < n:
        d = s.recv(65536)
        if not d:
            raise EOFError("connection closed by memcached")
        buf[0] += d
    r, buf[0] = buf[0][:n], buf[0][n:]
    return r

def get(s, buf, k):
    s.sendall(b"get %s\r\n" % k)
    l = recv_line(s, buf)
    if l == b"END":
        return None
    f = l.split()
    if len(f) != 4 or f[0] != b"VALUE" or f[1] != k:
        raise ValueError("get %r: %r" % (k, l))
    v = recv_exact(s, buf, int(f[3]))
    if recv_exact(s, buf, 2) != b"\r\n" or recv_line(s, buf) != b"END":
        raise ValueError("get %r: no CRLF END after the value" % k)
    return v

def worker(i):
    rnd = random.Random(i)
    mine = {}
    try:
        s = socket.create_connection((host, port), timeout=30)
        buf = [b""]
        n = 0
        while not os.path.exists(stop) and time.time() < t_end:
            k = b"mv:%02d:%d" % (i, rnd.randrange(8))
            if rnd.random() < 0.5:
                n += 1
                size = rnd.choice((16, 100, 1000, 6000, 24000))
                head = b"%d.%s.%d." % (i, k, n)
                v = (head * (size // len(head) + 1))[:size]
                s.sendall(b"set %s 0 0 %d\r\n%s\r\n" % (k, len(v), v))
                r = recv_line(s, buf)
                if r != b"STORED":
                    raise ValueError("set %r: %r" % (k, r))
                mine[k] = v
                with lock:
                    out["sets"] += 1
            else:
                v = get(s, buf, k)
                if v != mine.get(k):
                    raise ValueError("get %r on connection %d: %r..., want %r..." % (
                        k, i, (v or b"")[:40], (mine.get(k) or b"")[:40]))
                with lock:
                    out["gets"] += 1
        s.sendall(b"quit\r\n")
        s.close()
    except Exception as e:
        with lock:
            out["errors"].append("connection %d: %s: %s" % (i, type(e).__name__, e))
    with lock:
        last.update(mine)

t_end = time.time() + limit
threads = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
try:
    s = socket.create_connection((host, port), timeout=30)
    buf = [b""]
    for k, v in sorted(last.items()):
        got = get(s, buf, k)
        if got != v:
            out["errors"].append("acknowledged set of %r not read back: %r..." % (
                k, (got or b"")[:40]))
    s.close()
except Exception as e:
    out["errors"].append("read-back: %s: %s" % (type(e).__name__, e))
out["ops"] = out["sets"] + out["gets"]
out["ok"] = not out["errors"] and out["sets"] > 0
print(json.dumps(out))
"""


def mixed_load(ns, conns, seconds, stop):
    r = ns.sh("/usr/bin/python3", "-c", MIXED, NetNS.GUEST_IP, str(PORT), str(conns),
              str(seconds), stop, check=False, timeout=seconds + 120)
    try:
        result = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        result = None
    if r.returncode != 0 or not result or not result.get("ok"):
        raise TestFailure("mixed load failed (exit %d): %s\nstderr: %s"
                          % (r.returncode, r.stdout.strip()[-3000:], r.stderr.strip()[-2000:]))
    return result


def moves_settled(m, before):
    """Every connection that left a core arrived at another; none lost or reset."""
    def settled(cores, _):
        if total(cores, "conns_lost"):
            raise TestFailure("%d connections lost in moves" % total(cores, "conns_lost"))
        exported, imported = total(cores, "conns_exported"), total(cores, "conns_imported")
        if exported == 0:
            raise TestFailure("no connection moved: %s" % cores)
        if exported != imported:
            return "%d connections left a core, %d arrived at one" % (exported, imported)
        return None

    cores, _ = stats_until(m, m.mark(), settled)
    resets = total(cores, "tcp_rst_nopcb") - total(before, "tcp_rst_nopcb")
    if resets:
        raise TestFailure("%d segments reached a core without their connection" % resets)
    return total(cores, "conns_exported")


@per_nic
def memcached_connections_follow_flow_group_moves(tmp, nic):
    """32 connections of mixed gets and sets while migrate_test=5 moves 16 flow groups every
    5 ms: each connection moves many times, often between a request and its reply."""
    with NetNS(nic=nic) as ns, Machine(direct_args(GUEST + " migrate_test=5", MEMCACHED_APP),
                                       smp=4, mem="512M", netns=ns) as m:
        up(m)
        before, _ = stats_now(m)
        res = mixed_load(ns, 32, 25, os.path.join(tmp, "stop"))
        moved = moves_settled(m, before)
        print("mixed load: %d sets, %d gets; %d connection moves" % (res["sets"], res["gets"],
                                                                     moved))
        m.absent(r"FATAL|error: |memcached cpu\d\] (Failed|Can't|Catastrophic)")


MGMT_KEY = "5b2e9d41c07a8f36e1d4b90a7c3f5e2819d6a0b4c8e7f1a3d5b9c2e4f6a8b0d1"


def ixmgr(ns, *args):
    env = dict(os.environ, IXMGR_KEY=MGMT_KEY)
    cmd = ["ip", "netns", "exec", ns.name, os.path.join(BUILD, "ixmgr"), "-t",
           "udp:%s" % NetNS.MGMT_GUEST_IP, "--json"] + [str(a) for a in args]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    if r.returncode != 0:
        raise TestFailure("ixmgr %s: exit %d\n%s%s" % (" ".join(map(str, args)), r.returncode,
                                                      r.stdout[-2000:], r.stderr[-2000:]))
    return json.loads(r.stdout)


def core_groups(ns):
    return {c["id"]: c.get("flow_groups", 0) for c in ixmgr(ns, "core", "show")["core"]}


@per_nic
def memcached_core_set_3_1_3_under_load(tmp, nic):
    """`ixmgr core set 3 -> 1 -> 3` during the mixed load, over a dataplane link that loses 2%
    of frames and reorders 2% (tests/qemu/lossy_link.py): every connection is moved to core 1
    and back (their memcached conns with them), every acknowledged SET is readable afterwards
    and every GET returns the value last stored."""
    cmdline = GUEST + " mgmt_ip=198.19.0.2/24 mgmt_key=" + MGMT_KEY
    stop = os.path.join(tmp, "stop")
    with NetNS(nic=nic, mgmt=True, loss=2, reorder=2) as ns, Machine(direct_args(cmdline, MEMCACHED_APP), smp=4,
                                                  mem="512M", netns=ns) as m:
        up(m)
        before, _ = stats_now(m)
        result = {}

        def load():
            try:
                result["r"] = mixed_load(ns, 32, 180, stop)
            except TestFailure as e:
                result["e"] = e

        t = threading.Thread(target=load)
        t.start()
        try:
            time.sleep(5)
            for n, want in ((1, {1: 128}), (3, None)):
                ixmgr(ns, "core", "set", n)
                groups = core_groups(ns)
                if want and {k: v for k, v in groups.items() if v} != want:
                    raise TestFailure("after core set %d the flow groups are %s" % (n, groups))
                time.sleep(8)  # the load goes on through these cores
        finally:
            open(stop, "w").close()
            t.join(timeout=300)
        if "e" in result:
            raise result["e"]
        moved = moves_settled(m, before)
        res = result["r"]
        print("mixed load: %d sets, %d gets; %d connection moves" % (res["sets"], res["gets"],
                                                                     moved))
        m.absent(r"FATAL|error: |memcached cpu\d\] (Failed|Can't|Catastrophic)")


# A few commands over one connection each, in the namespace: argv[3] is a JSON list of
# [connection index, request, expected reply prefix or null]; prints the replies as JSON.
STEPS = r"""
import json, socket, sys, time
host, port, steps = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
conns, out = {}, []
for i, req, want in steps:
    if i not in conns:
        conns[i] = socket.create_connection((host, port), timeout=20)
    s = conns[i]
    s.sendall(req.encode())
    buf = b""
    while not (buf.endswith(b"END\r\n") or buf.endswith(b"STORED\r\n") or
               buf.endswith(b"ERROR\r\n") or buf.startswith(b"VERSION") and buf.endswith(b"\r\n")):
        d = s.recv(65536)
        if not d:
            break
        buf += d
    out.append(buf.decode(errors="replace"))
    if want is not None and not buf.decode(errors="replace").startswith(want):
        print(json.dumps({"ok": False, "step": [i, req], "got": out[-1]}))
        sys.exit(0)
print(json.dumps({"ok": True, "replies": out}))
"""


def steps(ns, seq, timeout=60):
    r = ns.sh("/usr/bin/python3", "-c", STEPS, NetNS.GUEST_IP, str(PORT), json.dumps(seq),
              check=False, timeout=timeout)
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        res = None
    if not res or not res["ok"]:
        raise TestFailure("memcached steps failed: %s %s" % (r.stdout[-2000:], r.stderr[-2000:]))
    return res["replies"]


@per_nic
def memcached_fault_is_reported_and_app_restart_empties_the_cache(tmp, nic):
    """The module's test hook makes memcached fault on its third connection: the kernel stops
    every thread of it and reports it; `ixmgr app restart` brings memcached back, serving,
    with an empty cache."""
    cmdline = GUEST + " mgmt_ip=198.19.0.2/24 mgmt_key=" + MGMT_KEY
    app = [(MEMCACHED_APP[0][0], MEMCACHED_APP[0][1] + " --ixos-fault-after-conns=3")]
    with NetNS(nic=nic, mgmt=True) as ns, Machine(direct_args(cmdline, app), smp=4,
                                                  mem="512M", netns=ns) as m:
        threads = up(m)
        steps(ns, [[0, "set before 0 0 3\r\nold\r\n", "STORED"],
                   [1, "get before\r\n", "VALUE before 0 3"]])
        ns.sh("/usr/bin/python3", "-c", "import socket; socket.create_connection(('%s', %d), "
              "timeout=5)" % (NetNS.GUEST_IP, PORT), check=False)
        m.expect(r"error: app memcached: #PF page fault .* app stopped")
        for _ in range(threads):  # every core let go of it (its connections reset there)
            m.expect(r"dataplane: cpu\d: RX ring reset")
        state = ixmgr(ns, "app", "list")["app"]
        state = state[0] if isinstance(state, list) else state
        if state.get("state") != "faulted":
            raise TestFailure("app list after the fault: %s" % state)
        ixmgr(ns, "app", "restart")
        up_again = m.expect(r"app memcached: started, (\d+) threads?")
        for _ in range(int(up_again.group(1))):
            m.expect(r"app memcached: listening on TCP port %d on cpu \d+" % PORT)
        r = steps(ns, [[0, "get before\r\n", "END"],
                       [0, "set after 0 0 3\r\nnew\r\n", "STORED"],
                       [1, "get after before\r\n", "VALUE after 0 3\r\nnew\r\nEND"]])
        print("after the restart: %r" % r)


# 24 connections, each asks memcached to quit: memcached closes first, so each connection
# waits out TIME_WAIT on the core that served it.
QUITTERS = r"""
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
for i in range(24):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"version\r\nquit\r\n")
    got = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
    if not got.startswith(b"VERSION"):
        sys.exit("connection %d: %r" % (i, got))
    s.close()
print("ok")
"""


@per_nic
def memcached_restarts_while_its_connections_wait_in_time_wait(tmp, nic):
    """Connections memcached closed first sit in TIME_WAIT on every core when `ixmgr app
    restart` runs: each core's new listener still gets the port (SOF_REUSEADDR, as on Linux);
    before, the listen failed on a core holding one, which then served nothing. The new app's
    heap is on 2 MiB pages (`ixmgr status`), the old one's freed."""
    cmdline = GUEST + " mgmt_ip=198.19.0.2/24 mgmt_key=" + MGMT_KEY
    with NetNS(nic=nic, mgmt=True) as ns, Machine(direct_args(cmdline, MEMCACHED_APP), smp=4,
                                                  mem="512M", netns=ns) as m:
        up(m)
        r = ns.sh("/usr/bin/python3", "-c", QUITTERS, NetNS.GUEST_IP, str(PORT), check=False,
                  timeout=120)
        if r.returncode != 0:
            raise TestFailure("quitting clients: %s %s" % (r.stdout, r.stderr[-1000:]))
        since = m.mark()
        ixmgr(ns, "app", "restart")
        m.pos = since
        up_again = m.expect(r"app memcached: started, (\d+) threads?")
        for _ in range(int(up_again.group(1))):
            m.expect(r"app memcached: listening on TCP port %d on cpu \d+" % PORT)
        client(ns, 24)  # connections land on every core again, each one served
        # The restarted app's heap (-m 64 and more, grown in one step) is in 2 MiB pages,
        # the first app's freed whole.
        app = ixmgr(ns, "status")["app"]
        app = app[-1] if isinstance(app, list) else app
        if app.get("heap_bytes", 0) < 64 << 20 or \
                app.get("heap_large_page_bytes", 0) < app["heap_bytes"] - (8 << 20):
            raise TestFailure("after the restart the heap is not in 2 MiB pages: %s" % app)
        m.pos = since
        m.expect(r"app memcached: heap grown to \d+ MiB, \d+ MiB of it in 2 MiB pages")
        m.absent(r"FATAL|error: ")


@per_nic
def memcached_evicts_within_its_memory_limit(tmp, nic):
    """-m 16 and 40 MB of values: memcached evicts (stats evictions > 0) and every GET returns
    the value stored for that key or a miss, never another one."""
    app = [(MEMCACHED_APP[0][0], "-m 16 -p %d" % PORT)]
    with NetNS(nic=nic) as ns, Machine(direct_args(GUEST, app), smp=4, mem="512M",
                                       netns=ns) as m:
        up(m)
        code = r"""
import json, socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
f = s.makefile("rb")
def val(i):
    head = b"value %d " % i
    return (head * (40000 // len(head) + 1))[:40000]
for i in range(1000):
    s.sendall(b"set ev:%d 0 0 40000\r\n%s\r\n" % (i, val(i)))
    r = f.readline()
    if r != b"STORED\r\n":
        print(json.dumps({"ok": False, "why": "set %d: %r" % (i, r)})); sys.exit(0)
hits = 0
for i in range(1000):
    s.sendall(b"get ev:%d\r\n" % i)
    l = f.readline()
    if l == b"END\r\n":
        continue
    if l != b"VALUE ev:%d 0 40000\r\n" % i or f.read(40002) != val(i) + b"\r\n" \
            or f.readline() != b"END\r\n":
        print(json.dumps({"ok": False, "why": "get %d: %r" % (i, l)})); sys.exit(0)
    hits += 1
s.sendall(b"stats\r\n")
st = {}
while True:
    l = f.readline().split()
    if l == [b"END"]:
        break
    st[l[1].decode()] = l[2].decode()
print(json.dumps({"ok": True, "hits": hits, "evictions": int(st["evictions"]),
                  "limit_maxbytes": int(st["limit_maxbytes"])}))
"""
        r = ns.sh("/usr/bin/python3", "-c", code, NetNS.GUEST_IP, str(PORT), timeout=300)
        res = json.loads(r.stdout.strip().splitlines()[-1])
        if not res["ok"]:
            raise TestFailure("eviction run: %s" % res["why"])
        if res["evictions"] == 0 or not 0 < res["hits"] < 1000:
            raise TestFailure("40 MB into -m 16: %s" % res)
        if res["limit_maxbytes"] != 16 << 20:
            raise TestFailure("stats limit_maxbytes %d, not -m 16" % res["limit_maxbytes"])
        print("40 MB into -m 16: %s" % res)
        m.absent(r"FATAL|error: ")


def memcached_memory_over_the_grant_fails_at_start(tmp):
    """-m 4096 on a 512 MiB guest: memcached says so at start and exits (71), instead of
    failing once the cache fills."""
    app = [(MEMCACHED_APP[0][0], "-m 4096 -p %d" % PORT)]
    with NetNS(nic="igb") as ns, Machine(direct_args(GUEST, app), smp=2, mem="512M",
                                         netns=ns) as m:
        boot(m)
        m.expect(r"memcached: -m 4096 needs \d+ MiB of memory in all .* start it with a "
                 r"smaller -m")
        m.expect(r"app memcached: exited with status 71")


TESTS.append(memcached_memory_over_the_grant_fails_at_start)
