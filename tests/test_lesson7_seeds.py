"""Lesson 7 with other data: every claim its prose makes about a printed result holds for other data seeds.

The solution notebook's code cells run in this process (no kernel: a few seconds per seed) with the seed of
the data cell replaced; each test reads what a cell printed, or the namespace it left, and asserts the
property the prose around that cell states.  nbval covers seed 0, the one the notebook is committed with.
"""
import ast
import contextlib
import io
import json
import pathlib
import re

import numpy as np
import pytest

NOTEBOOK = pathlib.Path(__file__).resolve().parent.parent / "solutions" / "07_two_layer_network.ipynb"
DATA_SEED = "rng = np.random.default_rng(0)\n"
SEEDS = [1, 2, 3, 4, 5, 6]


class Lesson:
    """The lesson run once: what each code cell printed, the value of its last expression, and the namespace."""

    def __init__(self, seed):
        cells = [''.join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
        data = [i for i, source in enumerate(cells) if source.startswith(DATA_SEED)]
        assert len(data) == 1, "the data cell no longer starts with the seeded generator"
        cells[data[0]] = cells[data[0]].replace(DATA_SEED, f"rng = np.random.default_rng({seed})\n")
        self.ns, self.cells = {}, []
        for source in cells:
            tree = ast.parse(source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            out, value = io.StringIO(), None
            with contextlib.redirect_stdout(out):
                exec(compile(tree, "<lesson 7>", "exec"), self.ns)
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), "<lesson 7>", "eval"), self.ns)
            self.cells.append((source, out.getvalue(), value))

    def cell(self, marker):
        """Return (printed text, last value) of the one code cell whose source contains ``marker``."""
        found = [(printed, value) for source, printed, value in self.cells if marker in source]
        assert len(found) == 1, f"{len(found)} code cells contain {marker!r}"
        return found[0]

    def printed(self, marker):
        return self.cell(marker)[0]


# Each seed's lesson is built once: every test of a seed is in that seed's xdist group, so under
# `-n 2 --dist loadgroup` one worker runs them all with one module-scoped Lesson (the seeds themselves are
# shared between the workers).  Without the groups, each worker would build each seed again.
@pytest.fixture(scope="module", params=[pytest.param(s, marks=pytest.mark.xdist_group(f"lesson7-seed-{s}"))
                                        for s in SEEDS], ids=[f"data seed {s}" for s in SEEDS])
def lesson(request):
    return Lesson(request.param)


def losses(line):
    """Return the numbers of a printed 'loss: 74.36  52.70 ...' line."""
    return [float(v) for v in line.split(":", 1)[1].split()]


def line(text, start):
    found = [row for row in text.splitlines() if row.startswith(start)]
    assert len(found) == 1, (start, text)
    return found[0]


def test_every_exercise_check_passes(lesson):
    for source, printed, _ in lesson.cells:
        if source.startswith("check_"):
            assert printed.startswith("✓"), printed


def test_the_tiny_network_has_open_and_closed_gates(lesson):
    opened, closed = map(int, re.search(r"ReLU gates: (\d+) open, (\d+) closed", lesson.printed("z_tiny")).groups())
    assert opened >= 1 and closed >= 1                      # "both open and closed ReLU gates"


def test_no_nudge_crosses_a_kink_and_every_gradient_passes(lesson):
    assert re.search(r"^0 of \d+ nudges cross a kink$", lesson.printed("smallest |z|"), re.M)
    _, report = lesson.cell("gradcheck(loss_of")
    assert report.ok, report


def test_a_target_at_the_kink_fails_exactly_the_parameters_whose_nudges_cross_it(lesson):
    _, report = lesson.cell("t_kink")
    crossings = lesson.ns["crossings"]
    assert crossings                                         # "This time the cell lists the nudges"
    crossed = {name for name, _, _ in crossings}
    for name, _, _, says, worst in report.rows:
        if name in crossed:                                  # "fails ... those with a nudge in the list above"
            assert says.startswith("✗"), report
            assert worst in [index for n, index, _ in crossings if n == name], report   # "one of them"
        else:                                                # "passes as before"
            assert says.startswith("✓"), report


def test_training_lowers_the_loss_and_jitters_at_the_end(lesson):
    curve = lesson.ns["curve"]
    assert curve[-1] < curve[0] / 3
    last_ten = curve[-10:]                                   # "can go up as well as down instead of settling"
    assert any(b > a for a, b in zip(last_ten, last_ten[1:]))


def test_all_zeros_only_b2_learns_and_ends_near_the_median(lesson):
    printed = lesson.printed("zeros = ")
    assert line(printed, "W1:") == "W1: stuck   b1: stuck   W2: stuck   b2: moved"
    b2, median = (np.array([float(v) for v in re.findall(r"-?\d+\.\d+", part)])
                  for part in line(printed, "b2 =").split("median of t ="))
    assert np.abs(b2 - median).max() < 0.1                   # "b2 ends close to it"


def test_equal_weights_stay_identical_and_stall_far_above_the_random_start(lesson):
    printed = lesson.printed("same = ")
    assert "all hidden units still identical: True" in printed
    equal, random_start = map(float, re.search(r"final loss: ([\d.]+) from equal weights, ([\d.]+) from the random",
                                               printed).groups())
    assert equal > 2 * random_start                          # "stalls far above"


def test_a_zero_second_layer_holds_layer_1_back_for_one_step(lesson):
    printed = lesson.printed("layer2_zero = ")
    assert line(printed, "after 1 step") == "after 1 step :  W1: stuck   b1: stuck   W2: moved   b2: moved"
    assert line(printed, "after 2 steps") == "after 2 steps:  W1: moved   b1: moved   W2: moved   b2: moved"


def test_a_zero_first_layer_leaves_only_b2_learning(lesson):
    assert line(lesson.printed("layer1_zero = "), "W1:") == "W1: stuck   b1: stuck   W2: stuck   b2: moved"


def test_a_large_step_kills_units_that_stay_dead_and_leaky_relu_revives_some(lesson):
    printed = lesson.printed("lr=0.1")
    dead = lesson.ns["dead"]
    assert dead                                              # "units die"
    assert re.search(rf"dead units: \[.*\] — {len(dead)} of 6$", printed, re.M)
    big = losses(line(printed, "loss:"))                     # "no longer goes steadily down"
    assert any(b > a for a, b in zip(big, big[1:]))

    resumed = lesson.printed("def unit(")
    assert "the dead units' parameters changed at all: False" in resumed
    assert line(resumed, "dead units:").startswith(f"dead units: {dead} — working units left: {6 - len(dead)} of 6")

    leaky = lesson.printed("revived, history = train(")
    came_back, was_dead, relu_end, leaky_end = re.search(
        r"(\d+) of the (\d+) dead units came back;  loss after 1000 more steps: ([\d.]+) with ReLU, "
        r"([\d.]+) with leaky ReLU", leaky).groups()
    assert int(was_dead) == len(dead) and int(came_back) >= 1              # "off units can come back"
    assert float(leaky_end) < float(relu_end) / 2                          # "well below where the plain ReLU left it"
    relu_start, leaky_start = re.search(r"damaged network's loss: ([\d.]+) with ReLU, ([\d.]+) with leaky",
                                        leaky).groups()
    assert relu_start != leaky_start                                       # "starts from another loss"
    assert losses(line(leaky, "loss:"))[0] == float(leaky_start)


def test_the_share_of_slope_plus_one_near_the_kink_is_printed(lesson):
    share = re.search(r"where the slope is \+1: (\d+)%", lesson.printed("r = np.array(3e-6)")).group(1)
    assert share == "65"                                     # (r + h) / 2h with r = 3e-6, h = 1e-5


def test_a_zero_second_layer_learns_on_a_path_of_its_own(lesson):
    printed = lesson.printed("layer2_zero = ")
    start = losses(line(printed, "loss:"))[0]
    zero2, random_start = map(float, re.search(r"final loss: ([\d.]+) from a zero layer 2, ([\d.]+) from the random",
                                               printed).groups())
    assert zero2 < start / 2                                 # "every parameter learns"
    assert random_start == round(lesson.ns["curve"][-1], 2)
