"""Facts taken from the Apache Flink Kubernetes Operator, each in exactly one place.

Everything here is data read from upstream (operator release tag, CRD files, the Java ``FlinkVersion`` enum);
components, tools and tests import these names instead of repeating the values. This module imports nothing
from Pulumi so that the offline plan, the policy pack and the tests can use it too.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The chart's name, used by upstream as the ``app.kubernetes.io/name`` of the operator's objects.
OPERATOR_APP_NAME = "flink-kubernetes-operator"

#: API group and version of every operator custom resource.
FLINK_API_GROUP = "flink.apache.org"
FLINK_API_VERSION = f"{FLINK_API_GROUP}/v1beta1"


@dataclass(frozen=True)
class CrdFile:
    """One CRD file of an operator release: its kind, its file name in the chart's ``crds/`` folder, its sha256."""

    kind: str
    plural: str
    filename: str
    sha256: str

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{FLINK_API_GROUP}"


#: The operator releases this program can install, with the sha256 of each CRD file as published at the
#: release tag (``helm/flink-kubernetes-operator/crds/<file>``). A version missing here is refused.
CRD_PINS: dict[str, tuple[CrdFile, ...]] = {
    "1.15.0": (
        CrdFile(
            "FlinkDeployment",
            "flinkdeployments",
            "flinkdeployments.flink.apache.org-v1.yml",
            "7977265fc26d5e13e46ea5a18b18ce71dc1b93a7c750d781843a7af0d1d13e47",
        ),
        CrdFile(
            "FlinkSessionJob",
            "flinksessionjobs",
            "flinksessionjobs.flink.apache.org-v1.yml",
            "f06cc09cbd11897c5120df8c8aae31558d5eb901ea550e9c476b21dd234f99b1",
        ),
        CrdFile(
            "FlinkStateSnapshot",
            "flinkstatesnapshots",
            "flinkstatesnapshots.flink.apache.org-v1.yml",
            "b4d9e65e4465c74ff8526cfc46d823a4a5198d51e0e08a9f0f5a8c6f4380e399",
        ),
        CrdFile(
            "FlinkBlueGreenDeployment",
            "flinkbluegreendeployments",
            "flinkbluegreendeployments.flink.apache.org-v1.yml",
            "1e6595166e20fcfbc937cb30eda814dedac3e43ddbc1ff224b48c911a64fe760",
        ),
    ),
}

SUPPORTED_OPERATOR_VERSIONS: tuple[str, ...] = tuple(CRD_PINS)

#: Where upstream publishes the CRD files of a release (the chart's ``crds/`` folder at the release tag).
CRD_URL_TEMPLATE = (
    "https://raw.githubusercontent.com/apache/flink-kubernetes-operator/"
    "release-{version}/helm/flink-kubernetes-operator/crds/{filename}"
)

#: ``FlinkVersion`` values the operator's Java enum knows, per operator release, and the ones it still supports
#: (``FlinkVersion.isSupported``: v1_15 and newer).
FLINK_VERSIONS_KNOWN: dict[str, tuple[str, ...]] = {
    "1.15.0": (
        "v1_13", "v1_14", "v1_15", "v1_16", "v1_17", "v1_18", "v1_19", "v1_20",
        "v2_0", "v2_1", "v2_2", "v2_3", "v2_4",
    ),
}
FLINK_VERSIONS_SUPPORTED: dict[str, tuple[str, ...]] = {
    "1.15.0": (
        "v1_15", "v1_16", "v1_17", "v1_18", "v1_19", "v1_20",
        "v2_0", "v2_1", "v2_2", "v2_3", "v2_4",
    ),
}

#: The known gap of a release: values the Java enum accepts but the committed CRD's ``flinkVersion`` enum lacks
#: (at 1.15.0 the CRD stops at v2_2; upstream ``main`` generates the CRDs at build time and has v2_3/v2_4).
#: The CRDs component appends these to the enum and annotates the CRD with what it added.
CRD_FLINK_VERSION_ENUM_GAP: dict[str, tuple[str, ...]] = {
    "1.15.0": ("v2_3", "v2_4"),
}
#: Kinds whose schema embeds ``flinkVersion`` (the BlueGreen CRD embeds a FlinkDeployment spec).
CRD_KINDS_WITH_FLINK_VERSION = ("FlinkDeployment", "FlinkBlueGreenDeployment")

#: Kubernetes name rule the operator's validator applies to FlinkDeployment names (DefaultValidator):
#: lower-case alphanumerics or '-', starting with a letter, ending alphanumeric, at most 45 characters.
#: Java's ``String.matches`` tests the whole string: match it with ``components.names.matches`` (``re.fullmatch``),
#: never ``re.match``/``re.search`` with ``$``, which would accept a final newline.
FLINK_DEPLOYMENT_NAME_PATTERN = r"[a-z]([-a-z\d]{0,43}[a-z\d])?"
