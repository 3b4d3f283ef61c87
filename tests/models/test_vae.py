"""The VAE: exact gradients of the ELBO, the closed-form KL, training, the teaching claims (AE vs VAE, measured),
interpolation, the live trainer's contract (determinism, checkpoints, parameters, faults) and the panel's calls."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

from playground.models import nn
from playground.models.base import Fault, run
from playground.models.datasets.images import ImageSet, as_square, make_images, make_patterns
from playground.models.vae import VAE, Interpolation, VAESnapshot, VAETrainer, kl_to_prior, latent_path
from tests.models.gradcheck import numerical_gradient

# -- the maths -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("beta", [0.0, 1.0, 2.5])
def test_elbo_gradients_match_finite_differences(likelihood, beta):
    """recon + β·KL with the reparameterisation noise ε held fixed, against central differences (float64)."""
    vae = VAE(6, latent_dim=2, hidden=(5, 4), beta=beta, likelihood=likelihood, dtype=np.float64, seed=1)
    rng = np.random.default_rng(2)
    x, eps = rng.random((7, 6)), rng.standard_normal((7, 2))

    def objective():
        losses = vae.loss_and_gradients(x, eps)
        return losses.recon + beta * losses.kl

    losses = vae.loss_and_gradients(x, eps)
    analytic = vae.grads.copy()
    assert losses.elbo == pytest.approx(-(losses.recon + losses.kl))
    np.testing.assert_allclose(analytic, numerical_gradient(objective, vae.params), rtol=1e-5, atol=1e-8)
    if beta == 0:   # the autoencoder never samples: ε changes nothing
        assert vae.loss_and_gradients(x, 5 * eps) == losses


def test_closed_form_kl_equals_a_monte_carlo_estimate():
    rng = np.random.default_rng(3)
    mu, logvar = rng.normal(0, 1.5, 4), rng.normal(0, 1, 4)
    z = mu + np.exp(0.5 * logvar) * rng.standard_normal((400_000, 4))
    log_q = -0.5 * (np.log(2 * np.pi) + logvar + (z - mu) ** 2 / np.exp(logvar))
    log_p = -0.5 * (np.log(2 * np.pi) + z ** 2)
    terms = log_q - log_p                                                   # (S, L), E[·] = KL per dimension
    standard_error = terms.std(axis=0) / math.sqrt(len(z))
    np.testing.assert_array_less(np.abs(terms.mean(axis=0) - kl_to_prior(mu, logvar)), 4 * standard_error)


def test_bernoulli_loss_agrees_with_the_shared_toolkit():
    vae = VAE(5, likelihood="bernoulli", dtype=np.float64)
    rng = np.random.default_rng(4)
    logits, x = rng.normal(0, 30, (6, 5)), rng.random((6, 5))              # far into both tails
    ours, our_grad = vae._reconstruction(logits, x)
    theirs, their_grad = nn.bernoulli_nll(logits, x)
    assert ours == pytest.approx(theirs, rel=1e-12)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-10, atol=1e-15)


def test_gaussian_noise_variance_is_the_best_for_the_batch():
    vae = VAE(5, likelihood="gaussian", dtype=np.float64)
    rng = np.random.default_rng(5)
    logits, x = rng.normal(0, 1, (8, 5)), rng.random((8, 5))
    ours, _ = vae._reconstruction(logits, x)
    mean = expit(logits)
    best = np.mean((x - mean) ** 2)
    for factor in (0.8, 0.95, 1.05, 1.25):
        other, _, _ = nn.gaussian_nll(mean, np.full_like(mean, np.log(best * factor)), x)
        assert other > ours


# -- interpolation -------------------------------------------------------------------------------------------------

def test_interpolation_endpoints_decode_to_the_endpoints_and_slerp_keeps_norms_between():
    vae = VAE(9, latent_dim=3, seed=0)
    rng = np.random.default_rng(7)
    for _ in range(20):
        a, b = rng.standard_normal(3) * 2, rng.standard_normal(3)
        for mode in ("linear", "slerp"):
            frames = vae.interpolate(a, b, 7, mode)
            assert frames.shape == (7, 9)
            np.testing.assert_allclose(frames[0], vae.decode(a[None])[0], atol=1e-6)
            np.testing.assert_allclose(frames[-1], vae.decode(b[None])[0], atol=1e-6)
        norms = np.linalg.norm(latent_path(a, b, 11, "slerp"), axis=1)
        low, high = sorted(np.linalg.norm([a, b], axis=1))
        assert np.all((norms >= low - 1e-9) & (norms <= high + 1e-9))
        assert np.all(np.diff(norms) * np.sign(norms[-1] - norms[0]) >= -1e-9)    # and change monotonically
    # Slerp between two unit vectors stays on the unit circle; the straight line cuts inside it.
    a, b = np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
    np.testing.assert_allclose(np.linalg.norm(latent_path(a, b, 5, "slerp"), axis=1), 1)
    assert np.linalg.norm(latent_path(a, b, 5, "linear")[2]) == pytest.approx(math.sqrt(0.5))
    # Opposite ends still give a half circle.
    np.testing.assert_allclose(np.linalg.norm(latent_path(a, -a, 9, "slerp"), axis=1), 1)
    with pytest.raises(ValueError, match="mode must be 'linear' or 'slerp'"):
        latent_path(a, b, 5, "cubic")
    with pytest.raises(ValueError, match="steps must be a whole number from 2"):
        latent_path(a, b, 1)


# -- training and the teaching claims ------------------------------------------------------------------------------

CLAIM_STEPS = 200


def _train(beta, data, latent_dim, steps, seed=0):
    trainer = VAETrainer(data, n_held_out=500, latent_dim=latent_dim, beta=beta, seed=seed)
    for _ in range(steps):
        trainer.advance()
    return trainer


@pytest.fixture(scope="module")
def ae_and_vae():
    """The same data, seed, architecture and number of steps; only β differs (0: autoencoder, 1: VAE)."""
    data = make_images("digits", 3000, seed=0)
    return _train(0.0, data, 8, CLAIM_STEPS), _train(1.0, data, 8, CLAIM_STEPS)


def aggregate_kl(trainer):
    """KL(N(m, S) ‖ N(0, I)) for the Gaussian fitted to the held-out codes μ(x): 0 when the codes fill the prior."""
    mu = trainer.vae.encode(trainer.held_out)[0].astype(np.float64)
    m, s = mu.mean(axis=0), np.cov(mu, rowvar=False)
    return 0.5 * (np.trace(s) + m @ m - len(m) - np.linalg.slogdet(s)[1])


def prior_sample_distance(trainer, n=300):
    """Mean distance from decoded prior samples z ~ N(0, I) to their nearest training image: large when the
    prior's mass falls into holes of the latent space, where the decoder has never been trained."""
    samples = trainer.vae.sample(n, np.random.default_rng(5)).astype(np.float64)
    train = trainer.train_images.astype(np.float64)
    d2 = (samples ** 2).sum(1)[:, None] + (train ** 2).sum(1)[None] - 2 * samples @ train.T
    return float(np.sqrt(np.maximum(d2.min(axis=1), 0)).mean())


def sharpness(images):
    """Mean squared difference between neighbouring pixels: blur lowers it."""
    squares = as_square(images).astype(np.float64)
    return float(np.mean(np.diff(squares, axis=1) ** 2) + np.mean(np.diff(squares, axis=2) ** 2))


def test_training_raises_the_elbo_and_lowers_the_loss(ae_and_vae):
    _, vae = ae_and_vae
    snap = vae.snapshot()
    assert snap.held_out_steps[0] == 0 and snap.held_out_steps[-1] == CLAIM_STEPS
    assert snap.held_out_elbo_history[-1] > snap.held_out_elbo_history[0] + 50       # nats per image
    assert np.mean(snap.elbo_history[-20:]) > np.mean(snap.elbo_history[:20]) + 50
    assert np.all(np.diff(snap.held_out_recon_history) < 5)                         # no bumps on the way


def test_claim_vae_codes_fill_the_prior_autoencoder_codes_do_not(ae_and_vae):
    ae, vae = ae_and_vae
    assert aggregate_kl(vae) < 1.5
    assert aggregate_kl(ae) > 8 * aggregate_kl(vae)


def test_claim_autoencoder_has_holes_its_prior_samples_are_far_from_the_data(ae_and_vae):
    ae, vae = ae_and_vae
    assert prior_sample_distance(ae) > 1.15 * prior_sample_distance(vae)
    # The same seen through FID in miniature.
    assert ae.sample_quality().frechet > 1.3 * vae.sample_quality().frechet


def test_claim_autoencoder_reconstructs_better_and_sharper_vae_is_blurrier(ae_and_vae):
    ae, vae = ae_and_vae
    originals = vae.held_out
    errors = {name: np.mean(np.sum((t.vae.reconstruct(originals) - originals) ** 2, axis=1))
              for name, t in (("ae", ae), ("vae", vae))}
    assert errors["ae"] < 0.92 * errors["vae"]
    assert sharpness(ae.vae.reconstruct(originals)) > 1.15 * sharpness(vae.vae.reconstruct(originals))
    assert sharpness(vae.vae.reconstruct(originals)) < 0.6 * sharpness(originals)


@pytest.mark.slow
def test_claims_hold_on_the_two_dimensional_latent_map():
    """What the panel's AE-vs-VAE view shows (latent_dim 2): the codes and the holes. With only two numbers per
    image the bottleneck, not the KL, limits the reconstructions, so the blur claim is measured at 8 above."""
    data = make_images("digits", 4000, seed=0)
    ae, vae = _train(0.0, data, 2, 800), _train(1.0, data, 2, 800)
    assert aggregate_kl(ae) > 4 * aggregate_kl(vae)
    assert prior_sample_distance(ae) > 1.1 * prior_sample_distance(vae)


def test_attribute_arithmetic_thick_minus_thin_adds_ink(ae_and_vae):
    _, vae = ae_and_vae
    thick, thin = ("thickness", 2.0, 2.5), ("thickness", 1.0, 1.5)
    thin_ones = np.intersect1d(vae.group_indices(thin), vae.group_indices("1"))
    for index in thin_ones[:5]:
        before = vae.add_attribute(int(index), thick, thin, strength=0.0)[1]
        z, after = vae.add_attribute(int(index), thick, thin, strength=1.5)
        np.testing.assert_allclose(before, vae.vae.reconstruct(vae.held_out[index:index + 1])[0], atol=1e-6)
        assert after.sum() > 1.2 * before.sum()
        np.testing.assert_allclose(z, vae.encode_held_out(int(index)) + 1.5 * vae.attribute_vector(thick, thin),
                                   rtol=1e-6)
    # A group mean plus (one class − another): base "7" + ("1" − "7") decodes nearer the mean 1 than the mean 7.
    z, image = vae.latent_arithmetic("1", "7", "7")
    ones, sevens = (vae.held_out[vae.group_indices(d)].mean(axis=0) for d in ("1", "7"))
    assert np.linalg.norm(image - ones) < np.linalg.norm(image - sevens)
    with pytest.raises(ValueError, match="no label 'eleven'"):
        vae.group_mean("eleven")
    with pytest.raises(ValueError, match="known factor"):
        vae.group_mean(("colour", 0, 1))
    with pytest.raises(ValueError, match="no held-out image falls in the group"):
        vae.group_mean(("thickness", 5, 6))


# -- the live trainer's contract -----------------------------------------------------------------------------------

def small_trainer(**kwargs):
    kwargs = {"n": 300, "n_held_out": 60, **kwargs}
    return VAETrainer(kwargs.pop("dataset", "digits"), hidden=kwargs.pop("hidden", (32,)), **kwargs)


def snapshots_equal(a, b):
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            if not np.array_equal(x, y):
                return False
        elif isinstance(x, dict):
            if x.keys() != y.keys() or not all(np.array_equal(x[k], y[k]) for k in x):
                return False
        elif name == "decoder":
            if not all(np.array_equal(u, v) for u, v in zip(x.weights + x.biases, y.weights + y.biases)):
                return False
        elif isinstance(x, float) and math.isnan(x):
            if not math.isnan(y):
                return False
        elif x != y:
            return False
    return True


def test_same_seed_same_run_and_reset_replays():
    a, b = small_trainer(seed=4), small_trainer(seed=4)
    for _ in range(25):
        a.advance()
        b.advance()
    assert snapshots_equal(a.snapshot(), b.snapshot())
    c = small_trainer(seed=5)
    for _ in range(25):
        c.advance()
    assert not np.array_equal(c.snapshot().latent_means, a.snapshot().latent_means)
    assert np.array_equal(c.held_out, a.held_out)                     # the training seed never changes the data
    first = a.snapshot()
    a.reset()
    for _ in range(25):
        a.advance()
    assert snapshots_equal(a.snapshot(), first)


def test_checkpoint_restore_replays_exactly():
    trainer = small_trainer(beta=0.5)
    for _ in range(12):
        trainer.advance()
    saved = trainer.checkpoint()
    for _ in range(13):
        trainer.advance()
    expected = trainer.snapshot()
    trainer.restore(saved)
    assert trainer.n_steps == 12
    for _ in range(13):
        trainer.advance()
    assert snapshots_equal(trainer.snapshot(), expected)
    # Restoring across a structural change brings the old network back.
    trainer.set_params(latent_dim=3)
    trainer.restore(saved)
    assert trainer.vae.latent_dim == 2 and trainer.n_steps == 12
    for _ in range(13):
        trainer.advance()
    assert snapshots_equal(trainer.snapshot(), expected)


def test_curves_stay_bounded_and_span_the_run():
    trainer = small_trainer(refresh_every=1)
    trainer.history = type(trainer.history)(3, capacity=50)
    for _ in range(300):
        trainer.advance()
    snap = trainer.snapshot()
    spacing = snap.loss_steps[1] - snap.loss_steps[0]
    assert 25 <= len(snap.loss_steps) <= 50 and np.all(np.diff(snap.loss_steps) == spacing)
    assert snap.loss_steps[0] == spacing and snap.loss_steps[-1] > 300 - spacing           # start to end
    assert len(snap.held_out_steps) <= 1000 and snap.held_out_steps[-1] == 300


def test_restore_brings_back_a_data_set_given_as_images():
    digits = make_images("digits", 200, seed=1)
    trainer = VAETrainer(digits, n_held_out=40, hidden=(16,))
    trainer.advance()
    saved = trainer.checkpoint()
    expected = trainer.snapshot()
    trainer.set_params(dataset="sprites", n=100)
    trainer.restore(saved)
    assert trainer.data is digits and snapshots_equal(trainer.snapshot(), expected)
    trainer.set_params(dataset=make_images("digits", 200, seed=1))   # equal pixels, another object: new data
    assert trainer.n_steps == 0 and trainer.data is not digits


def test_snapshot_contents_and_copies():
    trainer = small_trainer(refresh_every=5)
    snap = trainer.snapshot()
    assert isinstance(snap, VAESnapshot) and snap.step == 0 and math.isnan(snap.elbo)
    assert set(snap.nonfinite_ok) == {"recon", "kl", "elbo"}
    assert len(snap.loss_steps) == 0 and list(snap.held_out_steps) == [0]
    for _ in range(7):
        trainer.advance()
    snap = trainer.snapshot()
    assert snap.mode == "vae" and snap.beta == 1.0 and snap.latent_dim == 2 and snap.image_side == 16
    assert snap.dataset_name == "digits" and snap.label_names == tuple("0123456789")
    assert list(snap.loss_steps) == list(range(1, 8)) and snap.elbo == snap.elbo_history[-1]
    assert snap.elbo == pytest.approx(-(snap.recon + snap.kl))
    assert list(snap.held_out_steps) == [0, 5] and snap.manifold_step == 5
    assert snap.latent_means.shape == snap.latent_logvars.shape == (60, 2)
    assert snap.labels.shape == (60,) and set(snap.factors) == {"slant", "thickness", "scale"}
    np.testing.assert_allclose(snap.kl_per_dim, kl_to_prior(snap.latent_means.astype(float),
                                                            snap.latent_logvars.astype(float)).mean(0), rtol=1e-5)
    assert snap.manifold.shape == (15 * 15, 256) and snap.manifold_values[0] == -3 and snap.manifold_values[-1] == 3
    assert snap.originals.shape == snap.reconstructions.shape == (8, 256) and snap.prior_samples.shape == (16, 256)
    # The manifold's top-left cell is z = (−3, +3); its bottom-right z = (+3, −3) — as drawn at step 5.
    trainer.refresh()
    snap = trainer.snapshot()
    np.testing.assert_allclose(snap.manifold[0], trainer.decode_points([-3, 3])[0], atol=1e-6)
    np.testing.assert_allclose(snap.manifold[-1], trainer.decode_points([3, -3])[0], atol=1e-6)
    # The snapshot's own decoder: the same images as the model, from copied weights.
    points = np.random.default_rng(0).standard_normal((5, 2))
    np.testing.assert_allclose(snap.decoder(points), trainer.decode_points(points), atol=1e-6)
    np.testing.assert_allclose(snap.decoder(points[0]), trainer.decode_points(points[:1]), atol=1e-6)
    trainer.advance()
    assert not np.allclose(snap.decoder(points), trainer.decode_points(points))   # frozen: training moved on
    with pytest.raises(ValueError, match="2 coordinates"):
        snap.decoder(np.zeros(3))
    # Copies, not views: scribbling on a snapshot changes nothing.
    snap.latent_means[...] = 99
    snap.manifold[...] = 99
    snap.factors["slant"][...] = 99
    again = trainer.snapshot()
    assert not np.any(again.latent_means == 99) and not np.any(again.manifold == 99)
    assert not np.any(again.factors["slant"] == 99)


def test_autoencoder_mode_and_other_data():
    ae = small_trainer(beta=0.0, dataset="sprites", latent_dim=3)
    ae.advance()
    snap = ae.snapshot()
    assert snap.mode == "autoencoder" and snap.label_names[0] == "square"
    assert set(snap.factors) == {"scale", "rotation", "x", "y"} and snap.manifold.shape == (225, 256)
    patterns = VAETrainer(make_patterns(400, seed=0), n_held_out=50, latent_dim=3, hidden=(16,))
    patterns.advance()
    assert patterns.snapshot().image_side == 3 and patterns.snapshot().manifold.shape == (225, 9)
    pixels = np.random.default_rng(0).random((40, 25))
    mine = VAETrainer(pixels, n_held_out=10, hidden=(8,))
    mine.advance()
    assert mine.snapshot().dataset_name == "your images" and mine.snapshot().image_side == 5
    few = VAETrainer(pixels[:6], hidden=(8,))                          # a tiny folder: most images still train
    assert len(few.held_out) == 1 and len(few.train_images) == 5
    folder = ImageSet("drawings", pixels[:20].astype(np.float32), 5, np.zeros(20, np.int64), ("drawings",),
                      skipped=(("a.png", "damaged"), ("b.txt", "not a PNG or JPEG file")))
    assert VAETrainer(folder, hidden=(8,)).snapshot().note == \
        "skipped 2 unreadable file(s): a.png (damaged); b.txt (not a PNG or JPEG file)"


def test_live_and_structural_parameters():
    trainer = small_trainer()
    for _ in range(3):
        trainer.advance()
    weights = trainer.vae.params.copy()
    trainer.set_params(lr=3e-3, beta=0.0, batch_size=16)
    assert trainer.vae.optimizer.lr == 3e-3 and trainer.vae.is_autoencoder and trainer.vae.batch_size == 16
    assert trainer.n_steps == 3 and np.array_equal(trainer.vae.params, weights)    # live: training goes on
    trainer.advance()
    assert trainer.snapshot().mode == "autoencoder"
    trainer.set_params(latent_dim=4, hidden=(16, 8), likelihood="gaussian")
    assert trainer.n_steps == 0 and trainer.vae.latent_dim == 4 and trainer.vae.hidden == (16, 8)
    assert trainer.vae.lr == 3e-3 and trainer.vae.beta == 0.0                      # live values survive
    held_out = trainer.held_out
    trainer.set_params(dataset="sprites", n=200)
    assert trainer.snapshot().dataset_name == "sprites" and trainer.train_images.shape == (140, 256)
    assert not np.array_equal(held_out, trainer.held_out)
    trainer.advance()
    assert np.isfinite(trainer.snapshot().elbo)


@pytest.mark.parametrize("params, message", [
    ({"lr": 0}, "learning rate must be a positive number"),
    ({"lr": float("nan")}, "learning rate must be a positive number"),
    ({"beta": -1}, "beta must be a number from 0"),
    ({"batch_size": 0}, "batch_size must be a whole number from 1"),
    ({"batch_size": 2.5}, "batch_size must be a whole number"),
    ({"latent_dim": 0}, "latent_dim must be a whole number from 1 to 16"),
    ({"hidden": (0,)}, "hidden must be 1 to 3 whole-number layer widths"),
    ({"hidden": "wide"}, "hidden must be 1 to 3 whole-number layer widths"),
    ({"likelihood": "poisson"}, "likelihood must be 'bernoulli' or 'gaussian'"),
    ({"dataset": "faces"}, "unknown data set 'faces'"),
    ({"n_held_out": 300}, "leaves fewer than 2"),
    ({"momentum": 0.9}, "VAETrainer has no parameter"),
    ({"lr": 1e-2, "beta": -1}, "beta must be"),                      # one bad value: nothing changes
])
def test_invalid_parameters_raise_and_leave_the_model_untouched(params, message):
    trainer = small_trainer()
    trainer.advance()
    before = trainer.snapshot()
    with pytest.raises(ValueError, match=message):
        trainer.set_params(**params)
    assert trainer.vae.lr == 1e-3 and snapshots_equal(trainer.snapshot(), before)


@pytest.mark.parametrize("kwargs, message", [
    ({"input_dim": 0}, "input_dim must be a whole number"),
    ({"latent_dim": 17}, "latent_dim must be a whole number from 1 to 16"),
    ({"beta": float("inf")}, "beta must be a number"),
    ({"likelihood": "gauss"}, "likelihood must be"),
    ({"seed": -2}, "seed must be between"),
    ({"dtype": np.int32}, "dtype must be float32 or float64"),
])
def test_invalid_vae_arguments(kwargs, message):
    kwargs = {"input_dim": 4, **kwargs}
    with pytest.raises(ValueError, match=message):
        VAE(kwargs.pop("input_dim"), **kwargs)


def test_invalid_inputs_to_the_model_and_the_panel_calls():
    vae = VAE(4, latent_dim=2)
    with pytest.raises(ValueError, match=r"shape \(B, 4\)"):
        vae.train_step(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"shape \(B, 2\)"):
        vae.decode(np.zeros((3, 3)))
    trainer = small_trainer()
    with pytest.raises(ValueError, match="2 coordinates each"):
        trainer.decode_points([1, 2, 3])
    with pytest.raises(ValueError, match="must be finite"):
        trainer.decode_points([np.nan, 0])
    with pytest.raises(ValueError, match="index must be a whole number from 0 to 59"):
        trainer.interpolate(0, 60)
    with pytest.raises(ValueError, match="strength must be a number"):
        trainer.add_attribute(0, "1", "7", strength=float("inf"))
    with pytest.raises(ValueError, match="dataset must be a name, an ImageSet or an array"):
        VAETrainer([[0.5]])
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        VAETrainer(np.full((10, 4), 2.0))


def test_panel_calls_decode_and_interpolate():
    trainer = small_trainer()
    for _ in range(5):
        trainer.advance()
    one = trainer.decode_points([0.5, -1.0])
    many = trainer.decode_points(np.array([[0.5, -1.0], [0.0, 0.0]]))
    assert one.shape == (1, 256) and many.shape == (2, 256)
    np.testing.assert_allclose(many[0], one[0], atol=1e-6)
    path = trainer.interpolate(3, 7, steps=6, mode="slerp")
    assert isinstance(path, Interpolation) and path.z.shape == (6, 2) and path.decoded.shape == (6, 256)
    np.testing.assert_allclose(path.z[0], trainer.encode_held_out(3))
    np.testing.assert_allclose(path.crossfade[0], trainer.held_out[3])
    np.testing.assert_allclose(path.crossfade[-1], trainer.held_out[7])
    np.testing.assert_allclose(path.crossfade[3], 0.4 * trainer.held_out[3] + 0.6 * trainer.held_out[7], atol=1e-6)
    quality = trainer.sample_quality(100)
    assert quality.frechet > 0 and quality.diversity > 0 and quality.data_diversity > 0
    assert trainer.sample_quality(100) == quality                     # seeded: the same model, the same numbers


def test_a_diverging_learning_rate_becomes_a_fault_and_the_model_is_rolled_back():
    trainer = small_trainer(lr=5.0)
    fault = None
    for event in run(trainer, playing=True, max_steps=50):
        if isinstance(event, Fault):
            fault = event
            break
        assert event.step < 50, "lr = 5 should have blown up long before step 50"
    assert "learning rate" in fault.message and not fault.bad_input
    assert trainer.n_steps <= 1                                           # rolled back to the last good state
    snap = trainer.snapshot()
    assert np.isfinite(snap.latent_means).all() and np.isfinite(trainer.vae.params).all()


def test_run_drives_the_trainer():
    trainer = small_trainer()
    last = None
    for event in run(trainer, playing=True, max_steps=30):
        assert not isinstance(event, Fault)
        last = event
        if event.step >= 30:
            break
    assert last.step == 30 and len(last.loss_steps) == 30
