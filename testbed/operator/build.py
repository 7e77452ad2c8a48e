"""The operator 1.15.0, its webhook and its validator, built from the source in ``../shared`` (Maven Central only).

``python -m tools.operator_local build`` (or the first test that needs it) builds once per machine into
``~/.cache/flink-platform/flink-kubernetes-operator/1.15.0/`` (see :mod:`testbed.maven_build`), laid out as the
operator's ``Dockerfile`` lays out its image:

- ``lib/``: ``flink-kubernetes-operator-1.15.0-shaded.jar`` (the operator and ``DefaultValidator``),
  ``flink-kubernetes-webhook-1.15.0-shaded.jar``, ``flink-kubernetes-standalone-1.15.0.jar``;
- ``plugins/`` (``$FLINK_PLUGINS_DIR``: the metric reporters), ``log/log4j/`` and ``log/logback/`` (the logging
  framework jars the entrypoint puts on the class path), ``docker-entrypoint.sh``.

The Maven command is the one ``../shared/upstream/SOURCES.md`` gives: the operator and webhook modules and what
they need (``-am``), tests, formatting, licence and CRD-compatibility checks skipped (the last downloads older CRDs
from outside, which these machines cannot reach).
"""

from __future__ import annotations

from pathlib import Path

from testbed.maven_build import Artifact, MavenRecipe, ensure_built

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VERSION = "1.15.0"
SOURCE = PROJECT_ROOT.parent / "shared" / "upstream" / f"flink-kubernetes-operator-{VERSION}"
OPERATOR_JAR = f"flink-kubernetes-operator-{VERSION}-shaded.jar"
WEBHOOK_JAR = f"flink-kubernetes-webhook-{VERSION}-shaded.jar"
STANDALONE_JAR = f"flink-kubernetes-standalone-{VERSION}.jar"
OPERATOR_MAIN = "org.apache.flink.kubernetes.operator.FlinkOperator"
WEBHOOK_MAIN = "org.apache.flink.kubernetes.operator.admission.FlinkOperatorWebhook"

MAVEN_ARGUMENTS = (
    "-pl", "flink-kubernetes-operator,flink-kubernetes-webhook", "-am", "-DskipTests",
    "-Dspotless.check.skip", "-Dspotless.skip", "-Drat.skip", "-Dcheckstyle.skip", "-Denforcer.skip",
    "-Dmaven.antrun.skip", "-Dxml.skip", "-Dcyclonedx.skip", "-Dmaven.gitcommitid.skip", "install",
)

RECIPE = MavenRecipe(
    source=SOURCE,
    kind="flink-kubernetes-operator",
    version=VERSION,
    arguments=MAVEN_ARGUMENTS,
    artifacts=(
        Artifact(f"flink-kubernetes-operator/target/{OPERATOR_JAR}", f"lib/{OPERATOR_JAR}"),
        Artifact(f"flink-kubernetes-webhook/target/{WEBHOOK_JAR}", f"lib/{WEBHOOK_JAR}"),
        Artifact(f"flink-kubernetes-standalone/target/{STANDALONE_JAR}", f"lib/{STANDALONE_JAR}"),
        Artifact("flink-kubernetes-operator/target/plugins", "plugins"),
        Artifact("flink-kubernetes-operator/target/log4j", "log/log4j"),
        Artifact("flink-kubernetes-operator/target/logback", "log/logback"),
        Artifact("docker-entrypoint.sh", "docker-entrypoint.sh"),
    ),
)


def ensure_operator_built() -> Path:
    """The cache directory holding the built operator (built first if needed)."""
    ensure_built(RECIPE)
    return RECIPE.dest


def classpath(home: Path, *, webhook: bool = False, logging: str = "log4j2") -> list[str]:
    """The class path the image's entrypoint gives ``operator`` (or ``webhook``), for the built tree at ``home``."""
    jars = [home / "lib" / STANDALONE_JAR, home / "lib" / OPERATOR_JAR]
    if webhook:
        jars.append(home / "lib" / WEBHOOK_JAR)
    log_dir = home / "log" / ("logback" if logging == "logback" else "log4j")
    return [str(j) for j in jars] + [str(log_dir / "*")]
