"""testbed.certmanager.controller: the recipe builds only pinned releases, the CRDs are the release's with the chart's
labels rendered (the controller itself runs in tests/e2e/test_cert_manager.py)."""

from __future__ import annotations

import json

import pytest

from components.config.names import is_label_value
from components.operator import upstream
from testbed.certmanager import controller as cm


def test_only_a_pinned_release_is_built() -> None:
    with pytest.raises(cm.CertManagerError, match=r"cert-manager v1\.17\.0 is not pinned \(pinned: v1\.18\.2\)"):
        cm.recipe("v1.17.0")
    recipe = cm.recipe()
    assert recipe.version == cm.DEFAULT_VERSION and recipe.build_subdir == cm.SRC_SUBDIR
    assert cm.WIRING in recipe.extra_key_files


def test_the_crds_are_the_releases_with_rendered_labels() -> None:
    crds = cm.crd_objects()
    release = upstream.CERT_MANAGER_RELEASES[cm.DEFAULT_VERSION]
    assert sorted(c["spec"]["names"]["kind"] for c in crds) == sorted(release.crds)
    for crd in crds:
        assert crd["spec"]["group"] in ("cert-manager.io", "acme.cert-manager.io")
        assert crd["metadata"]["labels"] == cm.CRD_LABELS
        assert all(is_label_value(v) for v in crd["metadata"]["labels"].values())
        assert "{{" not in json.dumps(crd["metadata"])
