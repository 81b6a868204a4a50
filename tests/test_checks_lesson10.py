"""Tests for lesson 10's checkers: right answers, placeholders, the classic wrong answers, bad input."""
import numpy as np
import pytest

from helpers.checks.lesson10 import (BATCHNORM_GRADS, LAYER_GRADS, LOSS_GRADS, check_batchnorm_backward,
                                     check_fused_backward, check_layers_backward, check_loss_backward,
                                     check_train_step, make_case)
from helpers.training import EPS, PARAMS
from tests.conftest import assert_correct, assert_not_attempted, assert_wrong


# ---------------------------------------------------------------- the lesson's forward pass and right answers

def forward(params, x, y, eps=EPS):
    """The lesson's forward pass in NumPy, returning every intermediate."""
    n = len(y)
    hprebn = x @ params["W1"] + params["b1"]
    bnmean = hprebn.mean(axis=0, keepdims=True)
    bndiff = hprebn - bnmean
    bndiff2 = bndiff ** 2
    bnvar = bndiff2.mean(axis=0, keepdims=True)
    bnvar_inv = (bnvar + eps) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = params["bngain"] * bnraw + params["bnbias"]
    h = np.tanh(hpreact)
    logits = h @ params["W2"] + params["b2"]
    logit_maxes = logits.max(axis=1, keepdims=True)
    norm_logits = logits - logit_maxes
    counts = np.exp(norm_logits)
    counts_sum = counts.sum(axis=1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = np.log(probs)
    loss = -logprobs[np.arange(n), y].mean()
    return dict(params, x=x, y=y, eps=eps, hprebn=hprebn, bnmean=bnmean, bndiff=bndiff, bndiff2=bndiff2,
                bnvar=bnvar, bnvar_inv=bnvar_inv, bnraw=bnraw, hpreact=hpreact, h=h, logits=logits,
                logit_maxes=logit_maxes, norm_logits=norm_logits, counts=counts, counts_sum=counts_sum,
                counts_sum_inv=counts_sum_inv, probs=probs, logprobs=logprobs, loss=loss)


def loss_backward(dloss, cache):
    y, logits, counts, probs = cache["y"], cache["logits"], cache["counts"], cache["probs"]
    counts_sum, counts_sum_inv = cache["counts_sum"], cache["counts_sum_inv"]
    n = len(y)
    dlogprobs = np.zeros_like(probs)
    dlogprobs[np.arange(n), y] = -dloss / n
    dprobs = dlogprobs / probs
    dcounts_sum_inv = (dprobs * counts).sum(axis=1, keepdims=True)
    dcounts = dprobs * counts_sum_inv
    dcounts_sum = -counts_sum ** -2 * dcounts_sum_inv
    dcounts += dcounts_sum
    dnorm_logits = dcounts * counts
    dlogit_maxes = -dnorm_logits.sum(axis=1, keepdims=True)
    dlogits = dnorm_logits + np.eye(logits.shape[1])[logits.argmax(axis=1)] * dlogit_maxes
    return dlogprobs, dprobs, dcounts_sum_inv, dcounts_sum, dcounts, dnorm_logits, dlogit_maxes, dlogits


def layers_backward(dlogits, cache):
    h, W2, bnraw, bngain = cache["h"], cache["W2"], cache["bnraw"], cache["bngain"]
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(axis=0)
    dhpreact = dh * (1 - h ** 2)
    dbngain = (dhpreact * bnraw).sum(axis=0)
    dbnbias = dhpreact.sum(axis=0)
    dbnraw = dhpreact * bngain
    return dh, dW2, db2, dhpreact, dbngain, dbnbias, dbnraw


def batchnorm_backward(dbnraw, cache):
    x, bndiff, bnvar, bnvar_inv, eps = cache["x"], cache["bndiff"], cache["bnvar"], cache["bnvar_inv"], cache["eps"]
    n = len(x)
    dbnvar_inv = (bndiff * dbnraw).sum(axis=0, keepdims=True)
    dbndiff = bnvar_inv * dbnraw
    dbnvar = -0.5 * (bnvar + eps) ** -1.5 * dbnvar_inv
    dbndiff2 = np.ones_like(bndiff) / n * dbnvar
    dbndiff += 2 * bndiff * dbndiff2
    dbnmean = -dbndiff.sum(axis=0, keepdims=True)
    dhprebn = dbndiff + np.ones_like(bndiff) / n * dbnmean
    dW1 = x.T @ dhprebn
    db1 = dhprebn.sum(axis=0)
    return dbnvar_inv, dbnvar, dbndiff2, dbndiff, dbnmean, dhprebn, dW1, db1


def cross_entropy_backward(dloss, cache):
    logits, y = cache["logits"], cache["y"]
    n = len(y)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    dlogits = probs.copy()
    dlogits[np.arange(n), y] -= 1
    return dlogits * dloss / n


def batchnorm_fused_backward(dhpreact, cache):
    bngain, bnraw, bnvar_inv = cache["bngain"], cache["bnraw"], cache["bnvar_inv"]
    n = len(bnraw)
    return bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(axis=0)
                                     - bnraw * (dhpreact * bnraw).sum(axis=0))


def train_step(params, x, y, lr):
    cache = forward(params, x, y)
    dlogits = cross_entropy_backward(1.0, cache)
    _, dW2, db2, dhpreact, dbngain, dbnbias, _ = layers_backward(dlogits, cache)
    dhprebn = batchnorm_fused_backward(dhpreact, cache)
    grads = {"W1": x.T @ dhprebn, "b1": dhprebn.sum(axis=0), "bngain": dbngain, "bnbias": dbnbias,
             "W2": dW2, "b2": db2}
    return cache["loss"], {name: params[name] - lr * grads[name] for name in params}


def with_answer(fn, index, make):
    """Return fn with its result number ``index`` replaced by make(cache, upstream, results)."""
    def wrong(upstream, cache):
        results = list(fn(upstream, cache))
        results[index] = make(cache, upstream, results)
        return tuple(results)
    return wrong


def placeholder(count):
    return lambda *args: tuple([...] * count)


# ---------------------------------------------------------------- the case itself

def test_case_is_forward_of_the_lesson():
    params, x, y, dloss, cache, ref = make_case(0)
    mine = forward(params, x, y)
    for name in ("hprebn", "bnvar_inv", "logits", "probs"):
        np.testing.assert_allclose(mine[name], cache[name])
    assert dloss != 1.0 and len(set(y.tolist())) < len(y)            # non-unit upstream, repeated labels
    assert len({cache["x"].shape, params["W1"].shape, params["W2"].shape, cache["logits"].shape}) == 4


# ---------------------------------------------------------------- 10.1

def test_10_1_right():
    assert_correct(check_loss_backward, loss_backward)


def test_10_1_right_message_has_the_table():
    result = check_loss_backward.evaluate(loss_backward)
    for name in LOSS_GRADS:
        assert f"    {name}" in result.message
    assert "✓ matches the engine" in result.message


def test_10_1_placeholder():
    assert_not_attempted(check_loss_backward, placeholder(len(LOSS_GRADS)))
    assert_not_attempted(check_loss_backward, ...)


def test_10_1_partly_done_says_what_is_left():
    def partial(dloss, cache):
        return loss_backward(dloss, cache)[:2] + (...,) * 6
    result = check_loss_backward.evaluate(partial)
    assert result.outcome == "not attempted"
    assert "dlogprobs, dprobs right so far" in result.message and "dlogits" in result.message


def test_10_1_partly_done_crashing_on_a_placeholder_is_not_attempted():
    def partial(dloss, cache):
        dlogprobs = np.zeros_like(cache["probs"])
        dprobs = ...
        dcounts_sum_inv = (dprobs * cache["counts"]).sum(axis=1, keepdims=True)
        return dlogprobs, dprobs, dcounts_sum_inv, ..., ..., ..., ..., ...
    assert_not_attempted(check_loss_backward, partial)


@pytest.mark.parametrize("index, make, says", [
    (0, lambda c, u, r: r[0] * len(c["y"]), ["dlogprobs", "missing the 1/N"]),
    (0, lambda c, u, r: r[0] / u, ["dlogprobs", "missing the upstream factor"]),
    (0, lambda c, u, r: np.full_like(r[0], -u / len(c["y"])), ["only the entries picked by the labels"]),
    (0, lambda c, u, r: -r[0], ["dlogprobs", "wrong sign"]),
    (1, lambda c, u, r: r[0] * c["probs"], ["dprobs", "divide the upstream gradient by probs"]),
    (2, lambda c, u, r: r[1] * c["counts"], ["dcounts_sum_inv", "broadcast", "axis 1"]),
    (2, lambda c, u, r: (r[1] * c["counts"]).sum(axis=1), ["dcounts_sum_inv", "keepdims"]),
    (3, lambda c, u, r: c["counts_sum"] ** -2 * r[2], ["dcounts_sum", "minus sign"]),
    (4, lambda c, u, r: r[1] * c["counts_sum_inv"], ["dcounts", "overwritten at a fork", "+=", "share through counts_sum was lost"]),
    (5, lambda c, u, r: r[4] * c["norm_logits"], ["dnorm_logits", "exp itself"]),
    (5, lambda c, u, r: r[4], ["dnorm_logits", "exp gate is missing"]),
    (6, lambda c, u, r: r[6].ravel(), ["dlogit_maxes", "keepdims"]),
])
def test_10_1_wrong(index, make, says):
    result = assert_wrong(check_loss_backward, with_answer(loss_backward, index, make), says=says)
    assert "first wrong one in backward order is " + LOSS_GRADS[index] in result.message
    assert "← the first wrong one" in result.message


def test_10_1_a_wrong_upstream_step_is_named_before_the_later_ones():
    bad = with_answer(loss_backward, 1, lambda c, u, r: r[0] * c["probs"])
    result = assert_wrong(check_loss_backward, bad, says="dlogprobs before it is right")
    assert result.message.count("✗") == 1 and result.message.count("✓ matches") == 7

    def propagated(dloss, cache):                                   # every later gradient inherits the slip
        right = loss_backward(dloss, cache)
        wrong_cache = dict(cache, probs=1 / cache["probs"])
        return (right[0],) + loss_backward(dloss, wrong_cache)[1:]
    result = assert_wrong(check_loss_backward, propagated, says="first wrong one in backward order is dprobs")
    assert result.message.count("✗") >= 5 and "dlogprobs       (5, 3)    ✓" in result.message


def test_10_1_alternatives_are_right():
    def with_take_and_where(dloss, cache):
        y, probs, counts = cache["y"], cache["probs"], cache["counts"]
        n, c = probs.shape
        onehot = (np.arange(c)[None, :] == y[:, None]).astype(float)
        dlogprobs = -dloss / n * onehot
        dprobs = dlogprobs / probs
        dcounts_sum_inv = np.einsum("nc,nc->n", dprobs, counts)[:, None]
        dcounts_sum = -(cache["counts_sum_inv"] ** 2) * dcounts_sum_inv
        dcounts = dprobs * cache["counts_sum_inv"] + dcounts_sum
        dnorm_logits = dcounts * np.exp(cache["norm_logits"])
        dlogit_maxes = -np.sum(dnorm_logits, axis=1, keepdims=True)
        winners = cache["logits"] == cache["logit_maxes"]
        dlogits = dnorm_logits + np.where(winners, dlogit_maxes, 0.0)
        return dlogprobs, dprobs, dcounts_sum_inv, dcounts_sum, dcounts, dnorm_logits, dlogit_maxes, dlogits
    assert_correct(check_loss_backward, with_take_and_where)

    def ignoring_the_max(dloss, cache):                              # its gradient is zero up to rounding
        out = list(loss_backward(dloss, cache))
        out[6], out[7] = np.zeros_like(out[6]), out[5]
        return tuple(out)
    assert_correct(check_loss_backward, ignoring_the_max)


@pytest.mark.parametrize("answer, says", [
    (lambda d, c: None, "returned None"),
    (lambda d, c: "dlogits", "should return 8 values"),
    (lambda d, c: (1, 2), "returned 2 values"),
    (lambda d, c: 1 / 0, "ZeroDivisionError"),
    ("not a function", "should be a function"),
])
def test_10_1_bad_input(answer, says):
    assert_wrong(check_loss_backward, answer, says=says)


def test_10_1_nan_and_strings_one_line():
    bad = with_answer(loss_backward, 0, lambda c, u, r: r[0] * np.nan)
    assert_wrong(check_loss_backward, bad, says="nan")
    bad = with_answer(loss_backward, 3, lambda c, u, r: "dcounts_sum")
    assert_wrong(check_loss_backward, bad, says="string")


def test_10_1_changing_the_cache_is_named():
    def in_place(dloss, cache):
        out = loss_backward(dloss, cache)
        cache["probs"] *= 2
        return out
    assert_wrong(check_loss_backward, in_place, says="changed cache['probs'] in place")


# ---------------------------------------------------------------- 10.2

def test_10_2_right():
    assert_correct(check_layers_backward, layers_backward)


def test_10_2_placeholder():
    assert_not_attempted(check_layers_backward, placeholder(len(LAYER_GRADS)))


@pytest.mark.parametrize("index, make, says", [
    (1, lambda c, u, r: u.T @ c["h"], ["dW2", "transposed"]),
    (1, lambda c, u, r: c["hpreact"].T @ u, ["dW2", "not hpreact"]),
    (2, lambda c, u, r: u.mean(axis=0), ["db2", "a mean where a sum belongs"]),
    (2, lambda c, u, r: u, ["db2", "axis 0"]),
    (3, lambda c, u, r: r[0] * (1 - c["hpreact"] ** 2), ["dhpreact", "not 1 − hpreact²"]),
    (3, lambda c, u, r: r[0] * (1 - c["h"]) ** 2, ["dhpreact", "not (1 − h)²"]),
    (3, lambda c, u, r: r[0], ["dhpreact", "skipped the tanh"]),
    (4, lambda c, u, r: r[3].sum(axis=0), ["dbngain", "that is dbnbias"]),
    (4, lambda c, u, r: r[3] * c["bnraw"], ["dbngain", "axis 0"]),
    (5, lambda c, u, r: r[3].sum(axis=0, keepdims=True), ["dbnbias", "extra size-1 axis"]),
    (6, lambda c, u, r: r[3], ["dbnraw", "bngain"]),
])
def test_10_2_wrong(index, make, says):
    result = assert_wrong(check_layers_backward, with_answer(layers_backward, index, make), says=says)
    assert LAYER_GRADS[index] in result.message.split(":")[0]


def test_10_2_product_in_the_wrong_order_gets_dimension_analysis():
    def wrong(dlogits, cache):
        out = list(layers_backward(dlogits, cache))
        W2 = cache["W2"]
        out[0] = dlogits @ W2
        return tuple(out)
    assert_wrong(check_layers_backward, wrong, says=["shapes in a matrix product do not fit", "dh 5×4, dW2 4×3:"])


def test_10_2_alternatives_are_right():
    def other(dlogits, cache):
        h, W2 = cache["h"], cache["W2"]
        dh = np.dot(dlogits, W2.T)
        dW2 = np.einsum("nh,nc->hc", h, dlogits)
        db2 = np.add.reduce(dlogits, axis=0)
        dhpreact = (1.0 - np.tanh(cache["hpreact"]) ** 2) * dh
        dbnbias = sum(dhpreact[i] for i in range(len(dhpreact)))
        dbngain = np.sum(cache["bnraw"] * dhpreact, axis=0)
        dbnraw = cache["bngain"] * dhpreact
        return dh, dW2, db2, dhpreact, dbngain, dbnbias, dbnraw
    assert_correct(check_layers_backward, other)


def test_10_2_bad_input():
    assert_wrong(check_layers_backward, with_answer(layers_backward, 4, lambda c, u, r: None), says="None")
    assert_wrong(check_layers_backward, lambda d, c: layers_backward(d, c)[:6], says="returned 6 values")


# ---------------------------------------------------------------- 10.3

def test_10_3_right():
    assert_correct(check_batchnorm_backward, batchnorm_backward)


def test_10_3_placeholder():
    assert_not_attempted(check_batchnorm_backward, placeholder(len(BATCHNORM_GRADS)))


def _bn(cache):
    return cache["bndiff"], cache["bnvar"], cache["bnvar_inv"], len(cache["x"])


@pytest.mark.parametrize("index, make, says", [
    (0, lambda c, u, r: c["bndiff"] * u, ["dbnvar_inv", "broadcast", "axis 0"]),
    (0, lambda c, u, r: (c["bndiff"] * u).sum(axis=0), ["dbnvar_inv", "size-1 axis was lost"]),
    (1, lambda c, u, r: -0.5 * c["bnvar"] ** -1.5 * r[0], ["dbnvar", "eps"]),
    (1, lambda c, u, r: 0.5 * (c["bnvar"] + c["eps"]) ** -1.5 * r[0], ["dbnvar", "wrong sign"]),
    (2, lambda c, u, r: np.ones_like(c["bndiff"]) * r[1], ["dbndiff2", "dbnvar / N"]),
    (2, lambda c, u, r: np.ones_like(c["bndiff"]) * r[1] / (len(c["x"]) - 1), ["dbndiff2", "N − 1"]),
    (3, lambda c, u, r: c["bnvar_inv"] * u, ["dbndiff", "overwritten at a fork", "share through bndiff2 was lost"]),
    (3, lambda c, u, r: c["bnvar_inv"] * u + c["bndiff"] * r[2], ["dbndiff", "factor 2"]),
    (4, lambda c, u, r: -r[3].mean(axis=0, keepdims=True), ["dbnmean", "a mean where a sum belongs"]),
    (4, lambda c, u, r: r[3].sum(axis=0, keepdims=True), ["dbnmean", "wrong sign"]),
    (5, lambda c, u, r: r[3], ["dhprebn", "overwritten at a fork", "share through bnmean was lost"]),
    (5, lambda c, u, r: r[3] + r[4], ["dhprebn", "not dbnmean"]),
    (6, lambda c, u, r: r[5].T @ c["x"], ["dW1", "transposed"]),
    (6, lambda c, u, r: c["x"].T @ r[3], ["dW1", "not dbndiff"]),
    (7, lambda c, u, r: r[5].sum(axis=1), ["db1", "summed over the wrong axes"]),
])
def test_10_3_wrong(index, make, says):
    result = assert_wrong(check_batchnorm_backward, with_answer(batchnorm_backward, index, make), says=says)
    assert "is " + BATCHNORM_GRADS[index] in result.message.split("\n")[0]


def test_10_3_alternatives_are_right():
    def lines_in_another_order(dbnraw, cache):
        x, bndiff, bnvar, bnvar_inv, eps = (cache[k] for k in ("x", "bndiff", "bnvar", "bnvar_inv", "eps"))
        n = len(x)
        dbnvar_inv = np.sum(dbnraw * bndiff, axis=0, keepdims=True)
        dbnvar = dbnvar_inv * (-0.5) * bnvar_inv ** 3
        dbndiff2 = np.broadcast_to(dbnvar / n, bndiff.shape)
        dbndiff = 2 * bndiff * dbndiff2
        dbndiff = dbndiff + dbnraw * bnvar_inv
        dbnmean = -np.einsum("nh->h", dbndiff)[None, :]
        dhprebn = dbndiff.copy()
        for row in range(n):
            dhprebn[row] += dbnmean[0] / n
        return dbnvar_inv, dbnvar, dbndiff2, dbndiff, dbnmean, dhprebn, np.dot(x.T, dhprebn), dhprebn.sum(0)
    assert_correct(check_batchnorm_backward, lines_in_another_order)


def test_10_3_changing_the_upstream_gradient_is_named():
    def in_place(dbnraw, cache):
        out = batchnorm_backward(dbnraw, cache)
        dbnraw *= 0
        return out
    assert_wrong(check_batchnorm_backward, in_place, says="changed dbnraw in place")


# ---------------------------------------------------------------- 10.4

def test_10_4_right():
    assert_correct(check_fused_backward, cross_entropy_backward, batchnorm_fused_backward)


def test_10_4_placeholder():
    assert_not_attempted(check_fused_backward, ..., ...)
    assert_not_attempted(check_fused_backward, lambda d, c: ..., lambda d, c: ...)


def test_10_4_one_done():
    result = check_fused_backward.evaluate(cross_entropy_backward, lambda d, c: ...)
    assert result.outcome == "not attempted" and "dlogits right so far" in result.message


def _ce(scale=None, minus=True, probs_of=None):
    def fn(dloss, cache):
        logits, y = cache["logits"], cache["y"]
        n = len(y)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = p / p.sum(axis=1, keepdims=True) if probs_of is None else probs_of(logits)
        d = p.copy()
        if minus:
            d[np.arange(n), y] -= 1
        return d * (dloss / n if scale is None else scale(dloss, n))
    return fn


def _bnf(bessel=False, mean=True, var=True, gain=True):
    def fn(dhpreact, cache):
        g, raw, inv = cache["bngain"], cache["bnraw"], cache["bnvar_inv"]
        n = len(raw)
        out = n * dhpreact
        if mean:
            out = out - dhpreact.sum(axis=0)
        if var:
            out = out - (n / (n - 1) if bessel else 1) * raw * (dhpreact * raw).sum(axis=0)
        return (g if gain else 1) * inv / n * out
    return fn


@pytest.mark.parametrize("ce, bnf, says", [
    (_ce(scale=lambda d, n: 1.0), _bnf(), ["dlogits", "dloss / N"]),
    (_ce(scale=lambda d, n: 1.0 / n), _bnf(), ["dlogits", "upstream"]),
    (_ce(minus=False), _bnf(), ["dlogits", "one-hot"]),
    (_ce(probs_of=np.exp), _bnf(), ["dlogits", "softmax"]),
    (cross_entropy_backward, _bnf(bessel=True), ["dhprebn", "Bessel"]),
    (cross_entropy_backward, _bnf(mean=False), ["dhprebn", "term from the mean"]),
    (cross_entropy_backward, _bnf(var=False), ["dhprebn", "term from the variance"]),
    (cross_entropy_backward, _bnf(gain=False), ["dhprebn", "bngain is missing"]),
])
def test_10_4_wrong(ce, bnf, says):
    assert_wrong(check_fused_backward, ce, bnf, says=says)


def test_10_4_alternatives_are_right():
    def softmax_rows(dloss, cache):
        logits, y = cache["logits"], cache["y"]
        e = np.exp(logits)
        onehot = np.eye(logits.shape[1])[y]
        return dloss * (e / e.sum(axis=1, keepdims=True) - onehot) / len(y)

    def from_bndiff(dhpreact, cache):
        bndiff, inv, g = cache["bndiff"], cache["bnvar_inv"], cache["bngain"]
        dxhat = dhpreact * g
        return inv * (dxhat - dxhat.mean(axis=0) - bndiff * inv ** 2 * (dxhat * bndiff).mean(axis=0))
    assert_correct(check_fused_backward, softmax_rows, from_bndiff)


def test_10_4_bad_input():
    assert_wrong(check_fused_backward, lambda d, c: np.zeros((2, 2)), batchnorm_fused_backward,
                 says="dlogits has the wrong shape")
    assert_wrong(check_fused_backward, cross_entropy_backward, lambda d, c: d[:, :1] @ c["bngain"],
                 says="raised ValueError")


# ---------------------------------------------------------------- 10.5

def test_10_5_right():
    assert_correct(check_train_step, train_step)


def test_10_5_placeholder():
    assert_not_attempted(check_train_step, lambda p, x, y, lr: ...)
    assert_not_attempted(check_train_step, lambda p, x, y, lr: (..., ...))
    assert_not_attempted(check_train_step, ...)


def _step(update=None, grads_fix=None):
    def fn(params, x, y, lr):
        cache = forward(params, x, y)
        dlogits = cross_entropy_backward(1.0, cache)
        _, dW2, db2, dhpreact, dbngain, dbnbias, _ = layers_backward(dlogits, cache)
        dhprebn = batchnorm_fused_backward(dhpreact, cache)
        grads = {"W1": x.T @ dhprebn, "b1": dhprebn.sum(axis=0), "bngain": dbngain, "bnbias": dbnbias,
                 "W2": dW2, "b2": db2}
        if grads_fix:
            grads_fix(grads, cache)
        rule = update or (lambda p, g: p - lr * g)
        return cache["loss"], {name: rule(params[name], grads[name]) for name in params}
    return fn


@pytest.mark.parametrize("fn, says", [
    (_step(update=lambda p, g: p + 0.1 * g), "wrong sign"),
    (_step(update=lambda p, g: p - g), "learning rate is missing"),
    (_step(update=lambda p, g: -0.1 * g), "only the step"),
    (_step(grads_fix=lambda g, c: g.update(W2=g["W2"] * 2)), ["gradient that went into it", "dW2"]),
    (_step(grads_fix=lambda g, c: g.update(bngain=g["bnbias"])), ["gradient that went into it", "dbngain"]),
])
def test_10_5_wrong(fn, says):
    assert_wrong(check_train_step, fn, says=says)


def test_10_5_a_frozen_parameter_and_in_place_updates():
    def frozen(params, x, y, lr):
        loss, new = train_step(params, x, y, lr)
        new["W2"] = params["W2"]
        return loss, new
    assert_wrong(check_train_step, frozen, says="W2 did not move")

    def in_place(params, x, y, lr):
        loss, new = train_step(params, x, y, lr)
        for name in params:
            params[name] -= lr * 0 + (params[name] - new[name])
        return loss, params
    assert_wrong(check_train_step, in_place, says="in place")


def test_10_5_bad_input():
    assert_wrong(check_train_step, lambda p, x, y, lr: p, says="should return 2 values")
    assert_wrong(check_train_step, lambda p, x, y, lr: (1.0, [1, 2]), says="dict")
    assert_wrong(check_train_step, lambda p, x, y, lr: (train_step(p, x, y, lr)[0], {"W1": p["W1"]}),
                 says="'b1'")
    assert_wrong(check_train_step, lambda p, x, y, lr: ("loss", train_step(p, x, y, lr)[1]), says="loss")


def test_10_5_staged_gradients_are_right_too():
    def staged(params, x, y, lr):
        cache = forward(params, x, y)
        dlogits = loss_backward(1.0, cache)[-1]
        dh, dW2, db2, dhpreact, dbngain, dbnbias, dbnraw = layers_backward(dlogits, cache)
        *_, dW1, db1 = batchnorm_backward(dbnraw, cache)
        grads = {"W1": dW1, "b1": db1, "bngain": dbngain, "bnbias": dbnbias, "W2": dW2, "b2": db2}
        return cache["loss"], {name: params[name] - lr * grads[name] for name in PARAMS}
    assert_correct(check_train_step, staged)


# ---------------------------------------------------------------- bad input, for every check

CHECKS = {check_loss_backward: len(LOSS_GRADS), check_layers_backward: len(LAYER_GRADS),
          check_batchnorm_backward: len(BATCHNORM_GRADS), check_fused_backward: 1, check_train_step: 2}


def _raises(*args):
    raise RuntimeError("boom")


BAD = [
    (lambda k: (lambda *a: None), "None"),
    (lambda k: (lambda *a: "text"), "str"),
    (lambda k: _raises, "RuntimeError"),
    (lambda k: (lambda *a: tuple([np.full((5, 3), np.nan)] * k) if k > 1 else np.full((5, 3), np.nan)), None),
    (lambda k: (lambda *a: tuple([np.ones((5, 3)) * 1j] * k) if k > 1 else np.ones((5, 3)) * 1j), None),
    (lambda k: (lambda *a: tuple([[[1.0, 2.0], [3.0]]] * k) if k > 1 else [[1.0, 2.0], [3.0]]), None),
    (lambda k: 42, "should be a function"),
]


@pytest.mark.parametrize("check", list(CHECKS), ids=lambda c: c.__name__)
@pytest.mark.parametrize("make, says", BAD)
def test_bad_input_gives_one_clear_line(check, make, says):
    learner = make(CHECKS[check])
    args = (learner, learner) if check is check_fused_backward else (learner,)
    result = check.evaluate(*args)
    assert result.outcome == "wrong", result.text
    assert "Traceback" not in result.message and len(result.message.splitlines()[0]) < 400
    if says:
        assert says in result.message


def test_a_check_called_without_the_answer_says_what_it_needs():
    result = check_fused_backward.evaluate(cross_entropy_backward)
    assert result.outcome == "wrong" and "check_fused_backward(cross_entropy_backward, batchnorm_fused_backward)" \
        in result.message
