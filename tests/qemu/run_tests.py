#!/usr/bin/env python3
"""Runs the QEMU end-to-end tests, a few at a time, and prints one line per test plus
"qemu: N passed, M failed". On a failure it shows the reason and the serial log.

Usage: run_tests.py [-j JOBS] [-k SUBSTRING]...   (-k again: tests matching any of them)
"""
import argparse
import concurrent.futures
import os
import shutil
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402
import test_boot  # noqa: E402
import test_net  # noqa: E402
import test_tcp  # noqa: E402
import test_isn  # noqa: E402
import test_user  # noqa: E402
import test_mgmt  # noqa: E402
import test_overload  # noqa: E402
import test_hostile  # noqa: E402
import test_moves  # noqa: E402
import test_memcached  # noqa: E402
import test_memcached_tools  # noqa: E402
import test_memcached_t  # noqa: E402
import test_linux  # noqa: E402
import test_mcload  # noqa: E402
import test_conns  # noqa: E402
import test_run  # noqa: E402
import test_memcached_clients  # noqa: E402
import test_httpd  # noqa: E402

MODULES = [test_boot, test_net, test_tcp, test_isn, test_user, test_mgmt, test_overload,
           test_hostile, test_moves, test_memcached, test_memcached_clients,
           test_memcached_tools, test_memcached_t, test_linux, test_mcload, test_conns,
           test_httpd, test_run]


def run_one(fn):
    tmp = tempfile.mkdtemp(prefix="ixos-case-")
    start = time.monotonic()
    qemu.current.machines = []
    try:
        fn(tmp)
        return fn.__name__, True, "", time.monotonic() - start
    except qemu.TestFailure as e:
        why = str(e)
    except Exception:
        why = traceback.format_exc()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    machines = qemu.current.machines
    log = machines[-1].text() if machines else "(QEMU never started)"
    tail = "\n".join(log.splitlines()[-80:])
    detail = "%s\n--- serial log (last 80 lines) ---\n%s\n--- end ---" % (why, tail)
    return fn.__name__, False, detail, time.monotonic() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-j", "--jobs", type=int, default=max(1, os.cpu_count() or 1))
    ap.add_argument("-k", "--filter", action="append", default=[],
                    help="run only tests whose name contains this (repeatable: any of them)")
    opts = ap.parse_args()
    wanted = opts.filter or [os.environ.get("TESTS", "")]

    def chosen(t):
        return any(k in t.__name__ for k in wanted)

    # Modules with EXCLUSIVE = True (load and flood tests, which compare rates within one
    # run) get the machine to themselves, one test at a time, after the others.
    shared = [t for mod in MODULES if not getattr(mod, "EXCLUSIVE", False)
              for t in mod.TESTS if chosen(t)]
    alone = [t for mod in MODULES if getattr(mod, "EXCLUSIVE", False)
             for t in mod.TESTS if chosen(t)]
    if not shared and not alone:
        # A selection that runs nothing must not read as a pass: one failure, named.
        print("error: no QEMU test name contains %s (run_tests.py -k SUBSTRING, or TESTS=)"
              % " or ".join(map(repr, wanted)), flush=True)
        print("qemu: 0 passed, 1 failed")
        return 1
    passed = failed = 0

    def report(results):
        nonlocal passed, failed
        for name, ok, detail, secs in results:
            if ok:
                passed += 1
                print("PASS %s (%.1fs)" % (name, secs), flush=True)
            else:
                failed += 1
                print("FAIL %s (%.1fs): %s" % (name, secs, detail), flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as pool:
        report(pool.map(run_one, shared))
    report(map(run_one, alone))
    print("qemu: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
