"""Tests for helpers.widgets: driven the way a learner would, by moving sliders and clicking buttons."""
import math
import re

import numpy as np
import pytest

from helpers.draw import draw, known_gradients
from helpers.engine import Value, maximum
from helpers.widgets import hints, nudge, step_sentences, stepper

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def numbers(text):
    """Return every number written in text (true minus signs included), as floats."""
    return [float(n.replace("−", "-")) for n in re.findall(r"[−+-]?\d+\.\d+", text)]


# ---------------------------------------------------------------- hints

def test_hints_reveal_one_at_a_time_then_disable():
    h = hints("Look at the other input.", "Multiply swaps: `dx = y * dout`.", "Mind the upstream gradient.")
    assert h.button.description == "Show a hint (1 of 3)"
    assert h.shown.children == ()
    h.button.click()
    assert len(h.shown.children) == 1 and "Look at the other input." in h.shown.children[0].value
    assert h.button.description == "Show a hint (2 of 3)" and not h.button.disabled
    h.button.click()
    assert "<code>dx = y * dout</code>" in h.shown.children[1].value
    h.button.click()
    assert h.button.disabled and h.button.description == "All 3 hints shown"
    h.button.click()                                             # a disabled button's click changes nothing
    assert len(h.shown.children) == 3
    assert h.reveal() is None


def test_hints_escape_html():
    h = hints("compare a < b & c")
    h.button.click()
    assert "a &lt; b &amp; c" in h.shown.children[0].value
    assert h.button.disabled and h.button.description == "The hint is shown"


def test_hints_static_output_is_short_and_fixed():
    bundle = hints("a", "b", "c")._repr_mimebundle_()
    assert bundle["text/plain"] == "Hints for this exercise: 3 (run the notebook to reveal them one at a time)"
    assert WIDGET_VIEW in bundle                                  # still a live widget where widgets run
    assert hints("a", "b", "c")._repr_mimebundle_()["text/plain"] == bundle["text/plain"]
    assert repr(hints("only")) == "Hints for this exercise: 1 (run the notebook to reveal it)"


@pytest.mark.parametrize("args, error, says", [
    ((), ValueError, "at least one hint"),
    ((3,), TypeError, "hint 1 must be a string, got int"),
    (("fine", None), TypeError, "hint 2 must be a string, got NoneType"),
    ((["a", "b"],), TypeError, "each hint as its own argument"),
    (("fine", "   "), ValueError, "hint 2 is empty"),
])
def test_hints_bad_input(args, error, says):
    with pytest.raises(error, match=re.escape(says)):
        hints(*args)


# ---------------------------------------------------------------- nudge

def product(x, y):
    return x * y


def test_nudge_table_matches_the_kernel_at_the_start():
    w = nudge(product, {"x": 4.0, "y": -3.0})
    assert w.values() == {"x": 4.1, "y": -2.9} and w.nudges() == {"x": 0.1, "y": 0.1}
    x_only, y_only, both = w.rows()
    assert x_only["exact"] == pytest.approx(4.1 * -3.0) and x_only["linear"] == pytest.approx(-12 + 0.1 * -3)
    assert y_only["exact"] == pytest.approx(4.0 * -2.9) and y_only["linear"] == pytest.approx(-12 + 0.1 * 4)
    assert both["exact"] == pytest.approx(4.1 * -2.9)
    assert both["gap"] == pytest.approx(0.1 * 0.1)                # the second-order term hx·hy
    text = w.text()
    assert "f = −12.0000; ∂f/∂x = −3.0000, ∂f/∂y = 4.0000" in text
    assert "−11.8900" in text and "−11.9000" in text and "0.0100" in text


@pytest.mark.parametrize("x, y", [(4.37, -3.0), (3.0, -2.01), (4.99, -3.99), (3.0, -2.0), (4.0, -3.0)])
def test_nudge_shown_numbers_equal_the_kernels_after_moving_sliders(x, y):
    w = nudge(product, {"x": 4.0, "y": -3.0})
    w.sliders["x"].value, w.sliders["y"].value = x, y
    hx, hy = round(x - 4.0, 2), round(y + 3.0, 2)
    expected = [(hx, x * -3.0, -12 + hx * -3.0), (hy, 4.0 * y, -12 + hy * 4.0),
                (None, x * y, -12 + hx * -3.0 + hy * 4.0)]
    for row, (h, exact, linear) in zip(w.rows(), expected):
        if h is not None:
            assert list(row["h"].values()) == [h]
        assert row["exact"] == pytest.approx(exact, abs=1e-12)
        assert row["linear"] == pytest.approx(linear, abs=1e-12)
    # what the learner reads (HTML table and plain text) is those numbers, to 4 decimals
    shown = numbers(w.table_html.value.split("<table>")[1])
    for row in w.rows():
        for key in ("exact", "linear", "gap"):
            assert round(row[key], 4) in shown
    assert f"{x * y:.4f}".replace("-", "−") in w.text()


@pytest.mark.parametrize("raw, snapped", [
    (4.1 + 2e-16, 4.1),                # float noise from a frontend: the value shown, 4.10, is used
    (4.3700000000000001, 4.37),
    (4.373, 4.37),                     # between two steps: onto the slider's grid
    (4.376, 4.38),
    (10.0, 5.0),                       # outside the range: clamped
])
def test_nudge_slider_values_are_the_values_used(raw, snapped):
    w = nudge(product, {"x": 4.0, "y": -3.0})
    w.sliders["x"].value = raw
    assert w.sliders["x"].value == snapped                       # the slider itself now holds the used value
    assert w.values()["x"] == snapped
    assert w.rows()[0]["exact"] == snapped * -3.0


def test_nudge_steps_that_are_not_tenths():
    w = nudge(lambda x: x * x, {"x": 1.5}, h=0.25, step=0.05, span=0.5)
    assert w.sliders["x"].readout_format == ".2f"
    assert w.values() == {"x": 1.75} and w.nudges() == {"x": 0.25}
    w.sliders["x"].value = 1.93                                   # between 1.90 and 1.95
    assert w.values() == {"x": 1.95} and w.nudges() == {"x": 0.45}
    row, = w.rows()
    assert row["exact"] == 1.95 ** 2 and row["linear"] == pytest.approx(2.25 + 0.45 * 3.0)


def test_nudge_reset_and_repeatable_static_output():
    w = nudge(product, {"x": 4.0, "y": -3.0})
    start = w._repr_mimebundle_()["text/plain"]
    w.sliders["x"].value = 3.2
    assert w.text() != start
    w.reset_button.click()
    assert w.text() == start
    assert nudge(product, {"x": 4.0, "y": -3.0})._repr_mimebundle_()["text/plain"] == start
    assert WIDGET_VIEW in w._repr_mimebundle_()


def test_nudge_does_not_touch_anything_outside():
    x = Value(4.0, name="x")
    w = nudge(lambda x: (x * x).exp(), {"x": 0.5})
    assert float(x.grad) == 0.0 and w.rows()[0]["exact"] == pytest.approx(math.exp(0.6 ** 2))


@pytest.mark.parametrize("args, kwargs, error, says", [
    ((None, {"x": 1.0}), {}, TypeError, "needs a function"),
    ((product, [4.0, -3.0]), {}, TypeError, "point must map input names to numbers"),
    ((product, {}), {}, ValueError, "point is empty"),
    ((product, {"x": "4", "y": -3.0}), {}, TypeError, "point['x'] must be a number, got str"),
    ((product, {"x": float("nan"), "y": -3.0}), {}, ValueError, "point['x'] must be a finite number"),
    ((product, {"x": 1 / 3, "y": -3.0}), {}, ValueError, "more than 6 decimals"),
    ((product, {"x": 4.0}), {}, TypeError, "build must accept the names in point"),
    ((product, {"x": 4.0, "y": -3.0, "z": 1.0}), {}, TypeError, "build must accept the names in point"),
    ((lambda x: float(x.data) * 2, {"x": 1.0}), {}, TypeError, "returned float"),
    ((lambda x: x * Value(np.ones(3)), {"x": 1.0}), {}, ValueError, "shape (3,)"),
    ((product, {"x": 4.0, "y": -3.0}), {"h": 0.123}, ValueError, "not a whole number of steps"),
    ((product, {"x": 4.0, "y": -3.0}), {"h": 2.0}, ValueError, "outside the sliders' range"),
    ((product, {"x": 4.0, "y": -3.0}), {"step": 0}, ValueError, "must be positive"),
    ((product, {"x": 4.0, "y": -3.0}), {"h": None}, TypeError, "h must be a number"),
])
def test_nudge_bad_input(args, kwargs, error, says):
    with pytest.raises(error, match=re.escape(says)):
        nudge(*args, **kwargs)


def test_nudge_options_are_keyword_only():
    with pytest.raises(TypeError):
        nudge(product, {"x": 4.0, "y": -3.0}, 0.1)


# ---------------------------------------------------------------- stepper

def circuit():
    """(x + y) · z at (−2, 5, −4), the classic circuit."""
    x, y, z = Value(-2.0, name="x"), Value(5.0, name="y"), Value(-4.0, name="z")
    q = (x + y).named("q")
    return (q * z).named("f"), (x, y, z, q)


def test_stepper_sentences_for_add_and_multiply():
    f, _ = circuit()
    assert step_sentences(f) == [
        "Start at the output: the gradient of f with respect to itself is 1.00.",
        "multiply gate: each input gets the other input times the upstream gradient 1.00: "
        "q gets −4.00 × 1.00 = −4.00 and z gets 3.00 × 1.00 = 3.00.",
        "add gate: passes the upstream gradient −4.00 unchanged to each input, so x gets −4.00 and y gets −4.00.",
    ]


def test_stepper_sentence_for_max_routes_and_tie_splits():
    a, b = Value(4.0, name="a"), Value(2.0, name="b")
    routed = step_sentences(a.maximum(b) * 3.0)[2]
    assert routed == ("max gate: routes the whole upstream gradient 3.00 to the larger input a (4.00 > 2.00); "
                      "b gets 0.")
    c, d = Value(3.0, name="c"), Value(3.0, name="d")
    tie = step_sentences(c.maximum(d))[1]
    assert "tie at 3.00" in tie and "c gets 0.500 and d gets 0.500" in tie


def test_stepper_sentences_at_a_fork_add_up():
    a, b = Value(3.0, name="a"), Value(2.0, name="b")
    g = (a * b + a.maximum(b)).named("g")
    sentences = step_sentences(g)
    assert "a is used twice, so this is only part of its gradient: 1.00 so far" in sentences[2]
    assert ("a is used twice, so its gradient is the sum of the shares: 1.00 + 2.00 = 3.00 "
            "(gradients add up at a fork)") in sentences[3]
    twice = step_sentences(a + a)[1]
    assert "a gets 1.00 along its first wire and 1.00 along its second" in twice
    assert "sum of the shares: 2.00" in twice


def test_stepper_sentences_with_constants():
    x = Value(0.5, name="x")
    doubled = step_sentences(x * 2.0)[1]
    assert "x gets 2.00 × 1.00 = 2.00 and the constant 2.00 gets nothing, as a constant needs no gradient" in doubled
    capped = step_sentences(x.maximum(1.0))[1]
    assert "the larger one, the constant 1.00 (1.00 > 0.500), where it stops" in capped and "x gets 0" in capped
    unnamed = step_sentences(Value(3.0).maximum(x))[1]
    assert "the larger one, the input 3.00 (3.00 > 0.500); x gets 0" in unnamed


def test_stepper_skips_gates_of_constants_alone_and_still_ends_at_the_engine():
    x = Value(0.5, name="x")
    f = (x * maximum(2.0, 3.0)).named("f")                         # max(2, 3) has no backward step
    s = stepper(f)
    assert [gate.op for gate in s.gates] == ["mul"] and len(s.sentences) == 2
    s.go(1)
    partial = draw(f, gradients=s.gradients, done=s.done())
    f.backward()
    assert partial.source == draw(f).source


def test_stepper_buttons_slider_and_sentences():
    f, _ = circuit()
    s = stepper(f)
    assert s.step == 0 and s.prev_button.disabled and not s.next_button.disabled
    s.next_button.click()
    assert s.step == 1 and s.sentence().startswith("Step 1 of 2: multiply gate")
    s.next_button.click()
    assert s.step == 2 and s.next_button.disabled and s.sentence().startswith("Step 2 of 2: add gate")
    s.next_button.click()                                         # nothing past the end
    assert s.step == 2
    s.prev_button.click()
    assert s.step == 1 and not s.prev_button.disabled
    s.slider.value = 0
    assert s.prev_button.disabled and "Start at the output" in s.sentence_html.value


def test_stepper_shows_only_gradients_known_so_far():
    f, (x, y, z, q) = circuit()
    s = stepper(f)
    order = f.topological_order()
    assert set(known_gradients(order, s.gradients, {id(gate) for gate in s.done(0)})) == {id(f)}
    assert set(known_gradients(order, s.gradients, {id(gate) for gate in s.done(1)})) == {id(f), id(q), id(z)}
    start = s.drawing(0).source
    assert start.count("∇") == 1                                   # only df/df on the output wire
    after_mul = s.drawing(1)
    assert after_mul.source.count("∇") == 3 and "∇ −4.00" in after_mul.source
    assert re.search(r'label="\*\\nnow" shape="doublecircle"', after_mul.source)   # words and shape
    assert "◀ this step" in after_mul.table


def test_stepper_last_step_equals_the_engine():
    a, b = Value(3.0, name="a"), Value(2.0, name="b")
    g = ((a * b + a.maximum(b)) * Value(-1.5, name="c")).sigmoid().named("g")
    s = stepper(g)
    s.go(len(s.gates))
    grads = g.gradients()
    known = known_gradients(g.topological_order(), s.gradients, {id(gate) for gate in s.done()})
    assert set(known) == {id(node) for node in g.topological_order()}
    for node in g.topological_order():
        np.testing.assert_allclose(known[id(node)], grads[id(node)])
    # the last step's drawing, without the highlight, is exactly the drawing after backward()
    partial = draw(g, gradients=s.gradients, done=s.done())
    g.backward()
    assert partial.source == draw(g).source and partial.table == draw(g).table
    assert float(a.grad) == pytest.approx(float(known[id(a)]))


def test_stepper_leaves_grad_untouched():
    f, (x, y, z, q) = circuit()
    x.grad = np.array(123.0)                                      # whatever the learner had
    s = stepper(f)
    for _ in range(3):
        s.next_button.click()
    assert float(x.grad) == 123.0 and float(y.grad) == 0.0 


def test_stepper_static_output_lists_every_step():
    f, _ = circuit()
    bundle = stepper(f)._repr_mimebundle_()
    lines = bundle["text/plain"].splitlines()
    assert lines[0] == "Backward pass of f, one gate at a time (2 gates):"
    assert lines[1].startswith("Step 0 of 2: Start") and lines[3].startswith("Step 2 of 2: add gate")
    assert stepper(circuit()[0])._repr_mimebundle_()["text/plain"] == bundle["text/plain"]
    assert WIDGET_VIEW in bundle


def test_stepper_on_arrays_says_something_sensible():
    W = Value(np.arange(6.0).reshape(2, 3), name="W")
    b = Value(np.ones(3), name="b")
    sentences = step_sentences((W + b).relu().sum().named("L"))
    assert len(sentences) == 4
    assert "(2, 3)" in sentences[2] and "broadcast" in sentences[3]


@pytest.mark.parametrize("root, error, says", [
    (3.0, TypeError, "needs the Value at the end of a computation, got float"),
    (None, TypeError, "got NoneType"),
    (Value(2.0, name="x"), ValueError, "is an input, not the output of a gate"),
])
def test_stepper_bad_input(root, error, says):
    with pytest.raises(error, match=re.escape(says)):
        stepper(root)


# ---------------------------------------------------------------- draw's stepping options

def test_draw_options_check_their_input():
    f, (x, y, z, q) = circuit()
    other = Value(1.0) * 2
    with pytest.raises(TypeError, match="root.gradients"):
        draw(f, gradients={"x": 1.0})
    with pytest.raises(ValueError, match="another graph"):
        draw(f, gradients=other.gradients())
    with pytest.raises(ValueError, match="only gates have a backward step"):
        draw(f, done=[x])
    with pytest.raises(ValueError, match="not part of the graph"):
        draw(f, highlight=other)
    with pytest.raises(TypeError, match="done must be a list of gates"):
        draw(f, done=q)
    with pytest.raises(ValueError, match="not both"):
        draw(f, grads={"x": 1.0}, done=[q])


def test_draw_without_new_options_is_unchanged_by_them():
    f, (x, y, z, q) = circuit()
    before = draw(f).source                                        # no gradients yet
    assert draw(f, done=None, highlight=None, gradients=None).source == before
    assert "∇" not in before
    everything = draw(f, gradients=f.gradients())
    assert "∇" not in draw(f).source and "∇ −4.00" in everything.source   # .grad still untouched


def test_widgets_live_in_small_modules_and_keep_their_old_names():
    import helpers.hints
    import helpers.nudge
    import helpers.stepper
    import helpers.widgets
    assert helpers.widgets.hints is helpers.hints.hints
    assert helpers.widgets.nudge is helpers.nudge.nudge
    assert helpers.widgets.stepper is helpers.stepper.stepper


def test_a_gate_without_its_own_sentence_is_told_with_its_rule_from_the_op_table():
    from helpers.ops import OPS
    x = Value(-1.5, name="x")
    sentence = step_sentences(x.abs().named("f"))[1]
    assert sentence.startswith("abs gate: " + OPS["abs"].rule)
    assert "x gets −1.00" in sentence
    w = Value(np.ones((2, 3)), name="W")
    sentence = step_sentences(w.sum().named("s"))[1]
    assert sentence.startswith("sum gate: " + OPS["sum"].rule) and "W gets (2, 3) [[1.00, 1.00, 1.00]" in sentence
