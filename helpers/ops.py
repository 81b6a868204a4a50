"""The table of gates: what each op of the engine is called, drawn as, and does backward.

The engine records each gate's op as a key of :data:`OPS` and its settings
(an exponent, the axes of a sum) as data in ``node.params``.  Drawings,
the backward stepper and the checks read this table instead of guessing a
gate's meaning from the text of its label.

>>> OPS["mul"].name, OPS["mul"].rule
('multiply', 'each input gets the other input times the upstream gradient')
>>> from helpers.engine import Value
>>> label(Value(3.0) ** 2), label(Value([[1.0, 2.0]]).sum(axis=1))
('**2', 'Σ axis=1')
"""
from collections import namedtuple

__all__ = ["Op", "OPS", "label", "name"]

# one kind of gate: its symbol in drawings, its name in sentences, and its backward rule in words
# (what the gate does with the upstream gradient, as one clause)
Op = namedtuple("Op", ["symbol", "name", "rule"])

OPS = {
    "add": Op("+", "add", "each input gets the upstream gradient unchanged"),
    "mul": Op("*", "multiply", "each input gets the other input times the upstream gradient"),
    "neg": Op("neg", "negate", "the input gets the upstream gradient with its sign flipped"),
    "pow": Op("**", "power", "the input gets p·x^(p−1) times the upstream gradient"),
    "exp": Op("exp", "exp", "the input gets the gate's own output times the upstream gradient"),
    "log": Op("log", "log", "the input gets the upstream gradient divided by the input"),
    "tanh": Op("tanh", "tanh", "the input gets 1 − tanh² times the upstream gradient"),
    "sigmoid": Op("σ", "sigmoid", "the input gets σ·(1 − σ) times the upstream gradient"),
    "relu": Op("relu", "ReLU", "the input gets the upstream gradient where it was positive, 0 elsewhere"),
    "abs": Op("abs", "abs", "the input gets the upstream gradient times the sign of the input"),
    "maximum": Op("max", "max", "the larger input gets the upstream gradient (a tie splits it evenly)"),
    "sum": Op("Σ", "sum", "every element summed gets a copy of the upstream gradient"),
    "max": Op("max", "max over an axis",
              "the largest element of each group gets the upstream gradient (a tie splits it evenly)"),
    "matmul": Op("@", "matrix-multiply", "dA = dD @ Bᵀ and dB = Aᵀ @ dD: the only shapes that fit"),
    "transpose": Op("T", "transpose", "the input gets the upstream gradient transposed back"),
    "reshape": Op("reshape", "reshape", "the input gets the upstream gradient reshaped back"),
    "index": Op("[ ]", "index", "each picked element gets its upstream gradient, added up where an element "
                                "was picked more than once"),
}


def name(node):
    """Return the name of the gate that made ``node`` ("add", "power", …)."""
    return OPS[node.op].name


def label(node):
    """Return the text drawn in a gate: its symbol and its settings ("**2", "Σ axis=1", "max axis=1")."""
    op, params = OPS[node.op], node.params
    if node.op == "pow":
        return f"**{params['exponent']:g}"
    if params.get("axis") is not None:
        return f"{op.symbol} axis={params['axis']}"
    return op.symbol
