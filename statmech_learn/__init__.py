"""statmech-learn: the statistical mechanics of learning.

Subpackages
-----------
gibbs      the Gibbs-posterior core: priors, channels, losses, posterior
capacity   Cover's counting, Gardner's volume, Monte Carlo separability
replica    replica-symmetric theory of teacher-student GLMs
online     overlap ODEs of online learning next to simulated online SGD
meanfield  naive mean field and TAP over the unit priors: SK, Ising and RBM measures, RBM training
reweight   reweighted losses (p' = p e^{-DeltaH}), error-carry batches, free-energy perturbation
dynamics   SGD's stationary law (Lyapunov), Gibbs learning rates, minibatch SGD and Langevin samplers
reproduce  reproducible phase diagrams (``statmech-learn reproduce NAME``)

Top-level names: :class:`Grid`, :func:`sweep`, :class:`SweepTable` (parameter
sweeps on any executor), :class:`TeacherStudent`, :class:`BayesOptimal`,
:class:`Gibbs`, :class:`ERM` (teacher-student models), :class:`RandomFeatures`,
:class:`StructuredInputs`, :class:`GaussianCovariate` (input models), the error classes, and
:func:`cite` (BibTeX for the papers behind the functions used, a function, or a reproduction).
"""

#: The package version, defined here only: pyproject.toml reads it (``[tool.setuptools.dynamic]``).
__version__ = "0.1.0"

from . import capacity, dynamics, gaussian, gibbs, meanfield, online, replica, reweight
from .citations import cite
from .errors import CheckpointLockedError, ConvergenceError, ConvergenceWarning, MissingExtraError, SweepError
from .gibbs import channels, losses, priors
from .replica import (
    ERM,
    BayesOptimal,
    GaussianCovariate,
    Gibbs,
    RandomFeatureMap,
    RandomFeatures,
    StructuredInputs,
    TeacherStudent,
)
from .sweep import Grid, SweepTable, sweep

__all__ = [
    "capacity",
    "gaussian",
    "gibbs",
    "replica",
    "online",
    "meanfield",
    "reweight",
    "dynamics",
    "channels",
    "priors",
    "losses",
    "Grid",
    "sweep",
    "SweepTable",
    "TeacherStudent",
    "BayesOptimal",
    "Gibbs",
    "ERM",
    "RandomFeatures",
    "RandomFeatureMap",
    "StructuredInputs",
    "GaussianCovariate",
    "ConvergenceError",
    "ConvergenceWarning",
    "MissingExtraError",
    "SweepError",
    "CheckpointLockedError",
    "cite",
    "__version__",
]
