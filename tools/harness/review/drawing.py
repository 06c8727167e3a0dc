"""Draw a diagram model (diagram.py) as Mermaid (for the pull-request comment) and as a plain SVG.

The SVG layout is deterministic and dependency-free: groups go into columns by their longest
traffic path from an entry point (viewers, the internet, the host), left to right; groups
without traffic (alerts, secrets, registries) go in the last column; nodes stack inside their
group box; edges are curves from the right of their source to the left of their target.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.harness.review.diagram import Model

EXTERNAL = "external"
TIER_COLOURS = {"network": "#e8f1fb", "observability": "#fdf3e3", "security": "#fbe9e9", "data": "#eaf6ec",
                "async": "#f1ecfb", "edge": "#e6f6f7", "kubernetes": "#eef0f9", "local": "#f3f3f3"}
NODE_H, GROUP_W, GAP_X, GAP_Y, HEADER = 26, 250, 90, 18, 24


def _quote(text: str) -> str:
    return text.replace('"', "'")


def mermaid(model: Model) -> str:
    lines = ["flowchart LR"]
    for node in sorted((n for n in model.nodes.values() if n.group == EXTERNAL), key=lambda n: n.id):
        lines.append(f'  {node.id}(["{_quote(node.label)}"])')
    for group in model.groups.values():
        lines.append(f'  subgraph {group.id}["{_quote(group.label)}"]')
        for nid in group.nodes:
            lines.append(f'    {nid}["{_quote(model.nodes[nid].label)}"]')
        lines.append("  end")
    for edge in model.edges:
        arrow = "-.->" if edge.dashed else "-->"
        label = f"|{_quote(edge.label)}|" if edge.label else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    return "\n".join(lines) + "\n"


def _unit(model: Model, ident: str) -> str:
    """The box an edge end lives in: a group, or an external node."""
    if ident in model.groups:
        return ident
    node = model.nodes[ident]
    return node.id if node.group == EXTERNAL else node.group


def columns(model: Model) -> list[list[str]]:
    units = [n.id for n in model.nodes.values() if n.group == EXTERNAL] + list(model.groups)
    links = {(_unit(model, e.source), _unit(model, e.target)) for e in model.edges if not e.dashed}
    links = {(a, b) for a, b in links if a != b}
    touched = {u for link in links for u in link} | {_unit(model, x) for e in model.edges for x in (e.source, e.target)}
    rank = {u: 0 for u in units}
    for _ in range(len(units)):  # longest path, bounded so a cycle cannot loop forever
        changed = False
        for a, b in sorted(links):
            if rank[b] < rank[a] + 1 and rank[a] + 1 < len(units):
                rank[b], changed = rank[a] + 1, True
        if not changed:
            break
    last = max((rank[u] for u in touched), default=0) + 1
    result: list[list[str]] = [[] for _ in range(last + 1)]
    for unit in units:
        result[rank[unit] if unit in touched else last].append(unit)
    return [column for column in result if column]


def svg(model: Model) -> str:
    positions: dict[str, tuple[float, float, float, float]] = {}  # id -> x, y, w, h
    body: list[str] = []
    width = height = 0.0
    x = 20.0
    for column in columns(model):
        # Wide enough for the longest label in the column (about 6.6 px a character at 12 px).
        labels = [model.groups[u].label if u in model.groups else model.nodes[u].label for u in column]
        labels += [model.nodes[n].label for u in column if u in model.groups for n in model.groups[u].nodes]
        w = max(GROUP_W, int(max(len(label) for label in labels) * 6.6) + 40)
        y = 40.0
        for unit in column:
            if unit in model.groups:
                group = model.groups[unit]
                h = HEADER + max(1, len(group.nodes)) * (NODE_H + 6) + 6
                positions[unit] = (x, y, w, h)
                colour = TIER_COLOURS.get(group.tier, "#f7f7f7")
                body.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" fill="{colour}" '
                            f'stroke="#8a94a6"/>')
                body.append(f'<text x="{x + 8}" y="{y + 16}" class="g">{escape(group.label)}</text>')
                for row, nid in enumerate(group.nodes):
                    ny = y + HEADER + row * (NODE_H + 6)
                    positions[nid] = (x + 10, ny, w - 20, NODE_H)
                    body.append(f'<rect x="{x + 10}" y="{ny}" width="{w - 20}" height="{NODE_H}" rx="5" '
                                f'fill="#ffffff" stroke="#5b6b85"/>')
                    body.append(f'<text x="{x + 18}" y="{ny + 17}">{escape(model.nodes[nid].label)}</text>')
            else:
                h = NODE_H + 8
                positions[unit] = (x, y, w, h)
                body.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="17" fill="#fff8d6" '
                            f'stroke="#b08900"/>')
                body.append(f'<text x="{x + 14}" y="{y + 21}">{escape(model.nodes[unit].label)}</text>')
            y += h + GAP_Y
            width, height = max(width, x + w + 20), max(height, y + 10)
        x += w + GAP_X
    for edge in model.edges:
        sx, sy, sw, sh = positions[edge.source]
        tx, ty, _, th = positions[edge.target]
        x1, y1, x2, y2 = sx + sw, sy + sh / 2, tx, ty + th / 2
        bend = max(40.0, abs(x2 - x1) / 2)
        dash = ' stroke-dasharray="5,4"' if edge.dashed else ""
        body.append(f'<path d="M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x2 - bend:.0f},{y2:.0f} '
                    f'{x2:.0f},{y2:.0f}" fill="none" stroke="#33415c"{dash} marker-end="url(#arrow)"/>')
        if edge.label:
            body.append(f'<text x="{(x1 + x2) / 2:.0f}" y="{(y1 + y2) / 2 - 4:.0f}" class="e">'
                        f'{escape(edge.label)}</text>')
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif" font-size="12">\n'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#33415c"/></marker>\n'
            '<style>.g{font-weight:bold;font-size:11px}.e{font-size:10px;fill:#33415c;text-anchor:middle}</style>'
            '</defs>\n'
            f'<rect width="100%" height="100%" fill="#ffffff"/>\n'
            f'<text x="20" y="24" font-size="15" font-weight="bold">tiketi/{escape(model.stack)}: drawn from the '
            f'registrations (security-group rules, references, NetworkPolicies)</text>\n')
    return head + "\n".join(body) + "\n</svg>\n"
