"""A tiny autodiff engine that records the computation graph as you build it.

Every :class:`Value` holds a NumPy array (a scalar is a 0-d array), the name
of the gate that made it, and the Values that went into that gate.  So the
same class serves the scalar lessons and the matrix lessons.

Backpropagation is then three lines of idea:

1. put the gates in topological order (every gate after its inputs);
2. start with ``df/df = 1`` at the output;
3. walk the gates backwards.  Each gate knows only its *local* rules, one per
   input: each turns the gradient on the gate's output (the *upstream*
   gradient) into that input's gradient.  The engine adds each of those into
   the input's gradient — *adds*, because a Value used twice receives
   gradient from both uses.

A plain number or array mixed into an expression (the 2 in ``2 * x``, a
batch of data) becomes a *constant*: it is part of the graph, but nothing
asks for its gradient, so none is computed.

When numpy broadcasting copied an input to a bigger shape in the forward pass,
the gradient coming back has the bigger shape; :func:`unbroadcast` sums the
copies' gradients back to the input's own shape.

>>> x = Value(-2.0, name="x"); y = Value(5.0, name="y"); z = Value(-4.0, name="z")
>>> f = (x + y) * z
>>> f.backward()
>>> float(x.grad), float(y.grad), float(z.grad)
(-4.0, -4.0, 3.0)
"""
import operator
from numbers import Real

import numpy as np

__all__ = ["Value", "unbroadcast", "broadcast_axes", "maximum"]


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``, undoing numpy broadcasting.

    A value broadcast in the forward pass was copied to many places, so its
    gradient is the sum of the gradients of all the copies.

    >>> unbroadcast(np.ones((4, 3)), (3,)).tolist()
    [4.0, 4.0, 4.0]
    >>> unbroadcast(np.ones((2, 3)), (2, 1)).tolist()
    [[3.0], [3.0]]
    """
    grad = np.asarray(grad, dtype=np.float64)
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    # numpy lines shapes up on the right; each axis of `shape` must match the gradient's or be 1
    if len(shape) > grad.ndim or any(n not in (1, m) for n, m in zip(shape[::-1], grad.shape[::-1])):
        raise ValueError(f"cannot unbroadcast a gradient of shape {grad.shape} to shape {shape}: "
                         "an array of that shape does not broadcast to it")
    # sum the copies, keeping the summed axes as size 1; reshape drops the new axes numpy added on the left
    return grad.sum(axis=broadcast_axes(shape, grad.shape), keepdims=True).reshape(shape)


def broadcast_axes(shape, out_shape):
    """Return the axes of ``out_shape`` along which an input of ``shape`` was copied.

    >>> broadcast_axes((3,), (4, 3))
    (0,)
    >>> broadcast_axes((2, 1), (2, 5))
    (1,)
    """
    leading = len(out_shape) - len(shape)
    stretched = (leading + i for i, n in enumerate(shape) if n == 1 and out_shape[leading + i] != 1)
    return tuple(range(leading)) + tuple(stretched)


def _as_array(data, what="Value"):
    """Return data as a fresh float64 array, or raise a TypeError that says why not."""
    if isinstance(data, Value):
        raise TypeError(f"{what} got a Value; pass its .data (the numbers) instead")
    if data is None or isinstance(data, (str, bytes, bool)) or callable(data):
        raise TypeError(f"{what} needs a number or an array of numbers, got {type(data).__name__} {data!r:.40}")
    try:
        return np.array(data, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what} needs a number or an array of numbers, got {data!r:.60} ({error})") from None


def _reflected(apply):
    """Return the method Python calls for ``number OP value``: it computes ``constant(number) OP value``."""
    return lambda self, other: apply(_lift(other), self)


def _lift(other):
    """Turn a plain number or array into a constant leaf, so gates can treat both sides alike.

    A float64 array is used as it is, not copied (a batch of data can be
    large): change it in place only after you are done with the graph.
    """
    return other if isinstance(other, Value) else Value(other, _constant=True)


class Value:
    """A node of the computation graph: numbers, the gate that made them, and their gradient.

    ``data`` and ``grad`` are float64 arrays of the same shape.  ``op`` is the
    gate's key in :data:`helpers.ops.OPS` (``""`` for an input) and ``params``
    its settings (an exponent, the axes of a sum); ``inputs`` are the Values it
    read, in operand order.  ``constant`` is True for numbers that were mixed
    into an expression as plain Python or NumPy values, and ``requires_grad``
    is False for them and for anything computed from constants alone: those
    get no gradient.  Give inputs a ``name`` so graphs and messages can talk
    about them; name an intermediate result with :meth:`named`.

    >>> w = Value([[1.0, 2.0]], name="W")
    >>> w.shape
    (1, 2)
    """

    # make numpy hand `array + value` over to Value.__radd__ instead of looping
    __array_ufunc__ = None

    def __init__(self, data, name=None, *, _op="", _inputs=(), _rules=(), _params=None, _constant=False):
        # a gate's output is a fresh array already, and a constant is only read;
        # anything else is copied, so changing the caller's array cannot change the graph
        as_is = (_op or _constant) and isinstance(data, np.ndarray) and data.dtype == np.float64
        self.data = data if as_is else _as_array(data)
        self._grad = None                                        # zeros until backward() fills it in
        self.name = name
        self.op = _op
        self.params = _params or {}
        self.inputs = tuple(_inputs)
        self.constant = _constant
        self.requires_grad = any(x.requires_grad for x in self.inputs) if self.inputs else not _constant
        # the gate's local rules, one per input: upstream gradient -> that input's gradient
        self._rules = tuple(_rules)

    # ---------------------------------------------------------------- basics
    @property
    def grad(self):
        """d(output)/d(this Value) from the last backward(): an array shaped like ``data``."""
        if self._grad is None:
            self._grad = np.zeros_like(self.data)
        return self._grad

    @grad.setter
    def grad(self, value):
        self._grad = value

    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    def item(self):
        """Return the value of a one-element Value as a Python float."""
        return self.data.item()

    def named(self, name):
        """Give this Value a name (for drawings and messages) and return it."""
        self.name = name
        return self

    def __repr__(self):
        label = f"name={self.name!r}, " if self.name else ""
        if self.data.ndim == 0:
            return f"Value({label}data={self.data.item():.4g}, grad={self.grad.item():.4g})"
        return f"Value({label}shape={self.data.shape})"

    def _gate(self, data, op, inputs, *rules, **params):
        return Value(data, _op=op, _inputs=inputs, _rules=rules, _params=params)

    # ---------------------------------------------------------------- gates
    # Each gate computes its output and gives one local rule per input: how to
    # turn `g`, the upstream gradient d(final output)/d(this gate's output),
    # into that input's gradient.

    def __add__(self, other):
        other = _lift(other)
        return self._gate(self.data + other.data, "add", (self, other),
                          lambda g: g, lambda g: g)              # add distributes

    def __mul__(self, other):
        other = _lift(other)
        a, b = self.data, other.data
        return self._gate(a * b, "mul", (self, other),
                          lambda g: g * b, lambda g: g * a)      # multiply swaps

    def __neg__(self):
        return self._gate(-self.data, "neg", (self,), lambda g: -g)

    def __sub__(self, other):
        return self + (-_lift(other))                            # a - b = a + (-b)

    def __truediv__(self, other):
        return self * _lift(other) ** -1                         # a / b = a * b^-1

    def __pow__(self, exponent):
        if isinstance(exponent, bool) or not isinstance(exponent, Real):   # a Value is not a Real either
            raise TypeError(f"x ** p needs a plain number p, got {type(exponent).__name__}; "
                            "for a Value exponent write (p * x.log()).exp()")
        p, a = float(exponent), self.data
        return self._gate(a ** p, "pow", (self,), lambda g: g * p * a ** (p - 1), exponent=p)

    # `2 * x` asks the number first, then x.__rmul__(2): the number becomes the gate's left input
    __radd__ = _reflected(operator.add)
    __rsub__ = _reflected(operator.sub)
    __rmul__ = _reflected(operator.mul)
    __rtruediv__ = _reflected(operator.truediv)
    __rmatmul__ = _reflected(operator.matmul)

    def __matmul__(self, other):
        other = _lift(other)
        a, b = self.data, other.data
        if a.ndim != 2 or b.ndim != 2:
            raise ValueError(f"@ here multiplies 2-d matrices, got shapes {a.shape} and {b.shape}")
        # D = A @ B  ->  dA = dD @ B.T,  dB = A.T @ dD  (the only shapes that fit)
        return self._gate(a @ b, "matmul", (self, other),
                          lambda g: g @ b.T, lambda g: a.T @ g)

    def exp(self):
        out = np.exp(self.data)
        return self._gate(out, "exp", (self,), lambda g: g * out)

    def log(self):
        a = self.data
        return self._gate(np.log(a), "log", (self,), lambda g: g / a)

    def tanh(self):
        t = np.tanh(self.data)
        return self._gate(t, "tanh", (self,), lambda g: g * (1 - t * t))

    def sigmoid(self):
        s = 1 / (1 + np.exp(-self.data))
        return self._gate(s, "sigmoid", (self,), lambda g: g * (1 - s) * s)

    def relu(self):
        # the derivative at exactly 0 is undefined; like most libraries we use 0
        mask = self.data > 0
        return self._gate(np.maximum(self.data, 0.0), "relu", (self,), lambda g: g * mask)

    def abs(self):
        sign = np.sign(self.data)                                # sign(0) = 0
        return self._gate(np.abs(self.data), "abs", (self,), lambda g: g * sign)

    def maximum(self, other):
        """Return the elementwise max; the gradient goes to the larger input.

        At a tie the derivative is undefined; we split the gradient equally,
        which keeps the total equal to the upstream gradient (and is what a
        centred numerical difference measures).
        """
        other = _lift(other)
        a, b = self.data, other.data
        to_a = (a > b) + 0.5 * (a == b)
        return self._gate(np.maximum(a, b), "maximum", (self, other),
                          lambda g: g * to_a, lambda g: g * (1 - to_a))  # max routes

    def sum(self, axis=None, keepdims=False):
        shape = self.data.shape
        return self._gate(self.data.sum(axis=axis, keepdims=keepdims), "sum", (self,),
                          lambda g: np.full(shape, _kept(g, axis, keepdims)),  # every element: same push
                          axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        total = self.sum(axis=axis, keepdims=keepdims)
        return total * (total.data.size / self.data.size)        # a sum times 1/n

    def max(self, axis=None, keepdims=False):
        """Return the largest element (along ``axis``); the gradient goes to it, as in a max gate.

        Where several elements tie for the largest, they share the gradient evenly.

        >>> x = Value([[1.0, 5.0, 2.0], [4.0, 4.0, 0.0]])
        >>> x.max(axis=1, keepdims=True).sum().backward()
        >>> x.grad.tolist()
        [[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]]
        """
        a = self.data
        top = a.max(axis=axis, keepdims=True)
        winners = (a == top).astype(np.float64)
        share = winners / winners.sum(axis=axis, keepdims=True)  # 1 for a single winner, split at a tie
        return self._gate(a.max(axis=axis, keepdims=keepdims), "max", (self,),
                          lambda g: _kept(g, axis, keepdims) * share, axis=axis, keepdims=keepdims)

    def __getitem__(self, index):
        """Return the picked elements, ``x[index]``; their gradients are added back where they came from.

        An element picked twice gets both gradients: picking is a fork.

        >>> x = Value([10.0, 20.0, 30.0])
        >>> (x[[0, 2, 2]] * Value([1.0, 2.0, 3.0])).sum().backward()
        >>> x.grad.tolist()
        [1.0, 0.0, 5.0]
        """
        if isinstance(index, Value):
            raise TypeError("index a Value with integers, slices or integer arrays, not with a Value")
        shape = self.data.shape

        def local(g):
            grad = np.zeros(shape)
            np.add.at(grad, index, g)                            # += would lose repeated indices
            return grad
        return self._gate(np.array(self.data[index], dtype=np.float64), "index", (self,), local, index=index)

    @property
    def T(self):
        return self._gate(self.data.T, "transpose", (self,), lambda g: g.T)

    def reshape(self, *shape):
        old = self.data.shape
        return self._gate(self.data.reshape(*shape), "reshape", (self,), lambda g: g.reshape(old))

    # ---------------------------------------------------------------- backprop
    def topological_order(self):
        """Return every Value this one depends on, each after all of its inputs.

        Inputs are visited in operand order, so the order (and every drawing
        made from it) is the same on every run.  Iterative, so deep graphs do
        not hit Python's recursion limit.
        """
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)                               # all of its inputs are in order already
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack += [(parent, False) for parent in reversed(node.inputs)]
        return order

    def gradients(self, seed=None, *, order=None):
        """Return {id(node): d(this Value)/d(node)} for every node a gradient reaches.

        This is backpropagation, and it touches no ``.grad``.  ``seed`` is the
        gradient on this Value (ones by default: df/df = 1); ``order`` is its
        :meth:`topological_order`, when the caller has it already.
        """
        seed = np.ones_like(self.data) if seed is None else _as_array(seed, "backward(seed)")
        if seed.shape != self.data.shape:
            raise ValueError(f"backward(seed) needs shape {self.data.shape}, got {seed.shape}")
        grads = {id(self): seed}
        for node in reversed(order or self.topological_order()):  # each gate after every gate that uses it
            if id(node) not in grads:
                continue                                         # no gradient reaches it
            upstream = grads[id(node)]
            for x, rule in zip(node.inputs, node._rules):
                if not x.requires_grad:
                    continue                                     # a constant: nothing to compute
                share = unbroadcast(rule(upstream), x.shape)     # local rule x upstream, summed back to x's shape
                grads[id(x)] = grads[id(x)] + share if id(x) in grads else share  # gradients add up at forks
        return grads

    def shares(self, upstream=None):
        """Return what this gate sends back to each input, given its ``upstream`` gradient (default: ``.grad``).

        One array per input, in operand order, None for an input that needs no
        gradient, computed as in :meth:`gradients`; the drawings write them on the wires into the gate.

        >>> x, y = Value(3.0), Value(-2.0)
        >>> [float(s) for s in (x * y).shares(np.array(1.0))]
        [-2.0, 3.0]
        """
        upstream = self.grad if upstream is None else upstream
        return tuple(unbroadcast(rule(upstream), x.shape) if x.requires_grad else None
                     for x, rule in zip(self.inputs, self._rules))

    def backward(self, seed=None):
        """Fill in ``.grad`` of every Value in the graph, from scratch.

        Earlier gradients are replaced, not added to (PyTorch and micrograd add
        into ``.grad``), so running a cell twice gives the same numbers.
        Constants, and anything no gradient reaches, get zeros.
        """
        order = self.topological_order()
        for node, grad in zip(order, _own_arrays(order, self.gradients(seed, order=order))):
            node.grad = grad                                     # None reads as zeros


def _own_arrays(order, grads):
    """Yield each node's gradient as an array no other node shares (views included), or None.

    Gates pass views and the same array along several wires; only those are copied, since copying every
    gradient costs a training step about a tenth of its time.
    """
    owners = set()                                               # memory already behind some node's .grad
    for node in order:
        grad = grads.get(id(node))
        if grad is not None:
            owner = grad if grad.base is None else grad.base     # a view (reshape, .T) shares its base
            if id(owner) in owners or not grad.flags.writeable:
                grad = owner = grad.copy()
            owners.add(id(owner))
        yield grad


def _kept(g, axis, keepdims):
    """Return ``g`` with the axes a reduction removed put back as size 1 (so it broadcasts over them)."""
    return g if axis is None or keepdims else np.expand_dims(g, axis)


def maximum(a, b):
    """Return the elementwise max of two Values or numbers (a max gate)."""
    return _lift(a).maximum(b)
