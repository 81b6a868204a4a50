"""Exercises of lesson 8 — softmax and cross-entropy.

The references come from the engine: the loss is built from its gates (max
over axis 1 with keepdims, subtract, exp, sum with keepdims, log, index with
``np.arange(N), y``, mean) as the lesson draws it, and ``backward()`` gives
every stage's gradient; the forks' shares come from the same graph.  The data
are chosen so that the classic mistakes cannot pass by accident: N ≠ C (and one
square case, where a lost ``keepdims`` runs silently), labels that repeat,
rows whose predicted class is not their label, scores near ±1000 (an unshifted
``exp`` overflows), a label far behind its row's max (its probability
underflows to 0), an upstream gradient that is not 1, and indices that repeat.

The harness (:mod:`helpers.checks.harness`) and :mod:`helpers.compare` name the
generic mistakes (sign, a missing 1/N or upstream factor, a sum over the wrong
axes, a lost ``keepdims``, a gradient overwritten at a fork, swapped outputs,
arrays changed in place, bad input).  Listed here are only the misconceptions
of this lesson: overflow, one max for the whole batch, the max or the sum over
the wrong axis, the label's 1 not subtracted or subtracted at the predicted
class, ``[:, y]`` for ``[np.arange(N), y]``, the log of a probability that
underflowed, and repeated indices lost by ``dx[idx] += dout``.
"""
import numpy as np

from helpers.checks.harness import Answer, LearnerError, exercise, expect_all, run
from helpers.engine import Value
from helpers.feedback import Wrong

__all__ = ["check_softmax", "check_cross_entropy", "check_ce_backward_stages", "check_softmax_ce",
           "check_index_backward", "softmax_cases", "ce_case", "stages_case", "fused_case", "index_case"]

OVERFLOW = ("exp of a large score overflows: float64 ends near e^709, so exp(1000) is inf, and inf / inf is "
            "nan. Subtract each row's own max before exp (keepdims=True): the softmax does not change, and the "
            "largest exp becomes exactly 1")
ONE_MAX = ("one max for the whole batch is not enough: in a row whose scores are all far below it, every exp "
           "underflows to 0, and 0 / 0 is nan. Shift each row by its own max: s.max(axis=1, keepdims=True)")
KEEPDIMS = ("A row's max or sum without keepdims has shape (N,), and numpy lines (N,) up with the last axis — "
            "the classes — not with the rows. Keep the reduced axis: keepdims=True gives (N, 1)")
LOST_AXIS = ("This is most likely a row's max or sum without keepdims: it has shape (N,), and numpy lines (N,) up "
             "with the last axis — the classes — not with the rows. Keep the reduced axis: keepdims=True gives "
             "(N, 1)")
LABELS = ("y", "labels", "label")                                 # (N,) arrays of class numbers, not lost axes
COLUMNS = ("[:, y] picks column y[k] of every row, an N × N block; indexing with [np.arange(N), y] pairs each "
           "row with its own label")


# ---------------------------------------------------------------- shared pieces

def _run(fn, *args, returns, rows, parts=None, uses=()):
    """``run`` the learner's function; when it fails where a row's max or sum lost its axis, say so.

    ``rows`` is N.  The harness words the failure from the exception; the lost
    ``keepdims`` behind it is read off the failing line: an (N,) array next to
    an (N, C) one (the labels y aside), or a reduction over axis 1 without
    keepdims.
    """
    try:
        return run(fn, *args, returns=returns, parts=parts, uses=uses)
    except Wrong as failure:
        learner = getattr(failure, "error", None)                 # the harness's reading of the learner's exception
        if isinstance(learner, LearnerError) and learner.kind == "ValueError":
            shapes = [shape for name, shape in learner.shapes.items() if name not in LABELS]
            lost = (rows,) in shapes and any(len(shape) == 2 and shape[0] == rows and shape[1] != 1
                                             for shape in shapes)
            reduced = any(f"axis={axis}" in learner.code.replace(" ", "") for axis in (1, -1))
            if lost or (reduced and "keepdims" not in learner.code):
                raise Wrong(f"{failure}. {LOST_AXIS}") from None
        raise


def _numbers(answer):
    """Return ``answer`` as a float array, or None when it is not numbers at all (the generic checks say so)."""
    if answer is None or answer is ... or isinstance(answer, (str, bytes, bool, dict)) or callable(answer):
        return None
    try:
        if np.iscomplexobj(answer):
            return None
        return np.array(answer, dtype=np.float64)
    except Exception:                                             # ragged lists, objects that refuse
        return None


def _bad_rows(array):
    """Return the rows (axis 0) of a 2-d array that hold a nan or an inf."""
    flat = array.reshape(len(array), -1)
    return [int(i) for i in np.flatnonzero(~np.all(np.isfinite(flat), axis=1))]


def _onehot(labels, classes):
    return np.eye(classes)[labels]


def softmax_rows(s):
    """Return the softmax of each row of ``s`` (N, C), computed stably with the engine's gates."""
    v = Value(s)
    z = v - v.max(axis=1, keepdims=True)
    e = z.exp()
    return (e / e.sum(axis=1, keepdims=True)).data


def loss_graph(s, y):
    """Build the lesson's graph of the mean cross-entropy of softmax(s) with labels y; return its Values by name."""
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


# ---------------------------------------------------------------- 8.1 stable softmax

def softmax_cases():
    """Return the score arrays 8.1 is checked on, as (what it tests, s)."""
    rng = np.random.default_rng(81)
    square = rng.normal(size=(3, 3)) * 2                          # N = C: a lost keepdims runs silently
    plain = rng.normal(size=(4, 3)) * 2
    plain[1, 2] = plain[1, 0] = plain[1].max() + 0.5              # a tie for the row's max
    extreme = rng.normal(size=(4, 3))
    extreme[0] += 1000.0                                          # exp(1000) overflows
    extreme[2] -= 1000.0                                          # far below the batch's largest score
    return [("scores of shape (3, 3)", square), ("scores of shape (4, 3)", plain),
            ("scores near +1000 and −1000, shape (4, 3)", extreme)]


def _softmax_mistakes(s):
    """Return (value, sentence) for the wrong softmaxes of s that only this lesson can name."""
    e = np.exp(s - s.max(axis=1, keepdims=True))
    col = np.exp(s - s.max(axis=0, keepdims=True))
    mistakes = [
        (e / e.sum(axis=0, keepdims=True), "the sum runs over axis 0, the batch, so each column adds up to 1. "
                                           "Each row is one example and must add up to 1: sum over axis 1"),
        (e / e.sum(), "that divides by one sum over the whole batch; each row needs its own sum (axis=1, "
                      "keepdims=True)"),
        (e, "the exps are not normalised: divide each row by its own sum, so that it adds up to 1"),
        (col / col.sum(axis=1, keepdims=True),
         "the max is taken over axis 0, one per class: each column is shifted by a different number, which "
         "changes the softmax. Shift each row by its own max: axis=1, keepdims=True"),
    ]
    if s.shape[0] == s.shape[1]:                                  # a lost keepdims, silent on a square array
        lost = np.exp(s - s.max(axis=1))
        mistakes += [(lost / lost.sum(axis=1, keepdims=True), "the max has no keepdims. " + KEEPDIMS),
                     (e / e.sum(axis=1), "the sum has no keepdims. " + KEEPDIMS)]
    return mistakes


@exercise("8.1", "softmax, stably")
def check_softmax(softmax):
    """Check softmax(s) -> p on scores (3, 3), (4, 3) with a tie, and (4, 3) near ±1000."""
    for what, s in softmax_cases():
        p = _run(softmax, s, returns=("p",), rows=len(s))["p"]
        label = f"p (for {what})"
        got = _numbers(p)
        if got is not None and got.shape == s.shape and not np.all(np.isfinite(got)):
            rows = _bad_rows(got)
            one = np.exp(s - s.max())
            if rows == _bad_rows(one / one.sum(axis=1, keepdims=True)):
                raise Wrong(f"{label} has nan in the row far below the others: {ONE_MAX}")
            if np.max(s[rows]) > 700:
                raise Wrong(f"{label} has nan or inf in the row with large scores: {OVERFLOW}")
        expect_all(Answer(label, p, softmax_rows(s), mistakes=_softmax_mistakes(s)))
    return ("every row adds up to 1 and is shifted by its own max: right for (3, 3), for (4, 3) with a tie, "
            "and for scores near ±1000")


# ---------------------------------------------------------------- 8.2 cross-entropy

def ce_case():
    """Return (p, y) for 8.2: p (5, 4), labels with repeats, some rows' label not their largest p."""
    rng = np.random.default_rng(82)
    p = softmax_rows(rng.normal(size=(5, 4)) * 1.5)
    y = np.array([1, 3, 1, 0, 3])
    return p, y


@exercise("8.2", "cross-entropy from probabilities")
def check_cross_entropy(cross_entropy):
    """Check cross_entropy(p, y) -> L, the mean of −log p[n, y[n]] over a batch of 5 with 4 classes."""
    p, y = ce_case()
    n = len(y)
    L = run(cross_entropy, p, y, returns=("L",))["L"]
    reference = -(Value(p).log()[np.arange(n), y].mean())
    each = -np.log(p[np.arange(n), y])
    got = _numbers(L)
    if got is not None and got.shape == (n,) and np.allclose(got, each):
        raise Wrong("L holds one loss per example (shape (N,)); the loss is one number, their average over "
                    "the batch")
    expect_all(Answer("L", L, reference.data, mistakes=[
        (each.sum(), "that is the sum over the batch; the loss is the mean, so the 1/N is missing"),
        (-np.log(p.max(axis=1)).mean(), "that takes each row's largest probability — the predicted class. The "
                                        "loss looks at the correct class, the label y"),
        (-np.log(p[:, y]).mean(), "p" + COLUMNS),
        (-np.log(p).mean(), "that averages −log over every class of every row; only the correct class's "
                            "probability counts, one per example"),
        (-np.log(p).sum() / n, "that adds −log p over every class; only the correct class's probability "
                               "counts, one per example"),
        (-np.log(p[np.arange(n), y].mean()),
         "that is −log of the average probability; the loss averages −log p over the examples: the log "
         "first, then the mean"),
    ]))
    return "L is the mean over the batch of −log p at each example's own label"


# ---------------------------------------------------------------- 8.3 backward in stages

STAGES = ("dpicked", "dlogp", "dp", "dS", "de", "dz")


def stages_case():
    """Return (s, y, dL) for 8.3: scores (5, 4), labels with repeats, an upstream gradient that is not 1."""
    rng = np.random.default_rng(83)
    s = rng.normal(size=(5, 4)) * 1.5
    y = np.array([2, 0, 2, 3, 1])
    dL = 1.7
    return s, y, dL


def staged_graph(s, y):
    """Build the loss through p = e / S and log p (the stages of 8.3) in the engine; return its Values by name."""
    n = len(y)
    sv = Value(s, name="s")
    z = (sv - sv.max(axis=1, keepdims=True)).named("z")
    e = z.exp().named("e")
    S = e.sum(axis=1, keepdims=True).named("S")
    p = (e / S).named("p")
    logp = p.log().named("logp")
    picked = logp[np.arange(n), y].named("picked")
    L = (-picked.mean()).named("L")
    return {"z": z, "e": e, "S": S, "p": p, "logp": logp, "picked": picked, "L": L}


@exercise("8.3", "the backward pass, stage by stage")
def check_ce_backward_stages(ce_backward_stages):
    """Check the six stage gradients of L = −mean(log(e / S)[arange(N), y]) for scores (5, 4), with dL ≠ 1."""
    s, y, dL = stages_case()
    n, c = s.shape
    g = staged_graph(s, y)
    e, S, p = g["e"].data, g["S"].data, g["p"].data
    got = _run(ce_backward_stages, dL, (y, e, S, p), returns=STAGES, rows=n, parts={1: ("y", "e", "S", "p")})
    g["L"].backward(seed=np.array(dL))
    ref = {name: g[name[1:]].grad for name in STAGES}

    columns = np.zeros((n, c))
    columns[:, y] = ref["dpicked"]                                # what dlogp[:, y] = dpicked gives
    dp, dS = ref["dp"], ref["dS"]
    # e feeds the divide (e * S**-1, the gate that made p) and the sum S: its two shares, read off the graph
    divide_share = g["p"].shares()[0]
    sum_share = g["S"].shares()[0]
    expect_all(
        Answer("dpicked", got["dpicked"], ref["dpicked"], upstream=np.array(dL), local=-np.ones(n) / n, n=n),
        Answer("dlogp", got["dlogp"], ref["dlogp"], mistakes=[
            (_onehot(p.argmax(axis=1), c) * ref["dpicked"][:, None],
             "the gradient went to each row's predicted class (the argmax of p), but indexing picked the label "
             "y: the gradient goes back to the place it was picked from"),
            (columns, "dlogp" + COLUMNS + ": the gradient goes back to one entry per row"),
        ]),
        Answer("dp", got["dp"], dp, mistakes=[
            (ref["dlogp"] * p, "log's local gradient is 1 / p: divide by p, don't multiply"),
            (ref["dlogp"], "log's local gradient, 1 / p, is missing"),
        ]),
        Answer("dS", got["dS"], dS, unsummed=-dp * e / S ** 2, mistakes=[
            ((-dp / S).sum(axis=1, keepdims=True), "the divide's local gradient for its denominator is −e / S², "
                                                   "not −1 / S"),
        ]),
        Answer("de", got["de"], ref["de"], shares=(("the divide p = e / S", divide_share),
                                                   ("the sum S = Σ e", sum_share)), mistakes=[
            (dp * S + dS, "the divide's local gradient for e is 1 / S: dp / S, not dp · S"),
        ]),
        Answer("dz", got["dz"], ref["dz"], mistakes=[
            (ref["de"], "the exp's local gradient is missing: exp is its own derivative"),
            (ref["de"] * p, "the exp's local gradient is its own output, e, not p"),
        ]),
    )
    return ("all six stages match the engine, from dpicked back to dz: the 1/N, the label's place, 1 / p, "
            "the sum over the classes with keepdims, and both shares at the fork at e")


# ---------------------------------------------------------------- 8.4 fused loss and gradient

def fused_case():
    """Return (s, y) for 8.4: scores (5, 4), one row near +1000, one label far behind its row's max."""
    rng = np.random.default_rng(84)
    s = rng.normal(size=(5, 4)) * 1.5
    y = np.array([3, 1, 3, 0, 2])
    s[1] += 1000.0                                                # an unshifted exp overflows
    s[4, y[4]] = s[4].max() - 800.0                               # its label's p underflows to 0
    return s, y


@exercise("8.4", "the fused loss and gradient")
def check_softmax_ce(softmax_ce):
    """Check softmax_ce(s, y) -> (L, ds) against the engine's graph, for scores (5, 4) with extreme rows."""
    s, y = fused_case()
    n, c = s.shape
    got = _run(softmax_ce, s, y, returns=("L", "ds"), rows=n, uses=(check_softmax, check_cross_entropy))
    L_got, ds_got = _numbers(got["L"]), _numbers(got["ds"])
    if L_got is not None and ds_got is not None and ds_got.ndim == 0 and L_got.shape == s.shape:
        raise Wrong("softmax_ce returned (ds, L), the other way round: return the loss first, then its "
                    "gradient, (L, ds)")
    g = loss_graph(s, y)
    g["L"].backward()
    p = softmax_rows(s)
    onehot, top = _onehot(y, c), _onehot(s.argmax(axis=1), c)
    logp = g["logp"].data
    columns = p.copy()
    columns[:, y] -= 1                                            # what p[:, y] -= 1 does
    by_batch = np.exp(s - s.max(axis=0, keepdims=True))
    by_batch = by_batch / by_batch.sum(axis=0, keepdims=True)

    loss, grad = _numbers(got["L"]), _numbers(got["ds"])
    overflowed = grad is not None and grad.shape == s.shape and not np.isfinite(grad).all()
    if loss is not None and loss.size == 1 and not np.isfinite(loss).all():
        if np.isposinf(loss).all() and not overflowed:           # ds is stable, so most likely log of p = 0
            raise Wrong("L is inf. In the last row the label's score is far below the row's max, so its "
                        "probability underflows to exactly 0, and −log 0 = inf (an exp of a score near 1000 without "
                        "a shift would give inf too). Shift each row by its max and compute log p as "
                        "z − log(Σ exp z), log-softmax, instead of taking the log of p")
        raise Wrong(f"L is {float(loss.reshape(-1)[0])}: {OVERFLOW}")
    if overflowed:
        raise Wrong(f"ds has nan or inf in the row with scores near 1000: {OVERFLOW}")
    expect_all(
        Answer("L", got["L"], g["L"].data, mistakes=[
            (-logp[np.arange(n), y].sum(), "that is the sum over the batch; the loss is the mean, so the 1/N is "
                                           "missing"),
            (-logp.max(axis=1).mean(), "that uses each row's predicted class (its largest score); the loss looks "
                                       "at the label y"),
            (-logp[:, y].mean(), COLUMNS[0].upper() + COLUMNS[1:]),
        ]),
        Answer("ds", got["ds"], g["s"].grad, n=n, mistakes=[
            (p / n, "the 1 at the correct class is not subtracted: each row's label entry is pulled up by 1 "
                    "(the onehot(y) of the formula) before the division by N"),
            ((p - top) / n, "the 1 is subtracted at each row's predicted class (the argmax); it belongs at the "
                            "label y, the class the loss picked"),
            (columns / n, "p[:, y] -= 1 subtracts in column y[k] of every row; subtract 1 once per row, at that "
                          "row's own label: [np.arange(N), y]"),
            ((by_batch - onehot) / n, "the softmax is normalised over axis 0, the batch; each row adds up to 1 "
                                      "over its own classes: axis=1"),
        ]),
        order="forward")
    return ("L matches the engine, finite for scores near 1000 and for a label far behind, and ds = "
            "(p − onehot(y)) / N")


# ---------------------------------------------------------------- 8.5 the gradient of indexing

def index_case():
    """Return (x, idx, dout) for 8.5: a table x (4, 3), indices with repeats and one row never picked."""
    rng = np.random.default_rng(85)
    x = rng.normal(size=(4, 3))
    idx = np.array([2, 0, 2, 3, 2, 0])                            # row 2 three times, row 0 twice, row 1 never
    dout = rng.normal(size=(len(idx), 3))
    return x, idx, dout


@exercise("8.5", "backward through indexing, with repeats")
def check_index_backward(index_backward):
    """Check index_backward(dout, idx, shape) -> dx for out = x[idx], x (4, 3), idx (6,) with repeats."""
    x, idx, dout = index_case()
    dx = run(index_backward, dout, idx, x.shape, returns=("dx",))["dx"]
    v = Value(x)
    v[idx].backward(seed=dout)
    lost = np.zeros(x.shape)
    lost[idx] += dout                                             # buffered: the last write wins
    counts = np.zeros(x.shape)
    np.add.at(counts, idx, 1.0)                                   # the scatter's local gradient alone
    got = _numbers(dx)
    if got is not None and got.shape == dout.shape and np.allclose(got, dout):
        raise Wrong(f"dx is dout itself, shape {dout.shape}; the gradient of x has x's shape {x.shape}. Send "
                    "each row of dout back to the row of x it was picked from")
    expect_all(Answer("dx", dx, v.grad, upstream=dout, local=counts, mistakes=[
        (lost, "rows picked more than once got only one of their gradients. idx repeats, and dx[idx] += dout "
               "(or dx[idx] = dout) writes each repeated row once: the last write wins. Picking a row twice is a "
               "fork in disguise, and at a fork gradients add up: np.add.at (or a loop) adds every one"),
    ]))
    return "every row of dout went back to the row it was picked from, and repeated rows added up"
