"""Checks for lesson 4 — staged computation.

Every reference comes from the engine (``Value`` with its ``sigmoid`` and
``**`` gates) or from centred differences, never from typed-in numbers.  The
wrong answers each check names are computed from the same inputs, the way the
mistake would compute them.

The check of the full staged backward pass (exercise 4.4) walks the stages in
backward order, (8) f = num · invden down to (1) sigy = σ(y), and names the
first stage that goes wrong and the kind of mistake.  The learner returns only
the *total* gradients on x and y, so the check explains a wrong total as a sum
of shares — one per stage that sends gradient to x or y — in which a share is
missing, overwritten, or computed the wrong way.
"""
import itertools
from collections.abc import Mapping

import numpy as np

from helpers.compare import as_numbers, close, expect, in_order, is_placeholder
from helpers.engine import Value
from helpers.feedback import NotAttempted, Wrong, call_learner, checker
from helpers.gradcheck import numerical_gradient, rel_error

__all__ = ["check_sigmoid_backward", "check_neuron_backward", "check_staged_forward",
           "check_staged_backward", "check_silu_backward", "STAGES", "CACHE_NAMES", "GRAD_NAMES"]

# the staged expression f = (x + σ(y)) / (σ(x) + (x + y)²), one stage per line, in forward order
STAGES = {
    1: "sigy = σ(y)",
    2: "num = x + sigy",
    3: "sigx = σ(x)",
    4: "xpy = x + y",
    5: "xpysqr = xpy²",
    6: "den = sigx + xpysqr",
    7: "invden = 1 / den",
    8: "f = num · invden",
}
CACHE_NAMES = ("x", "y", "sigy", "num", "sigx", "xpy", "xpysqr", "den", "invden")
# the gradients a staged backward pass returns, in backward order
GRAD_NAMES = ("dnum", "dinvden", "dden", "dsigx", "dxpysqr", "dxpy", "dsigy", "dx", "dy")

# the points the staged checks use: (x, y, upstream gradient df); the first is the lesson's own
STAGED_POINTS = ((3.0, 4.0, 0.7), (-1.2, 0.5, -1.3))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _unchanged(given, original, what, fn_name):
    """Raise Wrong if the learner's function changed an input it was handed."""
    if isinstance(original, np.ndarray):
        same = isinstance(given, np.ndarray) and np.array_equal(given, original)
    else:
        same = given == original
    if not same:
        raise Wrong(f"{fn_name} changed its argument {what} in place; compute new values instead "
                    "(the cache must stay as the forward pass left it)")


def _same_number(a, b):
    """Return True when a is exactly the float b (never raises, whatever a is)."""
    return type(a) is float and a == b


def _at(x, y, df):
    return f"x = {x:g}, y = {y:g}, df = {df:g}"


# ---------------------------------------------------------------- 4.1 the sigmoid gate

@checker("4.1")
def check_sigmoid_backward(sigmoid_backward):
    """Check dz = dout · (1 − s) · s for s = σ(z), on a 2×3 array with a random upstream gradient."""
    rng = np.random.default_rng(41)
    z = rng.normal(0.0, 2.0, size=(2, 3))
    dout = rng.normal(0.0, 1.5, size=(2, 3))
    vz = Value(z)
    out = vz.sigmoid()
    out.backward(seed=dout)
    s = out.data.copy()
    args = (dout.copy(), (z.copy(), s.copy()))
    got = call_learner(sigmoid_backward, *args, name="sigmoid_backward")
    _unchanged(args[0], dout, "dout", "sigmoid_backward")
    _unchanged(args[1][0], z, "z (in the cache)", "sigmoid_backward")
    _unchanged(args[1][1], s, "s (in the cache)", "sigmoid_backward")
    expect("dz", got, vz.grad, mistakes=[
        ((1 - s) * s, "that is the local gradient (1 − s)·s alone; multiply it by the upstream gradient dout"),
        (dout * (1 - z) * z, "you used the input z where the formula needs the gate's cached output "
                             "s = σ(z): the local gradient is (1 − s)·s, with s, not z"),
        (dout * s, "the sigmoid's local gradient is (1 − s)·s; the factor (1 − s) is missing"),
        (dout * (1 - s), "the sigmoid's local gradient is (1 − s)·s; the factor s is missing"),
        (dout * (1 - s * s), "(1 − s²) is the local gradient of tanh; the sigmoid's is (1 − s)·s"),
        (s, "that is the gate's output s = σ(z), not a gradient"),
        (dout, "dout passed straight through, as if σ were an add gate; multiply by σ's local "
               "gradient (1 − s)·s"),
        (dout * s * (1 + s), "the local gradient is (1 − s)·s, with a minus: check the sign inside"),
        ((1 - s) * s + dout, "the local gradient and the upstream gradient are added; the chain rule "
                             "multiplies them"),
        (-dout * s ** 2, "−1/(1 + e^(−z))² = −s² is only the reciprocal gate's local gradient; the chain "
                         "goes on through the add, the exp and the negation, and all four together give "
                         "(1 − s)·s"),
    ])
    return "dz = dout·(1 − s)·s, from the cached output s — one gate instead of four"


# ---------------------------------------------------------------- 4.2 the sigmoid neuron

NEURON_W, NEURON_X = (2.0, -3.0, -3.0), (-1.0, -2.0)


def neuron_reference(w, x, df=1.0):
    """Return (f, dot, ddot, dx, dw) for f = σ(w0·x0 + w1·x1 + w2), from the engine."""
    ws = [Value(float(v)) for v in w]
    xs = [Value(float(v)) for v in x]
    dot = ws[0] * xs[0] + ws[1] * xs[1] + ws[2]
    f = dot.sigmoid()
    f.backward(seed=df)
    return (f.item(), dot.item(), dot.grad.item(),
            np.array([v.grad.item() for v in xs]), np.array([v.grad.item() for v in ws]))


@checker("4.2")
def check_neuron_backward(neuron_backward):
    """Check (ddot, dx, dw) of the sigmoid neuron at the lesson's point and at a random one."""
    rng = np.random.default_rng(42)
    points = [(np.array(NEURON_W), np.array(NEURON_X), -0.8),
              (rng.normal(0.0, 1.0, 3), rng.normal(0.0, 1.5, 2), 1.7)]
    for w, x, df in points:
        f, dot, ddot, dx, dw = neuron_reference(w, x, df)
        given = (w.copy(), x.copy(), f)
        got = call_learner(neuron_backward, df, given, name="neuron_backward")
        _unchanged(given[0], w, "w (in the cache)", "neuron_backward")
        _unchanged(given[1], x, "x (in the cache)", "neuron_backward")
        if is_placeholder(got):
            if got is ... or all(item is ... for item in got):
                raise NotAttempted
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise Wrong(f"neuron_backward should return three things, `return ddot, dx, dw`; got "
                        f"{type(got).__name__}{'' if not isinstance(got, (tuple, list)) else f' of {len(got)}'}")
        g_ddot, g_dx, g_dw = got
        local = (1 - f) * f
        xb = np.append(x, 1.0)                                    # the bias's "input" is 1

        def check_ddot():
            expect("ddot", g_ddot, ddot, mistakes=[
                (local, "that is σ's local gradient (1 − f)·f alone; multiply it by the upstream "
                        "gradient df"),
                (f * df, "σ's local gradient is (1 − f)·f; the factor (1 − f) is missing"),
                ((1 - dot) * dot * df, "you used the input dot where the formula needs σ's cached "
                                       "output f: the local gradient is (1 − f)·f"),
                (f, "that is the neuron's output f, not a gradient"),
                (df, "df passed straight through σ; multiply by its local gradient (1 − f)·f"),
                (f * (1 + f) * df, "σ's local gradient is (1 − f)·f, with a minus: check the sign inside"),
                ((1 - f) * f + df, "the local gradient and the upstream gradient are added; the chain "
                                   "rule multiplies them"),
            ])

        def check_dx():
            answer = as_numbers("dx", g_dx, x.shape)
            if answer.shape == (3,):
                raise Wrong("dx has 3 entries, but x has 2: w[2] is the bias, it multiplies no input "
                            "(dx = w[:2]·ddot)")
            expect("dx", answer, dx, mistakes=[
                (x * ddot, "multiply swaps: the gradient on x[i] is its partner w[i] times ddot, "
                           "not x[i] itself"),
                (w[:2], "that is the local gradient w[:2] alone; multiply by the upstream gradient ddot"),
                (w[:2] * local, "the upstream gradient of the dot product is ddot = (1 − f)·f·df; "
                                "the factor df is missing"),
                (w[:2] * df, "dx skips the σ gate: the gradient arriving at the weighted sum is ddot, "
                             "not df"),
                (w[1:] * ddot, "w[1:] is (w1, w2), and w2 is the bias, which multiplies no input: x[i] "
                               "pairs with w[i], so take w[:2]"),
            ])

        def check_dw():
            answer = as_numbers("dw", g_dw, w.shape)
            if answer.shape == (2,):
                raise Wrong("dw has 2 entries, but w has 3: the bias w[2] is a weight too, and it gets "
                            "a gradient (it enters through an add gate)")
            expect("dw", answer, dw, mistakes=[
                (w * ddot, "multiply swaps: the gradient on w[i] is its partner x[i] times ddot, "
                           "not w[i] itself"),
                (np.append(x * ddot, 0.0), "the bias w[2] is added to the dot product, and an add "
                                           "gate passes ddot on: its gradient is ddot, not 0"),
                (np.append(x * ddot, 1.0), "the bias's gradient is 1·ddot (local gradient times "
                                           "upstream), not 1"),
                (np.append(x * ddot, w[2] * ddot), "the bias is added, not multiplied: its local "
                                                   "gradient is 1, so dw[2] = ddot"),
                (xb, "that is the local gradient alone; multiply by the upstream gradient ddot"),
                (xb * local, "the upstream gradient of the dot product is ddot = (1 − f)·f·df; "
                             "the factor df is missing"),
                (xb * df, "dw skips the σ gate: the gradient arriving at the weighted sum is ddot, "
                          "not df"),
                (np.append(x * ddot, df), "the bias's gradient is its local gradient 1 times ddot, the "
                                          "gradient arriving at the weighted sum, not df"),
                (np.append(ddot, x * ddot), "the entries are in the wrong order: dw lines up with w, "
                                            "whose last entry w[2] is the bias"),
            ])

        try:
            in_order([("ddot", check_ddot), ("dx", check_dx), ("dw", check_dw)], order="backward")
        except Wrong as mistake:
            raise Wrong(f"{mistake} [at w = {np.round(w, 3).tolist()}, x = {np.round(x, 3).tolist()}, "
                        f"df = {df:g}]") from None
    return "ddot = (1 − f)·f·df, then multiply swaps: dx = w[:2]·ddot, dw = [x0, x1, 1]·ddot"


# ---------------------------------------------------------------- the staged expression

def staged_circuit(x, y):
    """Return the engine's f = (x + σ(y)) / (σ(x) + (x + y)²) at (x, y), each stage a named Value."""
    x, y = Value(float(x), name="x"), Value(float(y), name="y")
    sigy = y.sigmoid().named("sigy")
    num = (x + sigy).named("num")
    sigx = x.sigmoid().named("sigx")
    xpy = (x + y).named("xpy")
    xpysqr = (xpy ** 2).named("xpysqr")
    den = (sigx + xpysqr).named("den")
    invden = (den ** -1).named("invden")
    return (num * invden).named("f")


def staged_reference(x, y, df=1.0):
    """Return (f, cache, grads) from the engine: values and gradients of every stage, by name."""
    f = staged_circuit(x, y)
    f.backward(seed=df)
    nodes = {node.name: node for node in f.topological_order()}
    cache = {name: float(nodes[name].item()) for name in CACHE_NAMES}
    grads = {"d" + name: float(node.grad.item()) for name, node in nodes.items() if name != "f"}
    return f.item(), cache, grads


# ---------------------------------------------------------------- 4.3 the staged forward pass

PRECEDENCE = ("Python divides before it adds: `1 / 1 + math.exp(-{z})` is 1 + e^(−{z}). Put the whole "
              "denominator in parentheses: `1 / (1 + math.exp(-{z}))`")

@checker("4.3")
def check_staged_forward(staged_forward):
    """Check f and every cached stage of the forward pass at two points, in forward order."""
    for x, y, _df in STAGED_POINTS:
        f, ref, _grads = staged_reference(x, y)
        got = call_learner(staged_forward, x, y, name="staged_forward")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Wrong(f"staged_forward should return two things, `return f, cache`; got "
                        f"{type(got).__name__}{f' of {len(got)}' if isinstance(got, (tuple, list)) else ''}")
        g_f, cache = got
        if cache is ...:
            raise NotAttempted
        if not isinstance(cache, Mapping):
            raise Wrong(f"cache should be a dict of the forward pass's values by name, like "
                        f"{{'sigy': sigy, ...}}; got {type(cache).__name__}")
        missing = [name for name in CACHE_NAMES if name not in cache]
        if missing:
            raise Wrong(f"cache is missing {', '.join(map(repr, missing))}: store every value the "
                        "backward pass will need")
        c = ref
        sx, sy = _sigmoid(x), _sigmoid(y)
        mistakes = {
            "sigy": [(sx, "sigy is σ(y), the sigmoid of y, not of x"),
                     (_sigmoid(-y), "mind the minus: σ(z) = 1 / (1 + e^(−z))"),
                     (np.exp(-y), "σ(z) = 1 / (1 + e^(−z)), not e^(−z) alone"),
                     (1 + np.exp(-y), PRECEDENCE.format(z="y"))],
            "num": [(x + y, "num = x + σ(y): add sigy, not y"),
                    (x * c["sigy"], "num adds: x + sigy"),
                    (x + sx, "num = x + σ(y): add sigy, not sigx")],
            "sigx": [(sy, "sigx is σ(x), the sigmoid of x, not of y"),
                     (_sigmoid(-x), "mind the minus: σ(z) = 1 / (1 + e^(−z))"),
                     (np.exp(-x), "σ(z) = 1 / (1 + e^(−z)), not e^(−z) alone"),
                     (1 + np.exp(-x), PRECEDENCE.format(z="x"))],
            "xpy": [(x * y, "xpy is the sum x + y")],
            "xpysqr": [(2 * c["xpy"], "xpysqr is xpy squared, xpy**2 — not 2·xpy"),
                       (x ** 2 + y ** 2, "(x + y)² is not x² + y²: square the sum xpy"),
                       (c["xpy"], "xpysqr is xpy squared; the square is missing")],
            "den": [(c["sigx"] + c["xpy"], "den = sigx + xpysqr: add the square, not xpy"),
                    (c["sigx"] * c["xpysqr"], "den adds: sigx + xpysqr"),
                    (c["sigy"] + c["xpysqr"], "den = σ(x) + (x + y)²: add sigx, not sigy")],
            "invden": [(c["den"], "invden is 1 / den, the reciprocal")],
            "x": [(y, "cache['x'] holds y: x and y are swapped")],
            "y": [(x, "cache['y'] holds x: x and y are swapped")],
        }

        def step(name, answer, expected):
            zero = [(0.0, "it is 0, but this stage's value is not: compute it from the lines above it")]
            return name, lambda: expect(name, answer, expected, mistakes=[*mistakes.get(name, ()), *zero])
        for name in ("x", "y"):                                   # given in the stub: only a change is news
            if not is_placeholder(cache[name]):
                try:
                    expect(f"cache[{name!r}]", cache[name], c[name], mistakes=mistakes[name])
                except Wrong as mistake:
                    raise Wrong(f"{mistake} [at x = {x:g}, y = {y:g}]") from None
        steps = [step(name, cache[name], c[name]) for name in CACHE_NAMES if name not in ("x", "y")]
        steps.append(("f", lambda: expect("f", g_f, f, mistakes=[
            (c["num"] * c["den"], "f = num · invden: multiply by the reciprocal of den, not den"),
            (c["num"] / c["invden"], "dividing by invden multiplies by den: f = num · invden"),
            (c["invden"] / c["num"], "f = num · invden: num goes on top"),
        ])))
        if "f" in cache:
            steps.append(("cache['f']", lambda: expect("cache['f']", cache["f"], f)))
        try:
            in_order(steps, order="forward")
        except Wrong as mistake:
            raise Wrong(f"{mistake} [at x = {x:g}, y = {y:g}]") from None
    return "all eight stages and f are right, and the cache holds what the backward pass needs"


# ---------------------------------------------------------------- 4.4 the staged backward pass

def _stage(k):
    return f"stage ({k}) {STAGES[k]}"


def _share_options(c, g, df):
    """Return, for each share of dx and dy, the ways a learner computes it: (value, stage, fault).

    ``fault`` is None for the right share, "dropped" for a share that never
    arrived, else a sentence naming the mistake.  Values use the cache ``c``
    and the engine's gradients ``g``, so each option is what that one mistake
    would give.
    """
    x_shares = [(4, _add_share("x", "xpy = x + y", g["dxpy"], "dxpy")),
                (3, _sigmoid_share("x", "sigx", c["sigx"], c["sigy"], c["x"], g["dsigx"])),
                (2, _add_share("x", "num = x + sigy", g["dnum"], "dnum") +
                 [(df, "x's share through num = x + sigy: the upstream gradient of this stage is dnum "
                       "(the gradient on num), not df")])]
    y_shares = [(4, _add_share("y", "xpy = x + y", g["dxpy"], "dxpy")),
                (1, _sigmoid_share("y", "sigy", c["sigy"], c["sigx"], c["y"], g["dsigy"]))]
    return x_shares, y_shares


def _add_share(var, stage, upstream, up_name):
    """Return the options for ``var``'s share through an add stage: right, dropped, upstream missing."""
    return [(upstream, None), (0.0, "dropped"),
            (1.0, f"{var}'s share through {stage} is 1·{up_name}: the upstream factor {up_name} is missing")]


def _sigmoid_share(var, out, s, other_s, x, upstream):
    """Return the options for ``var``'s share through ``out`` = σ(var): right, dropped, and each classic slip.

    ``s`` is the cached σ output, ``other_s`` the other sigmoid of the circuit,
    ``x`` the input and ``upstream`` the gradient on ``out``.
    """
    other = "sigy" if out == "sigx" else "sigx"
    local = f"(1 − {out})·{out}"
    return [
        ((1 - s) * s * upstream, None), (0.0, "dropped"),
        ((1 - other_s) * other_s * upstream,
         f"{var}'s share through {out} uses the wrong sigmoid: the local gradient of {out} = σ({var}) is "
         f"{local}, built from {out}, not {other}"),
        ((1 - x) * x * upstream,
         f"{var}'s share through {out} used the input {var} where the local gradient needs the cached "
         f"output: it is {local}, not (1 − {var})·{var}"),
        ((1 - s) * s, f"{var}'s share through {out} is {local} times the upstream gradient d{out}: "
                      f"the upstream factor d{out} is missing"),
        (s * upstream, f"{var}'s share through {out}: σ's local gradient is {local}; the "
                       f"factor (1 − {out}) is missing"),
        (upstream, f"{var}'s share through {out} passed d{out} straight through the σ gate; multiply "
                   f"by its local gradient {local}"),
        (-(1 - s) * s * upstream, f"{var}'s share through {out} has the wrong sign: σ's local gradient "
                                  f"{local} is positive")]


USES = {"x": "x is used three times (in xpy, in sigx and in num)", "y": "y is used twice (in xpy and in sigy)"}
PATHS = {4: "xpy", 3: "sigx", 2: "num", 1: "sigy"}


def _explain_total(name, got, shares):
    """Explain a wrong total gradient as a sum of shares; return (stage, message) or None.

    Tries every way of computing each share (right, dropped, or a named
    mistake), keeps the explanations with the fewest faults, and reports the
    first faulty stage in backward order.  Dropped shares at the start of the
    backward order, followed by a share that is there, mean a later stage
    overwrote the total with `=` instead of adding to it with `+=`.
    """
    best = None
    for combo in itertools.product(*(options for _stage_k, options in shares)):
        total = sum(value for value, _fault in combo)
        if not close(got, np.asarray(total, dtype=np.float64)):
            continue
        faults = sum(fault is not None for _value, fault in combo)
        if best is None or faults < best[0]:
            best = (faults, combo)
    if best is None:
        return None
    combo = best[1]
    stages = [k for k, _options in shares]
    faults = [fault for _value, fault in combo]
    dropped = [k for k, fault in zip(stages, faults) if fault == "dropped"]
    if len(dropped) == len(stages):
        return stages[0], (f"d{name} is zero: no gradient reached {name}. {USES[name]}, and each of "
                           "those stages sends it a share")
    first_present = next(i for i, fault in enumerate(faults) if fault != "dropped")
    findings = []
    if first_present > 0:                                         # earlier shares lost: overwritten
        k = stages[first_present]
        lost = " and ".join(PATHS[s] for s in stages[:first_present])
        shares = "share" if first_present == 1 else "shares"
        findings.append((k, f"d{name} = … here overwrote the {shares} through {lost} (= instead of +=). "
                            f"{USES[name]}, so its gradients add up at this fork: every share after "
                            f"the first is added with d{name} += …"))
    for i, (k, fault) in enumerate(zip(stages, faults)):
        if i < first_present or fault is None:
            continue
        if fault == "dropped":
            findings.append((k, f"d{name} is missing its share through {PATHS[k]}: {USES[name]}, and "
                                f"every use sends back a share that must be added (+=)"))
        else:
            findings.append((k, f"d{name} is wrong: {fault}"))
    order = {k: i for i, k in enumerate(range(8, 0, -1))}
    return min(findings, key=lambda item: order[item[0]])


def _intermediate_mistakes(c, g, df):
    """Return {gradient name: [(wrong value, explanation)]} for the stages (8) to (5) and dsigy."""
    num, invden, den, xpy, xpysqr = c["num"], c["invden"], c["den"], c["xpy"], c["xpysqr"]
    return {
        "dnum": [(num * df, "multiply swaps: num's gradient is its partner invden times df, not num"),
                 (invden, "that is the local gradient invden alone; multiply by the upstream gradient df")],
        "dinvden": [(invden * df, "multiply swaps: invden's gradient is its partner num times df, not invden"),
                    (num, "that is the local gradient num alone; multiply by the upstream gradient df")],
        "dden": [(g["dinvden"] / den ** 2, "sign error: the derivative of 1/den is −1/den², with a minus"),
                 (-1 / den ** 2, "that is the local gradient −1/den² alone; multiply by the upstream "
                                 "gradient dinvden"),
                 (-g["dinvden"] / den, "wrong local gradient: the derivative of 1/den is −1/den², "
                                       "with den squared"),
                 (-g["dinvden"] / invden ** 2, "you used invden (the gate's output) where −1/den² "
                                               "needs den (its input)"),
                 (-df / den ** 2, "the upstream gradient of this stage is dinvden (the gradient on "
                                  "invden), not df")],
        "dsigx": [(1.0, "an add gate passes the upstream gradient on: dsigx = 1·dden — the factor "
                        "dden is missing"),
                  (g["dden"] / 2, "an add gate gives each input the whole upstream gradient, not half")],
        "dxpysqr": [(1.0, "an add gate passes the upstream gradient on: dxpysqr = 1·dden — the factor "
                          "dden is missing"),
                    (g["dden"] / 2, "an add gate gives each input the whole upstream gradient, not half"),
                    (g["dxpy"], "that is already dxpy: stage (6) only passes dden on, the 2·xpy "
                                "belongs to stage (5)")],
        "dxpy": [(xpy * g["dxpysqr"], "wrong local gradient: the derivative of xpy² is 2·xpy — the 2 "
                                      "is missing"),
                 (2 * xpy, "that is the local gradient 2·xpy alone; multiply by the upstream gradient "
                           "dxpysqr"),
                 (2 * xpysqr * g["dxpysqr"], "you used xpysqr (the gate's output) where the power rule "
                                             "needs xpy (its input): 2·xpy"),
                 (xpysqr * g["dxpysqr"], "xpy² is the forward value; its derivative is 2·xpy"),
                 (2 * g["dxpysqr"], "the local gradient of xpy² is 2·xpy, not 2"),
                 (2 * xpy * g["dden"] / 2, "an add gate gives each input the whole upstream gradient"),
                 (2 * xpy * df, "the upstream gradient of this stage is dxpysqr, not df")],
        "dsigy": [(c["sigy"] * (1 - c["sigy"]) * g["dnum"],
                   "this is the gradient on sigy, the output of σ(y), and the add gate "
                   "num = x + sigy passes dnum to it unchanged. The sigmoid's local gradient belongs to the next "
                   "stage, (1), which goes from sigy to y"),
                  (1.0, "an add gate passes the upstream gradient on: dsigy = 1·dnum — the factor "
                        "dnum is missing"),
                  (df, "the upstream gradient of stage (2) is dnum (the gradient on num), not df")],
    }


# backward order of the stages, and which returned gradient each stage completes
_STAGE_OF = {"dnum": 8, "dinvden": 8, "dden": 7, "dsigx": 6, "dxpysqr": 6, "dxpy": 5, "dsigy": 2}


def _check_staged_point(answers, x, y, df):
    """Check one call's answers at (x, y, df); raise Wrong/NotAttempted, or return the right names."""
    f, c, g = staged_reference(x, y, df)
    mistakes = _intermediate_mistakes(c, g, df)
    x_shares, y_shares = _share_options(c, g, df)

    # findings: (stage, order within the stage, name, message); the first in backward order wins
    findings, todo, numbers = [], [], {}
    for position, name in enumerate(GRAD_NAMES):
        answer = answers.get(name, ...)
        try:
            numbers[name] = as_numbers(name, answer)
        except NotAttempted:
            todo.append(name)
            continue
        except Wrong as mistake:                                  # bad input: name it at its stage
            stage = _STAGE_OF.get(name, 4)
            findings.append((stage, position, name, str(mistake)))
    for position, name in enumerate(GRAD_NAMES):
        if name not in numbers or name in ("dx", "dy"):
            continue
        try:
            expect(name, numbers[name], g[name], mistakes=mistakes[name])
        except Wrong as mistake:
            findings.append((_STAGE_OF[name], position, name, str(mistake)))
    for position, (name, shares) in ((7, ("x", x_shares)), (8, ("y", y_shares))):
        grad = "d" + name
        if grad not in numbers:
            continue
        got = numbers[grad]
        if got.shape != ():
            findings.append((4, position, grad, f"{grad} should be one number (x and y are scalars), "
                                                f"got an array of shape {got.shape}"))
            continue
        if close(got, np.asarray(g[grad])):
            continue
        explained = _explain_total(name, got, shares)
        if explained is None:
            try:
                expect(grad, got, g[grad])
            except Wrong as mistake:
                # unexplained: report it after every stage it depends on
                findings.append((0, position, grad, f"{mistake}. {USES[name]}: add up one share per use"))
        else:
            stage, message = explained
            findings.append((stage, position, grad, message))
    if findings:
        stage, position, name, message = max(findings, key=lambda item: (item[0], -item[1]))
        wrong = {item[2] for item in findings}
        right = [n for k, n in enumerate(GRAD_NAMES) if n in _STAGE_OF and n in numbers and n not in wrong
                 and (_STAGE_OF[n] > stage or (_STAGE_OF[n] == stage and k < position))]
        if stage:
            before = f" ({', '.join(right)} before it {'is' if len(right) == 1 else 'are'} right)" if right else ""
            raise Wrong(f"the first stage that goes wrong, in backward order, is {_stage(stage)}{before}: "
                        f"{message} [at {_at(x, y, df)}]")
        before = f"{', '.join(right)} {'is' if len(right) == 1 else 'are'} right, but " if right else ""
        raise Wrong(f"{before}{message} [at {_at(x, y, df)}]")
    if todo and len(todo) == len(GRAD_NAMES):
        raise NotAttempted
    if todo:
        done = [n for n in GRAD_NAMES if n not in todo]
        raise NotAttempted(f"{', '.join(done)} right so far; still to fill in: {', '.join(todo)}.")
    return f, c


@checker("4.4")
def check_staged_backward(staged_backward):
    """Check every stage of the backward pass of f = (x + σ(y)) / (σ(x) + (x + y)²) at two points."""
    worst = 0.0
    for x, y, df in STAGED_POINTS:
        _f, cache, _g = staged_reference(x, y, df)
        given = dict(cache)
        got = call_learner(staged_backward, df, given, name="staged_backward")
        changed = [k for k in cache if not _same_number(given.get(k), cache[k])] + sorted(set(given) - set(cache))
        if changed:
            raise Wrong(f"staged_backward changed the cache it was given ({', '.join(changed)}); the "
                        "backward pass only reads the cached values")
        if got is ...:
            raise NotAttempted
        if not isinstance(got, Mapping):
            raise Wrong(f"staged_backward should return a dict of gradients by name, like "
                        f"{{'dnum': dnum, ..., 'dy': dy}}; got {type(got).__name__}")
        missing = [name for name in GRAD_NAMES if name not in got]
        if missing:
            raise Wrong(f"the dict staged_backward returns is missing {', '.join(map(repr, missing))}")
        _check_staged_point(got, x, y, df)
        # a second opinion that does not use the engine: centred differences of f itself
        numeric = numerical_gradient(lambda v: staged_circuit(v[0], v[1]).item(), np.array([x, y])) * df
        worst = max(worst, rel_error(np.array([got["dx"], got["dy"]], dtype=np.float64), numeric))
    return (f"all {len(GRAD_NAMES)} gradients match the engine, stage by stage, at two points; dx and "
            f"dy also agree with centred differences (worst relative error {worst:.0e})")


# ---------------------------------------------------------------- 4.5 SiLU: a fork through a grouped gate

@checker("4.5")
def check_silu_backward(silu_backward):
    """Check dx for g = x · σ(x) on a 2×3 array with a random upstream gradient."""
    rng = np.random.default_rng(45)
    x = rng.normal(0.0, 2.0, size=(2, 3))
    dout = rng.normal(0.0, 1.5, size=(2, 3))
    vx = Value(x)
    out = vx * vx.sigmoid()
    out.backward(seed=dout)
    s = _sigmoid(x)
    args = (dout.copy(), (x.copy(), s.copy()))
    got = call_learner(silu_backward, *args, name="silu_backward")
    _unchanged(args[0], dout, "dout", "silu_backward")
    _unchanged(args[1][0], x, "x (in the cache)", "silu_backward")
    _unchanged(args[1][1], s, "s (in the cache)", "silu_backward")
    local = (1 - s) * s
    fork = "x is used twice — as a factor of the product and inside σ — so its two shares add up (+=)"
    expect("dx", got, vx.grad, mistakes=[
        (dout * s, f"that is only the share through the multiply gate's direct input; {fork}: add the "
                   "share through σ(x)"),
        (dout * x * local, f"that is only the share through σ(x) — it was overwritten; {fork}"),
        (s + x * local, "that is the local gradient alone; multiply by the upstream gradient dout"),
        (dout * (s + x * (1 - x) * x), "you used the input x where σ's local gradient needs the "
                                       "cached output s: (1 − s)·s"),
        (dout * (s + local), "the gradient on σ(x)'s output is x·dout (multiply swaps), so the share "
                             "through σ is (1 − s)·s·x·dout"),
        (dout * (x + s * local), "multiply swaps: the direct share is s·dout (x's partner is s), and "
                                 "σ's output gets x·dout"),
        (dout * (s + x * s), "σ's local gradient is (1 − s)·s; the factor (1 − s) is missing"),
        (dout * (s - x * local), "σ's local gradient (1 − s)·s is positive: the share through σ has "
                                 "the wrong sign"),
        (dout * local, "that is the σ gate's backward step alone; g = x · s also has a multiply gate, "
                       f"and {fork}"),
        (dout * s + x * local * dout ** 2, "dout is counted twice in the share through σ: the gradient "
                                           "on s, x·dout, already contains it"),
        (dout * (s + x * (1 - s)), "in the share through σ the local gradient is (1 − s)·s; the factor s "
                                   "is missing"),
    ])
    return "dx = dout·(s + x·(1 − s)·s): two shares, one per use of x, added"
