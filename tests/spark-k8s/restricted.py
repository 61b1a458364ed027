"""restricted - the checks of Kubernetes' "restricted" Pod Security Standard (v1.25+) on a pod spec,
as the PodSecurity admission controller applies them: a list of what a pod breaks (empty: it
passes). Used offline on k8s/*.yaml and by the test kubelet on every pod it is asked to run."""

ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                   "persistentVolumeClaim", "projected", "secret"}


def violations(spec):
    """What SPEC (a pod's spec) breaks of the restricted profile."""
    found = []
    pod_sc = spec.get("securityContext") or {}
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            found.append("%s=true" % key)
    for vol in spec.get("volumes") or []:
        kinds = set(vol) - {"name"}
        if not kinds <= ALLOWED_VOLUMES:
            found.append("volume %s of type %s" % (vol.get("name"), ",".join(sorted(kinds))))
    if pod_sc.get("runAsUser") == 0:
        found.append("pod runAsUser=0")
    containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
    for c in containers:
        name, sc = c.get("name", "?"), c.get("securityContext") or {}
        if sc.get("privileged"):
            found.append("%s: privileged" % name)
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append("%s: allowPrivilegeEscalation != false" % name)
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            found.append("%s: capabilities.drop lacks ALL" % name)
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            found.append("%s: capabilities.add %s" % (name, caps.get("add")))
        non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        if non_root is not True:
            found.append("%s: runAsNonRoot != true" % name)
        if sc.get("runAsUser") == 0:
            found.append("%s: runAsUser=0" % name)
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append("%s: seccompProfile.type %s" % (name, seccomp))
        if any(p.get("hostPort") for p in c.get("ports") or []):
            found.append("%s: hostPort" % name)
    return found
