"""The engine: forward and backward passes one node at a time (the stepper and the fast
paths) and the chain rule as a sum over paths. Imports :mod:`cgtui.core` and :mod:`cgtui.lang`.
"""
