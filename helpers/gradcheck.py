"""Numerical gradients: the check every hand-written backward pass should pass.

The centred difference ``(f(x + h) - f(x - h)) / 2h`` has an error of order
h², so in float64 with h = 1e-5 an analytic gradient that is right agrees with
it to a relative error of about 1e-7 or better.  The bands used here are the
CS231n ones:

=================  ==============================================
relative error     what it means
=================  ==============================================
≤ 1e-7             right
1e-7 … 1e-4        right only if f has kinks (relu, max, abs) near x
1e-4 … 1e-2        almost certainly wrong
> 1e-2             wrong
=================  ==============================================

>>> f = lambda x: float(np.sum(x ** 2))
>>> numerical_gradient(f, np.array([1.0, -2.0])).round(6).tolist()
[2.0, -4.0]
"""
import numpy as np

__all__ = ["numerical_gradient", "rel_error", "gradcheck", "GradcheckReport", "verdict"]


def _scalar_output(out):
    value = getattr(out, "data", out)                            # accept a Value too
    try:
        value = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"f must return a number (the loss), got {type(out).__name__}") from None
    if value.size != 1:
        raise ValueError(f"f must return a single number (the loss), got an array of shape {value.shape}; "
                         "to check a gate, return np.sum(out * dout)")
    return float(value.reshape(()))


def numerical_gradient(f, x, *, h=1e-5):
    """Return d f / d x by centred differences, one element at a time.

    ``f`` takes an array shaped like ``x`` and returns a number.  ``x`` is
    copied to float64 first, so the caller's array is never changed.
    """
    if not callable(f):
        raise TypeError(f"numerical_gradient needs a function, got {type(f).__name__}")
    x = np.array(x, dtype=np.float64)                            # a private copy
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()                            # f gets fresh copies: it may change them
        up[index] += h
        down[index] -= h
        grad[index] = (_scalar_output(f(up)) - _scalar_output(f(down))) / (2 * h)
    return grad


def rel_error(a, b):
    """Return the largest elementwise relative error max |a - b| / max(1e-8, |a| + |b|).

    >>> rel_error(1.0, 1.0)
    0.0
    >>> round(rel_error(1.0, 1.1), 4)
    0.0476
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs two arrays of the same shape, got {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))   # 0 if empty


_BANDS = ((1e-7, "✓ good"), (1e-4, "~ fine only if f has kinks (relu, max, abs) here"),   # the table above
          (1e-2, "✗ almost certainly wrong"), (np.inf, "✗ wrong"))


def verdict(error):
    """Return the CS231n band for a relative error, in words and a symbol."""
    if not np.isfinite(error):
        return "✗ not a finite number"
    return next(says for limit, says in _BANDS if error <= limit)


class GradcheckReport:
    """One row per gradient: name, shape, relative error, verdict.  Shows itself as a table."""

    def __init__(self, rows):
        self.rows = rows                                          # (name, shape, error, verdict, worst index)

    @property
    def ok(self):
        """True when every gradient is in the ✓ band."""
        return all(row[3].startswith("✓") for row in self.rows)

    def __repr__(self):
        table = [("gradient", "shape", "rel. error", "verdict")]
        for name, shape, error, says, worst in self.rows:
            where = f" (worst at index {worst})" if worst is not None and not says.startswith("✓") else ""
            table.append((name, str(shape), "—" if error is None else f"{error:.0e}", says + where))
        widths = [max(len(row[i]) for row in table) for i in range(3)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3]
                         for row in table)


def gradcheck(f, inputs, analytic, *, h=1e-5):
    """Compare ``analytic`` gradients with numerical ones and return a report.

    ``f(**inputs)`` must return a number (the loss).  ``inputs`` maps names to
    arrays, ``analytic`` maps the same names to your gradients.  Nothing you
    pass is modified.

    >>> x = np.array([1.0, 2.0]); w = np.array([3.0, -1.0])
    >>> report = gradcheck(lambda x, w: x @ w, {"x": x, "w": w}, {"x": w, "w": x})
    >>> report.ok
    True
    """
    if not callable(f):
        raise TypeError(f"gradcheck needs a function f, got {type(f).__name__}")
    for what, mapping in (("inputs", inputs), ("analytic", analytic)):
        if not hasattr(mapping, "items"):
            raise TypeError(f"gradcheck needs {what} as a dict of name -> array, got {type(mapping).__name__}")
    arrays = {name: np.array(value, dtype=np.float64) for name, value in inputs.items()}
    return GradcheckReport([_row(f, arrays, name, mine, h) for name, mine in analytic.items()])


def _row(f, arrays, name, mine, h):
    """Return the report's row for the analytic gradient ``mine`` of input ``name``: (name, shape, error, …)."""
    if name not in arrays:
        return (name, "?", None, f"✗ no input called {name!r} (inputs: {', '.join(arrays)})", None)
    try:
        mine = np.array(mine, dtype=np.float64)
    except (TypeError, ValueError):
        return (name, "?", None, f"✗ not an array of numbers ({type(mine).__name__})", None)
    if mine.shape != arrays[name].shape:
        return (name, mine.shape, None, f"✗ shape {mine.shape}, but {name} has shape {arrays[name].shape}", None)
    numeric = numerical_gradient(lambda x: f(**{**arrays, name: x}), arrays[name], h=h)   # f of this input
    errors = np.abs(mine - numeric) / np.maximum(1e-8, np.abs(mine) + np.abs(numeric))
    error = float(np.max(errors, initial=0.0))
    worst = np.unravel_index(int(np.argmax(errors)), errors.shape) if errors.ndim else None
    return (name, mine.shape, error, verdict(error), tuple(int(i) for i in worst) if worst else None)
