"""Backprop by Hand: the small package every lesson imports.

Read in this order, each module is one idea:

- :mod:`helpers.engine`    — ``Value``, a tiny autodiff engine that records the graph
- :mod:`helpers.draw`      — ``draw``, computation graphs as circuits (values green, gradients red)
- :mod:`helpers.gradcheck` — numerical gradients and relative errors
- :mod:`helpers.feedback`  — the three answers a check gives: not attempted, correct, wrong
- :mod:`helpers.compare`   — comparing an answer with the reference, naming the classic mistakes
- :mod:`helpers.checks`    — one checker per exercise, one module per lesson
- :mod:`helpers.widgets`   — hints, the nudge sliders and the backward stepper (imported on its own)

And the course's tooling: :mod:`helpers.exercises` (notebooks/ from solutions/),
:mod:`helpers.workspace` and :mod:`helpers.progress` (the learner's my-work/).
"""
from helpers.draw import draw, set_palette
from helpers.engine import Value, maximum, unbroadcast
from helpers.gradcheck import gradcheck, numerical_gradient, rel_error

__all__ = ["Value", "maximum", "unbroadcast", "draw", "set_palette",
           "gradcheck", "numerical_gradient", "rel_error"]
