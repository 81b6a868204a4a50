"""Exercises of lesson 2 — gates.

A gate is checked the CS231n way: ``out, cache = gate_forward(...)``, then
``grads = gate_backward(dout, cache)``, on seeded random 2×3 inputs and a
random upstream gradient ``dout`` far from 0 and ±1, so a missing upstream
factor cannot pass.  References come from the engine; the harness
(:mod:`helpers.checks.harness`) calls the learner's functions on copies and
derives the generic diagnoses.  Declared here: each gate's own
misconceptions, as (value, sentence) data, and the one mistake only a gate
has — a cache that its backward pass cannot unpack, or unpacks in another
order.
"""
import numpy as np

from helpers.checks.harness import exercise, run
from helpers.compare import Answer, close, expect, expect_all, in_order, numbers_or_none, same_numbers
from helpers.engine import Value, maximum
from helpers.feedback import NotAttempted, Wrong

__all__ = ["check_mul_gate", "check_add_max_gates", "check_exp_pow_gates", "check_div_gate",
           "check_pattern_prediction"]

SHAPE = (2, 3)
POWERS = (3, -1, 0.5)                                             # the exponents the power gate is tested with
PATTERN_POINT = {"x": 3.0, "y": -4.0, "z": 2.0, "w": -1.0}        # the circuit of exercise 2.5
EVENLY = "this course splits a tie evenly, half to each input"


def _problem(seed, count):
    """Return ``count`` seeded random 2×3 inputs, at least 0.5 from 0, then an upstream gradient far from 0 and ±1."""
    *inputs, dout = np.random.default_rng(seed).normal(size=(count + 1, *SHAPE))
    return (*(np.sign(i) * (0.5 + np.abs(i)) for i in inputs), np.sign(dout) * (1.5 + np.abs(dout)))


def _cache_problem(fname, bname, cache, unpacks):
    """Return the sentence for a cache that ``bname`` cannot unpack as ``unpacks`` ({name: value}), or None."""
    stored = f"one array of shape {cache.shape}" if isinstance(cache, np.ndarray) else f"{cache!r:.30}"
    if isinstance(cache, (tuple, list)):
        order = [next((n for n, v in unpacks.items() if same_numbers(item, v)), "another value") for item in cache]
        if order == list(unpacks) or (len(order) == len(unpacks) and "another value" in order):
            return None                                          # as unpacked, or stored its own way
        stored = ("them in another order, " if sorted(order) == sorted(unpacks) else "") + f"({', '.join(order)})"
    names = ", ".join(unpacks)
    return f"Look at the cache first: {bname} unpacks `{names} = cache`, but {fname} stored {stored}: store ({names})"


def _gate(gate, forward, backward, inputs, *, build, dout, wrong, unpacks=None, fixed=(), out_wrong=(), label=""):
    """Check ``gate``'s forward pass, then its backward pass on the cache the learner's forward stored.

    ``inputs`` maps the forward's argument names to arrays; the backward
    returns one gradient per input ("x" -> "dx").  ``wrong`` maps each
    gradient's name to its (value, sentence) mistakes, or is a function of
    the learner's gradients that returns that map.  ``unpacks`` is what the
    exercise's backward unpacks from the cache ({name: value}, in order).
    """
    fname, bname = f"{gate}_forward", f"{gate}_backward"
    got = run(forward, *inputs.values(), *fixed, returns=("out", "cache"), name=fname)
    values = [Value(a) for a in inputs.values()]
    out = build(*values, *fixed)
    out.backward(seed=dout)
    expect(f"{fname}'s out{label}", got["out"], out.data, mistakes=out_wrong)
    try:
        grads = run(backward, dout, got["cache"], returns=tuple(f"d{n}" for n in inputs), name=bname)
        mistakes = wrong(grads) if callable(wrong) else wrong
        expect_all(*(Answer(f"{bname}'s {g}{label}", grads[g], v.grad, mistakes=mistakes.get(g, ()), upstream=dout)
                     for g, v in zip(grads, values)), order=None)
    except NotAttempted as signal:
        raise NotAttempted(str(signal) or f"{fname} is right; still to fill in: {bname}.") from None
    except Wrong as mistake:
        raise Wrong(unpacks and _cache_problem(fname, bname, got["cache"], unpacks) or str(mistake)) from None


@exercise("2.1", "the multiply gate")
def check_mul_gate(mul_forward, mul_backward):
    """Check out, cache = mul_forward(x, y) and dx, dy = mul_backward(dout, cache) on 2×3 arrays."""
    x, y, dout = _problem(21, 2)
    wrong = {f"d{n}": [(own * dout, f"multiply swaps: the gradient on {n} uses the *other* input, {p}, not {n}"),
                       (x * y * dout, f"that uses the output x·y; its local gradient for {n} is {p} alone"),
                       (partner * dout / 2, "each input of a multiply gate gets its own full gradient, not half")]
             for n, p, own, partner in (("x", "y", x, y), ("y", "x", y, x))}
    _gate("mul", mul_forward, mul_backward, {"x": x, "y": y}, build=lambda a, b: a * b, dout=dout, wrong=wrong,
          unpacks={"x": x, "y": y}, out_wrong=[(x + y, "that is x + y; a multiply gate outputs x * y")])
    return "out = x·y, and each input's gradient is the other input times dout: multiply swaps"


def _max_wrong(got, x, y, dout):
    """Return the classic wrong max gradients {"dx": …, "dy": …}, judged away from the tie x == y, then at it."""
    tie, a, wrong = x == y, {g: numbers_or_none(got[g], SHAPE) for g in ("dx", "dy")}, {}
    total = None if any(v is None for v in a.values()) else (a["dx"] + a["dy"])[tie]   # both shares at the tie
    twice, lost = total is not None and close(total, 2 * dout[tie]), total is not None and not np.any(total)
    for g, n, p, mine, other in (("dx", "x", "y", x, y), ("dy", "y", "x", y, x)):
        def off(value, learner=a[g]):                            # the learner's own entries at the tie
            return np.where(tie, learner, value)
        win = (mine > other) * dout
        all_of_it = ("both inputs got all of dout (1[x ≥ y] and 1[y ≥ x]): twice the gradient; " if twice else
                     f"{n} got all of dout ({n} ≥ {p} instead of {n} > {p}): a valid choice, but ")
        wrong[g] = [] if a[g] is None else [
            (off((mine < other) * dout), f"max routes to the *larger* input: where {n} < {p}, {n} gets 0"),
            (off(win / dout), "that is the 0/1 routing mask alone; multiply it by the upstream gradient dout"),
            (off(dout), f"max routes, it does not distribute: where {n} is the smaller input its gradient is 0"),
            (off(win * mine), f"a max gate passes dout itself to the winner, not dout times {n}'s value"),
            (off(win / 2), "the winner gets the whole upstream gradient, not half"),
            (off(0 * dout), f"{n} gets nothing, but where {n} is the larger input max routes all of dout to it"),
            (win + tie * dout, f"at the tie ({n} == {p}) {all_of_it}{EVENLY}"),
            (win * ~tie, f"at the tie ({n} == {p}) {n} got nothing{f', and neither did {p}' * lost}; {EVENLY}"),
            (off(win + 0.5 * tie * dout), f"only the tie entry ({n} == {p}) is wrong: {EVENLY}")]
    return wrong


@exercise("2.2", "the add gate and the max gate")
def check_add_max_gates(add_forward, add_backward, max_forward, max_backward):
    """Check the add gate and the max gate (forward and backward) on 2×3 arrays."""
    (x, y, dout), (mx, my, mdout) = _problem(22, 2), _problem(220, 2)
    my[0, 1] = mx[0, 1]                                           # one exact tie
    add = {g: [(dout / 2, "an add gate does not split dout: each input gets all of it (add distributes)"),
               (partner * dout, "that is the multiply rule; x + y has local gradient 1 for each input"),
               (0 * dout, "an add gate passes dout on to *both* inputs (add distributes)")]
           for g, partner in (("dx", y), ("dy", x))}
    add["dy"].insert(0, (-dout, "+ has local gradient +1 for both inputs; −1 is the second input of a subtraction"))
    in_order([("the add gate", lambda: _gate(
                  "add", add_forward, add_backward, {"x": x, "y": y}, build=lambda a, b: a + b, dout=dout,
                  wrong=add, out_wrong=[(x * y, "that is x * y; an add gate outputs x + y")])),
              ("the max gate", lambda: _gate(
                  "max", max_forward, max_backward, {"x": mx, "y": my}, build=maximum, dout=mdout,
                  wrong=lambda got: _max_wrong(got, mx, my, mdout), unpacks={"x": mx, "y": my},
                  out_wrong=[(np.minimum(mx, my), "that is the minimum; use np.maximum(x, y)")]))], order=None)
    return "add distributes dout to both inputs; max routes it to the larger one (half each at a tie)"


def _pow_gate(pow_forward, pow_backward, x, dout):
    """Check the power gate x ** p for each p in POWERS."""
    for p in POWERS:
        _gate("pow", pow_forward, pow_backward, {"x": x}, fixed=(p,), build=lambda a, q: a ** q, dout=dout,
              unpacks={"x": x, "p": p}, label=f" (p = {p:g})".replace("-", "−"), wrong={"dx": [
                  (p * x ** p * dout, "power rule off by one: d(x^p)/dx = p·x^(p−1), the exponent drops by one"),
                  (p * x ** (p + 1) * dout, "power rule off by one: the exponent goes *down* by one, to p − 1"),
                  (x ** (p - 1) * dout, "the exponent p comes down as a factor: p·x^(p−1)"),
                  ((p - 1) * x ** (p - 1) * dout, "the factor in front is p; only the exponent becomes p − 1"),
                  (x ** p * dout, "that is the output x^p times dout; the local gradient is p·x^(p−1)"),
                  (p * x ** p - dout, "operator precedence: x ** p-1 * dout means x**p − dout; write x ** (p - 1)"),
                  (x ** p * np.log(x) * dout, "x^p·ln(x) is the derivative with respect to the exponent p, not x")]})


@exercise("2.3", "the exp gate and the power gate")
def check_exp_pow_gates(exp_forward, exp_backward, pow_forward, pow_backward):
    """Check the exp gate and the power gate x ** p (p = 3, −1, 0.5) on 2×3 arrays."""
    x, px, dout = _problem(23, 2)
    wrong = {"dx": [(x * dout, "that uses the input x; exp's local gradient is its *output* exp(x): the cache"),
                    (x * np.exp(x - 1) * dout, "power rule, but in e^x the exponent is x: e^x is its own derivative"),
                    (np.exp(np.exp(x)) * dout, "that applies exp twice: the cache holds exp(x) already")]}
    in_order([("the exp gate", lambda: _gate(
                  "exp", exp_forward, exp_backward, {"x": x}, build=lambda a: a.exp(), dout=dout, wrong=wrong,
                  out_wrong=[(np.exp(-x), "that is exp(−x); the gate outputs exp(x)")])),
              ("the power gate", lambda: _pow_gate(pow_forward, pow_backward, np.abs(px), dout))], order=None)
    return "exp's gradient is its own output times dout; x ** p gives p·x^(p−1) times dout"


@exercise("2.4", "division as two gates")
def check_div_gate(div_forward, div_backward):
    """Check a / b built as a · b⁻¹: out, cache = div_forward(a, b); da, db = div_backward(dout, cache)."""
    a, b, dout = _problem(24, 2)
    wrong = {"da": [(a * dout, "multiply swaps: a's gradient uses its partner in a · b⁻¹, not a itself"),
                    (b * dout, "a's partner in a · b⁻¹ is b⁻¹, not b"),
                    (-a / b ** 2 * dout, "that is b's gradient; a's comes straight from the multiply gate")],
             "db": [(a / b ** 2 * dout, "the minus sign is missing: b ** -1 has local gradient (−1)·b^(−2)"),
                    (-dout / b ** 2, "the multiply gate was skipped: the gradient arriving at b⁻¹ is a · dout"),
                    (-a / b * dout, "power rule off by one: b^(−1) has local gradient (−1)·b^(−2)"),
                    ((b - a) / b ** 2 * dout, "quotient-rule slip: a does not change with b (derivative 0, not 1)"),
                    (dout / b, "that is a's gradient; b's goes on through the power gate b ** -1"),
                    (-dout / b ** 3, "the gradient arriving at r is a · dout (r's partner), not r · dout"),
                    (-a * b ** 2 * dout, "(−1)·b^(−2) is written in b: r^(−2) is b², not b^(−2)")]}
    _gate("div", div_forward, div_backward, {"a": a, "b": b}, build=lambda u, v: u / v, dout=dout, wrong=wrong,
          unpacks={"a": a, "b": b, "r": 1 / b}, out_wrong=[(b / a, "that is b / a; divide the other way round"),
                                                           (a * b, "multiply a by b⁻¹ (b ** -1), not by b")])
    return "a · b⁻¹ as two gates: da = b⁻¹·dout, and db = (−1)·b^(−2) · (a·dout)"


@exercise("2.5", "predict, then look")
def check_pattern_prediction(dfdx, dfdy, dfdz, dfdw):
    """Check predicted gradients of f = 3 · (x·y + max(z, w)) at x = 3, y = −4, z = 2, w = −1."""
    v = {name: Value(value) for name, value in PATTERN_POINT.items()}
    (3.0 * (v["x"] * v["y"] + maximum(v["z"], v["w"]))).backward()
    ref, (x, y, _, _) = {f"dfd{name}": float(value.grad) for name, value in v.items()}, PATTERN_POINT.values()
    wrong = {f"dfd{n}": [(3 * own, f"multiply swaps: {n}'s gradient uses its partner {p}, not {n} itself"),
                         (3 * x * y, f"that uses the product x·y; {n}'s gradient is its partner {p} times x·y's"),
                         (other * 1.5, "add passes all of its gradient to both inputs: add distributes")]
             for n, p, own, other in (("x", "y", x, y), ("y", "x", y, x))}
    wrong["dfdz"] = [(ref["dfdw"], "max routes to the *larger* input: z = 2 beats w = −1"),
                     (ref["dfdz"] / 2, "neither gate on z's way splits: add passes all on, max (z > w) all to z")]
    smaller = "max routes: w = −1 is the smaller input, so it gets nothing"
    wrong["dfdw"] = [(3.0, smaller), (-3.0, f"{smaller} — not a negative share"), (1.5, "max is not tied: z gets it")]
    given = {"dfdx": dfdx, "dfdy": dfdy, "dfdz": dfdz, "dfdw": dfdw}
    return expect_all(*(Answer(n, given[n], ref[n], mistakes=wrong[n], upstream=3.0) for n in given), order=None)
