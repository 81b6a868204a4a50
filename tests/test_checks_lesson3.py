"""Lesson 3 checkers: right answers pass, placeholders are 'not attempted', classic mistakes are named."""
import numpy as np
import pytest

from helpers.checks.lesson3 import (check_chain_gradients, check_exp_square_backward, check_fixed_backward,
                                    check_fork_backward, check_relu_chain_backward, relu_chain_inputs)
from tests.conftest import assert_correct, assert_not_attempted, assert_wrong


# ---------------------------------------------------------------- 3.1 chain rule
def exp_square_backward(x, dT):
    y = x ** 2
    dy = np.exp(y) * dT
    dx = 2 * x * dy
    return dy, dx


def test_3_1_right_answer():
    assert_correct(check_exp_square_backward, exp_square_backward)
    assert_correct(check_exp_square_backward, lambda x, dT: [np.exp(x * x) * dT, 2 * x * np.exp(x * x) * dT])


def test_3_1_placeholder():
    assert_not_attempted(check_exp_square_backward, lambda x, dT: (..., ...))
    assert_not_attempted(check_exp_square_backward, ...)


def test_3_1_half_done_says_what_is_left():
    result = check_exp_square_backward.evaluate(lambda x, dT: (np.exp(x ** 2) * dT, ...))
    assert result.outcome == "not attempted" and "still to fill in: dx" in result.message


def with_dx(dx_of):
    """An answer whose dy is right and whose dx is dx_of(x, dT, y, dy)."""
    def answer(x, dT):
        y = x ** 2
        dy = np.exp(y) * dT
        return dy, dx_of(x, dT, y, dy)
    return answer


@pytest.mark.parametrize("wrong, says", [
    (lambda x, dT: (np.exp(x ** 2), 2 * x * np.exp(x ** 2)), ["dy", "missing the upstream factor"]),
    (lambda x, dT: (np.exp(x) * dT, 2 * x * np.exp(x) * dT), ["dy", "wrong intermediate"]),
    (lambda x, dT: (dT, 2 * x * dT), ["dy", "passed on unchanged: the local gradient is missing"]),
    (lambda x, dT: (-np.exp(x ** 2) * dT, -2 * x * np.exp(x ** 2) * dT), ["dy", "wrong sign"]),
    (lambda x, dT: (np.exp(x ** 2) + dT, 0 * x), ["dy", "multiplies"]),
    (with_dx(lambda x, dT, y, dy: 2 * x), ["dx", "missing the upstream factor", "dy before it is right"]),
    (with_dx(lambda x, dT, y, dy: 2 * x * dT), ["dx", "skips the exp gate"]),
    (with_dx(lambda x, dT, y, dy: 2 * x * np.exp(x) * dT), ["dx", "wrong intermediate"]),
    (with_dx(lambda x, dT, y, dy: dy + 2 * x), ["dx", "multiplies"]),
    (with_dx(lambda x, dT, y, dy: (np.exp(y) + 2 * x) * dT), ["dx", "added"]),
    (with_dx(lambda x, dT, y, dy: x * dy), ["dx", "0.5 times the right value", "a 2 that is missing"]),
    (with_dx(lambda x, dT, y, dy: 2 * x * np.exp(y)), ["dx", "dT is missing", "dy carries dT"]),
    (with_dx(lambda x, dT, y, dy: 2 * dy), ["dx", "not 2: the factor x is missing"]),
    (with_dx(lambda x, dT, y, dy: 2 * y * dy), ["dx", "not 2y", "wrong intermediate"]),
    (with_dx(lambda x, dT, y, dy: 2 * x * dy * dT), ["dx", "dT is counted twice"]),
    (with_dx(lambda x, dT, y, dy: -2 * x * dy), ["dx", "wrong sign"]),
    (with_dx(lambda x, dT, y, dy: (2 * x * dy).T), ["dx", "transposed"]),
    (with_dx(lambda x, dT, y, dy: (2 * x * dy).sum()), ["dx", "shape"]),
    (with_dx(lambda x, dT, y, dy: None), ["dx", "None"]),
    (with_dx(lambda x, dT, y, dy: "2x dy"), ["dx", "string"]),
    (with_dx(lambda x, dT, y, dy: np.nan * x), ["dx", "nan"]),
    (lambda x, dT: np.exp(x ** 2) * dT, "should return 2 values, (dy, dx)"),
    (lambda x, dT: (1, 2, 3), "returned 3"),
    (lambda x, dT: None, "forget the `return`"),
    (lambda x, dT: x.undefined, "asks for .undefined of something that has no such attribute"),
    ("exp(x**2)", "should be a function"),
])
def test_3_1_wrong_answers(wrong, says):
    assert_wrong(check_exp_square_backward, wrong, says=says)


def test_3_1_in_place_change_is_caught():
    def in_place(x, dT):
        dT *= np.exp(x ** 2)
        return dT, 2 * x * dT
    assert_wrong(check_exp_square_backward, in_place, says="in place")


# ---------------------------------------------------------------- 3.2 a chain, reusing gradients
def chain_gradients(local, dout):
    grads = np.empty(len(local) + 1)
    grads[-1] = dout
    for i in reversed(range(len(local))):
        grads[i] = local[i] * grads[i + 1]
    return grads


def from_scratch(local, dout):
    return [dout * float(np.prod(local[i:])) for i in range(len(local) + 1)]


def forwards(start):
    """The reuse loop run in the wrong direction, on an array first filled by ``start``."""
    def chain(local, dout):
        grads = start(len(local) + 1)
        grads[-1] = dout
        for i in range(len(local)):
            grads[i] = local[i] * grads[i + 1]
        return grads
    return chain


def last_entry(value):
    def chain(local, dout):
        grads = chain_gradients(local, dout)
        grads[-1] = value
        return grads
    return chain


def test_3_2_right_answer():
    assert_correct(check_chain_gradients, chain_gradients)
    assert_correct(check_chain_gradients, from_scratch)      # right numbers, just slower
    assert_correct(check_chain_gradients, lambda local, dout: np.append(np.cumprod(local[::-1])[::-1] * dout, dout))


def test_3_2_praises_only_what_it_verified():
    """A learner's attempt recomputes every product from scratch (O(n²)): right numbers, but not reuse."""
    def chain_gradients(local, dout):
        return [dout * float(np.prod(local[i:])) for i in range(len(local) + 1)]
    result = check_chain_gradients.evaluate(chain_gradients)
    assert result.outcome == "correct" and "every node is right" in result.message
    assert "multiplication" not in result.message and "each is the next one" not in result.message


def test_3_2_placeholder():
    assert_not_attempted(check_chain_gradients, lambda local, dout: ...)
    assert_not_attempted(check_chain_gradients, lambda local, dout: [..., dout])


@pytest.mark.parametrize("wrong, says", [
    (lambda local, dout: [float(np.prod(local[i:])) for i in range(len(local) + 1)], "dout is missing"),
    (lambda local, dout: [dout * float(np.prod(local[:i])) for i in range(len(local) + 1)], "wrong way"),
    (lambda local, dout: [dout + float(np.sum(local[i:])) for i in range(len(local) + 1)], "added"),
    (lambda local, dout: list(local * dout) + [dout], "only its own gate's local gradient"),
    (lambda local, dout: [dout * float(np.prod(local[i + 1:])) for i in range(len(local))] + [dout],
     "off by one"),
    (lambda local, dout: [-g for g in chain_gradients(local, dout)], "wrong sign"),
    (lambda local, dout: chain_gradients(local, dout)[:-1], "6 gates join 7 nodes"),
    (lambda local, dout: chain_gradients(local, dout)[::-1], "reverse order"),
    (forwards(np.zeros), ["loop runs forwards", "reversed(range(n))"]),
    (forwards(np.ones), "loop runs forwards"),
    (last_entry(0.0), ["last entry", "dout"]),
    (last_entry(1.0), ["last entry", "dout"]),
    (lambda local, dout: chain_gradients(local, dout) + 0.1, "entries differ"),
    (lambda local, dout: chain_gradients(local, dout)[:, None], "shape"),
    (lambda local, dout: "grads", "string"),
    (lambda local, dout: None, "forget the `return`"),
])
def test_3_2_wrong_answers(wrong, says):
    assert_wrong(check_chain_gradients, wrong, says=says)


def test_3_2_in_place_change_is_caught():
    def in_place(local, dout):
        local *= dout
        return chain_gradients(local, dout)
    assert_wrong(check_chain_gradients, in_place, says="in place")


# ---------------------------------------------------------------- 3.3 a fork
def fork_backward(x, dT):
    y, z = x ** 2, np.exp(-x)
    dy = z * dT
    dz = y * dT
    dx = 2 * x * dy
    dx += -z * dz
    return dy, dz, dx


def with_fork_dx(dx_of):
    """An answer whose dy, dz are right and whose dx is dx_of(x, dT, y, z, dy, dz)."""
    def answer(x, dT):
        y, z = x ** 2, np.exp(-x)
        dy, dz = z * dT, y * dT
        return dy, dz, dx_of(x, dT, y, z, dy, dz)
    return answer


def test_3_3_right_answer():
    assert_correct(check_fork_backward, fork_backward)


def test_3_3_placeholder():
    assert_not_attempted(check_fork_backward, lambda x, dT: (..., ..., ...))


@pytest.mark.parametrize("wrong, says", [
    (with_fork_dx(lambda x, dT, y, z, dy, dz: 2 * x * dy),
     ["dx", "overwritten at a fork (= where += is needed)", "it feeds 2 gates (y = x², z = exp(−x))",
      "the share through z = exp(−x) was lost"]),
    (with_fork_dx(lambda x, dT, y, z, dy, dz: -z * dz),
     ["dx", "overwritten", "the share through y = x² was lost"]),
    (with_fork_dx(lambda x, dT, y, z, dy, dz: 2 * x * dy + z * dz), ["dx", "wrong sign", "exp(−x)"]),
    (with_fork_dx(lambda x, dT, y, z, dy, dz: 2 * x * dy * (-z * dz)), ["dx", "at a fork they add"]),
    (with_fork_dx(lambda x, dT, y, z, dy, dz: 2 * x * dy - dz), ["dx", "misses the exp gate", "not just −1"]),
    (with_fork_dx(lambda x, dT, y, z, dy, dz: 2 * x * dy - z * dy), ["dx", "must start from dz"]),
    (with_fork_dx(lambda x, dT, y, z, dy, dz: 2 * dy - z * dz), ["dx", "not 2 (the factor x is missing)"]),
    (with_fork_dx(lambda x, dT, y, z, dy, dz: 2 * x * dT - z * dT), ["dx", "skipping the multiply gate"]),
    (with_fork_dx(lambda x, dT, y, z, dy, dz: 2 * x * z - z * y), ["dx", "missing the upstream factor"]),
    (with_fork_dx(lambda x, dT, y, z, dy, dz: dT * (z + 2 * x) + dT * (y - z)),
     ["dx", "along a path they multiply"]),
    (with_fork_dx(lambda x, dT, y, z, dy, dz: -(2 * x * dy - z * dz)), ["dx", "wrong sign"]),
    (lambda x, dT: (np.exp(-x), x ** 2 * dT, 0 * x), ["dy", "missing the upstream factor"]),
    (lambda x, dT: (x ** 2 * dT, np.exp(-x) * dT, 0 * x), ["dy", "multiply swaps"]),
    (lambda x, dT: (np.exp(-x) * dT, x ** 2, 0 * x), ["dz", "missing the upstream factor", "dy before it is right"]),
    (lambda x, dT: (np.exp(-x) * dT, np.exp(-x) * dT, 0 * x), ["dz", "multiply swaps"]),
    (lambda x, dT: fork_backward(x, dT)[:2], "returned 2"),
])
def test_3_3_wrong_answers(wrong, says):
    assert_wrong(check_fork_backward, wrong, says=says)


# ---------------------------------------------------------------- 3.4 spot the bug
def make_backward(bug=None):
    """The backward pass of T = (x·y + y)² · x with the mistake ``bug`` (None: right)."""
    def backward(x, y, dT):
        if bug == "no dT":
            dT = 1.0
        p = x * y
        q = p + y
        r = q ** 2
        dr = x * dT
        dx = r * dT
        if bug == "T unswapped":
            dr, dx = r * dT, x * dT
        dq = 2 * q * dr
        dp = dq
        dy = dq
        if bug == "dx":
            dx = y * dp
        elif bug == "x partner":
            dx += x * dp
        else:
            dx += y * dp
        if bug == "dy":
            dy = x * dp
        elif bug == "y partner":
            dy += y * dp
        else:
            dy += x * dp
        if bug == "dx first":                                  # the branch through T never added
            dx = y * dp
        return dx, dy
    return backward


def test_3_4_right_answer():
    assert_correct(check_fixed_backward, make_backward())


def test_3_4_placeholder():
    assert_not_attempted(check_fixed_backward, lambda x, y, dT: (..., ...))


@pytest.mark.parametrize("wrong, says", [
    (make_backward("dx"), ["dx", "overwritten at a fork (= where += is needed)", "it feeds 2 gates (p = x·y, T = r·x)",
                           "the share through T = r·x was lost"]),
    (make_backward("dy"), ["dy", "overwritten at a fork (= where += is needed)", "it feeds 2 gates (p = x·y, q = p + y)",
                           "the share through q = p + y was lost"]),
    (lambda x, y, dT: (make_backward()(x, y, dT)[0], 2 * (x * y + y) * x * dT),
     ["dy", "overwritten", "the share through p = x·y was lost", "dx before it is right"]),
    (lambda x, y, dT: ((x * y + y) ** 2 * dT, make_backward()(x, y, dT)[1]),
     ["dx", "overwritten", "the share through p = x·y was lost"]),
    (lambda x, y, dT: make_backward()(x, y, dT)[::-1], ["dx and dy are swapped", "in the order (dx, dy)"]),
    (make_backward("x partner"), ["dx", "multiply swaps at p = x·y", "partner y"]),
    (make_backward("y partner"), ["dy", "multiply swaps at p = x·y", "partner x", "dx before it is right"]),
    (make_backward("no dT"), ["dx", "missing the upstream factor"]),
    (make_backward("T unswapped"), ["dx", "multiply swaps at T = r·x"]),
    (lambda x, y, dT: tuple(-g for g in make_backward()(x, y, dT)), ["dx", "wrong sign"]),
    (lambda x, y, dT: (make_backward()(x, y, dT)[0], [1.0, 2.0]), ["dy", "shape"]),
    (lambda x, y, dT: (make_backward()(x, y, dT)[0], float("nan") * x), ["dy", "nan"]),
])
def test_3_4_wrong_answers(wrong, says):
    assert_wrong(check_fixed_backward, wrong, says=says)


def test_3_4_aliased_arrays_are_named():
    """A learner's right fix with its last two lines in the other order: dp = dq; dy = dq are one array."""
    def fixed_backward(x, y, dT):
        p = x * y
        q = p + y
        r = q ** 2
        dr = x * dT           # T = r * x
        dx = r * dT
        dq = 2 * q * dr       # r = q ** 2
        dp = dq               # q = p + y
        dy = dq
        dy += x * dp
        dx += y * dp          # p = x * y
        return dx, dy
    result = assert_wrong(check_fixed_backward, fixed_backward,
                          says=["dx", "dy and dp are the same array, so `dy += …` changed dp too — copy first "
                                      "(dq.copy()) or write dy = dy + …"])
    assert "entries differ" not in result.message


def test_3_4_the_same_lines_without_aliasing_are_right():
    def fixed_backward(x, y, dT):
        q = x * y + y
        dq = 2 * q * x * dT
        dp, dy = dq.copy(), dq.copy()
        dy += x * dp
        return q ** 2 * dT + y * dp, dy
    assert_correct(check_fixed_backward, fixed_backward)


# ---------------------------------------------------------------- 3.5 relu inside a chain
def relu_chain_backward(x, w, b, v, dT):
    u = w * x + b
    dr = v * dT
    du = (u > 0) * dr
    dx = w * du
    return dr, du, dx


def with_du(du_of, dx_of=lambda x, w, du, dr: w * du):
    def answer(x, w, b, v, dT):
        u = w * x + b
        dr = v * dT
        du = du_of(u, x, dr, dT)
        return dr, du, dx_of(x, w, du, dr)
    return answer


def test_3_5_inputs_sit_on_every_side_of_the_kink():
    x, w, b, v, dT = relu_chain_inputs()
    u = w * x + b
    assert np.any(u == 0) and np.any(u > 0) and np.any(u < 0)
    assert np.any((u > 0) != (x > 0))                          # so the wrong intermediate shows
    assert np.all(np.abs(dT) >= 0.5) and np.all(np.abs(dT) != 1)


def test_3_5_right_answer():
    assert_correct(check_relu_chain_backward, relu_chain_backward)
    assert_correct(check_relu_chain_backward, lambda x, w, b, v, dT: (
        v * dT, np.where(w * x + b > 0, v * dT, 0.0), np.where(w * x + b > 0, w * v * dT, 0.0)))


def test_3_5_placeholder():
    assert_not_attempted(check_relu_chain_backward, lambda x, w, b, v, dT: (..., ..., ...))


@pytest.mark.parametrize("wrong, says", [
    (with_du(lambda u, x, dr, dT: (u >= 0) * dr), ["du", "u > 0, not u >= 0"]),
    (with_du(lambda u, x, dr, dT: np.where(u > 0, 1.0, np.where(u == 0, 0.5, 0.0)) * dr),
     ["du", "even split", "uses 0 at 0"]),
    (with_du(lambda u, x, dr, dT: (x > 0) * dr), ["du", "wrong intermediate"]),
    (with_du(lambda u, x, dr, dT: dr), ["du", "closed"]),
    (with_du(lambda u, x, dr, dT: np.maximum(u, 0) * dr), ["du", "gate's output"]),
    (with_du(lambda u, x, dr, dT: (u > 0) * dT), ["du", "dT skips"]),
    (with_du(lambda u, x, dr, dT: (u > 0) * 1.0), ["du", "missing the upstream factor"]),
    (with_du(lambda u, x, dr, dT: np.sign(u) * dr), ["du", "not −1", "np.sign"]),
    (with_du(lambda u, x, dr, dT: (u > 0) * dr, lambda x, w, du, dr: du),
     ["dx", "passed on unchanged: the local gradient is missing", "du before it"]),
    (with_du(lambda u, x, dr, dT: (u > 0) * dr, lambda x, w, du, dr: x * du), ["dx", "multiply swaps"]),
    (with_du(lambda u, x, dr, dT: (u > 0) * dr, lambda x, w, du, dr: du + w), ["dx", "multiplies"]),
    (with_du(lambda u, x, dr, dT: (u > 0) * dr, lambda x, w, du, dr: w * dr), ["dx", "through relu"]),
    (lambda x, w, b, v, dT: (v, v * (w * x + b > 0), w * v * (w * x + b > 0)), ["dr", "missing the upstream factor"]),
    (lambda x, w, b, v, dT: (dT, dT * (w * x + b > 0), w * dT * (w * x + b > 0)), ["dr", "passed on unchanged"]),
    (lambda x, w, b, v, dT: (np.maximum(w * x + b, 0) * dT, 0 * x, 0 * x), ["dr", "multiply swaps"]),
    (lambda x, w, b, v, dT: (v * dT, (w * x + b > 0), 0 * x), ["du", "True/False"]),
    (lambda x, w, b, v, dT: relu_chain_backward(x, w, b, v, dT)[1:], "returned 2"),
])
def test_3_5_wrong_answers(wrong, says):
    assert_wrong(check_relu_chain_backward, wrong, says=says)


# ---------------------------------------------------------------- bad input: one line each, never a traceback
def raises(*args):
    raise RuntimeError("boom")


def in_place(first, *rest):
    first *= 2.0
    return (first,) * 5


def nan_answer(returns):
    """An answer of the right shape, NaN everywhere (``returns`` gradients; 1: the chain's n + 1 gradients)."""
    def answer(first, *rest):
        return (first * np.nan,) * returns if returns > 1 else np.append(first, 1.0) * np.nan
    return answer


@pytest.mark.parametrize("check, returns", [(check_exp_square_backward, 2), (check_chain_gradients, 1),
                                            (check_fork_backward, 3), (check_fixed_backward, 2),
                                            (check_relu_chain_backward, 3)])
@pytest.mark.parametrize("bad, says", [(lambda n: None, "should be a function"),
                                       (lambda n: "dx = 2 * x * dy", "should be a function"),
                                       (lambda n: raises, "raised RuntimeError"), (lambda n: in_place, "in place"),
                                       (nan_answer, "contains nan")])
def test_bad_input(check, returns, bad, says):
    result = assert_wrong(check, bad(returns), says=says)
    assert "\n" not in result.message and "Traceback" not in result.message, result.message
