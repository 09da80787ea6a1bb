#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# oci-archive.py [OPTIONS] NAME:TAG OUT.tar: write a tiny OCI image archive (one layer
# holding the file /hello) that "ctr images import" and "skopeo copy oci-archive:OUT.tar"
# accept offline, named NAME:TAG through the io.containerd.image.name annotation.
# Deterministic: the same arguments give the same bytes.
#   --multi-arch        an image index with a linux/amd64 and a linux/arm64 (v8) manifest,
#                       whose layers differ (/arch names the architecture)
#   --big-layer BYTES   a second layer holding /big: BYTES of seeded pseudo-random data
#   --bad-layer KIND    a second layer that is unsafe to unpack: "dotdot" (an entry
#                       "../kiln-escape") or "abs-symlink" (a symlink "etc-link -> /etc"
#                       and a file written through it, "etc-link/kiln-pwned")
# Tests only: the Kubernetes images themselves cannot be downloaded on these machines.
import argparse
import hashlib
import io
import json
import random
import tarfile

parser = argparse.ArgumentParser()
parser.add_argument("--multi-arch", action="store_true")
parser.add_argument("--big-layer", type=int, default=0)
parser.add_argument("--bad-layer", choices=["dotdot", "abs-symlink"])
parser.add_argument("name")
parser.add_argument("out")
args = parser.parse_args()
name, out = args.name, args.out

def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data

def dumps(obj):
    return json.dumps(obj, sort_keys=True).encode()

def tar_of(entries):
    """entries: (path, bytes) for files, (path, None, target) for symlinks."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for e in entries:
            info = tarfile.TarInfo(e[0]); info.mtime = 0
            if e[1] is None:
                info.type = tarfile.SYMTYPE; info.linkname = e[2]
                t.addfile(info)
            else:
                info.size = len(e[1])
                t.addfile(info, io.BytesIO(e[1]))
    return buf.getvalue()

def extra_layers():
    layers = []
    if args.big_layer:
        layers.append(tar_of([("big", random.Random(4711).randbytes(args.big_layer))]))
    if args.bad_layer == "dotdot":
        layers.append(tar_of([("../kiln-escape", b"out\n")]))
    elif args.bad_layer == "abs-symlink":
        layers.append(tar_of([("etc-link", None, "/etc"), ("etc-link/kiln-pwned", b"pwned\n")]))
    return layers

blobs = []

def image(arch, variant=None, arch_file=False):
    """Layers, config and manifest of one platform; returns the manifest's (digest, bytes)."""
    entries = [("hello", b"kiln\n")]
    if arch_file:
        entries.append(("arch", arch.encode() + b"\n"))
    layers = [tar_of(entries)] + extra_layers()
    config_obj = {"architecture": arch, "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [blob(l)[0] for l in layers]}}
    if variant:
        config_obj["variant"] = variant
    config = dumps(config_obj)
    manifest = dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(config)[0], "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": blob(l)[0], "size": len(l)}
                   for l in layers]})
    blobs.extend(layers + [config, manifest])
    return blob(manifest)

annotations = {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}
if args.multi_arch:
    platforms = [("amd64", None), ("arm64", "v8")]
    entries = []
    for arch, variant in platforms:
        md, manifest = image(arch, variant, arch_file=True)
        platform = {"architecture": arch, "os": "linux"}
        if variant:
            platform["variant"] = variant
        entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
                        "size": len(manifest), "platform": platform})
    inner = dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries})
    blobs.append(inner)
    top = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": blob(inner)[0], "size": len(inner)}
else:
    md, manifest = image("amd64")
    top = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(manifest)}
top["annotations"] = annotations
index = dumps({"schemaVersion": 2, "manifests": [top]})

with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as t:
    def add(path, data):
        info = tarfile.TarInfo(path); info.size = len(data); info.mtime = 0
        t.addfile(info, io.BytesIO(data))
    add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    add("index.json", index)
    seen = set()
    for d in blobs:
        h = hashlib.sha256(d).hexdigest()
        if h not in seen:
            seen.add(h)
            add("blobs/sha256/" + h, d)
