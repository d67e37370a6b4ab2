"""Line charts as plain SVG (no plotting library needed): latency and memory against corpus size."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT = 420, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 44
COLOURS = ["#1f5fa8", "#c4561d", "#2e8b57", "#7a4ea3"]


def _ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    raw = max(top, 1e-9) / count
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1.0
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(count + 1) if step * (i - 1) < top]


def chart(title: str, x_label: str, y_label: str, series: dict[str, list[tuple[float, float]]], dx: int = 0) -> str:
    """One panel: a line (with dots) per series, linear axes from zero; ``dx`` shifts it right."""
    points = [p for values in series.values() for p in values]
    xs, ys = _ticks(max(x for x, _ in points)), _ticks(max(y for _, y in points))
    w, h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def at(x: float, y: float) -> tuple[float, float]:
        return dx + LEFT + w * x / xs[-1], TOP + h * (1 - y / ys[-1])

    out = [f'<text x="{dx + WIDTH / 2}" y="16" text-anchor="middle" font-weight="bold">{escape(title)}</text>']
    for y in ys:
        _, py = at(0, y)
        out.append(f'<line x1="{dx + LEFT}" x2="{dx + LEFT + w}" y1="{py:.1f}" y2="{py:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{dx + LEFT - 6}" y="{py + 4:.1f}" text-anchor="end">{y:g}</text>')
    for x in xs:
        px, _ = at(x, 0)
        out.append(f'<text x="{px:.1f}" y="{TOP + h + 16}" text-anchor="middle">{x / 1000:g}k</text>')
    out.append(f'<text x="{dx + LEFT + w / 2}" y="{HEIGHT - 6}" text-anchor="middle">{escape(x_label)}</text>')
    turn = f"translate({dx + 14},{TOP + h / 2}) rotate(-90)"
    out.append(f'<text transform="{turn}" text-anchor="middle">{escape(y_label)}</text>')
    for k, (name, values) in enumerate(series.items()):
        colour = COLOURS[k % len(COLOURS)]
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in (at(x, y) for x, y in sorted(values)))
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{colour}"/>' for a, b in (at(x, y) for x, y in values)]
        out.append(f'<text x="{dx + LEFT + 8}" y="{TOP + 14 + 14 * k}" fill="{colour}">{escape(name)}</text>')
    return "\n".join(out)


def scale_svg(rows: list[dict]) -> str:
    """Ask latency and memory against the number of sentences, from `bench.scale` rows."""
    n = [float(r["build"]["sentences"]) for r in rows]
    latency = {
        "ask p50 (ms)": list(zip(n, [r["ask_p50_ms"] for r in rows])),
        "ask p95 (ms)": list(zip(n, [r["ask_p95_ms"] for r in rows])),
    }
    memory = {
        "server worker PSS (MB)": list(zip(n, [r["server"]["pss_mb"] for r in rows])),
        "server worker RSS (MB)": list(zip(n, [r["server"]["rss_mb"] for r in rows])),
    }
    built = [(float(r["build"]["sentences"]), r["build"]["peak_rss_mb"]) for r in rows if "peak_rss_mb" in r["build"]]
    if built:
        memory["qa index peak RSS (MB)"] = built
    body = chart("Question latency", "sentences", "milliseconds", latency) + chart(
        "Memory", "sentences", "MB", memory, dx=WIDTH
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * WIDTH}" height="{HEIGHT}" '
        f'font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n'
    )
