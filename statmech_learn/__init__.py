"""statmech-learn: the statistical mechanics of learning.

Subpackages
-----------
gibbs      the Gibbs-posterior core: priors, channels, posterior
capacity   Cover's counting, Gardner's volume, Monte Carlo separability
"""

from importlib.metadata import PackageNotFoundError, version

from . import capacity, gaussian, gibbs
from .errors import ConvergenceError, ConvergenceWarning

try:
    __version__ = version("statmech-learn")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.1.0"

__all__ = ["capacity", "gaussian", "gibbs", "ConvergenceError", "ConvergenceWarning", "__version__"]
