"""Lesson 8 checkers: right answers pass, placeholders are 'not attempted', classic mistakes are named.

Each exercise's classic wrong attempts are listed as data (a function, and the words its diagnosis must
contain), so the list doubles as the catalogue of mistakes the lesson is built to catch.
"""
import re
import warnings

import numpy as np
import pytest

from helpers.checks.lesson8 import (check_ce_backward_stages, check_cross_entropy, check_index_backward,
                                    check_softmax, check_softmax_ce, fused_case, index_case, softmax_cases,
                                    stages_case)
from tests.conftest import assert_correct, assert_not_attempted, assert_wrong


@pytest.fixture(autouse=True)
def _numpy_warnings_are_errors():
    """A check must never let a numpy RuntimeWarning reach the learner's notebook."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def _raises(error):
    def fn(*args):
        raise error
    return fn


# ---------------------------------------------------------------- 8.1 stable softmax

def softmax(s):
    z = s - s.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_loop(s):
    p = np.empty_like(s)
    for n in range(len(s)):
        e = np.exp(s[n] - max(s[n]))
        p[n] = e / sum(e)
    return p


def softmax_expand(s):
    z = s - np.expand_dims(np.max(s, axis=1), 1)
    return np.exp(z) / np.exp(z).sum(axis=1)[:, None]


def softmax_logsumexp(s):
    z = s - s.max(axis=1, keepdims=True)
    return np.exp(z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True)))


def softmax_transposed(s):
    t = s.T
    e = np.exp(t - t.max(axis=0))
    return (e / e.sum(axis=0)).T


def naive(s):
    return np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)


def one_max(s):
    e = np.exp(s - s.max())
    return e / e.sum(axis=1, keepdims=True)


def max_axis0(s):
    e = np.exp(s - s.max(axis=0, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def max_no_keepdims(s):
    e = np.exp(s - s.max(axis=1))
    return e / e.sum(axis=1, keepdims=True)


def sum_no_keepdims(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1)


def sum_axis0(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def sum_all(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum()


def not_normalised(s):
    return np.exp(s - s.max(axis=1, keepdims=True))


def in_place(s):
    s -= s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("right", [softmax, softmax_loop, softmax_expand, softmax_logsumexp, softmax_transposed])
def test_8_1_right(right):
    assert_correct(check_softmax, right)


def test_8_1_placeholder():
    assert_not_attempted(check_softmax, ...)
    assert_not_attempted(check_softmax, lambda s: ...)


def test_8_1_cases_catch_what_they_are_for():
    (_, square), (_, plain), (_, extreme) = softmax_cases()
    assert plain.shape[0] != plain.shape[1] and square.shape[0] == square.shape[1]
    assert np.sum(plain[1] == plain[1].max()) == 2                # a tie for the max
    assert extreme.max() > 710 and extreme.min() < -710


SOFTMAX_MISTAKES = [
    (naive, ["overflow", "Subtract each row's own max"]),
    (one_max, ["whole batch", "each row by its own max"]),
    (max_axis0, ["max is taken over axis 0", "axis=1, keepdims=True"]),
    (max_no_keepdims, ["(3, 3)", "the max has no keepdims", "keepdims=True gives (N, 1)"]),
    (sum_no_keepdims, ["(3, 3)", "the sum has no keepdims", "keepdims=True gives (N, 1)"]),
    (sum_axis0, ["axis 0, the batch", "sum over axis 1"]),
    (sum_all, ["one sum over the whole batch"]),
    (not_normalised, ["not normalised"]),
    (in_place, ["changed s in place"]),
    (lambda s: -softmax(s), ["wrong sign"]),
    (lambda s: softmax(s)[:, :-1], ["wrong shape", "expected (3, 3)"]),
    (lambda s: None, ["None", "return"]),
    (lambda s: "p", ["not a string"]),
    (lambda s: np.full(s.shape, np.nan), ["nan"]),
    (_raises(ZeroDivisionError("division by zero")), ["raised ZeroDivisionError"]),
    (lambda s: softmax(s) if s.shape[0] == s.shape[1] else max_no_keepdims(s),
     ["raised ValueError", "s.max(axis=1)", "without keepdims", "keepdims=True gives (N, 1)"]),
    ("softmax", ["should be a function"]),
]


@pytest.mark.parametrize("wrong, says", SOFTMAX_MISTAKES)
def test_8_1_wrong(wrong, says):
    assert_wrong(check_softmax, wrong, says=says)


def test_8_1_lost_keepdims_is_named_even_when_numpy_does_not_complain():
    """On the square case a lost keepdims runs without error; the check must still name it."""
    def only_square(fn):
        def wrapped(s):
            return fn(s) if s.shape[0] == s.shape[1] else softmax(s)
        return wrapped
    assert_wrong(check_softmax, only_square(max_no_keepdims), says=["(3, 3)", "max has no keepdims"])
    assert_wrong(check_softmax, only_square(sum_no_keepdims), says=["(3, 3)", "sum has no keepdims"])


# ---------------------------------------------------------------- 8.2 cross-entropy

def ce(p, y):
    return -np.log(p[np.arange(len(y)), y]).mean()


def ce_onehot(p, y):
    onehot = np.eye(p.shape[1])[y]
    return -(onehot * np.log(p)).sum() / len(y)


def ce_loop(p, y):
    total = 0.0
    for n, label in enumerate(y):
        total -= np.log(p[n, label])
    return total / len(y)


def ce_take(p, y):
    return float(-np.mean(np.log(np.take_along_axis(p, y[:, None], axis=1))))


@pytest.mark.parametrize("right", [ce, ce_onehot, ce_loop, ce_take, lambda p, y: np.array(ce(p, y))])
def test_8_2_right(right):
    assert_correct(check_cross_entropy, right)


def test_8_2_placeholder():
    assert_not_attempted(check_cross_entropy, ...)
    assert_not_attempted(check_cross_entropy, lambda p, y: ...)


CE_MISTAKES = [
    (lambda p, y: -np.log(p[np.arange(len(y)), y]).sum(), ["1/N is missing"]),
    (lambda p, y: np.log(p[np.arange(len(y)), y]).mean(), ["wrong sign"]),
    (lambda p, y: -np.log(p.max(axis=1)).mean(), ["predicted class", "label y"]),
    (lambda p, y: -np.log(p[:, y]).mean(), ["p[:, y]", "N × N block", "[np.arange(N), y]"]),
    (lambda p, y: -np.log(p).mean(), ["every class", "only the correct class"]),
    (lambda p, y: -np.log(p).sum() / len(y), ["every class", "only the correct class"]),
    (lambda p, y: -np.log(p[np.arange(len(y)), y].mean()), ["log first, then the mean"]),
    (lambda p, y: -np.log(p[np.arange(len(y)), y]), ["one loss per example", "average"]),
    (lambda p, y: -np.log(p[y]).mean(axis=1), ["single number", "shape (5,)"]),
    (lambda p, y: [ce(p, y)], ["single number", "float(...)"]),
    (lambda p, y: -np.log(p[y, np.arange(len(y))]).mean(), ["indexes past the end", "p is 5×4"]),
    (lambda p, y: -np.log(p * y).mean(), ["do not fit"]),
    (lambda p, y: 2 * ce(p, y), ["not the right value"]),
    (lambda p, y: None, ["None"]),
    (lambda p, y: "loss", ["not a string"]),
    (lambda p, y: float("nan"), ["nan"]),
    (_raises(ValueError("bad")), ["raised ValueError"]),
    (lambda p: ce(p, None), ["raised TypeError"]),
]


@pytest.mark.parametrize("wrong, says", CE_MISTAKES)
def test_8_2_wrong(wrong, says):
    assert_wrong(check_cross_entropy, wrong, says=says)


def test_8_2_changing_p_in_place_is_named():
    def clips(p, y):
        np.clip(p, 1e-12, 1.0, out=p)
        p[0, 0] = 0.5
        return ce(p, y)
    assert_wrong(check_cross_entropy, clips, says="changed p in place")


# ---------------------------------------------------------------- 8.3 backward in stages

def stages(dpicked=None, dlogp=None, dp=None, dS=None, de=None, dz=None):
    """Return a ce_backward_stages in which any stage can be replaced by a wrong formula.

    Each replacement is called with (dL, y, e, S, p, N, previous stages as a dict) and returns that stage.
    """
    def ce_backward_stages(dL, cache):
        y, e, S, p = cache
        N = len(y)
        got = {}
        got["dpicked"] = dpicked(dL, y, e, S, p, N, got) if dpicked else -dL / N * np.ones(N)
        if dlogp:
            got["dlogp"] = dlogp(dL, y, e, S, p, N, got)
        else:
            got["dlogp"] = np.zeros_like(p)
            got["dlogp"][np.arange(N), y] = got["dpicked"]
        got["dp"] = dp(dL, y, e, S, p, N, got) if dp else got["dlogp"] / p
        got["dS"] = dS(dL, y, e, S, p, N, got) if dS else -(got["dp"] * e / S ** 2).sum(axis=1, keepdims=True)
        got["de"] = de(dL, y, e, S, p, N, got) if de else got["dp"] / S + got["dS"]
        got["dz"] = dz(dL, y, e, S, p, N, got) if dz else got["de"] * e
        return tuple(got[name] for name in ("dpicked", "dlogp", "dp", "dS", "de", "dz"))
    return ce_backward_stages


def stages_other_ways(dL, cache):
    """Right, written differently: np.add.at, a one-hot matrix, p / S instead of e / S², lines reordered."""
    y, e, S, p = cache
    N, C = p.shape
    dpicked = np.full(N, -dL / N)
    dlogp = np.zeros((N, C))
    np.add.at(dlogp, (np.arange(N), y), dpicked)
    dp = dlogp * (1 / p)
    de_divide = dp / S
    dS = np.sum(-dp * p / S, axis=1, keepdims=True)
    dz = (de_divide + dS) * np.exp(np.log(e))
    de = de_divide + np.broadcast_to(dS, (N, C))
    return dpicked, dlogp, dp, dS, de, dz


def stages_onehot(dL, cache):
    y, e, S, p = cache
    N, C = p.shape
    dpicked = -dL * np.ones(N) / N
    dlogp = np.eye(C)[y] * dpicked[:, None]
    dp = np.where(dlogp != 0, dlogp / p, 0.0)
    dS = np.einsum("nc,nc->n", dp, -e / S ** 2)[:, None]
    de = dp / S + dS
    dz = de * e
    return [dpicked, dlogp, dp, dS, de, dz]


@pytest.mark.parametrize("right", [stages(), stages_other_ways, stages_onehot])
def test_8_3_right(right):
    assert_correct(check_ce_backward_stages, right)


def test_8_3_placeholder():
    assert_not_attempted(check_ce_backward_stages, ...)
    assert_not_attempted(check_ce_backward_stages, lambda dL, cache: (..., ..., ..., ..., ..., ...))


def test_8_3_partly_done():
    right = stages()

    def half(dL, cache):
        return right(dL, cache)[:2] + (..., ..., ..., ...)
    result = check_ce_backward_stages.evaluate(half)
    assert result.outcome == "not attempted", result.text
    assert "dpicked, dlogp right so far" in result.message and "dz" in result.message


def test_8_3_upstream_is_not_one():
    assert stages_case()[2] != 1


def stages_dS_without_keepdims(dL, cache):
    """The learner's lines as written, with the sum for dS losing its axis; the next line cannot broadcast."""
    y, e, S, p = cache
    N = len(y)
    dpicked = -dL / N * np.ones(N)
    dlogp = np.zeros_like(p)
    dlogp[np.arange(N), y] = dpicked
    dp = dlogp / p
    dS = -(dp * e / S ** 2).sum(axis=1)
    de = dp / S + dS
    dz = de * e
    return dpicked, dlogp, dp, dS, de, dz


def _dlogp_at(columns_of):
    def dlogp(dL, y, e, S, p, N, got):
        out = np.zeros_like(p)
        out[np.arange(N), columns_of(y, p)] = got["dpicked"]
        return out
    return dlogp


def _dlogp_columns(dL, y, e, S, p, N, got):
    out = np.zeros_like(p)
    out[:, y] = got["dpicked"]
    return out


STAGE_MISTAKES = [
    (stages(dpicked=lambda dL, y, e, S, p, N, got: -dL * np.ones(N)), ["dpicked", "missing the 1/N"]),
    (stages(dpicked=lambda dL, y, e, S, p, N, got: -np.ones(N) / N), ["dpicked", "missing the upstream factor"]),
    (stages(dpicked=lambda dL, y, e, S, p, N, got: dL * np.ones(N) / N), ["dpicked", "wrong sign"]),
    (stages(dlogp=_dlogp_at(lambda y, p: p.argmax(axis=1))), ["dlogp", "predicted class", "label"]),
    (stages(dlogp=_dlogp_columns), ["dlogp", "dlogp[:, y]", "[np.arange(N), y]"]),
    (stages(dlogp=lambda dL, y, e, S, p, N, got: np.broadcast_to(got["dpicked"][:, None], p.shape)),
     ["dlogp", "one entry per row"]),
    (stages(dp=lambda dL, y, e, S, p, N, got: got["dlogp"] * p), ["dp", "divide by p"]),
    (stages(dp=lambda dL, y, e, S, p, N, got: got["dlogp"]), ["dp", "1 / p, is missing"]),
    (stages_dS_without_keepdims, ["do not fit", "dS is (5,)", "without keepdims", "keepdims=True gives (N, 1)"]),
    (stages(dS=lambda dL, y, e, S, p, N, got: -(got["dp"] * e / S ** 2)), ["dS", "broadcast shape", "axis 1"]),
    (stages(dS=lambda dL, y, e, S, p, N, got: -(got["dp"] * e / S ** 2).sum(axis=0, keepdims=True)),
     ["dS", "wrong axes"]),
    (stages(dS=lambda dL, y, e, S, p, N, got: (got["dp"] * e / S ** 2).sum(axis=1, keepdims=True)),
     ["dS", "wrong sign"]),
    (stages(dS=lambda dL, y, e, S, p, N, got: (-got["dp"] / S).sum(axis=1, keepdims=True)), ["dS", "−e / S²"]),
    (stages(de=lambda dL, y, e, S, p, N, got: got["dp"] / S),
     ["de", "overwritten at a fork", "the share through the sum S = Σ e was lost"]),
    (stages(de=lambda dL, y, e, S, p, N, got: got["dS"] + 0 * e),
     ["de", "overwritten at a fork", "the share through the divide p = e / S was lost"]),
    (stages(de=lambda dL, y, e, S, p, N, got: got["dp"] * S + got["dS"]), ["de", "dp / S, not dp · S"]),
    (stages(dz=lambda dL, y, e, S, p, N, got: got["de"]), ["dz", "exp's local gradient is missing"]),
    (stages(dz=lambda dL, y, e, S, p, N, got: got["de"] * p), ["dz", "its own output, e, not p"]),
    (stages(dz=lambda dL, y, e, S, p, N, got: got["de"] * e[::-1]), ["dz", "entries differ"]),
    (lambda dL, cache: stages()(dL, cache)[:5], ["returned 5 values", "should return 6"]),
    (lambda dL, cache: stages()(dL, cache)[-1], ["should return 6 values", "one array of shape (5, 4)"]),
    (lambda dL, cache: stages()(dL, cache)[:-1] + (None,), ["dz is None"]),
    (lambda dL, cache: stages()(dL, cache)[:-1] + ("dz",), ["dz", "not a string"]),
    (lambda dL, cache: (np.nan,) + stages()(dL, cache)[1:], ["dpicked", "nan"]),
    (lambda dL, cache: stages()(dL, cache)[:1] + (cache[3][:, None] * 0 + 1,) + stages()(dL, cache)[2:],
     ["dlogp", "wrong shape"]),
    (_raises(KeyError("y")), ["raised KeyError"]),
    (lambda dL: dL, ["raised TypeError"]),
]


@pytest.mark.parametrize("wrong, says", STAGE_MISTAKES)
def test_8_3_wrong(wrong, says):
    result = assert_wrong(check_ce_backward_stages, wrong, says=says)
    if says[0].startswith("d") and len(says) > 1 and "do not fit" not in says:
        assert "first wrong one in backward order" in result.message


def test_8_3_lost_keepdims_on_dS_is_named_when_the_next_line_copes():
    def flat_dS(dL, cache):
        dpicked, dlogp, dp, dS, de, dz = stages()(dL, cache)
        return dpicked, dlogp, dp, dS[:, 0], de, dz
    assert_wrong(check_ce_backward_stages, flat_dS, says=["dS", "size-1 axis was lost", "keepdims=True"])


def test_8_3_changing_the_cache_is_named():
    def scribbles(dL, cache):
        out = stages()(dL, cache)
        cache[3][0, 0] = 0.0
        return out
    assert_wrong(check_ce_backward_stages, scribbles, says="changed p (cache[3]) in place")


# ---------------------------------------------------------------- 8.4 fused loss and gradient

def softmax_ce(s, y):
    N = len(y)
    z = s - s.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    ds = np.exp(logp)
    ds[np.arange(N), y] -= 1
    return -logp[np.arange(N), y].mean(), ds / N


def softmax_ce_onehot(s, y):
    N, C = s.shape
    z = s - np.max(s, axis=1)[:, None]
    logp = z - np.log(np.sum(np.exp(z), axis=1))[:, None]
    onehot = np.eye(C)[y]
    return -np.sum(onehot * logp) / N, (np.exp(logp) - onehot) / N


def softmax_ce_where(s, y):
    N, C = s.shape
    z = s - s.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    logsum = np.log(np.exp(z).sum(axis=1))
    L = np.mean(logsum - z[np.arange(N), y])
    is_label = np.arange(C)[None, :] == y[:, None]
    return L, np.where(is_label, p - 1, p) / N


def _fused(grad, loss=None):
    """Return a softmax_ce with the right loss (unless given) and the gradient computed by ``grad(p, onehot, N)``."""
    def fn(s, y):
        N, C = s.shape
        L, _ = softmax_ce(s, y)
        z = s - s.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return (loss(s, y) if loss else L), grad(p, np.eye(C)[y], N, y)
    return fn


def _columns(p, onehot, N, y):
    d = p.copy()
    d[:, y] -= 1
    return d / N


def _log_of_p(s, y):
    z = s - s.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return -np.log(p[np.arange(len(y)), y]).mean()


def _naive_loss(s, y):
    e = np.exp(s)
    return -np.log(e[np.arange(len(y)), y] / e.sum(axis=1)).mean()


def _naive_both(s, y):
    """No shift anywhere: log Σ exp s overflows to inf, and so does the loss."""
    N = len(y)
    e = np.exp(s)
    L = np.mean(np.log(e.sum(axis=1)) - s[np.arange(N), y])
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(N), y] -= 1
    return L, p / N


def _naive_grad(s, y):
    e = np.exp(s)
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return softmax_ce(s, y)[0], p / len(y)


@pytest.mark.parametrize("right", [softmax_ce, softmax_ce_onehot, softmax_ce_where])
def test_8_4_right(right):
    assert_correct(check_softmax_ce, right)


def test_8_4_placeholder():
    assert_not_attempted(check_softmax_ce, ...)
    assert_not_attempted(check_softmax_ce, lambda s, y: (..., ...))


def test_8_4_case_is_extreme_where_it_must_be():
    s, y = fused_case()
    assert s.max() > 710                                          # an unshifted exp overflows
    assert (s.max(axis=1) - s[np.arange(len(y)), y]).max() > 745   # a label's p underflows to 0
    assert len(set(y.tolist())) < len(y)                           # labels repeat


FUSED_MISTAKES = [
    (_fused(lambda p, onehot, N, y: p - onehot), ["ds", "missing the 1/N"]),
    (_fused(lambda p, onehot, N, y: p / N), ["ds", "1 at the correct class is not subtracted"]),
    (_fused(lambda p, onehot, N, y: (p - np.eye(p.shape[1])[p.argmax(axis=1)]) / N),
     ["ds", "predicted class (the argmax)", "label y"]),
    (_fused(lambda p, onehot, N, y: (onehot - p) / N), ["ds", "wrong sign"]),
    (_fused(_columns), ["ds", "p[:, y] -= 1", "[np.arange(N), y]"]),
    (_fused(lambda p, onehot, N, y: (p - onehot) / N ** 2), ["ds", "divided by N = 5 once too often"]),
    (_fused(lambda p, onehot, N, y: 2 * (p - onehot) / N), ["ds", "constant factor"]),
    (_naive_grad, ["ds", "nan or inf", "overflows", "own max"]),
    (_naive_both, ["L is inf", "overflows", "own max"]),
    (_fused(lambda p, onehot, N, y: (p - onehot) / N, loss=_log_of_p), ["L is inf", "underflows", "z − log"]),
    (_fused(lambda p, onehot, N, y: (p - onehot) / N, loss=_naive_loss), ["L is", "overflows"]),
    (_fused(lambda p, onehot, N, y: (p - onehot) / N, loss=lambda s, y: softmax_ce(s, y)[0] * len(y)),
     ["L", "1/N is missing"]),
    (_fused(lambda p, onehot, N, y: (p - onehot) / N, loss=lambda s, y: -softmax_ce(s, y)[0]),
     ["L", "wrong sign"]),
    (lambda s, y: softmax_ce(s, y)[1], ["should return 2 values"]),
    (lambda s, y: softmax_ce(s, y)[::-1], ["returned (ds, L)", "(L, ds)"]),
    (lambda s, y: (softmax_ce(s, y)[0], None), ["ds is None"]),
    (lambda s, y: (softmax_ce(s, y)[0], "ds"), ["ds", "not a string"]),
    (lambda s, y: (softmax_ce(s, y)[0], softmax_ce(s, y)[1][:, :2]), ["ds", "wrong shape"]),
    (_raises(IndexError("index 7 is out of bounds")), ["indexes past the end"]),
]


@pytest.mark.parametrize("wrong, says", FUSED_MISTAKES)
def test_8_4_wrong(wrong, says):
    assert_wrong(check_softmax_ce, wrong, says=says)


def test_8_4_softmax_over_the_wrong_axis_is_named():
    def axis0(s, y):
        N, C = s.shape
        z = s - s.max(axis=0, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)
        return softmax_ce(s, y)[0], (p - np.eye(C)[y]) / N
    assert_wrong(check_softmax_ce, axis0, says=["ds", "normalised over axis 0, the batch"])


def test_8_4_changing_s_in_place_is_named():
    def in_place(s, y):
        s -= s.max(axis=1, keepdims=True)
        return softmax_ce(s, y)
    assert_wrong(check_softmax_ce, in_place, says="changed s in place")


# ---------------------------------------------------------------- 8.5 the gradient of indexing

def index_backward(dout, idx, shape):
    dx = np.zeros(shape)
    np.add.at(dx, idx, dout)
    return dx


def index_loop(dout, idx, shape):
    dx = np.zeros(shape)
    for k, row in enumerate(idx):
        dx[row] += dout[k]
    return dx


def index_onehot(dout, idx, shape):
    return np.eye(shape[0])[idx].T @ dout


def index_bincount(dout, idx, shape):
    return np.stack([np.bincount(idx, weights=dout[:, j], minlength=shape[0]) for j in range(shape[1])], axis=1)


@pytest.mark.parametrize("right", [index_backward, index_loop, index_onehot, index_bincount])
def test_8_5_right(right):
    assert_correct(check_index_backward, right)


def test_8_5_placeholder():
    assert_not_attempted(check_index_backward, ...)
    assert_not_attempted(check_index_backward, lambda dout, idx, shape: ...)


def test_8_5_case_has_repeats_and_a_row_never_picked():
    x, idx, dout = index_case()
    counts = np.bincount(idx, minlength=len(x))
    assert counts.max() > 1 and (counts == 0).any()


def _plus_equals(dout, idx, shape):
    dx = np.zeros(shape)
    dx[idx] += dout
    return dx


def _assign(dout, idx, shape):
    dx = np.zeros(shape)
    dx[idx] = dout
    return dx


def _counts(dout, idx, shape):
    dx = np.zeros(shape)
    np.add.at(dx, idx, 1.0)
    return dx


INDEX_MISTAKES = [
    (_plus_equals, ["repeats", "last write wins", "fork", "np.add.at"]),
    (_assign, ["repeats", "np.add.at"]),
    (lambda dout, idx, shape: dout, ["dout itself", "x's shape"]),
    (_counts, ["missing the upstream factor"]),
    (lambda dout, idx, shape: -index_backward(dout, idx, shape), ["wrong sign"]),
    (lambda dout, idx, shape: index_backward(dout, idx, shape) / len(idx), ["constant factor"]),
    (lambda dout, idx, shape: index_backward(dout, idx, shape).T, ["transposed"]),
    (lambda dout, idx, shape: np.zeros(shape), ["zero everywhere"]),
    (lambda dout, idx, shape: None, ["None"]),
    (lambda dout, idx, shape: "dx", ["not a string"]),
    (lambda dout, idx, shape: np.full(shape, np.inf), ["inf"]),
    (lambda dout, idx, shape: np.zeros(shape) + dout[:4], ["entries differ"]),
    (_raises(RuntimeError("boom")), ["raised RuntimeError"]),
    (lambda dout, idx: dout, ["raised TypeError"]),
]


@pytest.mark.parametrize("wrong, says", INDEX_MISTAKES)
def test_8_5_wrong(wrong, says):
    assert_wrong(check_index_backward, wrong, says=says)


def test_8_5_changing_dout_in_place_is_named():
    def scales(dout, idx, shape):
        dout *= 2
        return index_backward(dout / 2, idx, shape)
    assert_wrong(check_index_backward, scales, says="changed dout in place")


# ---------------------------------------------------------------- messages never give the answer away

@pytest.mark.parametrize("check, wrong", [
    (check_softmax, sum_axis0), (check_cross_entropy, CE_MISTAKES[0][0]),
    (check_ce_backward_stages, STAGE_MISTAKES[13][0]), (check_softmax_ce, FUSED_MISTAKES[0][0]),
    (check_index_backward, _plus_equals),
])
def test_messages_print_no_numbers_of_the_answer(check, wrong):
    """A diagnosis names the symptom and the concept; it never prints the reference's numbers."""
    message = check.evaluate(wrong).message
    assert not re.search(r"\d\.\d{3,}", message), message


# ---------------------------------------------------------------- bad input: one clear line, never a traceback

CHECKS = [check_softmax, check_cross_entropy, check_ce_backward_stages, check_softmax_ce, check_index_backward]
BAD_RESULTS = [None, "p", np.nan, 1 + 2j, [[1.0, 2.0], [3.0]], {}, True, np.inf, 0.0, np.zeros(3), np.zeros((5, 4)),
               np.full((5, 4), np.nan), object(), [..., 1.0], (None, None), (np.zeros((5, 4)),) * 6,
               (np.nan, np.full((5, 4), np.inf)), (1j, 1j * np.ones((5, 4)))]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("result", BAD_RESULTS, ids=lambda r: type(r).__name__)
def test_bad_results_are_rejected_in_one_line(check, result):
    outcome = check.evaluate(lambda *args: result)
    assert outcome.outcome in ("wrong", "not attempted"), outcome.text
    assert "\n" not in outcome.message and "Traceback" not in outcome.message


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("learner, says", [
    ("softmax", "should be a function"), (None, "should be a function"), (lambda: 1.0, "raised TypeError"),
    (_raises(FloatingPointError("overflow")), "raised FloatingPointError"),
])
def test_bad_functions_are_named(check, learner, says):
    assert_wrong(check, learner, says=says)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_a_check_called_without_the_answer_says_what_it_needs(check):
    assert_wrong(check, says="needs what you wrote for this exercise")


# ---------------------------------------------------------------- the notebook and the declarations agree

def test_every_exercise_has_its_heading_and_its_check_cell():
    """Each declared 8.k is headed '### Exercise 8.k — <its title>' in both notebooks, and its check is called."""
    from pathlib import Path

    import nbformat

    from helpers.checks import registry
    root = Path(__file__).resolve().parent.parent
    declared = [e for e in registry() if e.lesson == 8]
    assert [e.id for e in declared] == ["8.1", "8.2", "8.3", "8.4", "8.5"]
    for folder in ("solutions", "notebooks"):
        cells = nbformat.read(root / folder / "08_softmax_cross_entropy.ipynb", as_version=4).cells
        headings = [line for cell in cells if cell.cell_type == "markdown" for line in cell.source.splitlines()
                    if line.startswith("### Exercise")]
        calls = [cell.source.strip() for cell in cells if cell.cell_type == "code" and cell.source.startswith("check_")]
        assert headings == [f"### Exercise {e.id} — {e.title}" for e in declared], folder
        assert [call.split("(")[0] for call in calls] == [e.check for e in declared], folder


def test_8_4_calling_an_unfinished_softmax_is_not_attempted_and_says_which():
    """A learner's softmax_ce may call their softmax (8.1) and cross_entropy (8.2) from the notebook."""
    import linecache
    source = ("def softmax(s):\n    return ...\n"
              "def cross_entropy(p, y):\n    return -np.log(p[np.arange(len(y)), y]).mean()\n"
              "def softmax_ce(s, y):\n    p = softmax(s)\n    L = cross_entropy(p, y)\n"
              "    ds = p.copy()\n    ds[np.arange(len(y)), y] -= 1\n    return L, ds / len(y)\n")
    cell = "<a notebook cell of lesson 8>"                       # as Jupyter does, so the failing line can be read
    linecache.cache[cell] = (len(source), None, source.splitlines(True), cell)
    namespace = {"np": np}
    exec(compile(source, cell, "exec"), namespace)
    result = check_softmax_ce.evaluate(namespace["softmax_ce"])
    assert result.outcome == "not attempted", result.text
    assert "calls your softmax" in result.message and "exercise 8.1" in result.message
