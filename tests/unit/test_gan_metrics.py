"""Sample-quality metrics of the GAN study against hand-computed values."""

import math

import numpy as np
import pytest
import torch

from dlrepro.gan.metrics import class_coverage, feature_stats, frechet_distance, inception_score, linear_probe


def test_frechet_distance_of_diagonal_gaussians_matches_the_hand_computed_value():
    # |mu1 - mu2|^2 = 3^2 + 4^2 = 25; tr(C1 + C2 - 2 (C1 C2)^1/2) = (1 + 4 - 2*2) + (4 + 9 - 2*6) = 1 + 1
    fd = frechet_distance(np.zeros(2), np.diag([1.0, 4.0]), np.array([3.0, 4.0]), np.diag([4.0, 9.0]))
    assert fd == pytest.approx(27.0, abs=1e-9)


def test_frechet_distance_is_zero_for_equal_gaussians_and_rotation_invariant():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 5))
    cov1, cov2 = a @ a.T + np.eye(5), np.diag(rng.uniform(0.5, 2, size=5))
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    assert frechet_distance(mu1, cov1, mu1, cov1) == pytest.approx(0.0, abs=1e-8)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))  # the same rotation of both Gaussians
    rotated = frechet_distance(q @ mu1, q @ cov1 @ q.T, q @ mu2, q @ cov2 @ q.T)
    assert rotated == pytest.approx(frechet_distance(mu1, cov1, mu2, cov2), rel=1e-8)


def test_feature_stats_are_the_mean_and_unbiased_covariance():
    f = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]])
    mu, cov = feature_stats(f)
    np.testing.assert_allclose(mu, [2.0, 4.0])
    np.testing.assert_allclose(cov, [[4.0, 7.0], [7.0, 13.0]])


def test_inception_score_ranges_from_one_to_the_number_of_classes():
    confident_and_diverse = np.eye(10)[np.arange(100) % 10]
    assert inception_score(confident_and_diverse) == pytest.approx(10.0, rel=1e-6)
    one_class = np.tile(np.eye(10)[3], (50, 1))
    assert inception_score(one_class) == pytest.approx(1.0, rel=1e-6)
    unsure = np.full((20, 10), 0.1)
    assert inception_score(unsure) == pytest.approx(1.0, rel=1e-6)


def test_class_coverage_and_its_kl_to_uniform():
    probs = np.eye(10)[[0, 0, 1, 1]]  # half class 0, half class 1
    share, kl = class_coverage(probs)
    np.testing.assert_allclose(share, [0.5, 0.5] + [0.0] * 8)
    assert kl == pytest.approx(math.log(5.0))  # 2 * 0.5 * log(0.5 * 10)
    assert class_coverage(np.eye(10))[1] == pytest.approx(0.0)


def test_linear_probe_separates_linearly_separable_classes():
    torch.manual_seed(0)
    y = torch.arange(400) % 10
    centres = torch.randn(10, 5) * 5
    x = centres[y] + torch.randn(400, 5) * 0.1
    assert linear_probe(x[:300], y[:300], x[300:], y[300:], steps=50) > 0.95
