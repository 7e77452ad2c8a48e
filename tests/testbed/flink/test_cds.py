"""AppCDS archive bookkeeping: keys follow what the archive depends on; only finished archives are promoted."""

from __future__ import annotations

import os

from testbed.flink import cds


def test_key_changes_with_flags_and_jars(tmp_path):
    jar = tmp_path / "a.jar"
    jar.write_bytes(b"one")
    java = tmp_path / "java"
    java.write_text("#!/bin/sh\n")
    key = cds.archive_key(str(java), str(jar), ["-Xmx1g"])
    assert key == cds.archive_key(str(java), str(jar), ["-Xmx1g"])
    assert key != cds.archive_key(str(java), str(jar), ["-Xmx2g"])
    jar.write_bytes(b"two-two")
    assert key != cds.archive_key(str(java), str(jar), ["-Xmx1g"])


def test_first_start_trains_and_later_starts_use_the_promoted_archive(tmp_path):
    flags, training = cds.jvm_flags(tmp_path, "jobmanager", "k1")
    temporary, final = training
    assert flags == [f"-XX:ArchiveClassesAtExit={temporary}", cds.QUIET_CDS_LOG_FLAG]
    open(temporary, "wb").write(b"archive")
    cds.promote({"jobmanager": [temporary, final]})
    assert not os.path.exists(temporary) and open(final, "rb").read() == b"archive"
    assert cds.jvm_flags(tmp_path, "jobmanager", "k1") == ([f"-XX:SharedArchiveFile={final}",
                                                             cds.QUIET_CDS_LOG_FLAG], None)


def test_missing_or_discarded_training_output_is_never_promoted(tmp_path):
    _, (temporary, final) = cds.jvm_flags(tmp_path, "taskmanager", "k2")
    cds.promote({"taskmanager": [temporary, final]})  # the JVM wrote nothing
    assert not os.path.exists(final)
    _, (temporary, final) = cds.jvm_flags(tmp_path, "taskmanager", "k2")
    open(temporary, "wb").write(b"half")
    training = {"taskmanager": [temporary, final]}
    cds.discard(training, "taskmanager")  # SIGKILLed while writing
    cds.promote(training)
    assert training == {} and not os.path.exists(temporary) and not os.path.exists(final)
