"""What every widget of the course shares: a short, fixed plain-text version of itself.

A widget's ``text/plain`` is what a notebook shows where widgets do not run
(a page on GitHub, a saved output) and what the course's notebook tests
compare, so it must be short and the same on every run.
"""
import html
import re

import ipywidgets as widgets

__all__ = ["StaticText", "short", "inline_html", "button"]


def short(obj, limit=40):
    text = repr(obj)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def button(description, tooltip, action, **options):
    """Return a button as wide as its words that calls ``action()`` when clicked."""
    made = widgets.Button(description=description, tooltip=tooltip, layout=widgets.Layout(width="auto"), **options)
    made.on_click(lambda _button: action())
    return made


def inline_html(text):
    """Return text as HTML: escaped, with `code` in backticks shown as code."""
    escaped = html.escape(text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped).replace("\n", "<br>")


class StaticText:
    """Mixin: show ``self.text()`` as the widget's plain-text output.

    ipywidgets 8 builds a widget's output in ``_repr_mimebundle_``: the
    widget-view part (a model id, which nbval ignores) plus ``text/plain``
    made from ``repr(widget)`` — a list of every trait, which changes from run
    to run.  We keep the widget view and replace the plain text with a short,
    fixed description.
    """

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = self.text()
        return data

    def __repr__(self):
        return self.text()


