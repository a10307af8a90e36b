"""The two servers of `make bench`, booted the same way: ixos (this tree's kernel with the
memcached, echo or httpd app) and the Linux baseline (bench/linux/, Debian 12's kernel, memcached
1.6.18 and our per-CPU epoll echo server, or nginx 1.22 for HTTP). Same QEMU, machine (q35, TCG), -smp, -m, NIC and tap
in a private namespace; QEMU's threads pinned to the host CPUs given, away from the load
generator's."""
import contextlib
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "qemu"))
from qemu import BUILD, PROJECT_QEMU, QEMU, Machine, NetNS, TestFailure, direct_args  # noqa

LINUX = os.path.join(BUILD, "linux")
PORTS = {"echo": 7, "usr": 11211, "etc": 11211, "http": 80}
# The HTTP workload's site (bench/httpbench.py writes both before booting): the tar archive httpd
# serves as a data module, and the Linux guest's initramfs with it appended as /srv/site.tar.
HTTP_SITE = os.path.join(BUILD, "bench", "http-site.tar")
HTTP_INITRD = os.path.join(BUILD, "bench", "http-initrd.gz")
# httpd's options: no per-connection request limit (wrk's and mcload's keep-alive connections
# are never closed, as nginx's keepalive_requests 1000000) and nginx's keepalive_timeout.
HTTPD_ARGS = "-p 80 --max-requests 0 --idle-timeout 65"
OSES = ("linux", "ixos")


def ixos_cmdline():
    # The tests' app budget: TCG may take a vCPU away from the app longer than the 10 ms default.
    return "ip=%s/24 gw=%s app_budget_us=200000" % (NetNS.GUEST_IP, NetNS.HOST_IP)


def ixos_app(workload, mem_mb):
    """The app module: (path, arguments after argv[0], which is the module's path)."""
    if workload == "echo":
        return (os.path.join(BUILD, "apps", "echo"), "7")
    if workload == "http":
        return (os.path.join(BUILD, "apps", "httpd"), HTTPD_ARGS)
    return (os.path.join(BUILD, "apps", "memcached"), "-m %d -p 11211" % mem_mb)


def ixos_modules(workload, mem_mb):
    """Every boot module after the kernel: the app, and for http the site (a data module)."""
    mods = [ixos_app(workload, mem_mb)]
    if workload == "http":
        if not os.path.exists(HTTP_SITE):
            raise TestFailure("%s is missing (bench/httpbench.py writes it)" % HTTP_SITE)
        mods.append((HTTP_SITE, ""))
    return mods


def app_name(workload):
    return {"echo": "echo", "http": "httpd"}.get(workload, "memcached")


def linux_args(mem_mb, workload=None):
    """For http the initramfs with the site appended (HTTP_INITRD) and ixb_http=1: nginx
    instead of memcached and echo."""
    cmdline = ("console=ttyS0 quiet loglevel=4 panic=-1 ixb_ip=%s/24 ixb_gw=%s ixb_mem=%d"
               % (NetNS.GUEST_IP, NetNS.HOST_IP, mem_mb))
    initrd = os.path.join(LINUX, "initrd.gz")
    if workload == "http":
        if not os.path.exists(HTTP_INITRD):
            raise TestFailure("%s is missing (bench/httpbench.py writes it)" % HTTP_INITRD)
        initrd = HTTP_INITRD
        cmdline += " ixb_http=1"
    return ["-kernel", os.path.join(LINUX, "vmlinuz"), "-initrd", initrd, "-append", cmdline]


def build_linux():
    r = subprocess.run([os.path.join(TOP, "bench", "linux", "build.sh"), BUILD],
                       capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise TestFailure("bench/linux/build.sh failed: %s" % r.stderr[-2000:])


def settings(o):
    """The guests' settings, as the report prints them."""
    return {"smp": o.smp, "mem": o.mem, "nic": o.nic, "machine": "q35", "accel": "tcg",
            "qemu_host_cpus": o.qemu_cpus, "memcached_mem_mb": o.mc_mem,
            "ixos_cmdline": ixos_cmdline(),
            "ixos_cores": "1 management + %d dataplane (memcached: one worker thread per "
                          "dataplane core)" % (o.smp - 1),
            "linux": "Debian 12 kernel 6.1, its %s driver, memcached -t %d -c 4096, echo "
                     "server: one SO_REUSEPORT epoll thread per CPU, each queue interrupt "
                     "on its own CPU, busy polling off" % (o.nic, o.smp)}


@contextlib.contextmanager
def boot(os_name, workload, o, smp, plugin_out=None, cmdline=None):
    """Boots os_name with smp vCPUs serving workload in a fresh namespace; yields (namespace,
    machine). plugin_out: run the project's QEMU with the instruction-counting plugin writing
    there. cmdline: ixos's kernel command line instead of ixos_cmdline()."""
    qemu = QEMU if o.nic == "igb" else PROJECT_QEMU
    extra = []
    if plugin_out:
        qemu = PROJECT_QEMU
        extra = ["-plugin", "%s,out=%s,period_ms=10"
                 % (os.path.join(BUILD, "qemu-insncount.so"), plugin_out)]
    if os_name == "ixos":
        line = cmdline or ixos_cmdline()
        kernel = re.search(r"(?:^| )kernel=(\S+)", line)
        args = direct_args(re.sub(r"(?:^| )kernel=\S+", "", line),
                           ixos_modules(workload, o.mc_mem))
        if kernel:  # --ixos-variant NAME:kernel=PATH: another build of the kernel
            args[1] = kernel.group(1)
    else:
        args = linux_args(o.mc_mem, workload)
    with NetNS(nic=o.nic) as ns, Machine(args + extra, smp=smp, mem=o.mem, netns=ns,
                                         qemu=qemu, host_cpus=o.qemu_cpus) as m:
        if os_name == "ixos":
            m.expect(r"^ixos: ready cpus=\d+ ", timeout=120)
            name = app_name(workload)
            n = int(m.expect(r"app %s: started, (\d+) threads?" % name, timeout=60).group(1))
            for _ in range(n):
                m.expect(r"app %s: listening on TCP port %d" % (name, PORTS[workload]),
                         timeout=60)
        else:
            m.expect(r"linux-baseline: ready ip=\S+ cpus=%d" % smp, timeout=300)
        if ns.ping(count=3) == 0:
            raise TestFailure("%s does not answer ping" % os_name)
        yield ns, m
