# SPDX-License-Identifier: LGPL-2.1-or-later
"""`kubeadm init --config FILE` and `kubeadm reset` of the kubeadm test double.

TEST DOUBLE (see tests/doubles/kubeadm): never in an image. It plays kubeadm v1.37.2 only
(KILN_KUBEADM_DOUBLE_VERSION=v1.37.2); other releases refuse init and reset as not
implemented. Its contract was taken from the real v1.37.2 binary on this project's
machines: its --help, its refusals of bad configurations (run), `kubeadm init --dry-run`
(the files it writes and the lines it prints), a real `kubeadm reset --force` on a fake
layout, and the message formats in the binary ([S-bin]: `grep -a` of its strings). Lines
marked [M] follow the upstream sources from memory, not seen run.

init:
  - flags: --config (required here), --skip-token-print, --skip-certificate-key-print,
    --ignore-preflight-errors, --dry-run (refused: not implemented), --v, and every other
    init flag refused next to --config with kubeadm's "can not mix '--config' with
    arguments [...]" (seen); without --config: not implemented.
  - the file (seen, v1.37.2): YAML documents; apiVersion and kind required; kubeadm.k8s.io/
    v1beta4 only (v1beta3 and older: "uses an old API spec"); a kind twice is an error; an
    unknown kind or another command's kind is a klog warning and ignored; unknown fields
    are a "strict decoding error" warning and dropped; localAPIEndpoint.bindPort of the
    wrong type is an error; then validation: the node name (lower-cased, RFC 1123
    subdomain), advertiseAddress (an IP), serviceSubnet/podSubnet (CIDRs), imagePullPolicy,
    kubernetesVersion (>= 1.36.0). Every error: "error: <text>" + the --v=5 hint, exit 1.
  - preflight: IsPrivilegedUser, NumCPU, Mem, KubernetesVersion (warning), Port-<bindPort>,
    -10259, -10257, -10250, -2379, -2380 (bound for real), FileAvailable of the four
    manifests, DirAvailable--var-lib-etcd (dataDir), FileContent--proc-sys-net-ipv4-
    ip_forward, CRI (a connect to criSocket), Swap (warning), FileExisting (ip, iptables,
    mount, nsenter: errors; ethtool, socat, tc, touch: warnings), Hostname (warning),
    KubeletVersion (`kubelet --version`), Service-kubelet (warning: `systemctl is-enabled`).
    --ignore-preflight-errors and nodeRegistration.ignorePreflightErrors turn errors into
    warnings (case-insensitive, "all"). Not done: SystemVerification (the double cannot
    judge a kernel honestly; it neither passes nor fails it, it is left out). An
    imagePullPolicy other than Never is refused as not implemented: the double pulls
    nothing, and neither may kiln.
  - then the phases, printing kubeadm's lines and writing kubeadm's files (the dry run's
    list): pki (placeholders, marked as the double's, not certificates), the five
    kubeconfigs, the four static pod manifests (etcd's carrying --data-dir), /var/lib/
    kubelet/{kubeadm-flags.env,instance-config.yaml,config.yaml}; kubelet-start runs
    `systemctl restart kubelet` (a failure is a warning, as for real); wait-control-plane
    waits (up to timeouts.kubeletHealthCheck) for kubelet.service to be active, then etcd
    "starts" (its data directory gets member/); upload-config, mark-control-plane,
    bootstrap-token and addon write the cluster's objects (k8s_api.py); the success text.
  - for the tests: KILN_KUBEADM_DOUBLE_PAUSE=PHASE:SECONDS (or the same in the file
    /run/kiln-test/kubeadm-pause) sleeps before that phase, so that a test can kill init
    in the middle; KILN_KUBEADM_DOUBLE_LOG=FILE gets one line per "init start", "init
    done", "init failed", "reset", and FILE.init.status or FILE.reset.status the kernel's
    view of the process (its /proc/self/status lines for capabilities, no_new_privs and
    seccomp): how the supervisor confined it.
reset:
  - flags: --force/-f, --dry-run, --cert-dir, --cleanup-tmp-dir, --ignore-preflight-errors,
    --v; without --force it asks "[reset] Are you sure you want to proceed? [y/N]: " and
    anything but y/Y fails as kubeadm does (seen). --config, --kubeconfig, --cri-socket,
    --skip-phases: not implemented.
  - what v1.37.2 did (seen): no API to read kubeadm-config from (a warning), etcd's data
    directory from the etcd manifest emptied, `systemctl stop kubelet` (a warning when it
    fails), containers not removed (the double has none: said in a warning), the contents
    of /etc/kubernetes/manifests, /var/lib/kubelet and the certificates directory and the
    kubeconfigs deleted, the closing note; exit 0.
"""
import base64
import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import __main__ as kubeadm
import k8s_api

try:
    import yaml
except ImportError:                       # pragma: no cover - the machines have PyYAML
    yaml = None

KUBERNETES_DIR = "/etc/kubernetes"
MANIFESTS = KUBERNETES_DIR + "/manifests"
KUBELET_DIR = "/var/lib/kubelet"
PLACEHOLDER = "written by the kubeadm test double (kiln-test-double); not a real %s\n"
RELEASE = "v1.37.2"
# A test's way to set KILN_KUBEADM_DOUBLE_PAUSE for a double started by a service.
PAUSE_FILE = "/run/kiln-test/kubeadm-pause"
MINIMUM = (1, 36, 0)

# Flags kubeadm allows next to --config (kubeadm-contract.md 3.1; seen).
MIX_OK = {"config", "ignore-preflight-errors", "dry-run", "kubeconfig", "node-name", "kubeconfig-dir",
          "upload-certs", "print-join-command", "rootfs", "v", "log-file"}
INIT_FLAGS = dict(kubeadm.global_flags(), **{
    "config": (None, True), "skip-token-print": (None, False), "skip-certificate-key-print": (None, False),
    "skip-phases": (None, True), "ignore-preflight-errors": (None, True), "dry-run": (None, False),
    "apiserver-advertise-address": (None, True), "apiserver-bind-port": (None, True),
    "apiserver-cert-extra-sans": (None, True), "cert-dir": (None, True), "certificate-key": (None, True),
    "control-plane-endpoint": (None, True), "cri-socket": (None, True), "feature-gates": (None, True),
    "image-repository": (None, True), "kubernetes-version": (None, True), "node-name": (None, True),
    "patches": (None, True), "pod-network-cidr": (None, True), "service-cidr": (None, True),
    "service-dns-domain": (None, True), "token": (None, True), "token-ttl": (None, True),
    "upload-certs": (None, False), "vmodule": (None, True)})
RESET_FLAGS = dict(kubeadm.global_flags(), **{
    "force": ("f", False), "dry-run": (None, False), "cert-dir": (None, True), "cleanup-tmp-dir": (None, False),
    "config": (None, True), "cri-socket": (None, True), "ignore-preflight-errors": (None, True),
    "kubeconfig": (None, True), "skip-phases": (None, True)})

# The fields of the v1beta4 documents init reads (kubeadm-contract.md 1.2, 1.3, 1.7, 1.9):
# nested dicts are structs, None is a leaf of any type.
TIMEOUTS = {k: None for k in ("controlPlaneComponentHealthCheck", "kubeletHealthCheck", "kubernetesAPICall",
                              "etcdAPICall", "tlsBootstrap", "discovery", "upgradeManifests")}
NODE_REGISTRATION = {k: None for k in ("name", "criSocket", "taints", "kubeletExtraArgs", "ignorePreflightErrors",
                                       "imagePullPolicy", "imagePullSerial")}
COMPONENT = {"extraArgs": None, "extraVolumes": None, "extraEnvs": None}
SCHEMA = {
    "InitConfiguration": {"apiVersion": None, "kind": None, "bootstrapTokens": None, "dryRun": None,
                          "nodeRegistration": NODE_REGISTRATION,
                          "localAPIEndpoint": {"advertiseAddress": None, "bindPort": None},
                          "certificateKey": None, "skipPhases": None, "patches": {"directory": None},
                          "timeouts": TIMEOUTS},
    "ClusterConfiguration": {"apiVersion": None, "kind": None,
                             "etcd": {"local": {"imageRepository": None, "imageTag": None, "dataDir": None,
                                                "extraArgs": None, "extraEnvs": None, "serverCertSANs": None,
                                                "peerCertSANs": None},
                                      "external": None},
                             "networking": {"serviceSubnet": None, "podSubnet": None, "dnsDomain": None},
                             "kubernetesVersion": None, "controlPlaneEndpoint": None,
                             "apiServer": dict(COMPONENT, certSANs=None), "controllerManager": COMPONENT,
                             "scheduler": COMPONENT,
                             "dns": {"imageRepository": None, "imageTag": None, "disabled": None},
                             "proxy": {"disabled": None}, "certificatesDir": None, "imageRepository": None,
                             "featureGates": None, "clusterName": None, "encryptionAlgorithm": None,
                             "certificateValidityPeriod": None, "caCertificateValidityPeriod": None},
}
GO_TYPES = {"InitConfiguration": "InitConfiguration", "ClusterConfiguration": "ClusterConfiguration"}
NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# kubeadm's default Corefile (v1.37.2, as its addon phase installs it; tests/unit/data/cluster).
COREFILE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes %s in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success %s
       disable denial %s
    }
    loop
    reload
    loadbalance
}
"""


def out(line):
    print(line, flush=True)


def err(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def test_log(what):
    path = os.environ.get("KILN_KUBEADM_DOUBLE_LOG")
    if not path:
        return
    with open(path, "a") as f:
        f.write("%s %d\n" % (what, os.getpid()))
    verb = what.split()[0]
    if what in ("init start", "reset"):
        with open("/proc/self/status") as f:
            lines = [l for l in f if re.match(r"(Cap(Eff|Prm|Bnd|Amb)|NoNewPrivs|Seccomp(_filters)?):", l)]
        with open("%s.%s.status" % (path, verb), "w") as f:
            f.write("".join(lines))


def pause(phase):
    spec = os.environ.get("KILN_KUBEADM_DOUBLE_PAUSE", "") or (read(PAUSE_FILE) or "").strip()
    name, _, seconds = spec.partition(":")
    if name == phase and seconds:
        time.sleep(float(seconds))


def klog_warning(where, message):
    now = time.time()
    stamp = time.strftime("%m%d %H:%M:%S", time.localtime(now)) + ".%06d" % int((now % 1) * 1e6)
    sys.stderr.write("W%s %7d %s] %s\n" % (stamp, os.getpid(), where, message))


def go_duration(text, default):
    """Seconds of a Go duration ("4m0s", "90s", "1h"); default when absent or malformed."""
    if not isinstance(text, str) or not text:
        return default
    total, pos = 0.0, 0
    units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
    for m in re.finditer(r"([0-9.]+)(ms|us|ns|h|m|s)", text):
        if m.start() != pos:
            return default
        total += float(m.group(1)) * units[m.group(2)]
        pos = m.end()
    return total if pos == len(text) else default


def go_duration_text(seconds):
    """Go's Duration.String() for whole seconds: 4m0s, 10m0s, 1h0m0s, 30s."""
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return "%dh%dm%ds" % (h, m, sec)
    if m:
        return "%dm%ds" % (m, sec)
    return "%ds" % sec


# ---- the configuration ----

def strict_check(kind, doc, schema, path=""):
    """Unknown fields: kubeadm's strict decoding warning, and dropped (seen)."""
    for k in list(doc):
        if k not in schema:
            klog_warning("initconfiguration.go:334",
                         'error unmarshaling configuration schema.GroupVersionKind{Group:"kubeadm.k8s.io", '
                         'Version:"v1beta4", Kind:"%s"}: strict decoding error: unknown field "%s%s"'
                         % (kind, path, k))
            del doc[k]
        elif isinstance(schema[k], dict) and isinstance(doc[k], dict):
            strict_check(kind, doc[k], schema[k], path + k + ".")


def load_config(path):
    if yaml is None:
        kubeadm.not_implemented("--config without PyYAML")
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        # [M] the message of initconfiguration.go's LoadInitConfigurationFromFile.
        raise kubeadm.Failure('unable to read config from "%s" : %s' % (path, os_error(e)))
    docs, old = {}, []
    chunks = re.split(r"(?m)^---[ \t]*$", text)
    for chunk in chunks:
        try:
            doc = yaml.safe_load(chunk)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            raise kubeadm.Failure("could not interpret GroupVersionKind; unmarshal error: error converting YAML to "
                                  "JSON: yaml: line %d: %s" % ((mark.line + 1) if mark else 0,
                                                               getattr(e, "problem", None) or str(e)))
        if doc is None:
            continue
        if not isinstance(doc, dict) or not doc.get("apiVersion") or not doc.get("kind"):
            raise kubeadm.Failure("invalid configuration for GroupVersionKind /, Kind=: kind and apiVersion is "
                                  "mandatory information that must be specified")
        group, _, version = str(doc["apiVersion"]).rpartition("/")
        kind = str(doc["kind"])
        gvk = "%s/%s, Kind=%s" % (group, version, kind)
        if group == "kubeadm.k8s.io" and version in ("v1beta1", "v1beta2", "v1beta3"):
            use = {"v1beta1": "v1.20", "v1beta2": "v1.22", "v1beta3": "v1.36"}[version]
            old.append((kind != "ClusterConfiguration",
                        'your configuration file uses an old API spec: "%s" (kind: "%s"). Please use kubeadm %s '
                        "instead and run 'kubeadm config migrate --old-config old-config-file --new-config "
                        "new-config-file', which will write the new, similar spec using a newer API version."
                        % (doc["apiVersion"], kind, use)))
            continue
        known = (group == "kubeadm.k8s.io" and version == "v1beta4" and
                 kind in ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration", "ResetConfiguration",
                          "UpgradeConfiguration")) or \
                (doc["apiVersion"], kind) in (("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"),
                                              ("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"))
        if group == "kubeadm.k8s.io" and not known:
            klog_warning("initconfiguration.go:334", 'unknown configuration schema.GroupVersionKind{Group:"%s", '
                         'Version:"%s", Kind:"%s"}' % (group, version, kind))
        if kind in docs:
            raise kubeadm.Failure('invalid configuration: kind "%s" is specified twice in YAML file' % kind)
        if not known or kind in ("JoinConfiguration", "ResetConfiguration", "UpgradeConfiguration"):
            klog_warning("initconfiguration.go:363", "[config] WARNING: Ignored configuration document with "
                         "GroupVersionKind %s" % gvk)
            continue
        docs[kind] = doc
    if old:
        # Seen: v1.37.2 names the ClusterConfiguration when both are old, every time.
        raise kubeadm.Failure(sorted(old)[0][1])
    if "InitConfiguration" not in docs and "ClusterConfiguration" not in docs:
        raise kubeadm.Failure("no InitConfiguration or ClusterConfiguration kind was found in the configuration file")
    for kind in ("InitConfiguration", "ClusterConfiguration"):
        docs.setdefault(kind, {"apiVersion": "kubeadm.k8s.io/v1beta4", "kind": kind})
        strict_check(kind, docs[kind], SCHEMA[kind])
    return docs


def os_error(e):
    return "open %s: %s" % (e.filename, (e.strerror or "").lower())


def parse_version(text):
    m = re.match(r"^v?(\d+)\.(\d+)\.(\d+)", str(text or ""))
    return tuple(int(x) for x in m.groups()) if m else None


def validate(docs):
    """Defaults, then validation, as init does them; returns the effective settings."""
    init, cluster = docs["InitConfiguration"], docs["ClusterConfiguration"]
    reg = init.get("nodeRegistration") or {}
    ep = init.get("localAPIEndpoint") or {}
    net = cluster.get("networking") or {}
    port = ep.get("bindPort", 6443)
    if not isinstance(port, int) or isinstance(port, bool):
        raise kubeadm.Failure("json: cannot unmarshal %s into Go struct field APIEndpoint.localAPIEndpoint.bindPort "
                              "of type int32" % ("string" if isinstance(port, str) else "value"))
    name = str(reg.get("name") or socket.gethostname()).lower()
    if not NAME_RE.match(name) or len(name) > 253:
        raise kubeadm.Failure('nodeRegistration.name: Invalid value: "%s": a lowercase RFC 1123 subdomain must '
                              "consist of lower case alphanumeric characters, '-' or '.', and must start and end "
                              "with an alphanumeric character (e.g. 'example.com', regex used for validation is "
                              "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" % name)
    address = ep.get("advertiseAddress")
    if address is None:
        # kubeadm picks the address of the default route's interface.
        address = default_address()
    try:
        ipaddress.ip_address(str(address))
    except ValueError:
        raise kubeadm.Failure('couldn\'t use "%s" as "apiserver-advertise-address", must be ipv4 or ipv6 address'
                              % address)
    for field in ("serviceSubnet", "podSubnet"):
        value = net.get(field, "10.96.0.0/12" if field == "serviceSubnet" else "")
        if value == "" and field == "podSubnet":
            continue
        try:
            for part in str(value).split(","):
                ipaddress.ip_network(part.strip(), strict=False)
        except ValueError:
            raise kubeadm.Failure('networking.%s: Invalid value: "%s": couldn\'t parse subnet' % (field, value))
    policy = reg.get("imagePullPolicy", "IfNotPresent")
    if policy not in ("Always", "IfNotPresent", "Never"):
        # [M] the validation's wording.
        raise kubeadm.Failure('nodeRegistration.imagePullPolicy: Unsupported value: "%s": supported values: '
                              '"Always", "IfNotPresent", "Never"' % policy)
    version = cluster.get("kubernetesVersion", "stable-1")
    parsed = parse_version(version)
    if parsed is None:
        kubeadm.not_implemented("kubernetesVersion %r (only vX.Y.Z: a version label needs the internet)" % version)
    if parsed < MINIMUM:
        raise kubeadm.Failure("this version of kubeadm only supports deploying clusters with the control plane "
                              "version >= %d.%d.0. Current version: %s" % (MINIMUM[0], MINIMUM[1], version))
    etcd = cluster.get("etcd") or {}
    if etcd.get("external"):
        kubeadm.not_implemented("external etcd")
    timeouts = init.get("timeouts") or {}
    return {
        "name": name, "address": str(address), "port": port,
        "criSocket": reg.get("criSocket", "unix:///run/containerd/containerd.sock"),
        "ignore": {str(x).lower() for x in (reg.get("ignorePreflightErrors") or [])},
        "policy": policy, "version": "v%d.%d.%d" % parsed, "parsed": parsed,
        "certDir": cluster.get("certificatesDir", "/etc/kubernetes/pki"),
        "dataDir": (etcd.get("local") or {}).get("dataDir", "/var/lib/etcd"),
        "dnsDomain": net.get("dnsDomain", "cluster.local"),
        "podSubnet": net.get("podSubnet", ""),
        "serviceSubnet": net.get("serviceSubnet", "10.96.0.0/12"),
        "endpoint": cluster.get("controlPlaneEndpoint") or "",
        "repository": cluster.get("imageRepository") or kubeadm.DEFAULT_REPOSITORY,
        "dns": not (cluster.get("dns") or {}).get("disabled", False),
        "proxy": not (cluster.get("proxy") or {}).get("disabled", False),
        "kubeletTimeout": go_duration(timeouts.get("kubeletHealthCheck"), 240),
        "controlPlaneTimeout": go_duration(timeouts.get("controlPlaneComponentHealthCheck"), 240),
        "taints": reg.get("taints"),
        "cluster": cluster,
        "kubelet": docs.get("KubeletConfiguration") or {},
    }


def default_address():
    try:
        with open("/proc/net/route") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1] == "00000000":
                    out_if = fields[0]
                    r = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", out_if], capture_output=True,
                                       text=True)
                    m = re.search(r"inet (\S+)/", r.stdout)
                    if m:
                        return m.group(1)
    except (OSError, IndexError):
        pass
    # [M] kubeadm's own failure when no default route exists.
    raise kubeadm.Failure("unable to select an IP from default routes.")


# ---- preflight ----

def port_free(port):
    s = socket.socket(socket.AF_INET6 if socket.has_ipv6 else socket.AF_INET)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::" if socket.has_ipv6 else "", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def dir_not_empty(path):
    try:
        return bool(os.listdir(path))
    except FileNotFoundError:
        return False


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def cri_error(cri):
    path = cri[len("unix://"):] if cri.startswith("unix://") else cri
    s = socket.socket(socket.AF_UNIX)
    try:
        s.settimeout(5)
        s.connect(path)
        return None
    except OSError as e:
        return ('could not connect to the container runtime: failed to create new CRI runtime service: validate '
                'service connection: validate CRI v1 runtime API for endpoint "%s": rpc error: code = Unavailable '
                'desc = connection error: desc = "transport: Error while dialing: dial unix %s: connect: %s"'
                % (cri, path, (e.strerror or str(e)).lower()))
    finally:
        s.close()


def kubelet_version_error(control_plane):
    try:
        r = subprocess.run(["kubelet", "--version"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        return "couldn't get kubelet version: cannot execute 'kubelet --version': executable file not found in $PATH"
    m = re.search(r"Kubernetes (v\d+\.\d+\.\d+)", r.stdout)
    if r.returncode != 0 or not m:
        return "couldn't get kubelet version: %s" % (r.stderr.strip() or r.stdout.strip())
    v = parse_version(m.group(1))
    if v[:2] < (MINIMUM[0], MINIMUM[1] - 2):
        return 'Kubelet version "%s" is lower than kubeadm can support. Please upgrade kubelet' % m.group(1)
    if v[:2] > control_plane[:2]:
        return ('the kubelet version is higher than the control plane version. This is not a supported version skew '
                'and may lead to a malfunctional cluster. Kubelet version: "%s" Control plane version: "%s"'
                % (m.group(1), "v%d.%d.%d" % control_plane))
    return None


def preflight(cfg, ignored):
    """(name, error message or None, warning message or None) for each check, in order."""
    checks = []

    def check(name, error=None, warning=None):
        checks.append((name, error, warning))

    if os.geteuid() != 0:
        check("IsPrivilegedUser", "user is not running as root")
    cpus = os.cpu_count() or 1
    if cpus < 2:
        check("NumCPU", "the number of available CPUs %d is less than the required 2" % cpus)
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    if mem < 1700:
        check("Mem", "the system RAM (%d MB) is less than the minimum 1700 MB" % mem)
    if cfg["parsed"][:2] > (1, 37):
        check("KubernetesVersion", warning="Kubernetes version is greater than kubeadm version. Please consider to "
              "upgrade kubeadm. Kubernetes version: %d.%d.%d. Kubeadm version: 1.37.x" % cfg["parsed"])
    for port in (cfg["port"], 10259, 10257):
        if not port_free(port):
            check("Port-%d" % port, "Port %d is in use" % port)
    for m in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"):
        path = "%s/%s.yaml" % (MANIFESTS, m)
        if os.path.exists(path):
            check("FileAvailable-" + path.replace("/", "-"), "%s already exists" % path)
    if (read("/proc/sys/net/ipv4/ip_forward") or "").strip() != "1":
        check("FileContent--proc-sys-net-ipv4-ip_forward", "/proc/sys/net/ipv4/ip_forward contents are not set to 1")
    for port in (2379, 2380):
        if not port_free(port):
            check("Port-%d" % port, "Port %d is in use" % port)
    if dir_not_empty(cfg["dataDir"]):
        check("DirAvailable-" + cfg["dataDir"].replace("/", "-"), "%s is not empty" % cfg["dataDir"])
    problem = cri_error(cfg["criSocket"])
    if problem:
        check("CRI", problem)
    swaps = (read("/proc/swaps") or "").strip().splitlines()
    if len(swaps) > 1:
        check("Swap", warning="swap is supported for cgroup v2 only. The kubelet must be properly configured to use "
              "swap. Please refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or disable "
              "swap on the node")
    for exe, fatal in (("ip", True), ("iptables", True), ("mount", True), ("nsenter", True), ("ethtool", False),
                       ("socat", False), ("tc", False), ("touch", False)):
        if not shutil.which(exe):
            check("FileExisting-" + exe, *(("%s not found in system path" % exe, None) if fatal
                                           else (None, "%s not found in system path" % exe)))
    try:
        socket.gethostbyname(cfg["name"])
    except OSError as e:
        check("Hostname", warning='hostname "%s" could not be reached' % cfg["name"])
        check("Hostname", warning='hostname "%s": lookup %s: %s' % (cfg["name"], cfg["name"], e))
    problem = kubelet_version_error(cfg["parsed"])
    if problem:
        check("KubeletVersion", problem)
    if subprocess.run(["systemctl", "is-enabled", "kubelet.service"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        check("Service-kubelet", warning="kubelet service is not enabled, please run 'systemctl enable kubelet.service'")
    if not port_free(10250):
        check("Port-10250", "Port 10250 is in use")

    errors = []
    for name, error, warning in checks:
        if error and ("all" in ignored or name.lower() in ignored):
            warning, error = error, None
        if warning:
            err("\t[WARNING %s]: %s" % (name, warning))
        if error:
            errors.append((name, error))
    if errors:
        err("[preflight] Some fatal errors occurred:")
        for name, error in errors:
            err("\t[ERROR %s]: %s" % (name, error))
        err("[preflight] If you know what you are doing, you can make a check non-fatal with "
            "`--ignore-preflight-errors=...`")
        raise kubeadm.Failure("error execution phase preflight: preflight checks failed")


# ---- the phases ----

def write(path, text, mode=0o600):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def kubeconfig(cfg, user):
    server = "https://%s" % (cfg["endpoint"] if cfg["endpoint"] else "%s:%d" % (cfg["address"], cfg["port"]))
    if cfg["endpoint"] and ":" not in cfg["endpoint"]:
        server += ":%d" % cfg["port"]
    marker = PLACEHOLDER % "credential"
    data = base64.b64encode(marker.encode()).decode()
    return ("apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: %s\n"
            "  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n    user: %s\n"
            "  name: %s@kubernetes\ncurrent-context: %s@kubernetes\nkind: Config\npreferences: {}\nusers:\n"
            "- name: %s\n  user:\n    client-certificate-data: %s\n    client-key-data: %s\n"
            % (data, server, user, user, user, user, data, data))


def image(cfg, name):
    """The image kubeadm names for a component, from the release's list (kubeadm's
    `config images list`: the imageRepository, and coredns's own path)."""
    for i in kubeadm.images(cfg["version"], kubeadm.RELEASES[RELEASE], cfg["repository"]):
        if i.rsplit("/", 1)[1].split(":")[0] == name:
            return i
    raise KeyError(name)


def manifest(name, cfg, command):
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    component: %s\n    tier: control-plane\n"
            "  name: %s\n  namespace: kube-system\nspec:\n  containers:\n  - command:\n%s"
            "    image: %s\n    name: %s\n  hostNetwork: true\n"
            "  priorityClassName: system-node-critical\nstatus: {}\n"
            % (name, name, "".join("    - %s\n" % c for c in command), image(cfg, name), name))


def phase_certs(cfg):
    d = cfg["certDir"]
    out('[certs] Using certificateDir folder "%s"' % d)
    for cert in ("ca", "apiserver", "apiserver-kubelet-client", "front-proxy-ca", "front-proxy-client", "etcd/ca",
                 "etcd/server", "etcd/peer", "etcd/healthcheck-client", "apiserver-etcd-client"):
        out('[certs] Generating "%s" certificate and key' % cert)
        write("%s/%s.crt" % (d, cert), PLACEHOLDER % "certificate", 0o644)
        write("%s/%s.key" % (d, cert), PLACEHOLDER % "key")
    out('[certs] Generating "sa" key and public key')
    write(d + "/sa.key", PLACEHOLDER % "key")
    write(d + "/sa.pub", PLACEHOLDER % "public key", 0o644)


def phase_kubeconfig(cfg):
    out('[kubeconfig] Using kubeconfig folder "%s"' % KUBERNETES_DIR)
    for name, user in (("admin.conf", "kubernetes-admin"), ("super-admin.conf", "kubernetes-super-admin"),
                       ("kubelet.conf", "system:node:" + cfg["name"]),
                       ("controller-manager.conf", "system:kube-controller-manager"),
                       ("scheduler.conf", "system:kube-scheduler")):
        out('[kubeconfig] Writing "%s" kubeconfig file' % name)
        write("%s/%s" % (KUBERNETES_DIR, name), kubeconfig(cfg, user))


def phase_etcd(cfg):
    out('[etcd] Creating static Pod manifest for local etcd in "%s"' % MANIFESTS)
    os.makedirs(cfg["dataDir"], mode=0o700, exist_ok=True)
    write(MANIFESTS + "/etcd.yaml", manifest("etcd", cfg, ["etcd", "--data-dir=" + cfg["dataDir"],
                                                          "--name=" + cfg["name"]]))


def phase_control_plane(cfg):
    out('[control-plane] Using manifest folder "%s"' % MANIFESTS)
    for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        out('[control-plane] Creating static Pod manifest for "%s"' % name)
        write("%s/%s.yaml" % (MANIFESTS, name), manifest(name, cfg, [name, "--advertise-address=" + cfg["address"]]))


def phase_kubelet_start(cfg):
    flags = "--hostname-override=%s" % cfg["name"] if cfg["name"] != socket.gethostname().lower() else ""
    out('[kubelet-start] Writing kubelet environment file with flags to file "%s/kubeadm-flags.env"' % KUBELET_DIR)
    write(KUBELET_DIR + "/kubeadm-flags.env", 'KUBELET_KUBEADM_ARGS="%s"\n' % flags, 0o644)
    out('[kubelet-start] Writing kubelet configuration to file "%s/instance-config.yaml"' % KUBELET_DIR)
    write(KUBELET_DIR + "/instance-config.yaml",
          "apiVersion: kubelet.config.k8s.io/v1beta1\ncontainerRuntimeEndpoint: %s\nkind: KubeletConfiguration\n"
          % cfg["criSocket"], 0o644)
    out('[kubelet-start] Writing kubelet configuration to file "%s/config.yaml"' % KUBELET_DIR)
    kubelet = dict(cfg["kubelet"], apiVersion="kubelet.config.k8s.io/v1beta1", kind="KubeletConfiguration",
                   staticPodPath=MANIFESTS, rotateCertificates=True)
    kubelet.setdefault("cgroupDriver", "systemd")
    write(KUBELET_DIR + "/config.yaml", yaml.safe_dump(kubelet, default_flow_style=False), 0o644)
    out("[kubelet-start] Starting the kubelet")
    r = subprocess.run(["systemctl", "restart", "kubelet.service"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    if r.returncode != 0:
        # [M] kubeadm's TryStartKubelet only warns.
        err("\t[WARNING] The kubelet service could not be restarted: %s" % (r.stderr.strip() or r.returncode))


def phase_wait_control_plane(cfg):
    out('[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "%s"'
        % MANIFESTS)
    t = go_duration_text(cfg["kubeletTimeout"])
    out("[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:10248/healthz. This can take up to %s" % t)
    start = time.monotonic()
    while not k8s_api.kubelet_active():
        if time.monotonic() - start > cfg["kubeletTimeout"]:
            out("[kubelet-check] The kubelet is not healthy after %s" % t)
            # [S-bin] the first line; the rest of the block [M].
            out("\n\tUnfortunately, an error has occurred, likely caused by:\n\t- The kubelet is not running\n"
                "\t- The kubelet is unhealthy due to a misconfiguration of the node in some way (required cgroups "
                "disabled)\n\nIf you are on a systemd-powered system, you can try to troubleshoot the error with "
                "the following commands:\n\t- 'systemctl status kubelet'\n\t- 'journalctl -xeu kubelet'\n")
            raise kubeadm.Failure("error execution phase wait-control-plane: failed while waiting for the kubelet "
                                  "to start: the kubelet is not healthy after %s" % t)
        time.sleep(0.5)
    out("[kubelet-check] The kubelet is healthy after %.9fs" % (time.monotonic() - start))
    out("[control-plane-check] Waiting for healthy control plane components. This can take up to %s"
        % go_duration_text(cfg["controlPlaneTimeout"]))
    # etcd starts under the kubelet: its member data appears, and with it the API's store.
    os.makedirs(os.path.join(cfg["dataDir"], "member"), mode=0o700, exist_ok=True)
    if k8s_api.load(cfg["dataDir"]) is None:
        k8s_api.save(cfg["dataDir"], k8s_api.new_state())
    for name, url in (("kube-apiserver", "https://%s:%d/livez" % (cfg["address"], cfg["port"])),
                      ("kube-controller-manager", "https://127.0.0.1:10257/healthz"),
                      ("kube-scheduler", "https://127.0.0.1:10259/livez")):
        out("[control-plane-check] Checking %s at %s" % (name, url))
    for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        out("[control-plane-check] %s is healthy after %.9fs" % (name, time.monotonic() - start))


def config_map(namespace, name, data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": data}


def phase_upload_config(cfg, state):
    out('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace')
    cluster = dict(cfg["cluster"], kubernetesVersion=cfg["version"])
    k8s_api.put(state, config_map("kube-system", "kubeadm-config",
                                  {"ClusterConfiguration": yaml.safe_dump(cluster, default_flow_style=False)}))
    out('[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the '
        "kubelets in the cluster")
    k8s_api.put(state, config_map("kube-system", "kubelet-config",
                                  {"kubelet": read(KUBELET_DIR + "/config.yaml") or ""}))
    out("[upload-certs] Skipping phase. Please see --upload-certs")


def phase_mark_control_plane(cfg, state):
    labels = ["node-role.kubernetes.io/control-plane", "node.kubernetes.io/exclude-from-external-load-balancers"]
    out("[mark-control-plane] Marking the node %s as control-plane by adding the labels: [%s]"
        % (cfg["name"], " ".join(labels)))
    node = k8s_api.get(state, "Node", None, cfg["name"]) or {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": cfg["name"], "labels": {"kubernetes.io/hostname": cfg["name"],
                                                     "kubernetes.io/os": "linux"}}}
    node = json.loads(json.dumps(node))
    node["metadata"].setdefault("labels", {}).update({label: "" for label in labels})
    taints = cfg["taints"]
    if taints is None:
        taints = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
        out("[mark-control-plane] Marking the node %s as control-plane by adding the taints "
            "[node-role.kubernetes.io/control-plane:NoSchedule]" % cfg["name"])
    if taints:
        node.setdefault("spec", {})["taints"] = taints
    k8s_api.put(state, node)


def phase_bootstrap_token(cfg, state, skip_print):
    token_id = os.urandom(3).hex()
    token = "%s.%s" % (token_id, os.urandom(8).hex())
    if not skip_print:
        out("[bootstrap-token] Using token: %s" % token)
    out("[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles")
    k8s_api.put(state, {"apiVersion": "v1", "kind": "Secret", "type": "bootstrap.kubernetes.io/token",
                        "metadata": {"name": "bootstrap-token-" + token_id, "namespace": "kube-system"},
                        "stringData": {"token-id": token_id, "token-secret": token.split(".")[1]}})
    out('[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace')
    k8s_api.put(state, config_map("kube-public", "cluster-info", {"kubeconfig": kubeconfig(cfg, "")}))
    out("[kubelet-finalize] Updating \"%s/kubelet.conf\" to point to a rotatable kubelet client certificate and key"
        % KUBERNETES_DIR)
    return token


def phase_addons(cfg, state):
    if cfg["dns"]:
        domain = cfg["dnsDomain"]
        k8s_api.put(state, config_map("kube-system", "coredns", {"Corefile": COREFILE % (domain, domain, domain)}))
        k8s_api.put(state, {"apiVersion": "apps/v1", "kind": "Deployment",
                            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
                            "spec": {"replicas": 2, "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
                                     "template": {"metadata": {"labels": {"k8s-app": "kube-dns"}},
                                                  "spec": {"containers": [{"name": "coredns",
                                                                           "image": image(cfg, "coredns"),
                                                                           "args": ["-conf", "/etc/coredns/Corefile"]}]}}}})
        out("[addons] Applied essential addon: CoreDNS")
    if cfg["proxy"]:
        k8s_api.put(state, config_map("kube-system", "kube-proxy", {"config.conf": "", "kubeconfig.conf": ""}))
        k8s_api.put(state, {"apiVersion": "apps/v1", "kind": "DaemonSet",
                            "metadata": {"name": "kube-proxy", "namespace": "kube-system",
                                         "labels": {"k8s-app": "kube-proxy"}},
                            "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                                     "template": {"metadata": {"labels": {"k8s-app": "kube-proxy"}},
                                                  "spec": {"containers": [{"name": "kube-proxy",
                                                                           "image": image(cfg, "kube-proxy")}]}}}})
        out("[addons] Applied essential addon: kube-proxy")


def success(cfg, token):
    host = cfg["endpoint"] or "%s:%d" % (cfg["address"], cfg["port"])
    out("""
Your Kubernetes control-plane has initialized successfully!

To start using your cluster, you need to run the following as a regular user:

  mkdir -p $HOME/.kube
  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config
  sudo chown $(id -u):$(id -g) $HOME/.kube/config

Alternatively, if you are the root user, you can run:

  export KUBECONFIG=/etc/kubernetes/admin.conf

You should now deploy a pod network to the cluster.
Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:
  https://kubernetes.io/docs/concepts/cluster-administration/addons/

Then you can join any number of worker nodes by running the following on each as root:

kubeadm join %s --token %s \\
\t--discovery-token-ca-cert-hash sha256:%s """ % (host, token, "0" * 64))


def command(name, args, flags):
    """The flags of `kubeadm NAME`, as the release this double plays them as."""
    values, positional = kubeadm.parse_flags(args, flags)
    kubeadm.apply_global(values, "kubeadm " + name)
    if positional:
        raise kubeadm.Failure('unknown command "%s" for "kubeadm %s"' % (positional[0], name))
    v, _ = kubeadm.release()
    if v != RELEASE:
        kubeadm.not_implemented('"kubeadm %s" as %s (only as %s)' % (name, v, RELEASE))
    return values


def cmd_init(args):
    values = command("init", args, INIT_FLAGS)
    if "config" not in values:
        kubeadm.not_implemented('"kubeadm init" without --config')
    mixed = sorted(k for k in values if k not in MIX_OK and not k.startswith("skip-") and k != "help")
    if mixed:
        raise kubeadm.Failure("can not mix '--config' with arguments [%s]" % " ".join(mixed))
    if "dry-run" in values:
        kubeadm.not_implemented("init --dry-run")
    cfg = validate(load_config(values["config"]))
    ignored = cfg["ignore"] | {x.strip().lower() for x in values.get("ignore-preflight-errors", "").split(",")
                               if x.strip()}
    test_log("init start")
    try:
        out("[init] Using Kubernetes version: %s" % cfg["version"])
        pause("preflight")
        out("[preflight] Running pre-flight checks")
        preflight(cfg, ignored)
        if cfg["policy"] != "Never":
            kubeadm.not_implemented("pulling images (imagePullPolicy %s)" % cfg["policy"])
        for name, run in (("certs", phase_certs), ("kubeconfig", phase_kubeconfig), ("etcd", phase_etcd),
                          ("control-plane", phase_control_plane), ("kubelet-start", phase_kubelet_start),
                          ("wait-control-plane", phase_wait_control_plane)):
            pause(name)
            run(cfg)
        state = k8s_api.load(cfg["dataDir"])
        for name, run in (("upload-config", phase_upload_config), ("mark-control-plane", phase_mark_control_plane)):
            pause(name)
            run(cfg, state)
            k8s_api.save(cfg["dataDir"], state)
        pause("bootstrap-token")
        token = phase_bootstrap_token(cfg, state, "skip-token-print" in values)
        k8s_api.save(cfg["dataDir"], state)
        pause("addon")
        phase_addons(cfg, state)
        k8s_api.save(cfg["dataDir"], state)
        success(cfg, "<value withheld>" if "skip-token-print" in values else token)
    except BaseException:
        test_log("init failed")
        raise
    test_log("init done")


def cmd_reset(args):
    values = command("reset", args, RESET_FLAGS)
    for unsupported in ("config", "kubeconfig", "cri-socket", "skip-phases"):
        if unsupported in values:
            kubeadm.not_implemented("reset --" + unsupported)
    dry = "dry-run" in values
    cert_dir = values.get("cert-dir", "/etc/kubernetes/pki")
    test_log("reset")
    data_dir = k8s_api.etcd_data_dir()
    if os.path.exists(KUBERNETES_DIR + "/admin.conf"):
        out('[reset] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...')
        out("[reset] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.")
        # The double's API is never asked here: kubeadm reset of an init cut short finds none.
        klog_warning("reset.go:141", "[reset] Unable to fetch the kubeadm-config ConfigMap from cluster: the kubeadm "
                     "test double's reset does not ask the API")
    if not dry and "force" not in values:
        klog_warning("preflight.go:55", "[reset] WARNING: Changes made to this host by 'kubeadm init' or 'kubeadm "
                     "join' will be reverted.")
        sys.stdout.write("[reset] Are you sure you want to proceed? [y/N]: ")
        sys.stdout.flush()
        answer = sys.stdin.readline().strip()
        if answer not in ("y", "Y"):
            raise kubeadm.Failure("error execution phase preflight: won't proceed; the user didn't answer (Y|y) in "
                                  "order to continue")
    out("[preflight] Running pre-flight checks")
    klog_warning("removeetcdmember.go:105", "[reset] No kubeadm config, using etcd pod spec to get data directory")
    if data_dir is None:
        out("[reset] No etcd config found. Assuming external etcd")
        out("[reset] Please, manually reset etcd to prevent further issues")
    elif dir_not_empty(data_dir):
        if dry:
            out("[reset] Would delete contents of the etcd data directory: %s" % data_dir)
        else:
            clean_dir(data_dir)
            out("[reset] Deleted contents of the etcd data directory: %s" % data_dir)
    dirs = [MANIFESTS, KUBELET_DIR, cert_dir] + ([KUBERNETES_DIR + "/tmp"] if "cleanup-tmp-dir" in values else [])
    files = [KUBERNETES_DIR + "/" + f for f in ("admin.conf", "super-admin.conf", "kubelet.conf",
                                                "bootstrap-kubelet.conf", "controller-manager.conf", "scheduler.conf")]
    if dry:
        out("[dryrun] Would stop the kubelet service")
        out('[dryrun] Would unmount mounted directories in "%s"' % KUBELET_DIR)
        out("[dryrun] Would remove Kubernetes-managed containers")
        out("[dryrun] Would delete contents of directories: [%s]" % " ".join(d for d in dirs if d != KUBELET_DIR))
        out("[dryrun] Would delete files: [%s]" % " ".join(files))
    else:
        out("[reset] Stopping the kubelet service")
        if subprocess.run(["systemctl", "stop", "kubelet.service"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            klog_warning("cleanupnode.go:74", "[reset] The kubelet service could not be stopped by kubeadm: "
                         "[exit status 1]")
            klog_warning("cleanupnode.go:75", "[reset] Please ensure kubelet is stopped manually")
        out('[reset] Unmounting mounted directories in "%s"' % KUBELET_DIR)
        klog_warning("cleanupnode.go:105", "[reset] Failed to remove containers: the kubeadm test double runs none")
        out("[reset] Deleting contents of directories: [%s]" % " ".join(dirs))
        for d in dirs:
            clean_dir(d)
        out("[reset] Deleting files: [%s]" % " ".join(files))
        for f in files:
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass
    out("\nThe reset process does not perform cleanup of CNI plugin configuration,\nnetwork filtering rules and "
        "kubeconfig files.\n\nFor information on how to perform this cleanup manually, please see:\n"
        "    https://k8s.io/docs/reference/setup-tools/kubeadm/kubeadm-reset/\n")


def clean_dir(path):
    try:
        entries = os.listdir(path)
    except FileNotFoundError:
        return
    for e in entries:
        p = os.path.join(path, e)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)
