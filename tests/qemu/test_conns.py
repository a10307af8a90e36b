"""QEMU tests of connection scalability: a 4-CPU, 1 GiB guest holds 100,000 concurrent idle
TCP connections (its connection state grows from memory: net/stack/connmem.c, and a table
finds each segment's connection: net/stack/pcbhash.c), every one of them still echoes, and a
guest whose conn_mem= is spent refuses the next connections with a reset, a counter and a log
line while the ones it holds keep working. The clients are tests/qemu/conn_holder.py, several
processes (one per source address: a process's open files are limited), in the namespace."""
import os
import re
import subprocess
import time

from qemu import BUILD, Machine, NetNS, TestFailure, direct_args
from test_net import per_nic_into, stats, total
from test_tcp import up

TESTS = []
HERE = os.path.dirname(os.path.abspath(__file__))
HOLDER = os.path.join(HERE, "conn_holder.py")
GUEST = "ip=198.18.0.2/24 gw=198.18.0.1 stats_interval=1 app_budget_us=200000"
ECHO_APP = [(os.path.join(BUILD, "apps", "echo"), "")]
PER_HOLDER = 17000  # under the 20,000 open files a process may have here
TIME_LIMIT = 600


def per_nic(fn):
    return per_nic_into(TESTS, fn)


class Holders:
    """conn_holder.py processes in ns, holder i connecting from 198.18.0.(11 + i)."""

    def __init__(self, ns, counts):
        self.ns, self.procs = ns, []
        for i, n in enumerate(counts):
            src = "198.18.0.%d" % (11 + i)
            ns.sh("ip", "addr", "add", src + "/24", "dev", "tap0")
            self.procs.append(subprocess.Popen(
                ["ip", "netns", "exec", ns.name, "/usr/bin/python3", HOLDER, NetNS.GUEST_IP,
                 "7", src, str(n), str(TIME_LIMIT)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True))

    def read_all(self, what, timeout):
        """One line from every holder; fails with what they said if one errs or is late."""
        deadline = time.monotonic() + timeout
        lines = []
        for p in self.procs:
            line = p.stdout.readline().strip()  # the holders keep their own time limit
            if not line or line.startswith("error") or time.monotonic() > deadline:
                raise TestFailure("a connection holder failed while %s: %r (exit %s)"
                                  % (what, line, p.poll()))
            lines.append(line.split())
        return lines

    def tell(self, word):
        for p in self.procs:
            p.stdin.write(word + "\n")
            p.stdin.flush()

    def close(self):
        for p in self.procs:
            try:
                self.tell("close")
            except (BrokenPipeError, ValueError):
                pass
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def hold(ns, counts, timeout):
    """Opens sum(counts) connections; returns (holders, up, refused)."""
    h = Holders(ns, counts)
    try:
        got = h.read_all("connecting", timeout)
    except Exception:
        h.close()
        raise
    return h, sum(int(g[1]) for g in got), sum(int(g[3]) for g in got)


def echo_all(h, timeout):
    h.tell("echo")
    got = h.read_all("echoing", timeout)
    return [sum(int(g[i]) for g in got) for i in (1, 2, 3)]


@per_nic
def tcp_holds_100k_idle_connections(tmp, nic):
    """100,000 connections open at once on 3 dataplane cores (about 33,000 each, where the
    fixed pool of old held 1,200): the guest's counters show them all, each echoes 16 bytes
    exactly, nothing is refused, and memory per connection is what the boot log says."""
    want = 100000
    counts = [PER_HOLDER] * (want // PER_HOLDER) + [want % PER_HOLDER]
    with NetNS(nic=nic) as ns, Machine(direct_args(GUEST, ECHO_APP), smp=4, mem="1024M",
                                       netns=ns) as m:
        up(m, ns)
        t0 = time.monotonic()
        h, opened, refused = hold(ns, counts, TIME_LIMIT)
        try:
            connect_s = time.monotonic() - t0
            cores, _ = stats(m, m.mark())
            held = total(cores, "tcp_pcbs")
            t1 = time.monotonic()
            ok, bad, reset = echo_all(h, TIME_LIMIT)
            echo_s = time.monotonic() - t1
            after, _ = stats(m, m.mark())
        finally:
            h.close()
        m.absent(r"FATAL|panic|error: |refused \d+ connection")
    mem = total(after, "conn_mem_bytes")
    print("conns_%s: %d opened in %.1f s (%d refused); guest holds %d (%s per core), limit %d "
          "per core; echo on all: %d ok, %d wrong, %d reset in %.1f s; connection memory "
          "%.1f MiB (%.0f B per connection)"
          % (nic, opened, connect_s, refused, held,
             "/".join(str(v["tcp_pcbs"]) for v in cores.values()),
             min(v["tcp_pcbs_max"] for v in cores.values()), ok, bad, reset, echo_s,
             mem / 2**20, mem / max(held, 1)))
    if opened != want or refused:
        raise TestFailure("%d of %d connections opened, %d refused" % (opened, want, refused))
    if held < want:
        raise TestFailure("the guest holds %d connections, not %d: %s" % (held, want, cores))
    if ok != want or bad or reset:
        raise TestFailure("echo over every connection: %d ok, %d wrong, %d reset of %d"
                          % (ok, bad, reset, want))
    if total(after, "tcp_refused") or total(after, "tcp_pcb_fails"):
        raise TestFailure("the guest refused connections: %s" % after)


@per_nic
def tcp_over_conn_mem_is_refused_with_reset(tmp, nic):
    """conn_mem=1 (1 MiB for the one dataplane core: a few thousand connections): of 6,000,
    the ones over the budget are reset after their handshake (the client sees it at once, no
    SYN left to time out), counted (tcp_refused) and logged; those held all echo."""
    with NetNS(nic=nic) as ns, Machine(direct_args(GUEST + " conn_mem=1", ECHO_APP), smp=2,
                                       mem="512M", netns=ns) as m:
        up(m, ns)
        said = re.search(r"cpu\d+ holds up to (\d+) connections \((\d+) bytes each\)", m.text())
        if not said:
            raise TestFailure("the boot log does not say how many connections a core holds")
        limit = int(said.group(1))
        h, opened, refused = hold(ns, [6000], 300)
        try:
            ok, bad, reset = echo_all(h, 300)
            cores, _ = stats(m, m.mark())
        finally:
            h.close()
        m.expect(r"refused \d+ connections? \(connection memory full: see conn_mem=\)")
        m.absent(r"FATAL|panic|error: ")
    counted = total(cores, "tcp_refused")
    print("conn_mem_%s: limit %d; of 6000: %d opened, %d refused at connect; echo %d ok, %d "
          "wrong, %d reset; guest counted %d refused, holds %d"
          % (nic, limit, opened, refused, ok, bad, reset, counted, total(cores, "tcp_pcbs")))
    if bad:
        raise TestFailure("%d echoes came back wrong" % bad)
    if ok < limit - 64 or ok > limit:
        raise TestFailure("%d connections echoed; the guest's limit is %d" % (ok, limit))
    if ok + reset + refused != 6000:
        raise TestFailure("connections unaccounted for: %d ok + %d reset + %d refused != 6000"
                          % (ok, reset, refused))
    if counted < 6000 - limit:
        raise TestFailure("the guest counted %d refusals for %d connections over its limit "
                          "%d" % (counted, 6000 - limit, limit))
