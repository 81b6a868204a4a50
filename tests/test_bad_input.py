"""Every public check, fed the usual battery of bad input: one of the three outcomes, never a crash.

For each check and each argument position, the battery below goes in (the
other arguments stay the untouched placeholder, and then all are the same bad
input).  Every call must end in one of the three outcomes with a one-line
message (a check that tables every intermediate may add the table's rows below
it); none of these inputs may be judged correct; and no warning may reach the
learner from inside ``helpers/``.
"""
import importlib
import inspect
import warnings
from pathlib import Path

import numpy as np
import pytest

from helpers.checks import registry
from helpers.engine import Value
from helpers.feedback import CORRECT

HELPERS = str(Path(__file__).resolve().parent.parent / "helpers")


class RefusingTensor:
    """Like a torch tensor that requires grad: it will not turn into a NumPy array."""

    shape = (2, 3)

    def __array__(self, *args, **kwargs):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad")


def _self_containing():
    items = [1.0, 2.0]
    items.append(items)
    return items


def _mutating(*args):
    for arg in args:
        if isinstance(arg, np.ndarray) and arg.dtype.kind == "f":
            arg *= 2
        elif isinstance(arg, dict):
            for value in arg.values():
                if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                    value *= 2
    return args[0] if args else None


def _raising(*args):
    raise KeyError("not here")


def _printing(*args):
    print("thinking...")


VALUES = {
    "None": None, "str": "0.5", "bool": True, "np.bool_": np.bool_(True), "set": {1.0, 2.0},
    "dict": {"dx": 1.0}, "nan": float("nan"), "inf": float("inf"), "-inf": -np.inf, "1e308": 1e308,
    "complex": 1 + 2j, "object array": np.array([1.0, "a"], dtype=object), "empty array": np.array([]),
    "0-d array": np.array(3.0), "wrong shape": np.zeros((7, 11)), "int array": np.zeros((2, 3), dtype=int),
    "complex array": np.ones(3, dtype=complex), "ragged list": [[1.0, 2.0], [3.0]],
    "self-containing list": _self_containing(), "refusing tensor": RefusingTensor(), "Value": Value(1.0),
    "nan array": np.full((2, 3), np.nan),
}
FUNCTIONS = {
    "returns None": lambda *args: None, "raises": _raising, "prints": _printing, "mutates": _mutating,
    "returns junk": lambda *args: "junk", "returns a junk tuple": lambda *args: ("junk", None, 3),
    "returns a Value": lambda *args: Value(np.ones((2, 3))), "returns nan": lambda *args: np.nan,
    "takes no arguments": lambda: 1.0,
}
BATTERY = {**VALUES, **FUNCTIONS}


def _checks():
    """Return {exercise id: its public check function}, from the registry."""
    checks = {}
    for e in registry():
        module = importlib.import_module(f"helpers.checks.lesson{e.lesson}")
        checks[e.id] = getattr(module, e.check)
    return checks


def _calls(check):
    """Yield (label, args) for every way the battery can be fed to ``check``."""
    count = len(inspect.signature(check).parameters)
    for label, bad in BATTERY.items():
        yield f"all {label}", (bad,) * count
        for position in range(count):
            args = [...] * count
            args[position] = bad
            yield f"argument {position + 1} {label}", tuple(args)


@pytest.mark.parametrize("exercise", sorted(_checks(), key=lambda e: tuple(map(int, e.split(".")))))
def test_bad_input_gives_one_line_never_a_crash_never_a_pass(exercise, capsys):
    check = _checks()[exercise]
    crashes, accepted, long_lines, leaked = [], [], [], []
    calls = 0
    for label, args in _calls(check):
        calls += 1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = check.evaluate(*args)
            except Exception as error:                           # an internal traceback would reach the learner
                crashes.append(f"{label}: {type(error).__name__}: {error}")
                continue
        leaked += [f"{label}: {w.category.__name__} from {w.filename}:{w.lineno}" for w in caught
                   if w.filename.startswith(HELPERS)]
        if result.outcome == CORRECT:
            accepted.append(label)
        first, *table = result.message.split("\n")               # lesson 10 adds a table of intermediates
        if not first.strip() or any(not row.startswith("    ") for row in table):
            long_lines.append(f"{label}: {result.message!r}")
    err = capsys.readouterr().err
    assert calls > len(BATTERY)
    assert not crashes, "\n".join(crashes[:10])
    assert not accepted, accepted
    assert not long_lines, "\n".join(long_lines[:5])
    assert not leaked, "\n".join(leaked[:5])
    assert "Warning" not in err, err[:500]


@pytest.mark.parametrize("exercise", sorted(_checks(), key=lambda e: tuple(map(int, e.split(".")))))
def test_a_check_called_without_its_arguments_says_which_it_needs(exercise):
    check = _checks()[exercise]
    names = list(inspect.signature(check).parameters)
    result = check.evaluate()
    assert result.outcome == "wrong" and "\n" not in result.message
    assert names[0] in result.message, result.message
