"""The FlinkJob resource's inputs and outputs: typed args, their validation model, and the job-spec fingerprint.

`FlinkJobArgs` is what a program passes (snake_case, values may be Outputs). `to_wire()` turns it into the
camelCase property bag the engine stores; `FlinkJobInputs` validates that bag in the resource constructor (known
values only) and in the provider's `check`. `JOB_SPEC_KEYS` are the inputs whose change needs a new Flink job;
every other input change is recorded without touching the job. `spec_hash` fingerprints the job spec; job ids
carry it (see job_ids), so a job can be recognised as running a given spec.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pydantic

from components.providers.connection import SECRET_INPUT_KEYS, ConnectionArgs, ConnectionInputs
from components.providers.inputs import wire_props
from components.providers.jar_source import SHA256_PATTERN, source_problem
from components.providers.secret_config import CONFIG_KEY, is_secret_key

UPGRADE_MODES = ("savepoint", "stateless")
ON_DELETE_ACTIONS = ("savepoint", "drain", "cancel")
#: What update/refresh do when the job is gone (not on the JobManager, or failed/cancelled there) and the
#: provider cannot prove that a savepoint holds its final state: fail naming the restore points (default), or
#: restore from the newest of them.
ON_MISSING_JOB = ("fail", "restoreLatest")
#: `lineageSeed`: set by the FlinkJob constructor from project, stack, parent and resource name (hex).
LINEAGE_SEED_PATTERN = re.compile(r"[0-9a-f]{16,64}")
#: Health gate default (maxCheckpointAgeS unset): the last completed checkpoint may be at most
#: max(CHECKPOINT_AGE_INTERVALS × the job's checkpoint interval, CHECKPOINT_AGE_FLOOR_S) old.
CHECKPOINT_AGE_INTERVALS = 3
CHECKPOINT_AGE_FLOOR_S = 60.0
#: Restores never take ownership of the savepoint (one of flink_rest.client.CLAIM_MODES), so the same savepoint stays
#: usable for a rollback after the new version failed.
RESTORE_CLAIM_MODE = "NO_CLAIM"
SAVEPOINT_HISTORY_LIMIT = 10

#: Inputs whose change needs a new Flink job (stop with savepoint, run the new version from it).
JOB_SPEC_KEYS = ("jarSha256", "entryClass", "args", "parallelism", "flinkConfiguration")
#: Computed outputs (never inputs).
#: `lastCheckpoint` was added after the first release: stored outputs without it are read as None.
OUTPUT_KEYS = ("jobId", "jarId", "state", "lastSavepoint", "savepointHistory", "lastUpgrade", "lastCheckpoint")


class Timeouts(pydantic.BaseModel):
    """Deadline of each wait, in seconds (Pulumi's customTimeouts do not reach dynamic providers)."""

    model_config = pydantic.ConfigDict(populate_by_name=True, extra="forbid", frozen=True)

    running_s: float = pydantic.Field(120.0, alias="runningS", gt=0, le=3600,
                                      description="job and all vertices RUNNING")
    savepoint_s: float = pydantic.Field(300.0, alias="savepointS", gt=0, le=7200,
                                        description="savepoint or stop-with-savepoint COMPLETED")
    checkpoint_s: float = pydantic.Field(180.0, alias="checkpointS", gt=0, le=7200,
                                         description="a completed checkpoint (health gate and after a restart)")


class FlinkJobInputs(ConnectionInputs):
    """Validated FlinkJob inputs (camelCase aliases are the wire keys)."""

    jar: str = pydantic.Field(description="local path or https:// URL of the job jar")
    jar_sha256: str = pydantic.Field(alias="jarSha256", description="sha256 of the jar, 64 lowercase hex")
    jar_ca_bundle: str | None = pydantic.Field(None, alias="jarCaBundle", description="CA bundle for an https jar")
    entry_class: str | None = pydantic.Field(None, alias="entryClass", min_length=1)
    args: list[str] = pydantic.Field(default_factory=list)
    parallelism: int | None = pydantic.Field(None, ge=1, le=32768)
    flink_configuration: dict[str, str] = pydantic.Field(default_factory=dict, alias="flinkConfiguration")
    savepoint_dir: str | None = pydantic.Field(None, alias="savepointDir", min_length=1,
                                               description="target directory; default: the cluster's")
    initial_savepoint: str | None = pydantic.Field(None, alias="initialSavepoint", min_length=1,
                                                   description="restore path for the first run only")
    upgrade_mode: Literal["savepoint", "stateless"] = pydantic.Field("savepoint", alias="upgradeMode")
    allow_non_restored_state: bool = pydantic.Field(False, alias="allowNonRestoredState")
    on_delete: Literal["savepoint", "drain", "cancel"] = pydantic.Field("savepoint", alias="onDelete")
    require_checkpoint: bool = pydantic.Field(True, alias="requireCheckpoint",
                                              description="health needs a completed checkpoint (savepoint mode)")
    max_checkpoint_age_s: float | None = pydantic.Field(
        None, alias="maxCheckpointAgeS", ge=0,
        description="oldest acceptable last checkpoint before a stop; unset: max(3 × interval, 60 s); 0: off")
    on_missing_job: Literal["fail", "restoreLatest"] = pydantic.Field(
        "fail", alias="onMissingJob", description="job gone: fail naming restore points, or restore the newest")
    lineage_seed: str | None = pydantic.Field(
        None, alias="lineageSeed", description="set by the FlinkJob constructor; derives job ids and jar names")
    timeouts: Timeouts = pydantic.Field(default_factory=Timeouts)

    @pydantic.field_validator("lineage_seed")
    @classmethod
    def _seed(cls, value: str | None) -> str | None:
        if value is not None and not LINEAGE_SEED_PATTERN.fullmatch(value):
            raise ValueError("must be 16 to 64 lowercase hex characters (the FlinkJob constructor sets it)")
        return value

    @pydantic.field_validator("jar")
    @classmethod
    def _jar(cls, value: str) -> str:
        problem = source_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @pydantic.field_validator("jar_sha256")
    @classmethod
    def _sha(cls, value: str) -> str:
        if not SHA256_PATTERN.fullmatch(value):
            raise ValueError("must be the jar's sha256 as 64 lowercase hex characters")
        return value

    @pydantic.field_validator("flink_configuration", mode="before")
    @classmethod
    def _config_values(cls, value: Any) -> Any:
        if isinstance(value, Mapping):  # numbers and booleans are accepted and sent as Flink strings
            return {k: (str(v).lower() if isinstance(v, bool) else
                        str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
                    for k, v in value.items()}
        return value

    def spec(self) -> dict[str, Any]:
        """The job-defining inputs (JOB_SPEC_KEYS) as plain data."""
        dumped = self.model_dump(by_alias=True, mode="json")
        return {k: dumped[k] for k in JOB_SPEC_KEYS}


def lineage_seed(project: str, stack: str, name: str, parent: str | None = None) -> str:
    """The `lineageSeed` of resource `name` in `project`/`stack` (32 hex): stable across runs of the program.

    `parent` ("<type>$<name>" of the parent resource, if any) keeps two FlinkJobs of the same name under different
    parents apart (Pulumi allows that when the parents' types differ).
    """
    where = f"{parent}/{name}" if parent else name
    return hashlib.sha256(f"flink-platform:FlinkJob:{project}/{stack}/{where}".encode()).hexdigest()[:32]


def spec_hash(spec: Mapping[str, Any], key: str | None = None) -> str:
    """Fingerprint (64 hex) of a job spec (JOB_SPEC_KEYS only), stable across key order and int/float spelling.

    With the stack's job-id key (``flink-platform:jobIdKey``) it is HMAC-SHA256 under that key, so a job id does not
    let anyone test guesses of a secret-looking `flinkConfiguration` value; without one, plain sha256 (the scheme
    of ids that existing stacks hold, see :func:`spec_fingerprints`).
    """
    def canon(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, Mapping):
            return {str(k): canon(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [canon(x) for x in v]
        return v
    body = json.dumps({k: canon(spec.get(k)) for k in JOB_SPEC_KEYS}, sort_keys=True, separators=(",", ":"))
    if key:
        return hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(body.encode()).hexdigest()


def spec_fingerprints(spec: Mapping[str, Any], key: str | None = None) -> tuple[str, ...]:
    """Every fingerprint a job running `spec` may carry in its id: the keyed one (new ids) and the plain sha256 of
    ids started before the stack had a key (stored contract: existing jobs are recognised, not restarted)."""
    return tuple(dict.fromkeys((spec_hash(spec, key), spec_hash(spec))))


@dataclass(kw_only=True)
class FlinkJobArgs(ConnectionArgs):
    """Arguments of a FlinkJob. Values may be `pulumi.Input`s; secrets are marked secret automatically.

    See FlinkJobInputs for what each field means and its default.
    """

    jar: pulumi.Input[str]
    jar_sha256: pulumi.Input[str]
    entry_class: pulumi.Input[str] | None = None
    args: pulumi.Input[list[str]] | None = None
    parallelism: pulumi.Input[int] | None = None
    flink_configuration: pulumi.Input[dict[str, str]] | None = None
    savepoint_dir: pulumi.Input[str] | None = None
    initial_savepoint: pulumi.Input[str] | None = None
    upgrade_mode: pulumi.Input[str] | None = None
    allow_non_restored_state: pulumi.Input[bool] | None = None
    on_delete: pulumi.Input[str] | None = None
    require_checkpoint: pulumi.Input[bool] | None = None
    max_checkpoint_age_s: pulumi.Input[float] | None = None
    on_missing_job: pulumi.Input[str] | None = None
    timeouts: pulumi.Input[dict[str, float]] | None = None
    jar_ca_bundle: pulumi.Input[str] | None = None

    def to_wire(self) -> dict[str, Any]:
        """camelCase property bag with only the fields that were set; secret-looking config values marked secret."""
        props = wire_props(self, FlinkJobInputs, secret_keys=SECRET_INPUT_KEYS)
        config = props.get(CONFIG_KEY)
        if isinstance(config, Mapping):
            props[CONFIG_KEY] = {k: pulumi.Output.secret(v) if is_secret_key(k) else v for k, v in config.items()}
        return props

