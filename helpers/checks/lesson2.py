"""Checks for lesson 2 — gates.

A gate is checked the CS231n way: ``out, cache = gate_forward(...)``, then
``grads = gate_backward(dout, cache)``.  Each check

- passes the learner copies of seeded random inputs (2×3 arrays) and a random,
  non-unit upstream gradient ``dout``, so a missing upstream factor cannot pass;
- checks afterwards that neither function changed the arrays it was given;
- takes the reference from the engine (``Value(...)`` gates, ``backward(seed=dout)``);
- names the classic mistakes of the lesson: multiply not swapped, add not
  distributing, max routed to the smaller input, exp's gradient from the input
  instead of the output, the power rule off by one, quotient-rule slips.
"""
import numpy as np

from helpers.compare import expect, expect_all, is_placeholder
from helpers.engine import Value, maximum
from helpers.feedback import NotAttempted, Wrong, call_learner, checker

__all__ = ["check_mul_gate", "check_add_max_gates", "check_exp_pow_gates", "check_div_gate",
           "check_pattern_prediction", "pattern_circuit", "PATTERN_POINT", "POWERS"]

SHAPE = (2, 3)
POWERS = (3, -1, 0.5)                                             # the exponents the power gate is tested with
PATTERN_POINT = {"x": 3.0, "y": -4.0, "z": 2.0, "w": -1.0}        # the circuit of exercise 2.5
PATTERN_SCALE = 3.0                                               # f = 3 · (x·y + max(z, w))

UPSTREAM = "multiply by the upstream gradient dout (chain rule: local gradient × upstream)"


def _rng(exercise):
    """Return the generator for one exercise: the same numbers on every run."""
    return np.random.default_rng(20 + exercise)


def _dout(rng, shape=SHAPE):
    """Return a random upstream gradient with no entry near 0 or ±1 (so nothing passes by accident)."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(1.5, 3.0, size=shape)


def _reference(build, inputs, dout, fixed=()):
    """Return (out, [gradient per input]) of build(*Values, *fixed) from the engine, seeded with dout."""
    values = [Value(a) for a in inputs]
    out = build(*values, *fixed)
    out.backward(seed=dout)
    return out.data, [v.grad for v in values]


def _unpack(result, names, fname):
    """Return ``result`` as a tuple of len(names), or raise Wrong saying what came back instead."""
    want = ", ".join(names)
    if len(names) == 1:
        if isinstance(result, tuple):
            what = "a tuple (dx,)" if len(result) == 1 else f"a tuple of {len(result)} things"
            raise Wrong(f"{fname} returned {what}; return {want} itself (the gate has one input that "
                        "takes a gradient, so it returns one gradient)")
        return (result,)
    if not isinstance(result, (tuple, list)):
        raise Wrong(f"{fname} returned one {type(result).__name__}; it should return {len(names)} "
                    f"things: `return {want}`")
    if len(result) != len(names):
        raise Wrong(f"{fname} returned {len(result)} things; it should return {len(names)}: `return {want}`")
    return tuple(result)


def _unchanged(fname, given, originals, arguments=None):
    """Raise Wrong if any array handed to the learner was changed in place.

    ``arguments`` are the names passed to ``fname`` directly; the others
    reached it through the cache.
    """
    for name, array in given.items():
        if not np.array_equal(array, originals[name]):
            what = (f"its argument {name}" if arguments is None or name in arguments
                    else f"{name} (which it got from the cache)")
            raise Wrong(f"{fname} changed {what} in place (for example with `{name} *= ...` or "
                        f"`{name}[...] = ...`); build new arrays instead — other gates may still need {name}")


def _resolve(mistakes, answer):
    """Return mistakes with callables replaced by their value for this answer (or dropped)."""
    if not any(callable(value) for value, _ in mistakes):
        return mistakes
    try:
        got = np.array(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return [(v, t) for v, t in mistakes if not callable(v)]
    resolved = []
    for value, text in mistakes:
        if callable(value):
            try:
                value = value(got)
            except ValueError:                                    # a wrong shape: expect() will say so
                continue
        resolved.append((value, text))
    return resolved


def _describe(cache):
    """Return a few words saying what a cache is: "None", "one array of shape (2, 3)", "a tuple of 3 things"."""
    if cache is None:
        return "None"
    if isinstance(cache, np.ndarray):
        return f"one array of shape {cache.shape}"
    if isinstance(cache, (tuple, list)):
        return f"a {type(cache).__name__} of {len(cache)} thing{'s' if len(cache) != 1 else ''}"
    return f"a {type(cache).__name__}"


def _gate(gate, forward, backward, inputs, *, build, dout, grads, fixed=(),
          out_mistakes=(), mistakes=None, label="", unpacks=None):
    """Check one gate's forward and backward pass; return quietly when both are right.

    ``inputs`` maps the forward's argument names to arrays (copies are passed),
    ``fixed`` are extra plain arguments (the exponent p), ``grads`` names what
    the backward returns.  ``mistakes`` maps each gradient's name to a list of
    (what the mistake gives, explanation), or is a function of the backward's
    answers returning that map; a value may be a function of the learner's
    answer (used for max, whose tie entry is judged separately).  ``unpacks``
    names what the exercise's backward unpacks from the cache (``x, y = cache``):
    when the backward goes wrong and the cache is not such a tuple, the message
    says so.
    """
    fname, bname = f"{gate}_forward", f"{gate}_backward"
    originals = {name: np.array(a, dtype=np.float64) for name, a in inputs.items()}
    given = {name: a.copy() for name, a in originals.items()}
    result = call_learner(forward, *given.values(), *fixed, name=fname)
    if is_placeholder(result) and not isinstance(result, (tuple, list)):
        raise NotAttempted
    out, cache = _unpack(result, ("out", "cache"), fname)
    if is_placeholder(out):
        raise NotAttempted
    _unchanged(fname, given, originals)
    ref_out, ref_grads = _reference(build, originals.values(), dout, fixed)
    expect(f"{fname}'s out{label}", out, ref_out, mistakes=out_mistakes)
    if is_placeholder(cache):
        raise NotAttempted(f"{fname}'s out is right; cache is still the placeholder — store in it what "
                           f"{bname} needs.")

    try:
        _backward(fname, bname, backward, cache, dout, grads, ref_grads, given, originals, mistakes, label)
    except Wrong as mistake:
        if unpacks and not (isinstance(cache, (tuple, list)) and len(cache) == len(unpacks)):
            names = ", ".join(unpacks)
            raise Wrong(f"{mistake}. Look at the cache first: {bname} unpacks `{names} = cache`, but "
                        f"{fname} stored {_describe(cache)}; store the tuple ({names})") from None
        raise


def _backward(fname, bname, backward, cache, dout, grads, ref_grads, given, originals, mistakes, label):
    """Run the learner's backward on a copy of ``dout`` and compare its gradients with the engine's."""
    upstream = dout.copy()
    result = call_learner(backward, upstream, cache, name=bname)
    if result is ... or (isinstance(result, tuple) and all(item is ... for item in result)):
        raise NotAttempted(f"{fname} is right; still to fill in: {bname}.")
    answers = _unpack(result, grads, bname)
    _unchanged(bname, {"dout": upstream, **given}, {"dout": dout, **originals}, arguments=("dout",))
    if callable(mistakes):
        mistakes = mistakes(answers)
    mistakes = mistakes or {}
    names = {g: f"{bname}'s {g}{label}" for g in grads}
    expect_all({names[g]: a for g, a in zip(grads, answers)},
               {names[g]: r for g, r in zip(grads, ref_grads)},
               mistakes={names[g]: _resolve(mistakes.get(g, []), a) for g, a in zip(grads, answers)},
               backward=False)


def _all_gates(*parts):
    """Run several gate checks; a wrong one stops at once, unfinished ones make 'not attempted'."""
    done, todo = [], []
    for name, run in parts:
        try:
            run()
        except NotAttempted as signal:
            todo.append((name, str(signal)))
        else:
            done.append(name)
    if todo and not done and not any(text for _, text in todo):
        raise NotAttempted
    if todo:
        detail = "; ".join(text for _, text in todo if text)
        start = f"the {' and '.join(done)} gate{'s are' if len(done) > 1 else ' is'} right; " if done else ""
        rest = f"still to do: the {' and '.join(name for name, _ in todo)} gate" + ("s" if len(todo) > 1 else "")
        raise NotAttempted(start + rest + (f" ({detail})" if detail else "") + ".")
    return None


# ---------------------------------------------------------------- 2.1 multiply gate

@checker("2.1")
def check_mul_gate(mul_forward, mul_backward):
    """Check out, cache = mul_forward(x, y) and dx, dy = mul_backward(dout, cache) on 2×3 arrays."""
    rng = _rng(1)
    x, y = rng.normal(size=SHAPE) * 2, rng.normal(size=SHAPE) * 2
    dout = _dout(rng)
    swapped = "multiply swaps: the gradient on {} uses the *other* input, {}, not {} itself"
    _gate("mul", mul_forward, mul_backward, {"x": x, "y": y}, build=lambda a, b: a * b, dout=dout,
          grads=("dx", "dy"), unpacks=("x", "y"),
          out_mistakes=[(x + y, "that is x + y; a multiply gate outputs x * y")],
          mistakes={
              "dx": [(x * dout, swapped.format("x", "y", "x")),
                     (y, "that is the local gradient alone; " + UPSTREAM),
                     (dout, "that is the add gate's rule; a multiply gate scales dout by the other input"),
                     (x * y * dout, "that uses the output x·y; the local gradient of x·y with respect "
                                    "to x is y alone"),
                     (y * dout / 2, "each input of a multiply gate gets its own full gradient, not half")],
              "dy": [(y * dout, swapped.format("y", "x", "y")),
                     (x, "that is the local gradient alone; " + UPSTREAM),
                     (dout, "that is the add gate's rule; a multiply gate scales dout by the other input"),
                     (x * y * dout, "that uses the output x·y; the local gradient of x·y with respect "
                                    "to y is x alone"),
                     (x * dout / 2, "each input of a multiply gate gets its own full gradient, not half")],
          })
    return "out = x·y, and each input's gradient is the other input times dout: multiply swaps"


# ---------------------------------------------------------------- 2.2 add and max gates

def _max_inputs(rng):
    """Return x, y (2×3) with one exact tie at index (0, 1), and the tie mask."""
    x, y = rng.normal(size=SHAPE) * 2, rng.normal(size=SHAPE) * 2
    y[0, 1] = x[0, 1]
    return x, y, x == y


def _tie_share(answer, tie, dout):
    """Return "all", "none" or None: what the learner's ``answer`` gave at the tie entries."""
    try:
        got = np.array(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if got.shape != dout.shape:
        return None
    if np.allclose(got[tie], dout[tie]):
        return "all"
    if np.allclose(got[tie], 0.0):
        return "none"
    return None


def _max_mistakes(mine, other, tie, dout, name, partner, partner_answer=None):
    """Classic wrong gradients for one input of a max gate (tie entry judged on its own).

    ``partner_answer`` is the learner's gradient for the other input: the tie
    messages say what the two shares do together.
    """
    def off_tie(wrong):
        return lambda got: np.where(tie, got, wrong)                # same as the mistake away from the tie
    wins = (mine > other).astype(float)
    partner_share = _tie_share(partner_answer, tie, dout)
    if partner_share == "all":
        all_at_tie = (f"at the tie ({name} == {partner}) both inputs got the whole upstream gradient (as "
                      f"1[x ≥ y] and 1[y ≥ x] give), which passes on twice the gradient; this course splits "
                      "a tie evenly, half to each input")
    else:
        all_at_tie = (f"at the tie ({name} == {partner}) {name} got the whole upstream gradient ({name} ≥ "
                      f"{partner} instead of {name} > {partner}); sending it all to one input is a valid "
                      "choice, but this course splits a tie evenly, half to each input")
    if partner_share == "none":
        none_at_tie = (f"at the tie ({name} == {partner}) {name} got nothing, and neither did {partner}, so "
                       "the gradient is lost there; this course splits a tie evenly, half of dout to each input")
    else:
        none_at_tie = (f"at the tie ({name} == {partner}) {name} got nothing; this course splits a tie "
                       "evenly, half of dout to each input")
    return [
        (off_tie(dout * (mine < other)), f"max routes the gradient to the *larger* input; where {name} < "
                                         f"{partner}, {name} lost and gets 0"),
        (off_tie(wins), "that is the 0/1 routing mask alone; " + UPSTREAM),
        (off_tie(dout), f"max routes, it does not distribute: where {name} is the smaller input its "
                        "gradient is 0"),
        (off_tie(dout * mine * wins), f"a max gate passes dout itself to the winner, not dout times "
                                      f"{name}'s value (its local gradient is 1)"),
        (off_tie(dout * wins / 2), "the winner gets the whole upstream gradient, not half"),
        (off_tie(np.zeros_like(dout)), f"{name} never gets any gradient; where {name} is the larger input "
                                       "the max gate routes all of dout to it"),
        (np.where(tie, dout, dout * wins), all_at_tie),
        (np.where(tie, 0.0, dout * wins), none_at_tie),
        (lambda got: np.where(tie, got, dout * wins + 0.5 * dout * tie),
         f"only the tie entry ({name} == {partner}) is wrong: split the gradient evenly there, half to each input"),
    ]


@checker("2.2")
def check_add_max_gates(add_forward, add_backward, max_forward, max_backward):
    """Check the add gate and the max gate (forward and backward) on 2×3 arrays."""
    rng = _rng(2)
    x, y = rng.normal(size=SHAPE) * 2, rng.normal(size=SHAPE) * 2
    dout = _dout(rng)
    mx, my, tie = _max_inputs(rng)
    mdout = _dout(rng)
    add_wrong = {
        g: [(dout / 2, "an add gate does not split its gradient: each input gets the *whole* upstream "
                       "gradient (add distributes)"),
            (np.ones(SHAPE), "that is the local gradient 1 alone; " + UPSTREAM),
            (partner * dout, "that is the multiply rule; the local gradient of x + y is 1 for each input"),
            (own * dout, "the local gradient of x + y is 1 for each input, not the input's value"),
            (np.zeros(SHAPE), "an add gate passes dout on to *both* inputs (add distributes)")]
        for g, own, partner in (("dx", x, y), ("dy", y, x))}
    add_wrong["dy"].insert(0, (-dout, "a plus sign has local gradient +1 for both inputs; −1 belongs "
                                      "to the second input of a subtraction"))
    _all_gates(
        ("add", lambda: _gate("add", add_forward, add_backward, {"x": x, "y": y}, build=lambda a, b: a + b,
                              dout=dout, grads=("dx", "dy"), mistakes=add_wrong,
                              out_mistakes=[(x * y, "that is x * y; an add gate outputs x + y")])),
        ("max", lambda: _gate("max", max_forward, max_backward, {"x": mx, "y": my}, build=maximum,
                              dout=mdout, grads=("dx", "dy"),
                              out_mistakes=[(np.minimum(mx, my), "that is the minimum; use np.maximum(x, y)")],
                              unpacks=("x", "y"),
                              mistakes=lambda answers: {
                                  "dx": _max_mistakes(mx, my, tie, mdout, "x", "y", answers[1]),
                                  "dy": _max_mistakes(my, mx, tie, mdout, "y", "x", answers[0])})),
    )
    return "add distributes dout to both inputs; max routes it to the larger one (half each at a tie)"


# ---------------------------------------------------------------- 2.3 exp and power gates

def _num(p):
    """Return p as the messages write it: shortest form, true minus sign."""
    return f"{p:g}".replace("-", "−")


def _pow_mistakes(x, p, dout):
    return {"dx": [
        (p * x ** p * dout, f"power rule off by one: d(x^p)/dx = p·x^(p−1); the exponent drops by one "
                            f"(for p = {_num(p)} it is {_num(p - 1)})"),
        (p * x ** (p + 1) * dout, "power rule off by one: the exponent goes *down* by one, to p − 1"),
        (x ** (p - 1) * dout, "the exponent p comes down as a factor: p·x^(p−1)"),
        ((p - 1) * x ** (p - 1) * dout, "the factor in front is p itself, only the exponent becomes p − 1"),
        (p * x ** (p - 1), "that is the local gradient alone; " + UPSTREAM),
        (x ** p * dout, "that is the output x^p times dout; the local gradient is p·x^(p−1)"),
        (p * x ** p - dout, "operator precedence: `x ** p-1 * dout` means x ** p − dout; put the new "
                            "exponent in brackets, x ** (p - 1)"),
        (x ** p * np.log(x) * dout, "x^p·ln(x) is the derivative with respect to the exponent p; the power "
                                    "gate's input is x, so use the power rule"),
    ]}


@checker("2.3")
def check_exp_pow_gates(exp_forward, exp_backward, pow_forward, pow_backward):
    """Check the exp gate and the power gate x ** p (p = 3, −1, 0.5) on 2×3 arrays."""
    rng = _rng(3)
    x, dout = rng.normal(size=SHAPE), _dout(rng)
    px = rng.uniform(0.5, 2.0, size=SHAPE)                        # positive: x ** 0.5 is defined
    pdouts = [_dout(rng) for _ in POWERS]
    e = np.exp(x)
    exp_wrong = {"dx": [
        (x * dout, "that uses the input x; the local gradient of exp is its *output* exp(x) — which is "
                   "why the gate keeps its output in the cache"),
        (e, "that is the local gradient exp(x) alone; " + UPSTREAM),
        (dout, "the local gradient of exp(x) is exp(x), not 1"),
        (x * np.exp(x - 1) * dout, "that is the power rule, but in e^x the variable is the exponent: "
                                   "the derivative of e^x is e^x itself"),
        (np.exp(e) * dout, "that applies exp twice: the cache already holds exp(x), so multiply it by dout "
                           "as it is"),
    ]}

    def powers():
        for p, pdout in zip(POWERS, pdouts):
            _gate("pow", pow_forward, pow_backward, {"x": px}, fixed=(p,), build=lambda a, q: a ** q,
                  dout=pdout, grads=("dx",), unpacks=("x", "p"), mistakes=_pow_mistakes(px, p, pdout), label=f" (p = {_num(p)})",
                  out_mistakes=[(p * px, "that is p·x; the power gate outputs x ** p")])

    _all_gates(
        ("exp", lambda: _gate("exp", exp_forward, exp_backward, {"x": x}, build=lambda a: a.exp(),
                              dout=dout, grads=("dx",), mistakes=exp_wrong,
                              out_mistakes=[(np.exp(-x), "that is exp(−x); the gate outputs exp(x)")])),
        ("power", powers),
    )
    return "exp's gradient is its own output times dout; x ** p gives p·x^(p−1) times dout"


# ---------------------------------------------------------------- 2.4 division as a · b⁻¹

@checker("2.4")
def check_div_gate(div_forward, div_backward):
    """Check a / b built as a · b⁻¹: out, cache = div_forward(a, b); da, db = div_backward(dout, cache)."""
    rng = _rng(4)
    a = rng.normal(size=SHAPE) * 2
    b = rng.choice([-1.0, 1.0], size=SHAPE) * rng.uniform(0.5, 2.0, size=SHAPE)   # away from 0
    dout = _dout(rng)
    right_db = -a / b ** 2 * dout
    _gate("div", div_forward, div_backward, {"a": a, "b": b}, build=lambda u, v: u / v, dout=dout,
          grads=("da", "db"), unpacks=("a", "b", "r"),
          out_mistakes=[(b / a, "that is b / a; divide the other way round"),
                        (a * b, "multiply a by b⁻¹ (b ** -1), not by b")],
          mistakes={
              "da": [(1 / b, "that is the local gradient 1/b alone; " + UPSTREAM),
                     (right_db, "that is b's gradient; a's comes straight from the multiply gate a · b⁻¹"),
                     (a * dout, "multiply swaps: a's gradient uses its partner in a · b⁻¹, not a itself"),
                     (b * dout, "a's partner in a · b⁻¹ is b⁻¹, not b"),
                     (dout, "a's local gradient in a · b⁻¹ is b⁻¹, not 1")],
              "db": [(a / b ** 2 * dout, "the minus sign is missing: the power gate b ** -1 has local gradient "
                                         "(−1)·b^(−2) — the same slip as swapping the quotient rule's "
                                         "numerator terms"),
                     (-1 / b ** 2 * dout, "the multiply gate was skipped: the gradient arriving at b⁻¹ is "
                                          "a · dout (its partner a times dout), not dout"),
                     (-a / b * dout, "power rule off by one: the local gradient of b^(−1) is (−1)·b^(−2); "
                                     "the exponent drops from −1 to −2"),
                     (-a / b ** 2, "that is the local gradient alone; " + UPSTREAM),
                     ((b - a) / b ** 2 * dout, "quotient-rule slip: with respect to b the numerator a is a "
                                               "constant (derivative 0, not 1); as a · b⁻¹ there is no "
                                               "formula to misremember"),
                     (dout / b, "that is a's gradient; b's goes through the power gate b ** -1"),
                     (a / b ** 2 * dout * -2, "the power rule brings down the exponent −1, not −2"),
                     (-dout / b ** 3, "r's partner in the multiply gate a · r is a, so the gradient arriving "
                                      "at r is a · dout, not r · dout"),
                     (-a * b ** 2 * dout, "the power gate's local gradient (−1)·b^(−2) is written in b; "
                                          "r^(−2) is b², not b^(−2)")],
          })
    return "a · b⁻¹ as two gates: da = b⁻¹·dout, and db = (−1)·b^(−2) · (a·dout)"


# ---------------------------------------------------------------- 2.5 predict the pattern circuit

def pattern_circuit(x=None, y=None, z=None, w=None):
    """Return (f, inputs) for f = 3 · (x·y + max(z, w)), with named Values at PATTERN_POINT by default."""
    point = {"x": x, "y": y, "z": z, "w": w}
    inputs = {name: Value(PATTERN_POINT[name] if v is None else v, name=name) for name, v in point.items()}
    vx, vy, vz, vw = inputs.values()
    f = (PATTERN_SCALE * ((vx * vy).named("xy") + maximum(vz, vw).named("m")).named("s")).named("f")
    return f, inputs


@checker("2.5")
def check_pattern_prediction(dfdx, dfdy, dfdz, dfdw):
    """Check predicted gradients of f = 3 · (x·y + max(z, w)) at x = 3, y = −4, z = 2, w = −1."""
    f, inputs = pattern_circuit()
    f.backward()
    ref = {f"dfd{name}": float(v.grad) for name, v in inputs.items()}
    x, y, z, w = PATTERN_POINT.values()
    c = PATTERN_SCALE
    gz, gw = (c, 0.0) if z > w else (0.0, c)                      # max routes (the point has no tie)
    answers = {"dfdx": dfdx, "dfdy": dfdy, "dfdz": dfdz, "dfdw": dfdw}
    for name, answer in answers.items():
        if isinstance(answer, (list, tuple, np.ndarray)) and np.ndim(answer) > 0 and not is_placeholder(answer):
            raise Wrong(f"{name} should be one number (like 2.5), got a {type(answer).__name__} of shape "
                        f"{np.shape(answer)}")
    dropped = f"the last gate multiplies by {c:g}, and that factor reaches every input (its upstream gradient)"
    halved = "the add gate passes its whole gradient to both inputs; it does not split it (add distributes)"
    return expect_all(
        answers, ref,
        mistakes={
            "dfdx": [(c * x, "multiply swaps: x's gradient uses its partner y, not x itself"),
                     (c * x * y, "that uses the product x·y; multiply swaps, so x's gradient is its partner "
                                 "y times the gradient arriving on x·y"),
                     (y, dropped), (y * c / 2, halved), (x, "that is x's value, not its gradient")],
            "dfdy": [(c * y, "multiply swaps: y's gradient uses its partner x, not y itself"),
                     (c * x * y, "that uses the product x·y; multiply swaps, so y's gradient is its partner "
                                 "x times the gradient arriving on x·y"),
                     (x, dropped), (x * c / 2, halved), (y, "that is y's value, not its gradient")],
            "dfdz": [(gz / c, dropped),
                     (gz / 2, "neither gate on z's way splits the gradient: add passes all of it to both "
                              "inputs, and max (not tied here: z = 2 beats w = −1) sends all of it to z"),
                     (gw, "max routes the gradient to the *larger* input, and z = 2 beats w = −1"),
                     (z, "that is z's value, not its gradient")],
            "dfdw": [(c, "max routes: w = −1 is the smaller input, so it gets nothing"),
                     (1.0, "max routes: w = −1 is the smaller input, so it gets nothing"),
                     (c / 2, "max is not tied here: the larger input z gets all of it, w gets nothing"),
                     (w, "that is w's value, not its gradient"),
                     (-c, "max routes: w = −1 is the smaller input, so it gets nothing — not a negative share")],
        }, backward=False)
