"""The course's two-layer network: its engine gradients agree with numerical gradients and with a backward
pass written out by hand here (the oracle lives in this test, not in the package, because it is the answer to
the lesson's exercise 7.4); training, the kink counter and the dead-unit finder do what they say."""
import numpy as np
import pytest

from helpers.gradcheck import gradcheck, rel_error
from helpers.network import (PARAMS, dead_units, engine_grads, init_params, kink_crossings, net_forward, net_in_engine,
                             net_loss, train)


def case(seed=0, n=7, d=3, h=5, c=2):
    rng = np.random.default_rng(seed)
    params = init_params(rng, d, h, c)
    params["b1"] = rng.normal(size=h) * 0.3
    params["b2"] = rng.normal(size=c)
    return params, rng.normal(size=(n, d)), rng.normal(size=(n, c))


def by_hand(params, x, t, leak=0.0):
    """Return (L, grads): the forward and backward pass written out, as an oracle independent of the engine."""
    z = x @ params["W1"] + params["b1"]
    h = np.where(z > 0, z, leak * z)
    y = h @ params["W2"] + params["b2"]
    dy = np.sign(y - t)
    dz = dy @ params["W2"].T * np.where(z > 0, 1.0, leak)
    return np.abs(y - t).sum(), {"W1": x.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ dy, "b2": dy.sum(axis=0)}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("leak", [0.0, 0.1])
def test_engine_gradients_match_numerical_gradients(seed, leak):
    params, x, t = case(seed)
    assert kink_crossings(params, x, t) == []                      # no kink within h
    _, grads = engine_grads(params, x, t, leak=leak)
    report = gradcheck(lambda **p: net_loss(p, x, t, leak=leak), params, grads)
    assert report.ok, report
    assert max(row[2] for row in report.rows) <= 1e-7


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("leak", [0.0, 0.1])
def test_engine_gradients_match_a_backward_pass_by_hand(seed, leak):
    params, x, t = case(seed)
    loss, grads = engine_grads(params, x, t, leak=leak)
    hand_loss, hand = by_hand(params, x, t, leak)
    assert abs(loss - hand_loss) <= 1e-12 * max(1.0, abs(loss))
    for name in PARAMS:
        assert grads[name].shape == params[name].shape
        assert rel_error(grads[name], hand[name]) <= 1e-12, name


def test_the_pieces_agree_with_each_other():
    params, x, t = case(3)
    y, z = net_forward(params, x)
    assert np.array_equal(z, x @ params["W1"] + params["b1"])
    assert net_loss(params, x, t) == pytest.approx(np.abs(y - t).sum())
    graph, values = net_in_engine(params, x, t)
    assert graph.item() == pytest.approx(net_loss(params, x, t)) and sorted(values) == sorted(PARAMS)
    assert engine_grads(params, x, t)[0] == pytest.approx(graph.item())


def test_kink_crossings_sees_a_residual_within_h_of_zero():
    params, x, t = case(4)
    y, _ = net_forward(params, x)
    t = t.copy()
    t[0, 0] = y[0, 0] - 3e-6                                      # a residual closer to 0 than h
    crossings = kink_crossings(params, x, t)
    nudges = 2 * sum(p.size for p in params.values())
    assert 0 < len(crossings) < nudges
    assert ("b2", (0,), -1e-5) in crossings                       # b2[0] moves y[0, 0] one for one
    _, grads = engine_grads(params, x, t)
    report = gradcheck(lambda **p: net_loss(p, x, t), params, grads)
    assert not report.ok                                          # and the gradient check notices


def test_train_leaves_its_input_alone_and_lowers_the_loss():
    params, x, t = case(5, n=30)
    before = {k: v.copy() for k, v in params.items()}
    new, history = train(params, x, t, lr=0.005, steps=200, batch=10, every=50)
    assert all(np.array_equal(before[k], params[k]) for k in PARAMS)
    assert [step for step, _ in history] == [0, 50, 100, 150, 200]
    assert history[-1][1] < 0.7 * history[0][1]
    one, _ = train(params, x, t, lr=0.1, steps=1)                  # one full-batch step is p − lr·dp
    _, grads = engine_grads(params, x, t)
    assert all(np.allclose(one[k], params[k] - 0.1 * grads[k]) for k in PARAMS)


def test_dead_units():
    params, x, _ = case(6)
    params["b1"][1] = -50.0
    assert dead_units(params, x) == [1]
    _, grads = engine_grads(params, x, np.zeros((len(x), 2)))
    assert not np.any(grads["W1"][:, 1]) and grads["b1"][1] == 0 and not np.any(grads["W2"][1])
    _, leaky = engine_grads(params, x, np.zeros((len(x), 2)), leak=0.1)
    assert np.all(leaky["W1"][:, 1] != 0)
