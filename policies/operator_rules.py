"""``operator-*`` policies: the Flink Kubernetes Operator's own admission rules (``DefaultValidator``, 1.15.0).

What the operator's validator accepts passes these policies; what it rejects fails them, before merge instead of
at admission (many clusters run without the webhook, where the operator only records the error in
``status.error`` and keeps the last valid spec). Facts (keys, patterns, bounds, parsers) come from
:mod:`components.operator.validation`; here is only the logic, with the upstream method named in each check.

Coverage per kind:

- FlinkDeployment: every ``validateDeployment`` rule that depends on the resource itself.
- FlinkBlueGreenDeployment: the operator creates ``<name>-blue`` / ``<name>-green`` FlinkDeployments from
  ``spec.template`` and its FlinkDeployment controller validates them; the pack applies the FlinkDeployment rules to
  that child (name ``<name>-green``, the longer one) so the error shows in review instead of on a child at runtime.
- FlinkSessionJob: ``validateSessionJobOnly`` (deploymentName, job present, jarURI). The rules that need the
  session cluster (``validateSessionJobWithCluster``) run in the stack policy ``operator-session-job-cluster``
  when the target FlinkDeployment is in the stack, as upstream runs them only when the cluster is found.
- FlinkStateSnapshot: exactly one of savepoint/checkpoint; job reference unless the savepoint already exists.

Not checkable before merge (they compare with ``status``, which only the cluster has): flinkVersion change after a
last-state suspend, session↔application and native↔standalone switches, ``savepointRedeployNonce`` without
``initialSavepointPath``, session-job ``deploymentName`` change, snapshot target existence.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterator, Mapping

from pulumi_policy import PolicyConfigSchema

from components.operator import validation as V
from policies.framework import Finding, KindPolicy, Resource, get, is_map, per_resource

FD, FSJ, FSS, FBG = "FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot", "FlinkBlueGreenDeployment"
BLUE_GREEN_CHILD_SUFFIXES = ("-blue", "-green")


# ---------------------------------------------------------------------------------------------------------------
# The FlinkDeployment spec a check works on: a FlinkDeployment's own, or a BlueGreen template's.


class DeploymentView:
    """A FlinkDeployment spec with its name and the path prefix of its properties (``spec`` or
    ``spec.template.spec``)."""

    __slots__ = ("name", "namespace", "spec", "prefix", "ingress_prefixes", "_conf")

    def __init__(self, name: str, namespace: str, spec: Any, prefix: str,
                 ingress_prefixes: tuple[tuple[str, str], ...] | None = None):
        self.name, self.namespace, self.spec, self.prefix = name, namespace, spec, prefix
        #: ``(template prefix, FlinkDeployment name)`` of each FlinkDeployment made of this spec.
        self.ingress_prefixes = ingress_prefixes or (("", name),)
        self._conf: dict[str, str] | None = None

    @property
    def conf(self) -> dict[str, str]:
        """Effective Flink config as the validator sees it: ``spec.flinkConfiguration`` flattened."""
        if self._conf is None:
            self._conf = V.flatten_config(get(self.spec, "flinkConfiguration"))
        return self._conf

    def path(self, *parts: str) -> str:
        return ".".join((self.prefix, *parts))


@per_resource
def deployment_views(res: Resource) -> list[DeploymentView]:
    namespace = str(get(res.props, "metadata", "namespace", default=""))
    if res.kind == FD:
        return [DeploymentView(res.name, namespace, get(res.props, "spec", default={}), "spec")]
    if res.kind == FBG:
        spec = get(res.props, "spec", "template", "spec", default={})
        # BlueGreenUtils.prepareFlinkDeployment: children <name>-blue / <name>-green, ingress template prefixed
        # with blue- / green-.
        children = tuple((suffix[1:] + "-", res.name + suffix) for suffix in BLUE_GREEN_CHILD_SUFFIXES)
        return [DeploymentView(res.name + BLUE_GREEN_CHILD_SUFFIXES[-1], namespace, spec, "spec.template.spec",
                               children)]
    return []


def per_deployment(fn):
    """Adapt ``fn(view, cfg)`` to a check over every FlinkDeployment spec of a resource."""

    def check(res: Resource, cfg: Mapping[str, Any]) -> Iterator[Finding]:
        for view in deployment_views(res):
            yield from fn(view, cfg)

    check.__name__ = fn.__name__
    return check


def _conf_path(view: DeploymentView, key: str) -> str:
    return f"{view.path('flinkConfiguration')}[{key!r}]"


# ---------------------------------------------------------------------------------------------------------------
# validateDeploymentName


def name_problem(name: str) -> str | None:
    if V.NAME_PATTERN.fullmatch(name):
        return None
    return (
        f"{name!r} is not a valid Flink resource name: lower-case letters, digits or '-', starting with a letter, "
        f"ending with a letter or digit, at most {V.NAME_MAX_LENGTH} characters (DefaultValidator)"
    )


def check_deployment_name(res: Resource, cfg) -> Iterator[Finding]:
    name = get(res.props, "metadata", "name")
    if name is None:
        return  # not set: Pulumi auto-names it at apply time (<resource name>-<random suffix>)
    name = str(name)
    if res.kind == FD:
        problem = name_problem(name)
        if problem:
            yield Finding("metadata.name", problem, "rename the FlinkDeployment")
    elif res.kind == FBG:
        for suffix in BLUE_GREEN_CHILD_SUFFIXES:
            problem = name_problem(name + suffix)
            if problem:
                yield Finding(
                    "metadata.name",
                    f"the child FlinkDeployment {name + suffix!r} the operator creates is invalid: {problem}",
                    f"shorten the name to at most {V.NAME_MAX_LENGTH - len(suffix)} characters",
                )
                break


def check_session_job_deployment_name(res: Resource, cfg) -> Iterator[Finding]:
    target = get(res.props, "spec", "deploymentName")
    problem = name_problem(target if isinstance(target, str) else "")
    if problem:
        yield Finding("spec.deploymentName", problem, "name the session FlinkDeployment the job runs on")


# ---------------------------------------------------------------------------------------------------------------
# validateFlinkVersion


@per_deployment
def check_flink_version(view: DeploymentView, cfg) -> Iterator[Finding]:
    version = get(view.spec, "flinkVersion")
    if version is None:
        yield Finding(view.path("flinkVersion"), "Flink version must be defined", "set flinkVersion, e.g. v2_2")
    elif version not in V.SUPPORTED_FLINK_VERSIONS:
        known = "known but no longer supported" if version in V.FLINK_VERSIONS else "unknown"
        yield Finding(
            view.path("flinkVersion"),
            f"Flink version {version!r} is {known} to operator {V.OPERATOR_VERSION}",
            f"use one of {', '.join(V.SUPPORTED_FLINK_VERSIONS)}",
        )


# ---------------------------------------------------------------------------------------------------------------
# validateFlinkDeploymentConfig


@per_deployment
def check_forbidden_keys(view: DeploymentView, cfg) -> Iterator[Finding]:
    for key in V.FORBIDDEN_CONFIG_KEYS:
        if key in view.conf:
            yield Finding(
                _conf_path(view, key),
                f"forbidden Flink config key {key!r} (found {view.conf[key]!r}); the operator sets it itself",
                "remove the key",
            )


def _not_boolean(view_conf_path: str, found: tuple[str, str]) -> Finding:
    key, value = found
    return Finding(f"{view_conf_path}[{key!r}]", f"{value!r} is not a boolean (Flink reads only true/false)",
                   "use true or false")


@per_deployment
def check_rollback_needs_ha(view: DeploymentView, cfg) -> Iterator[Finding]:
    bad = V.boolean_problem(V.ROLLBACK_ENABLED, view.conf)
    if bad:
        yield _not_boolean(view.path("flinkConfiguration"), bad)
        return
    if V.parse_bool(V.ROLLBACK_ENABLED.value(view.conf)) and not V.ha_enabled(view.conf):
        yield Finding(
            _conf_path(view, V.ROLLBACK_ENABLED.key),
            "HA must be enabled for rollback support (high availability is off)",
            f"set {V.HA_TYPE.key}: kubernetes, or turn rollback off",
        )


@per_deployment
def check_health_check_needs_recovery(view: DeploymentView, cfg) -> Iterator[Finding]:
    bad = V.boolean_problem(V.HEALTH_CHECK_ENABLED, view.conf)
    if not bad and V.parse_bool(V.HEALTH_CHECK_ENABLED.value(view.conf)):
        bad = V.boolean_problem(V.JM_DEPLOYMENT_RECOVERY_ENABLED, view.conf)
    if bad:
        yield _not_boolean(view.path("flinkConfiguration"), bad)
        return
    if V.parse_bool(V.HEALTH_CHECK_ENABLED.value(view.conf)) and not V.parse_bool(
        V.JM_DEPLOYMENT_RECOVERY_ENABLED.value(view.conf)
    ):
        yield Finding(
            _conf_path(view, V.HEALTH_CHECK_ENABLED.key),
            f"the job health check needs JobManager deployment recovery, but "
            f"{V.JM_DEPLOYMENT_RECOVERY_ENABLED.key} is {V.JM_DEPLOYMENT_RECOVERY_ENABLED.value(view.conf)!r}",
            f"set {V.JM_DEPLOYMENT_RECOVERY_ENABLED.key}: true or turn the health check off",
        )


# ---------------------------------------------------------------------------------------------------------------
# validateIngress (IngressUtils.getIngressUrl)

_HAS_HTTP = re.compile(r"^https?://", re.IGNORECASE)
_NAME_PLACEHOLDER = re.compile(r"\{\{name\}\}", re.IGNORECASE)
_NAMESPACE_PLACEHOLDER = re.compile(r"\{\{namespace\}\}", re.IGNORECASE)
_JAVA_INT = re.compile(r"[+-]?[0-9]+")
JAVA_INT_MIN, JAVA_INT_MAX = -(1 << 31), (1 << 31) - 1


def _java_port(text: str) -> int | None:
    """``Integer.parseInt``: None where Java throws NumberFormatException."""
    if not _JAVA_INT.fullmatch(text):
        return None
    value = int(text)
    return value if JAVA_INT_MIN <= value <= JAVA_INT_MAX else None


def ingress_url_problem(template: str, name: str, namespace: str) -> str | None:
    """``IngressUtils.getIngressUrl``: ``http://`` prepended unless the template starts with http(s)://, the
    placeholders replaced, then ``new java.net.URL`` (``URLStreamHandler.parseURL``): the authority runs to the first
    ``/`` or ``?`` before any ``#``; with more than one ``@`` it has no host; a ``[`` host must be an IPv6 literal
    closed by ``]`` and followed by nothing or ``:port``; a port must be a Java int, not below -1."""
    url = template if _HAS_HTTP.search(template) else "http://" + template
    url = _NAMESPACE_PLACEHOLDER.sub(lambda _: namespace, _NAME_PLACEHOLDER.sub(lambda _: name, url))
    rest = url.split("://", 1)[1].split("#", 1)[0]
    authority = re.split(r"[/?]", rest, maxsplit=1)[0]
    bad = f"the ingress template {template!r} makes {url!r}, which is not a URL"
    if authority.count("@") > 1:
        return None
    host = authority.rsplit("@", 1)[-1]
    port_text = ""
    if host.startswith("["):
        end = host.find("]")
        if end <= 2:
            return f"{bad}: invalid authority {authority!r}"
        try:
            ipaddress.IPv6Address(host[1:end])
        except ValueError:
            return f"{bad}: invalid IPv6 host {host[:end + 1]!r}"
        tail = host[end + 1:]
        if tail and not tail.startswith(":"):
            return f"{bad}: invalid authority {authority!r}"
        port_text = tail[1:]
    elif ":" in host:
        port_text = host.split(":", 1)[1]
    if port_text:
        port = _java_port(port_text)
        if port is None or port < -1:
            return f"{bad}: invalid port {port_text!r}"
    return None


@per_deployment
def check_ingress(view: DeploymentView, cfg) -> Iterator[Finding]:
    ingress = get(view.spec, "ingress")
    if ingress is None:
        return
    template = get(ingress, "template")
    if template is None and view.ingress_prefixes[0][0]:
        template = "null"  # a blue/green child's template is "blue-" + null in Java: "blue-null"
    if template is None:
        yield Finding(view.path("ingress", "template"), "the ingress template must be defined",
                      "set a template such as '{{name}}.{{namespace}}.flink.example.com'")
        return
    for prefix, name in view.ingress_prefixes:
        problem = ingress_url_problem(prefix + str(template), name, view.namespace)
        if problem:
            yield Finding(view.path("ingress", "template"), problem, "use host[:port][/path] with {{name}} and "
                                                                     "{{namespace}}")
            return


# ---------------------------------------------------------------------------------------------------------------
# validateLogConfig


@per_deployment
def check_log_config(view: DeploymentView, cfg) -> Iterator[Finding]:
    log_conf = get(view.spec, "logConfiguration")
    if not is_map(log_conf):
        return
    for key in log_conf:
        if key not in V.ALLOWED_LOG_CONFIG_KEYS:
            yield Finding(
                f"{view.path('logConfiguration')}[{key!r}]",
                f"invalid log config key {key!r}",
                f"use one of {', '.join(V.ALLOWED_LOG_CONFIG_KEYS)}",
            )


# ---------------------------------------------------------------------------------------------------------------
# validateJobSpec


_WHOLE = re.compile(r"[+-]?[0-9]+")


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def job_state_findings(job: Any, conf: Mapping[str, str], job_path: str, conf_path: str) -> Iterator[Finding]:
    """Checkpoint/savepoint directory rules of ``validateJobSpec`` for one job spec and its effective config."""
    mode = get(job, "upgradeMode", default=V.DEFAULT_UPGRADE_MODE)
    if mode != "stateless" and _blank(V.CHECKPOINTS_DIR.value(conf)):
        yield Finding(
            f"{job_path}.upgradeMode",
            f"upgradeMode {mode!r} needs a checkpoint directory, but {V.CHECKPOINTS_DIR.key} "
            f"(or {V.CHECKPOINTS_DIR.legacy[0]}) is not set",
            f"set {conf_path}[{V.CHECKPOINTS_DIR.key!r}] or use upgradeMode stateless",
        )
    if not _blank(V.SAVEPOINT_DIR.value(conf)):
        return
    fix = f"set {conf_path}[{V.SAVEPOINT_DIR.key!r}] (or {V.SAVEPOINT_DIR.legacy[0]})"
    if mode == "savepoint":
        yield Finding(f"{job_path}.upgradeMode", "upgradeMode 'savepoint' without a savepoint directory", fix)
    if get(job, "savepointTriggerNonce") is not None:
        yield Finding(f"{job_path}.savepointTriggerNonce",
                      "a manual savepoint (savepointTriggerNonce) cannot run without a savepoint directory", fix)
    if V.PERIODIC_SAVEPOINT_INTERVAL.lookup(conf) is not None:
        yield Finding(f"{conf_path}[{V.PERIODIC_SAVEPOINT_INTERVAL.key!r}]",
                      "periodic savepoints cannot be enabled without a savepoint directory", fix)
    if V.CHECKPOINT_MAX_AGE.lookup(conf) is not None:
        yield Finding(f"{conf_path}[{V.CHECKPOINT_MAX_AGE.key!r}]",
                      "the last-state max checkpoint age needs a savepoint directory (it falls back to savepoints)",
                      fix)


def _number(value: Any) -> float | None:
    """An int field as Jackson reads it: a number, or a string of a whole number (spaces trimmed)."""
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return float(int(value.strip()))
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@per_deployment
def check_job_state_dirs(view: DeploymentView, cfg) -> Iterator[Finding]:
    job = get(view.spec, "job")
    if job is not None:
        yield from job_state_findings(job, view.conf, view.path("job"), view.path("flinkConfiguration"))


def parallelism_findings(job: Any, tm: Any, job_path: str, tm_path: str | None) -> Iterator[Finding]:
    tm_replicas = _number(get(tm, "replicas")) if tm is not None else None
    if tm_replicas is not None:
        if tm_replicas < 1:
            yield Finding(f"{tm_path}.replicas", f"TaskManager replicas must be at least 1, found {tm_replicas:g}",
                          "set replicas ≥ 1 or remove it")
        return
    parallelism = _number(get(job, "parallelism")) or 0.0
    if parallelism < 1:
        yield Finding(f"{job_path}.parallelism", f"job parallelism must be at least 1, found {parallelism:g}",
                      "set job.parallelism ≥ 1 (or taskManager.replicas)")


@per_deployment
def check_parallelism(view: DeploymentView, cfg) -> Iterator[Finding]:
    job = get(view.spec, "job")
    if job is not None:
        yield from parallelism_findings(job, get(view.spec, "taskManager"), view.path("job"), view.path("taskManager"))


# ---------------------------------------------------------------------------------------------------------------
# validateJmSpec / validateTmSpec / validateResources


def resource_findings(role: str, resource: Any, path: str) -> Iterator[Finding]:
    if resource is None:
        return
    memory = get(resource, "memory")
    if memory is not None:
        try:
            V.resource_memory(str(memory))
        except ValueError as err:
            yield Finding(f"{path}.memory", f"{role} resource memory does not parse: {err}",
                          "use a size such as 2048m or 2Gi")
    storage = get(resource, "ephemeralStorage")
    if storage is not None:
        try:
            V.kubernetes_quantity(str(storage))
        except ValueError as err:
            yield Finding(f"{path}.ephemeralStorage", f"{role} ephemeral storage does not parse: {err}",
                          "use a Kubernetes quantity such as 10Gi")


def _memory_defined(spec: Any) -> bool:
    memory = get(spec, "resource", "memory")
    return memory is not None and bool(str(memory).strip())


@per_deployment
def check_jobmanager(view: DeploymentView, cfg) -> Iterator[Finding]:
    jm = get(view.spec, "jobManager")
    path = view.path("jobManager")
    problem = None if _memory_defined(jm) else V.jobmanager_memory_problem(view.conf)
    if problem:
        yield Finding(f"{path}.resource.memory", f"JobManager memory is not defined and cannot be derived: {problem}",
                      f"set {path}.resource.memory (or {V.JM_MEMORY_KEYS[0][0]} in flinkConfiguration)")
    if jm is None:
        return
    yield from resource_findings("JobManager", get(jm, "resource"), f"{path}.resource")
    replicas = _number(get(jm, "replicas"))
    replicas = 1.0 if replicas is None else replicas
    if replicas < 1:
        yield Finding(f"{path}.replicas", f"JobManager replicas must be at least 1, found {replicas:g}",
                      "set replicas: 1 (or more with HA)")
    elif replicas > 1 and not V.ha_enabled(view.conf):
        yield Finding(f"{path}.replicas", f"{replicas:g} JobManagers (standby) need high availability, which is off",
                      f"set {V.HA_TYPE.key}: kubernetes in flinkConfiguration, or replicas: 1")


@per_deployment
def check_taskmanager(view: DeploymentView, cfg) -> Iterator[Finding]:
    tm = get(view.spec, "taskManager")
    path = view.path("taskManager")
    problem = None if _memory_defined(tm) else V.taskmanager_memory_problem(view.conf)
    if problem:
        yield Finding(f"{path}.resource.memory", f"TaskManager memory is not defined and cannot be derived: {problem}",
                      f"set {path}.resource.memory (or {V.TM_MEMORY_KEYS[0][0]} in flinkConfiguration)")
    if tm is None:
        return
    yield from resource_findings("TaskManager", get(tm, "resource"), f"{path}.resource")
    replicas = _number(get(tm, "replicas"))
    if replicas is not None and replicas < 1:
        yield Finding(f"{path}.replicas", f"TaskManager replicas must be at least 1, found {replicas:g}",
                      "set replicas ≥ 1 or remove it")


# ---------------------------------------------------------------------------------------------------------------
# The resource converted into the operator's types (ObjectMapper.convertValue in FlinkValidator and the controllers)

def _integer_problem(value: Any) -> str | None:
    """Jackson's int/Long conversion: numbers (a fraction is dropped), strings of a whole number (trimmed); not
    booleans."""
    if _number(value) is None:
        return f"{value!r} is not a whole number"
    return None


def field_type_findings(spec: Any, path: str, *, deployment: bool) -> Iterator[Finding]:
    job = get(spec, "job")
    for field, allowed in V.JOB_ENUM_FIELDS.items():
        value = get(job, field) if job is not None else None
        if value is not None and value not in allowed:
            yield Finding(f"{path}.job.{field}", f"{value!r} is not one of {', '.join(allowed)} (case matters)",
                          f"use one of {', '.join(allowed)}")
    fields = [(f"{path}.job.{f}", get(job, f) if job is not None else None) for f in V.JOB_INTEGER_FIELDS]
    fields += [(f"{path}.{f}", get(spec, f)) for f in V.SPEC_INTEGER_FIELDS]
    if deployment:
        fields += [(f"{path}.{role}.replicas", get(spec, role, "replicas")) for role in ("jobManager", "taskManager")]
        mode = get(spec, "mode")
        if mode is not None and mode not in V.DEPLOYMENT_MODES:
            yield Finding(f"{path}.mode", f"{mode!r} is not one of {', '.join(V.DEPLOYMENT_MODES)}",
                          f"use one of {', '.join(V.DEPLOYMENT_MODES)}")
    for field_path, value in fields:
        problem = None if value is None else _integer_problem(value)
        if problem:
            yield Finding(field_path, f"the operator cannot read it: {problem}", "use a whole number")


@per_deployment
def check_deployment_field_types(view: DeploymentView, cfg) -> Iterator[Finding]:
    yield from field_type_findings(view.spec, view.prefix, deployment=True)
    if view.ingress_prefixes[0][0] and get(view.spec, "job") is None:
        # BlueGreenUtils.prepareFlinkDeployment reads template.spec.job.initialSavepointPath
        yield Finding(view.path("job"), "a blue/green deployment's template must have a job (the operator fails "
                                        "on a template without one)", "set spec.template.spec.job")


def check_session_job_field_types(res: Resource, cfg) -> Iterator[Finding]:
    yield from field_type_findings(get(res.props, "spec", default={}), "spec", deployment=False)


# ---------------------------------------------------------------------------------------------------------------
# validateServiceAccount


@per_deployment
def check_service_account(view: DeploymentView, cfg) -> Iterator[Finding]:
    if get(view.spec, "serviceAccount") is None:
        yield Finding(view.path("serviceAccount"), "spec.serviceAccount must be defined",
                      "set it to the job service account of the namespace (flink)")


# ---------------------------------------------------------------------------------------------------------------
# validateAutoScalerFlinkConfiguration (AutoscalerValidator)


def autoscaler_findings(conf: Mapping[str, str], conf_path: str) -> Iterator[Finding]:
    bad = V.boolean_problem(V.AUTOSCALER_ENABLED, conf)
    if bad:
        yield _not_boolean(conf_path, bad)
        return
    if not V.parse_bool(V.AUTOSCALER_ENABLED.value(conf)):
        return

    def bound(b):
        if b == "target":
            try:
                return V.autoscaler_number(V.AUTOSCALER_UTILIZATION_TARGET.value(conf) or "0.7")
            except ValueError:
                return None
        return b

    for r in V.AUTOSCALER_RANGES:
        found = r.option.lookup(conf)
        if found is None:
            continue
        key, raw = found
        try:
            value = V.autoscaler_number(raw)
        except ValueError:
            yield Finding(f"{conf_path}[{key!r}]", f"invalid value {raw!r} (not a number)", "use a number")
            continue
        low, high = bound(r.low), bound(r.high)
        if (low is not None and value < low) or (high is not None and value > high):
            lo = "-Infinity" if low is None else f"{low}"
            hi = "+Infinity" if high is None else f"{high}"
            yield Finding(f"{conf_path}[{key!r}]", f"{raw!r} is outside the allowed range [{lo}, {hi}]",
                          f"choose a value within [{lo}, {hi}]")
    periods = V.AUTOSCALER_EXCLUDED_PERIODS.lookup(conf)
    if periods is not None:
        for expression in [p for p in periods[1].split(";") if p.strip()]:
            problem = V.excluded_period_problem(expression)
            if problem:
                yield Finding(f"{conf_path}[{periods[0]!r}]", f"invalid excluded period {expression!r}: {problem}",
                              "use 'HH:MM-HH:MM', a Quartz cron expression, or 'daily && cron'")


@per_deployment
def check_autoscaler(view: DeploymentView, cfg) -> Iterator[Finding]:
    yield from autoscaler_findings(view.conf, view.path("flinkConfiguration"))


# ---------------------------------------------------------------------------------------------------------------
# Session jobs: validateJobNotEmpty, validateJarURI


def check_session_job_present(res: Resource, cfg) -> Iterator[Finding]:
    if get(res.props, "spec", "job") is None:
        yield Finding("spec.job", "the job spec must not be empty", "set spec.job with jarURI and parallelism")


def check_jar_uri(res: Resource, cfg) -> Iterator[Finding]:
    uri = get(res.props, "spec", "job", "jarURI")
    if uri is None:
        return
    problem = V.jar_uri_problem(str(uri), list(cfg["allowedSchemes"]), bool(cfg["disallowRestrictedHosts"]),
                              bool(cfg["resolveHosts"]))
    if problem:
        yield Finding("spec.job.jarURI", problem,
                      f"serve the jar over https from a public host, or extend the operator's "
                      f"{V.JAR_URI_ALLOWED_SCHEMES.key} (and this policy's allowedSchemes)")


# ---------------------------------------------------------------------------------------------------------------
# validateStateSnapshot


def check_snapshot(res: Resource, cfg) -> Iterator[Finding]:
    spec = get(res.props, "spec", default={})
    savepoint, checkpoint = get(spec, "savepoint"), get(spec, "checkpoint")
    if (savepoint is None) == (checkpoint is None):
        both = "both are set" if savepoint is not None else "neither is set"
        yield Finding("spec", f"exactly one of spec.savepoint and spec.checkpoint must be set ({both})",
                      "keep exactly one")
        return
    if savepoint is not None and get(savepoint, "alreadyExists") is True:
        return
    if get(spec, "jobReference") is None:
        yield Finding("spec.jobReference", "a job reference must be supplied for this snapshot",
                      "set jobReference {kind, name}, or savepoint.alreadyExists: true for an existing savepoint")


# ---------------------------------------------------------------------------------------------------------------
# The policies (one per upstream rule; each dispatches by kind).

DEPLOYMENT_KINDS = (FD, FBG)


def is_canary(res: Resource) -> bool:
    value = get(res.props, "metadata", "labels", V.CANARY_LABEL)
    return isinstance(value, str) and value.lower() == "true"


def skip_canaries(fn):
    """Upstream validates nothing on canary resources; neither do the operator-* policies."""

    def check(res: Resource, cfg) -> Iterator[Finding]:
        if not is_canary(res):
            yield from fn(res, cfg)

    check.__name__ = fn.__name__
    return check


def _for(kinds, *fns):
    return {k: fns for k in kinds}


class OperatorPolicy(KindPolicy):
    """An ``operator-*`` policy: every check skips the operator's canary resources."""

    def __init__(self, name, description, checks, **kwargs):
        super().__init__(name, description, {k: tuple(skip_canaries(f) for f in fns) for k, fns in checks.items()},
                         **kwargs)


JAR_URI_SCHEMA = PolicyConfigSchema(
    properties={
        "allowedSchemes": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9+.-]*$"},
                           "minItems": 1, "description": f"the operator's {V.JAR_URI_ALLOWED_SCHEMES.key}"},
        "disallowRestrictedHosts": {"type": "boolean",
                                    "description": f"the operator's {V.JAR_URI_DISALLOW_RESTRICTED_HOSTS.key}"},
        "resolveHosts": {"type": "boolean", "description": "resolve host names with DNS as the operator does "
                                                           "(off by default: the plan runs offline)"},
    },
)


def policies() -> list[KindPolicy]:
    P = OperatorPolicy
    return [
        P("operator-name", "Flink resource names follow the operator's name rule (≤45 chars, DNS-like).",
          {FD: (check_deployment_name,), FBG: (check_deployment_name,), FSJ: (check_session_job_deployment_name,)}),
        P("operator-flink-version", "flinkVersion is set and supported by the pinned operator.",
          _for(DEPLOYMENT_KINDS, check_flink_version)),
        P("operator-forbidden-config", "flinkConfiguration does not set keys the operator owns.",
          _for(DEPLOYMENT_KINDS, check_forbidden_keys)),
        P("operator-rollback-ha", "Rollback needs high availability.", _for(DEPLOYMENT_KINDS, check_rollback_needs_ha)),
        P("operator-health-check-recovery", "The job health check needs JobManager deployment recovery.",
          _for(DEPLOYMENT_KINDS, check_health_check_needs_recovery)),
        P("operator-ingress", "An ingress has a template that makes a URL.", _for(DEPLOYMENT_KINDS, check_ingress)),
        P("operator-log-config", "logConfiguration only has the keys the operator mounts.",
          _for(DEPLOYMENT_KINDS, check_log_config)),
        P("operator-state-dirs", "Checkpoint and savepoint directories are set where the upgrade mode and "
                                 "savepoint settings need them.", _for(DEPLOYMENT_KINDS, check_job_state_dirs)),
        P("operator-parallelism", "Jobs have parallelism ≥ 1 (or TaskManager replicas ≥ 1).",
          _for(DEPLOYMENT_KINDS, check_parallelism)),
        P("operator-jobmanager", "JobManager memory is defined and parses; replicas ≥ 1; standby JobManagers need HA.",
          _for(DEPLOYMENT_KINDS, check_jobmanager)),
        P("operator-taskmanager", "TaskManager memory is defined and parses; replicas ≥ 1.",
          _for(DEPLOYMENT_KINDS, check_taskmanager)),
        P("operator-spec-types", "Enum and integer spec fields hold values the operator can read.",
          {FD: (check_deployment_field_types,), FBG: (check_deployment_field_types,),
           FSJ: (check_session_job_field_types,)}),
        P("operator-service-account", "spec.serviceAccount is set.", _for(DEPLOYMENT_KINDS, check_service_account)),
        P("operator-autoscaler", "Autoscaler options are within their ranges.",
          {FD: (check_autoscaler,), FBG: (check_autoscaler,)}),
        P("operator-session-job", "A session job has a job spec.", {FSJ: (check_session_job_present,)}),
        P("operator-jar-uri", "A session job's jarURI uses an allowed scheme and a public host.",
          {FSJ: (check_jar_uri,)}, config_schema=JAR_URI_SCHEMA,
          defaults={"allowedSchemes": [V.JAR_URI_ALLOWED_SCHEMES.default], "disallowRestrictedHosts": True,
                    "resolveHosts": False}),
        P("operator-snapshot", "A snapshot is exactly one of savepoint/checkpoint and references a job.",
          {FSS: (check_snapshot,)}),
    ]
