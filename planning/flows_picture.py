"""``flows.svg``: the flow matrix of :mod:`planning.flows` as a picture that reads at 1,000 px width.

One overview (which tenant reaches which: one row and column per tenant, plus the platform, the cluster and the
outside) and one panel per tenant (and one for the platform): its pod groups as rows, what they reach as columns,
plus the groups that reach into it. A row is drawn only for a group some flow starts from, so address ranges and
cluster services that only receive (Kafka, S3, DNS) are columns, never empty rows. Every mark is in the legend.

Colours are keyed by name, never by position, so a tenant has the same colour in every stack and every plan.
``changed`` cells (flows gained, lost or with other ports than in the ``--previous`` plan) are outlined in red.
Deterministic: the same matrix gives the same bytes.
"""

from __future__ import annotations

import colorsys
import hashlib
import re
from typing import Any, Iterable

from planning.flows import ALL, OUTSIDE, FlowMatrix, Group, ports_text

WIDTH = 1000
_MARGIN = 12
_LABEL_W = 250
_ROW_H = 34
_HEADER_H = 220
_FONT = 11
_CHAR_W = 6.2  # average advance of an 11 px DejaVu Sans glyph; labels are cut to fit
_SMALL_CHAR_W = 5.6  # 10 px, the cell text

#: A cell narrower than this shows its colour only (the overview of ~40+ tenants); the tenant panels show the ports.
_MIN_TEXT_W = 34

COLORS = {"allowed": "#8fd19e", "all": "#f6c177", "denied": "#f1f1f1", "self": "#d9d9d9", "outside": "#ffffff",
          "changed": "#d62728"}
#: The sections that are not tenants have fixed colours; a tenant's colour is derived from its name.
SECTION_COLORS = {"platform": "#4c78a8", "cluster": "#7f7f7f", "external": "#bab0ac"}

LEGEND = (
    ("allowed", "allowed on the ports shown"),
    ("all", "not limited by any policy (all ports)"),
    ("denied", "denied"),
    ("self", "a group to itself, denied (pods of one group may not reach each other)"),
    ("outside", "not part of this panel (neither end is in it)"),
)


def section_color(section: str) -> str:
    """The colour of a section: fixed for platform, cluster, external; from the tenant name's hash otherwise
    (the same in every stack: hue from the name, saturation and lightness fixed so the text stays readable)."""
    if section in SECTION_COLORS:
        return SECTION_COLORS[section]
    digest = hashlib.sha256(section.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    lightness = (0.38, 0.46, 0.54)[digest[2] % 3]
    r, g, b = colorsys.hls_to_rgb(hue, lightness, 0.65)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def section_label(section: str) -> str:
    return section if section in ("platform", *OUTSIDE) else f"tenant {section}"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _fit(text: str, width: float, char_w: float = _CHAR_W) -> str:
    room = max(3, int(width / char_w))
    return text if len(text) <= room else text[: room - 1] + "…"


def compact_ports(text: str) -> str:
    """``TCP 6122, 6123, 6124`` → ``TCP 6122-6124`` (consecutive ports as a range), for the picture only."""
    out = []
    for part in text.split("; "):
        proto, _, ports = part.partition(" ")
        if not ports:
            out.append(part)
            continue
        items: list[list[int]] = []
        for item in ports.split(", "):
            first, _, last = item.partition("-")
            lo, hi = int(first), int(last or first)
            if items and lo == items[-1][1] + 1:
                items[-1][1] = hi
            else:
                items.append([lo, hi])
        out.append(f"{proto} " + ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in items))
    return "; ".join(out)


def _wrap(text: str, width: float) -> list[str]:
    """Cell text in at most two lines that fit ``width`` (cut with … beyond)."""
    room = max(4, int(width / _SMALL_CHAR_W))
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > room:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    if len(lines) > 2:
        lines = [lines[0], lines[1] + " …"]
    return [_fit(x, width, _SMALL_CHAR_W) for x in lines]


class _Canvas:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.y = 0.0

    def text(self, x: float, y: float, text: str, **attrs: Any) -> None:
        extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{_esc(text)}</text>')

    def rect(self, x: float, y: float, w: float, h: float, fill: str, **attrs: Any) -> None:
        extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}"{extra}/>')


def _kind(ports: Any, same: bool) -> str:
    return "all" if ports == ALL else "allowed" if ports else ("self" if same else "denied")


def _matrix_panel(c: _Canvas, title: str, rows: list[Group], cols: list[Group], cell: Any,
                  changed: set[tuple[str, str]], inside: Any, label: Any = None) -> None:
    """One matrix: ``cell(src, dst)`` → ports; ``inside(src, dst)`` says whether the pair belongs to the panel;
    ``label(src, dst)`` the text of an allowed cell (default: its ports)."""
    c.text(_MARGIN, c.y + 20, title, font_size=14, font_weight="bold")
    header = min(_HEADER_H, 24 + _SMALL_CHAR_W * max((len(g.name) for g in cols), default=0))
    top = c.y + 30 + header
    cell_w = min(120.0, (WIDTH - 2 * _MARGIN - _LABEL_W) / max(1, len(cols)))
    for j, dst in enumerate(cols):
        x = _MARGIN + _LABEL_W + j * cell_w
        c.rect(x, top - 8, cell_w - 2, 6, section_color(dst.section))
        cx = x + cell_w / 2 + 4  # vertical headers, read bottom to top
        c.text(cx, top - 14, _fit(dst.name, header - 24, _SMALL_CHAR_W), font_size=10,
               transform=f"rotate(-90 {cx:.1f} {top - 14:.1f})")
    for i, src in enumerate(rows):
        y = top + i * _ROW_H
        c.rect(_MARGIN, y, 6, _ROW_H - 2, section_color(src.section))
        c.text(_MARGIN + 10, y + _ROW_H / 2 + 4, _fit(src.name, _LABEL_W - 14))
        for j, dst in enumerate(cols):
            x = _MARGIN + _LABEL_W + j * cell_w
            ports = cell(src, dst)
            kind = _kind(ports, src.key == dst.key) if inside(src, dst) else "outside"
            border = ({"stroke": COLORS["changed"], "stroke_width": 2.5} if (src.name, dst.name) in changed
                      else {"stroke": "#e0e0e0" if kind == "outside" else "#ffffff"})
            c.rect(x + 1, y + 1, cell_w - 4, _ROW_H - 4, COLORS[kind], **border)
            text = ("" if kind not in ("allowed", "all") or cell_w < _MIN_TEXT_W else label(src, dst) if label
                    else compact_ports(ports_text(ports)))
            lines = _wrap(text, cell_w - 8) if text else []
            for k, line in enumerate(lines):
                offset = (_ROW_H / 2 + 4) if len(lines) == 1 else (13 + 12 * k)
                c.text(x + 4, y + offset, line, font_size=10)
    c.y = top + len(rows) * _ROW_H + 16


def _legend(c: _Canvas, sections: list[str], highlight: bool) -> None:
    c.text(_MARGIN, c.y + 16, "Legend", font_weight="bold")
    y = c.y + 26
    items = list(LEGEND) + ([("changed", "outlined: the flow changes against the --previous plan")] if highlight
                            else [])
    for k, (kind, text) in enumerate(items):
        x, yy = _MARGIN + (k % 2) * (WIDTH / 2), y + (k // 2) * 20
        if kind == "changed":
            c.rect(x, yy, 18, 14, COLORS["denied"], stroke=COLORS["changed"], stroke_width=2.5)
        else:
            c.rect(x, yy, 18, 14, COLORS[kind], stroke="#999999")
        c.text(x + 24, yy + 11, _fit(text, WIDTH / 2 - 40))
    y += ((len(items) + 1) // 2) * 20 + 6
    c.text(_MARGIN, y + 11, "Bar beside a row or above a column: the section of that group", font_size=10)
    y += 18
    per_row = 4
    for k, section in enumerate(sections):
        x, yy = _MARGIN + (k % per_row) * (WIDTH / per_row), y + (k // per_row) * 20
        c.rect(x, yy, 18, 14, section_color(section))
        c.text(x + 24, yy + 11, _fit(section_label(section), WIDTH / per_row - 30))
    c.y = y + ((len(sections) + per_row - 1) // per_row) * 20 + 10


def _natural(text: str) -> list[Any]:
    """``team-2`` before ``team-10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _section_order(groups: Iterable[Group]) -> list[str]:
    seen = list(dict.fromkeys(g.section for g in groups))
    tenants = sorted((s for s in seen if s not in ("platform", *OUTSIDE)), key=_natural)
    return ["platform", *tenants, *[s for s in OUTSIDE if s in seen]] if "platform" in seen else [*tenants, *[
        s for s in OUTSIDE if s in seen]]


#: A panel with more columns than this merges them (other sections first, then its own groups per namespace, then
#: all its own groups): at 1,000 px a column narrower than ~60 px cannot show a port range such as 6122-6124.
MAX_COLUMNS = 12


def _union(ports: Iterable[Any]) -> Any:
    out: frozenset[Any] = frozenset()
    for p in ports:
        if p == ALL:
            return ALL
        out = out | p
    return out


def _merge_columns(cols: list[Group], own: set[str]) -> list[tuple[Group, list[Group]]]:
    """The panel's columns, each with the groups it stands for, merged until at most MAX_COLUMNS remain."""
    merged: list[tuple[Group, list[Group]]] = [(g, [g]) for g in cols]

    def by(key: Any, label: Any, which: Any) -> list[tuple[Group, list[Group]]]:
        out: dict[str, tuple[Group, list[Group]]] = {}
        for g, members in merged:
            k = key(g) if which(g) else f"group/{g.key}"
            if k not in out:
                out[k] = (Group(k, label(g), g.section) if which(g) else g, [])
            out[k][1].extend(members)
        return [(g, m) if len(m) > 1 or not g.key.startswith(("section/", "namespace/")) else (m[0], m)
                for g, m in out.values()]

    stages = (
        (lambda g: f"section/{g.section}", lambda g: f"{section_label(g.section)} (several groups)",
         lambda g: g.key not in own and g.section not in OUTSIDE),
        (lambda g: f"namespace/{g.namespace}", lambda g: f"namespace {g.namespace}",
         lambda g: g.key in own and g.namespace is not None),
        (lambda g: f"section/{g.section}", lambda g: f"{section_label(g.section)} (all its groups)",
         lambda g: g.key in own or g.key.startswith("namespace/")),
    )
    for key, label, which in stages:
        if len(merged) <= MAX_COLUMNS:
            break
        merged = by(key, label, which)
    return merged


def flows_svg(matrix: FlowMatrix, *, stack: str, changed: Iterable[tuple[str, str]] = ()) -> str:
    """The picture: legend, overview per section, one panel per tenant and the platform. ``changed``: (from, to)
    group names whose flows differ from the previous plan (outlined)."""
    changed = set(changed)
    groups = matrix.groups
    sections = _section_order(groups)
    members = {s: [g for g in groups if g.section == s] for s in sections}
    flowing = {(s, d) for (s, d), p in matrix.cells.items() if p}
    by_key = {g.key: g for g in groups}
    c = _Canvas()
    c.text(_MARGIN, 24, f"Network flows of stack {stack}: from row to column, the ports allowed", font_size=16,
           font_weight="bold")
    c.y = 32
    if not groups:
        c.text(_MARGIN, 56, "No pod groups: the plan renders no operator, no Flink pods and no NetworkPolicy.")
        c.y = 70
    _legend(c, sections, bool(changed))

    # overview: sections × sections, a cell counts the flows between their groups
    sec = {s: Group(f"section/{s}", section_label(s), s) for s in sections}
    counts: dict[tuple[str, str], int] = {}
    touched: set[tuple[str, str]] = set()
    for s_key, d_key in flowing:
        pair = (by_key[s_key].section, by_key[d_key].section)
        counts[pair] = counts.get(pair, 0) + 1
        if (by_key[s_key].name, by_key[d_key].name) in changed:
            touched.add((sec[pair[0]].name, sec[pair[1]].name))
    over_rows = [sec[s] for s in sections if any((s, d) in counts for d in sections)]
    _matrix_panel(c, "Overview: how many flows go from each section (row) to each section (column)", over_rows,
                  [sec[s] for s in sections],
                  lambda a, b: frozenset({("n", 0, 0)}) if (a.section, b.section) in counts else frozenset(),
                  touched, lambda a, b: True,
                  lambda a, b: f"{counts[a.section, b.section]} flow" + ("s" if counts[a.section, b.section] > 1
                                                                          else ""))

    for s in sections:
        if s in OUTSIDE:
            continue
        own = {g.key for g in members[s]}
        mine = {pair for pair in flowing if own & set(pair)}  # flows from or into this section's groups
        rows = [g for g in groups if any(src == g.key for src, _ in mine)]
        cols = [g for g in groups if g.key in own or any(dst == g.key for _, dst in mine)]
        if not rows:
            continue
        merged = _merge_columns(cols, own)
        columns = [g for g, _ in merged]
        parts = {g.key: members for g, members in merged}

        def cell(a: Group, b: Group, parts: dict[str, list[Group]] = parts) -> Any:
            return _union(matrix.ports(a, m) for m in parts[b.key])

        panel_changed = {(r.name, g.name) for r in rows for g, members in merged
                         if any((r.name, m.name) in changed for m in members)}
        note = "" if len(columns) == len(cols) else f" (columns merged to fit: {len(cols)} groups)"
        _matrix_panel(c, f"{section_label(s)}: its pod groups and what they reach or are reached from{note}", rows,
                      columns, cell, panel_changed,
                      lambda a, b, own=own, parts=parts: a.key in own or any(m.key in own for m in parts[b.key]))
    height = c.y + _MARGIN
    head = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="DejaVu Sans, Arial, sans-serif" font-size="{_FONT}">',
            f'<rect x="0" y="0" width="{WIDTH}" height="{height:.0f}" fill="#ffffff"/>']
    return "\n".join(head + c.parts + ["</svg>"]) + "\n"
