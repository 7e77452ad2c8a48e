"""What the FlinkJob and SavepointGate providers share: credentials from stack config and a network-free check."""

from __future__ import annotations

from typing import Any, ClassVar

import pydantic
from pulumi import dynamic

from components.providers.connection import (
    SECRET_INPUT_KEYS,
    ConfiguredCredentials,
    credentials_from_config,
    job_id_key_from_config,
)
from components.providers.inputs import normalize, validate


class RestResourceProvider(dynamic.ResourceProvider):
    """Base of the REST-backed dynamic providers. Holds only plain data; no client, no serializable credentials.

    Subclasses set ``inputs_model`` (the pydantic model of their inputs) and ``output_keys`` (computed outputs,
    which the engine passes back into ``check`` on updates and which are not inputs).
    """

    inputs_model: ClassVar[type[pydantic.BaseModel]]
    output_keys: ClassVar[tuple[str, ...]]

    def __init__(self) -> None:
        super().__init__()
        self._configured = ConfiguredCredentials()

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        """Read REST credentials (used by every operation unless secret inputs are given) and the job-id key from
        stack config."""
        self._configured = ConfiguredCredentials(credentials_from_config(req.config),
                                                 job_id_key_from_config(req.config))

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        """Validate and normalise the inputs; unknown (preview) values are skipped. Never calls the network."""
        news = {k: v for k, v in news.items() if k not in self.output_keys}  # typos still fail (extra="forbid")
        _, failures = validate(self.inputs_model, news, secret_fields=SECRET_INPUT_KEYS)
        return dynamic.CheckResult(
            normalize(self.inputs_model, news), [dynamic.CheckFailure(p, r) for p, r in failures]
        )
