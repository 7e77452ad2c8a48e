"""Missing prerequisites are errors that say how to install them (never skips)."""

from __future__ import annotations

import importlib.util

import pytest

from testbed.flink import prereqs as flink_prereqs
from testbed.flink.prereqs import PrerequisiteError, find_flink_jars, find_java_tool


@pytest.fixture(autouse=True)
def fresh_caches():
    find_java_tool.cache_clear()
    find_flink_jars.cache_clear()
    yield
    find_java_tool.cache_clear()
    find_flink_jars.cache_clear()


def test_missing_java_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(PrerequisiteError, match="apt-get install openjdk-17-jdk-headless"):
        find_java_tool("javac")


def test_old_java_is_refused(monkeypatch, tmp_path):
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'openjdk 11.0.2 2019-01-15' \n")
    fake.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(PrerequisiteError, match=r"is Java 11 .*needs Java 17\+"):
        find_java_tool("java")


def test_missing_flink_jars_say_how_to_install_them(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(PrerequisiteError, match=r"pip install apache-flink-libraries==2\.3\.0"):
        find_flink_jars()


def test_installed_jars_give_a_classpath_with_flink_dist_and_log4j():
    jars = find_flink_jars()
    assert jars.dist.name == "flink-dist-2.3.0.jar" and jars.bash_java_utils.is_file()
    assert {p.name.rsplit("-", 1)[0] for p in jars.log4j} == {"log4j-api", "log4j-core", "log4j-slf4j-impl",
                                                            "log4j-1.2-api"}
    assert jars.classpath.endswith(str(jars.dist))
    assert flink_prereqs.FLINK_LIBRARIES_REQUIREMENT == "apache-flink-libraries==2.3.0"
