"""One checker per exercise, one module per lesson: ``from helpers.checks.lesson1 import ...``.

Every checker answers in one of three ways (see :mod:`helpers.feedback`) and
takes its reference answers from the engine or from numerical gradients.
"""
