"""Backprop by Hand: the small package every lesson imports.

- :mod:`helpers.engine`    — ``Value``, a tiny autodiff engine that records the graph
- :mod:`helpers.draw`      — ``draw``, computation graphs as circuits (values green, gradients red)
- :mod:`helpers.gradcheck` — numerical gradients and relative errors
- :mod:`helpers.feedback`  — the three answers a check gives: not attempted, correct, wrong
- :mod:`helpers.checks`    — one checker per exercise, grouped by lesson
"""
from helpers.draw import draw, set_palette
from helpers.engine import Value, maximum, unbroadcast
from helpers.gradcheck import gradcheck, numerical_gradient, rel_error

__all__ = ["Value", "maximum", "unbroadcast", "draw", "set_palette",
           "gradcheck", "numerical_gradient", "rel_error"]
