#!/usr/bin/python3
"""Holds many TCP connections to an echo server, for tests/qemu/test_conns.py.

conn_holder.py SERVER PORT SOURCE COUNT TIME_LIMIT: opens COUNT connections from address
SOURCE (at most INFLIGHT handshakes at a time), prints "up N refused R" once every one is open or
has failed, then waits for a line on stdin:
  "echo"  sends 16 bytes on every open connection and reads them back (ECHOES_INFLIGHT at a
          time); prints "echo OK BAD
          RESET" (the echo came back exact / wrong / the connection was reset or closed);
  "close" closes everything and exits 0.
Everything is bounded by TIME_LIMIT seconds in all (exit 3 past it). One process holds fewer
connections than its open-file limit (raised to the hard limit), so a test runs several.
"""
import errno
import resource
import selectors
import socket
import sys
import time

# Handshakes in flight: six holders at once stay well under the guest's 255 half-open
# connections per core (lwIP's backlog, whose overflow evicts the oldest: net/stack/synflood.c).
INFLIGHT = 32
ECHOES_INFLIGHT = 64  # a burst of 17,000 segments at once would only overflow the NIC ring


def main():
    server, port, source, count, limit = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                                          int(sys.argv[4]), float(sys.argv[5]))
    deadline = time.monotonic() + limit
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if count + 64 > hard:
        print("error: %d connections need %d open files; the limit is %d"
              % (count, count + 64, hard), flush=True)
        return 2
    sel = selectors.DefaultSelector()
    up, refused, started, pending = [], 0, 0, 0
    while len(up) + refused < count:
        if time.monotonic() > deadline:
            print("error: time limit while connecting (%d up, %d refused, %d pending)"
                  % (len(up), refused, pending), flush=True)
            return 3
        while pending < INFLIGHT and started < count:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.IPPROTO_IP, 24, 1)  # IP_BIND_ADDRESS_NO_PORT
            s.bind((source, 0))
            s.setblocking(False)
            rc = s.connect_ex((server, port))
            if rc not in (0, errno.EINPROGRESS):
                s.close()
                refused += 1
            else:
                sel.register(s, selectors.EVENT_WRITE)
                pending += 1
            started += 1
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            sel.unregister(s)
            pending -= 1
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                s.close()
                refused += 1
            else:
                up.append(s)
    print("up %d refused %d" % (len(up), refused), flush=True)
    for line in sys.stdin:
        if line.strip() == "close":
            break
        if line.strip() != "echo":
            continue
        ok = bad = reset = 0
        want, todo = {}, list(enumerate(up))
        while (todo or want) and time.monotonic() < deadline:
            while todo and len(want) < ECHOES_INFLIGHT:
                i, s = todo.pop()
                msg = b"%015d\n" % i
                try:
                    s.send(msg)
                    want[s] = [msg, b""]
                    sel.register(s, selectors.EVENT_READ)
                except OSError:
                    reset += 1
            for key, _ in sel.select(timeout=0.5):
                s = key.fileobj
                try:
                    data = s.recv(64)
                except OSError:
                    data = None
                if not data:
                    reset += 1
                else:
                    want[s][1] += data
                    if len(want[s][1]) < 16:
                        continue
                    if want[s][1] == want[s][0]:
                        ok += 1
                    else:
                        bad += 1
                sel.unregister(s)
                del want[s]
        if want or todo:
            print("error: time limit with %d echoes missing" % (len(want) + len(todo)), flush=True)
            return 3
        print("echo %d %d %d" % (ok, bad, reset), flush=True)
    for s in up:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
