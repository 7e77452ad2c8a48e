"""``platform-*`` and ``security-*`` policies: the platform team's opinions, beyond what the operator checks.

Pod-bearing kinds: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, and the Flink kinds whose
pods the operator renders from ``spec.podTemplate`` merged with ``spec.jobManager.podTemplate`` /
``spec.taskManager.podTemplate`` (FlinkDeployment; a FlinkBlueGreenDeployment's ``spec.template.spec``). For the
Flink kinds the operator creates the main container ``flink-main-container`` itself, from ``spec.image``; its
security context and resources can only come from the pod templates (``securityContext``) and
``jobManager/taskManager.resource``.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

from pulumi_policy import PolicyConfigSchema

from components.config import labels as L
from components.config import pod_security as PSS
from components.operator import pod_template as PT
from components.operator import upstream
from components.operator import validation as V
from components.operator.pod_template import plain
from components.providers import secret_config as S
from policies.framework import Finding, KindPolicy, Resource, get, is_list, is_map, items, per_resource

FLINK_MAIN_CONTAINER = "flink-main-container"
WORKLOAD_POD_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
FLINK_KINDS = ("FlinkDeployment", "FlinkBlueGreenDeployment")
POD_KINDS = (*WORKLOAD_POD_PATHS, *FLINK_KINDS)


class PodView:
    """One pod as it will run: its spec and metadata (plain dicts), its containers as ``(relative path, container)``
    and the images it pulls. ``where(rel)`` names the property a relative path (from the pod spec) comes from."""

    def __init__(self, path: str, spec: Any, metadata: Any, where, images: list[tuple[str, Any]]):
        self.path, self.spec, self.metadata, self.where, self.images = path, spec or {}, metadata or {}, where, images
        self.containers: list[tuple[tuple, Any]] = []
        for field in ("initContainers", "containers", "ephemeralContainers"):
            for i, c in enumerate(items(get(self.spec, field))):
                self.containers.append(((field, i), c))

    def cpath(self, rel: tuple) -> str:
        return self.where(rel)


def fmt_path(rel: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (p if p.startswith("[") else f".{p}") for p in rel)


def _at(obj: Any, rel: tuple) -> bool:
    cur = obj
    for step in rel:
        if isinstance(step, str) and step.startswith("["):
            return False
        if isinstance(step, int) and is_list(cur) and 0 <= step < len(cur):
            cur = cur[step]
        elif isinstance(step, str) and is_map(cur) and step in cur and cur[step] is not None:
            cur = cur[step]
        else:
            return False
    return True


def _flink_prefix(res: Resource) -> tuple[Any, str]:
    if res.kind == "FlinkBlueGreenDeployment":
        return get(res.props, "spec", "template", "spec", default={}), "spec.template.spec"
    return get(res.props, "spec", default={}), "spec"


def flink_conf(res: Resource) -> dict[str, str]:
    spec, _ = _flink_prefix(res)
    return V.flatten_config(get(spec, "flinkConfiguration"))


@per_resource
def pod_views(res: Resource) -> list[PodView]:
    if res.kind in WORKLOAD_POD_PATHS:
        path = WORKLOAD_POD_PATHS[res.kind]
        p = ".".join(path)
        spec = plain(get(res.props, *path))
        meta = plain(get(res.props, *path[:-1], "metadata")) if res.kind != "Pod" else plain(get(res.props, "metadata"))
        view = PodView(p, spec, meta, lambda rel, p=p: p + fmt_path(rel), [])
        view.images = [(view.cpath((*rel, "image")), get(c, "image")) for rel, c in view.containers]
        return [view]
    spec, prefix = _flink_prefix(res)
    by_name = PT.merge_arrays_by_name(flink_conf(res))
    modes = (False, True) if by_name is None else (by_name,)
    common = get(spec, "podTemplate")
    common_spec = plain(get(common, "spec"))
    views = []
    for role in ("jobManager", "taskManager"):
        role_template = get(spec, role, "podTemplate")
        role_spec = plain(get(role_template, "spec"))
        for mode in modes:
            merged = PT.merge_pod_templates(common, role_template, mode) or {}
            note = " (lists merged by name)" if mode else ""

            def where(rel, role=role, role_spec=role_spec, note=note):
                if _at(role_spec, rel):
                    return f"{prefix}.{role}.podTemplate.spec{fmt_path(rel)}{note}"
                if _at(common_spec, rel):
                    return f"{prefix}.podTemplate.spec{fmt_path(rel)} (merged into the {role} pod){note}"
                return f"{prefix}.{role}.podTemplate.spec{fmt_path(rel)}{note}"

            pod = get(merged, "spec", default={})
            view = PodView(f"{prefix}.{role}.podTemplate.spec", pod, get(merged, "metadata", default={}), where, [])
            # The operator's main container is the template's flink-main-container, or one it creates without a
            # security context.
            if not any(get(c, "name") == FLINK_MAIN_CONTAINER for _, c in view.containers):
                view.containers.append(((f"containers[name={FLINK_MAIN_CONTAINER}]",), {"name": FLINK_MAIN_CONTAINER}))
            view.images = [(f"{prefix}.image", get(spec, "image"))] + [
                (view.cpath((*rel, "image")), get(c, "image")) for rel, c in view.containers
                if get(c, "name") != FLINK_MAIN_CONTAINER]
            views.append(view)
    return views


# ---------------------------------------------------------------------------------------------------------------
# Images: pinned, from allowed registries


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def registry_of(image: str) -> str:
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def image_problem(image: str, registries: list[str]) -> str | None:
    if _DIGEST.search(image):
        pinned = True
    else:
        last = image.rsplit("/", 1)[-1]
        tag = last.split(":", 1)[1] if ":" in last else None
        if tag is None:
            return f"image {image!r} has no tag or digest (it means 'latest')"
        if tag == "latest":
            return f"image {image!r} uses the moving tag 'latest'"
        pinned = True
    registry = registry_of(image)
    if pinned and registries and "*" not in registries and registry not in registries:
        return f"image {image!r} comes from registry {registry!r}, not one of {registries}"
    return None


def check_images(res: Resource, cfg) -> Iterator[Finding]:
    registries = list(cfg["allowedRegistries"])
    seen = set()
    for view in pod_views(res):
        for path, image in view.images:
            if image is None or path in seen:
                continue
            seen.add(path)
            problem = image_problem(str(image), registries)
            if problem:
                yield Finding(path, problem, "pin a version tag or an @sha256 digest from an allowed registry")


# ---------------------------------------------------------------------------------------------------------------
# Pod security: the Pod Security Standards' restricted profile, field by field (components/config/pod_security.py)


def truthy(value: Any) -> bool:
    """True as the API server's and fabric8's JSON decoding read a boolean field: ``true``, ``"true"`` (Jackson
    coerces strings and numbers), a non-zero number."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return isinstance(value, (int, float)) and value != 0


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def _int(value: Any) -> int | None:
    try:
        return int(value) if not isinstance(value, bool) and value is not None else None
    except (TypeError, ValueError):
        return None


def _context_problems(sc: Any, rel: tuple) -> Iterator[tuple[tuple, str, str]]:
    """What a pod's or a container's securityContext sets that the profile refuses (both levels)."""
    if truthy(get(sc, "windowsOptions", "hostProcess")):
        yield (*rel, "windowsOptions", "hostProcess"), "windowsOptions.hostProcess is true", "remove hostProcess"
    se = get(sc, "seLinuxOptions", default={})
    if get(se, "type") is not None and str(get(se, "type")) not in PSS.SELINUX_TYPES:
        yield ((*rel, "seLinuxOptions", "type"), f"SELinux type {get(se, 'type')!r} is not one of "
               f"{sorted(PSS.SELINUX_TYPES)}", "remove seLinuxOptions.type or use container_t")
    for field in ("user", "role"):
        if get(se, field) is not None:
            yield (*rel, "seLinuxOptions", field), f"seLinuxOptions.{field} is set", f"remove seLinuxOptions.{field}"
    seccomp = get(sc, "seccompProfile", "type")
    if seccomp is not None and str(seccomp) not in PSS.SECCOMP_RESTRICTED_TYPES:
        yield ((*rel, "seccompProfile", "type"), f"seccomp profile {seccomp!r} is not one of "
               f"{sorted(PSS.SECCOMP_RESTRICTED_TYPES)}", "use seccompProfile.type: RuntimeDefault")
    apparmor = get(sc, "appArmorProfile", "type")
    if apparmor is not None and str(apparmor) not in PSS.APPARMOR_TYPES:
        yield ((*rel, "appArmorProfile", "type"), f"AppArmor profile {apparmor!r} is not one of "
               f"{sorted(PSS.APPARMOR_TYPES)}", "use appArmorProfile.type: RuntimeDefault or remove it")
    if _int(get(sc, "runAsUser")) == 0:
        yield (*rel, "runAsUser"), "runAsUser is 0 (root)", "run as a non-zero user id (the image's flink user 9999)"


def check_pod_security(res: Resource, cfg) -> Iterator[Finding]:
    safe_sysctls = PSS.safe_sysctls(cfg.get("kubernetesVersion") or None)
    for view in pod_views(res):
        spec, w = view.spec, view.where
        for field in PSS.HOST_NAMESPACES:
            if truthy(get(spec, field)):
                yield Finding(w((field,)), f"{field} is {get(spec, field)!r}", f"remove {field}")
        for i, vol in enumerate(items(get(spec, "volumes"))):
            for source in (k for k in (vol if is_map(vol) else {}) if k != "name"):
                if source == "hostPath":
                    yield Finding(w(("volumes", i, "hostPath")), f"volume {get(vol, 'name')!r} mounts a host path",
                                  "use an emptyDir, a PVC or object storage")
                elif source not in PSS.RESTRICTED_VOLUME_SOURCES:
                    yield Finding(w(("volumes", i, source)), f"volume {get(vol, 'name')!r} is of type {source!r}, "
                                  f"outside the restricted profile's {sorted(PSS.RESTRICTED_VOLUME_SOURCES)}",
                                  "use a PVC (csi/persistentVolumeClaim), an emptyDir or a projected volume")
        pod_sc = get(spec, "securityContext", default={})
        for j, sysctl in enumerate(items(get(pod_sc, "sysctls"))):
            if str(get(sysctl, "name")) not in safe_sysctls:
                yield Finding(w(("securityContext", "sysctls", j, "name")), f"sysctl {get(sysctl, 'name')!r} is "
                              "not one of the safe sysctls", f"use only {sorted(safe_sysctls)}")
        for rel, problem, fix in _context_problems(pod_sc, ("securityContext",)):
            yield Finding(w(rel), problem, fix)
        for key, value in (get(view.metadata, "annotations", default={}) or {}).items():
            if str(key).startswith(PSS.APPARMOR_ANNOTATION_PREFIX) and not str(value).startswith(
                    PSS.APPARMOR_ANNOTATION_VALUES):
                yield Finding(f"{view.path.rsplit('.spec', 1)[0]}.metadata.annotations[{key!r}]",
                              f"AppArmor annotation {value!r}", "use runtime/default or localhost/<profile>")
        pod_non_root = get(pod_sc, "runAsNonRoot")
        if pod_non_root is not None and not truthy(pod_non_root):
            yield Finding(w(("securityContext", "runAsNonRoot")), f"runAsNonRoot is {pod_non_root!r} for the pod",
                          "set runAsNonRoot: true (or leave it unset and set it on every container)")
        pod_seccomp = get(pod_sc, "seccompProfile", "type")
        for rel, c in view.containers:
            sc = get(c, "securityContext", default={})
            scp = (*rel, "securityContext")
            if truthy(get(sc, "privileged")):
                yield Finding(w((*scp, "privileged")), "the container is privileged", "remove privileged")
            if not is_false(get(sc, "allowPrivilegeEscalation")):
                yield Finding(w((*scp, "allowPrivilegeEscalation")),
                              f"privilege escalation is not disabled (found {get(sc, 'allowPrivilegeEscalation')!r})",
                              "set allowPrivilegeEscalation: false")
            drops = [str(d) for d in items(get(sc, "capabilities", "drop"))]
            if "ALL" not in drops:
                yield Finding(w((*scp, "capabilities", "drop")), f"capabilities are not all dropped (drop: {drops})",
                              "set capabilities.drop: [ALL]")
            added = [str(a) for a in items(get(sc, "capabilities", "add"))]
            extra = [a for a in added if a not in PSS.RESTRICTED_CAPABILITIES]
            if extra:
                yield Finding(w((*scp, "capabilities", "add")), f"capabilities {extra} are added",
                              f"add at most {sorted(PSS.RESTRICTED_CAPABILITIES)}")
            if get(sc, "procMount") is not None and str(get(sc, "procMount")) not in PSS.PROC_MOUNT_TYPES:
                yield Finding(w((*scp, "procMount")), f"procMount is {get(sc, 'procMount')!r}",
                              "remove procMount (Default)")
            yield from (Finding(w(r), p, f) for r, p, f in _context_problems(sc, scp))
            if get(sc, "seccompProfile", "type") is None and (
                    pod_seccomp is None or str(pod_seccomp) not in PSS.SECCOMP_RESTRICTED_TYPES):
                yield Finding(w((*scp, "seccompProfile", "type")), "no seccomp profile (neither the container nor "
                              "the pod sets one)", f"set seccompProfile.type: RuntimeDefault at "
                              f"{view.path}.securityContext")
            non_root = get(sc, "runAsNonRoot")
            if non_root is None:
                non_root = pod_non_root
            if not truthy(non_root):
                yield Finding(w((*scp, "runAsNonRoot")), "the container may run as root",
                              f"set runAsNonRoot: true on the container or at {view.path}.securityContext")
            for k, port in enumerate(items(get(c, "ports"))):
                if _int(get(port, "hostPort")):
                    yield Finding(w((*rel, "ports", k, "hostPort")), f"hostPort {get(port, 'hostPort')!r}",
                                  "remove hostPort; use a Service")
    if res.kind in FLINK_KINDS:
        yield from _flink_pod_config(res)


HOST_NETWORK_KEY = upstream.FLINK_HOST_NETWORK_KEY
SERVICE_ACCOUNT_KEYS = upstream.FLINK_SERVICE_ACCOUNT_KEYS
POD_TEMPLATE_FILE_KEYS = upstream.FLINK_POD_TEMPLATE_FILE_KEYS
ANNOTATION_KEYS = upstream.FLINK_POD_ANNOTATION_KEYS


def _flink_pod_config(res: Resource) -> Iterator[Finding]:
    spec, prefix = _flink_prefix(res)
    conf = flink_conf(res)
    where = f"{prefix}.flinkConfiguration"
    if V.parse_bool(conf.get(HOST_NETWORK_KEY)):
        yield Finding(f"{where}[{HOST_NETWORK_KEY!r}]", "the pods would share the node's network namespace",
                      f"remove {HOST_NETWORK_KEY}")
    account = upstream.JOB_SERVICE_ACCOUNT
    if get(spec, "serviceAccount") is not None and str(get(spec, "serviceAccount")) != account:
        yield Finding(f"{prefix}.serviceAccount", f"serviceAccount {get(spec, 'serviceAccount')!r} is not the "
                      f"namespace's job ServiceAccount {account!r}", f"use serviceAccount: {account}")
    for key in SERVICE_ACCOUNT_KEYS:
        if key in conf and conf[key].strip() != account:
            yield Finding(f"{where}[{key!r}]", f"overrides the pods' ServiceAccount with {conf[key]!r}",
                          f"remove {key}; the operator sets it from serviceAccount ({account})")
    for key in POD_TEMPLATE_FILE_KEYS:
        if key in conf:
            yield Finding(f"{where}[{key!r}]", "points the pods at a pod template file the gate cannot read",
                          "use spec.podTemplate / jobManager.podTemplate / taskManager.podTemplate")
    for key in ANNOTATION_KEYS:
        for pair in (conf.get(key) or "").split(","):
            name, _, value = pair.partition(":")
            if name.strip().startswith(PSS.APPARMOR_ANNOTATION_PREFIX) and not value.strip().startswith(
                    PSS.APPARMOR_ANNOTATION_VALUES):
                yield Finding(f"{where}[{key!r}]", f"sets the AppArmor annotation {name.strip()!r} to "
                              f"{value.strip()!r}", "remove it (runtime/default is the default)")


def check_namespace_pod_security(res: Resource, cfg) -> Iterator[Finding]:
    """A Namespace enforces at least ``minimumLevel`` of the Pod Security Standards (its enforce label)."""
    minimum = cfg["minimumLevel"]
    level = get(res.props, "metadata", "labels", L.PSA_ENFORCE)
    path = f"metadata.labels[{L.PSA_ENFORCE!r}]"
    if level is None:
        yield Finding(path, "is not set, so the cluster's default level (privileged unless configured) applies",
                      f"set it to {minimum!r} or stricter")
    elif str(level) not in PSS.LEVELS or not PSS.at_least(str(level), minimum):
        yield Finding(path, f"enforces {level!r}, below this environment's minimum {minimum!r}",
                      f"set it to one of {list(PSS.LEVELS[PSS.LEVELS.index(minimum):])}")


# ---------------------------------------------------------------------------------------------------------------
# Resources set


def check_resources(res: Resource, cfg) -> Iterator[Finding]:
    if res.kind in FLINK_KINDS:
        spec, prefix = _flink_prefix(res)
        for role in ("jobManager", "taskManager"):
            for field in ("cpu", "memory"):
                if get(spec, role, "resource", field) is None:
                    yield Finding(f"{prefix}.{role}.resource.{field}", f"{role} {field} is not set",
                                  f"set {prefix}.{role}.resource.{field}")
        return
    for view in pod_views(res):
        for rel, c in view.containers:
            if rel[0] == "ephemeralContainers":
                continue
            path = view.cpath(rel)
            for kind in ("requests", "limits"):
                for field in ("cpu", "memory"):
                    if kind == "limits" and field == "cpu":
                        continue  # CPU limits throttle; requests plus a memory limit are the platform minimum
                    if get(c, "resources", kind, field) is None:
                        yield Finding(f"{path}.resources.{kind}.{field}", f"container {get(c, 'name')!r} has no {kind}.{field}",
                                      f"set resources.{kind}.{field}")


# ---------------------------------------------------------------------------------------------------------------
# Upgrade modes


def _job(res: Resource) -> tuple[Any, str, dict[str, str]]:
    if res.kind == "FlinkSessionJob":
        return get(res.props, "spec", "job"), "spec.job", V.flatten_config(get(res.props, "spec", "flinkConfiguration"))
    spec, prefix = _flink_prefix(res)
    return get(spec, "job"), f"{prefix}.job", V.flatten_config(get(spec, "flinkConfiguration"))


def check_upgrade_mode(res: Resource, cfg) -> Iterator[Finding]:
    job, path, _ = _job(res)
    if job is None:
        return
    mode = get(job, "upgradeMode", default=V.DEFAULT_UPGRADE_MODE)
    if mode in cfg["forbiddenModes"]:
        allowed = [m for m in V.UPGRADE_MODES if m not in cfg["forbiddenModes"]]
        yield Finding(f"{path}.upgradeMode", f"upgradeMode {mode!r} is not allowed in this environment"
                      + (" (it is the default when unset)" if get(job, "upgradeMode") is None else ""),
                      f"use one of {allowed}")


def check_last_state_ha(res: Resource, cfg) -> Iterator[Finding]:
    job, path, conf = _job(res)
    if job is None or res.kind == "FlinkSessionJob":
        return
    if get(job, "upgradeMode") == "last-state" and not V.ha_enabled(conf):
        yield Finding(f"{path}.upgradeMode", "last-state upgrades restore from HA metadata, but high availability is off",
                      f"set {V.HA_TYPE.key}: kubernetes in flinkConfiguration, or use upgradeMode savepoint")


# ---------------------------------------------------------------------------------------------------------------
# Network policies


def check_egress_destinations(res: Resource, cfg) -> Iterator[Finding]:
    for i, rule in enumerate(items(get(res.props, "spec", "egress"))):
        if not items(get(rule, "to")) and not items(get(rule, "ports")):
            yield Finding(f"spec.egress[{i}]", "an egress rule with no destinations and no ports allows all egress",
                          "list the destinations (to: namespaceSelector/podSelector/ipBlock) and ports")


# ---------------------------------------------------------------------------------------------------------------
# RBAC


def check_cluster_scope(res: Resource, cfg) -> Iterator[Finding]:
    if not cfg["allowClusterScope"]:
        yield Finding("kind", f"a {res.kind} grants cluster-wide rights, which this environment does not allow",
                      "watch explicit namespaces (namespaced Roles) or set allowClusterScope for this stack")


def check_rbac_wildcards(res: Resource, cfg) -> Iterator[Finding]:
    for i, rule in enumerate(items(get(res.props, "rules"))):
        for field in ("verbs", "resources", "apiGroups"):
            if "*" in [str(v) for v in items(get(rule, field))]:
                yield Finding(f"rules[{i}].{field}", f"wildcard '*' in {field}; the operator's upstream rules name "
                              "every verb and resource", f"list the {field} explicitly")


# ---------------------------------------------------------------------------------------------------------------
# Plaintext secrets

def _text_findings(path: str, text: Any, what: str) -> Iterator[Finding]:
    for key in S.secrets_in_text(text):
        yield Finding(path, f"{what} holds a literal credential ({key})",
                      "inject it from a Secret (an env var via secretKeyRef and ${VAR} substitution)")


def check_plaintext_secrets(res: Resource, cfg) -> Iterator[Finding]:
    """Literal credentials, found with the shared word list and value shapes (components/providers/secret_config.py):
    env values (FLINK_PROPERTIES lines included), container command/args, flinkConfiguration (keys, and values such
    as JVM options and JAAS strings), job args, ConfigMap data. Values are never echoed."""
    if res.kind == "ConfigMap":
        for file, text in (get(res.props, "data", default={}) or {}).items():
            yield from _text_findings(f"data[{file!r}]", text, "a line")
        return
    for view in pod_views(res) if res.kind in POD_KINDS else []:
        for rel, c in view.containers:
            for i, env in enumerate(items(get(c, "env"))):
                name, value = get(env, "name", default=""), get(env, "value")
                path = view.cpath((*rel, "env", i, "value"))
                if not S.is_reference(value) and S.is_secret_env_name(str(name)):
                    yield Finding(path, f"env {name!r} holds a literal secret-looking value",
                                  "use valueFrom.secretKeyRef")
                elif isinstance(value, str):
                    yield from _text_findings(path, value, f"env {name!r}")
            for field in ("command", "args"):
                for j, arg in enumerate(items(get(c, field))):
                    yield from _text_findings(view.cpath((*rel, field, j)), arg, f"{field}[{j}]")
    if res.kind in ("FlinkDeployment", "FlinkBlueGreenDeployment", "FlinkSessionJob"):
        if res.kind == "FlinkSessionJob":
            spec, prefix = get(res.props, "spec", default={}), "spec"
        else:
            spec, prefix = _flink_prefix(res)
        for key, value in V.flatten_config(get(spec, "flinkConfiguration")).items():
            path = f"{prefix}.flinkConfiguration[{key!r}]"
            if S.is_secret_key(key) and not S.is_reference(value):
                yield Finding(path, f"{key!r} holds a literal secret-looking value",
                              "inject it from a Secret (env var via secretKeyRef and ${VAR} substitution)")
            else:
                yield from _text_findings(path, value, f"{key!r}")
        for j, arg in enumerate(items(get(spec, "job", "args"))):
            yield from _text_findings(f"{prefix}.job.args[{j}]", arg, f"job.args[{j}]")


# ---------------------------------------------------------------------------------------------------------------
# Labels


def check_required_labels(res: Resource, cfg) -> Iterator[Finding]:
    labels = get(res.props, "metadata", "labels", default={})
    missing = [k for k in cfg["labels"] if not is_map(labels) or k not in labels]
    if missing:
        yield Finding("metadata.labels", f"missing required label(s) {missing}", "add the labels")


def _for(kinds, *fns):
    return {k: fns for k in kinds}


LABELLED_KINDS = (*POD_KINDS, "FlinkSessionJob", "FlinkStateSnapshot", "Namespace", "ServiceAccount", "Role",
                  "RoleBinding", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Service", "NetworkPolicy",
                  "CustomResourceDefinition")


def policies() -> list[KindPolicy]:
    P = KindPolicy
    return [
        P("platform-image-pinned", "Images are pinned (tag other than latest, or digest) and from allowed registries.",
          _for(POD_KINDS, check_images),
          config_schema=PolicyConfigSchema(properties={"allowedRegistries": {
              "type": "array", "items": {"type": "string", "minLength": 1},
              "description": "registry hosts images may come from ('docker.io' for short names); '*' allows any"}}),
          defaults={"allowedRegistries": ["*"]}),
        P("security-pod", "Pods meet the Pod Security Standards' restricted profile field by field (for Flink kinds: "
                          "the pods the operator renders, templates merged as it merges them), on the namespace's "
                          "job ServiceAccount, off the host network.", _for(POD_KINDS, check_pod_security),
          config_schema=PolicyConfigSchema(properties={"kubernetesVersion": {
              "type": "string", "pattern": r"^v?1\.[0-9]+$",
              "description": "the cluster's Kubernetes minor (the safe sysctls depend on it); empty: the newest"}}),
          defaults={"kubernetesVersion": ""}),
        P("security-namespace-pod-security", "Namespaces enforce at least this environment's Pod Security level.",
          {"Namespace": (check_namespace_pod_security,)},
          config_schema=PolicyConfigSchema(properties={"minimumLevel": {"enum": ["baseline", "restricted"]}}),
          defaults={"minimumLevel": "baseline"}),
        P("platform-resources", "Containers and Flink JobManagers/TaskManagers declare CPU and memory.",
          _for(POD_KINDS, check_resources)),
        P("platform-upgrade-mode", "Jobs use an upgrade mode allowed in this environment.",
          _for((*FLINK_KINDS, "FlinkSessionJob"), check_upgrade_mode),
          config_schema=PolicyConfigSchema(properties={"forbiddenModes": {
              "type": "array", "items": {"enum": list(V.UPGRADE_MODES)}, "uniqueItems": True}}),
          defaults={"forbiddenModes": []}),
        P("platform-last-state-ha", "last-state upgrades have high availability.",
          _for(FLINK_KINDS, check_last_state_ha)),
        P("platform-egress-destinations", "Egress rules name their destinations.",
          {"NetworkPolicy": (check_egress_destinations,)}),
        P("security-cluster-scope", "No ClusterRole or ClusterRoleBinding unless the environment allows it.",
          _for(("ClusterRole", "ClusterRoleBinding"), check_cluster_scope),
          config_schema=PolicyConfigSchema(properties={"allowClusterScope": {"type": "boolean"}}),
          defaults={"allowClusterScope": False}),
        P("security-rbac-wildcards", "RBAC rules use no wildcards.", _for(("Role", "ClusterRole"), check_rbac_wildcards)),
        P("security-plaintext-secrets", "No literal credentials in env, args, flinkConfiguration, job args or "
                                        "ConfigMaps (the shared word list and value shapes).",
          _for((*POD_KINDS, "FlinkSessionJob", "ConfigMap"), check_plaintext_secrets)),
        P("platform-required-labels", "Objects carry the labels this environment requires.",
          _for(LABELLED_KINDS, check_required_labels),
          config_schema=PolicyConfigSchema(properties={"labels": {
              "type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}}),
          defaults={"labels": []}),
    ]
