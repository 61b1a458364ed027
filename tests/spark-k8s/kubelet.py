"""kubelet - a test kubelet: the pods of one namespace of an API server, run as `docker run`.

It polls the API server (twice a second) and for every new pod runs its first container with the
pod's image, command, args, env (values, fieldRefs, ConfigMap and Secret keys), memory/CPU limits,
security context and volumes (configMap, secret, emptyDir as tmpfs, hostPath) on a Docker network,
with the pod's IP fixed in advance (status.podIP fieldRefs need it before the start) and the pod's
hostname; Services that select the pod give it their DNS names (network aliases). It reports
phase, pod IP and container state back (PUT .../status). A deleted pod (the API server marks it
with a deletionTimestamp and keeps it) is stopped as a kubelet does: its preStop exec hook, then
SIGTERM, then SIGKILL, all within the pod's grace period (at least 2 s for SIGTERM), and then
deleted for good (gracePeriodSeconds=0). Given the API server's in-cluster address, it mounts the
service-account token and CA into each pod that does not opt out, as a kubelet does. With capacity_cpus set, a pod whose CPU request does not
fit beside the running pods' stays Pending (Unschedulable) until one ends, as on a full node. Every pod is checked against the restricted Pod Security
profile (restricted.py): what it breaks is recorded in `violations` (the tests decide).
Standard library + the docker CLI only. Limits, on purpose: one container per pod, no restarts
(Spark's pods are restartPolicy Never), a Service must exist when its driver pod starts (the
kubelet waits up to 15 s for one selecting a pod labelled spark-role=driver)."""
import base64
import datetime
import ipaddress
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request

from restricted import violations as restricted_violations

LABEL = "mmlspark-k8s-test"
MAX_GRACE = 120  # seconds: a test's bound on a pod's terminationGracePeriodSeconds


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def quantity_bytes(q):
    """A Kubernetes memory quantity ("1408Mi", "1G", "512000") in bytes."""
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
             "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
    for u in sorted(units, key=len, reverse=True):
        if q.endswith(u):
            return int(float(q[:-len(u)]) * units[u])
    return int(float(q))


def quantity_cpus(q):
    return float(q[:-1]) / 1000 if q.endswith("m") else float(q)


class Api:
    def __init__(self, url, namespace):
        self.url = url.rstrip("/")
        self.ns = namespace

    def call(self, method, path, body=None, timeout=10):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def items(self, kind):
        got = self.call("GET", "/api/v1/namespaces/%s/%s" % (self.ns, kind))
        return (got or {}).get("items") or []

    def get(self, kind, name):
        return self.call("GET", "/api/v1/namespaces/%s/%s/%s" % (self.ns, kind, name))


def docker(*args, timeout=60):
    p = subprocess.run(["docker"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace").strip(), p.stderr.decode(errors="replace").strip()


class Kubelet(threading.Thread):
    def __init__(self, api_url, network, run_id, state_dir, namespace="default", log=print,
                 in_cluster=None):
        super().__init__(daemon=True)
        # {"port", "ca", "token"}: the API server's HTTPS port on the gateway, its CA certificate
        # and the service account's token, mounted into pods as a kubelet does
        self.in_cluster = in_cluster
        self.api = Api(api_url, namespace)
        self.network = network
        self.run_id = run_id
        self.state_dir = state_dir
        self.log = log
        net = json.loads(docker("network", "inspect", network)[1])[0]
        cfg = net["IPAM"]["Config"][0]
        self.subnet = ipaddress.ip_network(cfg["Subnet"])
        self.gateway = cfg.get("Gateway") or str(next(self.subnet.hosts()))
        self.next_ip = 100
        self.pods = {}  # name -> {"container", "ip", "uid", "reported"}
        self.stopping = threading.Event()
        self.errors = []
        self.started_pods = []  # names, in start order (the tests read it)
        self.run_args = {}  # name -> the `docker run` arguments
        self.violations = {}  # name -> what the pod breaks of the restricted profile
        # the node's allocatable CPUs (None: no limit): a pod whose CPU request does not fit
        # beside the running pods' stays Pending (PodScheduled False, Unschedulable) until it does
        self.capacity_cpus = None
        self.unschedulable = set()  # names of pods left Pending for want of CPU, ever
        self.times = {}  # name -> {"seen": epoch first listed, "running": epoch its container ran}

    # -- pods -------------------------------------------------------------------------------
    def allocate_ip(self):
        self.next_ip += 1
        return str(self.subnet.network_address + self.next_ip)

    def field(self, pod, ip, path):
        meta = pod["metadata"]
        return {"status.podIP": ip, "status.hostIP": self.gateway, "metadata.name": meta["name"],
                "metadata.namespace": meta.get("namespace", self.api.ns),
                "metadata.uid": meta.get("uid", ""), "spec.nodeName": "test-kubelet",
                "spec.serviceAccountName": pod["spec"].get("serviceAccountName", "default"),
                }.get(path, "")

    def env_of(self, pod, container, ip):
        env = {}
        for e in container.get("env") or []:
            if "value" in e:
                env[e["name"]] = e["value"] or ""
                continue
            src = e.get("valueFrom") or {}
            if "fieldRef" in src:
                env[e["name"]] = self.field(pod, ip, src["fieldRef"]["fieldPath"])
            elif "configMapKeyRef" in src or "secretKeyRef" in src:
                ref = src.get("configMapKeyRef") or src["secretKeyRef"]
                kind = "configmaps" if "configMapKeyRef" in src else "secrets"
                obj = self.api.get(kind, ref["name"]) or {}
                value = (obj.get("data") or {}).get(ref["key"], "")
                env[e["name"]] = base64.b64decode(value).decode() if kind == "secrets" else value
        return env

    def volume_files(self, pod, vol):
        """A directory holding a configMap or secret volume's files, or None (not there yet)."""
        kind, ref = ("configmaps", vol["configMap"]) if "configMap" in vol else ("secrets", vol["secret"])
        obj = self.api.get(kind, ref.get("name") or ref.get("secretName"))
        if obj is None:
            return None
        data = dict(obj.get("data") or {})
        if kind == "secrets":
            data = {k: base64.b64decode(v).decode() for k, v in data.items()}
        items = ref.get("items") or [{"key": k, "path": k} for k in data]
        d = os.path.join(self.state_dir, "volumes", pod["metadata"]["name"], vol["name"])
        os.makedirs(d, exist_ok=True)
        for it in items:
            path = os.path.join(d, it["path"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(data.get(it["key"], ""))
            os.chmod(path, 0o644)
        os.chmod(d, 0o755)
        return d

    def aliases(self, pod):
        labels = pod["metadata"].get("labels") or {}
        names = []
        for svc in self.api.items("services"):
            sel = (svc.get("spec") or {}).get("selector") or {}
            if sel and all(labels.get(k) == v for k, v in sel.items()):
                n, ns = svc["metadata"]["name"], svc["metadata"].get("namespace", self.api.ns)
                names += [n, "%s.%s" % (n, ns), "%s.%s.svc" % (n, ns), "%s.%s.svc.cluster.local" % (n, ns)]
        return names

    def docker_args(self, pod, ip):
        spec, meta = pod["spec"], pod["metadata"]
        c = spec["containers"][0]
        name = ("k8s-%s-%s" % (self.run_id, meta["name"]))[:120]
        args = ["run", "-d", "--name", name, "--network", self.network, "--ip", ip,
                "--hostname", (spec.get("hostname") or meta["name"])[:63],
                "--label", "%s=%s" % (LABEL, self.run_id), "--label", "pod=" + meta["name"]]
        for k, v in (meta.get("labels") or {}).items():
            args += ["--label", "k8s.%s=%s" % (k, v)]
        limits = (c.get("resources") or {}).get("limits") or {}
        if "memory" in limits:
            args += ["--memory", str(quantity_bytes(limits["memory"]))]
        if "cpu" in limits:
            args += ["--cpus", "%g" % quantity_cpus(limits["cpu"])]
        sc = dict(spec.get("securityContext") or {})
        sc.update(c.get("securityContext") or {})
        if "runAsUser" in sc:
            args += ["--user", "%s:%s" % (sc["runAsUser"], sc.get("runAsGroup", 0))]
        if sc.get("readOnlyRootFilesystem"):
            args += ["--read-only"]
        if "ALL" in ((sc.get("capabilities") or {}).get("drop") or []):
            args += ["--cap-drop", "ALL"]
        if sc.get("allowPrivilegeEscalation") is False:
            args += ["--security-opt", "no-new-privileges"]
        for k, v in self.env_of(pod, c, ip).items():
            args += ["-e", "%s=%s" % (k, v)]
        args += self.service_account(pod)
        vols = {v["name"]: v for v in spec.get("volumes") or []}
        for m in c.get("volumeMounts") or []:
            v = vols.get(m["name"]) or {}
            path = m["mountPath"] + ("/" + m["subPath"] if m.get("subPath") else "")
            if "configMap" in v or "secret" in v:
                d = self.volume_files(pod, v)
                if d is None:
                    return None
                args += ["-v", "%s:%s:ro" % (d, m["mountPath"])]
            elif "emptyDir" in v:
                args += ["--tmpfs", "%s:rw,exec,mode=1777" % m["mountPath"]]
            elif "hostPath" in v:
                args += ["-v", "%s:%s%s" % (v["hostPath"]["path"], path, ":ro" if m.get("readOnly") else "")]
        if (meta.get("labels") or {}).get("spark-role") == "driver":
            deadline = time.monotonic() + 15
            while not self.aliases(pod) and time.monotonic() < deadline:
                time.sleep(0.2)
        for a in self.aliases(pod):
            args += ["--network-alias", a]
        if c.get("command"):
            args += ["--entrypoint", c["command"][0]]
        args += [c["image"]] + list(c.get("command") or [])[1:] + list(c.get("args") or [])
        return name, args

    @staticmethod
    def cpu_request(pod):
        res = pod["spec"]["containers"][0].get("resources") or {}
        cpu = (res.get("requests") or {}).get("cpu") or (res.get("limits") or {}).get("cpu")
        return quantity_cpus(cpu) if cpu else 0.0

    def fits(self, pod):
        """Whether the pod's CPU request fits beside the pods that run (or are starting)."""
        if self.capacity_cpus is None:
            return True
        used = sum(i.get("cpu", 0.0) for i in self.pods.values()
                   if i.get("container") and not i.get("exited"))
        return used + self.cpu_request(pod) <= self.capacity_cpus + 1e-9

    def report_unschedulable(self, name, pod):
        info = self.pods[name]
        if info.get("reported") == "unschedulable":
            return
        pod["status"] = {"phase": "Pending", "conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/1 nodes are available: 1 Insufficient cpu."}]}
        self.api.call("PUT", "/api/v1/namespaces/%s/pods/%s/status" % (self.api.ns, name), pod)
        info["reported"] = "unschedulable"
        self.unschedulable.add(name)
        self.log("kubelet: pod %s Pending: Unschedulable (Insufficient cpu)" % name)

    def service_account(self, pod):
        """The in-cluster API access a kubelet gives a pod (unless automountServiceAccountToken
        is false): the token, CA and namespace under /var/run/secrets/kubernetes.io/serviceaccount,
        KUBERNETES_SERVICE_HOST/PORT, and the name kubernetes.default.svc."""
        if not self.in_cluster or pod["spec"].get("automountServiceAccountToken") is False:
            return []
        d = os.path.join(self.state_dir, "serviceaccount", pod["metadata"]["name"])
        os.makedirs(d, exist_ok=True)
        with open(self.in_cluster["ca"]) as f:
            ca = f.read()
        for name, text in (("token", self.in_cluster["token"]), ("ca.crt", ca),
                           ("namespace", self.api.ns)):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(d, name), 0o644)
        os.chmod(d, 0o755)
        return ["-v", "%s:/var/run/secrets/kubernetes.io/serviceaccount:ro" % d,
                "-e", "KUBERNETES_SERVICE_HOST=%s" % self.gateway,
                "-e", "KUBERNETES_SERVICE_PORT=%d" % self.in_cluster["port"],
                "--add-host", "kubernetes.default.svc:%s" % self.gateway]

    def start_pod(self, pod):
        name = pod["metadata"]["name"]
        ip = self.pods[name]["ip"]
        built = self.docker_args(pod, ip)
        if built is None:  # a volume's ConfigMap is not there yet: try again on the next round
            return
        cname, args = built
        self.pods[name]["cpu"] = self.cpu_request(pod)
        self.run_args[name] = args
        self.violations[name] = restricted_violations(pod["spec"])
        rc, out, err = docker(*args)
        self.times.setdefault(name, {})["running"] = time.time()
        self.pods[name]["container"] = cname
        self.started_pods.append(name)
        if rc != 0:
            self.errors.append("%s: docker run: %s" % (name, err))
            self.log("kubelet: %s: docker run failed: %s" % (name, err))
        self.log("kubelet: pod %s started as container %s (%s)" % (name, cname, ip))

    def state(self, cname):
        rc, out, _ = docker("inspect", "--format", "{{json .State}}", cname)
        return json.loads(out) if rc == 0 and out else None

    def report(self, name, st):
        """PUT the pod's status from its container's state (only when it changed)."""
        info = self.pods[name]
        if st is None:
            phase, cstate = "Pending", {"waiting": {"reason": "ContainerCreating"}}
        elif st["Running"]:
            phase, cstate = "Running", {"running": {"startedAt": st["StartedAt"][:19] + "Z"}}
        else:
            code = st["ExitCode"]
            phase = "Succeeded" if code == 0 else "Failed"
            reason = "OOMKilled" if st.get("OOMKilled") else ("Completed" if code == 0 else "Error")
            cstate = {"terminated": {"exitCode": code, "reason": reason,
                                     "startedAt": st["StartedAt"][:19] + "Z",
                                     "finishedAt": st["FinishedAt"][:19] + "Z"}}
        key = (phase, json.dumps(cstate, sort_keys=True))
        if info.get("reported") == key:
            return
        pod = self.api.get("pods", name)
        if pod is None:
            return
        cname = pod["spec"]["containers"][0]["name"]
        pod["status"] = {
            "phase": phase, "podIP": info["ip"], "podIPs": [{"ip": info["ip"]}],
            "hostIP": self.gateway, "startTime": info["created"],
            "conditions": [{"type": "Ready", "status": "True" if phase == "Running" else "False"}],
            "containerStatuses": [{"name": cname, "image": pod["spec"]["containers"][0]["image"],
                                   "imageID": "", "ready": phase == "Running", "restartCount": 0,
                                   "started": phase == "Running", "state": cstate}],
        }
        self.api.call("PUT", "/api/v1/namespaces/%s/pods/%s/status" % (self.api.ns, name), pod)
        info["reported"] = key
        self.log("kubelet: pod %s %s%s" % (name, phase, (" (exit %d)" % st["ExitCode"])
                                           if st and not st["Running"] else ""))

    def remove(self, name, info, pod):
        """A deleted pod: its preStop hook, SIGTERM, SIGKILL within the grace period, logs kept;
        then the pod object goes (its name and IP may be used again)."""
        cname = info.get("container")
        spec, meta = (pod or {}).get("spec") or {}, (pod or {}).get("metadata") or {}
        grace = meta.get("deletionGracePeriodSeconds", spec.get("terminationGracePeriodSeconds", 30))
        deadline = time.monotonic() + min(int(grace), MAX_GRACE)
        if cname:
            c = (spec.get("containers") or [{}])[0]
            hook = (((c.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}).get("command")
            if hook:
                try:
                    rc, out, err = docker("exec", cname, *hook,
                                          timeout=max(deadline - time.monotonic(), 1))
                    self.log("kubelet: pod %s preStop %s: exit %d %s" % (name, hook, rc, (out + err)[-300:]))
                except subprocess.TimeoutExpired:
                    self.log("kubelet: pod %s preStop %s: still running at the grace period's end"
                             % (name, hook))
                # the hook ends with the container when the JVM exits (docker exec then returns
                # 137): the container may still show Running for a moment; look again briefly
                settle = time.monotonic() + min(5, max(deadline - time.monotonic(), 0))
                st = self.state(cname)
                while st and st["Running"] and time.monotonic() < settle:
                    time.sleep(0.2)
                    st = self.state(cname)
                if st and not st["Running"]:
                    self.log("kubelet: pod %s exited %d after its preStop hook" % (name, st["ExitCode"]))
            left = max(int(deadline - time.monotonic()), 2)
            docker("stop", "-t", str(left), cname, timeout=left + 30)
            self.save_logs(name, cname)
            docker("rm", "-f", cname)
            self.log("kubelet: pod %s deleted: container removed" % name)
        if meta.get("deletionTimestamp"):
            self.api.call("DELETE", "/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0"
                          % (self.api.ns, name))

    def save_logs(self, name, cname):
        rc, out, err = docker("logs", cname, timeout=30)
        with open(os.path.join(self.state_dir, "pod-%s.log" % name), "w") as f:
            f.write(out + "\n" + err)

    # -- the loop ---------------------------------------------------------------------------
    def step(self):
        listed = {p["metadata"]["name"]: p for p in self.api.items("pods")}
        for name, pod in listed.items():
            info = self.pods.get(name)
            if info is not None and info.get("terminating"):
                continue
            if pod["metadata"].get("deletionTimestamp"):  # deleted: stop it gracefully
                info = self.pods.get(name) or {}
                info["terminating"] = True
                self.pods[name] = info
                threading.Thread(target=self.finish, args=(name, info, pod), daemon=True).start()
                continue
            if info is None or info.get("uid") != pod["metadata"].get("uid"):
                self.pods[name] = {"ip": self.allocate_ip(), "uid": pod["metadata"].get("uid"),
                                   "created": now(), "spec": pod["spec"]}
                self.times[name] = {"seen": time.time()}
                self.report(name, None)
            info = self.pods[name]
            if not info.get("container"):
                if not self.fits(pod):
                    self.report_unschedulable(name, pod)
                    continue
                self.start_pod(pod)
            if info.get("container"):
                st = self.state(info["container"])
                info["exited"] = st is not None and not st["Running"]
                self.report(name, st)
        for name in [n for n in self.pods if n not in listed and not self.pods[n].get("terminating")]:
            info = self.pods.pop(name)
            threading.Thread(target=self.remove, args=(name, info, {"spec": info.get("spec")}),
                             daemon=True).start()

    def finish(self, name, info, pod):
        try:
            self.remove(name, info, pod)
        finally:
            self.pods.pop(name, None)

    def run(self):
        while not self.stopping.is_set():
            try:
                self.step()
            except Exception as e:  # an API hiccup: log it, try again
                self.errors.append(repr(e))
                self.log("kubelet: %r" % (e,))
            self.stopping.wait(0.5)

    def stop(self):
        """Stops the loop and every container it started (their logs kept in state_dir)."""
        self.stopping.set()
        if self.is_alive():
            self.join(timeout=10)
        for name, info in list(self.pods.items()):
            if info.get("container"):
                self.save_logs(name, info["container"])
                docker("rm", "-f", info["container"])
