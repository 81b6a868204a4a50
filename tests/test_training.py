"""Tests for lesson 10's engine network, training loop and pictures (helpers/training.py)."""
import matplotlib
import numpy as np
import pytest

from helpers.checks.lesson10 import check_train_step
from helpers.gradcheck import numerical_gradient
from helpers.training import (INTERMEDIATES, PARAMS, accuracy, batchnorm_stats, engine_forward, engine_gradients,
                              engine_train_step, init_params, pick_step, plot_losses, predict, show_digits,
                              smooth, train)

matplotlib.use("Agg")


def small_case(seed=0, n=7, d=5, h=4, c=3):
    rng = np.random.default_rng(seed)
    params = init_params(rng, d, h, c)
    params["b2"] = rng.normal(size=c)
    params["W2"] = rng.normal(size=(h, c))
    return params, rng.random((n, d)), rng.integers(0, c, size=n)


def test_engine_forward_names_every_intermediate_with_its_shape():
    params, x, y = small_case()
    loss, nodes = engine_forward(params, x, y)
    assert set(INTERMEDIATES) | set(PARAMS) == set(nodes)
    assert all(nodes[name].name == name for name in nodes)
    assert nodes["bnmean"].shape == nodes["bnvar_inv"].shape == (1, 4)
    assert nodes["logit_maxes"].shape == nodes["counts_sum"].shape == (7, 1)
    assert loss.shape == ()


def test_engine_forward_is_the_plain_numpy_forward():
    params, x, y = small_case(1)
    loss, nodes = engine_forward(params, x, y)
    hprebn = x @ params["W1"] + params["b1"]
    bnraw = (hprebn - hprebn.mean(0)) / np.sqrt(hprebn.var(0) + 1e-5)      # variance divides by N
    logits = np.tanh(params["bngain"] * bnraw + params["bnbias"]) @ params["W2"] + params["b2"]
    logp = logits - logits.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    assert loss.item() == pytest.approx(-logp[np.arange(len(y)), y].mean(), rel=1e-12)


def test_engine_gradients_agree_with_numerical_gradients():
    params, x, y = small_case(2)
    _, grads = engine_gradients(params, x, y, dloss=1.3)
    for name in PARAMS:
        def f(value, name=name):
            return 1.3 * engine_forward(dict(params, **{name: value}), x, y)[0].item()
        numeric = numerical_gradient(f, params[name].copy())
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8)
    assert np.abs(grads["b1"]).max() < 1e-12                              # batch norm removes b1's effect
    assert np.abs(grads["logit_maxes"]).max() < 1e-12                     # the softmax ignores a row shift


def test_engine_train_step_moves_against_the_gradient_and_keeps_the_old_params():
    params, x, y = small_case(3)
    before = {k: v.copy() for k, v in params.items()}
    loss, new = engine_train_step(params, x, y, 0.5)
    _, grads = engine_gradients(before, x, y)
    for name in PARAMS:
        np.testing.assert_array_equal(params[name], before[name])
        np.testing.assert_allclose(new[name], before[name] - 0.5 * grads[name])
    assert engine_forward(new, x, y)[0].item() < loss


def test_train_is_deterministic_prints_progress_and_learns(capsys):
    params, x, y = small_case(4, n=40)
    first, losses = train(engine_train_step, params, x, y, steps=60, batch=8, lr=0.3, decay_at=40, seed=5,
                          every=20)
    second, again = train(engine_train_step, params, x, y, steps=60, batch=8, lr=0.3, decay_at=40, seed=5)
    assert losses == again and all(np.array_equal(first[k], second[k]) for k in PARAMS)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[-1].startswith("step 60/60")
    assert np.mean(losses[-10:]) < np.mean(losses[:10])


def test_train_with_the_decay_uses_a_tenth_of_the_rate():
    params, x, y = small_case(5, n=20)
    rates = []

    def spy(p, xb, yb, lr):
        rates.append(lr)
        return 1.0, p
    train(spy, params, x, y, steps=5, batch=4, lr=0.2, decay_at=3)
    assert rates == pytest.approx([0.2, 0.2, 0.2, 0.02, 0.02])


def test_predict_with_fixed_stats_is_independent_of_the_batch():
    params, x, y = small_case(6, n=30)
    stats = batchnorm_stats(params, x)
    whole = predict(params, x, stats)
    one_by_one = np.concatenate([predict(params, x[i:i + 1], stats) for i in range(len(x))])
    np.testing.assert_array_equal(whole, one_by_one)
    assert accuracy(whole, whole) == 1.0 and accuracy([0, 1], [0, 0]) == 0.5


def test_predict_with_training_stats_matches_the_training_forward():
    params, x, y = small_case(7, n=30)
    _, nodes = engine_forward(params, x, y)
    np.testing.assert_array_equal(predict(params, x, batchnorm_stats(params, x)),
                                  nodes["logits"].data.argmax(axis=1))


def test_pick_step_uses_the_learner_only_when_the_check_passes(capsys):
    assert pick_step(..., check_train_step) is engine_train_step
    assert "engine's gradients" in capsys.readouterr().out

    def learner(params, x, y, lr):
        return engine_train_step(params, x, y, lr)
    assert pick_step(learner, check_train_step) is learner
    assert "your own train_step" in capsys.readouterr().out


def test_smooth():
    np.testing.assert_allclose(smooth([2.0, 4.0, 6.0], 10), [2.0, 3.0, 4.0])
    np.testing.assert_allclose(smooth([1.0, 1.0, 4.0], 1), [1.0, 1.0, 4.0])


def test_pictures_are_figures():
    fig = plot_losses([2.0, 1.0, 0.5, 0.4])
    assert len(fig.axes) == 1 and fig.axes[0].get_xlabel() == "step"
    images = np.random.default_rng(0).random((5, 64))
    for columns in (8, 2):                                            # one row; three rows, the last one short
        (ax,) = show_digits(images, [1, 2, 3, 4, 5], [1, 2, 3, 4, 0], columns=columns).axes   # one picture
        assert [text.get_text() for text in ax.texts] == ["1 → 1", "2 → 2", "3 → 3", "4 → 4", "5 → 0"]
        mosaic = ax.images[0].get_array()
        for image, text in zip(images, ax.texts):                     # each label centred just above its image
            x, y = text.get_position()                                # in pixels of the picture, y downwards
            left, top = round(x - 3.5), int(np.ceil(y))
            np.testing.assert_array_equal(mosaic[top:top + 8, left:left + 8], image.reshape(8, 8))
            assert top - 1 < y < top - 0.5 and text.get_verticalalignment() == "bottom"  # its top edge: top - 0.5
            assert text.get_horizontalalignment() == "center"
    assert [text.get_text() for text in show_digits(images[:2], [7, 8]).axes[0].texts] == ["7", "8"]
    with pytest.raises(ValueError, match="at least one image"):
        show_digits(images[:0], [], [])


def test_the_lessons_recipe_reaches_95_percent_quickly():
    import time

    from helpers.digits import train_test_split
    data = train_test_split()
    start = time.perf_counter()
    trained, losses = train(engine_train_step, init_params(np.random.default_rng(0), 64, 64, 10),
                            data.x_train, data.y_train, steps=1000, batch=32, lr=0.2, decay_at=750, seed=1)
    seconds = time.perf_counter() - start
    test_accuracy = accuracy(predict(trained, data.x_test, batchnorm_stats(trained, data.x_train)), data.y_test)
    assert test_accuracy >= 0.95, f"test accuracy {test_accuracy:.3f}"
    assert seconds < 30, f"training took {seconds:.1f} s"
    assert np.mean(losses[-100:]) < 0.25 * np.mean(losses[:100])
