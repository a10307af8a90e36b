"""memcached on ixos driven by real clients (issue 13): python3-pymemcache through every
classic command (gat, which pymemcache 3.5 lacks, raw), the meta commands over a raw socket, 200,000 SETs of random keys and
sizes over 64 connections (on every core) read back value for value, 1,000 concurrent
connections, and malformed or oversized commands answered with memcached's own errors while
the server keeps serving. Each test boots a 4-CPU guest (3 dataplane cores) on igb and ixgbe.

The clients run inside the test namespace as scripts (stdlib plus pymemcache); each prints
one JSON line, {"ok": bool, ...}, with what went wrong."""
import json
import os

from qemu import BUILD, Machine, NetNS, TestFailure, direct_args
from test_net import boot, per_nic_into, stats_until

TESTS = []
GUEST = "ip=198.18.0.2/24 gw=198.18.0.1 stats_interval=1 app_budget_us=200000"
PORT = 11211
HERE = os.path.dirname(os.path.abspath(__file__))


def per_nic(fn):
    return per_nic_into(TESTS, fn)


def guest(ns, args, mem="256M"):
    mods = [(os.path.join(BUILD, "apps", "memcached"), "%s -p %d" % (args, PORT))]
    return Machine(direct_args(GUEST, mods), smp=4, mem=mem, netns=ns)


def up(m):
    boot(m)
    got = m.expect(r"app memcached: started, (\d+) threads?")
    for _ in range(int(got.group(1))):
        m.expect(r"app memcached: listening on TCP port %d on cpu \d+" % PORT)
    return int(got.group(1))


def client(ns, script, *args, timeout=600):
    r = ns.sh("/usr/bin/python3", "-c", script, NetNS.GUEST_IP, str(PORT), *map(str, args),
              check=False, timeout=timeout)
    try:
        out = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise TestFailure("the client printed no result (exit %d): %s %s"
                          % (r.returncode, r.stdout[-1500:], r.stderr[-1500:]))
    if not out.get("ok"):
        raise TestFailure("client: %s\nstderr: %s" % (json.dumps(out)[:3000], r.stderr[-1500:]))
    return out


# Every classic command through pymemcache, each result checked against what memcached must
# answer; then the meta commands (mg ms md ma mn) over a raw socket.
COMMANDS = r'''
import json, socket, sys, time
from pymemcache.client.base import Client
host, port = sys.argv[1], int(sys.argv[2])
out = {"ok": False, "checked": 0}
def check(what, got, want):
    out["checked"] += 1
    if got != want:
        out["failed"] = "%s: got %r, expected %r" % (what, got, want)
        print(json.dumps(out)); sys.exit(1)
c = Client((host, port), connect_timeout=10, timeout=20)
check("version", c.version()[:4], b"1.6.")
check("set", c.set("k1", b"v1", noreply=False), True)
check("get", c.get("k1"), b"v1")
check("add existing", c.add("k1", b"x", noreply=False), False)
check("add new", c.add("k2", b"v2", noreply=False), True)
check("replace", c.replace("k2", b"v2b", noreply=False), True)
check("replace missing", c.replace("nokey", b"x", noreply=False), False)
check("append", c.append("k2", b"+a", noreply=False), True)
check("prepend", c.prepend("k2", b"p+", noreply=False), True)
check("after append/prepend", c.get("k2"), b"p+v2b+a")
v, cas = c.gets("k1")
check("gets", v, b"v1")
check("cas right", c.cas("k1", b"v1c", cas, noreply=False), True)
check("cas stale", c.cas("k1", b"v1d", cas, noreply=False), False)
check("cas missing", c.cas("nokey", b"x", 1, noreply=False), None)
check("after cas", c.get("k1"), b"v1c")
c.set("n", b"10")
check("incr", c.incr("n", 5), 15)
check("decr", c.decr("n", 20), 0)
check("incr missing", c.incr("nokey", 1), None)
check("set noreply", c.set("q", b"quiet", noreply=True), True)
check("get after noreply", c.get("q"), b"quiet")
check("get_many", c.get_many(["k1", "k2", "q", "nokey"]),
      {"k1": b"v1c", "k2": b"p+v2b+a", "q": b"quiet"})
check("touch", c.touch("k1", 100, noreply=False), True)
check("touch missing", c.touch("nokey", 100, noreply=False), False)
check("delete", c.delete("k1", noreply=False), True)
check("delete missing", c.delete("k1", noreply=False), False)
check("get deleted", c.get("k1"), None)
# memcached counts whole seconds: an item set to expire in N s lives between N - 1 and N s.
# With N = 1 it may be gone at once (a second boundary between set and get), so 10: the get
# comes long before 9 s even on a loaded host.
c.set("exp", b"soon", expire=10)
check("before expiry", c.get("exp"), b"soon")
time.sleep(11.5)
check("after expiry", c.get("exp"), None)
c.set("abs", b"gone", expire=int(time.time()) - 10)  # an absolute time in the past
check("absolute expiry in the past", c.get("abs"), None)
c.set("abs2", b"kept", expire=int(time.time()) + 3600)
check("absolute expiry ahead", c.get("abs2"), b"kept")
check("flush_all", c.flush_all(noreply=False), True)
check("get after flush", c.get_many(["k2", "q", "abs2"]), {})
stats = c.stats()
check("stats cmd_flush", stats[b"cmd_flush"], 1)
check("stats threads", stats[b"threads"] >= 1, True)

# Meta commands, raw (pymemcache has none).
s = socket.create_connection((host, port), timeout=20)
buf = b""
def req(data, lines=1):
    global buf
    s.sendall(data)
    got = []
    while len(got) < lines:
        while b"\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                raise SystemExit("closed")
            buf += d
        l, buf = buf.split(b"\r\n", 1)
        got.append(l)
    return got
# gat and gats (pymemcache 3.5 has neither): get and touch.
check("gat", req(b"set g 0 0 2\r\nhi\r\ngat 300 g\r\n", 4), [b"STORED", b"VALUE g 0 2", b"hi",
                                                               b"END"])
check("gat miss", req(b"gat 300 nokey\r\n"), [b"END"])
check("ms", req(b"ms mk 3 T0\r\nabc\r\n"), [b"HD"])
check("mg v", req(b"mg mk v\r\n", 2), [b"VA 3", b"abc"])
check("mg s f t", req(b"mg mk s f t\r\n"), [b"HD s3 f0 t-1"])
check("mg miss", req(b"mg nokey v\r\n"), [b"EN"])
check("ma", req(b"ms cnt 1\r\n5\r\nma cnt D10 v\r\n", 3), [b"HD", b"VA 2", b"15"])
check("ma decr", req(b"ma cnt MD D20 v\r\n", 2), [b"VA 1", b"0"])
check("md", req(b"md mk\r\n"), [b"HD"])
check("md miss", req(b"md mk\r\n"), [b"NF"])
# The stored value keeps its length after a decrement (memcached pads it with spaces).
check("mn", req(b"mg cnt v q\r\nmg nokey v q\r\nmn\r\n", 3), [b"VA 2", b"0 ", b"MN"])
check("ms invalid mode", req(b"ms mk 1 MX\r\nz\r\n")[0].startswith(b"CLIENT_ERROR"), True)
out["ok"] = True
print(json.dumps(out))
'''


@per_nic
def memcached_pymemcache_and_meta_commands(tmp, nic):
    with NetNS(nic=nic) as ns, guest(ns, "-m 64") as m:
        up(m)
        out = client(ns, COMMANDS, timeout=120)
        print("memcached_commands_%s: %d results checked" % (nic, out["checked"]))
        m.absent(r"FATAL|error: ")


# Bulk: N SETs over CONNS connections (one thread each), keys random, sizes log-uniform from
# 1 B to 100 KiB, every value a function of its key; then every key read back through another
# connection with its exact value. Prints the stats that must show no eviction.
BULK = r'''
import hashlib, json, math, random, socket, sys, threading, time
host, port, n, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out = {"ok": False}
def value(key, size):
    seed = hashlib.sha256(key).digest()
    return (seed * (size // 32 + 1))[:size]
rng = random.Random(1234)
items = []
for i in range(n):
    key = b"k%07d-%x" % (i, rng.getrandbits(40))
    size = int(math.exp(rng.uniform(0, math.log(100 * 1024))))
    items.append((key, size))
class Conn:
    def __init__(self):
        self.s = socket.create_connection((host, port), timeout=60)
        self.buf = b""
    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(1 << 20)
            if not d:
                raise EOFError("closed by memcached")
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l
    def exact(self, k):
        while len(self.buf) < k:
            d = self.s.recv(1 << 20)
            if not d:
                raise EOFError("closed by memcached")
            self.buf += d
        r, self.buf = self.buf[:k], self.buf[k:]
        return r
errors = []
def setter(part):
    try:
        c = Conn()
        for j in range(0, len(part), 16):  # 16 pipelined sets, then their replies
            batch = part[j:j + 16]
            c.s.sendall(b"".join(b"set %s 0 0 %d\r\n%s\r\n" % (k, z, value(k, z)) for k, z in batch))
            for k, _ in batch:
                r = c.line()
                if r != b"STORED":
                    errors.append("set %s: %r" % (k, r)); return
    except Exception as e:
        errors.append("setter: %r" % e)
def getter(part):
    try:
        c = Conn()
        for j in range(0, len(part), 16):  # multi-key gets of 16
            batch = part[j:j + 16]
            c.s.sendall(b"get " + b" ".join(k for k, _ in batch) + b"\r\n")
            for k, z in batch:
                h = c.line().split()
                if len(h) != 4 or h[0] != b"VALUE" or h[1] != k or int(h[3]) != z:
                    errors.append("get %s: header %r" % (k, h)); return
                if c.exact(z + 2)[:z] != value(k, z):
                    errors.append("get %s: wrong value" % k); return
            if c.line() != b"END":
                errors.append("get: no END"); return
    except Exception as e:
        errors.append("getter: %r" % e)
def run(fn, parts):
    ts = [threading.Thread(target=fn, args=(p,)) for p in parts]
    for t in ts: t.start()
    for t in ts: t.join()
t0 = time.monotonic()
run(setter, [items[i::conns] for i in range(conns)])
t1 = time.monotonic()
# Read back through other connections: connection i reads what connection i+1 wrote.
run(getter, [items[(i + 1) % conns::conns] for i in range(conns)])
t2 = time.monotonic()
c = Conn()
c.s.sendall(b"stats\r\n")
st = {}
while True:
    l = c.line()
    if l == b"END":
        break
    p = l.split()
    st[p[1].decode()] = p[2].decode()
out.update(sets=n, bytes=sum(z for _, z in items), set_s=round(t1 - t0, 1),
           get_s=round(t2 - t1, 1), errors=errors[:5], evictions=int(st["evictions"]),
           curr_items=int(st["curr_items"]), curr_connections=int(st["curr_connections"]))
out["ok"] = not errors
print(json.dumps(out))
'''


@per_nic
def memcached_bulk_sets_read_back(tmp, nic):
    """200,000 SETs of random keys, 1 B to 100 KiB (log-uniform: about 1.7 GB), over 64
    connections spread over every core, each read back with its exact value through another
    connection; with -m large enough (2800 MiB, on 2 MiB pages), nothing is evicted."""
    with NetNS(nic=nic) as ns, guest(ns, "-m 2800 -c 1024", mem="4096M") as m:
        up(m)
        out = client(ns, BULK, 200000, 64, timeout=1800)
        print("memcached_bulk_%s: %d sets, %d MB in %s s, read back in %s s; evictions %d, "
              "items %d" % (nic, out["sets"], out["bytes"] >> 20, out["set_s"], out["get_s"],
                            out["evictions"], out["curr_items"]))
        if out["evictions"] or out["curr_items"] != out["sets"]:
            raise TestFailure("evictions %d, items %d of %d: -m 2800 should hold them all"
                              % (out["evictions"], out["curr_items"], out["sets"]))

        def every_core(cores, _):
            if any(v["tcp_accepted"] == 0 for v in cores.values()):
                return "a core accepted no connection: %s" % {
                    c: v["tcp_accepted"] for c, v in cores.items()}
            return None

        stats_until(m, m.mark(), every_core)
        m.absent(r"FATAL|error: ")


# 1,000 connections open at once, each sets and gets its own key, all kept open until every
# one is done.
MANY = r'''
import json, socket, sys, selectors, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = {"ok": False}
socks = []
for i in range(n):
    s = socket.create_connection((host, port), timeout=30)
    socks.append(s)
for i, s in enumerate(socks):
    s.sendall(b"set many%d 0 0 %d\r\n%d\r\nget many%d\r\n" % (i, len(str(i)), i, i))
bad = 0
for i, s in enumerate(socks):
    want = b"STORED\r\nVALUE many%d 0 %d\r\n%d\r\nEND\r\n" % (i, len(str(i)), i)
    got = b""
    while len(got) < len(want):
        d = s.recv(4096)
        if not d:
            break
        got += d
    bad += got != want
st = socks[0]
st.sendall(b"stats\r\n")
txt = b""
while not txt.endswith(b"END\r\n"):
    txt += st.recv(65536)
curr = int([l.split()[2] for l in txt.split(b"\r\n") if l.startswith(b"STAT curr_connections")][0])
out.update(conns=n, bad=bad, curr_connections=curr)
out["ok"] = bad == 0 and curr >= n
print(json.dumps(out))
'''


@per_nic
def memcached_1000_concurrent_connections(tmp, nic):
    with NetNS(nic=nic) as ns, guest(ns, "-m 64 -c 2048") as m:
        up(m)
        out = client(ns, MANY, 1000, timeout=300)
        print("memcached_1000_%s: %d connections open at once, curr_connections %d"
              % (nic, out["conns"], out["curr_connections"]))
        m.absent(r"FATAL|error: ")


# Malformed and oversized commands, each on its own connection: memcached's own error (or a
# close) for each, and a good connection beside them served throughout.
MALFORMED = r'''
import json, os, random, socket, struct, sys, time
host, port = sys.argv[1], int(sys.argv[2])
out = {"ok": False, "cases": {}}
def conn():
    return socket.create_connection((host, port), timeout=10)
def answer(data, wait=2.0):
    s = conn()
    try:
        s.sendall(data)
    except OSError as e:
        return "send failed: %s" % e
    s.settimeout(wait)
    got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return got or b"<closed>"
            got += d
            if got.endswith(b"\r\n") and (b"ERROR" in got or b"END" in got):
                return got
    except socket.timeout:
        return got or b"<no answer>"
    finally:
        s.close()
good = conn()
def good_ok():
    good.sendall(b"set good 0 0 2\r\nok\r\nget good\r\n")
    want = b"STORED\r\nVALUE good 0 2\r\nok\r\nEND\r\n"
    got = b""
    good.settimeout(10)
    while len(got) < len(want):
        got += good.recv(4096)
    return got == want
ERR = (b"CLIENT_ERROR", b"SERVER_ERROR", b"ERROR", b"<closed>")
def binary_error(r):
    # A binary response (magic 0x81) with a non-zero status, or a close.
    return r == b"<closed>" or (len(r) >= 24 and r[0] == 0x81 and r[6:8] != b"\0\0")
cases = {
    "key over 250 bytes": (b"set " + b"k" * 251 + b" 0 0 1\r\nx\r\n", ERR),
    "get key over 250 bytes": (b"get " + b"k" * 251 + b"\r\n", ERR),
    "negative length": (b"set k 0 0 -1\r\nx\r\n", ERR),
    "length not a number": (b"set k 0 0 abc\r\nx\r\n", ERR),
    "data longer than length": (b"set k 0 0 1\r\nxyz\r\n", ERR),
    # memcached answers once it has swallowed the announced value: send all of it.
    "value over -I": (b"set big 0 0 %d\r\n%s\r\n" % (2 << 20, b"v" * (2 << 20)),
                      (b"SERVER_ERROR object too large",)),
    "line too long": (b"get " + b"a" * 5000 + b"\r\n", ERR),
    "unknown command": (b"frobnicate\r\n", (b"ERROR",)),
    "incr non-numeric": (b"set t 0 0 1\r\nx\r\nincr t 1\r\n",
                         (b"STORED\r\nCLIENT_ERROR",)),
    # A set whose header announces a 4 GiB body: memcached refuses the item and swallows the
    # body it was promised, answering only after it (so here: no answer, and nothing held).
    "binary body length a lie": (struct.pack(">BBHBBHIIQ", 0x80, 0x01, 3, 8, 0, 0, 0xfffffff0, 0,
                                             0) + b"\0" * 40,
                                 lambda r: binary_error(r) or r == b"<no answer>"),
    "binary unknown opcode": (struct.pack(">BBHBBHIIQ", 0x80, 0xee, 0, 0, 0, 0, 0, 0, 0),
                              binary_error),
    "only CR, no line end": (b"\r" * 3000, ERR),
}
for name, (data, accept) in cases.items():
    r = answer(data)
    if isinstance(r, str):
        r = r.encode()
    out["cases"][name] = r[:60].decode("latin-1")
    ok = accept(r) if callable(accept) else any(r.startswith(a) for a in accept)
    if not ok:
        out.setdefault("unexpected", []).append(name)
    if not good_ok():
        out["failed"] = "the good connection stopped being served after: " + name
        print(json.dumps(out)); sys.exit(1)
rng = random.Random(99)
for i in range(300):
    answer(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 3000))), wait=0.2)
out["random"] = 300
out["good_after"] = good_ok()
silent = out.get("unexpected", [])
out["ok"] = out["good_after"] and not silent
print(json.dumps(out))
'''


@per_nic
def memcached_malformed_commands(tmp, nic):
    with NetNS(nic=nic) as ns, guest(ns, "-m 64") as m:
        up(m)
        out = client(ns, MALFORMED, timeout=300)
        print("memcached_malformed_%s: %s; %d random payloads; served after: %s"
              % (nic, json.dumps(out["cases"]), out["random"], out["good_after"]))
        if ns.ping(count=3) != 3:
            raise TestFailure("the guest stopped answering ping")
        m.absent(r"FATAL|error: ")
