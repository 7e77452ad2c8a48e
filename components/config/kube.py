"""Kubernetes names and pod shapes typed as the API defines them: the scheduling keys of a pod spec and the names
they use, shared by the stack config (:mod:`components.config.models`, the operator pod) and the workloads
(:mod:`components.workloads.config`, the Flink pods). Pydantic-only (the policy pack and tools import it)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic.alias_generators import to_camel

from components.config import names

def _dns_label(value: str) -> str:
    if not names.is_dns_label(value):
        raise ValueError(names.DNS_LABEL_RULE)
    return value


def _dns_subdomain(value: str) -> str:
    if not names.is_dns_subdomain(value):
        raise ValueError(names.DNS_SUBDOMAIN_RULE)
    return value


def _label_value(value: str) -> str:
    if not names.is_label_value(value):
        raise ValueError(names.LABEL_VALUE_RULE)
    return value


def _label_key(value: str) -> str:
    problem = names.label_key_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# Each type validates in Python (with a message saying what is allowed) and carries the same rule into the
# JSON Schema that editors use.
KubernetesName = Annotated[
    str,
    AfterValidator(_dns_label),
    WithJsonSchema(
        {"type": "string", "pattern": names.json_schema_pattern(names.DNS_LABEL), "maxLength": names.DNS_LABEL_MAX}
    ),
]
KubernetesSubdomain = Annotated[
    str,
    AfterValidator(_dns_subdomain),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": names.json_schema_pattern(names.DNS_SUBDOMAIN),
            "maxLength": names.DNS_SUBDOMAIN_MAX,
        }
    ),
]
LabelValue = Annotated[
    str,
    AfterValidator(_label_value),
    WithJsonSchema(
        {"type": "string", "pattern": names.json_schema_pattern(names.LABEL_VALUE), "maxLength": names.LABEL_VALUE_MAX}
    ),
]
LabelKey = Annotated[str, AfterValidator(_label_key), WithJsonSchema(names.LABEL_KEY_SCHEMA)]


class _Model(BaseModel):
    """Base of every config model: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        strict=False,
    )


# --- everything a Helm-chart user sets (issue 20): pod metadata, scheduling, env, volumes, extra containers ---------
# Kubernetes shapes typed as the API defines them (camelCase, unknown keys refused); ``to_k8s()`` gives back exactly
# what the stack set, as the chart's ``toYaml`` renders the same values.


class _KubeModel(_Model):
    def to_k8s(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, exclude_unset=True)


def _exactly_one(model: BaseModel, fields: tuple[str, ...], what: str) -> None:
    given = [f for f in fields if getattr(model, f) is not None]
    if len(given) != 1:
        raise ValueError(f"{what} needs exactly one of {', '.join(to_camel(f) for f in fields)} (found "
                         f"{', '.join(to_camel(f) for f in given) or 'none'})")


class LabelSelectorRequirement(_KubeModel):
    key: LabelKey
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: list[str] | None = None


class LabelSelector(_KubeModel):
    match_labels: dict[LabelKey, LabelValue] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None


class NodeSelectorRequirement(_KubeModel):
    key: str = Field(min_length=1)
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]
    values: list[str] | None = None


class NodeSelectorTerm(_KubeModel):
    match_expressions: list[NodeSelectorRequirement] | None = None
    match_fields: list[NodeSelectorRequirement] | None = None


class NodeSelector(_KubeModel):
    node_selector_terms: list[NodeSelectorTerm] = Field(min_length=1)


class PreferredSchedulingTerm(_KubeModel):
    weight: int = Field(ge=1, le=100)
    preference: NodeSelectorTerm


class NodeAffinity(_KubeModel):
    required_during_scheduling_ignored_during_execution: NodeSelector | None = None
    preferred_during_scheduling_ignored_during_execution: list[PreferredSchedulingTerm] | None = None


class PodAffinityTerm(_KubeModel):
    label_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    namespaces: list[KubernetesName] | None = None
    topology_key: LabelKey
    match_label_keys: list[LabelKey] | None = None
    mismatch_label_keys: list[LabelKey] | None = None


class WeightedPodAffinityTerm(_KubeModel):
    weight: int = Field(ge=1, le=100)
    pod_affinity_term: PodAffinityTerm


class PodAffinity(_KubeModel):
    required_during_scheduling_ignored_during_execution: list[PodAffinityTerm] | None = None
    preferred_during_scheduling_ignored_during_execution: list[WeightedPodAffinityTerm] | None = None


class Affinity(_KubeModel):
    """``affinity`` of a pod (core/v1 Affinity)."""

    node_affinity: NodeAffinity | None = None
    pod_affinity: PodAffinity | None = None
    pod_anti_affinity: PodAffinity | None = None


class Toleration(_KubeModel):
    key: str | None = None
    operator: Literal["Exists", "Equal"] | None = None
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: int | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Toleration:
        if self.operator == "Exists" and self.value:
            raise ValueError("a toleration with operator 'Exists' has no value")
        if not self.key and self.operator != "Exists":
            raise ValueError("a toleration without a key needs operator 'Exists' (it tolerates every taint)")
        if self.toleration_seconds is not None and self.effect != "NoExecute":
            raise ValueError("tolerationSeconds only applies to effect 'NoExecute'")
        return self


class TopologySpreadConstraint(_KubeModel):
    max_skew: int = Field(ge=1)
    topology_key: LabelKey
    when_unsatisfiable: Literal["DoNotSchedule", "ScheduleAnyway"]
    label_selector: LabelSelector | None = None
    min_domains: int | None = Field(default=None, ge=1)
    node_affinity_policy: Literal["Honor", "Ignore"] | None = None
    node_taints_policy: Literal["Honor", "Ignore"] | None = None
    match_label_keys: list[LabelKey] | None = None


class PodDnsOption(_KubeModel):
    name: str = Field(min_length=1)
    value: str | None = None


class PodDnsConfig(_KubeModel):
    """``dnsConfig`` of a pod (core/v1 PodDNSConfig)."""

    nameservers: list[str] | None = Field(default=None, max_length=3)
    searches: list[str] | None = Field(default=None, max_length=32)
    options: list[PodDnsOption] | None = None


class SchedulingConfig(_Model):
    """Where pods may run: the scheduling keys of a pod spec, rendered as given (the chart's ``operatorPod.*``)."""

    node_selector: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    affinity: Affinity | None = None
    tolerations: list[Toleration] = Field(default_factory=list)
    topology_spread_constraints: list[TopologySpreadConstraint] = Field(default_factory=list)
    priority_class_name: KubernetesSubdomain | None = None

    def to_k8s(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.priority_class_name:
            out["priorityClassName"] = self.priority_class_name
        if self.node_selector:
            out["nodeSelector"] = dict(self.node_selector)
        if self.affinity is not None and self.affinity.to_k8s():
            out["affinity"] = self.affinity.to_k8s()
        if self.tolerations:
            out["tolerations"] = [t.to_k8s() for t in self.tolerations]
        if self.topology_spread_constraints:
            out["topologySpreadConstraints"] = [t.to_k8s() for t in self.topology_spread_constraints]
        return out
