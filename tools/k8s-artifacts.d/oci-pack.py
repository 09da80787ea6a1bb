#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# oci-pack.py [OPTIONS] REF OUT.tar: write one linux/amd64 image as an OCI image-layout
# archive (what "skopeo copy oci-archive:OUT.tar" and "ctr images import" read), named REF
# through the io.containerd.image.name annotation and tagged with REF's tag.
#   --epoch N              every mtime, and the config's "created" (required)
#   --base-tar TAR         a first layer made of TAR's entries (e.g. an mmdebstrap tree)
#   --base-exclude PATH    leave PATH and everything under it out of that layer
#   --file SRC=DEST[:MODE] a file of the last layer (MODE octal, default 0755)
#   --dir DEST[:MODE]      a directory of the last layer (default 0755)
#   --passwd               /etc/passwd and /etc/group with root and nobody (distroless has them)
#   --entrypoint JSON, --cmd JSON, --workdir DIR, --user U, --env K=V (repeatable)
# Same inputs, same bytes: entries sorted by path, uid/gid 0 without names, mtimes the
# epoch, no xattrs or device nodes, gzip without name or time, compact JSON with sorted
# keys; the archive's own entries follow imagegen/oci-archive.h's layout.
import argparse
import gzip
import hashlib
import io
import json
import tarfile
import time

p = argparse.ArgumentParser()
p.add_argument("--epoch", type=int, required=True)
p.add_argument("--base-tar")
p.add_argument("--base-exclude", action="append", default=[])
p.add_argument("--file", action="append", default=[])
p.add_argument("--dir", action="append", default=[])
p.add_argument("--passwd", action="store_true")
p.add_argument("--entrypoint", type=json.loads)
p.add_argument("--cmd", type=json.loads)
p.add_argument("--workdir")
p.add_argument("--user", default="0")
p.add_argument("--env", action="append", default=[])
p.add_argument("ref")
p.add_argument("out")
args = p.parse_args()
epoch = args.epoch

def dumps(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()

def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()

def normal(info):
    """The fields that may differ between two builds of the same content are fixed."""
    info.name = info.name.removeprefix("./").rstrip("/")
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = epoch
    info.pax_headers = {}
    return info

def layer(entries):
    """entries: (TarInfo, bytes or None). Sorted by path; a hard link whose target sorts
    after it swaps roles with that target, so a link never precedes its file."""
    entries = sorted(entries, key=lambda e: e[0].name)
    first = {}  # link target -> the name that now carries the data
    data_of = {e[0].name: e[1] for e in entries if e[0].isreg()}
    out = []
    for info, data in entries:
        if info.islnk():
            target = info.linkname.removeprefix("./").rstrip("/")
            if target in first:
                info.linkname = first[target]
            elif target > info.name:
                first[target] = info.name
                info.type, data, info.size, info.linkname = tarfile.REGTYPE, data_of[target], len(data_of[target]), ""
            else:
                info.linkname = target
        elif info.isreg() and info.name in first:
            info.type, info.size, info.linkname, data = tarfile.LNKTYPE, 0, first[info.name], None
        out.append((info, data))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for info, data in out:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    raw = buf.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=0, compresslevel=6) as g:
        g.write(raw)
    return raw, gz.getvalue()

def base_entries(path):
    out = []
    with tarfile.open(path) as t:
        for m in t.getmembers():
            if not (m.isreg() or m.isdir() or m.issym() or m.islnk()):
                continue  # device nodes and fifos: the runtime provides /dev
            data = t.extractfile(m).read() if m.isreg() else None
            m = normal(m)
            if m.name in ("", ".") or any(m.name == x or m.name.startswith(x + "/")
                                          for x in args.base_exclude):
                continue
            out.append((m, data))
    return out

def entry(name, kind, mode, data=None, linkname=""):
    info = normal(tarfile.TarInfo(name))
    info.type, info.mode, info.linkname = kind, mode, linkname
    info.size = len(data) if data is not None else 0
    return info, data

def top_entries():
    files = {}
    def add_dirs(path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            files.setdefault(d, entry(d, tarfile.DIRTYPE, 0o755))
    for spec in args.dir:
        path, _, mode = spec.partition(":")
        path = path.strip("/")
        add_dirs(path)
        files[path] = entry(path, tarfile.DIRTYPE, int(mode or "755", 8))
    for spec in args.file:
        src, _, rest = spec.partition("=")
        dest, _, mode = rest.partition(":")
        dest = dest.strip("/")
        with open(src, "rb") as f:
            data = f.read()
        add_dirs(dest)
        files[dest] = entry(dest, tarfile.REGTYPE, int(mode or "755", 8), data)
    if args.passwd:
        users = {"etc/passwd": b"root:x:0:0:root:/root:/sbin/nologin\n"
                               b"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
                 "etc/group": b"root:x:0:\nnobody:x:65534:\n"}
        for path, data in users.items():
            add_dirs(path)
            files[path] = entry(path, tarfile.REGTYPE, 0o644, data)
    return list(files.values())

layers = []
if args.base_tar:
    layers.append(layer(base_entries(args.base_tar)))
top = top_entries()
if top:
    layers.append(layer(top))

config = {"Env": args.env or ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
          "User": args.user}
if args.entrypoint is not None:
    config["Entrypoint"] = args.entrypoint
if args.cmd is not None:
    config["Cmd"] = args.cmd
if args.workdir:
    config["WorkingDir"] = args.workdir
created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
config_blob = dumps({"architecture": "amd64", "os": "linux", "created": created, "config": config,
                     "rootfs": {"type": "layers", "diff_ids": [digest(raw) for raw, _ in layers]},
                     "history": [{"created": created, "created_by": "kiln tools/k8s-artifacts"}
                                 for _ in layers]})
manifest = dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                             "digest": digest(config_blob), "size": len(config_blob)},
                  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                              "digest": digest(gz), "size": len(gz)} for _, gz in layers]})
name_part = args.ref.rsplit("/", 1)[-1]
annotations = {"io.containerd.image.name": args.ref}
if ":" in name_part:
    annotations["org.opencontainers.image.ref.name"] = name_part.rsplit(":", 1)[1]
index = dumps({"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(manifest),
     "size": len(manifest), "annotations": annotations}]})

blobs = {digest(b)[7:]: b for b in [gz for _, gz in layers] + [config_blob, manifest]}
with tarfile.open(args.out, "w", format=tarfile.USTAR_FORMAT) as t:
    def add(path, data=None):
        info = tarfile.TarInfo(path)
        info.mtime = epoch
        if data is None:
            info.type, info.mode = tarfile.DIRTYPE, 0o755
        else:
            info.size, info.mode = len(data), 0o644
        t.addfile(info, io.BytesIO(data) if data is not None else None)
    add("blobs/")
    add("blobs/sha256/")
    for hexd in sorted(blobs):
        add("blobs/sha256/" + hexd, blobs[hexd])
    add("index.json", index)
    add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
