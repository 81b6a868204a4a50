"""Widgets that make the maths tangible: hints, a nudge slider, a backward-pass stepper.

- :func:`hints` reveals an exercise's hints one at a time;
- :func:`nudge` moves the inputs of an expression and compares f(x + h) with
  the linear prediction f(x) + h·∂f/∂x — the derivative as sensitivity;
- :func:`stepper` walks the backward pass one gate at a time.

Every widget also has a short, fixed text version (its ``text/plain``), which
is what a notebook shows where widgets do not run (a page on GitHub, a saved
output) and what the course's notebook tests compare.

Import them explicitly; they are not part of ``from helpers import ...``
because loading ipywidgets takes a moment::

    from helpers.widgets import hints, nudge, stepper
"""
from helpers.hints import Hints, hints
from helpers.nudge import Nudge, nudge
from helpers.stepper import Stepper, backward_gates, step_sentences, stepper

__all__ = ["hints", "nudge", "stepper", "Hints", "Nudge", "Stepper", "step_sentences", "backward_gates"]
