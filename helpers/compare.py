"""Compare a learner's answer with the reference and name the classic mistake.

Checkers call :func:`expect` for one answer and :func:`expect_all` for a
backward pass (several gradients, checked in backward order so the message
points at the first place the learner went wrong).  Both raise
:class:`~helpers.feedback.NotAttempted` for a ``...`` placeholder and
:class:`~helpers.feedback.Wrong` with a diagnosis otherwise.

The diagnoses that need no help from the checker:

- bad input: None, a string, a function, a Value, NaN or inf, not numbers;
- wrong shape, saying which dimension, expected vs got;
- transposed (the answer's transpose is right);
- lost ``keepdims`` (right numbers, a size-1 axis dropped);
- missing sum over a broadcast axis (the answer still has the broadcast shape);
- sign error; off by a constant factor.

Checker-specific mistakes (a missing upstream factor, overwriting at a fork,
a wrong axis, …) are passed in as ``mistakes``: a list of
``(what that mistake would give, the sentence that explains it)``.

The learner's arrays are only ever read: every answer is copied first.
"""
import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from helpers.engine import Value, broadcast_axes, unbroadcast
from helpers.feedback import NotAttempted, Wrong, case
from helpers.style import axes_text as _axes

__all__ = ["Answer", "is_placeholder", "as_numbers", "numbers_or_none", "same_numbers", "expect", "expect_all",
           "in_order", "close", "RTOL", "ATOL"]

RTOL, ATOL = 1e-6, 1e-9


def is_placeholder(answer, _inside=()):
    """Return True when ``answer`` is, or contains, the ``...`` placeholder (a list may even contain itself).

    ``_inside`` holds the ids of the lists that contain ``answer``, so a list inside itself is looked at once.
    """
    if answer is ...:
        return True
    if not isinstance(answer, (tuple, list)) or id(answer) in _inside:
        return False
    return any(is_placeholder(item, (*_inside, id(answer))) for item in answer)


def close(a, b):
    """Return True when two float arrays have the same shape and agree to rtol 1e-6."""
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def numbers_or_none(answer, shape=None):
    """Return ``answer`` as a float64 array (of ``shape``, when given), or None when it is not that."""
    try:
        array = np.asarray(answer, dtype=np.float64)
    except Exception:                                            # ragged lists, objects, tensors that refuse
        return None
    return array if shape is None or array.shape == shape else None


def same_numbers(answer, value):
    """Return True when ``answer`` reads as numbers with the shape and values of ``value`` (None: no value)."""
    got = numbers_or_none(answer)
    if got is None or value is None:
        return False
    return close(got, np.asarray(value, dtype=np.float64))           # (close compares the shapes first)


_NOT_NUMBERS = (                                                 # (what an answer is, the sentence after its name)
    (type(None), "is None — assign it a value (or add the missing `return`)"),
    (Value, "is a Value from the engine; give its numbers instead (.grad or .data)"),
    ((bool, np.bool_), "is True/False; it should be {want}: numbers, not a mask (.astype(float) turns a mask "
                       "into 0s and 1s)"),
    (Callable, "is a function; call it to get {want}"),
    (dict, "is a dict; it should be {want}"),
    ((set, frozenset), "is a set, which has no order; it should be {want}"),
)


def as_numbers(name, answer, shape=None):
    """Return ``answer`` as a fresh float64 array, or raise Wrong saying what it is instead.

    ``shape`` is only used to make the message more helpful.
    """
    want = "a number" if shape in (None, ()) else f"an array of shape {shape}"
    if is_placeholder(answer):
        raise NotAttempted
    if isinstance(answer, (str, bytes)):
        raise Wrong(f"{name} is the text {answer!r:.40}; it should be {want}, not a string")
    kind = np.bool_() if isinstance(answer, np.ndarray) and answer.dtype == bool else answer   # a mask: True/False
    for types, sentence in _NOT_NUMBERS:
        if isinstance(kind, types):
            raise Wrong(f"{name} {sentence.format(want=want)}")
    try:
        array = np.array(answer, dtype=np.complex128 if np.iscomplexobj(answer) else np.float64)
    except Exception:                                            # ragged lists, objects, tensors that refuse
        raise Wrong(f"{name} could not be read as numbers (got a {type(answer).__name__}); it should be {want}"
                    ) from None
    if np.iscomplexobj(array):
        raise Wrong(f"{name} holds complex numbers; it should be real")
    if not np.all(np.isfinite(array)):
        bad = "nan" if np.any(np.isnan(array)) else "inf"
        raise Wrong(f"{name} contains {bad} — look for a division by zero, or log/sqrt of a bad number")
    return array


def _shape_mistake(a, got, expected):
    """Explain why ``got`` has the wrong shape, naming the likely mistake."""
    name, eshape, gshape = a.name, expected.shape, got.shape
    if expected.ndim == 0 and got.size == 1:
        return f"{name} should be a single number, not an array or list holding one (use float(...))"
    if expected.ndim == 0:
        return f"{name} should be a single number, not an array of shape {gshape}"
    if got.ndim == 2 and gshape == eshape[::-1] and close(got.T, expected):
        return (f"{name} is transposed: expected shape {eshape}, got {gshape}. Check which operand "
                "gets the .T and the order of the matrix product (dimension analysis helps)")
    if got.size == expected.size and close(got.reshape(eshape), expected):
        if tuple(n for n in gshape if n != 1) == tuple(n for n in eshape if n != 1):
            if got.ndim < expected.ndim:
                return (f"{name} has the right numbers but shape {gshape} instead of {eshape}: a size-1 "
                        "axis was lost — sum with keepdims=True (or restore it with [:, None])")
            return (f"{name} has the right numbers but shape {gshape} instead of {eshape}: it has an extra "
                    "size-1 axis — sum without keepdims=True (or drop the axis with .reshape)")
        return f"{name} has the right numbers in the wrong shape: expected {eshape}, got {gshape}"
    if a.unsummed is not None and same_numbers(got, a.unsummed):
        return _unsummed(name, gshape, eshape, _right_axes(expected, a.unsummed), a.labels)
    found = _axes_diagnosis(a, got, expected)
    if found:
        return found
    with contextlib.suppress(ValueError):                      # shapes that do not broadcast: not this mistake
        if np.broadcast_shapes(eshape, gshape) == gshape and close(unbroadcast(got, eshape), expected):
            return _unsummed(name, gshape, eshape, broadcast_axes(eshape, gshape), a.labels)
    if got.ndim != expected.ndim:
        return (f"{name} has the wrong shape: expected {eshape} ({expected.ndim}-d), got {gshape} "
                f"({got.ndim}-d)")
    dims = [i for i, (e, g) in enumerate(zip(eshape, gshape)) if e != g]
    which = ", ".join(f"dimension {i} should be {eshape[i]}, not {gshape[i]}" for i in dims)
    return f"{name} has the wrong shape: expected {eshape}, got {gshape} ({which})"


def _var(name):
    """Return the variable a gradient belongs to ("b" for "db"), or "the input"."""
    return name[1:] if name[:1] == "d" and name[1:].isidentifier() else "the input"


def _unsummed(name, gshape, eshape, axes, labels=()):
    """Say that ``name`` still has the broadcast shape and must be summed over ``axes``."""
    var, ax = _var(name), _axes(axes, labels)
    kept = [a for a in axes if a >= len(gshape) - len(eshape)]  # stretched size-1 axes: they stay
    keep = f", keeping {_axes(kept, labels)} as length 1 (keepdims=True)" if kept else ""
    return (f"{name} still has the broadcast shape {gshape}, but {var} has shape {eshape}: {var} was "
            f"copied along {ax} in the forward pass, so sum its gradient over {ax}{keep}")


def _wrong_axes(got, unsummed):
    """Return the axes that, summed, turn ``unsummed`` into ``got`` (keepdims or not), if any."""
    for r in range(1, unsummed.ndim + 1):
        for axes in itertools.combinations(range(unsummed.ndim), r):
            for keep in (False, True):
                total = unsummed.sum(axis=axes, keepdims=keep)
                if total.shape == got.shape and close(total, got):
                    return axes
    return None


def _right_axes(expected, unsummed):
    """Return the axes that turn ``unsummed`` into ``expected`` — the axes it was broadcast along."""
    return _wrong_axes(expected, unsummed) or broadcast_axes(expected.shape, unsummed.shape)


@dataclass
class Answer:
    """One named answer to compare with its reference, and what the generic diagnoses may use.

    ``mistakes`` lists (what a mistake would give, the sentence that names it):
    only the misconceptions no generic rule can name.  The rest is data the
    generic diagnoses derive messages from: ``upstream`` (the gradient this
    answer must carry, to name a missing upstream factor; ``local`` is the
    answer without it where the two do not simply multiply), ``unsummed``
    (the gradient before a sum over broadcast axes), ``shares`` ((branch,
    share) pairs when the variable feeds several gates, to name a gradient
    overwritten at a fork), ``n`` (the batch size, to name a missing 1/N) and
    ``labels`` (names of the axes, ("N", "C", "H", "W"), for sentences about them).
    ``upstream_name`` names the upstream gradient in that message ("dout"),
    ``what`` replaces "{name} is wrong" as the start of a generic message, and
    ``where`` says where in the computation the answer belongs ("stage (7)
    invden = 1 / den"), to start its message with.
    """

    name: str
    got: object
    expected: object
    mistakes: tuple = ()
    upstream: object = None
    local: object = None
    unsummed: object = None
    shares: tuple = ()
    n: int | None = None
    what: str | None = None
    labels: tuple = ()
    upstream_name: str | None = None
    where: str | None = None

    def __post_init__(self):
        self.expected = np.asarray(self.expected, dtype=np.float64)
        self.unsummed = None if self.unsummed is None else np.asarray(self.unsummed, dtype=np.float64)


def expect(name, answer, expected, **options):
    """Raise NotAttempted or Wrong unless ``answer`` matches ``expected``.

    The options are those of :class:`Answer`; of its ``mistakes``, the first
    that matches is named, whatever its shape.
    """
    _check(Answer(name, answer, expected, **options))


def _check(a):
    """Raise NotAttempted or Wrong unless the Answer ``a`` matches its reference; a wrong one's message starts
    with where it belongs, when ``a.where`` says."""
    with case(f"at {a.where}, " if a.where else ""):
        name, answer, expected = a.name, a.got, a.expected
        if a.upstream is not None and isinstance(answer, np.ndarray) and answer.dtype == bool:
            raise Wrong(f"{name} is True/False, the gate's open/closed pattern; the gradient is the upstream "
                        "gradient times that mask")
        got = as_numbers(name, answer, expected.shape)
        if got.shape == expected.shape and close(got, expected):
            return
        for value, explanation in a.mistakes:                    # a declared mistake may have its own shape
            if same_numbers(got, value):
                raise Wrong(f"{name} is wrong: {explanation}")
        if got.shape != expected.shape:
            raise Wrong(_shape_mistake(a, got, expected))
        for diagnose in (_fork, _upstream, _axes_diagnosis, _sign_or_transpose, _zero, _factor):
            found = diagnose(a, got, expected)
            if found:
                raise Wrong(found)
        start = a.what or f"{name} is wrong"
        if got.ndim == 0:
            raise Wrong(f"{start}: {float(got):.6g} is not the right value")
        errors = np.abs(got - expected) / np.maximum(1e-8, np.abs(got) + np.abs(expected))
        first = tuple(int(i) for i in np.argwhere(~np.isclose(got, expected, rtol=RTOL, atol=ATOL))[0])
        raise Wrong(f"{start}: {int(np.sum(errors > RTOL))} of {got.size} entries differ "
                    f"(first at index {first}; worst relative error {errors.max():.1e})")


def _fork(a, got, expected):
    """Name a gradient overwritten at a fork: it holds some of the branches' shares, not their sum."""
    if len(a.shares) < 2:
        return None
    labels = [label for label, _ in a.shares]
    for r in range(1, len(a.shares)):
        for kept in itertools.combinations(range(len(a.shares)), r):
            total = sum(np.asarray(a.shares[k][1], dtype=np.float64) for k in kept)
            if same_numbers(got, np.broadcast_to(total, got.shape)):
                lost = [labels[k] for k in range(len(a.shares)) if k not in kept]
                return (f"{a.name} looks overwritten at a fork (= where += is needed): it feeds "
                        f"{len(a.shares)} gates ({', '.join(labels)}), so its gradient is the sum of their "
                        f"shares, but the share{'s' * (len(lost) > 1)} through {_join(lost)} "
                        f"{'were' if len(lost) > 1 else 'was'} lost")
    return None


def _upstream(a, got, expected):
    """Name a missing upstream factor (the local gradient alone), or a missing local one (the upstream alone)."""
    if a.upstream is None:
        return None
    upstream, local = np.asarray(a.upstream, dtype=np.float64), a.local
    if same_numbers(got, upstream):
        return (f"{a.name} is the upstream gradient passed on unchanged: the local gradient is missing (only an "
                "add gate passes its upstream gradient on as it is)")
    if local is None and upstream.shape == expected.shape and np.all(np.abs(upstream) > 1e-12):
        local = expected / upstream
    if same_numbers(got, local):
        named = f" (the upstream gradient {a.upstream_name})" if a.upstream_name else ""
        return (f"{a.name} is missing the upstream factor: it is the local gradient alone, but the chain rule "
                f"multiplies the local gradient by the gradient arriving from above{named}")
    return None


def _axes_diagnosis(a, got, expected):
    """Name a sum over the wrong axes of ``a.unsummed``, the gradient before the sum."""
    found = None if a.unsummed is None else _wrong_axes(got, a.unsummed)
    if found is None:
        return None
    name, var, right, labels = a.name, _var(a.name), _right_axes(expected, a.unsummed), a.labels
    text = (f"{name} is summed over the wrong axes: you summed over {_axes(found, labels)}, "
            f"but {var} (shape {expected.shape}) was broadcast along {_axes(right, labels)}")
    extra, missing = [x for x in found if x not in right], [x for x in right if x not in found]
    if extra:
        text += f": keep {_axes(extra, labels)} — {var} has its own entry for each position along it"
    if missing:
        them = f"{_axes(missing, labels)} — {var} was copied along {'it' if len(missing) == 1 else 'them'} too"
        text += f"{';' if extra else ':'} also sum over {them}"
    return text


def _sign_or_transpose(a, got, expected):
    if np.any(expected) and close(got, -expected):
        return f"{a.name} has the wrong sign: every entry is the negative of the right one"
    if got.ndim == 2 and got.shape[0] == got.shape[1] and close(got.T, expected):
        return f"{a.name} is transposed: check which operand gets the .T and the order of the product"
    return None


def _zero(a, got, expected):
    if np.any(got):
        return None
    reach = ": did the gradient reach it?" if a.name.startswith("d") else ""
    return f"{a.name} is zero everywhere, but it should not be{reach}"


def _factor(a, got, expected):
    """Name an answer off by a constant factor, and the factor when it means something: 1/N, a mean, 2."""
    name, n = a.name, a.n
    ratio = _constant_ratio(got, expected) if got.size > 1 or n else None
    if ratio is None:
        return None
    if a.unsummed is not None and np.isclose(ratio, expected.size / a.unsummed.size):
        return (f"{name} is a mean where a sum belongs: a broadcast copy's gradients add up, they are not "
                "averaged")
    if n and np.isclose(ratio, n):
        return (f"{name} is missing the 1/N: the loss is averaged over the N = {n} examples, so every gradient "
                "is too")
    if n and np.isclose(ratio, 1 / n):
        return f"{name} is divided by N = {n} once too often: the 1/N of the mean enters the gradient only once"
    look = ("look for a 2 that is missing or extra (the derivative of x² is 2x)" if np.isclose(ratio, 2)
            or np.isclose(ratio, 0.5) else "a missing or extra factor (the upstream gradient? a 1/N? a 2?)")
    return f"{name} is off by a constant factor: every entry is {ratio:.4g} times the right value — {look}"


def _join(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _constant_ratio(got, expected):
    mask = np.abs(expected) > 1e-12
    if not np.any(mask) or np.any(np.abs(got[~mask]) > 1e-12):
        return None
    ratios = got[mask] / expected[mask]
    if np.allclose(ratios, ratios.flat[0], rtol=1e-6) and abs(ratios.flat[0] - 1) > 1e-6:
        return float(ratios.flat[0])
    return None


def in_order(steps, *, order="backward"):
    """Run ``(name, check)`` steps in order and return the names, all right.

    Each ``check`` is a function that raises NotAttempted or Wrong.  Stops at
    the first wrong one and says it is the first (in ``order`` order:
    "backward", "forward", or None for answers that are not stages of one
    pass) and which before it are right; when some are still placeholders
    and the rest are right, raises NotAttempted naming what is left to do.
    """
    steps = list(steps)
    todo, done = [], []
    for name, check in steps:
        try:
            check()
        except NotAttempted:
            todo.append(name)
        except Wrong as mistake:
            before = f" ({', '.join(done)} before it {'is' if len(done) == 1 else 'are'} right)" if done else ""
            first = f"first wrong one{f' in {order} order' if order else ''}{before}: "
            raise Wrong((first if len(steps) > 1 and (order or done) else "") + str(mistake)) from None
        else:
            done.append(name)
    if todo and not done:
        raise NotAttempted
    if todo:
        raise NotAttempted(f"{', '.join(done)} right so far; still to fill in: {', '.join(todo)}.")
    return done


def expect_all(*answers, order="backward", returns=None):
    """Check named answers in order and return a sentence saying how many are right.

    Give :class:`Answer` records in backward order (``order`` is "backward",
    "forward", or None for answers that are not stages of one pass).  Stops at
    the first wrong answer and says it is the first; two answers whose values
    belong to each other are named as swapped; when some answers still hold
    the placeholder and the rest are right, the exercise counts as not
    attempted yet and the message says which are still to do.  ``returns``
    names the answers in the order the learner's function returns them (for
    the swapped message; by default, the order given).
    """
    _swapped(answers, returns)
    done = in_order(((a.name, lambda a=a: _check(a)) for a in answers), order=order)
    if len(done) == 1:
        return f"{done[0]} is right"
    return "both are right" if len(done) == 2 else f"all {len(done)} are right"


def _swapped(answers, returns=None):
    """Raise Wrong when two answers hold each other's values (returned in the wrong order)."""
    for a, b in itertools.combinations(answers, 2):
        named = any(same_numbers(x.got, value) for x in (a, b) for value, _ in x.mistakes)   # more precise
        crossed = same_numbers(a.got, b.expected) and same_numbers(b.got, a.expected)
        if crossed and not named and not same_numbers(a.got, a.expected):
            names = ", ".join(returns or [x.name for x in answers])
            raise Wrong(f"{a.name} and {b.name} are swapped: return them in the order ({names})")
