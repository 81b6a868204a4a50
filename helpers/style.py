"""How the course writes numbers and colours them: one format, one palette, used by every picture and sentence.

Every number in a drawing, in its text table and in the backward stepper's
sentences is written by :func:`format_number`: **three significant figures**
(``2.00``, ``−0.0223``, ``14.7``), whole numbers from 100 up (``123``), and
powers of ten below 0.001 or from 10 000 up (``−7.21e−05``), always with a
true minus sign.  So a number on a picture can be checked by hand against the
sentence beside it.

>>> format_number(-0.022342), format_number(2), format_number(0.00035), format_number(1234.5)
('−0.0223', '2.00', '3.50e−04', '1234')
"""
import math
import re

import numpy as np

__all__ = ["PALETTES", "set_palette", "colours", "format_number", "describe", "preview", "axes_text", "clean"]

PALETTES = {
    # forward values green, gradients red (as in the CS231n circuit pictures); a wrong
    # gradient of the learner's gets its own colour, purple, and its own symbol
    "default": {"value": "#1a7f37", "grad": "#c62828", "wrong": "#7b1fa2", "gate": "#f2f2f2",
                "note": "#555555", "highlight": "#1f4fa3", "highlight_fill": "#ffe9a8"},
    # Okabe–Ito blue and vermillion, told apart with any kind of colour vision; wrong is black
    "colorblind": {"value": "#0072b2", "grad": "#d55e00", "wrong": "#000000", "gate": "#f2f2f2",
                   "note": "#555555", "highlight": "#000000", "highlight_fill": "#ffe9a8"},
}
_current = {"palette": "default"}


def set_palette(name):
    """Use palette ``name`` ("default" or "colorblind") for every drawing from now on."""
    colours(name)
    _current["palette"] = name


def colours(name=None):
    """Return the colours of palette ``name`` (default: the one in use); a ValueError lists the palettes."""
    name = name or _current["palette"]
    if name not in PALETTES:
        raise ValueError(f"unknown palette {name!r}: must be one of {', '.join(map(repr, PALETTES))}")
    return PALETTES[name]


def format_number(x, *, digits=3):
    """Return x as every picture and sentence of the course writes it: ``digits`` significant figures.

    >>> [format_number(v) for v in (-4, 0.125, -0.0021, 0.0, 14.66, 99.96, 3e-7, 123456.0)]
    ['−4.00', '0.125', '−0.00210', '0.00', '14.7', '100', '3.00e−07', '1.23e+05']
    """
    x = float(x)
    if not math.isfinite(x):
        return str(x).replace("-", "−")
    size = abs(x)
    if x == 0:
        text = "0." + "0" * (digits - 1)                         # also for −0.0
    elif size < 1e-3 or size >= 1e4:
        text = f"{x:.{digits - 1}e}"
    elif size >= 999.5:
        text = f"{x:.0f}"                                        # 1234, not 1.23e+03
    else:
        text = f"{x:#.{digits}g}".rstrip(".")                    # keeps trailing zeros: 2.00, 0.0200
    return text.replace("-", "−")


def preview(array, rows=3, cols=4):
    """Return the corner of a 0-, 1- or 2-d array as rows of formatted numbers, "…" where cut.

    Rows and columns are kept (a 1-d array is one row); a bigger array shows
    its first 2-d slice.

    >>> preview(np.arange(10.0).reshape(2, 5))
    [['0.00', '1.00', '2.00', '3.00', '…'], ['5.00', '6.00', '7.00', '8.00', '…']]
    """
    grid = np.atleast_2d(np.asarray(array, dtype=np.float64))    # a number or a 1-d array: one row
    while grid.ndim > 2:
        grid = grid[0]
    shown = [[format_number(v) for v in row[:cols]] + (["…"] if grid.shape[1] > cols else [])
             for row in grid[:rows]]
    if grid.shape[0] > rows:
        shown.append(["⋮"] + [""] * (len(shown[0]) - 1))
    return shown


def describe(array, *, digits=3):
    """Return a short text for an array: the number itself, or its shape and its first rows.

    >>> describe(np.array([[1.0, -2.0], [0.5, 3.0]]))
    '(2, 2) [[1.00, −2.00], [0.500, 3.00]]'
    """
    array = np.asarray(array)
    if array.ndim == 0:
        return format_number(array, digits=digits)
    inner = ", ".join("[" + ", ".join(c for c in row if c) + "]" for row in preview(array))
    return f"{array.shape} [{inner}]" if array.ndim > 1 else f"{array.shape} {inner}"


def axes_text(axes, labels=()):
    """Return axes as the course writes them, with their names when ``labels`` gives them.

    >>> axes_text((0,)), axes_text((0, 2, 3)), axes_text((1,), ("N", "C"))
    ('axis 0', 'axes 0, 2, 3', 'axis 1 (C)')
    """
    text = f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(map(str, axes))
    return text + f" ({', '.join(labels[a] for a in axes)})" if len(labels) > max(axes) else text


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text):
    """Return text with each control character shown as its visible picture (BEL → ␇), tabs as spaces.

    >>> clean("a\\x07b\\tc")
    'a␇b c'
    """
    text = str(text).replace("\t", " ")
    return _CONTROL.sub(lambda m: chr(0x2400 + ord(m.group())) if m.group() != "\x7f" else "␡", text)
