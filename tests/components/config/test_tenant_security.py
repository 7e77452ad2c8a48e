"""Issue 19 at the stack-config layer: what a tenant may not reach (refused with the stack path), what it may.

Each rule: a refused and an allowed example, on a copy of the committed prod platform config.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest

from components.config.models import ConfigError
from components.config.rules import load_platform_config
from tests.components.config.test_models import set_in as at
from tests.conftest import platform_config

PROD = platform_config("prod")
# prod: tenants[0] payments (payments-prod, payments-fraud-prod), [1] analytics, [2] search;
# applications[2] sessionize (analytics), sessionJobs[0] daily-revenue (analytics, analytics-reporting-prod).


def change(*edits: Callable[[dict], None]) -> dict[str, Any]:
    cfg = copy.deepcopy(PROD)
    for edit in edits:
        edit(cfg)
    return cfg


GATE = "workloads.sessionJobs.0.gate.restUrl"
JAR = "workloads.sessionJobs.0.job.jarURI"
REFUSED = [
    ("privileged-prod-tenant", [at("tenants.0.podSecurity", "privileged")], "platform.tenants[0].podSecurity",
     "below the minimum Pod Security level for environment 'prod'"),
    ("baseline-prod-tenant", [at("tenants.2.podSecurity", "baseline")], "platform.tenants[2].podSecurity",
     "'restricted'"),
    ("privileged-dev-tenant", [at("environment", "dev"), at("tenants.1.podSecurity", "privileged")],
     "platform.tenants[1].podSecurity", "'baseline'"),
    ("other-tenants-secret", [at("workloads.applications.2.secretEnv.0.secret", "payments-kafka-password")],
     "platform.workloads.applications[2].secretEnv[0].secret", "it is a secret of tenant 'payments'"),
    ("unlisted-secret", [at("workloads.applications.2.secretEnv.0.secret", "analytics-new-token")],
     "platform.workloads.applications[2].secretEnv[0].secret", "is not a secret of tenant 'analytics'"),
    ("secret-of-two-tenants", [at("tenants.1.secrets", ["analytics-kafka-password", "payments-kafka-password"])],
     "platform.tenants[1].secrets[1]", "is already a secret of tenant 'payments'"),
    ("gate-to-outside-host", [at(GATE, "https://collector.attacker.example:8443")], "platform.workloads.sessionJobs[0]"
     ".gate.restUrl", "neither a Service in tenant 'analytics'"),
    ("gate-to-other-tenants-service", [at(GATE, "http://ledger-rest.payments-prod.svc:8081")],
     "platform.workloads.sessionJobs[0].gate.restUrl", "not one of tenant 'analytics'"),
    ("gate-to-other-tenants-service-fqdn", [at(GATE, "https://ledger-rest.payments-prod.svc.cluster.local:8081")],
     "platform.workloads.sessionJobs[0].gate.restUrl", "not one of tenant 'analytics'"),
    ("gate-to-other-tenants-rest-host", [at("tenants.0.restHosts", ["flink.payments.acme.internal"]),
                                         at(GATE, "https://flink.payments.acme.internal")],
     "platform.workloads.sessionJobs[0].gate.restUrl", "platform.tenants[1].restHosts"),
    ("s3-secret-in-plain-session-cluster", [at("workloads.plainSessionClusters", [{
        "name": "legacy", "tenant": "analytics", "namespace": "analytics-prod", "image": "flink:1.20.1",
        "jobManager": {"cpu": 1, "memory": "1024m"}, "taskManager": {"cpu": 1, "memory": "1024m"},
        "flinkConfiguration": {"s3.secret-key": "AKIAplaintext"}}])],
     "platform.workloads.plainSessionClusters[0].flinkConfiguration['s3.secret-key']", "plaintext"),
    ("jaas-password-in-application", [at("workloads.applications.2.flinkConfiguration", {
        "properties.sasl.jaas.config": 'PlainLoginModule required username="u" password="p";'})],
     "platform.workloads.applications[2].flinkConfiguration['properties.sasl.jaas.config']", "(password)"),
    ("ingress-host-of-other-tenant", [at("workloads.applications.3.ingress.template",
                                         "{{name}}.payments-prod.flink.acme.internal")],
     "platform.workloads.applications[3].ingress.template", "names ['payments-prod'] of another tenant"),
    ("ingress-snippet", [at("workloads.applications.3.ingress.annotations", {
        "nginx.ingress.kubernetes.io/server-snippet": "location / {}"})],
     "platform.workloads.applications[3].ingress.annotations['nginx.ingress.kubernetes.io/server-snippet']",
     "raw ingress-controller configuration"),
    ("initial-savepoint-of-other-tenant", [at("workloads.applications.2.job.initialSavepointPath",
                                              "s3://acme-flink-prod/state/payments/payments-prod/payments-ledger/sp-1")],
     "platform.workloads.applications[2].job.initialSavepointPath", "under tenant 'payments'"),
    ("checkpoint-override-of-other-tenant", [at("workloads.applications.2.state", {
        "checkpointDir": "s3://acme-flink-prod/state/search/search-prod/x/checkpoints"})],
     "platform.workloads.applications[2] (rendered flinkConfiguration['execution.checkpointing.dir'])",
     "under tenant 'search'"),
    ("host-network-option", [at("workloads.applications.2.flinkConfiguration", {"kubernetes.hostnetwork.enabled": True})],
     "platform.workloads.applications[2].flinkConfiguration['kubernetes.hostnetwork.enabled']", "platform owns"),
    ("service-account-option", [at("workloads.applications.2.flinkConfiguration", {
        "kubernetes.jobmanager.service-account": "flink-operator"})],
     "platform.workloads.applications[2].flinkConfiguration['kubernetes.jobmanager.service-account']", "'flink'"),
    ("rest-load-balancer-option", [at("workloads.applications.2.flinkConfiguration", {
        "kubernetes.rest-service.exposed.type": "LoadBalancer"})],
     "platform.workloads.applications[2].flinkConfiguration['kubernetes.rest-service.exposed.type']", "REST service"),
    ("gate-to-metadata-ip", [at(GATE, "http://169.254.169.254:80")], "platform.workloads.sessionJobs[0].gate.restUrl",
     "neither a Service"),
    *[(f"jar-on-{name}", [at(JAR, uri)], "platform.workloads.sessionJobs[0].job.jarURI", "the operator refuses it")
      for name, uri in (("mapped-metadata-ip", "https://[::ffff:169.254.169.254]/latest/a.jar"),
                        ("mapped-loopback", "https://[::ffff:127.0.0.1]/a.jar"),
                        ("localhost-fqdn", "https://localhost./a.jar"),
                        ("private-ip", "https://10.1.2.3/a.jar"))],
    ("egress-to-every-address", [at("tenants.2.egress.0.dstNets", ["0.0.0.0/0"])],
     "platform.tenants[2].egress[0]", "every address"),  # only as a named exception (issue 17): anyAddressReason
]

ALLOWED = [
    ("own-service", [at(GATE, "http://reporting-rest.analytics-reporting-prod.svc:8081")]),
    ("own-service-fqdn", [at(GATE, "https://reporting-rest.analytics-reporting-prod.svc.cluster.local:8081")]),
    ("own-other-namespace", [at(GATE, "http://reporting-rest.analytics-prod.svc:8081")]),
    ("listed-rest-host", [at("tenants.1.restHosts", ["flink.analytics.acme.internal"]),
                          at(GATE, "https://flink.analytics.acme.internal:443")]),
    ("own-secret-added", [at("tenants.1.secrets", ["analytics-kafka-password", "analytics-s3-key"]),
                          at("workloads.applications.2.secretEnv", [
                              {"name": "KAFKA_SASL_PASSWORD", "secret": "analytics-kafka-password"},
                              {"name": "AWS_SECRET_ACCESS_KEY", "secret": "analytics-s3-key"}])]),
    ("secret-by-reference", [at("workloads.applications.2.flinkConfiguration", {
        "s3.secret-key": "${AWS_SECRET_ACCESS_KEY}", "fs.s3a.aws.credentials.provider": "com.x.EnvProvider"})]),
    ("ingress-own-host", [at("workloads.applications.3.ingress.template", "indexer.search-prod.flink.acme.internal"),
                          at("workloads.applications.3.ingress.annotations", {
                              "nginx.ingress.kubernetes.io/proxy-body-size": "16m"})]),
    ("initial-savepoint-own", [at("workloads.applications.2.job.initialSavepointPath",
                                  "s3://acme-flink-prod/state/analytics/analytics-prod/sessionize/savepoints/sp-7")]),
    ("restricted-stays", [at("tenants.0.podSecurity", "restricted")]),
    ("baseline-in-staging", [at("environment", "staging"), at("tenants.1.podSecurity", "baseline")]),
    ("jar-on-public-host", [at(JAR, "https://artifacts.acme.example/analytics/daily-revenue-1.4.3.jar")]),
    ("jar-on-private-host-when-the-operator-allows-it", [at("operator.disallowRestrictedArtifactHosts", False),
                                                        at(JAR, "https://10.1.2.3/a.jar")]),
    ("egress-to-a-kafka-subnet", [at("tenants.2.egress.0.dstNets", ["10.70.0.0/24", "10.71.0.0/16"])]),
]


@pytest.mark.parametrize("case_id,edits,path,text", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_with_the_stack_path(case_id, edits, path, text) -> None:
    with pytest.raises(ConfigError) as err:
        load_platform_config(change(*edits))
    mine = [p for p in err.value.problems if p.path == path]
    assert mine and any(text in p.allowed for p in mine), [(p.path, p.found, p.allowed) for p in err.value.problems]


@pytest.mark.parametrize("case_id,edits", ALLOWED, ids=[c[0] for c in ALLOWED])
def test_allowed(case_id, edits) -> None:
    load_platform_config(change(*edits))


def test_rest_credentials_without_their_hosts_are_refused() -> None:
    from components.config.stack import load_stack_config
    from tests.conftest import stack_config

    config = {**stack_config("prod"), "flink-platform:flinkRestToken": {"secure": "v1:dA==:Y2lwaGVydGV4dA=="}}
    with pytest.raises(ConfigError) as err:
        load_stack_config(config)
    assert [p.path for p in err.value.problems] == ["flink-platform:flinkRestCredentialHosts"]
    config["flink-platform:flinkRestCredentialHosts"] = '["flink.analytics.acme.internal"]'
    assert load_stack_config(config).environment == "prod"
