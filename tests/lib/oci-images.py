#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# oci-images.py CACHE-DIR REPO: write the blobs of two tiny test images into a blob cache
# (CACHE-DIR/blobs/sha256/<hex>, the layout kiln-imagegen's cache uses) and print one line
# per image for tests/integration/oci-archive-driver:
#   NAME <tab> TOP-DIGEST <tab> MEDIA-TYPE <tab> SIZE <tab> BLOB,BLOB,...
# The images, named REPO/...:
#   multiarch:1   an image index with a linux/amd64 and a linux/arm64 manifest, of which
#                 only the amd64 blobs are written (an appliance caches its own platform):
#                 one layer with /arch = "amd64"
#   whiteout:1    two layers: the first (zstd) has etc/keep, etc/delete-me and
#                 opaque/{old-a,sub/old-b}; the second (gzip) deletes etc/delete-me with
#                 etc/.wh.delete-me, and makes opaque/ opaque (.wh..wh..opq) with one new
#                 file opaque/new
# Deterministic: the same REPO gives the same bytes. Tests only. (tests/lib/oci-archive.py
# writes a single-image archive; this writes several images' blobs straight into a cache.)
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

cache, repo = sys.argv[1], sys.argv[2]
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar"

def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()

def store(data):
    d = os.path.join(cache, "blobs", "sha256")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, digest(data)[7:]), "wb") as f:
        f.write(data)
    return digest(data)

def dumps(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()

def tar_of(entries):
    """entries: (path, bytes) for files, (path, None) for directories."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for path, data in entries:
            info = tarfile.TarInfo(path)
            info.mtime = 0
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()

def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, capture_output=True, check=True).stdout

def image(layers, arch, write=True):
    """layers: (uncompressed tar, compression or None). Returns (manifest bytes, blobs)."""
    blobs, descriptors, diff_ids = [], [], []
    for tar, compression in layers:
        data = {"gzip": lambda b: gzip.compress(b, mtime=0), "zstd": zstd, None: lambda b: b}[compression](tar)
        descriptors.append({"mediaType": LAYER + ("+" + compression if compression else ""),
                            "digest": digest(data), "size": len(data)})
        diff_ids.append(digest(tar))
        blobs.append(data)
    config = dumps({"architecture": arch, "os": "linux", "config": {},
                    "rootfs": {"type": "layers", "diff_ids": diff_ids}})
    manifest = dumps({"schemaVersion": 2, "mediaType": MANIFEST,
                      "config": {"mediaType": CONFIG, "digest": digest(config), "size": len(config)},
                      "layers": descriptors})
    blobs = [manifest, config] + blobs
    if write:
        for b in blobs:
            store(b)
    return manifest, [digest(b) for b in blobs]

def line(name, top, media_type, blobs):
    print("\t".join([name, digest(top), media_type, str(len(top)), ",".join(blobs)]))

# multiarch:1: the arm64 manifest is named by the index but none of its blobs is stored.
amd64, amd64_blobs = image([(tar_of([("arch", b"amd64\n")]), "gzip")], "amd64")
arm64, _ = image([(tar_of([("arch", b"arm64\n")]), "gzip")], "arm64", write=False)
index = dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": [
    {"mediaType": MANIFEST, "digest": digest(amd64), "size": len(amd64),
     "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": MANIFEST, "digest": digest(arm64), "size": len(arm64),
     "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}]})
store(index)
line(repo + "/multiarch:1", index, INDEX, [digest(index)] + amd64_blobs)

# whiteout:1
lower = tar_of([("etc/", None), ("etc/keep", b"kept\n"), ("etc/delete-me", b"old\n"),
                ("opaque/", None), ("opaque/old-a", b"old\n"), ("opaque/sub/", None),
                ("opaque/sub/old-b", b"old\n")])
upper = tar_of([("etc/", None), ("etc/.wh.delete-me", b""), ("opaque/", None),
                ("opaque/.wh..wh..opq", b""), ("opaque/new", b"layer 2\n")])
manifest, blobs = image([(lower, "zstd"), (upper, "gzip")], "amd64")
line(repo + "/whiteout:1", manifest, MANIFEST, blobs)
