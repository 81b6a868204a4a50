"""Lesson 5 checkers: right answers pass, placeholders are 'not attempted', classic mistakes are named."""
import numpy as np
import pytest

from helpers.checks.lesson5 import (check_dX_entry, check_matmul_backward, check_matmul_layer,
                                    check_matmul_update, matmul_reference)
from helpers.engine import Value
from helpers.gradcheck import numerical_gradient
from tests.conftest import assert_correct, assert_not_attempted, assert_wrong

NOTEBOOK_X = np.ones((10, 3))                     # a notebook-level array a layer must not reach for


# ---------------------------------------------------------------- the reference itself
def test_reference_matches_numerical_gradients():
    rng = np.random.default_rng(0)
    W, X, dD = rng.standard_normal((3, 5)), rng.standard_normal((5, 4)), rng.standard_normal((3, 4))
    D, dW, dX = matmul_reference(W, X, dD)
    assert np.allclose(D, W @ X)
    assert np.allclose(dW, numerical_gradient(lambda w: np.sum((w @ X) * dD), W), atol=1e-7)
    assert np.allclose(dX, numerical_gradient(lambda x: np.sum((W @ x) * dD), X), atol=1e-7)


# ---------------------------------------------------------------- 5.1 matmul_backward
def matmul_backward(dD, W, X):
    return dD @ X.T, W.T @ dD


def test_5_1_right_answer():
    assert_correct(check_matmul_backward, matmul_backward)
    assert_correct(check_matmul_backward, lambda dD, W, X: [np.dot(dD, X.T), np.dot(W.T, dD)])
    assert_correct(check_matmul_backward, lambda dD, W, X: ((X @ dD.T).T, (dD.T @ W).T))


def test_5_1_placeholder():
    assert_not_attempted(check_matmul_backward, lambda dD, W, X: (..., ...))
    assert_not_attempted(check_matmul_backward, ...)
    result = check_matmul_backward.evaluate(lambda dD, W, X: (dD @ X.T, ...))
    assert result.outcome == "not attempted" and "still to fill in: dX" in result.message


def in_place(dD, W, X):
    dW, dX = dD @ X.T, W.T @ dD
    dD *= 2.0
    return dW, dX


# crashing attempts are functions of their own, so the line a message quotes is the learner's line alone
def dD_X(dD, W, X):
    return dD @ X, W.T @ dD


def X_T_dD(dD, W, X):
    return dD @ X.T, X.T @ dD


def dD_W_T(dD, W, X):
    return dD @ X.T, dD @ W.T


def dot_X_T_dD(dD, W, X):
    return np.dot(X.T, dD), W.T @ dD


def times(dD, W, X):
    return dD * X, W.T * dD


def times_X_T(dD, W, X):
    dW = dD * X.T
    return dW, W.T.dot(dD)


@pytest.mark.parametrize("wrong, says", [
    (lambda dD, W, X: (X @ dD.T, W.T @ dD), ["dW", "transposed", "expected shape (3, 5), got (5, 3)"]),
    (lambda dD, W, X: (dD @ X.T, dD.T @ W), ["dX", "transposed"]),
    (dD_X, ["shapes in a matrix product do not fit", "operand order", "dD is 3×4"]),
    (X_T_dD, ["shapes in a matrix product do not fit", "operand order"]),
    (dD_W_T, ["shapes in a matrix product do not fit", "on line", "(`return dD @ X.T, dD @ W.T`)"]),
    (dot_X_T_dD, ["shapes in a matrix product do not fit", "the result must be dW 3×5, dX 5×4"]),
    (times, ["element by element", "a matrix product is written @"]),
    (times_X_T, ["element by element", "dD is 3×4, X is 5×4"]),
    (lambda dD, W, X: (np.ones_like(dD) @ X.T, W.T @ dD), ["dW", "missing the upstream factor"]),
    (lambda dD, W, X: (dD @ X.T, W.T @ np.ones_like(dD)), ["dX", "missing the upstream factor"]),
    (lambda dD, W, X: ((W @ X) @ X.T, W.T @ dD), "forward value"),
    (lambda dD, W, X: (-(dD @ X.T), W.T @ dD), "wrong sign"),
    (lambda dD, W, X: (2 * dD @ X.T, W.T @ dD), "constant factor"),
    (lambda dD, W, X: (dD @ dD.T, W.T @ dD), ["wrong shape", "expected (3, 5), got (3, 3)",
                                             "dimension 1 should be 5, not 3"]),
    (lambda dD, W, X: (dD @ X.T, W.T @ W), "dimension 1 should be 4, not 5"),
    (lambda dD, W, X: (W.T @ dD, dD @ X.T), "dW and dX are swapped: return them in the order (dW, dX)"),
    (lambda dD, W, X: (dD @ X.T, W.T @ dD + 0.1), ["dX", "entries differ"]),
    (in_place, "changed dD in place"),
    (lambda dD, W, X: dD @ X.T, "should return 2 values, (dW, dX)"),
    (lambda dD, W, X: (dD @ X.T, W.T @ dD, None), "returned 3 values; it should return 2"),
    (lambda dD, W, X: None, "forget the `return`"),
    (lambda dD, W, X: (None, W.T @ dD), "dW is None"),
    (lambda dD, W, X: ([[1.0, 2.0]], W.T @ dD), "shape"),
    (lambda dD, W, X: ("dD @ X.T", W.T @ dD), "not a string"),
    (lambda dD, W, X: (np.full((3, 5), np.nan), W.T @ dD), "nan"),
    (lambda dD, W, X: (Value(dD @ X.T), W.T @ dD), "Value"),
    ("matmul_backward", "should be a function"),
])
def test_5_1_wrong_answers(wrong, says):
    assert_wrong(check_matmul_backward, wrong, says=says)


# ---------------------------------------------------------------- 5.2 dX_entry
def dX_entry(W, dD, k, j):
    total = 0.0
    for i in range(W.shape[0]):
        total += W[i, k] * dD[i, j]
    return total


def overwrites(W, dD, k, j):
    total = 0.0
    for i in range(W.shape[0]):
        total = W[i, k] * dD[i, j]
    return total


def mutates(W, dD, k, j):
    value = dX_entry(W, dD, k, j)
    W[0, 0] = 0.0
    return value


def test_5_2_right_answer():
    assert_correct(check_dX_entry, dX_entry)
    assert_correct(check_dX_entry, lambda W, dD, k, j: (W.T @ dD)[k, j])
    assert_correct(check_dX_entry, lambda W, dD, k, j: np.float64(np.sum(W[:, k] * dD[:, j])))


def test_5_2_placeholder():
    assert_not_attempted(check_dX_entry, lambda W, dD, k, j: ...)
    assert_not_attempted(check_dX_entry, ...)


def rows_for_k(W, dD, k, j):
    return sum(W[k, i] * dD[i, j] for i in range(3))


def dD_j_i(W, dD, k, j):
    return sum(W[i, k] * dD[j, i] for i in range(3))


@pytest.mark.parametrize("wrong, says", [
    (lambda W, dD, k, j: sum(W[i, k] for i in range(3)), "missing the upstream factor"),
    (lambda W, dD, k, j: W[0, k] * dD[0, j], "the shares through D[1, j] and D[2, j] were lost"),
    (overwrites, ["overwritten", "+= is needed"]),
    (rows_for_k, ["indexes past the end of an array", "index order"]),
    (dD_j_i, ["indexes past the end of an array", "index order"]),
    (lambda W, dD, k, j: W[:, k] * dD[:, j], "without adding them"),
    (lambda W, dD, k, j: W.T @ dD, "should be a single number, not an array of shape (5, 4)"),
    (lambda W, dD, k, j: -dX_entry(W, dD, k, j), "wrong sign"),
    (lambda W, dD, k, j: dX_entry(W, dD, k, j) + (k == 2), ["entries differ", "(2, 0)"]),
    (mutates, "changed W in place"),
    (lambda W, dD, k, j: None, "forget the `return`"),
    (lambda W, dD, k, j: float("nan"), "nan"),
    (lambda W, dD, k, j: "0.5", "not a string"),
    (lambda W, dD, k, j: [dX_entry(W, dD, k, j)], "should be a single number"),
])
def test_5_2_wrong_answers(wrong, says):
    assert_wrong(check_dX_entry, wrong, says=says)


# ---------------------------------------------------------------- 5.3 and 5.4 the MatMul layer
class MatMul:
    def __init__(self, W):
        self.W = np.array(W, dtype=float)
        self.X = None
        self.dW = None

    def forward(self, X):
        self.X = X
        D = self.W @ X
        return D

    def backward(self, dD):
        dW = dD @ self.X.T
        dX = self.W.T @ dD
        self.dW = dW
        return dX

    def update(self, lr):
        self.W -= lr * self.dW


class Untouched(MatMul):
    """The exercise notebook's class: every solution region replaced by its placeholder."""

    def forward(self, X):
        self.X = X
        D = ...  # YOUR CODE HERE
        return D

    def backward(self, dD):
        dW = ...  # YOUR CODE HERE
        dX = ...  # YOUR CODE HERE
        self.dW = dW
        return dX

    def update(self, lr):
        """Take one step of gradient descent with learning rate lr."""
        ...  # YOUR CODE HERE


def variant(**methods):
    """Return a MatMul subclass with some methods replaced."""
    return type("MatMul", (MatMul,), methods)


def backward_with(dW_of, dX_of):
    def backward(self, dD):
        self.dW = dW_of(self, dD)
        return dX_of(self, dD)
    return backward


RIGHT_DW = lambda self, dD: dD @ self.X.T                        # noqa: E731
RIGHT_DX = lambda self, dD: self.W.T @ dD                        # noqa: E731


def test_5_3_right_answer():
    assert_correct(check_matmul_layer, MatMul)
    assert_correct(check_matmul_layer, variant(forward=lambda self, X: setattr(self, "X", X) or np.dot(self.W, X)))


def test_5_3_placeholder():
    assert_not_attempted(check_matmul_layer, Untouched)
    assert_not_attempted(check_matmul_layer, ...)
    forward_done = variant(backward=Untouched.backward)
    result = check_matmul_layer.evaluate(forward_done)
    assert result.outcome == "not attempted" and "still to fill in: dW, dX" in result.message


X = NOTEBOOK_X                                   # as in a notebook, where X is also a global name


def global_X(self, dD):
    dW = dD @ X.T
    self.dW = dW
    return self.W.T @ dD


def local_X(self, dD):
    X = self.X
    self.dW = dD @ X
    return self.W.T @ dD


def caches_once(self, X):
    if self.X is None:
        self.X = X
    return self.W @ X


def steps_in_backward(self, dD):
    dX = self.W.T @ dD
    self.dW = dD @ self.X.T
    self.W -= 0.1 * self.dW
    return dX


def bare_W(self, dD):
    self.dW = dD @ self.X.T
    return W.T @ dD                                                # noqa: F821 (the mistake: no global W here)


def undefined_name(self, dD):
    self.dW = dD @ self.X.T
    return self.W.T @ dout                                         # noqa: F821 (not one of the layer's arrays)


def scales_dD(self, dD):
    dD *= 1.0 + 1e-3
    self.dW = dD @ self.X.T
    return self.W.T @ dD


def forward_X_W(self, X):
    self.X = X
    return X @ self.W


def forward_times(self, X):
    self.X = X
    return self.W * X


def dW_of_notebook_X(self, dD):
    self.dW = dD @ NOTEBOOK_X.T
    return self.W.T @ dD


def dW_times(self, dD):
    self.dW = dD * self.X
    return self.W.T @ dD


@pytest.mark.parametrize("wrong, says", [
    (variant(forward=forward_X_W), ["matrix product do not fit", "X is 5×4, self.W is 3×5", "operand order"]),
    (variant(forward=forward_times), ["element by element", "a matrix product is written @"]),
    (variant(forward=lambda self, X: setattr(self, "X", X) or X.T @ self.W.T), ["D", "transposed"]),
    (variant(forward=lambda self, X: None), "forget the `return`"),
    (variant(backward=backward_with(lambda self, dD: self.X @ dD.T, RIGHT_DX)), ["dW", "transposed"]),
    (variant(backward=backward_with(RIGHT_DW, lambda self, dD: dD.T @ self.W)), ["dX", "transposed"]),
    (variant(backward=backward_with(RIGHT_DW, lambda self, dD: self.W.T @ np.ones_like(dD))),
     ["dX", "missing the upstream factor"]),
    (variant(backward=backward_with(lambda self, dD: np.ones_like(dD) @ self.X.T, RIGHT_DX)),
     ["dW", "missing the upstream factor"]),
    (variant(backward=dW_of_notebook_X), ["matrix product do not fit", "NOTEBOOK_X is a variable from the notebook",
                                          "use the object's own arrays (self.W, self.X)"]),
    (variant(backward=dW_times), ["element by element", "dD is 3×4, self.X is 5×4"]),
    (variant(backward=backward_with(lambda self, dD: self.W.T @ dD, lambda self, dD: dD @ self.X.T)),
     "dW and dX are swapped"),
    (variant(backward=backward_with(lambda self, dD: dD @ self.X.T[:, :3], RIGHT_DX)),
     "dimension 1 should be 5, not 3"),
    (variant(backward=global_X), ["on line", "the object's own array is self.X, not X",
                                  "variable from the notebook"]),
    (variant(backward=local_X), ["matrix product do not fit", "operand order"]),
    (variant(backward=bare_W), ["backward uses the name W", "not defined inside it", "write self.W"]),
    (variant(backward=undefined_name), ["backward uses the name dout", "not defined inside it"]),
    (variant(backward=scales_dD), "changed dD in place"),
    (variant(backward=steps_in_backward), "changed self.W"),
    (variant(forward=caches_once), "latest forward"),
    (variant(forward=lambda self, X: self.W @ X), ["did not keep its input in self.X"]),
    (MatMul(np.ones((3, 5))), "pass the class itself"),
])
def test_5_3_wrong_answers(wrong, says):
    assert_wrong(check_matmul_layer, wrong, says=says)


def test_5_4_right_answer():
    assert_correct(check_matmul_update, MatMul)

    def new_array(self, lr):
        self.W = self.W - lr * self.dW
    assert_correct(check_matmul_update, variant(update=new_array))


def test_5_4_placeholder():
    assert_not_attempted(check_matmul_update, Untouched)
    assert_not_attempted(check_matmul_update, ...)

    def passes(self, lr):
        pass
    assert_not_attempted(check_matmul_update, variant(update=passes))


def plus(self, lr):
    self.W += lr * self.dW


def no_lr(self, lr):
    self.W -= self.dW


def fixed_lr(self, lr):
    self.W -= 0.01 * self.dW


def local_name(self, lr):
    W = self.W - lr * self.dW                                      # noqa: F841 (the mistake)


def steps_dW(self, lr):
    self.dW -= lr * self.W


def steps_X(self, lr):
    self.X -= lr * self.X
    self.W -= lr * self.dW


def decays(self, lr):
    self.W -= lr * self.W


def no_copy_init(self, W):
    self.W, self.X, self.dW = W, None, None


def nan_update(self, lr):
    self.W = self.W * np.nan


def to_none(self, lr):
    self.W = None


def crashes(self, lr):
    self.W -= lr * self.grad


def bare_dW(self, lr):
    self.W -= lr * dW                                              # noqa: F821 (the mistake)


def transposed_step(self, lr):
    self.W -= lr * self.dW.T


def replaces(self, lr):
    self.W = lr * self.dW


def replaces_with_minus(self, lr):
    self.W = -lr * self.dW


@pytest.mark.parametrize("wrong, says", [
    (variant(update=plus), "wrong sign"),
    (variant(update=no_lr), ["whole gradient", "learning rate"]),
    (variant(update=fixed_lr), ["stepped by 0.01·dW", "lr was 0.05"]),
    (variant(update=local_name), ["left self.W unchanged", "local name"]),
    (variant(update=steps_dW), ["changed self.dW", "wrong array"]),
    (variant(update=steps_X), ["changed the cached input self.X", "wrong array"]),
    (variant(update=decays), "lr·W"),
    (variant(__init__=no_copy_init), "array passed to MatMul(W)"),
    (variant(update=nan_update), "nan"),
    (variant(update=to_none), "is None"),
    (variant(update=crashes), "update asks for .grad of something that has no such attribute"),
    (variant(update=bare_dW), ["update uses the name dW", "not defined inside it", "write self.dW"]),
    (variant(update=transposed_step), ["could not be broadcast", "self.dW (made by backward) has it already"]),
    (variant(update=replaces), ["replaced the weights by the step", "old W minus"]),
    (variant(update=replaces_with_minus), "replaced the weights by the step"),
    (MatMul(np.ones((3, 5))), "pass the class itself"),
])
def test_5_4_wrong_answers(wrong, says):
    assert_wrong(check_matmul_update, wrong, says=says)


# ---------------------------------------------------------------- bad input: one line each, no traceback
def raises(*args):
    return {}["no such key"]


def string_step(self, lr):
    self.W = "W - lr * dW"


@pytest.mark.parametrize("check, wrong, says", [
    (check_matmul_backward, lambda dD, W, X: None, "forget the `return`"),
    (check_matmul_backward, lambda dD, W, X: (dD @ X.T, "W.T @ dD"), ["dX", "not a string"]),
    (check_matmul_backward, lambda dD, W, X: (dD @ X.T, W.T @ dD * np.nan), ["dX", "nan"]),
    (check_matmul_backward, raises, ["raised KeyError", "on line"]),
    (check_matmul_backward, in_place, "changed dD in place"),
    (check_dX_entry, lambda W, dD, k, j: None, "forget the `return`"),
    (check_dX_entry, lambda W, dD, k, j: "W[i, k] * dD[i, j]", "not a string"),
    (check_dX_entry, lambda W, dD, k, j: np.nan, "nan"),
    (check_dX_entry, raises, "raised KeyError"),
    (check_dX_entry, mutates, "changed W in place"),
    (check_matmul_layer, variant(forward=lambda self, X: None), "forget the `return`"),
    (check_matmul_layer, variant(forward=lambda self, X: setattr(self, "X", X) or "W X"), ["D", "not a string"]),
    (check_matmul_layer, variant(backward=backward_with(RIGHT_DW, lambda self, dD: np.full((5, 4), np.nan))),
     ["dX", "nan"]),
    (check_matmul_layer, variant(backward=raises), "raised KeyError"),
    (check_matmul_layer, variant(backward=scales_dD), "changed dD in place"),
    (check_matmul_update, variant(update=to_none), "is None"),
    (check_matmul_update, variant(update=string_step), "not a string"),
    (check_matmul_update, variant(update=nan_update), "nan"),
    (check_matmul_update, variant(update=raises), "raised KeyError"),
    (check_matmul_update, variant(update=steps_dW), "changed self.dW"),
])
def test_bad_input_is_one_line(check, wrong, says):
    result = assert_wrong(check, wrong, says=says)
    assert "\n" not in result.message and "Traceback" not in result.message


# 5.3: the learner used the layer's own arrays, yet was told to use them
def dW_own_arrays_wrong_order(self, dD):
    dW = self.X.T @ dD
    self.dW = dW
    return self.W.T @ dD


@pytest.mark.parametrize("attempt", [forward_X_W, dW_own_arrays_wrong_order])
def test_5_3_says_use_the_layer_s_arrays_only_when_the_line_does_not(attempt):
    wrong = variant(forward=attempt) if attempt is forward_X_W else variant(backward=attempt)
    result = assert_wrong(check_matmul_layer, wrong, says=["matrix product do not fit", "operand order"])
    assert "notebook" not in result.message and "own arrays" not in result.message
