"""Exercises of lesson 6 — broadcasting.

A value broadcast in the forward pass was copied to many places, so its
gradient is the sum of its copies' gradients.  The generic diagnoses of
:mod:`helpers.compare` name the ways that sum goes wrong (left out, over the
wrong axes, ``keepdims`` lost or left over, a mean for a sum) and the
mistakes that travel with it (a missing upstream factor, a sign, a transpose,
swapped results); the harness names arrays changed in place and shapes that
do not fit.  What is left here is each exercise's reference, from the engine
(:class:`~helpers.engine.Value`, whose gates sum broadcast gradients with
:func:`~helpers.engine.unbroadcast`), and the misconceptions only this lesson
has, as (value, sentence) data.  Every upstream gradient is random, so a
missing factor cannot pass.
"""
import numpy as np

from helpers.checks.harness import exercise, run
from helpers.compare import Answer, expect, expect_all
from helpers.engine import Value, broadcast_axes, unbroadcast as reference_unbroadcast
from helpers.feedback import case

__all__ = ["check_affine_backward", "check_mean_backward", "check_relu_bias_backward",
           "check_bn_affine_backward", "check_unbroadcast", "UNBROADCAST_CASES", "relu_mistakes", "affine_answers"]

NCHW = ("N", "C", "H", "W")
NOT_BROADCAST = "{} had the output's full shape and was not broadcast: only a broadcast input's gradient is summed"
NO_MEAN = "divided by N: the layer adds up the rows' contributions, it does not average them"


def relu_mistakes(dout, z, *, x=None):
    """Return (dz a mistake gives, sentence) for the backward pass of relu(z) with upstream ``dout``.

    ``x`` is an array the mask must not be taken from (the input before a bias was added).
    """
    at_zero, wrong_way = "at exactly z = 0 the slope is 0 (lesson 1): mask with z > 0", "the mask is backwards"
    return [(None if x is None else dout * (x > 0), "the mask comes from the ReLU's own input z = x + b, not from x"),
            (dout * (dout > 0), "the mask was taken from the sign of the gradient (dout > 0); it comes from the "
                                "forward pass — open where z > 0 — and an open gate passes negative gradients too"),
            (np.maximum(dout, 0) * (z > 0), "the negative upstream gradients were dropped (relu applied to dout)"),
            (dout * (z >= 0), at_zero + ", not z >= 0"), (dout * np.heaviside(z, 0.5), at_zero + ", not ½"),
            (dout * (z < 0), wrong_way), (dout * (z <= 0), wrong_way),
            (dout * np.maximum(z, 0), "that multiplies dout by the activation relu(z), not by the 0/1 mask (z > 0)"),
            (dout * z, "that multiplies dout by z itself, not by the 0/1 mask (z > 0)"),
            (dout * np.sign(z), "sign(z) is −1 where z < 0, but relu is flat there: its slope is 0, not −1"),
            (dout, "the ReLU's mask is missing: where z ≤ 0 the gate was closed and passes no gradient back")]


def affine_answers(x, W, b, dout, got, names=("db", "dW", "dx"), mistakes=None):
    """Return the Answers (db, dW[, dx]) of out = x @ W + b, in backward order; ``got`` maps names to answers.

    ``mistakes`` maps "db" and "dW" to the (value, sentence) mistakes of one use of the layer.
    """
    vx, vW, vb = Value(x), Value(W), Value(b)
    (vx @ vW + vb).backward(seed=dout)
    ones, mistakes = np.ones_like(dout), mistakes or {}
    return [Answer(names[0], got[names[0]], vb.grad, unsummed=dout, upstream=dout, local=ones.sum(axis=0),
                   labels=("N", "M"), mistakes=[(dout[0], "that is the first row's gradient only: add all rows"),
                                                *mistakes.get("db", ())]),
            Answer(names[1], got[names[1]], vW.grad, upstream=dout, local=x.T @ ones,
                   mistakes=[*mistakes.get("dW", ()), (x.T @ dout / len(x), NO_MEAN)]),   # the caller's first
            *(Answer("dx", got["dx"], vx.grad, upstream=dout, local=ones @ W.T,
                     mistakes=[(dout @ W.T / len(x), NO_MEAN)]) for _ in names[2:])]


@exercise("6.1", "backward through an affine layer")
def check_affine_backward(affine_backward):
    """Check (dx, dW, db) for out = x @ W + b with x (2, 4), W (4, 3), b (3,)."""
    rng = np.random.default_rng(61)
    x, W, b, dout = rng.normal(size=(2, 4)), rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(2, 3))
    got = run(affine_backward, dout, (x, W, b), returns=("dx", "dW", "db"), shapes={"dx": x.shape, "dW": W.shape},
              parts={1: ("x", "W", "b")})
    expect_all(*affine_answers(x, W, b, dout, got), returns=("dx", "dW", "db"))
    return "db adds up dout over the batch axis; dW and dx are the matrix-product gradients of lesson 5"


@exercise("6.2", "the backward pass of a mean")
def check_mean_backward(mean_backward):
    """Check dx for out = x.mean(axis=axis), x (2, 3), for axis 0 and axis 1."""
    rng = np.random.default_rng(62)
    x = rng.normal(size=(2, 3))
    for axis in (0, 1):
        n, other, dout = x.shape[axis], x.shape[1 - axis], rng.normal(size=x.shape[1 - axis])
        got = run(mean_backward, dout, x, axis, returns=("dx",), hint=(
            f"With axis={axis}, dout has shape {dout.shape}, and numpy lines shapes up from the right, so it meets "
            "the last axis of x. Put the averaged axis back first — np.expand_dims(dout, axis) — the axis "
            "keepdims=True would have kept"))
        vx = Value(x)
        vx.mean(axis=axis).backward(seed=dout)
        spread = np.expand_dims(dout, axis) * np.ones_like(x)    # dout copied back over the averaged axis
        expect(f"dx (mean over axis {axis})", got["dx"], vx.grad, mistakes=[
            (np.ones_like(x) / n, "the upstream gradient dout is missing: each share is dout / N, not 1 / N"),
            (spread, f"the division is missing: divide by N, the number averaged — each of the {n} gets dout / {n}"),
            (spread / x.size, f"divide by x.shape[axis] = {n}, the number averaged, not by x.size = {x.size}"),
            (spread / other, f"divide by the length of the averaged axis ({n}), not of the other axis ({other})"),
            (spread * n, f"that multiplies by {n}; the mean divides by {n}, and so does its gradient"),
            (dout / n, f"it has dout's shape, not x's {x.shape}: each value averaged gets a share, so spread it back"),
            (np.expand_dims(dout, axis) / n, "the averaged axis is back, with length 1, but the gradient is not yet "
                                             "spread along it: broadcast the result to x's shape"),
        ])
    return "each value gets dout / N, spread back over the averaged axis — right for axis 0 and axis 1"


@exercise("6.3", "backward through relu(x + b)")
def check_relu_bias_backward(relu_bias_backward):
    """Check (dx, db) for out = relu(x + b) with x (4, 3), b (3,)."""
    rng = np.random.default_rng(63)
    x, b, dout = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(4, 3))
    x[1, 2] = -b[2]                                               # z = 0 exactly: the convention matters
    got = run(relu_bias_backward, dout, (x, b), returns=("dx", "db"), parts={1: ("x", "b")},
              hint="Check which arrays you combine: dout, x and z have shape (4, 3), b has shape (3,)")
    vx, vb = Value(x), Value(b)
    (vx + vb).relu().backward(seed=dout)
    z, dz = x + b, vx.grad
    mistakes = relu_mistakes(dout, z, x=x)
    summed = [(None if value is None else value.sum(axis=0), text) for value, text in mistakes[:-1]]
    expect_all(
        Answer("dx", got["dx"], dz, upstream=dout, mistakes=[*mistakes, (dz.sum(axis=0), NOT_BROADCAST.format("x"))]),
        Answer("db", got["db"], vb.grad, unsummed=dz, upstream=dout, local=(z > 0).sum(axis=0), labels=("N", "D"),
               mistakes=[(dout.sum(axis=0), "b is added before the ReLU, so its gradient passes through the mask "
                                            "too: mask dout first, then add up the rows"), *summed]), order=None)
    return "the mask comes from z = x + b, and db adds up the masked gradient over the batch"


BN_SHAPES = [(2, 3, 4, 5), (3, 2, 5, 4)]


@exercise("6.4", "backward through the batch-norm affine step")
def check_bn_affine_backward(bn_affine_backward):
    """Check (dx_hat, dg, db) for out = x_hat * g[:, None, None] + b[:, None, None], on two shapes."""
    for k, shape in enumerate(BN_SHAPES):
        rng = np.random.default_rng(64 + k)
        x_hat, g = rng.normal(size=shape), rng.normal(size=shape[1]) + 1
        b, dout = rng.normal(size=shape[1]), rng.normal(size=shape)
        got = run(bn_affine_backward, dout, (x_hat, g), returns=("dx_hat", "dg", "db"), parts={1: ("x_hat", "g")},
                  hint=f"Shapes line up from the right, so g {g.shape} meets W, the *last* axis of (N, C, H, W), not "
                       f"C: write g[:, None, None] (shape {(len(g), 1, 1)}), as in the forward pass")
        c, copied, g4 = len(g), (0, 2, 3), g[:, None, None]
        vx, vg, vb = Value(x_hat), Value(g), Value(b)
        (vx * vg.reshape(c, 1, 1) + vb.reshape(c, 1, 1)).backward(seed=dout)
        with case(f"for x_hat of shape {shape}: " if k else ""):
            expect_all(
                Answer("db", got["db"], vb.grad, unsummed=dout, labels=NCHW, mistakes=[
                    ((dout * x_hat).sum(axis=copied), "that is dg's formula. b is *added*, so its local gradient "
                                                      "is 1: add up dout itself")]),
                Answer("dg", got["dg"], vg.grad, unsummed=dout * x_hat, labels=NCHW, upstream=dout,
                       local=x_hat.sum(axis=copied), mistakes=[
                    (dout.sum(axis=copied), "that is db. g *multiplies* x_hat, so each copy's gradient is "
                                            "dout * x_hat (multiply swaps) before the sum"),
                    ((dout * g4).sum(axis=copied), "multiply swaps: g's copies are multiplied by x_hat, so their "
                                                   "gradient is dout * x_hat, not dout * g")]),
                Answer("dx_hat", got["dx_hat"], vx.grad, upstream=dout, mistakes=[
                    (dout, "the factor g is missing: x_hat was multiplied by its channel's g, so its gradient is "
                           "dout times that g (multiply swaps)"),
                    (dout * x_hat, "multiply swaps: x_hat's gradient is dout times the *other* factor, g (lined up "
                                   "per channel), not times x_hat"),
                    ((dout * g4).sum(axis=copied), NOT_BROADCAST.format("x_hat"))]), returns=("dx_hat", "dg", "db"))
    return ("db and dg add up over axes 0, 2 and 3 (N, H, W) and keep C; dx_hat = dout · g per channel — "
            f"right for shapes {BN_SHAPES[0]} and {BN_SHAPES[1]}")


# (shape of the gradient, shape of the input that was broadcast, what kind of broadcast)
UNBROADCAST_CASES = [
    ((2, 3), (2, 3), "no broadcast at all"),
    ((4, 3), (3,), "a new leading axis (a bias added to every row)"),
    ((2, 3), (2, 1), "a stretched size-1 axis (one number per row)"),
    ((2, 3), (1, 3), "a stretched size-1 axis in front"),
    ((2, 3, 4), (4,), "two new leading axes"),
    ((2, 3, 4, 5), (3, 1, 1), "new leading axis and stretched size-1 axes (g[:, None, None] in batch norm)"),
    ((2, 3, 4, 5), (1, 3, 1, 1), "three stretched size-1 axes"),
    ((2, 3, 4), (1, 1), "a new leading axis and two stretched ones"),
    ((3, 1, 4), (3, 1, 1), "a size-1 axis that was not stretched, next to one that was"),
    ((2, 1, 4), (2, 1, 4), "no broadcast, with a size-1 axis"),
    ((2, 3), (), "a single number (shape ()) broadcast to everything"),
]


def _unbroadcast_mistakes(grad, shape):
    """Return (what a mistake gives, sentence) for unbroadcast(grad, shape): the lesson's own misconceptions."""
    lead = grad.ndim - len(shape)
    own = tuple(i - lead for i in broadcast_axes(shape, grad.shape) if i >= lead)   # stretched, in shape's numbering
    if not broadcast_axes(shape, grad.shape):
        return [(grad.sum(axis=a), "nothing was broadcast, so nothing may be summed — return grad as it is")
                for a in range(grad.ndim)]
    first = grad[(0,) * lead][tuple(slice(0, 1) if i in own else slice(None) for i in range(len(shape)))]
    numbered = (f"the stretched axes were counted in shape's numbering, axes {str(own)[1:-1]}, but summed on grad, "
                f"where they are axes {str(tuple(a + lead for a in own))[1:-1]}. Sum the new leading axes away first: "
                "after that, the axes are numbered like shape's")
    return [(first, "that is the gradient of one copy only; every copy used the input, so add up all of theirs"),
            (grad.sum() * np.ones(shape) if shape else None,
             "that sums over every axis; sum only over the axes numpy added or stretched"),
            (grad.sum(axis=own, keepdims=True).sum(axis=tuple(range(lead))) if lead and own else None, numbered)]


@exercise("6.5", "unbroadcast")
def check_unbroadcast(unbroadcast):
    """Check unbroadcast(grad, shape) on every kind of numpy broadcast, against the engine's."""
    rng = np.random.default_rng(65)
    for grad_shape, shape, kind in UNBROADCAST_CASES:
        grad = rng.normal(size=grad_shape)
        with case(f"for grad of shape {grad_shape} and shape {shape} — {kind}: "):
            got = run(unbroadcast, grad, shape, returns=("the result",), hint=(
                "Mind the two numberings: once the new leading axes are summed away, the array has len(shape) axes, "
                "and a stretched axis is numbered i, where shape[i] == 1 — not i + leading, its number in grad"))
            expect("the result", got["the result"], reference_unbroadcast(grad, shape), unsummed=grad,
                   mistakes=_unbroadcast_mistakes(grad, shape))
    return (f"all {len(UNBROADCAST_CASES)} shape pairs are right: new leading axes, stretched size-1 axes, "
            "both at once, and no broadcast at all")
