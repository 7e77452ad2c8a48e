"""How the dynamic providers reach a JobManager: connection inputs, credentials and secret hygiene.

Credentials reach a provider by two routes:

1. **Stack config (preferred).** `configure()` reads the keys below (set them with `pulumi config set --secret`).
   The engine calls Configure on the provider process before any other method, so this route works for every
   operation, including `delete` and `read`/refresh, which receive only the resource's stored *outputs*.
2. **Secret inputs** `bearerToken` / `basicPassword` on the resource. They are used by `create` and `update` only
   (those receive the inputs). They are never copied into outputs, so `delete` and refresh fall back to route 1:
   a cluster that needs credentials for deletion must have them in stack config as well.

**Plain http.** Credentials sent over `http://` travel in clear text (a bearer token or a basic-auth header can
be replayed by anyone on the path). A resource whose `restUrl` is `http://` and which would send credentials, from
its secret inputs or from stack config, is refused (in `check` for inputs, at operation time for both) unless it
sets `allowInsecureCredentials: true` (e.g. a loopback test cluster).

**Bound to their hosts.** Stack-config credentials are sent only to a restUrl whose host is listed in
`flink-platform:flinkRestCredentialHosts`; to any other host (an attacker's collector, the in-cluster default
`http://<cluster>-rest.<ns>.svc:8081`) the provider sends none, so such a gate is neither given the token nor refused
for plain http. `components.config.stack` refuses a stack that sets credentials without naming their hosts.

Configured credentials live on the provider instance only in the provider process; `ConfiguredCredentials`
excludes them from pickling, so a serialized provider never carries them. `scrubbed()` is a last line of
defence: any exception leaving a provider method is re-raised with every known secret replaced by `***`.
"""

from __future__ import annotations

import contextlib
import json
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pydantic

from flink_rest.client import RestEndpoint
from flink_rest.errors import scrub
from components.providers import secret_config
from components.providers.inputs import unwrap_secrets

#: Stack-config keys holding REST credentials (namespace = the Pulumi project).
CONFIG_REST_TOKEN = "flink-platform:flinkRestToken"
CONFIG_REST_USERNAME = "flink-platform:flinkRestUsername"
CONFIG_REST_PASSWORD = "flink-platform:flinkRestPassword"
#: The hosts the configured credentials are for (a list of host names); to any other restUrl they are not sent.
CONFIG_REST_CREDENTIAL_HOSTS = "flink-platform:flinkRestCredentialHosts"
#: The stack's key for job-spec fingerprints in job ids (a secret: an HMAC key, e.g. 32 random bytes as hex). Unset,
#: fingerprints are plain sha256 (how existing stacks' ids were made); ids of either kind are accepted.
CONFIG_JOB_ID_KEY = "flink-platform:jobIdKey"
#: Every stack-config key the providers read.
CONFIG_KEYS = (CONFIG_REST_TOKEN, CONFIG_REST_USERNAME, CONFIG_REST_PASSWORD, CONFIG_REST_CREDENTIAL_HOSTS,
               CONFIG_JOB_ID_KEY)

#: Input keys that carry secrets; they never appear in outputs, logs or messages.
SECRET_INPUT_KEYS = ("bearerToken", "basicPassword")
#: Inputs whose names look secret but that hold file paths (the files' content never passes through Pulumi).
PATH_INPUT_KEYS = ("caBundle", "clientCert", "clientKey", "jarCaBundle")

#: URL schemes accepted for a JobManager REST endpoint.
REST_URL_SCHEMES = ("http", "https")
#: The scheme over which credentials are refused unless `allowInsecureCredentials` is set.
INSECURE_SCHEME = "http"
#: The input that allows credentials over plain http.
ALLOW_INSECURE_KEY = "allowInsecureCredentials"
DEFAULT_REQUEST_TIMEOUT_S = 10.0


class ProviderError(Exception):
    """A provider operation failed; the message says which step, what was found and what to do."""


@dataclass(frozen=True)
class Credentials:
    """Bearer token or basic auth for the REST endpoint. Secret fields are left out of repr."""

    bearer_token: str | None = field(default=None, repr=False)
    basic_username: str | None = None
    basic_password: str | None = field(default=None, repr=False)
    #: Hosts configured credentials are sent to (stack config); empty for credentials given as inputs.
    hosts: tuple[str, ...] = ()

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.bearer_token, self.basic_password) if s)

    def for_url(self, url: str) -> "Credentials":
        """These credentials if ``url``'s host is one they are for, else none (so nothing is sent)."""
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        return self if host in self.hosts else Credentials()


def parse_hosts(value: Any) -> tuple[str, ...]:
    """The host list of :data:`CONFIG_REST_CREDENTIAL_HOSTS`: a JSON/YAML list or a comma-separated string."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = value.split(",")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(str(h).strip().lower().rstrip(".") for h in value if str(h).strip())


class ConfiguredCredentials:
    """Holder for credentials (and the job-id key) read in `configure()`; never pickled (a serialized provider stays
    credential-free)."""

    def __init__(self, credentials: Credentials | None = None, job_id_key: str | None = None):
        self.credentials = credentials or Credentials()
        self.job_id_key = job_id_key

    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self.credentials = Credentials()
        self.job_id_key = None


def credentials_from_config(config: Any) -> Credentials:
    """Credentials from a `pulumi.dynamic.Config` (anything with `.get(key)`); absent keys give None."""
    def get(key: str) -> str | None:
        value = config.get(key)
        return str(value) if value not in (None, "") else None
    return Credentials(bearer_token=get(CONFIG_REST_TOKEN), basic_username=get(CONFIG_REST_USERNAME),
                       basic_password=get(CONFIG_REST_PASSWORD), hosts=parse_hosts(config.get(CONFIG_REST_CREDENTIAL_HOSTS)))


def job_id_key_from_config(config: Any) -> str | None:
    """The stack's job-id fingerprint key (:data:`CONFIG_JOB_ID_KEY`) from a `pulumi.dynamic.Config`, or None."""
    value = config.get(CONFIG_JOB_ID_KEY)
    return str(value) if value not in (None, "") else None


class ConnectionInputs(pydantic.BaseModel):
    """Inputs that say where the JobManager REST endpoint is and how to authenticate (camelCase on the wire)."""

    model_config = pydantic.ConfigDict(populate_by_name=True, extra="forbid", frozen=True)

    rest_url: str = pydantic.Field(alias="restUrl", description="http(s)://host:port of the JobManager REST API")
    allow_insecure_credentials: bool = pydantic.Field(
        False, alias=ALLOW_INSECURE_KEY, description="send credentials over plain http:// (test clusters only)")
    ca_bundle: str | None = pydantic.Field(None, alias="caBundle", description="CA bundle path for https")
    client_cert: str | None = pydantic.Field(None, alias="clientCert", description="client certificate (PEM)")
    client_key: str | None = pydantic.Field(None, alias="clientKey", description="client key (PEM)")
    bearer_token: str | None = pydantic.Field(None, alias="bearerToken", description="secret; create/update only")
    basic_username: str | None = pydantic.Field(None, alias="basicUsername")
    basic_password: str | None = pydantic.Field(None, alias="basicPassword", description="secret")
    request_timeout_s: float = pydantic.Field(DEFAULT_REQUEST_TIMEOUT_S, alias="requestTimeoutS", gt=0, le=600)

    @pydantic.field_validator("rest_url")
    @classmethod
    def _rest_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in REST_URL_SCHEMES or not parts.hostname:
            raise ValueError(f"must be {' or '.join(REST_URL_SCHEMES)}://host[:port]")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not contain user:password@; use basicUsername/basicPassword or bearerToken")
        return value.rstrip("/")

    @pydantic.field_validator("bearer_token", "basic_password")
    @classmethod
    def _not_over_http(cls, value: str | None, info: pydantic.ValidationInfo) -> str | None:
        unknown = (info.context or {}).get("unknown", set())
        url, allowed = info.data.get("rest_url"), info.data.get("allow_insecure_credentials")
        if value and url and ALLOW_INSECURE_KEY not in unknown and not allowed and is_plain_http(url):
            raise ValueError(insecure_message("this credential", url))
        return value

    @pydantic.model_validator(mode="after")
    def _auth(self, info: pydantic.ValidationInfo) -> ConnectionInputs:
        unknown = (info.context or {}).get("unknown", set())
        if not unknown & {"bearerToken", "basicUsername", "basicPassword"}:
            if self.bearer_token and (self.basic_username or self.basic_password):
                raise ValueError("set either bearerToken or basicUsername/basicPassword, not both")
            if self.basic_password and not self.basic_username:
                raise ValueError("basicPassword needs basicUsername")
        if self.client_key and not self.client_cert and "clientCert" not in unknown:
            raise ValueError("clientKey needs clientCert")
        return self


def is_plain_http(url: str) -> bool:
    return urlsplit(url).scheme == INSECURE_SCHEME


def insecure_message(source: str, url: str) -> str:
    """Why credentials from `source` (an input or a stack-config key) are refused for `url`, and what to set."""
    return (f"{source} would be sent in clear text over plain http:// to {url}; use an https:// restUrl, or set "
            f"{ALLOW_INSECURE_KEY}: true on the resource if the network path is trusted (e.g. a loopback test "
            "cluster)")


def endpoint_for(conn: ConnectionInputs | Mapping[str, Any], configured: Credentials) -> RestEndpoint:
    """The REST endpoint for one operation: secret inputs win over configured credentials.

    `conn` is a validated model (create/update) or the stored outputs (delete/read), which hold no secrets.
    """
    if not isinstance(conn, ConnectionInputs):
        aliases = [f.alias or name for name, f in ConnectionInputs.model_fields.items()]
        conn = ConnectionInputs.model_validate({k: conn[k] for k in aliases if conn.get(k) is not None})
    if conn.bearer_token:
        creds = Credentials(bearer_token=conn.bearer_token)
    elif conn.basic_password:
        creds = Credentials(basic_username=conn.basic_username, basic_password=conn.basic_password)
    else:
        creds = configured.for_url(conn.rest_url)  # stack credentials go only to the hosts they are for
        if conn.basic_username and not creds.bearer_token:
            creds = Credentials(basic_username=conn.basic_username, basic_password=creds.basic_password)
        source = CONFIG_REST_TOKEN if creds.bearer_token else CONFIG_REST_PASSWORD
        if creds.secrets and not conn.allow_insecure_credentials and is_plain_http(conn.rest_url):
            raise ProviderError(insecure_message(f"the credential in stack config {source}", conn.rest_url))
    username = creds.basic_username if creds.basic_password else None
    return RestEndpoint(url=conn.rest_url, ca_bundle=conn.ca_bundle, client_cert=conn.client_cert,
                        client_key=conn.client_key, bearer_token=creds.bearer_token, basic_username=username,
                        basic_password=creds.basic_password if username else None,
                        timeout_s=conn.request_timeout_s)


def public_outputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs without secret keys, secret-looking flinkConfiguration values masked: what outputs may hold."""
    outs = {k: v for k, v in inputs.items() if k not in SECRET_INPUT_KEYS}
    if secret_config.CONFIG_KEY in outs:
        outs[secret_config.CONFIG_KEY] = secret_config.masked_config(outs[secret_config.CONFIG_KEY])
    return outs


def secrets_in(inputs: Mapping[str, Any] | None, configured: Credentials) -> tuple[str, ...]:
    """Every secret value an operation may hold: secret inputs, secret-looking config values, configured ones."""
    found = [str(inputs[k]) for k in SECRET_INPUT_KEYS if inputs and inputs.get(k)]
    config = secret_config.secret_values(unwrap_secrets((inputs or {}).get(secret_config.CONFIG_KEY)))
    return tuple(found) + config + configured.secrets


@contextlib.contextmanager
def scrubbed(secrets: Iterable[str]) -> Iterator[None]:
    """Re-raise any exception whose text or traceback contains a secret as a ProviderError with it masked.

    The gRPC servicer sends `traceback.format_exc()` to the engine, so the check covers chained exceptions too.
    """
    secrets = tuple(s for s in secrets if s)
    try:
        yield
    except Exception as exc:
        text = "".join(traceback.format_exception(exc))
        if secrets and any(s in text for s in secrets):
            raise ProviderError(scrub(f"{type(exc).__name__}: {exc}", secrets)) from None
        raise


@dataclass(kw_only=True)
class ConnectionArgs:
    """Resource arguments shared by FlinkJob and SavepointGate: where the JobManager is and how to authenticate.

    Values may be ``pulumi.Input``s; ``bearer_token`` and ``basic_password`` are sent as secrets. See
    :class:`ConnectionInputs` for meanings and defaults.
    """

    rest_url: pulumi.Input[str]
    ca_bundle: pulumi.Input[str] | None = None
    client_cert: pulumi.Input[str] | None = None
    client_key: pulumi.Input[str] | None = None
    bearer_token: pulumi.Input[str] | None = field(default=None, repr=False)
    basic_username: pulumi.Input[str] | None = None
    basic_password: pulumi.Input[str] | None = field(default=None, repr=False)
    request_timeout_s: pulumi.Input[float] | None = None
    allow_insecure_credentials: pulumi.Input[bool] | None = None
