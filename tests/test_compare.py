"""Answer comparison: each classic mistake is recognised and named, bad input is explained."""
import numpy as np
import pytest

from helpers.compare import as_numbers, expect, expect_all, in_order, is_placeholder
from helpers.engine import Value
from helpers.feedback import NotAttempted, Wrong

RNG = np.random.default_rng(0)
A = RNG.normal(size=(2, 3))


def wrong(answer, expected, **options):
    with pytest.raises(Wrong) as failure:
        expect("dW", answer, expected, **options)
    return str(failure.value)


def test_right_answers_pass_and_are_not_modified():
    answer = A.copy()
    expect("dW", answer, A)
    expect("dW", answer.tolist(), A)                               # a list of numbers is fine
    expect("dx", 3, 3.0)
    assert np.array_equal(answer, A)


def test_placeholders_are_not_attempted():
    assert is_placeholder(...) and is_placeholder((1.0, ...)) and not is_placeholder(0.0)
    with pytest.raises(NotAttempted):
        expect("dW", ..., A)


@pytest.mark.parametrize("bad, says", [
    (None, "is None"), ("1.0", "not a string"), (True, "True/False"), (A > 0, "True/False"),
    (Value(1.0), "a Value from the engine"), (len, "is a function"), ({"a": 1}, "is a dict"),
    ([1, [2, 3]], "could not be read as numbers"), (np.array([1 + 2j]), "complex"),
    (np.array([np.nan, 1.0]), "contains nan"), (np.inf, "contains inf"),
])
def test_bad_input_gets_a_clear_message(bad, says):
    with pytest.raises(Wrong, match=says):
        as_numbers("dW", bad)


def test_transposed():
    assert "transposed: expected shape (2, 3), got (3, 2)" in wrong(A.T, A)
    square = RNG.normal(size=(3, 3))
    assert "transposed" in wrong(square.T, square)


def test_lost_keepdims():
    column = RNG.normal(size=(2, 1))
    assert "size-1 axis was lost" in wrong(column.ravel(), column)
    bias = RNG.normal(size=4)
    assert "extra size-1 axis" in wrong(bias[None, :], bias)


def test_missing_sum_over_a_broadcast_axis():
    upstream = RNG.normal(size=(4, 3))
    message = wrong(upstream, upstream.sum(axis=0))
    assert "still has the broadcast shape (4, 3)" in message and "sum its gradient over axis 0" in message


def test_sum_over_the_wrong_axes():
    upstream = RNG.normal(size=(2, 3, 4, 5))
    right = upstream.sum(axis=(0, 2, 3))
    message = wrong(upstream.sum(axis=(0, 1, 2)), right, unsummed=upstream)
    assert "summed over axes 0, 1, 2" in message and "broadcast along axes 0, 2, 3" in message
    message = wrong(upstream, right, unsummed=upstream)
    assert "still has the broadcast shape (2, 3, 4, 5)" in message and "over axes 0, 2, 3" in message
    square = RNG.normal(size=(3, 3))
    assert "you summed over axis 1" in wrong(square.sum(axis=1), square.sum(axis=0), unsummed=square)


def test_sign_factor_and_zero():
    assert "wrong sign" in wrong(-A, A)
    assert "constant factor: every entry is 2 times" in wrong(2 * A, A)
    assert "zero everywhere" in wrong(np.zeros_like(A), A) and "did the gradient reach it" in wrong(0 * A, A)
    with pytest.raises(Wrong) as forward:
        expect("sigy", 0.0, 0.98)
    assert "zero everywhere" in str(forward.value) and "gradient" not in str(forward.value)


def test_a_list_of_one_for_a_number():
    assert "single number, not an array or list holding one" in wrong([3.0], 3.0)
    assert "should be a single number, not an array of shape (2,)" in wrong(np.zeros(2), 3.0)


def test_the_upstream_gradient_passed_on_unchanged():
    upstream = RNG.normal(size=(2, 3))
    assert "passed on unchanged: the local gradient is missing" in wrong(upstream, A * upstream, upstream=upstream)
    assert "missing the upstream factor" in wrong(A, A * upstream, upstream=upstream)


def test_wrong_shape_names_the_dimension():
    assert "expected (2, 3), got (2, 4) (dimension 1 should be 3, not 4)" in wrong(np.ones((2, 4)), A)
    assert "expected (2, 3) (2-d), got (6, 1, 1) (3-d)" in wrong(np.ones((6, 1, 1)) * 7, A)


def test_named_mistakes_come_before_generic_ones():
    assert "forgot the upstream" in wrong(-A, A, mistakes=[(-A, "forgot the upstream gradient")])


def test_a_generic_wrong_answer_points_at_the_first_differing_entry():
    answer = A.copy()
    answer[1, 2] += 1
    assert "1 of 6 entries differ (first at index (1, 2)" in wrong(answer, A)


def test_expect_all_points_at_the_first_wrong_stage():
    expected = {"dq": 2.0, "dx": 3.0, "dy": 4.0}
    with pytest.raises(Wrong, match=r"first wrong one in backward order \(dq before it is right\): dx"):
        expect_all({"dq": 2.0, "dx": 1.0, "dy": 0.0}, expected)
    with pytest.raises(NotAttempted, match="dq right so far; still to fill in: dx, dy"):
        expect_all({"dq": 2.0, "dx": ..., "dy": ...}, expected)
    with pytest.raises(NotAttempted):
        expect_all({}, expected)
    assert expect_all({"dq": 2, "dx": 3, "dy": 4}, expected) == "all 3 are right"


def test_in_order_runs_steps_and_names_the_first_wrong_one():
    def right():
        pass

    def wrong_step():
        raise Wrong("dy is wrong")

    def todo():
        raise NotAttempted
    assert in_order([("dx", right), ("dy", right)]) == ["dx", "dy"]
    with pytest.raises(Wrong, match=r"^first wrong one in backward order \(dx before it is right\): dy is wrong"):
        in_order([("dx", right), ("dy", wrong_step), ("dz", todo)])
    with pytest.raises(Wrong, match="^dy is wrong"):
        in_order([("dy", wrong_step), ("dx", right)], order=None)
    with pytest.raises(Wrong, match=r"^first wrong one in forward order \(dx before it is right\)"):
        in_order([("dx", right), ("dy", wrong_step)], order="forward")
    with pytest.raises(NotAttempted, match="dx right so far; still to fill in: dy"):
        in_order([("dx", right), ("dy", todo)])
