"""Checks for lesson 7 — putting it together: a two-layer network trained by hand.

The network is ``x → affine → ReLU → affine → y`` with the L1 loss
``L = Σ |y − t|``::

    z = x @ W1 + b1        x (N, D), W1 (D, H), b1 (H,)
    h = relu(z)            z, h (N, H)
    y = h @ W2 + b2        W2 (H, C), b2 (C,), y (N, C)
    L = Σ |y − t|          t (N, C); dL/dy = sign(y − t)

This module holds the lesson's checkers and, next to them, the course's
reference network written by hand in NumPy (:func:`net_forward`,
:func:`net_backward`, :func:`l1`, :func:`net_loss_and_grads`,
:func:`sgd_update`, :func:`train`).  The lesson's later cells use these, never
the learner's answers, so a learner who skipped an exercise can go on.

Every check takes its reference from the engine (``Value``) or from an
experiment run here, uses shapes whose dimensions all differ (so a transpose
cannot pass), random non-unit upstream gradients (so a missing upstream
factor cannot pass), and hands the learner copies, checking they were not
changed.

>>> rng = np.random.default_rng(0)
>>> params = init_params(rng, 3, 4, 2)
>>> x, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
>>> loss, grads = net_loss_and_grads(params, x, t)
>>> sorted(grads), grads["W1"].shape
(['W1', 'W2', 'b1', 'b2'], (3, 4))
"""

import numpy as np

from helpers.compare import as_numbers, close, expect, in_order
from helpers.engine import Value
from helpers.feedback import NotAttempted, Wrong, call_learner, checker

__all__ = ["check_affine_backward", "check_relu_backward", "check_l1_loss", "check_two_layer_backward",
           "check_sgd_step", "check_zero_layer_prediction",
           "PARAMS", "init_params", "net_forward", "net_backward", "l1", "net_loss_and_grads",
           "net_in_engine", "engine_grads", "sgd_update", "train", "sign_flips", "dead_units"]

PARAMS = ("W1", "b1", "W2", "b2")
N, D, H, C = 5, 3, 4, 2                                           # all different: a transpose cannot pass


# ---------------------------------------------------------------- the reference network (NumPy, by hand)

def init_params(rng, d, h, c, *, scale=1.0):
    """Return random parameters {W1 (d, h), b1 (h,), W2 (h, c), b2 (c,)}: weights ~ N(0, scale²/fan-in), biases 0.

    >>> p = init_params(np.random.default_rng(0), 3, 4, 2)
    >>> [p[k].shape for k in PARAMS]
    [(3, 4), (4,), (4, 2), (2,)]
    """
    return {"W1": rng.normal(0.0, scale / np.sqrt(d), size=(d, h)), "b1": np.zeros(h),
            "W2": rng.normal(0.0, scale / np.sqrt(h), size=(h, c)), "b2": np.zeros(c)}


def _relu(z, leak):
    return np.where(z > 0, z, leak * z)


def net_forward(params, x, *, leak=0.0):
    """Return (y, cache) for y = relu(x @ W1 + b1) @ W2 + b2; cache = (x, z, h, W2).

    ``leak`` > 0 gives a leaky ReLU: slope ``leak`` instead of 0 where z ≤ 0.
    """
    z = x @ params["W1"] + params["b1"]
    h = _relu(z, leak)
    y = h @ params["W2"] + params["b2"]
    return y, (x, z, h, params["W2"])


def net_backward(dy, cache, *, leak=0.0):
    """Return {W1, b1, W2, b2: gradient} given dy = dL/dy (N, C) and the cache of :func:`net_forward`."""
    x, z, h, W2 = cache
    grads = {"W2": h.T @ dy, "b2": dy.sum(axis=0)}               # layer 2: an affine layer
    dh = dy @ W2.T
    dz = dh * np.where(z > 0, 1.0, leak)                          # the ReLU gate: open where z > 0
    grads["W1"], grads["b1"] = x.T @ dz, dz.sum(axis=0)          # layer 1: an affine layer
    return {name: grads[name] for name in PARAMS}


def l1(y, t):
    """Return (L, dL/dy) for L = Σ |y − t|: a plain sum, so dL/dy = sign(y − t) with no 1/N."""
    r = y - t
    return float(np.abs(r).sum()), np.sign(r)


def net_loss_and_grads(params, x, t, *, leak=0.0):
    """Return (L, grads) for the two-layer network and the L1 loss, by hand."""
    y, cache = net_forward(params, x, leak=leak)
    loss, dy = l1(y, t)
    return loss, net_backward(dy, cache, leak=leak)


def net_in_engine(params, x, t):
    """Build the same network with the engine; return (L as a Value, {name: parameter Value})."""
    p = {name: Value(params[name], name=name) for name in PARAMS}
    x, t = Value(x, name="x"), Value(t, name="t")
    z = (x @ p["W1"] + p["b1"]).named("z")
    h = z.relu().named("h")
    y = (h @ p["W2"] + p["b2"]).named("y")
    loss = (y - t).abs().sum().named("L")
    return loss, p


def engine_grads(params, x, t):
    """Return (L, grads) for the same network, computed by the engine's backward()."""
    loss, p = net_in_engine(params, x, t)
    loss.backward()
    return loss.item(), {name: p[name].grad for name in PARAMS}


def sgd_update(params, grads, lr):
    """Return new parameters p − lr·dp; ``params`` and ``grads`` are left as they were."""
    return {name: params[name] - lr * grads[name] for name in params}


def train(params, x, t, *, lr, steps, batch=None, leak=0.0, seed=0, every=None):
    """Run SGD from ``params``; return (new params, [(step, loss on all of x)]).

    Each step uses ``batch`` examples drawn without replacement from a seeded
    generator (all of them when ``batch`` is None).  The loss is recorded every
    ``every`` steps (and after the last step).
    """
    rng = np.random.default_rng(seed)
    params = {name: np.array(value, dtype=np.float64) for name, value in params.items()}
    history = []
    for step in range(steps + 1):
        if every and (step % every == 0 or step == steps):
            history.append((step, net_loss_and_grads(params, x, t, leak=leak)[0]))
        if step == steps:
            break
        rows = slice(None) if batch is None else rng.choice(len(x), size=batch, replace=False)
        _, grads = net_loss_and_grads(params, x[rows], t[rows], leak=leak)
        params = sgd_update(params, grads, lr)
    return params, history


def sign_flips(params, x, t, *, h=1e-5):
    """Return (flips, nudges): how many ±h nudges of one parameter flip the sign of some z or y − t.

    A centred difference across a kink of relu or abs measures an average of
    two slopes, not the gradient; when this returns 0 flips, no nudge of the
    gradient check crosses a kink.
    """
    def signs(p):
        y, (_, z, _, _) = net_forward(p, x)
        return np.sign(z), np.sign(y - t)
    base = signs(params)
    flips = nudges = 0
    for name in PARAMS:
        for index in np.ndindex(params[name].shape):
            for step in (h, -h):
                nudged = {k: v.copy() for k, v in params.items()}
                nudged[name][index] += step
                nudges += 1
                flips += any(not np.array_equal(a, b) for a, b in zip(signs(nudged), base))
    return flips, nudges


def dead_units(params, x, *, leak=0.0):
    """Return the indices of hidden units whose pre-activation z is ≤ 0 for every row of x."""
    _, (_, z, _, _) = net_forward(params, x, leak=leak)
    return [int(j) for j in np.flatnonzero(np.all(z <= 0, axis=0))]


# ---------------------------------------------------------------- shared checking machinery

def _inputs(seed):
    return np.random.default_rng(seed)




def _call(fn, *args, name, shapes=""):
    """Call the learner's function; explain a matrix-product shape error with dimension analysis."""
    try:
        return call_learner(fn, *args, name=name)
    except Wrong as error:
        text = str(error)
        if "matmul" in text or "not aligned" in text or "could not be broadcast" in text:
            raise Wrong(f"{text} — the shapes in a product do not fit: operands in the wrong order, or "
                        f"a .T missing or on the wrong one. Dimension analysis: {shapes}") from None
        raise


def _unchanged(fn_name, labels, pairs):
    """Raise Wrong when the learner's function changed an argument in place; ``pairs`` are (original, given)."""
    for label, (before, after) in zip(labels, pairs):
        if isinstance(before, dict):
            for key in before:
                if not np.array_equal(before[key], after.get(key)):
                    raise Wrong(f"{fn_name} changed {label}[{key!r}] in place (with -=, += or an "
                                f"assignment into it); even a copied dict (dict({label}), {label}.copy()) shares "
                                f"its arrays with {label} — compute new arrays with an ordinary minus")
        elif not np.array_equal(before, after):
            hint = (" — the same upstream gradient may feed other gates at a fork; make a new array "
                    "(for example dout * mask) instead of zeroing entries of dout") if label == "dout" else ""
            raise Wrong(f"{fn_name} changed its argument {label} in place{hint}")


def _unpack(out, count, fn_name, names):
    """Return the learner's tuple of ``count`` answers, or raise Wrong saying what came back instead."""
    if out is ...:
        raise NotAttempted
    if not isinstance(out, (tuple, list)) or isinstance(out, np.ndarray):
        raise Wrong(f"{fn_name} should return {count} things ({', '.join(names)}), "
                    f"got one {type(out).__name__}")
    if len(out) != count:
        raise Wrong(f"{fn_name} should return {count} things ({', '.join(names)}), got {len(out)}")
    return list(out)


def _transposed(name, got, expected, shapes):
    """Return a message when ``got`` is the transpose of ``expected`` (else an empty string)."""
    if not (got.ndim == 2 and got.shape == expected.shape[::-1] and close(got.T, expected)):
        return ""
    if not shapes:
        return (f"{name} is transposed: shape {got.shape} instead of {expected.shape} — an array and its "
                "gradient always have the same shape")
    return (f"{name} is transposed: shape {got.shape} instead of {expected.shape}. The operands of the "
            f"product are in the wrong order (or the .T is on the wrong one); {shapes}")


def _expect_one(name, answer, expected, *, mistakes=(), shaped=(), shapes="", unsummed=None):
    """Like :func:`helpers.compare.expect`, with this lesson's shape mistakes named first.

    ``shaped`` lists (value, explanation) for mistakes whose result has a
    different shape from the right answer.
    """
    expected = np.asarray(expected, dtype=np.float64)
    got = as_numbers(name, answer, expected.shape)
    if got.shape != expected.shape:
        for value, explanation in shaped:
            value = np.asarray(value, dtype=np.float64)
            if got.shape == value.shape and close(got, value):
                raise Wrong(f"{name} is wrong: {explanation}")
        message = _transposed(name, got, expected, shapes)
        if message:
            raise Wrong(message)
    expect(name, got, expected, mistakes=mistakes, unsummed=unsummed)


def _expect_grads(answers, expected, *, mistakes=None, shaped=None, shapes=None, unsummed=None,
                  backward=True):
    """Check named answers in order; the first wrong one is named (as expect_all does)."""
    mistakes, shaped, shapes, unsummed = mistakes or {}, shaped or {}, shapes or {}, unsummed or {}
    in_order(((name, lambda name=name, reference=reference: _expect_one(
        name, answers.get(name, ...), reference, mistakes=mistakes.get(name, ()), shaped=shaped.get(name, ()),
        shapes=shapes.get(name, ""), unsummed=unsummed.get(name)))
        for name, reference in expected.items()), order="backward" if backward else None)


NO_MEAN = "divided by N, but the loss here is a plain sum Σ|y − t|, so no 1/N appears anywhere in the backward pass"
NO_UPSTREAM = ("that is the local gradient alone: multiply by the upstream gradient coming in from above "
               "(chain rule: local × upstream)")


# ---------------------------------------------------------------- 7.1 affine backward

@checker("7.1")
def check_affine_backward(affine_backward):
    """Check (dx, dW, db) for out = x @ W + b with x (5, 3), W (3, 4), b (4,) and a random dout (5, 4)."""
    rng = _inputs(71)
    x, W, b = rng.normal(size=(N, D)), rng.normal(size=(D, H)), rng.normal(size=H)
    dout = rng.normal(size=(N, H)) * 1.7
    given_dout, given_x, given_W = dout.copy(), x.copy(), W.copy()
    out = _call(affine_backward, given_dout, (given_x, given_W), name="affine_backward",
                shapes=f"dx must have x's shape {x.shape} and dW W's shape {W.shape}; each is a product of "
                       f"dout {dout.shape} with W {W.shape} or with x {x.shape}, and only one order fits")
    dx, dW, db = _unpack(out, 3, "affine_backward", ("dx", "dW", "db"))
    for label, before, after in (("dout", dout, given_dout), ("x", x, given_x), ("W", W, given_W)):
        _unchanged("affine_backward", [label], [(before, after)])

    vx, vW, vb = Value(x), Value(W), Value(b)
    (vx @ vW + vb).backward(seed=dout)                            # the reference: the engine
    ones = np.ones_like(dout)
    shapes = {
        "dx": f"dx must have x's shape {x.shape}: of dout {dout.shape} and W {W.shape}, only one product "
              "gives that shape",
        "dW": f"dW must have W's shape {W.shape}: of x {x.shape} and dout {dout.shape}, only one product "
              "gives that shape",
    }
    order = "affine_backward returns the three gradients in the order (dx, dW, db)"
    shaped = {"db": [
        (dout, "b was added to every row of x @ W, so its gradient sums dout over the batch axis (axis 0); "
               f"yours still has one row per example, shape {dout.shape}"),
        (dout.sum(axis=0, keepdims=True),
         f"b is 1-d (shape {b.shape}), so sum over axis 0 without keepdims: yours has shape {(1,) + b.shape}"),
    ], "dW": [(vx.grad, f"what came back in dW's place is dx; {order}")],
       "dx": [(vW.grad, f"what came back in dx's place is dW; {order}")]}
    no_mean = ("divided by N: an affine layer's backward has no 1/N — every example adds its own share, "
               "and the shares are summed")
    mistakes = {
        "db": [(dout.mean(axis=0), "that is the mean over the batch; every row's copy of b sends its "
                                   "gradient back in full, so sum over axis 0 (no 1/N)"),
               (ones.sum(axis=0), NO_UPSTREAM)],
        "dW": [(x.T @ ones, NO_UPSTREAM), (x.T @ dout / N, no_mean)],
        "dx": [(ones @ W.T, NO_UPSTREAM), (dout @ W.T / N, no_mean)],
    }
    _expect_grads({"db": db, "dW": dW, "dx": dx}, {"db": vb.grad, "dW": vW.grad, "dx": vx.grad},
                  mistakes=mistakes, shaped=shaped, shapes=shapes, unsummed={"db": dout})
    return "dx, dW and db match the engine — shapes by dimension analysis, db summed over the batch"


# ---------------------------------------------------------------- 7.2 relu backward

@checker("7.2")
def check_relu_backward(relu_backward):
    """Check dz for h = relu(z), z (5, 4) with one exact zero, and a random upstream dh of mixed signs."""
    rng = _inputs(72)
    z = rng.normal(size=(N, H))
    z[1, 2] = 0.0                                                 # the convention at exactly 0
    dh = rng.normal(size=(N, H)) * 1.3                           # random signs: a mask from dh differs
    given_dh, given_z = dh.copy(), z.copy()
    dz = _call(relu_backward, given_dh, given_z, name="relu_backward")
    for label, before, after in (("dout", dh, given_dh), ("cache (z)", z, given_z)):
        _unchanged("relu_backward", [label], [(before, after)])
    if isinstance(dz, tuple) and len(dz) == 1:
        dz = dz[0]
    if isinstance(dz, np.ndarray) and dz.dtype == bool:
        raise Wrong("relu_backward returned True/False values: a gradient is numbers — multiply the upstream "
                    "gradient by the mask")
    vz = Value(z)
    vz.relu().backward(seed=dh)
    relu_z = np.maximum(z, 0)
    _expect_grads({"dz": dz}, {"dz": vz.grad}, mistakes={"dz": [
        (dh * (dh > 0), "the mask was taken from the gradient (dout > 0); the gate is open where the "
                        "forward input z was positive, whatever the sign of the gradient"),
        (dh * relu_z, "that multiplies dout by the activation relu(z); the local gradient of relu is a "
                      "0/1 mask (1 where z > 0), not the activation's value"),
        (dh * z, "that multiplies dout by z itself; the local gradient of relu is a 0/1 mask "
                 "(1 where z > 0)"),
        ((z > 0).astype(float), NO_UPSTREAM + " — here dout * (mask)"),
        (dh * (z >= 0), "at exactly z = 0 this course (like most libraries) uses slope 0: mask with z > 0, "
                        "not z >= 0"),
        (dh * (z < 0), "the mask is the wrong way round: the gate passes the gradient where z > 0"),
        (dh * np.sign(z), "sign(z) is −1 where z < 0, but relu is flat there: its local gradient is 0, "
                          "not −1 — use the 0/1 mask (z > 0)"),
        (dh * np.heaviside(z, 0.5), "at exactly z = 0 this course (like most libraries) uses slope 0, "
                                    "not ½: mask with z > 0"),
        (np.maximum(dh, 0) * (z > 0), "the negative upstream gradients were dropped (relu applied to dout): "
                                      "where z > 0 the gate passes dout unchanged, whatever its sign"),
        (dh * (z <= 0), "the mask is the wrong way round: the gate passes the gradient where z > 0"),
        (dh, "no mask: where z ≤ 0 the ReLU outputs a constant 0, so its gradient there is 0"),
    ]}, backward=False)
    return "the gradient passes where z > 0 and stops elsewhere (0 at exactly 0)"


# ---------------------------------------------------------------- 7.3 L1 loss

@checker("7.3")
def check_l1_loss(l1_loss):
    """Check (L, dy) for L = Σ|y − t| with y, t (5, 2), no residual near 0."""
    rng = _inputs(73)
    y = rng.normal(size=(N, C))
    r = rng.uniform(0.2, 1.5, size=(N, C)) * np.where(rng.random((N, C)) < 0.5, -1.0, 1.0)
    r[0] = [0.8, -0.6]                                            # both signs in every case
    t = y - r
    given_y, given_t = y.copy(), t.copy()
    out = _call(l1_loss, given_y, given_t, name="l1_loss")
    loss, dy = _unpack(out, 2, "l1_loss", ("loss", "dy"))
    for label, before, after in (("y", y, given_y), ("t", t, given_t)):
        _unchanged("l1_loss", [label], [(before, after)])
    vy = Value(y)
    vloss = (vy - Value(t)).abs().sum()
    vloss.backward()
    ref_dy = vy.grad
    shaped = {
        "loss": [(np.abs(r), "the loss is one number: sum |y − t| over every entry"),
                 (np.abs(r).sum(axis=1), "sum |y − t| over every entry, both axes: the loss is one number"),
                 (np.abs(r).sum(axis=0), "sum |y − t| over every entry, both axes: the loss is one number")],
        "dy": [(ref_dy.sum(), f"dy holds the gradient of L with respect to every entry of y, so it has "
                              f"y's shape {y.shape}")],
    }
    mistakes = {
        "loss": [(np.abs(r).mean(), "that is the mean; this lesson's loss is the plain sum Σ|y − t|"),
                 (np.abs(r).sum() / N, "that divides by N; this lesson's loss is the plain sum Σ|y − t|"),
                 (r.sum(), "the absolute value is missing: in Σ(y − t) errors of opposite sign cancel"),
                 ((r ** 2).sum(), "that is the squared error Σ(y − t)²; the L1 loss sums |y − t|"),
                 (np.abs(r.sum()), "take the absolute value of each entry, then sum: Σ|y − t|, not |Σ(y − t)|"),
                 (np.abs(r).sum(axis=0).max(), "np.linalg.norm(·, 1) of a matrix is its largest column sum, "
                                               "not the sum over every entry: sum np.abs(y − t) instead"),
                 (np.sqrt((r ** 2).sum()), "that is the Euclidean (L2) norm √Σ(y − t)², what np.linalg.norm "
                                           "gives by default; the L1 loss sums |y − t|"),
                 (0.5 * (r ** 2).sum(), "that is the squared error ½Σ(y − t)²; the L1 loss sums |y − t|")],
        "dy": [(np.sign(-r), "the sign is flipped: d|r|/dr = sign(r) with r = y − t; you used sign(t − y)"),
               (r, "that is y − t itself (the gradient of ½(y − t)², the squared loss); the slope of |r| is "
                   "sign(r), +1 or −1"),
               (2 * r, "that is the gradient of the squared loss (y − t)²; the slope of |r| is sign(r)"),
               (-r, "that is t − y, the squared loss's gradient with the sign flipped; the slope of |r| is "
                    "sign(y − t)"),
               (np.abs(r), "that is |y − t|, the loss per entry; its slope is sign(y − t)"),
               (np.sign(r) / N, NO_MEAN),
               (np.sign(r) / r.size, NO_MEAN.replace("divided by N", "divided by the number of entries")),
               (np.ones_like(r), "the slope of |r| is +1 only where r = y − t > 0; it is −1 where y < t")],
    }
    _expect_grads({"loss": loss, "dy": dy}, {"loss": vloss.item(), "dy": ref_dy}, shaped=shaped,
                  mistakes=mistakes, backward=False)
    return "L = Σ|y − t| and dL/dy = sign(y − t), with no 1/N"


# ---------------------------------------------------------------- 7.4 the whole backward pass

def _net_case(seed):
    rng = _inputs(seed)
    params = init_params(rng, D, H, C)
    params["b1"] = rng.normal(size=H) * 0.5
    params["b2"] = rng.normal(size=C)
    x = rng.normal(size=(N, D))
    _, cache = net_forward(params, x)
    dy = rng.normal(size=(N, C)) * 1.4                            # random, non-unit upstream
    return params, x, cache, dy


@checker("7.4")
def check_two_layer_backward(two_layer_backward):
    """Check all four parameter gradients of the two-layer net against the engine, for a random dy."""
    params, x, cache, dy = _net_case(74)
    _, z, h, W2 = cache
    if np.all(z > 0) or np.all(z <= 0):                           # pragma: no cover - the seed guarantees it
        raise RuntimeError("the test case needs some ReLU gates open and some closed")
    given_dy, given_cache = dy.copy(), tuple(a.copy() for a in cache)
    grads = _call(two_layer_backward, given_dy, given_cache, name="two_layer_backward",
                  shapes=f"with x {x.shape}, h {h.shape}, W2 {W2.shape}, dy {dy.shape}: each gradient has "
                         "the shape of what it is the gradient of, and only one product order gives it")
    pairs = [("dy", dy, given_dy)] + [(f"cache ({label})", before, after) for label, before, after
                                       in zip(("x", "z", "h", "W2"), cache, given_cache)]
    for label, before, after in pairs:
        _unchanged("two_layer_backward", [label], [(before, after)])
    if grads is ...:
        raise NotAttempted
    if not isinstance(grads, dict):
        raise Wrong(f"two_layer_backward should return a dict {{'W1': ..., 'b1': ..., 'W2': ..., 'b2': ...}}, "
                    f"got a {type(grads).__name__}")
    missing = [name for name in PARAMS if name not in grads]
    if missing:
        raise Wrong(f"the dict two_layer_backward returns has no {', '.join(map(repr, missing))} "
                    f"(it has {', '.join(map(repr, grads)) or 'nothing'})")

    # the reference, from the engine: seed the output y with dy
    p = {name: Value(params[name]) for name in PARAMS}
    (((Value(x) @ p["W1"] + p["b1"]).relu()) @ p["W2"] + p["b2"]).backward(seed=dy)
    expected = {"b2": p["b2"].grad, "W2": p["W2"].grad, "b1": p["b1"].grad, "W1": p["W1"].grad}

    # what the classic mistakes give, each made the way the mistake would make it
    ones = np.ones_like(dy)
    dh = dy @ W2.T
    skipped = ("the gradient skipped the ReLU: multiply dh = dy @ W2ᵀ by the mask (z > 0) before it enters "
               "layer 1")
    wrong_dz = [
        (dh, skipped),
        (dh * (dh > 0), "the ReLU mask was taken from the gradient (dh > 0); it comes from the forward pass: "
                        "open where z > 0"),
        (dh * h, "dh was multiplied by the activation h = relu(z); the ReLU's local gradient is the 0/1 "
                 "mask (z > 0)"),
        (dh * z, "dh was multiplied by z itself; the ReLU's local gradient is the 0/1 mask (z > 0)"),
        (dh * (z <= 0), "the ReLU mask is the wrong way round: the gradient passes where z > 0"),
        (ones @ W2.T * (z > 0), "dy was left out of dh: the upstream gradient must flow through W2 into h"),
        (dh * (z > 0) / N, NO_MEAN),
    ]
    dz = dh * (z > 0)
    mistakes = {
        "b2": [(ones.sum(axis=0), NO_UPSTREAM), (dy.sum(axis=0) / N, NO_MEAN)],
        "W2": [(z.T @ dy, "layer 2's input is h = relu(z), the activation, not the pre-activation z"),
               (h.T @ ones, NO_UPSTREAM), (h.T @ dy / N, NO_MEAN)],
        "b1": [(value.sum(axis=0), text) for value, text in wrong_dz],
        "W1": [(x.T @ value, text) for value, text in wrong_dz],
    }
    shaped = {
        "b2": [(dy, "b2 was added to every row, so sum dy over the batch axis (axis 0)")],
        "b1": [(dz, "b1 was added to every row, so sum its gradient over the batch axis (axis 0)")],
        "W1": [(h.T @ dz, "layer 1's input is x, not h: dW1 is built from x and the gradient on z"),
               (z.T @ dz, "layer 1's input is x, not z: dW1 is built from x and the gradient on z")],
    }
    shapes = {"W2": f"dW2 must have W2's shape {W2.shape}, built from h {h.shape} and dy {dy.shape}",
              "W1": f"dW1 must have W1's shape {params['W1'].shape}, built from x {x.shape} and dz {z.shape}"}
    def d(mapping):                                               # report gradients as dW2, db2, ...
        return {"d" + name: value for name, value in mapping.items()}
    _expect_grads(d({name: grads[name] for name in expected}), d(expected), mistakes=d(mistakes),
                  shaped=d(shaped), shapes=d(shapes), unsummed=d({"b2": dy, "b1": dz}))
    return "all four gradients match the engine: dW2, db2, then through W2 and the ReLU mask to dW1, db1"


# ---------------------------------------------------------------- 7.5 SGD step

@checker("7.5")
def check_sgd_step(sgd_step):
    """Check one SGD step p − lr·dp on every parameter, with lr = 0.05; the arguments must not change."""
    rng = _inputs(75)
    params = init_params(rng, D, H, C)
    params["b1"], params["b2"] = rng.normal(size=H), rng.normal(size=C)
    grads = {name: rng.normal(size=value.shape) for name, value in params.items()}
    lr = 0.05
    given_p = {k: v.copy() for k, v in params.items()}
    given_g = {k: v.copy() for k, v in grads.items()}
    new = _call(sgd_step, given_p, given_g, lr, name="sgd_step")
    if new is ...:
        raise NotAttempted
    _unchanged("sgd_step", ["params", "grads"], [(params, given_p), (grads, given_g)])
    if not isinstance(new, dict):
        raise Wrong(f"sgd_step should return a dict of new parameters (like params), got a {type(new).__name__}")
    missing = [name for name in PARAMS if name not in new]
    if missing:
        raise Wrong(f"the dict sgd_step returns has no {', '.join(map(repr, missing))}: update every "
                    "parameter, biases too")
    expected = {name: params[name] - lr * grads[name] for name in PARAMS}
    mistakes = {name: [
        (params[name] + lr * grads[name], "the update has the wrong sign: p + lr·dp climbs the loss; step "
                                          "against the gradient, p − lr·dp"),
        (params[name] - grads[name], "the learning rate is missing: p − dp takes a full gradient-sized step"),
        (-lr * grads[name], "that is only the step −lr·dp; add it to the current value p"),
        (params[name], f"{name} did not change: every parameter, biases too, takes the step"),
        (params[name] - grads[name] / lr, "divided by the learning rate; multiply: p − lr·dp"),
        (params[name] * (1 - lr * grads[name]), "multiplied p by (1 − lr·dp); subtract lr·dp instead"),
    ] for name in PARAMS}
    _expect_grads({name: new[name] for name in PARAMS}, expected, mistakes=mistakes, backward=False)
    return "every parameter moved by −lr·gradient, and the old parameters are untouched"


# ---------------------------------------------------------------- 7.6 which parameters learn?

def zero_layer_experiment(seed=76, steps=20, lr=0.01):
    """Return {name: True if it changed} after SGD from an init whose layer 1 (W1, b1) is all zero."""
    rng = _inputs(seed)
    params = init_params(rng, D, H, C)
    params["W1"][:] = 0.0
    params["b1"][:] = 0.0
    x, t = rng.normal(size=(4 * N, D)), rng.normal(size=(4 * N, C)) + 1.0
    new, _ = train(params, x, t, lr=lr, steps=steps)
    return {name: not np.array_equal(new[name], params[name]) for name in PARAMS}


@checker("7.6")
def check_zero_layer_prediction(learns):
    """Check the prediction of which parameters ever change when W1 and b1 start at zero."""
    if learns is ...:
        raise NotAttempted
    if not isinstance(learns, dict):
        raise Wrong(f"learns should be a dict like {{'W1': True, 'b1': False, ...}}, got {type(learns).__name__}")
    if any(value is ... for value in learns.values()):
        raise NotAttempted
    missing = [name for name in PARAMS if name not in learns]
    if missing:
        raise Wrong(f"learns has no {', '.join(map(repr, missing))}: give True or False for each of "
                    f"{', '.join(PARAMS)}")
    for name in PARAMS:
        value = learns[name]
        if isinstance(value, str):
            raise Wrong(f"learns[{name!r}] is the text {value!r:.30}; write True or False without quotes")
        if not isinstance(value, (bool, np.bool_)):
            raise Wrong(f"learns[{name!r}] is {value!r:.30}; it should be True or False")
    truth = zero_layer_experiment()
    reasons = {
        "W1": "W1 never changes: z = 0 everywhere, so every ReLU gate is closed (slope 0 at exactly 0) "
              "and no gradient reaches layer 1",
        "b1": "b1 never changes: its gradient is the sum of dz = dh · (z > 0), which is 0 when z = 0",
        "W2": "W2 never changes: its gradient is hᵀ·dy, and h = relu(0) = 0 for every example",
        "b2": "b2 does change: its gradient is the sum of dy = sign(y − t), which does not depend on h — "
              "the net can still learn a constant output",
    }
    wrong = [name for name in PARAMS if bool(learns[name]) != truth[name]]
    if wrong:
        name = wrong[0]
        more = f" ({len(wrong) - 1} more to rethink)" if len(wrong) > 1 else ""
        raise Wrong(f"learns[{name!r}] is wrong: {reasons[name]}{more}")
    return "only b2 learns: with layer 1 at zero, the hidden layer outputs 0 and its gates stay shut"
