"""The harness: the learner's function called on copies, its results unpacked, its failures told in one sentence."""
import numpy as np
import pytest

from helpers.checks.harness import REGISTRY, LearnerError, exercise, run
from helpers.compare import Answer, expect_all
from helpers.feedback import NotAttempted, Wrong


def test_run_turns_failures_into_sentences():
    with pytest.raises(NotAttempted):
        run(..., 1, returns=("y",))
    with pytest.raises(Wrong, match="forget the `return`"):
        run(lambda x: None, 1, returns=("y",), name="f")
    with pytest.raises(Wrong, match=r"f raised ZeroDivisionError on line \d+ \(`.*x / 0.*`\): division by zero"):
        run(lambda x: x / 0, 1, returns=("y",), name="f")
    with pytest.raises(Wrong, match="should be a function"):
        run(3, 1, returns=("y",), name="f")
    assert run(lambda x: x + 1, 1, returns=("y",)) == {"y": 2}


def half_done(a):
    dz = ...  # YOUR CODE HERE
    return a.T @ dz


def numpy_fails_inside(a):
    bad = np.ones(3)
    return np.linalg.norm(bad, axis=5)


def test_an_error_caused_by_a_leftover_placeholder_is_not_attempted():
    with pytest.raises(NotAttempted, match=r"dz is still `...` \(the placeholder\)"):
        run(half_done, np.ones((2, 3)), returns=("dx",))


def test_the_line_named_is_the_learners_not_numpys():
    with pytest.raises(Wrong) as failure:
        run(numpy_fails_inside, 1.0, returns=("y",), name="f")
    assert "np.linalg.norm(bad, axis=5)" in str(failure.value)
    assert "axis 5" in str(failure.value) and "only 1 dimension" in str(failure.value)


def test_a_caret_for_a_power_gets_a_hint():
    with pytest.raises(Wrong, match=r"power is written \*\*"):
        run(lambda x: x ^ 2, 3.0, returns=("y",), name="f")


def branches_on_an_array(dout, z):
    if z > 0:
        return dout
    return 0 * dout


def branches_inline(x):
    return 1.0 if x > 0 else 0.0


def test_an_array_used_as_one_true_or_false_is_named_and_gets_no_shape_hint():
    for fn, args in ((branches_on_an_array, (np.ones((2, 3)), np.ones((2, 3)))), (branches_inline, (np.ones(3),))):
        with pytest.raises(Wrong) as failure:
            run(fn, *args, returns=("d",), hint="the shapes hint")
        message = str(failure.value)
        assert "asks whether an array is true" in message and "use a mask" in message, message
        assert "the shapes hint" not in message and "ambiguous" not in message
    with pytest.raises(Wrong, match="the shapes hint"):                   # a broadcast that fails still gets it
        run(lambda z: z + np.ones((3, 1)), np.ones((2, 3)), returns=("d",), hint="the shapes hint")


def wrong_product(dout, W):
    dx = dout @ W
    return dx


def uses_a_notebook_name(dout):
    return dout * W1                                            # noqa: F821 — the learner's slip


def reads_before_writing(dout):
    dx = dout * dz                                              # noqa: F821
    dz = dout
    return dx


def test_an_exception_becomes_data_and_one_sentence():
    with pytest.raises(Wrong) as failure:
        run(wrong_product, np.ones((2, 3)), np.ones((4, 3)), returns=("dx",), shapes={"dx": (2, 4)})
    message = str(failure.value)
    assert "matrix product do not fit" in message and "dout is 2×3, W is 4×3" in message
    assert "the result must be dx 2×4" in message and "gufunc" not in message
    error = failure.value.error
    assert isinstance(error, LearnerError) and error.kind == "ValueError" and error.code == "dx = dout @ W"
    with pytest.raises(Wrong, match="uses the name W1, which is not defined inside it"):
        run(uses_a_notebook_name, np.ones(2), returns=("dx",))
    with pytest.raises(Wrong, match="uses dz before giving it a value"):
        run(reads_before_writing, np.ones(2), returns=("dx",))


def test_run_works_on_copies_and_names_what_was_changed_in_place():
    x, cache = np.arange(6.0).reshape(2, 3), {"W": np.ones((3, 2))}

    def scales_its_input(x, cache):
        cache["W"] *= 2
        return x

    with pytest.raises(Wrong, match=r"scales_its_input changed cache\['W'\] in place"):
        run(scales_its_input, x, cache, returns=("y",))
    assert np.array_equal(cache["W"], np.ones((3, 2)))             # ours were never touched


def test_run_unpacks_the_declared_results():
    assert run(lambda: (1, 2), returns=("a", "b")) == {"a": 1, "b": 2}
    with pytest.raises(Wrong, match=r"returned 3 values; it should return 2: \(a, b\)"):
        run(lambda: (1, 2, 3), returns=("a", "b"), name="f")
    with pytest.raises(Wrong, match="should return 2 values"):
        run(lambda: 1.0, returns=("a", "b"), name="f")
    with pytest.raises(Wrong, match="a tuple holding one value"):
        run(lambda: (1.0,), returns=("a",), name="f")


def test_swapped_results_are_named():
    with pytest.raises(Wrong, match=r"dx and dw are swapped"):
        expect_all(Answer("dx", np.ones(2), np.zeros(3)), Answer("dw", np.zeros(3), np.ones(2)))


def test_exercise_registers_and_names_a_missing_argument():
    @exercise("0.9", "a test exercise")
    def check_pair(first, second):
        return "fine"
    assert REGISTRY["0.9"].check == "check_pair" and REGISTRY["0.9"].title == "a test exercise"
    assert check_pair.evaluate(1).message == "check_pair needs what you wrote for this exercise: check_pair(first, second)"
    del REGISTRY["0.9"]
