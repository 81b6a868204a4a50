"""Checks for lesson 5 — vectorized matmul.

Every check runs the learner's code on copies of small, non-square arrays of
three different sizes — W is 3×5, X is 5×4, so D = W @ X and its upstream
gradient dD are 3×4 — so a transposed gradient, or operands in the wrong order,
cannot pass by accident: either the shapes do not fit or the numbers differ.
The upstream gradient dD is random and far from all ones, so a missing
upstream factor cannot pass either.  References come from the engine
(``Value.__matmul__`` with ``backward(seed=dD)``), never from typed-in numbers.
"""
import dis
import re

import numpy as np

from helpers.compare import as_numbers, close, expect, expect_all
from helpers.engine import Value
from helpers.feedback import NotAttempted, Wrong, call_learner, checker

__all__ = ["check_matmul_backward", "check_dX_entry", "check_matmul_layer", "check_matmul_update",
           "matmul_reference"]

M, N_IN, N_COLS = 3, 5, 4                                         # W is M×N_IN, X is N_IN×N_COLS
LAYER_ARRAYS = ("W", "X", "dW")                                   # what a MatMul keeps as self.<name>
LEARNING_RATES = (0.05, 0.3)                                      # two, so a hard-coded rate shows


def _problem(seed=5):
    """Return seeded (W, X, dD) of shapes (3, 5), (5, 4), (3, 4)."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((M, N_IN))
    X = rng.standard_normal((N_IN, N_COLS))
    dD = rng.standard_normal((M, N_COLS)) * 1.5 + 0.5              # random, nowhere near all ones
    return W, X, dD


def matmul_reference(W, X, dD):
    """Return (D, dW, dX) for D = W @ X with upstream gradient dD, from the engine.

    >>> D, dW, dX = matmul_reference(np.ones((2, 3)), np.ones((3, 4)), np.ones((2, 4)))
    >>> D.shape, dW.shape, dX.shape
    ((2, 4), (2, 3), (3, 4))
    """
    vW, vX = Value(W, name="W"), Value(X, name="X")
    D = vW @ vX
    D.backward(seed=dD)
    return D.data, vW.grad, vX.grad


# ---------------------------------------------------------------- explaining a crash

def _shape_list(shapes):
    return ", ".join(f"{name} is {shape[0]}×{shape[1]}" for name, shape in shapes.items())


def _explain(message, shapes, *, layer=False):
    """Add to a crash message the concept behind it: shapes that do not chain, or `*` for `@`."""
    own = " Use the layer's own arrays (self.W, self.X), not variables from the notebook." if layer else ""
    if "raised" not in message:                                   # not a crash: nothing to add
        return message
    if "could not be broadcast" in message:
        return (f"{message} — `*` is the elementwise product and needs matching shapes; the "
                f"gradients of a matrix product are themselves matrix products: use @.{own}")
    if "matmul: " in message or "not aligned" in message:
        return (f"{message} — in a matrix product the inner sizes must match: (a, b) @ (b, c) gives "
                f"(a, c). Here {_shape_list(shapes)}: write the shapes down and find the one "
                f"arrangement — operand order and which one gets the .T — that fits.{own}")
    if "IndexError" in message:
        return (f"{message} — mind the index order: {_shape_list(shapes)}; an entry W[i, k] has its "
                "row i running over the rows of D and its column k over the rows of X")
    return message


def _call(fn, *args, name, shapes, layer=False, foreign=(), explain=True):
    """call_learner, with crash messages that name the shape or operator mistake.

    ``foreign`` lists names that are not defined inside the learner's function
    (for a layer's backward: W and X, which are self.W and self.X there); a
    crashing line that uses one of them bare is reaching for a notebook variable.
    In a layer's method, a NameError for one of the layer's arrays says to write
    ``self.``; ``explain=False`` adds nothing else to the crash message.
    """
    try:
        return call_learner(fn, *args, name=name)
    except Wrong as error:
        message = re.sub(r"matmul: Input operand \d has a mismatch in its core dimension \d, "
                         r"with gufunc signature \S+ ", "matmul: the inner sizes do not match ", str(error))
        undefined = re.search(r"raised NameError: name '(\w+)' is not defined", message)
        if layer and undefined and undefined.group(1) in LAYER_ARRAYS:
            bare = undefined.group(1)
            raise Wrong(f"{message} — inside {name}, {bare} is not defined: the layer keeps it as "
                        f"self.{bare}") from None
        line = re.search(r"\(line \d+: (.*)\)$", message)
        local_names = getattr(getattr(fn, "__code__", None), "co_varnames", ())
        for bare in (n for n in foreign if n not in local_names):
            if line and re.search(rf"(?<![.\w]){bare}(?!\w)", line.group(1)):
                raise Wrong(f"{message} — this line uses {bare}, which inside {name} is not the layer's "
                            f"array but a variable from the notebook: write self.{bare}") from None
        raise Wrong(_explain(message, shapes, layer=layer) if explain else message) from None


def _unchanged(owner, arrays):
    """Raise Wrong if any (given, original) pair in ``arrays`` differs: the learner changed an input."""
    for name, (given, original) in arrays.items():
        if not (isinstance(given, np.ndarray) and given.shape == original.shape
                and np.array_equal(given, original)):
            raise Wrong(f"{owner} changed {name} in place; it should only read its inputs — "
                        "compute new arrays instead (no -=, *=, or assignment into them)")


def _pair(out, name):
    """Return the two items of a (dW, dX) result, or raise Wrong saying what came back instead."""
    if out is ...:
        raise NotAttempted
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        kind = f"a {type(out).__name__}" if not isinstance(out, (tuple, list)) else f"{len(out)} items"
        raise Wrong(f"{name} should return two arrays, (dW, dX); got {kind}")
    return out


def _swapped(first, second, dW, dX, message):
    """Raise Wrong(message) when the learner's (dW, dX) are really (dX, dW)."""
    try:
        a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    except (TypeError, ValueError):
        return
    if a.shape == dX.shape and b.shape == dW.shape and close(a, dX) and close(b, dW):
        raise Wrong(message)


def _backward_mistakes(W, X, dD):
    """The wrong values the classic matmul-backward mistakes give, with what each one means."""
    D = W @ X
    ones = np.ones_like(dD)
    return {
        "dW": [(ones @ X.T, "it is what you would get if dD were all ones — missing upstream factor: "
                            "the upstream gradient dD must be part of the product"),
               (D @ X.T, "it uses D, the forward value, where dD, the upstream gradient, belongs")],
        "dX": [(W.T @ ones, "it is what you would get if dD were all ones — missing upstream factor: "
                            "the upstream gradient dD must be part of the product"),
               (W.T @ D, "it uses D, the forward value, where dD, the upstream gradient, belongs")],
    }


# ---------------------------------------------------------------- 5.1

@checker("5.1")
def check_matmul_backward(matmul_backward):
    """Check matmul_backward(dD, W, X) -> (dW, dX) on W 3×5, X 5×4, dD 3×4."""
    W, X, dD = _problem()
    given = {"dD": dD.copy(), "W": W.copy(), "X": X.copy()}
    out = _call(matmul_backward, given["dD"], given["W"], given["X"], name="matmul_backward",
                shapes={"dD": dD.shape, "W": W.shape, "X": X.shape})
    dW, dX = _pair(out, "matmul_backward")
    _unchanged("matmul_backward", {k: (given[k], v) for k, v in (("dD", dD), ("W", W), ("X", X))})
    _, ref_dW, ref_dX = matmul_reference(W, X, dD)
    _swapped(dW, dX, ref_dW, ref_dX, "matmul_backward returned the two gradients in the wrong order: "
                                     "return (dW, dX)")
    expect_all({"dW": dW, "dX": dX}, {"dW": ref_dW, "dX": ref_dX},
               mistakes=_backward_mistakes(W, X, dD), backward=False)
    return "dW = dD·Xᵀ (3×5) and dX = Wᵀ·dD (5×4): the only arrangements whose shapes fit"


# ---------------------------------------------------------------- 5.2

@checker("5.2")
def check_dX_entry(dX_entry):
    """Check dX_entry(W, dD, k, j) -> dL/dX[k, j] for every k, j, with W 3×5 and dD 3×4."""
    W, X, dD = _problem(6)
    W_given, dD_given = W.copy(), dD.copy()
    _, _, ref_dX = matmul_reference(W, X, dD)
    shapes = {"W": W.shape, "dD": dD.shape}
    got = np.zeros_like(ref_dX)
    for k, j in np.ndindex(*ref_dX.shape):
        name = f"dX_entry(W, dD, {k}, {j})"
        value = _call(dX_entry, W_given, dD_given, k, j, name="dX_entry", shapes=shapes)
        if value is ...:
            raise NotAttempted
        array = as_numbers(name, value, ())
        if array.shape == (M,) and np.isclose(array.sum(), ref_dX[k, j]):
            raise Wrong(f"{name} returned {M} numbers, one per row i of D, without adding them: "
                        "X[k, j] is used once in every row i, so its gradients add up — return their sum")
        if array.shape != ():
            raise Wrong(f"{name} returned an array of shape {array.shape}; it should return one number, "
                        "the sum over i of scalars")
        got[k, j] = array.item()
        _unchanged("dX_entry", {"W": (W_given, W), "dD": (dD_given, dD)})
    column_sums = np.repeat(W.sum(axis=0)[:, None], N_COLS, axis=1)   # Σ_i W[i, k], no dD
    expect("dX_entry", got, ref_dX, mistakes=[
        (column_sums, "missing upstream factor: each use of X[k, j] sends back its local gradient "
                      "times the upstream gradient of the entry of D it went into"),
        (W[0][:, None] * dD[0][None, :], "it keeps only the first row's term (i = 0); X[k, j] is used in "
                                         "every row i of D, so add the terms for all i"),
        (W[-1][:, None] * dD[-1][None, :], "it keeps only the last row's term — the loop overwrote with = "
                                           "where it should add with +="),
    ])
    return "dL/dX[k, j] = Σ_i W[i, k]·dD[i, j] for all 20 entries — which is (Wᵀ·dD)[k, j]"


# ---------------------------------------------------------------- 5.3 and 5.4

def _layer(MatMul, W):
    """Return MatMul(W) with its methods present, or raise Wrong/NotAttempted."""
    if MatMul is ...:
        raise NotAttempted
    if not isinstance(MatMul, type):
        raise Wrong(f"pass the class itself, check(MatMul), not a {type(MatMul).__name__}")
    layer = call_learner(lambda w: MatMul(w), W, name="MatMul(W)")
    for method in ("forward", "backward", "update"):
        if not callable(getattr(layer, method, None)):
            raise Wrong(f"MatMul has no method {method}(); keep the three methods of the class")
    weights = getattr(layer, "W", None)
    if not isinstance(weights, np.ndarray) or weights.shape != W.shape or not close(weights, W):
        raise Wrong("MatMul(W) should keep a copy of its weights in self.W (the given __init__ does)")
    return layer


@checker("5.3")
def check_matmul_layer(MatMul):
    """Check MatMul(W).forward(X) and .backward(dD) on W 3×5, X 5×4, dD 3×4."""
    W, X, dD = _problem(7)
    W_given, X_given, dD_given = W.copy(), X.copy(), dD.copy()
    shapes = {"self.W": W.shape, "self.X": X.shape, "dD": dD.shape}
    layer = _layer(MatMul, W_given)
    D = _call(layer.forward, X_given, name="forward", shapes=shapes, layer=True)
    _unchanged("forward", {"X": (X_given, X)})
    if not isinstance(getattr(layer, "X", None), np.ndarray):
        raise Wrong("forward did not keep its input in self.X: backward needs it for dW "
                    "(keep the given line self.X = X)")
    dX = _call(layer.backward, dD_given, name="backward", shapes=shapes, layer=True, foreign=("W", "X"))
    _unchanged("backward", {"dD": (dD_given, dD), "the cached input self.X": (X_given, X)})
    if not (isinstance(layer.W, np.ndarray) and layer.W.shape == W.shape and np.array_equal(layer.W, W)):
        raise Wrong("forward or backward changed self.W: they only compute; the weights move in update()")
    dW = getattr(layer, "dW", None)
    ref_D, ref_dW, ref_dX = matmul_reference(W, X, dD)
    _swapped(dW, dX, ref_dW, ref_dX, "backward mixed up the two gradients: dW (kept in self.dW) is "
                                     "the one shaped like W, dX (returned) the one shaped like X")
    mistakes = _backward_mistakes(W, X, dD)
    expect_all({"D": D, "dW": dW, "dX": dX}, {"D": ref_D, "dW": ref_dW, "dX": ref_dX},
               mistakes=mistakes, backward=False)
    # a second round with new numbers: backward must use the input of the latest forward
    _, X2, dD2 = _problem(8)
    layer.W = W.copy()
    _call(layer.forward, X2.copy(), name="forward", shapes=shapes, layer=True)
    dX2 = _call(layer.backward, dD2.copy(), name="backward", shapes=shapes, layer=True, foreign=("W", "X"))
    _, ref_dW2, ref_dX2 = matmul_reference(W, X2, dD2)
    if not (close(np.asarray(layer.dW, dtype=float), ref_dW2) and close(np.asarray(dX2, dtype=float), ref_dX2)):
        raise Wrong("the first forward/backward was right, but a second one on new inputs was not: "
                    "backward must use the X cached by the latest forward (self.X), nothing left over")
    return "forward gives W·X, backward stores dW = dD·Xᵀ and returns dX = Wᵀ·dD"


def _stub(self, lr):
    ...


def _does_nothing(fn):
    """Return True when fn's body is only a docstring and `...` (or `pass`): the untouched placeholder."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    steps = [(i.opname, i.argval) for i in dis.get_instructions(code)]
    return steps == [(i.opname, i.argval) for i in dis.get_instructions(_stub.__code__)]


def _returns_true(fn):
    """Wrap a method that rightly returns None so call_learner does not call it a missing return."""
    def run(*args):
        fn(*args)
        return True
    return run


@checker("5.4")
def check_matmul_update(MatMul):
    """Check MatMul.update(lr): one SGD step W ← W − lr·dW that leaves dW and X alone."""
    if MatMul is not ... and isinstance(MatMul, type) and _does_nothing(getattr(MatMul, "update", None)):
        raise NotAttempted
    W, X, dD = _problem(9)
    _, ref_dW, _ = matmul_reference(W, X, dD)
    for lr in LEARNING_RATES:
        W_given = W.copy()
        layer = _layer(MatMul, W_given)
        layer.X, layer.dW = X.copy(), ref_dW.copy()               # as a backward pass leaves them
        before = layer.W.copy()
        try:
            _call(_returns_true(layer.update), lr, name="update", shapes={}, layer=True, explain=False)
        except Wrong as error:
            if "could not be broadcast" not in str(error):
                raise
            raise Wrong(f"{error} — the step lr·dW must have W's shape, {W.shape}, and self.dW (made by "
                        "backward) has it already: no transpose or product is needed here") from None
        if not np.array_equal(W_given, W):
            raise Wrong("update changed the array passed to MatMul(W); the layer should step its own "
                        "copy, self.W")
        if not (isinstance(layer.dW, np.ndarray) and np.array_equal(layer.dW, ref_dW)):
            raise Wrong("update changed self.dW — the wrong array: the gradient is only read; "
                        "it is self.W that takes the step")
        if not (isinstance(layer.X, np.ndarray) and np.array_equal(layer.X, X)):
            raise Wrong("update changed the cached input self.X — the wrong array: only the weights "
                        "self.W take the step")
        after = as_numbers("self.W after update", layer.W, W.shape)
        if after.shape == W.shape and np.array_equal(after, before):
            raise Wrong("update left self.W unchanged. A line like `W = self.W - ...` only makes a new "
                        "local name: assign to self.W, or subtract in place with self.W -= ...")
        if after.shape != W.shape:
            raise Wrong(f"after update, self.W has shape {after.shape} instead of {W.shape}: "
                        "a step changes the numbers in W, not its shape")
        if close(after, -lr * ref_dW) or close(after, lr * ref_dW):
            raise Wrong("update replaced the weights by the step itself: a step moves W from where it is, "
                        "so the new W is the old W minus lr·dW (self.W -= ...)")
        step = before - after
        if not close(step, lr * ref_dW) and close(step, -lr * ref_dW):
            raise Wrong("update has the wrong sign: the gradient points uphill, where the loss grows; "
                        "gradient descent steps the other way, against it")
        biggest = np.unravel_index(np.argmax(np.abs(ref_dW)), ref_dW.shape)
        ratio = step[biggest] / ref_dW[biggest]
        if not close(step, lr * ref_dW) and close(step, ratio * ref_dW):
            if np.isclose(ratio, 1.0):
                raise Wrong("update takes the whole gradient as its step: scale the step by the "
                            "learning rate lr")
            raise Wrong(f"update stepped by {ratio:.3g}·dW, but lr was {lr:g}: use the learning rate "
                        "passed in as lr, not a fixed number")
        expect("the step update() took (W before − W after)", step, lr * ref_dW, mistakes=[
            (lr * before, "it is lr·W; the step uses the gradient dW, not the weights"),
        ])
    return "W ← W − lr·dW, against the gradient, scaled by lr; dW and X untouched"
