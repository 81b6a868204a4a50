"""Checks for lesson 6 — broadcasting.

A value broadcast in the forward pass was copied to many places, so its
gradient is the sum of its copies' gradients.  These checks name the ways that
sum goes wrong — left out, over the wrong axes (over C as well, for a
per-channel parameter), ``keepdims`` lost or left over, an average instead of
a sum — and the mistakes that travel with it: a mean without its 1/N, a ReLU
mask taken from the wrong array, a missing upstream gradient, a shape that
lines up with the wrong axis, and arrays changed in place.

Every reference comes from the engine (:class:`~helpers.engine.Value`, whose
gates sum broadcast gradients with :func:`~helpers.engine.unbroadcast`), and
every upstream gradient is random, so a missing factor cannot pass.
"""
import itertools
import re

import numpy as np

from helpers.compare import as_numbers, close, expect, in_order
from helpers.engine import Value, broadcast_axes
from helpers.engine import unbroadcast as reference_unbroadcast
from helpers.feedback import NotAttempted, Wrong, call_learner, checker

__all__ = ["check_affine_backward", "check_mean_backward", "check_relu_bias_backward",
           "check_bn_affine_backward", "check_unbroadcast", "UNBROADCAST_CASES"]

NCHW = ("N", "C", "H", "W")


# ---------------------------------------------------------------- shared pieces

def _axes_text(axes, labels=None):
    """Return "axis 1 (C)" or "axes 0, 2 and 3 (N, H, W)"."""
    axes = tuple(axes)
    if len(axes) == 1:
        text = f"axis {axes[0]}"
    else:
        text = "axes " + ", ".join(map(str, axes[:-1])) + f" and {axes[-1]}"
    if labels:
        text += " (" + ", ".join(labels[a] for a in axes) + ")"
    return text


def _call(fn, *args, name, broadcast_hint=None, matmul_hint=None, axis_hint=None):
    """Call the learner's function; explain a crash with the hint for its kind.

    ``broadcast_hint`` explains shapes numpy could not broadcast, ``matmul_hint``
    a matrix product whose inner sizes differ, ``axis_hint`` an axis that does
    not exist.
    """
    try:
        return call_learner(fn, *args, name=name)
    except Wrong as error:
        message = re.sub(r"matmul: Input operand \d has a mismatch in its core dimension \d, "
                         r"with gufunc signature \S+ ", "matmul: the inner sizes do not match ", str(error))
        if broadcast_hint and "could not be broadcast" in message:
            raise Wrong(f"{message}. {broadcast_hint}") from None
        if matmul_hint and ("matmul: " in message or "not aligned" in message):
            raise Wrong(f"{message}. {matmul_hint}") from None
        if axis_hint and "raised AxisError" in message:
            raise Wrong(f"{message}. {axis_hint}") from None
        raise Wrong(message) from None


def _check_untouched(fn_name, names, given, originals):
    """Raise Wrong when the learner's function changed one of the arrays it was given."""
    for what, now, before in zip(names, given, originals):
        if not np.array_equal(now, before):
            raise Wrong(f"{fn_name} changed {what} in place. A backward pass must leave its inputs alone: "
                        "`a = b` gives the same array a second name, it does not copy it, so a later "
                        "`a += ...` or `a[mask] = 0` changes b as well. Make a new array instead "
                        "(`a = b + ...`, `a = b * mask`)")


def _unpack(out, names, fn_name):
    """Return the learner's returned tuple as a dict name -> answer."""
    if out is ...:
        raise NotAttempted
    if not isinstance(out, (tuple, list)) or len(out) != len(names):
        if isinstance(out, (tuple, list)):
            got = f"{len(out)} value{'' if len(out) == 1 else 's'}"
        else:
            got = f"one {type(out).__name__}"
        raise Wrong(f"{fn_name} should return {len(names)} gradients, ({', '.join(names)}); got {got}")
    return dict(zip(names, out))


def _sum_mistake(name, got, shape, unsummed, copied, param, labels=None):
    """Name how ``got`` went wrong as a sum of ``unsummed`` over the ``copied`` axes, or return None.

    ``param`` (of shape ``shape``) was copied along ``copied`` in the forward
    pass; ``unsummed`` is the gradient of all its copies.
    """
    copied = tuple(copied)
    where = _axes_text(copied, labels)
    them = "it" if len(copied) == 1 else "them"
    if got.shape == unsummed.shape and close(got, unsummed):
        return (f"{name} is not summed: it still has the output's shape {unsummed.shape}, but {param} has "
                f"shape {shape}. {param} was copied along {where} in the forward pass, so its gradient is "
                f"the sum of its copies' gradients over {them}")
    for r in range(1, unsummed.ndim + 1):
        for axes in itertools.combinations(range(unsummed.ndim), r):
            for keep in (False, True):
                total = unsummed.sum(axis=axes, keepdims=keep)
                if total.shape != got.shape or not close(total, got):
                    continue
                if set(axes) == set(copied):
                    if got.ndim > len(shape):
                        return (f"{name} sums over the right axes, but keepdims=True left size-1 axes in: "
                                f"shape {got.shape}, while {param} has shape {shape}. Leave keepdims out "
                                f"here (or reshape the result to {shape})")
                    return (f"{name} sums over the right axes, but a size-1 axis was lost (`keepdims`): "
                            f"shape {got.shape}, while {param} has shape {shape}. Sum with keepdims=True")
                extra = [a for a in axes if a not in copied]
                missing = [a for a in copied if a not in axes]
                text = (f"{name} is summed over the wrong axes: you summed over {_axes_text(axes, labels)}, "
                        f"but {param} was copied along {where}.")
                if extra:
                    text += (f" Keep {_axes_text(extra, labels)}: {param} has a separate entry for each "
                             "position along it, and each entry gets only its own copies' gradients.")
                if missing:
                    text += (f" Also sum over {_axes_text(missing, labels)}: {param} was copied along "
                             f"{'it' if len(missing) == 1 else 'them'} too.")
                return text
    return None


def _expect_sum(name, answer, expected, *, unsummed, copied, param, labels=None, mistakes=()):
    """Check the gradient of a broadcast parameter: the sum of ``unsummed`` over the ``copied`` axes."""
    expected = np.asarray(expected, dtype=np.float64)
    got = as_numbers(name, answer, expected.shape)
    if got.shape == expected.shape:
        if close(got, expected):
            return
        for value, explanation in mistakes:
            if value is not None and close(got, np.asarray(value, dtype=np.float64)):
                raise Wrong(f"{name} is wrong: {explanation}")
    message = _sum_mistake(name, got, expected.shape, unsummed, copied, param, labels)
    if message:
        raise Wrong(message)
    expect(name, got, expected, mistakes=mistakes)


def _expect_full(name, answer, expected, *, what, mistakes=()):
    """Check the gradient of an input that had the output's full shape (nothing to sum)."""
    expected = np.asarray(expected, dtype=np.float64)
    got = as_numbers(name, answer, expected.shape)
    if got.ndim < expected.ndim and got.size < expected.size:
        raise Wrong(f"{name} has shape {got.shape}, but {what} has shape {expected.shape}, and so does its "
                    f"gradient. Only an input that was broadcast (copied) has its gradient summed; "
                    f"{what} was not")
    expect(name, got, expected, mistakes=mistakes)


# ---------------------------------------------------------------- 6.1 affine layer

@checker("6.1")
def check_affine_backward(affine_backward):
    """Check (dx, dW, db) for out = x @ W + b with x (2, 4), W (4, 3), b (3,)."""
    rng = np.random.default_rng(61)
    x, W, b = rng.normal(size=(2, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    dout = rng.normal(size=(2, 3))
    given = [dout.copy(), x.copy(), W.copy(), b.copy()]
    out = _call(affine_backward, given[0], tuple(given[1:]), name="affine_backward",
                matmul_hint="In a matrix product the inner sizes must match: (a, b) @ (b, c) gives (a, c). "
                            "Here dout is 2×3, x is 2×4 and W is 4×3; dx must have x's shape and dW W's "
                            "shape, and only one arrangement of each fits (lesson 5)")
    _check_untouched("affine_backward", ("dout", "x", "W", "b"), given, (dout, x, W, b))
    answers = _unpack(out, ("dx", "dW", "db"), "affine_backward")

    vx, vW, vb = Value(x), Value(W), Value(b)
    (vx @ vW + vb).backward(seed=dout)
    ones = np.ones_like(dout)
    in_order([
        ("db", lambda: _expect_sum("db", answers["db"], vb.grad, unsummed=dout, copied=(0,), param="b",
                                   labels=("N", "M"), mistakes=[
            (dout.mean(axis=0), "that is the average over the batch. b was copied to every row, and each copy "
                                "passes back its whole gradient, so add them up: a sum, not a mean"),
            (ones.sum(axis=0), "that counts b's copies but leaves out the upstream gradient: add up dout "
                               "itself, not ones"),
            (dout[0], "that is the first row's gradient only; b was added to every row, so add all the rows"),
        ])),
        ("dW", lambda: expect("dW", answers["dW"], vW.grad, mistakes=[
            (x.T @ ones, "the upstream gradient dout is missing: dW = (x's transpose) @ dout"),
            (x.T @ dout / len(x), "that is divided by N; the layer adds up the rows' contributions, it "
                                  "does not average them"),
        ])),
        ("dx", lambda: expect("dx", answers["dx"], vx.grad, mistakes=[
            (ones @ W.T, "the upstream gradient dout is missing: dx = dout @ (W's transpose)"),
        ])),
    ])
    return "db adds up dout over the batch axis; dW and dx are the matrix-product gradients of lesson 5"


# ---------------------------------------------------------------- 6.2 the mean

MEAN_SHAPE = (2, 3)


@checker("6.2")
def check_mean_backward(mean_backward):
    """Check dx for out = x.mean(axis=axis), x (2, 3), for axis 0 and axis 1."""
    rng = np.random.default_rng(62)
    x = rng.normal(size=MEAN_SHAPE)
    for axis in (0, 1):
        n, other = x.shape[axis], x.shape[1 - axis]
        dout = rng.normal(size=x.shape[1 - axis])
        given = [dout.copy(), x.copy()]
        hint = (f"With axis={axis}, dout has shape {dout.shape}, and numpy lines shapes up from the right, so "
                f"it meets the last axis of x. Put the averaged axis back first — np.expand_dims(dout, axis) "
                f"— which is the axis keepdims=True would have kept")
        got = _call(mean_backward, given[0], given[1], axis, name="mean_backward", broadcast_hint=hint)
        _check_untouched("mean_backward", ("dout", "x"), given, (dout, x))
        label = f"dx (mean over axis {axis})"
        answer = as_numbers(label, got, x.shape)
        if answer.shape == dout.shape and answer.shape != x.shape:
            raise Wrong(f"{label} has dout's shape {dout.shape}, but x has shape {x.shape} and so does its "
                        f"gradient: every one of the {n} values averaged into an output gets a share of that "
                        "output's gradient, so spread it back over the averaged axis")
        if answer.shape == np.expand_dims(dout, axis).shape:
            raise Wrong(f"{label} has shape {answer.shape}: the averaged axis is back, with length 1, but the "
                        f"gradient is not yet spread along it. dx has x's shape {x.shape}: each of the {n} "
                        "values averaged gets its own share, so broadcast the result to x's shape")
        vx = Value(x)
        vx.mean(axis=axis).backward(seed=dout)
        spread = np.expand_dims(dout, axis) * np.ones_like(x)    # dout copied back over the averaged axis
        expect(label, answer, vx.grad, mistakes=[
            (spread, f"the division is missing: the mean over axis {axis} is the sum times 1/{n}, so each "
                     f"value's share of the gradient is dout / {n} (divide by N, the number averaged)"),
            (spread / x.size, f"divide by the number of values averaged into each output (x.shape[axis] = {n}), "
                              f"not by x.size = {x.size}"),
            (spread / other, f"divide by the length of the averaged axis (axis {axis}, length {n}), not of the "
                             f"other axis (length {other})"),
            (spread * n, f"that multiplies by {n}; the mean divides by {n}, and so does its gradient"),
            (np.ones_like(x) / n, "the upstream gradient dout is missing: each share is dout / N, not 1 / N"),
        ])
    return "each value gets dout / N, spread back over the averaged axis — right for axis 0 and axis 1"


# ---------------------------------------------------------------- 6.3 relu(x + b)

def relu_bias_case():
    """Return (x, b, dout) for exercise 6.3: x (4, 3), b (3,), with z = x + b exactly 0 once."""
    rng = np.random.default_rng(63)
    x, b, dout = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(4, 3))
    x[1, 2] = -b[2]                                               # z = 0 exactly: the convention matters
    return x, b, dout


@checker("6.3")
def check_relu_bias_backward(relu_bias_backward):
    """Check (dx, db) for out = relu(x + b) with x (4, 3), b (3,)."""
    x, b, dout = relu_bias_case()
    given = [dout.copy(), x.copy(), b.copy()]
    out = _call(relu_bias_backward, given[0], (given[1], given[2]), name="relu_bias_backward",
                broadcast_hint="Check which arrays you combine: dout, x and z have shape (4, 3), b has shape (3,)")
    _check_untouched("relu_bias_backward", ("dout", "x (in the cache)", "b (in the cache)"), given, (dout, x, b))
    answers = _unpack(out, ("dx", "db"), "relu_bias_backward")

    vx, vb = Value(x), Value(b)
    (vx + vb).relu().backward(seed=dout)
    z = x + b
    dz = dout * (z > 0)
    from_x = "the mask must come from the ReLU's own input z = x + b (where the gate was open), not from x alone"
    from_grad = ("the mask comes from the forward pass — where the ReLU's input z was positive — not from the "
                 "sign of the gradient: an open gate passes negative gradients too")
    at_zero = "at exactly z = 0 this course uses slope 0 (lesson 1): the mask is z > 0, not z >= 0"
    in_order([
        ("dx", lambda: _expect_full("dx", answers["dx"], vx.grad, what="x", mistakes=[
            (dout * (x > 0), from_x),
            (dout * (dout > 0), from_grad),
            (dout * (z >= 0), at_zero),
            ((z > 0).astype(float), "the upstream gradient is missing: multiply the mask by dout"),
            (dout, "the ReLU's mask is missing: where z ≤ 0 the gate was closed and passes no gradient back"),
            (dout * np.maximum(z, 0), "that multiplies dout by relu(z) itself; the ReLU's slope is 1 where "
                                      "z > 0 and 0 elsewhere, so multiply by that 0/1 mask"),
        ])),
        ("db", lambda: _expect_sum("db", answers["db"], vb.grad, unsummed=dz, copied=(0,), param="b",
                                   labels=("N", "D"), mistakes=[
            (dout.sum(axis=0), "b is added before the ReLU, so its gradient passes through the mask too: "
                               "mask dout first, then add up the rows"),
            ((dout * (x > 0)).sum(axis=0), from_x),
            ((dout * (dout > 0)).sum(axis=0), from_grad),
            ((dout * (z >= 0)).sum(axis=0), at_zero),
            (dz.mean(axis=0), "that is an average over the batch; b was copied to every row and each copy "
                              "passes back its whole gradient: a sum, not a mean"),
            ((z > 0).sum(axis=0), "the upstream gradient is missing: add up the masked dout, not the mask"),
        ])),
    ], order=None)
    return "the mask comes from z = x + b, and db adds up the masked gradient over the batch"


# ---------------------------------------------------------------- 6.4 batch-norm affine step

BN_SHAPES = [(2, 3, 4, 5), (3, 2, 5, 4)]


def bn_affine_case(shape, seed):
    """Return (x_hat, g, b, dout) for an input of shape (N, C, H, W)."""
    rng = np.random.default_rng(seed)
    channels = shape[1]
    return (rng.normal(size=shape), rng.normal(size=channels) + 1.0, rng.normal(size=channels),
            rng.normal(size=shape))


@checker("6.4")
def check_bn_affine_backward(bn_affine_backward):
    """Check (dx_hat, dg, db) for out = x_hat * g[:, None, None] + b[:, None, None], on two shapes."""
    for k, shape in enumerate(BN_SHAPES):
        x_hat, g, b, dout = bn_affine_case(shape, 64 + k)
        given = [dout.copy(), x_hat.copy(), g.copy()]
        hint = (f"g has shape {g.shape}, and numpy lines shapes up from the right, so it meets the *last* "
                f"axis of an (N, C, H, W) array (W) instead of C. Write g[:, None, None] (shape "
                f"{(len(g), 1, 1)}), as in the forward pass")
        out = _call(bn_affine_backward, given[0], (given[1], given[2]), name="bn_affine_backward",
                    broadcast_hint=hint)
        _check_untouched("bn_affine_backward", ("dout", "x_hat (in the cache)", "g (in the cache)"),
                         given, (dout, x_hat, g))
        answers = _unpack(out, ("dx_hat", "dg", "db"), "bn_affine_backward")

        c = len(g)
        vx, vg, vb = Value(x_hat), Value(g), Value(b)
        (vx * vg.reshape(c, 1, 1) + vb.reshape(c, 1, 1)).backward(seed=dout)
        g4 = g[:, None, None]
        copied = (0, 2, 3)
        where = f"for x_hat of shape {shape}: " if k else ""
        try:
            in_order([
                ("db", lambda: _expect_sum("db", answers["db"], vb.grad, unsummed=dout, copied=copied,
                                           param="b", labels=NCHW, mistakes=[
                    (dout.mean(axis=copied), "that is an average; each of b's copies passes back its whole "
                                             "gradient, so add them: a sum, not a mean"),
                    ((dout * x_hat).sum(axis=copied), "that is dg's formula. b is *added*, so its local "
                                                      "gradient is 1: add up dout itself"),
                ])),
                ("dg", lambda: _expect_sum("dg", answers["dg"], vg.grad, unsummed=dout * x_hat, copied=copied,
                                           param="g", labels=NCHW, mistakes=[
                    (dout.sum(axis=copied), "that is db. g *multiplies* x_hat, so each copy's gradient is "
                                            "dout * x_hat (multiply swaps) before the sum"),
                    (x_hat.sum(axis=copied), "the upstream gradient is missing: add up dout * x_hat, "
                                             "not x_hat"),
                    ((dout * x_hat).mean(axis=copied), "that is an average; each of g's copies passes back its "
                                                       "whole gradient, so add them: a sum, not a mean"),
                    ((dout * g4).sum(axis=copied), "multiply swaps: g's copies are multiplied by x_hat, so "
                                                   "their gradient is dout * x_hat, not dout * g"),
                ])),
                ("dx_hat", lambda: _expect_full("dx_hat", answers["dx_hat"], vx.grad, what="x_hat", mistakes=[
                    (dout, "the factor g is missing: x_hat was multiplied by its channel's g, so its gradient "
                           "is dout times that g (multiply swaps)"),
                    (dout * x_hat, "multiply swaps: x_hat's gradient is dout times the *other* factor, g "
                                   "(lined up per channel), not times x_hat"),
                    (np.broadcast_to(g4, shape), "the upstream gradient is missing: multiply g (per channel) "
                                                 "by dout"),
                ])),
            ])
        except Wrong as mistake:
            raise Wrong(where + str(mistake)) from None
    return ("db and dg add up over axes 0, 2 and 3 (N, H, W) and keep C; dx_hat = dout · g per channel — "
            f"right for shapes {BN_SHAPES[0]} and {BN_SHAPES[1]}")


# ---------------------------------------------------------------- 6.5 unbroadcast

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


def _unbroadcast_by(grad, shape, reduce, *, keep_leading=False, keep_stretched=True):
    """Undo a broadcast with ``reduce`` (np.sum, np.mean, …), optionally the wrong way with keepdims."""
    leading = grad.ndim - len(shape)
    stretched = tuple(i for i in broadcast_axes(shape, grad.shape) if i >= leading)
    out = grad
    if stretched:
        out = reduce(out, axis=stretched, keepdims=keep_stretched)
    if leading:
        out = reduce(out, axis=tuple(range(leading)), keepdims=keep_leading)
    return np.asarray(out)


def _unbroadcast_shape_mistake(label, got, grad, shape, kind):
    """Say why ``got`` (the learner's unbroadcast(grad, shape)) does not have ``shape``."""
    leading = grad.ndim - len(shape)
    stretched = tuple(i for i in broadcast_axes(shape, grad.shape) if i >= leading)
    new_axes = "the new leading axis" if leading == 1 else f"the {leading} new leading axes"

    def same(value):
        value = np.asarray(value)
        return value.shape == got.shape and close(got, value)

    start = f"{label} — {kind} — "
    todo = []
    if leading:
        todo.append(f"sum away {new_axes} numpy added on the left")
    if stretched:
        todo.append(f"sum the stretched size-1 {_axes_text(stretched)} with keepdims=True")
    todo = " and ".join(todo)
    if not todo:
        return start + (f"shape {got.shape} instead of {shape}: when grad already has the input's shape, "
                        "nothing was broadcast, so nothing may be summed — return grad as it is")
    if same(grad):
        return start + (f"returned grad unchanged, with the broadcast shape {grad.shape}: nothing was summed. "
                        f"To undo this broadcast, {todo}")
    if leading and stretched and same(grad.sum(axis=tuple(range(leading)))):
        return start + (f"{new_axes} {'is' if leading == 1 else 'are'} summed away, but not the stretched "
                        f"size-1 {_axes_text(stretched)} of grad: sum over "
                        f"{'it' if len(stretched) == 1 else 'them'} with keepdims=True, so "
                        f"{'it stays an axis' if len(stretched) == 1 else 'each stays an axis'} of length 1")
    if leading and stretched and same(grad.sum(axis=stretched, keepdims=True)):
        return start + (f"the stretched size-1 axes are summed, but not {new_axes}: numpy adds new axes "
                        f"on the left, so the first grad.ndim - len(shape) = {leading} "
                        f"{'axis has' if leading == 1 else 'axes have'} to be summed away too")
    if leading and stretched:
        own = tuple(i - leading for i in stretched)              # the same axes, in shape's numbering
        if same(grad.sum(axis=own, keepdims=True).sum(axis=tuple(range(leading)))):
            return start + (f"the stretched axes were counted in shape's numbering, {_axes_text(own)}, but "
                            f"summed on grad, which has {leading} more "
                            f"{'axis' if leading == 1 else 'axes'} on the left, so there they are "
                            f"{_axes_text(stretched)}. Sum the new leading axes away first: after that, "
                            "the axes are numbered like shape's")
    if leading and same(_unbroadcast_by(grad, shape, np.sum, keep_leading=True)):
        return start + (f"the right sums, but {new_axes} {'is' if leading == 1 else 'are'} kept as "
                        f"length 1: shape {got.shape} instead of {shape}. Numpy added "
                        f"{'that axis' if leading == 1 else 'those axes'} on the left, so sum "
                        f"{'it' if leading == 1 else 'them'} away without keepdims")
    if stretched and same(_unbroadcast_by(grad, shape, np.sum, keep_stretched=False)):
        return start + (f"the right sums, but the size-1 axes were lost (`keepdims`): shape {got.shape} "
                        f"instead of {shape}. Sum the stretched axes with keepdims=True")
    if got.size == int(np.prod(shape)) and close(got.reshape(shape), reference_unbroadcast(grad, shape)):
        return start + f"the right numbers in the wrong shape: {got.shape} instead of {shape}"
    if leading and not stretched:
        return start + (f"shape {got.shape} instead of {shape}: numpy added {new_axes} on the left, "
                        f"and only {'it has' if leading == 1 else 'those have'} to be summed away")
    if stretched and not leading:
        return start + (f"shape {got.shape} instead of {shape}: only the stretched size-1 "
                        f"{_axes_text(stretched)} {'has' if len(stretched) == 1 else 'have'} to be summed, "
                        "keeping each as an axis of length 1")
    return start + f"shape {got.shape} instead of {shape}: {todo}"


@checker("6.5")
def check_unbroadcast(unbroadcast):
    """Check unbroadcast(grad, shape) on every kind of numpy broadcast, against the engine's."""
    rng = np.random.default_rng(65)
    for grad_shape, shape, kind in UNBROADCAST_CASES:
        grad = rng.normal(size=grad_shape)
        given = grad.copy()
        label = f"unbroadcast(grad of shape {grad_shape}, {shape})"
        out = _call(unbroadcast, given, shape, name="unbroadcast",
                    axis_hint=(f"In this case grad has shape {grad_shape} and shape is {shape}. Mind the two "
                               "numberings: once the new leading axes are summed away, the array has "
                               "len(shape) axes, and a stretched axis is numbered i, where shape[i] == 1 — "
                               "not i + leading, its number in grad"))
        _check_untouched("unbroadcast", ("grad",), (given,), (grad,))
        got = as_numbers(label, out, shape)
        reference = reference_unbroadcast(grad, shape)
        if got.shape != reference.shape:
            raise Wrong(_unbroadcast_shape_mistake(label, got, grad, shape, kind))
        leading = grad.ndim - len(shape)
        one_copy = grad[(0,) * leading] if leading else grad
        stretched = tuple(i - leading for i in broadcast_axes(shape, grad_shape) if i >= leading)
        one_copy = one_copy[tuple(slice(0, 1) if i in stretched else slice(None) for i in range(one_copy.ndim))]
        expect(label, got, reference, what=f"{label} — {kind} — is wrong", mistakes=[
            (_unbroadcast_by(grad, shape, np.mean) if shape != grad_shape else None,
             f"{kind}: that averages the copies' gradients; each copy passes back its whole gradient, so "
             "add them up (sum, not mean)"),
            (one_copy if shape != grad_shape else None,
             f"{kind}: that is the gradient of one copy only; the input was used by every copy, so add up "
             "all of their gradients"),
            (grad.sum() * np.ones(shape) if shape != grad_shape and shape != () else None,
             f"{kind}: that sums over every axis; sum only over the axes numpy added or stretched"),
        ])
    return (f"all {len(UNBROADCAST_CASES)} shape pairs are right: new leading axes, stretched size-1 axes, "
            "both at once, and no broadcast at all")
