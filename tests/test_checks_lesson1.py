"""Lesson 1 checkers: right answers pass, placeholders are 'not attempted', classic mistakes are named."""
import math

import numpy as np
import pytest

from helpers.checks.lesson1 import (check_max_gradients, check_numerical_derivative, check_prediction,
                                    check_product_partials, check_relu_grad)
from tests.conftest import assert_correct, assert_not_attempted, assert_wrong


# ---------------------------------------------------------------- 1.1 numerical derivative
def centred(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_1_1_right_answer():
    assert_correct(check_numerical_derivative, centred)


def test_1_1_placeholder():
    assert_not_attempted(check_numerical_derivative, lambda f, x, h=1e-5: ...)
    assert_not_attempted(check_numerical_derivative, ...)


@pytest.mark.parametrize("wrong, says", [
    (lambda f, x, h: (f(x + h) - f(x)) / h, "one-sided"),
    (lambda f, x, h: (f(x + h) - f(x - h)) / h, "divide by 2*h"),
    (lambda f, x, h: f(x + h) - f(x - h), "a derivative is a rate"),
    (lambda f, x, h: (f(x) - f(x - h)) / h, "backward difference"),
    (lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h, "operator precedence"),
    (lambda f, x, h: (f(x + h) - f(x - h)) / 2, "not by 2"),
    (lambda f, x, h: (f(x + h) + f(x - h)) / (2 * h), "do not add them"),
    (lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h), "wrong sign"),
    (lambda f, x, h: centred(f, x), "step h that is passed in"),
    (lambda f, x, h: (f(x - 2*h) - 8*f(x - h) + 8*f(x + h) - f(x + 2*h)) / (12*h),
     ["five-point stencil", "more accurate", "asks for the centred difference"]),
    (lambda f, x, h: (f(x + h/2) - f(x - h/2)) / h, ["step of h", "not the one asked"]),
    (lambda f, x, h: ((f(x + h) - f(x - h)) / (2 * h), h), ["returned 2 values", "one number"]),
    (lambda f, x, h: (f(x + h), f(x - h)), ["returned 2 values", "one number"]),
    (lambda f, x, h: None, "forget the `return`"),
    (lambda f, x, h: 1 / 0, "ZeroDivisionError"),
    (lambda f, x, h: "12", "not a string"),
    ("not a function", "should be a function"),
])
def test_1_1_wrong_answers(wrong, says):
    assert_wrong(check_numerical_derivative, wrong, says=says)


# ---------------------------------------------------------------- 1.2 partials of x*y
def test_1_2_right_answer():
    assert_correct(check_product_partials, -3.0, 4.0)
    assert_correct(check_product_partials, np.float64(-3), np.array(4))


def test_1_2_placeholder_and_partial():
    assert_not_attempted(check_product_partials, ..., ...)
    result = check_product_partials.evaluate(-3.0, ...)
    assert result.outcome == "not attempted" and "still to fill in: dfdy" in result.message


@pytest.mark.parametrize("answers, says", [
    ((4.0, -3.0), ["dfdx", "multiply swaps"]),
    ((-12.0, 4.0), "f itself"),
    ((3.0, 4.0), "wrong sign"),
    ((-3.0, -3.0), ["dfdy", "multiply swaps"]),
    ((-3.0, None), "None"),
    ((-3.0, "4"), "string"),
    ((-3.0, float("nan")), "nan"),
    ((-3.0, math.inf), "inf"),
    ((-3.0, [4.0, 4.0]), "shape"),
])
def test_1_2_wrong_answers(answers, says):
    assert_wrong(check_product_partials, *answers, says=says)


# ---------------------------------------------------------------- 1.3 linear prediction
def test_1_3_right_answer():
    assert_correct(check_prediction, -12 + 0.01 * -3 + 0.02 * 4)


def test_1_3_placeholder():
    assert_not_attempted(check_prediction, ...)


@pytest.mark.parametrize("answer, says", [
    (-12 + 0.01 * -3, "only x"),
    (-12 + 0.02 * 4, "only y"),
    (-12 - 3 + 4, "multiplied by its nudge"),
    (-12 + 0.01 * 4 + 0.02 * -3, "its own variable"),
    (-12 + 0.03 - 0.08, "sign"),
    (4.01 * -2.98, "exact new value"),
    (-12 + 0.01 * 4 + 0.02 * -3, "not the value of x"),         # the values of x, y instead of derivatives
    (-12 + 0.01 + 0.02, "multiplied by its variable's derivative"),
    (-12 + 0.01 * (-3 + 4), "not by hx"),
    (0.05, "predicted *change*"),
    (-11.0 + 0.1, "not the right value"),
])
def test_1_3_wrong_answers(answer, says):
    assert_wrong(check_prediction, answer, says=says)


# ---------------------------------------------------------------- 1.4 max gate
def test_1_4_right_answer():
    assert_correct(check_max_gradients, 1, 0, 0.5, 0.5)


def test_1_4_placeholder():
    assert_not_attempted(check_max_gradients, ..., ..., ..., ...)


@pytest.mark.parametrize("answers, says", [
    ((0, 1, 0.5, 0.5), "larger input"),
    ((4, 0, 0.5, 0.5), "x's value"),
    ((1, 2, 0.5, 0.5), "y's value"),
    ((1, 0, 1, 1), ["dfdx_tie", "add up to 2"]),
    ((1, 0, 0, 0.5), "splits the gradient evenly"),
    ((1, 0, 0.5, 1), "shared, not given twice"),
    ((1, 0, 1, 0), ["dfdx_tie", "one valid choice"]),          # all to x at a tie: shares add up to 1, not 2
    ((0.5, 0.5, 0.5, 0.5), ["dfdx", "only a tie splits"]),
    ((1, 0.5, 0.5, 0.5), ["dfdy", "only a tie splits"]),
    ((1, -1, 0.5, 0.5), "not negative"),
    ((1, 0, np.array([1.0]), 1), "single number"),
])
def test_1_4_wrong_answers(answers, says):
    assert_wrong(check_max_gradients, *answers, says=says)


# ---------------------------------------------------------------- 1.5 relu derivative
def test_1_5_right_answer():
    assert_correct(check_relu_grad, lambda x: (x > 0).astype(float))
    assert_correct(check_relu_grad, lambda x: np.where(x > 0, 1.0, 0.0))


def test_1_5_placeholder():
    assert_not_attempted(check_relu_grad, lambda x: ...)


def in_place(x):
    x[x <= 0] = 0.0
    x[x > 0] = 1.0
    return x


@pytest.mark.parametrize("wrong, says", [
    (lambda x: (x >= 0).astype(float), "x > 0, not x >= 0"),
    (lambda x: np.maximum(x, 0), "relu(x) itself"),
    (lambda x: (x < 0).astype(float), "wrong way round"),
    (lambda x: np.ones_like(x), "closed"),
    (lambda x: np.heaviside(x, 0.5), "not ½"),
    (lambda x: np.sign(x), "not −1"),
    (lambda x: x > 0, "True/False"),
    (lambda x: (x > 0).astype(float).ravel(), "shape"),
    (lambda x: (x > 0).astype(float).T, "transposed"),
    (in_place, "in place"),
    (lambda x: [[1]], "shape"),
])
def test_1_5_wrong_answers(wrong, says):
    assert_wrong(check_relu_grad, wrong, says=says)
