"""Checks for lesson 9 — batch normalization in full.

Batch norm is six small stages (mean, centre, variance, inverse standard
deviation, x̂, scale and shift), and x reaches the output along three paths:
through x̂ directly, through the variance and through the mean.  These checks
name the ways a learner's forward or backward pass goes wrong there — a share
left out at a fork or overwritten (``=`` instead of ``+=``), N − 1 instead of
N, ε in the wrong place, statistics over the wrong axes, a lost ``keepdims``,
running statistics treated as if they depended on the batch — and say where
the answer first goes wrong.

Every reference comes from the engine: :func:`bn_graph` builds batch norm
from its gates (mean, subtract, ``**2``, mean, ``+ eps``, ``** -0.5``,
multiply, then ``* gamma + beta``) and its ``backward()`` gives the
gradients.  Every upstream gradient is random, so a missing factor cannot
pass; the data have features of very different spread, and in exercise 9.1
a feature that is constant in the batch (variance exactly 0), where ε decides.
"""
from types import SimpleNamespace

import numpy as np

from helpers.checks.harness import exercise, run
from helpers.compare import Answer, as_numbers, close, expect, expect_all, in_order, is_placeholder
from helpers.engine import Value
from helpers.feedback import NotAttempted, Wrong, case

__all__ = ["bn_graph", "check_bn_forward", "check_bn_backward", "check_bn_backward_compact",
           "check_bn_spatial_backward", "check_bn_inference_backward"]

NCHW = ("N", "C", "H", "W")


# ---------------------------------------------------------------- the engine's batch norm

def bn_graph(x, gamma, beta, eps=1e-5, *, names=True):
    """Build batch norm from the engine's gates and return its Values by stage name.

    ``x`` is (N, D), normalised per feature over axis 0, or (N, C, H, W),
    normalised per channel over axes (0, 2, 3); ``gamma`` and ``beta`` have
    one entry per feature (D,) or channel (C,).  The result has the fields
    x, gamma, beta, mu, xc, sq (xc squared), var, inv_std, x_hat and out.

    >>> bn = bn_graph(np.array([[1.0, 2.0], [3.0, 6.0]]), np.ones(2), np.zeros(2))
    >>> bn.x_hat.data.round(3).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    x = Value(x, name="x" if names else None)
    axis = 0 if x.ndim == 2 else (0, 2, 3)
    g = Value(gamma, name="gamma" if names else None)
    b = Value(beta, name="beta" if names else None)
    mu = x.mean(axis=axis, keepdims=True)
    xc = x - mu
    sq = xc ** 2
    var = sq.mean(axis=axis, keepdims=True)
    inv_std = (var + eps) ** -0.5
    x_hat = xc * inv_std
    if x.ndim == 2:
        out = x_hat * g + b
    else:
        channels = g.shape[0]
        out = x_hat * g.reshape(channels, 1, 1) + b.reshape(channels, 1, 1)
    stages = dict(mu=mu, xc=xc, sq=sq, var=var, inv_std=inv_std, x_hat=x_hat, out=out)
    if names:
        for name, node in stages.items():
            node.named(name)
    return SimpleNamespace(x=x, gamma=g, beta=b, **stages)


# ---------------------------------------------------------------- shared pieces

def _unpack_cache(cache, names):
    """Return the cache the learner's forward pass returned as a dict name -> array."""
    if is_placeholder(cache) and not isinstance(cache, (tuple, list)):
        raise NotAttempted
    if not isinstance(cache, (tuple, list)) or len(cache) != len(names):
        got = f"{len(cache)} values" if isinstance(cache, (tuple, list)) else f"one {type(cache).__name__}"
        raise Wrong(f"the cache should be the tuple ({', '.join(names)}); got {got}")
    return dict(zip(names, cache))


def _nonfinite_where_constant(name, answer, constant, message):
    """Raise Wrong(message) when ``answer`` is finite except in feature ``constant`` (last axis), where it is not.

    That pattern is a division by a variance of exactly 0; any other nan or inf
    is left to the generic diagnosis.
    """
    if answer is None or isinstance(answer, (str, bytes)) or is_placeholder(answer):
        return                                                   # as_numbers names these
    try:
        array = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return
    if array.ndim == 0 or array.shape[-1] <= constant:
        return
    others = np.delete(array, constant, axis=-1)
    if np.all(np.isfinite(others)) and not np.all(np.isfinite(array[..., constant])):
        raise Wrong(f"{name} contains {'nan' if np.any(np.isnan(array)) else 'inf'}: {message}")


def _expect_stat(name, answer, expected, *, mistakes=(), per="feature", axes_word="axis 0"):
    """Check a per-feature statistic of shape (1, D), naming a lost keepdims or a wrong axis."""
    expected = np.asarray(expected, dtype=np.float64)
    got = as_numbers(name, answer, expected.shape)
    if got.shape != expected.shape:
        if got.size == expected.size and close(got.reshape(expected.shape), expected):
            raise Wrong(f"{name} has the right numbers but shape {got.shape} instead of {expected.shape}: "
                        f"keepdims was lost. Take the mean with keepdims=True, so each {per}'s statistic "
                        f"stays lined up with its own {per} (for images nothing lines up without it)")
        raise Wrong(f"{name} has shape {got.shape}, but there is one {name} per {per}: shape {expected.shape}. "
                    f"Batch norm averages over the batch ({axes_word}), with keepdims=True")
    expect(name, got, expected, mistakes=mistakes)


def _param_answers(got, dout, x_hat, gamma_grad, beta_grad, axes):
    """Return the Answers for dbeta and dgamma of out = x_hat·γ + β (β, γ copied along ``axes``)."""
    return [
        Answer("dbeta", got["dbeta"], beta_grad, unsummed=dout, upstream=dout, local=np.ones_like(dout).sum(
            axis=axes), mistakes=(
            ((dout * x_hat).sum(axis=axes), "that is dgamma's formula. β is added, so its local gradient is 1: "
                                            "add up dout itself"),)),
        Answer("dgamma", got["dgamma"], gamma_grad, unsummed=dout * x_hat, upstream=dout,
               local=x_hat.sum(axis=axes), mistakes=(
            (dout.sum(axis=axes), "that is dbeta. γ multiplies x_hat, so each copy's gradient is dout·x_hat "
                                  "(multiply swaps) before the sum"),)),
    ]


# ---------------------------------------------------------------- 9.1 the forward pass

CONSTANT_FEATURE = 2                                             # in exercise 9.1's batch


def forward_case():
    """Return (x, gamma, beta, eps) for exercise 9.1: x (4, 3), its last feature constant (variance 0)."""
    rng = np.random.default_rng(91)
    x = rng.normal(size=(4, 3)) * np.array([2.0, 0.3, 1.0]) + np.array([1.0, -2.0, 0.0])
    x[:, CONSTANT_FEATURE] = 2.5                                 # constant: var is exactly 0, only eps is left
    gamma, beta = rng.normal(size=3) + 1.0, rng.normal(size=3)
    return x, gamma, beta, 0.1


@exercise("9.1", "the forward pass in stages")
def check_bn_forward(bn_forward):
    """Check (out, cache) of bn_forward(x, gamma, beta, eps), cache = (xc, inv_std, x_hat, gamma), x (4, 3)."""
    x, gamma, beta, eps = forward_case()
    got = run(bn_forward, x, gamma, beta, eps, returns=("out", "cache"),
              hint="x is (N, D) = (4, 3) and each statistic has one entry per feature: take the means "
                   "over axis 0 with keepdims=True, so they have shape (1, 3)")
    cache = _unpack_cache(got["cache"], ("xc", "inv_std", "x_hat", "gamma"))
    ref = bn_graph(x, gamma, beta, eps)
    n = len(x)
    xc, var, x_hat = ref.xc.data, ref.var.data, ref.x_hat.data
    for name in ("inv_std", "x_hat"):
        _nonfinite_where_constant(name, cache[name], CONSTANT_FEATURE,
                                  f"feature {CONSTANT_FEATURE} is constant in this batch, so its variance is "
                                  "exactly 0, and without ε that is a division by 0. ε goes inside the square "
                                  "root: (var + eps) ** -0.5")
    rows = x - x.mean(axis=1, keepdims=True)
    in_order([
        ("xc", lambda: expect("xc", cache["xc"], xc, mistakes=[
            (rows, "that subtracts each example's own mean (axis 1). Batch norm subtracts each *feature's* mean "
                   "over the batch: axis 0"),
            (x - x.mean(), "that subtracts one mean of the whole batch. Each feature has its own mean, over "
                           "axis 0"),
            (x, "nothing was subtracted: xc = x − mu, with mu the mean over axis 0"),
        ])),
        ("inv_std", lambda: _expect_stat("inv_std", cache["inv_std"], ref.inv_std.data, mistakes=[
            ((var * n / (n - 1) + eps) ** -0.5,
             f"that divides the squares by N − 1 = {n - 1} (the unbiased variance, ddof=1). Batch norm "
             f"normalises with the batch's own variance: the mean of the squares, divided by N = {n}"),
            (1 / (np.sqrt(var) + eps), "ε is in the wrong place: it goes inside the square root, "
                                       "(var + eps) ** -0.5, not sqrt(var) + eps"),
            (1 / (var + eps), "the square root is missing: inv_std = 1 / sqrt(var + eps) = (var + eps) ** -0.5"),
            (np.sqrt(var + eps), "that is the standard deviation itself; inv_std is its inverse, "
                                 "(var + eps) ** -0.5"),
            ((var + 1e-5) ** -0.5, "use the eps argument of bn_forward, not a number of your own"),
        ])),
        ("x_hat", lambda: expect("x_hat", cache["x_hat"], x_hat, mistakes=[
            (x * ref.inv_std.data, "x_hat scales the *centred* values: xc * inv_std, not x * inv_std"),
            (xc * var, "x_hat divides by the standard deviation: multiply xc by inv_std"),
        ])),
        ("out", lambda: expect("out", got["out"], ref.out.data, mistakes=[
            (x_hat * beta + gamma, "gamma and beta are swapped: out = x_hat * gamma + beta"),
            (x_hat * gamma, "beta is missing: out = x_hat * gamma + beta"),
            (x_hat + beta, "gamma is missing: out = x_hat * gamma + beta"),
            (x_hat, "the scale and shift are missing: out = x_hat * gamma + beta"),
        ])),
    ], order="forward")
    expect("the cache's gamma", cache["gamma"], gamma,
           what="the cache's last entry should be gamma itself: the backward pass needs it for dx_hat")
    return ("every stage is right: statistics per feature over axis 0, variance divided by N, "
            "ε inside the square root (it saved the constant feature)")


# ---------------------------------------------------------------- 9.2 and 9.3: the backward pass

def backward_case(shape, seed):
    """Return (x, gamma, beta, dout, eps) for a backward exercise: features of very different spread."""
    rng = np.random.default_rng(seed)
    spread = np.linspace(0.4, 3.0, shape[1])
    x = rng.normal(size=shape) * spread + rng.normal(size=shape[1])
    return x, rng.normal(size=shape[1]) + 1.0, rng.normal(size=shape[1]), rng.normal(size=shape), 1e-5


def _staged_variants(dout, xc, inv_std, x_hat, gamma):
    """Return {mistake: dx} for the classic slips of the staged backward pass, and the right dx."""
    n = len(dout)
    dx_hat = dout * gamma
    dinv = (dx_hat * xc).sum(axis=0, keepdims=True)
    dvar = -0.5 * inv_std ** 3 * dinv
    through_x_hat = dx_hat * inv_std                             # xc's share through x_hat
    through_var = 2 * xc / n * dvar                              # xc's share through the variance

    def to_x(dxc):                                               # x = xc's input directly, and through the mean
        return dxc - dxc.sum(axis=0, keepdims=True) / n

    def with_var(dvar_):
        return to_x(through_x_hat + 2 * xc / n * dvar_)

    return {
        "right": to_x(through_x_hat + through_var),
        "no mean share": through_x_hat + through_var,
        "no var share": to_x(through_x_hat),
        "no x_hat share": to_x(through_var),
        "constants": through_x_hat,
        "x overwritten": np.broadcast_to(-(through_x_hat + through_var).sum(axis=0, keepdims=True) / n,
                                         dout.shape),
        "N-1": to_x(through_x_hat + 2 * xc / (n - 1) * dvar),
        "mean without 1/N": (through_x_hat + through_var) - (through_x_hat + through_var).sum(axis=0),
        "half missing": with_var(-inv_std ** 3 * dinv),
        "power sign": with_var(0.5 * inv_std ** 3 * dinv),
        "power exponent": with_var(-0.5 * inv_std ** 2 * dinv),
        "no gamma": _staged_variants(dout, xc, inv_std, x_hat, np.ones_like(gamma))["right"]
        if np.any(gamma != 1) else None,
        "dinv not summed": to_x(through_x_hat + 2 * xc / n * (-0.5 * inv_std ** 3 * dx_hat * xc)),
        "var share from x_hat": to_x(through_x_hat + 2 * x_hat / n * dvar),
    }


def _dx_mistakes(v):
    """Return (value, explanation) pairs for the staged backward pass's slips no generic rule names.

    A share left out at a fork is named by the harness from the shares (see
    :func:`_x_shares`); these are the slips inside a share.
    """
    return [
        (v["no x_hat share"], "xc's share through x_hat was overwritten: `dxc = ...` for the variance's share "
                              "replaced dx_hat·inv_std. At a fork the shares add up: write the second as "
                              "`dxc += ...`"),
        (v["constants"], "the shares through the mean and the variance are both missing: that treats mu and var "
                         "as constants, which they are only in inference mode. In training they are computed "
                         "from this batch, so x reaches them too, and dx is the sum of three shares"),
        (v["N-1"], "the variance's backward divides by N − 1. The forward pass divided the squares by N, so each "
                   "of the N squares gets dvar / N: the share is (2·xc / N)·dvar"),
        (v["mean without 1/N"], "the mean's share is missing its 1/N: mu averages N values, so each gets dmu / N"),
        (v["half missing"], "dvar lost the ½ of the power rule: d/dv (v + ε)^(−1/2) = −½·(v + ε)^(−3/2) "
                            "= −½·inv_std³"),
        (v["power sign"], "dvar has the wrong sign: the exponent is −½, so d/dv (v + ε)^(−1/2) = "
                          "−½·inv_std³ is negative — a larger variance gives a smaller inv_std"),
        (v["power exponent"], "dvar has the wrong power of inv_std: d/dv (v + ε)^(−1/2) = −½·(v + ε)^(−3/2), "
                              "which is −½·inv_std³, not inv_std²"),
        (v["no gamma"], "γ is missing: out = x_hat·γ + β, so dx_hat = dout·γ (multiply swaps) before "
                        "anything reaches x"),
        (v["dinv not summed"], "inv_std has shape (1, D): one number per feature, copied to every row. Its "
                               "gradient adds up the rows' shares: dinv_std = Σ over axis 0 of dx_hat·xc, "
                               "with keepdims=True"),
        (v["var share from x_hat"], "the variance squares xc, not x_hat: its share is (2·xc / N)·dvar"),
    ]


def _x_shares(dout, x_hat, inv_std, gamma, axes=(0,)):
    """Return x's three shares — through x_hat, through the variance, through the mean — as (label, share)."""
    count = int(np.prod([dout.shape[a] for a in axes]))
    g = gamma if dout.ndim == 2 else gamma.reshape(-1, 1, 1)
    dxh = dout * g
    direct = inv_std * dxh
    through_var = -inv_std / count * x_hat * (dxh * x_hat).sum(axis=axes, keepdims=True)
    through_mean = np.broadcast_to(-inv_std / count * dxh.sum(axis=axes, keepdims=True), dout.shape)
    return (("x_hat", direct), ("the variance", through_var), ("the mean", through_mean))


@exercise("9.2", "backward stage by stage")
def check_bn_backward(bn_backward):
    """Check (dx, dgamma, dbeta) of the staged bn_backward(dout, cache) on x (4, 3), against the engine."""
    x, gamma, beta, dout, eps = backward_case((4, 3), 92)
    ref = bn_graph(x, gamma, beta, eps)
    ref.out.backward(seed=dout)
    xc, inv_std, x_hat = ref.xc.data, ref.inv_std.data, ref.x_hat.data
    got = run(bn_backward, dout, (xc, inv_std, x_hat, gamma), returns=("dx", "dgamma", "dbeta"),
              hint="dout, xc and x_hat are (N, D) = (4, 3); inv_std and every gradient of a "
                   "statistic (dinv_std, dvar, dmu) are (1, D): sum over axis 0 with keepdims=True")
    variants = _staged_variants(dout, xc, inv_std, x_hat, gamma)
    expect_all(*_param_answers(got, dout, x_hat, ref.gamma.grad, ref.beta.grad, (0,)),
               Answer("dx", got["dx"], ref.x.grad, mistakes=tuple(_dx_mistakes(variants)),
                      shares=_x_shares(dout, x_hat, inv_std, gamma)))
    return ("dbeta, dgamma and dx match the engine: x's gradient adds its three shares — through x_hat, the "
            "variance and the mean")


@exercise("9.3", "the compact formula")
def check_bn_backward_compact(bn_backward_compact):
    """Check dx of bn_backward_compact(dout, cache), cache = (x_hat, inv_std, gamma), on two batch shapes."""
    for k, shape in enumerate([(4, 3), (6, 2)]):
        x, gamma, beta, dout, eps = backward_case(shape, 93 + k)
        ref = bn_graph(x, gamma, beta, eps)
        ref.out.backward(seed=dout)
        x_hat, inv_std = ref.x_hat.data, ref.inv_std.data
        dx = run(bn_backward_compact, dout, (x_hat, inv_std, gamma), returns=("dx",),
                 hint=f"dout and x_hat are (N, D) = {shape}; the sums Σ dx_hat and Σ dx_hat·x_hat "
                      "run over the batch, axis 0, with keepdims=True")["dx"]
        n = shape[0]
        dxh = dout * gamma

        def compact(dxh, axis=0, count=n, x_hat=x_hat, inv=inv_std, mean=True, var=True):
            total = count * dxh
            if mean:
                total = total - dxh.sum(axis=axis, keepdims=True)
            if var:
                total = total - x_hat * (dxh * x_hat).sum(axis=axis, keepdims=True)
            return inv / count * total
        with case(f"for a batch of shape {shape}: " if k else ""):
            expect("dx", dx, ref.x.grad, shares=_x_shares(dout, x_hat, inv_std, gamma), mistakes=[
                (compact(dxh, mean=False), "the −Σ dx_hat term is missing: that is x's share through the mean "
                                           "(every x moves mu, and mu moves every xc)"),
                (compact(dxh, var=False), "the −x_hat·Σ(dx_hat·x_hat) term is missing: that is x's share "
                                          "through the variance"),
                (dxh * inv_std, "both the mean's and the variance's shares are missing: dx = dx_hat·inv_std "
                                "treats mu and var as constants (true only in inference mode)"),
                (compact(dout), "γ is missing: dx_hat = dout·γ, and the formula is written in dx_hat"),
                (compact(dxh, axis=1), "the sums run over the wrong axis: Σ dx_hat and Σ(dx_hat·x_hat) add up "
                                       "over the batch (axis 0), once per feature, not over each row's features"),
                (compact(dxh) * n, "the leading 1/N is missing"),
                (inv_std * dxh - (dxh.sum(axis=0, keepdims=True)
                                  + x_hat * (dxh * x_hat).sum(axis=0, keepdims=True)) / n,
                 "inv_std multiplies all three terms, not only N·dx_hat"),
                (compact(dxh, count=n - 1), "N − 1 appears where the formula has N: the batch's variance "
                                            "divides by N, and so does its backward"),
            ])
    return ("dx = (1/N)·inv_std·(N·dx_hat − Σdx_hat − x_hat·Σ(dx_hat·x_hat)) matches the engine for "
            "batches of shape (4, 3) and (6, 2)")


# ---------------------------------------------------------------- 9.4 images: (N, C, H, W)

SPATIAL_SHAPES = [(2, 3, 4, 3), (3, 2, 5, 4)]          # the first has W == C: a lost keepdims runs silently
SPATIAL_AXES = (0, 2, 3)


def spatial_case(shape, seed):
    """Return (x, gamma, beta, dout, eps) for exercise 9.4, x of shape (N, C, H, W)."""
    rng = np.random.default_rng(seed)
    c = shape[1]
    spread = np.linspace(0.5, 2.5, c).reshape(c, 1, 1)
    x = rng.normal(size=shape) * spread + rng.normal(size=(c, 1, 1))
    return x, rng.normal(size=c) + 1.0, rng.normal(size=c), rng.normal(size=shape), 1e-5


WRONG_AXES = {
    (0,): "the sums run over axis 0 only: that gives statistics per pixel and channel. Batch norm for images "
          "shares one mean and variance per channel: sum over axes (0, 2, 3)",
    (0, 1, 2, 3): "the sums run over all four axes, C included; each channel has its own statistics: sum over "
                  "axes (0, 2, 3) and keep C",
    (2, 3): "the sums run over axes (2, 3) only: that is one statistic per image and channel (instance "
            "normalisation). Batch norm also averages over the batch: axes (0, 2, 3)",
    (1, 2, 3): "the sums run over axes (1, 2, 3): that is one statistic per image (layer normalisation). Batch "
               "norm averages per channel over axes (0, 2, 3)",
    (0, 1): "the sums run over axes (0, 1): batch norm averages per channel, over N, H and W — axes (0, 2, 3)",
}


def _spatial_variants(dout, x_hat, inv_std, gamma):
    """Return {mistake: dx} for the classic slips of the (N, C, H, W) backward pass."""
    n, c, h, w = dout.shape
    g4 = gamma.reshape(c, 1, 1)
    dxh = dout * g4

    def compact(dxh, axes=SPATIAL_AXES, count=None, keepdims=True, inv=inv_std):
        count = count or int(np.prod([dout.shape[a] for a in axes]))
        s1 = dxh.sum(axis=axes, keepdims=keepdims)
        s2 = (dxh * x_hat).sum(axis=axes, keepdims=keepdims)
        return inv / count * (count * dxh - s1 - x_hat * s2)

    out = {
        "right": compact(dxh),
        "count N": compact(dxh, count=n),
        "count NCHW": compact(dxh, count=n * c * h * w),
        "count HW": compact(dxh, count=h * w),
        "no gamma": compact(dout),
        "constants": dxh * inv_std,
    }
    for axes in WRONG_AXES:                                      # with the count of those axes, or still N·H·W
        out[axes] = [compact(dxh, axes=axes), compact(dxh, axes=axes, count=n * h * w)]
    if w == c:                                                   # (C,) sums meet W and run silently
        out["lost keepdims"] = compact(dxh, keepdims=False)
        out["gamma on W"] = compact(dout * gamma)
    return out


@exercise("9.4", "batch norm for images")
def check_bn_spatial_backward(bn_spatial_backward):
    """Check (dx, dgamma, dbeta) for batch norm over (N, C, H, W), cache = (x_hat, inv_std, gamma), two shapes."""
    for k, shape in enumerate(SPATIAL_SHAPES):
        x, gamma, beta, dout, eps = spatial_case(shape, 94 + k)
        ref = bn_graph(x, gamma, beta, eps)
        ref.out.backward(seed=dout)
        x_hat, inv_std = ref.x_hat.data, ref.inv_std.data
        hint = (f"x is {shape}. A sum over axes (0, 2, 3) without keepdims=True has shape ({shape[1]},), and "
                f"numpy lines that up with the *last* axis, W, not with C: sum with keepdims=True (shape "
                f"(1, {shape[1]}, 1, 1)), and line gamma up with C as gamma[:, None, None]")
        got = run(bn_spatial_backward, dout, (x_hat, inv_std, gamma), returns=("dx", "dgamma", "dbeta"),
                  hint=hint)
        v = _spatial_variants(dout, x_hat, inv_std, gamma)
        n, c, h, w = shape
        per = f"each channel's statistics average M = N·H·W = {n * h * w} values"
        mistakes = [
            (v["count N"], f"the count is N = {n}, but {per}: divide by M, and multiply dx_hat by M"),
            (v["count NCHW"], f"the count is N·C·H·W = {n * c * h * w}, but {per}: C is not averaged over"),
            (v["count HW"], f"the count is H·W = {h * w}, but {per}"),
            *((value, sentence) for axes, sentence in WRONG_AXES.items() for value in v[axes]),
            (v["no gamma"], "γ is missing: dx_hat = dout·γ, with γ lined up per channel (gamma[:, None, None])"),
            (v["constants"], "the shares through the mean and the variance are missing: that is inference mode, "
                             "where the statistics are constants"),
            (v.get("lost keepdims"), f"keepdims was lost: the sums over (0, 2, 3) have shape ({c},), and numpy "
                                     "lines them up with the last axis (W, which happens to have the same length "
                                     "here) instead of C. Sum with keepdims=True"),
            (v.get("gamma on W"), "gamma meets the last axis (W, of the same length here), not C: line it up "
                                  "with gamma[:, None, None]"),
        ]
        with case(f"for x of shape {shape}: " if k else ""):
            expect_all(*_param_answers(got, dout, x_hat, ref.gamma.grad, ref.beta.grad, SPATIAL_AXES),
                       Answer("dx", got["dx"], ref.x.grad, mistakes=tuple(mistakes),
                              shares=_x_shares(dout, x_hat, inv_std, gamma, SPATIAL_AXES)))
    return ("per channel, over axes (0, 2, 3) with M = N·H·W: dx, dgamma and dbeta match the engine for shapes "
            f"{SPATIAL_SHAPES[0]} and {SPATIAL_SHAPES[1]}")


# ---------------------------------------------------------------- 9.5 inference mode

def inference_case():
    """Return (x, running_mean, running_var, gamma, dout, eps): running statistics far from the batch's own."""
    rng = np.random.default_rng(95)
    x = rng.normal(size=(5, 3)) * np.array([1.5, 0.5, 2.0]) + np.array([0.5, -1.0, 2.0])
    running_mean = x.mean(axis=0) + np.array([0.4, -0.3, 0.8])
    running_var = np.array([1.8, 0.02, 3.0])                     # a small one, where ε shows
    return x, running_mean, running_var, rng.normal(size=3) + 1.0, rng.normal(size=x.shape), 0.01


@exercise("9.5", "the backward pass in inference mode")
def check_bn_inference_backward(bn_inference_backward):
    """Check (dx, dgamma, dbeta) in inference mode; cache = (x, running_mean, running_var, gamma, eps)."""
    x, rm, rv, gamma, dout, eps = inference_case()
    got = run(bn_inference_backward, dout, (x, rm, rv, gamma, eps), returns=("dx", "dgamma", "dbeta"),
              hint="x and dout are (N, D) = (5, 3); running_mean, running_var and gamma are (D,)")

    vx, vg, vb = Value(x, name="x"), Value(gamma, name="gamma"), Value(np.zeros(3), name="beta")
    out = (vx - rm) * (rv + eps) ** -0.5 * vg + vb               # rm, rv: plain arrays, so constants
    out.backward(seed=dout)
    inv = (rv + eps) ** -0.5
    x_hat = (x - rm) * inv
    n = len(x)
    batch = bn_graph(x, gamma, np.zeros(3), eps)
    batch.out.backward(seed=dout)
    inv_b, x_hat_b = batch.inv_std.data, batch.x_hat.data
    dxh = dout * gamma
    as_training = inv / n * (n * dxh - dxh.sum(axis=0) - x_hat * (dxh * x_hat).sum(axis=0))
    constants = "running_mean and running_var are constants here: no share of the gradient flows through them"
    dbeta, dgamma = _param_answers(got, dout, x_hat, vg.grad, vb.grad, (0,))
    dgamma.mistakes += (
        ((dout * x_hat_b).sum(axis=0), "that uses x_hat from the batch's own statistics. In inference mode "
                                       "x_hat = (x − running_mean)·(running_var + eps) ** -0.5"),
        ((dout * x).sum(axis=0), "γ multiplies x_hat, the normalised x, not x itself"),
    )
    expect_all(dbeta, dgamma, Answer("dx", got["dx"], vx.grad, upstream=dout, mistakes=(
        (as_training, "that is training mode's formula. " + constants + ", so x has one path to the "
                      "output: dx = dout·γ·inv_std"),
        (batch.x.grad, "that is training mode: the batch's own statistics and their shares. In inference "
                       "x_hat uses running_mean and running_var, which are constants"),
        (dxh * inv_b, "that divides by the batch's own standard deviation; in inference mode it is "
                      "(running_var + eps) ** -0.5"),
        (dxh / (np.sqrt(rv) + eps), "ε is in the wrong place: (running_var + eps) ** -0.5, inside the root"),
        (dxh * rv ** -0.5, "ε is missing: inv_std = (running_var + eps) ** -0.5"),
        (dxh, "the factor inv_std is missing: x_hat = (x − running_mean)·inv_std, so dx = dx_hat·inv_std"),
        (dout * inv, "γ is missing: dx_hat = dout·γ"),
        (dxh * inv - (dxh * inv).mean(axis=0), "that subtracts a mean share; " + constants),
    )))
    return ("in inference mode the statistics are constants: dx = dout·γ·inv_std with no shares through them, "
            "and dgamma, dbeta are as in training")
