#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# oci-layer-corpus.py OUTDIR: write the seed corpus of fuzz-oci-layer (tests/fuzz/
# fuzz-oci-layer.c), one file per kind of layer the checker must tell apart, so that the
# replay in the unit tier and libFuzzer start from every path: plain, gzip and (when the
# zstd tool is there) zstd layers; GNU and PAX long names; a damaged GNU long-link header;
# a truncated archive; one layer per refusal (device, duplicate path, hard link out of
# the layer, escaping symlink); and one that is refused on top of itself only.
# Deterministic: fixed times, owners and modes.
import gzip
import io
import os
import shutil
import subprocess
import sys
import tarfile

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def entry(t, name, kind="file", data=b"", target="", mode=None, dev=(0, 0)):
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if kind == "dir":
        info.type, info.mode = tarfile.DIRTYPE, mode or 0o755
        t.addfile(info)
    elif kind == "symlink":
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, target, mode or 0o777
        t.addfile(info)
    elif kind == "hardlink":
        info.type, info.linkname, info.mode = tarfile.LNKTYPE, target, mode or 0o644
        t.addfile(info)
    elif kind == "chr":
        info.type, info.mode = tarfile.CHRTYPE, mode or 0o644
        info.devmajor, info.devminor = dev
        t.addfile(info)
    else:
        info.size, info.mode = len(data), mode or 0o644
        t.addfile(info, io.BytesIO(data))


def tar(entries, fmt=tarfile.USTAR_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for e in entries:
            entry(t, *e[:2], **(e[2] if len(e) > 2 else {}))
    return buf.getvalue()


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


basic = tar([("./", "dir"), ("etc/", "dir"), ("etc/hosts", "file", {"data": b"127.0.0.1 localhost\n"}),
             ("bin/", "dir"), ("bin/true", "file", {"data": b"\x7fELF", "mode": 0o755}),
             ("bin/sh", "symlink", {"target": "/bin/busybox"}), ("run/", "dir"),
             ("etc/localtime", "symlink", {"target": "/usr/share/zoneinfo/UTC"})])
write("plain-basic.tar", basic)
write("truncated.tar", basic[:1600])
write("gzip-whiteouts.tar.gz", gzip.compress(
    tar([("a/", "dir"), ("a/.wh.b", "file"), ("a/.wh..wh..opq", "file"), ("a/b/", "dir")]), mtime=0))
zstd = shutil.which("zstd")
if zstd:
    write("zstd-layer.tar.zst", subprocess.run([zstd, "-q", "-c"], input=basic, check=True,
                                               stdout=subprocess.PIPE).stdout)
long_dir = "d/" + "x" * 150
gnu = tar([(long_dir + "/file", "file", {"data": b"hi\n"}), ("h", "hardlink", {"target": long_dir + "/file"})],
          tarfile.GNU_FORMAT)
write("gnu-long-names.tar", gnu)
escape = tar([("a/", "dir"), ("a/b", "symlink", {"target": "../../etc/passwd"})])
# A GNU long-name header and its name, then another archive's headers starting off a
# 512-byte boundary: libarchive calls it damaged with EINVAL, not EILSEQ (a libFuzzer
# find: the checker must still say -EBADMSG).
write("damaged-gnu-longlink.tar", (gnu[:1314] + escape)[:4608].ljust(4608, b"\0"))
write("pax-long-names.tar", tar([(long_dir + "/file", "file", {"data": b"hi\n"}),
                                 ("l", "symlink", {"target": "d/" + "y" * 120})], tarfile.PAX_FORMAT))
write("refused-device.tar", tar([("dev/", "dir"), ("dev/null", "chr", {"dev": (1, 3)})]))
write("refused-duplicate.tar", tar([("a", "file", {"data": b"a"}), ("./a/", "dir")]))
write("refused-hardlink.tar", tar([("g", "hardlink", {"target": "/etc/shadow"})]))
write("refused-symlink-escape.tar", escape)
# Good alone, refused on top of itself (the fuzzer checks it both ways): a/l/x, then a/l
# made a symlink, which layer 2's a/l/x runs through; whiteouts, an opaque marker and a
# hard link to a symlink for what layer 2 takes away from layer 1.
write("cross-layer.tar", tar([("a/l/x", "file"), ("a/l", "symlink", {"target": "/"}), ("a/.wh.m", "file"),
                              ("b/", "dir"), ("b/.wh..wh..opq", "file"), ("c", "symlink", {"target": "a/l"}),
                              ("h", "hardlink", {"target": "c"}), (".wh.d", "file")]))
