"""The MLP toolkit: every backward pass against central finite differences (float64), the optimisers against
hand-written reference updates, and the bookkeeping of the flat parameter buffer."""
import math

import numpy as np
import pytest
from scipy.stats import norm

from playground.models import nn
from tests.models.gradcheck import numerical_gradient

ACTIVATION_NAMES = ["relu", "leaky_relu", "tanh", "sigmoid", "softplus"]


def inputs_away_from_kinks(rng, shape):
    """ReLU-like layers have no derivative at 0: keep pre-activations clear of it so differences are exact."""
    x = rng.uniform(0.2, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    return x


@pytest.mark.parametrize("name", ACTIVATION_NAMES + ["identity"])
def test_activation_backward_matches_finite_differences(name):
    rng = np.random.default_rng(1)
    act = nn.make_activation(name)
    a = inputs_away_from_kinks(rng, (6, 4))
    upstream = rng.standard_normal((6, 4))
    act.forward(a)
    analytic = act.backward(upstream)
    numeric = numerical_gradient(lambda: np.sum(upstream * act.value(a)), a)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_dense_backward_matches_finite_differences():
    rng = np.random.default_rng(2)
    net = nn.MLP([3, 2], rng=rng, dtype=np.float64)  # a single Dense layer
    assert len(net.layers) == 1 and isinstance(net.layers[0], nn.Dense)
    x = rng.standard_normal((5, 3))
    upstream = rng.standard_normal((5, 2))

    def loss():
        return np.sum(upstream * net.forward(x))

    net.forward(x)
    net.zero_grad()
    dx = net.backward(upstream)
    np.testing.assert_allclose(net.grads, numerical_gradient(loss, net.params), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dx, numerical_gradient(loss, x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("output", [None, "sigmoid", "tanh"])
@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_mlp_gradients_for_params_and_input(name, output):
    rng = np.random.default_rng(3)
    net = nn.MLP([3, 5, 4, 2], activation=name, output_activation=output, rng=rng, dtype=np.float64)
    x = rng.standard_normal((7, 3))
    upstream = rng.standard_normal((7, 2))

    def loss():
        return np.sum(upstream * net.forward(x))

    net.forward(x)
    net.zero_grad()
    dx = net.backward(upstream)
    np.testing.assert_allclose(net.grads, numerical_gradient(loss, net.params), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dx, numerical_gradient(loss, x), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_forward_jvp_is_the_directional_derivative(name):
    rng = np.random.default_rng(4)
    net = nn.MLP([3, 6, 5, 2], activation=name, rng=rng, dtype=np.float64)
    x, direction = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    y, y_dot = net.forward_jvp(x, direction)
    h = 1e-6
    numeric = (net.forward(x + h * direction) - net.forward(x - h * direction)) / (2 * h)
    np.testing.assert_allclose(y, net.forward(x), rtol=1e-12)
    np.testing.assert_allclose(y_dot, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_backward_jvp_matches_finite_differences(name):
    """The second-order pass: gradients of Σ u·y + Σ w·ẏ with respect to weights, input and direction."""
    rng = np.random.default_rng(5)
    net = nn.MLP([2, 5, 4, 1], activation=name, rng=rng, dtype=np.float64)
    x, direction = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    u, w = rng.standard_normal((6, 1)), rng.standard_normal((6, 1))

    def objective():
        y, y_dot = net.forward_jvp(x, direction)
        return np.sum(u * y) + np.sum(w * y_dot)

    net.forward_jvp(x, direction)
    net.zero_grad()
    dx, d_direction = net.backward_jvp(u, w)
    np.testing.assert_allclose(net.grads, numerical_gradient(objective, net.params), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dx, numerical_gradient(objective, x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(d_direction, numerical_gradient(objective, direction), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_gradient_penalty_gradient_is_exact(name):
    """WGAN-GP's mean((|f′(x)| − 1)²) for a 1-D critic: the weight gradient through the slope, exactly."""
    rng = np.random.default_rng(6)
    critic = nn.MLP([1, 6, 6, 1], activation=name, rng=rng, dtype=np.float64)
    x = rng.standard_normal((9, 1)) * 2

    def penalty():
        _, slope = critic.forward_jvp(x, np.ones_like(x))
        return np.mean((np.abs(slope) - 1) ** 2)

    _, slope = critic.forward_jvp(x, np.ones_like(x))
    critic.zero_grad()
    critic.backward_jvp(np.zeros_like(slope), 2 * (np.abs(slope) - 1) * np.sign(slope) / len(x))
    np.testing.assert_allclose(critic.grads, numerical_gradient(penalty, critic.params), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_backward_jvp_with_no_output_gradient_equals_a_zero_one(name):
    rng = np.random.default_rng(18)
    net = nn.MLP([1, 5, 5, 1], activation=name, rng=rng, dtype=np.float64)
    x, w = rng.standard_normal((6, 1)), rng.standard_normal((6, 1))
    net.forward_jvp(x, np.ones_like(x))
    net.zero_grad()
    dx_zero, d_dir_zero = net.backward_jvp(np.zeros_like(w), w)
    with_zero = net.grads.copy()
    net.zero_grad()
    dx_none, d_dir_none = net.backward_jvp(None, w)
    np.testing.assert_allclose(net.grads, with_zero, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d_dir_none, d_dir_zero, rtol=1e-12)
    np.testing.assert_allclose(0 if dx_none is None else dx_none, dx_zero, atol=1e-15)


def test_backward_accumulates_and_can_skip_parameter_or_input_gradients():
    rng = np.random.default_rng(7)
    net = nn.MLP([2, 4, 1], rng=rng, dtype=np.float64)
    x, upstream = rng.standard_normal((5, 2)), rng.standard_normal((5, 1))
    net.forward(x)
    net.zero_grad()
    dx = net.backward(upstream)
    once = net.grads.copy()
    net.backward(upstream)
    np.testing.assert_allclose(net.grads, 2 * once)          # gradients add up until zero_grad

    net.zero_grad()
    dx_only = net.backward(upstream, need_param_grads=False)
    np.testing.assert_array_equal(net.grads, 0)
    np.testing.assert_allclose(dx_only, dx)

    assert net.backward(upstream, need_input_grad=False) is None
    np.testing.assert_allclose(net.grads, once)


def test_float32_stays_float32():
    rng = np.random.default_rng(8)
    for name in ACTIVATION_NAMES:
        net = nn.MLP([1, 8, 1], activation=name, rng=rng)
        assert net.params.dtype == np.float32
        y = net.forward(rng.standard_normal((16, 1)))        # float64 input is cast
        assert y.dtype == np.float32
        assert net.backward(np.ones((16, 1))).dtype == np.float32
        y, y_dot = net.forward_jvp(np.zeros((16, 1)), np.ones((16, 1)))
        assert y.dtype == y_dot.dtype == np.float32
        assert all(g.dtype == np.float32 for g in net.backward_jvp(np.ones((16, 1)), np.ones((16, 1))))


def test_float32_and_float64_networks_start_alike():
    a = nn.MLP([3, 16, 2], rng=np.random.default_rng(9))
    b = nn.MLP([3, 16, 2], rng=np.random.default_rng(9), dtype=np.float64)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-6)


def test_layer_weights_are_views_into_the_flat_buffer():
    net = nn.MLP([2, 3, 1], rng=np.random.default_rng(10))
    first = net.layers[0]
    assert np.shares_memory(first.W, net.params) and np.shares_memory(first.dW, net.grads)
    net.params[0] = 42.0
    assert first.W[0, 0] == 42.0
    saved = net.get_flat()
    net.params[:] = 0
    net.set_flat(saved)
    assert first.W[0, 0] == 42.0 and np.shares_memory(first.W, net.params)
    with pytest.raises(ValueError, match="parameters"):
        net.set_flat(np.zeros(3))


def test_initialisation_scales():
    rng = np.random.default_rng(11)
    he = nn.MLP([400, 300, 1], activation="relu", rng=rng).layers[0]
    assert abs(he.W.std() - math.sqrt(2 / 400)) < 0.02 * math.sqrt(2 / 400)
    xavier = nn.MLP([400, 300, 1], activation="tanh", rng=rng).layers[0]
    bound = math.sqrt(6 / 700)
    assert np.abs(xavier.W).max() <= bound and np.abs(xavier.W).max() > 0.99 * bound
    assert np.all(he.b == 0)


def test_join_parameters_shares_one_buffer():
    rng = np.random.default_rng(12)
    enc, dec = nn.MLP([4, 3, 2], rng=rng), nn.MLP([2, 3, 4], rng=rng)
    before = np.concatenate([enc.params, dec.params])
    params, grads = nn.join_parameters(enc, dec)
    np.testing.assert_array_equal(params, before)
    assert np.shares_memory(enc.layers[0].W, params) and np.shares_memory(dec.layers[-1].dW, grads)
    opt = nn.SGD(params, grads, lr=0.1)
    dec.forward(np.ones((2, 2)))
    dec.backward(np.ones((2, 4)))
    opt.step()
    assert not np.allclose(dec.params, before[enc.n_params:]) and np.allclose(enc.params, before[:enc.n_params])


def test_adam_matches_a_hand_written_update():
    rng = np.random.default_rng(13)
    params = rng.standard_normal(5)
    grads = np.zeros(5)
    lr, (b1, b2), eps = 0.01, (0.9, 0.99), 1e-8
    opt = nn.Adam(params, grads, lr=lr, betas=(b1, b2), eps=eps)
    expected = params.copy()
    m, v = [0.0] * 5, [0.0] * 5
    for t in range(1, 4):
        grads[:] = rng.standard_normal(5)
        for i in range(5):  # the textbook update, one number at a time
            m[i] = b1 * m[i] + (1 - b1) * grads[i]
            v[i] = b2 * v[i] + (1 - b2) * grads[i] ** 2
            m_hat, v_hat = m[i] / (1 - b1 ** t), v[i] / (1 - b2 ** t)
            expected[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)
        opt.step()
        np.testing.assert_allclose(params, expected, rtol=1e-12, atol=1e-14)
    state = opt.state()
    assert state["t"] == 3
    np.testing.assert_allclose(state["m"], m)


def test_adam_state_round_trip():
    params, grads = np.zeros(3), np.ones(3)
    opt = nn.Adam(params, grads)
    opt.step()
    saved, kept = opt.state(), params.copy()
    opt.step()
    opt.load_state(saved)
    params[:] = kept
    opt.step()
    again = params.copy()
    opt.load_state(saved)
    params[:] = kept
    opt.step()
    np.testing.assert_array_equal(params, again)


def test_sgd_with_momentum_matches_a_hand_written_update():
    params, grads = np.array([1.0, -2.0]), np.zeros(2)
    opt = nn.SGD(params, grads, lr=0.1, momentum=0.5)
    velocity, expected = np.zeros(2), params.copy()
    for g in ([1.0, 2.0], [0.5, -1.0], [0.0, 3.0]):
        grads[:] = g
        velocity = 0.5 * velocity + np.array(g)
        expected = expected - 0.1 * velocity
        opt.step()
        np.testing.assert_allclose(params, expected)


def test_adam_fits_a_small_regression():
    rng = np.random.default_rng(14)
    net = nn.MLP([1, 32, 32, 1], activation="tanh", rng=rng)
    opt = nn.Adam(net.params, net.grads, lr=3e-3)
    x = np.linspace(-3, 3, 128).reshape(-1, 1)
    y = np.sin(x)
    first = None
    for _ in range(500):
        loss, grad = nn.mse(net.forward(x), y)
        first = loss if first is None else first
        net.zero_grad()
        net.backward(grad, need_input_grad=False)
        opt.step()
    assert loss < first / 20


def test_losses_and_their_gradients():
    rng = np.random.default_rng(15)
    pred, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    loss, grad = nn.mse(pred, target)
    assert math.isclose(loss, np.mean((pred - target) ** 2))
    np.testing.assert_allclose(grad, numerical_gradient(lambda: nn.mse(pred, target)[0], pred), atol=1e-8)

    logits, pixels = rng.standard_normal((4, 5)) * 3, rng.random((4, 5))
    loss, grad = nn.bernoulli_nll(logits, pixels)
    p = 1 / (1 + np.exp(-logits))
    assert math.isclose(loss, -np.sum(pixels * np.log(p) + (1 - pixels) * np.log(1 - p)) / 4, rel_tol=1e-10)
    np.testing.assert_allclose(grad, numerical_gradient(lambda: nn.bernoulli_nll(logits, pixels)[0], logits),
                               atol=1e-8)

    mean, log_var, x = rng.standard_normal((4, 2)), rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    loss, d_mean, d_log_var = nn.gaussian_nll(mean, log_var, x)
    assert math.isclose(loss, -np.sum(norm.logpdf(x, mean, np.exp(0.5 * log_var))) / 4, rel_tol=1e-10)
    np.testing.assert_allclose(d_mean, numerical_gradient(lambda: nn.gaussian_nll(mean, log_var, x)[0], mean),
                               atol=1e-8)
    np.testing.assert_allclose(d_log_var,
                               numerical_gradient(lambda: nn.gaussian_nll(mean, log_var, x)[0], log_var), atol=1e-8)


def test_stable_sigmoid_and_softplus():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    np.testing.assert_allclose(nn.sigmoid(x), [0, 1 / (1 + math.exp(30)), 0.5, 1 / (1 + math.exp(-30)), 1])
    np.testing.assert_allclose(nn.softplus(x), [0, math.log1p(math.exp(-30)), math.log(2), 30 + math.log1p(
        math.exp(-30)), 1000])


def test_sinusoidal_embedding():
    emb = nn.sinusoidal_embedding(np.array([0, 1, 50]), 8)
    assert emb.shape == (3, 8) and emb.dtype == np.float32
    np.testing.assert_allclose(emb[0], [0, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_allclose(emb[:, :4] ** 2 + emb[:, 4:] ** 2, 1, rtol=1e-6)   # sin² + cos² per frequency
    assert np.unique(emb, axis=0).shape[0] == 3
    with pytest.raises(ValueError, match="even"):
        nn.sinusoidal_embedding(np.array([1]), 7)


def test_time_embedding_input_gets_its_gradient():
    """A diffusion-style network sees [x, embedding(t)]; backward returns the gradient for both parts."""
    rng = np.random.default_rng(16)
    net = nn.MLP([2 + 4, 16, 2], activation="softplus", rng=rng, dtype=np.float64)
    x = rng.standard_normal((3, 2))
    emb = nn.sinusoidal_embedding(np.array([3, 7, 9]), 4, dtype=np.float64)
    inputs = np.concatenate([x, emb], axis=1)
    upstream = rng.standard_normal((3, 2))
    net.forward(inputs)
    d_inputs = net.backward(upstream)
    numeric = numerical_gradient(lambda: np.sum(upstream * net.forward(inputs)), inputs)
    np.testing.assert_allclose(d_inputs, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("make, message", [
    (lambda: nn.MLP([3], rng=np.random.default_rng()), "at least"),
    (lambda: nn.MLP([3, 0, 1], rng=np.random.default_rng()), "at least"),
    (lambda: nn.MLP([1, 1], activation="swish", rng=np.random.default_rng()), "unknown activation"),
    (lambda: nn.MLP([1, 1], dtype=np.int32, rng=np.random.default_rng()), "dtype"),
    (lambda: nn.Adam(np.zeros(1), np.zeros(1), betas=(1.0, 0.9)), "betas"),
    (lambda: nn.Adam(np.zeros(1), np.zeros(1), lr=-1), "learning rate"),
    (lambda: nn.SGD(np.zeros(1), np.zeros(1), momentum=1.5), "momentum"),
    (lambda: nn.LeakyReLU(2.0), "negative slope"),
])
def test_invalid_arguments_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_wrong_input_shape_is_reported():
    net = nn.MLP([3, 4, 1], rng=np.random.default_rng(17))
    with pytest.raises(ValueError, match=r"\(B, 3\)"):
        net.forward(np.zeros((5, 2)))
