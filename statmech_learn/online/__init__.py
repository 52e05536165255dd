"""Online learning: teacher-student overlap ODEs next to simulated online SGD.

- :mod:`~statmech_learn.online.averages`: the Gaussian averages I2, J2, I3, I4 of an activation.
- :mod:`~statmech_learn.online.committee`: ODEs of soft committee machines and two-layer networks.
- :mod:`~statmech_learn.online.simulation`: real online SGD in N dimensions, seeds in one array.
- :mod:`~statmech_learn.online.plateau`: plateau and specialisation diagnostics.
- :mod:`~statmech_learn.online.perceptron`: the sign-teacher perceptron with the Hebb,
  perceptron and AdaTron rules.
"""

from .averages import Activation, make_activation
from .committee import OverlapState, OverlapTrajectory, SoftCommittee, TwoLayer
from .perceptron import Perceptron, PerceptronSimulation, PerceptronTrajectory, simulate_perceptron
from .plateau import Plateau, plateau
from .simulation import OnlineSimulation, simulate
from .symmetric import SymmetricPlateau, small_lr_plateau_height, symmetric_plateau

__all__ = [
    "Activation",
    "make_activation",
    "OverlapState",
    "OverlapTrajectory",
    "SoftCommittee",
    "TwoLayer",
    "Plateau",
    "plateau",
    "OnlineSimulation",
    "simulate",
    "Perceptron",
    "PerceptronTrajectory",
    "PerceptronSimulation",
    "simulate_perceptron",
    "SymmetricPlateau",
    "symmetric_plateau",
    "small_lr_plateau_height",
]
