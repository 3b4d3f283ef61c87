"""The Sampling panel's distributions, samplers and model, checked headless against scipy and numpy."""
from __future__ import annotations

import math
import queue

import numpy as np
import pytest
from scipy import integrate, stats

from playground.models.base import Call, Done, Fault, Quit, SetParams, Step, first_nonfinite, run
from playground.models.sampling import (PRESETS, Beta, Categorical, DrawnDensity, Exponential, Gaussian, Mixture,
                                        SamplingModel, SamplingSnapshot, Uniform, chi_square_test, draw,
                                        rejection_envelope, tv_reference)

#: Enough draws that a sampler 2 % off (in scale or in one probability) fails the test below — see test_power.
N_GOF = 300_000
#: A correct sampler passes at this level; at a fixed seed the outcome is deterministic.
ALPHA = 1e-3

EXTRA_DISTRIBUTIONS = {
    "Beta(0.5, 0.5)": lambda: Beta(0.5, 0.5),
    "Exponential(3)": lambda: Exponential(3),
    "narrow-component mixture": lambda: Mixture([0.7, 0.03, 0.27], [0, 4, 10], [1, 0.02, 3]),
    "zero-weight outcome": lambda: Categorical(["a", "never", "b", "also never"], [0.25, 0, 0.75, 0]),
    "drawing with a gap": lambda: DrawnDensity([0, 1, 2, 3, 4, 5], [0, 2, 0, 0, 1, 1]),
}
ALL_DISTRIBUTIONS = {**PRESETS, **EXTRA_DISTRIBUTIONS}
CASES = [(name, sampler) for name, make in ALL_DISTRIBUTIONS.items() for sampler in make().samplers]


def gof_p_value(dist, values) -> float:
    """Chi-square on outcome counts for a categorical, Kolmogorov–Smirnov against the true CDF otherwise."""
    if dist.kind == "categorical":
        counts = np.bincount(values, minlength=len(dist.probs))
        possible = dist.probs > 0
        assert counts[~possible].sum() == 0, "an outcome of weight 0 was drawn"
        return stats.chisquare(counts[possible], len(values) * dist.probs[possible]).pvalue
    return stats.kstest(values, dist.cdf).pvalue


# --- distributions -----------------------------------------------------------------------------------------------


def test_presets_are_the_panel_list_in_order():
    assert list(PRESETS) == ["Marble bag", "Weather", "Heights N(170, 10)", "Uniform(0, 1)", "Exponential(1)",
                             "Beta(2, 5)", "Two-group heights mixture", "Draw your own"]
    marbles = PRESETS["Marble bag"]()
    assert marbles.outcomes == ("red", "blue", "green")
    np.testing.assert_allclose(marbles.probs, [0.5, 0.3, 0.2])
    heights = PRESETS["Heights N(170, 10)"]()
    assert (heights.mean, heights.std, heights.label) == (170, 10, "N(170, 10²)")
    drawn = PRESETS["Draw your own"]()
    assert drawn.support == (0, 10) and len(drawn.x_knots) == 41


@pytest.mark.parametrize("name", list(ALL_DISTRIBUTIONS))
def test_every_distribution_describes_itself(name):
    dist = ALL_DISTRIBUTIONS[name]()
    assert dist.kind in ("categorical", "continuous") and dist.label and dist.samplers
    assert math.isfinite(dist.mean) and dist.var > 0
    if dist.kind == "continuous":
        lo, hi = dist.plot_range()
        assert math.isfinite(lo) and math.isfinite(hi) and dist.support[0] <= lo < hi <= dist.support[1]
        assert dist.cdf(hi) - dist.cdf(lo) >= 0.999 - 1e-12


@pytest.mark.parametrize("dist, reference", [
    (Gaussian(170, 10), stats.norm(170, 10)),
    (Uniform(-2, 3), stats.uniform(-2, 5)),
    (Exponential(2.5), stats.expon(scale=1 / 2.5)),
    (Beta(2, 5), stats.beta(2, 5)),
    (Beta(0.5, 3), stats.beta(0.5, 3)),
])
def test_pdf_cdf_ppf_moments_match_scipy(dist, reference):
    x = np.linspace(*reference.ppf([1e-6, 1 - 1e-6]), 501)
    np.testing.assert_allclose(dist.pdf(x), reference.pdf(x), rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(dist.cdf(x), reference.cdf(x), rtol=1e-10, atol=1e-15)
    u = np.linspace(0.001, 0.999, 999)
    np.testing.assert_allclose(dist.ppf(u), reference.ppf(u), rtol=1e-10, atol=1e-12)
    assert dist.mean == pytest.approx(reference.mean(), rel=1e-12)
    assert dist.var == pytest.approx(reference.var(), rel=1e-12)


def test_mixture_matches_its_components():
    mixture = PRESETS["Two-group heights mixture"]()
    x = np.linspace(100, 240, 801)
    parts = [0.5 * stats.norm(162, 7).pdf(x), 0.5 * stats.norm(176, 7).pdf(x)]
    np.testing.assert_allclose(mixture.component_pdf(x), parts, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(mixture.pdf(x), sum(parts), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(mixture.cdf(x), 0.5 * stats.norm(162, 7).cdf(x) + 0.5 * stats.norm(176, 7).cdf(x),
                               rtol=1e-12, atol=1e-300)
    samples_free_var = integrate.quad(lambda t: (t - 169) ** 2 * mixture.pdf(t), 100, 240)[0]
    assert (mixture.mean, mixture.var) == (pytest.approx(169), pytest.approx(samples_free_var, rel=1e-9))


@pytest.mark.parametrize("name", [n for n, make in ALL_DISTRIBUTIONS.items() if make().kind == "continuous"])
def test_ppf_inverts_cdf(name):
    dist = ALL_DISTRIBUTIONS[name]()
    # where the density is positive, ppf(cdf(x)) = x; everywhere, cdf(ppf(u)) = u
    x = np.linspace(*dist.plot_range(), 2001)[1:-1]
    x = x[dist.pdf(x) > 1e-3 * dist.pdf(x).max()]
    np.testing.assert_allclose(dist.ppf(dist.cdf(x)), x, rtol=1e-9, atol=1e-9 * (x.max() - x.min()))
    u = np.concatenate([np.logspace(-12, -1, 23), np.linspace(0.1, 0.9, 81), 1 - np.logspace(-12, -1, 23)])
    x = dist.ppf(u)
    # (Beta(0.5, 0.5) puts u = 1 − 1e-9 within 1e-17 of x = 1, closer than a double can resolve: skip such x.)
    representable = (x > dist.support[0]) & (x < dist.support[1])
    assert representable.mean() > 0.9
    np.testing.assert_allclose(dist.cdf(x[representable]), u[representable], rtol=1e-9, atol=1e-13)
    assert np.isnan(dist.ppf([-0.1, 1.1])).all()


def test_mixture_ppf_is_accurate_far_into_both_tails():
    mixture = Mixture([0.2, 0.8], [-3, 40], [0.5, 6])
    u = np.logspace(-15, -1, 30)
    np.testing.assert_allclose(mixture.cdf(mixture.ppf(u)), u, rtol=1e-10)
    upper = 1 - u                                           # rounded: the tail mass it leaves is 1 − upper
    np.testing.assert_allclose(mixture.sf(mixture.ppf(upper)), 1 - upper, rtol=1e-10)
    assert mixture.ppf(0) == -np.inf and mixture.ppf(1) == np.inf


def test_drawn_density_is_normalised_and_exact():
    dist = DrawnDensity([0, 1, 3, 4], [2, 6, 6, 0])     # area 4 + 12 + 3 = 19 before normalising
    np.testing.assert_allclose(dist.heights, np.array([2, 6, 6, 0]) / 19)
    assert integrate.quad(dist.pdf, -1, 5, points=[0, 1, 3, 4])[0] == pytest.approx(1, abs=1e-12)
    assert dist.cdf(-1) == 0 and dist.cdf(4) == 1 and dist.cdf(5) == 1
    for x in (0.5, 1, 2.2, 3.5):
        assert dist.cdf(x) == pytest.approx(integrate.quad(dist.pdf, 0, x, points=[1, 3])[0], abs=1e-12)
    mean = integrate.quad(lambda t: t * dist.pdf(t), 0, 4, points=[1, 3])[0]
    var = integrate.quad(lambda t: (t - mean) ** 2 * dist.pdf(t), 0, 4, points=[1, 3])[0]
    assert (dist.mean, dist.var) == (pytest.approx(mean, rel=1e-12), pytest.approx(var, rel=1e-12))
    # the heights' overall scale does not matter
    assert DrawnDensity([0, 1, 3, 4], [20, 60, 60, 0]) == dist


def test_distributions_are_immutable_values():
    dist = Gaussian(170, 10)
    with pytest.raises(AttributeError):
        dist.mean = 0
    with pytest.raises(ValueError):
        PRESETS["Marble bag"]().probs[0] = 1.0
    assert Gaussian(170, 10) == dist and hash(Gaussian(170.0, 10.0)) == hash(dist)
    assert Gaussian(170, 11) != dist and Categorical(["a"], [1]) != Categorical(["b"], [1])


@pytest.mark.parametrize("make, message", [
    (lambda: Categorical(["red", "blue"], [0.5, -0.3]), "weight for 'blue' is negative (-0.3); weights must be ≥ 0"),
    (lambda: Categorical(["red", "blue"], [0.5, 0.8]), "weights must sum to 1; they sum to 1.3"),
    (lambda: Categorical(["red", "blue"], [0, 0]), "all weights are zero"),
    (lambda: Categorical(["red", "blue"], [0.5, math.nan]), "weight for 'blue' is nan"),
    (lambda: Categorical(["red", "blue"], [0.5, math.inf]), "weight for 'blue' is inf"),
    (lambda: Categorical(["red", "blue"], [0.5, "0.5"]), "weight for 'blue' must be a number"),
    (lambda: Categorical([], []), "add at least one outcome"),
    (lambda: Categorical(["red", "red"], [0.5, 0.5]), "'red' appears twice"),
    (lambda: Categorical(["red", " "], [0.5, 0.5]), "outcome 2 has no name"),
    (lambda: Categorical(["red", "blue"], [1.0]), "2 outcomes but 1 weights"),
    (lambda: Categorical.normalised(["red", "blue"], [-1, 2]), "weight for 'red' is negative (-1)"),
    (lambda: Gaussian(170, -1), "σ must be > 0, got -1"),
    (lambda: Gaussian(170, 0), "σ must be > 0, got 0"),
    (lambda: Gaussian(math.nan, 1), "the mean μ must be a finite number"),
    (lambda: Uniform(5, 2), "the lower bound 5 must be below the upper bound 2"),
    (lambda: Uniform(1, 1), "the lower bound 1 must be below the upper bound 1"),
    (lambda: Exponential(0), "the rate λ must be > 0, got 0"),
    (lambda: Beta(-1, 2), "a must be > 0, got -1"),
    (lambda: Beta(2, 0), "b must be > 0, got 0"),
    (lambda: Mixture([0.5, 0.6], [0, 1], [1, 1]), "weights must sum to 1; they sum to 1.1"),
    (lambda: Mixture([0.5, 0.5], [0, 1], [1, -2]), "σ of component 2 must be > 0, got -2"),
    (lambda: Mixture([], [], []), "add at least one component"),
    (lambda: Mixture([1.0], [0, 1], [1, 1]), "2 components but 1 weights"),
    (lambda: DrawnDensity([0, 1, 2], [0, 0, 0]), "zero everywhere"),
    (lambda: DrawnDensity([0, 1, 2], [1, -0.1, 0]), "the height at x = 1 is negative (-0.1)"),
    (lambda: DrawnDensity([0, 2, 1], [1, 1, 1]), "the knots must increase"),
    (lambda: DrawnDensity([0], [1]), "at least two points"),
])
def test_bad_parameters_raise_a_readable_message(make, message):
    with pytest.raises(ValueError) as excinfo:
        make()
    assert message in str(excinfo.value)


def test_normalised_rescales_weights():
    assert Categorical.normalised(["a", "b", "c"], [2, 0, 6]) == Categorical(["a", "b", "c"], [0.25, 0, 0.75])
    assert Mixture.normalised([1, 3], [0, 5], [1, 1]) == Mixture([0.25, 0.75], [0, 5], [1, 1])


# --- samplers ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, sampler", CASES)
def test_every_sampler_draws_from_its_distribution(name, sampler):
    dist = ALL_DISTRIBUTIONS[name]()
    n = N_GOF if name in PRESETS else N_GOF // 3          # the extra cases probe edges; keep the suite quick
    values, _ = draw(dist, n, np.random.default_rng(20240601), sampler)
    assert values.shape == (n,)
    assert gof_p_value(dist, values) > ALPHA


def test_power_a_two_percent_error_fails_the_same_tests():
    rng = np.random.default_rng(7)
    heights = PRESETS["Heights N(170, 10)"]()
    values, _ = draw(heights, N_GOF, rng)
    assert gof_p_value(heights, 170 + (values - 170) * 1.02) < ALPHA       # σ 2 % too large
    assert gof_p_value(heights, values + 0.02 * 10) < ALPHA                # mean off by 2 % of σ
    marbles = PRESETS["Marble bag"]()
    skewed, _ = draw(Categorical(["red", "blue", "green"], [0.51, 0.29, 0.2]), N_GOF, rng)
    assert gof_p_value(marbles, skewed) < ALPHA


@pytest.mark.parametrize("name", [n for n, make in ALL_DISTRIBUTIONS.items() if "rejection" in make().samplers])
def test_inverse_cdf_and_rejection_agree(name):
    dist = ALL_DISTRIBUTIONS[name]()
    by_inversion, _ = draw(dist, 100_000, np.random.default_rng(1), "inverse_cdf")
    by_rejection, _ = draw(dist, 100_000, np.random.default_rng(2), "rejection")
    if dist.kind == "categorical":
        table = np.array([np.bincount(v, minlength=len(dist.probs)) for v in (by_inversion, by_rejection)])
        p = stats.chi2_contingency(table[:, dist.probs > 0]).pvalue
    else:
        p = stats.ks_2samp(by_inversion, by_rejection).pvalue
    assert p > ALPHA


@pytest.mark.parametrize("name", [n for n, make in ALL_DISTRIBUTIONS.items()
                                  if "rejection" in make().samplers and make().kind == "continuous"])
def test_rejection_envelope_lies_above_the_density(name):
    dist = ALL_DISTRIBUTIONS[name]()
    lo, hi = dist.plot_range()
    x = np.concatenate([np.linspace(lo - 5 * (hi - lo), hi + 5 * (hi - lo), 400_001), dist.ppf([1e-9, 1 - 1e-9])])
    assert (rejection_envelope(dist, x) >= dist.pdf(x)).all()


def test_rejection_refuses_an_unbounded_density():
    for call in (lambda: draw(Beta(0.5, 2), 10, np.random.default_rng(0), "rejection"),
                 lambda: SamplingModel(Beta(2, 0.7), sampler="rejection")):
        with pytest.raises(ValueError, match="needs a bounded density"):
            call()


def test_draw_names_the_valid_samplers():
    with pytest.raises(ValueError, match="Box–Muller cannot sample U.0, 1.; choose one of: inverse_cdf, rejection"):
        draw(Uniform(0, 1), 10, np.random.default_rng(0), "box_muller")
    with pytest.raises(ValueError, match="no sampler called 'gibbs'"):
        draw(Uniform(0, 1), 10, np.random.default_rng(0), "gibbs")


def test_same_seed_same_samples_different_seed_different_samples():
    for name, sampler in CASES:
        dist = ALL_DISTRIBUTIONS[name]()
        first, trace_1 = draw(dist, 1000, np.random.default_rng(3), sampler)
        again, trace_2 = draw(dist, 1000, np.random.default_rng(3), sampler)
        other, _ = draw(dist, 1000, np.random.default_rng(4), sampler)
        assert np.array_equal(first, again) and not np.array_equal(first, other), (name, sampler)
        assert all(np.array_equal(trace_1[k], trace_2[k]) for k in trace_1)


def test_traces_show_how_the_last_draws_were_made():
    rng = np.random.default_rng(5)
    heights = PRESETS["Heights N(170, 10)"]()

    values, trace = draw(heights, 1000, rng, "inverse_cdf", keep=50)
    np.testing.assert_array_equal(trace["x"], values[-50:])
    np.testing.assert_allclose(trace["x"], heights.ppf(trace["u"]))

    values, trace = draw(heights, 1001, rng, "box_muller", keep=50)     # odd n: the last pair's z2 is unused
    assert len(trace["u1"]) == 25
    np.testing.assert_allclose(trace["z1"], np.sqrt(-2 * np.log(trace["u1"])) * np.cos(2 * np.pi * trace["u2"]))
    np.testing.assert_allclose(trace["z2"], np.sqrt(-2 * np.log(trace["u1"])) * np.sin(2 * np.pi * trace["u2"]))
    np.testing.assert_allclose(170 + 10 * trace["z1"][-1], values[-1])
    np.testing.assert_allclose(170 + 10 * trace["z2"][-2], values[-2])

    mixture = PRESETS["Two-group heights mixture"]()
    values, trace = draw(mixture, 1000, rng, "ancestral", keep=50)
    np.testing.assert_array_equal(trace["x"], values[-50:])
    assert set(trace["component"]) <= {0, 1}

    for dist in (heights, PRESETS["Marble bag"](), PRESETS["Draw your own"]()):
        values, trace = draw(dist, 1000, rng, "rejection", keep=50)
        assert len(trace["x"]) == 50 and trace["accepted"][-1]             # ends on the 1000th acceptance
        density = dist.pmf(trace["x"]) if dist.kind == "categorical" else dist.pdf(trace["x"])
        np.testing.assert_array_equal(trace["accepted"], trace["y"] < density)
        assert (trace["y"] <= rejection_envelope(dist, trace["x"])).all()
        np.testing.assert_array_equal(trace["x"][trace["accepted"]], values[-trace["accepted"].sum():])
        assert trace["n_accepted"] == 1000 and trace["n_proposed"] >= 1000


def test_box_muller_pairs_are_independent_normals():
    values, _ = draw(Gaussian(0, 1), 200_000, np.random.default_rng(8), "box_muller")
    z1, z2 = values[0::2], values[1::2]
    assert abs(stats.pearsonr(z1, z2).statistic) < 4 / math.sqrt(len(z1))
    assert abs(stats.pearsonr(z1**2, z2**2).statistic) < 4 / math.sqrt(len(z1))


def test_rejection_acceptance_rate_is_one_over_m():
    # Marble bag: propose each colour with 1/3, accept with p / 0.5 ⇒ acceptance 1 / (3 · 0.5) = 2/3.
    _, trace = draw(PRESETS["Marble bag"](), 100_000, np.random.default_rng(9), "rejection")
    assert trace["n_accepted"] / trace["n_proposed"] == pytest.approx(2 / 3, abs=0.01)
    # Uniform under a flat lid: nothing is ever rejected.
    _, trace = draw(Uniform(2, 4), 1000, np.random.default_rng(9), "rejection")
    assert trace["n_proposed"] == 1000


# --- statistics ----------------------------------------------------------------------------------------------------


def test_chi_square_test_matches_scipy_and_merges_small_cells():
    counts, probs = np.array([48, 33, 19]), np.array([0.5, 0.3, 0.2])
    expected = stats.chisquare(counts, 100 * probs)
    assert chi_square_test(counts, probs) == (pytest.approx(expected.statistic), 2, pytest.approx(expected.pvalue))
    # cells expecting fewer than 5 are merged with their neighbours: (4 + 1 | 95) here
    statistic, dof, _ = chi_square_test(np.array([3, 2, 95]), np.array([0.04, 0.01, 0.95]))
    assert dof == 1 and statistic == pytest.approx(stats.chisquare([5, 95], [5, 95]).statistic)
    assert np.isnan(chi_square_test(np.array([1, 0, 0]), probs)[2])       # 1 sample: undefined


# --- the model -----------------------------------------------------------------------------------------------------


def snapshot_after(model: SamplingModel, steps: int, extra: int = 0) -> SamplingSnapshot:
    for _ in range(steps):
        model.advance()
    if extra:
        model.draw_now(extra)
    return model.snapshot()


def test_model_defaults_to_the_marble_bag_and_starts_empty():
    snap = SamplingModel().snapshot()
    assert snap.kind == "categorical" and snap.outcomes == ("red", "blue", "green") and snap.sampler == "inverse_cdf"
    assert snap.n == 0 and snap.counts.tolist() == [0, 0, 0] and np.isnan(snap.gof_p) and np.isnan(snap.sample_mean)
    assert set(snap.trace) == {"u", "x"} and len(snap.trace["u"]) == 0
    assert first_nonfinite(snap) is None


@pytest.mark.parametrize("name, sampler", [c for c in CASES if c[0] in PRESETS])
def test_same_seed_same_snapshot(name, sampler):
    make = lambda seed: SamplingModel(PRESETS[name](), sampler=sampler, batch=37, seed=seed)  # noqa: E731
    first = snapshot_after(make(11), 20, extra=5000)
    assert first == snapshot_after(make(11), 20, extra=5000)
    assert first != snapshot_after(make(12), 20, extra=5000)
    assert first.step == 20 and first.n == 20 * 37 + 5000
    assert first_nonfinite(first) is None


def test_reset_reseeds_and_clears():
    model = SamplingModel(PRESETS["Weather"](), seed=4)
    before = snapshot_after(model, 10)
    model.draw_now(1000)
    model.reset()
    assert model.snapshot().n == 0 and model.n_steps == 0
    assert snapshot_after(model, 10) == before


def test_running_moments_and_histogram_match_numpy_on_the_same_draws():
    heights = PRESETS["Heights N(170, 10)"]()
    model = SamplingModel(heights, sampler="box_muller", batch=7, seed=21)
    snap = snapshot_after(model, 300, extra=1_000_000)
    rng = np.random.default_rng(21)
    chunk = SamplingModel.DRAW_CHUNK                # draw_now draws a million in chunks of this many
    values = np.concatenate([draw(heights, 7, rng, "box_muller")[0] for _ in range(300)]
                            + [draw(heights, chunk, rng, "box_muller")[0] for _ in range(1_000_000 // chunk)])
    assert snap.sample_mean == pytest.approx(values.mean(), rel=1e-13)
    assert snap.sample_var == pytest.approx(values.var(ddof=1), rel=1e-10)
    counts, edges = np.histogram(values, bins=60, range=heights.plot_range())
    np.testing.assert_array_equal(snap.counts, counts)
    np.testing.assert_allclose(snap.bin_edges, edges)
    assert (snap.below, snap.above) == ((values < edges[0]).sum(), (values > edges[-1]).sum())
    np.testing.assert_array_equal(snap.recent, values[-200:])
    assert snap.true_mean == 170 and snap.true_var == 100


def test_categorical_counts_and_trace_accumulate_across_steps():
    marbles = PRESETS["Marble bag"]()
    model = SamplingModel(marbles, sampler="rejection", batch=30, seed=2)
    snap = snapshot_after(model, 25)
    rng = np.random.default_rng(2)
    draws = [draw(marbles, 30, rng, "rejection") for _ in range(25)]
    values = np.concatenate([v for v, _ in draws])
    np.testing.assert_array_equal(snap.counts, np.bincount(values, minlength=3))
    proposals = np.concatenate([t["x"] for _, t in draws])
    np.testing.assert_array_equal(snap.trace["x"], proposals[-200:])
    n_proposed = sum(int(t["n_proposed"]) for _, t in draws)
    assert snap.trace["n_proposed"] == n_proposed and snap.acceptance_rate == pytest.approx(750 / n_proposed)
    np.testing.assert_allclose(snap.envelope_y, [0.5, 0.5, 0.5])


def test_total_variation_shrinks_like_one_over_root_n():
    model = SamplingModel(PRESETS["Heights N(170, 10)"](), seed=3)
    snap = snapshot_after(model, 0, extra=1_000_000)
    assert snap.tv_n[0] == 1 and (np.diff(snap.tv_n) > 0).all() and len(snap.tv_n) < 160
    assert (snap.tv_n[1:] <= np.maximum(snap.tv_n[:-1] + 1, np.ceil(1.1 * snap.tv_n[:-1]))).all()
    large = snap.tv_n >= 1000
    expected = snap.tv_reference / np.sqrt(snap.tv_n[large])
    ratio = snap.tv[large] / expected
    assert ((ratio > 1 / 3) & (ratio < 3)).all()
    slope = np.polyfit(np.log(snap.tv_n[large]), np.log(snap.tv[large]), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.1)
    # the reference constant is what its formula says over the 60 bins and two tails
    assert snap.tv_reference == pytest.approx(tv_reference(np.diff(np.concatenate(
        [[0], PRESETS["Heights N(170, 10)"]().cdf(snap.bin_edges), [1]]))))


def test_goodness_of_fit_readout_accepts_a_correct_sampler():
    model = SamplingModel(PRESETS["Two-group heights mixture"](), seed=5)
    snap = snapshot_after(model, 0, extra=200_000)
    assert snap.gof_test == "chi-square" and snap.gof_dof == 61 and snap.gof_p > ALPHA


def test_draw_now_is_not_a_step_and_checks_its_argument():
    model = SamplingModel()
    model.draw_now(1000)
    assert model.n_steps == 0 and model.snapshot().n == 1000
    for bad in (0, -5, 2.5, True, 10**9):
        with pytest.raises(ValueError, match="number of samples"):
            model.draw_now(bad)


def test_set_params_checks_everything_before_changing_anything():
    model = SamplingModel(PRESETS["Heights N(170, 10)"](), sampler="box_muller", batch=5, seed=1)
    snapshot_after(model, 4)
    before = model.snapshot()
    bad_calls = [dict(distribution=Uniform(0, 1), batch=0), dict(distribution=Uniform(0, 1), sampler="box_muller"),
                 dict(sampler="ancestral"), dict(distribution="N(0, 1)"), dict(bins=1), dict(colour="red")]
    for params in bad_calls:
        with pytest.raises(ValueError):
            model.set_params(**params)
        assert model.snapshot() == before
    model.set_params(batch=50)                                           # batch alone keeps the samples
    assert model.snapshot().n == before.n
    model.set_params(distribution=Gaussian(170, 10))                     # the same distribution again: no change
    assert model.snapshot().n == before.n


def test_a_new_distribution_clears_samples_and_the_random_stream_goes_on():
    model = SamplingModel(PRESETS["Marble bag"](), batch=10, seed=6)
    snapshot_after(model, 3)
    model.set_params(distribution=Uniform(0, 1))
    assert model.sampler == "inverse_cdf" and model.snapshot().n == 0
    snap = snapshot_after(model, 1)
    rng = np.random.default_rng(6)
    for _ in range(3):
        draw(PRESETS["Marble bag"](), 10, rng)
    np.testing.assert_array_equal(snap.recent, draw(Uniform(0, 1), 10, rng)[0])
    model.set_params(distribution=Gaussian(0, 1))                        # inverse_cdf still valid: kept
    assert model.sampler == "inverse_cdf"
    model.set_params(sampler="box_muller")
    assert model.snapshot().sampler == "box_muller" and model.snapshot().n == 0


def test_snapshot_holds_copies_and_the_curves_the_panel_draws():
    model = SamplingModel(PRESETS["Two-group heights mixture"](), sampler="rejection", seed=2)
    snap = snapshot_after(model, 3)
    snap.counts[:] = 99
    snap.trace["x"][:] = 0
    assert model.snapshot() == snapshot_after(SamplingModel(PRESETS["Two-group heights mixture"](),
                                                            sampler="rejection", seed=2), 3)
    assert snap.curve_x.shape == snap.pdf_y.shape == snap.cdf_y.shape == snap.envelope_y.shape == (400,)
    assert snap.component_pdf_y.shape == (2, 400)
    np.testing.assert_allclose(snap.component_pdf_y.sum(axis=0), snap.pdf_y)
    assert (snap.envelope_y >= snap.pdf_y).all() and 0 < snap.acceptance_rate < 1
    # an infinite density at the edge of a Beta still gives a finite curve
    beta = SamplingModel(Beta(0.5, 0.5)).snapshot()
    assert np.isfinite(beta.pdf_y).all() and first_nonfinite(beta) is None


def test_the_model_runs_under_base_run_with_a_plain_for_loop():
    model = SamplingModel(PRESETS["Weather"](), batch=100, seed=0)
    commands: queue.SimpleQueue = queue.SimpleQueue()
    seen: list = []
    for event in run(model, commands):
        seen.append(event)
        if len(seen) == 1:
            commands.put(Step(5))
        if isinstance(event, SamplingSnapshot) and event.step == 5 and event.n == 500:
            commands.put(Call(lambda m: m.draw_now(10_000), "draw 10 000"))
            commands.put(SetParams({"batch": -1}))
        if isinstance(event, SamplingSnapshot) and event.n == 10_500:
            commands.put(Quit())
    snapshots = [e for e in seen if isinstance(e, SamplingSnapshot)]
    assert snapshots[0].n == 0 and any(s.n == 500 for s in snapshots) and snapshots[-1].n == 10_500
    assert [e.label for e in seen if isinstance(e, Done)] == ["draw 10 000"]
    faults = [e for e in seen if isinstance(e, Fault)]
    assert len(faults) == 1 and faults[0].bad_input and "batch size" in faults[0].message
    assert model.batch == 100


def test_chi_square_p_value_matches_scipy_stats():
    from scipy import stats

    from playground.models.sampling import chi_square_test
    rng = np.random.default_rng(5)
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    for n in (200, 400, 4000):  # every cell expects ≥ 5, so none is merged
        counts = rng.multinomial(n, probs)
        statistic, dof, p = chi_square_test(counts, probs)
        reference = stats.chisquare(counts, n * probs)
        assert dof == 3 and np.isclose(statistic, reference.statistic) and np.isclose(p, reference.pvalue)
