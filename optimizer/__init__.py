"""Signals, workloads, the joint cvxpy program, baselines, diagnosis (pure, no I/O)."""
