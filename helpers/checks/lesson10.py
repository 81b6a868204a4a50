"""Checks for lesson 10 — every gradient by hand, on real handwritten digits.

The network and the names of its intermediates are those of
:mod:`helpers.training` (64 pixels → batch norm → tanh → 10 logits → softmax
cross-entropy).  Each check builds the same forward pass from ``Value``s on a
small seeded batch (N=5 rows, D=6 inputs, H=4 hidden units, C=3 classes: all
different, so a transpose cannot pass; labels repeat), runs the engine's
``backward()`` from a non-unit ``dloss``, and compares every gradient the
learner returns with the engine's, in backward order.  The answer is a table
of every intermediate (✓, ✗, or … not filled in) under one line that names
the first wrong one in backward order and the kind of mistake.

Nothing here computes a gradient by hand: the references are the engine's
``.grad``; the mistakes are built from those references and the forward
values, the way each mistake would build them.
"""
import numpy as np

from helpers.checks.harness import exercise, run
from helpers.compare import Answer, close, expect
from helpers.feedback import NotAttempted, Wrong
from helpers.training import EPS, PARAMS, engine_forward

__all__ = ["check_loss_backward", "check_layers_backward", "check_batchnorm_backward", "check_fused_backward",
           "check_train_step", "LOSS_GRADS", "LAYER_GRADS", "BATCHNORM_GRADS", "make_case", "engine_case",
           "shares", "compare_all"]

N, D, H, C = 5, 6, 4, 3
LABELS = np.array([2, 0, 2, 1, 2])                                # class 2 repeats: indexing is a fork only per row
LOSS_GRADS = ("dlogprobs", "dprobs", "dcounts_sum_inv", "dcounts_sum", "dcounts", "dnorm_logits",
              "dlogit_maxes", "dlogits")
LAYER_GRADS = ("dh", "dW2", "db2", "dhpreact", "dbngain", "dbnbias", "dbnraw")
BATCHNORM_GRADS = ("dbnvar_inv", "dbnvar", "dbndiff2", "dbndiff", "dbnmean", "dhprebn", "dW1", "db1")


# ---------------------------------------------------------------- the test case, from the engine

def make_case(seed):
    """Return (params, x, y, dloss, cache, ref): a seeded batch, its forward values and the engine's gradients.

    ``cache`` holds x, y, eps, every parameter and every intermediate (as the
    lesson's ``forward`` returns them); ``ref`` maps "d" + name to the engine's
    gradient, after ``backward()`` from a random ``dloss`` (not 1).

    >>> params, x, y, dloss, cache, ref = make_case(0)
    >>> cache["logits"].shape, ref["dbnvar_inv"].shape, dloss != 1
    ((5, 3), (1, 4), True)
    """
    return engine_case(seed)[:6]


def engine_case(seed):
    """Return :func:`make_case`'s six values and then the engine's loss and {name: Value} after backward()."""
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(D, H)), "b1": rng.normal(size=H) * 0.5,
              "bngain": rng.uniform(0.5, 1.5, size=H), "bnbias": rng.normal(size=H) * 0.3,
              "W2": rng.normal(size=(H, C)), "b2": rng.normal(size=C) * 0.3}
    x = rng.random((N, D))                                        # like pixels scaled to [0, 1]
    y = LABELS.copy()
    dloss = float(rng.uniform(1.2, 1.8))                          # not 1: a missing upstream factor shows
    loss, nodes = engine_forward(params, x, y)
    loss.backward(seed=dloss)
    cache = {name: node.data.copy() for name, node in nodes.items()}
    cache["loss"] = float(cache["loss"])
    cache.update(x=x, y=y, eps=EPS)
    ref = {"d" + name: node.grad.copy() for name, node in nodes.items()}
    return params, x, y, dloss, cache, ref, loss, nodes


# ---------------------------------------------------------------- shared machinery

def shares(loss, node):
    """Return ((label, share), …): what each gate reading ``node`` sends back to it, from the engine's graph.

    A gate is labelled by its own name, or by the name of the first named value
    it feeds (the sum inside a mean is labelled with the mean's name).
    """
    order = loss.topological_order()
    readers = {}
    for gate in order:
        for x in gate.inputs:
            readers.setdefault(id(x), []).append(gate)

    def label(gate):
        while gate.name is None and readers.get(id(gate)):
            gate = readers[id(gate)][0]
        return gate.name or gate.op

    found = []
    for gate in order:
        for k, x in enumerate(gate.inputs):
            if x is node:
                found.append((label(gate), gate.shares()[k]))
    return tuple(found)


def _row(name, shape, verdict):
    return f"    {name:<16}{str(shape):<10}{verdict}"


def compare_all(*answers, lead=None):
    """Compare every :class:`~helpers.compare.Answer` (in backward order) with the engine; return the table.

    Raises Wrong with one line — the first wrong answer in backward order and
    its diagnosis — above a table with one row per answer: ✓, ✗, or … not
    filled in.  Raises NotAttempted while some answers are placeholders and
    the others are right.
    """
    rows, first, done, todo = [], None, [], []
    for a in answers:
        shape = np.shape(a.expected)
        try:
            expect(a.name, a.got, a.expected, mistakes=a.mistakes, unsummed=a.unsummed, upstream=a.upstream,
                   local=a.local, shares=a.shares, n=a.n)
        except NotAttempted:
            rows.append(_row(a.name, shape, "… not filled in"))
            todo.append(a.name)
        except Wrong as mistake:
            rows.append(_row(a.name, shape, "✗" if first else "✗  ← the first wrong one"))
            if first is None:
                first = (a.name, str(mistake), list(done))
        else:
            rows.append(_row(a.name, shape, "✓ matches the engine"))
            done.append(a.name)
    table = "\n".join(rows)
    if first:
        name, mistake, before = first
        right = f" ({', '.join(before)} before it {'is' if len(before) == 1 else 'are'} right)" if before else ""
        lead = f"{lead} " if lead else ""
        raise Wrong(f"{lead}the first wrong one in backward order is {name}{right}: {mistake}\n{table}")
    if todo and not done:
        raise NotAttempted
    if todo:
        raise NotAttempted(f"{', '.join(done)} right so far; still to fill in: {', '.join(todo)}.\n{table}")
    return table


def _agree(count):
    return f"all {count} gradients match the engine's, in backward order"


NO_UPSTREAM = "a factor is missing: multiply the local gradient by the upstream gradient (chain rule)"


# ---------------------------------------------------------------- 10.1 the loss, step by step

@exercise("10.1", "backward through the loss, step by step")
def check_loss_backward(loss_backward):
    """Check the 8 gradients from dloss back to dlogits (softmax cross-entropy, staged)."""
    params, x, y, dloss, f, r, loss, v = engine_case(101)
    got = run(loss_backward, dloss, f, returns=LOSS_GRADS)
    picked = np.zeros((N, C))
    picked[np.arange(N), y] = 1.0
    dprobs, dcsi = r["dprobs"], r["dcounts_sum_inv"]
    table = compare_all(
        Answer("dlogprobs", got["dlogprobs"], r["dlogprobs"], n=N, upstream=dloss, local=-picked / N, mistakes=[
            (-dloss / N * np.ones((N, C)), "only the entries picked by the labels, logprobs[n, y[n]], reach "
                                           "the loss; every other entry's gradient is 0"),
            (-dloss / (N * C) * picked, "the mean is over the N picked entries, one per row: divide by N, "
                                        "not by N·C")]),
        Answer("dprobs", got["dprobs"], dprobs, upstream=r["dlogprobs"], local=1 / f["probs"], mistakes=[
            (r["dlogprobs"] * f["probs"], "d log(p)/dp = 1/p: divide the upstream gradient by probs, don't "
                                          "multiply"),
            (r["dlogprobs"] / f["logprobs"], "the local gradient of log is 1/probs (its input), not "
                                             "1/logprobs")]),
        Answer("dcounts_sum_inv", got["dcounts_sum_inv"], dcsi, unsummed=dprobs * f["counts"], mistakes=[
            ((dprobs * f["probs"]).sum(axis=1, keepdims=True),
             "probs = counts · counts_sum_inv, so the local gradient for counts_sum_inv is counts, not probs")]),
        Answer("dcounts_sum", got["dcounts_sum"], r["dcounts_sum"], upstream=dcsi, mistakes=[
            (f["counts_sum"] ** -2 * dcsi, "d(s⁻¹)/ds = −s⁻²: the minus sign is missing"),
            (-f["counts_sum"] ** -1 * dcsi, "power rule: d(s⁻¹)/ds = −1·s⁻², the exponent drops by one")]),
        Answer("dcounts", got["dcounts"], r["dcounts"], shares=shares(loss, v["counts"]), mistakes=[
            (dprobs * f["counts_sum_inv"] - r["dcounts_sum"],
             "the share from counts_sum enters with a plus: a sum sends its gradient to every term unchanged")]),
        Answer("dnorm_logits", got["dnorm_logits"], r["dnorm_logits"], upstream=r["dcounts"], mistakes=[
            (r["dcounts"] * f["norm_logits"], "the local gradient of exp is exp itself: counts, not norm_logits"),
            (r["dcounts"], "the exp gate is missing: multiply by its local gradient, counts = exp(norm_logits)")]),
        Answer("dlogit_maxes", got["dlogit_maxes"], r["dlogit_maxes"], unsummed=-r["dnorm_logits"]),
        Answer("dlogits", got["dlogits"], r["dlogits"], shares=shares(loss, v["logits"])))
    return f"{_agree(len(LOSS_GRADS))}: loss → logprobs → probs → counts → logits\n{table}"


# ---------------------------------------------------------------- 10.2 the layers: linear, tanh, batch-norm scale

@exercise("10.2", "the second layer, the tanh, and the scale and shift")
def check_layers_backward(layers_backward):
    """Check dh, dW2, db2, dhpreact, dbngain, dbnbias, dbnraw given the engine's dlogits."""
    params, x, y, dloss, f, r, loss, v = engine_case(102)
    dlogits = r["dlogits"]
    got = run(layers_backward, dlogits, f, returns=LAYER_GRADS,
              shapes={name: r[name].shape for name in ("dh", "dW2")})
    dh, dhpreact = r["dh"], r["dhpreact"]
    table = compare_all(
        Answer("dh", got["dh"], dh, upstream=dlogits, local=np.ones_like(dlogits) @ f["W2"].T),
        Answer("dW2", got["dW2"], r["dW2"], upstream=dlogits, local=f["h"].T @ np.ones_like(dlogits), mistakes=[
            (f["hpreact"].T @ dlogits, "the second layer's input is h = tanh(hpreact), not hpreact")]),
        Answer("db2", got["db2"], r["db2"], unsummed=dlogits),
        Answer("dhpreact", got["dhpreact"], dhpreact, upstream=dh, mistakes=[
            (dh * (1 - f["hpreact"] ** 2), "tanh's local gradient is 1 − tanh(hpreact)² = 1 − h², written "
                                           "with the output h, not 1 − hpreact²"),
            (dh * (1 - f["h"]) ** 2, "tanh's local gradient is 1 − h² (h squared, then subtracted), "
                                     "not (1 − h)²"),
            (dh * (1 - np.tanh(f["h"]) ** 2), "h is already tanh(hpreact): the local gradient is 1 − h², "
                                              "no second tanh"),
            (dh * f["h"], "tanh's local gradient is 1 − h², not h"),
            (dh, "the gradient skipped the tanh: multiply dh by its local gradient 1 − h²")]),
        Answer("dbngain", got["dbngain"], r["dbngain"], unsummed=dhpreact * f["bnraw"], mistakes=[
            ((dhpreact * f["hpreact"]).sum(axis=0), "bngain multiplies bnraw, so its local gradient is bnraw, "
                                                    "not hpreact"),
            (dhpreact.sum(axis=0), "that is dbnbias; bngain multiplies bnraw, so its gradient sums "
                                   "dhpreact · bnraw")]),
        Answer("dbnbias", got["dbnbias"], r["dbnbias"], unsummed=dhpreact),
        Answer("dbnraw", got["dbnraw"], r["dbnraw"], upstream=dhpreact, mistakes=[
            (dhpreact, "bnraw was multiplied by bngain: its gradient is dhpreact · bngain"),
            (dhpreact * f["bngain"].sum(), "each column of bnraw has its own gain: multiply by the vector "
                                           "bngain (it broadcasts over the rows), not by its sum")]))
    return f"{_agree(len(LAYER_GRADS))}: the second layer, the tanh, and the batch-norm scale and shift\n{table}"


# ---------------------------------------------------------------- 10.3 batch norm's statistics, then the first layer

@exercise("10.3", "batch norm's mean and variance, then the first layer")
def check_batchnorm_backward(batchnorm_backward):
    """Check the 8 gradients from dbnraw back through the variance and the mean to dW1, db1."""
    params, x, y, dloss, f, r, loss, v = engine_case(103)
    dbnraw = r["dbnraw"]
    got = run(batchnorm_backward, dbnraw, f, returns=BATCHNORM_GRADS,
              shapes={"dW1": r["dW1"].shape})
    bnvar, bndiff = f["bnvar"], f["bndiff"]
    dvi, dvar, ddiff, dmean = r["dbnvar_inv"], r["dbnvar"], r["dbndiff"], r["dbnmean"]
    table = compare_all(
        Answer("dbnvar_inv", got["dbnvar_inv"], dvi, unsummed=bndiff * dbnraw),
        Answer("dbnvar", got["dbnvar"], dvar, upstream=dvi, mistakes=[
            (-0.5 * bnvar ** -1.5 * dvi, "the eps belongs in the derivative too: d/dv (v + eps)^−½ = "
                                         "−½ (v + eps)^−³ᐟ²"),
            (-0.5 * (bnvar + EPS) ** -0.5 * dvi, "power rule: the exponent drops by one, from −½ to −³ᐟ²")]),
        Answer("dbndiff2", got["dbndiff2"], r["dbndiff2"], n=N, mistakes=[
            (np.ones((N, H)) * dvar, "bnvar is a mean over the N rows: each row's share of the gradient is "
                                     "dbnvar / N"),
            (np.ones((N, H)) * dvar / (N - 1), "the variance here divides by N (the plain mean of bndiff2), so "
                                               "each row gets dbnvar / N, not / (N − 1)")]),
        Answer("dbndiff", got["dbndiff"], ddiff, shares=shares(loss, v["bndiff"]), mistakes=[
            (dbnraw * f["bnvar_inv"] + bndiff * r["dbndiff2"],
             "d(u²)/du = 2u: the share through bndiff2 needs the factor 2")]),
        Answer("dbnmean", got["dbnmean"], dmean, unsummed=-ddiff),
        Answer("dhprebn", got["dhprebn"], r["dhprebn"], shares=shares(loss, v["hprebn"]), mistakes=[
            (ddiff + dmean, "bnmean is a mean over N rows: each row of hprebn gets dbnmean / N, not dbnmean")]),
        Answer("dW1", got["dW1"], r["dW1"], mistakes=[
            (x.T @ ddiff, "dW1 = xᵀ · dhprebn: use the gradient on hprebn (with bnmean's share), not dbndiff")]),
        Answer("db1", got["db1"], r["db1"], unsummed=r["dhprebn"]))
    return (f"{_agree(len(BATCHNORM_GRADS))}: through the variance and the mean, both forks added up, to "
            f"the first layer\n{table}")


# ---------------------------------------------------------------- 10.4 the fused shortcuts

def _answer(fn, *args, name, shape):
    """Return what the learner's one-result function gives, or the placeholder while it is not attempted.

    So one finished function of two is checked (and named right) while the other is still to do.
    """
    try:
        return run(fn, *args, returns=(name,), shapes={name: shape})[name]
    except NotAttempted:
        return ...


@exercise("10.4", "the fused shortcuts")
def check_fused_backward(cross_entropy_backward, batchnorm_fused_backward):
    """Check the one-step dlogits of cross-entropy and dhprebn of batch norm against the engine."""
    params, x, y, dloss, f, r, loss, v = engine_case(104)
    d_logits = _answer(cross_entropy_backward, dloss, f, name="dlogits", shape=r["dlogits"].shape)
    dhpreact = r["dhpreact"]
    d_hprebn = _answer(batchnorm_fused_backward, dhpreact, f, name="dhprebn", shape=r["dhprebn"].shape)
    probs, bnraw, gain, inv = f["probs"], f["bnraw"], f["bngain"], f["bnvar_inv"]
    picked = np.zeros((N, C))
    picked[np.arange(N), y] = 1.0
    total, along = dhpreact.sum(axis=0), (dhpreact * bnraw).sum(axis=0)
    table = compare_all(
        Answer("dlogits", d_logits, r["dlogits"], n=N, upstream=dloss, local=(probs - picked) / N, mistakes=[
            (probs - picked, "the loss is a mean over N rows, with dloss arriving on it: multiply "
                             "(probs − onehot) by dloss / N"),
            (dloss * probs / N, "the label's own entry also gets −1: subtract the one-hot of y from probs"),
            (dloss * (probs - 1) / N, "only the entry of the right class, [n, y[n]], gets the −1; the others "
                                      "keep probs"),
            (dloss * (np.exp(f["logits"]) - picked) / N, "probs are the softmax: exp of the logits divided by "
                                                         "each row's sum")]),
        Answer("dhprebn", d_hprebn, r["dhprebn"], mistakes=[
            (gain * inv / N * (N * dhpreact - total - N / (N - 1) * bnraw * along),
             "that is the formula for a variance divided by N − 1 (Bessel's correction); this lesson's bnvar "
             "divides by N, so the last term has no N/(N − 1)"),
            (gain * inv / N * (N * dhpreact - bnraw * along),
             "the term from the mean is missing: subtract dhpreact.sum(axis=0) (every row moved bnmean)"),
            (gain * inv / N * (N * dhpreact - total),
             "the term from the variance is missing: subtract bnraw · (dhpreact · bnraw).sum(axis=0)"),
            (inv / N * (N * dhpreact - total - bnraw * along),
             "bngain is missing: hpreact = bngain · bnraw + bnbias, so every term carries the gain"),
            (gain / N * (N * dhpreact - total - bnraw * along),
             "bnvar_inv is missing: bnraw = bndiff · bnvar_inv, so every term carries 1/σ"),
            (gain * inv / N * (dhpreact - total - bnraw * along),
             "the first term is N · dhpreact: with the 1/N in front, each row keeps its own gradient in full"),
            (gain * inv * dhpreact, "that treats bnmean and bnvar as constants; both depend on every row "
                                    "of hprebn, and their two terms are missing")]))
    return f"both shortcuts match the engine: dlogits in one step, dhprebn in one step\n{table}"


# ---------------------------------------------------------------- 10.5 one training step with your own gradients

UPDATE_ORDER = ("b2", "W2", "bnbias", "bngain", "b1", "W1")        # backward order


@exercise("10.5", "one training step")
def check_train_step(train_step):
    """Check (loss, new params) of one SGD step with lr = 0.1 against the engine's gradients (dloss = 1)."""
    params, x, y, _, cache, _, _, _ = engine_case(105)
    lr = 0.1
    loss_v, nodes = engine_forward(params, x, y)
    loss_v.backward()
    grads = {name: nodes[name].grad for name in PARAMS}
    got = run(train_step, params, x, y, lr, returns=("loss", "new_params"))
    new = got["new_params"]
    if new is ...:
        raise NotAttempted
    if not isinstance(new, dict):
        raise Wrong(f"new_params, the second value train_step returns, should be a dict like params, got "
                    f"{type(new).__name__}")
    missing = [name for name in PARAMS if name not in new]
    if missing:
        raise Wrong(f"new_params has no {', '.join(map(repr, missing))}: every parameter takes a step")
    expect("loss", got["loss"], loss_v.item())
    expected = {name: params[name] - lr * grads[name] for name in UPDATE_ORDER}
    slips = {name: [
        (params[name] + lr * grads[name], "the step has the wrong sign: p + lr·dp climbs the loss; step against "
                                          "the gradient, p − lr·dp"),
        (params[name] - grads[name], "the learning rate is missing: p − lr·dp"),
        (-lr * grads[name], "that is only the step −lr·dp; add it to the current value"),
    ] + ([] if name == "b1" else [(params[name], f"{name} did not move: every parameter takes a step")])
        for name in UPDATE_ORDER}
    answers = [Answer(name, new[name], expected[name], mistakes=slips[name]) for name in UPDATE_ORDER]
    try:
        table = compare_all(*answers)
    except Wrong:
        implied = _implied_gradients(answers, params, lr)
        if implied is None:                                       # a slip in the update itself
            raise
        compare_all(*(Answer("d" + name, implied[name], grads[name]) for name in UPDATE_ORDER),
                    lead="the update p − lr·dp is right, but a gradient that went into it is wrong (run the "
                         "checks of 10.1–10.4 again);")
        raise                                                     # pragma: no cover - the gradients differ
    return f"the loss and all six parameters after one SGD step match the engine's\n{table}"


def _implied_gradients(answers, params, lr):
    """Return {name: (p − new p) / lr} when the first wrong new parameter is no slip of the update, else None.

    A new value with the right shape that matches none of the update's classic
    slips came from a correct update with a wrong gradient: the gradient it
    implies is what to diagnose.
    """
    implied, first_seen = {}, False
    for a in answers:
        try:
            value = np.array(a.got, dtype=np.float64)
        except (TypeError, ValueError):
            return None
        if value.shape != params[a.name].shape or not np.all(np.isfinite(value)):
            return None
        if not first_seen and not close(value, a.expected):
            if any(close(value, np.asarray(slip)) for slip, _ in a.mistakes):
                return None
            first_seen = True
        implied[a.name] = (params[a.name] - value) / lr
    return implied
