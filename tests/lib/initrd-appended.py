#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# initrd-appended.py INITRD: the uncompressed newc cpio archive kiln-imagegen appends to an
# initrd (imagegen/initrd-confine.c), found as the one that starts past the initramfs
# tools' archive and runs to the end of the file. Prints one line per entry:
# "MODE UID GID MTIME SIZE SHA256 NAME" (SHA256 "-" for a directory); exits 1 if there is
# no such archive.
import hashlib
import sys

data = open(sys.argv[1], "rb").read()


def parse(pos):
    entries = []
    while True:
        if data[pos:pos + 6] != b"070701":
            return None
        f = [int(data[pos + 6 + 8 * i:pos + 14 + 8 * i], 16) for i in range(13)]
        mode, uid, gid, mtime, size, namesize = f[1], f[2], f[3], f[5], f[6], f[11]
        name = data[pos + 110:pos + 110 + namesize - 1].decode()
        body = (pos + 110 + namesize + 3) & ~3
        end = (body + size + 3) & ~3
        if name == "TRAILER!!!":
            return entries if data[end:].strip(b"\0") == b"" else None
        content = data[body:body + size]
        digest = hashlib.sha256(content).hexdigest() if mode & 0o170000 == 0o100000 else "-"
        entries.append("%o %d %d %d %d %s %s" % (mode, uid, gid, mtime, size, digest, name))
        pos = end


pos = data.find(b"070701", 4)
while pos >= 0:
    if pos % 4 == 0:
        entries = parse(pos)
        if entries and entries[0].endswith(" usr"):
            print("\n".join(entries))
            sys.exit(0)
    pos = data.find(b"070701", pos + 1)
sys.exit(1)
