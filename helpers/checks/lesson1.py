"""Exercises of lesson 1 — derivatives as sensitivity.

Each check gets the reference from the engine (``Value``) or from a centred
difference, never from a typed-in number, and lists the misconceptions of its
exercise that no generic diagnosis names.  The harness
(:mod:`helpers.checks.harness`) does the rest.
"""
import math

import numpy as np

from helpers.checks.harness import exercise, run
from helpers.compare import Answer, expect, expect_all, same_numbers
from helpers.engine import Value
from helpers.feedback import Wrong

__all__ = ["check_numerical_derivative", "check_product_partials", "check_prediction",
           "check_max_gradients", "check_relu_grad"]

X, Y = 4.0, -3.0                                                  # the point of exercises 1.2 and 1.3
HX, HY = 0.01, 0.02                                               # the nudges of exercise 1.3


def partials(gate, x=X, y=Y):
    """Return (f, df/dx, df/dy) for f = gate(x, y) (Value.__mul__, Value.maximum), from the engine."""
    vx, vy = Value(x), Value(y)
    f = gate(vx, vy)
    f.backward()
    return f.item(), vx.grad.item(), vy.grad.item()


@exercise("1.1", "a centred difference")
def check_numerical_derivative(numerical_derivative):
    """Check a centred-difference derivative on three functions at a few points."""
    # x**3 last: a five-point stencil is exact on a cubic, so only sin and exp tell it from a fixed step
    cases = [(math.sin, 0.5, "sin"), (math.exp, -1.0, "exp"), (lambda x: x ** 3, 2.0, "x**3")]
    for h in (1e-5, 0.1):
        for f, x, label in cases:
            got = run(numerical_derivative, f, x, h, returns=("the derivative",))["the derivative"]
            if isinstance(got, (tuple, list)):
                raise Wrong(f"numerical_derivative({label}, {x}, h={h}) returned {len(got)} values "
                            f"(a {type(got).__name__}); it must return one number, the estimate of f'(x)")
            centred = (f(x + h) - f(x - h)) / (2 * h)
            expect(f"numerical_derivative({label}, {x}, h={h})", got, centred, mistakes=[
                ((f(x + h) - f(x)) / h,
                 "this is the one-sided difference (f(x+h) - f(x)) / h; use the centred "
                 "(f(x+h) - f(x-h)) / (2h), whose error shrinks like h² instead of h"),
                ((f(x + h) - f(x - h)) / h,
                 "the centred difference spans 2h (from x-h to x+h), so divide by 2*h, not h"),
                (f(x + h) - f(x - h), "divide the difference by 2*h: a derivative is a rate"),
                ((f(x + h) - f(x - h)) / 2 * h,
                 "operator precedence: `/ 2*h` divides by 2 and then multiplies by h; write `/ (2 * h)`"),
                ((f(x + h) - f(x - h)) / 2, "the step h belongs in the denominator too: divide by 2*h, not by 2"),
                ((f(x + h) + f(x - h)) / (2 * h), "subtract the two values, f(x+h) - f(x-h); do not add them"),
                ((f(x) - f(x - h)) / h, "this is the backward difference; use the centred one"),
                ((f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h),
                 "this is the five-point stencil (f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / (12h): a more "
                 "accurate formula (its error shrinks like h⁴), but the exercise asks for the centred "
                 "difference (f(x+h) - f(x-h)) / (2h)"),
                ((f(x + h / 2) - f(x - h / 2)) / h,
                 "this is a centred difference over a step of h (from x-h/2 to x+h/2): valid, but not the "
                 "one asked; the exercise's centred difference spans 2h: (f(x+h) - f(x-h)) / (2h)"),
                ((f(x + 1e-5) - f(x - 1e-5)) / 2e-5 if h != 1e-5 else None,
                 "use the step h that is passed in, not a fixed one"),
            ])
    return "a centred difference, accurate to about h² — right for every test function"


@exercise("1.2", "the partial derivatives of x·y")
def check_product_partials(dfdx, dfdy):
    """Check ∂f/∂x and ∂f/∂y for f = x·y at x = 4, y = −3."""
    f, fx, fy = partials(Value.__mul__)
    swapped = "for f = x·y, ∂f/∂x is y (x's partner), not x itself — multiply swaps"
    return expect_all(
        Answer("dfdx", dfdx, fx, mistakes=[(fy, swapped), (f, "that is f itself, not how fast it changes with x")]),
        Answer("dfdy", dfdy, fy, mistakes=[(fx, "for f = x·y, ∂f/∂y is x, not y — multiply swaps"),
                                           (f, "that is f itself, not how fast it changes with y")]), order=None)


@exercise("1.3", "predicting a nudge")
def check_prediction(f_predicted):
    """Check the first-order prediction of f(x + 0.01, y + 0.02) for f = x·y at (4, −3)."""
    f, fx, fy = partials(Value.__mul__)
    expect("f_predicted", f_predicted, f + HX * fx + HY * fy, mistakes=[
        (f + HX * fx, "you nudged only x; y moves too (by 0.02), so add its share hy·∂f/∂y"),
        (f + HY * fy, "you nudged only y; x moves too (by 0.01), so add its share hx·∂f/∂x"),
        (f + fx + fy, "each partial derivative must be multiplied by its nudge (hx or hy)"),
        (f + HX * fy + HY * fx, "each nudge goes with its own variable's derivative: hx·∂f/∂x + hy·∂f/∂y "
                                "(and ∂f/∂x is a derivative, not the value of x)"),
        (f + HX + HY, "each nudge must be multiplied by its variable's derivative: hx·∂f/∂x + hy·∂f/∂y"),
        (f + HX * (fx + fy), "y is nudged by hy = 0.02, not by hx: each share uses its own variable's nudge"),
        (f - HX * fx - HY * fy, "sign error: f(x+h) ≈ f(x) + h·df/dx, with a plus"),
        ((X + HX) * (Y + HY), "that is the exact new value of f; the exercise asks for the "
                              "straight-line prediction f + hx·∂f/∂x + hy·∂f/∂y"),
        (HX * fx + HY * fy, "that is the predicted *change*; add it to f to predict the new value"),
    ])
    return "the linear prediction is within h² of the true value, as expected"


@exercise("1.4", "max routes the gradient")
def check_max_gradients(dfdx, dfdy, dfdx_tie, dfdy_tie):
    """Check max(x, y) gradients at (4, 2) and at the tie (3, 3), from the engine."""
    (_, gx, gy), (_, tx, ty) = partials(Value.maximum, 4.0, 2.0), partials(Value.maximum, 3.0, 3.0)
    only_tie = "only a tie splits the gradient; at (4, 2) x is strictly larger"
    evenly = "this course splits the gradient evenly at a tie"
    both = same_numbers(dfdy_tie, 1.0) and not isinstance(dfdy_tie, (bool, np.bool_))  # 1 if x ≥ y and 1 if y ≥ x
    x_tie_one = (f"with 1 for both inputs at a tie, the two gradients add up to 2, yet moving both inputs by h "
                 f"moves max by h, not 2h; {evenly}" if both else
                 f"giving x the whole gradient at a tie (1 if x ≥ y) is one valid choice, but {evenly}")
    return expect_all(
        Answer("dfdx", dfdx, gx, mistakes=[(4.0, "that is x's value; a max gate passes the gradient (1 here) to the larger input"),
                     (0.0, "x = 4 is the larger input, so it is the one that gets the gradient"),
                     (0.5, only_tie + ", so it gets the whole gradient")]),
        Answer("dfdy", dfdy, gy, mistakes=[(1.0, "y is the smaller input, so max(x, y) does not change when y moves a little: 0"),
                     (2.0, "that is y's value; the smaller input of a max gets gradient 0"),
                     (0.5, only_tie + ", so y gets nothing"),
                     (-1.0, "raising the smaller input a little does not lower max(x, y): y's gradient "
                            "is 0, not negative")]),
        Answer("dfdx_tie", dfdx_tie, tx, mistakes=[
            (1.0, x_tie_one), (0.0, "at a tie this course splits the gradient evenly between the inputs")]),
        Answer("dfdy_tie", dfdy_tie, ty, mistakes=[
            (1.0, "at a tie the gradient is shared, not given twice: split it evenly"),
            (0.0, "at a tie this course splits the gradient evenly between the inputs")]), order=None)


@exercise("1.5", "the ReLU derivative, 0 included")
def check_relu_grad(relu_grad):
    """Check the ReLU derivative on an array that includes an exact zero."""
    x = np.array([[-2.0, -0.5, 0.0], [0.25, 1.0, 3.0]])
    got = run(relu_grad, x, returns=("relu_grad(x)",))["relu_grad(x)"]
    vx = Value(x)
    vx.relu().sum().backward()                                    # d(sum relu(x))/dx = relu'(x)
    expect("relu_grad(x)", got, vx.grad, mistakes=[
        ((x >= 0).astype(float), "at exactly x = 0 the derivative is undefined; this course uses 0 "
                                 "there (like most libraries), so use x > 0, not x >= 0"),
        (np.maximum(x, 0), "that is relu(x) itself; its derivative is 1 where x > 0 and 0 elsewhere"),
        ((x < 0).astype(float), "the mask is the wrong way round: the slope is 1 where x > 0"),
        (np.ones_like(x), "the slope of relu is 0 for negative x: the gate is closed there"),
        (np.where(x > 0, 1.0, np.where(x == 0, 0.5, 0.0)),
         "at exactly x = 0 this course uses 0 for relu (like most libraries), not ½: the even split is "
         "for a tie between two inputs of max(x, y), and relu's other input is a fixed constant"),
        (np.sign(x), "np.sign gives −1 for negative x, but relu is flat there: its slope is 0, not −1"),
    ])
    return "1 where x > 0, 0 elsewhere — including the convention at exactly 0"
