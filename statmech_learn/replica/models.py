"""Teacher-student models: who generates the data and who learns it.

A :class:`TeacherStudent` couples a teacher (prior and channel that generate
weights and labels) with a student: :class:`BayesOptimal` (the posterior of the
true model), :class:`Gibbs` (samples of the Gibbs posterior whose energy is the
number of training errors, at temperature T) or :class:`ERM` (empirical risk
minimisation with a loss and an l2 penalty, the zero-temperature limit).  The
student's prior and channel are ordinary :mod:`statmech_learn.gibbs` objects,
so the replica engine treats every student alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._validation import check_nonnegative, check_positive
from ..citations import _cites
from ..gibbs import Channel, ErrorCounting, L2Penalty, Prior, make_channel, make_prior
from ..gibbs.losses import Loss, LossChannel, make_loss
from ..gibbs.spectra import SpectralPrior

__all__ = ["BayesOptimal", "Gibbs", "ERM", "TeacherStudent"]


@_cites
@dataclass(frozen=True)
class BayesOptimal:
    """The student knows the teacher's prior and channel (Nishimori line)."""

    def __repr__(self) -> str:
        return "BayesOptimal()"


@_cites
@dataclass(frozen=True)
class Gibbs:
    r"""Gibbs learning: sample :math:`p(\mathbf w)\propto P_0(\mathbf w)e^{-\beta\,\#\text{errors}}`,
    :math:`\beta = 1/T` (Engel & Van den Broeck 2001, ch. 4).  T -> 0 samples the
    version space; T must be > 0 (use e.g. 1e-3 for the zero-temperature limit:
    :math:`e^{-1000}` is zero in double precision)."""

    temperature: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "temperature", check_positive("temperature", self.temperature, scalar=True))


@_cites
@dataclass(frozen=True)
class ERM:
    r"""Empirical risk minimisation :math:`\min_w \sum_\mu \ell(y_\mu, z_\mu) + \tfrac{\lambda}{2}|w|^2`.

    ``l2="optimal"``: :func:`~statmech_learn.replica.solve` picks, at every load, the penalty
    of smallest generalisation error (reported in the curve's ``l2``)."""

    loss: str | Loss = "logistic"
    l2: float | str = 0.0
    loss_: Loss = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "loss_", make_loss(self.loss))
        object.__setattr__(self, "loss", self.loss_.name)
        if isinstance(self.l2, str):
            if self.l2 != "optimal":
                raise ValueError(f"l2 must be a number >= 0 or 'optimal', got {self.l2!r}")
        else:
            object.__setattr__(self, "l2", check_nonnegative("l2", self.l2, scalar=True))

    @property
    def optimal(self) -> bool:
        """True when the penalty is to be optimised (``l2="optimal"``)."""
        return isinstance(self.l2, str)


@_cites
@dataclass(frozen=True)
class TeacherStudent:
    """A teacher (``prior``, ``channel``) and a ``student`` (default Bayes-optimal).

    Parameters
    ----------
    prior : Prior or str
        Teacher's prior: 'gaussian', 'binary', 'spherical', 'gauss-bernoulli'.
    channel : Channel or str
        Teacher's channel: 'sign', 'noisy-sign', 'probit', 'gaussian'.
    student : BayesOptimal, Gibbs or ERM
    student_prior, student_channel : optional
        Override the student's prior/channel (mismatched Bayesian learning).
    inputs : Inputs, optional
        The input model (:mod:`statmech_learn.replica.covariates`): structured covariances,
        random features, real-data covariances.  Default: isotropic Gaussian inputs seen by
        teacher and student alike.  With inputs, the student's prior is the
        :class:`~statmech_learn.gibbs.spectra.SpectralPrior` of its penalty (ERM) or Gaussian
        prior (Gibbs, Bayes-optimal) over the inputs' spectrum, and the load alpha counts
        samples per *student* feature.  A GaussianCovariate fitted to real labels brings its
        residual variance: the default channel is then ``GaussianNoise`` of that variance.
    """

    prior: Prior
    channel: Channel
    student: object
    student_prior: Prior
    student_channel: Channel
    inputs: object = None

    def __init__(
        self, prior="gaussian", channel=None, student=None, student_prior=None, student_channel=None, inputs=None
    ):
        from ..gibbs.channels import GaussianNoise
        from ..gibbs.committee import VectorChannel, make_vector_prior
        from ..gibbs.priors import GaussianPrior
        from .covariates import Inputs

        if isinstance(channel, VectorChannel):  # K hidden units: vector-valued prior, Bayes-optimal student
            if student is not None and not isinstance(student, BayesOptimal):
                raise ValueError(f"committee machines have Bayes-optimal students only, got {student!r}")
            if inputs is not None or student_prior is not None or student_channel is not None:
                raise ValueError("committee machines take no inputs, student_prior or student_channel")
            vp = make_vector_prior(prior, channel.K)
            for name, value in (
                ("prior", vp),
                ("channel", channel),
                ("student", BayesOptimal()),
                ("student_prior", vp),
                ("student_channel", channel),
                ("inputs", None),
            ):
                object.__setattr__(self, name, value)
            return
        if inputs is not None and not isinstance(inputs, Inputs):
            raise ValueError(f"inputs must be StructuredInputs, RandomFeatureMap or GaussianCovariate, got {inputs!r}")
        if channel is None:
            noise = getattr(inputs, "noise_variance", 0.0) if inputs is not None else 0.0
            channel = GaussianNoise(noise) if getattr(inputs, "theta", None) is not None else "sign"
        prior = make_prior(prior)
        channel = make_channel(channel)
        student = BayesOptimal() if student is None else student
        if not isinstance(student, (BayesOptimal, Gibbs, ERM)):
            raise ValueError(f"student must be BayesOptimal(), Gibbs(temperature) or ERM(loss, l2), got {student!r}")
        if isinstance(student, BayesOptimal):
            sp, sc = prior, channel
        elif isinstance(student, Gibbs):
            if channel.labels != "binary":
                raise ValueError(
                    f"Gibbs learning counts classification errors: channel must have labels ±1, got {channel!r}"
                )
            sp, sc = prior, ErrorCounting(1.0 / student.temperature)
        else:
            sp, sc = L2Penalty(0.0 if student.optimal else student.l2), LossChannel(student.loss_)
        if inputs is not None:
            if student_prior is not None:
                raise ValueError(
                    "student_prior cannot be overridden with inputs: the student's prior is its "
                    "penalty seen through the inputs' covariance"
                )
            r0 = prior.second_moment
            if isinstance(student, ERM):
                sp = SpectralPrior(sp, inputs.spectrum(r0))
            else:
                if not isinstance(prior, GaussianPrior):
                    raise ValueError(
                        f"with inputs, Bayesian students need a Gaussian teacher prior (rotation "
                        f"invariant), got {prior!r}"
                    )
                bayes = isinstance(student, BayesOptimal) and (student_channel is None or student_channel == channel)
                spec = inputs.bayes_spectrum(r0) if bayes else inputs.spectrum(r0)
                sp = SpectralPrior(GaussianPrior(r0) if bayes else prior, spec)
        elif student_prior is not None:
            sp = make_prior(student_prior, "student_prior")
        sc = make_channel(student_channel, "student_channel") if student_channel is not None else sc
        object.__setattr__(self, "prior", prior)
        object.__setattr__(self, "channel", channel)
        object.__setattr__(self, "student", student)
        object.__setattr__(self, "student_prior", sp)
        object.__setattr__(self, "student_channel", sc)
        object.__setattr__(self, "inputs", inputs)

    @property
    def bayes_optimal(self) -> bool:
        """True when the student's prior and channel are the teacher's (Nishimori)."""
        if not isinstance(self.student, BayesOptimal) or self.student_channel != self.channel:
            return False
        return self.student_prior == self.prior if self.inputs is None else True

    @property
    def committee(self) -> bool:
        """Whether the channel is a committee over K preactivations (a
        :class:`~statmech_learn.gibbs.committee.VectorChannel`, K = 1 included)."""
        from ..gibbs.committee import VectorChannel

        return isinstance(self.channel, VectorChannel)

    @property
    def K(self) -> int:
        """Number of hidden units (1 for a perceptron)."""
        return int(getattr(self.channel, "K", 1))

    @property
    def spectrum(self):
        """The joint spectrum of the inputs (None for isotropic inputs)."""
        return None if self.inputs is None else self.student_prior.spectrum

    @property
    def rho(self) -> float:
        """Teacher's variance E z*^2: the prior's second moment for isotropic inputs (K x K for a committee)."""
        if self.inputs is None:
            return self.prior.second_moment
        sp = self.student_prior
        assert isinstance(sp, SpectralPrior)  # __init__ makes it one whenever inputs are given
        return sp.spectrum.rho

    @property
    def task(self) -> str:
        """'classification' (labels ±1) or 'regression'."""
        return "classification" if self.channel.labels == "binary" else "regression"

    def with_l2(self, l2: float) -> TeacherStudent:
        """The same model with an ERM student of penalty ``l2``."""
        if not isinstance(self.student, ERM):
            raise ValueError(f"with_l2 needs an ERM student, got {self.student!r}")
        return TeacherStudent(self.prior, self.channel, ERM(self.student.loss_, l2), inputs=self.inputs)

    def __repr__(self) -> str:
        extra = (
            ""
            if self.inputs is None
            else (f", inputs={self.inputs!r} ({self.spectrum.size} spectral atoms: {self.spectrum.source})")
        )
        return f"TeacherStudent(prior={self.prior!r}, channel={self.channel!r}, student={self.student!r}{extra})"
