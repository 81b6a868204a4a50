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

from helpers.compare import close, expect
from helpers.feedback import NotAttempted, Wrong, call_learner, checker
from helpers.training import EPS, PARAMS, engine_forward

__all__ = ["check_loss_backward", "check_layers_backward", "check_batchnorm_backward", "check_fused_backward",
           "check_train_step", "LOSS_GRADS", "LAYER_GRADS", "BATCHNORM_GRADS", "make_case"]

N, D, H, C = 5, 6, 4, 3
LABELS = np.array([2, 0, 2, 1, 2])                                # class 2 repeats: indexing is a fork only per row
LOSS_GRADS = ("dlogprobs", "dprobs", "dcounts_sum_inv", "dcounts_sum", "dcounts", "dnorm_logits",
              "dlogit_maxes", "dlogits")
LAYER_GRADS = ("dh", "dW2", "db2", "dhpreact", "dbngain", "dbnbias", "dbnraw")
BATCHNORM_GRADS = ("dbnvar_inv", "dbnvar", "dbndiff2", "dbndiff", "dbnmean", "dhprebn", "dW1", "db1")


# ---------------------------------------------------------------- the test case, from the engine

def make_case(seed, *, n=N, d=D, h=H, c=C, labels=LABELS):
    """Return (params, x, y, dloss, cache, ref): a seeded batch, its forward values and the engine's gradients.

    ``cache`` holds x, y, eps, every parameter and every intermediate (as the
    lesson's ``forward`` returns them); ``ref`` maps "d" + name to the engine's
    gradient, after ``backward()`` from a random ``dloss`` (not 1).

    >>> params, x, y, dloss, cache, ref = make_case(0)
    >>> cache["logits"].shape, ref["dbnvar_inv"].shape, dloss != 1
    ((5, 3), (1, 4), True)
    """
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h) * 0.5,
              "bngain": rng.uniform(0.5, 1.5, size=h), "bnbias": rng.normal(size=h) * 0.3,
              "W2": rng.normal(size=(h, c)), "b2": rng.normal(size=c) * 0.3}
    x = rng.random((n, d))                                        # like pixels scaled to [0, 1]
    y = np.array(labels[:n])
    dloss = float(rng.uniform(1.2, 1.8))                          # not 1: a missing upstream factor shows
    loss, nodes = engine_forward(params, x, y)
    loss.backward(seed=dloss)
    cache = {name: node.data.copy() for name, node in nodes.items()}
    cache["loss"] = float(cache["loss"])
    cache.update(x=x, y=y, eps=EPS)
    ref = {"d" + name: node.grad.copy() for name, node in nodes.items()}
    return params, x, y, dloss, cache, ref


# ---------------------------------------------------------------- shared machinery

def _call(fn, *args, name, shapes):
    """Call the learner's function; explain a product whose shapes do not fit with dimension analysis."""
    try:
        return call_learner(fn, *args, name=name)
    except Wrong as error:
        text = str(error)
        if "matmul" in text or "not aligned" in text:
            raise Wrong(f"{text} — the shapes in a matrix product do not fit: an operand in the wrong place or "
                        f"a .T missing. Dimension analysis: {shapes}") from None
        if "could not be broadcast" in text:
            raise Wrong(f"{text} — two arrays whose shapes do not line up: {shapes}") from None
        raise


def _copy(cache):
    return {name: np.array(value, copy=True) if isinstance(value, np.ndarray) else value
            for name, value in cache.items()}


def _unchanged(fn_name, before, given):
    """Raise Wrong when the learner's function changed an array of the cache (or another argument) in place."""
    for name, value in before.items():
        if isinstance(value, np.ndarray) and not np.array_equal(value, given[name]):
            raise Wrong(f"{fn_name} changed {name} in place. A backward pass must leave the forward values "
                        f"alone: `a = {name}` gives the same array a second name, so `a += ...` or "
                        "`a[...] = ...` changes it too — make a new array (`a = " + name + " * ...`, "
                        "`.copy()`)")


def _unpack(out, names, fn_name):
    """Return the learner's tuple as {name: answer}, or raise Wrong saying what came back instead."""
    if out is ...:
        raise NotAttempted
    if isinstance(out, np.ndarray) or not isinstance(out, (tuple, list)):
        raise Wrong(f"{fn_name} should return {len(names)} gradients ({', '.join(names)}), "
                    f"got one {type(out).__name__}")
    if len(out) != len(names):
        raise Wrong(f"{fn_name} should return {len(names)} gradients ({', '.join(names)}), got {len(out)}")
    return dict(zip(names, out))


def _row(name, shape, verdict):
    return f"    {name:<16}{str(shape):<10}{verdict}"


def compare_all(got, ref, *, mistakes=None, unsummed=None, lead=None):
    """Compare every answer with the engine in backward order; return the ✓ line, or raise with the table.

    ``got`` and ``ref`` map names (in backward order) to answers and engine
    gradients.  The message is one line — all right, or the first wrong one
    in backward order and its diagnosis — and below it one row per name:
    ✓, ✗, or … not filled in.
    """
    mistakes, unsummed = mistakes or {}, unsummed or {}
    rows, first, done, todo = [], None, [], []
    for name, reference in ref.items():
        try:
            expect(name, got[name], reference, mistakes=mistakes.get(name, ()), unsummed=unsummed.get(name))
        except NotAttempted:
            rows.append(_row(name, reference.shape, "… not filled in"))
            todo.append(name)
        except Wrong as mistake:
            rows.append(_row(name, reference.shape, "✗" if first else "✗  ← the first wrong one"))
            if first is None:
                first = (name, str(mistake), list(done))
        else:
            rows.append(_row(name, reference.shape, "✓ matches the engine"))
            done.append(name)
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


FORK = ("{name} feeds two gates ({a} and {b}), so its gradient is the sum of both shares; yours has only the "
        "share from {a} — the second share must be added (+=), not assigned")
NO_UPSTREAM = "a factor is missing: multiply the local gradient by the upstream gradient (chain rule)"


# ---------------------------------------------------------------- 10.1 the loss, step by step

@checker("10.1")
def check_loss_backward(loss_backward):
    """Check the 8 gradients from dloss back to dlogits (softmax cross-entropy, staged)."""
    params, x, y, dloss, cache, ref = make_case(101)
    given = _copy(cache)
    out = _call(loss_backward, dloss, given, name="loss_backward",
                shapes=f"logits, counts and probs are {cache['logits'].shape}; logit_maxes, counts_sum and "
                       f"counts_sum_inv are {cache['counts_sum'].shape} — sum over axis 1 with keepdims=True")
    got = _unpack(out, LOSS_GRADS, "loss_backward")
    _unchanged("loss_backward", cache, given)
    f, r = cache, ref
    rows = np.arange(N)
    picked = np.zeros((N, C))
    picked[rows, y] = 1.0
    dlogprobs, dprobs, dcsi = r["dlogprobs"], r["dprobs"], r["dcounts_sum_inv"]
    direct = dprobs * f["counts_sum_inv"]                          # the share through probs alone
    mistakes = {
        "dlogprobs": [
            (-picked / N, NO_UPSTREAM + " — dloss multiplies every entry"),
            (-dloss * picked, "the loss is the mean over the N rows, so each picked log-probability gets "
                              "−dloss/N, not −dloss"),
            (-dloss / N * np.ones((N, C)), "only the entries picked by the labels, logprobs[n, y[n]], reach the "
                                           "loss; every other entry's gradient is 0"),
            (-dloss / (N * C) * picked, "the mean is over the N picked entries, one per row, so divide by N, "
                                        "not by N·C"),
        ],
        "dprobs": [
            (dlogprobs * f["probs"], "d log(p)/dp = 1/p: divide the upstream gradient by probs, don't multiply"),
            (dlogprobs / f["logprobs"], "the local gradient of log is 1/probs (its input), not 1/logprobs"),
            (1 / f["probs"], NO_UPSTREAM),
        ],
        "dcounts_sum_inv": [
            ((dprobs * f["probs"]).sum(axis=1, keepdims=True), "probs = counts · counts_sum_inv, so the local "
                                                                "gradient for counts_sum_inv is counts, not probs"),
        ],
        "dcounts_sum": [
            (f["counts_sum"] ** -2 * dcsi, "d(s⁻¹)/ds = −s⁻²: the minus sign is missing"),
            (-f["counts_sum"] ** -1 * dcsi, "power rule: d(s⁻¹)/ds = −1·s⁻², the exponent drops by one"),
            (dcsi, "the local gradient is missing: d(s⁻¹)/ds = −s⁻², times the upstream gradient"),
        ],
        "dcounts": [
            (direct, FORK.format(name="counts", a="probs", b="counts_sum")),
            (np.broadcast_to(r["dcounts_sum"], (N, C)),
             FORK.format(name="counts", a="counts_sum", b="probs")),
            (direct - np.broadcast_to(r["dcounts_sum"], (N, C)),
             "the share from counts_sum enters with a + (a sum copies its gradient to each term)"),
        ],
        "dnorm_logits": [
            (r["dcounts"] * f["norm_logits"], "the local gradient of exp is exp itself: counts, not norm_logits"),
            (r["dcounts"], "the exp gate is missing: multiply by its local gradient, counts = exp(norm_logits)"),
        ],
        "dlogits": [],
    }
    unsummed = {"dcounts_sum_inv": dprobs * f["counts"], "dlogit_maxes": -r["dnorm_logits"]}
    table = compare_all(got, {name: ref[name] for name in LOSS_GRADS}, mistakes=mistakes, unsummed=unsummed)
    return f"{_agree(len(LOSS_GRADS))}: loss → logprobs → probs → counts → logits\n{table}"


# ---------------------------------------------------------------- 10.2 the layers: linear, tanh, batch-norm scale

@checker("10.2")
def check_layers_backward(layers_backward):
    """Check dh, dW2, db2, dhpreact, dbngain, dbnbias, dbnraw given the engine's dlogits."""
    params, x, y, dloss, cache, ref = make_case(102)
    dlogits = ref["dlogits"].copy()
    given, given_dlogits = _copy(cache), dlogits.copy()
    out = _call(layers_backward, given_dlogits, given, name="layers_backward",
                shapes=f"h is {cache['h'].shape}, W2 is {cache['W2'].shape}, dlogits is {dlogits.shape}: dh must "
                       f"have h's shape and dW2 W2's shape, and only one product order gives each")
    got = _unpack(out, LAYER_GRADS, "layers_backward")
    _unchanged("layers_backward", dict(cache, dlogits=dlogits), dict(given, dlogits=given_dlogits))
    f, r = cache, ref
    dh, dhpreact = r["dh"], r["dhpreact"]
    mistakes = {
        "dh": [(dlogits @ np.ones((C, H)), "dh = dlogits · W2ᵀ: the weights are missing from the product")],
        "dW2": [(f["hpreact"].T @ dlogits, "the second layer's input is h = tanh(hpreact), not hpreact"),
                (f["h"].T @ np.ones_like(dlogits), NO_UPSTREAM)],
        "db2": [(dlogits.mean(axis=0), "b2 was added to every row: its copies' gradients add up — a sum over "
                                      "axis 0, not a mean")],
        "dhpreact": [
            (dh * (1 - f["hpreact"] ** 2), "tanh's local gradient is 1 − tanh(hpreact)² = 1 − h², written with "
                                           "the output h, not 1 − hpreact²"),
            (dh * (1 - f["h"]) ** 2, "tanh's local gradient is 1 − h² (h squared, then subtracted), "
                                     "not (1 − h)²"),
            (dh * (1 - np.tanh(f["h"]) ** 2), "h is already tanh(hpreact): the local gradient is 1 − h², "
                                              "no second tanh"),
            (dh * f["h"], "tanh's local gradient is 1 − h², not h"),
            (dh, "the gradient skipped the tanh: multiply dh by its local gradient 1 − h²"),
        ],
        "dbngain": [(( dhpreact * f["hpreact"]).sum(axis=0), "bngain multiplies bnraw, so its local gradient "
                                                             "is bnraw, not hpreact"),
                    (dhpreact.sum(axis=0), "that is dbnbias; bngain multiplies bnraw, so its gradient sums "
                                           "dhpreact · bnraw")],
        "dbnbias": [(dhpreact.mean(axis=0), "bnbias was added to every row: sum over axis 0, not a mean")],
        "dbnraw": [(dhpreact, "bnraw was multiplied by bngain: its gradient is dhpreact · bngain"),
                   (dhpreact * f["bngain"].sum(), "each column of bnraw has its own gain: multiply by the "
                                                  "vector bngain (it broadcasts over the rows), not its sum")],
    }
    unsummed = {"db2": dlogits, "dbngain": dhpreact * f["bnraw"], "dbnbias": dhpreact}
    table = compare_all(got, {name: ref[name] for name in LAYER_GRADS}, mistakes=mistakes, unsummed=unsummed)
    return f"{_agree(len(LAYER_GRADS))}: the second layer, the tanh, and the batch-norm scale and shift\n{table}"


# ---------------------------------------------------------------- 10.3 batch norm's statistics, then the first layer

@checker("10.3")
def check_batchnorm_backward(batchnorm_backward):
    """Check the 8 gradients from dbnraw back through the variance and the mean to dW1, db1."""
    params, x, y, dloss, cache, ref = make_case(103)
    dbnraw = ref["dbnraw"].copy()
    given, given_dbnraw = _copy(cache), dbnraw.copy()
    out = _call(batchnorm_backward, given_dbnraw, given, name="batchnorm_backward",
                shapes=f"bndiff, bnraw and hprebn are {cache['bndiff'].shape}; bnmean, bnvar and bnvar_inv are "
                       f"{cache['bnvar'].shape}; x is {x.shape} and dW1 must have W1's shape {params['W1'].shape}")
    got = _unpack(out, BATCHNORM_GRADS, "batchnorm_backward")
    _unchanged("batchnorm_backward", dict(cache, dbnraw=dbnraw), dict(given, dbnraw=given_dbnraw))
    f, r = cache, ref
    bnvar, bndiff = f["bnvar"], f["bndiff"]
    dvi, dvar, d2, ddiff, dmean = r["dbnvar_inv"], r["dbnvar"], r["dbndiff2"], r["dbndiff"], r["dbnmean"]
    from_bnraw, from_square = dbnraw * f["bnvar_inv"], 2 * bndiff * d2
    mistakes = {
        "dbnvar": [(-0.5 * bnvar ** -1.5 * dvi, "the eps belongs in the derivative too: d/dv (v + eps)^−½ = "
                                                "−½ (v + eps)^−³ᐟ²"),
                   (-0.5 * (bnvar + EPS) ** -0.5 * dvi, "power rule: the exponent drops by one, from −½ to −³ᐟ²"),
                   (-0.5 * (bnvar + EPS) ** -1.5 * np.ones_like(dvi), NO_UPSTREAM)],
        "dbndiff2": [(np.ones((N, H)) * dvar, "bnvar is a mean over the N rows: each row's share of the "
                                              "gradient is dbnvar / N"),
                     (np.ones((N, H)) * dvar / (N - 1), "the variance here divides by N (the plain mean of "
                                                       "bndiff2), so each row gets dbnvar / N, not / (N − 1)")],
        "dbndiff": [(from_bnraw, FORK.format(name="bndiff", a="bnraw", b="bndiff2")),
                    (from_square, FORK.format(name="bndiff", a="bndiff2", b="bnraw")),
                    (from_bnraw + bndiff * d2, "d(u²)/du = 2u: the share through bndiff2 needs the factor 2")],
        "dbnmean": [(-ddiff.mean(axis=0, keepdims=True), "bnmean was subtracted from every row, so its "
                                                         "gradient is minus the sum of dbndiff over axis 0 — "
                                                         "a sum, not a mean")],
        "dhprebn": [(ddiff, "hprebn feeds bndiff and bnmean, so its gradient has two shares; the share from "
                            "bnmean (dbnmean / N, copied to every row) is missing"),
                    (ddiff + dmean, "bnmean is a mean over N rows: each row of hprebn gets dbnmean / N, not "
                                    "dbnmean"),
                    (np.ones((N, H)) * dmean / N, FORK.format(name="hprebn", a="bnmean", b="bndiff"))],
        "dW1": [(x.T @ ddiff, "dW1 = xᵀ · dhprebn: use the gradient on hprebn (with bnmean's share), "
                              "not dbndiff")],
        "db1": [],
    }
    unsummed = {"dbnvar_inv": bndiff * dbnraw, "dbnmean": -ddiff, "db1": r["dhprebn"]}
    table = compare_all(got, {name: ref[name] for name in BATCHNORM_GRADS}, mistakes=mistakes,
                        unsummed=unsummed)
    return (f"{_agree(len(BATCHNORM_GRADS))}: through the variance and the mean, both forks added up, to "
            f"the first layer\n{table}")


# ---------------------------------------------------------------- 10.4 the fused shortcuts

@checker("10.4")
def check_fused_backward(cross_entropy_backward, batchnorm_fused_backward):
    """Check the one-step dlogits of cross-entropy and dhprebn of batch norm against the engine."""
    params, x, y, dloss, cache, ref = make_case(104)
    f = cache
    given = _copy(cache)
    d_logits = _call(cross_entropy_backward, dloss, given, name="cross_entropy_backward",
                     shapes=f"logits are {f['logits'].shape}; a sum over axis 1 needs keepdims=True to divide each "
                            "row by its own total")
    _unchanged("cross_entropy_backward", cache, given)
    dhpreact = ref["dhpreact"].copy()
    given, given_dhpreact = _copy(cache), dhpreact.copy()
    d_hprebn = _call(batchnorm_fused_backward, given_dhpreact, given, name="batchnorm_fused_backward",
                     shapes=f"dhpreact, bnraw are {f['bnraw'].shape}, bngain is {f['bngain'].shape}, bnvar_inv is "
                            f"{f['bnvar_inv'].shape}")
    _unchanged("batchnorm_fused_backward", dict(cache, dhpreact=dhpreact), dict(given, dhpreact=given_dhpreact))
    probs, bnraw, gain, inv = f["probs"], f["bnraw"], f["bngain"], f["bnvar_inv"]
    picked = np.zeros((N, C))
    picked[np.arange(N), y] = 1.0
    total, along = dhpreact.sum(axis=0), (dhpreact * bnraw).sum(axis=0)
    mistakes = {
        "dlogits": [
            ((probs - picked), "the loss is a mean over N rows, times dloss: multiply (probs − onehot) by dloss / N"),
            ((probs - picked) / N, NO_UPSTREAM + " — dloss multiplies every entry"),
            (dloss * probs / N, "the label's own entry also gets −1: subtract the one-hot of y from probs"),
            (dloss * (probs - 1) / N, "only the entry of the right class, [n, y[n]], gets the −1; the others "
                                      "keep probs"),
            (dloss * (np.exp(f["logits"]) - picked) / N, "probs are the softmax: exp of the logits divided by "
                                                         "each row's sum"),
        ],
        "dhprebn": [
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
                                    "of hprebn, and their two terms are missing"),
        ],
    }
    table = compare_all({"dlogits": d_logits, "dhprebn": d_hprebn},
                        {"dlogits": ref["dlogits"], "dhprebn": ref["dhprebn"]}, mistakes=mistakes)
    return f"both shortcuts match the engine: dlogits in one step, dhprebn in one step\n{table}"


# ---------------------------------------------------------------- 10.5 one training step with your own gradients

@checker("10.5")
def check_train_step(train_step):
    """Check (loss, new params) of one SGD step with lr = 0.1 against the engine's gradients."""
    params, x, y, _, cache, _ = make_case(105)
    lr = 0.1
    loss_v, nodes = engine_forward(params, x, y)
    loss_v.backward()
    grads = {name: nodes[name].grad for name in PARAMS}
    given_p, given_x, given_y = {k: v.copy() for k, v in params.items()}, x.copy(), y.copy()
    out = _call(train_step, given_p, given_x, given_y, lr, name="train_step",
                shapes="each gradient has the shape of its parameter")
    if out is ...:
        raise NotAttempted
    if isinstance(out, np.ndarray) or not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Wrong("train_step should return two things: (loss, new_params)")
    loss, new = out
    if new is ...:
        raise NotAttempted
    for name in PARAMS:
        if not np.array_equal(params[name], given_p[name]):
            raise Wrong(f"train_step changed params[{name!r}] in place (-= or +=); build new arrays with an "
                        "ordinary minus, so the old parameters stay as they were")
    if not isinstance(new, dict):
        raise Wrong(f"the second thing train_step returns should be a dict of new parameters, got "
                    f"{type(new).__name__}")
    missing = [name for name in PARAMS if name not in new]
    if missing:
        raise Wrong(f"the new parameters have no {', '.join(map(repr, missing))}: every parameter takes a step")
    expect("loss", loss, loss_v.item())
    order = ("b2", "W2", "bnbias", "bngain", "b1", "W1")           # backward order
    expected = {name: params[name] - lr * grads[name] for name in order}
    mistakes = {name: [
        (params[name] + lr * grads[name], "the step has the wrong sign: p + lr·dp climbs the loss; step against "
                                          "the gradient, p − lr·dp"),
        (params[name] - grads[name], "the learning rate is missing: p − lr·dp"),
        (-lr * grads[name], "that is only the step −lr·dp; add it to the current value"),
    ] + ([] if name == "b1" else [(params[name], f"{name} did not move: every parameter takes a step")])
        for name in order}
    answers = {name: new[name] for name in order}
    try:
        table = compare_all(answers, expected, mistakes=mistakes)
    except Wrong:
        implied = _implied_gradients(answers, params, expected, mistakes, lr)
        if implied is None:                                       # a slip in the update itself
            raise
        compare_all(implied, {"d" + name: grads[name] for name in order},
                    lead="the update p − lr·dp is right, but a gradient that went into it is wrong (run the "
                         "checks of 10.1–10.4 again);")
        raise                                                     # pragma: no cover - the gradients differ
    return f"the loss and all six parameters after one SGD step match the engine's\n{table}"


def _implied_gradients(answers, params, expected, mistakes, lr):
    """Return {"d" + name: (p − new p) / lr} when the first wrong new parameter is not an update slip, else None.

    A new value with the right shape that is none of the update's classic
    slips was made by a correct update from a wrong gradient: the gradient
    it implies is what to diagnose.
    """
    implied, first_seen = {}, False
    for name, answer in answers.items():
        try:
            value = np.array(answer, dtype=np.float64)
        except (TypeError, ValueError):
            return None
        if value.shape != params[name].shape or not np.all(np.isfinite(value)):
            return None
        if not first_seen and not close(value, expected[name]):
            if any(close(value, np.asarray(slip)) for slip, _ in mistakes[name]):
                return None
            first_seen = True
        implied["d" + name] = (params[name] - value) / lr
    return implied
