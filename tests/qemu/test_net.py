"""QEMU end-to-end tests of the NIC dataplane (issues 4 and 5): a guest on a tap in a private
network namespace answers ping on every CPU count, spreads flows over its dataplane cores by
RSS, and drops and counts malformed frames while it keeps answering. Every test runs on both
NICs: QEMU's 82576 (igb) and the project's 82599 model (ixgbe, in build/qemu-system-x86_64)."""
import os
import re

from qemu import Machine, NetNS, TestFailure, direct_args

TESTS = []
NICS = ("igb", "ixgbe")
HERE = os.path.dirname(os.path.abspath(__file__))
GUEST = "ip=198.18.0.2/24 gw=198.18.0.1"
# The NIC-level tests count with the in-place ARP/ICMP path (dp_mode=l2), whose counters
# name exactly what happened to each frame; the TCP/IP stack has its own tests (test_tcp.py).
L2 = GUEST + " dp_mode=l2"


def test(fn):
    TESTS.append(fn)
    return fn


def boot(m):
    """Waits for the dataplane and the ready line; returns the guest's MAC."""
    mac = m.expect(r"dataplane: \w+ ([0-9a-f:]{17}) at .* link up").group(1).decode()
    m.expect(r"^ixos: ready cpus=\d+ ")
    return mac


def stats(m, timeout=30):
    """The next complete block of per-core stats lines: {cpu: {counter: value}}, nic."""
    block = m.expect(r"((?:^stats: cpu\d+ queue \d+ .*\n)+)^stats: nic (.*)\n",
                     timeout=timeout)
    cores = {}
    for line in block.group(1).decode().splitlines():
        cpu = int(re.match(r"stats: cpu(\d+)", line).group(1))
        cores[cpu] = {k: int(v) for k, v in re.findall(r" (\w+)=(\d+)", line)}
    nic = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", block.group(2).decode())}
    return cores, nic


def stats_after(m):
    """The first complete stats block that starts after this call: what stats() would return
    from the log read so far may have been printed before the traffic the caller counts."""
    with m.cond:
        m.pos = m.log.rfind(b"\n") + 1
    stats(m)  # may have begun before now: its counters can predate the caller's traffic
    return stats(m)


def total(cores, key):
    return sum(c[key] for c in cores.values())


def make_ping_test(smp, nic="igb"):
    def fn(tmp):
        # The default mode: lwIP answers (ARP shared between the cores' instances).
        with NetNS(nic=nic) as ns, Machine(direct_args(GUEST), smp=smp, netns=ns) as m:
            boot(m)
            got = ns.ping(count=10)
            if got != 10:
                raise TestFailure("%d of 10 pings answered" % got)
            m.absent(r"FATAL|error: ")
    fn.__name__ = "ping_%s_smp%d" % (nic, smp)
    return fn


for _nic in NICS:
    for _smp in (1, 2, 4):
        test(make_ping_test(_smp, _nic))


def per_nic_into(tests, fn):
    """Registers fn(tmp, nic) in tests once per NIC, as NAME_NIC."""
    for nic in NICS:
        def bound(tmp, nic=nic):
            return fn(tmp, nic)
        bound.__name__ = "%s_%s" % (fn.__name__, nic)
        tests.append(bound)
    return fn


def per_nic(fn):
    return per_nic_into(TESTS, fn)


@per_nic
def rss_spreads_flows_over_cores(tmp, nic):
    with NetNS(nic=nic) as ns, Machine(direct_args(L2 + " stats_interval=1"), smp=4,
                                netns=ns) as m:
        mac = boot(m)
        ns.sh("/usr/bin/python3", os.path.join(HERE, "sendraw.py"), "tap0", mac, "udpflows", "300")
        m.settle(2)
        cores, _ = stats(m)
        cores, _ = stats(m)  # a block printed after the burst has certainly landed
        busy = [c for c, v in cores.items() if v["rx_packets"] > 0]
        if len(cores) != 3:
            raise TestFailure("expected 3 dataplane cores, stats show %d" % len(cores))
        if len(busy) < 2:
            raise TestFailure("300 flows all landed on cpu %s" % busy)
        if total(cores, "rx_not_for_us") < 300:
            raise TestFailure("not every UDP datagram was counted: %d"
                              % total(cores, "rx_not_for_us"))


@per_nic
def malformed_frames_counted_and_survived(tmp, nic):
    with NetNS(nic=nic, mtu=2000) as ns, Machine(direct_args(L2 + " stats_interval=1"), smp=2,
                                        netns=ns) as m:
        mac = boot(m)
        send = os.path.join(HERE, "sendraw.py")
        for kind, n in (("runt", 5), ("oversize", 5), ("badipcsum", 5), ("random", 200)):
            ns.sh("/usr/bin/python3", send, "tap0", mac, kind, str(n))
        if ns.ping(count=5) != 5:
            raise TestFailure("the guest stopped answering pings after malformed frames")
        cores, nic_stats = stats_after(m)
        for key, want in (("rx_malformed", 5), ("rx_csum_errors", 5)):
            if total(cores, key) < want:
                raise TestFailure("%s=%d, expected at least %d" % (key, total(cores, key),
                                                                    want))
        # Oversize frames: the 82599 (no jumbo frames configured) drops and counts them in
        # hardware (ROC); the igb driver lets them through to the buffer size and software
        # counts them. Either way all five are counted.
        oversize = total(cores, "rx_oversize") + nic_stats["rx_length_errors"]
        if oversize < 5:
            raise TestFailure("oversize frames counted %d times, expected at least 5" % oversize)
        m.absent(r"FATAL|error: ")


@per_nic
def idle_cores_sleep_and_wake_on_packets(tmp, nic):
    with NetNS(nic=nic) as ns, Machine(direct_args(L2 + " stats_interval=1"), smp=2,
                                netns=ns) as m:
        boot(m)
        if ns.ping(count=3) != 3:
            raise TestFailure("ping failed")
        cores, _ = stats_after(m)
        c = cores[1]
        if c["idle_sleeps"] == 0 or c["irq_wakeups"] == 0:
            raise TestFailure("core never slept or was never woken by its queue: %s" % c)


@per_nic
def ping_answered_on_every_core(tmp, nic):
    """Pings from 32 source addresses: RSS hashes them over the queues, and every dataplane
    core answers its share (the hash is deterministic, so this is no matter of luck)."""
    with NetNS(nic=nic) as ns, Machine(direct_args(L2 + " stats_interval=1"), smp=4,
                                       netns=ns) as m:
        boot(m)
        sources = ["198.18.0.%d" % (100 + i) for i in range(32)]
        for a in sources:
            ns.sh("ip", "addr", "add", a + "/24", "dev", "tap0")
        for a in sources:
            r = ns.sh("ping", "-n", "-c", "1", "-W", "2", "-I", a, NetNS.GUEST_IP, check=False)
            if r.returncode != 0:
                raise TestFailure("no reply to a ping from %s" % a)
        cores, _ = stats_after(m)
        idle = [c for c, v in cores.items() if v["icmp_echo_replies"] == 0]
        if len(cores) != 3 or idle:
            raise TestFailure("cores without echo replies: %s (of %s)" % (idle, sorted(cores)))
        if total(cores, "icmp_echo_replies") < 32:
            raise TestFailure("only %d echo replies counted" % total(cores, "icmp_echo_replies"))
