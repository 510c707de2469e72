"""Experiments on the Wengang model: sweeps on Dask, sensitivity analysis and
scenario discovery ("which levers keep zero-employment households at zero").

Imports run one way: ``experiments`` may import ``model``; ``model`` never
imports ``experiments``.  See ``experiments/CLUSTER.md`` for running sweeps on
a cluster.
"""
