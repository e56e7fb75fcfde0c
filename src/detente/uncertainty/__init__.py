"""Uncertainty: Monte Carlo sweeps, sensitivity, what-if files and intervention search.

Every number of a case with a range is sampled (PERT by default); models run on batches
of draws on a local process pool or Dask; results reduce as they stream in. See
``docs/uncertainty.md``.
"""

from detente.uncertainty.errors import UncertaintyError
from detente.uncertainty.interventions import InterventionResult, search_interventions
from detente.uncertainty.sampling import InputSpace, input_space
from detente.uncertainty.sensitivity import SobolResult, TornadoResult, sobol, tornado
from detente.uncertainty.sweep import SweepResult, run_sweep
from detente.uncertainty.whatif import WhatIf, WhatIfResult, apply_whatif, load_whatif, run_whatif

__all__ = [
    "InputSpace",
    "InterventionResult",
    "SobolResult",
    "SweepResult",
    "TornadoResult",
    "UncertaintyError",
    "WhatIf",
    "WhatIfResult",
    "apply_whatif",
    "input_space",
    "load_whatif",
    "run_sweep",
    "run_whatif",
    "search_interventions",
    "sobol",
    "tornado",
]
