"""The exercise registry: every declared exercise has its heading in its notebook, and no id is declared twice."""
import json
import re
from pathlib import Path

import pytest

from helpers.checks import lesson_modules, registry
from helpers.checks.harness import exercise

ROOT = Path(__file__).resolve().parent.parent
HEADING = re.compile(r"^#+\s*Exercises?\s+(\d+\.\d+)(?:\s+and\s+(\d+\.\d+))?", re.MULTILINE)


def headings(folder):
    """Return {lesson number: [exercise ids in the order of their headings]} for a folder of notebooks."""
    found = {}
    for path in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        found[int(path.name[:2])] = [i for pair in HEADING.findall(text) for i in pair if i]
    return found


def test_every_registered_exercise_has_its_heading_and_every_heading_its_check():
    declared = {}
    for e in registry():
        declared.setdefault(e.lesson, []).append(e.id)
    for folder in ("solutions", "notebooks"):
        assert headings(folder) == declared, folder


def test_the_registry_knows_each_lesson_module_and_each_check_by_name():
    exercises = registry()
    assert len({e.id for e in exercises}) == len(exercises)
    assert {e.lesson for e in exercises} == {int(name.rsplit("lesson", 1)[1]) for name in lesson_modules()}
    for e in exercises:
        module = __import__(f"helpers.checks.lesson{e.lesson}", fromlist=[e.check])
        assert getattr(module, e.check).exercise == e.id


def test_an_exercise_id_cannot_be_declared_twice():
    registry()                                   # lesson 1 declares 1.1 first, whichever tests ran before here
    with pytest.raises(ValueError, match="declared twice"):
        @exercise("1.1", "a second check for the same exercise")
        def check_something_else(answer):
            return "never"
