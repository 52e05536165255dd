"""Perceptron capacity: Cover's counting, Gardner's replica volume, Monte Carlo separability."""

from .cover import cover_count, cover_fraction, cover_transition_width, log_cover_fraction
from .gardner import (
    GardnerVolume,
    gardner_capacity,
    gardner_derrida_capacity,
    gardner_volume,
    margin_moment,
)
from .separable import (
    SeparabilityCurve,
    SeparabilityEstimate,
    is_separable,
    max_separable_prefix,
    separability,
    separability_curve,
    separability_point,
    separable_prefixes,
)
from .transition import half_crossing

__all__ = [
    "cover_count",
    "cover_fraction",
    "log_cover_fraction",
    "cover_transition_width",
    "GardnerVolume",
    "gardner_volume",
    "gardner_capacity",
    "gardner_derrida_capacity",
    "margin_moment",
    "SeparabilityEstimate",
    "SeparabilityCurve",
    "separability",
    "separability_curve",
    "separability_point",
    "is_separable",
    "max_separable_prefix",
    "separable_prefixes",
    "half_crossing",
]
