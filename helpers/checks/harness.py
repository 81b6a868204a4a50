"""The checking harness: one mechanism runs every exercise's check.

A lesson module declares each exercise with :func:`exercise` — its id, its
title and a function that receives what the learner supplies — and builds its
references from the engine or from numerics.  Everything generic happens here
and in :mod:`helpers.compare`:

- :func:`exercise` registers the check, tells a check cell called with a
  missing argument which one is missing, keeps numpy's warnings away from the
  learner, and turns the outcome into one of the three answers of
  :mod:`helpers.feedback` (not attempted, ✓, ✗);
- :func:`run` calls the learner's function on *copies* of its inputs, names an
  argument it changed in place, unpacks the declared results (how many, in
  which order), and turns the learner's exception into one sentence built
  from the exception object itself (:class:`LearnerError`), never from its
  text;
- :func:`helpers.compare.expect_all` compares named answers with the
  references in backward order and derives the generic diagnoses.

A declaration then reads like the exercise::

    @exercise("5.1", "the gradients of a matrix product")
    def check_matmul_backward(matmul_backward):
        W, X, dD = problem()
        got = run(matmul_backward, W, X, dD, returns=("dW", "dX"))
        dW, dX = engine_gradients(W, X, dD)
        expect_all(Answer("dW", got["dW"], dW, upstream=dD), Answer("dX", got["dX"], dX, upstream=dD))
        return "dW = dD·Xᵀ and dX = Wᵀ·dD"

>>> @exercise("0.1", "double a number")
... def check_double(double):
...     got = run(double, 21.0, returns=("y",))
...     expect_all(Answer("y", got["y"], 42.0))
...     return "twice the input"
>>> check_double(lambda x: 2 * x)
✓ Exercise 0.1 — twice the input
>>> check_double(...)
… Exercise 0.1 not attempted yet — fill in the cell above, then run this check again.
>>> print(check_double.evaluate(lambda x: None).message)
your function returned None — did you forget the `return` line?
>>> print(check_double.evaluate().message)
check_double needs what you wrote for this exercise: check_double(double)
"""
import copy
import functools
import inspect
import linecache
import os
import re
import sysconfig
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from helpers.compare import Answer, expect_all, is_placeholder
from helpers.feedback import NOT_ATTEMPTED, NotAttempted, Wrong, checker

__all__ = ["exercise", "run", "as_dict", "Answer", "expect_all", "LearnerError", "Exercise", "REGISTRY"]


@dataclass(frozen=True)
class Exercise:
    """One registered exercise: its id ("5.1"), title, lesson number and the name of its check."""

    id: str
    title: str
    lesson: int
    check: str


REGISTRY = {}                                                    # exercise id -> Exercise


def exercise(id, title):
    """Declare the check of exercise ``id``: the decorated function receives what the learner wrote.

    It returns a short sentence saying what was verified, or raises
    :class:`~helpers.feedback.NotAttempted` / :class:`~helpers.feedback.Wrong`.
    """
    def decorate(fn):
        if id in REGISTRY and REGISTRY[id].check != fn.__name__:
            raise ValueError(f"exercise {id} is declared twice: {REGISTRY[id].check} and {fn.__name__}")
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def guarded(*args, **kwargs):
            try:
                signature.bind(*args, **kwargs)
            except TypeError:
                raise Wrong(f"{fn.__name__} needs what you wrote for this exercise: "
                            f"{fn.__name__}({', '.join(signature.parameters)})") from None
            with warnings.catch_warnings(action="ignore"), np.errstate(all="ignore"):
                return fn(*args, **kwargs)

        REGISTRY[id] = Exercise(id, title, int(id.split(".")[0]), fn.__name__)
        return checker(id)(guarded)
    return decorate


# ---------------------------------------------------------------- calling the learner's code

def run(fn, *args, returns, name=None, shapes=None, hint=None, parts=None, keyed=False, uses=()):
    """Call the learner's ``fn`` on copies of ``args``; return its results as {name: value}.

    ``returns`` names the results in the order the function must return them
    (one name: the value itself); with ``keyed=True`` the function returns a
    dict with those keys instead.  ``shapes`` maps names of the arrays the
    function works with to their shapes, for the dimension analysis of a
    product that does not fit; ``hint`` is a sentence added when the
    learner's arrays do not fit, an index or an axis does not exist.  ``parts`` names
    the items of a tuple argument, {argument index: ("x", "W")}, so that a
    change in place names the array.  ``uses`` lists the checks of earlier
    exercises whose functions ``fn`` may call: while one it calls is still
    unfinished, the answer says so instead of pointing at ``fn``'s own cell.
    Raises NotAttempted while ``fn`` (or a line it runs) is still the
    placeholder, and Wrong with one sentence otherwise.
    """
    name = name or _function_name(fn)
    if fn is ...:
        raise NotAttempted
    if not callable(fn):
        raise Wrong(f"{name} should be a function (def {name}(...): ...), got {_kind(fn)}")
    given = copy.deepcopy(args)                                  # the learner's function can never change ours
    try:
        out = fn(*given)                                         # (exercise() keeps numpy's warnings away)
    except Exception as error:                                   # the learner's code failed: say how
        failure = LearnerError.of(error)
        if failure.placeholders:                                 # perhaps in an earlier exercise's function
            _raise_if_unfinished(fn, name, uses)
        failure.raise_for(name, shapes, hint)
    _unchanged(fn, name, args, given, parts or {})
    results = _unpack(name, out, tuple(returns), keyed)
    if any(is_placeholder(value) for value in results.values()):
        _raise_if_unfinished(fn, name, uses)
    return results


def _raise_if_unfinished(fn, name, uses):
    """Raise NotAttempted naming an earlier exercise's function that ``fn`` calls, if it is still unfinished."""
    called, names = getattr(getattr(fn, "__code__", None), "co_names", ()), getattr(fn, "__globals__", {})
    for check in uses:
        helper = next(iter(inspect.signature(check).parameters))  # the check's parameter: the learner's name
        if helper in called and callable(names.get(helper)) and check.evaluate(names[helper]).outcome == NOT_ATTEMPTED:
            raise NotAttempted(f"{name} calls your {helper}, which is still unfinished: fill in exercise "
                               f"{check.exercise} first (or write its lines out here), then run this check again.")


def _function_name(fn):
    """Return the learner's name for ``fn`` ("affine_backward", "MatMul.forward"), or "your function"."""
    qualname = getattr(fn, "__qualname__", "").rsplit("<locals>.", 1)[-1]
    return qualname if qualname and all(map(str.isidentifier, qualname.split("."))) else "your function"


def _unchanged(fn, name, originals, given, parts):
    """Raise Wrong naming the first argument the learner's function changed in place."""
    try:
        labels = list(inspect.signature(fn).parameters)          # the learner's own names, then argument 3, …
    except (TypeError, ValueError):
        labels = []
    labels += [f"argument {i + 1}" for i in range(len(labels), len(originals))]
    for i, (label, before, after) in enumerate(zip(labels, originals, given)):
        found = _first_change(before, after)
        if found is None:
            continue
        key, old, new = found
        where = label + "".join(f"[{k!r}]" for k in key)
        if key and i in parts and isinstance(key[0], int) and key[0] < len(parts[i]):
            where = f"{parts[i][key[0]]} ({where})"
        shared = (f" — even a copied container ({label}.copy(), dict({label})) shares its arrays with {label}"
                  if key and isinstance(before, (dict, list)) and isinstance(old, np.ndarray)
                  else "")
        raise Wrong(f"{name} changed {where} in place (with +=, -=, *= or an assignment into it; `a = b` does not "
                    f"copy){shared}"
                    f"{_how(old, new)}; the caller may still need it, for example "
                    "at a fork: compute a new array instead")


def _how(before, after):
    """Return a few words on what an in-place change did, when it is a classic one (zeroed entries)."""
    if not (isinstance(after, np.ndarray) and isinstance(before, np.ndarray) and after.shape == before.shape and np.all((after == before) | (after == 0))):
        return ""
    if np.array_equal(after, np.maximum(before, 0)):
        return (": its negative entries became 0, a ReLU applied in place (x[x < 0] = 0 changes x itself, and "
                "a mask taken from x afterwards no longer sees the original)")
    return ": some of its entries were set to 0 (a[mask] = 0 writes into the array itself)"


def _first_change(before, after, path=()):
    """Return (path, before, after) for the first array that differs, path a tuple of keys; None if none did."""
    if isinstance(before, np.ndarray):
        same = isinstance(after, np.ndarray) and np.array_equal(before, after, equal_nan=before.dtype.kind == "f")
        return None if same else (path, before, after)
    if isinstance(before, (int, float)) and not isinstance(before, bool):    # a number in a container
        same = isinstance(after, (int, float)) and (after is before or after == before)
        return None if same else (path, before, after)
    if isinstance(before, dict) and isinstance(after, dict):
        pairs = ((key, before[key], after.get(key)) for key in before)
    elif isinstance(before, (tuple, list)) and isinstance(after, (tuple, list)) and len(before) == len(after):
        pairs = zip(range(len(before)), before, after)
    else:
        return None
    changes = (_first_change(b, a, path + (key,)) for key, b, a in pairs)
    return next((change for change in changes if change is not None), None)


def _unpack(name, out, returns, keyed=False):
    """Return {result name: value} from what the learner's function returned."""
    wanted = ", ".join(returns)
    if out is None:
        raise Wrong(f"{name} returned None — did you forget the `return` line?")
    if out is ...:
        raise NotAttempted
    if keyed:
        return as_dict(f"{name}'s result", out, returns)
    if len(returns) == 1:
        if isinstance(out, tuple) and len(out) == 1:
            raise Wrong(f"{name} returned a tuple holding one value (a trailing comma?); return {wanted} itself")
        return {returns[0]: out}
    if not isinstance(out, (tuple, list)):
        raise Wrong(f"{name} should return {len(returns)} values, ({wanted}), but returned one {_kind(out)}: "
                    f"end with `return {wanted}`")
    if len(out) != len(returns):
        raise Wrong(f"{name} returned {len(out)} value{'s' * (len(out) != 1)}; it should return {len(returns)}: "
                    f"({wanted}), in that order")
    return dict(zip(returns, out))


def as_dict(what, value, keys):
    """Return {key: value[key]} for ``keys``; raise NotAttempted for `...`, or Wrong saying what is amiss."""
    if value is ...:
        raise NotAttempted
    if not isinstance(value, Mapping):
        raise Wrong(f"{what} should be a dict {{{', '.join(f'{k!r}: …' for k in keys)}}}, got one {_kind(value)}")
    missing = [key for key in keys if key not in value]
    if missing:
        raise Wrong(f"{what} has no {', '.join(map(repr, missing))}: it needs every one of {', '.join(keys)}")
    return {key: value[key] for key in keys}


def _kind(obj):
    """Return a few words naming what ``obj`` is, without calling anything on it that could fail."""
    return f"array of shape {obj.shape}" if isinstance(obj, np.ndarray) else type(obj).__name__


# ---------------------------------------------------------------- the learner's exception, as data

_NOT_LEARNERS = tuple({os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
                       *(sysconfig.get_paths()[key] + os.sep for key in ("stdlib", "purelib", "platlib"))})


@dataclass(frozen=True)
class LearnerError:
    """What went wrong in the learner's code: read off the exception object and the learner's frame."""

    kind: str                                    # "NameError", "ValueError", …
    text: str                                    # the exception's own words, shown only as a last resort
    line: int | None = None                      # the learner's failing line, and its code
    code: str = ""
    missing: str | None = None                   # the name a NameError / AttributeError is about
    placeholders: tuple = ()                     # names on that line that still hold `...`
    shapes: dict = field(default_factory=dict)   # arrays on that line (self.W included): name -> shape
    outside: tuple = ()                          # arrays on that line read from outside the function (globals)
    own: tuple = ()                              # in a method, the names of self's arrays (W for self.W)
    axis: tuple | None = None                    # (axis, ndim) of an AxisError

    @classmethod
    def of(cls, error):
        """Return the LearnerError for ``error``, raised by the learner's code."""
        frame, line = _learner_frame(error)
        code = linecache.getline(frame.f_code.co_filename, line).strip() if frame else ""
        used = _names_in(code)
        local, outer = (frame.f_locals, frame.f_globals) if frame else ({}, {})
        values = {n: _resolve(n, local, outer) for n in used}
        own = getattr(local.get("self"), "__dict__", None) or {}                  # in a method, self's attributes
        return cls(
            kind=type(error).__name__, text=str(error), line=line, code=code,
            missing=_unbound(code, used, frame) if isinstance(error, UnboundLocalError) else
            getattr(error, "name", None) if isinstance(error, (NameError, AttributeError)) else None,
            placeholders=tuple(n for n in used if local.get(n, None) is ...),
            shapes={n: np.shape(v) for n, v in values.items() if isinstance(v, np.ndarray)},
            outside=tuple(n for n, v in values.items()
                          if isinstance(v, np.ndarray) and n not in local and "." not in n),
            own=tuple(n for n, v in own.items() if isinstance(v, np.ndarray)),
            axis=(error.axis, error.ndim) if isinstance(error, np.exceptions.AxisError) else None)

    @property
    def where(self):
        """' on line 3 (`dx = dout @ W`)', or '' when the failing line is not the learner's."""
        if self.line is None:
            return ""
        return f" on line {self.line} (`{self.code}`)" if self.code else f" on line {self.line}"

    def raise_for(self, name, shapes=None, hint=None):
        """Raise NotAttempted or Wrong with the one sentence that explains this failure of ``name``.

        ``hint`` is added when the failure is about shapes: a ValueError or an IndexError on a line that
        computes with arrays, or an axis that does not exist.  A method that reads a variable of the notebook
        (or an undefined name) where its object has an array of that name is told to use ``self.``.
        """
        if self.placeholders:
            names, one = " and ".join(self.placeholders), len(self.placeholders) == 1
            raise NotAttempted(f"{names} {'is' if one else 'are'} still `...` (the placeholder), but a line of "
                               f"{name} already computes with {'it' if one else 'them'}: fill in the lines in "
                               "order, then run this check again.")
        misfit = self.kind == "ValueError" and len(self.shapes) >= 2 and _misfit(self.shapes, self.code)
        sentence = self._misfit_sentence(name, shapes) if misfit else self.sentence(name)
        shapes_failed = (self.kind in ("ValueError", "IndexError") and self.shapes and not self._condition()
                         or self.axis is not None)
        wrong = Wrong(sentence + self._notebook_note(name) + (f". {hint}" if hint and shapes_failed else ""))
        wrong.error = self                                       # for a lesson that adds to the sentence
        raise wrong

    def _notebook_note(self, name):
        """Return " — …" when the failing line of method ``name`` reads a notebook variable, not self's array."""
        read = (self.missing,) if self.kind == "NameError" else self.outside
        bare = [n for n in read if n in self.own]
        if bare:
            return (f" — inside {name}, the object's own array is self.{bare[0]}, not {bare[0]} (a variable from "
                    f"the notebook, if there is one): write self.{bare[0]}")
        if self.own and read and self.kind != "NameError":
            own = ", ".join(f"self.{n}" for n in self.own)
            return f" — {read[0]} is a variable from the notebook: use the object's own arrays ({own})"
        return ""

    def sentence(self, name):
        """Return the learner-facing sentence for this failure of ``name``."""
        if self.kind == "UnboundLocalError":                     # the name is local but not assigned yet
            return (f"{name} uses {self.missing or 'a name'} before giving it a value{self.where}: compute it "
                    "on an earlier line (in a backward pass, a gradient is ready only after every gate that uses "
                    "it has run)")
        if self.kind == "NameError":
            return (f"{name} uses the name {self.missing}, which is not defined inside it{self.where}: "
                    "everything it needs must come in through its arguments (or the cache it is given)")
        if self.kind == "AttributeError" and self.missing:
            return f"{name} asks for .{self.missing} of something that has no such attribute{self.where}"
        if self.axis is not None:
            axis, ndim = self.axis
            return f"{name} uses axis {axis}{self.where}, but that array has only {ndim} dimension{'s' * (ndim != 1)}"
        if self._condition():
            return (f"{name} asks whether an array is true{self.where}, but an array holds one truth value per "
                    "element: to act element by element, use a mask (a comparison gives an array of True/False) "
                    "with np.where or a product, not if")
        if self.kind == "TypeError" and "^" in self.code:
            return f"{name} raised TypeError{self.where}: in Python a power is written ** (^ is bitwise xor)"
        if self.kind == "IndexError":
            there = ", ".join(f"{n} {s}" for n, s in self.shapes.items())
            there = f"; shapes there: {there}" if there else ""
            return f"{name} indexes past the end of an array{self.where}{there}"
        return f"{name} raised {self.kind}{self.where}: {self.text}"

    def _condition(self):
        """Return True for an array used as one True/False (`if z > 0:`), which numpy refuses with a ValueError."""
        return self.kind == "ValueError" and bool(self.shapes) and bool(_CONDITION.search(self.code))

    def _misfit_sentence(self, name, shapes):
        there = ", ".join(f"{n} is {_dims(s)}" for n, s in self.shapes.items())
        if _is_product(self.code):
            want = ", ".join(f"{n} {_dims(s)}" for n, s in (shapes or {}).items())
            want = f" — and the result must be {want}" if want else ""
            return (f"the shapes in a matrix product do not fit{self.where}: {there}. (a, b) @ (b, c) gives "
                    f"(a, c){want}: write the shapes down and find the operand order and the .T that fit")
        return (f"the shapes do not fit{self.where}: {there}. `*` and `+` work element by element and need "
                "shapes that broadcast; a matrix product is written @")


def _dims(shape):
    return "×".join(map(str, shape)) if len(shape) > 1 else str(shape)


def _is_product(code):
    return "@" in code or "dot(" in code or "matmul" in code


def _misfit(shapes, code):
    """Return True when the arrays on the failing line cannot all be combined as its operators need."""
    try:
        np.broadcast_shapes(*shapes.values())
    except ValueError:
        return True
    return _is_product(code)                                     # shapes that broadcast may still not multiply


_CONDITION = re.compile(r"^(el)?if\b|^while\b|\bif\b.*\belse\b")   # a branch, or `a if cond else b`
_NAME = re.compile(r"(?<![\w.])([A-Za-z_]\w*)(\.[A-Za-z_]\w*)?")    # a name, and an attribute of it


def _names_in(code):
    """Return the names used on one line of code, in order, without repeats: plain names, and `a.b` for an
    attribute of a plain name (``self.W``)."""
    names = []
    for base, attribute in _NAME.findall(code.split("#")[0]):
        names += [base, base + attribute] if attribute else [base]
    return list(dict.fromkeys(names))


def _unbound(code, used, frame):
    """Return the local name the failing line reads before it has a value (Python 3.11 does not say which)."""
    unbound = [n for n in used if n in frame.f_code.co_varnames and n not in frame.f_locals]
    if len(unbound) > 1 and code.startswith(f"{unbound[0]} =") and not code.startswith(f"{unbound[0]} =="):
        unbound = unbound[1:]                                    # `dy = … dsigy`: dy is being assigned, not read
    return unbound[0] if unbound else None


def _resolve(name, local, outer):
    """Return what ``name`` ("X", "self.W") holds in the learner's frame, without running any of its code."""
    base, _, attribute = name.partition(".")
    value = local[base] if base in local else outer.get(base)
    return inspect.getattr_static(value, attribute, None) if attribute else value


def _learner_frame(error):
    """Return (frame, line number) of the deepest frame of the learner's own code (not numpy's, not ours)."""
    learners = [(frame, line) for frame, line in traceback.walk_tb(error.__traceback__)
                if not os.path.abspath(frame.f_code.co_filename).startswith(_NOT_LEARNERS)]
    return learners[-1] if learners else (None, None)
