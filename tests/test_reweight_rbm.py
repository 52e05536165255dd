"""Seed 000 as a training run: an RBM learns the 4 x 4 Ising law at T' = 2.5 from samples at T = 3 reweighted by
exp(-(1/T' - 1/T) E(s)), as well as one trained on samples drawn at T' (exact KL over all 2^16 states)."""

from __future__ import annotations

from statmech_learn.reproduce import reweighting


def test_reweighted_rbm_matches_direct_training():
    """2000 samples, 10 epochs, 8 hidden units, exact gradients: the reweighted machine's exact KL to the T' law
    is within 0.1 nat of the directly trained one's (measured 0.865 and 0.866), and the unweighted machine, which
    learns the T law, is worse by more than 0.4 nat (measured 1.615)."""
    rw = reweighting.train_point("reweighted", 2000, 10, 5)
    direct = reweighting.train_point("direct", 2000, 10, 5)
    plain = reweighting.train_point("unweighted", 2000, 10, 5)
    assert abs(rw["kl"][-1] - direct["kl"][-1]) < 0.1
    assert plain["kl"][-1] > direct["kl"][-1] + 0.4
    assert 0.5 < rw["ess_fraction"] < 0.9
    assert all(b < a + 1e-9 for a, b in zip(rw["kl"][:3], rw["kl"][1:4]))  # the KL falls over the first epochs
