"""Configuration of the local Flink session cluster: config keys, ``config.yaml``, log4j file and JVM options.

Everything follows ``shared/notes/flink-local-facts.md``: loopback binds only, fixed REST and RPC ports chosen by
the caller, ``cluster.registration.error-delay: 500 ms`` (else a TaskManager that beats the JobManager waits
10 s), checkpoint and savepoint directories as ``file://`` URIs under the work dir, and the Java 17
``--add-opens/--add-exports`` flags without which every job submission fails with InaccessibleObjectException.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# --- Flink main classes ---------------------------------------------------------------------------------------
JOBMANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint"
TASKMANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner"
BASH_JAVA_UTILS_MAIN = "org.apache.flink.runtime.util.bash.BashJavaUtils"
#: BashJavaUtils commands that derive the memory/CPU settings a plain-java process needs.
BASH_JAVA_UTILS_TM_PARAMS = "GET_TM_RESOURCE_PARAMS"
BASH_JAVA_UTILS_JM_PARAMS = "GET_JM_RESOURCE_PARAMS"
#: Prefix of BashJavaUtils result lines (first: JVM options, second: ``-D key=value`` dynamic properties).
BASH_JAVA_UTILS_RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:"
#: Name of the config file Flink 2.x reads from ``--configDir``.
CONFIG_FILE_NAME = "config.yaml"
LOG4J_FILE_NAME = "log4j.properties"

# --- Flink config keys ----------------------------------------------------------------------------------------
KEY_JM_BIND_HOST = "jobmanager.bind-host"
KEY_JM_RPC_ADDRESS = "jobmanager.rpc.address"
KEY_JM_RPC_PORT = "jobmanager.rpc.port"
KEY_TM_BIND_HOST = "taskmanager.bind-host"
KEY_TM_HOST = "taskmanager.host"
KEY_REST_ADDRESS = "rest.address"
KEY_REST_BIND_ADDRESS = "rest.bind-address"
KEY_REST_PORT = "rest.port"
KEY_JM_PROCESS_SIZE = "jobmanager.memory.process.size"
KEY_TM_PROCESS_SIZE = "taskmanager.memory.process.size"
KEY_TM_SLOTS = "taskmanager.numberOfTaskSlots"
KEY_DEFAULT_PARALLELISM = "parallelism.default"
KEY_REGISTRATION_ERROR_DELAY = "cluster.registration.error-delay"
KEY_REST_CACHE_EXECUTION_GRAPH = "rest.cache.execution-graph.timeout"
KEY_REST_CACHE_CHECKPOINT_STATS = "rest.cache.checkpoint-statistics.timeout"
KEY_CHECKPOINT_DIR = "execution.checkpointing.dir"
KEY_SAVEPOINT_DIR = "execution.checkpointing.savepoint-dir"
KEY_CHECKPOINT_INTERVAL = "execution.checkpointing.interval"
KEY_WEB_UPLOAD_DIR = "web.upload.dir"
KEY_BLOB_STORAGE_DIR = "blob.storage.directory"
KEY_IO_TMP_DIRS = "io.tmp.dirs"
#: Not set by the cluster (Flink's default applies); tests pass it per job through ``flinkConfiguration``.
KEY_RESTART_STRATEGY_TYPE = "restart-strategy.type"

LOOPBACK = "127.0.0.1"
#: JVM flags Flink ships in ``env.java.opts.all`` (flink-dist ``config.yaml``); required on Java 17.
JAVA17_MODULE_FLAGS = (
    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED",
    "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.text=ALL-UNNAMED",
    "--add-opens=java.base/java.time=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
)
#: C1 only: the cluster JVMs are short-lived, and C2 compilation competes with startup on 2 cores.
FAST_START_FLAGS = ("-XX:TieredStopAtLevel=1",)

LOG4J_PROPERTIES = """\
# Written by testbed/flink/cluster.py: one file per JVM, named by -Dlog.file.
monitorInterval = 0
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = MainAppender
logger.pekko.name = org.apache.pekko
logger.pekko.level = WARN
logger.netty.name = org.apache.flink.shaded.netty4
logger.netty.level = WARN
logger.zookeeper.name = org.apache.zookeeper
logger.zookeeper.level = WARN
appender.main.name = MainAppender
appender.main.type = File
appender.main.append = true
appender.main.fileName = ${sys:log.file}
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
"""


@dataclass(frozen=True)
class ClusterLayout:
    """Directories of one local cluster, all under ``work_dir``."""

    work_dir: Path

    @property
    def conf_dir(self) -> Path:
        return self.work_dir / "conf"

    @property
    def log_dir(self) -> Path:
        return self.work_dir / "log"

    @property
    def checkpoint_dir(self) -> Path:
        return self.work_dir / "checkpoints"

    @property
    def savepoint_dir(self) -> Path:
        return self.work_dir / "savepoints"

    @property
    def upload_dir(self) -> Path:
        return self.work_dir / "uploads"

    @property
    def blob_dir(self) -> Path:
        return self.work_dir / "blobs"

    @property
    def tmp_dir(self) -> Path:
        return self.work_dir / "tmp"

    @property
    def state_file(self) -> Path:
        return self.work_dir / "cluster.json"

    def create(self) -> None:
        """Create every directory."""
        for d in (self.conf_dir, self.log_dir, self.checkpoint_dir, self.savepoint_dir, self.upload_dir,
                  self.blob_dir, self.tmp_dir):
            d.mkdir(parents=True, exist_ok=True)


def cluster_config(layout: ClusterLayout, *, rest_port: int, rpc_port: int, slots: int,
                   checkpoint_interval: str, fresh_rest_caches: bool,
                   extra: dict[str, str] | None = None) -> dict[str, object]:
    """The flat Flink configuration of the local cluster (``extra`` overrides)."""
    config: dict[str, object] = {
        KEY_JM_BIND_HOST: LOOPBACK, KEY_JM_RPC_ADDRESS: LOOPBACK, KEY_JM_RPC_PORT: rpc_port,
        KEY_TM_BIND_HOST: LOOPBACK, KEY_TM_HOST: LOOPBACK,
        KEY_REST_ADDRESS: LOOPBACK, KEY_REST_BIND_ADDRESS: LOOPBACK, KEY_REST_PORT: rest_port,
        KEY_JM_PROCESS_SIZE: "1g", KEY_TM_PROCESS_SIZE: "1536m", KEY_TM_SLOTS: slots, KEY_DEFAULT_PARALLELISM: 1,
        KEY_REGISTRATION_ERROR_DELAY: "500 ms",
        KEY_CHECKPOINT_DIR: layout.checkpoint_dir.resolve().as_uri(),
        KEY_SAVEPOINT_DIR: layout.savepoint_dir.resolve().as_uri(),
        KEY_CHECKPOINT_INTERVAL: checkpoint_interval,
        KEY_WEB_UPLOAD_DIR: str(layout.upload_dir.resolve()),
        KEY_BLOB_STORAGE_DIR: str(layout.blob_dir.resolve()),
        KEY_IO_TMP_DIRS: str(layout.tmp_dir.resolve()),
    }
    if fresh_rest_caches:
        config[KEY_REST_CACHE_EXECUTION_GRAPH] = "0 ms"
        config[KEY_REST_CACHE_CHECKPOINT_STATS] = "0 ms"
    config.update(extra or {})
    return config


def write_config(layout: ClusterLayout, config: dict[str, object]) -> None:
    """Write ``config.yaml`` (flat keys, JSON-quoted scalars, which YAML reads as-is) and the log4j file."""
    lines = [f"{key}: {json.dumps(value)}" for key, value in config.items()]
    (layout.conf_dir / CONFIG_FILE_NAME).write_text("\n".join(lines) + "\n")
    (layout.conf_dir / LOG4J_FILE_NAME).write_text(LOG4J_PROPERTIES)


def log_flags(layout: ClusterLayout, name: str) -> list[str]:
    """``-D`` flags that send a JVM's log to ``<log_dir>/<name>.log`` with the cluster's log4j file."""
    log4j = (layout.conf_dir / LOG4J_FILE_NAME).resolve().as_uri()
    return [f"-Dlog.file={layout.log_dir.resolve() / (name + '.log')}", f"-Dlog4j.configurationFile={log4j}"]


def parse_bash_java_utils(output: str) -> tuple[list[str], list[str]]:
    """Split BashJavaUtils output into (JVM options, ``-D key=value`` program arguments)."""
    results = [ln[len(BASH_JAVA_UTILS_RESULT_PREFIX):].strip() for ln in output.splitlines()
               if ln.startswith(BASH_JAVA_UTILS_RESULT_PREFIX)]
    if len(results) < 2:
        raise ValueError(f"expected two {BASH_JAVA_UTILS_RESULT_PREFIX} lines, got {len(results)}")
    return results[0].split(), results[1].split()
