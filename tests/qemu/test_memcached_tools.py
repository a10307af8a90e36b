"""memcached on ixos seen by the tools operators already run (issue 13): `stats`, `stats conns`,
`stats items` and `stats slabs` give exact figures summed over every core's worker after a
known load spread over all cores; memcstat (libmemcached-tools) reads the same figures; and
nutcracker (twemproxy, Debian's 0.5.0) proxies to it unchanged. 4-CPU guests, igb and ixgbe.

The load runs inside the test namespace as a script (stdlib only) that prints one JSON line,
{"ok": bool, ...}, with what went wrong."""
import json
import os
import re
import subprocess
import time

from qemu import NetNS, TestFailure
from test_memcached_clients import client, guest, up, PORT
from test_net import per_nic_into, stats_until

TESTS = []
CONNS = 30
PROXY_PORT, PROXY_STATS = 22122, 22222


def per_nic(fn):
    return per_nic_into(TESTS, fn)


# CONNS connections, kept open: connection i sets s<i> (i+1 bytes), gets it (a hit) and
# gets a key nobody set (a miss). Then a fresh connection reads every stats group.
LOAD = r'''
import json, socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = {"ok": False}
def reply(s, end):
    got = b""
    while not got.endswith(end):
        d = s.recv(65536)
        if not d:
            raise EOFError("closed")
        got += d
    return got
socks = [socket.create_connection((host, port), timeout=30) for _ in range(n)]
for i, s in enumerate(socks):
    v = b"v" * (i + 1)
    s.sendall(b"set s%d 0 0 %d\r\n%s\r\n" % (i, len(v), v))
    if reply(s, b"\r\n") != b"STORED\r\n":
        out["error"] = "set s%d" % i; print(json.dumps(out)); sys.exit(1)
    s.sendall(b"get s%d\r\nget nope%d\r\n" % (i, i))
    want = b"VALUE s%d 0 %d\r\n%s\r\nEND\r\nEND\r\n" % (i, len(v), v)
    if reply(s, b"END\r\nEND\r\n") != want:
        out["error"] = "get s%d" % i; print(json.dumps(out)); sys.exit(1)
q = socket.create_connection((host, port), timeout=30)
def stats(group=b""):
    q.sendall(b"stats " + group + b"\r\n")
    st = {}
    for l in reply(q, b"END\r\n").split(b"\r\n"):
        p = l.decode().split(" ", 2)
        if len(p) == 3 and p[0] == "STAT":
            st[p[1]] = p[2]
    return st
out["stats"] = stats()
out["items"] = stats(b"items")
out["slabs"] = stats(b"slabs")
out["conns"] = stats(b"conns")
out["ports"] = [s.getsockname()[1] for s in socks] + [q.getsockname()[1]]
out["ok"] = True
print(json.dumps(out))
'''


def check_summed(out, threads):
    """The figures the load must have left, exactly."""
    st, bad = out["stats"], []
    want = {"cmd_set": CONNS, "get_hits": CONNS, "get_misses": CONNS, "cmd_get": 2 * CONNS,
            "curr_items": CONNS, "total_items": CONNS, "threads": threads}
    for k, v in want.items():
        if int(st[k]) != v:
            bad.append("stats %s is %s, not %d" % (k, st[k], v))
    # The load's connections and the one asking; memcached counts its listeners too.
    if not CONNS + 1 <= int(st["curr_connections"]) <= CONNS + 1 + threads:
        bad.append("stats curr_connections is %s for %d open" % (st["curr_connections"],
                                                                  CONNS + 1))
    numbers = sum(int(v) for k, v in out["items"].items() if k.endswith(":number"))
    if numbers != CONNS:
        bad.append("stats items counts %d items, not %d" % (numbers, CONNS))
    used = sum(int(v) for k, v in out["slabs"].items() if k.endswith(":used_chunks"))
    if used != CONNS:
        bad.append("stats slabs counts %d used chunks, not %d" % (used, CONNS))
    # stats conns: one "FD:addr tcp:HOST:PORT" per connection, whichever core serves it.
    seen = {int(m.group(1)) for v in out["conns"].values()
            for m in [re.match(r"tcp:%s:(\d+)$" % re.escape(NetNS.HOST_IP), v)] if m}
    missing = set(out["ports"]) - seen
    if missing:
        bad.append("stats conns lacks %d of the %d open connections (ports %s)"
                   % (len(missing), len(out["ports"]), sorted(missing)[:5]))
    if bad:
        raise TestFailure("; ".join(bad))


def memcstat(ns):
    r = ns.sh("memcstat", "--servers=%s:%d" % (NetNS.GUEST_IP, PORT), check=False, timeout=60)
    if r.returncode != 0 or "Server:" not in r.stdout:
        raise TestFailure("memcstat: exit %d %s %s" % (r.returncode, r.stdout, r.stderr))
    return dict(re.findall(r"^\s*(\w+): (\S+)$", r.stdout, re.M))


@per_nic
def memcached_stats_summed_for_memcstat_and_nutcracker(tmp, nic):
    """Exact stats over every core after a known load, the same figures through memcstat, and
    100 keys set and read through nutcracker (ketama) landing in memcached on ixos."""
    with NetNS(nic=nic) as ns, guest(ns, "-m 64") as m:
        threads = up(m)
        since = m.mark()
        out = client(ns, LOAD, CONNS)
        check_summed(out, threads)

        def every_core(cores, _):  # 31 random ports over 3 cores: odds of a miss ~ 1e-5
            if any(v["tcp_accepted"] == 0 for v in cores.values()):
                return "a core accepted none of the connections: %s" % {
                    c: v["tcp_accepted"] for c, v in cores.items()}
            return None

        stats_until(m, since, every_core)
        ms = memcstat(ns)
        for k in ("cmd_set", "get_hits", "get_misses", "curr_items", "total_items", "threads",
                  "limit_maxbytes", "version"):
            if ms.get(k) != out["stats"][k]:
                raise TestFailure("memcstat %s is %s, stats says %s" % (k, ms.get(k),
                                                                         out["stats"][k]))
        proxied = nutcracker(tmp, ns)
        print("memcached_tools_%s: stats %s; memcstat agrees; nutcracker %s"
              % (nic, {k: out["stats"][k] for k in ("cmd_get", "cmd_set", "curr_items",
                                                     "curr_connections")}, proxied))
        st = memcstat(ns)
        if int(st["curr_items"]) != CONNS + 100 or int(st["cmd_set"]) != CONNS + 100:
            raise TestFailure("after 100 sets through nutcracker memcstat shows curr_items %s, "
                              "cmd_set %s" % (st["curr_items"], st["cmd_set"]))
        m.absent(r"FATAL|error: ")


# 100 sets through the proxy, each read back through it and directly from the guest.
PROXIED = r'''
import json, socket, sys
proxy, guest, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
out = {"ok": False}
def ask(s, msg, end):
    s.sendall(msg)
    got = b""
    while not got.endswith(end):
        d = s.recv(65536)
        if not d:
            raise EOFError("closed")
        got += d
    return got
p = socket.create_connection(("127.0.0.1", proxy), timeout=30)
g = socket.create_connection((guest, port), timeout=30)
for i in range(100):
    v = b"p%d" % i
    if ask(p, b"set px%d 0 0 %d\r\n%s\r\n" % (i, len(v), v), b"\r\n") != b"STORED\r\n":
        out["error"] = "set px%d through nutcracker" % i; print(json.dumps(out)); sys.exit(1)
    want = b"VALUE px%d 0 %d\r\n%s\r\nEND\r\n" % (i, len(v), v)
    for via, s in (("nutcracker", p), ("the guest", g)):
        if ask(s, b"get px%d\r\n" % i, b"END\r\n") != want:
            out["error"] = "get px%d through %s" % (i, via); print(json.dumps(out)); sys.exit(1)
out["ok"] = True
print(json.dumps(out))
'''


NUTSTATS = r'''
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
b = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    b += d
sys.stdout.write(b.decode())
'''


def nutcracker(tmp, ns):
    """Runs nutcracker in the namespace in front of the guest; returns its server figures."""
    conf = os.path.join(tmp, "nutcracker.yml")
    with open(conf, "w") as f:
        f.write("ixos:\n  listen: 127.0.0.1:%d\n  hash: fnv1a_64\n  distribution: ketama\n"
                "  timeout: 5000\n  auto_eject_hosts: false\n  servers:\n   - %s:%d:1 ixos\n"
                % (PROXY_PORT, NetNS.GUEST_IP, PORT))
    log = os.path.join(tmp, "nutcracker.log")
    proc = subprocess.Popen(["ip", "netns", "exec", ns.name, "nutcracker", "-c", conf, "-s",
                             str(PROXY_STATS), "-a", "127.0.0.1", "-i", "500", "-o", log],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while ":%04X " % PROXY_PORT not in ns.sh("cat", "/proc/net/tcp").stdout:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise TestFailure("nutcracker did not start: %s" % open(log).read()[-1500:])
            time.sleep(0.1)
        r = ns.sh("/usr/bin/python3", "-c", PROXIED, str(PROXY_PORT), NetNS.GUEST_IP,
                  str(PORT), check=False, timeout=120)
        res = json.loads((r.stdout.strip().splitlines() or ["{}"])[-1])
        if not res.get("ok"):
            raise TestFailure("through nutcracker: %s %s\n%s" % (r.stdout, r.stderr[-1000:],
                                                                open(log).read()[-1500:]))
        # Its stats port answers one JSON document per connection, aggregated every
        # 500 ms (-i): read until the requests made show.
        deadline = time.monotonic() + 15
        while True:
            st = ns.sh("/usr/bin/python3", "-c", NUTSTATS, str(PROXY_STATS), timeout=30).stdout
            server = json.loads(st)["ixos"]["ixos"]
            if server.get("requests", 0) >= 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if server.get("server_err") or server.get("server_timedout") or \
                server.get("requests", 0) < 200:
            raise TestFailure("nutcracker's figures for the guest: %s" % server)
        return {k: server.get(k) for k in ("requests", "responses", "server_err")}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
