"""Backprop by Hand: the small package every lesson imports.

Read in this order, each module is one idea:

- :mod:`helpers.engine`    — ``Value``, a tiny autodiff engine: backprop is the loop in ``gradients()``
- :mod:`helpers.ops`       — the table of gates: each op's symbol, name and backward rule in words
- :mod:`helpers.gradcheck` — numerical gradients and relative errors
- :mod:`helpers.draw`      — ``draw``, computation graphs as circuits (values green, gradients red),
  with :mod:`~helpers.style` (one number format, the palettes), :mod:`~helpers.layout` (the DOT text),
  :mod:`~helpers.crossings` and :mod:`~helpers.render` (SVG from the system ``dot`` or WebAssembly)
- :mod:`helpers.feedback`  — the three answers a check gives: not attempted, correct, wrong
- :mod:`helpers.compare`   — an answer against its reference, and the diagnoses derived from data
- :mod:`helpers.checks`    — the harness (:mod:`~helpers.checks.harness`) and one declaration module per lesson
- :mod:`helpers.widgets`   — :mod:`~helpers.hints`, the :mod:`~helpers.nudge` sliders and the backward
  :mod:`~helpers.stepper` (imported on their own)
- lesson material: :mod:`helpers.network` (lesson 7's network and experiments), :mod:`helpers.digits`
  and :mod:`helpers.training` (lesson 10's data and training loop)

And the learner's tooling: :mod:`helpers.lessons`, :mod:`helpers.workspace` and :mod:`helpers.progress`
(my-work/).  The instructors' exercise generator is not part of the package: it is ``tools/exercises.py``.
"""
from helpers.draw import draw, set_palette
from helpers.engine import Value, maximum, unbroadcast
from helpers.gradcheck import gradcheck, numerical_gradient, rel_error

__all__ = ["Value", "maximum", "unbroadcast", "draw", "set_palette",
           "gradcheck", "numerical_gradient", "rel_error"]
