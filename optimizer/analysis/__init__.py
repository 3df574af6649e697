"""What the caps allow: the FSOR region (largest sustainable workload scale), robust caps.

The top room of :mod:`optimizer`: may import every other one.
"""
