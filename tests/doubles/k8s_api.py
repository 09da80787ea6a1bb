# SPDX-License-Identifier: LGPL-2.1-or-later
"""The cluster behind the kubeadm and kubectl test doubles (tests/doubles/kubeadm, kubectl).

TEST DOUBLE. Never installed into, or shipped in, any kiln image. Why it exists: kiln's
cluster phase runs kubeadm init, starts kubelet.service and then asks kubectl. On this
project's machines the real kubelet cannot run in the nspawn tier (the hosts have cgroup
v1, which kubelet 1.35+ refuses), so no static pod, API server or etcd can run there
either; the real binaries are proven in the QEMU tier instead. What the nspawn tier keeps
real: systemd, D-Bus, containerd, the supervisor, and kubelet.service as a unit.

The model, kept as small as the supervisor's use of it:
  - The API's objects live in etcd's data directory, <dataDir>/member/kiln-test-double-
    api.json, written by kubeadm init's upload-config, mark-control-plane, bootstrap-token
    and addon phases. So what kubeadm reset deletes (etcd's data) deletes the cluster, as
    it does for real. dataDir is read from /etc/kubernetes/manifests/etcd.yaml, as kubeadm
    reset reads it.
  - The API server answers only while what runs it is there: the kube-apiserver and etcd
    manifests in /etc/kubernetes/manifests (static pods), kubelet.service active (the
    kubelet runs them; `systemctl is-active`), and etcd's data. Otherwise kubectl gets
    kubectl's "The connection to the server ... was refused" (its real text, v1.37.2).
  - What the kubelet and the controllers would do is computed when kubectl asks: with
    kubelet.service active, the node (registered on the first answer) is Ready, every pod
    runs and is ready, Deployments and DaemonSets are available at their observed
    generation. Faults a test wants are named, one a line, in /run/kiln-test/cluster-faults:
      coredns-crashloop   one CoreDNS pod in CrashLoopBackOff, its Deployment 1 short
      node-notready       the node NotReady (KubeletNotReady, the CNI message)
      etcd-down           /readyz fails on etcd (HTTP 500, as kubectl reports it)
"""
import json
import os
import re
import subprocess
import time
import uuid

MANIFESTS = "/etc/kubernetes/manifests"
STATE_NAME = "member/kiln-test-double-api.json"
FAULTS = "/run/kiln-test/cluster-faults"
DEFAULT_DATA_DIR = "/var/lib/etcd"


def etcd_data_dir():
    """etcd's --data-dir from its static pod manifest; None without the manifest."""
    try:
        with open(os.path.join(MANIFESTS, "etcd.yaml")) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    m = re.search(r"--data-dir=(\S+)", text)
    return m.group(1) if m else DEFAULT_DATA_DIR


def state_path(data_dir):
    return os.path.join(data_dir, STATE_NAME)


def load(data_dir):
    try:
        with open(state_path(data_dir)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def save(data_dir, state):
    path = state_path(data_dir)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def new_state():
    return {"resourceVersion": 1, "objects": {}}


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def key(kind, namespace, name):
    return "%s/%s/%s" % (kind, namespace or "", name)


def put(state, obj):
    """Create or replace obj (apiVersion, kind, metadata.name[, namespace]) as the API
    would: uid, creationTimestamp and generation kept across updates, resourceVersion and
    (for a changed spec) generation bumped. Returns True when something changed."""
    meta = obj.setdefault("metadata", {})
    k = key(obj["kind"], meta.get("namespace"), meta["name"])
    old = state["objects"].get(k)
    if old is not None:
        om = old["metadata"]
        same = {kk: v for kk, v in old.items() if kk not in ("metadata", "status")} == \
               {kk: v for kk, v in obj.items() if kk not in ("metadata", "status")} and \
               {kk: v for kk, v in om.items() if kk not in ("resourceVersion", "uid", "creationTimestamp",
                                                           "generation")} == \
               {kk: v for kk, v in meta.items() if kk not in ("resourceVersion", "uid", "creationTimestamp",
                                                             "generation")}
        if same:
            return False
        meta["uid"] = om["uid"]
        meta["creationTimestamp"] = om["creationTimestamp"]
        if "generation" in om:
            meta["generation"] = om["generation"] + (old.get("spec") != obj.get("spec"))
    else:
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now()
        if obj["kind"] in ("Deployment", "DaemonSet", "StatefulSet", "Job"):
            meta["generation"] = 1
    state["resourceVersion"] += 1
    meta["resourceVersion"] = str(state["resourceVersion"])
    state["objects"][k] = obj
    return True


def get(state, kind, namespace, name):
    return state["objects"].get(key(kind, namespace, name))


def kubelet_active():
    try:
        return subprocess.run(["systemctl", "is-active", "--quiet", "kubelet.service"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def api_answers():
    """The data directory when the API server would answer, else None."""
    if not os.path.exists(os.path.join(MANIFESTS, "kube-apiserver.yaml")):
        return None
    data_dir = etcd_data_dir()
    if data_dir is None or load(data_dir) is None or not kubelet_active():
        return None
    return data_dir


def faults():
    try:
        with open(FAULTS) as f:
            return {line.strip() for line in f if line.strip()}
    except FileNotFoundError:
        return set()
