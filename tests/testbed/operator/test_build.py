"""The real operator 1.15.0 built from ../shared: the image's layout, the classes the tests start, reused builds."""

from __future__ import annotations

import re
import subprocess
import zipfile

from testbed import maven_build
from testbed.operator import build


def test_the_build_lays_out_the_operator_as_its_image_does_and_is_reused():
    home = build.ensure_operator_built()
    assert home == maven_build.cache_root() / "flink-kubernetes-operator" / build.VERSION
    with zipfile.ZipFile(home / "lib" / build.OPERATOR_JAR) as jar:
        names = set(jar.namelist())
    for cls in (build.OPERATOR_MAIN, "org.apache.flink.kubernetes.operator.validation.DefaultValidator",
                "org.apache.flink.kubernetes.operator.utils.FlinkUtils"):
        assert cls.replace(".", "/") + ".class" in names, cls
    with zipfile.ZipFile(home / "lib" / build.WEBHOOK_JAR) as jar:
        assert build.WEBHOOK_MAIN.replace(".", "/") + ".class" in jar.namelist()
    assert list((home / "log" / "log4j").glob("log4j-slf4j-impl-*.jar"))
    assert list((home / "plugins" / "flink-metrics-prometheus").glob("*.jar"))
    stamp = maven_build.ensure_built(build.RECIPE)
    assert maven_build.ensure_built(build.RECIPE) == stamp  # the second call builds nothing


def test_the_entrypoint_class_paths_hold_both_main_classes():
    """The class paths the image's entrypoint gives ``operator`` and ``webhook`` resolve both main classes."""
    home = build.ensure_operator_built()
    for main, webhook in ((build.OPERATOR_MAIN, False), (build.WEBHOOK_MAIN, True)):
        probe = subprocess.run(["javap", "-cp", ":".join(build.classpath(home, webhook=webhook)), main],
                               capture_output=True, text=True, timeout=120)
        assert re.search(r"public static void main\(java\.lang\.String(\[\]|\.\.\.)\)", probe.stdout), probe.stderr
    probe = subprocess.run(["javap", "-cp", ":".join(build.classpath(home)), build.WEBHOOK_MAIN],
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode != 0  # the operator's class path alone has no webhook
