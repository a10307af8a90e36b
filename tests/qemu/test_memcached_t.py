"""memcached's own test suite (t/*.t from Debian's source package, run with prove) against
memcached on ixos (issue 13).

The suite's MemcachedTest.pm talks to an external server when T_MEMD_USE_DAEMON=HOST:PORT is
set, instead of starting ./memcached-debug with each file's flags. It still runs
`memcached-debug -h` to learn which features the binary has (TLS, SASL, unix sockets,
extstore, proxy), so the guest first runs `memcached -h` as an app of its own (ixos runs the
app modules one after the other) and a shim prints that text. Every file gets a fresh
memcached: `ixmgr app restart` (an empty cache, counters from zero) before each.

Files that cannot apply to an external server started once with ARGS, or to memcached on
ixos, are listed in NOT_HERE with the reason and are not run (the reasons are printed);
every other file must pass. TESTS_T=FILE[,FILE] runs only those, listed ones included.
"""
import os
import re
import subprocess
import sys
import time

from qemu import BUILD, Machine, NetNS, TestFailure, direct_args

TESTS = []
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITE = os.path.join(TOP, "third_party", "memcached", "t")
MC = os.path.join(BUILD, "apps", "memcached")
IXMGR = os.path.join(BUILD, "ixmgr")
KEY = "5e0d7c3b9a1f48e2b6c4d8a0f2e4c6b8a9d1e3f5071b2c3d4e5f6a7b8c9d0e1f"
GUEST = ("ip=198.18.0.2/24 gw=198.18.0.1 mgmt_ip=198.19.0.2/24 app_budget_us=200000 "
         "mgmt_key=" + KEY)
PORT = 11211
ARGS = "-m 128 -p %d" % PORT

# File: why it cannot pass against memcached on ixos started once with ARGS.
OWN = "starts a server of its own with "
NOT_HERE = {
    # Servers with flags of their own (the external server has ARGS for all).
    "00-startup.t": OWN + "bad flags to check that it refuses to start",
    "64bit.t": OWN + "-m 4098 -M",
    "ascii-auth.t": OWN + "-Y (an auth file: apps have no file system)",
    "conn-limits.t": OWN + "-o read_buf_mem_limit=1 -t 32 -R 500",
    "daemonize.t": OWN + "-d -P (ixos has no fork and no files)",
    "dash-M.t": OWN + "-M -m 2",
    "dyn-maxbytes.t": OWN + "-m 3 -o slab_automove_window=3",
    "evictions.t": OWN + "-m 3",
    "issue_22.t": OWN + "-m 3",
    "issue_61.t": OWN + "-R 1",
    "item_size_max.t": OWN + "several -I values, some refused at start",
    "refhang.t": OWN + "-m 6",
    "slabhang.t": OWN + "-m 16",
    "stats.t": OWN + "-I 1024 -o slab_chunk_max=1024",
    "misbehave.t": OWN + "-o drop_privileges (seccomp: Linux only)",
    "restart.t": OWN + "-e (a memory file for restarts: no file system)",
    "shutdown.t": OWN + "-A (the shutdown command)",
    "stats-conns.t": OWN + "-s (a unix socket) and -l 0.0.0.0",
    # Features that are off on ixos (README, "memcached"; stats settings shows them).
    "binary-sasl.t": "SASL is not built",
    "idle-timeout.t": "the idle-connection reaper is a background thread: off",
    "lru-crawler.t": "the LRU crawler is a background thread: off",
    "lru-maintainer.t": "the LRU maintainer is a background thread: off",
    "slabs-reassign-chunked.t": "the slab rebalancer is a background thread: off",
    "slabs-reassign2.t": "the slab rebalancer is a background thread: off",
    "slabs_reassign.t": "the slab rebalancer is a background thread: off",
    "watcher.t": "watch needs the logger thread: off",
    "watcher_connid.t": "watch needs the logger thread: off",
    "udp.t": "UDP is not built",
    "unixsocket.t": "unix sockets are not built",
    "proxy.t": "the proxy is not built",
    "ssl_cert_refresh.t": "TLS is not built",
    "ssl_ports.t": "TLS is not built",
    "ssl_proto_version.t": "TLS is not built",
    "ssl_session_resumption.t": "TLS is not built",
    "ssl_settings.t": "TLS is not built",
    "ssl_verify_modes.t": "TLS is not built",
    "maxconns.t": "extstore is not built (its first server has -o ext_path)",
}


def listening(m, threads):
    for _ in range(threads):
        m.expect(r"app memcached: listening on TCP port %d on cpu \d+" % PORT, timeout=60)


def builddir(tmp, help_text):
    """A folder that looks like memcached's build tree to the suite: t/ and a memcached-debug
    that prints the guest's own -h text."""
    d = os.path.join(tmp, "mc")
    os.makedirs(d)
    os.symlink(SUITE, os.path.join(d, "t"))
    with open(os.path.join(d, "help.txt"), "w") as f:
        f.write(help_text)
    shim = os.path.join(d, "memcached-debug")
    with open(shim, "w") as f:
        f.write('#!/bin/sh\n# memcached on ixos runs in the guest: only -h is answered here.\n'
                '[ "$1" = -h ] && exec cat "$(dirname "$0")/help.txt"\n'
                'echo "memcached-debug: runs in the ixos guest" >&2; exit 1\n')
    os.chmod(shim, 0o755)
    return d


def restart(ns, m):
    """A fresh memcached: stopped, started again, listening on every core."""
    since = m.mark()
    r = subprocess.run(["ip", "netns", "exec", ns.name, IXMGR, "-t", "udp:%s" % NetNS.MGMT_GUEST_IP,
                        "app", "restart"], env=dict(os.environ, IXMGR_KEY=KEY),
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise TestFailure("ixmgr app restart: exit %d %s%s" % (r.returncode, r.stdout, r.stderr))
    m.pos = since
    got = m.expect(r"app memcached: started, (\d+) threads?", timeout=60)
    listening(m, int(got.group(1)))


def prove(ns, d, name, timeout=300):
    """(passed, summary line) of one file run by prove against the guest."""
    env = dict(os.environ, T_MEMD_USE_DAEMON="%s:%d" % (NetNS.GUEST_IP, PORT))
    try:
        r = subprocess.run(["ip", "netns", "exec", ns.name, "prove", os.path.join("t", name)],
                           cwd=d, env=env, capture_output=True, text=True, errors="replace",
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "timed out after %d s" % timeout
    out = r.stdout + r.stderr
    tests = re.search(r"Files=\d+, Tests=(\d+)", out)
    detail = "%s tests" % (tests.group(1) if tests else "?")
    if r.returncode != 0:
        failed = re.findall(r"^(not ok .*|# +Failed test.*|.*Dubious.*|.*[Ee]rror.*)$", out,
                            re.M)
        detail += "; " + " | ".join(failed[:4])[:600]
    return r.returncode == 0, detail


def memcached_test_suite(tmp):
    files = sorted(f for f in os.listdir(SUITE) if f.endswith(".t"))
    only = [f for f in os.environ.get("TESTS_T", "").split(",") if f]
    if only:
        files = [f for f in files if f in only]
    else:
        for f in files:
            if f in NOT_HERE:
                print("memcached t/%s: not run: %s" % (f, NOT_HERE[f]), file=sys.stderr)
        files = [f for f in files if f not in NOT_HERE]
    # The -h run under a name of its own: `app restart` finds the app to start by name.
    helper = os.path.join(tmp, "memcached-help")
    with open(MC, "rb") as src, open(helper, "wb") as dst:
        dst.write(src.read())
    mods = [(helper, "-h"), (MC, ARGS)]
    with NetNS(nic="igb", mgmt=True) as ns, Machine(direct_args(GUEST, mods), smp=4,
                                                     netns=ns) as m:
        start = m.expect(r"app memcached-help: started, \d+ threads?", timeout=60).end()
        end = m.expect(r"app memcached-help: exited with status 0", timeout=60).start()
        text = m.text()[start:end]
        help_text = "".join(re.findall(r"^\[memcached-help cpu\d+\] (.*\n)", text, re.M))
        if "-p, --port" not in help_text:
            raise TestFailure("memcached -h printed no help: %r" % text[:500])
        got = m.expect(r"app memcached: started, (\d+) threads?", timeout=60)
        listening(m, int(got.group(1)))
        d = builddir(tmp, help_text)
        bad, unexpected_pass, t0 = [], [], time.monotonic()
        for i, name in enumerate(files):
            if i:
                restart(ns, m)
            ok, detail = prove(ns, d, name)
            why = NOT_HERE.get(name)
            print("memcached t/%s: %s (%s)%s" % (name, "ok" if ok else "FAILED", detail,
                                                 "; not expected here: " + why if why else ""),
                  file=sys.stderr, flush=True)
            if not ok and not why:
                bad.append("%s: %s" % (name, detail))
            if ok and why:
                unexpected_pass.append(name)
        applies = [f for f in files if f not in NOT_HERE]
        print("memcached t/: %d of %d files that apply passed, %d listed as not applying here;"
              " %.0f s" % (len(applies) - len(bad), len(applies), len(files) - len(applies),
                           time.monotonic() - t0), file=sys.stderr, flush=True)
        if unexpected_pass:
            print("memcached t/: listed as not applying but passed: %s" % unexpected_pass,
                  file=sys.stderr, flush=True)
        if bad:
            raise TestFailure("memcached's own tests failed:\n" + "\n".join(bad))
        m.absent(r"FATAL|error: ")


TESTS.append(memcached_test_suite)


if __name__ == "__main__":
    # make memcached-suite: the whole suite in one guest, outside make test (it takes about
    # 20 minutes under TCG).
    import tempfile
    import qemu
    qemu.current.machines = []
    try:
        memcached_test_suite(tempfile.mkdtemp(prefix="ixos-mct-"))
        print("memcached t/: PASS")
    except TestFailure as e:
        print("memcached t/: FAIL %s" % e)
        sys.exit(1)
