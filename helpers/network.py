"""The course's two-layer network and the experiments of lesson 7.

The network is ``x → affine → ReLU → affine → y`` with the L1 loss::

    z = x @ W1 + b1        x (N, D), W1 (D, H), b1 (H,)
    h = relu(z)            z, h (N, H)
    y = h @ W2 + b2        W2 (H, C), b2 (C,), y (N, C)
    L = Σ |y − t|          t (N, C)

Its gradients come from the engine (:class:`~helpers.engine.Value`): the
backward pass by hand is what the lesson's exercises ask for, so this module
holds none.  Training, the kink counter and the dead-unit finder build on
:func:`engine_grads`, so a learner who skipped an exercise can still run every
experiment.

>>> rng = np.random.default_rng(0)
>>> params = init_params(rng, 3, 4, 2)
>>> x, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
>>> loss, grads = engine_grads(params, x, t)
>>> sorted(grads), grads["W1"].shape, round(loss, 6) == round(net_loss(params, x, t), 6)
(['W1', 'W2', 'b1', 'b2'], (3, 4), True)
"""
import numpy as np

from helpers.engine import Value

__all__ = ["PARAMS", "init_params", "net_forward", "net_loss", "net_in_engine", "engine_grads", "train",
           "kink_crossings", "dead_units"]

PARAMS = ("W1", "b1", "W2", "b2")


def init_params(rng, d, h, c):
    """Return random parameters {W1 (d, h), b1 (h,), W2 (h, c), b2 (c,)}: weights ~ N(0, 1/fan-in), biases 0.

    >>> p = init_params(np.random.default_rng(0), 3, 4, 2)
    >>> [p[k].shape for k in PARAMS]
    [(3, 4), (4,), (4, 2), (2,)]
    """
    return {"W1": rng.normal(0.0, 1 / np.sqrt(d), size=(d, h)), "b1": np.zeros(h),
            "W2": rng.normal(0.0, 1 / np.sqrt(h), size=(h, c)), "b2": np.zeros(c)}


def net_forward(params, x, *, leak=0.0):
    """Return (y, z): the outputs y (N, C) and the hidden pre-activations z (N, H).

    ``leak`` > 0 gives a leaky ReLU: slope ``leak`` instead of 0 where z ≤ 0.
    """
    z = x @ params["W1"] + params["b1"]
    return np.where(z > 0, z, leak * z) @ params["W2"] + params["b2"], z


def net_loss(params, x, t, *, leak=0.0):
    """Return the loss L = Σ |y − t| as a float."""
    return float(np.abs(net_forward(params, x, leak=leak)[0] - t).sum())


def net_in_engine(params, x, t, *, leak=0.0):
    """Build the network with the engine; return (L as a Value, {name: parameter Value})."""
    p = {name: Value(params[name], name=name) for name in PARAMS}
    z = (Value(x, name="x") @ p["W1"] + p["b1"]).named("z")
    h = (z.relu() - leak * (-z).relu() if leak else z.relu()).named("h")   # leaky: z, or leak·z where z < 0
    y = (h @ p["W2"] + p["b2"]).named("y")
    return (y - Value(t, name="t")).abs().sum().named("L"), p


def engine_grads(params, x, t, *, leak=0.0):
    """Return (L, {name: dL/dname}) for the network, computed by the engine's backward()."""
    loss, p = net_in_engine(params, x, t, leak=leak)
    loss.backward()
    return loss.item(), {name: p[name].grad for name in PARAMS}


def train(params, x, t, *, lr, steps, batch=None, leak=0.0, seed=0, every=None):
    """Run SGD from ``params``; return (new params, [(step, loss on all of x)]).

    Each step uses ``batch`` examples drawn without replacement from a seeded
    generator (all of them when ``batch`` is None).  The loss is recorded every
    ``every`` steps (and after the last step).  ``params`` is left as it was.
    """
    rng = np.random.default_rng(seed)
    params = {name: np.array(params[name], dtype=np.float64) for name in PARAMS}
    history = []
    for step in range(steps + 1):
        if every and (step % every == 0 or step == steps):
            history.append((step, net_loss(params, x, t, leak=leak)))
        if step == steps:
            return params, history
        rows = slice(None) if batch is None else rng.choice(len(x), size=batch, replace=False)
        _, grads = engine_grads(params, x[rows], t[rows], leak=leak)
        params = {name: params[name] - lr * grads[name] for name in PARAMS}


def kink_crossings(params, x, t, *, h=1e-5):
    """Return the nudges (name, index, ±h) of a gradient check that flip the sign of some z or y − t.

    A centred difference across a kink of relu or abs measures a blend of two
    slopes, not the gradient; when this returns [], no nudge crosses a kink.
    """
    def signs(p):
        y, z = net_forward(p, x)
        return np.sign(z), np.sign(y - t)
    base, found = signs(params), []
    for name in PARAMS:
        for index in np.ndindex(params[name].shape):
            for step in (h, -h):
                nudged = dict(params, **{name: params[name].copy()})
                nudged[name][index] += step
                if any(not np.array_equal(a, b) for a, b in zip(signs(nudged), base)):
                    found.append((name, index, step))
    return found


def dead_units(params, x, *, leak=0.0):
    """Return the indices of hidden units whose pre-activation z is ≤ 0 for every row of x."""
    return [int(j) for j in np.flatnonzero(np.all(net_forward(params, x, leak=leak)[1] <= 0, axis=0))]
