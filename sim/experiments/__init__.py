"""Experiments at scale: sweeps, aggregation, paired comparisons, sensitivity analysis.

* :mod:`sim.experiments.runs` - one job: identity, skip-if-complete, failure records.
* :mod:`sim.experiments.hydra_sweep` - Hydra multirun job function and end-of-sweep callback.
* :mod:`sim.experiments.executor` - run a list of jobs with joblib, Ray or Slurm (no Hydra
  launcher; each worker composes its own job): the route for clusters.
* :mod:`sim.experiments.collect` - stream a sweep folder into tidy Parquet tables.
* :mod:`sim.experiments.compare` - paired scenario-vs-baseline effects, fan and effect charts.
* :mod:`sim.experiments.sensitivity` - Morris and Sobol analysis with SALib.

The model never imports this package; it sits on top of :mod:`sim.runner` and :mod:`sim.io`.
"""
