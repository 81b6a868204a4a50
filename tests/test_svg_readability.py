"""Every picture the solution notebooks show is readable in a JupyterLab column.

JupyterLab shrinks an SVG output to the width of its column (``max-width:
100%``) unless the output is marked ``unconfined``.  In a 900 px column the
smallest text of each saved picture must still be at least 9 px high (font
size × min(1, 900 / width); an unconfined picture is shown at its own width,
up to 1,350 px), and no two pieces of text may overlap.

The pictures are read from the saved outputs of ``solutions/``, which
``make solutions`` writes; so this also measures what a learner sees on
GitHub.
"""
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from helpers import Value, draw
from helpers.render import renderer_name, svg_width

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
COLUMN, UNCONFINED_MAX, SMALLEST = 900, 1350, 9.0


def saved_pictures():
    """Yield (notebook, cell number, svg text, unconfined?) for every SVG output of solutions/."""
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for number, cell in enumerate(cells):
            for output in cell.get("outputs", []):
                svg = output.get("data", {}).get("image/svg+xml")
                if svg:
                    unconfined = output.get("metadata", {}).get("image/svg+xml", {}).get("unconfined", False)
                    yield path.name, number, "".join(svg), unconfined


PICTURES = list(saved_pictures())


def texts(svg):
    """Return [(text, font size in px, x, y, anchor)] of every <text> in the picture, in CSS pixels."""
    root = ET.fromstring(svg[svg.index("<svg"):])
    scale = svg_width(svg) / float(root.get("viewBox").split()[2])      # points → px
    found = []
    for element in root.iter(SVG + "text"):
        size = float(element.get("font-size", "16")) * scale       # CSS default: 16
        found.append((element.text or "", size, float(element.get("x")) * scale,
                      float(element.get("y")) * scale, element.get("text-anchor", "start")))
    return found


def shown_size(svg, unconfined):
    """Return the smallest text height in px as shown in a 900 px column."""
    width = svg_width(svg)
    column = min(width, UNCONFINED_MAX) if unconfined else COLUMN
    return min(size for _, size, *_ in texts(svg)) * min(1.0, column / width)


def text_width(text, size):
    """Estimate the width of text in Helvetica (as Graphviz does): narrow, wide and ordinary letters."""
    narrow, wide = set(".,:;!|'ijlIft ()[]"), set("mwMW@∇")
    return size * sum(0.3 if c in narrow else 0.85 if c in wide else 0.56 for c in text)


def boxes(svg):
    found = []
    for text, size, x, y, anchor in texts(svg):
        if not text.strip():
            continue
        width = text_width(text, size)
        left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
        found.append((text, left, y - 0.72 * size, left + width, y + 0.18 * size))
    return found


def overlaps(svg):
    """Return the pairs of texts whose boxes overlap by more than a pixel each way."""
    found = boxes(svg)
    pairs = []
    for i, (a, l1, t1, r1, b1) in enumerate(found):
        for b, l2, t2, r2, b2 in found[i + 1:]:
            if min(r1, r2) - max(l1, l2) > 1 and min(b1, b2) - max(t1, t2) > 1:
                pairs.append((a, b))
    return pairs


def test_the_solution_notebooks_show_pictures():
    assert len(PICTURES) >= 25


@pytest.mark.parametrize("notebook, cell, svg, unconfined", PICTURES,
                         ids=[f"{name[:2]}-cell{cell}" for name, cell, _, _ in PICTURES])
def test_every_picture_is_readable_in_a_lesson_column(notebook, cell, svg, unconfined):
    assert shown_size(svg, unconfined) >= SMALLEST, (
        f"{notebook} cell {cell}: {svg_width(svg):.0f} px wide, smallest text "
        f"{shown_size(svg, unconfined):.1f} px in a {COLUMN} px column")
    assert overlaps(svg) == [], f"{notebook} cell {cell}: text overlaps"


def test_the_overlap_check_can_fail():
    svg = ('<svg width="200pt" height="50pt" viewBox="0 0 200 50" xmlns="http://www.w3.org/2000/svg">'
           '<text x="10" y="20" font-size="12">∇ −0.0223</text><text x="30" y="22" font-size="12">4.00</text>'
           '<text x="10" y="45" font-size="12">apart</text></svg>')
    assert overlaps(svg) == [("∇ −0.0223", "4.00")]
    assert shown_size(svg.replace("200pt", "2000pt").replace("0 0 200 ", "0 0 2000 "), False) < SMALLEST


@pytest.mark.skipif(renderer_name() == "text", reason="needs Graphviz of either kind")
def test_a_wide_graph_that_cannot_fit_is_unconfined_and_a_narrow_one_is_not():
    rng = np.random.default_rng(0)
    xs = [Value(rng.normal(size=(2, 3)), name=f"x{k}") for k in range(14)]
    wide = sum(x.sum() for x in xs)                          # fourteen tables side by side
    bundle = draw(wide)._repr_mimebundle_()
    narrow = draw(Value(1.0, name="a") * 2)._repr_mimebundle_()
    assert isinstance(narrow, dict)
    data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
    width = svg_width(data["image/svg+xml"])
    if width > COLUMN * 14.67 / SMALLEST:
        assert metadata == {"image/svg+xml": {"unconfined": True}}
    assert shown_size(data["image/svg+xml"], bool(metadata)) >= SMALLEST or width > UNCONFINED_MAX * 1.6


def stepper_frames():
    """Yield (notebook, cell, step, svg) for every frame of every backward stepper in solutions/.

    The stepper's frames live in a widget, not in the saved outputs, so the
    notebook's code cells are run up to the stepper's cell to make them
    (and no further: the cells after a notebook's last stepper make no frame).
    """
    from helpers.widgets import Stepper
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        steppers = [number for number, cell in enumerate(cells)
                    if cell["cell_type"] == "code" and "".join(cell["source"]).strip().startswith("stepper(")]
        namespace = {"__name__": "__lesson__"}
        for number, cell in enumerate(cells[:max(steppers, default=-1) + 1]):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            try:
                result = eval(source, namespace) if source.strip().startswith("stepper(") else None
            except SyntaxError:
                result = None
            if isinstance(result, Stepper):
                for step in range(len(result.gates) + 1):
                    yield path.name, number, step, result.drawing(step).svg()
            elif result is None and not source.strip().startswith("stepper("):
                exec(compile(source, f"{path.name} cell {number}", "exec"), namespace)


@pytest.mark.skipif(renderer_name() == "text", reason="needs Graphviz of either kind")
def test_every_frame_of_every_stepper_is_readable():
    frames = list(stepper_frames())
    assert len({(name, cell) for name, cell, _, _ in frames}) >= 3
    for name, cell, step, svg in frames:
        assert shown_size(svg, False) >= SMALLEST, f"{name} cell {cell} step {step}"
        assert overlaps(svg) == [], f"{name} cell {cell} step {step}: text overlaps"
