"""testbed.maven_build on a tiny Maven project: built once into the cache, reused, rebuilt on a change, and a
failing build or a missing source tree is an error that names the step and its log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testbed import maven_build
from testbed.maven_build import Artifact, MavenBuildError, MavenPrerequisiteError, MavenRecipe

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>platform.tests</groupId><artifactId>tiny</artifactId><version>1.0</version>
  <properties><maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
  <build><plugins><!-- the versions the operator's own build uses, so ~/.m2 holds them after it -->
    <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.8.1</version></plugin>
    <plugin><artifactId>maven-resources-plugin</artifactId><version>3.1.0</version></plugin>
    <plugin><artifactId>maven-surefire-plugin</artifactId><version>3.0.0</version></plugin>
    <plugin><artifactId>maven-jar-plugin</artifactId><version>3.2.0</version></plugin>
  </plugins></build>
</project>
"""
JAVA = "package tiny; public class Hello { public static String hello() { return \"%s\"; } }\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = tmp_path / "src"
    (source / "src/main/java/tiny").mkdir(parents=True)
    (source / "pom.xml").write_text(POM)
    (source / "src/main/java/tiny/Hello.java").write_text(JAVA % "one")
    source.chmod(0o555)  # the shared copy is read-only: the build works on a copy
    yield source
    source.chmod(0o755)


def recipe(source: Path, *arguments: str) -> MavenRecipe:
    return MavenRecipe(source=source, kind="tiny", version="1.0", arguments=arguments or ("-q", "package"),
                       artifacts=(Artifact("target/tiny-1.0.jar", "lib/tiny.jar"), Artifact("pom.xml", "pom.xml")))


def test_built_once_reused_and_rebuilt_when_the_source_changes(project: Path):
    first = maven_build.ensure_built(recipe(project))
    jar = Path(first["artifacts"]["lib/tiny.jar"])
    assert jar.is_file() and jar.parent.parent == maven_build.cache_root() / "tiny" / "1.0"
    assert json.loads((jar.parent.parent / "build.json").read_text())["key"] == first["key"]
    assert maven_build.ensure_built(recipe(project)) == first  # reused: same stamp, no build

    project.chmod(0o755)
    (project / "src/main/java/tiny/Hello.java").write_text(JAVA % "two")
    second = maven_build.ensure_built(recipe(project))
    assert second["key"] != first["key"] and second["built_at"] >= first["built_at"]
    assert not list(maven_build.cache_root().glob("tiny/.1.0.tmp-*"))


def test_a_failing_build_names_the_command_and_its_log_and_leaves_no_cache(project: Path):
    project.chmod(0o755)
    (project / "src/main/java/tiny/Hello.java").write_text("package tiny; class Broken {")
    with pytest.raises(MavenBuildError) as failed:
        maven_build.ensure_built(recipe(project))
    message = str(failed.value)
    assert "mvn -B -q package" in message and "1.0-build.log" in message and "COMPILATION ERROR" in message
    assert not (maven_build.cache_root() / "tiny" / "1.0").exists()


def test_a_missing_artifact_is_an_error_naming_it(project: Path):
    broken = MavenRecipe(source=project, kind="tiny", version="1.0", arguments=("-q", "package"),
                         artifacts=(Artifact("target/other.jar", "lib/other.jar"),))
    with pytest.raises(MavenBuildError, match="did not produce target/other.jar"):
        maven_build.ensure_built(broken)


def test_a_missing_source_tree_or_maven_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(MavenPrerequisiteError, match="comes from ../shared/upstream"):
        maven_build.ensure_built(recipe(tmp_path / "nowhere"))
    (tmp_path / "src").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(MavenPrerequisiteError, match="apt-get install maven"):
        maven_build.ensure_built(recipe(tmp_path / "src"))
