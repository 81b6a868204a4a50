"""The instructors' tools: scripts run by make targets, never imported by a lesson.

- :mod:`tools.exercises` — writes the exercise notebooks (notebooks/) from the solutions (solutions/).
"""
