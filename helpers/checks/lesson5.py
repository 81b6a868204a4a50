"""Exercises of lesson 5 — vectorized matmul.

Every check runs the learner's code on copies of small, non-square arrays of
three different sizes — W is 3×5, X is 5×4, so D = W @ X and its upstream
gradient dD are 3×4 — so a transposed gradient, or operands in the wrong order,
cannot pass by accident: either the shapes do not fit or the numbers differ.
The upstream gradient dD is random and far from all ones, so a missing
upstream factor cannot pass either.  References come from the engine
(``Value.__matmul__`` with ``backward(seed=dD)``), never from typed-in numbers;
the harness names what goes wrong generically (shapes that do not fit, a
transpose, a missing upstream factor, a fork overwritten in a loop, …).
"""
import dis

import numpy as np

from helpers.checks.harness import Answer, exercise, expect_all, run
from helpers.compare import as_numbers, close, expect, same_numbers
from helpers.engine import Value
from helpers.feedback import NotAttempted, Wrong

__all__ = ["check_matmul_backward", "check_dX_entry", "check_matmul_layer", "check_matmul_update",
           "matmul_reference"]



def problem(seed=5):
    """Return seeded (W, X, dD) of shapes (3, 5), (5, 4), (3, 4); dD is nowhere near all ones."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((3, 5)), rng.standard_normal((5, 4)), rng.standard_normal((3, 4)) * 1.5 + 0.5


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


def gradients(W, X, dD, dW, dX):
    """Return the Answers for (dW, dX) of D = W @ X, with the slip only this gate has: D in place of dD."""
    (D, rdW, rdX), ones = matmul_reference(W, X, dD), np.ones_like(dD)
    forward = "it uses D, the forward value, where dD, the upstream gradient, belongs"
    return (Answer("dW", dW, rdW, ((D @ X.T, forward),), upstream=dD, local=ones @ X.T, upstream_name="dD"),
            Answer("dX", dX, rdX, ((W.T @ D, forward),), upstream=dD, local=W.T @ ones, upstream_name="dD"))


# ---------------------------------------------------------------- 5.1 and 5.2

@exercise("5.1", "both gradients by dimension analysis")
def check_matmul_backward(matmul_backward):
    """Check matmul_backward(dD, W, X) -> (dW, dX) on W 3×5, X 5×4, dD 3×4."""
    W, X, dD = problem()
    got = run(matmul_backward, dD, W, X, returns=("dW", "dX"), shapes={"dW": W.shape, "dX": X.shape})
    expect_all(*gradients(W, X, dD, got["dW"], got["dX"]), order=None)
    return "dW = dD·Xᵀ (3×5) and dX = Wᵀ·dD (5×4): the only arrangements whose shapes fit"


@exercise("5.2", "one entry of dX as a sum of scalars")
def check_dX_entry(dX_entry):
    """Check dX_entry(W, dD, k, j) -> dL/dX[k, j] for every k, j, with W 3×5 and dD 3×4."""
    W, X, dD = problem(6)
    got, ref = np.zeros((5, 4)), matmul_reference(W, X, dD)[2]
    for k, j in np.ndindex(*ref.shape):
        name = f"dX_entry(W, dD, {k}, {j})"
        entry = as_numbers(name, run(dX_entry, W, dD, k, j, returns=("entry",), name="dX_entry", hint=(
            "Mind the index order: W is 3×5 and dD is 3×4; in W[i, k] the row i runs over the rows of D, the "
            "column k over the rows of X"))["entry"], ())
        if entry.shape != ():                                     # name the shape, or the sum left undone
            expect(name, entry, ref[k, j], mistakes=[(W[:, k] * dD[:, j], "it holds one number per row i of D, "
                   "without adding them: X[k, j] is used once in every row i, so its gradients add up: return "
                   "their sum")])
        got[k, j] = entry
    rows = tuple((f"D[{i}, j]", W[i][:, None] * dD[i][None, :]) for i in range(3))   # X[k, j]'s use in row i
    expect_all(Answer("dX_entry", got, ref, upstream=dD, local=np.repeat(W.sum(axis=0)[:, None], 4, axis=1),
                      upstream_name="dD[i, j]", shares=rows))
    return "dL/dX[k, j] = Σ_i W[i, k]·dD[i, j] for all 20 entries — which is (Wᵀ·dD)[k, j]"


# ---------------------------------------------------------------- 5.3 and 5.4 the MatMul layer

def _layer(MatMul, W):
    """Return MatMul(W) with its methods present, or raise Wrong/NotAttempted."""
    if not isinstance(MatMul, type):
        kind = type(MatMul).__name__
        raise NotAttempted if MatMul is ... else Wrong(f"pass the class itself, check(MatMul), not a {kind}")
    layer, given = run(lambda W: (MatMul(W), W), W, name="MatMul(W)", returns=("layer", "W")).values()
    if missing := [m for m in ("forward", "backward", "update") if not callable(getattr(layer, m, None))]:
        raise Wrong(f"MatMul has no method {missing[0]}(); keep the three methods of the class")
    if not (isinstance(layer.W, np.ndarray) and layer.W.shape == W.shape and close(layer.W, W)):
        raise Wrong("MatMul(W) should keep a copy of its weights in self.W (the given __init__ does)")
    if np.shares_memory(layer.W, given):
        raise Wrong("MatMul(W) keeps the very array passed to it as self.W, so an update would change the array "
                    "passed to MatMul(W): keep a copy, np.array(W, dtype=float), as the given __init__ does")
    return layer


@exercise("5.3", "the MatMul layer")
def check_matmul_layer(MatMul):
    """Check MatMul(W).forward(X) and .backward(dD) on W 3×5, X 5×4, dD 3×4, then again on new inputs."""
    W, X, dD = problem(7)
    layer = _layer(MatMul, W)

    def passes(X, dD):                                            # forward, then backward: D, dW, dX
        D = run(layer.forward, X, returns=("D",), name="forward", shapes={"D": dD.shape})["D"]
        if not isinstance(getattr(layer, "X", None), np.ndarray):
            raise Wrong("forward did not keep its input in self.X: backward needs it for dW (keep the line "
                        "self.X = X)")
        got = run(lambda dD: (layer.backward(dD), getattr(layer, "dW", None)), dD, name="backward",
                  returns=("dX", "dW"), shapes={"dW": W.shape, "dX": X.shape})
        return D, got["dX"], got["dW"]
    D, dX, dW = passes(X, dD)
    if not (isinstance(layer.W, np.ndarray) and layer.W.shape == W.shape and np.array_equal(layer.W, W)):
        raise Wrong("forward or backward changed self.W: they only compute; the weights move in update()")
    expect_all(Answer("D", D, W @ X), *gradients(W, X, dD, dW, dX), order=None)
    _, X2, dD2 = problem(8)                                       # again: backward must use the latest X
    _, dX2, dW2 = passes(X2, dD2)
    if not all(same_numbers(a, b) for a, b in zip((dW2, dX2), matmul_reference(W, X2, dD2)[1:])):
        raise Wrong("the first forward/backward was right, but a second one on new inputs was not: backward "
                    "must use the X cached by the latest forward (self.X), nothing left over")
    return "forward gives W·X, backward stores dW = dD·Xᵀ and returns dX = Wᵀ·dD"


def _steps(fn):
    """Return what ``fn`` does, instruction by instruction (a body of `...` or `pass` does what `None` does)."""
    return [(i.opname, i.argval) for i in dis.get_instructions(fn)] if hasattr(fn, "__code__") else None


@exercise("5.4", "one step of gradient descent")
def check_matmul_update(MatMul):
    """Check MatMul.update(lr): one SGD step W ← W − lr·dW that leaves dW and X alone."""
    if isinstance(MatMul, type) and _steps(getattr(MatMul, "update", None)) == _steps(lambda self, lr: None):
        raise NotAttempted
    W, X, dD = problem(9)
    _, dW, _ = matmul_reference(W, X, dD)
    for lr in (0.05, 0.3):                                        # two, so a hard-coded rate shows
        layer = _layer(MatMul, W)
        layer.X, layer.dW, before = X.copy(), dW.copy(), layer.W.copy()   # as a backward pass leaves them
        run(lambda lr: layer.update(lr) or True, lr, returns=("done",), name="update", hint=(
            "The step lr·dW must have W's shape, and self.dW (made by backward) has it already: no .T needed"))
        for now, then, what in ((layer.dW, dW, "self.dW — the wrong array: the gradient is only read"),
                                (layer.X, X, "the cached input self.X — the wrong array")):
            if not (isinstance(now, np.ndarray) and np.array_equal(now, then)):
                raise Wrong(f"update changed {what}; only the weights self.W take the step")
        ratio = (((before - layer.W) / dW).flat[np.argmax(np.abs(dW))]
                 if isinstance(layer.W, np.ndarray) and layer.W.shape == W.shape else 0.0)
        expect("self.W after update", layer.W, before - lr * dW, mistakes=[
            (before, "update left self.W unchanged. A line like `W = self.W - ...` only makes a new local name: "
                     "assign to self.W, or subtract in place with self.W -= ..."),
            (before - lr * before, "update stepped by lr·W; the step uses the gradient dW, not the weights"),
            *((sign * lr * dW, "update replaced the weights by the step itself: a step moves W from where it is, so "
                               "the new W is the old W minus lr·dW (self.W -= ...)") for sign in (1, -1)),
            (before + lr * dW, "update has the wrong sign: the gradient points uphill, where the loss grows; "
                               "gradient descent steps the other way, against it"),
            (before - dW, "update takes the whole gradient as its step: scale the step by the learning rate lr"),
            (before - ratio * dW, f"update stepped by {ratio:.3g}·dW, but lr was {lr:g}: use the learning rate "
                                  "passed in as lr, not a fixed number")])
    return "W ← W − lr·dW, against the gradient, scaled by lr; dW and X untouched"
