"""The Gibbs-posterior core shared by every solver: priors, channels, posterior."""

from .channels import Channel, GaussianNoise, Margin, Sign, make_channel
from .posterior import GibbsPosterior
from .priors import BinaryPrior, GaussianPrior, Prior, SphericalPrior, make_prior

__all__ = [
    "Prior",
    "GaussianPrior",
    "BinaryPrior",
    "SphericalPrior",
    "make_prior",
    "Channel",
    "Margin",
    "Sign",
    "GaussianNoise",
    "make_channel",
    "GibbsPosterior",
]
