#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# oci-archive.py NAME:TAG OUT.tar [HOSTFILE=PATH...]: write a tiny OCI image archive (one
# layer holding the file /hello, and each HOSTFILE as the executable PATH, e.g. a static
# busybox as bin/sh for "ctr run") that "ctr images import" accepts offline, named NAME:TAG
# through the io.containerd.image.name annotation. Deterministic: the same arguments and
# files give the same bytes.
# Tests only: the Kubernetes images themselves cannot be downloaded on these machines.
import hashlib
import io
import json
import sys
import tarfile

name, out = sys.argv[1], sys.argv[2]
def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.USTAR_FORMAT) as t:
    info = tarfile.TarInfo("hello"); data = b"kiln\n"; info.size = len(data); info.mtime = 0
    t.addfile(info, io.BytesIO(data))
    for extra in sys.argv[3:]:
        host, path = extra.split("=", 1)
        with open(host, "rb") as f:
            data = f.read()
        info = tarfile.TarInfo(path.lstrip("/")); info.size = len(data); info.mtime = 0; info.mode = 0o755
        t.addfile(info, io.BytesIO(data))
layer = layer.getvalue()
ld, _ = blob(layer)
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
    "rootfs": {"type": "layers", "diff_ids": [ld]}}, sort_keys=True).encode()
cd, _ = blob(config)
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": len(layer)}]}, sort_keys=True).encode()
md, _ = blob(manifest)
index = json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": md, "size": len(manifest), "annotations": {"io.containerd.image.name": name,
    "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}}]}, sort_keys=True).encode()
with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as t:
    def add(path, data):
        info = tarfile.TarInfo(path); info.size = len(data); info.mtime = 0
        t.addfile(info, io.BytesIO(data))
    add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    add("index.json", index)
    for d in (layer, config, manifest):
        add("blobs/sha256/" + hashlib.sha256(d).hexdigest(), d)
