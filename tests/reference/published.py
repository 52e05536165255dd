"""Published numbers the tests check against, each with its source."""

# Cover (1965), IEEE Trans. Electron. Comput. EC-14, 326; Gardner (1988),
# J. Phys. A 21, 257: spherical perceptron capacity at zero margin.
ALPHA_C_SPHERICAL_K0 = 2.0

# Gardner (1988), eq. (16): alpha_c(kappa) = 1 / int_{-kappa}^inf Dt (t + kappa)^2,
# evaluated at kappa = 0.5 (value quoted to 10 digits, e.g. Engel & Van den
# Broeck, Statistical Mechanics of Learning, 2001, fig. 6.1 data).
ALPHA_C_SPHERICAL_K05 = 0.9612050528

# Krauth & Mezard (1989), J. Phys. France 50, 3057: zero-entropy point of the RS
# solution for +-1 weights at kappa = 0; quoted as 0.833078599 by Ding & Sun,
# "Capacity lower bound for the Ising perceptron", arXiv:1809.07742, and by
# Huang, "Capacity threshold for the Ising perceptron", arXiv:2404.18902.
ALPHA_C_BINARY_K0 = 0.8330786

# Gardner & Derrida (1988), J. Phys. A 21, 271: RS load where q -> 1 for +-1 weights.
ALPHA_GD_BINARY_K0 = 4.0 / 3.141592653589793

# log H(40) = log(erfc(40/sqrt 2)/2), closed-form value computed with mpmath at 50 digits in the test.

# Teacher-student perceptron, Gaussian (spherical) teacher, sign channel, large alpha:
# Bayes-optimal eps_g ~ 0.442/alpha and Gibbs learning (T = 0) eps_g ~ 0.625/alpha
# (Opper & Haussler 1991, PRL 66, 2677; Engel & Van den Broeck 2001, ch. 3, eqs. 3.23 and 3.31).
BAYES_EPS_ALPHA = 0.442
GIBBS_EPS_ALPHA = 0.625

# Binary teacher and student, sign channel, Bayes-optimal: first-order transition to perfect
# generalisation at alpha_it = 1.245 (Gyorgyi 1990, PRA 41, 7097; Sompolinsky, Tishby & Seung 1990)
# and the AMP (state-evolution) spinodal at alpha = 1.493 (Barbier, Krzakala, Macris, Miolane &
# Zdeborova 2019, PNAS 116, 5451, sec. "Perceptron").
ALPHA_IT_BINARY_PERCEPTRON = 1.245
ALPHA_SPINODAL_BINARY_PERCEPTRON = 1.493
