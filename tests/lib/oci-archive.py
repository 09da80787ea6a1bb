#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# oci-archive.py [OPTIONS] NAME:TAG OUT.tar [CONTENT] [HOSTFILE=PATH...]: write a tiny OCI
# image archive (one layer holding the file /hello, "kiln" or CONTENT, and each HOSTFILE as
# the executable PATH, e.g. a static busybox as bin/sh for "ctr run") that "ctr images import" and "skopeo copy oci-archive:OUT.tar"
# accept offline, named NAME:TAG through the io.containerd.image.name annotation.
# Deterministic: the same arguments give the same bytes (the name only changes index.json,
# so the same content gives the same manifest digest whatever the name).
#   --multi-arch        an image index with a linux/amd64 and a linux/arm64 (v8) manifest,
#                       whose layers differ (/arch names the architecture)
#   --big-layer BYTES   a second layer holding /big: BYTES of seeded pseudo-random data
#   --bad-layer KIND    a second layer that is unsafe to unpack: "dotdot" (an entry
#                       "../kiln-escape") or "abs-symlink" (a symlink "etc-link -> /etc"
#                       and a file written through it, "etc-link/kiln-pwned"); or
#                       "cross-symlink": a second layer with the symlink "escape -> /" and
#                       a third writing through it, "escape/kiln-pwned", each safe alone
#   --cross-write       a second layer that is the third of --bad-layer cross-symlink,
#                       "escape/kiln-pwned": safe here, and it puts that layer in the cache
#   --busybox           the first layer also holds this host's static /bin/busybox,
#                       /etc/kiln-test-marker ("kiln-test-app"), /etc/kiln-test-deleted
#                       and /opt/opaque/from-layer-1
#   --whiteout-layer    a last layer that deletes /etc/kiln-test-deleted (".wh." file),
#                       makes /opt/opaque opaque (".wh..wh..opq") and adds
#                       /opt/opaque/from-layer-2
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
parser.add_argument("--bad-layer", choices=["dotdot", "abs-symlink", "cross-symlink"])
parser.add_argument("--cross-write", action="store_true")
parser.add_argument("--busybox", action="store_true")
parser.add_argument("--whiteout-layer", action="store_true")
parser.add_argument("name")
parser.add_argument("out")
parser.add_argument("extra", nargs="*", help="CONTENT, then HOSTFILE=PATH...")
args = parser.parse_args()
args.content = "kiln"
host_files = []
for i, extra in enumerate(args.extra):
    if "=" in extra:
        host_files.append(extra.split("=", 1))
    elif i == 0:
        args.content = extra
    else:
        parser.error("CONTENT must come first, HOSTFILE=PATH after it")
name, out = args.name, args.out

def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data

def dumps(obj):
    return json.dumps(obj, sort_keys=True).encode()

def tar_of(entries):
    """entries: (path, bytes[, mode]) for files, (path, None, target) for symlinks,
    (path/, None) for directories."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for e in entries:
            info = tarfile.TarInfo(e[0].rstrip("/")); info.mtime = 0
            if e[0].endswith("/"):
                info.type = tarfile.DIRTYPE; info.mode = 0o755
                t.addfile(info)
            elif e[1] is None:
                info.type = tarfile.SYMTYPE; info.linkname = e[2]
                t.addfile(info)
            else:
                info.size = len(e[1])
                info.mode = e[2] if len(e) > 2 else 0o644
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
    if args.bad_layer == "cross-symlink":
        layers.append(tar_of([("escape", None, "/")]))
    if args.bad_layer == "cross-symlink" or args.cross_write:
        layers.append(tar_of([("escape/kiln-pwned", b"pwned\n")]))
    if args.whiteout_layer:
        layers.append(tar_of([("etc/", None), ("etc/.wh.kiln-test-deleted", b""), ("opt/", None),
                              ("opt/opaque/", None), ("opt/opaque/.wh..wh..opq", b""),
                              ("opt/opaque/from-layer-2", b"2\n")]))
    return layers

def first_layer_entries():
    entries = [("hello", (args.content + "\n").encode())]
    for host, path in host_files:
        with open(host, "rb") as f:
            entries.append((path.lstrip("/"), f.read(), 0o755))
    if args.busybox:
        with open("/bin/busybox", "rb") as f:
            busybox = f.read()
        entries += [("bin/", None), ("bin/busybox", busybox, 0o755), ("etc/", None),
                    ("etc/kiln-test-marker", b"kiln-test-app\n"), ("etc/kiln-test-deleted", b"x\n"),
                    ("opt/", None), ("opt/opaque/", None), ("opt/opaque/from-layer-1", b"1\n")]
    return entries

blobs = []

def image(arch, variant=None, arch_file=False):
    """Layers, config and manifest of one platform; returns the manifest's (digest, bytes)."""
    entries = first_layer_entries()
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
