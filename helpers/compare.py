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
import itertools

import numpy as np

from helpers.engine import Value, unbroadcast
from helpers.feedback import NotAttempted, Wrong

__all__ = ["is_placeholder", "as_numbers", "expect", "expect_all", "in_order", "close", "RTOL", "ATOL"]

RTOL, ATOL = 1e-6, 1e-9


def is_placeholder(answer):
    """Return True when ``answer`` is, or contains, the ``...`` placeholder."""
    if answer is ...:
        return True
    if isinstance(answer, (tuple, list)):
        return any(is_placeholder(item) for item in answer)
    return False


def close(a, b):
    """Return True when two float arrays have the same shape and agree to rtol 1e-6."""
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def as_numbers(name, answer, shape=None):
    """Return ``answer`` as a fresh float64 array, or raise Wrong saying what it is instead.

    ``shape`` is only used to make the message more helpful.
    """
    want = "a number" if shape in (None, ()) else f"an array of shape {shape}"
    if is_placeholder(answer):
        raise NotAttempted
    if answer is None:
        raise Wrong(f"{name} is None — assign it a value (or add the missing `return`)")
    if isinstance(answer, Value):
        raise Wrong(f"{name} is a Value from the engine; give its numbers instead (.grad or .data)")
    if isinstance(answer, (str, bytes)):
        raise Wrong(f"{name} is the text {answer!r:.40}; it should be {want}, not a string")
    if isinstance(answer, bool) or (isinstance(answer, np.ndarray) and answer.dtype == bool):
        raise Wrong(f"{name} is True/False; it should be {want} (use .astype(float) for a mask)")
    if callable(answer):
        raise Wrong(f"{name} is a function; call it to get {want}")
    if isinstance(answer, dict):
        raise Wrong(f"{name} is a dict; it should be {want}")
    if isinstance(answer, complex) or (isinstance(answer, np.ndarray) and np.iscomplexobj(answer)):
        raise Wrong(f"{name} holds complex numbers; it should be real")
    try:
        array = np.array(answer, dtype=np.float64)
    except (TypeError, ValueError):
        kind = type(answer).__name__
        raise Wrong(f"{name} could not be read as numbers (got a {kind}); it should be {want}") from None
    if not np.all(np.isfinite(array)):
        bad = "nan" if np.any(np.isnan(array)) else "inf"
        raise Wrong(f"{name} contains {bad} — look for a division by zero, or log/sqrt of a bad number")
    return array


def _shape_mistake(name, got, expected, unsummed):
    """Explain why ``got`` has the wrong shape, naming the likely mistake."""
    eshape, gshape = expected.shape, got.shape
    if expected.ndim == 0 and got.size == 1:
        return f"{name} should be a single number, not an array or list holding one (use float(...))"
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
    if unsummed is not None and close(got, unsummed):
        axes = _right_axes(expected, unsummed)
        return (f"{name} still has the broadcast shape {gshape}; {name} itself has shape {eshape}. "
                f"It was copied along {_axes(axes)} in the forward pass, so sum its gradient over {_axes(axes)}")
    if unsummed is not None:
        found = _wrong_axes(got, unsummed)
        if found is not None:
            return (f"{name} is summed over the wrong axes: you summed over {_axes(found)}, "
                    f"but {name} (shape {eshape}) was broadcast along {_axes(_right_axes(expected, unsummed))}")
    try:
        if np.broadcast_shapes(eshape, gshape) == gshape and close(unbroadcast(got, eshape), expected):
            axes = _summed_axes(eshape, gshape)
            return (f"{name} still has the broadcast shape {gshape}; {name} itself has shape {eshape}. "
                    f"It was copied along {_axes(axes)} in the forward pass, so sum its gradient "
                    f"over {_axes(axes)}")
    except ValueError:
        pass
    if got.ndim != expected.ndim:
        return (f"{name} has the wrong shape: expected {eshape} ({expected.ndim}-d), got {gshape} "
                f"({got.ndim}-d)")
    dims = [i for i, (e, g) in enumerate(zip(eshape, gshape)) if e != g]
    which = ", ".join(f"dimension {i} should be {eshape[i]}, not {gshape[i]}" for i in dims)
    return f"{name} has the wrong shape: expected {eshape}, got {gshape} ({which})"


def _summed_axes(shape, big_shape):
    leading = len(big_shape) - len(shape)
    return tuple(range(leading)) + tuple(leading + i for i, n in enumerate(shape)
                                         if n == 1 and big_shape[leading + i] != 1)


def _wrong_axes(got, unsummed):
    """Return the axes that, summed, turn ``unsummed`` into ``got`` (keepdims or not), if any."""
    for r in range(1, unsummed.ndim + 1):
        for axes in itertools.combinations(range(unsummed.ndim), r):
            for keep in (False, True):
                total = unsummed.sum(axis=axes, keepdims=keep)
                if total.shape == got.shape and close(total, got):
                    return axes
    return None


def _axes(axes):
    """Return "axis 0" or "axes 0, 2, 3"."""
    return f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(map(str, axes))


def _right_axes(expected, unsummed):
    """Return the axes that turn ``unsummed`` into ``expected`` — the axes it was broadcast along."""
    return _wrong_axes(expected, unsummed) or _summed_axes(expected.shape, unsummed.shape)


def expect(name, answer, expected, *, mistakes=(), unsummed=None, what=None):
    """Raise NotAttempted or Wrong unless ``answer`` matches ``expected``.

    ``mistakes`` lists (value a mistake would give, explanation); the first
    that matches is named.  ``unsummed`` is the gradient before a reduction
    over broadcast axes, used to name a sum over the wrong axes.  ``what``
    replaces "{name} is wrong" as the start of a generic message.
    """
    expected = np.asarray(expected, dtype=np.float64)
    got = as_numbers(name, answer, expected.shape)
    if unsummed is not None:
        unsummed = np.asarray(unsummed, dtype=np.float64)
    if got.shape != expected.shape:
        raise Wrong(_shape_mistake(name, got, expected, unsummed))
    if close(got, expected):
        return
    for value, explanation in mistakes:
        if value is not None and close(got, np.asarray(value, dtype=np.float64)):
            raise Wrong(f"{name} is wrong: {explanation}")
    if unsummed is not None:
        found = _wrong_axes(got, unsummed)
        if found is not None:
            raise Wrong(f"{name} is summed over the wrong axes: you summed over {_axes(found)}, but "
                        f"{name} was broadcast along {_axes(_right_axes(expected, unsummed))}")
    if np.any(expected) and close(got, -expected):
        raise Wrong(f"{name} has the wrong sign: every entry is the negative of the right one")
    if got.ndim == 2 and got.shape[0] == got.shape[1] and close(got.T, expected):
        raise Wrong(f"{name} is transposed: check which operand gets the .T and the order of the product")
    if not np.any(got):
        reach = ": did the gradient reach it?" if name.startswith("d") else ""
        raise Wrong(f"{name} is zero everywhere, but it should not be{reach}")
    ratio = _constant_ratio(got, expected) if got.size > 1 else None
    if ratio is not None:
        raise Wrong(f"{name} is off by a constant factor: every entry is {ratio:.4g} times the right "
                    "value — a missing or extra factor (the upstream gradient? a 1/N? a 2?)")
    start = what or f"{name} is wrong"
    if got.ndim == 0:
        raise Wrong(f"{start}: {float(got):.6g} is not the right value")
    errors = np.abs(got - expected) / np.maximum(1e-8, np.abs(got) + np.abs(expected))
    first = tuple(int(i) for i in np.argwhere(~np.isclose(got, expected, rtol=RTOL, atol=ATOL))[0])
    raise Wrong(f"{start}: {int(np.sum(errors > RTOL))} of {got.size} entries differ "
                f"(first at index {first}; worst relative error {errors.max():.1e})")


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
            if len(steps) == 1 or not (order or done):
                where = ""
            else:
                where = f"first wrong one{f' in {order} order' if order else ''}{before}: "
            raise Wrong(where + str(mistake)) from None
        else:
            done.append(name)
    if todo and not done:
        raise NotAttempted
    if todo:
        raise NotAttempted(f"{', '.join(done)} right so far; still to fill in: {', '.join(todo)}.")
    return done


def expect_all(answers, expected, *, mistakes=None, unsummed=None, backward=True):
    """Check several named answers in order (put them in backward order).

    ``answers`` and ``expected`` map names to values; ``mistakes`` and
    ``unsummed`` map names to what :func:`expect` takes.  Stops at the first
    wrong answer and says it is the first; when some answers still hold the
    placeholder and the rest are right, the exercise counts as not attempted
    yet and the message says which are still to do.  ``backward=False`` for
    answers that are not stages of one backward pass.
    """
    mistakes, unsummed = mistakes or {}, unsummed or {}
    done = in_order(((name, lambda name=name, reference=reference: expect(
        name, answers.get(name, ...), reference, mistakes=mistakes.get(name, ()), unsummed=unsummed.get(name)))
        for name, reference in expected.items()), order="backward" if backward else None)
    if len(done) == 1:
        return f"{done[0]} is right"
    return "both are right" if len(done) == 2 else f"all {len(done)} are right"
