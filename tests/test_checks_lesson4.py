"""Lesson 4 checkers: right answers pass, placeholders are 'not attempted', classic mistakes are named."""
import math

import numpy as np
import pytest

from helpers.checks.lesson4 import (CACHE_NAMES, GRAD_NAMES, STAGED_POINTS, check_neuron_backward,
                                    check_sigmoid_backward, check_silu_backward, check_staged_backward,
                                    check_staged_forward, graph, neuron_graph, staged_circuit)
from helpers.engine import Value
from helpers.gradcheck import numerical_gradient
from tests.conftest import assert_correct, assert_not_attempted, assert_wrong


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ---------------------------------------------------------------- the references the checks use
def test_neuron_reference_is_the_worked_example():
    n = neuron_graph([2.0, -3.0, -3.0], [-1.0, -2.0])
    f, dot, ddot, dx, dw = n["f"].item(), n["dot"].item(), n["dot"].grad.item(), n["x"].grad, n["w"].grad
    assert dot == 1.0
    assert np.isclose(f, 0.7310585786300049)
    assert np.isclose(ddot, 0.19661193324148185)
    assert np.allclose(dx, [0.3932238664829637, -0.5898357997244456])
    assert np.allclose(dw, [-0.19661193324148185, -0.3932238664829637, 0.19661193324148185])


def test_staged_reference_matches_numerical_gradients():
    for x, y, df in STAGED_POINTS:
        nodes = graph(staged_circuit(x, y), df)
        f, cache = nodes["f"].item(), {name: nodes[name].item() for name in CACHE_NAMES}
        grads = {"d" + name: node.grad.item() for name, node in nodes.items()}
        assert np.isclose(f, (x + sigmoid(y)) / (sigmoid(x) + (x + y) ** 2))
        assert set(cache) == set(CACHE_NAMES) and set(grads) >= set(GRAD_NAMES)
        numeric = numerical_gradient(lambda v: staged_circuit(v[0], v[1]).item(), np.array([x, y])) * df
        assert np.allclose([grads["dx"], grads["dy"]], numeric, rtol=1e-6)
    assert np.isclose(staged_circuit(3.0, 4.0).item(), 0.07971588771237584)


# ---------------------------------------------------------------- 4.1 the sigmoid gate
def sigmoid_backward(dout, cache):
    z, s = cache
    return dout * (1 - s) * s


def test_4_1_right_answer():
    assert_correct(check_sigmoid_backward, sigmoid_backward)
    assert_correct(check_sigmoid_backward, lambda dout, cache: dout * np.exp(-cache[0]) / (1 + np.exp(-cache[0])) ** 2)


def test_4_1_placeholder():
    assert_not_attempted(check_sigmoid_backward, lambda dout, cache: ...)
    assert_not_attempted(check_sigmoid_backward, ...)


def in_place_sigmoid(dout, cache):
    dout *= (1 - cache[1]) * cache[1]
    return dout


@pytest.mark.parametrize("wrong, says", [
    (lambda dout, c: (1 - c[1]) * c[1], "upstream gradient dout"),
    (lambda dout, c: dout * (1 - c[0]) * c[0], "used the input z"),
    (lambda dout, c: dout * c[1], "(1 − s) is missing"),
    (lambda dout, c: dout * (1 - c[1]), "factor s is missing"),
    (lambda dout, c: dout * (1 - c[1] ** 2), "tanh"),
    (lambda dout, c: dout, "straight through"),
    (lambda dout, c: -dout * (1 - c[1]) * c[1], "wrong sign"),
    (lambda dout, c: (1 - c[1]) * c[1] + dout, "added; the chain rule multiplies"),
    (lambda dout, c: -dout / (1 + np.exp(-c[0])) ** 2, ["only the reciprocal gate's local gradient",
                                                       "the exp and the negation"]),
    (lambda dout, c: (dout * (1 - c[1]) * c[1]).T, "transposed"),
    (in_place_sigmoid, "in place"),
    (lambda dout, c: None, "forget the `return`"),
    (lambda dout, c: "0.2", "not a string"),
    (lambda dout, c: dout * np.nan, "nan"),
    (lambda dout, c: Value(dout), "Value"),
])
def test_4_1_wrong_answers(wrong, says):
    assert_wrong(check_sigmoid_backward, wrong, says=says)


# ---------------------------------------------------------------- 4.2 the sigmoid neuron
def neuron_backward(df, cache):
    w, x, f = cache
    ddot = (1 - f) * f * df
    dx = w[:2] * ddot
    dw = np.append(x, 1.0) * ddot
    return ddot, dx, dw


def neuron_with(**changes):
    """The right neuron_backward with some answers replaced by fn(df, w, x, f, ddot)."""
    def fn(df, cache):
        w, x, f = cache
        answers = dict(zip(("ddot", "dx", "dw"), neuron_backward(df, cache)))
        for name, change in changes.items():
            answers[name] = change(df, w, x, f, answers["ddot"])
        return answers["ddot"], answers["dx"], answers["dw"]
    return fn


def test_4_2_right_answer():
    assert_correct(check_neuron_backward, neuron_backward)
    assert_correct(check_neuron_backward, neuron_with(dx=lambda df, w, x, f, d: [w[0] * d, w[1] * d],
                                                      dw=lambda df, w, x, f, d: [x[0] * d, x[1] * d, d]))


def test_4_2_placeholder():
    assert_not_attempted(check_neuron_backward, lambda df, cache: (..., ..., ...))
    assert_not_attempted(check_neuron_backward, ...)
    result = check_neuron_backward.evaluate(neuron_with(dw=lambda *a: ...))
    assert result.outcome == "not attempted" and "still to fill in: dw" in result.message


@pytest.mark.parametrize("wrong, says", [
    (neuron_with(ddot=lambda df, w, x, f, d: (1 - f) * f), ["ddot", "upstream gradient df"]),
    (neuron_with(ddot=lambda df, w, x, f, d: f * df), "(1 − f) is missing"),
    (neuron_with(ddot=lambda df, w, x, f, d: (1 - (w[0] * x[0] + w[1] * x[1] + w[2]))
                 * (w[0] * x[0] + w[1] * x[1] + w[2]) * df), "used the input dot"),
    (neuron_with(dx=lambda df, w, x, f, d: x * d), ["dx", "multiply swaps"]),
    (neuron_with(dx=lambda df, w, x, f, d: w * d), "w[2] is the bias"),
    (neuron_with(dx=lambda df, w, x, f, d: w[1:] * d), ["dx", "w[1:]", "take w[:2]"]),
    (neuron_with(dx=lambda df, w, x, f, d: w[:2] * df), ["dx", "skips the σ gate"]),
    (neuron_with(dw=lambda df, w, x, f, d: np.append(x, 1.0) * df), ["dw", "skips the σ gate"]),
    (neuron_with(dw=lambda df, w, x, f, d: np.append(x * d, df)), ["dw", "bias's gradient", "not df"]),
    (neuron_with(dw=lambda df, w, x, f, d: np.append(1.0, x) * d), ["dw", "wrong order"]),
    (neuron_with(ddot=lambda df, w, x, f, d: f * (1 + f) * df), ["ddot", "with a minus"]),
    (neuron_with(ddot=lambda df, w, x, f, d: (1 - f) * f + df), ["ddot", "added"]),
    (neuron_with(dw=lambda df, w, x, f, d: w * d), ["dw", "multiply swaps"]),
    (neuron_with(dw=lambda df, w, x, f, d: x * d), "bias w[2] is a weight too"),
    (neuron_with(dw=lambda df, w, x, f, d: np.append(x * d, 0.0)), "not 0"),
    (neuron_with(dw=lambda df, w, x, f, d: np.append(x * d, 1.0)), "not 1"),
    (neuron_with(dw=lambda df, w, x, f, d: np.append(x * d, w[2] * d)), "added, not multiplied"),
    (neuron_with(dw=lambda df, w, x, f, d: -np.append(x, 1.0) * d), "wrong sign"),
    (lambda df, cache: (0.2, [0.4, -0.6]), "it should return 3: (ddot, dx, dw)"),
    (neuron_with(dx=lambda *a: None), "None"),
    (neuron_with(dx=lambda *a: "0.39, -0.59"), "string"),
    (neuron_with(dw=lambda df, w, x, f, d: [[x[0] * d, x[1] * d, d]]), "shape"),
])
def test_4_2_wrong_answers(wrong, says):
    assert_wrong(check_neuron_backward, wrong, says=says)


# ---------------------------------------------------------------- 4.3 the staged forward pass
def staged_forward(x, y):
    sigy = 1 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy ** 2
    den = sigx + xpysqr
    invden = 1 / den
    f = num * invden
    return f, {"x": x, "y": y, "sigy": sigy, "num": num, "sigx": sigx, "xpy": xpy,
               "xpysqr": xpysqr, "den": den, "invden": invden}


def forward_with(name, change):
    """The right staged_forward with one stage replaced by change(cache) (later stages recomputed)."""
    def fn(x, y):
        _f, c = staged_forward(x, y)
        c[name] = change(c)
        if name in ("sigy",):
            c["num"] = x + c["sigy"]
        if name in ("xpy", "xpysqr", "sigx"):
            c["xpysqr"] = c["xpy"] ** 2 if name == "xpy" else c["xpysqr"]
            c["den"] = c["sigx"] + c["xpysqr"]
            c["invden"] = 1 / c["den"]
        return c["num"] * c["invden"], c
    return fn


def test_4_3_right_answer():
    assert_correct(check_staged_forward, staged_forward)


def test_4_3_placeholder():
    assert_not_attempted(check_staged_forward, lambda x, y: (..., {k: ... for k in CACHE_NAMES}))
    assert_not_attempted(check_staged_forward, ...)


@pytest.mark.parametrize("wrong, says", [
    (forward_with("sigy", lambda c: sigmoid(c["x"])), ["sigy", "not of x"]),
    (forward_with("sigy", lambda c: sigmoid(-c["y"])), "mind the minus"),
    (forward_with("sigy", lambda c: 1 / 1 + math.exp(-c["y"])), ["sigy", "divides before it adds",
                                                                  "parentheses"]),
    (forward_with("sigx", lambda c: 1 / 1 + math.exp(-c["x"])), ["sigx", "divides before it adds"]),
    (forward_with("num", lambda c: c["x"] + c["sigx"]), "add sigy, not sigx"),
    (forward_with("den", lambda c: c["sigy"] + c["xpysqr"]), "add sigx, not sigy"),
    (forward_with("xpysqr", lambda c: 0.0), ["xpysqr", "is zero everywhere"]),
    (forward_with("num", lambda c: c["x"] + c["y"]), "add sigy, not y"),
    (forward_with("sigx", lambda c: sigmoid(c["y"])), ["sigx", "not of y"]),
    (forward_with("xpysqr", lambda c: 2 * c["xpy"]), "not 2·xpy"),
    (forward_with("xpysqr", lambda c: c["x"] ** 2 + c["y"] ** 2), "not x² + y²"),
    (forward_with("den", lambda c: c["sigx"] + c["xpy"]), "add xpysqr, not xpy"),
    (forward_with("invden", lambda c: c["den"]), "reciprocal"),
    (lambda x, y: (staged_forward(x, y)[1]["num"] * staged_forward(x, y)[1]["den"], staged_forward(x, y)[1]),
     "not den"),
    (lambda x, y: staged_forward(x, y)[0], "should return 2 values, (f, cache)"),
    (lambda x, y: (staged_forward(x, y)[0], list(staged_forward(x, y)[1].values())), "dict"),
    (lambda x, y: (staged_forward(x, y)[0], {k: v for k, v in staged_forward(x, y)[1].items() if k != "sigx"}),
     "cache has no 'sigx'"),
    (forward_with("den", lambda c: None), ["den", "None"]),
    (forward_with("den", lambda c: float("inf")), "inf"),
])
def test_4_3_wrong_answers(wrong, says):
    assert_wrong(check_staged_forward, wrong, says=says)


# ---------------------------------------------------------------- 4.4 the staged backward pass
def staged_backward(df, cache):
    x, y, sigy, num, sigx, xpy, xpysqr, den, invden = (cache[k] for k in CACHE_NAMES)
    dnum = invden * df
    dinvden = num * df
    dden = (-1.0 / den ** 2) * dinvden
    dsigx = dden
    dxpysqr = dden
    dxpy = 2 * xpy * dxpysqr
    dx = dxpy
    dy = dxpy
    dx += (1 - sigx) * sigx * dsigx
    dx += dnum
    dsigy = dnum
    dy += (1 - sigy) * sigy * dsigy
    return {"dnum": dnum, "dinvden": dinvden, "dden": dden, "dsigx": dsigx, "dxpysqr": dxpysqr,
            "dxpy": dxpy, "dsigy": dsigy, "dx": dx, "dy": dy}


def backward_with(**changes):
    """The right staged_backward with some gradients replaced by fn(df, cache, right_grads)."""
    def fn(df, cache):
        grads = staged_backward(df, cache)
        right = dict(grads)
        for name, change in changes.items():
            grads[name] = change(df, cache, right)
        return grads
    return fn


def local(c, name):
    return (1 - c[name]) * c[name]


def test_4_4_right_answer():
    assert_correct(check_staged_backward, staged_backward)
    # -invden² is the same local gradient as -1/den²
    assert_correct(check_staged_backward, backward_with(dden=lambda df, c, g: -c["invden"] ** 2 * g["dinvden"]))


def test_4_4_right_answer_says_engine_and_numerical():
    result = check_staged_backward.evaluate(staged_backward)
    assert "engine" in result.message and "centred differences" in result.message


def test_4_4_placeholder():
    assert_not_attempted(check_staged_backward, lambda df, cache: {k: ... for k in GRAD_NAMES})
    assert_not_attempted(check_staged_backward, ...)
    result = check_staged_backward.evaluate(backward_with(dx=lambda *a: ..., dy=lambda *a: ...))
    assert result.outcome == "not attempted" and "still to fill in: dx, dy" in result.message


# the seed notes' last line: `dy = ...` where y's second use needs `dy += ...`
SEED_BUG = backward_with(dy=lambda df, c, g: local(c, "sigy") * g["dsigy"])


@pytest.mark.parametrize("wrong, says", [
    # overwrote at a fork
    (SEED_BUG, ["stage (1) sigy = σ(y)", "dy looks overwritten at a fork", "+= is needed", "feeds 2 gates"]),
    (backward_with(dx=lambda df, c, g: local(c, "sigx") * g["dsigx"] + g["dnum"]),
     ["stage (3) sigx = σ(x)", "the share through stage (4) xpy = x + y was lost", "+= is needed"]),
    (backward_with(dx=lambda df, c, g: g["dnum"]),
     ["stage (2) num = x + sigy", "the shares through stage (4) xpy = x + y and stage (3) sigx = σ(x) were lost"]),
    (backward_with(dx=lambda df, c, g: g["dxpy"] + g["dnum"]),
     ["the share through stage (3) sigx = σ(x) was lost", "+= is needed"]),
    # missing upstream factor
    (backward_with(dnum=lambda df, c, g: c["invden"]), ["stage (8)", "dnum", "upstream gradient df"]),
    (backward_with(dden=lambda df, c, g: -1 / c["den"] ** 2), ["stage (7)", "upstream gradient dinvden"]),
    (backward_with(dxpy=lambda df, c, g: 2 * c["xpy"]), ["stage (5)", "upstream gradient dxpysqr"]),
    (backward_with(dx=lambda df, c, g: g["dxpy"] + local(c, "sigx") + g["dnum"]),
     ["stage (3)", "upstream factor dsigx is missing"]),
    (backward_with(dsigy=lambda df, c, g: 1.0), ["stage (2)", "dsigy", "upstream gradient dnum"]),
    # sign error
    (backward_with(dden=lambda df, c, g: 1 / c["den"] ** 2 * g["dinvden"]), ["at stage (7) invden = 1 / den",
                                                                          "dden has the wrong sign",
                                                                          "every entry is the negative"]),
    # wrong local gradient
    (backward_with(dx=lambda df, c, g: g["dxpy"] + local(c, "sigy") * g["dsigx"] + g["dnum"]),
     ["stage (3)", "wrong sigmoid"]),
    (backward_with(dy=lambda df, c, g: g["dxpy"] + local(c, "sigx") * g["dsigy"]), ["stage (1)", "wrong sigmoid"]),
    (backward_with(dxpy=lambda df, c, g: c["xpy"] * g["dxpysqr"]), ["stage (5) xpysqr = xpy²", "the 2 is missing"]),
    (backward_with(dden=lambda df, c, g: -g["dinvden"] / c["den"]), ["stage (7)", "lowers the exponent by one"]),
    (backward_with(dnum=lambda df, c, g: c["num"] * df), ["stage (8)", "multiply swaps"]),
    (backward_with(dsigy=lambda df, c, g: local(c, "sigy") * g["dnum"]), ["stage (2)", "belongs to the next stage"]),
    (backward_with(dsigx=lambda df, c, g: g["dden"] / 2), ["stage (6)", "not half"]),
    # used the input instead of the cached value
    (backward_with(dx=lambda df, c, g: g["dxpy"] + local(c, "x") * g["dsigx"] + g["dnum"]),
     ["stage (3)", "used the input x", "cached output"]),
    (backward_with(dy=lambda df, c, g: g["dxpy"] + local(c, "y") * g["dsigy"]), ["stage (1)", "used the input y"]),
    (backward_with(dxpy=lambda df, c, g: 2 * c["xpysqr"] * g["dxpysqr"]), ["stage (5)", "used xpysqr"]),
    (backward_with(dden=lambda df, c, g: -g["dinvden"] / c["invden"] ** 2), ["stage (7)", "used invden"]),
    # the earliest stage wins when several are wrong
    (backward_with(dxpy=lambda df, c, g: c["xpy"] * g["dxpysqr"], dy=lambda df, c, g: local(c, "sigy") * g["dsigy"]),
     "stage (5)"),
    # unrecognised totals still get a clear message
    (backward_with(dy=lambda df, c, g: 0.123), ["dy is wrong", "one share per use"]),
    (backward_with(dx=lambda df, c, g: 0.0), "dx is zero"),
])
def test_4_4_wrong_answers(wrong, says):
    assert_wrong(check_staged_backward, wrong, says=says)


def test_4_4_names_the_right_gradients_before_the_first_wrong_one():
    result = assert_wrong(check_staged_backward, SEED_BUG, says="dsigy, dx before it are right")
    assert result.message.startswith("at x = 3, y = 4, df = 0.7: first wrong one in backward order")


def cache_changer(df, cache):
    cache["x"] = 0.0
    return staged_backward(df, cache)


@pytest.mark.parametrize("wrong, says", [
    (lambda df, c: None, "forget the `return`"),
    (lambda df, c: 1 / 0, "ZeroDivisionError"),
    (lambda df, c: list(staged_backward(df, c).values()), "result should be a dict {'dnum': …"),
    (lambda df, c: {k: v for k, v in staged_backward(df, c).items() if k != "dsigy"}, "result has no 'dsigy'"),
    (backward_with(dden=lambda *a: "−0.0016"), ["dden", "string"]),
    (backward_with(dx=lambda *a: None), ["dx", "None"]),
    (backward_with(dy=lambda *a: float("nan")), ["dy", "nan"]),
    (backward_with(dx=lambda df, c, g: [g["dx"], g["dx"]]), "should be a single number, not an array of shape (2,)"),
    (backward_with(dxpy=lambda df, c, g: Value(g["dxpy"])), "Value"),
    (cache_changer, "changed cache['x'] in place"),
    ("staged_backward", "should be a function"),
])
def test_4_4_bad_input(wrong, says):
    assert_wrong(check_staged_backward, wrong, says=says)


# ---------------------------------------------------------------- 4.5 SiLU
def silu_backward(dout, cache):
    x, s = cache
    dx = s * dout
    dx = dx + (1 - s) * s * (x * dout)
    return dx


def test_4_5_right_answer():
    assert_correct(check_silu_backward, silu_backward)


def test_4_5_placeholder():
    assert_not_attempted(check_silu_backward, lambda dout, cache: ...)


@pytest.mark.parametrize("wrong, says", [
    (lambda dout, c: dout * c[1], ["the share through s = σ(x) was lost", "+= is needed"]),
    (lambda dout, c: dout * c[0] * (1 - c[1]) * c[1], ["overwritten", "feeds 2 gates"]),
    (lambda dout, c: c[1] + c[0] * (1 - c[1]) * c[1], "upstream gradient dout"),
    (lambda dout, c: dout * (c[1] + c[0] * (1 - c[0]) * c[0]), "used the input x"),
    (lambda dout, c: dout * (c[1] + (1 - c[1]) * c[1]), "multiply swaps"),
    (lambda dout, c: dout * (c[0] + c[1] * (1 - c[1]) * c[1]), "multiply swaps"),
    (lambda dout, c: -silu_backward(dout, c), "wrong sign"),
    (lambda dout, c: dout * (1 - c[1]) * c[1], ["σ gate's backward step alone", "used twice"]),
    (lambda dout, c: dout * c[1] + (1 - c[1]) * c[1] * c[0] * dout ** 2, "dout is counted twice"),
    (lambda dout, c: dout * (c[1] + c[0] * (1 - c[1])), "the factor s is missing"),
    (lambda dout, c: silu_backward(dout, c)[0], "shape"),
    (lambda dout, c: None, "forget the `return`"),
    (lambda dout, c: [["a"]], "could not be read as numbers"),
])
def test_4_5_wrong_answers(wrong, says):
    assert_wrong(check_silu_backward, wrong, says=says)


def test_4_3_partly_done_does_not_count_the_given_inputs():
    def first_two(x, y):
        f, c = staged_forward(x, y)
        return ..., dict(c, sigx=..., xpy=..., xpysqr=..., den=..., invden=...)
    result = check_staged_forward.evaluate(first_two)
    assert result.outcome == "not attempted"
    assert result.message.endswith("sigy, num right so far; still to fill in: sigx, xpy, xpysqr, den, invden, f.")


def test_4_3_swapped_inputs_in_the_cache():
    def swapped(x, y):
        f, c = staged_forward(x, y)
        return f, dict(c, x=y, y=x)
    assert_wrong(check_staged_forward, swapped, says="cache['x'] and cache['y'] are swapped")


# ---------------------------------------------------------------- the lesson's own solution cells
def solution_function(name):
    """Return the source of the solution notebook's cell that defines ``name``, markers removed."""
    import nbformat
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "solutions" / "04_staged_computation.ipynb"
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and cell.source.startswith(f"def {name}("):
            return "\n".join(line for line in cell.source.split("\n") if "### " not in line)
    raise AssertionError(f"the solution notebook no longer defines {name}")


def load(source, name):
    """Define ``name`` from ``source`` as a notebook cell does, its lines known to linecache."""
    import linecache
    filename = f"<cell {name} {hash(source)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"math": math, "np": np}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


@pytest.mark.parametrize("name, check", [
    ("sigmoid_backward", check_sigmoid_backward), ("neuron_backward", check_neuron_backward),
    ("staged_forward", check_staged_forward), ("staged_backward", check_staged_backward),
    ("silu_backward", check_silu_backward),
])
def test_the_notebook_solutions_pass(name, check):
    assert_correct(check, load(solution_function(name), name))


def test_the_notebook_solution_with_the_seed_bug_fails_at_stage_1():
    source = solution_function("staged_backward")
    assert "dy += (1 - sigy) * sigy * dsigy" in source
    broken = load(source.replace("dy += (1 - sigy) * sigy * dsigy", "dy = (1 - sigy) * sigy * dsigy"),
                  "staged_backward")
    assert_wrong(check_staged_backward, broken, says=["stage (1) sigy = σ(y)", "overwritten", "+="])


# ---------------------------------------------------------------- bad input: one line each, no traceback
def raises(*args):
    return {}["no such key"]


def sigmoid_in_place(dout, cache):
    cache[1][0, 0] = 0.5
    return sigmoid_backward(dout, cache)


def neuron_in_place(df, cache):
    cache[0][2] = 0.0
    return neuron_backward(df, cache)


def silu_in_place(dout, cache):
    dout += 1.0
    return silu_backward(dout - 1.0, cache)


@pytest.mark.parametrize("check, wrong, says", [
    (check_sigmoid_backward, lambda dout, c: None, "forget the `return`"),
    (check_sigmoid_backward, lambda dout, c: "dout * (1 - s) * s", "not a string"),
    (check_sigmoid_backward, lambda dout, c: dout * np.nan, "nan"),
    (check_sigmoid_backward, raises, ["raised KeyError", "line"]),
    (check_sigmoid_backward, sigmoid_in_place, "changed cache[1] in place"),
    (check_neuron_backward, lambda df, c: None, "forget the `return`"),
    (check_neuron_backward, neuron_with(ddot=lambda *a: "0.2"), ["ddot", "not a string"]),
    (check_neuron_backward, neuron_with(dw=lambda *a: np.full(3, np.nan)), ["dw", "nan"]),
    (check_neuron_backward, raises, "raised KeyError"),
    (check_neuron_backward, neuron_in_place, "changed cache[0] in place"),
    (check_staged_forward, lambda x, y: None, "forget the `return`"),
    (check_staged_forward, lambda x, y: (staged_forward(x, y)[0], dict(staged_forward(x, y)[1], num="x + sigy")),
     ["num", "not a string"]),
    (check_staged_forward, forward_with("sigx", lambda c: float("nan")), ["sigx", "nan"]),
    (check_staged_forward, raises, "raised KeyError"),
    (check_staged_backward, lambda df, c: None, "forget the `return`"),
    (check_staged_backward, backward_with(dnum=lambda *a: "invden * df"), ["dnum", "not a string"]),
    (check_staged_backward, backward_with(dsigx=lambda *a: float("nan")), ["dsigx", "nan"]),
    (check_staged_backward, raises, "raised KeyError"),
    (check_staged_backward, cache_changer, "changed cache['x'] in place"),
    (check_silu_backward, lambda dout, c: None, "forget the `return`"),
    (check_silu_backward, lambda dout, c: "s * dout", "not a string"),
    (check_silu_backward, lambda dout, c: silu_backward(dout, c) * np.nan, "nan"),
    (check_silu_backward, raises, "raised KeyError"),
    (check_silu_backward, silu_in_place, "changed dout in place"),
])
def test_bad_input_is_one_line(check, wrong, says):
    result = assert_wrong(check, wrong, says=says)
    assert "\n" not in result.message and "Traceback" not in result.message


# ---------------------------------------------------------------- learners' reports
# 4.4: the learner filled each placeholder line of the exercise notebook with one formula
ONE_FORMULA_PER_LINE = {"dnum": "invden * df", "dinvden": "num * df", "dden": "-dinvden / den ** 2", "dsigx": "dden",
                        "dxpysqr": "dden", "dxpy": "2 * xpy * dxpysqr", "dsigy": "dnum",
                        "dx": "dxpy + (1 - sigx) * sigx * dsigx + dnum", "dy": "dxpy + (1 - sigy) * sigy * dsigy"}


def exercise_cell(name):
    """Return the source of the exercise notebook's cell that defines ``name``, placeholders and all."""
    import nbformat
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "notebooks" / "04_staged_computation.ipynb"
    return next(cell.source for cell in nbformat.read(path, as_version=4).cells
                if cell.cell_type == "code" and cell.source.startswith(f"def {name}("))


def fill(source, formulas, order=None):
    """Fill each `name = ...` placeholder line with one formula, keeping the lines (or putting them in ``order``)."""
    import re
    lines = re.findall(r"^( +)(\w+) = \.\.\.  # YOUR CODE HERE$", source, re.M)
    block = "\n".join(f"{lines[0][0]}{name} = {formulas[name]}" for name in (order or [n for _, n in lines]))
    start = source.index(f"{lines[0][0]}{lines[0][1]} = ...")
    end = source.index("\n", source.index(f"{lines[-1][1]} = ...  # YOUR CODE HERE"))
    return source[:start] + block + source[end:]


def test_4_4_placeholders_come_in_backward_order_so_one_formula_per_line_runs():
    source = exercise_cell("staged_backward")
    assert [name for name in GRAD_NAMES if f"{name} = ...  # YOUR CODE HERE" in source] == list(GRAD_NAMES)
    assert source.index("dsigy = ...") < source.index("dx = ...") < source.index("dy = ...")
    assert_correct(check_staged_backward, load(fill(source, ONE_FORMULA_PER_LINE), "staged_backward"))


def test_4_4_the_old_placeholder_order_used_dsigy_before_it_had_a_value():
    old_order = ["dnum", "dinvden", "dden", "dsigx", "dxpysqr", "dxpy", "dx", "dy", "dsigy"]
    attempt = load(fill(exercise_cell("staged_backward"), ONE_FORMULA_PER_LINE, old_order), "staged_backward")
    assert_wrong(check_staged_backward, attempt, says=["uses dsigy before giving it a value",
                                                       "(`dy = dxpy + (1 - sigy) * sigy * dsigy`)"])


# 4.1: the learner recomputed σ from z and was praised for using the cached output s
def sigmoid_backward_from_z(dout, cache):
    z, s = cache
    dz = dout * (1 - 1 / (1 + np.exp(-z))) * (1 / (1 + np.exp(-z)))
    return dz


def test_4_1_praises_the_cached_output_only_when_it_was_used():
    recomputed = check_sigmoid_backward.evaluate(sigmoid_backward_from_z)
    assert recomputed.outcome == "correct" and "from the cached output s" not in recomputed.message
    assert "the cache holds s = σ(z) already" in recomputed.message
    cached = check_sigmoid_backward.evaluate(sigmoid_backward)
    assert cached.outcome == "correct" and "from the cached output s" in cached.message


# 4.3: the learner's bare `return ...` was called wrong, where every other check says "not attempted"
def staged_forward_bare(x, y):
    return ...


def test_4_3_a_bare_placeholder_is_not_attempted():
    result = check_staged_forward.evaluate(staged_forward_bare)
    assert result.outcome == "not attempted", result.text
    assert_not_attempted(check_staged_forward, lambda x, y: (..., ...))
    assert_not_attempted(check_sigmoid_backward, lambda dout, cache: ...)    # as every other check does
