"""Clients of httpd for tests/qemu/test_httpd.py, run inside the test namespace:

  httpd_client.py files HOST MANIFEST.json   curl GET and HEAD of every file, bodies by hash
  httpd_client.py http HOST MANIFEST.json    keep-alive, Range, conditionals, HTTP/1.0,
                                             pipelining, directories, every error, escapes
  httpd_client.py slowloris HOST             a slow head gets 408 while others are served
  httpd_client.py many HOST N PATH SIZE      N connections at once, each one GET

Each prints one JSON line: {"ok": true, ...} or {"ok": false, "failed": "what"}. Every
socket has a timeout and every loop a bound."""
import hashlib
import json
import re
import selectors
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

PORT = 80
out = {"ok": False, "checked": 0}


class Failed(Exception):
    pass


def check(what, got, want):
    out["checked"] += 1
    if got != want:
        raise Failed("%s: got %r, expected %r" % (what, got, want))


def url(host, name):
    return "http://%s/%s" % (host, urllib.parse.quote(name))


def curl(*args, timeout=300):
    r = subprocess.run(["curl", "-sS", "--max-time", str(timeout - 10)] + list(args),
                       capture_output=True, timeout=timeout)
    if r.returncode != 0:
        raise Failed("curl %s: exit %d %s" % (" ".join(args)[:200], r.returncode,
                                               r.stderr.decode(errors="replace")[-300:]))
    return r.stdout


def read_response(c, head_only=False):
    """One response from Conn c: (status, {field: value}, body, raw head)."""
    buf, s = c.rbuf, c.s
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise Failed("connection closed before a whole head: %r" % buf[:300])
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.1 (\d{3}) ", lines[0])
    if not m:
        raise Failed("bad status line %r" % lines[0])
    fields = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        fields[k.strip().lower()] = v.strip()
    n = 0 if head_only or m.group(1) == "304" else int(fields.get("content-length", "0"))
    while len(buf) < n:
        d = s.recv(1 << 20)
        if not d:
            raise Failed("connection closed in a body (%d of %d bytes)" % (len(buf), n))
        buf += d
    body, c.rbuf = buf[:n], buf[n:]
    return int(m.group(1)), fields, body, head


class Conn:
    def __init__(self, host):
        self.s = socket.create_connection((host, PORT), timeout=120)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rbuf = b""

    def ask(self, raw, head_only=False):
        self.s.sendall(raw)
        return read_response(self, head_only)

    def closed(self):
        """Whether the server closed the connection (EOF, nothing more sent; waited for as long
        as a loaded host may need: the server closes once its answer is acknowledged)."""
        self.s.settimeout(120)
        try:
            d = self.s.recv(100)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        return d == b"" and not self.rbuf

    def close(self):
        self.s.close()


def get(path, host="t", extra=b"", version=b"1.1"):
    return b"GET " + path + b" HTTP/" + version + b"\r\nHost: " + host.encode() + b"\r\n" + \
        extra + b"\r\n"


def files(host, manifest):
    """Every file by curl: GET bodies by hash, HEAD's Content-Length, one connection each."""
    for name, (size, digest) in manifest.items():
        body = curl(url(host, name))
        check("GET %s: size" % name, len(body), size)
        check("GET %s: sha256" % name, hashlib.sha256(body).hexdigest(), digest)
        head = curl("-I", url(host, name)).decode()
        check("HEAD %s: status" % name, head.split("\r\n")[0], "HTTP/1.1 200 OK")
        check("HEAD %s: length" % name,
              re.search(r"(?im)^content-length: (\d+)", head).group(1), str(size))
    # Keep-alive: one curl, five URLs, one connection.
    names = [n for n, (s, _) in manifest.items() if s < 100000][:5]
    got = curl("-w", "%{num_connects} %{http_code}\\n", "-o", "/dev/null",
               *["-o", "/dev/null"] * (len(names) - 1), *[url(host, n) for n in names])
    conns = [int(line.split()[0]) for line in got.decode().split("\n") if line]
    check("keep-alive: connections over %d requests" % len(names), sum(conns), 1)
    out["files"] = len(manifest)


def http(host, manifest):
    size = manifest["64k.bin"][0]
    c = Conn(host)
    st, f, body, _ = c.ask(get(b"/64k.bin"))
    check("GET 64k.bin", (st, len(body)), (200, size))
    full = body
    etag, lm = f["etag"], f["last-modified"]
    check("Content-Type of .bin", f["content-type"], "application/octet-stream")
    check("Accept-Ranges", f["accept-ranges"], "bytes")
    if not re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", f["date"]):
        raise Failed("Date %r is not an IMF-fixdate" % f["date"])
    check("Last-Modified", lm, "Tue, 14 Nov 2023 22:13:20 GMT")
    # Range on the same connection (keep-alive).
    for rng, want, cr in ((b"bytes=0-99", full[:100], "bytes 0-99/%d" % size),
                          (b"bytes=65000-", full[65000:], "bytes 65000-65535/%d" % size),
                          (b"bytes=-10", full[-10:], "bytes 65526-65535/%d" % size),
                          (b"bytes=100-99999999", full[100:], "bytes 100-65535/%d" % size)):
        st, f, body, _ = c.ask(get(b"/64k.bin", extra=b"Range: " + rng + b"\r\n"))
        check("Range %s" % rng, (st, body, f.get("content-range")), (206, want, cr))
    st, f, body, _ = c.ask(get(b"/64k.bin", extra=b"Range: bytes=70000-\r\n"))
    check("Range past the end", (st, f.get("content-range")), (416, "bytes */%d" % size))
    st, f, body, _ = c.ask(get(b"/64k.bin", extra=b"Range: bytes=0-1,5-6\r\n"))
    check("two ranges: the whole file", (st, len(body)), (200, size))
    st, f, body, _ = c.ask(get(b"/64k.bin", extra=b"Range: bytes=0-9\r\nIf-Range: \"x\"\r\n"))
    check("If-Range with another ETag: the whole file", (st, len(body)), (200, size))
    # Conditionals.
    st, f, body, _ = c.ask(get(b"/64k.bin", extra=b"If-None-Match: " + etag.encode() + b"\r\n"))
    check("If-None-Match current", (st, body, f.get("etag")), (304, b"", etag))
    st, f, body, _ = c.ask(get(b"/64k.bin", extra=b"If-None-Match: \"other\", W/" +
                               etag.encode() + b"\r\n"))
    check("If-None-Match list with weak", st, 304)
    st, f, body, _ = c.ask(get(b"/64k.bin", extra=b"If-None-Match: \"other\"\r\n"))
    check("If-None-Match other", (st, len(body)), (200, size))
    st, f, body, _ = c.ask(get(b"/64k.bin", extra=b"If-Modified-Since: " + lm.encode() + b"\r\n"))
    check("If-Modified-Since Last-Modified", st, 304)
    st, f, body, _ = c.ask(get(b"/64k.bin", extra=b"If-Modified-Since: Mon, 01 Jan 2001 "
                               b"00:00:00 GMT\r\n"))
    check("If-Modified-Since older", st, 200)
    # HEAD on the same connection: no body follows.
    st, f, body, _ = c.ask(b"HEAD /64k.bin HTTP/1.1\r\nHost: t\r\n\r\n", head_only=True)
    check("HEAD", (st, f["content-length"]), (200, str(size)))
    # Directories and index.html, names with spaces and UTF-8, absolute-form, a query.
    st, f, body, _ = c.ask(get(b"/"))
    check("/ is index.html", (st, hashlib.sha256(body).hexdigest(), f["content-type"]),
          (200, manifest["index.html"][1], "text/html; charset=utf-8"))
    st, f, body, _ = c.ask(get(b"/docs/"))
    check("/docs/ is docs/index.html", (st, hashlib.sha256(body).hexdigest()),
          (200, manifest["docs/index.html"][1]))
    st, f, body, _ = c.ask(get(b"/docs"))
    check("/docs redirects", (st, f.get("location")), (301, "/docs/"))
    st, f, body, _ = c.ask(get(b"/noindex/"))
    check("directory without index.html", st, 404)
    st, f, body, _ = c.ask(get(b"/with%20space.txt?x=1"))
    check("space and query", (st, len(body)), (200, manifest["with space.txt"][0]))
    st, f, body, _ = c.ask(get(urllib.parse.quote("/ünïcødé/файл.txt").encode()))
    check("UTF-8 name", (st, hashlib.sha256(body).hexdigest()),
          (200, manifest["ünïcødé/файл.txt"][1]))
    st, f, body, _ = c.ask(get(b"http://t/small.html"))
    check("absolute-form", (st, len(body)), (200, 1024))
    st, f, body, _ = c.ask(get(b"/link-to-index"))
    check("a symbolic link in the archive is not served", st, 404)
    st, f, body, _ = c.ask(get(b"/empty.txt"))
    check("empty file", (st, body, f["content-length"]), (200, b"", "0"))
    st, f, body, _ = c.ask(get(b"/nope.html"))
    check("404", st, 404)
    st, f, body, _ = c.ask(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
    check("405 with Allow", (st, f.get("allow")), (405, "GET, HEAD"))
    st, f, body, _ = c.ask(get(b"/small.html", extra=b"Content-Length: 5\r\n") + b"hello")
    check("a GET's small body is read and dropped", (st, len(body)), (200, 1024))
    c.close()

    # Pipelining: 20 requests in one segment, answered in order.
    names = ["small.html", "1k.bin", "empty.txt", "style.css", "nope", "sizes/513.bin"]
    c = Conn(host)
    c.s.sendall(b"".join(get(b"/" + names[i % len(names)].encode()) for i in range(20)))
    for i in range(20):
        n = names[i % len(names)]
        st, f, body, _ = read_response(c)
        if n in manifest:
            check("pipelined %d (%s)" % (i, n), (st, hashlib.sha256(body).hexdigest()),
                  (200, manifest[n][1]))
        else:
            check("pipelined %d (%s)" % (i, n), st, 404)
    c.close()

    # HTTP/1.0: closed after the response, unless it asks for keep-alive.
    c = Conn(host)
    st, f, body, _ = c.ask(get(b"/small.html", version=b"1.0"))
    check("HTTP/1.0", (st, len(body), f.get("connection", "").lower()), (200, 1024, "close"))
    check("HTTP/1.0 closes", c.closed(), True)
    c.close()
    c = Conn(host)
    for i in range(3):
        st, f, body, _ = c.ask(get(b"/small.html", version=b"1.0",
                                   extra=b"Connection: keep-alive\r\n"))
        check("HTTP/1.0 keep-alive %d" % i, (st, f.get("connection", "").lower()),
              (200, "keep-alive"))
    c.close()
    c = Conn(host)
    st, f, body, _ = c.ask(get(b"/small.html", extra=b"Connection: close\r\n"))
    check("Connection: close", (st, c.closed()), (200, True))
    c.close()

    # The server closed first, so it holds the 4-tuple in TIME-WAIT: a new connection from the
    # same port (the client is free to reuse it) must still get through (RFC 6191).
    for i in range(2):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(180)
        s.bind(("", out.get("tw_port", 0)))
        out["tw_port"] = s.getsockname()[1]
        t0 = time.monotonic()
        s.connect((host, PORT))
        out["tw_connect_s"] = round(time.monotonic() - t0, 2)
        s.sendall(get(b"/small.html", version=b"1.0"))
        got = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
        check("HTTP/1.0 from port %d, connection %d" % (out["tw_port"], i),
              got.split(b"\r\n")[0], b"HTTP/1.1 200 OK")
        s.close()
        time.sleep(0.5)  # our FIN acknowledged: the server's side is in TIME-WAIT

    # Every error, each on a fresh connection, which the server then closes.
    errors = [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),  # no Host
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked"
         b"\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n", 400),
        (get(b"/%zz"), 400),
        (get(b"/%4"), 400),
        (get(b"/a%00b"), 400),
        (b"GET /a\x00b HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: t\r\nX: a\x00b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n folded\r\n\r\n", 400),
        (b"GET / HTTP/1.1\nHost: t\n\n", 400),
        (b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n", 413),
        (get(b"/" + b"a" * 3000), 414),
        (get(b"/", extra=b"X-Big: " + b"a" * 9000 + b"\r\n"), 431),
        (get(b"/", extra=b"".join(b"X-%d: v\r\n" % i for i in range(70))), 431),
        (b"BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n", 501),
        (b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
        (get(b"/", version=b"2.0"), 505),
    ]
    escapes = [b"/../outside.txt", b"/%2e%2e/outside.txt", b"/docs/..%2f..%2foutside.txt",
               b"/docs/%2E%2e/index.html", b"/./index.html", b"/a\\..\\outside.txt",
               b"/%5c..%5coutside.txt", b"/..", b"etc/passwd", b"*"]
    for raw, want in errors + [(get(p), 400) for p in escapes]:
        c = Conn(host)
        st, f, body, _ = c.ask(raw)
        check("error %r" % raw[:60], st, want)
        if want == 405:
            check("Allow", f.get("allow"), "GET, HEAD")
        check("closed after %d" % want, c.closed(), True)
        c.close()
    # Names the archive held but httpd refused, and absolute paths: never served.
    for p in (b"/outside.txt", b"//etc/passwd", b"/etc/passwd"):
        c = Conn(host)
        st, f, body, _ = c.ask(get(p))
        check("never a file: %r" % p, (st, b"never" in body), (404, False))
        c.close()
    out["errors"] = len(errors)
    out["escapes"] = len(escapes)


def slowloris(host):
    """A head sent a byte every 0.5 s gets 408 and is closed; meanwhile a client on
    another connection is served 20 times."""
    s = socket.create_connection((host, PORT), timeout=120)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(b"GET /small.html HTTP/1.1\r\nHost: t\r\n")
    result = {}

    def others():
        try:
            for i in range(20):
                c = Conn(host)
                st, f, body, _ = c.ask(get(b"/small.html"))
                c.close()
                if st != 200 or len(body) != 1024:
                    result["bad"] = (i, st, len(body))
                    return
                time.sleep(0.1)
            result["served"] = 20
        except (OSError, Failed) as e:
            result["bad"] = str(e)

    t = threading.Thread(target=others)
    t.start()
    start, got = time.monotonic(), b""
    s.settimeout(0.5)
    while time.monotonic() - start < 120:
        try:
            s.send(b"X")
        except OSError:
            break
        try:
            d = s.recv(4096)
            if not d:
                break
            got += d
        except socket.timeout:
            pass
    t.join(timeout=120)
    check("slowloris gets", got.split(b"\r\n")[0], b"HTTP/1.1 408 Request Timeout")
    check("the others", result.get("served"), 20)
    out["slowloris_s"] = round(time.monotonic() - start, 1)


def many(host, n, path, size):
    """n connections open at once, each sends one GET after all are connected."""
    sel = selectors.DefaultSelector()
    socks = []
    slowest = 0.0
    for i in range(n):
        s = socket.socket()
        # No deadline of ours on a handshake: on a loaded host the guest may not run for
        # seconds, and the kernel's own SYN retries (about 2 minutes) bound it.
        s.settimeout(180)
        t0 = time.monotonic()
        s.connect((host, PORT))
        slowest = max(slowest, time.monotonic() - t0)
        s.setblocking(False)
        socks.append(s)
    out["slowest_connect_s"] = round(slowest, 2)
    req = get(path.encode())
    for s in socks:
        s.send(req)
        sel.register(s, selectors.EVENT_READ, bytearray())
    done, deadline = 0, time.monotonic() + 300
    while done < n and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=5):
            buf = key.data
            d = key.fileobj.recv(65536)
            if not d:
                raise Failed("a connection closed after %d bytes" % len(buf))
            buf += d
            if b"\r\n\r\n" in buf:
                head, body = bytes(buf).split(b"\r\n\r\n", 1)
                if len(body) >= size:
                    if not head.startswith(b"HTTP/1.1 200 ") or len(body) != size:
                        raise Failed("bad response %r" % head[:100])
                    sel.unregister(key.fileobj)
                    done += 1
    for s in socks:
        s.close()
    check("connections served", done, n)
    out["conns"] = n


def main():
    cmd, host = sys.argv[1], sys.argv[2]
    try:
        if cmd == "files":
            files(host, json.load(open(sys.argv[3])))
        elif cmd == "http":
            http(host, json.load(open(sys.argv[3])))
        elif cmd == "slowloris":
            slowloris(host)
        elif cmd == "many":
            many(host, int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
        out["ok"] = True
    except (Failed, OSError, ValueError, KeyError, AttributeError) as e:
        out["failed"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(out))
    sys.exit(0 if out["ok"] else 1)


if __name__ == "__main__":
    main()
