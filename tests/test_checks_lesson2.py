"""Lesson 2 checkers: right answers pass, placeholders are 'not attempted', classic mistakes are named."""
import numpy as np
import pytest

from helpers.checks.lesson2 import (PATTERN_POINT, check_add_max_gates, check_div_gate, check_exp_pow_gates,
                                    check_mul_gate, check_pattern_prediction)
from helpers.engine import Value, maximum
from tests.conftest import assert_correct, assert_not_attempted, assert_wrong


# ---------------------------------------------------------------- reference gates (as the solutions write them)
def mul_forward(x, y):
    return x * y, (x, y)


def mul_backward(dout, cache):
    x, y = cache
    return y * dout, x * dout


def add_forward(x, y):
    return x + y, None


def add_backward(dout, cache):
    return 1.0 * dout, 1.0 * dout


def max_forward(x, y):
    return np.maximum(x, y), (x, y)


def max_backward(dout, cache):
    x, y = cache
    to_x = (x > y) + 0.5 * (x == y)
    return to_x * dout, (1 - to_x) * dout


def exp_forward(x):
    out = np.exp(x)
    return out, out


def exp_backward(dout, cache):
    return cache * dout


def pow_forward(x, p):
    return x ** p, (x, p)


def pow_backward(dout, cache):
    x, p = cache
    return p * x ** (p - 1) * dout


def div_forward(a, b):
    r = b ** -1.0
    return a * r, (a, b, r)


def div_backward(dout, cache):
    a, b, r = cache
    da = r * dout
    dr = a * dout
    return da, -1.0 * b ** -2.0 * dr


# what an untouched exercise notebook defines: every solution line replaced by `name = ...`
def placeholder_forward(*args):
    out = ...
    cache = ...
    return out, cache


def placeholder_backward2(dout, cache):
    dx = ...
    dy = ...
    return dx, dy


def placeholder_backward1(dout, cache):
    dx = ...
    return dx


def backward_of(rule):
    """Make a two-input backward from rule(x, y, dout) -> (dx, dy), with cache = (x, y)."""
    def backward(dout, cache):
        x, y = cache
        return rule(x, y, dout)
    return backward


# ---------------------------------------------------------------- 2.1 multiply gate
def test_2_1_right():
    assert_correct(check_mul_gate, mul_forward, mul_backward)
    assert_correct(check_mul_gate, lambda x, y: (np.multiply(x, y), [x.copy(), y.copy()]),
                   lambda dout, cache: [cache[1] * dout, cache[0] * dout])


def test_2_1_placeholder():
    assert_not_attempted(check_mul_gate, placeholder_forward, placeholder_backward2)
    assert_not_attempted(check_mul_gate, ..., ...)


def test_2_1_forward_done_backward_not():
    result = check_mul_gate.evaluate(mul_forward, placeholder_backward2)
    assert result.outcome == "not attempted"
    assert "still to fill in: mul_backward" in result.message


def mutating_backward(dout, cache):
    x, y = cache
    dout *= y                                         # changes the caller's array
    return dout, x * (dout / y)


def mutating_forward(x, y):
    x *= y
    return x, (x, y)


def test_2_1_backward_half_done():
    result = check_mul_gate.evaluate(mul_forward, backward_of(lambda x, y, d: (y * d, ...)))
    assert result.outcome == "not attempted"
    assert "dx right so far; still to fill in: mul_backward's dy" in result.message


@pytest.mark.parametrize("backward, says", [
    (backward_of(lambda x, y, d: (x * d, y * d)), ["dx", "multiply swaps"]),
    (backward_of(lambda x, y, d: (y, x)), "missing the upstream factor"),
    (backward_of(lambda x, y, d: (d, d)), ["passed on unchanged", "only an add gate"]),
    (backward_of(lambda x, y, d: (x * y * d, x * y * d)), "uses the output"),
    (backward_of(lambda x, y, d: (y * d, y * d)), ["dy", "multiply swaps"]),
    (backward_of(lambda x, y, d: (-y * d, -x * d)), "wrong sign"),
    (backward_of(lambda x, y, d: (y * d / 2, x * d / 2)), "not half"),
    (mutating_backward, "mul_backward changed dout in place"),
    (lambda dout, cache: None, "forget the `return`"),
    (backward_of(lambda x, y, d: y * d), "should return 2 values, (dx, dy)"),
    (backward_of(lambda x, y, d: (y * d, "x * dout")), "not a string"),
    (backward_of(lambda x, y, d: (y * d, x * d * np.nan)), "nan"),
    (backward_of(lambda x, y, d: (y * d, (x * d).sum(axis=0))), "wrong shape"),
    (backward_of(lambda x, y, d: (y * d, (x * d).T)), "transposed"),
    (backward_of(lambda x, y, d: (y * d, [1.0, 2.0])), "shape"),
])
def test_2_1_wrong_backward(backward, says):
    assert_wrong(check_mul_gate, mul_forward, backward, says=says)


@pytest.mark.parametrize("forward, says", [
    (lambda x, y: (x + y, (x, y)), "a multiply gate outputs x * y"),
    (mutating_forward, "mul_forward changed x in place"),
    (lambda x, y: x * y, "should return 2 values, (out, cache)"),
    (lambda x, y: None, "forget the `return`"),
    ("mul", "should be a function"),
])
def test_2_1_wrong_forward(forward, says):
    assert_wrong(check_mul_gate, forward, mul_backward, says=says)


@pytest.mark.parametrize("forward, says", [
    (lambda x, y: (x * y, x * y), "stored one array of shape (2, 3)"),    # cached the output, not the inputs
    (lambda x, y: (x * y, None), "stored None"),
    (lambda x, y: (x * y, (x, y, x * y)), "stored (x, y, another value)"),
])
def test_2_1_cache_that_backward_cannot_unpack(forward, says):
    assert_wrong(check_mul_gate, forward, mul_backward, says=["Look at the cache first", "x, y = cache", says])


def test_2_1_cache_in_another_order():
    """A learner's attempt: the forward stored (y, x); the backward's given line unpacks `x, y = cache`."""
    def mul_forward(x, y):
        out = x * y
        cache = (y, x)
        return out, cache

    def mul_backward(dout, cache):
        x, y = cache
        dx = y * dout
        dy = x * dout
        return dx, dy
    result = assert_wrong(check_mul_gate, mul_forward, mul_backward,
                          says=["Look at the cache first", "mul_backward unpacks `x, y = cache`",
                                "mul_forward stored them in another order, (y, x): store (x, y)"])
    assert "multiply swaps" not in result.message


def test_2_1_error_inside_learner_code_is_one_sentence():
    result = assert_wrong(check_mul_gate, mul_forward, lambda dout, cache: cache.x,
                          says="asks for .x of something that has no such attribute")
    assert "Traceback" not in result.message


# ---------------------------------------------------------------- 2.2 add and max gates
def test_2_2_right():
    assert_correct(check_add_max_gates, add_forward, add_backward, max_forward, max_backward)
    # a cache that keeps the mask instead of the inputs is just as good
    assert_correct(check_add_max_gates, lambda x, y: (np.add(x, y), ()), lambda d, c: (d.copy(), d.copy()),
                   lambda x, y: (np.maximum(x, y), (x > y) + 0.5 * (x == y)),
                   lambda d, m: (m * d, (1 - m) * d))


def test_2_2_placeholder_and_partial():
    assert_not_attempted(check_add_max_gates, placeholder_forward, placeholder_backward2,
                         placeholder_forward, placeholder_backward2)
    result = check_add_max_gates.evaluate(add_forward, add_backward, placeholder_forward, placeholder_backward2)
    assert result.outcome == "not attempted"
    assert "the add gate right so far; still to fill in: the max gate" in result.message


@pytest.mark.parametrize("backward, says", [
    (lambda d, c: (d / 2, d / 2), "add distributes"),
    (lambda d, c: (np.ones_like(d), np.ones_like(d)), "missing the upstream factor"),
    (lambda d, c: (d, -d), "second input of a subtraction"),
    (lambda d, c: (d, np.zeros_like(d)), "*both* inputs"),
    (lambda d, c: (-d, -d), "wrong sign"),
    (lambda d, c: (d, None), "None"),
])
def test_2_2_wrong_add(backward, says):
    assert_wrong(check_add_max_gates, add_forward, backward, max_forward, max_backward, says=says)


def test_2_2_wrong_add_multiply_rule():
    assert_wrong(check_add_max_gates, lambda x, y: (x + y, (x, y)), backward_of(lambda x, y, d: (y * d, x * d)),
                 max_forward, max_backward, says="multiply rule")


def split_max(wrong_off_tie=None, at_tie=(0.5, 0.5)):
    """A max backward that is right except where told: off the tie (a rule), or at the tie (two shares)."""
    def backward(dout, cache):
        x, y = cache
        tie = x == y
        dx, dy = (x > y) * dout, (y > x) * dout
        if wrong_off_tie:
            dx, dy = wrong_off_tie(x, y, dout)
        dx = np.where(tie, at_tie[0] * dout, dx)
        dy = np.where(tie, at_tie[1] * dout, dy)
        return dx, dy
    return backward


@pytest.mark.parametrize("backward, says", [
    (split_max(lambda x, y, d: ((x < y) * d, (y < x) * d)), ["dx", "*larger* input"]),
    (split_max(lambda x, y, d: ((x > y) * 1.0, (y > x) * 1.0)), "multiply it by the upstream gradient"),
    (split_max(lambda x, y, d: (d, d)), "max routes, it does not distribute"),
    (split_max(lambda x, y, d: ((x > y) * d * x, (y > x) * d * y)), "not dout times x's value"),
    (split_max(lambda x, y, d: ((x > y) * d / 2, (y > x) * d / 2)), "not half"),
    (split_max(lambda x, y, d: ((x > y) * d, (x < y) * d * 0)), ["dy", "where y is the larger input"]),
    # the two tie conventions that are not this course's
    (backward_of(lambda x, y, d: ((x >= y) * d, (y >= x) * d)), ["at the tie", "twice the gradient"]),
    (backward_of(lambda x, y, d: ((x > y) * d, (y > x) * d)), ["at the tie", "got nothing", "neither did y"]),
    # all of it to one input at the tie: a valid subgradient, but not twice the gradient
    (backward_of(lambda x, y, d: ((x >= y) * d, (y > x) * d)), ["x ≥ y instead of x > y", "valid choice"]),
    (backward_of(lambda x, y, d: ((x > y) * d, (y >= x) * d)), ["x got nothing;", "splits a tie evenly"]),
    (split_max(at_tie=(0.5, 0.25)), ["dy", "only the tie entry"]),
    (backward_of(lambda x, y, d: (np.maximum(x, y), d)), "wrong"),
])
def test_2_2_wrong_max(backward, says):
    assert_wrong(check_add_max_gates, add_forward, add_backward, max_forward, backward, says=says)


@pytest.mark.parametrize("forward, says", [
    (lambda x, y: (np.minimum(x, y), (x, y)), "the minimum"),
    (lambda x, y: (max(x, y), (x, y)), "ValueError"),               # Python's max on arrays
])
def test_2_2_wrong_max_forward(forward, says):
    assert_wrong(check_add_max_gates, add_forward, add_backward, forward, max_backward, says=says)


def test_2_2_one_input_all_at_the_tie_does_not_claim_twice_the_gradient():
    result = assert_wrong(check_add_max_gates, add_forward, add_backward, max_forward,
                          backward_of(lambda x, y, d: ((x >= y) * d, (y > x) * d)), says="at the tie")
    assert "twice" not in result.message


def test_2_2_max_cache_of_the_output():
    assert_wrong(check_add_max_gates, add_forward, add_backward,
                 lambda x, y: (np.maximum(x, y), np.maximum(x, y)), max_backward,
                 says=["max_backward unpacks `x, y = cache`", "one array"])


# ---------------------------------------------------------------- 2.3 exp and power gates
def test_2_3_right():
    assert_correct(check_exp_pow_gates, exp_forward, exp_backward, pow_forward, pow_backward)
    # recomputing exp(x) from a cached x is also right (just slower)
    assert_correct(check_exp_pow_gates, lambda x: (np.exp(x), x), lambda d, x: np.exp(x) * d,
                   lambda x, p: (np.power(x, p), (x, p)), lambda d, c: c[1] * np.power(c[0], c[1]) / c[0] * d)


def test_2_3_placeholder_and_partial():
    assert_not_attempted(check_exp_pow_gates, placeholder_forward, placeholder_backward1,
                         placeholder_forward, placeholder_backward1)
    result = check_exp_pow_gates.evaluate(placeholder_forward, placeholder_backward1, pow_forward, pow_backward)
    assert result.outcome == "not attempted" and "the power gate right so far; still to fill in: the exp gate" in result.message


def exp_cached_input(x):
    return np.exp(x), x


@pytest.mark.parametrize("forward, backward, says", [
    (exp_cached_input, lambda d, x: x * d, ["uses the input x", "*output*"]),
    (exp_forward, lambda d, out: out, "missing the upstream factor"),
    (exp_forward, lambda d, out: d, "passed on unchanged"),
    (exp_cached_input, lambda d, x: x * np.exp(x - 1) * d, "power rule"),
    (exp_forward, lambda d, out: -out * d, "wrong sign"),
    (exp_forward, lambda d, out: (out * d,), "return dx itself"),
    (exp_forward, lambda d, out: np.exp(out) * d, "applies exp twice"),
    (lambda x: (np.exp(-x), np.exp(-x)), exp_backward, "exp(−x)"),
    (lambda x: np.exp(x), exp_backward, "should return 2 values, (out, cache)"),
])
def test_2_3_wrong_exp(forward, backward, says):
    assert_wrong(check_exp_pow_gates, forward, backward, pow_forward, pow_backward, says=says)


def pow_rule(rule):
    def backward(dout, cache):
        x, p = cache
        return rule(x, p, dout)
    return backward


def pow_in_place(dout, cache):
    x, p = cache
    x **= p - 1                                       # overwrites the cached input
    return p * x * dout


@pytest.mark.parametrize("backward, says", [
    (pow_rule(lambda x, p, d: p * x ** p * d), ["off by one", "p = 3"]),
    (pow_rule(lambda x, p, d: p * x ** (p + 1) * d), "off by one"),
    (pow_rule(lambda x, p, d: x ** (p - 1) * d), "comes down as a factor"),
    (pow_rule(lambda x, p, d: (p - 1) * x ** (p - 1) * d), "the factor in front is p"),
    (pow_rule(lambda x, p, d: p * x ** (p - 1)), "missing the upstream factor"),
    (pow_rule(lambda x, p, d: x ** p * d), "output x^p"),
    (pow_rule(lambda x, p, d: 3 * x ** 2 * d), ["p = −1", "wrong"]),        # p hard-coded to 3
    (pow_rule(lambda x, p, d: (p * x ** (p - 1) * d, 0.0)), "tuple"),
    (pow_rule(lambda x, p, d: p * x ** p-1 * d), "operator precedence"),      # x ** p-1 is (x ** p) - 1
    (pow_rule(lambda x, p, d: x ** p * np.log(x) * d), "with respect to the exponent p"),
    (pow_in_place, "pow_backward changed cache[0] in place"),
])
def test_2_3_wrong_pow(backward, says):
    assert_wrong(check_exp_pow_gates, exp_forward, exp_backward, pow_forward, backward, says=says)


def test_2_3_pow_cache_without_p():
    assert_wrong(check_exp_pow_gates, exp_forward, exp_backward, lambda x, p: (x ** p, x), pow_backward,
                 says=["pow_backward unpacks `x, p = cache`", "stored one array of shape (2, 3): store (x, p)"])


# ---------------------------------------------------------------- 2.4 division as a · b⁻¹
def test_2_4_right():
    assert_correct(check_div_gate, div_forward, div_backward)
    # the quotient rule gives the same numbers; the check judges numbers
    assert_correct(check_div_gate, lambda a, b: (a / b, (a, b)), lambda d, c: (d / c[1], -c[0] / c[1] ** 2 * d))


def test_2_4_placeholder():
    def placeholder_div_backward(dout, cache):
        da = ...
        dr = ...
        db = ...
        return da, db
    assert_not_attempted(check_div_gate, placeholder_forward, placeholder_div_backward)


def div_rule(rule):
    def backward(dout, cache):
        a, b, r = cache
        return rule(a, b, dout)
    return backward


@pytest.mark.parametrize("backward, says", [
    (div_rule(lambda a, b, d: (d / b, a / b ** 2 * d)), ["db", "minus sign is missing"]),
    (div_rule(lambda a, b, d: (d / b, -1 / b ** 2 * d)), "multiply gate was skipped"),
    (div_rule(lambda a, b, d: (d / b, -a / b * d)), "power rule off by one"),
    (div_rule(lambda a, b, d: (d / b, (b - a) / b ** 2 * d)), "quotient-rule slip"),
    (div_rule(lambda a, b, d: (d / b, -a / b ** 2)), ["db", "missing the upstream factor"]),
    (div_rule(lambda a, b, d: (d / b, d / b)), "that is a's gradient"),
    (div_rule(lambda a, b, d: (1 / b, -a / b ** 2 * d)), ["da", "missing the upstream factor"]),
    (div_rule(lambda a, b, d: (-a / b ** 2 * d, d / b)), ["da", "that is b's gradient"]),
    (div_rule(lambda a, b, d: (a * d, -a / b ** 2 * d)), "multiply swaps"),
    (div_rule(lambda a, b, d: (b * d, -a / b ** 2 * d)), "not b"),
    (div_rule(lambda a, b, d: (d, -a / b ** 2 * d)), ["da", "passed on unchanged"]),
    (div_rule(lambda a, b, d: (d / b, "-a/b**2")), "string"),
    (div_rule(lambda a, b, d: (d / b, -b ** -2.0 * (d / b))), "not r · dout"),      # dr = r * dout
    (div_rule(lambda a, b, d: (d / b, -(1 / b) ** -2.0 * (a * d))), "r^(−2) is b²"),  # power rule in r
])
def test_2_4_wrong_backward(backward, says):
    assert_wrong(check_div_gate, div_forward, backward, says=says)


@pytest.mark.parametrize("forward, says", [
    (lambda a, b: (b / a, (a, b, 1 / b)), "divide the other way round"),
    (lambda a, b: (a * b, (a, b, 1 / b)), "not by b"),
])
def test_2_4_wrong_forward(forward, says):
    assert_wrong(check_div_gate, forward, div_backward, says=says)


def test_2_4_cache_without_r():
    assert_wrong(check_div_gate, lambda a, b: (a / b, (a, b)), div_backward,
                 says=["a, b, r = cache", "stored (a, b): store (a, b, r)"])


def test_2_4_cache_in_another_order():
    """A learner's attempt: the forward stored (a, r, b); the backward's given line unpacks `a, b, r = cache`."""
    def div_forward(a, b):
        r = b ** -1.0
        out = a * r
        cache = (a, r, b)
        return out, cache

    def div_backward(dout, cache):
        a, b, r = cache
        da = r * dout
        dr = a * dout
        db = -1.0 * b ** -2.0 * dr
        return da, db
    result = assert_wrong(check_div_gate, div_forward, div_backward,
                          says=["div_backward unpacks `a, b, r = cache`",
                                "div_forward stored them in another order, (a, r, b): store (a, b, r)"])
    assert "partner" not in result.message


def test_2_4_a_cache_stored_its_own_way_is_not_blamed():
    # the same three values with a backward that unpacks them in the order they were stored: right
    assert_correct(check_div_gate, lambda a, b: (a / b, (a, 1 / b, b)),
                   lambda d, cache: (cache[1] * d, -cache[2] ** -2.0 * cache[0] * d))


def test_2_4_cache_still_placeholder():
    result = check_div_gate.evaluate(lambda a, b: (a / b, ...), div_backward)
    assert result.outcome == "not attempted" and "cache is still `...` (the placeholder)" in result.message


# ---------------------------------------------------------------- 2.5 predict the pattern circuit
def pattern_circuit():
    """f = 3 · (x·y + max(z, w)) at the exercise's point, built with the engine."""
    inputs = {name: Value(v, name=name) for name, v in PATTERN_POINT.items()}
    x, y, z, w = inputs.values()
    return 3.0 * (x * y + maximum(z, w)), inputs


def engine_answers():
    f, inputs = pattern_circuit()
    f.backward()
    return [float(v.grad) for v in inputs.values()]


def test_2_5_reference_is_the_hand_derivation():
    x, y, z, w = PATTERN_POINT.values()
    assert engine_answers() == [3 * y, 3 * x, 3.0, 0.0]
    f, _ = pattern_circuit()
    assert f.item() == 3 * (x * y + max(z, w))


def test_2_5_right():
    assert_correct(check_pattern_prediction, -12.0, 9.0, 3.0, 0.0)
    assert_correct(check_pattern_prediction, *engine_answers())


def test_2_5_placeholder():
    assert_not_attempted(check_pattern_prediction, ..., ..., ..., ...)


@pytest.mark.parametrize("answers, says", [
    ((9.0, -12.0, 3.0, 0.0), ["dfdx", "multiply swaps"]),
    ((-4.0, 3.0, 1.0, 0.0), ["dfdx", "missing the upstream factor"]),
    ((-6.0, 4.5, 1.5, 0.0), ["dfdx", "add distributes"]),
    ((-12.0, 9.0, 0.0, 3.0), ["dfdz", "*larger* input"]),
    ((-12.0, 9.0, 3.0, 3.0), ["dfdw", "smaller input"]),
    ((-12.0, 9.0, 1.5, 1.5), "neither gate on z's way splits"),
    ((-12.0, 9.0, 3.0, 1.5), "not tied"),
    ((12.0, -9.0, -3.0, 0.0), "wrong sign"),
    ((-36.0, 9.0, 3.0, 0.0), ["dfdx", "uses the product x·y"]),
    ((-12.0, -36.0, 3.0, 0.0), ["dfdy", "uses the product x·y"]),
    ((-12.0, 9.0, 3.0, -3.0), "not a negative share"),
    ((-12.0, 9.0, 3.0, None), "None"),
    ((-12.0, 9.0, 3.0, "0"), "string"),
    ((-12.0, 9.0, [3.0], 0.0), ["dfdz", "should be a single number"]),
    ((-12.0, 9.0, 3.0, np.zeros(2)), ["dfdw", "should be a single number, not an array of shape (2,)"]),
])
def test_2_5_wrong(answers, says):
    assert_wrong(check_pattern_prediction, *answers, says=says)


# ---------------------------------------------------------------- bad input: one line each, never a traceback
def raises(*args):
    raise RuntimeError("boom")


def nan_forward(*args):
    return args[0] * np.nan, args


def in_place_forward(x, *rest):
    x += 1.0
    return x, (x, *rest)


def assert_one_line(check, *answers, says):
    result = assert_wrong(check, *answers, says=says)
    assert "\n" not in result.message and "Traceback" not in result.message, result.message


BAD_FORWARDS = [(None, "should be a function"), ("x * y", "should be a function"), (nan_forward, "contains nan"),
                (raises, "raised RuntimeError"), (in_place_forward, "changed x in place")]


@pytest.mark.parametrize("forward, says", BAD_FORWARDS)
def test_2_1_bad_input(forward, says):
    assert_one_line(check_mul_gate, forward, mul_backward, says=says)


@pytest.mark.parametrize("forward, says", BAD_FORWARDS)
def test_2_2_bad_input(forward, says):
    assert_one_line(check_add_max_gates, add_forward, add_backward, forward, max_backward, says=says)


@pytest.mark.parametrize("forward, says", BAD_FORWARDS)
def test_2_3_bad_input(forward, says):
    assert_one_line(check_exp_pow_gates, exp_forward, exp_backward, forward, pow_backward, says=says)


@pytest.mark.parametrize("forward, says", BAD_FORWARDS)
def test_2_4_bad_input(forward, says):
    assert_one_line(check_div_gate, forward, div_backward, says=says)


@pytest.mark.parametrize("answer, says", [(None, "None"), ("3", "string"), (float("nan"), "nan"),
                                          (raises, "is a function"), (np.array([3.0]), "single number")])
def test_2_5_bad_input(answer, says):
    assert_one_line(check_pattern_prediction, -12.0, 9.0, answer, 0.0, says=says)
