"""Solving the program: HiGHS glue, the persistent model, the Planner, LNS, warm starts, repair.

Imports :mod:`optimizer.model` and :mod:`optimizer.inputs`; never the baselines or analysis.
"""
