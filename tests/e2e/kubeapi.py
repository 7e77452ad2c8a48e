"""A small Kubernetes REST client for the e2e tests (``requests`` with a client certificate).

Server-side apply, create/get/delete, discovery (which resource serves a kind, namespaced or not), waiting for a CRD
to be Established, SubjectAccessReviews, and the API server's ``Warning`` headers of every answer.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import requests

FIELD_MANAGER = "flink-platform-e2e"


class KubeApiError(RuntimeError):
    """A non-2xx answer: the method, path, HTTP status and the API server's Status message."""

    def __init__(self, method: str, path: str, status: int, body: Any):
        self.status = status
        self.body = body
        message = body.get("message") if isinstance(body, dict) else str(body)[:2000]
        super().__init__(f"{method} {path} -> HTTP {status}: {message}")


@dataclass
class Answer:
    """A 2xx answer: the decoded body and the ``Warning`` headers the API server sent with it."""

    body: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def _warnings(response: requests.Response) -> list[str]:
    raw = response.raw.headers.getlist("Warning") if hasattr(response.raw.headers, "getlist") else []
    return [w for w in raw if w] or ([response.headers["Warning"]] if "Warning" in response.headers else [])


class KubeApi:
    """Talk to one API server as the holder of ``cert`` (a (certificate, key) pair of files) or ``token``."""

    def __init__(self, server: str, ca_file: str, *, cert: tuple[str, str] | None = None, token: str | None = None):
        self.server = server.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = ca_file
        if cert:
            self.session.cert = cert
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self._resources: dict[str, dict[str, tuple[str, bool]]] = {}

    def close(self) -> None:
        self.session.close()

    # --- raw -----------------------------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: dict | None = None, body: Any = None,
                content_type: str = "application/json") -> Answer:
        data = None if body is None else (body if isinstance(body, (str, bytes)) else json.dumps(body))
        headers = {"Content-Type": content_type, "Accept": "application/json"} if data is not None else {}
        response = self.session.request(method, self.server + path, params=params, data=data, headers=headers,
                                        timeout=60)
        try:
            decoded = response.json()
        except ValueError:
            decoded = response.text
        if not 200 <= response.status_code < 300:
            raise KubeApiError(method, path, response.status_code, decoded)
        return Answer(decoded if isinstance(decoded, dict) else {"raw": decoded}, _warnings(response))

    def get(self, path: str, **params) -> dict[str, Any]:
        return self.request("GET", path, params=params or None).body

    # --- discovery -----------------------------------------------------------------------------------------------
    def _group_version_resources(self, api_version: str, refresh: bool) -> dict[str, tuple[str, bool]]:
        if refresh or api_version not in self._resources:
            base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            try:
                listing = self.get(base)
            except KubeApiError as exc:
                if exc.status != 404:
                    raise
                listing = {"resources": []}
            self._resources[api_version] = {r["kind"]: (r["name"], r["namespaced"])
                                            for r in listing.get("resources", []) if "/" not in r["name"]}
        return self._resources[api_version]

    def resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        """(plural, namespaced) of ``kind`` in ``api_version``; re-reads discovery once on a miss."""
        for refresh in (False, True):
            found = self._group_version_resources(api_version, refresh).get(kind)
            if found:
                return found
        raise LookupError(f"the API server serves no kind {kind!r} in {api_version!r}")

    def path(self, api_version: str, kind: str, namespace: str | None = None, name: str | None = None) -> str:
        plural, namespaced = self.resource(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        where = f"/namespaces/{namespace}" if namespaced and namespace else ""
        return f"{base}{where}/{plural}" + (f"/{name}" if name else "")

    def object_path(self, obj: dict[str, Any]) -> str:
        meta = obj.get("metadata") or {}
        return self.path(obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"])

    # --- objects -------------------------------------------------------------------------------------------------
    def apply(self, obj: dict[str, Any], *, field_manager: str = FIELD_MANAGER, dry_run: bool = False,
              force: bool = True) -> Answer:
        """Server-side apply of ``obj`` (``PATCH`` with ``application/apply-patch+yaml``); an unknown or duplicate
        field is an error (``fieldValidation=Strict``), not a warning."""
        params = {"fieldManager": field_manager, "force": "true" if force else "false", "fieldValidation": "Strict"}
        if dry_run:
            params["dryRun"] = "All"
        return self.request("PATCH", self.object_path(obj), params=params, body=obj,
                            content_type="application/apply-patch+yaml")

    def create(self, obj: dict[str, Any], *, dry_run: bool = False) -> Answer:
        meta = obj.get("metadata") or {}
        params = {"dryRun": "All"} if dry_run else None
        return self.request("POST", self.path(obj["apiVersion"], obj["kind"], meta.get("namespace")),
                            params=params, body=obj)

    def read(self, obj: dict[str, Any]) -> dict[str, Any]:
        return self.get(self.object_path(obj))

    def delete(self, obj: dict[str, Any], *, missing_ok: bool = True) -> None:
        try:
            self.request("DELETE", self.object_path(obj))
        except KubeApiError as exc:
            if not (missing_ok and exc.status == 404):
                raise

    def wait_established(self, crd_name: str, deadline_s: float = 30.0) -> dict[str, Any]:
        """Wait until the CRD's ``Established`` condition is True and its kinds are in discovery."""
        end = time.monotonic() + deadline_s
        while True:
            crd = self.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd_name}")
            conditions = {c["type"]: c["status"] for c in (crd.get("status") or {}).get("conditions") or []}
            if conditions.get("Established") == "True":
                group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
                if all(self._group_version_resources(f"{group}/{v['name']}", True).get(kind)
                       for v in crd["spec"]["versions"] if v.get("served")):
                    return crd
            if time.monotonic() >= end:
                raise TimeoutError(f"CRD {crd_name} not Established within {deadline_s} s: {conditions}")
            time.sleep(0.1)

    # --- authorization -------------------------------------------------------------------------------------------
    def can(self, user: str, groups: Iterable[str], *, verb: str, resource: str, group: str = "",
            namespace: str = "") -> tuple[bool, str]:
        """SubjectAccessReview: (allowed, reason) for ``user`` in ``groups``."""
        review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                  "spec": {"user": user, "groups": list(groups),
                           "resourceAttributes": {"verb": verb, "resource": resource, "group": group,
                                                  "namespace": namespace}}}
        status = self.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body=review).body
        status = status.get("status", {})
        return bool(status.get("allowed")), status.get("reason", "") or status.get("evaluationError", "")


def service_account_user(namespace: str, name: str) -> tuple[str, tuple[str, ...]]:
    """The user name and groups the API server gives the token of ServiceAccount ``namespace/name``."""
    return (f"system:serviceaccount:{namespace}:{name}",
            ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"))
