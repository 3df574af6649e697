"""The joint program as mathematics: the cvxpy formulation, plan accounting, result types.

Imports :mod:`optimizer.inputs` (and :mod:`topology`) only; solves nothing.
"""
