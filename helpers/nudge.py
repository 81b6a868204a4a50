"""The nudge sliders: move an input by h, compare f(x + h) with the prediction f(x) + h·∂f/∂x.

The table's numbers have a fixed number of decimals (the sliders' own, at
least four), since they are compared with the slider readouts.
"""
import html
import math
from numbers import Real

import ipywidgets as widgets

from helpers.engine import Value
from helpers.widget_text import StaticText, button, short

__all__ = ["nudge", "Nudge"]


MAX_DECIMALS = 6


def _number(x, decimals=4, *, sign=False):
    """Return x with a fixed number of decimals and a true minus sign (never "−0.0000")."""
    text = f"{float(x):+.{decimals}f}" if sign else f"{float(x):.{decimals}f}"
    if set(text) <= set("+-0."):
        text = text.replace("-", "+" if sign else "")           # no "−0.00"
    return text.replace("-", "−")


def _decimals(x):
    """Return the fewest decimals (at most MAX_DECIMALS) that write x exactly, or None."""
    return next((d for d in range(MAX_DECIMALS + 1) if round(x, d) == x), None)


def _plain_number(x, what):
    """Return x as a float, or raise naming ``what`` if it is not a finite number a slider can show exactly."""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a number, got {type(x).__name__} {short(x)}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number, got {x}")
    if _decimals(x) is None:
        raise ValueError(f"{what} = {x!r} has more than {MAX_DECIMALS} decimals; "
                         "round it so a slider can show it exactly")
    return x


def _evaluate(build, values):
    """Return (f, {name: ∂f/∂name}) of build(**values), computed from fresh input Values."""
    inputs = {name: Value(value, name=name) for name, value in values.items()}
    call = f"build({', '.join(f'{name}=Value(…)' for name in inputs)})"
    try:
        out = build(**inputs)
    except TypeError as error:
        raise TypeError(f"{call} failed: {error}. build must accept the names in point as keyword "
                        "arguments and combine its Value inputs with gates (+, *, .exp(), …)") from None
    if not isinstance(out, Value):
        raise TypeError(f"{call} returned {type(out).__name__} {short(out)}; build must return the output "
                        "Value, computed from its Value inputs with gates (+, *, .exp(), …)")
    if out.data.size != 1:
        raise ValueError(f"{call} returned a Value of shape {out.shape}; nudge needs one number as output")
    grads = out.gradients()
    return out.item(), {name: float(grads[id(v)].item()) if id(v) in grads else 0.0 for name, v in inputs.items()}


class Nudge(StaticText, widgets.VBox):
    """Sliders that nudge each input, and a table comparing f after the nudge with its linear prediction.

    Made by :func:`nudge`.  ``sliders`` maps each input's name to its slider;
    :meth:`rows` returns the numbers the table shows.
    """

    def __init__(self, build, point, *, h, step, span, name):
        self.build, self.name, self.h = build, name, h
        self.start = dict(point)
        self.decimals = {key: max(_decimals(x) for x in (x0, step, h, span)) for key, x0 in self.start.items()}
        self.f0, self.d0 = _evaluate(build, self.start)
        self.sliders = {}
        for key, x0 in self.start.items():
            d = self.decimals[key]
            self.sliders[key] = widgets.FloatSlider(
                value=round(x0 + h, d), min=round(x0 - span, d), max=round(x0 + span, d), step=step,
                description=key, readout_format=f".{d}f",
                layout=widgets.Layout(width="min(32em, 100%)"))
            self.sliders[key].observe(lambda _change, key=key: self._moved(key), names="value")
        self.reset_button = button(f"Back to h = {_number(h, max(self.decimals.values()))}",
                                   "Put every slider back at its starting nudge", self.reset)
        self.table_html = widgets.HTML()
        super().__init__([*self.sliders.values(), self.reset_button, self.table_html])
        self.update()

    def _moved(self, key):
        """Put slider ``key`` on its grid (min + k·step, to the decimals it shows), then update the table."""
        slider = self.sliders[key]
        steps = round((float(slider.value) - slider.min) / slider.step)
        snapped = round(min(max(slider.min + steps * slider.step, slider.min), slider.max), self.decimals[key])
        if slider.value != snapped:
            slider.value = snapped                                 # observed again: updates then
            return
        self.update()

    def values(self):
        """Return {name: the input value in use}: each slider's value, kept on its grid as its readout shows it."""
        return {key: slider.value for key, slider in self.sliders.items()}

    def nudges(self):
        """Return {name: h}, each input's distance from its starting point, as the table shows it."""
        return {key: round(value - self.start[key], self.decimals[key]) for key, value in self.values().items()}

    def rows(self):
        """Return the table as a list of dicts: label, h, exact f after the nudge, linear prediction, gap.

        One row per input (that input nudged alone), then one for all inputs
        nudged together (when there are several).
        """
        values, nudges = self.values(), self.nudges()
        groups = [(f"{key} only", [key]) for key in self.start]
        if len(self.start) > 1:
            groups.append(("all together" if len(self.start) > 2 else " and ".join(self.start) + " together",
                           list(self.start)))
        rows = []
        for label, keys in groups:
            exact = _evaluate(self.build, dict(self.start, **{key: values[key] for key in keys}))[0]
            linear = self.f0 + sum(nudges[key] * self.d0[key] for key in keys)
            rows.append({"label": label, "h": {key: nudges[key] for key in keys}, "exact": exact,
                         "linear": linear, "gap": exact - linear})
        return rows

    def _h_text(self, hs):
        return ", ".join(f"{key} {_number(value, self.decimals[key], sign=True)}" if len(hs) > 1
                         else _number(value, self.decimals[key], sign=True) for key, value in hs.items())

    def _header(self):
        at = ", ".join(f"{key} = {_number(x0, self.decimals[key])}" for key, x0 in self.start.items())
        slopes = ", ".join(f"∂{self.name}/∂{key} = {_number(d)}" for key, d in self.d0.items())
        return (f"At {at}: {self.name} = {_number(self.f0)}; {slopes}.",
                f"Nudge each input by h: {self.name} after the nudge vs. the straight-line prediction "
                f"{self.name} + h·∂{self.name}/∂input.")

    def _cells(self):
        """Return the table's rows as text: the heading row, then one row per nudge."""
        head = ("nudge", "h", f"{self.name} after nudge", "prediction", "gap")
        body = [(row["label"], self._h_text(row["h"]), _number(row["exact"]), _number(row["linear"]),
                 _number(row["gap"])) for row in self.rows()]
        return [head, *body]

    def update(self):
        """Recompute the table from the sliders' current values."""
        head, *body = self._cells()
        lines = "".join(f"<p style='margin:0.2em 0'>{html.escape(line)}</p>" for line in self._header())
        cell = "<td style='padding:0 0.8em;text-align:{}'>{}</td>"
        rows = "".join("<tr>" + "".join(cell.format("left" if k == 0 else "right", html.escape(c))
                                        for k, c in enumerate(row)) + "</tr>" for row in body)
        heads = "".join(f"<th style='padding:0 0.8em'>{html.escape(c)}</th>" for c in head)
        self.table_html.value = f"{lines}<table><tr>{heads}</tr>{rows}</table>"

    def reset(self):
        """Put every slider back at its starting nudge h."""
        for key, slider in self.sliders.items():
            slider.value = round(self.start[key] + self.h, self.decimals[key])

    def text(self):
        """Return the plain-text version: the header and the table for the current sliders."""
        table = self._cells()
        widths = [max(map(len, column)) for column in zip(*table)]
        lines = ["  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths)))
                 for row in table]
        return "\n".join([*self._header(), *lines, "(Run the notebook to move the inputs with sliders.)"])


def nudge(build, point, *, h=0.1, step=0.01, span=1.0, name="f"):
    """Return sliders that nudge the inputs of ``build`` and compare f(x + h) with f(x) + h·∂f/∂x.

    ``build`` takes one keyword argument per name in ``point`` (each a scalar
    Value) and returns the output Value; ``point`` maps names to the starting
    numbers.  Each slider moves one input within ``span`` of its start, in
    steps of ``step``, starting at a nudge of ``h``.  The table shows, for each
    input nudged alone and for all together, the exact new value of f next to
    the straight-line prediction made with the derivatives at the start.  The
    numbers used are the slider values rounded to the decimals the slider shows.

    >>> w = nudge(lambda x, y: x * y, {"x": 4.0, "y": -3.0})
    >>> print(w.text().splitlines()[0])
    At x = 4.00, y = −3.00: f = −12.0000; ∂f/∂x = −3.0000, ∂f/∂y = 4.0000.
    """
    if not callable(build):
        raise TypeError(f"nudge() needs a function that builds the output from Value inputs, "
                        f"got {type(build).__name__} {short(build)}; for example nudge(lambda x, y: x * y, "
                        "{'x': 4.0, 'y': -3.0})")
    if not hasattr(point, "items"):
        raise TypeError(f"point must map input names to numbers, like {{'x': 4.0, 'y': -3.0}}; "
                        f"got {type(point).__name__} {short(point)}")
    if not point:
        raise ValueError("point is empty: give at least one input, like {'x': 4.0}")
    clean = {}
    for key, x0 in point.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise TypeError(f"point's keys must be argument names of build, like 'x'; got {short(key)}")
        clean[key] = _plain_number(x0, f"point[{key!r}]")
    h = _plain_number(h, "h")
    step = _plain_number(step, "step")
    span = _plain_number(span, "span")
    if step <= 0 or span <= 0:
        raise ValueError(f"step and span must be positive, got step={step:g}, span={span:g}")
    for label, amount in (("h", h), ("span", span)):
        if abs(amount / step - round(amount / step)) > 1e-9:
            raise ValueError(f"{label} = {amount:g} is not a whole number of steps of {step:g}; "
                             "the slider could not show it")
    if abs(h) > span:
        raise ValueError(f"h = {h:g} lies outside the sliders' range ±{span:g}; choose |h| ≤ span")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {short(name)}")
    return Nudge(build, clean, h=h, step=step, span=span, name=name)
