"""A tiny multilayer-perceptron toolkit in numpy: layers, activations, backward passes and optimisers.

Shared by the GAN, VAE and diffusion models. Everything works on a batch of rows, ``x`` of shape ``(B, n_in)``.

* :class:`Dense` and the activations (:class:`ReLU`, :class:`LeakyReLU`, :class:`Tanh`, :class:`Sigmoid`,
  :class:`Softplus`, :class:`Identity`) each have ``forward`` (remembers what ``backward`` needs) and
  ``backward(grad)``, which takes the gradient of some scalar loss with respect to the layer's output, *adds* the
  parameter gradients into the layer's gradient buffer and returns the gradient with respect to the layer's input.
* :class:`MLP` chains them. All its weights live in one flat vector ``net.params`` (each layer's ``W`` and ``b`` are
  views into it) and all gradients in ``net.grads``, so an optimiser updates every weight with one vectorised
  operation and a checkpoint is one array copy.
* ``backward`` returns the gradient with respect to the network's *input* — the GAN's generator learns through the
  discriminator that way.
* ``forward_jvp`` / ``backward_jvp`` carry a derivative along an input direction through the network
  (forward-mode, a Jacobian–vector product) and then back-propagate through that derivative too. That is the exact
  "gradient of a gradient" a gradient penalty (WGAN-GP) needs, written out by hand for a small MLP.
* :class:`SGD` and :class:`Adam` update a flat parameter buffer in place.
* Loss helpers return ``(loss, gradient)``: :func:`mse`, :func:`bernoulli_nll`, :func:`gaussian_nll`.

float32 by default; pass ``dtype=np.float64`` for gradient checks.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy.special import expit

__all__ = [
    "Layer", "Dense", "Activation", "Identity", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softplus",
    "ACTIVATIONS", "make_activation", "MLP", "join_parameters", "SGD", "Adam",
    "sigmoid", "softplus", "mse", "bernoulli_nll", "gaussian_nll", "sinusoidal_embedding",
]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^(−x)) without overflow; keeps the input's float dtype."""
    return expit(x)


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^x) without overflow; keeps the input's float dtype.

    Written as max(x, 0) + log1p(e^(−|x|)): the same value as ``np.logaddexp(0, x)`` and ~20× faster on a
    (128, 256) batch, because logaddexp takes a slow general path."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


# ---------------------------------------------------------------------------------------------------------------
# Layers

class Layer:
    """A step of the network. Layers without weights keep ``n_params = 0`` and ignore ``bind``/``init``."""

    n_params = 0

    def bind(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Take this layer's slices of the network's flat parameter and gradient vectors (views, not copies)."""

    def init(self, rng: np.random.Generator) -> None:
        """Draw fresh weights."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray, need_param_grads: bool = True) -> np.ndarray:
        raise NotImplementedError

    def forward_jvp(self, x: np.ndarray, x_dot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def backward_jvp(self, grad: np.ndarray, grad_dot: np.ndarray,
                     need_param_grads: bool = True) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


class Dense(Layer):
    """y = x W + b, with W of shape (n_in, n_out).

    ``init="he"`` draws W ~ N(0, gain² / n_in) (for ReLU-like activations, gain² = 2 / (1 + slope²));
    ``init="xavier"`` draws W ~ U(−a, a) with a = √(6 / (n_in + n_out)) (for tanh, sigmoid and linear outputs).
    Biases start at zero.
    """

    def __init__(self, n_in: int, n_out: int, *, init: str = "he", gain: float = math.sqrt(2.0)) -> None:
        if init not in ("he", "xavier"):
            raise ValueError(f"init must be 'he' or 'xavier', not {init!r}")
        self.n_in, self.n_out, self.init_scheme, self.gain = n_in, n_out, init, gain
        self.n_params = n_in * n_out + n_out

    def bind(self, params: np.ndarray, grads: np.ndarray) -> None:
        n_w = self.n_in * self.n_out
        self.W = params[:n_w].reshape(self.n_in, self.n_out)
        self.b = params[n_w:]
        self.dW = grads[:n_w].reshape(self.n_in, self.n_out)
        self.db = grads[n_w:]

    def init(self, rng: np.random.Generator) -> None:
        # Drawn in float64 and then stored, so a float32 and a float64 network with the same seed start alike.
        if self.init_scheme == "he":
            self.W[...] = rng.standard_normal((self.n_in, self.n_out)) * (self.gain / math.sqrt(self.n_in))
        else:
            bound = math.sqrt(6.0 / (self.n_in + self.n_out))
            self.W[...] = rng.uniform(-bound, bound, (self.n_in, self.n_out))
        self.b[...] = 0

    def forward(self, x):
        self.x = x                                     # (B, n_in)
        y = self._times_w(x)                           # (B, n_out)
        y += self.b
        return y

    # A product with a single row or column of W is an outer product, which broadcasting does several times faster
    # than matmul; 1-D models (the GAN) hit it in the first and last layers.
    def _times_w(self, x):
        return x * self.W[0] if self.n_in == 1 else x @ self.W

    def _times_w_t(self, grad):
        return grad * self.W[:, 0] if self.n_out == 1 else grad @ self.W.T

    def backward(self, grad, need_param_grads=True, need_input_grad=True):
        if need_param_grads:
            self.dW += self.x.T @ grad
            self.db += _ones(len(grad), grad.dtype) @ grad        # column sums, in BLAS (see _ones)
        return self._times_w_t(grad) if need_input_grad else None

    def forward_jvp(self, x, x_dot):
        self.x, self.x_dot = x, x_dot
        y = self._times_w(x)
        y += self.b
        return y, self._times_w(x_dot)

    def backward_jvp(self, grad, grad_dot, need_param_grads=True):
        # W appears in both y = xW + b and ẏ = ẋW, so it collects a gradient from each. grad None means zero.
        if need_param_grads:
            self.dW += self.x_dot.T @ grad_dot
            if grad is not None:
                self.dW += self.x.T @ grad
                self.db += _ones(len(grad), grad.dtype) @ grad
        return (None if grad is None else self._times_w_t(grad)), self._times_w_t(grad_dot)


@lru_cache(maxsize=32)
def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of n ones. ``ones @ grad`` sums the columns of grad (B, n) in BLAS, several times faster
    than ``grad.sum(axis=0)``, which walks the short rows one by one."""
    ones = np.ones(n, dtype)
    ones.flags.writeable = False
    return ones


class Activation(Layer):
    """An element-wise y = f(a). Subclasses give f, its slope f′ and its curvature f″ (for ``backward_jvp``)."""

    name = ""

    def value(self, a):
        raise NotImplementedError

    def slope(self, a, y):
        raise NotImplementedError

    def curvature(self, a, y, slope):
        raise NotImplementedError

    def forward(self, a):
        y = self.value(a)
        self.a, self.y = a, y
        return y

    def backward(self, grad, need_param_grads=True):
        return grad * self.slope(self.a, self.y)

    def forward_jvp(self, a, a_dot):
        y = self.value(a)
        s = self.slope(a, y)
        self.a, self.y, self.s, self.a_dot = a, y, s, a_dot
        return y, s * a_dot                            # ẏ = f′(a) ȧ

    def backward_jvp(self, grad, grad_dot, need_param_grads=True):
        # ẏ = f′(a) ȧ depends on a through f′, hence the curvature term. grad None means zero (and stays None
        # through piecewise-linear layers, whose curvature is zero: a penalty on the slope alone skips that path).
        grad_a = None if grad is None else grad * self.s
        curvature = self.curvature(self.a, self.y, self.s)
        if curvature is not None:
            through_slope = grad_dot * self.a_dot * curvature
            grad_a = through_slope if grad_a is None else grad_a + through_slope
        return grad_a, grad_dot * self.s

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(Activation):
    name = "identity"

    def value(self, a):
        return a

    def slope(self, a, y):
        return np.ones_like(a)

    def curvature(self, a, y, slope):
        return None                                    # zero


class ReLU(Activation):
    name = "relu"

    def value(self, a):
        return np.maximum(a, 0)

    def slope(self, a, y):
        return a > 0                                   # bool multiplies as 0/1 and keeps the float dtype

    def curvature(self, a, y, slope):
        return None                                    # zero wherever it is defined


class LeakyReLU(Activation):
    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.2) -> None:
        if not 0 <= negative_slope <= 1:
            raise ValueError(f"the negative slope must be in [0, 1], not {negative_slope}")
        self.negative_slope = negative_slope

    def value(self, a):
        y = a * self.negative_slope
        return np.maximum(y, a, out=y)                 # = a for a > 0, slope·a below (slope ≤ 1)

    def slope(self, a, y):
        number = a.dtype.type                          # keeps float32 float32: a bool array times a Python float
        slope = (a > 0) * number(1 - self.negative_slope)  # would become float64
        slope += number(self.negative_slope)
        return slope

    def backward(self, grad, need_param_grads=True):
        slope = self.slope(self.a, self.y)
        slope *= grad                                  # in place: the slope array is ours to reuse
        return slope

    def curvature(self, a, y, slope):
        return None

    def __repr__(self) -> str:
        return f"LeakyReLU({self.negative_slope})"


class Tanh(Activation):
    name = "tanh"

    def value(self, a):
        return np.tanh(a)

    def slope(self, a, y):
        return 1 - y * y

    def curvature(self, a, y, slope):
        return -2 * y * slope


class Sigmoid(Activation):
    name = "sigmoid"

    def value(self, a):
        return expit(a)

    def slope(self, a, y):
        return y * (1 - y)

    def curvature(self, a, y, slope):
        return slope * (1 - 2 * y)


class Softplus(Activation):
    name = "softplus"

    def value(self, a):
        return np.logaddexp(0, a)

    def slope(self, a, y):
        return expit(a)

    def curvature(self, a, y, slope):
        return slope * (1 - slope)


ACTIVATIONS = {cls.name: cls for cls in (Identity, ReLU, LeakyReLU, Tanh, Sigmoid, Softplus)}


def make_activation(name: str | None) -> Activation:
    if name is None:
        return Identity()
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


def _he_gain(activation: Activation) -> float:
    slope = activation.negative_slope if isinstance(activation, LeakyReLU) else 0.0
    return math.sqrt(2.0 / (1.0 + slope * slope))


# ---------------------------------------------------------------------------------------------------------------
# The network

class MLP:
    """Dense → activation → … → Dense (→ output activation), all weights in one flat vector.

    >>> net = MLP([1, 32, 32, 1], activation="leaky_relu", rng=np.random.default_rng(0))
    >>> y = net.forward(x)                 # (B, 1); remembers what backward needs
    >>> net.zero_grad()
    >>> dx = net.backward(dloss_dy)        # adds dloss/dparams into net.grads, returns dloss/dx

    ``init`` defaults to He for ReLU-like hidden activations and Xavier otherwise; the last Dense layer is always
    Xavier. A network that should see a time or class embedding simply takes the concatenation as its input
    (``np.concatenate([x, embedding], axis=1)``); ``backward`` then returns the gradient for both parts.
    """

    def __init__(self, sizes: Sequence[int], *, rng: np.random.Generator, activation: str = "leaky_relu",
                 output_activation: str | None = None, init: str | None = None, dtype=np.float32) -> None:
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"an MLP needs at least an input and an output size, all ≥ 1; got {sizes}")
        if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64, not {np.dtype(dtype)}")
        for name in (activation, output_activation):
            make_activation(name)                      # an unknown name fails here, before any work
        if init is None:
            init = "he" if activation in ("relu", "leaky_relu") else "xavier"
        self.sizes, self.dtype = sizes, np.dtype(dtype)
        self.layers: list[Layer] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            act = make_activation(output_activation if last else activation)
            self.layers.append(Dense(n_in, n_out, init="xavier" if last else init, gain=_he_gain(act)))
            if not isinstance(act, Identity):
                self.layers.append(act)
        self.n_params = sum(layer.n_params for layer in self.layers)
        self.bind(np.zeros(self.n_params, self.dtype), np.zeros(self.n_params, self.dtype))
        for layer in self.layers:
            layer.init(rng)

    def bind(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Make the layers' weights views into ``params`` (and gradients into ``grads``), both flat, in place."""
        if params.shape != (self.n_params,) or grads.shape != (self.n_params,):
            raise ValueError(f"expected flat vectors of {self.n_params} values, got {params.shape}, {grads.shape}")
        self.params, self.grads = params, grads
        offset = 0
        for layer in self.layers:
            layer.bind(params[offset:offset + layer.n_params], grads[offset:offset + layer.n_params])
            offset += layer.n_params

    # -- passes ---------------------------------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Outputs for a batch ``x`` of shape (B, n_in). Remembers the activations for ``backward``."""
        x = self._as_batch(x)
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad: np.ndarray, *, need_param_grads: bool = True,
                 need_input_grad: bool = True) -> np.ndarray | None:
        """Back-propagate ``grad`` = dloss/doutput (B, n_out) from the last ``forward``.

        Adds dloss/dparams into ``self.grads`` (unless ``need_param_grads`` is False, e.g. when only the input
        gradient is wanted) and returns dloss/dinput (B, n_in), or None when ``need_input_grad`` is False.
        """
        grad = np.asarray(grad, dtype=self.dtype)
        for layer in reversed(self.layers[1:]):
            grad = layer.backward(grad, need_param_grads)
        # The first layer is Dense; its input gradient is a (B, n_in) product worth skipping when unused.
        return self.layers[0].backward(grad, need_param_grads, need_input_grad)

    def forward_jvp(self, x: np.ndarray, x_dot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Outputs y = f(x) and their derivative along the input direction ``x_dot``: ẏ = J_f(x) · ẋ, row by row.

        For a 1-D input and ``x_dot = 1`` this is df/dx at every x — the slope a gradient penalty looks at.
        """
        x, x_dot = self._as_batch(x), self._as_batch(x_dot)
        for layer in self.layers:
            x, x_dot = layer.forward_jvp(x, x_dot)
        return x, x_dot

    def backward_jvp(self, grad: np.ndarray | None, grad_dot: np.ndarray, *,
                     need_param_grads: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
        """Back-propagate through the last ``forward_jvp``: given dloss/dy and dloss/dẏ, add dloss/dparams into
        ``self.grads`` and return (dloss/dx, dloss/dẋ). Exact second-order terms, no finite differences.

        ``grad=None`` stands for zero (a loss on the slope only, like a gradient penalty); dloss/dx comes back as
        None when it is zero too."""
        grad = None if grad is None else np.asarray(grad, self.dtype)
        grad_dot = np.asarray(grad_dot, self.dtype)
        for layer in reversed(self.layers):
            grad, grad_dot = layer.backward_jvp(grad, grad_dot, need_param_grads)
        return grad, grad_dot

    def _as_batch(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"expected a batch of shape (B, {self.sizes[0]}), got {x.shape}")
        return x

    # -- parameters -----------------------------------------------------------------------------------------------
    def zero_grad(self) -> None:
        self.grads[...] = 0

    def get_flat(self) -> np.ndarray:
        """A copy of every weight as one vector (for checkpoints)."""
        return self.params.copy()

    def set_flat(self, flat: np.ndarray) -> None:
        """Overwrite every weight from one vector, in place (the layers' views stay valid)."""
        flat = np.asarray(flat)
        if flat.shape != (self.n_params,):
            raise ValueError(f"this network has {self.n_params} parameters; got a vector of shape {flat.shape}")
        self.params[...] = flat

    def __repr__(self) -> str:
        return f"MLP({self.sizes}, {self.layers[1] if len(self.layers) > 1 else ''}, {self.n_params} params)"


def join_parameters(*nets: MLP) -> tuple[np.ndarray, np.ndarray]:
    """Move several networks' weights into one shared flat buffer (e.g. a VAE's encoder and decoder, so one
    optimiser updates both at once). Returns ``(params, grads)``; each network keeps working on its slice."""
    dtypes = {net.dtype for net in nets}
    if len(dtypes) != 1:
        raise ValueError(f"networks to join must share a dtype; got {sorted(map(str, dtypes))}")
    params = np.concatenate([net.params for net in nets])
    grads = np.zeros_like(params)
    offset = 0
    for net in nets:
        net.bind(params[offset:offset + net.n_params], grads[offset:offset + net.n_params])
        offset += net.n_params
    return params, grads


# ---------------------------------------------------------------------------------------------------------------
# Optimisers: one vectorised, in-place update of a flat parameter vector.

def _check_lr(lr: float) -> float:
    if not (isinstance(lr, (int, float, np.floating)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a positive number, not {lr!r}")
    return float(lr)


class SGD:
    """p ← p − lr · v with v ← momentum · v + g (plain gradient descent when momentum = 0)."""

    def __init__(self, params: np.ndarray, grads: np.ndarray, *, lr: float = 1e-2, momentum: float = 0.0) -> None:
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), not {momentum}")
        self.params, self.grads = params, grads
        self.lr, self.momentum = _check_lr(lr), float(momentum)
        self.velocity = np.zeros_like(params)

    def step(self) -> None:
        self.velocity *= self.momentum
        self.velocity += self.grads
        self.params -= self.lr * self.velocity

    def state(self) -> dict:
        return {"velocity": self.velocity.copy()}

    def load_state(self, state: dict) -> None:
        self.velocity[...] = state["velocity"]


class Adam:
    """Adam (Kingma & Ba 2015), written like PyTorch's: bias-corrected moments, ε added after the square root.

        m ← β₁ m + (1 − β₁) g        v ← β₂ v + (1 − β₂) g²
        p ← p − lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    ``lr`` and ``betas`` may be changed between steps.
    """

    def __init__(self, params: np.ndarray, grads: np.ndarray, *, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"Adam's betas must both be in [0, 1), not {tuple(betas)}")
        self.params, self.grads = params, grads
        self.lr, self.betas, self.eps = _check_lr(lr), (float(b1), float(b2)), float(eps)
        self.m = np.zeros_like(params)
        self.v = np.zeros_like(params)
        self.t = 0
        self._scratch = np.empty_like(params)

    def step(self) -> None:
        b1, b2 = self.betas
        g, m, v, tmp = self.grads, self.m, self.v, self._scratch
        self.t += 1
        m *= b1
        np.multiply(g, 1 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v += tmp
        bias1, bias2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        np.sqrt(v, out=tmp)
        tmp *= 1 / math.sqrt(bias2)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr / bias1
        self.params -= tmp

    def state(self) -> dict:
        return {"m": self.m.copy(), "v": self.v.copy(), "t": self.t}

    def load_state(self, state: dict) -> None:
        self.m[...] = state["m"]
        self.v[...] = state["v"]
        self.t = int(state["t"])


# ---------------------------------------------------------------------------------------------------------------
# Losses, each returning (loss, gradient with respect to the network output(s)).

def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over every element (PyTorch's default), and its gradient."""
    diff = pred - target
    return float(np.mean(diff * diff)), diff * (2.0 / diff.size)


def bernoulli_nll(logits: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """−log p(x | logits) for x in [0, 1] under independent Bernoulli(sigmoid(logits)) pixels:
    summed over features, averaged over the batch (B, D). Returns (loss, dloss/dlogits)."""
    batch = logits.shape[0]
    loss = np.sum(softplus(logits) - x * logits) / batch
    return float(loss), (sigmoid(logits) - x) / batch


def gaussian_nll(mean: np.ndarray, log_var: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """−log N(x | mean, exp(log_var)), summed over features and averaged over the batch (B, D).
    Returns (loss, dloss/dmean, dloss/dlog_var)."""
    batch = mean.shape[0]
    inv_var = np.exp(-log_var)
    diff = x - mean
    loss = 0.5 * np.sum(math.log(2 * math.pi) + log_var + diff * diff * inv_var) / batch
    return float(loss), -diff * inv_var / batch, 0.5 * (1 - diff * diff * inv_var) / batch


def sinusoidal_embedding(t: np.ndarray, dim: int, *, max_period: float = 10_000.0, dtype=np.float32) -> np.ndarray:
    """Transformer-style features of a (diffusion) time step: [sin(t·ω_k), cos(t·ω_k)] with ω_k spaced
    geometrically from 1 to 1/max_period. (B,) → (B, dim); ``dim`` must be even."""
    if dim < 2 or dim % 2:
        raise ValueError(f"the embedding size must be an even number ≥ 2, not {dim}")
    t = np.asarray(t, dtype=np.float64).reshape(-1, 1)                              # (B, 1)
    freqs = np.exp(-math.log(max_period) * np.arange(dim // 2) / (dim // 2))        # (dim/2,)
    angles = t * freqs                                                              # (B, dim/2)
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1).astype(dtype)
