"""The whole stack config: every key in the project's config namespace, the default-provider guard, the workload
secrets the platform config references, and the one :class:`~components.config.models.ConfigError` that lists them all.

``components.config.models`` validates the ``flink-platform:platform`` object itself (fields, then the rules across fields);
this module reads it, with everything around it, from what the engine handed the program (``PULUMI_CONFIG`` under
``pulumi up``, the mock runtime's config in tests and the offline plan).
"""

from __future__ import annotations

import difflib
import json
import typing
from typing import Any

from components.config.models import (
    CONFIG_KEY,
    ConfigError,
    PlatformConfig,
    Problem,
    WebhookConfig,
    _show,
)
from components.config.rules import literal_credentials, load_platform_config
from components.workloads.config import SECRETS_CONFIG_KEY

#: The project's config namespace (``Pulumi.yaml`` name) and the provider guard every stack must carry.
PROJECT = "flink-platform"
DISABLE_DEFAULT_PROVIDERS_KEY = "pulumi:disable-default-providers"
GUARDED_PROVIDER = "kubernetes"
_GUARD_LINES = f"  {DISABLE_DEFAULT_PROVIDERS_KEY}:\n    - {GUARDED_PROVIDER}"


def known_project_keys(referenced: typing.Iterable[str] = ()) -> tuple[str, ...]:
    """Keys under ``flink-platform:`` that the program and its providers read: the platform, the REST credentials,
    and the secret keys the platform config names (``referenced``, e.g. each webhook's keystore password key)."""
    from components.providers.connection import CONFIG_KEYS as REST_CREDENTIAL_KEYS

    extra = sorted({f"{PROJECT}:{k}" for k in referenced})
    fixed = (f"{PROJECT}:{CONFIG_KEY}", *REST_CREDENTIAL_KEYS, SECRETS_CONFIG_KEY)
    return (*fixed, *(k for k in extra if k not in fixed))


def referenced_config_keys(raw: Any) -> set[str]:
    """Config keys (without namespace) a platform config names for its secrets, read from the raw value so that an
    otherwise invalid platform config still gets an exact unknown-key check. Unset: each field's default."""
    field = "keystorePasswordConfigKey"
    default = WebhookConfig.model_fields["keystore_password_config_key"].default
    keys: set[str] = {default}  # the program always knows its default key names, used or not

    def walk(node: Any, in_webhook: bool) -> None:
        if isinstance(node, dict):
            if in_webhook:
                keys.add(str(node.get(field) or default))
            for key, value in node.items():
                walk(value, key == "webhook")
        elif isinstance(node, list):
            for value in node:
                walk(value, False)

    walk(raw, False)
    return keys


def runtime_config() -> dict[str, Any]:
    """Every config key the engine handed to this program, with its raw value.

    Under ``pulumi up`` the language host passes the stack's config in ``PULUMI_CONFIG``; the mock runtime (tests,
    offline plan) sets it with ``pulumi.runtime.set_all_config``. Both are read, so this works under both.
    """
    from pulumi.runtime import config as runtime

    merged = dict(runtime.get_config_env())
    merged.update(runtime.CONFIG.get())
    return merged


def stack_config_problems(config: dict[str, Any], referenced: typing.Iterable[str] = ()) -> list[Problem]:
    """Problems with the stack's config keys outside the platform object: unknown project keys, missing guard."""
    problems: list[Problem] = []
    known = known_project_keys(referenced)
    for key in sorted(k for k in config if k.startswith(f"{PROJECT}:") and k not in known):
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(
            Problem(key, "an unknown config key", f"this program reads only {', '.join(known)}{hint}")
        )
    problems += rest_credential_problems(config)
    problems += plaintext_secret_problems(config, referenced)
    guard = config.get(DISABLE_DEFAULT_PROVIDERS_KEY)
    if isinstance(guard, str):
        try:
            guard = json.loads(guard)
        except ValueError:
            guard = [guard]
    if not (isinstance(guard, list) and ({GUARDED_PROVIDER, "*"} & {str(g) for g in guard})):
        found = "nothing" if guard is None else _show(guard)
        problems.append(
            Problem(
                DISABLE_DEFAULT_PROVIDERS_KEY,
                found,
                f"must list {GUARDED_PROVIDER!r}, so nothing is ever applied to the cluster the ambient kubeconfig "
                f"points at; add to the stack file under 'config:':\n{_GUARD_LINES}",
            )
        )
    return problems


def rest_credential_problems(config: dict[str, Any]) -> list[Problem]:
    """Stack REST credentials name the hosts they are for (else the providers send them nowhere)."""
    from components.providers import connection as C

    if not any(config.get(k) not in (None, "") for k in (C.CONFIG_REST_TOKEN, C.CONFIG_REST_PASSWORD)):
        return []
    raw = config.get(C.CONFIG_REST_CREDENTIAL_HOSTS)
    if C.parse_hosts(raw):
        return []
    return [Problem(C.CONFIG_REST_CREDENTIAL_HOSTS, "nothing" if raw is None else _show(raw),
                    "the stack sets REST credentials, so list the JobManager hosts they are for (e.g. "
                    "[flink.payments.acme.internal]); the providers send them to no other host")]


def plaintext_secret_problems(config: dict[str, Any], referenced: typing.Iterable[str] = ()) -> list[Problem]:
    """The stack's secret keys (REST token and password, job-id key, each webhook keystore password named in
    ``referenced``) hold Pulumi secure values, never plaintext written into the committed stack file."""
    from components.providers import connection as C

    keys = sorted({C.CONFIG_REST_TOKEN, C.CONFIG_REST_PASSWORD, C.CONFIG_JOB_ID_KEY,
                   *(f"{PROJECT}:{k}" for k in referenced)})
    return [
        Problem(key, "a plaintext value in the stack file",
                f"set it as a secret (`pulumi config set --secret {key.split(':', 1)[1]} VALUE`), so the stack file "
                "holds only ciphertext")
        for key in keys
        if config.get(key) not in (None, "") and not _is_secure(config[key]) and not _is_config_secret(key)
    ]


def _is_secure(value: Any) -> bool:
    """An encrypted stack-file entry (``{secure: <ciphertext>}``, also as the JSON string the offline plan passes)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return False
    return isinstance(value, dict) and set(value) == {"secure"}


def load_stack_config(config: dict[str, Any] | None = None) -> PlatformConfig:
    """The validated platform config from the whole stack config (default: what the engine handed the program).

    One :class:`ConfigError` lists every problem: unknown keys in the project's namespace, a missing
    default-provider guard, a missing ``flink-platform:platform`` and everything wrong inside it.
    """
    config = runtime_config() if config is None else config
    key = f"{PROJECT}:{CONFIG_KEY}"
    raw = config.get(key)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            pass
    problems = stack_config_problems(config, referenced_config_keys(raw))
    if raw is None:
        problems.append(Problem(key, "nothing", "this key is required: the whole platform config (see the README)"))
    else:
        try:
            platform = load_platform_config(raw)
        except ConfigError as err:
            problems += err.problems
        else:
            problems += workload_secret_problems(platform, config)
            problems += job_id_key_problems(platform, config)
            if not problems:
                return platform
    raise ConfigError(problems)


def workload_secret_problems(platform: PlatformConfig, config: dict[str, Any]) -> list[Problem]:
    """Every secret a workload references must be a key of ``flink-platform:workloadSecrets`` (values unread)."""
    from components.workloads.render import referenced_secrets

    raw = config.get(SECRETS_CONFIG_KEY)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    defined = sorted(raw) if isinstance(raw, dict) else []
    problems = []
    if isinstance(raw, dict) and raw and not _secure_leaves(raw) and not _is_config_secret(SECRETS_CONFIG_KEY):
        problems.append(Problem(
            SECRETS_CONFIG_KEY, "plaintext values",
            f"set each value as a secret (`pulumi config set --secret --path '{SECRETS_CONFIG_KEY.split(':')[1]}."
            "<name>' VALUE`), so the stack file holds only ciphertext"))
    return problems + [
        Problem(path, repr(key), f"must be a key of the secret config map {SECRETS_CONFIG_KEY} (set it with "
                f"`pulumi config set --secret --path '{SECRETS_CONFIG_KEY.split(':')[1]}.{key}' VALUE`); "
                f"defined: {', '.join(defined) or 'none'}")
        for path, key in referenced_secrets(platform.workloads)
        if key not in defined
    ]


def job_id_key_problems(platform: PlatformConfig, config: dict[str, Any]) -> list[Problem]:
    """A REST job whose ``flinkConfiguration`` holds a secret-looking literal needs the stack's job-id key: without
    it the job id carries a plain sha256 of the spec, against which that value can be guessed offline."""
    from components.providers.connection import CONFIG_JOB_ID_KEY

    if config.get(CONFIG_JOB_ID_KEY) not in (None, ""):
        return []
    problems = []
    for i, job in enumerate(platform.workloads.rest_jobs):
        for key, _ in literal_credentials(job.flink_configuration):
            problems.append(Problem(
                f"platform.workloads.restJobs[{i}].flinkConfiguration[{key!r}]", "a literal credential",
                f"the job id fingerprints the job spec: set the stack's key first (`pulumi config set --secret "
                f"{CONFIG_JOB_ID_KEY.split(':', 1)[1]} \"$(openssl rand -hex 32)\"`), so the id does not let "
                "anyone guess the value"))
    return problems


def _secure_leaves(raw: dict[str, Any]) -> bool:
    """Every value is an encrypted stack-file entry (``{secure: <ciphertext>}``), as the offline plan reads it."""
    return all(_is_secure(v) for v in raw.values())


def _is_config_secret(key: str) -> bool:
    from pulumi.runtime import config as runtime

    return runtime.is_config_secret(key)
