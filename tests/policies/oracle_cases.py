"""Single-field mutations of valid Flink resources, one group per rule area of the operator's ``DefaultValidator``.

Every case is one change (or one small, named combination) to a valid base from :mod:`tests.policies.resources`,
enumerated, not sampled: the same cases on every run. :func:`mutations` returns them all (over a thousand);
:data:`AREAS` names the rule areas they cover (``validateDeployment`` … ``validateStateSnapshot``, the autoscaler's
``AutoscalerValidator`` and the jarURI check).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterator

from components.operator import validation as V
from tests.policies.resources import DELETE, FBG, FD, FSJ, FSS, SESSION, conf, mutate


@dataclass(frozen=True)
class Case:
    """``resource`` judged alone, or (a FlinkSessionJob) with its session cluster ``session``."""

    area: str
    label: str
    resource: dict[str, Any] = field(hash=False, compare=False)
    session: dict[str, Any] | None = field(default=None, hash=False, compare=False)


def _show(value: Any) -> str:
    return "<deleted>" if value is DELETE else repr(value)


def _case(area: str, base: dict, *changes, session: dict | None = None, note: str = "") -> Case:
    label = note or ", ".join(f"{'.'.join(p)}={_show(v)}" for p, v in changes) or "base"
    return Case(area, f"{base['kind']}/{base['metadata']['name']}: {label}", mutate(base, *changes), session)


def _fd_paths(prefix: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    spec = (*prefix, "spec")
    return {"spec": spec, "conf": (*spec, "flinkConfiguration")}


NAMES = ["orders", "", "a", "A", "orders-", "-orders", "or_ders", "or.ders", "9orders", "orders9", "ab-cd-0",
         "x" * 38, "x" * 39, "x" * 40, "x" * 44, "x" * 45, "x" * 46, "Orders", "orders\n"]
MEMORY = ["2048m", "2g", "2 g", "2G", "2gb", "2GB", "2 gb", "2Gi", "2 Gi", "2GiB", "2Mi", "1.5Gi", "1.5g", "0",
          "0m", "2048", "2048b", "2k", "2kb", "2Ki", "2t", "2Ti", "2Pi", "9Pi", "1Ei", "2e3", "2e16", "2E3", "0x10",
          "-1Gi", "+2Gi", "lots", "", " ", "2 mebibytes", "2 gigabytes", "2x", "2n", "1000M", "1000m", "2.0Gi",
          "2m ", " 2m", DELETE]
QUANTITY = ["10Gi", "10 Gi", "10G", "10", "0", "1.5Gi", "10gi", "10Gx", "10e3", "10E2", "-1", "abc", "", "500m",
            "10Ki", "10Mi", "1Ei", "10k", "+10Gi", DELETE]
BOOLS = ["true", "false", "TRUE", "False", "yes", "1", "", "bogus", True, False, DELETE]
HA_TYPES = ["kubernetes", "KUBERNETES", "zookeeper", "NONE", "none", "standalone", "", " ",
            "org.example.MyHaFactory", DELETE]
DIRS = ["s3://bucket/x", "", " ", DELETE]
DURATIONS = ["10m", "1 h", "0", "bogus", "", DELETE]
INGRESS_TEMPLATES = [
    "{{name}}.{{namespace}}.example.com", "example.com/{{namespace}}/{{name}}", "https://x.example.com/{{name}}",
    "http://x.example.com:8080/{{name}}", "x.example.com:8080", "example.com:http", "ftp://example.com",
    "file:///tmp", "mailto:a@example.com", "", " ", "exa mple.com", "example.com:-1", "[::1]", "[::1]:8080",
    "[::1]:8080/{{name}}", "http://[2001:db8::1]:443/x", "[::1", "example..com", "a@example.com/x",
    "{{NAME}}.example.com", "{{name}}:{{namespace}}", "x.example.com:99999", "%zz.example.com", "ws://example.com",
]
LOG_KEYS = ["log4j-console.properties", "logback-console.xml", "log4j.properties", "log4j-cli.properties",
            "logback.xml", "", "LOG4J-CONSOLE.PROPERTIES"]
COUNTS = [-2, -1, 0, 1, 2, 3, DELETE]
AUTOSCALER_VALUES = ["0", "0.005", "0.01", "0.3", "0.5", "0.7", "0.9", "1", "1.0", "1.5", "2", "-0.1", "-1",
                     "bogus", "", "NaN", "Infinity", DELETE]
EXCLUDED_PERIODS = [
    "9:00-10:00", "09:00-10:00", "10:00-9:00", "9:00-9:00", "9:00:00-10:00:00:500", "25:00-26:00", "9:60-10:00",
    "9-10", "* * 9-11 * * ?", "* * 9-11 ? * 2-6", "0 0 9 * * ? 2025", "* * * * *", "* * 25 * * ?",
    "* * 9-11 * * ? *", "0 0/5 14,18 * * ?", "0 15 10 L * ?", "0 15 10 ? * 6L", "0 15 10 ? * 6#3",
    "9:00-10:00 && * * * ? * 2-6", "* * * ? * 2-6 && 9:00-10:00", "9:00-10:00 && 11:00-12:00",
    "* * * * * ? && * * * * * ?", "9:00-10:00 && * * * ? * 2-6 && 1:00-2:00", "bogus", "", " ",
    "9:00-10:00;11:00-12:00", "9:00-10:00;bogus", ["9:00-10:00", "11:00-12:00"], ["bogus"], DELETE,
]
HOSTS = ["repo1.maven.org", "REPO1.MAVEN.ORG", "repo1.maven.org.", "artifacts.acme.internal", "artifacts.acme.example",
         "artifacts.invalid", "8.8.8.8", "127.0.0.1", "127.1.2.3", "10.1.2.3", "172.16.0.1", "172.31.255.255",
         "172.32.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "224.0.0.1", "255.255.255.255", "localhost",
         "[::1]", "[fe80::1]", "[fec0::1]", "[2001:db8::1]", "[2a00:1450::1]", "[::ffff:127.0.0.1]",
         "[::ffff:8.8.8.8]", "[::]", "[ff02::1]", "999.1.1.1", "1.2.3", "under_score.maven.org", "-bad.org", ""]
JAR_URIS = [
    *(f"{scheme}://{host}{port}/job.jar" for scheme, host, port in itertools.product(
        ["https", "http"], HOSTS, ["", ":8443"])),
    *(f"{scheme}://repo1.maven.org/job.jar" for scheme in ["HTTPS", "Https", "s3", "local", "file", "hdfs", "ftp"]),
    "https://repo1.maven.org:x/job.jar", "https://user@repo1.maven.org/job.jar", "https://repo1.maven.org",
    "https:job.jar", "https:/job.jar", "https:///job.jar", "job.jar", "/opt/job.jar", "local:///opt/flink/job.jar",
    "https://repo1.maven.org/my job.jar", "https://repo1.maven.org/a%20b.jar", "https://repo1.maven.org/a%zz.jar",
    "https://repo1.maven.org/job.jar?x=1#f", "", " ", "https://[::1/job.jar", "1https://x/job.jar", DELETE,
]


def _deployment_cases(base: dict, prefix: tuple[str, ...] = (), application: bool = True) -> Iterator[Case]:
    """Every FlinkDeployment rule area on ``base`` (its spec under ``prefix``: () or ("spec", "template"))."""
    p = _fd_paths(prefix)
    spec, cf = p["spec"], p["conf"]
    key = lambda k: (*cf, k)  # noqa: E731
    c = lambda area, *ch, note="": _case(area, base, *ch, note=note)  # noqa: E731
    if not prefix:
        for name in NAMES:
            yield c("name", (("metadata", "name"), name))
    for version in [*V.FLINK_VERSIONS, "v9_9", "1.20", "", DELETE]:
        yield c("flink-version", ((*spec, "flinkVersion"), version))
    for k in [*V.FORBIDDEN_CONFIG_KEYS, "kubernetes.namespaces", "kubernetes.cluster-id.suffix",
              "high-availability.cluster-id.x", "KUBERNETES.NAMESPACE", "kubernetes.jobmanager.service-account"]:
        for value in ["x", ""]:
            yield c("forbidden-config", (key(k), value))
    for rollback, ha_key, ha in itertools.product(["true", "false", "TRUE", "bogus", DELETE],
                                                  ["high-availability.type", "high-availability"], HA_TYPES):
        changes = [(key("kubernetes.operator.deployment.rollback.enabled"), rollback)]
        if ha_key != "high-availability.type":
            changes.append((key("high-availability.type"), DELETE))
        changes.append((key(ha_key), ha))
        yield c("rollback-ha", *changes)
    for health, recovery in itertools.product(BOOLS, BOOLS):
        yield c("health-check", (key("kubernetes.operator.cluster.health-check.enabled"), health),
                (key("kubernetes.operator.jm-deployment-recovery.enabled"), recovery))
    for template in INGRESS_TEMPLATES:
        yield c("ingress", ((*spec, "ingress"), {"template": template}))
    for ingress in [{}, {"className": "nginx"}, DELETE]:
        yield c("ingress", ((*spec, "ingress"), ingress))
    for log_key in LOG_KEYS:
        yield c("log-config", ((*spec, "logConfiguration"), {log_key: "x"}))
    yield c("log-config", ((*spec, "logConfiguration"), {}))
    if application:
        yield from _job_cases(base, spec, cf)
    for role, heap_keys in (("jobManager", JM_MEMORY_CONFIG), ("taskManager", TM_MEMORY_CONFIG)):
        area = "jobmanager" if role == "jobManager" else "taskmanager"
        for memory in MEMORY:
            yield c(f"{area}-memory", ((*spec, role, "resource", "memory"), memory))
        for storage in QUANTITY:
            yield c(f"{area}-resources", ((*spec, role, "resource", "ephemeralStorage"), storage))
        for changes in heap_keys:
            yield c(f"{area}-memory-derived", ((*spec, role, "resource", "memory"), DELETE),
                    *((key(k), v) for k, v in changes))
        yield c(f"{area}-memory-derived", ((*spec, role), DELETE))
        yield c(f"{area}-memory-derived", ((*spec, role, "resource"), DELETE))
    for replicas, ha in itertools.product(COUNTS, ["kubernetes", "NONE", DELETE]):
        yield c("jobmanager-replicas", ((*spec, "jobManager", "replicas"), replicas), (key("high-availability.type"), ha))
    for replicas in COUNTS:
        yield c("taskmanager-replicas", ((*spec, "taskManager", "replicas"), replicas))
    for account in ["flink", "", "default", DELETE]:
        yield c("service-account", ((*spec, "serviceAccount"), account))
    yield from _autoscaler_cases(base, cf)


def _job_cases(base: dict, spec: tuple[str, ...], cf: tuple[str, ...]) -> Iterator[Case]:
    key = lambda k: (*cf, k)  # noqa: E731
    job = (*spec, "job")
    c = lambda area, *ch: _case(area, base, *ch)  # noqa: E731
    for mode, cp_key, cp, sp_key, sp in itertools.product(
            [*V.UPGRADE_MODES, DELETE], ["execution.checkpointing.dir", "state.checkpoints.dir"], DIRS,
            ["execution.checkpointing.savepoint-dir", "state.savepoints.dir"], DIRS):
        changes = [((*job, "upgradeMode"), mode)]
        for current, used, value in (("execution.checkpointing.dir", cp_key, cp),
                                     ("execution.checkpointing.savepoint-dir", sp_key, sp)):
            if used != current:
                changes.append((key(current), DELETE))
            changes.append((key(used), value))
        yield c("state-dirs", *changes)
    for extra_key, extra in itertools.product(
            ["savepointTriggerNonce", "periodic", "max-age", "restartNonce", "savepointRedeployNonce"],
            DURATIONS[:2] + [1]):
        changes = [((*job, "upgradeMode"), "stateless"), (key("execution.checkpointing.savepoint-dir"), DELETE)]
        if extra_key == "periodic":
            changes.append((key("kubernetes.operator.periodic.savepoint.interval"), extra))
        elif extra_key == "max-age":
            changes.append((key("kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age"), extra))
        else:
            changes.append(((*job, extra_key), extra))
        yield c("savepoint-triggers", *changes)
    for parallelism, tm_replicas in itertools.product(COUNTS, [-1, 0, 1, DELETE]):
        yield c("parallelism", ((*job, "parallelism"), parallelism), ((*spec, "taskManager", "replicas"), tm_replicas))
    for state in ["running", "suspended", "bogus", DELETE]:
        yield c("job-state", ((*job, "state"), state))
    for mode in ["SAVEPOINT", "last_state", "bogus"]:
        yield c("job-state", ((*job, "upgradeMode"), mode))
    for field, value in itertools.product(["savepointTriggerNonce", "parallelism", "autoscalerResetNonce"],
                                          ["3", "x", True, 1.5, "1.5", " 3"]):
        yield c("job-state", ((*job, field), value))
    for field, value in itertools.product([(*spec, "restartNonce"), (*spec, "jobManager", "replicas"),
                                           (*spec, "taskManager", "replicas")], ["2", "x", True]):
        yield c("job-state", (field, value))
    for mode in ["native", "standalone", "NATIVE", DELETE]:
        yield c("job-state", ((*spec, "mode"), mode))
    yield c("job-state", (job, DELETE))


JM_MEMORY_CONFIG = [
    *([(k, v)] for k in ("jobmanager.memory.process.size", "jobmanager.memory.flink.size",
                          "jobmanager.memory.heap.size", "jobmanager.heap.size", "jobmanager.heap.mb")
      for v in ("2g", "1600m", "700m", "500m", "300m", "64m", "1024", "lots", "")),
    [("jobmanager.memory.flink.size", "1g"), ("jobmanager.memory.off-heap.size", "2g")],
    [("jobmanager.memory.process.size", "1g"), ("jobmanager.memory.jvm-metaspace.size", "900m")],
    [("jobmanager.memory.process.size", "2g"), ("jobmanager.memory.jvm-overhead.min", "1g"),
     ("jobmanager.memory.jvm-overhead.max", "512m")],
    [("jobmanager.memory.process.size", "2g"), ("jobmanager.memory.jvm-overhead.fraction", "1.5")],
    [("jobmanager.memory.process.size", "2g"), ("jobmanager.memory.flink.size", "3g")],
    [("jobmanager.memory.process.size", "2g"), ("jobmanager.memory.heap.size", "1g")],
    *([(total_key, total), (k, v)] for (total_key, total), (k, v) in itertools.product(
        [("jobmanager.memory.process.size", t) for t in ("600m", "1g", "1600m", "12g")]
        + [("jobmanager.memory.flink.size", t) for t in ("200m", "1g")]
        + [("jobmanager.memory.heap.size", t) for t in ("100m", "1g")],
        [("jobmanager.memory.off-heap.size", "512m"), ("jobmanager.memory.jvm-overhead.min", "600m"),
         ("jobmanager.memory.jvm-overhead.max", "100m"), ("jobmanager.memory.jvm-overhead.fraction", "0.5"),
         ("jobmanager.memory.jvm-metaspace.size", "512m"), ("jobmanager.memory.process.size", "1g"),
         ("jobmanager.memory.flink.size", "800m"), ("jobmanager.heap.mb", "512")])),
    [("jobmanager.memory.heap.size", "1g"), ("jobmanager.memory.flink.size", "1600m")],
    [("jobmanager.memory.heap.size", "1g"), ("jobmanager.memory.flink.size", "1600m"),
     ("jobmanager.memory.off-heap.size", "128m")],
    [("jobmanager.memory.heap.size", "1g"), ("jobmanager.memory.flink.size", "1152m"),
     ("jobmanager.memory.off-heap.size", "128m")],
    [("jobmanager.memory.heap.size", "1g"), ("jobmanager.memory.flink.size", "1g")],
]
TM_MEMORY_CONFIG = [
    *([(k, v)] for k in ("taskmanager.memory.process.size", "taskmanager.memory.flink.size",
                          "taskmanager.memory.task.heap.size", "taskmanager.memory.managed.size",
                          "taskmanager.heap.size", "taskmanager.heap.mb")
      for v in ("4g", "2g", "1600m", "1g", "700m", "500m", "64m", "lots", "")),
    [("taskmanager.memory.task.heap.size", "1g"), ("taskmanager.memory.managed.size", "512m")],
    [("taskmanager.memory.task.heap.size", "1g"), ("taskmanager.memory.managed.size", "lots")],
    *([("taskmanager.memory.process.size", "2g"), (k, v)] for k, v in (
        ("taskmanager.memory.network.min", "1g"), ("taskmanager.memory.network.max", "32m"),
        ("taskmanager.memory.network.min", "512m"), ("taskmanager.memory.network.fraction", "0.9"),
        ("taskmanager.memory.network.fraction", "1.5"), ("taskmanager.memory.managed.fraction", "0.9"),
        ("taskmanager.memory.managed.fraction", "1.5"), ("taskmanager.memory.managed.fraction", "0"),
        ("taskmanager.memory.framework.heap.size", "2g"), ("taskmanager.memory.framework.off-heap.size", "1g"),
        ("taskmanager.memory.task.off-heap.size", "1g"), ("taskmanager.memory.jvm-metaspace.size", "1g"),
        ("taskmanager.memory.network.min", "64m"), ("taskmanager.memory.managed.fraction", "0.5"))),
    [("taskmanager.memory.flink.size", "1g"), ("taskmanager.memory.network.min", "1g"),
     ("taskmanager.memory.network.max", "2g")],
    [("taskmanager.memory.process.size", "2g"), ("taskmanager.memory.flink.size", "3g")],
    # each knob of the model on several total sizes (process, Flink, or task heap + managed)
    *([(total_key, total), (k, v)] for (total_key, total), (k, v) in itertools.product(
        [("taskmanager.memory.process.size", t) for t in ("800m", "1g", "1600m", "12g")]
        + [("taskmanager.memory.flink.size", t) for t in ("600m", "1g", "12g")],
        [("taskmanager.memory.network.min", "256m"), ("taskmanager.memory.network.max", "128m"),
         ("taskmanager.memory.network.max", "2g"), ("taskmanager.memory.network.fraction", "0.3"),
         ("taskmanager.memory.managed.fraction", "0.7"), ("taskmanager.memory.managed.size", "512m"),
         ("taskmanager.memory.task.heap.size", "300m"), ("taskmanager.memory.jvm-overhead.min", "600m"),
         ("taskmanager.memory.jvm-overhead.max", "100m"), ("taskmanager.memory.jvm-metaspace.size", "512m")])),
    *([("taskmanager.memory.task.heap.size", heap), ("taskmanager.memory.managed.size", managed), (k, v)]
      for heap, managed, (k, v) in itertools.product(("64m", "1g"), ("0", "512m"), [
          ("taskmanager.memory.flink.size", "1600m"), ("taskmanager.memory.flink.size", "1g"),
          ("taskmanager.memory.process.size", "2g"), ("taskmanager.memory.network.min", "1g"),
          ("taskmanager.memory.network.fraction", "0.5")])),
]


def _autoscaler_cases(base: dict, cf: tuple[str, ...]) -> Iterator[Case]:
    key = lambda k: (*cf, k)  # noqa: E731
    on = (key(V.AUTOSCALER_ENABLED.key), "true")
    c = lambda *ch: _case("autoscaler", base, *ch)  # noqa: E731
    for enabled in BOOLS:
        yield c((key(V.AUTOSCALER_ENABLED.key), enabled), (key("job.autoscaler.utilization.target"), "2"))
    yield c((key("kubernetes.operator.job.autoscaler.enabled"), "true"), (key("job.autoscaler.utilization.target"), "2"))
    for r in V.AUTOSCALER_RANGES:
        for value in AUTOSCALER_VALUES:
            yield c(on, (key(r.option.key), value))
        for legacy in r.option.legacy:
            yield c(on, (key(legacy), "-1"))
    for target, low, high in itertools.product(["0.5", "0.9", DELETE], ["0.4", "0.6", DELETE], ["0.8", "0.95", DELETE]):
        yield c(on, (key("job.autoscaler.utilization.target"), target), (key("job.autoscaler.utilization.min"), low),
                (key("job.autoscaler.utilization.max"), high))
    for periods in EXCLUDED_PERIODS:
        yield c(on, (key("job.autoscaler.excluded.periods"), periods))
    yield c((key("job.autoscaler.excluded.periods"), "bogus"))


#: Items put in one field of a Quartz cron expression (the autoscaler's excluded periods), one field at a time.
CRON_ITEMS = ["*", "?", "0", "59", "60", "0-59", "5-3", "*/5", "0/15", "0/0", "0/61", "L", "L-3", "LW", "15W", "5L",
              "6#3", "6#6", "MON", "MON-FRI", "JAN", "JAN-MAR", "1,2", "1,?", "x", "-1", "2025", "1969"]
CRONS = ["0 0 9 * * ? 2025 x", "0 0 9 ? * * *", "0 0 9 ? * 1-7", "0 0 9 ? * SUN-SAT", "0 0 9 1-31 * ?",
         "0 0 9 ? * mon-fri", "0 0 9 L-30 * ?", "0 0 9 L-31 * ?", "0 0 9 32W * ?", "0 0 24 * * ?", "0 0 9 * 13 ?",
         "0 0 9 * 0 ?", "0 0 9 ? * 0", "0 0 9 ? * 8"]


def _cron_cases() -> Iterator[Case]:
    base = ["0", "0", "9", "*", "*", "?"]
    expressions = set(CRONS)
    for i, item in itertools.product(range(7), CRON_ITEMS):
        fields = [*base, item] if i == 6 else [*base[:i], item, *base[i + 1:]]
        expressions.add(" ".join(fields))
        if i == 3:
            expressions.add(" ".join([*fields[:5], "?"]))
        if i == 5:
            expressions.add(" ".join([*fields[:3], "?", *fields[4:]]))
    on = (conf(V.AUTOSCALER_ENABLED.key), "true")
    for expression in sorted(expressions):
        yield _case("autoscaler", FD, on, (conf("job.autoscaler.excluded.periods"), expression))


def _session_job_cases() -> Iterator[Case]:
    c = lambda area, *ch, session=None: _case(area, FSJ, *ch, session=session)  # noqa: E731
    for name in [*NAMES, DELETE]:
        yield c("session-job-name", (("spec", "deploymentName"), name))
    yield c("session-job", (("spec", "job"), DELETE))
    for uri in JAR_URIS:
        yield c("jar-uri", (("spec", "job", "jarURI"), uri))
    # validateSessionJobWithCluster: the cluster's and the job's config, session mode.
    for cluster_job in [DELETE, {"jarURI": "local:///x.jar", "parallelism": 1}]:
        yield c("session-job-cluster", session=mutate(SESSION, (("spec", "job"), cluster_job)))
    for side, changes in itertools.product(("cluster", "job"), _session_config_changes()):
        if side == "cluster":
            yield c("session-job-cluster", session=mutate(SESSION, *changes))
        else:
            yield c("session-job-cluster", *changes, session=SESSION)
    for mode, parallelism in itertools.product([*V.UPGRADE_MODES, DELETE], COUNTS):
        yield c("session-job-cluster", (("spec", "job", "upgradeMode"), mode), (("spec", "job", "parallelism"), parallelism),
                session=SESSION)
    for extra in ("savepointTriggerNonce", "restartNonce"):
        yield c("session-job-cluster", (("spec", "job", extra), 1),
                session=mutate(SESSION, (conf("execution.checkpointing.savepoint-dir"), DELETE)))


def _session_config_changes() -> Iterator[list]:
    for cp, sp in itertools.product(DIRS, DIRS):
        yield [(conf("execution.checkpointing.dir"), cp), (conf("execution.checkpointing.savepoint-dir"), sp)]
    for value in ("10m", DELETE):
        yield [(conf("execution.checkpointing.savepoint-dir"), DELETE),
               (conf("kubernetes.operator.periodic.savepoint.interval"), value)]
    for value in ("2", "0.5", "bogus"):
        yield [(conf(V.AUTOSCALER_ENABLED.key), "true"), (conf("job.autoscaler.utilization.target"), value)]
    yield [(conf(V.AUTOSCALER_ENABLED.key), "true"), (conf("job.autoscaler.excluded.periods"), "bogus")]
    yield [(conf(V.AUTOSCALER_ENABLED.key), "bogus")]


def _snapshot_cases() -> Iterator[Case]:
    c = lambda *ch: _case("snapshot", FSS, *ch)  # noqa: E731
    savepoints = [{"path": "s3://b/sp", "alreadyExists": True}, {"path": "s3://b/sp", "alreadyExists": False},
                  {"path": "s3://b/sp"}, {"alreadyExists": True}, {}, DELETE]
    for savepoint, checkpoint, reference in itertools.product(
            savepoints, [{}, DELETE], [{"kind": "FlinkDeployment", "name": "orders"},
                                      {"kind": "FlinkSessionJob", "name": "orders-job"}, {"name": "orders"}, DELETE]):
        yield c((("spec", "savepoint"), savepoint), (("spec", "checkpoint"), checkpoint),
                (("spec", "jobReference"), reference))


def _blue_green_cases() -> Iterator[Case]:
    for name in NAMES:
        yield _case("blue-green-name", FBG, (("metadata", "name"), name))
    for case in _deployment_cases(FBG, ("spec", "template")):
        yield Case(f"blue-green/{case.area}", case.label, case.resource)


#: The rule areas the mutations cover.
AREAS = (
    "name", "flink-version", "forbidden-config", "rollback-ha", "health-check", "ingress", "log-config",
    "state-dirs", "savepoint-triggers", "parallelism", "job-state", "jobmanager-memory", "jobmanager-resources",
    "jobmanager-memory-derived", "jobmanager-replicas", "taskmanager-memory", "taskmanager-resources",
    "taskmanager-memory-derived", "taskmanager-replicas", "service-account", "autoscaler", "session-job-name",
    "session-job", "jar-uri", "session-job-cluster", "snapshot", "blue-green-name",
)


def mutations() -> list[Case]:
    cases = [*_deployment_cases(FD), *_cron_cases(), *(_case_in(c, "session-cluster/") for c in _deployment_cases(SESSION,
                                                                                                   application=False)),
             *_session_job_cases(), *_snapshot_cases(), *_blue_green_cases()]
    return cases


def _case_in(case: Case, prefix: str) -> Case:
    return Case(prefix + case.area, case.label, case.resource, case.session)
