"""The Gibbs-posterior core shared by every solver: priors, channels, losses, posterior."""

from . import channels, committee, losses, priors, sampling, soft_committee, spectra
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
from .sampling import metropolis_within_gibbs, sign_channel_weights, split_rhat, truncated_gaussian_hmc
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
    "sampling",
    "metropolis_within_gibbs",
    "truncated_gaussian_hmc",
    "sign_channel_weights",
    "split_rhat",
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
