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
from ..gibbs import Channel, ErrorCounting, L2Penalty, Prior, make_channel, make_prior
from ..gibbs.losses import Loss, LossChannel, make_loss

__all__ = ["BayesOptimal", "Gibbs", "ERM", "TeacherStudent"]


@dataclass(frozen=True)
class BayesOptimal:
    """The student knows the teacher's prior and channel (Nishimori line)."""

    def __repr__(self) -> str:
        return "BayesOptimal()"


@dataclass(frozen=True)
class Gibbs:
    r"""Gibbs learning: sample :math:`p(\mathbf w)\propto P_0(\mathbf w)e^{-\beta\,\#\text{errors}}`,
    :math:`\beta = 1/T` (Engel & Van den Broeck 2001, ch. 4).  T -> 0 samples the
    version space; T must be > 0 (use e.g. 1e-3 for the zero-temperature limit:
    :math:`e^{-1000}` is zero in double precision)."""

    temperature: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "temperature", float(check_positive("temperature", self.temperature)))


@dataclass(frozen=True)
class ERM:
    r"""Empirical risk minimisation :math:`\min_w \sum_\mu \ell(y_\mu, z_\mu) + \tfrac{\lambda}{2}|w|^2`."""

    loss: "str | Loss" = "logistic"
    l2: float = 0.0
    loss_: Loss = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "loss_", make_loss(self.loss))
        object.__setattr__(self, "loss", self.loss_.name)
        object.__setattr__(self, "l2", float(check_nonnegative("l2", self.l2)))


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
    """

    prior: Prior
    channel: Channel
    student: object
    student_prior: Prior
    student_channel: Channel

    def __init__(self, prior="gaussian", channel="sign", student=None, student_prior=None, student_channel=None):
        prior = make_prior(prior)
        channel = make_channel(channel)
        student = BayesOptimal() if student is None else student
        if not isinstance(student, (BayesOptimal, Gibbs, ERM)):
            raise ValueError(f"student must be BayesOptimal(), Gibbs(temperature) or ERM(loss, l2), got {student!r}")
        if isinstance(student, BayesOptimal):
            sp, sc = prior, channel
        elif isinstance(student, Gibbs):
            if channel.labels != "binary":
                raise ValueError(f"Gibbs learning counts classification errors: channel must have labels ±1, got {channel!r}")
            sp, sc = prior, ErrorCounting(1.0 / student.temperature)
        else:
            sp, sc = L2Penalty(student.l2), LossChannel(student.loss_)
        sp = make_prior(student_prior, "student_prior") if student_prior is not None else sp
        sc = make_channel(student_channel, "student_channel") if student_channel is not None else sc
        object.__setattr__(self, "prior", prior)
        object.__setattr__(self, "channel", channel)
        object.__setattr__(self, "student", student)
        object.__setattr__(self, "student_prior", sp)
        object.__setattr__(self, "student_channel", sc)

    @property
    def bayes_optimal(self) -> bool:
        """True when the student's prior and channel are the teacher's (Nishimori)."""
        return isinstance(self.student, BayesOptimal) and self.student_prior == self.prior and (
            self.student_channel == self.channel
        )

    @property
    def rho(self) -> float:
        """Teacher's second moment E w*^2."""
        return self.prior.second_moment

    @property
    def task(self) -> str:
        """'classification' (labels ±1) or 'regression'."""
        return "classification" if self.channel.labels == "binary" else "regression"

    def __repr__(self) -> str:
        return f"TeacherStudent(prior={self.prior!r}, channel={self.channel!r}, student={self.student!r})"
