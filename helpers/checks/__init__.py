"""Each lesson declares its exercises in one module here: ``from helpers.checks.lesson1 import ...``.

Every check is declared with :func:`helpers.checks.harness.exercise`, which
also registers it; :func:`registry` lists every exercise of the course, so
tools such as ``make progress`` need not read the notebooks to know them.
"""
import importlib
import pkgutil

__all__ = ["registry", "lesson_modules"]


def lesson_modules():
    """Return the names of the lesson modules here ("helpers.checks.lesson1", …), in no particular order."""
    return [f"{__name__}.{info.name}" for info in pkgutil.iter_modules(__path__) if info.name.startswith("lesson")]


def registry():
    """Return every declared exercise (:class:`~helpers.checks.harness.Exercise`), ordered by lesson and number.

    >>> [e.id for e in registry()][:2]
    ['1.1', '1.2']
    """
    from helpers.checks.harness import REGISTRY
    for name in lesson_modules():
        importlib.import_module(name)
    return sorted(REGISTRY.values(), key=lambda e: tuple(int(part) for part in e.id.split(".")))
