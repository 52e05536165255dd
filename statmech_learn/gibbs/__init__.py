"""The Gibbs-posterior core shared by every solver: priors, channels, losses, posterior."""

from . import channels, committee, losses, priors, soft_committee, spectra
from .channels import (
    Channel,
    ErrorCounting,
    GaussianNoise,
    Margin,
    NoisySign,
    Probit,
    Sign,
    make_channel,
)
from .committee import BinaryVectorPrior, Committee, GaussianVectorPrior, VectorChannel, VectorPrior
from .losses import HingeLoss, LogisticLoss, Loss, LossChannel, SquareLoss, make_loss
from .posterior import GibbsPosterior
from .priors import (
    BernoulliPrior,
    BinaryPrior,
    GaussBernoulliPrior,
    GaussianPrior,
    L2Penalty,
    Prior,
    SphericalPrior,
    make_prior,
)
from .soft_committee import SoftCommittee

__all__ = [
    "channels",
    "losses",
    "priors",
    "Prior",
    "GaussianPrior",
    "BinaryPrior",
    "BernoulliPrior",
    "SphericalPrior",
    "GaussBernoulliPrior",
    "L2Penalty",
    "make_prior",
    "Channel",
    "Margin",
    "Sign",
    "NoisySign",
    "ErrorCounting",
    "Probit",
    "GaussianNoise",
    "make_channel",
    "Loss",
    "SquareLoss",
    "LogisticLoss",
    "HingeLoss",
    "LossChannel",
    "make_loss",
    "GibbsPosterior",
    "committee",
    "soft_committee",
    "spectra",
    "Committee",
    "SoftCommittee",
    "VectorChannel",
    "VectorPrior",
    "GaussianVectorPrior",
    "BinaryVectorPrior",
]
