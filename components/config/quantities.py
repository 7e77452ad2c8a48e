"""Kubernetes quantities and Flink memory sizes, parsed exactly (``Decimal``), each format defined once.

- Kubernetes ``resource.Quantity`` (``apimachinery/pkg/api/resource``): a signed decimal number with an optional
  suffix: binary ``Ki Mi Gi Ti Pi Ei``, decimal SI ``n u m k M G T P E`` or an exponent ``e3``/``E3``. ``"1.5Gi"``,
  ``"250m"``, ``"2"``, ``"1e3"``.
- Flink ``MemorySize`` (``flink-core``, ``MemorySize.parse``): an integer with an optional unit, all 1024-based:
  ``b``/``bytes``, ``k``/``kb``/``kibibytes``, ``m``/``mb``/``mebibytes``, ``g``/``gb``/``gibibytes``,
  ``t``/``tb``/``tebibytes``; case-insensitive, spaces between number and unit allowed. ``"2048m"`` is 2 GiB —
  not 2.048 bytes as the same text would be as a Kubernetes quantity. FlinkDeployment ``resource.memory`` uses this.

Pulumi-free: used by the config checks, the capacity table, and the policy pack.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1), "k": Decimal(10**3),
            "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12), "P": Decimal(10**15),
            "E": Decimal(10**18)}
_QUANTITY = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?")
QUANTITY_RULE = ("must be a Kubernetes quantity: a number with an optional suffix (binary Ki, Mi, Gi, Ti, Pi, Ei; "
                 "decimal n, u, m, k, M, G, T, P, E; or an exponent like e3), e.g. '500m', '2', '4Gi'")

_FLINK_UNITS = {
    1: ("b", "bytes"),
    2**10: ("k", "kb", "kibibytes"),
    2**20: ("m", "mb", "mebibytes"),
    2**30: ("g", "gb", "gibibytes"),
    2**40: ("t", "tb", "tebibytes"),
}
_FLINK_UNIT_FACTOR = {unit: factor for factor, units in _FLINK_UNITS.items() for unit in units}
_FLINK_MEMORY = re.compile(r"\s*(\d+)\s*([A-Za-z]*)\s*")
#: The same rule as a regular expression for the JSON schema (units case-insensitive, as Flink reads them).
FLINK_MEMORY_PATTERN = r"\s*[0-9]+\s*(" + "|".join(
    "".join(f"[{c.lower()}{c.upper()}]" for c in unit)
    for units in sorted(_FLINK_UNITS.values(), key=lambda u: -len(u[-1])) for unit in sorted(units, key=len, reverse=True)
) + r")?\s*"
FLINK_MEMORY_RULE = ("must be a Flink memory size: a whole number with an optional unit b, k/kb, m/mb, g/gb or t/tb "
                     "(1024-based), e.g. '2048m' or '2g'")


class QuantityError(ValueError):
    """A value is not a valid quantity or memory size; the message says what is allowed."""


def parse_quantity(value: str | int | float) -> Decimal:
    """The value of a Kubernetes quantity (cores for CPU, bytes for memory), exactly."""
    if isinstance(value, bool):
        raise QuantityError(QUANTITY_RULE)
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    match = _QUANTITY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise QuantityError(QUANTITY_RULE)
    number, suffix = Decimal(match.group(1)), match.group(2) or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    try:
        return number.scaleb(int(suffix[1:]))
    except (InvalidOperation, ValueError):  # pragma: no cover - the regex admits only integers here
        raise QuantityError(QUANTITY_RULE) from None


def parse_flink_memory(value: str | int) -> int:
    """Bytes of a Flink ``MemorySize`` (``"2048m"`` → 2147483648)."""
    if isinstance(value, bool):
        raise QuantityError(FLINK_MEMORY_RULE)
    if isinstance(value, int):
        return value
    match = _FLINK_MEMORY.fullmatch(value) if isinstance(value, str) else None
    if match is None or match.group(2).lower() not in (_FLINK_UNIT_FACTOR | {"": 1}):
        raise QuantityError(FLINK_MEMORY_RULE)
    return int(match.group(1)) * (_FLINK_UNIT_FACTOR.get(match.group(2).lower()) or 1)


def format_cpu(cores: Decimal) -> str:
    """Cores as a short quantity: whole cores as '2', else millicores '1500m'."""
    milli = int((cores * 1000).to_integral_value())
    if milli % 1000 == 0:
        return str(milli // 1000)
    if abs(milli) < 1000:
        return f"{milli}m"
    return f"{Decimal(milli) / 1000:f}".rstrip("0")


def format_memory(size: Decimal | int) -> str:
    """Bytes as the largest exact binary unit, else MiB with one decimal ('3Gi', '1536Mi', '1.5Mi')."""
    size = Decimal(size)
    for unit in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        factor = _BINARY[unit]
        if size >= factor and size % factor == 0:
            return f"{int(size // factor)}{unit}"
    for unit in ("Ti", "Gi", "Mi"):
        if size >= _BINARY[unit]:
            return f"{(size / _BINARY[unit]).quantize(Decimal('0.1'))}{unit}"
    return str(int(size))


def canonical_cpu(cores: Decimal | float | int | str) -> str:
    """CPU as the API server writes it back (``0.5`` → ``500m``, ``2.0`` → ``2``), so the live object equals the
    declared one and no refresh sees drift."""
    value = parse_quantity(cores) if isinstance(cores, str) else Decimal(str(cores))
    milli = int((value * 1000).to_integral_value())
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"
