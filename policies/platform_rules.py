"""``platform-*`` and ``security-*`` policies: the platform team's opinions, beyond what the operator checks.

Pod-bearing kinds: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, and the Flink kinds whose
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

from components.operator import validation as V
from policies.framework import Finding, KindPolicy, Resource, get, is_map, items, per_resource

FLINK_MAIN_CONTAINER = "flink-main-container"
WORKLOAD_POD_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
FLINK_KINDS = ("FlinkDeployment", "FlinkBlueGreenDeployment")
POD_KINDS = (*WORKLOAD_POD_PATHS, *FLINK_KINDS)


class PodView:
    """One pod as it will run: its spec (may be None), containers, and paths for messages."""

    def __init__(self, path: str, spec: Any, containers: list[tuple[str, Any]], image_paths: list[tuple[str, Any]]):
        self.path, self.spec, self.containers, self.images = path, spec, containers, image_paths


def _containers(spec: Any, path: str) -> list[tuple[str, Any]]:
    out = []
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for i, c in enumerate(items(get(spec, field))):
            out.append((f"{path}.{field}[{i}]", c))
    return out


def _flink_prefix(res: Resource) -> tuple[Any, str]:
    if res.kind == "FlinkBlueGreenDeployment":
        return get(res.props, "spec", "template", "spec", default={}), "spec.template.spec"
    return get(res.props, "spec", default={}), "spec"


@per_resource
def pod_views(res: Resource) -> list[PodView]:
    if res.kind in WORKLOAD_POD_PATHS:
        path = WORKLOAD_POD_PATHS[res.kind]
        spec = get(res.props, *path)
        p = ".".join(path)
        cs = _containers(spec, p)
        return [PodView(p, spec, cs, [(f"{cp}.image", get(c, "image")) for cp, c in cs])]
    spec, prefix = _flink_prefix(res)
    common = get(spec, "podTemplate", "spec")
    views = []
    for role in ("jobManager", "taskManager"):
        role_spec = get(spec, role, "podTemplate", "spec")
        cs = _containers(common, f"{prefix}.podTemplate.spec") + _containers(role_spec, f"{prefix}.{role}.podTemplate.spec")
        # The operator's main container: the templates' entries named flink-main-container merged into one.
        main = [(p, c) for p, c in cs if get(c, "name") == FLINK_MAIN_CONTAINER]
        others = [(p, c) for p, c in cs if get(c, "name") != FLINK_MAIN_CONTAINER]
        merged: dict[str, Any] = {}
        for _, c in main:
            for k in c:
                if c[k] is not None:
                    merged[k] = c[k]
        main_path = main[-1][0] if main else f"{prefix}.{role}.podTemplate.spec.containers[name={FLINK_MAIN_CONTAINER}]"
        pod = {}
        for src in (common, role_spec):
            if is_map(src):
                for k in src:
                    pod[k] = src[k]
        images = [(f"{prefix}.image", get(spec, "image"))] + [(f"{p}.image", get(c, "image")) for p, c in others]
        views.append(PodView(f"{prefix}.{role}.podTemplate.spec", pod, [(main_path, merged)] + others, images))
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
# Pod security (restricted profile essentials)


def check_pod_security(res: Resource, cfg) -> Iterator[Finding]:
    for view in pod_views(res):
        spec = view.spec
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            if get(spec, field) is True:
                yield Finding(f"{view.path}.{field}", f"{field} is true", f"remove {field}")
        for i, vol in enumerate(items(get(spec, "volumes"))):
            if get(vol, "hostPath") is not None:
                yield Finding(f"{view.path}.volumes[{i}].hostPath", f"volume {get(vol, 'name')!r} mounts a host path",
                              "use an emptyDir, a PVC or object storage")
        pod_non_root = get(spec, "securityContext", "runAsNonRoot")
        for path, c in view.containers:
            sc = get(c, "securityContext", default={})
            if get(sc, "privileged") is True:
                yield Finding(f"{path}.securityContext.privileged", "the container is privileged", "remove privileged")
            if get(sc, "allowPrivilegeEscalation") is not False:
                yield Finding(f"{path}.securityContext.allowPrivilegeEscalation",
                              f"privilege escalation is not disabled (found {get(sc, 'allowPrivilegeEscalation')!r})",
                              "set allowPrivilegeEscalation: false")
            drops = [str(d) for d in items(get(sc, "capabilities", "drop"))]
            if "ALL" not in drops:
                yield Finding(f"{path}.securityContext.capabilities.drop", f"capabilities are not all dropped (drop: {drops})",
                              "set capabilities.drop: [ALL]")
            non_root = get(sc, "runAsNonRoot")
            if non_root is None:
                non_root = pod_non_root
            if non_root is not True:
                yield Finding(f"{path}.securityContext.runAsNonRoot", "the container may run as root",
                              f"set runAsNonRoot: true on the container or at {view.path}.securityContext")


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
        for path, c in view.containers:
            if path.split(".")[-1].startswith("ephemeralContainers"):
                continue
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

SECRET_NAME = re.compile(r"(pass(word|wd)?|secret|token|credential|private[-_.]?key|access[-_.]?key|api[-_.]?key)",
                         re.IGNORECASE)
_ENV_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")


def check_plaintext_secrets(res: Resource, cfg) -> Iterator[Finding]:
    for view in pod_views(res) if res.kind in POD_KINDS else []:
        for path, c in view.containers:
            for i, env in enumerate(items(get(c, "env"))):
                name, value = get(env, "name", default=""), get(env, "value")
                if value not in (None, "") and SECRET_NAME.search(str(name)):
                    yield Finding(f"{path}.env[{i}].value", f"env {name!r} holds a literal secret-looking value",
                                  "use valueFrom.secretKeyRef")
    if res.kind in ("FlinkDeployment", "FlinkBlueGreenDeployment", "FlinkSessionJob"):
        if res.kind == "FlinkSessionJob":
            spec, prefix = get(res.props, "spec", default={}), "spec"
        else:
            spec, prefix = _flink_prefix(res)
        for key, value in V.flatten_config(get(spec, "flinkConfiguration")).items():
            if value and SECRET_NAME.search(key) and not _ENV_REF.match(value.strip()):
                yield Finding(f"{prefix}.flinkConfiguration[{key!r}]", f"{key!r} holds a literal secret-looking value",
                              "inject it from a Secret (env var via secretKeyRef and ${VAR} substitution)")


# ---------------------------------------------------------------------------------------------------------------
# Workload identity (issue 20)

#: Static cloud credentials a Flink pod can be given instead of its ServiceAccount's identity: the environment the
#: AWS, Google and Azure SDKs read, and the flinkConfiguration keys of Flink's S3 (flink-s3-fs-*, Hadoop s3a), GCS
#: and Azure filesystems.
STATIC_CREDENTIAL_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS",
                         "AZURE_CLIENT_SECRET", "AZURE_STORAGE_KEY")
STATIC_CREDENTIAL_KEYS = re.compile(r"(s3\.access[-.]key|s3\.secret[-.]key|fs\.s3a\.(access|secret)\.key|"
                                    r"fs\.azure\.account\.key(\..+)?|fs\.gs\.auth\.service\.account\.json\.keyfile|"
                                    r"google\.cloud\.auth\.service\.account\.json\.keyfile)")
_IDENTITY_FIX = ("give the job ServiceAccount a cloud identity instead (stack key operator.jobServiceAccount"
                 ".annotations, e.g. eks.amazonaws.com/role-arn or iam.gke.io/gcp-service-account) and drop the keys")


def check_workload_identity(res: Resource, cfg) -> Iterator[Finding]:
    if not cfg["preferWorkloadIdentity"]:
        return
    for view in pod_views(res):
        for path, c in view.containers:
            for i, env in enumerate(items(get(c, "env"))):
                if get(env, "name") in STATIC_CREDENTIAL_ENV:
                    yield Finding(f"{path}.env[{i}]", f"env {get(env, 'name')!r} hands the pod static cloud "
                                  "credentials", _IDENTITY_FIX)
    if res.kind in FLINK_KINDS:
        spec, prefix = _flink_prefix(res)
        for key in V.flatten_config(get(spec, "flinkConfiguration")):
            if STATIC_CREDENTIAL_KEYS.fullmatch(key):
                yield Finding(f"{prefix}.flinkConfiguration[{key!r}]", f"{key!r} is a static storage credential",
                              _IDENTITY_FIX)


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
        P("security-pod", "Pods run unprivileged: runAsNonRoot, no privilege escalation, all capabilities dropped, "
                          "no host namespaces or host paths.", _for(POD_KINDS, check_pod_security)),
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
        P("security-plaintext-secrets", "No literal secret-looking values in env or flinkConfiguration.",
          _for((*POD_KINDS, "FlinkSessionJob"), check_plaintext_secrets)),
        P("security-workload-identity", "Flink pods reach cloud storage with their ServiceAccount's identity, not "
          "static keys (when preferWorkloadIdentity).", _for(FLINK_KINDS, check_workload_identity),
          config_schema=PolicyConfigSchema(properties={"preferWorkloadIdentity": {"type": "boolean"}}),
          defaults={"preferWorkloadIdentity": False}),
        P("platform-required-labels", "Objects carry the labels this environment requires.",
          _for(LABELLED_KINDS, check_required_labels),
          config_schema=PolicyConfigSchema(properties={"labels": {
              "type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}}),
          defaults={"labels": []}),
    ]
