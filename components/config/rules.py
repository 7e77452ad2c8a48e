"""The rules of the platform config that relate several fields: one owner per namespace, guard rails that agree,
operators that do not overlap, workloads that fit the platform and their namespaces' quotas.

Each rule takes a :class:`~components.config.models.PlatformConfig` whose fields already passed their own checks and returns
its problems, each with the exact path and value it refuses; :data:`CROSS_FIELD_CHECKS` lists them all, and
:func:`load_platform_config` (at the end of this module) runs them after the field rules.
"""

from __future__ import annotations

import typing
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from components.config import demand, pod_security, quantities
from components.config.models import CONFIG_ROOT, ConfigError, PlatformConfig, Problem, _path, _problem, _show
from components.workloads.render import custom_resource, render, tenant_scheduling, workload_problems

def _tenant_names_unique(config: PlatformConfig) -> list[Problem]:
    problems, first = [], {}
    for i, tenant in enumerate(config.tenants):
        if tenant.name in first:
            problems.append(
                Problem(
                    f"{CONFIG_ROOT}.tenants[{i}].name",
                    repr(tenant.name),
                    f"is already the name of {CONFIG_ROOT}.tenants[{first[tenant.name]}]; tenant names are unique",
                )
            )
        first.setdefault(tenant.name, i)
    return problems


def _namespaces_have_one_owner(config: PlatformConfig) -> list[Problem]:
    problems, owner = [], {}
    for i, tenant in enumerate(config.tenants):
        for j, ns in enumerate(tenant.namespaces):
            path = f"{CONFIG_ROOT}.tenants[{i}].namespaces[{j}]"
            if ns == config.operator.namespace:
                problems.append(
                    Problem(
                        path,
                        repr(ns),
                        f"is the operator namespace ({CONFIG_ROOT}.operator.namespace); tenants own other namespaces",
                    )
                )
            elif ns in owner:
                other, where = owner[ns]
                same = " (listed twice)" if other == tenant.name else ""
                problems.append(
                    Problem(
                        path,
                        repr(ns),
                        f"is already owned by tenant {other!r}{same} at {where}; a namespace belongs to exactly "
                        "one tenant",
                    )
                )
            else:
                owner[ns] = (tenant.name, path)
    return problems


def _guard_rails_consistent(config: PlatformConfig) -> list[Problem]:
    """The platform's guard rails, and each tenant's after its overrides, are consistent (requests <= limits...)."""
    problems = [Problem(f"{CONFIG_ROOT}.guardRails.{where}", found, rule)
                for where, found, rule in config.guard_rails.problems()]
    for i, tenant in enumerate(config.tenants):
        if tenant.guard_rails is None:
            continue
        effective = config.guard_rails_for(tenant)
        problems += [
            Problem(f"{CONFIG_ROOT}.tenants[{i}].guardRails.{where}", found,
                    f"{rule} (after tenant {tenant.name!r}'s overrides of {CONFIG_ROOT}.guardRails)")
            for where, found, rule in effective.problems()
            if (where, found, rule) not in config.guard_rails.problems()
        ]
    return problems


def operator_layout_problems(config: PlatformConfig) -> list[Problem]:
    """Cross-field rules of the operators (issue 7), each with its exact path.

    Every namespace is watched by exactly one operator: a tenant with its own operator is watched by it, every other
    tenant by the platform's shared operator. So no operator may watch the whole cluster beside a tenant operator,
    and no operator namespace may be a tenant namespace or another operator's namespace.
    """
    problems: list[Problem] = []
    tenant_ns = {ns: t.name for t in config.tenants for ns in t.namespaces}
    operator_ns = {config.operator.namespace: "operator.namespace"}
    own = [(i, t) for i, t in enumerate(config.tenants) if t.operator is not None]
    if own and config.operator.watch == "cluster":
        names = ", ".join(repr(t.name) for _, t in own)
        problems.append(Problem(
            _path(("operator", "watch")), "'cluster'",
            f"the shared operator cannot watch every namespace while tenants {names} have their own operators; "
            "use 'namespaces'",
        ))
    for i, tenant in own:
        op = tenant.operator
        assert op is not None
        where = ("tenants", i, "operator")
        if op.watch == "cluster":
            problems.append(Problem(
                _path(where + ("watch",)), "'cluster'",
                "a tenant operator watches only its tenant's namespaces; use 'namespaces'",
            ))
        if op.namespace in tenant_ns:
            problems.append(Problem(
                _path(where + ("namespace",)), repr(op.namespace),
                f"is a namespace of tenant {tenant_ns[op.namespace]!r}; an operator needs a namespace of its own",
            ))
        elif op.namespace in operator_ns:
            problems.append(Problem(
                _path(where + ("namespace",)), repr(op.namespace),
                f"is already the namespace of the operator at {CONFIG_ROOT}.{operator_ns[op.namespace]}",
            ))
        operator_ns.setdefault(op.namespace, f"tenants[{i}].operator.namespace")
    for i, tenant in enumerate(config.tenants):
        for j, ns in enumerate(tenant.namespaces):
            if ns in operator_ns and ns != config.operator.namespace:
                problems.append(Problem(
                    _path(("tenants", i, "namespaces", j)), repr(ns),
                    f"is the namespace of the operator at {CONFIG_ROOT}.{operator_ns[ns]}; tenants own other namespaces",
                ))
    return problems


def _pod_security_fits_the_environment(config: PlatformConfig) -> list[Problem]:
    """A tenant's namespaces enforce at least the environment's Pod Security level (restricted in prod)."""
    minimum = pod_security.minimum_level(config.environment)
    return [
        Problem(f"{CONFIG_ROOT}.tenants[{i}].podSecurity", repr(t.pod_security),
                f"is below the minimum Pod Security level for environment {config.environment!r} ({minimum!r}); "
                f"use one of {list(pod_security.LEVELS[pod_security.LEVELS.index(minimum):])}")
        for i, t in enumerate(config.tenants) if not pod_security.at_least(t.pod_security, minimum)
    ]


def _tenant(config: PlatformConfig, name: str) -> tuple[int, Any] | None:
    return next(((i, t) for i, t in enumerate(config.tenants) if t.name == name), None)


def _workload_secrets_stay_in_their_tenant(config: PlatformConfig) -> list[Problem]:
    """A workload names only its own tenant's secrets (``tenants[].secrets``), and a key belongs to one tenant."""
    problems, owner = [], {}
    for i, t in enumerate(config.tenants):
        for j, key in enumerate(t.secrets):
            if key in owner and owner[key][0] != t.name:
                problems.append(Problem(f"{CONFIG_ROOT}.tenants[{i}].secrets[{j}]", repr(key),
                                        f"is already a secret of tenant {owner[key][0]!r} ({owner[key][1]}); a "
                                        "workload secret belongs to exactly one tenant"))
            owner.setdefault(key, (t.name, f"{CONFIG_ROOT}.tenants[{i}].secrets[{j}]"))
    w = config.workloads
    for section, camel in (("applications", "applications"), ("session_clusters", "sessionClusters")):
        for i, workload in enumerate(getattr(w, section)):
            found = _tenant(config, workload.tenant)
            if found is None:
                continue  # an unknown tenant is reported by _workloads_fit_the_platform
            ti, tenant = found
            for j, env in enumerate(workload.secret_env):
                if env.secret in tenant.secrets:
                    continue
                other = f"; it is a secret of tenant {owner[env.secret][0]!r}" if env.secret in owner else ""
                problems.append(Problem(
                    f"{CONFIG_ROOT}.workloads.{camel}[{i}].secretEnv[{j}].secret", repr(env.secret),
                    f"is not a secret of tenant {workload.tenant!r}{other}; a workload may name only keys its tenant "
                    f"lists at {CONFIG_ROOT}.tenants[{ti}].secrets (now: {tenant.secrets})"))
    return problems


#: In-cluster Service host names: <service>.<namespace>.svc[.cluster.local].
_SERVICE_SUFFIXES = (".svc", ".svc.cluster.local")


def rest_host_problem(url: str, tenant: Any, tenant_path: str) -> str | None:
    """Why ``url`` is not a host ``tenant`` may send REST calls (and the stack's REST credentials) to, or None.

    Allowed: a Service in one of the tenant's own namespaces (``<svc>.<ns>.svc[.cluster.local]``), or a host the
    tenant lists in ``restHosts``."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host in tenant.rest_hosts:
        return None
    for suffix in _SERVICE_SUFFIXES:
        if host.endswith(suffix):
            parts = host[: -len(suffix)].split(".")
            if len(parts) == 2 and parts[1] in tenant.namespaces:
                return None
            if len(parts) == 2:
                return (f"is a Service in namespace {parts[1]!r}, not one of tenant {tenant.name!r}'s namespaces "
                        f"{tenant.namespaces}")
    return (f"host {host!r} is neither a Service in tenant {tenant.name!r}'s namespaces "
            f"(<service>.<namespace>.svc) nor listed in {tenant_path}.restHosts ({tenant.rest_hosts}); the gate "
            "sends the stack's REST credentials to it")


def _rest_urls_stay_in_their_tenant(config: PlatformConfig) -> list[Problem]:
    """``gate.restUrl`` and ``restJobs[].restUrl`` point at the tenant's own JobManagers (or its ``restHosts``)."""
    problems = []
    w = config.workloads
    urls = [(f"{CONFIG_ROOT}.workloads.{camel}[{i}].gate.restUrl", x.tenant, x.gate.rest_url)
            for section, camel in (("applications", "applications"), ("session_jobs", "sessionJobs"))
            for i, x in enumerate(getattr(w, section))]
    urls += [(f"{CONFIG_ROOT}.workloads.restJobs[{i}].restUrl", x.tenant, x.rest_url) for i, x in enumerate(w.rest_jobs)]
    for path, tenant_name, url in urls:
        found = _tenant(config, tenant_name)
        if url is None or found is None:
            continue
        problem = rest_host_problem(url, found[1], f"{CONFIG_ROOT}.tenants[{found[0]}]")
        if problem:
            problems.append(Problem(path, repr(url), problem))
    return problems


def _no_literal_credentials_in_flink_configuration(config: PlatformConfig) -> list[Problem]:
    """Secret-looking ``flinkConfiguration`` values of workloads the program renders into Kubernetes objects (the
    custom resources, a plain session cluster's ``FLINK_PROPERTIES`` env) would be plaintext in ``manifests.yaml``,
    ``resources.json`` and the cluster: only ``${VAR}`` references (from ``secretEnv``) are allowed there."""
    problems = []
    w = config.workloads
    for section, camel in (("applications", "applications"), ("session_clusters", "sessionClusters"),
                           ("session_jobs", "sessionJobs"), ("plain_session_clusters", "plainSessionClusters")):
        for i, workload in enumerate(getattr(w, section)):
            for key, literal in literal_credentials(getattr(workload, "flink_configuration", None)):
                problems.append(Problem(
                    f"{CONFIG_ROOT}.workloads.{camel}[{i}].flinkConfiguration[{key!r}]", "a literal credential",
                    f"would be written in plaintext into the rendered objects ({', '.join(literal)}); put the "
                    "value in workloadSecrets, expose it with secretEnv and write ${VAR} here"))
    return problems


def literal_credentials(configuration: Any) -> list[tuple[str, list[str]]]:
    """(key, what looks secret) for each literal credential of a ``flinkConfiguration`` (a ``${VAR}`` reference to a
    secretEnv variable is none), by the shared word list and value shapes."""
    from components.providers import secret_config
    from components.workloads.render import flatten, flink_value

    out = []
    for key, value in flatten(configuration or {}).items():
        text = flink_value(value)
        literal = [key] if secret_config.is_secret_key(key) and not secret_config.is_reference(text) \
            else secret_config.secrets_in_text(text)
        if literal:
            out.append((key, literal))
    return out


def _ingress_stays_in_its_tenant(config: PlatformConfig) -> list[Problem]:
    """A workload's ingress host names no other tenant's namespace or tenant, and no annotation injects raw
    controller configuration (``*-snippet``)."""
    from components.config import tenancy

    owner = {ns: t.name for t in config.tenants for ns in t.namespaces}
    problems = []
    w = config.workloads
    for section, camel in (("applications", "applications"), ("session_clusters", "sessionClusters")):
        for i, workload in enumerate(getattr(w, section)):
            ingress = getattr(workload, "ingress", None)
            if ingress is None:
                continue
            where = f"{CONFIG_ROOT}.workloads.{camel}[{i}].ingress"
            host = tenancy.rendered_ingress_host(ingress.template, workload.name, workload.namespace).lower()
            others = tenancy.foreign_host_labels(host, workload.tenant, owner)
            if others:
                problems.append(Problem(f"{where}.template", repr(ingress.template),
                                        f"the host {host!r} names {others} of another tenant than {workload.tenant!r}; "
                                        "use {{name}}.{{namespace}}.<domain>"))
            for key in ingress.annotations:
                if key.endswith(("-snippet", "-snippets")):
                    problems.append(Problem(f"{where}.annotations[{key!r}]", "a configuration snippet",
                                            "injects raw ingress-controller configuration; remove it"))
    return problems


def _state_stays_in_its_tenant(config: PlatformConfig) -> list[Problem]:
    """Checkpoint, savepoint and HA directories and ``job.initialSavepointPath``, as rendered, lie under the
    workload's tenant prefix (``components/config/tenancy.py``, the rule the pack's stack-tenant-state applies)."""
    from components.config import tenancy
    from components.workloads.render import flatten

    try:
        rendered = render(config.workloads, config.environment, tenant_scheduling(config.tenants))
    except Exception:  # noqa: BLE001 - an inconsistent workload config is reported by _workloads_fit_the_platform
        return []
    owner = {ns: t.name for t in config.tenants for ns in t.namespaces}
    w = config.workloads
    index = {id(x): f"{camel}[{i}]" for section, camel in (("applications", "applications"),
                                                           ("session_clusters", "sessionClusters"),
                                                           ("session_jobs", "sessionJobs"))
             for i, x in enumerate(getattr(w, section))}
    problems = []
    for r in rendered:
        spec = r.spec["template"]["spec"] if r.kind == "FlinkBlueGreenDeployment" else r.spec
        where = f"{CONFIG_ROOT}.workloads.{index.get(id(r.workload), r.name)}"
        conf = spec.get("flinkConfiguration") or {}
        # A state key the workload sets itself is refused as platform-managed (_workloads_fit_the_platform): one
        # problem for one mistake.
        own = flatten(getattr(r.workload, "flink_configuration", None) or {})
        found = [(f"{where} (rendered flinkConfiguration[{k!r}])", conf[k]) for k in tenancy.STATE_KEYS
                 if conf.get(k) and k not in own]
        if (spec.get("job") or {}).get("initialSavepointPath"):
            found.append((f"{where}.job.initialSavepointPath", spec["job"]["initialSavepointPath"]))
        for path, uri in found:
            problem = tenancy.state_path_problem(str(uri), r.workload.tenant, owner)
            if problem:
                problems.append(Problem(path, repr(uri), f"{problem}; workload state stays under <baseUri>/"
                                        f"{r.workload.tenant}/<namespace>/ of its tenant"))
    return problems


def _flink_pod_options_stay_platform_owned(config: PlatformConfig) -> list[Problem]:
    """A workload's flinkConfiguration does not put its pods on the host network, under another ServiceAccount, on
    a pod template file, or behind an exposed REST service (the pack refuses the rendered resource likewise)."""
    from components.operator import upstream as U
    from components.workloads.render import flatten, flink_value

    problems = []
    for section, camel in (("applications", "applications"), ("session_clusters", "sessionClusters")):
        for i, workload in enumerate(getattr(config.workloads, section)):
            conf = {k: flink_value(v) for k, v in flatten(workload.flink_configuration).items()}
            where = f"{CONFIG_ROOT}.workloads.{camel}[{i}].flinkConfiguration"
            refused = {U.FLINK_HOST_NETWORK_KEY: conf.get(U.FLINK_HOST_NETWORK_KEY, "").strip().lower() == "true",
                       U.FLINK_REST_EXPOSED_TYPE_KEY: conf.get(U.FLINK_REST_EXPOSED_TYPE_KEY, "").strip()
                       in ("LoadBalancer", "NodePort")}
            refused.update({k: conf[k].strip() != U.JOB_SERVICE_ACCOUNT for k in U.FLINK_SERVICE_ACCOUNT_KEYS
                            if k in conf})
            refused.update({k: True for k in U.FLINK_POD_TEMPLATE_FILE_KEYS if k in conf})
            for key, bad in refused.items():
                if bad:
                    problems.append(Problem(f"{where}[{key!r}]", repr(conf[key]),
                                            "the platform owns how the pods run (network, ServiceAccount "
                                            f"{U.JOB_SERVICE_ACCOUNT!r}, pod templates, REST service type); remove it"))
    return problems


def _workloads_fit_the_platform(config: PlatformConfig) -> list[Problem]:
    return [Problem(*issue) for issue in workload_problems(config, CONFIG_ROOT)]


def _workloads_fit_quotas(config: PlatformConfig) -> list[Problem]:
    """Each tenant namespace's workloads fit its ResourceQuota: CPU and memory requests and limits, pods, and the
    number of FlinkDeployments and FlinkSessionJobs. Counted as the capacity table counts the rendered objects
    (JobManager replicas, HA standbys included, and TaskManagers × their resources; LimitRange defaults for
    containers that ask for nothing)."""
    try:
        rendered = render(config.workloads, config.environment, tenant_scheduling(config.tenants))
    except Exception:  # noqa: BLE001 - an inconsistent workload config is reported by _workloads_fit_the_platform
        return []
    by_namespace: dict[str, list[Any]] = {}
    for r in rendered:
        by_namespace.setdefault(r.namespace, []).append(r)
    problems: list[Problem] = []
    for i, tenant in enumerate(config.tenants):
        rails = config.guard_rails_for(tenant)
        limits = rails.limit_range
        defaults = demand.ContainerDefaults(
            {k: quantities.parse_quantity(getattr(limits.default_request, k)) for k in ("cpu", "memory")},
            {k: quantities.parse_quantity(getattr(limits.default, k)) for k in ("cpu", "memory")},
        )
        quota = rails.quota
        where = "tenants[{i}].guardRails.quota" if tenant.guard_rails and tenant.guard_rails.quota else "guardRails.quota"
        where = f"{CONFIG_ROOT}.{where.format(i=i)}"
        for j, ns in enumerate(tenant.namespaces):
            items = by_namespace.get(ns, [])
            if not items:
                continue
            total = demand.Demand()
            lines: dict[str, list[str]] = {"cpu": [], "memory": []}
            deployments = sessions = 0
            for r in items:
                obj = custom_resource(r)
                try:
                    total = total + demand.object_demand(obj, defaults)
                except (quantities.QuantityError, ValueError, ArithmeticError):
                    continue  # a value the field rules refuse with its path (they run in the same pass)
                if r.kind == "FlinkSessionJob":
                    sessions += 1
                    continue
                deployments += 2 if r.kind == "FlinkBlueGreenDeployment" else 1
                spec = r.spec["template"]["spec"] if r.kind == "FlinkBlueGreenDeployment" else r.spec
                pods = demand.flink_pods(spec, defaults)
                for kind in lines:
                    lines[kind].append(f"{r.name}: {pods.describe(kind)}")
            checks = [
                ("requests.cpu", "requestsCpu", total.requests_cpu, quota.requests_cpu, "cpu", quantities.format_cpu),
                ("requests.memory", "requestsMemory", total.requests_memory, quota.requests_memory, "memory",
                 quantities.format_memory),
                ("limits.cpu", "limitsCpu", total.limits_cpu, quota.limits_cpu, "cpu", quantities.format_cpu),
                ("limits.memory", "limitsMemory", total.limits_memory, quota.limits_memory, "memory",
                 quantities.format_memory),
            ]
            for resource, field, used, allowed, kind, fmt in checks:
                if used > quantities.parse_quantity(allowed):
                    problems.append(Problem(
                        f"{CONFIG_ROOT}.tenants[{i}].namespaces[{j}]",
                        f"workloads of tenant {tenant.name!r} in {ns!r} that need {resource}={fmt(used)}",
                        f"the namespace's quota allows {resource}={allowed} ({where}.{field}); raise it or shrink "
                        f"the workloads: " + "; ".join(lines[kind]),
                    ))
            for resource, field, used, allowed in (
                ("pods", "pods", total.pods, quota.pods),
                ("count/flinkdeployments (a blue/green deployment counts 2 during a transition)",
                 "flinkDeployments", deployments, quota.flink_deployments),
                ("count/flinksessionjobs", "flinkSessionJobs", sessions, quota.flink_session_jobs),
            ):
                if used > allowed:
                    problems.append(Problem(
                        f"{CONFIG_ROOT}.tenants[{i}].namespaces[{j}]",
                        f"workloads of tenant {tenant.name!r} in {ns!r} that need {resource}={used}",
                        f"the namespace's quota allows {allowed} ({where}.{field}); raise it or remove workloads",
                    ))
    return problems


def _workloads_fit_limit_ranges(config: PlatformConfig) -> list[Problem]:
    """Each JobManager and TaskManager container fits its namespace's LimitRange, as the API server checks it at
    pod creation: its limits (the request × Flink's limit factor; for a plain session cluster, whose containers set
    no CPU limit, the LimitRange's default CPU limit) at most ``max``, and its request at most its limit."""
    from components.workloads.render import flatten

    tenants = {t.name: t for t in config.tenants}
    problems: list[Problem] = []
    sections = (("applications", config.workloads.applications), ("sessionClusters", config.workloads.session_clusters),
                ("plainSessionClusters", config.workloads.plain_session_clusters))
    for section, items in sections:
        for i, w in enumerate(items):
            tenant = tenants.get(w.tenant)
            if tenant is None:
                continue  # reported by the placement rules
            rails = config.guard_rails_for(tenant).limit_range
            where = ("tenants[{}].guardRails.limitRange".format(config.tenants.index(tenant))
                     if tenant.guard_rails and tenant.guard_rails.limit_range else "guardRails.limitRange")
            max_cpu, max_mem = (quantities.parse_quantity(rails.max.cpu), quantities.parse_quantity(rails.max.memory))
            default_cpu = quantities.parse_quantity(rails.default.cpu)
            conf = flatten(getattr(w, "flink_configuration", {}) or {})
            plain = section == "plainSessionClusters"
            for role, key in (("jobManager", "jobmanager"), ("taskManager", "taskmanager")):
                spec = getattr(w, "job_manager" if role == "jobManager" else "task_manager")
                resource = spec if plain else spec.resource
                path = f"{CONFIG_ROOT}.workloads.{section}[{i}].{role}" + ("" if plain else ".resource")
                try:
                    cpu = Decimal(str(resource.cpu))
                    memory = Decimal(quantities.parse_flink_memory(resource.memory))
                    cpu_factor = Decimal(str(conf.get(f"kubernetes.{key}.cpu.limit-factor", "1.0")))
                    mem_factor = Decimal(str(conf.get(f"kubernetes.{key}.memory.limit-factor", "1.0")))
                except (quantities.QuantityError, ArithmeticError, ValueError):
                    continue  # the field rules name it
                cpu_limit = default_cpu if plain else cpu * cpu_factor
                if cpu_limit > max_cpu:
                    problems.append(Problem(f"{path}.cpu", _show_number(resource.cpu),
                                            f"a CPU limit of {quantities.format_cpu(cpu_limit)} is over the namespace's "
                                            f"LimitRange max of {rails.max.cpu} per container ({CONFIG_ROOT}.{where}"
                                            ".max.cpu); the API server refuses the pod"))
                elif plain and cpu > default_cpu:
                    problems.append(Problem(f"{path}.cpu", _show_number(resource.cpu),
                                            f"a plain session cluster's containers set no CPU limit, so they get the "
                                            f"LimitRange default limit of {rails.default.cpu} ({CONFIG_ROOT}.{where}."
                                            "default.cpu), below this request; the API server refuses the pod. Ask "
                                            f"for at most {rails.default.cpu} CPU or raise that default"))
                if memory * mem_factor > max_mem:
                    problems.append(Problem(f"{path}.memory", repr(resource.memory),
                                            f"a memory limit of {quantities.format_memory(memory * mem_factor)} is over "
                                            f"the namespace's LimitRange max of {rails.max.memory} per container "
                                            f"({CONFIG_ROOT}.{where}.max.memory); the API server refuses the pod"))
    return problems


def _show_number(value: Any) -> str:
    return repr(value) if not isinstance(value, float) or not value.is_integer() else str(int(value))


def _features_have_their_flows(config: PlatformConfig) -> list[Problem]:
    """Every feature switched on can work under the network policies: the peers and endpoints it needs are declared
    (object storage for remote state, ingress controllers, REST runners, metrics sources, artifact hosts)."""
    from components.operator.network import feature_problems

    return feature_problems(config)


#: Rules relating several fields; each returns its problems with exact paths. Run after the field rules passed.
CROSS_FIELD_CHECKS: list[typing.Callable[[PlatformConfig], list[Problem]]] = [
    _tenant_names_unique,
    _namespaces_have_one_owner,
    _guard_rails_consistent,
    operator_layout_problems,
    _pod_security_fits_the_environment,
    _workload_secrets_stay_in_their_tenant,
    _rest_urls_stay_in_their_tenant,
    _no_literal_credentials_in_flink_configuration,
    _ingress_stays_in_its_tenant,
    _state_stays_in_its_tenant,
    _flink_pod_options_stay_platform_owned,
    _workloads_fit_the_platform,
    _workloads_fit_quotas,
    _workloads_fit_limit_ranges,
    _features_have_their_flows,
]


def load_platform_config(raw: Any) -> PlatformConfig:
    """Validate the decoded value of ``flink-platform:platform``; raise :class:`ConfigError` listing every problem.

    Field rules run first (pydantic); the rules that relate several fields (:data:`CROSS_FIELD_CHECKS`) run on a
    config whose fields are valid, and each names the exact path and value it refuses.
    """
    if not isinstance(raw, dict):
        raise ConfigError([Problem(CONFIG_ROOT, _show(raw), "must be a mapping (the whole platform config)")])
    try:
        config = PlatformConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_every_problem(raw, err)) from None
    problems = [p for check in CROSS_FIELD_CHECKS for p in check(config)]
    if problems:
        raise ConfigError(problems)
    return config


def _without(raw: Any, loc: tuple[Any, ...]) -> bool:
    """Drop the value at ``loc`` (a mapping entry) from ``raw``; False when it cannot be dropped (a list item,
    the whole config)."""
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
    node = raw
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(node, dict) and loc and loc[-1] in node:
        del node[loc[-1]]
        return True
    return False


def _every_problem(raw: dict[str, Any], err: ValidationError, passes: int = 5) -> list[Problem]:
    """The field problems, then what the config says besides them: the wrong values are dropped (their field
    falls back to its default) and the rest validated again, so a type error does not hide the other problems.
    Problems found only because a value was dropped (a required key now missing) are not reported; the rules
    relating several fields run once no field problem is left, on what the stack really says."""
    import copy

    problems = [_problem(e) for e in err.errors(include_url=False)]
    dropped: list[str] = []
    trimmed = copy.deepcopy(raw)
    for _ in range(passes):
        locs = [tuple(e["loc"]) for e in err.errors(include_url=False)]
        if not any([_without(trimmed, loc) for loc in locs]):
            break
        dropped += [_problem({"loc": loc, "type": "x", "msg": ""}).path for loc in locs]
        try:
            config = PlatformConfig.model_validate(trimmed)
        except ValidationError as again:
            err = again
            fresh = [p for p in (_problem(e) for e in err.errors(include_url=False))
                     if p.path not in dropped and p.path not in {q.path for q in problems}]
            problems += fresh
            continue
        problems += [p for check in CROSS_FIELD_CHECKS for p in check(config)
                     if not any(p.path.startswith(d) or d.startswith(p.path) for d in dropped)]
        break
    return problems
