r"""BibTeX for the papers behind the library: :func:`cite`.

Three tables, all plain data:

* :data:`ENTRIES` -- the registry, BibTeX key -> BibTeX entry (a string);
* :data:`REFERENCES` -- public function or class, by its qualified name in the package's
  public namespace (``"statmech_learn.capacity.gardner_capacity"``), -> registry keys;
* :data:`REPRODUCTIONS` -- reproduction name (``statmech-learn reproduce NAME``) -> registry keys.

:func:`cite` turns them into BibTeX.  ``cite()`` with no argument returns the entries of the
functions and classes a script has *used* so far in this process: the main entry points carry
the one-line decorator :func:`_cites`, which records, at call (or construction) time, that the
object was used; its references are then looked up in :data:`REFERENCES`.  Calls made inside
worker processes (a process-pool executor of :func:`statmech_learn.sweep`) are not seen by the
parent process.  Some public objects are listed in :data:`REFERENCES` without being decorated
(the priors, channels and losses of :mod:`statmech_learn.gibbs`, used by every solver):
``cite(obj)`` gives their entries, ``cite()`` does not track them.

An entry holds only the fields its author was confident of (the citing docstrings, and for the
recent papers the publishers' pages); a missing volume or page range was not verified, it is
not absent from the publication.

Examples
--------
>>> import statmech_learn as sl
>>> sl.capacity.gardner_capacity(0.0)
2.0
>>> print(sl.cite())  # doctest: +SKIP
@article{gardner1988, ...
>>> sl.cite(sl.capacity.gardner_capacity, format="keys")
'gardner1988,krauth1989'
>>> sl.cite("gardner", format="keys")
'gardner1988,gardner1988derrida,krauth1989,cover1965'
"""

from __future__ import annotations

import functools
import importlib
import types
from typing import Any, TypeVar

__all__ = ["ENTRIES", "REFERENCES", "REPRODUCTIONS", "cite"]

_T = TypeVar("_T")

#: BibTeX key -> BibTeX entry.
ENTRIES: dict[str, str] = {}


def _entry(text: str) -> None:
    text = text.strip()
    key = text[text.index("{") + 1 : text.index(",")]
    ENTRIES[key] = text


# --------------------------------------------------------------------------- perceptron capacity
_entry(r"""
@article{cover1965,
  author = {Cover, Thomas M.},
  title = {Geometrical and Statistical Properties of Systems of Linear Inequalities with Applications in Pattern
    Recognition},
  journal = {IEEE Transactions on Electronic Computers},
  volume = {EC-14},
  number = {3},
  pages = {326--334},
  year = {1965}
}""")
_entry(r"""
@article{gardner1988,
  author = {Gardner, Elizabeth},
  title = {The space of interactions in neural network models},
  journal = {Journal of Physics A: Mathematical and General},
  volume = {21},
  number = {1},
  pages = {257--270},
  year = {1988}
}""")
_entry(r"""
@article{gardner1988derrida,
  author = {Gardner, Elizabeth and Derrida, Bernard},
  title = {Optimal storage properties of neural network models},
  journal = {Journal of Physics A: Mathematical and General},
  volume = {21},
  number = {1},
  pages = {271--284},
  year = {1988}
}""")
_entry(r"""
@article{krauth1989,
  author = {Krauth, Werner and M{\'e}zard, Marc},
  title = {Storage capacity of memory networks with binary couplings},
  journal = {Journal de Physique},
  volume = {50},
  number = {20},
  pages = {3057--3066},
  year = {1989}
}""")
_entry(r"""
@article{huangfu2018,
  author = {Huangfu, Q. and Hall, J. A. J.},
  title = {Parallelizing the dual revised simplex method},
  journal = {Mathematical Programming Computation},
  volume = {10},
  number = {1},
  pages = {119--142},
  year = {2018}
}""")
_entry(r"""
@book{lawson1974,
  author = {Lawson, Charles L. and Hanson, Richard J.},
  title = {Solving Least Squares Problems},
  publisher = {Prentice-Hall},
  year = {1974}
}""")

# --------------------------------------------------------------------------- teacher-student, replica theory
_entry(r"""
@article{seung1992,
  author = {Seung, H. Sebastian and Sompolinsky, Haim and Tishby, Naftali},
  title = {Statistical mechanics of learning from examples},
  journal = {Physical Review A},
  volume = {45},
  number = {8},
  pages = {6056--6091},
  year = {1992}
}""")
_entry(r"""
@article{pakman2014,
  author = {Pakman, Ari and Paninski, Liam},
  title = {Exact {H}amiltonian {M}onte {C}arlo for truncated multivariate {G}aussians},
  journal = {Journal of Computational and Graphical Statistics},
  volume = {23},
  number = {2},
  pages = {518--542},
  year = {2014}
}""")
_entry(r"""
@article{tierney1994,
  author = {Tierney, Luke},
  title = {Markov chains for exploring posterior distributions},
  journal = {The Annals of Statistics},
  volume = {22},
  number = {4},
  pages = {1701--1728},
  year = {1994}
}""")
_entry(r"""
@book{gelman2013,
  author = {Gelman, Andrew and Carlin, John B. and Stern, Hal S. and Dunson, David B.
            and Vehtari, Aki and Rubin, Donald B.},
  title = {Bayesian Data Analysis},
  edition = {Third},
  publisher = {CRC Press},
  year = {2013}
}""")
_entry(r"""
@book{engel2001,
  author = {Engel, Andreas and Van den Broeck, Christian},
  title = {Statistical Mechanics of Learning},
  publisher = {Cambridge University Press},
  year = {2001}
}""")
_entry(r"""
@article{gyorgyi1990,
  author = {Gy{\"o}rgyi, G{\'e}za},
  title = {First-order transition to perfect generalization in a neural network with binary synapses},
  journal = {Physical Review A},
  volume = {41},
  number = {12},
  pages = {7097--7100},
  year = {1990}
}""")
_entry(r"""
@article{zdeborova2016,
  author = {Zdeborov{\'a}, Lenka and Krzakala, Florent},
  title = {Statistical physics of inference: thresholds and algorithms},
  journal = {Advances in Physics},
  volume = {65},
  number = {5},
  pages = {453--552},
  year = {2016}
}""")
_entry(r"""
@article{barbier2019,
  author = {Barbier, Jean and Krzakala, Florent and Macris, Nicolas and Miolane, L{\'e}o and Zdeborov{\'a}, Lenka},
  title = {Optimal errors and phase transitions in high-dimensional generalized linear models},
  journal = {Proceedings of the National Academy of Sciences},
  volume = {116},
  number = {12},
  pages = {5451--5460},
  year = {2019}
}""")
_entry(r"""
@inproceedings{aubin2020,
  author = {Aubin, Benjamin and Krzakala, Florent and Lu, Yue M. and Zdeborov{\'a}, Lenka},
  title = {Generalization error in high-dimensional perceptrons: Approaching {Bayes} error with convex optimization},
  booktitle = {Advances in Neural Information Processing Systems},
  volume = {33},
  year = {2020}
}""")
_entry(r"""
@article{krzakala2012prx,
  author = {Krzakala, Florent and M{\'e}zard, Marc and Sausset, Fran{\c{c}}ois and Sun, Y. F. and Zdeborov{\'a}, Lenka},
  title = {Statistical-Physics-Based Reconstruction in Compressed Sensing},
  journal = {Physical Review X},
  volume = {2},
  number = {2},
  pages = {021005},
  year = {2012}
}""")
_entry(r"""
@article{krzakala2012jstat,
  author = {Krzakala, Florent and M{\'e}zard, Marc and Sausset, Fran{\c{c}}ois and Sun, Y. F. and Zdeborov{\'a}, Lenka},
  title = {Probabilistic reconstruction in compressed sensing: algorithms, phase diagrams, and threshold achieving
    matrices},
  journal = {Journal of Statistical Mechanics: Theory and Experiment},
  pages = {P08009},
  year = {2012}
}""")
_entry(r"""
@article{wu2012,
  author = {Wu, Yihong and Verd{\'u}, Sergio},
  title = {Optimal Phase Transitions in Compressed Sensing},
  journal = {IEEE Transactions on Information Theory},
  volume = {58},
  number = {10},
  pages = {6241--6263},
  year = {2012}
}""")
_entry(r"""
@article{hastie2022,
  author = {Hastie, Trevor and Montanari, Andrea and Rosset, Saharon and Tibshirani, Ryan J.},
  title = {Surprises in high-dimensional ridgeless least squares interpolation},
  journal = {The Annals of Statistics},
  volume = {50},
  number = {2},
  pages = {949--986},
  year = {2022}
}""")
_entry(r"""
@article{dobriban2018,
  author = {Dobriban, Edgar and Wager, Stefan},
  title = {High-dimensional asymptotics of prediction: Ridge regression and classification},
  journal = {The Annals of Statistics},
  volume = {46},
  number = {1},
  pages = {247--279},
  year = {2018}
}""")
_entry(r"""
@article{anderson1965,
  author = {Anderson, Donald G.},
  title = {Iterative Procedures for Nonlinear Integral Equations},
  journal = {Journal of the ACM},
  volume = {12},
  number = {4},
  pages = {547--560},
  year = {1965}
}""")
_entry(r"""
@article{walker2011,
  author = {Walker, Homer F. and Ni, Peng},
  title = {Anderson Acceleration for Fixed-Point Iterations},
  journal = {SIAM Journal on Numerical Analysis},
  volume = {49},
  number = {4},
  pages = {1715--1735},
  year = {2011}
}""")

# --------------------------------------------------------------------------- AMP and state evolution
_entry(r"""
@article{donoho2009,
  author = {Donoho, David L. and Maleki, Arian and Montanari, Andrea},
  title = {Message-passing algorithms for compressed sensing},
  journal = {Proceedings of the National Academy of Sciences},
  volume = {106},
  number = {45},
  pages = {18914--18919},
  year = {2009}
}""")
_entry(r"""
@inproceedings{rangan2011,
  author = {Rangan, Sundeep},
  title = {Generalized approximate message passing for estimation with random linear mixing},
  booktitle = {2011 IEEE International Symposium on Information Theory (ISIT)},
  pages = {2168--2172},
  year = {2011}
}""")
_entry(r"""
@article{bayati2011,
  author = {Bayati, Mohsen and Montanari, Andrea},
  title = {The dynamics of message passing on dense graphs, with applications to compressed sensing},
  journal = {IEEE Transactions on Information Theory},
  volume = {57},
  number = {2},
  pages = {764--785},
  year = {2011}
}""")
_entry(r"""
@article{javanmard2013,
  author = {Javanmard, Adel and Montanari, Andrea},
  title = {State evolution for general approximate message passing algorithms, with applications to spatial coupling},
  journal = {Information and Inference: A Journal of the IMA},
  volume = {2},
  number = {2},
  pages = {115--144},
  year = {2013}
}""")

# --------------------------------------------------------------------------- committee machines
_entry(r"""
@article{schwarze1993,
  author = {Schwarze, Henry},
  title = {Learning a rule in a multilayer neural network},
  journal = {Journal of Physics A: Mathematical and General},
  volume = {26},
  number = {21},
  pages = {5781},
  year = {1993}
}""")
_entry(r"""
@inproceedings{aubin2018,
  author = {Aubin, Benjamin and Maillard, Antoine and Barbier, Jean and Krzakala, Florent and Macris, Nicolas and
    Zdeborov{\'a}, Lenka},
  title = {The committee machine: Computational to statistical gaps in learning a two-layers neural network},
  booktitle = {Advances in Neural Information Processing Systems},
  volume = {31},
  pages = {3223--3234},
  year = {2018}
}""")
_entry(r"""
@article{owen1956,
  author = {Owen, D. B.},
  title = {Tables for computing bivariate normal probabilities},
  journal = {The Annals of Mathematical Statistics},
  volume = {27},
  number = {4},
  pages = {1075--1090},
  year = {1956}
}""")
_entry(r"""
@article{drezner1990,
  author = {Drezner, Zvi and Wesolowsky, George O.},
  title = {On the computation of the bivariate normal integral},
  journal = {Journal of Statistical Computation and Simulation},
  volume = {35},
  number = {1--2},
  pages = {101--107},
  year = {1990}
}""")
_entry(r"""
@article{genz2004,
  author = {Genz, Alan},
  title = {Numerical computation of rectangular bivariate and trivariate normal and t probabilities},
  journal = {Statistics and Computing},
  volume = {14},
  number = {3},
  pages = {251--260},
  year = {2004}
}""")

# --------------------------------------------------------------------------- online learning
_entry(r"""
@article{saad1995pre,
  author = {Saad, David and Solla, Sara A.},
  title = {On-line learning in soft committee machines},
  journal = {Physical Review E},
  volume = {52},
  number = {4},
  pages = {4225--4243},
  year = {1995}
}""")
_entry(r"""
@article{saad1995prl,
  author = {Saad, David and Solla, Sara A.},
  title = {Exact solution for on-line learning in multilayer neural networks},
  journal = {Physical Review Letters},
  volume = {74},
  number = {21},
  pages = {4337--4340},
  year = {1995}
}""")
_entry(r"""
@article{biehl1995,
  author = {Biehl, Michael and Schwarze, Henry},
  title = {Learning by on-line gradient descent},
  journal = {Journal of Physics A: Mathematical and General},
  volume = {28},
  number = {3},
  pages = {643--656},
  year = {1995}
}""")
_entry(r"""
@article{biehl1996,
  author = {Biehl, Michael and Riegler, Peter and W{\"o}hler, Christian},
  title = {Transient dynamics of on-line learning in two-layered neural networks},
  journal = {Journal of Physics A: Mathematical and General},
  volume = {29},
  pages = {4769},
  year = {1996}
}""")
_entry(r"""
@book{saad1998,
  editor = {Saad, David},
  title = {On-Line Learning in Neural Networks},
  publisher = {Cambridge University Press},
  year = {1998}
}""")
_entry(r"""
@inproceedings{goldt2019,
  author = {Goldt, Sebastian and Advani, Madhu S. and Saxe, Andrew M. and Krzakala, Florent and Zdeborov{\'a}, Lenka},
  title = {Dynamics of stochastic gradient descent for two-layer neural networks in the teacher-student setup},
  booktitle = {Advances in Neural Information Processing Systems},
  volume = {32},
  year = {2019}
}""")

# --------------------------------------------------------------------------- random features, structured inputs
_entry(r"""
@article{mei2022,
  author = {Mei, Song and Montanari, Andrea},
  title = {The generalization error of random features regression: Precise asymptotics and the double descent curve},
  journal = {Communications on Pure and Applied Mathematics},
  volume = {75},
  pages = {667--766},
  year = {2022},
  eprint = {1908.05355},
  archivePrefix = {arXiv}
}""")
_entry(r"""
@inproceedings{gerace2020,
  author = {Gerace, Federica and Loureiro, Bruno and Krzakala, Florent and M{\'e}zard, Marc and Zdeborov{\'a}, Lenka},
  title = {Generalisation error in learning with random features and the hidden manifold model},
  booktitle = {Proceedings of the 37th International Conference on Machine Learning},
  series = {Proceedings of Machine Learning Research},
  volume = {119},
  year = {2020}
}""")
_entry(r"""
@inproceedings{loureiro2021,
  author = {Loureiro, Bruno and Gerbelot, C{\'e}dric and Cui, Hugo and Goldt, Sebastian and Krzakala, Florent and
    M{\'e}zard, Marc and Zdeborov{\'a}, Lenka},
  title = {Learning curves of generic features maps for realistic datasets with a teacher-student model},
  booktitle = {Advances in Neural Information Processing Systems},
  volume = {34},
  year = {2021}
}""")
_entry(r"""
@inproceedings{goldt2022,
  author = {Goldt, Sebastian and Loureiro, Bruno and Reeves, Galen and Krzakala, Florent and M{\'e}zard, Marc and
    Zdeborov{\'a}, Lenka},
  title = {The {Gaussian} equivalence of generative models for learning with shallow neural networks},
  booktitle = {Proceedings of the 2nd Mathematical and Scientific Machine Learning Conference},
  series = {Proceedings of Machine Learning Research},
  volume = {145},
  pages = {426--471},
  year = {2022}
}""")
_entry(r"""
@inproceedings{rahimi2007,
  author = {Rahimi, Ali and Recht, Benjamin},
  title = {Random Features for Large-Scale Kernel Machines},
  booktitle = {Advances in Neural Information Processing Systems},
  volume = {20},
  year = {2007}
}""")
_entry(r"""
@article{marchenko1967,
  author = {Mar{\v{c}}enko, V. A. and Pastur, L. A.},
  title = {Distribution of eigenvalues for some sets of random matrices},
  journal = {Mathematics of the USSR-Sbornik},
  volume = {1},
  number = {4},
  pages = {457--483},
  year = {1967}
}""")
_entry(r"""
@article{takahasi1974,
  author = {Takahasi, Hidetosi and Mori, Masatake},
  title = {Double exponential formulas for numerical integration},
  journal = {Publications of the Research Institute for Mathematical Sciences},
  volume = {9},
  number = {3},
  pages = {721--741},
  year = {1974}
}""")

# --------------------------------------------------------------------------- spin glasses, mean field, TAP
_entry(r"""
@article{sherrington1975,
  author = {Sherrington, David and Kirkpatrick, Scott},
  title = {Solvable Model of a Spin-Glass},
  journal = {Physical Review Letters},
  volume = {35},
  number = {26},
  pages = {1792--1796},
  year = {1975}
}""")
_entry(r"""
@article{thouless1977,
  author = {Thouless, D. J. and Anderson, P. W. and Palmer, R. G.},
  title = {Solution of `{Solvable} model of a spin glass'},
  journal = {Philosophical Magazine},
  volume = {35},
  number = {3},
  pages = {593--601},
  year = {1977}
}""")
_entry(r"""
@article{dealmeida1978,
  author = {de Almeida, J. R. L. and Thouless, D. J.},
  title = {Stability of the {Sherrington-Kirkpatrick} solution of a spin glass model},
  journal = {Journal of Physics A: Mathematical and General},
  volume = {11},
  number = {5},
  pages = {983--990},
  year = {1978}
}""")
_entry(r"""
@article{plefka1982,
  author = {Plefka, T.},
  title = {Convergence condition of the {TAP} equation for the infinite-ranged {Ising} spin glass model},
  journal = {Journal of Physics A: Mathematical and General},
  volume = {15},
  number = {6},
  pages = {1971--1978},
  year = {1982}
}""")
_entry(r"""
@book{mezard1987,
  author = {M{\'e}zard, Marc and Parisi, Giorgio and Virasoro, Miguel Angel},
  title = {Spin Glass Theory and Beyond},
  publisher = {World Scientific},
  year = {1987}
}""")
_entry(r"""
@article{georges1991,
  author = {Georges, Antoine and Yedidia, Jonathan S.},
  title = {How to expand around mean-field theory using high-temperature expansions},
  journal = {Journal of Physics A: Mathematical and General},
  volume = {24},
  number = {9},
  pages = {2173--2192},
  year = {1991}
}""")
_entry(r"""
@article{bolthausen2014,
  author = {Bolthausen, Erwin},
  title = {An iterative construction of solutions of the {TAP} equations for the {Sherrington-Kirkpatrick} model},
  journal = {Communications in Mathematical Physics},
  volume = {325},
  number = {1},
  pages = {333--366},
  year = {2014}
}""")
_entry(r"""
@book{talagrand2011,
  author = {Talagrand, Michel},
  title = {Mean Field Models for Spin Glasses. Volume I: Basic Examples},
  publisher = {Springer},
  year = {2011}
}""")
_entry(r"""
@book{baxter1982,
  author = {Baxter, Rodney J.},
  title = {Exactly Solved Models in Statistical Mechanics},
  publisher = {Academic Press},
  year = {1982}
}""")
_entry(r"""
@techreport{chan1979,
  author = {Chan, Tony F. and Golub, Gene H. and LeVeque, Randall J.},
  title = {Updating Formulae and a Pairwise Algorithm for Computing Sample Variances},
  institution = {Stanford University},
  number = {STAN-CS-79-773},
  year = {1979}
}""")

# --------------------------------------------------------------------------- Monte Carlo
_entry(r"""
@article{metropolis1953,
  author = {Metropolis, Nicholas and Rosenbluth, Arianna W. and Rosenbluth, Marshall N. and Teller, Augusta H. and
    Teller, Edward},
  title = {Equation of State Calculations by Fast Computing Machines},
  journal = {The Journal of Chemical Physics},
  volume = {21},
  number = {6},
  pages = {1087--1092},
  year = {1953}
}""")
_entry(r"""
@article{geman1984,
  author = {Geman, Stuart and Geman, Donald},
  title = {Stochastic Relaxation, {Gibbs} Distributions, and the {Bayesian} Restoration of Images},
  journal = {IEEE Transactions on Pattern Analysis and Machine Intelligence},
  volume = {PAMI-6},
  number = {6},
  pages = {721--741},
  year = {1984}
}""")
_entry(r"""
@incollection{sokal1997,
  author = {Sokal, Alan D.},
  title = {Monte {Carlo} Methods in Statistical Mechanics: Foundations and New Algorithms},
  booktitle = {Functional Integration: Basics and Applications},
  year = {1997}
}""")
_entry(r"""
@article{madras1988,
  author = {Madras, Neal and Sokal, Alan D.},
  title = {The pivot algorithm: A highly efficient {Monte Carlo} method for the self-avoiding walk},
  journal = {Journal of Statistical Physics},
  volume = {50},
  pages = {109--186},
  year = {1988}
}""")
_entry(r"""
@article{geyer1992,
  author = {Geyer, Charles J.},
  title = {Practical {Markov} Chain {Monte Carlo}},
  journal = {Statistical Science},
  volume = {7},
  number = {4},
  pages = {473--483},
  year = {1992}
}""")
_entry(r"""
@article{flegal2010,
  author = {Flegal, James M. and Jones, Galin L.},
  title = {Batch means and spectral variance estimators in {Markov} chain {Monte Carlo}},
  journal = {The Annals of Statistics},
  volume = {38},
  number = {2},
  pages = {1034--1070},
  year = {2010}
}""")
_entry(r"""
@article{neal2001,
  author = {Neal, Radford M.},
  title = {Annealed importance sampling},
  journal = {Statistics and Computing},
  volume = {11},
  number = {2},
  pages = {125--139},
  year = {2001}
}""")

# --------------------------------------------------------------------------- RBMs, renormalisation
_entry(r"""
@inproceedings{gabrie2015,
  author = {Gabri{\'e}, Marylou and Tramel, Eric W. and Krzakala, Florent},
  title = {Training Restricted {Boltzmann} Machine via the {Thouless-Anderson-Palmer} free energy},
  booktitle = {Advances in Neural Information Processing Systems},
  volume = {28},
  year = {2015}
}""")
_entry(r"""
@article{hinton2002,
  author = {Hinton, Geoffrey E.},
  title = {Training products of experts by minimizing contrastive divergence},
  journal = {Neural Computation},
  volume = {14},
  number = {8},
  pages = {1771--1800},
  year = {2002}
}""")
_entry(r"""
@inproceedings{tieleman2008,
  author = {Tieleman, Tijmen},
  title = {Training restricted {Boltzmann} machines using approximations to the likelihood gradient},
  booktitle = {Proceedings of the 25th International Conference on Machine Learning},
  pages = {1064--1071},
  year = {2008}
}""")
_entry(r"""
@techreport{hinton2010,
  author = {Hinton, Geoffrey E.},
  title = {A Practical Guide to Training Restricted {Boltzmann} Machines},
  institution = {University of Toronto},
  number = {UTML TR 2010-003},
  year = {2010}
}""")
_entry(r"""
@inproceedings{salakhutdinov2008,
  author = {Salakhutdinov, Ruslan and Murray, Iain},
  title = {On the quantitative analysis of deep belief networks},
  booktitle = {Proceedings of the 25th International Conference on Machine Learning},
  pages = {872--879},
  year = {2008}
}""")
_entry(r"""
@misc{alpaydin1998,
  author = {Alpaydin, E. and Kaynak, C.},
  title = {Optical Recognition of Handwritten Digits},
  howpublished = {UCI Machine Learning Repository},
  year = {1998}
}""")
_entry(r"""
@misc{mehta2014,
  author = {Mehta, Pankaj and Schwab, David J.},
  title = {An exact mapping between the Variational Renormalization Group and Deep Learning},
  eprint = {1410.3831},
  archivePrefix = {arXiv},
  year = {2014}
}""")
_entry(r"""
@misc{burns2021,
  author = {Burns},
  title = {Renormalization and {Boltzmann} machines},
  year = {2021}
}""")

# --------------------------------------------------------------------------- reweighting
_entry(r"""
@article{zwanzig1954,
  author = {Zwanzig, Robert W.},
  title = {High-Temperature Equation of State by a Perturbation Method. {I}. Nonpolar Gases},
  journal = {The Journal of Chemical Physics},
  volume = {22},
  number = {8},
  pages = {1420--1426},
  year = {1954}
}""")
_entry(r"""
@book{kish1965,
  author = {Kish, Leslie},
  title = {Survey Sampling},
  publisher = {Wiley},
  year = {1965}
}""")
_entry(r"""
@book{owen2013,
  author = {Owen, Art B.},
  title = {Monte {Carlo} theory, methods and examples},
  year = {2013}
}""")
_entry(r"""
@book{chandler1987,
  author = {Chandler, David},
  title = {Introduction to Modern Statistical Mechanics},
  publisher = {Oxford University Press},
  year = {1987}
}""")

# --------------------------------------------------------------------------- SGD, Langevin, linear regression
_entry(r"""
@article{mandt2017,
  author = {Mandt, Stephan and Hoffman, Matthew D. and Blei, David M.},
  title = {Stochastic Gradient Descent as Approximate {Bayesian} Inference},
  journal = {Journal of Machine Learning Research},
  volume = {18},
  number = {134},
  pages = {1--35},
  year = {2017}
}""")
_entry(r"""
@misc{mcallester2020,
  author = {McAllester, David},
  title = {Stationary distributions of {SDEs} and temperature},
  howpublished = {TTIC 31230 lecture notes},
  year = {2020}
}""")
_entry(r"""
@article{roberts1996,
  author = {Roberts, Gareth O. and Tweedie, Richard L.},
  title = {Exponential convergence of {Langevin} distributions and their discrete approximations},
  journal = {Bernoulli},
  volume = {2},
  number = {4},
  pages = {341--363},
  year = {1996}
}""")
_entry(r"""
@article{roberts1998,
  author = {Roberts, Gareth O. and Rosenthal, Jeffrey S.},
  title = {Optimal scaling of discrete approximations to {Langevin} diffusions},
  journal = {Journal of the Royal Statistical Society: Series B},
  volume = {60},
  number = {1},
  pages = {255--268},
  year = {1998}
}""")
_entry(r"""
@misc{pallister2023,
  author = {Pallister, J.},
  title = {Machine Learning for the eager theorist},
  note = {December 2023},
  year = {2023}
}""")
_entry(r"""
@article{hoerl1970,
  author = {Hoerl, Arthur E. and Kennard, Robert W.},
  title = {Ridge Regression: Biased Estimation for Nonorthogonal Problems},
  journal = {Technometrics},
  volume = {12},
  number = {1},
  pages = {55--67},
  year = {1970}
}""")
_entry(r"""
@book{nesterov2018,
  author = {Nesterov, Yurii},
  title = {Lectures on Convex Optimization},
  edition = {2},
  publisher = {Springer},
  year = {2018}
}""")
_entry(r"""
@inproceedings{ali2019,
  author = {Ali, Alnur and Kolter, J. Zico and Tibshirani, Ryan J.},
  title = {A Continuous-Time View of Early Stopping for Least Squares Regression},
  booktitle = {Proceedings of the 22nd International Conference on Artificial Intelligence and Statistics},
  series = {Proceedings of Machine Learning Research},
  volume = {89},
  year = {2019}
}""")
_entry(r"""
@article{advani2020,
  author = {Advani, Madhu S. and Saxe, Andrew M. and Sompolinsky, Haim},
  title = {High-dimensional dynamics of generalization error in neural networks},
  journal = {Neural Networks},
  volume = {132},
  pages = {428--446},
  year = {2020}
}""")

# =========================================================================== what cites what
_SL = "statmech_learn"
_GARDNER = ["gardner1988", "krauth1989"]
_COVER_GARDNER = ["cover1965", "gardner1988", "krauth1989"]
_GLM = ["aubin2020", "barbier2019", "zdeborova2016"]
_AMP = ["rangan2011", "donoho2009", "zdeborova2016", "barbier2019"]
_SE = ["bayati2011", "javanmard2013", "rangan2011", "barbier2019"]
_COMMITTEE = ["aubin2018", "schwarze1993"]
_ONLINE = ["saad1995pre", "biehl1995", "goldt2019"]
_PERCEPTRON_ONLINE = ["biehl1995", "engel2001", "saad1998"]
_SK = ["sherrington1975", "dealmeida1978", "mezard1987"]
_TAP = ["thouless1977", "plefka1982", "bolthausen2014", "gabrie2015", "georges1991"]
_RBM = ["hinton2002", "tieleman2008", "gabrie2015"]
_RF = ["gerace2020", "mei2022", "rahimi2007", "goldt2022"]
_GCM = ["loureiro2021", "gerace2020"]
_SGD = ["mandt2017", "mcallester2020"]
_LANGEVIN = ["roberts1996", "roberts1998"]

#: Qualified public name -> registry keys.
REFERENCES: dict[str, list[str]] = {
    # capacity
    f"{_SL}.capacity.cover_count": ["cover1965"],
    f"{_SL}.capacity.cover_fraction": ["cover1965"],
    f"{_SL}.capacity.log_cover_fraction": ["cover1965"],
    f"{_SL}.capacity.cover_transition_width": ["cover1965"],
    f"{_SL}.capacity.GardnerVolume": ["gardner1988"],
    f"{_SL}.capacity.gardner_volume": ["gardner1988"],
    f"{_SL}.capacity.margin_moment": ["gardner1988"],
    f"{_SL}.capacity.gardner_capacity": _GARDNER,
    f"{_SL}.capacity.gardner_derrida_capacity": ["gardner1988derrida"],
    f"{_SL}.capacity.SeparabilityEstimate": _COVER_GARDNER,
    f"{_SL}.capacity.SeparabilityCurve": _COVER_GARDNER,
    f"{_SL}.capacity.separability": _COVER_GARDNER,
    f"{_SL}.capacity.separability_curve": _COVER_GARDNER,
    f"{_SL}.capacity.separability_point": _COVER_GARDNER,
    f"{_SL}.capacity.separable_prefixes": _COVER_GARDNER,
    f"{_SL}.capacity.is_separable": ["huangfu2018", "lawson1974"],
    f"{_SL}.capacity.max_separable_prefix": ["huangfu2018", "lawson1974"],
    # gibbs: priors, channels, losses, posterior, committees, spectra
    f"{_SL}.gibbs.Prior": ["engel2001"],
    f"{_SL}.gibbs.GaussianPrior": ["engel2001"],
    f"{_SL}.gibbs.BinaryPrior": ["engel2001", "krauth1989"],
    f"{_SL}.gibbs.SphericalPrior": ["gardner1988", "engel2001"],
    f"{_SL}.gibbs.GaussBernoulliPrior": ["krzakala2012jstat"],
    f"{_SL}.gibbs.L2Penalty": ["aubin2020"],
    f"{_SL}.gibbs.Channel": ["aubin2020", "barbier2019"],
    f"{_SL}.gibbs.Margin": ["gardner1988"],
    f"{_SL}.gibbs.Sign": ["gardner1988", "engel2001"],
    f"{_SL}.gibbs.ErrorCounting": ["engel2001"],
    f"{_SL}.gibbs.metropolis_within_gibbs": ["tierney1994"],
    f"{_SL}.gibbs.truncated_gaussian_hmc": ["pakman2014"],
    f"{_SL}.gibbs.sign_channel_weights": ["engel2001"],
    f"{_SL}.gibbs.split_rhat": ["gelman2013"],
    f"{_SL}.gibbs.Loss": ["aubin2020", "gerace2020"],
    f"{_SL}.gibbs.SquareLoss": ["aubin2020", "gerace2020"],
    f"{_SL}.gibbs.LogisticLoss": ["aubin2020", "gerace2020"],
    f"{_SL}.gibbs.HingeLoss": ["aubin2020", "gerace2020"],
    f"{_SL}.gibbs.LossChannel": ["aubin2020", "gerace2020"],
    f"{_SL}.gibbs.GibbsPosterior": ["gardner1988", "krauth1989", "engel2001"],
    f"{_SL}.gibbs.Committee": _COMMITTEE + ["owen1956", "drezner1990", "genz2004"],
    f"{_SL}.gibbs.SoftCommittee": ["saad1995pre", "aubin2018"],
    f"{_SL}.gibbs.VectorChannel": _COMMITTEE,
    f"{_SL}.gibbs.VectorPrior": ["aubin2018"],
    f"{_SL}.gibbs.GaussianVectorPrior": ["aubin2018"],
    f"{_SL}.gibbs.BinaryVectorPrior": ["aubin2018"],
    f"{_SL}.gibbs.spectra.Spectrum": ["loureiro2021"],
    f"{_SL}.gibbs.spectra.SpectralPrior": ["loureiro2021"],
    f"{_SL}.gibbs.spectra.tanh_sinh": ["takahasi1974"],
    f"{_SL}.gibbs.spectra.marchenko_pastur": ["marchenko1967"],
    # replica
    f"{_SL}.replica.TeacherStudent": ["engel2001", "zdeborova2016"],
    f"{_SL}.replica.BayesOptimal": ["barbier2019", "zdeborova2016"],
    f"{_SL}.replica.Gibbs": ["seung1992", "engel2001"],
    f"{_SL}.replica.ERM": ["aubin2020"],
    f"{_SL}.replica.solve": _GLM + ["anderson1965", "walker2011"],
    f"{_SL}.replica.solve_branches": _GLM,
    f"{_SL}.replica.transitions": _GLM + ["gyorgyi1990"],
    f"{_SL}.replica.ReplicaCurve": _GLM,
    f"{_SL}.replica.FeaturesCurve": _GCM,
    f"{_SL}.replica.Transitions": _GLM + ["gyorgyi1990"],
    f"{_SL}.replica.amp": _AMP + ["aubin2018"],  # committee AMP too
    f"{_SL}.replica.AMPRun": _AMP,
    f"{_SL}.replica.state_evolution": _SE + ["aubin2018"],
    f"{_SL}.replica.StateEvolution": _SE,
    f"{_SL}.replica.CommitteeAMPRun": ["aubin2018"],
    f"{_SL}.replica.CommitteeStateEvolution": ["aubin2018"],
    f"{_SL}.replica.erm_simulation": ["aubin2020", "gerace2020"],
    f"{_SL}.replica.ERMSimulation": ["aubin2020", "gerace2020"],
    f"{_SL}.replica.gibbs_simulation": ["engel2001", "seung1992", "pakman2014", "gelman2013"],
    f"{_SL}.replica.GibbsSimulation": ["engel2001", "seung1992"],
    f"{_SL}.replica.data_simulation": ["loureiro2021"],
    f"{_SL}.replica.DataSimulation": ["loureiro2021"],
    f"{_SL}.replica.ridge_test_error": ["hastie2022", "dobriban2018"],
    f"{_SL}.replica.ridge_applicable": ["hastie2022"],
    f"{_SL}.replica.ridge_saddle_point": ["hastie2022"],
    f"{_SL}.replica.solve_committee": _COMMITTEE,
    f"{_SL}.replica.committee_transitions": _COMMITTEE,
    f"{_SL}.replica.CommitteeCurve": _COMMITTEE,
    f"{_SL}.replica.CommitteeTransitions": _COMMITTEE,
    f"{_SL}.replica.solve_large_committee": ["aubin2018"],
    f"{_SL}.replica.large_committee_transition": ["aubin2018"],
    f"{_SL}.replica.LargeCommitteeCurve": ["aubin2018"],
    f"{_SL}.replica.LargeCommitteeTransition": ["aubin2018"],
    f"{_SL}.replica.GaussianCovariate": ["loureiro2021"],
    f"{_SL}.replica.StructuredInputs": _GCM,
    f"{_SL}.replica.RandomFeatureMap": _RF,
    f"{_SL}.replica.RandomFeatures": _RF,
    # online
    f"{_SL}.online.Activation": _ONLINE,
    f"{_SL}.online.make_activation": _ONLINE,
    f"{_SL}.online.OverlapState": _ONLINE,
    f"{_SL}.online.OverlapTrajectory": _ONLINE,
    f"{_SL}.online.TwoLayer": _ONLINE,
    f"{_SL}.online.SoftCommittee": ["saad1995pre", "saad1995prl", "biehl1995"],
    f"{_SL}.online.simulate": ["saad1995pre", "goldt2019"],
    f"{_SL}.online.OnlineSimulation": ["saad1995pre", "goldt2019"],
    f"{_SL}.online.plateau": ["saad1995pre", "biehl1996"],
    f"{_SL}.online.Plateau": ["saad1995pre", "biehl1996"],
    f"{_SL}.online.symmetric_plateau": ["saad1995prl", "saad1995pre"],
    f"{_SL}.online.SymmetricPlateau": ["saad1995prl", "saad1995pre"],
    f"{_SL}.online.small_lr_plateau_height": ["saad1995prl"],
    f"{_SL}.online.Perceptron": _PERCEPTRON_ONLINE,
    f"{_SL}.online.PerceptronTrajectory": _PERCEPTRON_ONLINE,
    f"{_SL}.online.simulate_perceptron": _PERCEPTRON_ONLINE,
    f"{_SL}.online.PerceptronSimulation": _PERCEPTRON_ONLINE,
    # meanfield
    f"{_SL}.meanfield.SK": ["sherrington1975"],
    f"{_SL}.meanfield.Bipartite": ["gabrie2015"],
    f"{_SL}.meanfield.naive_mean_field": ["plefka1982"],
    f"{_SL}.meanfield.MeanFieldResult": ["thouless1977", "plefka1982"],
    f"{_SL}.meanfield.tap": _TAP,
    f"{_SL}.meanfield.tap_free_entropy": _TAP,
    f"{_SL}.meanfield.tap_hessian": ["plefka1982", "dealmeida1978"],
    f"{_SL}.meanfield.tap_stability": ["plefka1982", "dealmeida1978"],
    f"{_SL}.meanfield.replica_sk": _SK + ["talagrand2011"],
    f"{_SL}.meanfield.SKReplica": _SK,
    f"{_SL}.meanfield.at_line": ["dealmeida1978"],
    f"{_SL}.meanfield.exact": ["chan1979", "baxter1982"],
    f"{_SL}.meanfield.ExactResult": ["chan1979"],
    f"{_SL}.meanfield.monte_carlo": ["metropolis1953", "geman1984", "sokal1997"],
    f"{_SL}.meanfield.MonteCarloResult": ["metropolis1953", "geman1984", "sokal1997"],
    f"{_SL}.meanfield.integrated_autocorrelation_time": ["sokal1997", "madras1988", "geyer1992"],
    f"{_SL}.meanfield.ais": ["neal2001", "salakhutdinov2008"],
    f"{_SL}.meanfield.LogPartition": ["neal2001", "salakhutdinov2008"],
    f"{_SL}.meanfield.RBM": _RBM + ["hinton2010"],
    f"{_SL}.meanfield.LearningCurve": _RBM,
    f"{_SL}.meanfield.TAPFixedPoints": ["gabrie2015"],
    f"{_SL}.meanfield.mean_field_gradient": ["gabrie2015"],
    f"{_SL}.meanfield.rg_vs_kl": ["burns2021", "mehta2014"],
    f"{_SL}.meanfield.RGvsKL": ["burns2021", "mehta2014"],
    f"{_SL}.meanfield.datasets.digits": ["alpaydin1998"],
    # reweight
    f"{_SL}.reweight.weights": ["zwanzig1954", "owen2013"],
    f"{_SL}.reweight.log_weights": ["zwanzig1954", "owen2013"],
    f"{_SL}.reweight.reweighted_loss": ["owen2013"],
    f"{_SL}.reweight.reweighted_gradient": ["owen2013"],
    f"{_SL}.reweight.effective_sample_size": ["kish1965", "owen2013"],
    f"{_SL}.reweight.ReweightWarning": ["kish1965"],
    f"{_SL}.reweight.free_energy_shift": ["zwanzig1954"],
    f"{_SL}.reweight.FreeEnergyShift": ["zwanzig1954"],
    f"{_SL}.reweight.linear_response": ["owen2013", "chandler1987"],
    f"{_SL}.reweight.LinearResponse": ["owen2013", "chandler1987"],
    # dynamics
    f"{_SL}.dynamics.sgd_stationary": _SGD,
    f"{_SL}.dynamics.SGDStationary": _SGD,
    f"{_SL}.dynamics.hessian_normalised": _SGD,
    f"{_SL}.dynamics.HessianNormalised": _SGD,
    f"{_SL}.dynamics.gibbs_learning_rates": _SGD,
    f"{_SL}.dynamics.simulate_sgd": ["mandt2017", "flegal2010"],
    f"{_SL}.dynamics.SGDSimulation": ["mandt2017", "flegal2010"],
    f"{_SL}.dynamics.QuadraticProblem": ["mandt2017"],
    f"{_SL}.dynamics.langevin": _LANGEVIN,
    f"{_SL}.dynamics.LangevinRun": _LANGEVIN,
    f"{_SL}.dynamics.least_squares": ["pallister2023", "hoerl1970"],
    f"{_SL}.dynamics.LeastSquaresFit": ["pallister2023", "hoerl1970"],
    f"{_SL}.dynamics.gradient_flow": ["pallister2023", "ali2019"],
    f"{_SL}.dynamics.GradientFlow": ["pallister2023", "ali2019"],
    f"{_SL}.dynamics.gradient_descent": ["pallister2023", "nesterov2018"],
    f"{_SL}.dynamics.GradientDescentRun": ["pallister2023", "nesterov2018"],
    f"{_SL}.dynamics.stability_bound": ["nesterov2018", "pallister2023"],
    f"{_SL}.dynamics.gradient_flow_test_error": ["marchenko1967", "hastie2022", "ali2019", "advani2020"],
    # gaussian helpers
    f"{_SL}.gaussian.activation_moments": ["mei2022", "goldt2022"],
}

#: Reproduction name -> registry keys (the papers whose figures it reproduces).
REPRODUCTIONS: dict[str, list[str]] = {
    "gardner": ["gardner1988", "gardner1988derrida", "krauth1989", "cover1965"],
    "cover": ["cover1965"],
    "teacher-student": ["seung1992", "engel2001", "aubin2020", "barbier2019", "rangan2011", "zdeborova2016"],
    "binary-perceptron": ["gyorgyi1990", "barbier2019", "rangan2011", "zdeborova2016"],
    "compressed-sensing": ["krzakala2012prx", "krzakala2012jstat", "barbier2019", "donoho2009", "rangan2011", "wu2012"],
    "perceptron-rules": ["biehl1995", "engel2001"],
    "saad-solla": ["saad1995pre", "saad1995prl", "biehl1996"],
    "overparametrization": ["goldt2019", "saad1995pre"],
    "sk-tap": ["thouless1977", "sherrington1975", "plefka1982", "dealmeida1978", "bolthausen2014"],
    "rbm-tap": ["gabrie2015", "hinton2002", "tieleman2008", "thouless1977", "plefka1982", "alpaydin1998"],
    "rbm-vs-rg": ["burns2021", "mehta2014"],
    "reweighting": ["zwanzig1954", "kish1965", "owen2013"],
    "sgd-temperature": ["mandt2017", "mcallester2020"],
    "double-descent": ["mei2022", "gerace2020", "loureiro2021", "rahimi2007"],
    "structured-data": ["gerace2020", "loureiro2021", "aubin2020"],
    "real-data": ["loureiro2021", "alpaydin1998"],
    "committee": ["aubin2018", "schwarze1993"],
}

# =========================================================================== usage tracking
#: objects (functions, classes) used in this process, in order of first use
_USED: dict[Any, None] = {}


def _cites(obj: _T) -> _T:
    """Record every use of ``obj`` (a function: each call; a class: each construction) for :func:`cite`.

    The references themselves live in :data:`REFERENCES`, under the object's public name.
    A function is wrapped (``functools.wraps``: same name, signature and pickling); a class
    keeps its identity and gets its ``__init__`` wrapped, recording the instance's class.
    """
    if isinstance(obj, type):
        cls: type[Any] = obj  # the class object itself: its __init__ is read, not an instance's
        init = cls.__init__

        @functools.wraps(init)
        def __init__(self, *args, **kwargs):
            _USED.setdefault(type(self), None)
            init(self, *args, **kwargs)

        obj.__init__ = __init__  # type: ignore[misc]
        obj._cites_tracked = True  # type: ignore[attr-defined]
        return obj

    @functools.wraps(obj)  # type: ignore[arg-type]
    def wrapper(*args, **kwargs):
        _USED.setdefault(wrapper, None)
        return obj(*args, **kwargs)

    wrapper._cites_tracked = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _reset_usage() -> None:
    """Forget the objects used so far (for tests)."""
    _USED.clear()


# =========================================================================== lookup
def _resolve(name: str) -> Any:
    """The object at dotted path ``name`` (attributes first, then submodules); AttributeError/ImportError if none."""
    parts = name.split(".")
    obj: Any = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[: i + 1]))
    return obj


def _index() -> dict[int, tuple[Any, list[str]]]:
    """id(object) -> (object, keys) for every resolvable name of :data:`REFERENCES`."""
    out: dict[int, tuple[Any, list[str]]] = {}
    for name, keys in REFERENCES.items():
        try:
            obj = _resolve(name)
        except (AttributeError, ImportError):
            continue
        out[id(obj)] = (obj, keys)
    return out


def _object_keys(obj: Any, index: dict[int, tuple[Any, list[str]]]) -> list[str] | None:
    """Registry keys of a function, class (or its nearest registered base), instance or bound method."""
    hit = index.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    if isinstance(obj, types.MethodType):  # a bound method: the keys of its instance's class
        return _object_keys(obj.__self__, index)
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.ModuleType)):
        return None
    cls = obj if isinstance(obj, type) else type(obj)
    for base in cls.__mro__:
        hit = index.get(id(base))
        if hit is not None and hit[0] is base:
            return hit[1]
    return None


def _safe_resolve(name: str) -> Any:
    try:
        return _resolve(name)
    except (AttributeError, ImportError):
        return None


def _describe(obj: Any) -> str:
    qual = getattr(obj, "__qualname__", None)
    mod = getattr(obj, "__module__", None)
    return f"{mod}.{qual}" if qual and mod else repr(obj)


def _keys_of(obj: Any) -> list[str]:
    """Registry keys for :func:`cite`'s argument (see there); ValueError if it has none."""
    if isinstance(obj, str):
        if obj in REPRODUCTIONS:
            return list(REPRODUCTIONS[obj])
        if obj in REFERENCES:
            return list(REFERENCES[obj])
        if obj in ENTRIES:
            return [obj]
        target = _safe_resolve(obj) if obj.split(".")[0] == "statmech_learn" else None
        if target is None:
            raise ValueError(
                f"obj must be a reproduction name ({', '.join(REPRODUCTIONS)}), a BibTeX key of "
                f"statmech_learn.citations.ENTRIES or a qualified name such as "
                f"'statmech_learn.capacity.gardner_capacity', got {obj!r}"
            )
        return _keys_of(target)
    if isinstance(obj, types.ModuleType):
        prefix = obj.__name__ + "."
        keys: list[str] = []
        for name, ks in REFERENCES.items():
            module = str(getattr(_safe_resolve(name), "__module__", ""))
            if name.startswith(prefix) or module == obj.__name__ or module.startswith(prefix):
                keys.extend(ks)
        if not keys:
            raise ValueError(f"obj: no references registered under module {obj.__name__!r}")
        return keys
    from .reproduce.base import Reproduction, ReproductionResult

    if isinstance(obj, (Reproduction, ReproductionResult)):
        return _keys_of(obj.name)
    found = _object_keys(obj, _index())
    if found is None:
        raise ValueError(f"obj: no references registered for {_describe(obj)}")
    return list(found)


def cite(obj: Any = None, *, format: str = "bibtex") -> str:
    """BibTeX for the papers behind the library's functions.

    Parameters
    ----------
    obj : None, function, class, instance, module or str
        None (default): the entries of every decorated function and class used so far in this
        process (called, or constructed), in order of first use; an empty string if none was.
        A public function or class: its entries (a class not registered itself gets those of
        its nearest registered base; an instance those of its class).  A module: the entries of
        everything registered under it.  A str: a reproduction name (``"gardner"``, see
        ``statmech-learn list``), a BibTeX key of :data:`ENTRIES`, or a qualified name
        (``"statmech_learn.replica.solve"``).
    format : {'bibtex', 'keys'}
        'bibtex': the entries separated by blank lines; 'keys': the keys joined by commas,
        ready for ``\\cite{...}``.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``obj`` is unknown or has no registered references, or ``format`` is not one of the two.

    Examples
    --------
    >>> from statmech_learn import cite
    >>> cite("saad-solla", format="keys")
    'saad1995pre,saad1995prl,biehl1996'
    """
    if not isinstance(format, str) or format not in ("bibtex", "keys"):
        raise ValueError(f"format must be 'bibtex' or 'keys', got {format!r}")
    if obj is None:
        index = _index()
        keys: list[str] = []
        for used in list(_USED):
            found = _object_keys(used, index)
            if found is not None:
                keys.extend(found)
    else:
        keys = _keys_of(obj)
    keys = list(dict.fromkeys(keys))
    if format == "keys":
        return ",".join(keys)
    return "\n\n".join(ENTRIES[k] for k in keys) + "\n" if keys else ""
