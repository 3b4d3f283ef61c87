"""GaussianMixture and GMMTrainer: EM's guarantees, agreement with scipy and scikit-learn, sampling, degenerate data."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats
from scipy.special import logsumexp

from playground.models.base import run
from playground.models.gmm import COVARIANCE_TYPES, INITS, GaussianMixture, GMMTrainer, component_log_pdf


def blobs(n=300, seed=0, d=2, centres=None, scale=0.6):
    """Points from well-separated round clusters, and their true labels."""
    rng = np.random.default_rng(seed)
    centres = np.array(centres if centres is not None else [[-4, -2], [4, -2], [0, 4]], dtype=float)[:, :d]
    labels = rng.integers(len(centres), size=n)
    return centres[labels] + scale * rng.standard_normal((n, d)), labels


def non_decreasing(values, slack=1e-10):
    """No value below the previous one by more than ``slack`` relative.

    EM itself never lowers the likelihood. With reg_covar > 0, a component with no width in some direction is held
    at reg_covar there, which is not the exact maximiser of the M-step, so on degenerate data the curve may dip by
    about 1e-7 relative (scikit-learn dips identically); degenerate cases therefore get slack=1e-6.
    """
    values = np.asarray(values)
    return bool(np.all(np.diff(values) >= -slack * (1 + np.abs(values[1:]))))


def snapshots_equal(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            if not np.array_equal(x, y):
                return False
        elif x != y:
            return False
    return True


# -- EM never lowers the likelihood -------------------------------------------------------------------------------

@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_em_never_lowers_the_log_likelihood(covariance_type, init, seed):
    X, _ = blobs(200, seed=seed, scale=1.5)  # overlapping, so EM takes many small steps
    gmm = GaussianMixture(4, covariance_type=covariance_type, init=init, tol=1e-9, max_iter=300, seed=seed).fit(X)
    assert gmm.n_iter_ == len(gmm.lower_bounds_) >= 2
    assert non_decreasing(gmm.lower_bounds_)
    assert gmm.lower_bound_ == gmm.lower_bounds_[-1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_em_never_lowers_the_log_likelihood_on_arbitrary_data(data):
    n_features = data.draw(st.integers(1, 3))
    n_points = data.draw(st.integers(1, 40))
    # Values on a coarse grid: duplicates, collinear points and fewer distinct points than components all occur.
    grid = data.draw(hnp.arrays(np.int8, (n_points, n_features), elements=st.integers(-6, 6)))
    X = grid * data.draw(st.sampled_from([0.5, 1.0, 30.0]))
    n_components = data.draw(st.integers(1, min(4, n_points)))
    gmm = GaussianMixture(n_components, covariance_type=data.draw(st.sampled_from(COVARIANCE_TYPES)),
                          init=data.draw(st.sampled_from(INITS)), tol=1e-8, max_iter=60,
                          seed=data.draw(st.integers(0, 10))).fit(X)
    for value in (gmm.weights_, gmm.means_, gmm.covariances_, gmm.precisions_cholesky_, gmm.lower_bounds_):
        assert np.isfinite(value).all()
    assert non_decreasing(gmm.lower_bounds_, slack=1e-6)
    assert np.allclose(gmm.predict_proba(X).sum(axis=1), 1.0)


# -- the numbers are right -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_densities_agree_with_scipy(covariance_type):
    X, _ = blobs(150, seed=4, d=3, centres=[[0, 0, 0], [3, 1, -2]], scale=1.0)
    gmm = GaussianMixture(2, covariance_type=covariance_type, max_iter=5).fit(X)
    covariances = gmm.full_covariances()
    per_component = np.array([stats.multivariate_normal(m, c).logpdf(X) for m, c in zip(gmm.means_, covariances)])
    assert np.allclose(component_log_pdf(X, gmm.means_, covariances), per_component, rtol=1e-10, atol=1e-10)
    expected = logsumexp(np.log(gmm.weights_)[:, None] + per_component, axis=0)
    assert np.allclose(gmm.score_samples(X), expected, rtol=1e-10, atol=1e-10)
    assert gmm.score(X) == pytest.approx(expected.mean(), rel=1e-12)
    resp = gmm.predict_proba(X)
    assert np.allclose(resp.sum(axis=1), 1.0)
    assert np.allclose(resp, np.exp(np.log(gmm.weights_)[:, None] + per_component - expected).T)
    assert np.array_equal(gmm.predict(X), resp.argmax(axis=1))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_matches_scikit_learn_from_the_same_start(covariance_type):
    mixture = pytest.importorskip("sklearn.mixture")
    X, _ = blobs(400, seed=5, scale=0.8)
    start = GaussianMixture(3, covariance_type=covariance_type, seed=5)
    start.initialize(X)
    covariances = start.covariances_
    precisions = np.linalg.inv(covariances) if covariance_type in ("full", "tied") else 1.0 / covariances
    theirs = mixture.GaussianMixture(3, covariance_type=covariance_type, tol=1e-10, max_iter=500,
                                     weights_init=start.weights_, means_init=start.means_,
                                     precisions_init=precisions).fit(X)
    ours = GaussianMixture(3, covariance_type=covariance_type, tol=1e-10, max_iter=500, seed=5).fit(X)
    assert theirs.converged_ and ours.converged_
    assert ours.n_iter_ == theirs.n_iter_
    assert np.allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-6, atol=0)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=1e-6)
    assert np.allclose(ours.means_, theirs.means_, atol=1e-5)
    assert np.allclose(ours.weights_, theirs.weights_, atol=1e-6)
    assert np.allclose(ours.covariances_, theirs.covariances_, atol=1e-5)
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=1e-6)
    assert ours.aic(X) == pytest.approx(theirs.aic(X), rel=1e-6)
    assert np.allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)


def test_stepping_by_hand_reproduces_fit():
    X, _ = blobs(200, seed=6)
    fitted = GaussianMixture(3, tol=0.0, max_iter=8, seed=2).fit(X)
    by_hand = GaussianMixture(3, seed=2)
    by_hand.initialize(X)
    lower_bounds = []
    for _ in range(8):
        resp, log_likelihood = by_hand.e_step(X)
        assert resp.shape == (200, 3)
        by_hand.m_step(X, resp)
        lower_bounds.append(log_likelihood)
    assert np.allclose(lower_bounds, fitted.lower_bounds_, rtol=1e-13)
    assert np.allclose(by_hand.means_, fitted.means_, rtol=1e-12)


def test_fit_recovers_a_known_mixture():
    rng = np.random.default_rng(7)
    weights, means = np.array([0.5, 0.3, 0.2]), np.array([[-5.0, 0.0], [5.0, 0.0], [0.0, 6.0]])
    labels = rng.choice(3, size=6000, p=weights)
    X = means[labels] + rng.standard_normal((6000, 2))
    gmm = GaussianMixture(3, seed=1).fit(X)
    order = np.argsort(gmm.means_[:, 0] + 0.1 * gmm.means_[:, 1])  # sort as (-5, 0), (0, 6), (5, 0)
    assert np.allclose(gmm.weights_[order], weights[[0, 2, 1]], atol=4 * np.sqrt(0.25 / 6000))
    assert np.allclose(gmm.means_[order], means[[0, 2, 1]], atol=0.1)
    assert np.allclose(gmm.covariances_[order], np.eye(2), atol=0.15)


# -- sampling ------------------------------------------------------------------------------------------------------

def test_samples_follow_the_mixture():
    X, _ = blobs(500, seed=8, centres=[[-3, 0], [3, 1]], scale=[[1.0, 0.5]])
    gmm = GaussianMixture(2, seed=3).fit(X)
    points, labels = gmm.sample(20000)
    assert points.shape == (20000, 2) and labels.shape == (20000,)
    counts = np.bincount(labels, minlength=2)
    assert stats.chisquare(counts, 20000 * gmm.weights_).pvalue > 1e-4
    for k in range(2):
        mine = points[labels == k]
        standard_error = np.sqrt(np.diag(gmm.covariances_[k]) / len(mine))
        assert np.all(np.abs(mine.mean(axis=0) - gmm.means_[k]) < 5 * standard_error)
        assert np.allclose(np.cov(mine.T), gmm.covariances_[k], atol=0.06)


def test_one_dimensional_samples_pass_a_kolmogorov_smirnov_test():
    rng = np.random.default_rng(9)
    X = np.concatenate([rng.normal(163, 7, 300), rng.normal(177, 7, 300)])[:, None]
    gmm = GaussianMixture(2, seed=0).fit(X)
    sd = np.sqrt(gmm.covariances_[:, 0, 0])

    def cdf(x):
        return (gmm.weights_ * stats.norm.cdf((np.asarray(x)[:, None] - gmm.means_[:, 0]) / sd)).sum(axis=1)

    points, _ = gmm.sample(5000)
    assert stats.kstest(points[:, 0], cdf).pvalue > 1e-3


def test_sampling_uses_the_models_own_generator():
    X, _ = blobs(100)
    a, b = GaussianMixture(3, seed=4).fit(X), GaussianMixture(3, seed=4).fit(X)
    first, second = a.sample(10), a.sample(10)
    assert not np.array_equal(first[0], second[0])           # the Generator moves on
    assert np.array_equal(first[0], b.sample(10)[0])         # and is the model's, seeded by its seed
    assert np.array_equal(second[0], b.sample(10)[0])


# -- degenerate and invalid data -----------------------------------------------------------------------------------

DEGENERATE = {
    "fewer distinct points than components": np.repeat([[0.0, 0.0], [1.0, 1.0], [5.0, 2.0]], 4, axis=0),
    "all points identical": np.full((10, 2), 7.0),
    "collinear": np.c_[np.arange(20.0), 2 * np.arange(20.0) + 1],
    "collinear far from the origin": np.c_[np.arange(20.0), 2 * np.arange(20.0) + 1] + 1e4,
    "as many points as components": np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 1.0], [2.0, 2.0], [9.0, 9.0]]),
    "eight features on a plane": np.random.default_rng(0).normal(size=(100, 2)) @ np.ones((2, 8)),
}


@pytest.mark.parametrize("name", DEGENERATE)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_degenerate_data_gives_finite_results(name, covariance_type):
    X = DEGENERATE[name]
    for init in INITS:
        gmm = GaussianMixture(5, covariance_type=covariance_type, init=init, max_iter=50).fit(X)
        for value in (gmm.weights_, gmm.means_, gmm.covariances_, gmm.precisions_cholesky_, gmm.lower_bounds_,
                      gmm.score_samples(X), gmm.sample(20)[0]):
            assert np.isfinite(value).all()
        assert non_decreasing(gmm.lower_bounds_, slack=1e-6)
        assert np.allclose(gmm.predict_proba(X).sum(axis=1), 1.0)


def test_what_was_done_is_written_down():
    X = DEGENERATE["fewer distinct points than components"]
    notes = " ".join(GaussianMixture(5).fit(X).notes_)
    assert "no points left" in notes and "collapsed onto a single point" in notes and "reg_covar" in notes
    notes = " ".join(GaussianMixture(2, reg_covar=0.0).fit(X).notes_)
    assert "widened" in notes
    notes = " ".join(GaussianMixture(1).fit(DEGENERATE["collinear"]).notes_)
    assert "line" in notes


def test_an_emptied_component_is_re_seeded_without_lowering_the_likelihood():
    X, _ = blobs(300, seed=10, centres=[[0, 0], [6, 6]], scale=0.3)
    gmm = GaussianMixture(3, seed=0)
    gmm.initialize(X)
    gmm.means_ = gmm.means_.copy()
    gmm.means_[2] = [500.0, 500.0]  # so far away it explains nothing
    resp, before = gmm.e_step(X)
    note = gmm.m_step(X, resp)
    assert "Component 3 had no points left" in note
    assert any(np.array_equal(gmm.means_[2], x) for x in X)  # moved onto a data point
    assert gmm.weights_[2] < 1e-10 and np.isfinite(gmm.covariances_).all()
    _, after = gmm.e_step(X)
    assert after >= before


def test_zero_regularisation_keeps_a_collapsing_component_finite():
    X = np.r_[np.random.default_rng(1).normal(size=(30, 2)), [[8.0, 8.0]]]  # a lone point invites a collapse
    gmm = GaussianMixture(2, reg_covar=0.0, init="kmeans++", max_iter=200, seed=0).fit(X)
    assert np.isfinite(gmm.lower_bounds_).all() and np.isfinite(gmm.covariances_).all()
    assert np.linalg.eigvalsh(gmm.covariances_).min() > 0


@pytest.mark.parametrize("bad, words", [
    (np.array([[0.0, 1.0], [np.nan, 2.0], [1.0, 1.0]]), "NaN or infinite value(s), the first at X[1, 0]"),
    (np.array([[0.0, np.inf], [1.0, 2.0], [3.0, 1.0]]), "X[0, 1]"),
    (np.arange(6.0), "X.reshape(-1, 1)"),
    (np.zeros((2, 3, 2)), "must be 2-D"),
    ([["1", "2"], ["a", "b"], ["3", "4"]], "only numbers"),
    (np.ones((4, 2)) * 1j, "complex"),
    (np.empty((0, 2)), "no points"),
    (np.ones((2, 2)), "cannot fit 3 components to 2 point(s)"),
    ([[1.0, 2.0], [1.0], [2.0, 2.0]], "same number of columns"),
])
def test_invalid_X_raises_an_understandable_error(bad, words):
    with pytest.raises(ValueError) as error:
        GaussianMixture(3).fit(bad)
    assert words in str(error.value)


def test_invalid_settings_and_unfitted_use_raise():
    for settings_ in ({"n_components": 0}, {"covariance_type": "round"}, {"init": "kmeans"},
                      {"reg_covar": -1.0}, {"tol": float("nan")}, {"max_iter": 2.5}, {"seed": -1}):
        with pytest.raises(ValueError):
            GaussianMixture(**{"n_components": 2, **settings_})
    with pytest.raises(ValueError, match="call fit"):
        GaussianMixture(2).predict(np.zeros((3, 2)))
    gmm = GaussianMixture(2).fit(blobs(50)[0])
    with pytest.raises(ValueError, match="fitted on 2"):
        gmm.score(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="resp must have shape"):
        gmm.m_step(np.zeros((5, 2)), np.ones((5, 3)))


def test_same_seed_gives_identical_fits_and_any_dimension_works():
    for d in (1, 2, 5, 8):
        X, _ = blobs(120, seed=d, d=d, centres=np.tile([[-3.0], [3.0]], (1, 8)))
        a = GaussianMixture(2, init="random", seed=11).fit(X)
        b = GaussianMixture(2, init="random", seed=11).fit(X)
        assert a.means_.shape == (2, d)
        for name in ("weights_", "means_", "covariances_", "lower_bounds_"):
            assert np.array_equal(getattr(a, name), getattr(b, name))


def test_bic_prefers_the_true_number_of_components():
    X, _ = blobs(600, seed=12)
    bic = [GaussianMixture(k, seed=0).fit(X).bic(X) for k in range(1, 6)]
    assert int(np.argmin(bic)) + 1 == 3
    assert GaussianMixture(2).fit(X).n_parameters() == 1 + 4 + 6


# -- the trainer ---------------------------------------------------------------------------------------------------

def test_trainer_alternates_e_and_m_steps():
    X, _ = blobs(300, seed=13, scale=1.2)
    trainer = GMMTrainer(X, n_components=3, seed=1)
    start = trainer.snapshot()
    assert (start.phase_done, start.next_phase, start.n_iter) == ("init", "E", 0)
    assert start.resp.shape == (300, 3) and start.covariances.shape == (3, 2, 2)
    assert np.allclose(start.resp.sum(axis=1), 1.0)
    phases = []
    for _ in range(8):
        before = trainer.snapshot()
        trainer.step()
        after = trainer.snapshot()
        phases.append(after.phase_done)
        if after.phase_done == "E":  # parameters untouched, responsibilities recomputed from them
            assert np.array_equal(after.means, before.means) and after.n_iter == before.n_iter
            assert np.allclose(after.resp, trainer.gmm.predict_proba(X))
        else:                        # parameters moved, responsibilities still those the M-step used
            assert np.array_equal(after.resp, before.resp) and after.n_iter == before.n_iter + 1
            assert not np.allclose(after.means, before.means)
    assert phases == ["E", "M"] * 4
    final = trainer.snapshot()
    assert len(final.lower_bounds) == final.n_iter + 1 == 5
    assert non_decreasing(final.lower_bounds) and final.log_likelihood == final.lower_bounds[-1]


def test_trainer_buttons_keep_the_alternation_consistent():
    trainer = GMMTrainer(blobs(200, seed=14)[0], seed=0)
    trainer.m_step_only()  # straight after initialisation: the E-step must run first
    assert "E-step first" in trainer.note and trainer.phase_done == "M" and trainer.n_iter == 1
    trainer.m_step_only()  # M after M: the same
    assert "E-step first" in trainer.note and trainer.n_iter == 2
    trainer.e_step_only()
    trainer.m_step_only()
    assert "E-step first" not in trainer.note and trainer.n_iter == 3
    trainer.em_step()
    assert trainer.phase_done == "M" and trainer.next_phase == "E" and trainer.n_iter == 4
    assert non_decreasing(trainer.lower_bounds)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_trainer_converges_and_matches_fit(covariance_type):
    X, _ = blobs(300, seed=15)
    trainer = GMMTrainer(X, covariance_type=covariance_type, tol=1e-6, seed=2)
    steps = 0
    while not trainer.converged:
        trainer.step()
        steps += 1
        assert steps < 1000
    fitted = GaussianMixture(3, covariance_type=covariance_type, tol=1e-6, seed=2).fit(X)
    assert np.allclose(trainer.lower_bounds, fitted.lower_bounds_, rtol=1e-12)
    trainer.em_step()  # fit() also runs the M-step of the iteration that converged
    assert np.allclose(trainer.snapshot().means, fitted.means_, rtol=1e-12)


def test_trainer_same_seed_same_steps_identical_snapshot():
    X, _ = blobs(200, seed=16, scale=1.5)
    a, b = GMMTrainer(X, init="random", seed=5), GMMTrainer(X, init="random", seed=5)
    for _ in range(7):
        a.advance()
        b.advance()
    assert snapshots_equal(a.snapshot(), b.snapshot())
    a.reset()
    for _ in range(7):
        a.advance()
    assert snapshots_equal(a.snapshot(), b.snapshot())


def test_trainer_snapshot_is_a_copy():
    trainer = GMMTrainer(blobs(100)[0], covariance_type="tied", n_components=1)  # K = 1: transposes are contiguous
    snap = trainer.snapshot()
    for name in ("X", "resp", "weights", "means", "covariances", "lower_bounds"):
        value = getattr(snap, name)
        value += 1.0
        assert not np.array_equal(getattr(trainer.snapshot(), name), value)


def test_trainer_checkpoint_and_restore():
    trainer = GMMTrainer(blobs(150, seed=17)[0], seed=3)
    trainer.advance()
    saved, expected = trainer.checkpoint(), trainer.snapshot()
    for _ in range(5):
        trainer.advance()
    trainer.restore(saved)
    assert snapshots_equal(trainer.snapshot(), expected)
    for _ in range(5):
        trainer.advance()
    after_five = trainer.snapshot()
    trainer.restore(saved)
    for _ in range(5):
        trainer.advance()
    assert snapshots_equal(trainer.snapshot(), after_five)


def test_trainer_parameters_and_data():
    X, _ = blobs(200, seed=18)
    trainer = GMMTrainer(X, seed=0)
    for _ in range(4):
        trainer.step()
    trainer.set_params(tol=10.0)  # live: nothing restarts
    assert trainer.n_iter == 2 and trainer.converged
    before = trainer.snapshot()
    for bad in ({"n_components": 0}, {"covariance_type": "round"}, {"n_components": 500}, {"tol": -1.0},
                {"X": np.full((10, 2), np.nan)}, {"speed": 3}):
        with pytest.raises(ValueError):
            trainer.set_params(**bad)
        assert snapshots_equal(trainer.snapshot(), before)
    with pytest.raises(ValueError, match="NaN"):
        trainer.set_data(np.array([[0.0, np.nan]] * 5))
    assert snapshots_equal(trainer.snapshot(), before)

    trainer.set_params(n_components=4, covariance_type="diag")  # re-initialises
    snap = trainer.snapshot()
    assert (snap.n_components, snap.covariance_type, snap.phase_done, snap.n_iter) == (4, "diag", "init", 0)
    assert snap.weights.shape == (4,) and snap.covariances.shape == (4, 2, 2)

    more = np.r_[X, [[9.0, 9.0], [9.5, 9.0]]]
    trainer.em_step()
    kept = trainer.snapshot().means
    trainer.set_data(more, keep_parameters=True)  # clicked points enter the fit without starting again
    snap = trainer.snapshot()
    assert snap.X.shape == (202, 2) and snap.resp.shape == (202, 4) and np.array_equal(snap.means, kept)
    trainer.em_step()
    assert trainer.snapshot().n_iter == 1
    trainer.set_data(X)
    assert trainer.snapshot().phase_done == "init" and trainer.snapshot().X.shape == (200, 2)


def test_choose_k_finds_the_true_k_without_touching_the_trainer():
    X, _ = blobs(450, seed=19)
    trainer = GMMTrainer(X, n_components=2, seed=0)
    trainer.em_step()
    before = trainer.snapshot()
    job = trainer.choose_k(range(1, 7))
    progress = []
    while True:
        try:
            progress.append(next(job))
        except StopIteration as stop:
            result = stop.value
            break
    assert progress == [(k, k, 6) for k in range(1, 7)]
    assert list(result["k"]) == [1, 2, 3, 4, 5, 6]
    assert result["k"][np.argmin(result["bic"])] == 3
    assert np.all(np.isfinite(result["aic"])) and non_decreasing(result["log_likelihood"][:3])
    assert snapshots_equal(trainer.snapshot(), before)
    trainer.em_step()
    reference = GMMTrainer(X, n_components=2, seed=0)
    reference.em_step()
    reference.em_step()
    assert snapshots_equal(trainer.snapshot(), reference.snapshot())

    small = GMMTrainer(X[:4], n_components=1)
    job = small.choose_k(range(1, 7))
    result = None
    while result is None:
        try:
            next(job)
        except StopIteration as stop:
            result = stop.value
    assert list(result["k"]) == [1, 2, 3, 4] and "5, 6" in result["note"]


def test_run_drives_the_trainer_half_a_step_at_a_time():
    trainer = GMMTrainer(blobs(100, seed=20)[0], seed=0)
    events = run(trainer, playing=True, max_steps=3)
    snaps = []
    for event in events:
        snaps.append(event)
        if getattr(event, "step", 0) == 3:
            break
    events.close()
    assert all(snap.phase_done == ("E" if snap.step % 2 else "M") for snap in snaps if snap.step > 0)
    assert (snaps[-1].step, snaps[-1].phase_done, snaps[-1].n_iter) == (3, "E", 1)


def test_trainer_stops_after_its_most_iterations_and_the_buttons_still_step():
    trainer = GMMTrainer(blobs(200, seed=21)[0], tol=0.0, seed=0)
    trainer.MAX_ITERATIONS = 3
    for _ in range(6):
        trainer.advance()
    stopped = trainer.snapshot()
    assert stopped.n_iter == 3 and len(stopped.lower_bounds) == 4
    for _ in range(10):
        trainer.advance()
    later = trainer.snapshot()
    assert later.step == 16 and "stopped after 3 iterations" in later.note
    assert snapshots_equal(dataclasses.replace(later, step=stopped.step, note=stopped.note), stopped)
    trainer.em_step()                                   # a student's E+M button goes on
    assert trainer.n_iter == 4
