"""Checks for lesson 8 — softmax and cross-entropy.

The references come from the engine: the loss is built from its gates (max
over axis 1 with keepdims, subtract, exp, sum with keepdims, log, index with
``np.arange(N), y``, mean) exactly as the lesson draws it, and ``backward()``
gives every stage's gradient.  The data are chosen so that the classic
mistakes cannot pass by accident: shapes are not square (N ≠ C) except in a
case meant to catch a lost ``keepdims`` silently, some labels repeat, some
rows' predicted class is not their label, some scores are near ±1000 so that
an unshifted ``exp`` overflows, and the upstream gradient of the staged
backward pass is not 1.

What the checks name, beyond the generic diagnoses of :mod:`helpers.compare`:
overflow (no shift), one max for the whole batch, the max or the sum over the
wrong axis or without ``keepdims``, the missing 1/N, the label's 1 not
subtracted, subtracted at the predicted class (argmax), ``p[:, y]`` instead of
``p[np.arange(N), y]``, ``log`` of a probability that underflowed to 0, the
forgotten branch at the fork where ``e`` feeds both the sum and the divide,
and repeated indices lost by ``dx[idx] += dout``.
"""
import numpy as np

from helpers.compare import as_numbers, close, expect, in_order
from helpers.engine import Value
from helpers.feedback import NotAttempted, Wrong, call_learner, checker

__all__ = ["check_softmax", "check_cross_entropy", "check_ce_backward_stages", "check_softmax_ce",
           "check_index_backward"]


# ---------------------------------------------------------------- shared pieces

def _quiet(fn, *args):
    """Return fn(*args) computed with numpy's overflow/invalid/divide warnings silenced (for mistakes)."""
    with np.errstate(all="ignore"):
        return fn(*args)


def _call(fn, *args, name, broadcast_hint=None, index_hint=None):
    """Call the learner's function with numpy warnings silenced; explain a crash with the hint for its kind."""
    try:
        with np.errstate(all="ignore"):
            return call_learner(fn, *args, name=name)
    except Wrong as error:
        message = str(error)
        if broadcast_hint and "could not be broadcast" in message:
            raise Wrong(f"{message}. {broadcast_hint}") from None
        if index_hint and "IndexError" in message:
            raise Wrong(f"{message}. {index_hint}") from None
        raise


def _check_untouched(fn_name, names, given, originals):
    """Raise Wrong when the learner's function changed one of the arrays it was given."""
    for what, now, before in zip(names, given, originals):
        if not np.array_equal(now, before):
            raise Wrong(f"{fn_name} changed {what} in place (an in-place `-=`, `+=` or `[...] =` on it?). "
                        "Leave the arrays you are given alone and make new ones: `z = s - m`, not `s -= m`")


def _unpack(out, names, fn_name):
    """Return the learner's returned tuple as a dict name -> answer."""
    if out is ...:
        raise NotAttempted
    if not isinstance(out, (tuple, list)) or len(out) != len(names):
        got = (f"{len(out)} value{'' if len(out) == 1 else 's'}" if isinstance(out, (tuple, list))
               else f"one {type(out).__name__}")
        raise Wrong(f"{fn_name} should return {len(names)} values, ({', '.join(names)}); got {got}")
    return dict(zip(names, out))


def _not_finite(name, answer):
    """Return True when ``answer`` is an array of numbers with a nan or an inf in it (anything else: False)."""
    if answer is None or answer is ... or isinstance(answer, (str, bytes)):
        return False
    try:
        array = np.array(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return bool(array.size) and not np.all(np.isfinite(array))


def _bad_rows(answer):
    """Return the rows (axis 0) of ``answer`` that hold a nan or an inf."""
    array = np.array(answer, dtype=np.float64)
    flat = array.reshape(len(array), -1) if array.ndim else array.reshape(1, 1)
    return [int(i) for i in np.flatnonzero(~np.all(np.isfinite(flat), axis=1))]


def _onehot(labels, classes):
    return np.eye(classes)[labels]


def softmax_rows(s):
    """Return the softmax of each row of ``s`` (N, C), computed stably, as the engine does it."""
    v = Value(s)
    z = v - v.max(axis=1, keepdims=True)
    e = z.exp()
    return (e / e.sum(axis=1, keepdims=True)).data


def _loss_graph(s, y):
    """Build the lesson's graph of the mean cross-entropy of softmax(s) with labels y; return its Values."""
    n = len(y)
    s = Value(s, name="s")
    m = s.max(axis=1, keepdims=True).named("m")
    z = (s - m).named("z")
    e = z.exp().named("e")
    S = e.sum(axis=1, keepdims=True).named("S")
    logp = (z - S.log()).named("logp")
    picked = logp[np.arange(n), y].named("picked")
    L = (-picked.mean()).named("L")
    return {"s": s, "m": m, "z": z, "e": e, "S": S, "logp": logp, "picked": picked, "L": L}


OVERFLOW = ("exp of a large score overflows: float64 stops near e^709, so exp(1000) is inf and inf / inf is "
            "nan. Subtract each row's own max before exp (keepdims=True): the softmax does not change, and the "
            "largest exp is then exactly 1")
ONE_MAX = ("one max for the whole batch is not enough: in a row whose scores are all far below it, every exp "
           "underflows to 0 and 0 / 0 is nan. Subtract each row's own max: s.max(axis=1, keepdims=True)")
KEEPDIMS = ("A row's max or sum without keepdims has shape (N,), and numpy lines (N,) up with the *last* axis "
            "— the classes — not with the rows. Keep the reduced axis: keepdims=True gives (N, 1)")


# ---------------------------------------------------------------- 8.1 stable softmax

def softmax_cases():
    """Return the score arrays 8.1 is checked on: (what it tests, s)."""
    rng = np.random.default_rng(81)
    plain = rng.normal(size=(4, 3)) * 2
    plain[1, 2] = plain[1, 0] = plain[1].max() + 0.5              # a tie for the row's max
    square = rng.normal(size=(3, 3)) * 2                          # N = C: a lost keepdims runs silently
    extreme = rng.normal(size=(4, 3))
    extreme[0] += 1000.0                                          # exp(1000) overflows
    extreme[2] -= 1000.0                                          # far below the batch's largest score
    return [("scores of shape (4, 3)", plain), ("scores of shape (3, 3)", square),
            ("scores near +1000 and −1000 (shape (4, 3))", extreme)]


def _softmax_mistakes(s):
    """Return (value, sentence) for the classic wrong softmaxes of s, computed the way each mistake would."""
    def exp_shift(shift):
        return np.exp(s - shift)

    e = exp_shift(s.max(axis=1, keepdims=True))
    mistakes = [
        (e / e.sum(axis=0, keepdims=True), "the sum runs over axis 0, the batch: each *column* now sums to 1. "
                                           "Each row is one example and must sum to 1: sum over axis 1"),
        (e / e.sum(), "that divides by one sum over the whole batch; each row needs its own sum (axis=1, "
                      "keepdims=True)"),
        (e, "the exps are not normalised: divide each row by its sum, so it adds up to 1"),
        (s - s.max(axis=1, keepdims=True), "that is only the shifted score z = s − max; softmax is exp(z) "
                                           "divided by the row's sum of exp(z)"),
    ]
    col = exp_shift(s.max(axis=0, keepdims=True))
    mistakes.append((col / col.sum(axis=1, keepdims=True),
                     "the max is taken over axis 0, one per class: each column is shifted by a different "
                     "number, which changes the softmax. Shift each row by its own max: axis=1, keepdims=True"))
    if s.shape[0] == s.shape[1]:                                  # the silent cases of a lost keepdims
        lost = exp_shift(s.max(axis=1))
        mistakes += [(lost / lost.sum(axis=1, keepdims=True), "the max has no keepdims. " + KEEPDIMS),
                     (e / e.sum(axis=1), "the sum has no keepdims. " + KEEPDIMS)]
    return mistakes


@checker("8.1")
def check_softmax(softmax):
    """Check softmax(s) -> p, row by row, on (4, 3), (3, 3) and extreme scores."""
    for what, s in softmax_cases():
        given = s.copy()
        out = _call(softmax, given, name="softmax", broadcast_hint=KEEPDIMS)
        _check_untouched("softmax", ("s",), (given,), (s,))
        label = f"p (for {what})"
        if _not_finite(label, out):
            rows = _bad_rows(out)
            naive = _quiet(lambda: np.exp(s) / np.exp(s).sum(axis=1, keepdims=True))
            one = _quiet(lambda: np.exp(s - s.max()) / np.exp(s - s.max()).sum(axis=1, keepdims=True))
            if rows == _bad_rows(one):
                raise Wrong(f"{label} has nan in the row far below the rest: {ONE_MAX}")
            if rows == _bad_rows(naive) or np.max(s[rows]) > 700:
                raise Wrong(f"{label} has nan or inf in the rows with large scores: {OVERFLOW}")
        expect(label, out, softmax_rows(s), mistakes=_quiet(_softmax_mistakes, s))
    return ("every row sums to 1 and is shifted by its own max: right for (4, 3), for (3, 3), and for scores "
            "near ±1000, with no overflow")


# ---------------------------------------------------------------- 8.2 cross-entropy

def ce_case():
    """Return (p, y) for 8.2: p (5, 4), labels with repeats, some rows' label not their largest p."""
    rng = np.random.default_rng(82)
    p = softmax_rows(rng.normal(size=(5, 4)) * 1.5)
    y = np.array([1, 3, 1, 0, 3])
    top = p.argmax(axis=1)
    assert 0 < np.sum(top == y) < len(y), "8.2's data must mix right and wrong predictions"
    return p, y


@checker("8.2")
def check_cross_entropy(cross_entropy):
    """Check cross_entropy(p, y) -> L, the mean of −log p[n, y[n]] over a batch of 5 with 4 classes."""
    p, y = ce_case()
    n = len(y)
    given = [p.copy(), y.copy()]
    out = _call(cross_entropy, *given, name="cross_entropy",
                index_hint=f"y holds one label per example, each a class number 0 … {p.shape[1] - 1}; pair "
                           "row n with its own label: p[np.arange(N), y]")
    _check_untouched("cross_entropy", ("p", "y"), given, (p, y))
    v = Value(p)
    reference = -(v.log()[np.arange(n), y].mean())
    mine = -np.log(p[np.arange(n), y])
    answer = as_numbers("L", out, ())
    if answer.shape == (n,) and close(answer, mine):
        raise Wrong("L holds one loss per example (shape (N,)); the loss is one number: their average over "
                    "the batch")
    expect("L", answer, reference.data, mistakes=[
        (mine.sum(), "that is the sum over the batch; the loss is the mean, so the 1/N is missing"),
        (np.log(p[np.arange(n), y]).mean(), "the minus sign is missing: log of a probability is ≤ 0, and the "
                                            "loss is −log p, which is ≥ 0"),
        (-np.log(p.max(axis=1)).mean(), "that takes each row's *largest* probability — the predicted class. "
                                        "The loss looks at the correct class, the label y"),
        (-np.log(p[:, y]).mean(), "p[:, y] picks column y[k] of *every* row: an N × N block. Pair each row with "
                                  "its own label: p[np.arange(N), y]"),
        (-np.log(p).mean(), "that averages −log over every class of every row; only the correct class's "
                            "probability counts, one per example"),
        (-np.log(p).sum() / n, "that adds −log p over every class; only the correct class's probability "
                               "counts, one per example"),
        (-np.log(p[np.arange(n), y].mean()), "that is −log of the average probability; the loss averages "
                                             "−log p over the examples, so take the log first, then the mean"),
    ])
    return "L = mean over the batch of −log p at each example's own label"


# ---------------------------------------------------------------- 8.3 backward in stages

STAGES = ("dpicked", "dlogp", "dp", "dS", "de", "dz")


def stages_case():
    """Return (s, y, dL) for 8.3: scores (5, 4), labels with repeats, an upstream gradient that is not 1."""
    rng = np.random.default_rng(83)
    s = rng.normal(size=(5, 4)) * 1.5
    y = np.array([2, 0, 2, 3, 1])
    dL = 1.7
    return s, y, dL


def _staged_graph(s, y):
    """Build the loss through p = e / S and log p (the stages of 8.3) in the engine; return its Values."""
    n = len(y)
    sv = Value(s)
    z = sv - sv.max(axis=1, keepdims=True)
    e = z.exp()
    S = e.sum(axis=1, keepdims=True)
    p = e / S
    logp = p.log()
    picked = logp[np.arange(n), y]
    L = -picked.mean()
    return {"z": z, "e": e, "S": S, "p": p, "logp": logp, "picked": picked, "L": L}


@checker("8.3")
def check_ce_backward_stages(ce_backward_stages):
    """Check the six stage gradients of L = −mean(log(e / S)[arange(N), y]) for scores (5, 4), dL ≠ 1."""
    s, y, dL = stages_case()
    n, c = s.shape
    g = _staged_graph(s, y)
    e, S, p = g["e"].data, g["S"].data, g["p"].data
    cache = (y.copy(), e.copy(), S.copy(), p.copy())
    out = _call(ce_backward_stages, dL, cache, name="ce_backward_stages", broadcast_hint=KEEPDIMS,
                index_hint="pair row n with its own label: dlogp[np.arange(N), y]")
    _check_untouched("ce_backward_stages", ("y", "e", "S", "p"), cache, (y, e, S, p))
    answers = _unpack(out, STAGES, "ce_backward_stages")
    g["L"].backward(seed=np.array(dL))
    ref = {name: g[name[1:]].grad for name in STAGES}

    rows = np.arange(n)
    onehot = _onehot(y, c)
    top = _onehot(p.argmax(axis=1), c)
    columns = np.zeros((n, c))
    columns[:, y] = ref["dpicked"]                                # what dlogp[:, y] = dpicked gives
    dp, dS = ref["dp"], ref["dS"]
    branch_divide = dp / S
    branch_sum = np.broadcast_to(dS, (n, c))
    fork = ("e feeds two gates — the divide p = e / S and the sum S — so it sits at a fork, and its gradient is "
            "the sum of both branches' (lesson 3): ")
    in_order([
        ("dpicked", lambda: expect("dpicked", answers["dpicked"], ref["dpicked"], mistakes=[
            (-dL * np.ones(n), "the 1/N of the mean is missing: a mean divides by N, and so does its gradient"),
            (-np.ones(n) / n, "the upstream gradient dL is missing: local gradient times upstream gradient"),
            (dL * np.ones(n) / n, "the sign is wrong: L is *minus* the mean"),
        ])),
        ("dlogp", lambda: expect("dlogp", answers["dlogp"], ref["dlogp"], mistakes=[
            (top * ref["dpicked"][:, None], "the gradient went to each row's predicted class (the argmax of p), "
                                            "but indexing picked the label y: it goes back to the label's place"),
            (columns, "dlogp[:, y] writes into column y[k] of every row; indexing picked one entry per row, so "
                      "the gradient goes back to one entry per row: dlogp[np.arange(N), y]"),
        ])),
        ("dp", lambda: expect("dp", answers["dp"], dp, mistakes=[
            (ref["dlogp"] * p, "log's local gradient is 1 / p: divide by p, don't multiply"),
            (ref["dlogp"], "log's local gradient 1 / p is missing"),
        ])),
        ("dS", lambda: expect("dS", answers["dS"], dS, unsummed=-dp * e / S ** 2, mistakes=[
            (-(dp * e / S ** 2).sum(axis=1), "the sum has no keepdims. " + KEEPDIMS),
            ((dp * e / S ** 2).sum(axis=1, keepdims=True), "the sign is wrong: d(e / S)/dS = −e / S²"),
            ((-dp / S).sum(axis=1, keepdims=True), "the divide's local gradient for its denominator is −e / S², "
                                                   "not −1 / S"),
        ])),
        ("de", lambda: expect("de", answers["de"], ref["de"], mistakes=[
            (branch_divide, fork + "this is only the divide's share, dp / S; add the sum's share, dS (copied "
                                   "to every class of its row)"),
            (branch_sum, fork + "this is only the sum's share, dS; add the divide's share, dp / S"),
            (dp * S + branch_sum, "the divide's local gradient for e is 1 / S: dp / S, not dp · S"),
        ])),
        ("dz", lambda: expect("dz", answers["dz"], ref["dz"], mistakes=[
            (ref["de"], "the exp's local gradient is missing: exp is its own derivative, so dz = de · e"),
            (ref["de"] * p, "the exp's local gradient is its own output e (not p): dz = de · e"),
            (ref["de"] * np.log(e), "the exp's local gradient is its own output e: dz = de · e"),
        ])),
    ])
    return ("all six stages match the engine, from dpicked back to dz: the 1/N, the label's place, 1 / p, the "
            "sum's keepdims, and the fork at e")


# ---------------------------------------------------------------- 8.4 fused loss and gradient

def fused_case():
    """Return (s, y) for 8.4: scores (5, 4), one row near +1000, one label far behind its row's max."""
    rng = np.random.default_rng(84)
    s = rng.normal(size=(5, 4)) * 1.5
    y = np.array([3, 1, 3, 0, 2])
    s[1] += 1000.0                                                # an unshifted exp overflows
    s[4, y[4]] = s[4].max() - 800.0                               # its label's p underflows to 0
    top = s.argmax(axis=1)
    assert 0 < np.sum(top == y) < len(y), "8.4's data must mix right and wrong predictions"
    return s, y


@checker("8.4")
def check_softmax_ce(softmax_ce):
    """Check softmax_ce(s, y) -> (L, ds) against the engine's graph, for scores (5, 4) with extreme rows."""
    s, y = fused_case()
    n, c = s.shape
    given = [s.copy(), y.copy()]
    out = _call(softmax_ce, *given, name="softmax_ce", broadcast_hint=KEEPDIMS,
                index_hint="pair row n with its own label: [np.arange(N), y]")
    _check_untouched("softmax_ce", ("s", "y"), given, (s, y))
    answers = _unpack(out, ("L", "ds"), "softmax_ce")
    if np.shape(answers["L"]) == s.shape and np.ndim(answers["ds"]) == 0 and answers["ds"] is not None:
        raise Wrong("softmax_ce returned (ds, L), the other way round: return the loss first, then its "
                    "gradient — (L, ds)")
    g = _loss_graph(s, y)
    g["L"].backward()
    p = softmax_rows(s)
    rows = np.arange(n)
    onehot, top = _onehot(y, c), _onehot(s.argmax(axis=1), c)
    columns = p.copy()
    columns[:, y] -= 1                                            # what p[:, y] -= 1 does

    def check_loss():
        loss = answers["L"]
        if _not_finite("L", loss):
            value = float(np.array(loss, dtype=np.float64).reshape(-1)[0])
            if np.isinf(value) and value > 0:
                raise Wrong("L is inf: in the last row the label's score is far below the row's max, so its "
                            "probability underflows to exactly 0 and −log 0 = inf. Take log p as z − log(Σ exp z) "
                            "(log-softmax) instead of log of p")
            raise Wrong(f"L is {value}: {OVERFLOW}")
        logp = g["logp"].data
        expect("L", loss, g["L"].data, mistakes=[
            (-logp[rows, y].sum(), "that is the sum over the batch; the loss is the mean, so the 1/N is missing"),
            (logp[rows, y].mean(), "the minus sign is missing: the loss is −log p, which is ≥ 0"),
            (-logp.max(axis=1).mean(), "that uses each row's predicted class (the largest score); the loss looks "
                                       "at the label y"),
            (-logp[:, y].mean(), "[:, y] picks column y[k] of every row, an N × N block; pair each row with its "
                                 "own label: [np.arange(N), y]"),
        ])

    def check_grad():
        ds = answers["ds"]
        if _not_finite("ds", ds):
            raise Wrong(f"ds has nan or inf in the row with scores near 1000: {OVERFLOW}")
        e0 = np.exp(s - s.max(axis=0, keepdims=True))
        expect("ds", ds, g["s"].grad, mistakes=[
            (p - onehot, "the 1/N is missing: the loss is a mean over the N examples, and so is its gradient"),
            (p / n, "the 1 at the correct class is not subtracted: the label's entry of each row is pulled up by "
                    "1 (then divided by N), the onehot(y) of the formula"),
            ((p - top) / n, "the 1 is subtracted at each row's predicted class (the argmax); it belongs at the "
                            "label y — the class the loss picked"),
            ((onehot - p) / n, "the sign is wrong: raising the correct class's score lowers the loss, so ds is "
                               "p − onehot(y), not onehot(y) − p"),
            (columns / n, "p[:, y] -= 1 subtracts in column y[k] of every row; subtract 1 once per row, at its own "
                          "label: p[np.arange(N), y] -= 1"),
            ((e0 / e0.sum(axis=0, keepdims=True) - onehot) / n,
             "the softmax was normalised over axis 0 (the batch); each row sums to 1 over its classes: axis=1"),
        ])

    in_order([("L", check_loss), ("ds", check_grad)], order=None)
    return ("L matches the engine (finite for scores near 1000 and a label far behind), and ds = (p − onehot(y)) "
            "/ N to rounding")


# ---------------------------------------------------------------- 8.5 the gradient of indexing

def index_case():
    """Return (x, idx, dout) for 8.5: a table x (4, 3), indices with repeats and one row never picked."""
    rng = np.random.default_rng(85)
    x = rng.normal(size=(4, 3))
    idx = np.array([2, 0, 2, 3, 2, 0])                            # row 2 three times, row 0 twice, row 1 never
    dout = rng.normal(size=(len(idx), 3))
    return x, idx, dout


@checker("8.5")
def check_index_backward(index_backward):
    """Check index_backward(dout, idx, shape) -> dx for out = x[idx], x (4, 3), idx with repeats."""
    x, idx, dout = index_case()
    given = [dout.copy(), idx.copy()]
    out = _call(index_backward, given[0], given[1], x.shape, name="index_backward",
                broadcast_hint="dx has x's shape (4, 3); dout has one row per index, shape (6, 3)")
    _check_untouched("index_backward", ("dout", "idx"), given, (dout, idx))
    v = Value(x)
    v[idx].backward(seed=dout)
    lost = np.zeros(x.shape)
    lost[idx] += dout                                             # buffered: the last write wins
    counts = np.zeros(x.shape)
    np.add.at(counts, idx, 1.0)
    answer = as_numbers("dx", out, x.shape)
    if answer.shape == dout.shape and close(answer, dout):
        raise Wrong("dx is dout itself, shape (6, 3): the gradient of x has x's shape (4, 3). Send each row of "
                    "dout back to the row of x it was picked from")
    expect("dx", answer, v.grad, mistakes=[
        (lost, "rows picked more than once got only one of their gradients. idx repeats, and dx[idx] += dout "
               "(or dx[idx] = dout) writes each repeated row once — the last write wins. Picking a row twice is "
               "a fork in disguise, and at a fork gradients add up: np.add.at (or a loop) adds every one"),
        (counts, "that counts how often each row was picked; the upstream gradient is missing: add up the rows "
                 "of dout, not ones"),
    ])
    return "every row of dout went back to the row it was picked from, and repeated rows added up"
