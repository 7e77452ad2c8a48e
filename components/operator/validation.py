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

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Sequence

from components.operator.upstream import FLINK_DEPLOYMENT_NAME_PATTERN, FLINK_VERSIONS_KNOWN, FLINK_VERSIONS_SUPPORTED

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
JAR_URI_ALLOWED_SCHEMES = ConfigKey("kubernetes.operator.user.artifacts.allowed-schemes", (), "https")
JAR_URI_DISALLOW_RESTRICTED_HOSTS = ConfigKey("kubernetes.operator.user.artifacts.disallow-restricted-hosts", (), "true")

#: ``ALLOWED_LOG_CONF_KEYS`` (``Constants.CONFIG_FILE_LOG4J_NAME`` / ``CONFIG_FILE_LOGBACK_NAME``).
ALLOWED_LOG_CONFIG_KEYS = ("log4j-console.properties", "logback-console.xml")

#: Upgrade modes (CRD enum) and the default when ``job.upgradeMode`` is unset.
UPGRADE_MODES = ("last-state", "savepoint", "stateless")
DEFAULT_UPGRADE_MODE = "stateless"

#: The spec fields the operator reads into Java enums and integers (``JobSpec``, ``AbstractFlinkSpec``,
#: ``FlinkDeploymentSpec``, ``JobManagerSpec``, ``TaskManagerSpec``): a value Jackson cannot convert (an enum
#: name in another case, a string that is not a whole number) makes the operator throw, so it refuses the resource.
JOB_ENUM_FIELDS = {"upgradeMode": UPGRADE_MODES, "state": ("running", "suspended")}
DEPLOYMENT_MODES = ("native", "standalone")
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


#: Flink 1.20 memory-model defaults the derivation uses (JobManagerOptions / TaskManagerOptions), in MiB.
MIB = 1 << 20
JVM_METASPACE = 256 * MIB
JVM_OVERHEAD_MIN, JVM_OVERHEAD_MAX, JVM_OVERHEAD_FRACTION = 192 * MIB, 1024 * MIB, 0.1
JM_OFF_HEAP = 128 * MIB
TM_FRAMEWORK_HEAP = TM_FRAMEWORK_OFF_HEAP = 128 * MIB
TM_NETWORK_MIN, TM_NETWORK_MAX, TM_NETWORK_FRACTION = 64 * MIB, 1024 * MIB, 0.1
TM_MANAGED_FRACTION = 0.4


def _flink_from_process(process: int) -> int:
    overhead = min(max(process * JVM_OVERHEAD_FRACTION, JVM_OVERHEAD_MIN), JVM_OVERHEAD_MAX)
    return int(process - JVM_METASPACE - overhead)


def _sizes(conf: Mapping[str, str], keys: tuple[str, ...]) -> list[int] | None:
    """The keys' values as Flink memory sizes; None if one is missing; ValueError if one does not parse."""
    if not all(k in conf for k in keys):
        return None
    return [flink_memory_size(conf[k]) for k in keys]


def jobmanager_memory_problem(conf: Mapping[str, str]) -> str | None:
    """``JobManagerProcessUtils.processSpecFromConfigWithNewOptionToInterpretLegacyHeap``: can Flink derive the
    JobManager memory from ``conf``? Explicit heap first, then total Flink memory, then total process memory, with
    the default metaspace, overhead and off-heap sizes (a modelled subset of Flink's memory model)."""
    try:
        for keys in (JM_MEMORY_KEYS[2], JM_MEMORY_KEYS[3]):
            if _sizes(conf, keys) is not None:
                return None
        flink = _sizes(conf, JM_MEMORY_KEYS[1])
        if flink is None:
            process = _sizes(conf, JM_MEMORY_KEYS[0])
            if process is None:
                return "no JobManager memory size is configured"
            flink = [_flink_from_process(process[0])]
    except ValueError as err:
        return str(err)
    if flink[0] - JM_OFF_HEAP <= 0:
        return "the configured JobManager memory is too small for Flink's fixed overheads"
    return None


def taskmanager_memory_problem(conf: Mapping[str, str]) -> str | None:
    """``TaskExecutorProcessUtils.processSpecFromConfig``: heap + managed, else total Flink, else total process
    memory, with the default framework, network and managed shares (a modelled subset of Flink's memory model)."""
    try:
        if _sizes(conf, TM_MEMORY_KEYS[2]) is not None:
            return None
        flink = _sizes(conf, TM_MEMORY_KEYS[1])
        if flink is None:
            process = _sizes(conf, TM_MEMORY_KEYS[0])
            if process is None:
                return "no TaskManager memory size is configured"
            flink = [_flink_from_process(process[0])]
    except ValueError as err:
        return str(err)
    total = flink[0]
    network = min(max(total * TM_NETWORK_FRACTION, TM_NETWORK_MIN), TM_NETWORK_MAX)
    task_heap = total - TM_FRAMEWORK_HEAP - TM_FRAMEWORK_OFF_HEAP - network - total * TM_MANAGED_FRACTION
    if task_heap <= 0:
        return "the configured TaskManager memory is too small for Flink's framework, network and managed shares"
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
