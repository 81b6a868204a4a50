"""Exercises of lesson 7 — putting it together: a two-layer network trained by hand.

The network (:mod:`helpers.network`) is ``x → affine → ReLU → affine → y``
with the L1 loss ``L = Σ |y − t|``.  Every reference here comes from the
engine (:class:`~helpers.engine.Value`) or from an experiment with the
network, never from a backward pass written out by hand; the test data use
shapes whose dimensions all differ (so a transpose cannot pass), random
non-unit upstream gradients (so a missing upstream factor cannot pass) and a
pre-activation exactly 0 (so the ReLU's convention there matters).  The
harness calls the learner's code and names the generic mistakes; what is
left is each exercise's own misconceptions, as (value, sentence) data.
"""
import numpy as np

from helpers.checks.harness import exercise, run
from helpers.checks.lesson6 import affine_answers, relu_mistakes
from helpers.compare import Answer, expect_all
from helpers.engine import Value
from helpers.feedback import NotAttempted, Wrong
from helpers.network import PARAMS, init_params, train

__all__ = ["check_affine_backward", "check_relu_backward", "check_l1_loss", "check_two_layer_backward",
           "check_sgd_step", "check_zero_layer_prediction", "zero_layer_experiment"]

N, D, H, C = 5, 3, 4, 2                                           # all different: a transpose cannot pass
NO_MEAN = "divided by N, but the loss is a plain sum Σ|y − t|: no 1/N appears anywhere in the backward pass"


@exercise("7.1", "backward through an affine layer")
def check_affine_backward(affine_backward):
    """Check (dx, dW, db) for out = x @ W + b with x (5, 3), W (3, 4), b (4,) and a random dout (5, 4)."""
    rng = np.random.default_rng(71)
    x, W, b, dout = rng.normal(size=(N, D)), rng.normal(size=(D, H)), rng.normal(size=H), rng.normal(size=(N, H)) * 1.7
    got = run(affine_backward, dout, (x, W), returns=("dx", "dW", "db"), shapes={"dx": x.shape, "dW": W.shape},
              parts={1: ("x", "W")})
    expect_all(*affine_answers(x, W, b, dout, got), returns=("dx", "dW", "db"))
    return "dx, dW and db match the engine — shapes by dimension analysis, db summed over the batch"


@exercise("7.2", "backward through ReLU")
def check_relu_backward(relu_backward):
    """Check dz for h = relu(z), z (5, 4) with one exact zero, and a random upstream dh of mixed signs."""
    rng = np.random.default_rng(72)
    z, dh = rng.normal(size=(N, H)), rng.normal(size=(N, H)) * 1.3  # dh of both signs: a mask from dh differs
    z[1, 2] = 0.0                                                 # the convention at exactly 0
    got = run(relu_backward, dh, z, returns=("dz",))
    vz = Value(z)
    vz.relu().backward(seed=dh)
    expect_all(Answer("dz", got["dz"], vz.grad, upstream=dh, mistakes=relu_mistakes(dh, z)))
    return "the gradient passes where z > 0 and stops elsewhere (0 at exactly 0)"


@exercise("7.3", "the L1 loss and its gradient")
def check_l1_loss(l1_loss):
    """Check (L, dy) for L = Σ|y − t| with y, t (5, 2), no residual near 0."""
    rng = np.random.default_rng(73)
    y = rng.normal(size=(N, C))
    r = rng.uniform(0.2, 1.5, size=(N, C)) * np.where(rng.random((N, C)) < 0.5, -1.0, 1.0)
    r[0] = [0.8, -0.6]                                            # both signs in every case
    got = run(l1_loss, y, y - r, returns=("loss", "dy"))
    vy = Value(y)
    (loss := (vy - Value(y - r)).abs().sum()).backward()
    a, one = np.abs(r), "the loss is one number: sum |y − t| over every entry, both axes"
    squared, slope = "the squared error; the L1 loss sums |y − t|", "; the slope of |r| is sign(r), +1 or −1"
    expect_all(Answer("loss", got["loss"], loss.item(), mistakes=[
        (a, one), (a.sum(axis=1), one), (a.sum(axis=0), one), (a.mean(), "that is the mean; the loss is the sum"),
        (a.sum() / N, "that divides by N; the loss is the plain sum Σ|y − t|"), ((r ** 2).sum(), squared),
        (r.sum(), "the absolute value is missing: in Σ(y − t) errors of opposite sign cancel"),
        (np.abs(r.sum()), "take |y − t| of each entry, then sum: Σ|y − t|, not |Σ(y − t)|"),
        (a.sum(axis=0).max(), "np.linalg.norm(·, 1) of a matrix is its largest column sum: sum np.abs(y − t)"),
        (np.sqrt((r ** 2).sum()), "that is the Euclidean (L2) norm, np.linalg.norm's default; sum |y − t|"),
        (0.5 * (r ** 2).sum(), "½Σ(y − t)² is " + squared)]),
        Answer("dy", got["dy"], vy.grad, mistakes=[
            (np.sign(-r), "the sign is flipped: d|r|/dr = sign(r) with r = y − t; you used sign(t − y)"),
            (r, "that is y − t, the gradient of the squared loss ½(y − t)²" + slope),
            (2 * r, "that is the gradient of the squared loss" + slope), (-r, "that is t − y" + slope),
            (a, "that is |y − t|, the loss per entry" + slope), (np.sign(r) / N, NO_MEAN),
            (np.sign(r) / r.size, NO_MEAN.replace("by N", "by the number of entries")),
            (np.sign(r).sum(), f"dy holds one gradient per entry of y: it has y's shape {y.shape}"),
            (np.ones_like(r), "the slope of |r| is +1 only where y > t; it is −1 where y < t")]), order=None)
    return "L = Σ|y − t| and dL/dy = sign(y − t), with no 1/N"


@exercise("7.4", "backward through the whole network")
def check_two_layer_backward(two_layer_backward):
    """Check all four parameter gradients of the two-layer net against the engine, for a random dy."""
    rng = np.random.default_rng(740)                              # data on which no two mistakes coincide
    params = dict(init_params(rng, D, H, C), b1=rng.normal(size=H) * 0.5, b2=rng.normal(size=C))
    x, dy = rng.normal(size=(N, D)), rng.normal(size=(N, C)) * 1.4
    params["b1"][2] = -(x @ params["W1"])[3, 2]                   # z[3, 2] = 0 exactly: the convention matters
    z = x @ params["W1"] + params["b1"]
    h, W2 = np.maximum(z, 0), params["W2"]
    grads = run(two_layer_backward, dy, (x, z, h, W2), returns=PARAMS, keyed=True, parts={1: ("x", "z", "h", "W2")},
                shapes={"dW2": W2.shape, "dW1": params["W1"].shape}, uses=(check_affine_backward, check_relu_backward))
    dh, ones = dy @ W2.T, np.ones_like(dy)
    dz = dh * (z > 0)
    wrong_dz = [*relu_mistakes(dh, z), (ones @ W2.T * (z > 0), "dy was left out of dh: it flows through W2 into h"),
                (dz / N, NO_MEAN)]
    got = {"d" + name: grads[name] for name in PARAMS}
    expect_all(*affine_answers(h, W2, params["b2"], dy, got, ("db2", "dW2"), {
        "db": [(dy.sum(axis=0) / N, NO_MEAN)],
        "dW": [(h.T @ dy / N, NO_MEAN), (z.T @ dy, "layer 2's input is h = relu(z), the activation, not z")]}),
               *affine_answers(x, params["W1"], params["b1"], dz, got, ("db1", "dW1"), {
        "db": [(None if v is None else v.sum(axis=0), text) for v, text in wrong_dz],
        "dW": [*((None if v is None else x.T @ v, text) for v, text in wrong_dz),
               (h.T @ dz, "layer 1's input is x, not h"), (z.T @ dz, "layer 1's input is x, not z")]}))
    return "all four gradients match the engine: dW2, db2, then through W2 and the ReLU mask to dW1, db1"


@exercise("7.5", "one SGD step")
def check_sgd_step(sgd_step):
    """Check one SGD step p − lr·dp on every parameter, with lr = 0.05; the arguments must not change."""
    rng = np.random.default_rng(75)
    params = dict(init_params(rng, D, H, C), b1=rng.normal(size=H), b2=rng.normal(size=C))
    grads, lr = {name: rng.normal(size=value.shape) for name, value in params.items()}, 0.05
    new = run(sgd_step, params, grads, lr, returns=PARAMS, keyed=True)
    expect_all(*(Answer(name, new[name], p - lr * g, mistakes=[
        (p + lr * g, "the update has the wrong sign: p + lr·dp climbs the loss; step against the gradient"),
        (p - g, "the learning rate is missing: p − dp takes a full gradient-sized step"),
        (-lr * g, "that is only the step −lr·dp; add it to the current value p"),
        (p, f"{name} did not change: every parameter, biases too, takes the step"),
        (p - g / lr, "divided by the learning rate; multiply: p − lr·dp"),
        (p * (1 - lr * g), "multiplied p by (1 − lr·dp); subtract lr·dp instead")])
        for name, p, g in ((name, params[name], grads[name]) for name in PARAMS)), order=None)
    return "every parameter moved by −lr·gradient, and the old parameters are untouched"


def zero_layer_experiment(seed=76, steps=20, lr=0.01):
    """Return {name: True if it changed} after SGD from an init whose layer 1 (W1, b1) is all zero."""
    rng = np.random.default_rng(seed)
    params = dict(init_params(rng, D, H, C), W1=np.zeros((D, H)))
    new, _ = train(params, rng.normal(size=(4 * N, D)), rng.normal(size=(4 * N, C)) + 1.0, lr=lr, steps=steps)
    return {name: not np.array_equal(new[name], params[name]) for name in PARAMS}


REASONS = {
    "W1": "W1 never changes: z = 0 everywhere, so every ReLU gate is closed (slope 0 at exactly 0) and no "
          "gradient reaches layer 1",
    "b1": "b1 never changes: its gradient is the sum of dz = dh · (z > 0), which is 0 when z = 0",
    "W2": "W2 never changes: its gradient is hᵀ·dy, and h = relu(0) = 0 for every example",
    "b2": "b2 does change: its gradient is the sum of dy = sign(y − t), which does not depend on h — the net can "
          "still learn a constant output",
}


@exercise("7.6", "predict: layer 1 at zero")
def check_zero_layer_prediction(learns):
    """Check the prediction of which parameters ever change when W1 and b1 start at zero."""
    if learns is ... or isinstance(learns, dict) and any(value is ... for value in learns.values()):
        raise NotAttempted
    if not isinstance(learns, dict) or any(name not in learns for name in PARAMS):
        raise Wrong(f"learns should be a dict with True or False for each of {', '.join(PARAMS)}; "
                    f"got {_shown(learns)}")
    for name in PARAMS:
        if not isinstance(learns[name], (bool, np.bool_)):
            quotes = "; write True or False without quotes" if isinstance(learns[name], str) else ""
            raise Wrong(f"learns[{name!r}] is {_shown(learns[name])}; it should be True or False{quotes}")
    wrong = [name for name, moved in zero_layer_experiment().items() if bool(learns[name]) != moved]
    if wrong:
        more = f" ({len(wrong) - 1} more to rethink)" if len(wrong) > 1 else ""
        raise Wrong(f"learns[{wrong[0]!r}] is wrong: {REASONS[wrong[0]]}{more}")
    return "only b2 learns: with layer 1 at zero, the hidden layer outputs 0 and its gates stay shut"


def _shown(value):
    """Return the repr of a short number or text, else what kind of thing ``value`` is: a repr is never cut."""
    if isinstance(value, dict):
        return f"a dict with {', '.join(map(repr, value)) or 'nothing'}"
    short = isinstance(value, (str, int, float)) and len(repr(value)) <= 40
    return repr(value) if short else f"a {type(value).__name__}"
