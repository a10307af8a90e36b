"""The Linux baseline guest of `make bench` (bench/linux/build.sh): Debian 12's kernel with its own
igb and ixgbe drivers, Debian's memcached 1.6.18 and our echo server, booted in the same QEMU
as ixos (q35, TCG, 4 CPUs, a tap in a namespace). On igb it must serve memcached (memccapable's
ASCII and binary tests) and echo. On ixgbe it runs Linux's production driver against our 82599
model: a second, independent driver that checks the model behaves like the chip."""
import os
import subprocess

from qemu import BUILD, ROOT, Machine, NetNS, TestFailure

TESTS = []
LINUX = os.path.join(BUILD, "linux")
MEMCACHED_PORT, ECHO_PORT = 11211, 7


def build():
    r = subprocess.run([os.path.join(ROOT, "bench", "linux", "build.sh"), os.path.dirname(LINUX)],
                       capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise TestFailure("bench/linux/build.sh failed (exit %d): %s"
                          % (r.returncode, (r.stdout + r.stderr)[-3000:]))


def linux_args(mem_mb=256):
    cmdline = ("console=ttyS0 quiet loglevel=4 panic=-1 ixb_ip=%s/24 ixb_gw=%s ixb_mem=%d"
               % (NetNS.GUEST_IP, NetNS.HOST_IP, mem_mb))
    return ["-kernel", os.path.join(LINUX, "vmlinuz"), "-initrd",
            os.path.join(LINUX, "initrd.gz"), "-append", cmdline]


def echo_roundtrip(ns, size=1000, rounds=50):
    script = ("import socket,sys\ns=socket.create_connection((sys.argv[1],%d),timeout=20)\n"
              "for i in range(%d):\n m=bytes([i%%251])*%d\n s.sendall(m)\n g=b''\n"
              " while len(g)<len(m):\n  d=s.recv(65536)\n  assert d, 'closed'\n  g+=d\n"
              " assert g==m, 'wrong echo'\nprint('ok')\n" % (ECHO_PORT, rounds, size))
    r = ns.sh("/usr/bin/python3", "-c", script, NetNS.GUEST_IP, check=False, timeout=120)
    if r.stdout.strip() != "ok":
        raise TestFailure("echo through Linux: %s %s" % (r.stdout, r.stderr[-800:]))


def make_linux_test(nic):
    def fn(tmp):
        build()
        with NetNS(nic=nic) as ns, Machine(linux_args(), smp=4, mem="512M", netns=ns) as m:
            m.expect(r"linux-baseline: eth0 driver (\w+)", timeout=300)
            m.expect(r"linux-baseline: ready ip=\S+ cpus=4", timeout=120)
            echo_roundtrip(ns)
            for mode in ("-a", "-b"):
                r = ns.sh("memccapable", "-h", NetNS.GUEST_IP, "-p", str(MEMCACHED_PORT),
                          "-t", "20", mode, check=False, timeout=600)
                failed = [l for l in r.stdout.splitlines()
                          if "[" in l and not l.endswith(("[pass]", "[skip]"))]
                if r.returncode != 0 or failed:
                    raise TestFailure("memccapable %s on Linux over %s: %s %s"
                                      % (mode, nic, failed, r.stdout[-800:]))
            m.absent(r"FATAL|Kernel panic|probe of .* failed")
    fn.__name__ = "linux_baseline_serves_memcached_and_echo_%s" % nic
    return fn


# Both NICs. On ixgbe, Debian 6.1's driver probes our 82599 model (EEPROM through EERD with a
# valid checksum, semaphores, an Intel 10GBASE-SR SFP+ module over I2C), brings the link up at
# 10 Gb/s and serves both workloads over its MSI-X queues, RSS, checksum offload and TSO.
for _nic in ("igb", "ixgbe"):
    TESTS.append(make_linux_test(_nic))
