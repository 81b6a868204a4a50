"""The three answers a check gives: not attempted, correct, or wrong (and why).

A checker is a plain function decorated with :func:`checker`.  It looks at the
learner's answer and either returns a short confirmation, or raises
:class:`NotAttempted` (a placeholder ``...`` is still there) or :class:`Wrong`
(with a sentence naming the mistake).  The decorator turns that into what the
learner sees:

- not attempted: one info line, and no error, so an untouched exercise
  notebook runs clean from top to bottom;
- correct: one line starting with ✓;
- wrong: a :class:`CheckFailed` error whose whole notebook rendering is one
  short ✗ message — no wall of traceback.

Feedback uses words and the symbols … ✓ ✗, never red and green: in this
course red and green mean gradient and value.

When the environment variable BACKPROP_RESULTS names a file, every outcome is
also appended to it as one JSON line, so tools can read progress without
scraping text.

>>> @checker("0.1")
... def check_answer(answer):
...     if answer is ...:
...         raise NotAttempted
...     if answer != 42:
...         raise Wrong("that is not the answer")
...     return "the answer is right"
>>> check_answer(...)
… Exercise 0.1 not attempted yet — fill in the cell above, then run this check again.
>>> check_answer(42)
✓ Exercise 0.1 — the answer is right
>>> check_answer.evaluate(41).outcome
'wrong'
"""
import contextlib
import functools
import json
import os
import sys
from dataclasses import asdict, dataclass

__all__ = ["checker", "case", "NotAttempted", "Wrong", "CheckFailed", "Result", "NOT_ATTEMPTED", "CORRECT",
           "WRONG"]

NOT_ATTEMPTED, CORRECT, WRONG = "not attempted", "correct", "wrong"
RESULTS_ENV = "BACKPROP_RESULTS"


class NotAttempted(Exception):
    """Raised inside a checker when the placeholder is still there."""


class Wrong(Exception):
    """Raised inside a checker with a sentence that names the mistake."""


@contextlib.contextmanager
def case(prefix):
    """Start the message of a Wrong raised inside with ``prefix``, the case it was found at ("" adds nothing).

    >>> with case("for x of shape (2, 3): "):
    ...     raise Wrong("dx is wrong")
    Traceback (most recent call last):
    helpers.feedback.Wrong: for x of shape (2, 3): dx is wrong
    """
    try:
        yield
    except Wrong as mistake:
        raise Wrong(f"{prefix}{mistake}") from None


@dataclass(frozen=True)
class Result:
    """What a check concluded: the exercise, one of the three outcomes, and the message."""

    exercise: str
    outcome: str
    message: str

    @property
    def text(self):
        return _SHOWN[self.outcome].format(self.exercise, self.message)


_SHOWN = {CORRECT: "✓ Exercise {} — {}", WRONG: "✗ Exercise {} — {}", NOT_ATTEMPTED: "… Exercise {} {}"}


class CheckFailed(Exception):
    """A wrong answer.  Jupyter shows only its message, not a traceback."""

    def __init__(self, result):
        super().__init__(result.text)
        self.result = result

    def _render_traceback_(self):
        # IPython calls this instead of printing the traceback
        return [self.result.text]


def _record(result):
    path = os.environ.get(RESULTS_ENV)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
    except OSError as error:                                     # never let bookkeeping break a lesson
        print(f"(could not record this result in {path}: {error})", file=sys.stderr)


def checker(exercise):
    """Turn ``fn`` into a check for ``exercise`` (for example "2.3") with the three outcomes."""
    def decorate(fn):
        @functools.wraps(fn)
        def evaluate(*args, **kwargs):
            try:
                message = fn(*args, **kwargs)
            except NotAttempted as signal:
                detail = str(signal) or "fill in the cell above, then run this check again."
                return Result(exercise, NOT_ATTEMPTED, f"not attempted yet — {detail}")
            except Wrong as mistake:
                return Result(exercise, WRONG, str(mistake))
            return Result(exercise, CORRECT, message or "correct")

        @functools.wraps(fn)
        def check(*args, **kwargs):
            result = evaluate(*args, **kwargs)
            _record(result)
            if result.outcome == WRONG:
                raise CheckFailed(result) from None
            print(result.text)

        check.evaluate = evaluate
        check.exercise = exercise
        return check
    return decorate
