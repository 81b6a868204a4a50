"""The engine: gradients match numerical gradients, forks add up, broadcasting sums back."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.engine import Value, broadcast_axes, maximum, unbroadcast
from helpers.gradcheck import numerical_gradient, rel_error

# ---------------------------------------------------------------- random expressions
# An expression is a nested tuple: ("leaf", i) or (op, child, ...).  The same tree is
# evaluated once with Values (for backward) and many times with plain arrays (for
# centred differences), so the two sides cannot share a mistake.  Ops are kept
# smooth and away from kinks and overflow, so numerical gradients are reliable.

UNARY = {
    "exp_tanh": (lambda v: v.tanh().exp(), lambda a: np.exp(np.tanh(a))),
    "log1p_sq": (lambda v: (v * v + 1).log(), lambda a: np.log(a * a + 1)),
    "tanh": (lambda v: v.tanh(), np.tanh),
    "sigmoid": (lambda v: v.sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    "square": (lambda v: v ** 2, lambda a: a ** 2),
    "neg": (lambda v: -v, lambda a: -a),
    "scale": (lambda v: 0.5 * v - 1.5, lambda a: 0.5 * a - 1.5),
    "inv_soft": (lambda v: 1 / (v * v + 1), lambda a: 1 / (a * a + 1)),
}
BINARY = {
    "add": lambda p, q: p + q,
    "sub": lambda p, q: p - q,
    "mul": lambda p, q: p * q,
    "div_soft": lambda p, q: p / (q * q + 1),
}


def expressions(n_leaves):
    leaf = st.tuples(st.just("leaf"), st.integers(0, n_leaves - 1))
    return st.recursive(
        leaf,
        lambda child: st.one_of(
            st.tuples(st.sampled_from(sorted(UNARY)), child),
            st.tuples(st.sampled_from(sorted(BINARY)), child, child)),
        max_leaves=8)


def evaluate(expr, leaves, engine):
    op = expr[0]
    if op == "leaf":
        return leaves[expr[1]]
    if op in UNARY:
        value_fn, array_fn = UNARY[op]
        inner = evaluate(expr[1], leaves, engine)
        return value_fn(inner) if engine else array_fn(inner)
    return BINARY[op](evaluate(expr[1], leaves, engine), evaluate(expr[2], leaves, engine))


def check_against_numerics(expr, arrays):
    leaves = [Value(a, name=f"v{i}") for i, a in enumerate(arrays)]
    out = evaluate(expr, leaves, engine=True).sum()
    out.backward()
    for i, leaf in enumerate(leaves):
        def f(x, i=i):
            values = [x if j == i else a for j, a in enumerate(arrays)]
            return float(np.sum(evaluate(expr, values, engine=False)))
        numeric = numerical_gradient(f, arrays[i])
        assert leaf.grad.shape == arrays[i].shape
        assert np.allclose(leaf.grad, numeric, rtol=1e-5, atol=1e-7), (expr, i, leaf.grad, numeric)


finite = st.floats(-2.0, 2.0, allow_nan=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(3), st.lists(finite, min_size=3, max_size=3))
def test_random_scalar_expressions_match_numerical_gradients(expr, xs):
    check_against_numerics(expr, [np.array(x) for x in xs])


SHAPES = [(2, 3), (3,), (2, 1), ()]                               # all broadcast together to (2, 3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(4), st.integers(0, 2 ** 32 - 1))
def test_random_broadcasting_expressions_match_numerical_gradients(expr, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, size=shape) for shape in SHAPES]
    check_against_numerics(expr, arrays)


# ---------------------------------------------------------------- the examples every lesson uses
def test_the_circuit_from_lesson_2():
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    f = (x + y) * z
    f.backward()
    assert f.item() == -12.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)


def test_a_value_used_twice_gets_both_gradients():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    (a * a).backward()
    assert a.grad == 6.0                                          # 2a, not a


def test_backward_twice_gives_the_same_gradients():
    a, b = Value(1.5), Value(-2.0)
    f = a * b + a
    f.backward()
    first = (a.grad.copy(), b.grad.copy())
    f.backward()
    assert (a.grad, b.grad) == first


def test_sigmoid_neuron_from_lesson_4():
    w0, w1, w2 = Value(2.0), Value(-3.0), Value(-3.0)
    x0, x1 = Value(-1.0), Value(-2.0)
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f.backward()
    assert f.item() == pytest.approx(0.7310585786300049, rel=1e-15)
    assert x0.grad == pytest.approx(0.3932238664829637)
    assert w2.grad == pytest.approx(0.19661193324148185)


def test_subtraction_and_division_are_built_from_simpler_gates():
    a, b = Value(6.0), Value(4.0)
    assert [n.op for n in (a - b).topological_order()] == ["", "", "neg", "add"]
    assert [n.op for n in (a / b).topological_order()] == ["", "", "pow", "mul"]
    assert (a / b).inputs[1].params == {"exponent": -1.0}
    q = a / b
    q.backward()
    assert (a.grad, b.grad) == (0.25, pytest.approx(-6 / 16))


def test_python_numbers_on_either_side():
    x = Value(2.0)
    for f, expected in [(3 + x, 5), (x + 3, 5), (3 - x, 1), (x - 3, -1), (3 * x, 6), (x * 3, 6),
                        (3 / x, 1.5), (x / 4, 0.5), (x ** 3, 8)]:
        assert f.item() == expected


def test_numpy_arrays_on_the_left_hand_over_to_value():
    x = Value(np.ones(3))
    out = np.array([1.0, 2.0, 3.0]) * x
    assert isinstance(out, Value)
    out.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 3.0]


def test_max_routes_and_splits_ties():
    x, y = Value(4.0), Value(2.0)
    maximum(x, y).backward()
    assert (x.grad, y.grad) == (1.0, 0.0)
    x, y = Value(3.0), Value(3.0)
    x.maximum(y).backward()
    assert (x.grad, y.grad) == (0.5, 0.5)


def test_relu_abs_conventions_at_zero():
    x = Value(np.array([-1.0, 0.0, 2.0]))
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    assert not np.signbit(x.relu().data).any()                    # no -0.0 in drawings
    x.abs().sum().backward()
    assert x.grad.tolist() == [-1.0, 0.0, 1.0]


def test_log_and_exp():
    x = Value(2.0)
    x.log().backward()
    assert x.grad == 0.5
    x.exp().backward()
    assert x.grad == pytest.approx(np.exp(2.0))


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), ((0, 1), False), (0, True)])
def test_sum_and_mean_send_the_gradient_to_every_element(axis, keepdims):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 3))
    x = Value(a)
    s = x.sum(axis=axis, keepdims=keepdims)
    seed = rng.normal(size=s.shape)
    s.backward(seed)
    expected = np.broadcast_to(np.sum(seed) if axis is None else
                               (seed if keepdims else np.expand_dims(seed, axis)), a.shape)
    assert np.allclose(x.grad, expected)
    m = x.mean(axis=axis, keepdims=keepdims)
    m.backward(seed)
    assert np.allclose(x.grad, expected * m.data.size / a.size)


def test_matmul_gradients_match_numerics_on_non_square_shapes():
    rng = np.random.default_rng(1)
    w, x, g = rng.normal(size=(5, 10)), rng.normal(size=(10, 3)), rng.normal(size=(5, 3))
    W, X = Value(w), Value(x)
    (W @ X).backward(g)
    assert np.allclose(W.grad, g @ x.T) and np.allclose(X.grad, w.T @ g)
    assert rel_error(W.grad, numerical_gradient(lambda m: np.sum((m @ x) * g), w)) < 1e-7


def test_transpose_and_reshape():
    a = np.arange(6.0).reshape(2, 3)
    x = Value(a)
    (x.T * np.arange(6.0).reshape(3, 2)).sum().backward()
    assert np.allclose(x.grad, np.arange(6.0).reshape(3, 2).T)
    x.reshape(3, 2).sum().backward()
    assert x.grad.shape == (2, 3)


def test_bias_broadcast_sums_over_the_batch():
    rng = np.random.default_rng(2)
    x, b, g = Value(rng.normal(size=(4, 3))), Value(np.zeros(3)), rng.normal(size=(4, 3))
    (x + b).backward(g)
    assert np.allclose(b.grad, g.sum(axis=0))


def test_deep_graphs_do_not_hit_the_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_topological_order_is_the_same_every_run():
    def build():
        a, b = Value(1.0, name="a"), Value(2.0, name="b")
        return ((a * b + a) * (b - a)).topological_order()
    first, second = build(), build()
    assert [(n.op, n.name) for n in first] == [(n.op, n.name) for n in second]


# ---------------------------------------------------------------- unbroadcast
@pytest.mark.parametrize("big, small, axes", [
    ((4, 3), (3,), (0,)), ((2, 3), (2, 1), (1,)), ((2, 3, 4), (3, 1), (0, 2)),
    ((5,), (5,), ()), ((2, 3), (), (0, 1)), ((2, 3, 4, 5), (3, 1, 1), (0, 2, 3)),
])
def test_unbroadcast_sums_the_copies(big, small, axes):
    g = np.random.default_rng(3).normal(size=big)
    assert broadcast_axes(small, big) == axes
    out = unbroadcast(g, small)
    assert out.shape == small
    keep = g.sum(axis=axes, keepdims=True) if axes else g
    assert np.allclose(out, keep.reshape(small))


def test_unbroadcast_refuses_shapes_that_did_not_broadcast():
    with pytest.raises(ValueError, match="cannot unbroadcast"):
        unbroadcast(np.ones((2, 3)), (4,))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad, says", [
    (None, "needs a number"), ("3", "needs a number"), (True, "needs a number"),
    ([1, [2, 3]], "array of numbers"), (lambda: 1, "needs a number"),
])
def test_bad_data_gets_a_clear_message(bad, says):
    with pytest.raises(TypeError, match=says):
        Value(bad)


def test_a_value_inside_a_value_is_refused():
    with pytest.raises(TypeError, match="pass its .data"):
        Value(Value(1.0))


def test_power_needs_a_plain_number():
    with pytest.raises(TypeError, match="plain number"):
        Value(2.0) ** Value(3.0)


def test_matmul_needs_matrices():
    with pytest.raises(ValueError, match="2-d"):
        Value(np.ones(3)) @ Value(np.ones(3))


def test_backward_seed_must_match_the_shape():
    with pytest.raises(ValueError, match="needs shape"):
        Value(np.ones((2, 3))).sum(axis=0).backward(np.ones(2))


# ---------------------------------------------------------------- constants
def test_plain_numbers_and_arrays_are_constants_without_gradients():
    x = Value(np.ones((2, 3)), name="x")
    data = np.arange(6.0).reshape(3, 2)
    out = (x @ data * 2.0).sum()
    out.backward()
    matmul = out.inputs[0].inputs[0]
    assert matmul.inputs[1].constant and not x.constant
    assert matmul.shares()[1] is None                             # nothing computed for the data
    assert not matmul.inputs[1].requires_grad and matmul.requires_grad
    assert np.allclose(x.grad, 2 * np.ones((2, 2)) @ data.T)
    assert not matmul.inputs[1].grad.any()


def test_gradients_do_not_share_memory_between_nodes():
    a = Value(np.ones(3))
    b = a + 0.0
    c = b + 0.0
    c.backward()
    a.grad[0] = 99.0
    assert b.grad[0] == 1.0 and c.grad[0] == 1.0
    w = Value(np.ones((2, 3)))
    out = (w.T.reshape(6) * 1.0).sum()
    out.backward()
    nodes = out.topological_order()
    for i, p in enumerate(nodes):
        for q in nodes[i + 1:]:
            assert not np.shares_memory(p.grad, q.grad)


# ---------------------------------------------------------------- reductions over an axis, and indexing
def _weighted(out, weights):
    """Return Σ out·weights: a scalar whose upstream gradient on ``out`` is ``weights`` (not all ones)."""
    return (out * weights).sum()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2 ** 32 - 1), st.sampled_from([None, 0, 1, (0, 1)]), st.booleans())
def test_max_over_an_axis_matches_numerical_gradients(seed, axis, keepdims):
    rng = np.random.default_rng(seed)
    # twelve values at least 0.15 apart, in random places: no tie, and no kink within the numerical nudge
    # (uniform values could fall closer than the nudge of 1e-5, which would cross from one maximum to another)
    a = (rng.permutation(12) * 0.25 - 1.5 + rng.uniform(0.0, 0.1, size=12)).reshape(3, 4)
    weights = rng.uniform(0.5, 1.5, size=np.shape(a.max(axis=axis, keepdims=keepdims)))
    x = Value(a)
    _weighted(x.max(axis=axis, keepdims=keepdims), weights).backward()
    numeric = numerical_gradient(lambda v: float(np.sum(v.max(axis=axis, keepdims=keepdims) * weights)), a)
    assert rel_error(x.grad, numeric) < 1e-7


def test_max_over_an_axis_splits_the_gradient_evenly_at_a_tie():
    x = Value([[2.0, 7.0, 7.0], [1.0, 0.0, -1.0]])
    x.max(axis=1).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]
    # the same split as the max gate of two inputs, so the total is still the upstream gradient
    assert x.grad.sum() == 2.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2 ** 32 - 1))
def test_integer_indexing_scatters_back_and_adds_up_at_repeated_indices(seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-2, 2, size=(4, 3))
    rows, cols = rng.integers(0, 4, size=6), rng.integers(0, 3, size=6)  # repeats are likely
    weights = rng.uniform(0.5, 1.5, size=6)
    x = Value(a)
    _weighted(x[rows, cols], weights).backward()
    numeric = numerical_gradient(lambda v: float(np.sum(v[rows, cols] * weights)), a)
    assert rel_error(x.grad, numeric) < 1e-7
    lost = np.zeros_like(a)
    lost[rows, cols] += weights                                   # plain += keeps one of each repeat
    if len(set(zip(rows.tolist(), cols.tolist()))) < 6:
        assert not np.allclose(x.grad, lost)


def test_indexing_with_slices_and_a_value_index_is_refused():
    x = Value(np.arange(6.0).reshape(2, 3))
    x[:, 1:].sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]
    with pytest.raises(TypeError, match="not with a Value"):
        x[Value(0.0)]


def test_log_softmax_cross_entropy_built_from_gates_matches_the_fused_formula():
    rng = np.random.default_rng(8)
    logits, y = rng.normal(size=(5, 4)), np.array([0, 3, 3, 1, 2])
    z = Value(logits)
    shifted = z - z.max(axis=1, keepdims=True)
    logp = shifted - shifted.exp().sum(axis=1, keepdims=True).log()
    loss = -logp[np.arange(5), y].mean()
    loss.backward()
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    onehot = np.eye(4)[y]
    assert np.allclose(z.grad, (p - onehot) / 5, rtol=1e-10, atol=1e-12)


def test_every_gate_is_in_the_op_table_and_drawn_with_its_settings():
    from helpers.ops import OPS, label
    x = Value([[1.0, -2.0], [3.0, 0.5]])
    gates = [x + 1, x * 2, -x, x ** 3, x.exp(), (x * x + 1).log(), x.tanh(), x.sigmoid(), x.relu(), x.abs(),
             x.maximum(0.5), x.sum(axis=0), x.max(axis=1), x @ x, x.T, x.reshape(4), x[[0, 1], [1, 1]]]
    assert {g.op for g in gates} | {"pow"} == set(OPS)
    assert [label(g) for g in (x ** 3, x.sum(axis=0), x.max(axis=1), x.sum())] == ["**3", "Σ axis=0",
                                                                                    "max axis=1", "Σ"]
