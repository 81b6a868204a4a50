"""Exercises of lesson 3 — the chain rule, reuse of downstream gradients, and forks.

Every reference comes from the engine (``Value``), run on seeded random
inputs with a random, non-unit upstream gradient, so an answer that forgets
the upstream factor cannot pass by luck.  The harness
(:mod:`helpers.checks.harness`) calls the learner's function on copies;
:func:`~helpers.compare.expect_all` names the generic mistakes — a missing
upstream factor, an upstream gradient passed on unchanged, a gradient
overwritten at a fork (from the branches' shares, which the engine's gates
report), sign, shape, swapped outputs.  Declared here: the misconceptions of
each exercise that no generic rule names — the wrong intermediate, local
gradients added instead of multiplied, a loop run the wrong way.
"""
import itertools

import numpy as np

from helpers.checks.harness import exercise, run
from helpers.compare import Answer, as_numbers, expect, expect_all
from helpers.engine import Value
from helpers.feedback import Wrong

__all__ = ["check_exp_square_backward", "check_chain_gradients", "check_fork_backward",
           "check_fixed_backward", "check_relu_chain_backward", "relu_chain_inputs"]

SHAPE = (2, 3)                                                    # non-square: a transpose cannot pass
ADDED = "the local gradients are added; along a path the chain rule multiplies them"


def _nonunit(seed, count, shape=SHAPE):
    """Return ``count`` seeded arrays of numbers of size 0.5..2 with random signs: never 0, never ±1 on purpose."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape) for _ in range(count)]


@exercise("3.1", "the chain rule with an upstream gradient")
def check_exp_square_backward(exp_square_backward):
    """Check (dy, dx) for T = exp(y), y = x**2 with a random upstream gradient dT."""
    x, dT = _nonunit(31, 2)
    got = run(exp_square_backward, x, dT, returns=("dy", "dx"))
    vy = Value(x) ** 2
    vy.exp().backward(seed=dT)
    y, dy = vy.data, vy.grad
    return expect_all(
        Answer("dy", got["dy"], dy, upstream=dT, mistakes=[
            (np.exp(x) * dT, "that is exp'(x), the wrong intermediate: the exp gate's input is y = x², so exp(y)"),
            (np.exp(y) + dT, ADDED)]),
        Answer("dx", got["dx"], vy.inputs[0].grad, upstream=dy, mistakes=[
            (2 * x * dT, "dT skips the exp gate: the square gate's upstream gradient is dy, not dT"),
            (2 * x * np.exp(x) * dT, "that uses exp'(x), not exp'(y): the wrong intermediate for the exp gate"),
            (dy + 2 * x, ADDED), ((np.exp(y) + 2 * x) * dT, ADDED),
            (2 * x * np.exp(y), "the upstream gradient dT is missing: dx is 2x times dy, and dy carries dT"),
            (2 * dy, "the square gate's local gradient is 2x, not 2: the factor x is missing"),
            (2 * y * dy, "the square gate's input is x: its local gradient is 2x, not 2y (the wrong intermediate)"),
            (2 * x * dy * dT, "dT is counted twice: dy already contains it, so dx is 2x times dy")]))


@exercise("3.2", "every gradient of a chain, each computed once")
def check_chain_gradients(chain_gradients):
    """Check the gradient on every node of a chain from its local gradients and dout."""
    for n in (6, 1):
        (local,), (dout,) = _nonunit(32 + n, 1, (n,)), _nonunit(320 + n, 1, ())
        name = f"chain_gradients(local, dout) with {n} gate{'s' * (n > 1)}"
        got = as_numbers(name, run(chain_gradients, local, np.float64(dout), returns=("grads",))["grads"])
        nodes = list(itertools.accumulate(local, lambda node, factor: node * float(factor), initial=Value(1.0)))
        nodes[-1].backward(seed=dout)
        reference, tail = np.array([v.grad.item() for v in nodes]), np.append(np.cumprod(local[::-1])[::-1], 1.0)
        if got.shape == (n,):
            raise Wrong(f"{name} returned {n} numbers, but {n} gates join {n + 1} nodes: return {n + 1}, dout last")
        forwards = "the loop runs forwards, before node i + 1's gradient is known: use for i in reversed(range(n))"
        expect(name, got, reference, mistakes=[
            *((np.append(local * np.append(np.full(n - 1, fill), dout), dout), forwards) for fill in (0.0, 1.0)),
            *((np.append(reference[:-1], v), "the last entry is T's own gradient, dout") for v in (0.0, 1.0)),
            (tail, "dout is missing: every node's gradient carries it (the last entry, T's own, is dout)"),
            (dout * np.cumprod(np.append(1.0, local)), "walked the wrong way: use the local gradients *after* node i"),
            (dout + np.append(np.cumsum(local[::-1])[::-1], 0.0), ADDED),
            (np.append(local * dout, dout), "only its own gate's local gradient: reuse the gradient of the node after"),
            (np.append(dout * tail[1:], dout), "off by one: node i's gradient includes local[i], the gate after it"),
            (reference[::-1], "the right gradients in reverse order: grads[0] belongs to x and grads[-1] = dout to T")])
    return "the gradient on every node is right, for a chain of 6 gates and for one of 1 gate"


@exercise("3.3", "backward through a fork")
def check_fork_backward(fork_backward):
    """Check (dy, dz, dx) for T = y * z with y = x**2, z = exp(-x): x forks into two branches."""
    x, dT = _nonunit(33, 2)
    got = run(fork_backward, x, dT, returns=("dy", "dz", "dx"))
    vx = Value(x)
    vy, vz = vx ** 2, (-vx).exp()
    (vy * vz).backward(seed=dT)
    y, z, dy, dz, via_y, via_z = vy.data, vz.data, vy.grad, vz.grad, vy.shares()[0], vz.inputs[0].shares()[0]
    return expect_all(
        Answer("dy", got["dy"], dy, upstream=dT, mistakes=[(y * dT, "multiply swaps: ∂T/∂y for T = y · z is z")]),
        Answer("dz", got["dz"], dz, upstream=dT, mistakes=[(z * dT, "multiply swaps: ∂T/∂z for T = y · z is y")]),
        Answer("dx", got["dx"], vx.grad, upstream=dT, shares=(("y = x²", via_y), ("z = exp(−x)", via_z)), mistakes=[
            (via_y - via_z, "z's branch has the wrong sign: d exp(−x)/dx = −exp(−x), by the chain rule"),
            (via_y * via_z, "the two branches' shares are multiplied; at a fork they add"),
            (via_y - dz, "z's branch misses the exp gate: dz/dx = exp(−x) · (−1) = −z, not just −1"),
            (via_y - z * dy, "z's branch must start from dz, the gradient arriving at z, not from dy"),
            (2 * dy + via_z, "the branch through y = x²: the local gradient is 2x, not 2 (the factor x is missing)"),
            (2 * x * dT - z * dT, "both branches use dT, skipping the multiply gate T = y · z: start from dy and dz"),
            (dT * (z + 2 * x) + dT * (y - z), "added along each path; along a path they multiply, only branches add")]))


@exercise("3.4", "find and fix the bug")
def check_fixed_backward(fixed_backward):
    """Check (dx, dy) for T = (x·y + y)² · x, where x and y each feed two gates."""
    x, y, dT = _nonunit(34, 3)
    got = run(fixed_backward, x, y, dT, returns=("dx", "dy"))
    vx, vy = Value(x), Value(y)
    p = vx * vy
    q = p + vy
    T = q ** 2 * vx
    T.backward(seed=dT)
    (x_via_p, y_via_p), (_, y_via_q), (_, x_via_T) = p.shares(), q.shares(), T.shares()
    return expect_all(
        Answer("dx", got["dx"], vx.grad, upstream=dT, shares=(("p = x·y", x_via_p), ("T = r·x", x_via_T)), mistakes=[
            (x_via_T + x * p.grad, "multiply swaps at p = x·y: x's share is its partner y times dp, not x·dp"),
            (x * dT + y * 2 * q.data ** 3 * dT, "multiply swaps at T = r·x: x's share is r·dT, r's is x·dT"),
            (x_via_T + y * p.grad * (1 + x), "dy and dp are the same array, so `dy += …` changed dp too — copy "
                                             "first (dq.copy()) or write dy = dy + …")]),
        Answer("dy", got["dy"], vy.grad, upstream=dT, shares=(("p = x·y", y_via_p), ("q = p + y", y_via_q)),
               mistakes=[(y_via_q + y * p.grad, "multiply swaps at p = x·y: y's share is its partner x times dp, "
                                                 "not y·dp")]), order=None)


def relu_chain_inputs(seed=35):
    """Return x, w, b, v, dT of shape (2, 3), with u = w·x + b exactly 0 at two places."""
    x, w, v, dT, size = _nonunit(seed, 5)
    # the side of the kink u lands on: both sides, not always x's side, and exactly on it (0) twice
    side = np.where(x > 0, [[1, 0, -1], [-1, 1, 0]], [[1, 0, 1], [-1, -1, 0]])
    return x, w, side * np.abs(size) - w * x, v, dT


@exercise("3.5", "backward through a ReLU in a chain")
def check_relu_chain_backward(relu_chain_backward):
    """Check (dr, du, dx) for T = v * relu(u), u = w * x + b, including u exactly 0."""
    x, w, b, v, dT = relu_chain_inputs()
    got = run(relu_chain_backward, x, w, b, v, dT, returns=("dr", "du", "dx"))
    vx = Value(x)
    vu = Value(w) * vx + b
    r = vu.relu()
    (Value(v) * r).backward(seed=dT)
    u, dr, du = vu.data, r.grad, vu.grad
    return expect_all(
        Answer("dr", got["dr"], dr, upstream=dT, mistakes=[(r.data * dT, "multiply swaps: ∂T/∂r is v")]),
        Answer("du", got["du"], du, upstream=dr, mistakes=[
            ((u >= 0) * dr, "at exactly u = 0 this course's relu passes nothing: test u > 0, not u >= 0"),
            (np.where(u == 0, 0.5, u > 0) * dr, "0.5 at u = 0 is max's even split at a tie; relu's other input is "
                                                  "a constant, which takes no share: relu uses 0 at 0"),
            ((x > 0) * dr, "relu's switch depends on its own input u = w·x + b, not on x (the wrong intermediate)"),
            (dr, "relu's local gradient is missing: the gradient must stop where the gate is closed (u < 0)"),
            (np.maximum(u, 0) * dr, "relu(u) is the gate's output; its local gradient is its slope, 1 or 0"),
            ((u > 0) * dT, "dT skips the multiply gate: relu's upstream gradient is dr, not dT"),
            (np.sign(u) * dr, "where relu is closed (u < 0) its slope is 0, not −1 as np.sign(u) says")]),
        Answer("dx", got["dx"], vx.grad, upstream=du, mistakes=[
            (x * du, "multiply swaps: for w·x the gradient on x uses w, the other factor"),
            (du + w, "w is added to du; along a path the chain rule multiplies"),
            (w * dr, "dx must come through relu: use du (which is 0 where relu is closed), not dr")]))
