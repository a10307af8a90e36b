"""memcached's own test suite (t/*.t from Debian's source package, run with prove) against
memcached on ixos (issue 13).

The suite's MemcachedTest.pm talks to an external server when T_MEMD_USE_DAEMON=HOST:PORT is
set, instead of starting ./memcached-debug with each file's flags. It still runs
`memcached-debug -h` to learn which features the binary has (TLS, SASL, unix sockets,
extstore, proxy), so the guest first runs `memcached -h` as an app of its own (ixos runs the
app modules one after the other) and a shim prints that text. Every file gets a fresh
memcached: `ixmgr app restart` (an empty cache, counters from zero) before each.

A file whose one server has flags of its own (OWN_FLAGS) gets a guest of its own booted
with those flags. Files that cannot apply to an external server, or to memcached on ixos,
are listed in NOT_HERE with the reason and are not run (the reasons are printed); every
other file must pass. TESTS_T=FILE[,FILE] runs only those, listed ones included.
"""
import os
import re
import signal
import subprocess
import sys
import time

from qemu import BUILD, Machine, NetNS, TestFailure, direct_args
from test_net import per_nic_into

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

# Files whose one server has flags of its own: each runs against a guest of its own started
# with those flags (as the file itself would start memcached-debug).
OWN_FLAGS = {
    "chunked-items.t": "-m 48 -o slab_chunk_max=16384",
    "conn-limits.t": "-o read_buf_mem_limit=1 -R 500",  # -t 32 dropped: -t is the core count
    "dash-M.t": "-M -m 2",
    "evictions.t": "-m 3",
    "issue_22.t": "-m 3",
    "issue_50.t": "-B binary",
    "issue_61.t": "-R 1",
    "lru.t": "-o no_modern",
    "refhang.t": "-m 6",
    "slabhang.t": "-m 16 -o modern",
    "stats.t": "-I 1024 -o slab_chunk_max=1024,no_lru_crawler,no_lru_maintainer",
}

# Files that apply but where a test checks a feature that is off on ixos: the file passes when
# exactly these tests fail (by name) and all the others pass.
KNOWN_FAILS = {
    "stats.t": ({"expected count of stats values"},
                "75 stats, not 83: the 8 slab_reassign_* and slabs_moved figures are shown "
                "only with the slab rebalancer, which is off"),
}

# File: why it cannot pass against memcached on ixos started once with ARGS.
OWN = "starts a server of its own with "
NOT_HERE = {
    # Several servers with flags of their own, or a faked malloc of the debug build.
    "00-startup.t": OWN + "bad flags to check that it refuses to start",
    "64bit.t": "fakes a 4 GiB malloc with T_MEMD_INITIAL_MALLOC (memcached-debug only)",
    "ascii-auth.t": OWN + "-Y (an auth file: apps have no file system)",
    "daemonize.t": OWN + "-d -P (ixos has no fork and no files)",
    "flush-all.t": OWN + "-F and another with -C, after the first",
    "expirations.t": "moves memcached's clock with debugtime, a command of memcached-debug only",
    "issue_67.t": OWN + "many port flags each, read back from a ports file",
    "item_size_max.t": OWN + "several -I values, some refused at start",
    "misbehave.t": OWN + "-o drop_privileges (seccomp: Linux only)",
    "restart.t": OWN + "-e (a memory file for restarts: no file system)",
    "shutdown.t": OWN + "-A (the shutdown command)",
    "stats-conns.t": OWN + "-s (a unix socket) and -l 0.0.0.0",
    # Features that are off on ixos (README, "memcached"; stats settings shows them).
    "binary-sasl.t": "SASL is not built",
    "idle-timeout.t": "the idle-connection reaper is a background thread: off",
    "lru-crawler.t": "the LRU crawler is a background thread: off",
    "lru-maintainer.t": "the LRU maintainer is a background thread: off",
    "dyn-maxbytes.t": "lowering -m at run time frees memory through the slab rebalancer: off",
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
    """(passed, summary line) of one file run by prove against the guest. A file in
    KNOWN_FAILS passes when exactly its listed tests fail and every other test passes."""
    env = dict(os.environ, T_MEMD_USE_DAEMON="%s:%d" % (NetNS.GUEST_IP, PORT))
    # prove in a session of its own: on a timeout the whole group goes (the .t it runs too).
    p = subprocess.Popen(["ip", "netns", "exec", ns.name, "prove", "-v", os.path.join("t", name)],
                         cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, errors="replace", start_new_session=True)
    try:
        out = p.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out = p.communicate()[0]
        last = [l for l in out.splitlines() if l.startswith(("ok ", "not ok "))][-1:]
        return False, "timed out after %d s; last: %s" % (timeout, last)
    tests = re.search(r"Files=\d+, Tests=(\d+)", out)
    detail = "%s tests" % (tests.group(1) if tests else "?")
    passed = p.returncode == 0
    if name in KNOWN_FAILS:
        names = set(re.findall(r"^not ok \d+ - (.*)$", out, re.M))
        planned = re.search(r"^1\.\.(\d+)$", out, re.M)
        ran = len(re.findall(r"^(?:not )?ok \d+", out, re.M))
        passed = names == KNOWN_FAILS[name][0] and planned and int(planned.group(1)) == ran
        detail += "; %s failed as expected (%s)" % (sorted(names), KNOWN_FAILS[name][1]) \
            if passed else "; failed %s, expected %s" % (sorted(names),
                                                         sorted(KNOWN_FAILS[name][0]))
    elif not passed:
        failed = re.findall(r"^(not ok .*|# +Failed test.*|.*Dubious.*|.*[Ee]rror.*)$", out,
                            re.M)
        detail += "; " + " | ".join(failed[:4])[:600]
    return passed, detail


def run_file(ns, d, name, results):
    ok, detail = prove(ns, d, name)
    why = NOT_HERE.get(name)
    flags = " (a guest with %s)" % OWN_FLAGS[name] if name in OWN_FLAGS else ""
    print("memcached t/%s: %s (%s)%s%s" % (name, "ok" if ok else "FAILED", detail, flags,
                                         "; not expected here: " + why if why else ""),
          file=sys.stderr, flush=True)
    results[name] = (ok, detail)


def memcached_test_suite(tmp, nic):
    files = sorted(f for f in os.listdir(SUITE) if f.endswith(".t"))
    only = [f for f in os.environ.get("TESTS_T", "").split(",") if f]
    if only:
        files = [f for f in files if f in only]
    else:
        for f in files:
            if f in NOT_HERE:
                print("memcached t/%s: not run: %s" % (f, NOT_HERE[f]), file=sys.stderr)
        files = [f for f in files if f not in NOT_HERE]
    shared = [f for f in files if f not in OWN_FLAGS]
    # The -h run under a name of its own: `app restart` finds the app to start by name.
    helper = os.path.join(tmp, "memcached-help")
    with open(MC, "rb") as src, open(helper, "wb") as dst:
        dst.write(src.read())
    mods = [(helper, "-h"), (MC, ARGS)]
    results, t0 = {}, time.monotonic()
    with NetNS(nic=nic, mgmt=True) as ns:
        with Machine(direct_args(GUEST, mods), smp=4, mem="512M", netns=ns) as m:
            start = m.expect(r"app memcached-help: started, \d+ threads?", timeout=60).end()
            end = m.expect(r"app memcached-help: exited with status 0", timeout=60).start()
            text = m.text()[start:end]
            help_text = "".join(re.findall(r"^\[memcached-help cpu\d+\] (.*\n)", text, re.M))
            if "-p, --port" not in help_text:
                raise TestFailure("memcached -h printed no help: %r" % text[:500])
            got = m.expect(r"app memcached: started, (\d+) threads?", timeout=60)
            listening(m, int(got.group(1)))
            d = builddir(tmp, help_text)
            for i, name in enumerate(shared):
                if i:
                    restart(ns, m)
                run_file(ns, d, name, results)
            m.absent(r"FATAL|error: ")
        for name in files:
            if name in OWN_FLAGS:
                own = [(MC, "%s -p %d" % (OWN_FLAGS[name], PORT))]
                with Machine(direct_args(GUEST, own), smp=4, mem="512M", netns=ns) as m:
                    got = m.expect(r"app memcached: started, (\d+) threads?", timeout=60)
                    listening(m, int(got.group(1)))
                    run_file(ns, d, name, results)
                    m.absent(r"FATAL|error: ")
    bad = ["%s: %s" % (f, results[f][1]) for f in files
           if not results[f][0] and f not in NOT_HERE]
    unexpected_pass = [f for f in files if results[f][0] and f in NOT_HERE]
    applies = [f for f in files if f not in NOT_HERE]
    print("memcached t/: %d of %d files that apply passed (%d in guests with their own flags),"
          " %d listed as not applying here; %.0f s"
          % (len(applies) - len(bad), len(applies), len([f for f in applies if f in OWN_FLAGS]),
             len(files) - len(applies), time.monotonic() - t0), file=sys.stderr, flush=True)
    if unexpected_pass:
        print("memcached t/: listed as not applying but passed: %s" % unexpected_pass,
              file=sys.stderr, flush=True)
    if bad:
        raise TestFailure("memcached's own tests failed:\n" + "\n".join(bad))


per_nic_into(TESTS, memcached_test_suite)


if __name__ == "__main__":
    # make memcached-suite: the whole suite on one NIC (NIC=igb|ixgbe, igb by default) with
    # every file's result printed; make test runs it on both.
    import tempfile
    import qemu
    qemu.current.machines = []
    try:
        memcached_test_suite(tempfile.mkdtemp(prefix="ixos-mct-"), os.environ.get("NIC", "igb"))
        print("memcached t/: PASS")
    except TestFailure as e:
        print("memcached t/: FAIL %s" % e)
        sys.exit(1)
