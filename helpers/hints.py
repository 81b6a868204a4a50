"""Hints revealed one at a time: a button that shows the next hint on each click."""
import ipywidgets as widgets

from helpers.widget_text import StaticText, button, inline_html, short

__all__ = ["hints", "Hints"]


class Hints(StaticText, widgets.VBox):
    """A button that reveals the next hint each time it is clicked; made by :func:`hints`."""

    def __init__(self, texts):
        self.texts = tuple(texts)
        self.shown = widgets.VBox([])                      # the hints revealed so far
        self.button = button(self._label(), "Reveal the next hint", self.reveal, icon="lightbulb-o")
        super().__init__([self.button, self.shown])

    def _label(self):
        n, revealed = len(self.texts), len(self.shown.children)
        if revealed >= n:
            return f"All {n} hints shown" if n > 1 else "The hint is shown"
        return f"Show a hint ({revealed + 1} of {n})"

    def reveal(self):
        """Show the next hint; return its text (None when every hint is already shown)."""
        k, n = len(self.shown.children), len(self.texts)
        if k >= n:
            return None
        self.shown.children += (widgets.HTML(f"<b>Hint {k + 1} of {n}:</b> " + inline_html(self.texts[k])),)
        self.button.description = self._label()
        self.button.disabled = k + 1 >= n
        return self.texts[k]

    def text(self):
        """Return the plain-text version: how many hints there are (none of them revealed)."""
        n = len(self.texts)
        return (f"Hints for this exercise: {n} "
                f"(run the notebook to reveal {'them one at a time' if n > 1 else 'it'})")


def hints(*texts):
    """Return a widget that reveals ``texts`` one at a time, each click showing the next.

    Put it in its own cell right after the exercise.  Text in `backticks` is
    shown as code.

    >>> h = hints("Which input does the gradient of x use?", "Multiply swaps.")
    >>> print(h.text())
    Hints for this exercise: 2 (run the notebook to reveal them one at a time)
    >>> h.button.click(); h.button.description
    'Show a hint (2 of 2)'
    """
    if len(texts) == 1 and isinstance(texts[0], (list, tuple)):
        raise TypeError(f"hints() takes each hint as its own argument, got one {type(texts[0]).__name__}; "
                        "write hints('first hint', 'second hint') (or hints(*my_list))")
    if not texts:
        raise ValueError("hints() needs at least one hint, like hints('first hint', 'second hint')")
    for k, text in enumerate(texts, 1):
        if not isinstance(text, str):
            raise TypeError(f"hint {k} must be a string, got {type(text).__name__} {short(text)}")
        if not text.strip():
            raise ValueError(f"hint {k} is empty; every hint needs some text")
    return Hints(text.strip() for text in texts)
