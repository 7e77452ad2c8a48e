"""Run the Pulumi program under Pulumi's mock runtime and record every resource registration.

Used by the offline plan (``planning.plan``), the benchmarks and the tests. What it records is what the engine would
receive: type, name, URN (computed the way the engine does, with the full parent type chain), parent,
dependencies, provider reference, options (protect, retain_on_delete, aliases, ignore_changes, …) and inputs.
``Mocks.new_resource`` returns the inputs as the state and invents nothing; secret values stay wrapped
(:data:`SECRET` in records), so nothing downstream can print them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime import stack as pulumi_stack
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop

from components.config.stack import PROJECT

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STACK_TYPE = "pulumi:pulumi:Stack"
#: How a secret value appears in records, manifests and reports.
SECRET = "[secret]"


@dataclass
class Registration:
    """One resource as the engine would have received it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    options: dict[str, Any]
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "dependencies": self.dependencies,
            "propertyDependencies": self.property_dependencies,
            "options": self.options,
            "inputs": self.inputs,
            "outputs": self.outputs,
        }


def _masked(value: Any) -> Any:
    """A secret value with its shape kept and every leaf replaced by :data:`SECRET` (a Secret's ``stringData``
    keeps its keys, which are names, so the manifest still validates; no value survives)."""
    if rpc.is_rpc_secret(value):
        value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith("__"))}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return SECRET


def _plain(value: Any) -> Any:
    """Deserialized RPC values → plain JSON data; secret leaves become :data:`SECRET`, unknowns ``None``."""
    if rpc.is_rpc_secret(value):
        return _masked(value)
    if value is rpc.UNKNOWN or value == rpc.UNKNOWN:
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith("__"))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        # Protobuf Structs carry every number as a double; Kubernetes integers must stay integers.
        return int(value)
    return value


def _options(request: Any) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "protect": bool(request.protect) if request.HasField("protect") else False,
        "retainOnDelete": bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False,
        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
        "ignoreChanges": sorted(request.ignoreChanges),
        "replaceOnChanges": sorted(request.replaceOnChanges),
        "additionalSecretOutputs": sorted(request.additionalSecretOutputs),
        "aliases": [json_format.MessageToDict(a) for a in request.aliases] + sorted(request.aliasURNs),
        "deletedWith": request.deletedWith or "",
        "customTimeouts": json_format.MessageToDict(request.customTimeouts) if request.HasField("customTimeouts") else {},
        "version": request.version or "",
    }
    return opts


class PlatformMocks(pulumi_mocks.Mocks):
    """State = inputs, nothing invented. Custom resources get their name as ID; no invoke is expected."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict]:
        return (args.name if args.custom else None, dict(args.inputs))

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict:
        raise NotImplementedError(f"the program called {args.token!r}; the offline plan has no answer for invokes")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that keeps each RegisterResource request (the engine's view) in order, with real URNs."""

    def __init__(self, mocks: pulumi_mocks.Mocks | None = None):
        super().__init__(mocks or PlatformMocks())
        self.registrations: list[Registration] = []
        self.by_urn: dict[str, Registration] = {}
        self.stack_outputs: dict[str, Any] = {}
        self._stack_urn = ""

    @property
    def stack_urn(self) -> str:
        """URN of the root ``pulumi:pulumi:Stack`` resource (empty until the runtime registered it)."""
        return self._stack_urn

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent and parent != self._stack_urn:
            type_ = parent.split("::")[2] + "$" + type_
        return "urn:pulumi:" + "::".join([settings.get_stack(), settings.get_project(), type_, name])

    def RegisterResource(self, request: Any) -> Any:
        if request.type == STACK_TYPE:
            self._stack_urn = "urn:pulumi:" + "::".join(
                [settings.get_stack(), settings.get_project(), STACK_TYPE, request.name]
            )
            return resource_pb2.RegisterResourceResponse(urn=self._stack_urn)
        response = super().RegisterResource(request)
        _ensure_event_loop()
        record = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent="" if request.parent == self._stack_urn else request.parent,
            provider=request.provider,
            dependencies=sorted(request.dependencies),
            property_dependencies={k: sorted(v.urns) for k, v in sorted(request.propertyDependencies.items())},
            options=_options(request),
            inputs=_plain(rpc.deserialize_properties(request.object, keep_unknowns=True)),
        )
        self.registrations.append(record)
        self.by_urn[record.urn] = record
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = _plain(rpc.deserialize_properties(request.outputs, keep_unknowns=True))
        if request.urn == self._stack_urn:
            # The root stack registers its outputs twice under mocks: empty when set_mocks creates it, then the
            # exports once run_program re-registers them. The two RPCs are asynchronous, so merge, never replace.
            self.stack_outputs.update(outputs)
        elif request.urn in self.by_urn:
            self.by_urn[request.urn].outputs = outputs
        return super().RegisterResourceOutputs(request)


def stack_config(config: dict[str, Any]) -> dict[str, str]:
    """A ``Pulumi.<stack>.yaml`` ``config:`` map as the engine hands it to the program (JSON for objects)."""
    out = {}
    for key, value in config.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        out[full] = value if isinstance(value, str) else json.dumps(value)
    return out


@contextlib.contextmanager
def mock_runtime(
    stack: str,
    config: dict[str, Any] | None = None,
    *,
    preview: bool = False,
    monitor: RecordingMonitor | None = None,
    secret_keys: list[str] | None = None,
) -> Iterator[RecordingMonitor]:
    """A fresh event loop, mock monitor and config for one program run; everything is reset afterwards."""
    loop = asyncio.new_event_loop()
    previous_loop = None
    with contextlib.suppress(RuntimeError):
        previous_loop = asyncio.get_event_loop_policy().get_event_loop()
    asyncio.set_event_loop(loop)
    monitor = monitor or RecordingMonitor()
    settings.reset_options()
    pulumi.runtime.set_all_config(stack_config(config or {}), list(secret_keys or []))
    pulumi.runtime.set_mocks(monitor.mocks, PROJECT, stack, preview=preview, monitor=monitor)
    try:
        yield monitor
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
        settings.reset_options()
        pulumi.runtime.set_all_config({}, [])
        asyncio.set_event_loop(previous_loop if previous_loop and not previous_loop.is_closed() else None)


def _register_stack_exports() -> None:
    """Send the program's ``pulumi.export`` values to the monitor as the root stack's outputs.

    Under mocks ``set_mocks`` creates the root Stack and registers its (then empty) outputs before the program
    runs, so exports made by the program never reach the monitor. The engine's entry point (``run_in_stack``)
    registers them after the program returns; this does the same, with the same ``massage`` conversion.
    """
    root = settings.get_root_resource()
    if isinstance(root, pulumi_stack.Stack) and root.outputs:
        root.register_outputs(pulumi_stack.massage(root.outputs, []))


def run_program(
    stack: str,
    config: dict[str, Any],
    *,
    program: Path = PROJECT_ROOT / "__main__.py",
    preview: bool = False,
    secret_keys: list[str] | None = None,
) -> RecordingMonitor:
    """Run ``program`` (the real ``__main__.py``) under mocks for ``stack`` and return the recording monitor.

    ``secret_keys``: config keys the engine would mark secret (set with ``--secret``), as under ``pulumi up``.
    Exceptions raised by the program (an invalid config, a CRD digest mismatch) propagate unchanged.
    """
    root = str(program.parent)
    added = root not in sys.path
    if added:
        sys.path.insert(0, root)
    try:
        with mock_runtime(stack, config, preview=preview, secret_keys=secret_keys) as monitor:

            @pulumi.runtime.test
            def _run() -> None:
                runpy.run_path(str(program), run_name="__main__")
                _register_stack_exports()

            _run()
            return monitor
    finally:
        if added:
            sys.path.remove(root)
