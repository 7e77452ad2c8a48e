"""Every ``operator-*`` rule (the operator's DefaultValidator 1.15.0), a violating and a passing case each, judged
by the real Analyzer process (``python -m pulumi.policy``) over gRPC.

The cases come from the validator's source (operator-1.15 facts §c): each violating case changes one field of a
valid resource and names the policy that must fire and a fragment of the property path its message must name;
each passing case is a change upstream accepts, and no ``operator-*`` policy may fire on it.
"""

from __future__ import annotations

import pytest

from components.operator import validation as V
from tests.policies.resources import BASES, DELETE, FBG, FD, FSJ, FSS, SESSION, conf, mutate

TEMPLATE = ("spec", "template", "spec")

# (id, base, changes, policy that must fire, path fragment its message names)
VIOLATIONS = [
    ("name-upper", "FD", [(("metadata", "name"), "Orders_1")], "operator-name", "metadata.name"),
    ("name-46", "FD", [(("metadata", "name"), "a" * 46)], "operator-name", "metadata.name"),
    ("name-ends-dash", "FD", [(("metadata", "name"), "orders-")], "operator-name", "metadata.name"),
    ("name-starts-digit", "FD", [(("metadata", "name"), "1orders")], "operator-name", "metadata.name"),
    ("bluegreen-child-too-long", "FBG", [(("metadata", "name"), "b" * 40)], "operator-name", "metadata.name"),
    ("session-job-target-name", "FSJ", [(("spec", "deploymentName"), "Session_1")], "operator-name",
     "spec.deploymentName"),
    ("session-job-target-missing", "FSJ", [(("spec", "deploymentName"), DELETE)], "operator-name",
     "spec.deploymentName"),
    ("version-missing", "FD", [(("spec", "flinkVersion"), DELETE)], "operator-flink-version", "spec.flinkVersion"),
    ("version-deprecated-unsupported", "FD", [(("spec", "flinkVersion"), "v1_14")], "operator-flink-version",
     "spec.flinkVersion"),
    ("version-unknown", "FD", [(("spec", "flinkVersion"), "v9_9")], "operator-flink-version", "spec.flinkVersion"),
    ("bluegreen-version", "FBG", [((*TEMPLATE, "flinkVersion"), "v1_13")], "operator-flink-version",
     "spec.template.spec.flinkVersion"),
    *[(f"forbidden-{k}", "FD", [(conf(k), "x")], "operator-forbidden-config", k) for k in V.FORBIDDEN_CONFIG_KEYS],
    ("forbidden-nested", "FD", [(("spec", "flinkConfiguration", "kubernetes"), {"cluster-id": "x"})],
     "operator-forbidden-config", "kubernetes.cluster-id"),
    ("rollback-without-ha", "FD", [(conf(V.ROLLBACK_ENABLED.key), "true"), (conf(V.HA_TYPE.key), "NONE")],
     "operator-rollback-ha", V.ROLLBACK_ENABLED.key),
    ("rollback-bool-without-ha", "FD", [(conf(V.ROLLBACK_ENABLED.key), True), (conf(V.HA_TYPE.key), DELETE)],
     "operator-rollback-ha", V.ROLLBACK_ENABLED.key),
    ("health-check-without-recovery", "FD",
     [(conf(V.HEALTH_CHECK_ENABLED.key), "true"), (conf(V.JM_DEPLOYMENT_RECOVERY_ENABLED.key), "false")],
     "operator-health-check-recovery", V.HEALTH_CHECK_ENABLED.key),
    ("ingress-without-template", "FD", [(("spec", "ingress"), {"className": "nginx"})], "operator-ingress",
     "spec.ingress.template"),
    ("ingress-bad-port", "FD", [(("spec", "ingress"), {"template": "{{name}}.example.com:http"})], "operator-ingress",
     "spec.ingress.template"),
    ("log-config-key", "FD", [(("spec", "logConfiguration"), {"log4j.properties": "rootLogger.level = INFO"})],
     "operator-log-config", "log4j.properties"),
    ("last-state-without-checkpoint-dir", "FD",
     [(("spec", "job", "upgradeMode"), "last-state"), (conf(V.CHECKPOINTS_DIR.key), DELETE)],
     "operator-state-dirs", "spec.job.upgradeMode"),
    ("savepoint-mode-without-savepoint-dir", "FD",
     [(conf(V.SAVEPOINT_DIR.key), DELETE)], "operator-state-dirs", "spec.job.upgradeMode"),
    ("savepoint-nonce-without-dir", "FD",
     [(("spec", "job", "upgradeMode"), "stateless"), (conf(V.SAVEPOINT_DIR.key), DELETE),
      (("spec", "job", "savepointTriggerNonce"), 7)], "operator-state-dirs", "savepointTriggerNonce"),
    ("periodic-savepoint-without-dir", "FD",
     [(("spec", "job", "upgradeMode"), "stateless"), (conf(V.SAVEPOINT_DIR.key), DELETE),
      (conf(V.PERIODIC_SAVEPOINT_INTERVAL.key), "1h")], "operator-state-dirs", V.PERIODIC_SAVEPOINT_INTERVAL.key),
    ("max-checkpoint-age-without-dir", "FD",
     [(("spec", "job", "upgradeMode"), "last-state"), (conf(V.SAVEPOINT_DIR.key), DELETE),
      (conf(V.CHECKPOINT_MAX_AGE.key), "10m")], "operator-state-dirs", V.CHECKPOINT_MAX_AGE.key),
    ("parallelism-zero", "FD", [(("spec", "job", "parallelism"), 0)], "operator-parallelism",
     "spec.job.parallelism"),
    ("parallelism-default", "FD", [(("spec", "job", "parallelism"), DELETE)], "operator-parallelism",
     "spec.job.parallelism"),
    ("tm-replicas-zero-job", "FD", [(("spec", "taskManager", "replicas"), 0)], "operator-parallelism",
     "spec.taskManager.replicas"),
    ("jm-memory-missing", "FD", [(("spec", "jobManager", "resource", "memory"), DELETE)], "operator-jobmanager",
     "spec.jobManager.resource.memory"),
    ("jm-spec-missing", "FD", [(("spec", "jobManager"), DELETE)], "operator-jobmanager",
     "spec.jobManager.resource.memory"),
    ("jm-memory-unparsable", "FD", [(("spec", "jobManager", "resource", "memory"), "2 parsecs")],
     "operator-jobmanager", "spec.jobManager.resource.memory"),
    ("jm-storage-unparsable", "FD", [(("spec", "jobManager", "resource", "ephemeralStorage"), "10Gx")],
     "operator-jobmanager", "spec.jobManager.resource.ephemeralStorage"),
    ("jm-replicas-zero", "FD", [(("spec", "jobManager", "replicas"), 0)], "operator-jobmanager",
     "spec.jobManager.replicas"),
    ("jm-standby-without-ha", "FD", [(("spec", "jobManager", "replicas"), 2), (conf(V.HA_TYPE.key), DELETE)],
     "operator-jobmanager", "spec.jobManager.replicas"),
    ("tm-memory-missing", "FD", [(("spec", "taskManager", "resource", "memory"), DELETE)], "operator-taskmanager",
     "spec.taskManager.resource.memory"),
    ("tm-memory-unparsable", "FD", [(("spec", "taskManager", "resource", "memory"), "lots")],
     "operator-taskmanager", "spec.taskManager.resource.memory"),
    ("tm-memory-fractional-flink", "FD", [(("spec", "taskManager", "resource", "memory"), "0.5")],
     "operator-taskmanager", "spec.taskManager.resource.memory"),
    ("tm-memory-decimal-quantity", "FD", [(("spec", "taskManager", "resource", "memory"), "1.5g")],
     "operator-taskmanager", "spec.taskManager.resource.memory"),
    ("name-empty", "FD", [(("metadata", "name"), "")], "operator-name", "metadata.name"),
    ("jar-uri-port-not-a-number", "FSJ", [(("spec", "job", "jarURI"), "https://repo1.maven.org:x/job.jar")],
     "operator-jar-uri", "spec.job.jarURI"),
    ("tm-replicas-zero", "SESSION", [(("spec", "taskManager", "replicas"), 0)], "operator-taskmanager",
     "spec.taskManager.replicas"),
    ("service-account-missing", "FD", [(("spec", "serviceAccount"), DELETE)], "operator-service-account",
     "spec.serviceAccount"),
    ("bluegreen-service-account", "FBG", [((*TEMPLATE, "serviceAccount"), DELETE)], "operator-service-account",
     "spec.template.spec.serviceAccount"),
    ("autoscaler-target-above-1", "FD",
     [(conf(V.AUTOSCALER_ENABLED.key), "true"), (conf(V.AUTOSCALER_UTILIZATION_TARGET.key), "1.5")],
     "operator-autoscaler", V.AUTOSCALER_UTILIZATION_TARGET.key),
    ("autoscaler-legacy-key", "FD",
     [(conf(V.AUTOSCALER_ENABLED.legacy[0]), "true"), (conf(V.AUTOSCALER_UTILIZATION_TARGET.legacy[-1]), "-0.1")],
     "operator-autoscaler", V.AUTOSCALER_UTILIZATION_TARGET.legacy[-1]),
    ("autoscaler-max-below-target", "FD",
     [(conf(V.AUTOSCALER_ENABLED.key), "true"), (conf("job.autoscaler.utilization.max"), "0.5")],
     "operator-autoscaler", "job.autoscaler.utilization.max"),
    ("autoscaler-min-above-target", "FD",
     [(conf(V.AUTOSCALER_ENABLED.key), "true"), (conf("job.autoscaler.utilization.min"), "0.8")],
     "operator-autoscaler", "job.autoscaler.utilization.min"),
    ("autoscaler-scale-down-negative", "FD",
     [(conf(V.AUTOSCALER_ENABLED.key), "true"), (conf("job.autoscaler.scale-down.max-factor"), "-1")],
     "operator-autoscaler", "scale-down.max-factor"),
    ("autoscaler-coefficient", "FD",
     [(conf(V.AUTOSCALER_ENABLED.key), "true"), (conf("job.autoscaler.observed-scalability.coefficient-min"), "0")],
     "operator-autoscaler", "coefficient-min"),
    ("autoscaler-not-a-number", "FD",
     [(conf(V.AUTOSCALER_ENABLED.key), "true"), (conf("job.autoscaler.scale-up.max-factor"), "lots")],
     "operator-autoscaler", "scale-up.max-factor"),
    ("autoscaler-excluded-period", "FD",
     [(conf(V.AUTOSCALER_ENABLED.key), "true"), (conf(V.AUTOSCALER_EXCLUDED_PERIODS.key), "weekends")],
     "operator-autoscaler", "excluded.periods"),
    ("session-job-without-job", "FSJ", [(("spec", "job"), DELETE)], "operator-session-job", "spec.job"),
    ("jar-uri-scheme", "FSJ", [(("spec", "job", "jarURI"), "local:///opt/flink/job.jar")], "operator-jar-uri",
     "spec.job.jarURI"),
    ("jar-uri-s3-default", "FSJ", [(("spec", "job", "jarURI"), "s3://bucket/job.jar")], "operator-jar-uri",
     "spec.job.jarURI"),
    ("jar-uri-no-scheme", "FSJ", [(("spec", "job", "jarURI"), "artifacts/job.jar")], "operator-jar-uri",
     "spec.job.jarURI"),
    ("jar-uri-invalid", "FSJ", [(("spec", "job", "jarURI"), "https://repo.example.com/my job.jar")],
     "operator-jar-uri", "spec.job.jarURI"),
    ("jar-uri-loopback", "FSJ", [(("spec", "job", "jarURI"), "https://127.0.0.1/job.jar")], "operator-jar-uri",
     "spec.job.jarURI"),
    ("jar-uri-localhost", "FSJ", [(("spec", "job", "jarURI"), "https://localhost:8443/job.jar")],
     "operator-jar-uri", "spec.job.jarURI"),
    ("jar-uri-site-local", "FSJ", [(("spec", "job", "jarURI"), "https://10.1.2.3/job.jar")], "operator-jar-uri",
     "spec.job.jarURI"),
    ("jar-uri-site-local-192", "FSJ", [(("spec", "job", "jarURI"), "https://192.168.0.10/job.jar")],
     "operator-jar-uri", "spec.job.jarURI"),
    ("jar-uri-link-local", "FSJ", [(("spec", "job", "jarURI"), "https://169.254.169.254/job.jar")],
     "operator-jar-uri", "spec.job.jarURI"),
    ("jar-uri-mapped-link-local", "FSJ", [(("spec", "job", "jarURI"), "https://[::ffff:169.254.169.254]/job.jar")],
     "operator-jar-uri", "spec.job.jarURI"),
    ("jar-uri-mapped-loopback", "FSJ", [(("spec", "job", "jarURI"), "https://[::ffff:127.0.0.1]/job.jar")],
     "operator-jar-uri", "spec.job.jarURI"),
    ("jar-uri-localhost-fqdn", "FSJ", [(("spec", "job", "jarURI"), "https://localhost./job.jar")],
     "operator-jar-uri", "spec.job.jarURI"),
    ("jar-uri-wildcard", "FSJ", [(("spec", "job", "jarURI"), "https://0.0.0.0/job.jar")], "operator-jar-uri",
     "spec.job.jarURI"),
    ("jar-uri-ipv6-loopback", "FSJ", [(("spec", "job", "jarURI"), "https://[::1]/job.jar")], "operator-jar-uri",
     "spec.job.jarURI"),
    ("jar-uri-no-host", "FSJ", [(("spec", "job", "jarURI"), "https:///job.jar")], "operator-jar-uri",
     "spec.job.jarURI"),
    ("snapshot-both", "FSS", [(("spec", "checkpoint"), {})], "operator-snapshot", "spec"),
    ("snapshot-neither", "FSS", [(("spec", "savepoint"), DELETE)], "operator-snapshot", "spec"),
    ("snapshot-without-job", "FSS", [(("spec", "jobReference"), DELETE)], "operator-snapshot",
     "spec.jobReference"),
]

# (id, base, changes): upstream accepts these, so no operator-* policy may fire.
PASSES = [
    ("valid-application", "FD", []),
    ("valid-session-cluster", "SESSION", []),
    ("valid-session-job", "FSJ", []),
    ("valid-snapshot", "FSS", []),
    ("valid-bluegreen", "FBG", []),
    ("name-45", "FD", [(("metadata", "name"), "a" * 45)]),
    ("name-1", "FD", [(("metadata", "name"), "a")]),
    ("bluegreen-39", "FBG", [(("metadata", "name"), "b" * 39)]),
    ("canary-without-spec", "FD", [(("metadata", "labels"), {V.CANARY_LABEL: "TRUE"}), (("spec",), {})]),
    *[(f"version-{v}", "FD", [(("spec", "flinkVersion"), v)]) for v in V.SUPPORTED_FLINK_VERSIONS],
    ("forbidden-lookalike", "FD", [(conf("kubernetes.namespaces"), "x")]),
    ("rollback-with-ha", "FD", [(conf(V.ROLLBACK_ENABLED.key), "true")]),
    ("rollback-with-legacy-ha-key", "FD",
     [(conf(V.ROLLBACK_ENABLED.key), "true"), (conf(V.HA_TYPE.key), DELETE), (conf("high-availability"), "kubernetes")]),
    ("health-check-default-recovery", "FD", [(conf(V.HEALTH_CHECK_ENABLED.key), "true")]),
    ("ingress-template", "FD", [(("spec", "ingress"), {"template": "{{name}}.{{namespace}}.flink.example.com"})]),
    ("ingress-https-template", "FD", [(("spec", "ingress"), {"template": "https://flink.example.com/{{name}}"})]),
    ("log-config-allowed", "FD", [(("spec", "logConfiguration"), {k: "x" for k in V.ALLOWED_LOG_CONFIG_KEYS})]),
    ("legacy-state-keys", "FD",
     [(conf(V.CHECKPOINTS_DIR.key), DELETE), (conf(V.SAVEPOINT_DIR.key), DELETE),
      (conf(V.CHECKPOINTS_DIR.legacy[0]), "s3://b/cp"), (conf(V.SAVEPOINT_DIR.legacy[0]), "s3://b/sp")]),
    ("nested-state-keys", "FD",
     [(conf(V.CHECKPOINTS_DIR.key), DELETE), (conf(V.SAVEPOINT_DIR.key), DELETE),
      (("spec", "flinkConfiguration", "state"), {"checkpoints.dir": "s3://b/cp", "savepoints.dir": "s3://b/sp"})]),
    ("stateless-without-dirs", "FD",
     [(("spec", "job", "upgradeMode"), "stateless"), (conf(V.CHECKPOINTS_DIR.key), DELETE),
      (conf(V.SAVEPOINT_DIR.key), DELETE)]),
    ("last-state-without-savepoint-dir", "FD", [(("spec", "job", "upgradeMode"), "last-state"),
                                                (conf(V.SAVEPOINT_DIR.key), DELETE)]),
    ("tm-replicas-instead-of-parallelism", "FD",
     [(("spec", "job", "parallelism"), 0), (("spec", "taskManager", "replicas"), 2)]),
    ("jm-memory-from-config", "FD",
     [(("spec", "jobManager", "resource", "memory"), DELETE), (conf("jobmanager.memory.process.size"), "1600m")]),
    ("tm-memory-from-config", "FD",
     [(("spec", "taskManager", "resource", "memory"), DELETE), (conf("taskmanager.memory.flink.size"), "1g")]),
    ("jm-memory-quantity", "FD", [(("spec", "jobManager", "resource", "memory"), "2Gi")]),
    ("tm-memory-quantity-bytes-suffix", "FD", [(("spec", "taskManager", "resource", "memory"), "2GiB")]),
    ("tm-memory-long-unit", "FD", [(("spec", "taskManager", "resource", "memory"), "2048 mebibytes")]),
    ("jm-storage-quantity", "FD", [(("spec", "jobManager", "resource", "ephemeralStorage"), "10Gi")]),
    ("jm-standby-with-ha", "FD", [(("spec", "jobManager", "replicas"), 2)]),
    ("service-account-empty", "FD", [(("spec", "serviceAccount"), "")]),
    ("autoscaler-off-ignores-ranges", "FD", [(conf(V.AUTOSCALER_UTILIZATION_TARGET.key), "1.5")]),
    ("autoscaler-in-range", "FD",
     [(conf(V.AUTOSCALER_ENABLED.key), "true"), (conf(V.AUTOSCALER_UTILIZATION_TARGET.key), "0.5"),
      (conf("job.autoscaler.utilization.max"), "0.8"), (conf("job.autoscaler.utilization.min"), "0.3")]),
    ("autoscaler-excluded-periods", "FD",
     [(conf(V.AUTOSCALER_ENABLED.key), "true"),
      (conf(V.AUTOSCALER_EXCLUDED_PERIODS.key), "9:13-10:00;10:00-11:00 && * * * ? * 2-6;0 0 0 ? * SAT,SUN")]),
    ("jar-uri-https-case", "FSJ", [(("spec", "job", "jarURI"), "HTTPS://repo1.maven.org/job.jar")]),
    ("jar-uri-public-ip", "FSJ", [(("spec", "job", "jarURI"), "https://8.8.8.8/job.jar")]),
    ("session-job-parallelism-zero-without-cluster", "FSJ", [(("spec", "job", "parallelism"), 0)]),
    ("snapshot-already-exists", "FSS", [(("spec", "jobReference"), DELETE),
                                        (("spec", "savepoint", "alreadyExists"), True)]),
    ("snapshot-checkpoint", "FSS", [(("spec", "savepoint"), DELETE), (("spec", "checkpoint"), {})]),
]


# Rules fixed to agree with the operator's own validator (tests/policies/test_oracle.py): an allowed and a refused
# example each, by rule area.
VIOLATIONS += [
    # HighAvailabilityMode.fromConfig: 'standalone' is the old name of NONE.
    ("rollback-with-standalone-ha", "FD", [(conf(V.ROLLBACK_ENABLED.key), "true"), (conf(V.HA_TYPE.key), "standalone")],
     "operator-rollback-ha", V.ROLLBACK_ENABLED.key),
    # java.net.URL: the placeholders are replaced first, so a namespace where the port goes is an invalid port.
    ("ingress-namespace-as-port", "FD", [(("spec", "ingress"), {"template": "{{name}}:{{namespace}}"})],
     "operator-ingress", "spec.ingress.template"),
    ("ingress-ipv6-not-closed-by-port", "FD", [(("spec", "ingress"), {"template": "[::1]x:8080"})],
     "operator-ingress", "spec.ingress.template"),
    # Quartz CronExpression: hours 0-23.
    ("autoscaler-excluded-cron-out-of-range", "FD", [(conf(V.AUTOSCALER_ENABLED.key), "true"),
                                                     (conf(V.AUTOSCALER_EXCLUDED_PERIODS.key), "* * 25 * * ?")],
     "operator-autoscaler", V.AUTOSCALER_EXCLUDED_PERIODS.key),
    # fabric8 Quantity.parse: a space is not part of a quantity.
    ("tm-storage-with-space", "FD", [(("spec", "taskManager", "resource", "ephemeralStorage"), "10 Gi")],
     "operator-taskmanager", "spec.taskManager.resource.ephemeralStorage"),
    # InetAddress reads an IPv4-mapped IPv6 literal as the IPv4 address; java.net.URI refuses a bad %-escape.
    ("jar-uri-ipv4-mapped-loopback", "FSJ", [(("spec", "job", "jarURI"), "https://[::ffff:127.0.0.1]/job.jar")],
     "operator-jar-uri", "spec.job.jarURI"),
    ("jar-uri-bad-escape", "FSJ", [(("spec", "job", "jarURI"), "https://repo1.maven.org/a%zz.jar")],
     "operator-jar-uri", "spec.job.jarURI"),
    # Jackson converts the resource into the operator's types: enum names are case-sensitive, nonces are Longs.
    ("upgrade-mode-upper-case", "FD", [(("spec", "job", "upgradeMode"), "SAVEPOINT")], "operator-spec-types",
     "spec.job.upgradeMode"),
    ("redeploy-nonce-not-a-number", "FD", [(("spec", "job", "savepointRedeployNonce"), "10m")],
     "operator-spec-types", "spec.job.savepointRedeployNonce"),
    ("bluegreen-template-without-job", "FBG", [(("spec", "template", "spec", "job"), DELETE)],
     "operator-spec-types", "spec.template.spec.job"),
    # Flink's memory model: shares that do not fit the configured total.
    ("tm-network-min-exceeds-process", "FD", [(("spec", "taskManager", "resource", "memory"), DELETE),
                                              (conf("taskmanager.memory.process.size"), "2g"),
                                              (conf("taskmanager.memory.network.min"), "1g")],
     "operator-taskmanager", "spec.taskManager.resource.memory"),
    ("jm-off-heap-exceeds-flink", "FD", [(("spec", "jobManager", "resource", "memory"), DELETE),
                                         (conf("jobmanager.memory.flink.size"), "1g"),
                                         (conf("jobmanager.memory.off-heap.size"), "2g")],
     "operator-jobmanager", "spec.jobManager.resource.memory"),
]
PASSES += [
    # ... and any value that is not an enum name (an empty one too) is a factory class: HA is on.
    ("rollback-with-ha-factory", "FD", [(conf(V.ROLLBACK_ENABLED.key), "true"), (conf(V.HA_TYPE.key), "")]),
    ("ingress-ipv6-with-port", "FD", [(("spec", "ingress"), {"template": "[::1]:8080/{{namespace}}/{{name}}"})]),
    ("ingress-mailto-is-userinfo", "FD", [(("spec", "ingress"), {"template": "mailto:a@example.com"})]),
    # A blue/green child's template is "blue-" + the template: without one it is "blue-null", a host.
    # ConfigObjectNode.asFlatMap joins a YAML list with ';'; Quartz reads 'L' as 'last' in any field.
    ("autoscaler-excluded-periods-list", "FD", [(conf(V.AUTOSCALER_ENABLED.key), "true"),
                                                (conf(V.AUTOSCALER_EXCLUDED_PERIODS.key), ["9:00-10:00", "0 0 L * * ?"])]),
    # ... while resource.memory drops spaces before it parses (FlinkConfigBuilder.parseResourceMemoryString).
    ("tm-memory-with-space", "FD", [(("spec", "taskManager", "resource", "memory"), "2 Gi")]),
    ("jar-uri-ipv4-mapped-public", "FSJ", [(("spec", "job", "jarURI"), "https://[::ffff:8.8.8.8]/job.jar")]),
    ("jar-uri-escape", "FSJ", [(("spec", "job", "jarURI"), "https://repo1.maven.org/a%20b.jar")]),
    # ... and the legacy jobmanager.heap.mb read as the heap; a managed fraction of 0 leaves more to the task heap.
    ("jm-legacy-heap-mb", "FD", [(("spec", "jobManager", "resource", "memory"), DELETE),
                                 (conf("jobmanager.heap.mb"), "1024")]),
    ("tm-no-managed-memory", "FD", [(("spec", "taskManager", "resource", "memory"), DELETE),
                                    (conf("taskmanager.memory.process.size"), "2g"),
                                    (conf("taskmanager.memory.managed.fraction"), "0")]),
    ("parallelism-as-string", "FD", [(("spec", "job", "parallelism"), " 3")]),
    ("restart-nonce-as-string", "FD", [(("spec", "restartNonce"), "2")]),
    ("bluegreen-ingress-without-template", "FBG", [(("spec", "template", "spec", "ingress"), {"className": "nginx"})]),
]

def _operator_config(judge, **props):
    return judge.only(*[n for n in judge.names if n.startswith("operator-")], **props)


@pytest.mark.parametrize("case_id,base,changes,policy,path", VIOLATIONS, ids=[c[0] for c in VIOLATIONS])
def test_violation(policy_judge, case_id, base, changes, policy, path) -> None:
    obj = mutate(BASES[base], *changes)
    diagnostics = policy_judge.resource(obj, _operator_config(policy_judge))
    fired = [d for d in diagnostics if d.policy == policy]
    assert fired, f"{policy} did not fire on {case_id}; got {[(d.policy, d.message) for d in diagnostics]}"
    assert all(d.level == "mandatory" for d in fired)
    assert any(path in d.message for d in fired), [d.message for d in fired]
    name = obj["metadata"].get("name")
    assert any(f"{obj['kind']} team-a/{name}" in d.message for d in fired), "the message names the resource"


@pytest.mark.parametrize("case_id,base,changes", PASSES, ids=[c[0] for c in PASSES])
def test_accepted(policy_judge, case_id, base, changes) -> None:
    diagnostics = policy_judge.resource(mutate(BASES[base], *changes), _operator_config(policy_judge))
    assert diagnostics == [], [(d.policy, d.message) for d in diagnostics]


def test_every_operator_policy_has_a_violating_case(policy_judge) -> None:
    operator_policies = {n for n in policy_judge.names if n.startswith("operator-")}
    covered = {c[3] for c in VIOLATIONS} | {"operator-session-job-cluster"}  # stack policy: tested below
    assert operator_policies == covered


def test_unset_name_is_left_to_pulumi_autonaming(policy_judge) -> None:
    """Without metadata.name Pulumi names the object at apply time; the name rule cannot judge it before."""
    unnamed = mutate(FD, (("metadata", "name"), DELETE))
    assert policy_judge.resource(unnamed, policy_judge.only("operator-name")) == []


def test_jar_uri_config_extends_schemes_and_allows_restricted_hosts(policy_judge) -> None:
    s3 = mutate(FSJ, (("spec", "job", "jarURI"), "s3://bucket/job.jar"))
    local = mutate(FSJ, (("spec", "job", "jarURI"), "http://10.0.0.5:8080/job.jar"))
    opened = _operator_config(policy_judge, operator_jar_uri={"allowedSchemes": ["https", "S3", "http"],
                                                                "disallowRestrictedHosts": False})
    assert policy_judge.resource(s3, opened) == []
    assert policy_judge.resource(local, opened) == []
    checked = _operator_config(policy_judge, operator_jar_uri={"allowedSchemes": ["https", "http"]})
    assert {d.policy for d in policy_judge.resource(local, checked)} == {"operator-jar-uri"}


def test_operator_policies_judge_only_their_kinds(policy_judge) -> None:
    """A Deployment with a bad-looking spec is not a Flink resource: no operator-* policy applies to it."""
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "Bad_Name", "namespace": "x"},
                  "spec": {"template": {"spec": {"containers": []}}}}
    assert policy_judge.resource(deployment, _operator_config(policy_judge)) == []


# --- operator-session-job-cluster: the with-cluster checks, only when the cluster is in the stack -----------------


def _stack_policy(judge, objs):
    return [d for d in judge.stack(objs, judge.only("operator-session-job-cluster"))]


def test_session_job_with_cluster_passes(policy_judge) -> None:
    assert _stack_policy(policy_judge, [SESSION, FSJ]) == []


def test_session_job_savepoint_mode_uses_cluster_config(policy_judge) -> None:
    job = mutate(FSJ, (("spec", "job", "upgradeMode"), "savepoint"))
    assert _stack_policy(policy_judge, [SESSION, job]) == []
    bare = mutate(SESSION, (conf(V.SAVEPOINT_DIR.key), DELETE))
    found = _stack_policy(policy_judge, [bare, job])
    assert [d.policy for d in found] == ["operator-session-job-cluster"]
    assert "spec.job.upgradeMode" in found[0].message and found[0].urn.endswith("orders-job-1")


def test_session_job_to_application_cluster_is_refused(policy_judge) -> None:
    app = mutate(FD, (("metadata", "name"), "session"))
    found = _stack_policy(policy_judge, [app, FSJ])
    assert any("application cluster" in d.message for d in found)


def test_session_job_parallelism_checked_with_cluster(policy_judge) -> None:
    job = mutate(FSJ, (("spec", "job", "parallelism"), 0))
    found = _stack_policy(policy_judge, [SESSION, job])
    assert any("spec.job.parallelism" in d.message for d in found)
    assert _stack_policy(policy_judge, [job]) == [], "without the cluster upstream does not check it"


def test_session_job_autoscaler_checked_with_cluster(policy_judge) -> None:
    cluster = mutate(SESSION, (conf(V.AUTOSCALER_ENABLED.key), "true"))
    job = mutate(FSJ, (conf(V.AUTOSCALER_UTILIZATION_TARGET.key), "2"))
    found = _stack_policy(policy_judge, [cluster, job])
    assert any(V.AUTOSCALER_UTILIZATION_TARGET.key in d.message for d in found)
