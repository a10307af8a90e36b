"""QEMU tests of the management core and ixmgr (issue 8): a guest with a dataplane igb and a
management igb, each on its own tap in a private namespace, and COM2 on a unix socket.
Every command works over UDP and over serial (JSON parsed here); `core set` moves flow
groups and their connections while echo streams; wrong keys, replays, flipped, truncated,
oversized and garbage datagrams are rejected and counted while valid requests and the
dataplane go on; an unprovisioned guest takes its key over serial only; concurrent clients'
multi-part answers each come whole from one snapshot (issue 12)."""
import json
import os
import re
import subprocess
import threading
import time

from qemu import BUILD, Machine, NetNS, TestFailure, direct_args
from test_tcp import echo

TESTS = []
HERE = os.path.dirname(os.path.abspath(__file__))
IXMGR = os.path.join(BUILD, "ixmgr")
KEY = "3f1c9a07d2b84e65a1f0c3d97e2b5a4864c1f08d9e3a7b2c5d6e8f9012a3b4c5"
GUEST = ("ip=198.18.0.2/24 gw=198.18.0.1 mgmt_ip=198.19.0.2/24 app_budget_us=200000")
ECHO = [(os.path.join(BUILD, "apps", "echo"), "7")]


def test(fn):
    TESTS.append(fn)
    return fn


class Guest:
    """A booted guest with the echo app, a management port and COM2 on a unix socket."""

    def __init__(self, tmp, key=True, smp=4):
        self.com2 = os.path.join(tmp, "com2.sock")
        cmdline = GUEST + (" mgmt_key=" + KEY if key else "")
        args = direct_args(cmdline, ECHO) + ["-serial", "unix:%s,server=on,wait=off" % self.com2]
        self.ns = NetNS(nic="igb", mgmt=True)
        self.smp = smp
        self.args = args

    def __enter__(self):
        self.ns.__enter__()
        try:
            self.m = Machine(self.args, smp=self.smp, netns=self.ns).__enter__()
            self.m.expect(r"mgmt: port igb .* ip 198\.19\.0\.2/24")
            self.m.expect(r"^ixos: ready ")
            got = self.m.expect(r"app echo: started, (\d+) threads?")
            for _ in range(int(got.group(1))):
                self.m.expect(r"app echo: listening on TCP port 7 on cpu \d+")
        except BaseException:
            self.ns.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        self.m.__exit__(*exc)
        self.ns.__exit__(*exc)
        return False

    def ixmgr(self, *args, via="udp", key=KEY, ok=True, timeout=60):
        """Runs ixmgr (in the namespace for UDP); returns (exit status, stdout, stderr)."""
        target = "udp:%s" % NetNS.MGMT_GUEST_IP if via == "udp" else "serial:" + self.com2
        env = dict(os.environ)
        env.pop("IXMGR_KEY", None)
        if key:
            env["IXMGR_KEY"] = key
        cmd = [IXMGR, "-t", target] + [str(a) for a in args]
        if via == "udp":
            cmd = ["ip", "netns", "exec", self.ns.name] + cmd
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        if ok and r.returncode != 0:
            raise TestFailure("ixmgr %s over %s: exit %d\n%s%s" % (" ".join(map(str, args)),
                              via, r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
        return r.returncode, r.stdout, r.stderr

    def json(self, *args, via="udp"):
        _, out, _ = self.ixmgr("--json", *args, via=via)
        try:
            return json.loads(out)
        except ValueError:
            raise TestFailure("ixmgr --json %s: not JSON: %r" % (" ".join(args), out[:500]))

    def raw(self, mode, n=1):
        r = self.ns.sh("/usr/bin/python3", os.path.join(HERE, "mgmt_client.py"),
                       NetNS.MGMT_GUEST_IP, KEY, mode, str(n), timeout=120)
        return json.loads(r.stdout.strip().splitlines()[-1])


def one(d, kind):
    if kind not in d or not d[kind]:
        raise TestFailure("no %r records in %s" % (kind, json.dumps(d)[:500]))
    return d[kind][0]


@test
def every_command_over_udp_and_serial(tmp):
    with Guest(tmp) as g:
        for via in ("udp", "serial"):
            g.ixmgr("ping", via=via)
            st = g.json("status", via=via)
            if one(st, "system")["cpus"] != 4 or one(st, "app")["name"] != "echo":
                raise TestFailure("status over %s: %s" % (via, st))
            roles = sorted(c["role"] for c in st["core"])
            if roles != ["dataplane", "dataplane", "dataplane", "mgmt"]:
                raise TestFailure("roles over %s: %s" % (via, roles))
            if sorted(l["port"] for l in st["link"]) != ["dp", "mgmt"]:
                raise TestFailure("links over %s: %s" % (via, st["link"]))
            stats = g.json("stats", via=via)
            if len(stats["dp"]) != 3 or len(stats["batch"]) != 3 or "mgmt" not in stats:
                raise TestFailure("stats over %s: %s" % (via, list(stats)))
            for k in ("rx_packets", "tx_bytes", "drops", "loop_ns_avg", "loop_ns_max",
                      "idle_permille"):
                if k not in stats["dp"][0]:
                    raise TestFailure("stats over %s has no %s" % (via, k))
            _, prom, _ = g.ixmgr("stats", "--prometheus", via=via)
            if not re.search(r'^ixos_rx_packets_total\{core="1"\} \d+$', prom, re.M):
                raise TestFailure("no Prometheus rx_packets over %s:\n%s" % (via, prom[:800]))
            log = g.json("log", "-n", 5, via=via)
            if len(log["line"]) != 5:
                raise TestFailure("log -n 5 over %s gave %d lines" % (via, len(log["line"])))
            cfg = one(g.json("config", "show", via=via), "config")
            if cfg["dp_ip"] != "198.18.0.2/24" or cfg["mgmt_ip"] != "198.19.0.2/24":
                raise TestFailure("config over %s: %s" % (via, cfg))
            cores = g.json("core", "show", via=via)
            if one(cores, "cores")["active"] != 3:
                raise TestFailure("core show over %s: %s" % (via, cores))
            apps = g.json("app", "list", via=via)
            if one(apps, "app")["name"] != "echo":
                raise TestFailure("app list over %s: %s" % (via, apps))
        # The commands that change things, over serial too (those over UDP have tests below).
        if one(g.json("config", "set", "gw", "198.18.0.1", via="serial"), "config")["gw"] != \
                "198.18.0.1":
            raise TestFailure("config set gw over serial")
        if one(g.json("core", "set", 2, via="serial"), "cores")["active"] != 2:
            raise TestFailure("core set 2 over serial")
        if one(g.json("core", "set", 3, via="serial"), "cores")["active"] != 3:
            raise TestFailure("core set 3 over serial")
        if one(g.json("app", "restart", via="serial"), "app")["state"] != "running":
            raise TestFailure("app restart over serial")
        # A big answer in many parts: 300 log lines.
        log = g.json("log", "-n", 300, via="serial")
        if len(log["line"]) < 40:
            raise TestFailure("log -n 300 gave only %d lines" % len(log["line"]))
        # Bad input is refused with a clear status, and changes nothing.
        rc, _, err = g.ixmgr("core", "set", 9, ok=False)
        if rc != 2 or "bad_argument" not in err:
            raise TestFailure("core set 9: exit %d, %s" % (rc, err))
        rc, _, err = g.ixmgr("--json", "reboot", ok=False)
        if rc != 1:
            raise TestFailure("reboot --json should be refused (no JSON form): exit %d" % rc)
        g.m.absent(r"FATAL|error: ")


@test
def config_set_moves_the_dataplane_address(tmp):
    with Guest(tmp, smp=3) as g:
        g.ixmgr("config", "set", "ip", "198.18.0.3/24")
        cfg = one(g.json("config", "show"), "config")
        if cfg["dp_ip"] != "198.18.0.3/24":
            raise TestFailure("config after set: %s" % cfg)
        g.ns.sh("ip", "neigh", "flush", "dev", "tap0", check=False)
        # config set answers once every dataplane core has taken the new address.
        if g.ns.ping(count=3, dest="198.18.0.3") != 3:
            raise TestFailure("not every ping answered on the new address")
        g.ixmgr("config", "set", "ip", "198.18.0.2/24")
        g.ns.sh("ip", "neigh", "flush", "dev", "tap0", check=False)
        echo(g.ns, "tcp", "--bytes", 64 * 1024, "--conns", 2, timeout=60)


@test
def core_set_keeps_every_connection(tmp):
    """core set 3 -> 1 -> 3 while 16 echo connections stream 160 MiB: the flow groups move
    with their TCP state, and every byte comes back exactly once, in order."""
    with Guest(tmp) as g:
        result = {}

        def stream():
            try:
                result["r"] = echo(g.ns, "tcp", "--bytes", 160 << 20, "--conns", 16,
                                   timeout=240)
            except TestFailure as e:
                result["e"] = e

        t = threading.Thread(target=stream)
        t.start()
        deadline = time.monotonic() + 30
        while sum(c.get("conns", 0) for c in g.json("core", "show")["core"]) < 16:
            if time.monotonic() > deadline or not t.is_alive():
                raise TestFailure("the 16 echo connections never showed up in core show")
            time.sleep(0.2)
        out = g.json("core", "set", 1)
        if one(out, "cores")["active"] != 1:
            raise TestFailure("core set 1: %s" % out)
        shown = g.json("core", "show")
        groups = {c["id"]: c.get("flow_groups", 0) for c in shown["core"]}
        if groups.get(1) != 128 or groups.get(2) or groups.get(3):
            raise TestFailure("after core set 1 the flow groups are %s" % groups)
        # The stream goes on through core 1 alone before the groups move back.
        def core1_rx():
            return sum(d["rx_packets"] for d in g.json("stats")["dp"] if d["core"] == 1)

        before = core1_rx()
        deadline = time.monotonic() + 30
        while core1_rx() < before + 1000:
            if not t.is_alive():
                raise TestFailure("the stream ended before the second move: make it longer")
            if time.monotonic() > deadline:
                raise TestFailure("the stream made no progress on core 1 for 30 s")
            time.sleep(0.2)
        out = g.json("core", "set", 3)
        if one(out, "cores")["active"] != 3:
            raise TestFailure("core set 3: %s" % out)
        t.join(timeout=300)
        if "e" in result:
            tcp = g.json("stats").get("tcp", [])
            raise TestFailure("%s\nTCP per core: %s" % (result["e"], json.dumps(tcp)))
        stats = g.json("stats")
        moved = sum(d["conns_exported"] for d in stats["dp"])
        lost = sum(d["conns_lost"] for d in stats["dp"])
        if not moved or lost:
            raise TestFailure("connections moved %d, lost %d" % (moved, lost))
        g.m.absent(r"FATAL|error: ")


@test
def app_stop_start_restart(tmp):
    with Guest(tmp, smp=3) as g:
        out = g.json("app", "stop")
        if one(out, "app")["state"] not in ("stopped", "stopping"):
            raise TestFailure("app stop: %s" % out)
        # "stopping": its threads are still being taken off the cores; only "stopped" says
        # the listeners are gone.
        deadline = time.monotonic() + 10
        while one(g.json("app", "list"), "app")["state"] != "stopped":
            if time.monotonic() > deadline:
                raise TestFailure("app still not stopped 10 s after app stop: %s"
                                  % g.json("app", "list"))
            time.sleep(0.1)
        r = g.ns.sh("/usr/bin/python3", "-c", "import socket; socket.create_connection(("
                    "'198.18.0.2', 7), timeout=3)", check=False)
        if r.returncode == 0:
            raise TestFailure("echo still accepts connections after app stop")
        out = g.json("app", "start", "echo")
        if one(out, "app")["state"] != "running":
            raise TestFailure("app start: %s" % out)
        g.m.expect(r"app echo: listening on TCP port 7 on cpu \d")
        g.m.expect(r"app echo: listening on TCP port 7 on cpu \d")
        echo(g.ns, "tcp", "--bytes", 64 * 1024, "--conns", 2, timeout=60)
        out = g.json("app", "restart")
        if one(out, "app")["state"] != "running":
            raise TestFailure("app restart: %s" % out)
        g.m.expect(r"app echo: started, 2 threads")
        g.m.expect(r"app echo: listening on TCP port 7 on cpu \d")
        g.m.expect(r"app echo: listening on TCP port 7 on cpu \d")
        echo(g.ns, "tcp", "--bytes", 64 * 1024, "--conns", 2, timeout=60)
        rc, _, err = g.ixmgr("app", "start", "nosuchapp", ok=False)
        if rc != 2:
            raise TestFailure("app start nosuchapp: exit %d %s" % (rc, err))


def make_reboot_test(via):
    def fn(tmp):
        with Guest(tmp, smp=2) as g:
            g.ixmgr("reboot", via=via)
            g.m.expect(r"warning: mgmt: reboot requested")
            g.m.proc.wait(timeout=30)  # -no-reboot: QEMU exits on the reset
    fn.__name__ = "reboot_over_%s_resets_the_machine" % via
    return fn


test(make_reboot_test("udp"))
test(make_reboot_test("serial"))


@test
def rejected_requests_are_counted_and_harmless(tmp):
    """Wrong key, replay, flipped bytes, truncated and oversized datagrams, an unknown version
    and 3000 random datagrams: each rejected and counted, nothing carried out; valid requests
    and the dataplane keep working."""
    with Guest(tmp, smp=3) as g:
        rc, _, err = g.ixmgr("ping", key="00" * 32, ok=False)
        if rc != 2 or "bad_mac" not in err:
            raise TestFailure("wrong key: exit %d, %s" % (rc, err))
        if g.raw("ok")["status"] != 0:
            raise TestFailure("a valid raw request was not accepted")
        r = g.raw("replay")
        if r["first"] != 0 or r["again"] != 2 or not r["again_unauth"]:
            raise TestFailure("replay: %s" % r)
        r = g.raw("flip")
        if any(s not in (None, 1, 3, 4, 5, 6) for s in r["statuses"]) or 0 in r["statuses"]:
            raise TestFailure("a flipped message was accepted or misreported: %s" % r)
        r = g.raw("truncated")
        if r["replies"]:
            raise TestFailure("truncated messages were answered: %s" % r)
        if g.raw("oversized")["status"] not in (None, 6):
            raise TestFailure("oversized datagram not rejected")
        if g.raw("version")["status"] != 3:
            raise TestFailure("unknown version not rejected as bad_version")
        r = g.raw("garbage", 3000)
        if "barrier_lost" in r or r.get("barriers") != 30:
            raise TestFailure("valid pings among the garbage went unanswered: %s" % r)
        g.ixmgr("ping")
        echo(g.ns, "tcp", "--bytes", 256 * 1024, "--conns", 4, timeout=60)
        m = one(g.json("stats"), "mgmt")
        for k in ("bad_mac", "replay", "truncated", "oversized", "bad_version", "bad_magic"):
            if not m[k]:
                raise TestFailure("%s not counted: %s" % (k, m))
        rejected = sum(m[k] for k in ("bad_mac", "replay", "truncated", "oversized",
                                      "bad_version", "bad_magic", "unknown_command"))
        if rejected < 3000:
            raise TestFailure("only %d of 3000+ bad datagrams counted: %s" % (rejected, m))
        g.m.absent(r"FATAL|error: ")


@test
def key_is_provisioned_over_serial_only(tmp):
    with Guest(tmp, key=False, smp=2) as g:
        g.m.seen(r"mgmt: .*no key yet")
        rc, _, err = g.ixmgr("ping", ok=False)
        if rc != 2 or "not_provisioned" not in err:
            raise TestFailure("unprovisioned ping: exit %d, %s" % (rc, err))
        rc, _, err = g.ixmgr("key", "set", ok=False)  # over UDP: refused
        if rc == 0:
            raise TestFailure("key set over UDP was accepted")
        g.ixmgr("key", "set", via="serial")
        g.m.expect(r"mgmt: provisioned: a key was set over COM2")
        g.ixmgr("ping")
        rc, _, err = g.ixmgr("key", "set", via="serial", key="11" * 32, ok=False)
        if rc != 2:
            raise TestFailure("a second key set was not refused: exit %d %s" % (rc, err))


PART_TRACE = re.compile(r"^ixmgr: <- \d+ bytes: ok, status (\w+), part (\d+) snapshot (\d+)")


def traced_parts(err):
    """[(status, part, snapshot)] of the answers an `ixmgr -v` run received."""
    return [(m.group(1), int(m.group(2)), int(m.group(3)))
            for m in map(PART_TRACE.match, err.splitlines()) if m]


def check_stats_json(out, what):
    try:
        d = json.loads(out)
    except ValueError:
        raise TestFailure("%s: not JSON: %r" % (what, out[:300]))
    cores = sorted(r["core"] for r in d.get("dp", []))
    if cores != [1, 2, 3] or sorted(r["core"] for r in d.get("batch", [])) != [1, 2, 3] \
            or len(d.get("mgmt", [])) != 1:
        raise TestFailure("%s: not one whole answer: dp cores %s, %d mgmt records"
                          % (what, cores, len(d.get("mgmt", []))))
    keys = {frozenset(r) for r in d["dp"]}
    if len(keys) != 1:
        raise TestFailure("%s: dp records with different keys (a cut line?)" % what)


@test
def mgmt_concurrent_stats_never_mix_snapshots(tmp):
    """Two ixmgr clients fetch the multi-part stats answer at the same time, 20 rounds each
    (a third fetches log -n 1000): every part of one answer carries the same snapshot id, no
    answer restarts, every answer is whole. Then 20 rounds of two answers with their parts
    deliberately interleaved on the wire; a part of a snapshot not kept gets snapshot_gone
    (counted); an old (version 1) client is told bad_version in its own layout."""
    with Guest(tmp) as g:
        _, out, err = g.ixmgr("-v", "--json", "stats")
        parts = traced_parts(err)
        if len(parts) < 2:
            raise TestFailure("stats fits in one part here: the test shows nothing\n" + err)
        check_stats_json(out, "stats")
        results, failures = {}, []

        def client(name, args, rounds):
            try:
                for i in range(rounds):
                    _, out, err = g.ixmgr("-v", "--json", *args)
                    parts = traced_parts(err)
                    if "is gone" in err:
                        raise TestFailure("%s round %d restarted (snapshot gone) with only "
                                          "two clients:\n%s" % (name, i, err[-1500:]))
                    if [p for _, p, _ in parts] != list(range(len(parts))) or \
                            any(st != "ok" for st, _, _ in parts) or \
                            len({snap for _, _, snap in parts}) != 1 or not parts[0][2]:
                        raise TestFailure("%s round %d: parts %s" % (name, i, parts))
                    if args[0] == "stats":
                        check_stats_json(out, "%s round %d" % (name, i))
                    elif not json.loads(out).get("line"):
                        raise TestFailure("%s round %d: no log lines" % (name, i))
                    results.setdefault(name, []).append((parts[0][2], len(parts)))
            except (TestFailure, ValueError, subprocess.SubprocessError) as e:
                failures.append(e)

        threads = [threading.Thread(target=client, args=("a", ["stats"], 20)),
                   threading.Thread(target=client, args=("b", ["stats"], 20)),
                   threading.Thread(target=client, args=("log", ["log", "-n", 1000], 5))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        if failures:
            raise failures[0]
        snaps = [snap for r in results.values() for snap, _ in r]
        if len(results.get("a", [])) != 20 or len(results.get("b", [])) != 20 or \
                len(set(snaps)) != len(snaps):
            raise TestFailure("answers %s" % results)

        raw = g.raw("snapshots", 20)
        for i, pair in enumerate(raw["rounds"]):
            for a in pair:
                if set(a["statuses"]) != {0} or len(set(a["snaps"])) != 1 or a["parts"] < 2 \
                        or not a["records_ok"] or a["dp_cores"] != [1, 2, 3] \
                        or a["mgmt_records"] != 1:
                    raise TestFailure("interleaved round %d: %s" % (i, pair))
            if pair[0]["snaps"][0] == pair[1]["snaps"][0]:
                raise TestFailure("interleaved round %d: one snapshot for two answers" % i)

        m = one(g.json("stats"), "mgmt")
        if m.get("snapshot_gone") != 0 or m.get("too_large") != 0:
            raise TestFailure("counters before the gone request: %s" % m)
        r = g.raw("gone")
        if r["status"] != 13 or r["snap"] != 1 or "snapshot%20gone" not in (r["payload"] or ""):
            raise TestFailure("a part of a snapshot not kept: %s" % r)
        if one(g.json("stats"), "mgmt")["snapshot_gone"] != 1:
            raise TestFailure("snapshot_gone not counted")
        r = g.raw("version1")
        if r != {"mode": "version1", "status": 3, "version": 1, "unauth": True}:
            raise TestFailure("a version 1 request: %s" % r)
        g.m.absent(r"FATAL|error: ")
