"""The Flink Kubernetes Operator's own validation rules (``DefaultValidator`` 1.15.0), as data and small parsers.

One home for every fact the operator's validator applies, read from upstream (OP tag ``release-1.15.0``:
``validation/DefaultValidator.java``, ``config/KubernetesOperatorConfigOptions.java``,
``autoscaler/validation/AutoscalerValidator.java``, ``autoscaler/config/AutoScalerOptions.java``; Flink's
``CheckpointingOptions``, ``HighAvailabilityOptions``, ``MemorySize``; fabric8 ``Quantity``). The policy pack's
``operator-*`` rules and the program import these names; nothing else repeats them.

Like :mod:`components.operator.upstream`, this module imports only the standard library: the policy pack runs it in its
own virtualenv (``policies/.venv``) that has no pydantic and no Pulumi program dependencies.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Sequence

from components.operator import upstream
from components.operator.upstream import (  # noqa: F401 (DEPLOYMENT_MODES: re-exported for the pack)
    DEPLOYMENT_MODES, FLINK_DEPLOYMENT_NAME_PATTERN, FLINK_VERSIONS_KNOWN, FLINK_VERSIONS_SUPPORTED, JOB_STATES,
)

OPERATOR_VERSION = "1.15.0"

#: ``DefaultValidator.DEPLOYMENT_NAME_PATTERN`` (applied to FlinkDeployment names and session-job deploymentName).
NAME_PATTERN = re.compile(FLINK_DEPLOYMENT_NAME_PATTERN.strip("^$"))
NAME_MAX_LENGTH = 45

#: ``FlinkVersion`` enum values and ``FlinkVersion.isSupported`` (v1_15 and newer) at the pinned operator.
FLINK_VERSIONS = FLINK_VERSIONS_KNOWN[OPERATOR_VERSION]
SUPPORTED_FLINK_VERSIONS = FLINK_VERSIONS_SUPPORTED[OPERATOR_VERSION]


@dataclass(frozen=True)
class ConfigKey:
    """A Flink/operator config option: its current key, the older keys Flink still reads, and its default."""

    key: str
    legacy: tuple[str, ...] = ()
    default: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key, *self.legacy)

    def lookup(self, conf: Mapping[str, str]) -> tuple[str, str] | None:
        """``(key found, value)`` for the first of :attr:`keys` present in ``conf`` (Flink's fallback order)."""
        for k in self.keys:
            if k in conf:
                return k, conf[k]
        return None

    def value(self, conf: Mapping[str, str]) -> str | None:
        found = self.lookup(conf)
        return found[1] if found else self.default


#: ``FORBIDDEN_CONF_KEYS``: the operator owns these (``kubernetes.namespace``, ``kubernetes.cluster-id``,
#: ``high-availability.cluster-id``); exact key match (``Configuration.containsKey``).
FORBIDDEN_CONFIG_KEYS = ("kubernetes.namespace", "kubernetes.cluster-id", "high-availability.cluster-id")

#: ``CheckpointingOptions.CHECKPOINTS_DIRECTORY`` / ``SAVEPOINT_DIRECTORY`` (Flink 2.x names, 1.x deprecated keys).
CHECKPOINTS_DIR = ConfigKey("execution.checkpointing.dir", ("state.checkpoints.dir",))
SAVEPOINT_DIR = ConfigKey("execution.checkpointing.savepoint-dir", ("state.savepoints.dir", "savepoints.state.backend.fs.dir"))
#: ``HighAvailabilityOptions.HA_MODE``; HA is on unless the value is ``NONE`` (case-insensitive).
HA_TYPE = ConfigKey("high-availability.type", ("high-availability", "recovery.mode"), "NONE")

#: Operator options the validator reads (``KubernetesOperatorConfigOptions``).
ROLLBACK_ENABLED = ConfigKey("kubernetes.operator.deployment.rollback.enabled", (), "false")
HEALTH_CHECK_ENABLED = ConfigKey("kubernetes.operator.cluster.health-check.enabled", (), "false")
JM_DEPLOYMENT_RECOVERY_ENABLED = ConfigKey("kubernetes.operator.jm-deployment-recovery.enabled", (), "true")
PERIODIC_SAVEPOINT_INTERVAL = ConfigKey("kubernetes.operator.periodic.savepoint.interval")
CHECKPOINT_MAX_AGE = ConfigKey("kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age")
JAR_URI_ALLOWED_SCHEMES = ConfigKey(upstream.ARTIFACT_ALLOWED_SCHEMES_KEY, (),
                                    ";".join(upstream.ARTIFACT_ALLOWED_SCHEMES_DEFAULT))
JAR_URI_DISALLOW_RESTRICTED_HOSTS = ConfigKey(upstream.ARTIFACT_DISALLOW_RESTRICTED_HOSTS_KEY, (),
                                              str(upstream.ARTIFACT_DISALLOW_RESTRICTED_HOSTS_DEFAULT).lower())

#: ``ALLOWED_LOG_CONF_KEYS`` (``Constants.CONFIG_FILE_LOG4J_NAME`` / ``CONFIG_FILE_LOGBACK_NAME``).
ALLOWED_LOG_CONFIG_KEYS = ("log4j-console.properties", "logback-console.xml")

#: Upgrade modes (CRD enum) and the default when ``job.upgradeMode`` is unset.
UPGRADE_MODES = ("last-state", "savepoint", "stateless")
DEFAULT_UPGRADE_MODE = "stateless"

#: The spec fields the operator reads into Java enums and integers (``JobSpec``, ``AbstractFlinkSpec``,
#: ``FlinkDeploymentSpec``, ``JobManagerSpec``, ``TaskManagerSpec``): a value Jackson cannot convert (an enum
#: name in another case, a string that is not a whole number) makes the operator throw, so it refuses the resource.
JOB_ENUM_FIELDS = {"upgradeMode": UPGRADE_MODES, "state": JOB_STATES}
JOB_INTEGER_FIELDS = ("parallelism", "savepointTriggerNonce", "checkpointTriggerNonce", "savepointRedeployNonce",
                      "autoscalerResetNonce")
SPEC_INTEGER_FIELDS = ("restartNonce",)

#: Keys from which Flink can derive the JobManager / TaskManager memory when ``resource.memory`` is unset
#: (``JobManagerProcessUtils`` / ``TaskExecutorProcessUtils``: total process, total Flink, or explicit heap [+ managed]).
JM_MEMORY_KEYS = (
    ("jobmanager.memory.process.size",),
    ("jobmanager.memory.flink.size",),
    ("jobmanager.memory.heap.size",),
    ("jobmanager.heap.size",),
)
TM_MEMORY_KEYS = (
    ("taskmanager.memory.process.size",),
    ("taskmanager.memory.flink.size",),
    ("taskmanager.memory.task.heap.size", "taskmanager.memory.managed.size"),
)


#: Flink 1.20's memory model (``ProcessMemoryUtils``, ``JobManagerFlinkMemoryUtils``,
#: ``TaskExecutorFlinkMemoryUtils``; defaults from ``JobManagerOptions`` / ``TaskManagerOptions``), in bytes.
MIB = 1 << 20
JAVA_LONG_MAX_BYTES = (1 << 63) - 1


@dataclass(frozen=True)
class _Range:
    """A memory share derived as a fraction of a base, capped to ``[min, max]`` (``RangeFraction``)."""

    min_key: str
    min_default: int
    max_key: str
    max_default: int
    fraction_key: str
    fraction_default: float


@dataclass(frozen=True)
class _ProcessOptions:
    process_key: str
    flink_key: str
    metaspace_key: str
    metaspace_default: int
    overhead: _Range


_OVERHEAD = "memory.jvm-overhead"
JM_PROCESS = _ProcessOptions(
    "jobmanager.memory.process.size", "jobmanager.memory.flink.size", "jobmanager.memory.jvm-metaspace.size",
    256 * MIB, _Range(f"jobmanager.{_OVERHEAD}.min", 192 * MIB, f"jobmanager.{_OVERHEAD}.max", 1024 * MIB,
                      f"jobmanager.{_OVERHEAD}.fraction", 0.1))
TM_PROCESS = _ProcessOptions(
    "taskmanager.memory.process.size", "taskmanager.memory.flink.size", "taskmanager.memory.jvm-metaspace.size",
    256 * MIB, _Range(f"taskmanager.{_OVERHEAD}.min", 192 * MIB, f"taskmanager.{_OVERHEAD}.max", 1024 * MIB,
                      f"taskmanager.{_OVERHEAD}.fraction", 0.1))
JM_HEAP, JM_OFF_HEAP, JM_OFF_HEAP_DEFAULT = "jobmanager.memory.heap.size", "jobmanager.memory.off-heap.size", 128 * MIB
#: ``JobManagerOptions.JOB_MANAGER_HEAP_MEMORY`` / ``_MB``: read as the heap when the new key is not set.
JM_LEGACY_HEAP, JM_LEGACY_HEAP_MB = "jobmanager.heap.size", "jobmanager.heap.mb"
TM_TASK_HEAP, TM_MANAGED = "taskmanager.memory.task.heap.size", "taskmanager.memory.managed.size"
TM_FIXED = (("taskmanager.memory.framework.heap.size", 128 * MIB),
            ("taskmanager.memory.framework.off-heap.size", 128 * MIB), ("taskmanager.memory.task.off-heap.size", 0))
TM_MANAGED_RANGE = _Range("", 0, "", JAVA_LONG_MAX_BYTES, "taskmanager.memory.managed.fraction", 0.4)
TM_NETWORK_RANGE = _Range("taskmanager.memory.network.min", 64 * MIB, "taskmanager.memory.network.max",
                          JAVA_LONG_MAX_BYTES, "taskmanager.memory.network.fraction", 0.1)

#: Keys from which Flink can derive the JobManager / TaskManager memory when ``resource.memory`` is unset.
JM_MEMORY_KEYS = ((JM_PROCESS.process_key,), (JM_PROCESS.flink_key,), (JM_HEAP,), (JM_LEGACY_HEAP,))
TM_MEMORY_KEYS = ((TM_PROCESS.process_key,), (TM_PROCESS.flink_key,), (TM_TASK_HEAP, TM_MANAGED))


class _MemoryError(ValueError):
    """Flink's IllegalConfigurationException / IllegalArgumentException while deriving the memory."""


def _float32(value: float) -> float:
    import struct

    return struct.unpack("f", struct.pack("f", value))[0]


class _Memory:
    """Reads memory options from a flat config as Flink's ``Configuration.get`` does."""

    def __init__(self, conf: Mapping[str, str]):
        self.conf = conf

    def has(self, key: str) -> bool:
        return bool(key) and key in self.conf

    def size(self, key: str, default: int) -> int:
        if not self.has(key):
            return default
        try:
            return flink_memory_size(self.conf[key])
        except ValueError as err:
            raise _MemoryError(str(err)) from None

    def fraction(self, key: str, default: float) -> float:
        if not self.has(key):
            return _float32(default)
        try:
            return _float32(float(self.conf[key].strip()))
        except ValueError:
            raise _MemoryError(f"{key}: {self.conf[key]!r} is not a number") from None

    def range(self, r: _Range) -> tuple[int, int, float]:
        low, high, fraction = self.size(r.min_key, r.min_default), self.size(r.max_key, r.max_default), \
            self.fraction(r.fraction_key, r.fraction_default)
        if low > high or not 0 <= fraction < 1:  # RangeFraction's checks
            raise _MemoryError(f"inconsistent {r.fraction_key} ({fraction}) and its min ({low}) / max ({high})")
        return low, high, fraction


def _cap(value: int, low: int, high: int) -> int:
    return high if value > high else (low if value < low else value)


def _with_fraction(base: int, r: tuple[int, int, float]) -> int:
    return _cap(int(r[2] * base), r[0], r[1])


def _with_inverse_fraction(base: int, r: tuple[int, int, float]) -> int:
    return _cap(int(r[2] / (1 - r[2]) * base), r[0], r[1])


def _subtract(a: int, b: int, what: str) -> int:
    if b > a:
        raise _MemoryError(what)
    return a - b


def _metaspace_and_overhead_for_flink(m: _Memory, o: _ProcessOptions, total_flink: int) -> None:
    """``deriveJvmMetaspaceAndOverheadWithTotalFlinkMemory`` (with its sanity checks)."""
    metaspace = m.size(o.metaspace_key, o.metaspace_default)
    overhead_range = m.range(o.overhead)
    if m.has(o.process_key):
        process = m.size(o.process_key, 0)
        overhead = _subtract(process, total_flink + metaspace, "the total process memory is smaller than the total "
                                                                "Flink memory and the JVM metaspace")
        if not overhead_range[0] <= overhead <= overhead_range[1]:
            raise _MemoryError(f"the derived JVM overhead ({overhead} bytes) is not in its configured range")


def _process_spec(m: _Memory, o: _ProcessOptions, fine_grained: tuple[str, ...], explicit_internal, from_flink) -> None:
    """``ProcessMemoryUtils.memoryProcessSpecFromConfig``."""
    if all(m.has(k) for k in fine_grained):
        _metaspace_and_overhead_for_flink(m, o, explicit_internal())
    elif m.has(o.flink_key):
        total_flink = m.size(o.flink_key, 0)
        from_flink(total_flink)
        _metaspace_and_overhead_for_flink(m, o, total_flink)
    elif m.has(o.process_key):
        process = m.size(o.process_key, 0)
        metaspace = m.size(o.metaspace_key, o.metaspace_default)
        overhead = _with_fraction(process, m.range(o.overhead))
        from_flink(_subtract(process, metaspace + overhead, "the JVM metaspace and overhead exceed the total process "
                                                            "memory"))
    else:
        raise _MemoryError("none of the total process memory, the total Flink memory or the fine-grained sizes is "
                           "configured")


def jobmanager_memory_problem(conf: Mapping[str, str]) -> str | None:
    """``JobManagerProcessUtils.processSpecFromConfigWithNewOptionToInterpretLegacyHeap(conf, JVM_HEAP_MEMORY)``
    succeeds: None, else what Flink objects to."""
    conf = dict(conf)
    m = _Memory(conf)
    try:
        if not m.has(JM_HEAP):  # the legacy heap keys are read as the heap (getLegacyHeapMemoryIfExplicitlyConfigured)
            if m.has(JM_LEGACY_HEAP):
                conf[JM_HEAP] = conf[JM_LEGACY_HEAP]
            elif m.has(JM_LEGACY_HEAP_MB):
                mb = conf[JM_LEGACY_HEAP_MB].strip()
                if not re.fullmatch(r"[+-]?\d+", mb):
                    raise _MemoryError(f"{JM_LEGACY_HEAP_MB}: {mb!r} is not an integer")
                conf[JM_HEAP] = f"{int(mb)}m"

        def off_heap(total_flink: int) -> int:
            value = m.size(JM_OFF_HEAP, JM_OFF_HEAP_DEFAULT)
            if value >= total_flink:
                raise _MemoryError("the JobManager off-heap memory exceeds the total Flink memory")
            return value

        def from_flink(total_flink: int) -> None:
            off = off_heap(total_flink)
            if m.has(JM_HEAP) and m.size(JM_HEAP, 0) + off != total_flink:
                raise _MemoryError("heap + off-heap memory differ from the total Flink memory")
            _subtract(total_flink, off, "negative heap")

        def explicit_internal() -> int:
            heap = m.size(JM_HEAP, 0)
            if not m.has(JM_PROCESS.flink_key):
                return heap + m.size(JM_OFF_HEAP, JM_OFF_HEAP_DEFAULT)
            total = m.size(JM_PROCESS.flink_key, 0)
            if m.has(JM_OFF_HEAP):
                if heap + m.size(JM_OFF_HEAP, 0) != total:
                    raise _MemoryError("heap + off-heap memory differ from the total Flink memory")
            else:  # the off-heap memory is what the total leaves
                _subtract(total, heap, "the heap exceeds the total Flink memory")
            return total

        _process_spec(m, JM_PROCESS, (JM_HEAP,), explicit_internal, from_flink)
    except _MemoryError as err:
        return str(err)
    return None


def taskmanager_memory_problem(conf: Mapping[str, str]) -> str | None:
    """``TaskExecutorProcessUtils.processSpecFromConfig`` succeeds: None, else what Flink objects to."""
    m = _Memory(conf)
    try:
        fixed = sum(m.size(k, d) for k, d in TM_FIXED)

        def network_check(network: int) -> None:
            low, high, _ = m.range(TM_NETWORK_RANGE)
            if not low <= network <= high:
                raise _MemoryError(f"the derived network memory ({network} bytes) is not in its configured range")

        def total_flink_check(total: int) -> None:
            if m.has(TM_PROCESS.flink_key) and m.size(TM_PROCESS.flink_key, 0) != total:
                raise _MemoryError("the derived total Flink memory differs from the configured one")

        def explicit_internal() -> int:
            without_network = fixed + m.size(TM_TASK_HEAP, 0) + m.size(TM_MANAGED, 0)
            if m.has(TM_PROCESS.flink_key):
                total = m.size(TM_PROCESS.flink_key, 0)
                network = _subtract(total, without_network, "the configured memory exceeds the total Flink memory")
                network_check(network)
            else:
                network = _with_inverse_fraction(without_network, m.range(TM_NETWORK_RANGE))
            total_flink_check(without_network + network)
            return without_network + network

        def from_flink(total: int) -> None:
            managed = m.size(TM_MANAGED, 0) if m.has(TM_MANAGED) else _with_fraction(total, m.range(TM_MANAGED_RANGE))
            if m.has(TM_TASK_HEAP):
                network = _subtract(total, fixed + m.size(TM_TASK_HEAP, 0) + managed,
                                    "the configured memory exceeds the total Flink memory")
                network_check(network)
            else:
                network = _with_fraction(total, m.range(TM_NETWORK_RANGE))
                _subtract(total, fixed + managed + network, "the configured memory exceeds the total Flink memory")
            total_flink_check(total)

        _process_spec(m, TM_PROCESS, (TM_TASK_HEAP, TM_MANAGED), explicit_internal, from_flink)
    except _MemoryError as err:
        return str(err)
    return None


@dataclass(frozen=True)
class AutoscalerRange:
    """One ``AutoscalerValidator.validateNumber`` check: the option, its legacy key, its bounds (None = open)."""

    option: ConfigKey
    low: float | str | None  # a str names another option whose value is the bound
    high: float | str | None


def _autoscaler(key: str, default: str | None = None, deprecated: tuple[str, ...] = (),
                fallback: tuple[str, ...] = ()) -> ConfigKey:
    """``job.autoscaler.<key>``, then its deprecated keys, then the old ``kubernetes.operator.`` fallbacks."""
    return ConfigKey(f"job.autoscaler.{key}",
                     (*deprecated, f"kubernetes.operator.job.autoscaler.{key}", *fallback), default)


AUTOSCALER_ENABLED = _autoscaler("enabled", "false")
AUTOSCALER_UTILIZATION_TARGET = _autoscaler("utilization.target", "0.7", ("job.autoscaler.target.utilization",),
                                            ("kubernetes.operator.job.autoscaler.target.utilization",))
AUTOSCALER_EXCLUDED_PERIODS = _autoscaler("excluded.periods")
#: ``validateAutoscalerOptions`` in order; ``"target"`` means the value of ``utilization.target``.
AUTOSCALER_RANGES = (
    AutoscalerRange(_autoscaler("scale-down.max-factor", "0.6"), 0.0, None),
    AutoscalerRange(_autoscaler("scale-up.max-factor", "100000.0"), 0.0, None),
    AutoscalerRange(AUTOSCALER_UTILIZATION_TARGET, 0.0, 1.0),
    AutoscalerRange(_autoscaler("target.utilization.boundary", "0.3"), 0.0, None),
    AutoscalerRange(_autoscaler("utilization.max"), "target", 1.0),
    AutoscalerRange(_autoscaler("utilization.min"), 0.0, "target"),
    AutoscalerRange(_autoscaler("observed-scalability.coefficient-min", "0.5"), 0.01, 1.0),
)

#: Schemes ``validateJarURI`` checks hosts for, and the address classes it refuses (``InetAddress.is*``).
JAR_URI_HOST_CHECKED_SCHEMES = ("http", "https")


_URI_ILLEGAL = re.compile(r"[\s\"<>\\^`{|}]")
_URI_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_URI_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def restricted_host_problem(host: str, resolve: bool) -> str | None:
    """``InetAddress.getByName(host)`` is loopback, link-local, site-local, wildcard or multicast."""
    name = host.strip("[]")
    try:
        addrs = [ipaddress.ip_address(name)]
    except ValueError:
        lowered = name.lower().rstrip(".")  # "localhost." is the same name, fully qualified
        if lowered == "localhost" or lowered.endswith(".localhost"):
            return f"host {host!r} is loopback"
        if not resolve:
            return None
        try:
            addrs = [ipaddress.ip_address(i[4][0]) for i in socket.getaddrinfo(name, None)[:1]]
        except (OSError, UnicodeError):
            return f"host {host!r} cannot be resolved"
    for a in addrs:
        if a.version == 6 and a.ipv4_mapped:
            a = a.ipv4_mapped  # InetAddress reads ::ffff:a.b.c.d as the IPv4 address a.b.c.d
        site_local = a.version == 4 and any(a in ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
        site_local = site_local or (a.version == 6 and a in ipaddress.ip_network("fec0::/10"))
        if a.is_loopback or a.is_link_local or site_local or a.is_unspecified or a.is_multicast:
            return f"host {host!r} is a restricted address ({a})"
    return None


_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
_HOSTNAME = re.compile(r"([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?\.?")


def uri_host(rest: str) -> str | None:
    """``java.net.URI.getHost()`` of the part after ``scheme:``: the host of a server-based authority
    (``//[userinfo@]host[:digits]``), None when the authority is missing or not server-based (e.g. a port that is
    not a number), as java.net.URI then falls back to a registry-based authority without a host."""
    if not rest.startswith("//"):
        return None
    authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    hostport = authority.rsplit("@", 1)[-1]
    if hostport.startswith("["):
        host, _, port = hostport.partition("]")
        host += "]"
        port = port[1:] if port.startswith(":") else ("" if not port else "x")
    else:
        host, _, port = hostport.partition(":")
    if port and not port.isdigit():
        return None
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1].split("%")[0])
        except ValueError:
            return None
        return host
    m = _IPV4.fullmatch(host)
    if m:
        return host if all(int(g) <= 255 for g in m.groups()) else None
    return host if _HOSTNAME.fullmatch(host) else None


def jar_uri_problem(uri: str, allowed: list[str], disallow_restricted: bool, resolve: bool) -> str | None:
    """``DefaultValidator.validateJarURI``."""
    if _URI_ILLEGAL.search(uri) or uri == "":
        return f"jarURI {uri!r} is not a valid URI (empty or illegal character)"
    if _URI_BAD_ESCAPE.search(uri):
        return f"jarURI {uri!r} is not a valid URI (a '%' not followed by two hex digits)"
    m = _URI_SCHEME.match(uri)
    if not m:
        return f"jarURI {uri!r} has no scheme"
    scheme = m.group(1).lower()
    allowed_l = sorted({s.lower() for s in allowed})
    if scheme not in allowed_l:
        return f"jarURI scheme {m.group(1)!r} is not in the operator's allow-list {allowed_l}"
    if scheme in JAR_URI_HOST_CHECKED_SCHEMES and disallow_restricted:
        host = uri_host(uri[len(m.group(0)):])
        if not host:
            return f"jarURI {uri!r} has no host"
        return restricted_host_problem(host, resolve)
    return None


#: Resources with this label set to "true" (any case) are the operator's health canaries: the webhook
#: (``FlinkValidator``) and the controllers skip them (``CanaryResourceManager.isCanaryResource``).
CANARY_LABEL = "flink.apache.org/canary"

#: Snapshot job reference kinds (CRD enum).
SNAPSHOT_JOB_REFERENCE_KINDS = ("FlinkDeployment", "FlinkSessionJob")


# --------------------------------------------------------------------------------------------------------------
# Value conversions as the operator performs them.


def config_string(value: Any) -> str:
    """A ``flinkConfiguration`` value as Flink sees it (``asFlatMap`` + ``toString``): JSON numbers that are whole
    become integers (the Analyzer carries every number as a double), booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        # ConfigObjectNode.asFlatMap: an array becomes its items joined with ';' (the Analyzer hands the pack a
        # list proxy, not a list)
        return ";".join(config_string(v) for v in value)
    return str(value)


def flatten_config(conf: Mapping[str, Any] | None, prefix: str = "") -> dict[str, str]:
    """``flinkConfiguration`` (nested YAML allowed since FLINK-37406) as Flink's flat ``key → string`` map."""
    out: dict[str, str] = {}
    for key, value in (conf or {}).items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_config(value, full + "."))
        elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and not value:
            continue  # asFlatMap puts nothing for an empty array
        elif value is not None:
            out[full] = config_string(value)
    return out


def parse_bool(value: str | None) -> bool:
    """Flink's boolean parsing (``true``/``false``, case-insensitive); anything else counts as false here."""
    return (value or "").strip().lower() == "true"


def boolean_problem(option: ConfigKey, conf: Mapping[str, str]) -> tuple[str, str] | None:
    """``(key, value)`` when ``option`` is set to something Flink's ``Configuration.get`` cannot read as a boolean
    (only ``true``/``false`` in any case): the validator then throws and the operator rejects the resource."""
    found = option.lookup(conf)
    if found and found[1].strip().lower() not in ("true", "false"):
        return found
    return None


#: ``ConfigConstants.DEFAULT_RECOVERY_MODE``: the old name of "no high availability".
HA_LEGACY_NONE = "standalone"


def ha_enabled(conf: Mapping[str, str]) -> bool:
    """``HighAvailabilityMode.isHighAvailabilityModeActivated``: ``fromConfig`` reads NONE for no value,
    ``standalone`` (any case) or ``NONE`` (any case, not trimmed); any other value is ZOOKEEPER, KUBERNETES or
    (not an enum name, even an empty string) a factory class, and all of those are active."""
    value = HA_TYPE.lookup(conf)
    if value is None:
        return False
    return not (value[1].lower() == HA_LEGACY_NONE or value[1].upper() == "NONE")


_MEMORY_UNITS = {
    "b": 1, "bytes": 1,
    "k": 1 << 10, "kb": 1 << 10, "kibibytes": 1 << 10,
    "m": 1 << 20, "mb": 1 << 20, "mebibytes": 1 << 20,
    "g": 1 << 30, "gb": 1 << 30, "gibibytes": 1 << 30,
    "t": 1 << 40, "tb": 1 << 40, "tebibytes": 1 << 40,
}
_FLINK_MEMORY = re.compile(r"\s*(\d+)\s*([a-zA-Z]*)\s*")
_QUANTITY = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?")
JAVA_LONG_MAX = (1 << 63) - 1


def flink_memory_size(text: str) -> int:
    """Flink ``MemorySize.parse``: digits, optional unit (b, k/kb, m/mb, g/gb, t/tb, long names; any case).

    Raises ValueError with what was wrong.
    """
    m = _FLINK_MEMORY.fullmatch(text)
    if not m:
        raise ValueError(f"{text!r} is not a Flink memory size (digits followed by an optional unit b/k/m/g/t)")
    number, unit = m.groups()
    factor = _MEMORY_UNITS.get(unit.lower()) if unit else 1
    if factor is None:
        raise ValueError(f"memory unit {unit!r} in {text!r} does not match any of {sorted(_MEMORY_UNITS)}")
    if int(number) > JAVA_LONG_MAX // factor:
        raise ValueError(f"memory size {text!r} overflows a Java long")
    return int(number) * factor


def kubernetes_quantity(text: str) -> Decimal:
    """fabric8 ``Quantity.parse`` + ``getAmountInBytes``: a number with an optional suffix or exponent, nothing
    else (a space is not a digit: ``10 Gi`` does not parse)."""
    m = _QUANTITY.fullmatch(text)
    if not m:
        raise ValueError(f"{text!r} is not a Kubernetes quantity (a number with an optional suffix such as Mi or G)")
    number, exponent, suffix = m.groups()
    try:
        amount = Decimal(number)
        if exponent:
            amount *= Decimal(10) ** int(exponent[1:])
    except (InvalidOperation, ValueError):
        raise ValueError(f"{text!r} is not a Kubernetes quantity") from None
    binary = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
    decimal = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
    if suffix in binary:
        amount *= Decimal(2) ** binary[suffix]
    elif suffix in decimal:
        amount *= Decimal(10) ** decimal[suffix]
    return amount


def resource_memory(text: str) -> int:
    """``FlinkConfigBuilder.parseResourceMemoryString`` then ``MemorySize.parse``: a Flink memory size, or else a
    Kubernetes quantity (``2Gi``; a trailing ``B`` dropped, upper-cased) whose byte count
    (``Quantity.getNumericalAmount()``, a BigDecimal) is printed and parsed again as a Flink memory size. That
    second parse fails whenever the BigDecimal prints a fraction or an exponent: a decimal point in the number
    (``1.5Gi`` → ``1610612736.0``), the ``E``/``Ei`` suffixes or an exponent ≥ 16 (fabric8 7.3.1 prints those in
    scientific notation), or more than a Java long."""
    try:
        return flink_memory_size(text)
    except ValueError:
        pass
    q = re.sub(r"\s", "", text).upper()
    if q.endswith("B"):
        q = q[:-1]
    if q.endswith("I"):
        q = q[:-1] + "i"
    try:
        amount = kubernetes_quantity(q)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a Flink memory size (e.g. 2048m) nor a Kubernetes quantity (e.g. 2Gi)"
        ) from None
    number, exponent, suffix = _QUANTITY.fullmatch(q).groups()
    if "." in number:
        raise ValueError(f"{text!r}: a decimal Kubernetes quantity becomes a fractional byte count Flink cannot parse")
    if suffix in ("E", "Ei") or (exponent and int(exponent[1:]) >= 16):
        # fabric8 7.3.1 prints these amounts in scientific notation (1Ei -> 1.152921504606847E+18)
        raise ValueError(f"{text!r}: the byte count is printed in scientific notation, which Flink cannot parse")
    if amount < 0 or amount != amount.to_integral_value() or amount > JAVA_LONG_MAX:
        raise ValueError(f"{text!r} is not a whole, non-negative byte count Flink can parse")
    return int(amount)


def autoscaler_number(text: str) -> float:
    """A double-typed autoscaler option as Flink's ``Configuration`` parses it."""
    return float(text.strip())


_DAILY_TIME = re.compile(r"(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?::(\d{1,3}))?)?")


def _daily_millis(text: str) -> int | None:
    m = _DAILY_TIME.fullmatch(text.strip())
    if not m:
        return None
    h, mi, s, ms = (int(g) if g else 0 for g in m.groups())
    if h > 23 or mi > 59 or s > 59 or ms > 999:
        return None
    return ((h * 60 + mi) * 60 + s) * 1000 + ms


def is_daily_expression(text: str) -> bool:
    """Quartz ``DailyCalendar(start, end)``: ``HH:MM[:SS[:mmm]]-HH:MM[:SS[:mmm]]`` with start before end."""
    parts = text.split("-")
    if len(parts) != 2:
        return False
    start, end = _daily_millis(parts[0]), _daily_millis(parts[1])
    return start is not None and end is not None and start < end


#: Quartz ``CronExpression`` fields: (lowest, highest value, names); seconds first, the year optional.
_CRON_FIELDS = (
    (0, 59, ()), (0, 59, ()), (0, 23, ()), (1, 31, ()),
    (1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
    (1, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")), (1970, 2099, ()),
)
_DOM, _DOW = 3, 5


_YEAR = 6


def _cron_number(text: str, field: int) -> int | None:
    low, high, names = _CRON_FIELDS[field]
    if text in names:
        return names.index(text) + 1
    if not text.isdigit():
        return None
    value = int(text)
    if field == _YEAR:
        return value  # Quartz does not bound the year
    return value if low <= value <= high else None


def _cron_value_ok(value: str, field: int) -> bool:
    """One comma-separated item of a Quartz field as ``CronExpression.storeExpressionVals`` reads it: ``*``, ``?``
    (day-of-month / day-of-week), ``n`` or ``a-b`` with an optional ``/step``; an item starting with ``L`` is read
    as 'last' in any field; ``nW`` (day-of-month), ``nL`` and ``n#k`` (day-of-week)."""
    if value == "?":
        return field in (_DOM, _DOW)
    if value.startswith("L"):
        offset = re.match(r"L-(\d+)", value) if field == _DOM else None
        return not offset or int(offset.group(1)) <= 30
    base, _, step = value.partition("/")
    if "/" in value:
        if not step.isdigit() or (field != _YEAR and int(step) > _CRON_FIELDS[field][1]) or base == "":
            return False
    if base == "*":
        return True
    if field == _DOM and base.endswith("W"):
        return not step and _cron_number(base[:-1], field) is not None
    if field == _DOW:
        if base.endswith("L"):
            return not step and _cron_number(base[:-1], field) is not None
        if "#" in base:
            day, _, nth = base.partition("#")
            return not step and _cron_number(day, field) is not None and nth in ("1", "2", "3", "4", "5")
    low, _, high = base.partition("-")
    start = _cron_number(low, field)
    if start is None:
        return False
    if not high and "-" not in base:
        return True
    end = _cron_number(high, field)
    # ranges wrap around (FRI-MON) except in the year
    return end is not None and (field != _YEAR or start <= end)


def is_cron_expression(text: str) -> bool:
    """Quartz ``new CronExpression(text)`` succeeds (a model of its parser, checked against Quartz itself by
    ``tests/policies/test_oracle.py``: upper-cased, at least 6 whitespace-separated fields, read up to the year,
    each a comma list of items within the field's range; exactly one of day-of-month and day-of-week holds
    ``?``)."""
    fields = text.upper().split()
    if len(fields) < 6:
        return False
    fields = fields[:7]  # Quartz stops reading after the year
    for i, value in enumerate(fields):
        if any(not _cron_value_ok(item, i) for item in value.split(",")):
            return False
    return ("?" in fields[_DOM]) != ("?" in fields[_DOW])


def excluded_period_problem(expression: str) -> str | None:
    """``CalendarUtils.validateExcludedExpression``: one daily or cron expression, or ``daily && cron``."""
    subs = expression.split("&&")
    if len(subs) > 2:
        return "more than one '&&'"
    kinds = []
    for sub in subs:
        sub = sub.strip()
        daily, cron = is_daily_expression(sub), is_cron_expression(sub)
        if not daily and not cron:
            return f"{sub!r} is neither a daily expression (HH:MM-HH:MM) nor a Quartz cron expression"
        kinds.append((daily, cron))
    if len(subs) == 2 and not (any(d for d, _ in kinds) and any(c for _, c in kinds)):
        return "two sub-expressions must be one daily expression && one cron expression"
    return None


# --- operator config values, typed as the operator parses them (issue 20) ------------------------------------------

#: Flink ``TimeUtils.parseDuration``: a long, optional whitespace, an optional unit label (lower-cased before the
#: lookup; no unit means milliseconds). Labels per ``TimeUtils.TimeUnit``: singular-only ``d h min m s ms us µs ns``,
#: and singular or plural ``day hour minute sec second milli millisecond micro microsecond nano nanosecond``.
_DURATION_UNITS = ("d", "h", "min", "m", "s", "ms", "us", "µs", "ns") + tuple(
    label + plural for label in ("day", "hour", "minute", "sec", "second", "milli", "millisecond", "micro",
                                 "microsecond", "nano", "nanosecond") for plural in ("", "s"))
FLINK_DURATION = re.compile(r"\s*(\d+)\s*([^\s\d]*)\s*")
#: Memory-size options (``MemorySize``) among the keys the platform reads.
MEMORY_SIZE_KEYS = tuple(k for keys in JM_MEMORY_KEYS + TM_MEMORY_KEYS for k in keys)
_JAVA_INT = (-(1 << 31), (1 << 31) - 1)


def flink_duration_problem(text: str) -> str | None:
    m = FLINK_DURATION.fullmatch(text)
    if not m:
        return "is not a Flink duration (a whole number and a unit, e.g. '30 s', '5 min', '1 h', '500 ms')"
    number, unit = m.groups()
    if unit and unit.lower() not in _DURATION_UNITS:
        return f"has the unit {unit!r}, which Flink does not know (units: {', '.join(_DURATION_UNITS)})"
    if int(number) > JAVA_LONG_MAX:
        return "overflows a Java long"
    return None


def config_value_problem(key: str, value: Any, types: Mapping[str, str], enums: Mapping[str, tuple[str, ...]]) -> str | None:
    """Why the operator would not parse ``value`` for option ``key`` (None: it would, or the key is not typed here).

    ``types`` maps option keys to ``duration``/``boolean``/``int``/``double``/``string``/``map``/``stringList``/
    ``enum:<Class>`` (``upstream.OPERATOR_CONFIG_TYPES``); memory-size options are :data:`MEMORY_SIZE_KEYS`. A YAML
    scalar reaches the operator as text, so a number for a duration is read as milliseconds: refused here, say the
    unit."""
    kind = "memory" if key in MEMORY_SIZE_KEYS else types.get(key)
    if kind is None or kind in ("string", "map", "stringList"):
        return None if isinstance(value, (str, int, float, bool)) else "must be a scalar"
    if kind == "boolean":
        if isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false")):
            return None
        return "must be a boolean (true or false)"
    if isinstance(value, bool):
        return f"must be a {kind}, not a boolean"
    if kind == "int":
        try:
            number = int(value) if isinstance(value, (int, str)) else None
        except ValueError:
            number = None
        if number is None or not _JAVA_INT[0] <= number <= _JAVA_INT[1]:
            return "must be a whole number (a Java int)"
        return None
    if kind == "double":
        try:
            float(value)
        except ValueError:
            return "must be a number"
        return None
    if kind == "duration":
        if not isinstance(value, str):
            return "must be a Flink duration with its unit, e.g. '30 s' (a bare number would mean milliseconds)"
        return flink_duration_problem(value)
    if kind == "memory":
        try:
            flink_memory_size(str(value))
        except ValueError as err:
            return str(err)
        return None
    if kind.startswith("enum:"):
        allowed = enums[kind.removeprefix("enum:")]
        if not isinstance(value, str) or value.upper() not in allowed:
            return f"must be one of {', '.join(allowed)} (any case)"
        return None
    raise AssertionError(f"unknown option type {kind!r} of {key}")
