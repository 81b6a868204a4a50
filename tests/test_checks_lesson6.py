"""Lesson 6 checkers: right answers pass, placeholders are 'not attempted', classic mistakes are named."""
import numpy as np
import pytest

from helpers.checks.lesson6 import (UNBROADCAST_CASES, check_affine_backward, check_bn_affine_backward,
                                    check_mean_backward, check_relu_bias_backward, check_unbroadcast)
from helpers.engine import unbroadcast as engine_unbroadcast
from tests.conftest import assert_correct, assert_not_attempted, assert_wrong


# ---------------------------------------------------------------- 6.1 affine layer
def affine(dx=None, dW=None, db=None):
    """Return an affine_backward whose gradients can each be replaced by a wrong formula."""
    def affine_backward(dout, cache):
        x, W, b = cache
        return ((dx or (lambda: dout @ W.T))(),
                (dW or (lambda: x.T @ dout))(),
                (db or (lambda: dout.sum(axis=0)))())
    return affine_backward


def test_6_1_right():
    assert_correct(check_affine_backward, affine())


def test_6_1_right_with_np_sum_and_tuple_order():
    assert_correct(check_affine_backward, lambda dout, c: (np.dot(dout, c[1].T), np.dot(c[0].T, dout),
                                                           np.sum(dout, axis=0)))


def test_6_1_placeholder():
    assert_not_attempted(check_affine_backward, lambda dout, cache: (..., ..., ...))
    assert_not_attempted(check_affine_backward, ...)


def test_6_1_partly_done():
    result = check_affine_backward.evaluate(lambda dout, c: (..., ..., dout.sum(axis=0)))
    assert result.outcome == "not attempted" and "still to fill in: dW, dx" in result.message


def keepdims_bias(dout, cache):
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0, keepdims=True)


def dx_untransposed(dout, cache):
    x, W, b = cache
    return dout @ W, x.T @ dout, dout.sum(axis=0)


def dW_untransposed(dout, cache):
    x, W, b = cache
    return dout @ W.T, x @ dout, dout.sum(axis=0)


def dW_with_dot(dout, cache):
    x, W, b = cache
    return dout @ W.T, np.dot(x, dout), dout.sum(axis=0)


def mutating(dout, cache):
    x, W, b = cache
    dout *= 1.0
    x += 0.0                                                     # harmless
    W[0, 0] = 0.0                                                # not harmless
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


@pytest.mark.parametrize("wrong, says", [
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout),
     ["db", "still has the broadcast shape (2, 3)", "axis 0 (N)"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout.sum(axis=1)), ["wrong axes", "axis 1 (M)"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout.sum()), ["wrong axes", "axes 0, 1 (N, M)", "keep axis 1 (M)"]),
    (keepdims_bias, ["extra size-1 axis", "without keepdims=True"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout.mean(axis=0)), "a mean where a sum belongs"),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, np.ones_like(dout).sum(axis=0)), ["db", "upstream factor"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout[0]), "first row's gradient only"),
    (lambda dout, c: (dout @ c[1].T, dout.T @ c[0], dout.sum(axis=0)), ["dW", "transposed"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ np.ones_like(dout), dout.sum(axis=0)), ["dW", "upstream factor"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout / 2, dout.sum(axis=0)), ["dW", "divided by N: the layer adds up"]),
    (lambda dout, c: (np.ones_like(dout) @ c[1].T, c[0].T @ dout, dout.sum(axis=0)), ["dx", "upstream factor"]),
    (lambda dout, c: (c[1] @ dout.T, c[0].T @ dout, dout.sum(axis=0)), ["dx", "transposed"]),
    (mutating, ["changed W (cache[1]) in place", "set to 0"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout), "it should return 3: (dx, dW, db)"),
    (lambda dout, c: dout.sum(axis=0), "should return 3 values, (dx, dW, db)"),
    (lambda dout, c: (c[0].T @ dout, dout @ c[1].T, dout.sum(axis=0)),
     "dW and dx are swapped: return them in the order (dx, dW, db)"),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, None), ["db", "None"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, "db"), "not a string"),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, [1.0, np.nan, 2.0]), "nan"),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, [1.0, 2.0]), "shape"),
    (lambda dout: dout, "TypeError"),
    ("affine", "should be a function"),
    (dx_untransposed, ["matrix product do not fit", "dout is 2×3, W is 4×3", "(a, b) @ (b, c) gives (a, c)",
                       "the result must be dx 2×4, dW 4×3"]),
    (dW_untransposed, ["matrix product do not fit", "x is 2×4", "dW 4×3"]),
    (dW_with_dot, ["matrix product do not fit", "(`return dout @ W.T, np.dot(x, dout)"]),
])
def test_6_1_wrong(wrong, says):
    assert_wrong(check_affine_backward, wrong, says=says)


# ---------------------------------------------------------------- 6.2 the mean
def mean_backward(dout, x, axis):
    return np.ones_like(x) * np.expand_dims(dout, axis) / x.shape[axis]


def test_6_2_right():
    assert_correct(check_mean_backward, mean_backward)
    assert_correct(check_mean_backward,
                   lambda dout, x, axis: np.broadcast_to(np.expand_dims(dout, axis) / x.shape[axis], x.shape))


def test_6_2_placeholder():
    assert_not_attempted(check_mean_backward, lambda dout, x, axis: ...)


def divide_in_place(dout, x, axis):
    dout /= x.shape[axis]
    return np.ones_like(x) * np.expand_dims(dout, axis)


@pytest.mark.parametrize("wrong, says", [
    (lambda dout, x, axis: np.ones_like(x) * np.expand_dims(dout, axis), ["division is missing", "divide by N"]),
    (lambda dout, x, axis: np.ones_like(x) * np.expand_dims(dout, axis) / x.size, "not by x.size = 6"),
    (lambda dout, x, axis: np.ones_like(x) * np.expand_dims(dout, axis) / x.shape[1 - axis],
     "not of the other axis"),
    (lambda dout, x, axis: np.ones_like(x) * np.expand_dims(dout, axis) * x.shape[axis], "divides by 2"),
    (lambda dout, x, axis: np.ones_like(x) / x.shape[axis], "upstream gradient dout is missing"),
    (lambda dout, x, axis: dout / x.shape[axis], ["dout's shape", "spread it back"]),
    (lambda dout, x, axis: np.ones_like(x) * dout / x.shape[axis],
     ["shapes do not fit", "dout is (2,), x is 2×3", "With axis=1", "np.expand_dims"]),
    (divide_in_place, "changed dout in place"),
    (lambda dout, x, axis: -mean_backward(dout, x, axis), "wrong sign"),
    (lambda dout, x, axis: None, "forget the `return`"),
    (lambda dout, x, axis: np.full(x.shape, np.inf), "inf"),
    (lambda dout, x, axis: mean_backward(dout, x, axis).T, "transposed"),
    (lambda dout, x, axis: mean_backward(dout, x, axis) > 0, "True/False"),
    (lambda dout, x, axis: np.expand_dims(dout, axis) / x.shape[axis],
     ["the averaged axis is back, with length 1", "not yet spread", "broadcast the result to x's shape"]),
])
def test_6_2_wrong(wrong, says):
    assert_wrong(check_mean_backward, wrong, says=says)


# ---------------------------------------------------------------- 6.3 relu(x + b)
def relu_bias(dx=None, db=None):
    def relu_bias_backward(dout, cache):
        x, b = cache
        z = x + b
        dz = dout * (z > 0)
        return (dx(dout, x, b, z) if dx else dz,
                db(dout, x, b, z) if db else dz.sum(axis=0))
    return relu_bias_backward


def test_6_3_right():
    assert_correct(check_relu_bias_backward, relu_bias())


def test_6_3_right_with_mask_from_output():
    def from_output(dout, cache):
        x, b = cache
        out = np.maximum(x + b, 0)
        dz = np.where(out > 0, dout, 0.0)
        return dz, dz.sum(axis=0)
    assert_correct(check_relu_bias_backward, from_output)


def test_6_3_placeholder():
    assert_not_attempted(check_relu_bias_backward, lambda dout, cache: (..., ...))


def z_in_place(dout, cache):
    x, b = cache
    z = x                                                        # not a copy
    z += b
    dz = dout * (z > 0)
    return dz, dz.sum(axis=0)


def dz_aliases_dout(dout, cache):
    x, b = cache
    dz = dout                                                    # not a copy
    dz[x + b <= 0] = 0.0
    return dz, dz.sum(axis=0)


@pytest.mark.parametrize("wrong, says", [
    (relu_bias(dx=lambda dout, x, b, z: dout * (x > 0)), ["dx", "ReLU's own input z = x + b"]),
    (relu_bias(dx=lambda dout, x, b, z: dout * (dout > 0)),
     ["dx", "sign of the gradient", "passes negative gradients too"]),
    (relu_bias(dx=lambda dout, x, b, z: dout * (z >= 0)), "z > 0, not z >= 0"),
    (relu_bias(dx=lambda dout, x, b, z: (z > 0).astype(float)), ["dx", "missing the upstream factor"]),
    (relu_bias(dx=lambda dout, x, b, z: z > 0), ["dx is True/False", "upstream gradient times that mask"]),
    (relu_bias(dx=lambda dout, x, b, z: dout), "mask is missing"),
    (relu_bias(dx=lambda dout, x, b, z: dout * np.maximum(z, 0)), "activation relu(z)"),
    (relu_bias(dx=lambda dout, x, b, z: (dout * (z > 0)).sum(axis=0)),
     ["dx is wrong", "only a broadcast input's gradient is summed", "x had the output's full shape"]),
    (relu_bias(db=lambda dout, x, b, z: dout.sum(axis=0)), ["db", "mask dout first"]),
    (relu_bias(db=lambda dout, x, b, z: dout * (z > 0)), ["db", "still has the broadcast shape", "axis 0 (N)"]),
    (relu_bias(db=lambda dout, x, b, z: (dout * (z > 0)).sum(axis=1)), ["db", "wrong axes", "axis 1 (D)"]),
    (relu_bias(db=lambda dout, x, b, z: (dout * (z > 0)).sum(axis=0, keepdims=True)), "without keepdims=True"),
    (relu_bias(db=lambda dout, x, b, z: (dout * (z > 0)).mean(axis=0)), "a mean where a sum belongs"),
    (relu_bias(db=lambda dout, x, b, z: (z > 0).sum(axis=0)), ["db", "missing the upstream factor"]),
    (z_in_place, ["changed x (cache[0]) in place", "does not copy"]),
    (dz_aliases_dout, "changed dout in place"),
    (lambda dout, cache: (dout * (cache[0] + cache[1] > 0), None), ["db", "None"]),
    (lambda dout, cache: (dout * (cache[0] > cache[1]),), "returned 1 value; it should return 2: (dx, db)"),
    (lambda dout, cache: (dout * (dout + cache[1][:2] > 0), 0), ["raised ValueError", "could not be broadcast"]),
])
def test_6_3_wrong(wrong, says):
    assert_wrong(check_relu_bias_backward, wrong, says=says)


# ---------------------------------------------------------------- 6.4 batch-norm affine step
def bn(dx_hat=None, dg=None, db=None):
    def bn_affine_backward(dout, cache):
        x_hat, g = cache
        return (dx_hat(dout, x_hat, g) if dx_hat else dout * g[:, None, None],
                dg(dout, x_hat, g) if dg else (dout * x_hat).sum(axis=(0, 2, 3)),
                db(dout, x_hat, g) if db else dout.sum(axis=(0, 2, 3)))
    return bn_affine_backward


def test_6_4_right():
    assert_correct(check_bn_affine_backward, bn())
    assert_correct(check_bn_affine_backward, bn(dx_hat=lambda dout, x_hat, g: dout * g.reshape(1, -1, 1, 1)))


def test_6_4_placeholder():
    assert_not_attempted(check_bn_affine_backward, lambda dout, cache: (..., ..., ...))


def hard_coded_channels(dout, cache):
    x_hat, g = cache
    return dout * g.reshape(3, 1, 1), (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))


def scale_in_place(dout, cache):
    x_hat, g = cache
    db = dout.sum(axis=(0, 2, 3))
    x_hat *= dout                                                # reuses x_hat's memory
    return dout * g[:, None, None], x_hat.sum(axis=(0, 2, 3)), db


@pytest.mark.parametrize("wrong, says", [
    # db
    (bn(db=lambda dout, x_hat, g: dout.sum(axis=(0, 1, 2, 3))),
     ["db", "wrong axes", "axes 0, 1, 2, 3 (N, C, H, W)", "keep axis 1 (C)"]),
    (bn(db=lambda dout, x_hat, g: dout.sum()), ["db", "keep axis 1 (C)"]),
    (bn(db=lambda dout, x_hat, g: dout), ["db", "still has the broadcast shape", "axes 0, 2, 3 (N, H, W)"]),
    (bn(db=lambda dout, x_hat, g: dout.sum(axis=(2, 3))), ["db", "also sum over axis 0 (N)"]),
    (bn(db=lambda dout, x_hat, g: dout.sum(axis=0)), ["db", "also sum over axes 2, 3 (H, W)", "along them too"]),
    (bn(db=lambda dout, x_hat, g: dout.sum(axis=(0, 2, 3), keepdims=True)), ["db", "without keepdims=True"]),
    (bn(db=lambda dout, x_hat, g: dout.mean(axis=(0, 2, 3))), ["db", "a mean where a sum belongs"]),
    (bn(db=lambda dout, x_hat, g: (dout * x_hat).sum(axis=(0, 2, 3))), ["db", "dg's formula"]),
    # dg
    (bn(dg=lambda dout, x_hat, g: (dout * x_hat).sum(axis=(0, 1, 2, 3))), ["dg", "keep axis 1 (C)"]),
    (bn(dg=lambda dout, x_hat, g: dout * x_hat), ["dg", "still has the broadcast shape"]),
    (bn(dg=lambda dout, x_hat, g: (dout * x_hat).sum(axis=(1, 2, 3))),
     ["dg", "keep axis 1 (C)", "also sum over axis 0 (N)"]),
    (bn(dg=lambda dout, x_hat, g: dout.sum(axis=(0, 2, 3))), ["dg", "that is db"]),
    (bn(dg=lambda dout, x_hat, g: x_hat.sum(axis=(0, 2, 3))), ["dg", "missing the upstream factor"]),
    (bn(dg=lambda dout, x_hat, g: (dout * x_hat).mean(axis=(0, 2, 3))), ["dg", "a mean where a sum belongs"]),
    (bn(dg=lambda dout, x_hat, g: (dout * g[:, None, None]).sum(axis=(0, 2, 3))), ["dg", "multiply swaps"]),
    # dx_hat
    (bn(dx_hat=lambda dout, x_hat, g: dout), ["dx_hat", "factor g is missing"]),
    (bn(dx_hat=lambda dout, x_hat, g: dout * x_hat), ["dx_hat", "the *other* factor"]),
    (bn(dx_hat=lambda dout, x_hat, g: np.broadcast_to(g[:, None, None], dout.shape)),
     ["dx_hat", "missing the upstream factor"]),
    (bn(dx_hat=lambda dout, x_hat, g: dout * g), ["shapes do not fit", "g is (3,)", "g[:, None, None]"]),
    (bn(dx_hat=lambda dout, x_hat, g: (dout * g[:, None, None]).sum(axis=(0, 2, 3))),
     ["dx_hat", "only a broadcast input's gradient is summed"]),
    (bn(dx_hat=lambda dout, x_hat, g: dout * g[:, None, None] * 2), ["dx_hat", "constant factor"]),
    # shapes, mutation, bad input
    (hard_coded_channels, ["shapes do not fit", "(`return dout * g.reshape(3, 1, 1)", "g is (2,)",
                          "g[:, None, None] (shape (2, 1, 1))"]),
    (scale_in_place, "changed x_hat (cache[0]) in place"),
    (bn(dg=lambda dout, x_hat, g: "dg"), ["dg", "string"]),
    (bn(dg=lambda dout, x_hat, g: [0.0] * len(g)), ["dg", "zero everywhere"]),
    (bn(dg=lambda dout, x_hat, g: np.full(len(g), np.nan)), ["dg", "nan"]),
    (lambda dout, cache: [dout], "returned 1 value; it should return 3"),
    (bn(dx_hat=lambda dout, x_hat, g: (dout * x_hat).sum(axis=(0, 2, 3)),
        dg=lambda dout, x_hat, g: dout * g[:, None, None]),
     "dg and dx_hat are swapped: return them in the order (dx_hat, dg, db)"),
])
def test_6_4_wrong(wrong, says):
    assert_wrong(check_bn_affine_backward, wrong, says=says)


def test_6_4_second_shape_is_named():
    # right for (2, 3, 4, 5) only: the reshape hard-codes N = 2, C = 3
    hard_coded = bn(db=lambda dout, x_hat, g: dout.reshape(2, 3, 20).sum(axis=(0, 2)))
    assert_wrong(check_bn_affine_backward, hard_coded, says=["for x_hat of shape (3, 2, 5, 4)", "db"])


# ---------------------------------------------------------------- 6.5 unbroadcast
def unbroadcast(grad, shape):
    """A learner's right answer: sum the new leading axes, then the stretched size-1 axes."""
    leading = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(leading)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True)


def test_6_5_right():
    assert_correct(check_unbroadcast, unbroadcast)
    assert_correct(check_unbroadcast, engine_unbroadcast)


def test_6_5_right_with_a_loop():
    def loop(grad, shape):
        while grad.ndim > len(shape):
            grad = grad.sum(axis=0)
        for axis, n in enumerate(shape):
            if n == 1:
                grad = grad.sum(axis=axis, keepdims=True)
        return grad
    assert_correct(check_unbroadcast, loop)


def test_6_5_cases_cover_every_kind():
    kinds = set()
    for grad_shape, shape, _ in UNBROADCAST_CASES:
        leading = len(grad_shape) - len(shape)
        stretched = any(n == 1 and m != 1 for n, m in zip(shape, grad_shape[leading:]))
        kinds.add((leading > 0, stretched))
        np.broadcast_to(np.zeros(shape), grad_shape)             # every pair is a real numpy broadcast
    assert kinds == {(False, False), (True, False), (False, True), (True, True)}


def test_6_5_placeholder():
    assert_not_attempted(check_unbroadcast, lambda grad, shape: ...)


def leading_only(grad, shape):
    return grad.sum(axis=tuple(range(grad.ndim - len(shape))))


def stretched_only(grad, shape):
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def no_keepdims(grad, shape):
    leading = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(leading)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched)


def keeps_leading(grad, shape):
    leading = grad.ndim - len(shape)
    stretched = tuple(leading + i for i, n in enumerate(shape) if n == 1 and grad.shape[leading + i] != 1)
    return grad.sum(axis=tuple(range(leading)) + stretched, keepdims=True)


def with_mean(grad, shape):
    leading = grad.ndim - len(shape)
    grad = grad.mean(axis=tuple(range(leading)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.mean(axis=stretched, keepdims=True)


def first_copy(grad, shape):
    leading = grad.ndim - len(shape)
    grad = grad[(0,) * leading]
    return grad[tuple(slice(0, 1) if n == 1 else slice(None) for n in shape)]


def in_place(grad, shape):
    grad *= 1.5
    return engine_unbroadcast(grad, shape) / 1.5


def everything(grad, shape):
    return grad.sum() * np.ones(shape) if grad.shape != tuple(shape) else grad


def one_or_the_other(grad, shape, *, prefer_leading):
    """Right when a broadcast only adds axes or only stretches them; wrong when it does both."""
    leading = grad.ndim - len(shape)
    stretched = tuple(leading + i for i, n in enumerate(shape) if n == 1 and grad.shape[leading + i] != 1)
    if leading and (prefer_leading or not stretched):
        return grad.sum(axis=tuple(range(leading)))
    return grad.sum(axis=stretched, keepdims=True)


def numbered_in_grad(grad, shape):
    """Sums the leading axes away, then uses the stretched axes' numbers in grad: off by `leading`."""
    leading = grad.ndim - len(shape)
    lined_up = grad.sum(axis=tuple(range(leading)))
    stretched = tuple(leading + i for i, n in enumerate(shape) if n == 1 and grad.shape[leading + i] != 1)
    return lined_up.sum(axis=stretched, keepdims=True)


def numbered_in_shape_too_early(grad, shape):
    """Sums the stretched axes, numbered as in shape, before the leading axes are gone."""
    leading = grad.ndim - len(shape)
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[leading + i] != 1)
    return grad.sum(axis=stretched, keepdims=True).sum(axis=tuple(range(leading)))


def loop_loses_axes(grad, shape):
    """Sums in a loop without keepdims: the axes renumber under it."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis)
    return grad


def always_axis_0(grad, shape):
    return grad.sum(axis=0)


@pytest.mark.parametrize("wrong, says", [
    (lambda grad, shape: grad, ["a new leading axis", "still has the broadcast shape (4, 3)"]),
    (leading_only, ["stretched size-1 axis (one number per row)", "keeping axis 1 as length 1 (keepdims=True)"]),
    (stretched_only, ["a new leading axis (a bias added to every row)", "sum its gradient over axis 0"]),
    (no_keepdims, ["size-1 axis was lost", "keepdims=True"]),
    (keeps_leading, ["extra size-1 axis", "without keepdims"]),
    (lambda grad, shape: one_or_the_other(grad, shape, prefer_leading=True),
     ["(2, 3, 4, 5) and shape (3, 1, 1)", "you summed over axis 0", "also sum over axes 2, 3"]),
    (lambda grad, shape: one_or_the_other(grad, shape, prefer_leading=False),
     ["(2, 3, 4, 5) and shape (3, 1, 1)", "you summed over axes 2, 3", "also sum over axis 0"]),
    (with_mean, "a mean where a sum belongs"),
    (first_copy, "one copy only"),
    (everything, "sums over every axis"),
    (always_axis_0, ["no broadcast at all", "return grad as it is"]),
    (numbered_in_grad, ["uses axis 3", "has only 3 dimensions", "(2, 3, 4, 5)", "Mind the two numberings",
                        "not i + leading"]),
    (numbered_in_shape_too_early, ["(3, 1, 1)", "counted in shape's numbering, axes 1, 2",
                                   "where they are axes 2, 3", "Sum the new leading axes away first"]),
    (loop_loses_axes, ["(2, 1)", "size-1 axis was lost"]),
    (in_place, "changed grad in place"),
    (lambda grad, shape: np.resize(grad, shape), "is wrong"),
    (lambda grad, shape: grad.reshape(shape), "raised ValueError"),
    (lambda grad, shape: None, "forget the `return`"),
    (lambda grad, shape: str(grad), "string"),
])
def test_6_5_wrong(wrong, says):
    assert_wrong(check_unbroadcast, wrong, says=says)


# ---------------------------------------------------------------- bad input, every checker
CHECKERS = [(check_affine_backward, 3), (check_mean_backward, 1), (check_relu_bias_backward, 2),
            (check_bn_affine_backward, 3), (check_unbroadcast, 1)]


def returning(value, count):
    return lambda *args: value if count == 1 else (value,) * count


def doubles_its_first_argument(first, *rest):
    first *= 2.0


@pytest.mark.parametrize("check, count", CHECKERS)
@pytest.mark.parametrize("make, says", [
    (lambda count: returning(None, count), "None"),
    (lambda count: returning("0.5", count), "not a string"),
    (lambda count: returning(np.nan, count), "contains nan"),
    (lambda count: lambda *args: 1 / 0, "raised ZeroDivisionError"),
    (lambda count: doubles_its_first_argument, "changed first in place"),
])
def test_bad_input_gets_one_line(check, count, make, says):
    result = assert_wrong(check, make(count), says=says)
    assert "\n" not in result.message and "Traceback" not in result.message


# ---------------------------------------------------------------- learners' reports
def swapped_return(dout, cache):
    x, W, b = cache
    dx = dout @ W.T
    dW = x.T @ dout
    db = dout.sum(axis=0)
    return dW, dx, db


def db_over_the_wrong_axis(dout, cache):
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=1)


def test_6_1_a_swapped_return_is_named_as_swapped():
    result = assert_wrong(check_affine_backward, swapped_return,
                          says="dW and dx are swapped: return them in the order (dx, dW, db)")
    assert "shape" not in result.message


def test_6_1_names_b_as_what_was_broadcast():
    result = assert_wrong(check_affine_backward, db_over_the_wrong_axis,
                          says=["db is summed over the wrong axes", "but b (shape (3,)) was broadcast along axis 0 (N)"])
    assert "db (shape" not in result.message


def mask_as_dx(dout, cache):
    x, b = cache
    z = x + b
    dx = z > 0
    db = (dout * dx).sum(axis=0)
    return dx, db


def relu_in_place_first(dout, cache):
    x, b = cache
    x[x < 0] = 0
    dx = dout * (x > 0)
    db = dx.sum(axis=0)
    return dx, db


def test_6_3_a_mask_returned_as_dx_is_told_to_multiply_by_the_upstream_gradient():
    assert_wrong(check_relu_bias_backward, mask_as_dx,
                 says=["dx is True/False", "the gradient is the upstream gradient times that mask"])


def test_6_3_a_relu_applied_in_place_is_named():
    assert_wrong(check_relu_bias_backward, relu_in_place_first,
                 says=["changed x (cache[0]) in place", "a ReLU applied in place", "x[x < 0] = 0"])
