"""Exercises of lesson 4 — staged computation.

Every reference, and every share a gate sends back, comes from the engine:
each check builds its circuit from named ``Value``s, runs ``backward`` and
reads ``node.grad`` and ``node.shares()`` (:func:`gradient_answer`).  The
slips only a kind of gate invites — σ's local gradient built from its input,
multiply's partner, the power rule — are one table, :func:`slips`, computed
from the gate in the graph.  The harness and :mod:`helpers.compare` name the
rest: a missing upstream factor, a sign, a gradient overwritten at a fork, a
bad input, the first wrong stage in backward order.
"""
import numpy as np

from helpers.checks.harness import Answer, as_dict, exercise, expect_all, run
from helpers.compare import is_placeholder, same_numbers
from helpers.engine import Value
from helpers.feedback import case
from helpers.gradcheck import numerical_gradient, rel_error

__all__ = ["check_sigmoid_backward", "check_neuron_backward", "check_staged_forward", "check_staged_backward",
           "check_silu_backward", "graph", "staged_circuit", "neuron_graph", "slips",
           "gradient_answer", "STAGES", "CACHE_NAMES", "GRAD_NAMES", "STAGED_POINTS"]

# the staged expression f = (x + σ(y)) / (σ(x) + (x + y)²), one stage per line, in forward order
STAGES = {1: "sigy = σ(y)", 2: "num = x + sigy", 3: "sigx = σ(x)", 4: "xpy = x + y", 5: "xpysqr = xpy²",
          6: "den = sigx + xpysqr", 7: "invden = 1 / den", 8: "f = num · invden"}
STAGE_OF = {text.split(" = ")[0]: f"stage ({k}) {text}" for k, text in STAGES.items()}   # "den" -> "stage (6) …"
CACHE_NAMES = ("x", "y", "sigy", "num", "sigx", "xpy", "xpysqr", "den", "invden")
GRAD_NAMES = ("dnum", "dinvden", "dden", "dsigx", "dxpysqr", "dxpy", "dsigy", "dx", "dy")   # in backward order
STAGED_POINTS = ((3.0, 4.0, 0.7), (-1.2, 0.5, -1.3))             # (x, y, df); the first is the lesson's own


def graph(out, seed):
    """Run ``out.backward(seed)`` and return the named nodes of its graph, {name: Value}, in forward order."""
    out.backward(seed=seed)
    return {node.name: node for node in out.topological_order() if node.name}


def slips(gate, i, up):
    """Return [(value, sentence)]: the classic slips in the share ``gate`` sends back to its input ``i``.

    ``up`` names the upstream gradient, the gradient on the gate's output.
    """
    a, g, s, out = gate.inputs[i], gate.grad, gate.data, gate.name
    z, name, local = a.data, a.name, f"(1 − {out})·{out}"
    if gate.op == "sigmoid":
        return [((1 - z) * z * g, f"you used the input {name} where σ's local gradient needs the cached output "
                                  f"{out}: it is {local}"),
                (s * g, f"σ's local gradient is {local}; the factor (1 − {out}) is missing"),
                ((1 - s) * g, f"σ's local gradient is {local}; the factor {out} is missing"),
                ((1 - s * s) * g, f"(1 − {out}²) is the local gradient of tanh; σ's is {local}"),
                (g, f"{up} passed straight through the σ gate, as if it were an add gate: multiply by {local}"),
                (s * (1 + s) * g, f"σ's local gradient is {local}, with a minus: check the sign inside"),
                ((1 - s) * s + g, "the local gradient and the upstream gradient are added; the chain rule "
                                  "multiplies them"),
                (-s * s * g, f"−{out}² is only the reciprocal gate's local gradient; the chain goes on through "
                             f"the add, the exp and the negation, and all four together give {local}"),
                (s, f"that is the gate's output {out}, not a gradient")]
    if gate.op == "mul":
        return [(z * g, f"multiply swaps: {name}'s gradient is its partner {gate.inputs[1 - i].name} times "
                        f"{up}, not {name} itself")]
    if gate.op == "add":
        return [(g / 2, "an add gate gives each input the whole upstream gradient, not half")]
    p = gate.params.get("exponent", 1.0)                          # the power gate
    rule = f"the local gradient of {name}**{p:g} is {p:g}·{name}**{p - 1:g}"
    return [(p * s ** (p - 1) * g, f"you used {out} (the gate's output) where the power rule needs {name} "
                                   "(its input)"),
            (p * z ** p * g, f"the power rule lowers the exponent by one: {rule}"),
            *([(z ** (p - 1) * g, f"{rule}: the {p:g} is missing")] if abs(p) != 1 else [])]


def gradient_answer(nodes, name, got, seed_name, labels=None, mistakes=()):
    """Return the Answer for gradient ``name`` ("dden") of the graph ``nodes``: reference, shares, slips.

    A node that feeds one gate gets that gate's upstream gradient and slips;
    one that feeds several (a fork) gets one share per gate, and a total in
    which one share went wrong is named by that share's slip (a lost share is
    named by :mod:`helpers.compare`, from the shares).
    """
    node, order, labels = nodes[name[1:]], list(nodes.values())[::-1], labels or {}   # backward order
    users = [(gate, i) for gate in order for i, a in enumerate(gate.inputs) if a is node]
    up = {id(gate): seed_name if gate is order[0] else "d" + gate.name for gate, _ in users}
    if len(users) == 1:
        (gate, i), = users
        return Answer(name, got, node.grad, (*mistakes, *slips(gate, i, up[id(gate)])), upstream=gate.grad,
                      upstream_name=up[id(gate)], where=labels.get(gate.name))
    shares = tuple((labels[gate.name], gate.shares()[i]) for gate, i in users)
    for (label, share), (gate, i) in zip(shares, users):                  # one share wrong
        others = [o for o in order if o.op == "sigmoid" and o is not gate] if gate.op == "sigmoid" else []
        wrong_sigmoid = [((1 - o.data) * o.data * gate.grad, f"it uses the wrong sigmoid: σ's local gradient here "
                          f"is built from {gate.name}, not {o.name}") for o in others]
        local = gate.shares(np.ones_like(gate.grad))[i]
        mistakes += tuple((node.grad - share + value, f"its share through {label} is wrong: {sentence}") for
                          value, sentence in (*slips(gate, i, up[id(gate)]), *wrong_sigmoid,
                                              (local, f"the upstream factor {up[id(gate)]} is missing")))
    return Answer(name, got, node.grad, mistakes, upstream=order[0].grad, upstream_name=seed_name, shares=shares,
                  what=f"{name} is wrong — {node.name} feeds {len(users)} gates, so add up one share per use")


# ---------------------------------------------------------------- 4.1 and 4.2 the sigmoid

@exercise("4.1", "backward through the sigmoid gate")
def check_sigmoid_backward(sigmoid_backward):
    """Check dz = dout · (1 − s) · s for s = σ(z), on a 2×3 array with a random upstream gradient."""
    rng = np.random.default_rng(41)
    z, dout = rng.normal(0.0, 2.0, size=(2, 3)), rng.normal(0.0, 1.5, size=(2, 3))
    nodes = graph(Value(z, name="z").sigmoid().named("s"), dout)
    got = run(sigmoid_backward, dout, (z, nodes["s"].data), returns=("dz",))
    expect_all(gradient_answer(nodes, "dz", got["dz"], "dout"))
    again = run(sigmoid_backward, dout, (z + 1, nodes["s"].data), returns=("dz",))["dz"]   # z no longer fits s
    if same_numbers(again, nodes["z"].grad):
        return "dz = dout·(1 − s)·s, from the cached output s — one gate instead of four"
    return "dz = dout·(1 − s)·s — one gate instead of four; the cache holds s = σ(z) already, no need to redo it"


def neuron_graph(w, x, df=1.0):
    """Return the named nodes of f = σ(w[0]·x[0] + w[1]·x[1] + w[2]) after backward(df)."""
    vw, vx = Value(w, name="w"), Value(x, name="x")
    return graph(((vw[:2] * vx).sum() + vw[2]).named("dot").sigmoid().named("f"), df)


@exercise("4.2", "the sigmoid neuron, backward")
def check_neuron_backward(neuron_backward):
    """Check (ddot, dx, dw) of the sigmoid neuron at the lesson's point and at a random one."""
    rng = np.random.default_rng(42)
    for w, x, df in ((np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0]), -0.8),
                     (rng.normal(0.0, 1.0, 3), rng.normal(0.0, 1.5, 2), 1.7)):
        n = neuron_graph(w, x, df)
        f, ddot, xb = n["f"].item(), n["dot"].grad, np.append(x, 1.0)   # the bias's "input" is 1
        got = run(neuron_backward, df, (w, x, f), returns=("ddot", "dx", "dw"))
        skips, swaps = "skips the σ gate: the gradient arriving at the weighted sum is ddot, not df", "multiply swaps"
        with case(f"at w = {np.round(w, 3).tolist()}, x = {np.round(x, 3).tolist()}, df = {df:g}: "):
            expect_all(gradient_answer(n, "ddot", got["ddot"], "df"),
                Answer("dx", got["dx"], n["x"].grad, upstream=ddot, local=w[:2], upstream_name="ddot", mistakes=(
                    (x * ddot, f"{swaps}: x[i]'s gradient is its partner w[i] times ddot, not x[i] itself"),
                    (w * ddot, "dx has 3 entries, but x has 2: w[2] is the bias, it multiplies no input"),
                    (w[1:] * ddot, "w[1:] is (w1, w2), and w2 is the bias: x[i] pairs with w[i], so take w[:2]"),
                    (w[:2] * df, f"dx {skips}"))),
                Answer("dw", got["dw"], n["w"].grad, upstream=ddot, local=xb, upstream_name="ddot", mistakes=(
                    (w * ddot, f"{swaps}: w[i]'s gradient is its partner x[i] times ddot, not w[i] itself"),
                    (x * ddot, "dw has 2 entries, but w has 3: the bias w[2] is a weight too, and it gets a "
                               "gradient"),
                    (np.append(x * ddot, 0.0), "an add gate passes ddot on to the bias: its gradient is ddot, "
                                               "not 0"),
                    (np.append(x * ddot, 1.0), "the bias's gradient is 1·ddot (local times upstream), not 1"),
                    (np.append(x * ddot, w[2] * ddot), "the bias is added, not multiplied: dw[2] = ddot"),
                    (xb * df, f"dw {skips}"), (np.append(x * ddot, df), "the bias's gradient is 1·ddot, not df"),
                    (np.append(ddot, x * ddot), "the entries are in the wrong order: dw lines up with w, whose "
                                                "last entry w[2] is the bias"))))
    return "ddot = (1 − f)·f·df, then multiply swaps: dx = w[:2]·ddot, dw = [x0, x1, 1]·ddot"


# ---------------------------------------------------------------- 4.3 and 4.4 the staged expression

def staged_circuit(x, y):
    """Return the engine's f = (x + σ(y)) / (σ(x) + (x + y)²) at (x, y), each stage a named Value."""
    x, y = Value(float(x), name="x"), Value(float(y), name="y")
    sigy = y.sigmoid().named("sigy")
    num = (x + sigy).named("num")
    sigx = x.sigmoid().named("sigx")
    xpy = (x + y).named("xpy")
    den = (sigx + (xpy ** 2).named("xpysqr")).named("den")
    return (num * (den ** -1).named("invden")).named("f")


def _forward_slips(c):
    """Return {stage: [(value, sentence)]}: the forward-pass slips of exercise 4.3, at the stage values ``c``."""
    def by_hand(out, var, other):                                 # writing σ(var) with math.exp
        z = c[var]
        return [(1 / (1 + np.exp(-c[other])), f"{out} is σ({var}), the sigmoid of {var}, not of {other}"),
                (1 / (1 + np.exp(z)), "mind the minus: σ(z) = 1 / (1 + e^(−z))"),
                (np.exp(-z), "σ(z) = 1 / (1 + e^(−z)), not e^(−z) alone"),
                (1 + np.exp(-z), f"Python divides before it adds: `1 / 1 + math.exp(-{var})` is 1 + e^(−{var}). "
                                 f"Put the whole denominator in parentheses: `1 / (1 + math.exp(-{var}))`")]

    def adds(out, a, b, *instead):                                # out = a + b, and an input mixed up
        return [(c[a] * c[b], f"{out} adds: {a} + {b}"),
                *((c[a] + c[b] - c[right] + c[wrong], f"{out} = {a} + {b}: add {right}, not {wrong}")
                  for right, wrong in instead)]
    return {"sigy": by_hand("sigy", "y", "x"), "sigx": by_hand("sigx", "x", "y"),
            "num": adds("num", "x", "sigy", ("sigy", "y"), ("sigy", "sigx")), "xpy": adds("xpy", "x", "y"),
            "den": adds("den", "sigx", "xpysqr", ("xpysqr", "xpy"), ("sigx", "sigy")),
            "xpysqr": [(2 * c["xpy"], "xpysqr is xpy squared, xpy**2 — not 2·xpy"),
                       (c["x"] ** 2 + c["y"] ** 2, "(x + y)² is not x² + y²: square the sum xpy"),
                       (c["xpy"], "xpysqr is xpy squared; the square is missing")],
            "invden": [(c["den"], "invden is 1 / den, the reciprocal")],
            "f": [(c["num"] * c["den"], "f = num · invden: multiply by 1/den, not den (nor divide by invden)"),
                  (c["invden"] / c["num"], "f = num · invden: num goes on top")]}


@exercise("4.3", "the staged forward pass")
def check_staged_forward(staged_forward):
    """Check f and every cached stage of the forward pass at two points, in forward order."""
    for x, y, _df in STAGED_POINTS:
        c = {name: node.item() for name, node in graph(staged_circuit(x, y), 1.0).items()}
        got = run(staged_forward, x, y, returns=("f", "cache"))
        cache, mistakes = as_dict("cache", got["cache"], CACHE_NAMES), _forward_slips(c)
        given = [Answer(f"cache[{n!r}]", cache[n], c[n]) for n in ("x", "y") if not is_placeholder(cache[n])]
        stages = [Answer(n, cache[n], c[n], mistakes[n]) for n in CACHE_NAMES[2:]]
        stages += [Answer("f", got["f"], c["f"], mistakes["f"])]
        stages += [Answer("cache['f']", got["cache"]["f"], c["f"])] if "f" in got["cache"] else []
        with case(f"at x = {x:g}, y = {y:g}: "):
            expect_all(*given, order=None)
            expect_all(*stages, order="forward")
    return "all eight stages and f are right, and the cache holds what the backward pass needs"


@exercise("4.4", "the staged backward pass")
def check_staged_backward(staged_backward):
    """Check every stage of the backward pass of f = (x + σ(y)) / (σ(x) + (x + y)²) at two points."""
    worst = 0.0
    for x, y, df in STAGED_POINTS:
        nodes = graph(staged_circuit(x, y), df)
        grads = run(staged_backward, df, {name: nodes[name].item() for name in CACHE_NAMES}, returns=GRAD_NAMES,
                    keyed=True)
        sigy = nodes["sigy"]
        extra = {"dsigy": (((1 - sigy.data) * sigy.data * sigy.grad, "that is dnum times σ's local gradient, but the "
                            "add gate num = x + sigy passes dnum to sigy unchanged: σ's local gradient belongs to the "
                            "next stage, (1), which goes from sigy to y"),)}
        with case(f"at x = {x:g}, y = {y:g}, df = {df:g}: "):
            expect_all(*(gradient_answer(nodes, n, grads[n], "df", STAGE_OF, extra.get(n, ()))
                         for n in GRAD_NAMES))
        numeric = numerical_gradient(lambda v: staged_circuit(v[0], v[1]).item(), np.array([x, y])) * df
        worst = max(worst, rel_error(np.array([grads["dx"], grads["dy"]], dtype=np.float64), numeric))
    return (f"all {len(GRAD_NAMES)} gradients match the engine, stage by stage, at two points; dx and dy also "
            f"agree with centred differences (worst relative error {worst:.0e})")


# ---------------------------------------------------------------- 4.5 SiLU: a fork through a grouped gate

@exercise("4.5", "x · σ(x): a fork through a grouped gate")
def check_silu_backward(silu_backward):
    """Check dx for g = x · σ(x) on a 2×3 array with a random upstream gradient."""
    rng = np.random.default_rng(45)
    x, dout = rng.normal(0.0, 2.0, size=(2, 3)), rng.normal(0.0, 1.5, size=(2, 3))
    vx = Value(x, name="x")
    nodes = graph((vx * vx.sigmoid().named("s")).named("g"), dout)
    s = nodes["s"].data
    got = run(silu_backward, dout, (x, s), returns=("dx",))
    local, fork = (1 - s) * s, "x is used twice — as a factor of the product and inside σ — so its shares add up"
    expect_all(gradient_answer(nodes, "dx", got["dx"], "dout", {"g": "g = x · s", "s": "s = σ(x)"}, mistakes=(
        (dout * (s + local), "the gradient on s is x·dout (multiply swaps), so the share through σ is "
                             "(1 − s)·s·x·dout"),
        (dout * (x + s * local), "multiply swaps: the direct share is s·dout (x's partner is s), and σ's output "
                                 "gets x·dout"),
        (dout * local, f"that is the σ gate's backward step alone; g = x · s also has a multiply gate, and {fork}"),
        (dout * s + x * local * dout ** 2, "dout is counted twice in the share through σ: the gradient on s, "
                                           "x·dout, already contains it"))))
    return "dx = dout·(s + x·(1 − s)·s): two shares, one per use of x, added"
