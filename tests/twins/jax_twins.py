"""JAX twins of the worked examples, for ``cgtui import jax`` (tests/test_import_jax.py)."""

import jax
import jax.numpy as jnp
from jax import Array


def squared_error(w: Array, x: Array, b: Array, y: Array) -> Array:
    z = w * x
    yhat = z + b
    d = yhat - y
    return d**2


def branching(x: Array, y: Array) -> Array:
    s = x + y
    return jnp.multiply(s, x)


def micrograd_sanity(x: Array) -> Array:
    z = 2 * x + 2 + x
    q = jax.nn.relu(z) + z * x
    h = jax.nn.relu(z * z)
    return h + q + q * x


def micrograd_more_ops(a: Array, b: Array) -> Array:
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + jax.nn.relu(b + a)
    d = d + 3 * d + jax.nn.relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return jnp.asarray(g)


def neuron(w: Array, b: Array, x: Array, y: Array) -> Array:
    p = jax.nn.sigmoid(w * x + b)
    return -(y * jnp.log(p) + (1 - y) * jnp.log(1 - p)) + jnp.tanh(x) * jnp.exp(-x) + jnp.sqrt(x * x)


def unsupported(x: Array) -> Array:
    return jnp.sort(jnp.array([x, 2 * x]))[0] + jnp.floor(x)
