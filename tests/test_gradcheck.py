"""Numerical gradients: accurate, never mutate inputs, and report in the CS231n bands."""
import numpy as np
import pytest

from helpers.gradcheck import gradcheck, numerical_gradient, rel_error, verdict


def test_numerical_gradient_of_a_quadratic_is_exact_to_rounding():
    a = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    assert rel_error(numerical_gradient(lambda x: np.sum(x ** 2), a), 2 * a) < 1e-9


def test_numerical_gradient_never_changes_the_input():
    a = np.array([1.0, 2.0, 3.0])
    before = a.copy()
    seen = []
    numerical_gradient(lambda x: seen.append(x) or float(np.sum(x)), a)
    assert np.array_equal(a, before)
    assert all(s is not a for s in seen)


def test_numerical_gradient_of_integers_uses_float64():
    grad = numerical_gradient(lambda x: float(np.sum(x * x)), np.array([1, 2]))
    assert grad.dtype == np.float64 and np.allclose(grad, [2, 4])


def test_rel_error_bands():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error(1.0, 1.0 + 1e-9) < 1e-9
    assert verdict(1e-10).startswith("✓")
    assert verdict(1e-5).startswith("~")
    assert verdict(1e-3).startswith("✗ almost")
    assert verdict(0.5) == "✗ wrong"
    assert verdict(float("nan")).startswith("✗")
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.ones(2), np.ones(3))


def matmul_loss(W, X, G):
    return float(np.sum((W @ X) * G))


def setup():
    rng = np.random.default_rng(0)
    W, X = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    G = rng.normal(size=(2, 4))
    return W, X, G


def test_gradcheck_passes_right_gradients_and_prints_one_row_each():
    W, X, G = setup()
    report = gradcheck(lambda W, X: matmul_loss(W, X, G), {"W": W, "X": X}, {"W": G @ X.T, "X": W.T @ G})
    assert report.ok
    lines = repr(report).splitlines()
    assert lines[0].split()[:3] == ["gradient", "shape", "rel."]
    assert lines[1].startswith("W ") and "(2, 3)" in lines[1] and lines[1].endswith("✓ good")
    assert lines[2].startswith("X ") and "(3, 4)" in lines[2]


def test_gradcheck_flags_a_wrong_gradient_with_the_worst_index():
    W, X, G = setup()
    wrong = G @ X.T
    wrong[1, 2] += 0.5
    report = gradcheck(lambda W, X: matmul_loss(W, X, G), {"W": W, "X": X}, {"W": wrong})
    assert not report.ok
    assert "worst at index (1, 2)" in repr(report)


def test_gradcheck_explains_shape_and_name_mistakes():
    W, X, G = setup()
    report = gradcheck(lambda W, X: matmul_loss(W, X, G), {"W": W, "X": X},
                       {"W": (G @ X.T).T, "dX": W.T @ G, "X": "oops"})
    text = repr(report)
    assert "shape (3, 2), but W has shape (2, 3)" in text
    assert "no input called 'dX'" in text
    assert "not an array of numbers" in text


def test_gradcheck_does_not_modify_the_inputs():
    W, X, G = setup()
    before = W.copy()
    gradcheck(lambda W, X: matmul_loss(W, X, G), {"W": W, "X": X}, {"W": G @ X.T})
    assert np.array_equal(W, before)


@pytest.mark.parametrize("f, says", [(None, "needs a function"), (lambda W, X: W @ X, "single number")])
def test_gradcheck_bad_input(f, says):
    W, X, _ = setup()
    with pytest.raises((TypeError, ValueError), match=says):
        gradcheck(f, {"W": W, "X": X}, {"W": W})


def test_gradcheck_needs_dicts():
    with pytest.raises(TypeError, match="dict of name"):
        gradcheck(lambda x: 0.0, [1.0], {"x": 1.0})
