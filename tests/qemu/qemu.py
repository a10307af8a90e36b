"""Boots ixos in QEMU and watches its serial console: the runner's building blocks.

A Machine starts QEMU with the serial line on a pipe and the monitor on a unix socket,
collects everything the kernel prints, and lets a test wait for lines (regular expressions)
with a timeout. Failures raise TestFailure with a message; the runner prints the serial log.
"""
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
KERNEL = os.path.join(BUILD, "ixos.elf")
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
# The project's own QEMU (tools/qemu/build.sh): Debian's plus -device ixgbe, our 82599 model.
PROJECT_QEMU = os.path.join(BUILD, "qemu-system-x86_64")


class TestFailure(Exception):
    pass


# The machines the current test (one per runner thread) has started, to show their logs.
current = threading.local()


class Machine:
    """One QEMU run. Use as a context manager so QEMU and its files always go away."""

    def __init__(self, args, smp=1, mem="256M", machine="q35", cpu="max", netns=None,
                 qemu=None, host_cpus=None):
        """host_cpus (a taskset list such as "1") pins every QEMU thread to those host CPUs."""
        self.tmp = tempfile.mkdtemp(prefix="ixos-test-")
        self.mon_path = os.path.join(self.tmp, "monitor.sock")
        if qemu is None:
            qemu = PROJECT_QEMU if netns and netns.nic == "ixgbe" else QEMU
        self.cmd = [qemu, "-accel", "tcg", "-machine", machine, "-cpu", cpu,
                    "-smp", str(smp), "-m", mem, "-display", "none", "-nodefaults",
                    "-no-reboot", "-serial", "stdio",
                    "-monitor", "unix:%s,server=on,wait=off" % self.mon_path] + list(args)
        if netns:
            self.cmd += netns.qemu_args()
        if host_cpus is not None:
            self.cmd = ["taskset", "-c", str(host_cpus)] + self.cmd
        if netns:
            self.cmd = ["ip", "netns", "exec", netns.name] + self.cmd
        self.log = bytearray()  # grows in place: appending to bytes would copy it every time
        self.pos = 0  # expect() searches from here: lines are matched in order
        self.cond = threading.Condition()
        self.proc = None
        self.exited = False

    def __enter__(self):
        if not hasattr(current, "machines"):
            current.machines = []
        current.machines.append(self)
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self._fd = self.proc.stdout.fileno()
        os.set_blocking(self._fd, False)
        # Held while bytes move from the pipe to the log, so mark() can drain the pipe itself.
        self._pipe_lock = threading.Lock()
        threading.Thread(target=self._reader, daemon=True).start()
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False

    def _drain(self):
        """Moves what the pipe holds into the log (caller holds _pipe_lock); False at its end."""
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return True
            except OSError:
                chunk = b""
            with self.cond:
                if not chunk:
                    self.exited = True
                    self.cond.notify_all()
                    return False
                self.log += chunk.replace(b"\r", b"")  # lines end in \r\n on the wire
                self.cond.notify_all()

    def _reader(self):
        while True:
            try:
                select.select([self._fd], [], [])
            except (OSError, ValueError):
                return
            with self._pipe_lock:
                if self.exited or not self._drain():
                    return

    def mark(self):
        """The log position of this moment: what QEMU wrote before the call is in the log
        (the pipe is drained first), so output found after the mark was written after it.
        test_net.stats() takes it, to read counters printed after a moment."""
        with self._pipe_lock:
            if not self.exited:
                self._drain()
            with self.cond:
                return len(self.log)

    def wait_for(self, find, timeout, what):
        """Calls find(log, end) under the lock, where log[:end] is the whole lines received so
        far, until it returns something other than None, and returns that; fails after
        timeout seconds (or when QEMU exits) naming what."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                got = find(self.log, self.log.rfind(b"\n") + 1)
                if got is not None:
                    return got
                if self.exited:
                    raise TestFailure("QEMU exited (status %s) before %s"
                                      % (self.proc.poll(), what))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure("timed out after %ds waiting for %s" % (timeout, what))
                self.cond.wait(min(left, 0.5))

    def text(self):
        return self.log.decode("utf-8", "replace").replace("\r", "")

    def expect(self, pattern, timeout=60):
        """Waits until pattern appears after the previous match; returns the match."""
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern, re.M)

        def find(log, end):
            # Only whole lines: "$" must not match where a chunk happened to end.
            return rx.search(log, self.pos, end)

        m = self.wait_for(find, timeout, "%r" % pattern)
        self.pos = m.end()
        return m

    def settle(self, seconds):
        """Lets the machine run on for a while (to see what it prints next)."""
        time.sleep(seconds)

    def absent(self, pattern):
        """Fails if pattern appears anywhere in the log so far."""
        if re.search(pattern, self.text(), re.M):
            raise TestFailure("unexpected output matching %r" % pattern)

    def seen(self, pattern):
        """Fails unless pattern appears somewhere in the log so far (in any order)."""
        m = re.search(pattern, self.text(), re.M)
        if not m:
            raise TestFailure("expected output matching %r" % pattern)
        return m

    def monitor(self, command, timeout=10):
        """Runs a human-monitor command and returns its output."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.mon_path)
        out = b""
        try:
            while not out.endswith(b"(qemu) "):
                out += s.recv(65536)
            s.sendall(command.encode() + b"\n")
            out = b""
            while not out.endswith(b"(qemu) "):
                chunk = s.recv(65536)
                if not chunk:
                    break  # QEMU closed the monitor (quit)
                out += chunk
        finally:
            s.close()
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out.decode("utf-8", "replace"))
        return text.replace("\r", "")


def module_file(tmpdir, name, size, seed):
    """Writes a module of pseudo-random bytes; returns (path, fnv1a32 of its content)."""
    data = bytes((seed * 1103515245 + i * 12345 >> 8) & 0xFF for i in range(size))
    path = os.path.join(tmpdir, name)
    with open(path, "wb") as f:
        f.write(data)
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return path, h


def direct_args(cmdline, modules=()):
    """QEMU -kernel (Multiboot1): modules are (path, args) pairs. QEMU separates modules with
    commas, so a comma inside a module's arguments (memcached's -o a,b) is written twice."""
    args = ["-kernel", KERNEL, "-append", cmdline]
    if modules:
        args += ["-initrd", ",".join(("%s %s" % (p, a.replace(",", ",,"))).strip()
                                     for p, a in modules)]
    return args


def iso_args(tmpdir, cmdline, modules=()):
    """A GRUB2 ISO made like build/ixos.iso, with its own menu (multiboot2 + module2)."""
    cfg = os.path.join(tmpdir, "grub.cfg")
    lines = ["serial --unit=0 --speed=115200", "terminal_input serial",
             "terminal_output serial", "set timeout=0", 'menuentry "ixos-test" {',
             "  multiboot2 /boot/ixos.elf %s" % cmdline]
    for p, a in modules:
        lines.append("  module2 /boot/%s %s" % (os.path.basename(p), a))
    lines += ["  boot", "}"]
    with open(cfg, "w") as f:
        f.write("\n".join(lines) + "\n")
    iso = os.path.join(tmpdir, "test.iso")
    subprocess.run([os.path.join(ROOT, "tools", "mkiso.sh"), iso, cfg, KERNEL]
                   + [p for p, _ in modules], check=True)
    return ["-cdrom", iso]


def pxe_args(tmpdir, cmdline, modules=()):
    """PXE through QEMU's TFTP server and the e1000e's iPXE ROM (Multiboot1)."""
    tftp = os.path.join(tmpdir, "tftp")
    os.makedirs(tftp)
    shutil.copy(KERNEL, os.path.join(tftp, "ixos.elf"))
    script = ["#!ipxe", "kernel ixos.elf %s" % cmdline]
    for p, a in modules:
        shutil.copy(p, tftp)
        script.append("module %s %s" % (os.path.basename(p), a))
    script.append("boot")
    with open(os.path.join(tftp, "boot.ipxe"), "w") as f:
        f.write("\n".join(script) + "\n")
    sercon = os.path.join(tmpdir, "sercon")
    with open(sercon, "wb") as f:
        f.write(b"\xf8\x03")
    return ["-fw_cfg", "name=etc/sercon-port,file=%s" % sercon,
            "-netdev", "user,id=boot,tftp=%s,bootfile=boot.ipxe" % tftp,
            "-device", "e1000e,netdev=boot,bootindex=1"]


class NetNS:
    """A private network namespace holding a tap device for one QEMU guest.

    The host side of the link is 198.18.0.1/24 (RFC 2544 benchmarking space); the guest is
    told ip=198.18.0.2/24. The namespace and everything in it go away on exit.
    """

    HOST_IP = "198.18.0.1"
    GUEST_IP = "198.18.0.2"
    _count = 0
    _lock = threading.Lock()

    MGMT_HOST_IP = "198.19.0.1"
    MGMT_GUEST_IP = "198.19.0.2"

    def __init__(self, nic="igb", mtu=1500, loss=0, reorder=0, mgmt=False):
        """loss and reorder (percent) put tests/qemu/lossy_link.py between QEMU and the tap
        (for kernels without netem); otherwise QEMU uses the tap directly. mgmt adds a second
        NIC (igb) for the management port on its own tap, tap1, 198.19.0.1/24."""
        with NetNS._lock:
            NetNS._count += 1
            self.name = "ixos-%d-%d" % (os.getpid(), NetNS._count)
        self.nic = nic
        self.mtu = mtu
        self.impair = (loss, reorder) if loss or reorder else None
        self.relay = None
        self.mgmt = mgmt

    def sh(self, *cmd, check=True, timeout=60):
        return subprocess.run(["ip", "netns", "exec", self.name] + list(cmd), check=check,
                              timeout=timeout, capture_output=True, text=True)

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        for cmd in (["tuntap", "add", "dev", "tap0", "mode", "tap"],
                    ["addr", "add", self.HOST_IP + "/24", "dev", "tap0"],
                    ["link", "set", "tap0", "mtu", str(self.mtu), "up"],
                    ["link", "set", "lo", "up"]):
            subprocess.run(["ip", "-n", self.name] + cmd, check=True)
        if self.mgmt:
            for cmd in (["tuntap", "add", "dev", "tap1", "mode", "tap"],
                        ["addr", "add", self.MGMT_HOST_IP + "/24", "dev", "tap1"],
                        ["link", "set", "tap1", "up"]):
                subprocess.run(["ip", "-n", self.name] + cmd, check=True)
        if self.impair:
            relay = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lossy_link.py")
            self.relay = subprocess.Popen(
                ["ip", "netns", "exec", self.name, "/usr/bin/python3", relay, "tap0", "40001",
                 "40002", str(self.impair[0]), str(self.impair[1]), "600"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            # The relay binds its UDP port once it holds the tap: until then QEMU's frames
            # and the host's would go nowhere.
            deadline = time.monotonic() + 20
            while ":%04X " % 40002 not in self.sh("cat", "/proc/net/udp").stdout:
                if self.relay.poll() is not None or time.monotonic() > deadline:
                    why = ("exited: %s" % self.relay.communicate()[0]
                           if self.relay.poll() is not None else "no socket after 20 s")
                    self.__exit__(None, None, None)
                    raise TestFailure("lossy_link.py did not start: " + why)
                time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        if self.relay:
            self.relay.terminate()
            try:
                self.relay.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.relay.kill()
        subprocess.run(["ip", "netns", "del", self.name], check=False)
        return False

    def qemu_args(self):
        if self.impair:
            # QEMU's NIC sends to the relay's UDP port and listens on its own.
            netdev = ("dgram,id=dp0,local.type=inet,local.host=127.0.0.1,local.port=40001,"
                      "remote.type=inet,remote.host=127.0.0.1,remote.port=40002")
        else:
            netdev = "tap,id=dp0,ifname=tap0,script=no,downscript=no"
        args = ["-netdev", netdev, "-device", "%s,netdev=dp0" % self.nic]
        if self.mgmt:
            args += ["-netdev", "tap,id=mg0,ifname=tap1,script=no,downscript=no",
                     "-device", "igb,netdev=mg0,addr=0x4"]  # igb VFs take slots 16+
        return args

    def ping(self, count=5, interval=0.2, timeout=10, source=None, dest=None):
        """Sends count ICMP echo requests to the guest, interval seconds apart (from source,
        one of the host side's addresses, if given; to dest instead of the guest's address, if
        given); returns how many of them were answered
        by timeout seconds after the last one. (ping(8) gives a late reply only twice the
        longest round trip so far, and with -w sends more than count: neither says whether
        each request was answered.)"""
        args = [dest or self.GUEST_IP, str(count), str(interval), str(timeout)] + ([source] if source
                                                                           else [])
        r = self.sh("/usr/bin/python3", "-c", PING, *args, check=False,
                    timeout=timeout + count * interval + 30)
        if r.returncode != 0:
            raise TestFailure("the pinger failed: %s" % r.stderr[-2000:])
        return int(r.stdout.split()[-1])


# NetNS.ping's pinger, run in the namespace: ICMP echo on a raw socket, replies matched by
# identifier and sequence number. Prints how many requests were answered.
PING = r"""
import os, select, socket, struct, sys, time
dst, count, interval, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
    float(sys.argv[4])
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
if len(sys.argv) > 5:
    s.bind((sys.argv[5], 0))
ident = os.getpid() & 0xffff
got, sent, next_send, deadline = set(), 0, time.monotonic(), None
while len(got) < count:
    now = time.monotonic()
    if sent < count and now >= next_send:
        body = bytes(56)
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, sent)
        try:
            s.sendto(struct.pack("!BBHHH", 8, 0, csum(hdr + body), ident, sent) + body,
                     (dst, 0))
        except OSError:
            pass  # no route or neighbour yet: that request goes unanswered
        sent += 1
        next_send = now + interval
        if sent == count:
            deadline = now + timeout
    if deadline is not None and now >= deadline:
        break
    ready, _, _ = select.select([s], [], [], max(0, (deadline or next_send) - now))
    if ready:
        data, addr = s.recvfrom(65536)
        ihl = (data[0] & 15) * 4
        if len(data) >= ihl + 8 and addr[0] == dst:
            typ, _, _, rid, seq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if typ == 0 and rid == ident and seq < sent:
                got.add(seq)
print(len(got))
"""
