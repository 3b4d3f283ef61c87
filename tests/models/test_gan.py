"""GAN1D: targets, exact gradients of every loss (finite differences in float64), determinism, checkpoints and
rewinding, divergence handling through run(), and the presets' teaching claims at their seeds."""
import math
import queue

import numpy as np
import pytest
from scipy.integrate import cumulative_trapezoid
from scipy.stats import kstest, wasserstein_distance

from playground.models import nn
from playground.models.base import Fault, first_nonfinite, run
from playground.models.gan import (
    GAN1D,
    GAN_PRESETS,
    LOSSES,
    TARGETS,
    Empirical1D,
    GANSnapshot,
    GaussianMixture1D,
    Target1D,
    make_preset,
    make_target,
)
from playground.models.history import History
from tests.models.gradcheck import numerical_gradient
from tests.models.snapshots import assert_snapshots_equal


def numeric_cdf(target: Target1D):
    lo, hi = target.display_range()
    grid = np.linspace(lo - 10 * target.std, hi + 10 * target.std, 200_001)
    cdf = cumulative_trapezoid(target.pdf(grid), grid, initial=0)
    return lambda x: np.interp(x, grid, cdf / cdf[-1])


# ---------------------------------------------------------------------------------------------------------------
# Targets

@pytest.mark.parametrize("name", list(TARGETS))
def test_target_samples_follow_its_pdf_and_ppf_inverts_the_cdf(name):
    target = TARGETS[name]
    lo, hi = target.display_range()
    grid = np.linspace(lo - 5 * target.std, hi + 5 * target.std, 100_001)
    assert abs(np.trapezoid(target.pdf(grid), grid) - 1) < 1e-3
    cdf = numeric_cdf(target)
    samples = target.sample(5000, np.random.default_rng(0))
    assert kstest(samples, cdf).pvalue > 1e-3
    u = np.array([0.01, 0.2, 0.5, 0.8, 0.99])
    np.testing.assert_allclose(cdf(target.ppf(u)), u, atol=2e-3)
    np.testing.assert_allclose([samples.mean(), samples.std()], [target.mean, target.std], rtol=0.1, atol=0.05)


def test_mixture_mode_shares_and_validation():
    bimodal = TARGETS["bimodal"]
    shares = bimodal.mode_shares(bimodal.sample(10_000, np.random.default_rng(1)))
    np.testing.assert_allclose(shares, [0.5, 0.5], atol=0.02)
    np.testing.assert_array_equal(bimodal.mode_shares(np.full(10, 2.1)), [0, 1])
    assert TARGETS["uniform"].mode_shares(np.zeros(3)).size == 0
    with pytest.raises(ValueError, match="sum to 1; they sum to 1.3"):
        GaussianMixture1D([0, 1], [1, 1], [0.5, 0.8])
    with pytest.raises(ValueError, match="as many"):
        GaussianMixture1D([0, 1], [1], [1.0])
    with pytest.raises(ValueError, match="positive"):
        GaussianMixture1D([0], [-1])


def test_user_data_from_csv(tmp_path):
    path = tmp_path / "heights.csv"
    path.write_text("name,height_cm\nann,171.5\nbob,n/a\ncy,180\n,165\ndee,158.2\n", encoding="utf-8")
    target = Empirical1D.from_csv(path, "height_cm")
    np.testing.assert_array_equal(target.data, [171.5, 180, 165, 158.2])
    assert target.loc == pytest.approx(target.data.mean()) and target.scale > target.data.std()
    np.testing.assert_array_equal(Empirical1D.from_csv(path, 1).data, target.data)   # by position, header skipped
    x = np.linspace(*target.display_range(), 2001)
    assert abs(np.trapezoid(target.pdf(x), x) - 1) < 0.01
    with pytest.raises(ValueError, match="no column 'weight'"):
        Empirical1D.from_csv(path, "weight")
    with pytest.raises(ValueError, match="holds 0 numbers"):
        Empirical1D.from_csv(path, "name")
    with pytest.raises(ValueError, match="could not read"):
        Empirical1D.from_csv(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="no spread"):
        Empirical1D([3.0, 3.0, 3.0])


def test_gan_on_user_data_works_in_data_units():
    data = np.random.default_rng(2).normal(170, 10, 500)
    model = GAN1D(Empirical1D(data, name="heights"), seed=0)
    model.train(20)
    snap = model.snapshot()
    assert snap.target_name == "heights" and 120 < snap.x_grid.mean() < 220
    np.testing.assert_allclose(model.reference, np.quantile(data, (np.arange(len(model.reference)) + 0.5)
                                                            / len(model.reference)))
    assert abs(snap.wasserstein - wasserstein_distance(snap.generated, data)) < 0.1


# ---------------------------------------------------------------------------------------------------------------
# Exact gradients of the GAN losses, through both networks, in float64

def float64_copy(net: nn.MLP, rng) -> nn.MLP:
    twin = nn.MLP(net.sizes, activation="leaky_relu", rng=rng, dtype=np.float64)
    twin.set_flat(net.params.astype(np.float64))
    return twin


@pytest.mark.parametrize("loss", LOSSES)
def test_discriminator_and_generator_gradients_are_exact(loss):
    """Each loss's gradients (incl. WGAN-GP's second-order penalty term) against central differences."""
    rng = np.random.default_rng(3)
    model = GAN1D("bimodal", loss=loss, hidden=(6, 5), seed=1)
    model.G, model.D = float64_copy(model.G, rng), float64_copy(model.D, rng)
    real, z = rng.standard_normal((8, 1)) * 2, rng.standard_normal((8, 1))
    fake = model.G.forward(z)
    mix = rng.random((8, 1))

    model._discriminator_gradients(real, fake, mix)
    analytic = model.D.grads.copy()
    numeric = numerical_gradient(lambda: model._discriminator_gradients(real, fake, mix)[0], model.D.params)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)

    model._generator_gradients(z)
    analytic = model.G.grads.copy()
    numeric = numerical_gradient(lambda: model._generator_gradients(z), model.G.params)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("loss", LOSSES)
def test_push_is_minus_the_generator_loss_slope(loss):
    rng = np.random.default_rng(4)
    model = GAN1D("gaussian", loss=loss, hidden=(8, 8), seed=2)
    model.D = float64_copy(model.D, rng)
    x = np.array([-1.3, 0.4, 2.2, 3.7])
    h = 1e-6

    def per_sample_loss(points):
        out = model.D.forward(model._standardise(points).reshape(-1, 1))
        losses = {"non_saturating": nn.softplus(-out), "minimax": -nn.softplus(out), "wgan_gp": -out}[loss]
        return losses.ravel()

    numeric = -(per_sample_loss(x + h) - per_sample_loss(x - h)) / (2 * h)
    np.testing.assert_allclose(model.push(x), numeric, rtol=1e-5, atol=1e-9)


def test_push_points_towards_the_data():
    """After the discriminator alone has learned, generated samples near 0 are pushed towards the data at 6."""
    model = GAN1D("distant", seed=0)
    for _ in range(100):
        model.step_d()
    snap = model.snapshot()
    assert np.all(snap.push > 0)
    assert np.all(model.discriminator(np.array([6.0])) > model.discriminator(np.array([0.0])))


@pytest.mark.parametrize("loss", LOSSES)
def test_discriminator_loss_falls_when_only_d_trains(loss):
    model = GAN1D("bimodal", loss=loss, seed=3)
    losses = []
    for _ in range(200):
        model.step_d()
        losses.append(model.latest["d_loss"])
    assert np.mean(losses[-20:]) < np.mean(losses[:20]) - 0.1
    assert model.n_steps == 0                      # single updates are not counted as steps


def test_generator_loss_falls_against_a_fixed_discriminator():
    model = GAN1D("gaussian", seed=4)
    for _ in range(100):
        model.step_d()
    d_before = model.D.get_flat()
    losses = []
    for _ in range(100):
        model.step_g()
        losses.append(model.latest["g_loss"])
    assert np.mean(losses[-10:]) < np.mean(losses[:10])
    np.testing.assert_array_equal(model.D.params, d_before)   # the generator's update leaves D alone


# ---------------------------------------------------------------------------------------------------------------
# Determinism, live parameters, checkpoints, timeline

def test_same_seed_same_run_different_seed_different_run():
    a, b, c = (GAN1D("bimodal", loss="wgan_gp", seed=s) for s in (5, 5, 6))
    for m in (a, b, c):
        m.train(60)
    assert_snapshots_equal(a.snapshot(), b.snapshot())
    np.testing.assert_array_equal(a.G.params, b.G.params)
    assert not np.array_equal(a.G.params, c.G.params)


def test_reset_replays_the_run():
    model = GAN1D("trimodal", seed=7)
    model.train(40)
    first = model.snapshot()
    model.reset()
    assert model.n_steps == 0
    model.train(40)
    assert_snapshots_equal(first, model.snapshot())


def test_checkpoint_restore_covers_weights_optimiser_and_rng():
    model = GAN1D("bimodal", seed=8, timeline_every=10)
    model.train(30)
    saved = model.checkpoint()
    model.train(25)
    after = model.snapshot()
    model.set_params(lr_g=5e-3)
    model.restore(saved)
    assert model.n_steps == 30 and model.lr_g == 1e-3
    np.testing.assert_array_equal(model.timeline_steps(), [0, 10, 20, 30])
    model.train(25)
    assert_snapshots_equal(after, model.snapshot())


def test_rewind_and_train_on_reproduces_the_original_run():
    model = GAN1D("bimodal", seed=9, timeline_every=25)
    model.train(150)
    original = model.snapshot()
    np.testing.assert_array_equal(original.timeline_steps, [0, 25, 50, 75, 100, 125, 150])
    assert model.rewind(60) == 50                  # the latest entry at or before the step asked for
    assert model.n_steps == 50 and model.snapshot().timeline_steps[-1] == 50
    model.train(100)
    assert_snapshots_equal(original, model.snapshot())
    with pytest.raises(ValueError, match="only reaches back to step 0"):
        model.rewind(-5)


def test_rewind_keeps_live_parameters_and_branches():
    model = GAN1D("bimodal", seed=10, timeline_every=20)
    model.train(60)
    model.set_params(loss="wgan_gp", lr_g=2e-3)
    model.rewind(20)
    assert model.loss == "wgan_gp" and model.g_opt.lr == 2e-3
    model.train(10)
    np.testing.assert_array_equal(model.timeline_steps(), [0, 20])


def test_timeline_is_a_bounded_ring_buffer():
    model = GAN1D("gaussian", seed=11, timeline_every=10, timeline_size=3)
    model.train(100)
    np.testing.assert_array_equal(model.timeline_steps(), [80, 90, 100])


def test_history_stays_bounded_and_spans_the_run():
    history = History(1, capacity=8)
    for step in range(1, 101):
        history.record(step, float(step))
    steps, values = history.arrays()
    assert len(steps) <= 8 and steps[-1] == 96 and steps[0] <= 16
    assert np.all(steps % history.stride == 0)
    np.testing.assert_array_equal(values[:, 0], steps)


def test_set_params_applies_live_and_switching_loss_keeps_weights():
    model = GAN1D("bimodal", seed=12)
    model.train(10)
    weights = model.G.get_flat(), model.D.get_flat()
    model.set_params(lr_g=2e-3, lr_d=3e-3, betas=(0.0, 0.9), d_steps=3, batch_size=64, gp_weight=5, loss="wgan_gp",
                     noise="uniform")
    assert (model.g_opt.lr, model.d_opt.lr, model.d_opt.betas, model.batch_size) == (2e-3, 3e-3, (0.0, 0.9), 64)
    np.testing.assert_array_equal(model.G.params, weights[0])
    np.testing.assert_array_equal(model.D.params, weights[1])
    snap = model.snapshot()
    assert snap.d_label == "critic f(x)" and snap.loss_name == "wgan_gp"
    assert np.all(np.abs(snap.z_strip) < 1)        # uniform noise on (−1, 1)
    model.train(5)


@pytest.mark.parametrize("params, message", [
    (dict(lr_g=0), "lr_g must be a positive number"),
    (dict(lr_d=float("nan")), "lr_d must be a positive number"),
    (dict(d_steps=0), "d_steps must be a whole number"),
    (dict(batch_size=2.5), "batch_size must be a whole number"),
    (dict(betas=(0.5, 1.0)), "betas must both lie in"),
    (dict(betas=0.5), "two numbers"),
    (dict(gp_weight=-1), "gp_weight"),
    (dict(loss="hinge"), "loss must be one of"),
    (dict(noise="cauchy"), "noise must be"),
    (dict(hidden=(8,)), "need a new model"),
    (dict(temperature=1), "no live parameter"),
])
def test_invalid_live_parameters_leave_the_model_untouched(params, message):
    model = GAN1D("bimodal", seed=13)
    before = model.hyperparameters()
    with pytest.raises(ValueError, match=message):
        model.set_params(**{"d_steps": 4, **params})   # a valid d_steps alongside must not be applied either
    assert model.hyperparameters() == before and model.g_opt.lr == before["lr_g"] and model.d_steps == 1


@pytest.mark.parametrize("kwargs, message", [
    (dict(target="quadrimodal"), "unknown target"),
    (dict(hidden=(32, 0)), "layer widths"),
    (dict(hidden="wide"), "layer widths"),
    (dict(loss="least_squares"), "loss must be one of"),
    (dict(lr_d=-1e-3), "lr_d must be a positive number"),
    (dict(seed=-1), "seed"),
    (dict(timeline_every=0), "timeline_every"),
])
def test_invalid_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GAN1D(**kwargs)


# ---------------------------------------------------------------------------------------------------------------
# Snapshots

def test_snapshot_contents():
    model = GAN1D("bimodal", seed=14)
    first = model.snapshot()
    assert first.step == 0 and math.isnan(first.d_loss) and "d_loss" in first.nonfinite_ok
    assert first_nonfinite(first) is None          # nothing trained yet is not a divergence
    model.train(50)
    snap = model.snapshot()
    assert isinstance(snap, GANSnapshot) and snap.step == 50
    n_grid = len(snap.x_grid)
    assert snap.target_pdf.shape == snap.generated_density.shape == snap.d_of_x.shape == (n_grid,)
    assert snap.z_strip.shape == snap.g_of_z.shape and snap.push_x.shape == snap.push.shape
    assert np.all((snap.d_of_x > 0) & (snap.d_of_x < 1)) and snap.d_label == "D(x) = P(real)"
    inside = np.mean((snap.generated > snap.x_grid[0]) & (snap.generated < snap.x_grid[-1]))
    assert abs(np.trapezoid(snap.generated_density, snap.x_grid) - inside) < 0.02
    assert abs(np.trapezoid(snap.target_pdf, snap.x_grid) - 1) < 1e-3
    np.testing.assert_array_equal(snap.loss_steps, np.arange(1, 51))
    np.testing.assert_array_equal(snap.wasserstein_steps, [0, 25, 50])
    assert snap.wasserstein == pytest.approx(snap.wasserstein_history[-1])
    assert snap.wasserstein == pytest.approx(wasserstein_distance(snap.generated, model.reference))
    np.testing.assert_allclose(snap.g_of_z, model.generator_map(snap.z_strip))
    assert first_nonfinite(snap) is None


def test_snapshot_is_a_copy_and_fixed_noise_does_not_flicker():
    model = GAN1D("gaussian", seed=15)
    a = model.snapshot()
    grid, generated = a.x_grid.copy(), a.generated.copy()
    a.x_grid[:] = -7
    a.generated[:] = -7
    b = model.snapshot()
    np.testing.assert_array_equal(b.x_grid, grid)
    np.testing.assert_array_equal(b.generated, generated)
    model.sample(100)
    np.testing.assert_array_equal(model.snapshot().generated, b.generated)   # the picture stays put …
    state = model.rng.bit_generator.state
    model.sample(100)
    assert model.rng.bit_generator.state == state                          # … and so does training


def test_sample_and_maps():
    model = GAN1D("bimodal", seed=16)
    draws = model.sample(50, np.random.default_rng(0))
    np.testing.assert_array_equal(draws, model.sample(50, np.random.default_rng(0)))
    assert model.generator_map(np.zeros((2, 3))).shape == (2, 3)
    assert model.discriminator(np.zeros(7)).shape == (7,)


def test_snapshot_survives_wildly_spread_samples():
    model = GAN1D("bimodal", seed=20)
    model.G.layers[-1].W[...] *= 1e5                # a generator that has blown up, but is still finite
    snap = model.snapshot()
    assert snap.generated_density.shape == snap.x_grid.shape
    assert np.isfinite(snap.generated_density).all() and np.ptp(snap.generated) > 1e3


def test_nonfinite_weights_show_up_in_the_snapshot():
    model = GAN1D("gaussian", seed=17)
    model.G.params[:] = np.nan
    assert first_nonfinite(model.snapshot()) is not None


def test_divergence_becomes_a_fault_in_run_and_the_model_is_rolled_back():
    model = GAN1D("gaussian", lr_g=1e3, lr_d=1e3, seed=18)
    commands = queue.SimpleQueue()
    events = []
    for event in run(model, commands, playing=True, max_steps=200):
        events.append(event)
        if isinstance(event, Fault) or len(events) > 50:
            break
    fault = events[-1]
    assert isinstance(fault, Fault) and "diverged" in fault.message
    assert np.isfinite(model.G.params).all() and np.isfinite(model.D.params).all()
    assert first_nonfinite(model.snapshot()) is None


def test_run_drives_the_model_and_counts_steps():
    model = GAN1D("gaussian", seed=19, timeline_every=5)
    for event in run(model, playing=True, max_steps=12, frame_interval=0):
        assert isinstance(event, GANSnapshot)
        if event.step >= 12:
            break
    assert event.step == 12
    np.testing.assert_array_equal(event.timeline_steps, [0, 5, 10])


# ---------------------------------------------------------------------------------------------------------------
# The presets' claims, each at its own seed

def trained(name, steps=None, **override):
    preset = GAN_PRESETS[name]
    model = GAN1D(**{**preset["kwargs"], **override})
    model.train(preset["steps"] if steps is None else steps)
    return model


def test_every_preset_builds_and_explains_itself():
    for name, preset in GAN_PRESETS.items():
        assert set(preset) == {"kwargs", "steps", "claim", "watch"}
        assert isinstance(make_preset(name), GAN1D) and preset["claim"] and preset["watch"]
    with pytest.raises(ValueError, match="unknown preset"):
        make_preset("Everything works")
    assert make_target(TARGETS["uniform"]) is TARGETS["uniform"]


def test_the_wgan_gp_fix_changes_only_the_loss():
    def without_loss(name):
        return {k: v for k, v in GAN_PRESETS[name]["kwargs"].items() if k != "loss"}

    assert without_loss("Fixed by WGAN-GP") == without_loss("Mode collapse")


@pytest.fixture(scope="module")
def collapsed():
    return trained("Mode collapse").snapshot()


def test_claim_mode_collapse(collapsed):
    assert collapsed.mode_shares.max() > 0.9
    assert collapsed.wasserstein > 1.5


def test_claim_fixed_by_wgan_gp(collapsed):
    fixed_model = trained("Fixed by WGAN-GP")
    fixed = fixed_model.snapshot()
    assert np.all((fixed.mode_shares >= 0.15) & (fixed.mode_shares <= 0.6))
    assert 3 * fixed.wasserstein < collapsed.wasserstein
    # The wording: more than 25 % of the samples near each mode (within 3 standard deviations of its centre).
    target = fixed_model.target
    for mean, std in zip(target.means, target.stds):
        assert np.mean(np.abs(fixed.generated - mean) < 3 * std) > 0.25


@pytest.mark.slow
def test_claim_healthy_gaussian():
    model = trained("Healthy Gaussian")
    assert model.snapshot().wasserstein < 0.1 * model.target.std


@pytest.mark.slow
def test_claim_discriminator_too_strong():
    minimax = trained("Discriminator too strong")
    snap = minimax.snapshot()
    assert np.median(minimax.discriminator(snap.generated)) < 1e-3
    assert snap.wasserstein > 2
    assert trained("Discriminator too strong", loss="non_saturating").snapshot().wasserstein < 1


@pytest.mark.slow
def test_claim_learning_rate_imbalance():
    imbalanced = trained("Learning-rate imbalance").snapshot().wasserstein
    two_timescale = trained("Healthy Gaussian").snapshot().wasserstein
    assert imbalanced > 5 * two_timescale


@pytest.mark.slow
def test_claim_oscillation():
    def mean_offsets(**override):
        model = trained("Oscillation", steps=1000, **override)
        offsets = []
        for _ in range(100):
            model.train(20)
            offsets.append(model.snapshot().generated.mean() - model.target.mean)
        return np.array(offsets) / model.target.std

    heavy = mean_offsets()
    assert np.abs(heavy).max() > 3 and np.count_nonzero(np.diff(np.sign(heavy))) >= 4
    assert np.abs(mean_offsets(betas=(0.5, 0.999))).max() < 1.5


@pytest.mark.slow
def test_claim_penalty_too_strong():
    def distances(**override):
        model = trained("Penalty too strong", steps=500, **override)
        result = []
        for _ in range(30):
            model.train(50)
            result.append(model.snapshot().wasserstein)
        return np.array(result)

    assert distances().max() > 5
    assert distances(gp_weight=1.0).max() < 2
