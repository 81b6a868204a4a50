"""The big lesson graphs in a real browser: lessons 4 and 7 run in JupyterLab, their graphs readable.

Run with ``make test-browser``.  JupyterLab shrinks a picture to its column,
so this measures each graph *as drawn on the page*: its smallest text, in
screen pixels, must be at least 9 px.  Screenshots of every graph land in
``browser-screenshots/``.
"""
import re
import xml.etree.ElementTree as ET

import pytest

from tests.browser.test_lab import (GREEN, RED, ROOT, SHOTS, browser, fills,  # noqa: F401
                                    open_and_run_all, page, running_lab, svg_text)

LESSONS = ["04_staged_computation.ipynb", "07_two_layer_network.ipynb"]
SMALLEST = 9.0


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on copies of lessons 4 and 7."""
    with running_lab(tmp_path_factory.mktemp("lab"), LESSONS) as started:
        yield started


def smallest_text_on_screen(graph, svg):
    """Return the smallest text height of a graph in screen px: its font size × the scale it is shown at."""
    root = ET.fromstring(svg[svg.index("<svg"):])
    view_width = float(root.get("viewBox").split()[2])
    shown_width = graph.evaluate("e => e.getBoundingClientRect().width")
    sizes = [float(t.get("font-size", "16")) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    return min(sizes) * shown_width / view_width


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_lesson_graphs_render_readably(page, lab, lesson):
    open_and_run_all(page, lab, lesson)
    assert not page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'] "
                            ":text('Traceback')").count()
    graphs = page.locator(".jp-RenderedSVG > img, .jp-RenderedSVG > svg")
    assert graphs.count() >= 2, f"{lesson}: expected its graphs, found {graphs.count()}"
    colours = set()
    for k, graph in enumerate(graphs.all()):
        graph.scroll_into_view_if_needed()
        svg = svg_text(graph)
        colours |= fills(svg)
        size = smallest_text_on_screen(graph, svg)
        graph.screenshot(path=str(SHOTS / f"{lesson[:2]}_graph_{k + 1}.png"))
        assert size >= SMALLEST, f"{lesson} graph {k + 1}: smallest text {size:.1f} px on screen"
    assert GREEN in colours and RED in colours, f"{lesson}: values green and gradients red ({colours})"
    if lesson.startswith("04"):
        check_the_stepper(page)
    page.screenshot(path=str(SHOTS / f"{lesson[:2]}_page.png"))
    assert not page.errors, "JavaScript errors:\n" + "\n".join(page.errors)


def check_the_stepper(page):
    """Step lesson 4's backward stepper forward: each frame drawn in the same style, readable on screen."""
    widget = page.locator(".jupyter-widgets:has(.widget-html-content svg)").first
    widget.scroll_into_view_if_needed()
    next_button = widget.get_by_role("button", name=re.compile("Next"))
    for step in range(1, 4):
        next_button.click()
        page.wait_for_timeout(500)
        graph = widget.locator(".widget-html-content svg").first
        graph.scroll_into_view_if_needed()
        svg = graph.evaluate("e => e.outerHTML")
        assert RED in fills(svg) and "now" in svg, f"stepper step {step}: no gradients or no highlighted gate"
        assert smallest_text_on_screen(graph, svg) >= SMALLEST, f"stepper step {step}: text too small"
        widget.screenshot(path=str(SHOTS / f"04_stepper_step_{step}.png"))


def test_the_measure_can_fail():
    svg = '<svg viewBox="0 0 2000 100" xmlns="http://www.w3.org/2000/svg"><text font-size="12">x</text></svg>'

    class Shrunk:                                       # a 2,000-unit picture shown 900 px wide
        def evaluate(self, script):
            return 900.0
    assert smallest_text_on_screen(Shrunk(), svg) == pytest.approx(5.4)
