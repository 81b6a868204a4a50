"""Lesson 9 checkers: right answers pass, placeholders are 'not attempted', classic mistakes are named.

Each exercise has a right version, the other right versions a learner is likely
to write (np.var, loops, einsum, lines in another order, reshapes), the
untouched placeholder, the classic wrong attempts with the words their
diagnosis must contain, and bad input.
"""

import numpy as np
import pytest

from helpers.checks.lesson9 import (bn_graph, check_bn_backward, check_bn_backward_compact, check_bn_forward,
                                    check_bn_inference_backward, check_bn_spatial_backward)
from helpers.engine import Value
from helpers.gradcheck import numerical_gradient, rel_error
from tests.conftest import assert_correct, assert_not_attempted, assert_wrong


def boom(*args):
    raise ZeroDivisionError("oops")


# ---------------------------------------------------------------- the engine's batch norm

def test_bn_graph_matches_numerical_gradients():
    rng = np.random.default_rng(0)
    x, g, b, dout = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=3), rng.normal(size=(4, 3))
    bn = bn_graph(x, g, b)
    bn.out.backward(seed=dout)
    numeric = numerical_gradient(lambda v: np.sum(bn_graph(v, g, b).out.data * dout), x)
    assert rel_error(bn.x.grad, numeric) < 1e-6
    assert bn.mu.shape == (1, 3) and bn.inv_std.shape == (1, 3)


def test_bn_graph_images_per_channel():
    rng = np.random.default_rng(1)
    bn = bn_graph(rng.normal(size=(2, 3, 4, 5)), np.ones(3), np.zeros(3))
    assert bn.mu.shape == (1, 3, 1, 1)
    assert np.allclose(bn.x_hat.data.mean(axis=(0, 2, 3)), 0)


def forward(*, axis=0, ddof=0, inv=None, keepdims=True, out=None, xc_of=None, x_hat_of=None):
    """Return a bn_forward with one stage replaceable by a wrong version."""
    def bn_forward(x, gamma, beta, eps=1e-5):
        mu = x.mean(axis=axis, keepdims=keepdims)
        xc = xc_of(x) if xc_of else x - mu
        var = (xc ** 2).sum(axis=axis, keepdims=keepdims) / (x.shape[0] - ddof) if axis == 0 else \
            (xc ** 2).mean(axis=axis, keepdims=keepdims)
        inv_std = inv(var, eps) if inv else (var + eps) ** -0.5
        x_hat = x_hat_of(x, xc, inv_std, var) if x_hat_of else xc * inv_std
        result = out(x_hat, gamma, beta) if out else x_hat * gamma + beta
        return result, (xc, inv_std, x_hat, gamma)
    return bn_forward


def forward_np_var(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=0, keepdims=True)
    var = np.var(x, axis=0, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    xc = x - mu
    x_hat = xc * inv_std
    return x_hat * gamma + beta, (xc, inv_std, x_hat, gamma)


def forward_loops(x, gamma, beta, eps=1e-5):
    n, d = x.shape
    xc, inv_std = np.zeros_like(x), np.zeros((1, d))
    for j in range(d):
        column = x[:, j]
        xc[:, j] = column - sum(column) / n
        inv_std[0, j] = 1 / np.sqrt(sum(xc[:, j] ** 2) / n + eps)
    x_hat = xc * inv_std
    return x_hat * gamma + beta, (xc, inv_std, x_hat, gamma)


def forward_divides(x, gamma, beta, eps=1e-5):
    xc = x - x.mean(axis=0)
    std = np.sqrt(x.var(axis=0, keepdims=True) + eps)
    x_hat = xc / std
    return gamma * x_hat + beta, (xc, 1 / std, x_hat, gamma)


def forward_mutates(x, gamma, beta, eps=1e-5):
    x -= x.mean(axis=0, keepdims=True)
    inv_std = (x.var(axis=0, keepdims=True) + eps) ** -0.5
    return x * inv_std * gamma + beta, (x, inv_std, x * inv_std, gamma)


@pytest.mark.parametrize("right", [forward(), forward_np_var, forward_loops, forward_divides])
def test_9_1_right(right):
    assert_correct(check_bn_forward, right)


def test_9_1_placeholder():
    assert_not_attempted(check_bn_forward, lambda x, g, b, eps=1e-5: (..., (..., ..., ..., g)))
    assert_not_attempted(check_bn_forward, ...)


def test_9_1_partly_done():
    def partly(x, gamma, beta, eps=1e-5):
        xc = x - x.mean(axis=0, keepdims=True)
        var = ...
        inv_std = (var + eps) ** -0.5                            # computes with the placeholder
        return ..., (xc, inv_std, ..., gamma)
    assert_not_attempted(check_bn_forward, partly)
    result = check_bn_forward.evaluate(lambda x, g, b, eps=1e-5: (..., (x - x.mean(axis=0), ..., ..., g)))
    assert result.outcome == "not attempted" and "xc right so far" in result.message


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("wrong, says", [
    (forward(ddof=1), ["N − 1", "divided by N"]),
    (forward(inv=lambda var, eps: 1 / (np.sqrt(var) + eps)), ["ε is in the wrong place", "inside the square root"]),
    (forward(inv=lambda var, eps: var ** -0.5), ["inf", "variance is exactly 0", "inside the square root"]),
    (forward(inv=lambda var, eps: 1 / (var + eps)), "square root is missing"),
    (forward(inv=lambda var, eps: np.sqrt(var + eps)), "standard deviation itself"),
    (forward(inv=lambda var, eps: (var + 1e-5) ** -0.5), "use the eps argument"),
    (forward(axis=1), ["xc", "axis 1", "feature's* mean"]),
    (forward(xc_of=lambda x: x - x.mean()), ["xc", "whole batch"]),
    (forward(keepdims=False), ["inv_std", "keepdims was lost"]),
    (forward(x_hat_of=lambda x, xc, inv, var: x * inv), ["x_hat", "centred"]),
    (forward(out=lambda xh, g, b: xh * b + g), ["out", "swapped"]),
    (forward(out=lambda xh, g, b: xh * g), ["out", "beta is missing"]),
    (forward(out=lambda xh, g, b: xh), ["out", "scale and shift are missing"]),
    (forward_mutates, "changed x in place"),
    (lambda x, g, b, eps=1e-5: x, ["should return 2 values", "return out, cache"]),
    (lambda x, g, b, eps=1e-5: (x, (x, x)), ["the cache should be the tuple", "got 2 values"]),
    (lambda x, g, b, eps=1e-5: (x, None), ["the cache", "one NoneType"]),
    (lambda x, g, b, eps=1e-5: (None, forward()(x, g, b, eps)[1]), ["out", "None"]),
    (lambda x, g, b, eps=1e-5: ("out", forward()(x, g, b, eps)[1]), "not a string"),
    (lambda x, g, b, eps=1e-5: (np.full_like(x, np.nan), forward()(x, g, b, eps)[1]), ["out", "nan"]),
    (lambda x, g, b, eps=1e-5: (x[:2], forward()(x, g, b, eps)[1]), ["out", "shape"]),
    (lambda x, g, b: x, "TypeError"),
    (boom, "ZeroDivisionError"),
    ("bn_forward", "should be a function"),
    (lambda x, g, b, eps=1e-5: (x, (x - x.mean(axis=1), 1, 1, g)), "could not be broadcast"),
])
def test_9_1_wrong(wrong, says):
    assert_wrong(check_bn_forward, wrong, says=says)


# ---------------------------------------------------------------- 9.2 staged backward

def staged(*, skip=(), overwrite=None, n_var=None, dvar_of=None, gamma=True, dinv_sum=True, mean_div=True,
           dbeta_of=None, dgamma_of=None):
    """Return a staged bn_backward with the classic slips switchable by keyword."""
    def bn_backward(dout, cache):
        xc, inv_std, x_hat, g = cache
        n = dout.shape[0]
        dbeta = dbeta_of(dout, x_hat) if dbeta_of else dout.sum(axis=0)
        dgamma = dgamma_of(dout, x_hat) if dgamma_of else (dout * x_hat).sum(axis=0)
        dx_hat = dout * g if gamma else dout
        dinv_std = (dx_hat * xc).sum(axis=0, keepdims=True) if dinv_sum else dx_hat * xc
        dvar = dvar_of(inv_std, dinv_std) if dvar_of else -0.5 * inv_std ** 3 * dinv_std
        share_x_hat = dx_hat * inv_std if "x_hat" not in skip else 0
        share_var = 2 * xc / (n_var or n) * dvar if "var" not in skip else 0
        dxc = share_var if overwrite == "xc" else share_x_hat + share_var
        dmu = -dxc.sum(axis=0, keepdims=True)
        if overwrite == "x":
            dx = np.broadcast_to(dmu / n, dout.shape).copy()
        elif "mean" in skip:
            dx = dxc
        else:
            dx = dxc + (dmu / n if mean_div else dmu)
        return dx, dgamma, dbeta
    return bn_backward


def staged_other_order(dout, cache):
    """Every share under its own name, added at the end."""
    xc, inv_std, x_hat, gamma = cache
    n = len(dout)
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * xc, axis=0, keepdims=True) * -0.5 * inv_std ** 3
    dxc_1 = dx_hat * inv_std
    dxc_2 = 2.0 * xc * dvar / n
    dmu = -np.sum(dxc_1 + dxc_2, axis=0)
    dx = dxc_1 + dxc_2 + dmu / n
    return dx, np.einsum("nd,nd->d", dout, x_hat), np.ones(n) @ dout


def staged_loops(dout, cache):
    xc, inv_std, x_hat, gamma = cache
    n, d = dout.shape
    dx = np.zeros_like(dout)
    for j in range(d):
        dxh = dout[:, j] * gamma[j]
        dvar = -0.5 * inv_std[0, j] ** 3 * np.dot(dxh, xc[:, j])
        dxc = dxh * inv_std[0, j]
        dxc += 2 * xc[:, j] / n * dvar
        dx[:, j] = dxc - dxc.sum() / n
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@pytest.mark.parametrize("right", [staged(), staged_other_order, staged_loops])
def test_9_2_right(right):
    assert_correct(check_bn_backward, right)


def test_9_2_placeholder():
    assert_not_attempted(check_bn_backward, lambda dout, cache: (..., ..., ...))
    assert_not_attempted(check_bn_backward, ...)
    result = check_bn_backward.evaluate(lambda dout, c: (..., (dout * c[2]).sum(axis=0), dout.sum(axis=0)))
    assert result.outcome == "not attempted" and "still to fill in: dx" in result.message


def staged_mutates(dout, cache):
    xc, inv_std, x_hat, gamma = cache
    dx, dgamma, dbeta = staged()(dout.copy(), (xc.copy(), inv_std, x_hat, gamma))
    xc *= 2.0
    return dx, dgamma, dbeta


@pytest.mark.parametrize("wrong, says", [
    (staged(skip=("mean",)), ["dx", "overwritten at a fork", "share through the mean was lost"]),
    (staged(skip=("var",)), ["dx", "share through the variance was lost"]),
    (staged(overwrite="xc"), ["dx", "overwritten", "`dxc += ...`"]),
    (staged(skip=("var", "mean")), ["dx", "both missing", "inference mode"]),
    (staged(overwrite="x"), ["dx", "= where += is needed", "shares through x_hat and the variance were lost"]),
    (staged(n_var=3), ["dx", "N − 1"]),
    (staged(mean_div=False), ["dx", "1/N"]),
    (staged(dvar_of=lambda inv, d: -inv ** 3 * d), ["dx", "½ of the power rule"]),
    (staged(dvar_of=lambda inv, d: 0.5 * inv ** 3 * d), ["dx", "wrong sign"]),
    (staged(dvar_of=lambda inv, d: -0.5 * inv ** 2 * d), ["dx", "inv_std³"]),
    (staged(gamma=False), ["dx", "γ is missing"]),
    (staged(dinv_sum=False), ["dx", "dinv_std = Σ over axis 0"]),
    (staged(dbeta_of=lambda d, xh: d.mean(axis=0)), ["dbeta", "a mean where a sum belongs"]),
    (staged(dbeta_of=lambda d, xh: d.sum(axis=1)), ["dbeta", "wrong axes", "you summed over axis 1"]),
    (staged(dbeta_of=lambda d, xh: d.sum(axis=0, keepdims=True)), ["dbeta", "extra size-1 axis"]),
    (staged(dbeta_of=lambda d, xh: d), ["dbeta", "still has the broadcast shape", "sum its gradient over axis 0"]),
    (staged(dgamma_of=lambda d, xh: d.sum(axis=0)), ["dgamma", "that is dbeta"]),
    (staged(dgamma_of=lambda d, xh: xh.sum(axis=0)), ["dgamma", "missing the upstream factor"]),
    (staged_mutates, "changed cache[0] in place"),
    (lambda dout, c: (dout, dout), "returned 2 values; it should return 3"),
    (lambda dout, c: (None, (dout * c[2]).sum(axis=0), dout.sum(axis=0)), ["dx", "None"]),
    (lambda dout, c: ("dx", (dout * c[2]).sum(axis=0), dout.sum(axis=0)), "not a string"),
    (lambda dout, c: (dout[:, :2], (dout * c[2]).sum(axis=0), dout.sum(axis=0)), ["dx", "shape"]),
    (lambda dout, c: (dout * np.nan, (dout * c[2]).sum(axis=0), dout.sum(axis=0)), ["dx", "nan"]),
    (boom, "ZeroDivisionError"),
    (lambda dout, c: (dout + c[1].ravel()[:2], 0, 0), "could not be broadcast"),
])
def test_9_2_wrong(wrong, says):
    assert_wrong(check_bn_backward, wrong, says=says)


# ---------------------------------------------------------------- 9.3 compact backward

def compact(*, axis=0, terms=("mean", "var"), gamma=True, scale=True, count=None, inv_outside=True):
    def bn_backward_compact(dout, cache):
        x_hat, inv_std, g = cache
        n = count(dout.shape[0]) if count else dout.shape[0]
        dxh = dout * g if gamma else dout
        xh = x_hat
        total = n * dxh
        if "mean" in terms:
            total = total - dxh.sum(axis=axis, keepdims=True)
        if "var" in terms:
            total = total - xh * (dxh * x_hat).sum(axis=axis, keepdims=True)
        if not inv_outside:
            return inv_std * dxh + (total - n * dxh) / n           # inv_std on the first term only
        return (inv_std / n if scale else inv_std) * total
    return bn_backward_compact


def compact_means(dout, cache):
    x_hat, inv_std, gamma = cache
    dxh = dout * gamma
    return inv_std * (dxh - dxh.mean(axis=0) - x_hat * np.mean(dxh * x_hat, axis=0))


def compact_einsum(dout, cache):
    x_hat, inv_std, gamma = cache
    n = dout.shape[0]
    dxh = np.einsum("nd,d->nd", dout, gamma)
    return (inv_std / n) * (n * dxh - np.einsum("nd->d", dxh) - x_hat * np.einsum("nd,nd->d", dxh, x_hat))


@pytest.mark.parametrize("right", [compact(), compact_means, compact_einsum])
def test_9_3_right(right):
    assert_correct(check_bn_backward_compact, right)


def test_9_3_placeholder():
    assert_not_attempted(check_bn_backward_compact, lambda dout, cache: ...)
    assert_not_attempted(check_bn_backward_compact, ...)


@pytest.mark.parametrize("wrong, says", [
    (compact(terms=("var",)), ["−Σ dx_hat term is missing", "through the mean"]),
    (compact(terms=("mean",)), ["−x_hat·Σ(dx_hat·x_hat) term is missing", "through the variance"]),
    (compact(terms=()), ["shares are missing", "inference mode"]),
    (compact(gamma=False), "γ is missing"),
    (compact(axis=1), ["wrong axis", "axis 0"]),
    (compact(scale=False), "1/N is missing"),
    (compact(inv_outside=False), "inv_std multiplies all three terms"),
    (compact(count=lambda n: n - 1), "N − 1"),
    (lambda dout, c: c[0] * 0.0, ["dx", "zero everywhere"]),
    (lambda dout, c: None, "returned None"),
    (lambda dout, c: "dx", "not a string"),
    (lambda dout, c: dout[:2], "shape"),
    (lambda dout, c: np.full_like(dout, np.nan), "nan"),
    (boom, "ZeroDivisionError"),
    (lambda dout, c: dout * c[1].T, "could not be broadcast"),
])
def test_9_3_wrong(wrong, says):
    assert_wrong(check_bn_backward_compact, wrong, says=says)


def test_9_3_names_the_second_shape():
    def hard_coded_n(dout, cache):
        return compact(count=lambda n: 4)(dout, cache)
    assert_wrong(check_bn_backward_compact, hard_coded_n, says="for a batch of shape (6, 2)")


# ---------------------------------------------------------------- 9.4 images

def spatial(*, axes=(0, 2, 3), keepdims=True, count=None, gamma_line=True, gamma=True, param_axes=(0, 2, 3),
            param_keepdims=False, terms=("mean", "var")):
    def bn_spatial_backward(dout, cache):
        x_hat, inv_std, g = cache
        n, c, h, w = dout.shape
        m = count(n, c, h, w) if count else n * h * w
        dbeta = dout.sum(axis=param_axes, keepdims=param_keepdims)
        dgamma = (dout * x_hat).sum(axis=param_axes, keepdims=param_keepdims)
        g_lined = g[:, None, None] if gamma_line else g
        dxh = dout * g_lined if gamma else dout
        total = m * dxh
        if "mean" in terms:
            total = total - dxh.sum(axis=axes, keepdims=keepdims)
        if "var" in terms:
            total = total - x_hat * (dxh * x_hat).sum(axis=axes, keepdims=keepdims)
        return inv_std / m * total, dgamma, dbeta
    return bn_spatial_backward


def spatial_by_reshape(dout, cache):
    """Move C to the front, flatten the rest to (C, M), and use the (N, D) formula on the transpose."""
    x_hat, inv_std, gamma = cache
    n, c, h, w = dout.shape
    d2 = dout.transpose(1, 0, 2, 3).reshape(c, -1).T            # (M, C)
    xh2 = x_hat.transpose(1, 0, 2, 3).reshape(c, -1).T
    m = d2.shape[0]
    dxh = d2 * gamma
    dx2 = inv_std.reshape(1, c) / m * (m * dxh - dxh.sum(axis=0) - xh2 * (dxh * xh2).sum(axis=0))
    dx = dx2.T.reshape(c, n, h, w).transpose(1, 0, 2, 3)
    return dx, (d2 * xh2).sum(axis=0), d2.sum(axis=0)


def spatial_means(dout, cache):
    x_hat, inv_std, gamma = cache
    dxh = dout * gamma.reshape(1, -1, 1, 1)
    mean = lambda a: a.mean(axis=(0, 2, 3), keepdims=True)      # noqa: E731
    return (inv_std * (dxh - mean(dxh) - x_hat * mean(dxh * x_hat)),
            np.einsum("nchw,nchw->c", dout, x_hat), np.einsum("nchw->c", dout))


@pytest.mark.parametrize("right", [spatial(), spatial_by_reshape, spatial_means])
def test_9_4_right(right):
    assert_correct(check_bn_spatial_backward, right)


def test_9_4_placeholder():
    assert_not_attempted(check_bn_spatial_backward, lambda dout, cache: (..., ..., ...))
    assert_not_attempted(check_bn_spatial_backward, ...)


@pytest.mark.parametrize("wrong, says", [
    (spatial(keepdims=False), ["dx", "keepdims was lost", "last axis"]),
    (spatial(gamma_line=False), ["dx", "gamma meets the last axis"]),
    (spatial(count=lambda n, c, h, w: n), ["dx", "the count is N", "M = N·H·W"]),
    (spatial(count=lambda n, c, h, w: n * c * h * w), ["dx", "N·C·H·W", "C is not averaged"]),
    (spatial(count=lambda n, c, h, w: h * w), ["dx", "the count is H·W"]),
    (spatial(axes=(0,)), ["dx", "axis 0 only", "(0, 2, 3)"]),
    (spatial(axes=(0,), count=lambda n, c, h, w: n), ["dx", "axis 0 only"]),
    (spatial(axes=(0, 1, 2, 3), count=lambda n, c, h, w: n * c * h * w), ["dx", "all four axes"]),
    (spatial(axes=(0, 1, 2, 3)), ["dx", "all four axes"]),
    (spatial(axes=(2, 3)), ["dx", "instance normalisation"]),
    (spatial(axes=(1, 2, 3)), ["dx", "layer normalisation"]),
    (spatial(gamma=False), ["dx", "γ is missing"]),
    (spatial(terms=()), ["dx", "inference mode"]),
    (spatial(param_axes=(0, 1, 2, 3)), ["dbeta", "wrong axes", "you summed over axes 0, 1, 2, 3"]),
    (spatial(param_axes=(0,)), ["dbeta", "wrong axes", "you summed over axis 0,", "axes 0, 2, 3"]),
    (spatial(param_keepdims=True), ["dbeta", "extra size-1 axis", "without keepdims=True"]),
    (lambda dout, c: (dout, dout.sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))), ["dgamma", "that is dbeta"]),
    (lambda dout, c: (dout, 1, None), ["dbeta", "None"]),
    (lambda dout, c: (dout,), "should return 3"),
    (boom, "ZeroDivisionError"),
])
def test_9_4_wrong(wrong, says):
    assert_wrong(check_bn_spatial_backward, wrong, says=says)


def test_9_4_lost_keepdims_crash_gets_the_hint():
    """On the second shape (W != C) a lost keepdims crashes; the message explains it."""
    def lost_keepdims_only_when_w_differs(dout, cache):
        if dout.shape[3] == dout.shape[1]:
            return spatial()(dout, cache)
        return spatial(keepdims=False)(dout, cache)
    assert_wrong(check_bn_spatial_backward, lost_keepdims_only_when_w_differs,
                 says=["could not be broadcast", "keepdims=True", "gamma[:, None, None]"])


# ---------------------------------------------------------------- 9.5 inference mode

def inference(*, dx_of=None, x_hat_of=None):
    def bn_inference_backward(dout, cache):
        x, rm, rv, g, eps = cache
        inv_std = (rv + eps) ** -0.5
        x_hat = x_hat_of(x, rm, rv, eps) if x_hat_of else (x - rm) * inv_std
        dx = dx_of(dout, x, rm, rv, g, eps) if dx_of else dout * g * inv_std
        return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    return bn_inference_backward


def inference_folded(dout, cache):
    """The deployed form: out = x·scale + shift, scale = γ·inv_std."""
    x, rm, rv, gamma, eps = cache
    scale = gamma / np.sqrt(rv + eps)
    return dout * scale, np.einsum("nd,nd->d", dout, (x - rm) / np.sqrt(rv + eps)), dout.sum(axis=0)


def batch_training(dout, x, rm, rv, g, eps):
    bn = bn_graph(x, g, np.zeros_like(g), eps)
    bn.out.backward(seed=dout)
    return bn.x.grad


def training_formula(dout, x, rm, rv, g, eps):
    inv = (rv + eps) ** -0.5
    xh = (x - rm) * inv
    dxh = dout * g
    n = len(x)
    return inv / n * (n * dxh - dxh.sum(axis=0) - xh * (dxh * xh).sum(axis=0))


@pytest.mark.parametrize("right", [inference(), inference_folded])
def test_9_5_right(right):
    assert_correct(check_bn_inference_backward, right)


def test_9_5_placeholder():
    assert_not_attempted(check_bn_inference_backward, lambda dout, cache: (..., ..., ...))
    assert_not_attempted(check_bn_inference_backward, ...)


@pytest.mark.parametrize("wrong, says", [
    (inference(dx_of=training_formula), ["dx", "training mode's formula", "constants"]),
    (inference(dx_of=batch_training), ["dx", "training mode", "constants"]),
    (inference(dx_of=lambda d, x, rm, rv, g, e: d * g / np.sqrt(x.var(axis=0) + e)), ["dx", "batch's own"]),
    (inference(dx_of=lambda d, x, rm, rv, g, e: d * g / (np.sqrt(rv) + e)), ["dx", "ε is in the wrong place"]),
    (inference(dx_of=lambda d, x, rm, rv, g, e: d * g / np.sqrt(rv)), ["dx", "ε is missing"]),
    (inference(dx_of=lambda d, x, rm, rv, g, e: d * g), ["dx", "inv_std is missing"]),
    (inference(dx_of=lambda d, x, rm, rv, g, e: d / np.sqrt(rv + e)), ["dx", "γ is missing"]),
    (inference(x_hat_of=lambda x, rm, rv, e: (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + e)),
     ["dgamma", "batch's own statistics"]),
    (inference(x_hat_of=lambda x, rm, rv, e: x), ["dgamma", "not x itself"]),
    (lambda dout, c: (dout, (dout * c[0]).sum(axis=0), dout.mean(axis=0)), ["dbeta", "a mean where a sum belongs"]),
    (lambda dout, c: (dout, 1.0), "should return 3"),
    (lambda dout, c: ("dx", 1.0, dout.sum(axis=0)), ["dgamma", "shape"]),
    (boom, "ZeroDivisionError"),
    (lambda dout, c: (dout * c[1][:2], 0, 0), "could not be broadcast"),
])
def test_9_5_wrong(wrong, says):
    assert_wrong(check_bn_inference_backward, wrong, says=says)


def test_9_5_the_engine_gives_running_statistics_no_gradient():
    """The lesson's claim: plain arrays in an expression are constants, and no gradient reaches them."""
    x = Value(np.arange(6.0).reshape(3, 2))
    out = (x + (-np.array([1.0, 2.0]))) * np.array([0.5, 2.0])
    out.backward(seed=np.ones((3, 2)))
    constants = [node for node in out.topological_order() if node.constant]
    assert len(constants) == 2 and all(not node.requires_grad for node in constants)
    assert np.allclose(x.grad, np.broadcast_to([0.5, 2.0], (3, 2)))


def test_9_1_nan_everywhere_is_not_blamed_on_eps():
    """Only a nan confined to the constant feature is a missing ε; anything else gets the generic diagnosis."""
    def all_nan(x, gamma, beta, eps=1e-5):
        out, (xc, inv_std, x_hat, g) = forward()(x, gamma, beta, eps)
        return out, (xc, inv_std * np.nan, x_hat, g)
    result = assert_wrong(check_bn_forward, all_nan, says=["inv_std", "nan"])
    assert "constant" not in result.message


# ---------------------------------------------------------------- bad input, every check

RIGHT = {check_bn_forward: forward(), check_bn_backward: staged(), check_bn_backward_compact: compact(),
         check_bn_spatial_backward: spatial(), check_bn_inference_backward: inference()}


def replaced(right, make):
    """Return a function that runs ``right`` and replaces each returned array with make(array)."""
    def wrong(*args):
        out = right(*args)
        if isinstance(out, tuple):
            return tuple(make(item) if isinstance(item, np.ndarray) else item for item in out)
        return make(out)
    return wrong


@pytest.mark.parametrize("check", list(RIGHT), ids=lambda c: c.__name__)
@pytest.mark.parametrize("make, says", [
    (lambda a: None, "None"),
    (lambda a: "gradient", "not a string"),
    (lambda a: np.full_like(a, np.nan), "nan"),
    (lambda a: a[..., :1], "shape"),
    (lambda a: [a.tolist(), [1.0]], "could not be read as numbers"),            # a ragged list
])
def test_bad_results_get_one_clear_line(check, make, says):
    result = assert_wrong(check, replaced(RIGHT[check], make), says=says)
    assert "\n" not in result.message and len(result.message) < 400


@pytest.mark.parametrize("check", list(RIGHT), ids=lambda c: c.__name__)
def test_a_function_that_raises_or_is_missing(check):
    assert_wrong(check, boom, says="ZeroDivisionError")
    assert_wrong(check, 42, says="should be a function")
    assert_not_attempted(check, ...)
