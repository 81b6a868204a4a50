"""Count the wires that cross in a drawn graph, read from Graphviz's SVG.

The drawing tries a few rankings of a small circuit and keeps the one whose
wires cross least: a crossing is where a learner's eye follows the wrong
wire, and where a value seems to sit on the wrong one.

>>> svg = ('<svg><g class="edge"><title>a&#45;&gt;b</title><path d="M0,0C0,0 10,10 10,10"/></g>'
...        '<g class="edge"><title>c&#45;&gt;d</title><path d="M0,8C0,8 10,0 10,0"/></g></svg>')
>>> crossings(svg)
1
"""
import html
import re

__all__ = ["crossings"]

_EDGE_LOOSE = re.compile(r'<g[^>]*class="edge"[^>]*>\s*<title>(.*?)</title>\s*<path[^>]*\sd="([^"]*)"', re.S)
SAMPLES = 8                                      # points per Bézier piece


def crossings(svg):
    """Return how many times two wires cross, wires that share a node not counted."""
    wires = [(set(html.unescape(title).split("->")), _polyline(path)) for title, path in _EDGE_LOOSE.findall(svg)]
    count = 0
    for i, (ends_a, line_a) in enumerate(wires):
        for ends_b, line_b in wires[i + 1:]:
            if ends_a & ends_b:
                continue
            count += sum(_cross(p, q, r, s) for p, q in zip(line_a, line_a[1:]) for r, s in zip(line_b, line_b[1:]))
    return count


def _polyline(path):
    """Return points along a path "M x,y C x1,y1 x2,y2 x3,y3 …" (a chain of cubic Bézier pieces)."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path)]
    points = list(zip(numbers[::2], numbers[1::2]))
    line = [points[0]]
    for k in range(1, len(points) - 2, 3):
        p0, p1, p2, p3 = line[-1], points[k], points[k + 1], points[k + 2]
        for step in range(1, SAMPLES + 1):
            t = step / SAMPLES
            line.append(tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c + t ** 3 * d
                              for a, b, c, d in zip(p0, p1, p2, p3)))
    return line


def _cross(p, q, r, s):
    """Return True if segment pq properly crosses segment rs."""
    def side(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return side(p, q, r) * side(p, q, s) < 0 and side(r, s, p) * side(r, s, q) < 0
