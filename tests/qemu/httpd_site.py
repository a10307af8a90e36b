"""The test archive httpd serves in tests/qemu/test_httpd.py: files from 0 B to 64 MiB with
deterministic contents, names with spaces and UTF-8, directories with and without index.html,
and two entries whose names would leave the root (httpd must refuse them). Built once into
build/test-httpd/site.tar (pax format, as Python writes it) and reused; manifest() gives every
servable file's size and SHA-256 without reading the archive."""
import hashlib
import io
import os
import random
import tarfile

from qemu import BUILD

MTIME = 1700000000  # 2023-11-14 22:13:20 UTC
VERSION = "3"

# (name, size, seed): the servable files.
FILES = [
    ("index.html", 1200, 1),
    ("empty.txt", 0, 2),
    ("small.html", 1024, 3),
    ("style.css", 700, 4),
    ("1k.bin", 1024, 5),
    ("64k.bin", 65536, 6),
    ("with space.txt", 333, 7),
    ("ünïcødé/файл.txt", 4097, 8),
    ("docs/index.html", 2048, 9),
    ("docs/guide.md", 5000, 10),
    ("noindex/data.json", 100, 11),
    ("sizes/511.bin", 511, 12),
    ("sizes/512.bin", 512, 13),
    ("sizes/513.bin", 513, 14),
    ("sizes/1m.bin", 1 << 20, 15),
    ("sizes/8m.bin", 8 << 20, 16),
    ("big.bin", 64 << 20, 17),
]
UNSAFE = ["../outside.txt", "/etc/passwd"]


def content(size, seed):
    if size == 0:
        return b""
    return random.Random(seed).randbytes(size)


def manifest():
    """{name: (size, sha256 hex)} of the servable files."""
    out = {}
    for name, size, seed in FILES:
        out[name] = (size, hashlib.sha256(content(size, seed)).hexdigest())
    return out


def path():
    """The archive, built if it is not there yet (or is of an older version)."""
    d = os.path.join(BUILD, "test-httpd")
    p = os.path.join(d, "site.tar")
    stamp = os.path.join(d, "version")
    if os.path.exists(p) and os.path.exists(stamp) and open(stamp).read() == VERSION:
        return p
    os.makedirs(d, exist_ok=True)
    tmp = "%s.%d" % (p, os.getpid())
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as t:
        for dname in ("docs", "noindex", "sizes", "ünïcødé"):
            ti = tarfile.TarInfo(dname)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, MTIME
            t.addfile(ti)
        for name, size, seed in FILES:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = size, 0o644, MTIME
            t.addfile(ti, io.BytesIO(content(size, seed)))
        for name in UNSAFE:
            ti = tarfile.TarInfo(name)
            data = b"must never be served\n"
            ti.size, ti.mtime = len(data), MTIME
            t.addfile(ti, io.BytesIO(data))
        ti = tarfile.TarInfo("link-to-index")
        ti.type, ti.linkname, ti.mtime = tarfile.SYMTYPE, "index.html", MTIME
        t.addfile(ti)
    os.replace(tmp, p)
    with open(stamp + ".tmp%d" % os.getpid(), "w") as f:
        f.write(VERSION)
    os.replace(stamp + ".tmp%d" % os.getpid(), stamp)
    return p
