"""QEMU tests of `make run` and of DHCP (ip=dhcp, mgmt_ip=dhcp; issue 13 item 9).

make_run_serves_memcached: the exact QEMU command line `make run` runs (`make -s run-cmd`),
started without a terminal on host ports free for this test (RUN_MC_PORT, RUN_MGMT_PORT), with
QEMU's user networking: both NICs get 10.0.2.15 from their own slirp DHCP server; then, from
the host's loopback, memcached answers `version` and a set/get on the forwarded port, and the
two lines `make run` prints to try (`make -s run-hints`) work as printed, the ixmgr one with
the demo key build/demo.key.

dhcp_from_dnsmasq_*: a guest on taps in a private namespace where Debian's dnsmasq serves both
ports: each gets its offered address, the dataplane answers ping on it, ixmgr reaches the
management port on its own, and the lease (2 minutes, dnsmasq's shortest) is renewed at T1.

dhcp_no_server_still_boots: nobody answers: the guest reaches ready and starts its app, warns
for each port after 4 DISCOVERs (15 s), keeps asking (counted on its stats line), and has no
address meanwhile (0.0.0.0: it answers no ARP, so no ping).
"""
import os
import re
import shlex
import socket
import subprocess
import time

from qemu import BUILD, ROOT, Machine, NetNS, TestFailure, direct_args
from test_mgmt import KEY
from test_net import per_nic_into

TESTS = []
IXMGR = os.path.join(BUILD, "ixmgr")
ECHO = [(os.path.join(BUILD, "apps", "echo"), "7")]


def test(fn):
    TESTS.append(fn)
    return fn


def free_port(kind):
    """A host port on 127.0.0.1 nobody holds now (TCP or UDP)."""
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def make_out(target, mc_port, mgmt_port, *extra, http_port=None, echo_port=None):
    """make -s TARGET with the run's host ports set (all of them free, so a port another
    program holds on this host cannot stop QEMU) and any extra VAR=value."""
    http_port = http_port or free_port(socket.SOCK_STREAM)
    echo_port = echo_port or free_port(socket.SOCK_STREAM)
    r = subprocess.run(["make", "-s", "--no-print-directory", target,
                        "RUN_MC_PORT=%d" % mc_port, "RUN_MGMT_PORT=%d" % mgmt_port,
                        "RUN_HTTP_PORT=%d" % http_port, "RUN_ECHO_PORT=%d" % echo_port]
                       + list(extra),
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise TestFailure("make %s failed:\n%s%s" % (target, r.stdout[-2000:], r.stderr[-3000:]))
    return r.stdout


def memcached_talk(port, payload, want, timeout=30):
    """Sends payload to 127.0.0.1:port and reads until every bytes in want has arrived."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:  # slirp's forward may refuse until the guest listens
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(payload)
                got = b""
                while not all(w in got for w in want):
                    d = s.recv(65536)
                    if not d:
                        break
                    got += d
                if all(w in got for w in want):
                    return got
                last = got
        except OSError as e:
            last = e
        time.sleep(0.5)
    raise TestFailure("memcached on 127.0.0.1:%d: wanted %r, got %r" % (port, want, last))


@test
def make_run_serves_memcached(tmp):
    mc_port = free_port(socket.SOCK_STREAM)
    mgmt_port = free_port(socket.SOCK_DGRAM)
    cmd = make_out("run-cmd", mc_port, mgmt_port).strip().splitlines()[-1]
    hints = make_out("run-hints", mc_port, mgmt_port).splitlines()
    if "hostfwd=tcp:127.0.0.1:%d-:11211" % mc_port not in cmd or \
            "hostfwd=udp:127.0.0.1:%d-:7070" % mgmt_port not in cmd:
        raise TestFailure("run-cmd does not forward the test's ports: %s" % cmd)
    m = Machine([])
    m.cmd = shlex.split(cmd)  # exactly make run's command line (serial on stdio: a pipe here)
    with m:
        m.expect(r"boot: cmdline \".*ip=dhcp mgmt_ip=dhcp .*mgmt_key=\*{64}", timeout=60)
        m.expect(r"^ixos: ready cpus=4 ", timeout=120)
        for port in ("mgmt", "dataplane"):
            m.wait_for(lambda log, end, p=port: re.search(
                rb"dhcp: %s 10\.0\.2\.15/24 gw 10\.0\.2\.2 from 10\.0\.2\.2, lease \d+ s"
                % p.encode(), log[:end]), 60, "the %s port's lease" % port)
        got = m.expect(r"app memcached: started, (\d+) threads?", timeout=60)
        for _ in range(int(got.group(1))):
            m.expect(r"app memcached: listening on TCP port 11211 on cpu \d+", timeout=60)
        memcached_talk(mc_port, b"version\r\n", [b"VERSION 1.6.18\r\n"])
        memcached_talk(mc_port, b"set k1 0 0 3\r\nabc\r\nget k1\r\n",
                       [b"STORED\r\n", b"VALUE k1 0 3\r\nabc\r\nEND\r\n"])

        # The two lines make run prints, run as printed (from the repository's top).
        tries = [h[2:] for h in hints if h.startswith("  ")]
        if len(tries) != 2 or "nc " not in tries[0] or "ixmgr" not in tries[1]:
            raise TestFailure("make run-hints printed %r" % hints)
        r = subprocess.run(tries[0], shell=True, cwd=ROOT, capture_output=True, timeout=60)
        if b"STORED\r\nVALUE hello 0 5\r\nworld\r\nEND\r\n" not in r.stdout:
            raise TestFailure("%s: %r %r" % (tries[0], r.stdout, r.stderr))
        env = dict(os.environ)
        env.pop("IXMGR_KEY", None)
        r = subprocess.run(tries[1], shell=True, cwd=ROOT, capture_output=True, text=True,
                           env=env, timeout=60)
        if r.returncode != 0 or "ip dp=10.0.2.15/24 gw=10.0.2.2 mgmt=10.0.2.15/24" not in \
                r.stdout or "app name=memcached state=running" not in r.stdout:
            raise TestFailure("%s: exit %d\n%s%s" % (tries[1], r.returncode, r.stdout, r.stderr))
        key = os.path.join(BUILD, "demo.key")
        if os.stat(key).st_mode & 0o077 or not re.fullmatch(r"[0-9a-f]{64}\n?",
                                                            open(key).read()):
            raise TestFailure("build/demo.key: not 64 hex digits of mode 600")


@test
def make_run_httpd_serves_the_example_site(tmp):
    """make run RUN_APP=httpd: GRUB's menu boots its httpd entry, which serves the example
    site (user/apps/httpd/site/, the data module build/site.tar) on the forwarded port; the
    curl line make run prints fetches its index page as printed."""
    mc_port, http_port = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM)
    mgmt_port = free_port(socket.SOCK_DGRAM)
    args = ("RUN_APP=httpd", "RUN_MENU_TIMEOUT=0")
    cmd = make_out("run-cmd", mc_port, mgmt_port, *args, http_port=http_port)
    cmd = cmd.strip().splitlines()[-1]
    hints = make_out("run-hints", mc_port, mgmt_port, *args, http_port=http_port).splitlines()
    if "hostfwd=tcp:127.0.0.1:%d-:80" % http_port not in cmd:
        raise TestFailure("run-cmd does not forward the http port: %s" % cmd)
    tries = [h[2:] for h in hints if h.startswith("  ")]
    if len(tries) != 2 or not tries[0].startswith("curl ") or "ixmgr" not in tries[1]:
        raise TestFailure("make run-hints RUN_APP=httpd printed %r" % hints)
    m = Machine([])
    m.cmd = shlex.split(cmd)
    with m:
        m.expect(r"^ixos: ready cpus=4 ", timeout=120)
        m.expect(r"datamod: site\.tar: \d+ bytes, read-only in apps", timeout=5)
        m.expect(r"httpd: serving TCP port 80 on \d+ cores", timeout=60)
        m.wait_for(lambda log, end: re.search(rb"dhcp: dataplane 10\.0\.2\.15/24", log[:end]),
                   60, "the dataplane's lease")
        want = open(os.path.join(ROOT, "user", "apps", "httpd", "site", "index.html"), "rb").read()
        deadline, r = time.monotonic() + 60, None
        while time.monotonic() < deadline:  # slirp may refuse until the guest has its lease
            r = subprocess.run(tries[0] + " -sS --max-time 20", shell=True, cwd=ROOT,
                               capture_output=True, timeout=60)
            if r.returncode == 0:
                break
            time.sleep(1)
        if r.returncode != 0 or r.stdout != want:
            raise TestFailure("%s: exit %d, %d bytes (want the %d of index.html) %r" % (
                tries[0], r.returncode, len(r.stdout), len(want), r.stderr[-500:]))


class Dnsmasq:
    """Debian's dnsmasq in the namespace, serving 198.18.0.50-59 on tap0 and 198.19.0.50-59
    on tap1 with a 2-minute lease; its log (--log-dhcp) goes to a file."""

    def __init__(self, ns, tmp):
        self.ns, self.tmp = ns, tmp
        self.log = os.path.join(tmp, "dnsmasq.log")
        self.proc = None

    def __enter__(self):
        args = ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0",
                "--bind-interfaces", "--interface=tap0", "--interface=tap1",
                "--except-interface=lo", "--no-ping", "--log-dhcp", "--log-facility=-",
                "--user=root", "--group=root",
                "--pid-file=%s" % os.path.join(self.tmp, "dnsmasq.pid"),
                "--dhcp-leasefile=%s" % os.path.join(self.tmp, "leases"),
                "--dhcp-range=198.18.0.50,198.18.0.59,255.255.255.0,2m",
                "--dhcp-range=198.19.0.50,198.19.0.59,255.255.255.0,2m"]
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns.name] + args,
                                     stdout=self.out, stderr=subprocess.STDOUT)
        time.sleep(0.5)
        if self.proc.poll() is not None:
            raise TestFailure("dnsmasq did not start: %s" % open(self.log).read()[-2000:])
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.out.close()
        return False

    def text(self):
        return open(self.log).read()


def dhcp_from_dnsmasq(tmp, nic):
    ns = NetNS(nic=nic, mgmt=True)
    args = direct_args("ip=dhcp mgmt_ip=dhcp mgmt_key=%s stats_interval=30" % KEY, ECHO)
    with ns, Dnsmasq(ns, tmp) as dns, Machine(args, smp=4, netns=ns) as m:
        m.expect(r"^ixos: ready cpus=4 ", timeout=120)
        found = {}
        for port, net in (("dataplane", "18"), ("mgmt", "19")):
            pat = (r"dhcp: %s (198\.%s\.0\.5\d)/24 gw 198\.%s\.0\.1 from 198\.%s\.0\.1, "
                   r"lease 120 s" % (port, net, net, net)).encode()
            try:
                found[port] = m.wait_for(lambda log, end, p=pat: re.search(p, log[:end]), 60,
                                         "the %s port's lease from dnsmasq" % port).group(1)
            except TestFailure as e:
                raise TestFailure("%s\n--- dnsmasq ---\n%s" % (e, dns.text()[-3000:]))
        dp, mg = found["dataplane"].decode(), found["mgmt"].decode()
        got = ns.ping(count=5, dest=dp)
        if got < 4:
            raise TestFailure("%d of 5 pings to the leased %s answered" % (got, dp))
        env = dict(os.environ, IXMGR_KEY=KEY)
        r = subprocess.run(["ip", "netns", "exec", ns.name, IXMGR, "-t", "udp:" + mg, "status"],
                           capture_output=True, text=True, env=env, timeout=60)
        if r.returncode != 0 or "ip dp=%s/24 gw=198.18.0.1 mgmt=%s/24" % (dp, mg) not in r.stdout:
            raise TestFailure("ixmgr status over the leased %s: exit %d\n%s%s"
                              % (mg, r.returncode, r.stdout, r.stderr))
        # T1 is half the lease: both renew from dnsmasq (unicast) about 60 s after binding.
        for port, addr, net in (("dataplane", dp, "18"), ("mgmt", mg, "19")):
            pat = (r"dhcp: %s %s/24 renewed from 198\.%s\.0\.1, lease 120 s"
                   % (port, re.escape(addr), net)).encode()
            m.wait_for(lambda log, end, p=pat: re.search(p, log[:end]), 100,
                       "the %s port's renewal" % port)
        got = ns.ping(count=3, dest=dp)
        if got < 2:
            raise TestFailure("%d of 3 pings answered after the renewal" % got)
        m.absent(r"dhcp: .*(NAK|expired|no answer|no ACK)")


per_nic_into(TESTS, dhcp_from_dnsmasq)


@test
def dhcp_no_server_still_boots(tmp):
    ns = NetNS(nic="igb", mgmt=True)
    args = direct_args("ip=dhcp mgmt_ip=dhcp stats_interval=5", ECHO)
    with ns, Machine(args, smp=4, netns=ns) as m:
        m.expect(r"^ixos: ready cpus=4 ", timeout=120)
        m.expect(r"app echo: started", timeout=60)
        for port in ("dataplane", "mgmt"):
            m.wait_for(lambda log, end, p=port: re.search(
                rb"warning: dhcp: %s: no answer to 4 DISCOVERs in 1[5-9] s: no address yet"
                % p.encode(), log[:end]), 60, "the %s port's warning" % port)
        if ns.ping(count=3, dest=NetNS.GUEST_IP, timeout=3) != 0:
            raise TestFailure("a guest with no address answered ping")
        pos = m.mark()
        got = m.wait_for(lambda log, end: re.search(
            rb"^stats: dhcp dataplane state=1 tx_discover=(\d+) .*rx_bad=0", log[pos:end],
            re.M), 30, "the DHCP stats line")
        if int(got.group(1)) < 5:
            raise TestFailure("only %s DISCOVERs after the warning" % got.group(1).decode())
        m.absent(r"dhcp: (dataplane|mgmt) \d")
