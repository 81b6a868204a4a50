"""Lesson 10's network in the engine, its training loop, and its pictures.

The network classifies 8×8 digits: 64 pixels → a hidden layer with batch
norm and tanh → 10 logits → softmax cross-entropy, every step named the way
lesson 10 names it::

    hprebn = x @ W1 + b1                   x (N, 64), W1 (64, H), b1 (H,)
    bnmean = hprebn.mean(0, keepdims)      (1, H)
    bndiff = hprebn - bnmean               (N, H)
    bndiff2 = bndiff ** 2
    bnvar = bndiff2.mean(0, keepdims)      (1, H)   divides by N
    bnvar_inv = (bnvar + eps) ** -0.5
    bnraw = bndiff * bnvar_inv             (N, H)
    hpreact = bngain * bnraw + bnbias      bngain, bnbias (H,)
    h = tanh(hpreact)
    logits = h @ W2 + b2                   W2 (H, 10), b2 (10,)
    logit_maxes = logits.max(1, keepdims)  (N, 1)
    norm_logits = logits - logit_maxes
    counts = exp(norm_logits)
    counts_sum = counts.sum(1, keepdims)   (N, 1)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv        (N, 10)
    logprobs = log(probs)
    loss = -mean(logprobs[range(N), y])

Everything here is built from ``Value``: the engine computes every gradient,
so nothing in this module is a hand-written answer to an exercise.  The
lesson trains with the learner's own ``train_step`` once it is right, and
with :func:`engine_train_step` until then.

>>> rng = np.random.default_rng(0)
>>> params = init_params(rng, 5, 4, 3)
>>> x, y = rng.random((6, 5)), np.array([0, 2, 1, 2, 0, 1])
>>> loss, nodes = engine_forward(params, x, y)
>>> [nodes[name].shape for name in ("hprebn", "bnmean", "logits", "counts_sum")]
[(6, 4), (1, 4), (6, 3), (6, 1)]
>>> loss_value, new = engine_train_step(params, x, y, 0.1)
>>> sorted(new) == sorted(PARAMS)
True
"""
import numpy as np

from helpers.engine import Value
from helpers.feedback import CORRECT

__all__ = ["PARAMS", "INTERMEDIATES", "EPS", "init_params", "engine_forward", "engine_gradients",
           "engine_train_step", "pick_step", "train", "batchnorm_stats", "predict", "accuracy", "smooth",
           "plot_losses", "show_digits"]

PARAMS = ("W1", "b1", "bngain", "bnbias", "W2", "b2")
INTERMEDIATES = ("hprebn", "bnmean", "bndiff", "bndiff2", "bnvar", "bnvar_inv", "bnraw", "hpreact", "h",
                 "logits", "logit_maxes", "norm_logits", "counts", "counts_sum", "counts_sum_inv", "probs",
                 "logprobs", "loss")                               # in forward order
EPS = 1e-5


def init_params(rng, n_in, n_hidden, n_out):
    """Return the starting parameters: W1 ~ N(0, 1/n_in), small W2, gain 1, every bias 0.

    W2 starts small (×0.1) so that the first logits are close to each other and the
    first loss is close to log(n_out), a guess with no preference.

    >>> p = init_params(np.random.default_rng(0), 64, 32, 10)
    >>> [p[name].shape for name in PARAMS]
    [(64, 32), (32,), (32,), (32,), (32, 10), (10,)]
    """
    return {"W1": rng.normal(size=(n_in, n_hidden)) / np.sqrt(n_in), "b1": np.zeros(n_hidden),
            "bngain": np.ones(n_hidden), "bnbias": np.zeros(n_hidden),
            "W2": rng.normal(size=(n_hidden, n_out)) / np.sqrt(n_hidden) * 0.1, "b2": np.zeros(n_out)}


def engine_forward(params, x, y, *, eps=EPS):
    """Build the network's forward pass from Values; return (loss, {name: Value}) for every parameter and step.

    ``x`` (N, D) is data (a constant), ``y`` (N,) integer labels.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    n = len(y)
    v = {name: Value(params[name], name=name) for name in PARAMS}
    v["hprebn"] = (x @ v["W1"] + v["b1"]).named("hprebn")
    v["bnmean"] = v["hprebn"].mean(axis=0, keepdims=True).named("bnmean")
    v["bndiff"] = (v["hprebn"] - v["bnmean"]).named("bndiff")
    v["bndiff2"] = (v["bndiff"] ** 2).named("bndiff2")
    v["bnvar"] = v["bndiff2"].mean(axis=0, keepdims=True).named("bnvar")
    v["bnvar_inv"] = ((v["bnvar"] + eps) ** -0.5).named("bnvar_inv")
    v["bnraw"] = (v["bndiff"] * v["bnvar_inv"]).named("bnraw")
    v["hpreact"] = (v["bngain"] * v["bnraw"] + v["bnbias"]).named("hpreact")
    v["h"] = v["hpreact"].tanh().named("h")
    v["logits"] = (v["h"] @ v["W2"] + v["b2"]).named("logits")
    v["logit_maxes"] = v["logits"].max(axis=1, keepdims=True).named("logit_maxes")
    v["norm_logits"] = (v["logits"] - v["logit_maxes"]).named("norm_logits")
    v["counts"] = v["norm_logits"].exp().named("counts")
    v["counts_sum"] = v["counts"].sum(axis=1, keepdims=True).named("counts_sum")
    v["counts_sum_inv"] = (v["counts_sum"] ** -1).named("counts_sum_inv")
    v["probs"] = (v["counts"] * v["counts_sum_inv"]).named("probs")
    v["logprobs"] = v["probs"].log().named("logprobs")
    v["loss"] = (-v["logprobs"][np.arange(n), y].mean()).named("loss")
    return v["loss"], v


def engine_gradients(params, x, y, *, dloss=1.0):
    """Return (loss, {name: gradient}) for every parameter and intermediate, from the engine's backward().

    ``dloss`` is the gradient arriving on the loss (1 for plain training).
    """
    loss, nodes = engine_forward(params, x, y)
    loss.backward(seed=dloss)
    return loss.item(), {name: node.grad for name, node in nodes.items()}


def engine_train_step(params, x, y, lr):
    """Return (loss, new params) after one SGD step whose gradients come from the engine."""
    loss, grads = engine_gradients(params, x, y)
    return loss, {name: params[name] - lr * grads[name] for name in PARAMS}


def pick_step(train_step, check):
    """Return ``train_step`` when ``check`` accepts it, else :func:`engine_train_step`; say which, in one line.

    So a lesson can train with the learner's own gradients once they are right,
    and still run to the end (with the engine's) before that.
    """
    result = check.evaluate(train_step)
    if result.outcome == CORRECT:
        print("Training with your own train_step: every gradient in this run is yours.")
        return train_step
    print(f"Your train_step does not pass check {result.exercise} yet ({result.outcome}), so this run trains "
          "with the engine's gradients (Value) instead. Run this cell again once the check passes.")
    return engine_train_step


def train(step, params, x, y, *, steps, batch, lr, decay_at=None, seed=0, every=None):
    """Run ``steps`` SGD steps of ``step(params, xb, yb, lr)``; return (params, batch losses).

    Each step draws ``batch`` rows at random (a seeded generator, so every run
    is the same).  From step ``decay_at`` on, the learning rate is ``lr / 10``.
    Every ``every`` steps one line reports the mean loss of the steps since the last report.
    """
    rng = np.random.default_rng(seed)
    params = {name: np.array(params[name], dtype=np.float64) for name in PARAMS}
    losses = []
    for k in range(1, steps + 1):
        rows = rng.integers(0, len(y), size=batch)
        rate = lr if decay_at is None or k <= decay_at else lr / 10
        loss, params = step(params, x[rows], y[rows], rate)
        losses.append(float(loss))
        if every and k % every == 0:
            print(f"step {k:{len(str(steps))}d}/{steps}   mean loss of the last {every} batches: "
                  f"{np.mean(losses[-every:]):.2f}", flush=True)
    return params, losses


def batchnorm_stats(params, x):
    """Return (mean, var), each (H,): batch norm's statistics over all of ``x`` (after training).

    At test time there is no batch to take a mean over; one fixed mean and
    variance, measured once on the whole training set, take its place.
    """
    hprebn = x @ params["W1"] + params["b1"]
    return hprebn.mean(axis=0), hprebn.var(axis=0)


def predict(params, x, stats, *, eps=EPS):
    """Return the predicted digit (N,) for each row of ``x``, with batch norm's fixed ``stats`` = (mean, var)."""
    mean, var = stats
    bnraw = (x @ params["W1"] + params["b1"] - mean) / np.sqrt(var + eps)
    h = np.tanh(params["bngain"] * bnraw + params["bnbias"])
    return (h @ params["W2"] + params["b2"]).argmax(axis=1)


def accuracy(predicted, y):
    """Return the fraction of predictions equal to the labels."""
    return float(np.mean(np.asarray(predicted) == np.asarray(y)))


def smooth(values, window):
    """Return the running mean of ``values`` over the last ``window`` entries (shorter at the start).

    >>> smooth([1.0, 3.0, 5.0, 7.0], 2).tolist()
    [1.0, 2.0, 4.0, 6.0]
    """
    values = np.asarray(values, dtype=np.float64)
    totals = np.concatenate([[0.0], np.cumsum(values)])
    k = np.arange(1, len(values) + 1)
    start = np.maximum(0, k - window)
    return (totals[k] - totals[start]) / (k - start)


def plot_losses(losses, *, window=50):
    """Return a matplotlib figure of the batch losses and their running mean over ``window`` steps."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    steps = np.arange(1, len(losses) + 1)
    ax.plot(steps, losses, color="0.75", linewidth=0.8, label="loss of each batch")
    ax.plot(steps, smooth(losses, window), color="black", linewidth=1.6, label=f"mean of the last {window}")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy loss")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    fig.tight_layout()
    plt.close(fig)                                               # shown once, as the cell's value
    return fig


def show_digits(images, labels, predicted=None, *, columns=8):
    """Return a matplotlib figure of 8×8 ``images`` (rows of 64 values in [0, 1]), each labelled above.

    With ``predicted``, each label reads "label → predicted".  The images are
    tiled into one picture, drawn in one axes: quicker than an axes apiece.
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images).reshape(-1, 8, 8)
    count = len(images)
    if count == 0:
        raise ValueError("show_digits needs at least one image")
    columns = min(columns, count)
    rows = -(-count // columns)
    across, above = 1, 3                                          # blank pixels beside a tile; above it, its label
    width, height = 8 + across, 8 + above
    mosaic = np.zeros((rows * height, columns * width - across))  # 0 is white
    fig, ax = plt.subplots(figsize=(1.1 * columns, 1.3 * rows))
    for k, image in enumerate(images):
        top, left = (k // columns) * height + above, (k % columns) * width
        mosaic[top:top + 8, left:left + 8] = image
        label = f"{labels[k]}" if predicted is None else f"{labels[k]} → {predicted[k]}"
        ax.text(left + 3.5, top - 0.8, label, ha="center", va="bottom", fontsize=10)   # pixel centres: 0 … 7
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    plt.close(fig)
    return fig
