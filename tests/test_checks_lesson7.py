"""Lesson 7 checkers: right answers pass, placeholders are 'not attempted', classic mistakes are named."""
import linecache

import numpy as np
import pytest

from helpers.checks.lesson7 import (check_affine_backward, check_l1_loss, check_relu_backward, check_sgd_step,
                                    check_two_layer_backward, check_zero_layer_prediction, zero_layer_experiment)
from tests.conftest import assert_correct, assert_not_attempted, assert_wrong


# ---------------------------------------------------------------- 7.1 affine backward
def affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def test_7_1_right():
    assert_correct(check_affine_backward, affine_backward)
    assert_correct(check_affine_backward, lambda dout, cache: [np.dot(dout, cache[1].T),
                                                               np.dot(cache[0].T, dout), np.sum(dout, 0)])


def test_7_1_placeholder():
    assert_not_attempted(check_affine_backward, lambda dout, cache: (..., ..., ...))
    assert_not_attempted(check_affine_backward, ...)
    result = check_affine_backward.evaluate(lambda dout, cache: (..., ..., dout.sum(axis=0)))
    assert result.outcome == "not attempted" and "still to fill in: dW, dx" in result.message


def dx_untransposed(dout, cache):
    x, W = cache
    return dout @ W, x.T @ dout, dout.sum(axis=0)


def dW_untransposed(dout, cache):
    x, W = cache
    return dout @ W.T, x @ dout, dout.sum(axis=0)


def in_place_affine(dout, cache):
    x, W = cache
    db = dout.sum(axis=0)
    dout *= 1.0
    dout[0] = 0.0
    return dout @ W.T, x.T @ dout, db


@pytest.mark.parametrize("wrong, says", [
    (lambda dout, c: (dout @ c[1].T, dout.T @ c[0], dout.sum(axis=0)),
     ["dW is transposed", "order of the matrix product"]),
    (lambda dout, c: (c[1] @ dout.T, c[0].T @ dout, dout.sum(axis=0)),
     ["dx is transposed", "order of the matrix product"]),
    (dx_untransposed, ["do not fit", "dout is 5×4, W is 3×4", "operand order", "the result must be dx 5×3"]),
    (dW_untransposed, ["do not fit", "x is 5×3", "dW 3×4"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout),
     ["db", "still has the broadcast shape (5, 4)", "axis 0 (N)"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout.sum(axis=1)), "wrong axes"),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout.sum(axis=0, keepdims=True)), "without keepdims"),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout.mean(axis=0)), "a mean where a sum belongs"),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ np.ones_like(dout), dout.sum(axis=0)), ["dW", "upstream factor"]),
    (lambda dout, c: (np.ones_like(dout) @ c[1].T, c[0].T @ dout, dout.sum(axis=0)), ["dx", "upstream factor"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout / len(dout), dout.sum(axis=0)), "divided by N"),
    (lambda dout, c: (dout @ c[1].T, -(c[0].T @ dout), dout.sum(axis=0)), "wrong sign"),
    (lambda dout, c: (c[0].T @ dout, dout @ c[1].T, dout.sum(axis=0)), ["dW and dx are swapped", "(dx, dW, db)"]),
    (in_place_affine, ["changed dout in place", "fork"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout), "it should return 3: (dx, dW, db)"),
    (lambda dout, c: c[0].T @ dout, "returned one array of shape (3, 4)"),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, None), ["db is None"]),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, "db"), "not a string"),
    (lambda dout, c: (dout @ c[1].T, c[0].T @ dout, np.full(4, np.nan)), "nan"),
    (lambda dout, c: (dout @ c[1].T, [[1.0, 2.0]], dout.sum(axis=0)), ["dW has the wrong shape", "(3, 4)"]),
    (lambda dout, c: None, "forget the `return`"),
    ("affine_backward", "should be a function"),
])
def test_7_1_wrong(wrong, says):
    assert_wrong(check_affine_backward, wrong, says=says)


def test_7_1_first_wrong_in_backward_order():
    result = assert_wrong(check_affine_backward,
                          lambda dout, c: (dout @ c[1].T * 2, c[0].T @ dout, dout.sum(axis=0)),
                          says=["dx", "db, dW before it are right"])
    assert "backward order" in result.message


# ---------------------------------------------------------------- 7.2 relu backward
def relu_backward(dout, z):
    return dout * (z > 0)


def test_7_2_right():
    assert_correct(check_relu_backward, relu_backward)
    assert_correct(check_relu_backward, lambda dout, z: np.where(z > 0, dout, 0.0))
    assert_correct(check_relu_backward, lambda dout, z: dout * (np.maximum(z, 0) > 0))   # post-activation mask


def test_7_2_placeholder():
    assert_not_attempted(check_relu_backward, lambda dout, z: ...)


def zero_in_place(dout, z):
    dout[z <= 0] = 0.0
    return dout


@pytest.mark.parametrize("wrong, says", [
    (lambda dout, z: dout * (dout > 0), "sign of the gradient"),
    (lambda dout, z: np.maximum(dout, 0), "sign of the gradient"),
    (lambda dout, z: dout * np.maximum(z, 0), "activation relu(z)"),
    (lambda dout, z: dout * (np.maximum(z, 0) >= 0), "mask is missing"),
    (lambda dout, z: dout * z, "by z itself"),
    (lambda dout, z: (z > 0).astype(float), "missing the upstream factor"),
    (lambda dout, z: dout * (z >= 0), "z >= 0"),
    (lambda dout, z: dout * (z < 0), "backwards"),
    (lambda dout, z: dout, "mask is missing"),
    (lambda dout, z: dout * np.sign(z), ["sign(z)", "not −1"]),
    (lambda dout, z: dout * np.heaviside(z, 0.5), ["exactly z = 0", "not ½"]),
    (lambda dout, z: np.maximum(dout, 0) * (z > 0), ["negative upstream gradients were dropped"]),
    (lambda dout, z: z > 0, ["True/False", "upstream gradient times that mask"]),
    (zero_in_place, ["changed dout in place", "set to 0", "fork"]),
    (lambda dout, z: (dout * (z > 0)).T, ["transposed", "expected shape (5, 4)"]),
    (lambda dout, z: (dout * (z > 0)).sum(axis=0), "shape"),
    (lambda dout, z: "dz", "string"),
])
def test_7_2_wrong(wrong, says):
    assert_wrong(check_relu_backward, wrong, says=says)


# ---------------------------------------------------------------- 7.3 L1 loss
def l1_loss(y, t):
    return np.abs(y - t).sum(), np.sign(y - t)


def test_7_3_right():
    assert_correct(check_l1_loss, l1_loss)
    assert_correct(check_l1_loss, lambda y, t: (float(np.sum(np.abs(y - t))), np.where(y > t, 1.0, -1.0)))


def test_7_3_placeholder():
    assert_not_attempted(check_l1_loss, lambda y, t: (..., ...))
    result = check_l1_loss.evaluate(lambda y, t: (np.abs(y - t).sum(), ...))
    assert result.outcome == "not attempted" and "still to fill in: dy" in result.message


@pytest.mark.parametrize("wrong, says", [
    (lambda y, t: (np.abs(y - t).sum(), np.sign(t - y)), ["sign is flipped", "sign(t − y)"]),
    (lambda y, t: (np.abs(y - t).sum(), y - t), "squared loss"),
    (lambda y, t: (np.abs(y - t).sum(), 2 * (y - t)), "squared loss"),
    (lambda y, t: (np.abs(y - t).sum(), np.abs(y - t)), "loss per entry"),
    (lambda y, t: (np.abs(y - t).sum(), np.sign(y - t) / len(y)), ["divided by N", "plain sum"]),
    (lambda y, t: (np.abs(y - t).sum(), np.sign(y - t) / y.size), "number of entries"),
    (lambda y, t: (np.abs(y - t).sum(), np.ones_like(y)), "−1 where y < t"),
    (lambda y, t: (np.abs(y - t).sum(), np.sign(y - t).sum()), "y's shape"),
    (lambda y, t: (np.abs(y - t).mean(), np.sign(y - t)), ["loss", "mean"]),
    (lambda y, t: (np.abs(y - t).sum() / len(y), np.sign(y - t)), "divides by N"),
    (lambda y, t: ((y - t).sum(), np.sign(y - t)), "absolute value is missing"),
    (lambda y, t: (((y - t) ** 2).sum(), np.sign(y - t)), "squared error"),
    (lambda y, t: (abs((y - t).sum()), np.sign(y - t)), "then sum"),
    (lambda y, t: (np.linalg.norm(y - t, 1), np.sign(y - t)), "largest column sum"),
    (lambda y, t: (np.linalg.norm(y - t), np.sign(y - t)), "Euclidean (L2) norm"),
    (lambda y, t: (0.5 * ((y - t) ** 2).sum(), y - t), "½Σ(y − t)²"),
    (lambda y, t: (np.abs(y - t), np.sign(y - t)), "one number"),
    (lambda y, t: (np.abs(y - t).sum(axis=1), np.sign(y - t)), "both axes"),
    (lambda y, t: np.abs(y - t).sum(), "returned one float64"),
    (lambda y, t: (None, np.sign(y - t)), "loss is None"),
    (lambda y, t: (np.abs(y - t).sum(), np.sign(y - t) * np.nan), "nan"),
])
def test_7_3_wrong(wrong, says):
    assert_wrong(check_l1_loss, wrong, says=says)


# ---------------------------------------------------------------- 7.4 the whole backward pass
def two_layer_backward(dy, cache):
    x, z, h, W2 = cache
    dh = dy @ W2.T
    dz = dh * (z > 0)
    return {"W1": x.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ dy, "b2": dy.sum(axis=0)}


def variant(**changes):
    """Return a two_layer_backward with some steps replaced: each change is a function of the locals."""
    def backward(dy, cache):
        x, z, h, W2 = cache
        v = {"x": x, "z": z, "h": h, "W2": W2, "dy": dy}
        v["dh"] = changes.get("dh", lambda v: v["dy"] @ v["W2"].T)(v)
        v["dz"] = changes.get("dz", lambda v: v["dh"] * (v["z"] > 0))(v)
        return {"W1": changes.get("W1", lambda v: v["x"].T @ v["dz"])(v),
                "b1": changes.get("b1", lambda v: v["dz"].sum(axis=0))(v),
                "W2": changes.get("W2", lambda v: v["h"].T @ v["dy"])(v),
                "b2": changes.get("b2", lambda v: v["dy"].sum(axis=0))(v)}
    return backward


def test_7_4_right():
    assert_correct(check_two_layer_backward, two_layer_backward)
    assert_correct(check_two_layer_backward, variant(dz=lambda v: v["dh"] * (v["h"] > 0)))   # mask from h > 0
    assert_correct(check_two_layer_backward, variant(dz=lambda v: np.where(v["z"] > 0, v["dh"], 0.0)))


def test_7_4_placeholder():
    assert_not_attempted(check_two_layer_backward, lambda dy, cache: {"W1": ..., "b1": ..., "W2": ..., "b2": ...})
    assert_not_attempted(check_two_layer_backward, lambda dy, cache: ...)
    result = check_two_layer_backward.evaluate(variant(W1=lambda v: ..., b1=lambda v: ...))
    assert result.outcome == "not attempted" and "still to fill in: db1, dW1" in result.message


def uses_unfilled_dh(dy, cache):
    x, z, h, W2 = cache
    dW2 = h.T @ dy
    db2 = dy.sum(axis=0)
    dh = ...
    dz = dh * (z > 0)
    return {"W1": x.T @ dz, "b1": dz.sum(axis=0), "W2": dW2, "b2": db2}


def uses_unfilled_dz(dy, cache):
    x, z, h, W2 = cache
    dz = ...
    dW1 = x.T @ dz
    return {"W1": dW1, "b1": ..., "W2": h.T @ dy, "b2": dy.sum(axis=0)}


def test_7_4_a_line_using_a_placeholder_is_not_attempted():
    for backward, name in ((uses_unfilled_dh, "dh"), (uses_unfilled_dz, "dz")):
        result = check_two_layer_backward.evaluate(backward)
        assert result.outcome == "not attempted", result.text
        assert f"{name} is still `...`" in result.message and "in order" in result.message
        assert "Dimension analysis" not in result.message


def real_error_next_to_a_placeholder(dy, cache):
    x, z, h, W2 = cache
    dW2 = h @ dy                                                  # the real mistake: a .T missing
    db1 = ...
    return {"W1": ..., "b1": db1, "W2": dW2, "b2": dy.sum(axis=0)}


def test_7_4_a_real_error_is_still_wrong_when_other_lines_are_unfilled():
    assert_wrong(check_two_layer_backward, real_error_next_to_a_placeholder,
                 says=["do not fit", "h is 5×4, dy is 5×2", "the result must be dW2 4×2"])


def dh_untransposed(dy, cache):
    x, z, h, W2 = cache
    dh = dy @ W2
    dz = dh * (z > 0)
    return {"W1": x.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ dy, "b2": dy.sum(axis=0)}


def mutate_cache(dy, cache):
    x, z, h, W2 = cache
    z[z <= 0] = 0.0
    return two_layer_backward(dy, cache)


@pytest.mark.parametrize("wrong, says", [
    (variant(W2=lambda v: v["dy"].T @ v["h"]), ["dW2 is transposed", "order of the matrix product"]),
    (variant(W2=lambda v: v["z"].T @ v["dy"]), "the activation, not z"),
    (variant(W2=lambda v: v["h"].T @ np.ones_like(v["dy"])), "upstream factor"),
    (variant(b2=lambda v: v["dy"]), ["db2", "still has the broadcast shape", "axis 0 (N)"]),
    (variant(b2=lambda v: v["dy"].sum(axis=1)), "wrong axes"),
    (variant(dz=lambda v: v["dh"]), ["db1", "mask is missing", "db2, dW2 before it are right"]),
    (variant(dz=lambda v: v["dh"] * (v["dh"] > 0)), "sign of the gradient"),
    (variant(dz=lambda v: v["dh"] * v["h"]), "activation relu(z)"),
    (variant(dz=lambda v: v["dh"] * v["z"]), "z itself"),
    (variant(dz=lambda v: v["dh"] * (v["z"] <= 0)), "backwards"),
    (variant(dh=lambda v: np.ones_like(v["dy"]) @ v["W2"].T), "dy was left out"),
    (dh_untransposed, ["do not fit", "dy is 5×2, W2 is 4×2", "(a, b) @ (b, c) gives (a, c)"]),
    (variant(W1=lambda v: v["h"].T @ v["dz"]), "layer 1's input is x"),
    (variant(W1=lambda v: v["dz"].T @ v["x"]), ["W1 is transposed"]),
    (variant(b1=lambda v: v["dz"]), ["db1", "still has the broadcast shape"]),
    (variant(b2=lambda v: v["dy"].sum(axis=0) / len(v["dy"]), W2=lambda v: v["h"].T @ v["dy"] / len(v["dy"])),
     ["b2", "divided by N", "plain sum"]),
    (variant(W2=lambda v: v["h"].T @ v["dy"] / len(v["dy"])), ["dW2", "divided by N", "plain sum"]),
    (variant(dz=lambda v: v["dh"] * (v["z"] > 0) / len(v["dy"])), ["db1", "divided by N", "plain sum"]),
    (variant(b1=lambda v: v["dz"][0]), ["db1", "first row's gradient only"]),
    (variant(dz=lambda v: np.maximum(v["dh"], 0) * (v["z"] > 0)), ["db1", "negative upstream gradients were dropped"]),
    (lambda dy, c: {k: -g for k, g in two_layer_backward(dy, c).items()}, "wrong sign"),
    (mutate_cache, ["changed z (cache[1]) in place", "a ReLU applied in place"]),
    (lambda dy, c: [1, 2, 3, 4], "result should be a dict {'W1': …, 'b1': …, 'W2': …, 'b2': …}"),
    (lambda dy, c: {"dW1": 0, "db1": 0, "dW2": 0, "db2": 0}, "result has no 'W1', 'b1', 'W2', 'b2'"),
    (variant(W1=lambda v: None), "dW1 is None"),
])
def test_7_4_wrong(wrong, says):
    assert_wrong(check_two_layer_backward, wrong, says=says)


# ---------------------------------------------------------------- 7.5 SGD step
def sgd_step(params, grads, lr):
    return {name: params[name] - lr * grads[name] for name in params}


def test_7_5_right():
    assert_correct(check_sgd_step, sgd_step)
    assert_correct(check_sgd_step, lambda params, grads, lr: {k: np.subtract(params[k], lr * grads[k]) for k in grads})


def test_7_5_placeholder():
    assert_not_attempted(check_sgd_step, lambda p, g, lr: ...)


def in_place_sgd(params, grads, lr):
    for name in params:
        params[name] -= lr * grads[name]
    return params


def shallow_copy_sgd(params, grads, lr):
    new = params.copy()
    for name in new:
        new[name] -= lr * grads[name]
    return new


def only_weights(params, grads, lr):
    return {name: params[name] - lr * grads[name] if name.startswith("W") else params[name] for name in params}


@pytest.mark.parametrize("wrong, says", [
    (lambda p, g, lr: {k: p[k] + lr * g[k] for k in p}, ["wrong sign", "climbs"]),
    (lambda p, g, lr: {k: p[k] - g[k] for k in p}, "learning rate is missing"),
    (lambda p, g, lr: {k: -lr * g[k] for k in p}, "only the step"),
    (lambda p, g, lr: {k: p[k] - g[k] / lr for k in p}, "divided by the learning rate"),
    (only_weights, ["b1 did not change", "biases too"]),
    (in_place_sgd, ["changed params['W1'] in place", "-="]),
    (shallow_copy_sgd, ["changed params['W1'] in place", "(params.copy(), dict(params)) shares its arrays"]),
    (lambda p, g, lr: [p[k] - lr * g[k] for k in p], "result should be a dict"),
    (lambda p, g, lr: {k: p[k] - lr * g[k] for k in ("W1", "W2")},
     ["has no 'b1', 'b2'", "every one of W1, b1, W2, b2"]),
    (lambda p, g, lr: {k: (p[k] - lr * g[k]).T for k in p}, "transposed"),
    (lambda p, g, lr: {k: None for k in p}, "None"),
])
def test_7_5_wrong(wrong, says):
    assert_wrong(check_sgd_step, wrong, says=says)


# ---------------------------------------------------------------- 7.6 which parameters learn?
RIGHT = {"W1": False, "b1": False, "W2": False, "b2": True}


def test_7_6_experiment_matches_the_explanations():
    assert zero_layer_experiment() == RIGHT


def test_7_6_right():
    assert_correct(check_zero_layer_prediction, dict(RIGHT))
    assert_correct(check_zero_layer_prediction, {k: np.bool_(v) for k, v in RIGHT.items()})


def test_7_6_placeholder():
    assert_not_attempted(check_zero_layer_prediction, ...)
    assert_not_attempted(check_zero_layer_prediction, {"W1": ..., "b1": False, "W2": False, "b2": True})


@pytest.mark.parametrize("answer, says", [
    ({**RIGHT, "W1": True}, ["W1", "gate is closed"]),
    ({**RIGHT, "b1": True}, ["b1", "is 0 when z = 0"]),
    ({**RIGHT, "W2": True}, ["W2", "h = relu(0) = 0"]),
    ({**RIGHT, "b2": False}, ["b2 does change", "constant output"]),
    ({"W1": True, "b1": True, "W2": True, "b2": True}, ["W1", "2 more to rethink"]),
    ({**RIGHT, "W2": "False"}, "without quotes"),
    ({**RIGHT, "b2": 1}, "True or False"),
    ({"W1": False, "b2": True}, ["for each of W1, b1, W2, b2", "got a dict with 'W1', 'b2'"]),
    ([False, False, False, True], "should be a dict"),
])
def test_7_6_wrong(answer, says):
    assert_wrong(check_zero_layer_prediction, answer, says=says)


# ---------------------------------------------------------------- bad input, every checker
CHECKERS = [(check_affine_backward, 3), (check_relu_backward, 1), (check_l1_loss, 2),
            (check_two_layer_backward, "dict"), (check_sgd_step, "dict")]


def returning(value, count):
    if count == "dict":
        return lambda *args: {name: value for name in ("W1", "b1", "W2", "b2")}
    return lambda *args: value if count == 1 else (value,) * count


def doubles_its_first_argument(first, *rest):
    if isinstance(first, dict):
        first["W1"] *= 2.0
    else:
        first *= 2.0


@pytest.mark.parametrize("check, count", CHECKERS)
@pytest.mark.parametrize("make, says", [
    (lambda count: returning(None, count), "None"),
    (lambda count: returning("0.5", count), "not a string"),
    (lambda count: returning(np.nan, count), "contains nan"),
    (lambda count: lambda *args: 1 / 0, "raised ZeroDivisionError"),
    (lambda count: doubles_its_first_argument, "changed first"),
])
def test_bad_input_gets_one_line(check, count, make, says):
    result = assert_wrong(check, make(count), says=says)
    assert "\n" not in result.message and "Traceback" not in result.message


@pytest.mark.parametrize("bad, says", [(None, "got a NoneType"), ("W1", "got 'W1'"),
                                       (np.nan, "got nan"), (print, "got a builtin_function_or_method"),
                                       ({**RIGHT, "b1": np.nan}, "it should be True or False")])
def test_7_6_bad_input_gets_one_line(bad, says):
    result = assert_wrong(check_zero_layer_prediction, bad, says=says)
    assert "\n" not in result.message and "Traceback" not in result.message


# ---------------------------------------------------------------- learners' reports
def following_the_hints(dy, cache):
    """A learner's 7.4 written from the exercise's text and hints: affine_backward for layer 2, two lines for layer 1."""
    x, z, h, W2 = cache
    dh, dW2, db2 = affine_backward(dy, (h, W2))
    dz = relu_backward(dh, z)
    dW1 = x.T @ dz
    db1 = dz.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def layer_1_through_affine_backward(dy, cache):
    """What the old hint 3 led to: layer 1 through affine_backward, with a W1 that the cache does not hold."""
    x, z, h, W2 = cache
    dh, dW2, db2 = affine_backward(dy, (h, W2))
    dz = relu_backward(dh, z)
    dx, dW1, db1 = affine_backward(dz, (x, W1))  # noqa: F821 (the learner's NameError)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def test_7_4_following_the_hints_works():
    assert_correct(check_two_layer_backward, following_the_hints)
    assert_wrong(check_two_layer_backward, layer_1_through_affine_backward,
                 says=["uses the name W1, which is not defined inside it", "cache"])


UNFINISHED_7_1 = '''
import numpy as np

def affine_backward(dout, cache):
    x, W = cache
    dx = ...  # YOUR CODE HERE
    dW = ...  # YOUR CODE HERE
    db = ...  # YOUR CODE HERE
    return dx, dW, db

def relu_backward(dout, cache):
    z = cache
    dz = dout * (z > 0)
    return dz

def two_layer_backward(dy, cache):
    x, z, h, W2 = cache
    dh, dW2, db2 = affine_backward(dy, (h, W2))
    dz = relu_backward(dh, z)
    dW1 = x.T @ dz
    db1 = dz.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''


@pytest.mark.parametrize("unfinished, exercise", [("affine_backward", "7.1"), ("relu_backward", "7.2")])
def test_7_4_names_the_unfinished_exercise_it_calls(unfinished, exercise):
    source = UNFINISHED_7_1
    if unfinished == "relu_backward":                             # 7.1 done, 7.2 still the placeholder
        source = source.replace("dx = ...  # YOUR CODE HERE", "dx = dout @ W.T").replace(
            "dW = ...  # YOUR CODE HERE", "dW = x.T @ dout").replace("db = ...  # YOUR CODE HERE", "db = dout.sum(0)")
        source = source.replace("dz = dout * (z > 0)", "dz = ...  # YOUR CODE HERE")
    linecache.cache["<cell>"] = (len(source), None, source.splitlines(True), "<cell>")   # as IPython does
    notebook = {}
    exec(compile(source, "<cell>", "exec"), notebook)
    result = check_two_layer_backward.evaluate(notebook["two_layer_backward"])
    assert result.outcome == "not attempted", result.text
    assert f"calls your {unfinished}, which is still unfinished: fill in exercise {exercise}" in result.message
    assert "cell above" not in result.message


def test_7_4_its_own_placeholders_still_say_what_is_left():
    result = check_two_layer_backward.evaluate(variant(W1=lambda v: ..., b1=lambda v: ...))
    assert result.outcome == "not attempted" and "still to fill in: db1, dW1" in result.message


def mask_z_at_least_0(dy, cache):
    """A learner's 7.4 whose ReLU mask opens the gate at exactly z = 0."""
    x, z, h, W2 = cache
    dW2 = h.T @ dy
    db2 = dy.sum(axis=0)
    dh = dy @ W2.T
    dz = dh * (z >= 0)
    dW1 = x.T @ dz
    db1 = dz.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def test_7_4_the_convention_at_exactly_0_matters():
    assert_wrong(check_two_layer_backward, mask_z_at_least_0, says=["db1", "at exactly z = 0", "not z >= 0"])


def test_7_1_names_b_as_what_was_broadcast():
    result = assert_wrong(check_affine_backward, lambda dout, c: (dout @ c[1].T, c[0].T @ dout, dout.sum(axis=1)),
                          says=["db is summed over the wrong axes", "but b (shape (4,)) was broadcast along axis 0"])
    assert "db (shape" not in result.message


@pytest.mark.parametrize("value", [lambda: False, np.zeros, object(), "a very long answer that goes on and on " * 3])
def test_7_6_never_cuts_a_repr(value):
    result = assert_wrong(check_zero_layer_prediction, {**RIGHT, "W2": value}, says="learns['W2'] is a ")
    assert "0x" not in result.message and "<" not in result.message
