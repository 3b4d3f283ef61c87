"""Sample distances: against scipy where it has the same quantity, against closed forms on known cases."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import linalg, stats
from scipy.spatial.distance import cdist, pdist

from playground.models import metrics


# -- energy distance -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, m", [(1, 1), (5, 3), (200, 350)])
def test_energy_distance_matches_scipy_in_one_dimension(n, m):
    rng = np.random.default_rng(n + m)
    x, y = rng.normal(0, 1, n), rng.standard_t(3, m) + 0.4
    x[: n // 3] = np.round(x[: n // 3], 1)              # ties are fine too
    assert metrics.energy_distance(x, y) == pytest.approx(stats.energy_distance(x, y), rel=1e-10, abs=1e-12)
    assert metrics.energy_distance(x[:, None], y[:, None]) == pytest.approx(stats.energy_distance(x, y), rel=1e-10)


def test_energy_distance_between_two_points_and_its_invariances():
    a, b = np.array([[1.0, 2.0]]), np.array([[4.0, -2.0]])           # |a − b| = 5
    assert metrics.energy_distance(a, b) == pytest.approx(math.sqrt(2 * 5))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(200, 2)) * [2.0, 0.5]
    d = metrics.energy_distance(x, y)
    assert metrics.energy_distance(x, x) == 0.0
    assert metrics.energy_distance(y, x) == pytest.approx(d)
    angle = 0.7
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    assert metrics.energy_distance(x @ rotation.T + 3, y @ rotation.T + 3) == pytest.approx(d)
    assert metrics.energy_distance(4 * x, 4 * y) == pytest.approx(2 * d)        # √(length): scale 4 → ×2
    within = metrics.mean_pairwise_distance(y, y)
    assert within == pytest.approx(cdist(y, y).mean())
    assert metrics.energy_distance(x, y, within_y=within) == pytest.approx(d)


def test_energy_distance_grows_with_the_gap_between_distributions():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 2))
    distances = [metrics.energy_distance(x, rng.normal(size=(500, 2)) + [shift, 0]) for shift in (0, 0.5, 1, 2, 4)]
    assert distances[0] < 0.15 and all(np.diff(distances) > 0)


# -- MMD with an RBF kernel ----------------------------------------------------------------------------------------

def test_mmd_matches_a_direct_double_sum():
    rng = np.random.default_rng(2)
    x, y, h = rng.normal(size=(7, 3)), rng.normal(size=(5, 3)) + 0.3, 1.3

    def k(a, b):
        return math.exp(-np.sum((a - b) ** 2) / (2 * h * h))

    def mean_k(a, b):
        return np.mean([[k(p, q) for q in b] for p in a])

    expected = mean_k(x, x) + mean_k(y, y) - 2 * mean_k(x, y)
    assert metrics.mmd_rbf(x, y, bandwidth=h) == pytest.approx(expected, rel=1e-12)
    assert metrics.mmd_rbf(x, x, bandwidth=h) == 0.0


def test_median_bandwidth_is_the_median_pooled_distance():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(30, 2))
    assert metrics.median_bandwidth(x, y) == pytest.approx(np.median(pdist(np.concatenate([x, y]))))


def test_mmd_of_two_gaussians_approaches_its_closed_form():
    """For N(a, s²I) against N(b, s²I) in D dimensions and k = exp(−|u − v|²/2h²):
    MMD² = 2 (h²/(h² + 2s²))^{D/2} (1 − exp(−|a − b|² / 2(h² + 2s²)))."""
    rng = np.random.default_rng(4)
    s, h, a, b = 1.0, 1.5, np.zeros(2), np.array([1.2, 0.0])
    x, y = a + s * rng.normal(size=(2000, 2)), b + s * rng.normal(size=(2000, 2))
    v = h * h + 2 * s * s
    exact = 2 * (h * h / v) * (1 - math.exp(-np.sum((a - b) ** 2) / (2 * v)))
    # V-statistics add about (1 − E k)(1/n + 1/m) ≈ 0.0006 here; sampling noise is of the same size.
    assert metrics.mmd_rbf(x, y, bandwidth=h) == pytest.approx(exact, abs=0.01)
    assert metrics.mmd_rbf(x, a + s * rng.normal(size=(2000, 2)), bandwidth=h) < 0.003


# -- Fréchet distance of fitted Gaussians -------------------------------------------------------------------------

def test_frechet_distance_closed_forms():
    assert metrics.gaussian_frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + (2 - 3) ** 2)
    # Diagonal (commuting) covariances: Σ (√a − √b)².
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    expected = 1.0 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert metrics.gaussian_frechet_distance([0, 0, 1], np.diag(a), [0, 0, 0], np.diag(b)) == pytest.approx(expected)


def test_frechet_distance_matches_the_sqrtm_formula():
    """FID's usual recipe, ‖Δμ‖² + Tr(Σ₁ + Σ₂ − 2 sqrtm(Σ₁Σ₂)), on random full covariances."""
    rng = np.random.default_rng(5)
    for d in (1, 2, 4):
        A, B = rng.normal(size=(d, d)), rng.normal(size=(d, d))
        cov1, cov2 = A @ A.T + 0.1 * np.eye(d), B @ B.T + 0.1 * np.eye(d)
        mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
        reference = np.sum((mu1 - mu2) ** 2) + np.trace(cov1 + cov2 - 2 * linalg.sqrtm(cov1 @ cov2).real)
        assert metrics.gaussian_frechet_distance(mu1, cov1, mu2, cov2) == pytest.approx(reference, rel=1e-8)


def test_frechet_distance_of_samples_sees_only_mean_and_covariance():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(500, 2)), rng.normal(size=(300, 2)) * [1.0, 3.0] + 1
    expected = metrics.gaussian_frechet_distance(x.mean(0), np.cov(x.T, bias=True), y.mean(0), np.cov(y.T, bias=True))
    assert metrics.frechet_distance(x, y) == pytest.approx(expected)
    # A ring and a Gaussian with the same mean and covariance: very different shapes, Fréchet distance ≈ 0,
    # while the energy distance sees the difference.
    angle = rng.uniform(0, 2 * math.pi, 2000)
    ring = math.sqrt(2) * np.c_[np.cos(angle), np.sin(angle)]           # covariance I
    gaussian = rng.normal(size=(2000, 2))
    assert metrics.frechet_distance(ring, gaussian) < 0.01
    assert metrics.energy_distance(ring, gaussian) > 5 * metrics.energy_distance(gaussian, rng.normal(size=(2000, 2)))


def test_frechet_distance_of_degenerate_clouds_is_real_and_finite():
    line = np.c_[np.arange(10.0), 2 * np.arange(10.0)]                   # covariance of rank 1
    assert metrics.frechet_distance(line, line) == pytest.approx(0.0, abs=1e-9)
    assert metrics.frechet_distance(line, line + [1.0, 0.0]) == pytest.approx(1.0, abs=1e-9)
    assert metrics.frechet_distance(np.zeros((3, 2)), np.ones((1, 2))) == pytest.approx(2.0)


# -- input checks --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [metrics.energy_distance, metrics.mmd_rbf, metrics.frechet_distance])
def test_bad_inputs_raise_clear_errors(fn):
    with pytest.raises(ValueError, match="same number of coordinates"):
        fn(np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="NaN"):
        fn(np.array([[0.0, np.nan]]), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="non-empty"):
        fn(np.zeros((0, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="non-empty"):
        fn(np.zeros((2, 2, 2)), np.zeros((3, 2)))


def test_bad_bandwidth_and_shapes_raise():
    with pytest.raises(ValueError, match="bandwidth"):
        metrics.mmd_rbf(np.zeros((2, 1)), np.ones((2, 1)), bandwidth=0)
    with pytest.raises(ValueError, match="covariances"):
        metrics.gaussian_frechet_distance([0, 0], np.eye(3), [0, 0], np.eye(2))


def test_sums_taken_in_blocks_equal_one_big_sum(monkeypatch):
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(170, 2)) + 0.2
    whole = (metrics.energy_distance(x, y), metrics.mmd_rbf(x, y, bandwidth=0.8))
    monkeypatch.setattr(metrics, "BLOCK_PAIRS", 1000)                   # 5 rows of x at a time
    assert (metrics.energy_distance(x, y), metrics.mmd_rbf(x, y, bandwidth=0.8)) == pytest.approx(whole, rel=1e-12)


def test_median_bandwidth_of_a_large_pool_uses_an_even_thinning():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(1500, 2)), rng.normal(size=(1500, 2))
    exact = np.median(pdist(np.concatenate([x, y])))
    assert metrics.median_bandwidth(x, y) == pytest.approx(exact, rel=0.03)


# -- precision and recall (k-nearest-neighbour supports) -----------------------------------------------------------

def brute_force_precision_recall(generated: np.ndarray, data: np.ndarray, k: int) -> tuple[float, float]:
    """The definition of Kynkäänniemi et al. (2019), written out with loops: a point is covered by a cloud if it lies
    within some member's distance to that member's k-th nearest other member."""
    def radii(cloud):
        return [sorted(math.dist(p, q) for j, q in enumerate(cloud) if j != i)[k - 1] for i, p in enumerate(cloud)]

    def share_covered(points, cloud):
        r = radii(cloud)
        return np.mean([any(math.dist(p, c) <= r[j] for j, c in enumerate(cloud)) for p in points])

    return share_covered(generated, data), share_covered(data, generated)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_recall_matches_the_definition_written_with_loops(k):
    rng = np.random.default_rng(k)
    data = rng.normal(size=(40, 2))
    generated = np.concatenate([rng.normal(size=(25, 2)) * 0.5 + [1.0, 0.0], rng.uniform(-4, 4, (10, 2))])
    generated[:3] = data[:3]                                              # points shared by both clouds
    expected = brute_force_precision_recall(generated, data, k)
    assert metrics.precision_recall(generated, data, k=k) == pytest.approx(expected, abs=1e-12)


def test_knn_radii_are_the_kth_smallest_distance_to_another_point():
    rng = np.random.default_rng(9)
    points = np.round(rng.normal(size=(30, 3)), 1)
    points[5] = points[6]                                                 # a duplicate is a neighbour at distance 0
    distances = cdist(points, points)
    np.fill_diagonal(distances, np.inf)
    for k in (1, 2, 4):
        np.testing.assert_allclose(metrics.knn_radii(points, k), np.sort(distances, axis=1)[:, k - 1], rtol=1e-12)
    assert metrics.knn_radii(points, 1)[5] == 0.0


def test_precision_and_recall_separate_quality_from_coverage():
    rng = np.random.default_rng(10)
    two_modes = np.concatenate([rng.normal(size=(300, 2)) * 0.3 - [3, 0], rng.normal(size=(300, 2)) * 0.3 + [3, 0]])
    same = np.concatenate([rng.normal(size=(300, 2)) * 0.3 - [3, 0], rng.normal(size=(300, 2)) * 0.3 + [3, 0]])
    collapsed = rng.normal(size=(600, 2)) * 0.3 - [3, 0]                  # one mode only: realistic, half the data
    noise = rng.uniform(-6, 6, (600, 2))                                  # everywhere: covers a lot, mostly unreal
    good = metrics.precision_recall(same, two_modes)
    assert good.precision > 0.9 and good.recall > 0.9
    one_mode = metrics.precision_recall(collapsed, two_modes)
    assert one_mode.precision > 0.9 and 0.4 < one_mode.recall < 0.55
    spray = metrics.precision_recall(noise, two_modes)
    assert spray.precision < 0.2 and spray.recall > one_mode.recall
    assert metrics.precision_recall(two_modes, two_modes) == (1.0, 1.0)
    assert metrics.precision_recall(two_modes + 100, two_modes) == (0.0, 0.0)


def test_ball_membership_in_blocks_equals_one_block(monkeypatch):
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=(200, 2)), rng.normal(size=(150, 2)) + 0.3
    whole = metrics.precision_recall(x, y)
    monkeypatch.setattr(metrics, "BLOCK_PAIRS", 700)                     # 4 rows at a time
    assert metrics.precision_recall(x, y) == whole


def test_precision_recall_rejects_bad_k_and_clouds_too_small():
    cloud = np.random.default_rng(12).normal(size=(5, 2))
    for k in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="whole number"):
            metrics.precision_recall(cloud, cloud, k=k)
    with pytest.raises(ValueError, match="more than 5 points"):
        metrics.precision_recall(cloud, cloud, k=5)
    with pytest.raises(ValueError, match="same number of coordinates"):
        metrics.precision_recall(cloud, cloud[:, :1])
    with pytest.raises(ValueError, match="one radius per centre"):
        metrics.inside_balls(cloud, cloud, np.ones(4))
