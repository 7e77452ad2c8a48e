"""The policy gate: run the policy pack over a stack's resources through the real Analyzer protocol.

Usage::

    python -m tools.policy_check --stack dev                       # plan the stack, then judge it
    python -m tools.policy_check --stack prod --resources build/prod/resources.json
    python -m tools.policy_check --stack dev --config policies/config/prod.json

What the Pulumi CLI does for ``pulumi preview --policy-pack policies --policy-pack-config FILE``, without the CLI:

1. start the pack as the CLI's python analyzer shim does: ``python -u -m pulumi.policy <engine-address> <pack dir>``
   with the interpreter of the pack's own virtualenv (``runtime.options.virtualenv`` in PulumiPolicy.yaml, created
   from ``policies/requirements.txt`` when missing, as the CLI does), cwd = the pack dir, and read the port it
   prints;
2. ``GetAnalyzerInfo``; validate the policy config file against the pack (policy names, enforcement levels, each
   policy's config schema) and refuse a bad one with the path, value and what is allowed;
3. ``Configure`` (every policy's level and properties) and ``ConfigureStack``;
4. ``Analyze`` once per resource (its inputs), then ``AnalyzeStack`` with every resource (custom resources'
   state = their inputs in the offline plan, components' registered outputs);
5. print the diagnostics grouped by resource; exit 1 if any is mandatory, 0 otherwise, 2 on a usage/config error.

``--config`` defaults to ``policies/config/<stack>.json`` when that file exists, otherwise the pack's defaults
(every policy advisory). The pack process is always stopped, also on errors.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import selectors
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import grpc
import jsonschema
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi.runtime.proto import analyzer_pb2_grpc

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACK_DIR = PROJECT_ROOT / "policies"
CONFIG_DIR = PACK_DIR / "config"
PROJECT = "flink-platform"
LEVELS = {"advisory": pb.ADVISORY, "mandatory": pb.MANDATORY, "remediate": pb.REMEDIATE, "disabled": pb.DISABLED}
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
START_TIMEOUT_S = 60.0
RPC_TIMEOUT_S = 120.0
#: Address handed to the pack as the engine's (pulumi.policy parses it; the pack never calls it).
ENGINE_ADDRESS = "127.0.0.1:0"


class PolicyCheckError(Exception):
    """The gate could not run (pack would not start, bad policy config, unreadable resources file)."""


# ---------------------------------------------------------------------------------------------------------------
# The pack's virtualenv and process


def pack_python(pack_dir: Path = PACK_DIR) -> Path:
    """The pack's interpreter: ``<pack>/<runtime.options.virtualenv>/bin/python``; created when missing or when
    ``requirements.txt`` changed since it was made (as the CLI installs a pack's dependencies)."""
    project = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text(encoding="utf-8")) or {}
    runtime = project.get("runtime")
    venv_name = runtime.get("options", {}).get("virtualenv") if isinstance(runtime, dict) else None
    if not venv_name:
        raise PolicyCheckError(f"{pack_dir / 'PulumiPolicy.yaml'}: runtime.options.virtualenv is not set")
    venv = pack_dir / venv_name
    python = venv / "bin" / "python"
    requirements = pack_dir / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = venv / ".requirements.sha256"
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return python
    print(f"policy_check: creating the policy pack's virtualenv {venv} from {requirements}", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, text=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)], check=True,
                       capture_output=True, text=True)
    except subprocess.CalledProcessError as err:
        raise PolicyCheckError(
            f"could not create the policy pack virtualenv {venv}: {' '.join(err.cmd)} failed:\n{err.stderr}"
        ) from None
    stamp.write_text(digest + "\n")
    return python


class AnalyzerProcess:
    """The pack running as an analyzer plugin; a context manager that always stops it."""

    def __init__(self, pack_dir: Path = PACK_DIR, *, stack: str = "dev", dry_run: bool = True,
                 python: Path | None = None, args: Sequence[str] = ()):
        self.pack_dir = Path(pack_dir)
        self.stack = stack
        self.dry_run = dry_run
        self.python = python
        self.extra_args = list(args)
        self.proc: subprocess.Popen | None = None
        self.channel: grpc.Channel | None = None
        self.stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self.port: int | None = None

    def __enter__(self) -> "AnalyzerProcess":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        python = self.python or pack_python(self.pack_dir)
        env = {**os.environ, "PULUMI_PROJECT": PROJECT, "PULUMI_STACK": self.stack,
               "PULUMI_DRY_RUN": "true" if self.dry_run else "false", "PULUMI_CONFIG": "{}"}
        env.pop("PYTHONPATH", None)
        self.proc = subprocess.Popen(
            [str(python), "-u", "-m", "pulumi.policy", ENGINE_ADDRESS, str(self.pack_dir), *self.extra_args],
            cwd=self.pack_dir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            self.port = self._read_port()
            self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}",
                                                 options=[("grpc.max_receive_message_length", 400 * 1024 * 1024),
                                                          ("grpc.max_send_message_length", 400 * 1024 * 1024)])
            grpc.channel_ready_future(self.channel).result(timeout=START_TIMEOUT_S)
            self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        except BaseException:
            self.stop()
            raise

    def _read_port(self) -> int:
        assert self.proc is not None and self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_TIMEOUT_S
        line = b""
        try:
            while not line.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(timeout=left):
                    raise PolicyCheckError(f"the policy pack did not print its port within {START_TIMEOUT_S:.0f}s")
                chunk = os.read(self.proc.stdout.fileno(), 64)
                if not chunk:
                    err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                    self.proc.wait(timeout=10)
                    raise PolicyCheckError(
                        f"the policy pack exited with status {self.proc.returncode} before it started:\n{err.strip()}"
                    )
                line += chunk
        finally:
            sel.close()
        try:
            return int(line.strip())
        except ValueError:
            raise PolicyCheckError(f"the policy pack printed {line!r} instead of its port") from None

    def stop(self) -> None:
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()

    # --- RPCs --------------------------------------------------------------------------------------------------

    def info(self) -> pb.AnalyzerInfo:
        return self.stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=RPC_TIMEOUT_S)

    def configure(self, policy_config: Mapping[str, tuple[int, Mapping[str, Any]]], *, project: str = PROJECT) -> None:
        request = pb.ConfigureAnalyzerRequest()
        for name, (level, props) in policy_config.items():
            pc = request.policyConfig[name]
            pc.enforcementLevel = level
            if props:
                pc.properties.update(dict(props))
        self.stub.Configure(request, timeout=RPC_TIMEOUT_S)
        self.stub.ConfigureStack(pb.AnalyzerStackConfigureRequest(stack=self.stack, project=project,
                                                                  organization="organization", dry_run=self.dry_run),
                                 timeout=RPC_TIMEOUT_S)

    def analyze(self, resource: Mapping[str, Any]) -> pb.AnalyzeResponse:
        return self.stub.Analyze(analyze_request(resource), timeout=RPC_TIMEOUT_S)

    def analyze_stack(self, resources: Sequence[Mapping[str, Any]]) -> pb.AnalyzeResponse:
        request = pb.AnalyzeStackRequest(resources=[analyzer_resource(r) for r in resources])
        return self.stub.AnalyzeStack(request, timeout=RPC_TIMEOUT_S)


# ---------------------------------------------------------------------------------------------------------------
# Requests from plan records (resources.json entries)


def _struct(value: Mapping[str, Any] | None) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    if value:
        s.update(dict(value))
    return s


def _options(r: Mapping[str, Any]) -> pb.AnalyzerResourceOptions:
    o = r.get("options") or {}
    return pb.AnalyzerResourceOptions(
        protect=bool(o.get("protect")), ignoreChanges=list(o.get("ignoreChanges") or []),
        deleteBeforeReplace=bool(o.get("deleteBeforeReplace")),
        deleteBeforeReplaceDefined="deleteBeforeReplace" in o,
        additionalSecretOutputs=list(o.get("additionalSecretOutputs") or []),
        parent=r.get("parent") or "",
    )


def _provider(r: Mapping[str, Any]) -> pb.AnalyzerProviderResource | None:
    """The provider reference ``<provider URN>::<provider ID>`` as the engine describes it to the analyzer."""
    ref = r.get("provider") or ""
    if "::" not in ref:
        return None
    urn = ref.rsplit("::", 1)[0]
    parts = urn.split("::")
    typ = parts[2].rsplit("$", 1)[-1] if len(parts) > 3 else ""
    return pb.AnalyzerProviderResource(type=typ, urn=urn, name=parts[-1])


def analyze_request(r: Mapping[str, Any]) -> pb.AnalyzeRequest:
    request = pb.AnalyzeRequest(type=r["type"], properties=_struct(r.get("inputs")), urn=r["urn"], name=r["name"],
                                options=_options(r))
    provider = _provider(r)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def analyzer_resource(r: Mapping[str, Any]) -> pb.AnalyzerResource:
    state = r.get("inputs") if r.get("custom", True) else (r.get("outputs") or {})
    res = pb.AnalyzerResource(type=r["type"], properties=_struct(state), urn=r["urn"], name=r["name"],
                              options=_options(r), parent=r.get("parent") or "",
                              dependencies=list(r.get("dependencies") or []))
    for key, urns in (r.get("propertyDependencies") or {}).items():
        res.propertyDependencies[key].urns.extend(urns)
    provider = _provider(r)
    if provider is not None:
        res.provider.CopyFrom(provider)
    return res


# ---------------------------------------------------------------------------------------------------------------
# Policy config (the --policy-pack-config file format)


def load_config_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise PolicyCheckError(f"cannot read policy config {path}: {err.strerror or err}") from None
    except json.JSONDecodeError as err:
        raise PolicyCheckError(f"policy config {path} is not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise PolicyCheckError(f"policy config {path}: the top level must be an object of policy name → config, "
                               f"found {type(data).__name__}")
    return data


def _level(value: Any, where: str) -> int:
    if not isinstance(value, str) or value not in LEVELS:
        raise PolicyCheckError(f"{where}: enforcement level {value!r} is not one of {sorted(LEVELS)}")
    return LEVELS[value]


def resolve_config(info: pb.AnalyzerInfo, config: Mapping[str, Any], source: str = "policy config"
                   ) -> dict[str, tuple[int, dict[str, Any]]]:
    """Every policy's (level, properties) from a config file; unknown names, bad levels and properties that do not
    match a policy's config schema are refused, each error naming the policy, the property, the value found and
    what is allowed."""
    policies = {p.name: p for p in info.policies}
    default_level = None
    if "all" in config:
        default_level = _level(config["all"], f"{source}: 'all'")
    unknown = sorted(set(config) - set(policies) - {"all"})
    if unknown:
        raise PolicyCheckError(f"{source}: unknown polic{'y' if len(unknown) == 1 else 'ies'} {unknown}; the pack "
                               f"has {sorted(policies)}")
    resolved: dict[str, tuple[int, dict[str, Any]]] = {}
    problems: list[str] = []
    for name, policy in policies.items():
        level = default_level if default_level is not None else policy.enforcementLevel
        props: dict[str, Any] = {}
        entry = config.get(name)
        if isinstance(entry, str):
            level = _level(entry, f"{source}: {name!r}")
        elif isinstance(entry, dict):
            if "enforcementLevel" in entry:
                level = _level(entry["enforcementLevel"], f"{source}: {name}.enforcementLevel")
            props = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        elif entry is not None:
            raise PolicyCheckError(f"{source}: {name!r} must be an enforcement level or an object, found {entry!r}")
        schema = json_format.MessageToDict(policy.configSchema) if policy.HasField("configSchema") else {}
        allowed = schema.get("properties", {})
        for key in props:
            if key not in allowed:
                problems.append(f"{name}.{key}: unknown property (found {props[key]!r}); "
                                f"{name} accepts {sorted(allowed) or 'no properties'}")
        for err in jsonschema.Draft7Validator({"type": "object", **schema}).iter_errors(props):
            path = ".".join(str(p) for p in err.absolute_path)
            problems.append(f"{name}.{path or '<config>'}: {err.instance!r} is invalid: {err.message}")
        resolved[name] = (level, props)
    if problems:
        raise PolicyCheckError(f"{source} is invalid:\n" + "\n".join(f"  - {p}" for p in problems))
    return resolved


def default_config_path(stack: str) -> Path | None:
    path = CONFIG_DIR / f"{stack}.json"
    return path if path.exists() else None


# ---------------------------------------------------------------------------------------------------------------
# Running the gate


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    urn: str
    message: str


@dataclass
class Report:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    resources: int = 0

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "mandatory"]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level != "mandatory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory

    def render(self) -> str:
        by_urn: dict[str, list[Diagnostic]] = defaultdict(list)
        for d in self.diagnostics:
            by_urn[d.urn or "<stack>"].append(d)
        lines = []
        for urn in sorted(by_urn):
            lines.append(urn)
            for d in sorted(by_urn[urn], key=lambda d: (d.level != "mandatory", d.policy, d.message)):
                body = d.message.split("\n", 1)[-1].replace("\n", "\n      ")
                lines.append(f"  [{d.level}] {d.policy}: {body}")
        lines.append(f"policies: {self.resources} resources, {len(self.mandatory)} mandatory and "
                     f"{len(self.advisory)} advisory violation(s)")
        return "\n".join(lines)


def _diagnostics(response: pb.AnalyzeResponse, default_urn: str) -> list[Diagnostic]:
    return [Diagnostic(d.policyName, LEVEL_NAMES.get(d.enforcementLevel, str(d.enforcementLevel)),
                       d.urn or default_urn, d.message) for d in response.diagnostics]


def analyze_all(analyzer: AnalyzerProcess, resources: Sequence[Mapping[str, Any]]) -> Report:
    report = Report(resources=len(resources))
    for r in resources:
        report.diagnostics += _diagnostics(analyzer.analyze(r), r["urn"])
    report.diagnostics += _diagnostics(analyzer.analyze_stack(resources), "")
    return report


def check_resources(resources: Sequence[Mapping[str, Any]], *, stack: str, config: Mapping[str, Any] | None,
                    config_source: str = "policy config", dry_run: bool = True) -> Report:
    """Start the pack, configure it with ``config`` (None = defaults), analyze ``resources``, stop the pack."""
    with AnalyzerProcess(stack=stack, dry_run=dry_run) as analyzer:
        analyzer.configure(resolve_config(analyzer.info(), config or {}, config_source))
        return analyze_all(analyzer, resources)


def check_stack_records(records: Iterable[Any], stack: str) -> Report:
    """The plan's seam: judge the plan's registrations with the stack's committed policy config."""
    path = default_config_path(stack)
    config = load_config_file(path) if path else None
    return check_resources([r.to_json() for r in records], stack=stack, config=config,
                           config_source=str(path or "defaults"))


def load_resources(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise PolicyCheckError(f"cannot read resources file {path}: {err.strerror or err}") from None
    except json.JSONDecodeError as err:
        raise PolicyCheckError(f"resources file {path} is not valid JSON: {err}") from None
    resources = data.get("resources") if isinstance(data, dict) else None
    if not isinstance(resources, list) or not all(isinstance(r, dict) and "type" in r and "urn" in r for r in resources):
        raise PolicyCheckError(f"resources file {path} has no 'resources' list of {{type, urn, name, inputs}} "
                               "(expected the plan's resources.json)")
    return resources


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.policy_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="stack name (stacks/Pulumi.<stack>.yaml)")
    parser.add_argument("--resources", type=Path, help="a plan's resources.json (default: plan the stack now)")
    parser.add_argument("--config", type=Path, help="policy config JSON (default: policies/config/<stack>.json)")
    args = parser.parse_args(argv)
    try:
        if args.resources:
            resources = load_resources(args.resources)
        else:
            from planning.mock_runtime import run_program
            from planning.stack_files import PlanError, read_stack_file, stack_file

            try:
                stack_config = read_stack_file(stack_file(args.stack))
            except PlanError as err:
                raise PolicyCheckError(f"--stack {args.stack}: {err}") from None
            run = run_program(args.stack, stack_config)
            resources = [r.to_json() for r in run.registrations]
        config_path = args.config or default_config_path(args.stack)
        config = load_config_file(config_path) if config_path else None
        report = check_resources(resources, stack=args.stack, config=config,
                                 config_source=str(config_path or "defaults"))
    except PolicyCheckError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # the program's own errors (pulumi.RunError: bad stack config, CRD source)
        import pulumi

        if not isinstance(err, pulumi.RunError):
            raise
        print(f"error: the stack could not be planned: {err}", file=sys.stderr)
        return 2
    print(report.render())
    print("POLICIES PASSED" if report.passed else "POLICIES FAILED")
    return 0 if report.passed else 1
