"""The Kubernetes Pod Security Standards, field by field (stdlib only: the program and the policy pack import it).

Source: https://kubernetes.io/docs/concepts/security/pod-security-standards/ (the policies the Pod Security
admission controller enforces, ``k8s.io/pod-security-admission/policy``), for the Kubernetes versions the stacks
declare (1.30-1.34). Each level includes the ones before it: ``privileged`` (nothing enforced) < ``baseline`` <
``restricted``. Version-dependent entries carry the version they start at.
"""

from __future__ import annotations

LEVELS = ("privileged", "baseline", "restricted")

# --- baseline -----------------------------------------------------------------------------------------------------

#: Pod fields that share a host namespace; must be unset or false.
HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")
#: Capabilities baseline allows in ``capabilities.add`` (beyond these: refused).
BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
    "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})
#: AppArmor profile types allowed (``securityContext.appArmorProfile.type``); unset is allowed.
APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})
#: The AppArmor annotation prefix (before 1.30's field) and the values allowed for it.
APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
APPARMOR_ANNOTATION_VALUES = ("runtime/default", "localhost/")
#: ``seLinuxOptions.type`` values allowed (unset too); ``user`` and ``role`` must be unset.
SELINUX_TYPES = frozenset({"container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
#: ``procMount`` values allowed (unset too).
PROC_MOUNT_TYPES = frozenset({"Default"})
#: Seccomp profile types refused at baseline.
SECCOMP_BASELINE_REFUSED = frozenset({"Unconfined"})
#: Safe sysctls (``spec.securityContext.sysctls[*].name``), with the Kubernetes minor they are allowed from.
SAFE_SYSCTLS: dict[str, tuple[int, int]] = {
    "kernel.shm_rmid_forced": (1, 0),
    "net.ipv4.ip_local_port_range": (1, 0),
    "net.ipv4.ip_unprivileged_port_start": (1, 0),
    "net.ipv4.tcp_syncookies": (1, 0),
    "net.ipv4.ping_group_range": (1, 0),
    "net.ipv4.ip_local_reserved_ports": (1, 27),
    "net.ipv4.tcp_keepalive_time": (1, 29),
    "net.ipv4.tcp_fin_timeout": (1, 29),
    "net.ipv4.tcp_keepalive_intvl": (1, 29),
    "net.ipv4.tcp_keepalive_probes": (1, 29),
}

# --- restricted ---------------------------------------------------------------------------------------------------

#: Volume sources allowed (every other source, ``hostPath`` and ``nfs`` among them, is refused).
RESTRICTED_VOLUME_SOURCES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
})
#: Capabilities restricted allows in ``capabilities.add``; ``capabilities.drop`` must contain ``ALL``.
RESTRICTED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
#: Seccomp profile types restricted requires (pod level, or every container).
SECCOMP_RESTRICTED_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def minimum_level(environment: str) -> str:
    """The lowest Pod Security level a tenant namespace may enforce in ``environment``: ``restricted`` in prod,
    ``baseline`` elsewhere (``privileged`` turns every pod check off and is for no tenant)."""
    return "restricted" if environment == "prod" else "baseline"


def at_least(level: str, wanted: str) -> bool:
    """True when Pod Security ``level`` enforces everything ``wanted`` enforces."""
    return LEVELS.index(level) >= LEVELS.index(wanted)


def safe_sysctls(kubernetes_version: str | None = None) -> frozenset[str]:
    """The safe sysctls for ``kubernetes_version`` (``"1.33"``; None: the newest list)."""
    if not kubernetes_version:
        return frozenset(SAFE_SYSCTLS)
    major, minor = (int(p) for p in kubernetes_version.lstrip("v").split(".")[:2])
    return frozenset(k for k, since in SAFE_SYSCTLS.items() if (major, minor) >= since)
