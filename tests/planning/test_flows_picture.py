"""flows.svg: readable at 1,000 px (an overview plus one panel per tenant), colours keyed by name, a legend for
every mark, no rows for groups nothing starts from, changed cells outlined."""

from __future__ import annotations

import io
import re

import yaml

from planning import flows, flows_picture
from planning.flows import FlowMatrix, Group

TCP = frozenset({("TCP", 6122, 6122), ("TCP", 6123, 6123), ("TCP", 6124, 6124)})


def synthetic(tenants: list[str], namespaces: int = 2) -> FlowMatrix:
    """A matrix shaped like a platform's: one operator reaching every JobManager, JM ↔ TM inside a namespace,
    every pod to DNS and Kafka (which start nothing)."""
    op = Group("op", "operator (flink-operator)", "platform", namespace="flink-operator")
    dns = Group("dns", "k8s-app=kube-dns (kube-system)", "cluster", namespace="kube-system")
    kafka = Group("kafka", "kafka (10.50.0.0/16)", "external", cidr="10.50.0.0/16")
    groups, cells = [op], {}
    for t in tenants:
        for n in range(namespaces):
            ns = f"{t}-ns-{n}"
            jm, tm = Group(f"jm/{ns}", f"JobManagers ({ns})", t, ns), Group(f"tm/{ns}", f"TaskManagers ({ns})", t, ns)
            groups += [jm, tm]
            cells[("op", jm.key)] = frozenset({("TCP", 8081, 8081)})
            for a in (jm, tm):
                cells[(a.key, "dns")] = frozenset({("UDP", 53, 53)})
                cells[(a.key, "kafka")] = frozenset({("TCP", 9092, 9092), ("TCP", 9093, 9093)})
                for b in (jm, tm):
                    cells[(a.key, b.key)] = TCP
    return FlowMatrix(groups + [dns, kafka], cells)


def fills(svg: str, label: str) -> set[str]:
    """Fill colours of the section bars drawn beside the rows labelled ``label``."""
    out = set()
    lines = svg.splitlines()
    for i, line in enumerate(lines):
        if f">{label}</text>" in line and i and 'width="6.0"' in lines[i - 1]:
            out.add(re.search(r'fill="(#[0-9a-f]{6})"', lines[i - 1]).group(1))
    return out


def png(svg: str):
    import resvg_py
    from PIL import Image

    return Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=svg)))).convert("RGB")


def test_prod_and_thirteen_tenants_fit_1000_px_with_a_panel_per_tenant(committed_plans) -> None:
    objects = [d for d in yaml.safe_load_all((committed_plans["prod"] / "manifests.yaml").read_text()) if d]
    prod = flows_picture.flows_svg(flows.Flows(objects).matrix(), stack="prod")
    big = flows_picture.flows_svg(synthetic([f"team-{i}" for i in range(13)]), stack="bench")
    for svg, tenants in ((prod, ("analytics", "payments", "search")), (big, [f"team-{i}" for i in range(13)])):
        assert png(svg).width == flows_picture.WIDTH == 1000
        assert "Overview: how many flows go from each section" in svg
        for tenant in tenants:
            assert f">tenant {tenant}: its pod groups and what they reach or are reached from" in svg
        sizes = {float(x) for x in re.findall(r'font-size="([0-9.]+)"', svg)}
        assert min(sizes) >= 10, "no text smaller than 10 px at 1,000 px width"
        widths = [float(w) for w in re.findall(r'<rect x="[0-9.]+" y="[0-9.]+" width="([0-9.]+)" height="30.0"', svg)]
        assert widths and min(widths) >= 30, "every cell is wide enough to read"


def test_a_tenant_has_the_same_colour_in_every_stack() -> None:
    small = flows_picture.flows_svg(synthetic(["payments", "search"]), stack="a")
    large = flows_picture.flows_svg(synthetic([f"t{i}" for i in range(12)] + ["search", "payments"]), stack="b")
    for tenant in ("payments", "search"):
        label = f"JobManagers ({tenant}-ns-0)"
        assert fills(small, label) == fills(large, label) == {flows_picture.section_color(tenant)}
    colours = {flows_picture.section_color(f"team-{i}") for i in range(13)}
    assert len(colours) == 13, "13 tenants, 13 colours"


def test_every_mark_is_in_the_legend_and_receive_only_groups_have_no_row() -> None:
    svg = flows_picture.flows_svg(synthetic(["payments"]), stack="a", changed={("JobManagers (payments-ns-0)",
                                                                               "kafka (10.50.0.0/16)")})
    legend = svg.split(">Legend<")[1].split("Overview")[0]
    used = set(re.findall(r'<rect x="[0-9.]+" y="[0-9.]+" width="[0-9.]+" height="30.0" fill="(#[0-9a-f]{6})"', svg))
    legend_fills = set(re.findall(r'fill="(#[0-9a-f]{6})"', legend))
    assert used and used <= legend_fills
    assert "a group to itself, denied" in legend and "outlined: the flow changes against the --previous plan" in legend
    for receiver in ("kafka (10.50.0.0/16)", "k8s-app=kube-dns (kube-system)"):
        assert not fills(svg, receiver), f"{receiver} starts no flow: it is a column, never an (empty) row"
    outlined = svg.count(f'stroke="{flows_picture.COLORS["changed"]}"')
    assert outlined == 3, "the legend's sample, the overview cell and the panel cell"
    assert 'stroke="#d62728"' not in flows_picture.flows_svg(synthetic(["payments"]), stack="a")


def test_a_panel_with_many_namespaces_merges_its_columns_to_stay_readable() -> None:
    svg = flows_picture.flows_svg(synthetic(["big"], namespaces=10), stack="a")
    assert ">namespace big-ns-3</text>" in svg and "(columns merged to fit: 22 groups)" in svg
    assert ">6122-6124</text>" in svg, "the port range is shown whole (on its own line in a narrow cell)"


def test_an_overview_too_narrow_for_text_shows_colours_not_cut_text() -> None:
    svg = flows_picture.flows_svg(synthetic([f"team-{i}" for i in range(50)], namespaces=1), stack="bench")
    overview = svg.split("Overview: how many flows")[1].split("platform: its pod groups")[0]
    assert "flow" not in overview.replace("how many flows", "") and "…</text>" not in overview
    assert overview.count('fill="#8fd19e"') > 50, "the allowed cells are still drawn"
    assert ">tenant team-49: its pod groups" in svg and ">TCP 6122-6124</text>" in svg
