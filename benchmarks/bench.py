#!/usr/bin/env python
"""Benchmark suite: torchless vs. PyTorch on six workloads.

Usage:
    python benchmarks/bench.py [--quick] [--only W1,W3] [--no-contenders] [--library-path PATH]

Every workload is written once, as functions that take the library module as
their ``torch`` parameter, so the very same code runs with torchless and with
PyTorch.  Both libraries are compared single-threaded, interleaved in one
process, after a warm-up; the order rotates from one timed repeat to the next
(repeat i starts at the (i mod n)-th of the n libraries that run in it), and
medians of the timed runs are reported.  Before timing, torchless's result is
checked against torch's; a difference is reported as MISMATCH and makes the
script exit non-zero.  Targets are reported, never asserted.

Optional contenders (HIPS autograd, MyGrad, DeZero; skipped with
--no-contenders or when not installed) run every workload too, written with
their own APIs; a second table compares them with torch and torchless.  It
also lists a raw-NumPy reference (the same computation with hand-derived
gradients, no autograd), for information: it is not part of the verdict.

Exit status: 0 = all checked results match (targets met or not),
             1 = at least one MISMATCH,
             2 = no mismatch, but torchless (or torch) raised on some workload
                 or could not be imported.

Hidden / internal flags:
    --memory-child W3|W9 torchless|torch   run the workload once in this (fresh)
                                  process and print its peak RSS as JSON; used by the parent.
    --self-test                   use PyTorch in place of torchless, to check
                                  the harness itself.
"""

# Single-threaded comparison: these must be set before numpy / torch load.
import os

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ[_var] = "1"

import argparse
import gc
import json
import math
import platform
import resource
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_LIBRARY_PATH = REPO / "src"


# ---------------------------------------------------------------------------
# Library loading
# ---------------------------------------------------------------------------


def load_torch():
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set / parallel work already started
    return torch


def load_torchless(library_path, self_test):
    if self_test:
        return load_torch()
    library_path = str(library_path)
    if library_path not in sys.path:
        sys.path.insert(0, library_path)
    import torchless

    return torchless


# ---------------------------------------------------------------------------
# Fixed-seed input data (numpy, cached so each run converts the same arrays)
# ---------------------------------------------------------------------------


@cache
def w2_data():
    return np.linspace(-1.0, 1.0, 16, dtype=np.float32)


@cache
def w3_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 784)).astype(np.float32)
    labels = rng.integers(0, 10, size=64)
    target = np.zeros((64, 10), dtype=np.float32)
    target[np.arange(64), labels] = 1.0
    w1 = (rng.standard_normal((784, 256)) * math.sqrt(2.0 / 784)).astype(np.float32)
    b1 = np.zeros(256, dtype=np.float32)
    w2 = (rng.standard_normal((256, 10)) * math.sqrt(1.0 / 256)).astype(np.float32)
    b2 = np.zeros(10, dtype=np.float32)
    return x, target, (w1, b1, w2, b2)


@cache
def w4_data():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2048, 2048), dtype=np.float32)
    b = rng.standard_normal((2048, 2048), dtype=np.float32)
    return a, b


# ---------------------------------------------------------------------------
# Workloads. Each `setup(torch)` is untimed and called before every run;
# each `run(torch, state)` is timed and returns (result, {phase: seconds}).
# ---------------------------------------------------------------------------

# W1: the seed's Legendre fit (s6_legendre_fit.py), logic copied verbatim.


def make_legendre(torch):
    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input**3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input**2 - 1)

    return LegendrePolynomial3


def w1_setup(torch):
    return None


def w1_run(torch, state):
    LegendrePolynomial3 = make_legendre(torch)
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    losses = []
    for t in range(2000):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            losses.append(loss.item())  # the seed prints these
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return [a.item(), b.item(), c.item(), d.item()], {}


# W2: per-op overhead on a tiny tensor.

W2_STEPS = 1000


def w2_setup(torch):
    return torch.tensor(w2_data(), requires_grad=True)


def w2_run(torch, x):
    t0 = time.perf_counter()
    y = x
    for _ in range(W2_STEPS):
        y = y * 1.0001 + 0.0001
    t1 = time.perf_counter()
    y.sum().backward()
    t2 = time.perf_counter()
    return x.grad, {"fwd": t1 - t0, "bwd": t2 - t1}


# W3: one-hidden-layer MLP, MSE to one-hot, manual SGD, 100 steps.

W3_STEPS = 100
W3_LR = 0.01


def w3_setup(torch):
    x, target, params = w3_data()
    x = torch.tensor(x)
    target = torch.tensor(target)
    params = [torch.tensor(p, requires_grad=True) for p in params]
    return x, target, params


def w3_run(torch, state):
    x, target, params = state
    W1, b1, W2, b2 = params
    for _ in range(W3_STEPS):
        h = torch.relu(x @ W1 + b1)
        out = h @ W2 + b2
        loss = ((out - target) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= W3_LR * p.grad
                p.grad = None
    return loss.item(), {}


# W4: one big matmul, forward + backward.


def w4_setup(torch):
    a, b = w4_data()
    return torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)


def w4_run(torch, state):
    A, B = state
    (A @ B).sum().backward()
    return A.grad, {}


# W5: a 0-d parameter through a very long chain of ops (graph depth 200,000).

W5_STEPS = 100_000


def w5_setup(torch):
    return torch.tensor(1.0, dtype=torch.float32, requires_grad=True)


def w5_run(torch, x):
    y = x
    for _ in range(W5_STEPS):
        y = y * 0.99999 + 1e-6
    y.backward()
    return x.grad, {}


# W6: a small CNN's training steps, written with the functional API:
# conv 1->8 (3x3) + ReLU, conv 8->16 (3x3) + ReLU, 2x2 max pool, linear 2304 -> 10,
# cross-entropy, manual SGD; batch 32 of 1x28x28.

W6_STEPS = 10
W6_LR = 0.05


@cache
def w6_data():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((32, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, size=32)
    params = (
        (rng.standard_normal((8, 1, 3, 3)) * math.sqrt(2.0 / 9)).astype(np.float32),
        np.zeros(8, dtype=np.float32),
        (rng.standard_normal((16, 8, 3, 3)) * math.sqrt(2.0 / 72)).astype(np.float32),
        np.zeros(16, dtype=np.float32),
        (rng.standard_normal((10, 2304)) * math.sqrt(1.0 / 2304)).astype(np.float32),
        np.zeros(10, dtype=np.float32),
    )
    return x, labels, params


def w6_setup(torch):
    x, labels, params = w6_data()
    return torch.tensor(x), torch.tensor(labels), [torch.tensor(p, requires_grad=True) for p in params]


def w6_run(torch, state):
    F = torch.nn.functional
    x, labels, params = state
    w1, b1, w2, b2, w3, b3 = params
    for _ in range(W6_STEPS):
        h = F.relu(F.conv2d(x, w1, b1))
        h = F.relu(F.conv2d(h, w2, b2))
        h = F.max_pool2d(h, 2)
        loss = F.cross_entropy(F.linear(h.flatten(1), w3, b3), labels)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= W6_LR * p.grad
                p.grad = None
    return loss.item(), {}


W7_ROWS, W7_BATCH = 60000, 64


@cache
def w7_data():
    rng = np.random.default_rng(7)
    return rng.standard_normal((W7_ROWS, 784)).astype(np.float32), rng.integers(0, 10, size=W7_ROWS)


def w7_setup(torch):
    x, labels = w7_data()
    return torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(labels))


def w7_run(torch, dataset):
    """One shuffled epoch; the result (the labels' sum weighted by batch number) agrees only if
    both libraries shuffle alike."""
    torch.manual_seed(0)
    total = 0
    for i, (x, y) in enumerate(torch.utils.data.DataLoader(dataset, batch_size=W7_BATCH, shuffle=True)):
        total += (i % 7) * int(y[0])
    return float(total), {}


# W8-W10: the nn/optim workloads (issue 10). Models are built after torch.manual_seed(0) in both
# libraries: torchless's initialisers draw torch's random numbers, so the weights are equal.

W8_STEPS = 100


def w8_setup(torch):
    x, target, _ = w3_data()
    labels = np.argmax(target, axis=1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=W3_LR, momentum=0.9)
    return torch.tensor(x), torch.tensor(labels), model, torch.nn.CrossEntropyLoss(), opt


def w8_run(torch, state):
    x, labels, model, loss_fn, opt = state
    for _ in range(W8_STEPS):
        loss = loss_fn(model(x), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item(), {}


W9_STEPS = 5


@cache
def w9_data():
    rng = np.random.default_rng(9)
    return rng.standard_normal((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, size=64)


def w9_setup(torch):
    nn = torch.nn

    class LeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            F = torch.nn.functional
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = F.relu(self.fc1(x.flatten(1)))
            return self.fc3(F.relu(self.fc2(x)))

    x, labels = w9_data()
    torch.manual_seed(0)
    model = LeNet5()
    return torch.tensor(x), torch.tensor(labels), model, torch.optim.Adam(model.parameters(), lr=1e-3)


def w9_run(torch, state):
    x, labels, model, opt = state
    for _ in range(W9_STEPS):
        loss = torch.nn.functional.cross_entropy(model(x), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item(), {}


W10_SEQ, W10_BATCH, W10_HIDDEN = 35, 20, 128


@cache
def w10_data():
    return np.random.default_rng(10).standard_normal((W10_SEQ, W10_BATCH, W10_HIDDEN)).astype(np.float32)


def w10_setup(torch):
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(W10_HIDDEN, W10_HIDDEN, num_layers=2)
    return torch.tensor(w10_data()), lstm


def w10_run(torch, state):
    x, lstm = state
    out, (h, c) = lstm(x)
    loss = out.pow(2).mean() + h.sum() * 0.1 + c.sum() * 0.01
    loss.backward()
    grad_sum = float(sum(p.grad.abs().sum() for p in lstm.parameters()))
    for p in lstm.parameters():
        p.grad = None
    return [loss.item(), grad_sum], {}


# W11-W15: torch.func and forward-mode AD (issue 9), against torch.func on the same work.


@cache
def w11_data():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((64, 784)).astype(np.float32)
    labels = rng.integers(0, 10, size=64)
    params = ((rng.standard_normal((128, 784)) * 0.03).astype(np.float32), np.zeros(128, dtype=np.float32),
              (rng.standard_normal((10, 128)) * 0.1).astype(np.float32), np.zeros(10, dtype=np.float32))
    return x, labels, params


def w11_setup(torch):
    x, labels, params = w11_data()
    return torch.tensor(x), torch.tensor(labels), tuple(torch.tensor(p) for p in params)


def _sample_loss(torch):
    F = torch.nn.functional

    def loss(params, x, label):
        w1, b1, w2, b2 = params
        out = F.linear(F.relu(F.linear(x, w1, b1)), w2, b2)
        return F.cross_entropy(out.unsqueeze(0), label.unsqueeze(0))
    return loss


def w11_run(torch, state):
    x, labels, params = state
    grads = torch.func.vmap(torch.func.grad(_sample_loss(torch)), in_dims=(None, 0, 0))(params, x, labels)
    return [float(g[:4].abs().sum()) for g in grads], {}  # (a checksum of a few samples' gradients)


def w12_run(torch, state):
    x, labels, params = state
    grad = torch.func.grad(_sample_loss(torch))
    per_sample = [grad(params, x[i], labels[i]) for i in range(x.shape[0])]
    return [float(sum(g[k].abs().sum() for g in per_sample[:4])) for k in range(4)], {}


@cache
def w13_data():
    rng = np.random.default_rng(13)
    return ((rng.standard_normal((100, 100)) * 0.1).astype(np.float32), rng.standard_normal(100).astype(np.float32),
            rng.standard_normal(100).astype(np.float32))


def w13_setup(torch):
    return tuple(torch.tensor(a) for a in w13_data())


def w13_run(torch, state):
    w, b, x = state
    layer = lambda v: torch.tanh(w @ v + b)
    rev = torch.func.jacrev(layer)(x)
    fwd = torch.func.jacfwd(layer)(x)
    return [float(rev.abs().sum()), float(fwd.abs().sum())], {}


def w14_run(torch, state):
    _, _, x = state
    hess = torch.func.hessian(lambda v: (torch.tanh(v) ** 3).sum() + (v[:-1] * v[1:]).sum())(x)
    return float(hess.abs().sum()), {}


W15_ITERS = 200


def w15_setup(torch):
    x = torch.linspace(-math.pi, math.pi, 2000)
    return x, [torch.tensor(v) for v in (0.0, -1.0, 0.0, 0.3)]


def w15_run(torch, state):
    """Forward mode through the seed's Legendre model: d(loss)/d(params) . tangent, W15_ITERS times."""
    fwAD = torch.autograd.forward_ad
    x, params = state
    y = torch.sin(x)
    total = 0.0
    for i in range(W15_ITERS):
        with fwAD.dual_level():
            a, b, c, d = (fwAD.make_dual(p, torch.tensor(1.0 if k == i % 4 else 0.0)) for k, p in enumerate(params))
            u = c + d * x
            loss = (a + b * (0.5 * (5 * u ** 3 - 3 * u)) - y).pow(2).sum()
            total += float(fwAD.unpack_dual(loss).tangent)
    return total, {}


# ---------------------------------------------------------------------------
# Optional contenders: HIPS autograd, MyGrad and DeZero, each on all five
# workloads, written with the library's own API on the same numpy data as the
# torch / torchless versions.  A contender is a (setup, run) pair: setup() is
# untimed and builds fresh inputs, run(state) is timed and returns
# (result, {phase: seconds}) like the workloads above.  Results are compared
# with torch's (informational only; never changes the exit status).
#
# dtype: torch computes in float32 throughout, and so should the contenders.
# MyGrad and DeZero turn a Python number operand into a float64 0-d array,
# which NumPy 2 promotes (float32 * float64 0-d array -> float64), so the
# constants we pass them are np.float32.  HIPS autograd calls NumPy ufuncs
# with the Python number itself, which NumPy 2 treats as weak (stays float32).
# ---------------------------------------------------------------------------

W1_ITERS = 2000
W1_INIT = (0.0, -1.0, 0.0, 0.3)  # a, b, c, d
W1_LR = 5e-6


@cache
def w1_data():
    """W1's x and y = sin(x) for the contenders (torch builds them itself with
    torch.linspace; numpy's grid agrees to float32 rounding)."""
    x = np.linspace(-math.pi, math.pi, 2000).astype(np.float32)
    return x, np.sin(x)


def _w1_params_np():
    return [np.array(v, dtype=np.float32) for v in W1_INIT]


# -- raw NumPy reference (no autograd engine: gradients derived by hand) ------

# The reference is informational: it shows what the computation itself costs,
# and is not one of the autograd engines of the "torchless faster than every
# contender" verdict.
REFERENCE = "numpy"
REFERENCE_LABEL = "numpy (raw, hand-derived grads)"


def _numpy_reference():
    """The five workloads written directly in NumPy: the same ops in float32 on
    the same data, with the backward pass derived by hand."""

    def w1_run(state):
        x, y, params = state
        a, b, c, d = params
        losses = []
        for t in range(W1_ITERS):
            # forward: y_pred = a + b * P3(u), u = c + d * x, P3(u) = 0.5 * (5 u^3 - 3 u)
            u = c + d * x
            p3 = 0.5 * (5 * u**3 - 3 * u)
            y_pred = a + b * p3
            r = y_pred - y
            loss = np.sum(r**2)
            if t % 100 == 99:
                losses.append(float(loss))
            # backward: d loss / d y_pred = 2 r, P3'(u) = 1.5 (5 u^2 - 1)
            g_pred = 2 * r
            g_u = g_pred * b * 1.5 * (5 * u**2 - 1)
            grads = (np.sum(g_pred), np.sum(g_pred * p3), np.sum(g_u), np.sum(g_u * x))
            for p, g in zip(params, grads):
                p -= W1_LR * g  # in place, on the 0-d float32 arrays
        return [float(p) for p in params], {}

    def chain(x, steps, scale, shift):
        scale, shift = np.float32(scale), np.float32(shift)
        t0 = time.perf_counter()
        y = x
        for _ in range(steps):
            y = y * scale + shift
        t1 = time.perf_counter()
        # backward: d y_k / d y_(k-1) = scale, so the gradient is scale ** steps,
        # multiplied in one step at a time, as an engine walks the chain back.
        # It starts from ones: the gradient of sum(y) (W2) and of a 0-d y (W5).
        g = np.ones_like(y)
        for _ in range(steps):
            g = g * scale
        t2 = time.perf_counter()
        return g, {"fwd": t1 - t0, "bwd": t2 - t1}

    def w3_run(state):
        x, target, params = state
        W1, b1, W2, b2 = params
        for _ in range(W3_STEPS):
            z = x @ W1 + b1
            h = np.maximum(z, 0)  # relu
            out = h @ W2 + b2
            diff = out - target
            loss = np.mean(diff**2)
            # backward: d mean(diff^2) / d out = 2 diff / size; relu passes where z > 0
            g_out = 2 * diff / diff.size
            g_z = (g_out @ W2.T) * (z > 0)
            grads = (x.T @ g_z, g_z.sum(axis=0), h.T @ g_out, g_out.sum(axis=0))
            for p, g in zip(params, grads):
                p -= W3_LR * g
        return float(loss), {}

    def w4_run(state):
        A, B = state
        C = A @ B
        C.sum()  # the forward value s, computed as the workload does (nothing here needs it)
        G = np.full(C.shape, 1, np.float32)  # d s / d C
        gA = G @ B.T
        _gB = A.T @ G
        return gA, {}

    return {
        "W1": (lambda: (*w1_data(), _w1_params_np()), w1_run),
        "W2": (lambda: w2_data().copy(), lambda x: chain(x, W2_STEPS, 1.0001, 0.0001)),
        "W3": (lambda: (w3_data()[0], w3_data()[1], [p.copy() for p in w3_data()[2]]), w3_run),
        "W4": (lambda: tuple(a.copy() for a in w4_data()), w4_run),
        "W5": (lambda: np.array(1.0, dtype=np.float32), lambda x: chain(x, W5_STEPS, 0.99999, 1e-6)),
    }


# -- HIPS autograd (functional: value_and_grad of a loss function) ----------


def _autograd_contender():
    import autograd.numpy as anp
    from autograd import make_vjp, value_and_grad
    from autograd.extend import defvjp, primitive

    @primitive
    def legendre3(x):
        return 0.5 * (5 * x**3 - 3 * x)

    defvjp(legendre3, lambda ans, x: lambda g: g * 1.5 * (5 * x**2 - 1))

    def w1_loss(params, x, y):
        a, b, c, d = params
        y_pred = a + b * legendre3(c + d * x)
        return anp.sum((y_pred - y) ** 2)

    w1_loss_and_grad = value_and_grad(w1_loss)

    def w1_run(state):
        x, y, params = state
        losses = []
        for t in range(W1_ITERS):
            loss, grads = w1_loss_and_grad(params, x, y)
            if t % 100 == 99:
                losses.append(float(loss))
            params = [p - W1_LR * g for p, g in zip(params, grads)]
        return [float(p) for p in params], {}

    def w2_run(x):
        return chain(x, W2_STEPS, 1.0001, 0.0001, True)

    def w5_run(x):
        return chain(x, W5_STEPS, 0.99999, 1e-6, False)

    def chain(x, steps, scale, shift, reduce_sum):
        def f(x):
            y = x
            for _ in range(steps):
                y = y * scale + shift
            return anp.sum(y) if reduce_sum else y

        t0 = time.perf_counter()
        vjp, ans = make_vjp(f)(x)
        t1 = time.perf_counter()
        g = vjp(np.ones_like(ans))
        t2 = time.perf_counter()
        return g, {"fwd": t1 - t0, "bwd": t2 - t1}

    def w3_loss(params, x, target):
        W1, b1, W2, b2 = params
        h = anp.maximum(anp.dot(x, W1) + b1, 0.0)  # relu
        out = anp.dot(h, W2) + b2
        return anp.mean((out - target) ** 2)

    w3_loss_and_grad = value_and_grad(w3_loss)

    def w3_run(state):
        x, target, params = state
        for _ in range(W3_STEPS):
            loss, grads = w3_loss_and_grad(params, x, target)
            params = [p - W3_LR * g for p, g in zip(params, grads)]
        return float(loss), {}

    w4_grads = value_and_grad(lambda ab: anp.sum(anp.dot(ab[0], ab[1])))

    def w4_run(state):
        _, (gA, _gB) = w4_grads(state)
        return gA, {}

    return {
        "W1": (lambda: (*w1_data(), _w1_params_np()), w1_run),
        "W2": (lambda: w2_data().copy(), w2_run),
        "W3": (lambda: (w3_data()[0], w3_data()[1], [p.copy() for p in w3_data()[2]]), w3_run),
        "W4": (lambda: tuple(a.copy() for a in w4_data()), w4_run),
        "W5": (lambda: np.array(1.0, dtype=np.float32), w5_run),
    }


# -- MyGrad (tensors with .backward(), custom op = Operation subclass) -------


def _mygrad_contender():
    import mygrad as mg
    from mygrad.operation_base import Operation

    class Legendre3(Operation):
        """MyGrad's custom-operation mechanism: forward in __call__, and
        backward_var(grad, index) returns d(loss)/d(input[index])."""

        def __call__(self, x):
            self.variables = (x,)
            x = x.data
            return 0.5 * (5 * x**3 - 3 * x)

        def backward_var(self, grad, index, **kwargs):
            x = self.variables[index].data
            return grad * 1.5 * (5 * x**2 - 1)

    def w1_setup():
        x, y = w1_data()
        params = [mg.tensor(p) for p in _w1_params_np()]
        return mg.tensor(x, constant=True), mg.tensor(y, constant=True), params

    def w1_run(state):
        x, y, params = state
        a, b, c, d = params
        losses = []
        for t in range(W1_ITERS):
            y_pred = a + b * mg.execute_op(Legendre3, c + d * x)
            loss = ((y_pred - y) ** 2).sum()
            if t % 100 == 99:
                losses.append(loss.item())
            loss.backward()  # clears the graph; grads are reset by the next op
            for p in params:
                p.data -= W1_LR * p.grad
        return [p.item() for p in params], {}

    def chain(x, steps, scale, shift, reduce_sum):
        scale, shift = np.float32(scale), np.float32(shift)
        t0 = time.perf_counter()
        y = x
        for _ in range(steps):
            y = y * scale + shift
        t1 = time.perf_counter()
        (y.sum() if reduce_sum else y).backward()
        t2 = time.perf_counter()
        return x.grad, {"fwd": t1 - t0, "bwd": t2 - t1}

    def w3_setup():
        x, target, params = w3_data()
        return (
            mg.tensor(x, constant=True),
            mg.tensor(target, constant=True),
            [mg.tensor(p) for p in params],
        )

    def w3_run(state):
        x, target, params = state
        W1, b1, W2, b2 = params
        for _ in range(W3_STEPS):
            h = mg.nnet.relu(x @ W1 + b1)
            out = h @ W2 + b2
            loss = mg.mean((out - target) ** 2)
            loss.backward()
            for p in params:
                p.data -= W3_LR * p.grad
        return loss.item(), {}

    def w4_run(state):
        A, B = state
        (A @ B).sum().backward()
        return A.grad, {}

    from mygrad.nnet.layers import conv_nd, max_pool
    from mygrad.nnet.losses import softmax_crossentropy

    def w6_setup_mg():
        x, labels, params = w6_data()
        return mg.tensor(x, constant=True), labels, [mg.tensor(p) for p in params]

    def w6_run_mg(state):
        x, labels, params = state
        w1, b1, w2, b2, w3, b3 = params
        for _ in range(W6_STEPS):
            h = mg.nnet.relu(conv_nd(x, w1, stride=1) + b1.reshape(1, -1, 1, 1))
            h = mg.nnet.relu(conv_nd(h, w2, stride=1) + b2.reshape(1, -1, 1, 1))
            h = max_pool(h, (2, 2), (2, 2))
            out = h.reshape(h.shape[0], -1) @ w3.T + b3
            loss = softmax_crossentropy(out, labels)
            loss.backward()
            for p in params:
                p.data -= np.float32(W6_LR) * p.grad
        return loss.item(), {}

    return {
        "W1": (w1_setup, w1_run),
        "W2": (
            lambda: mg.tensor(w2_data()),
            lambda x: chain(x, W2_STEPS, 1.0001, 0.0001, True),
        ),
        "W3": (w3_setup, w3_run),
        "W4": (lambda: tuple(mg.tensor(a) for a in w4_data()), w4_run),
        "W5": (
            lambda: mg.tensor(np.array(1.0, dtype=np.float32)),
            lambda x: chain(x, W5_STEPS, 0.99999, 1e-6, False),
        ),
        "W6": (w6_setup_mg, w6_run_mg),
    }


# -- DeZero (Variable / Function, define-by-run) ------------------------------


@cache
def _import_dezero():
    """Import dezero (0.0.13, the latest on PyPI, predates NumPy 2), with two
    import-time shims that the benchmarked code never touches:

    - its package __init__ imports matplotlib.pyplot and PIL (dataset plotting,
      image transforms) although the PyPI package does not depend on them; when
      they are missing, empty stand-in modules are used during the import;
    - dezero.transforms has ``dtype=np.int`` as a default argument, an alias
      NumPy removed in 1.24; ``np.int = int`` (what the alias was) is set during
      the import and removed afterwards.

    Returns (dezero, dezero.functions, list of the shims used)."""
    import importlib.util
    import types

    stubs = {}
    for name in ("matplotlib", "PIL"):
        if importlib.util.find_spec(name) is None:
            stubs[name] = types.ModuleType(name)
    if "matplotlib" in stubs:
        stubs["matplotlib.pyplot"] = types.ModuleType("matplotlib.pyplot")
        stubs["matplotlib"].pyplot = stubs["matplotlib.pyplot"]
    if "PIL" in stubs:
        stubs["PIL.Image"] = types.ModuleType("PIL.Image")
        stubs["PIL.Image"].BILINEAR = 2  # a default argument in dezero.transforms
        stubs["PIL"].Image = stubs["PIL.Image"]
    shims = [f"{name} stub" for name in stubs if "." not in name]
    for name, mod in stubs.items():
        sys.modules.setdefault(name, mod)
    np_int_shim = not hasattr(np, "int")
    if np_int_shim:
        np.int = int
        shims.append("np.int alias")
    try:
        import dezero
        import dezero.functions
    finally:
        if np_int_shim:
            del np.int
        for name, mod in stubs.items():
            if sys.modules.get(name) is mod:
                del sys.modules[name]
    return dezero, dezero.functions, shims


def _dezero_contender():
    dezero, F, _ = _import_dezero()
    Variable = dezero.Variable

    class Legendre3(dezero.Function):
        def forward(self, x):  # ndarray in, ndarray out
            return 0.5 * (5 * x**3 - 3 * x)

        def backward(self, gy):  # Variable in, Variable out
            (x,) = self.inputs
            # local derivative on the ndarray: keeps float32 (see the dtype note)
            return gy * (1.5 * (5 * x.data**2 - 1))

    def w1_setup():
        x, y = w1_data()
        return x, y, [Variable(p) for p in _w1_params_np()]

    def w1_run(state):
        x, y, params = state
        a, b, c, d = params
        losses = []
        for t in range(W1_ITERS):
            y_pred = a + b * Legendre3()(c + d * x)
            r = y_pred - y
            loss = F.sum(r * r)  # not r ** 2: see the note in w3_run
            if t % 100 == 99:
                losses.append(float(loss.data))
            loss.backward()
            for p in params:
                p.data -= W1_LR * p.grad.data
                p.cleargrad()
        return [float(p.data) for p in params], {}

    def chain(x, steps, scale, shift, reduce_sum):
        scale, shift = np.float32(scale), np.float32(shift)
        t0 = time.perf_counter()
        y = x
        for _ in range(steps):
            y = y * scale + shift
        t1 = time.perf_counter()
        (F.sum(y) if reduce_sum else y).backward()
        t2 = time.perf_counter()
        return x.grad.data, {"fwd": t1 - t0, "bwd": t2 - t1}

    def w3_setup():
        x, target, params = w3_data()
        return x, target, [Variable(p.copy()) for p in params]

    def w3_run(state):
        x, target, params = state
        W1, b1, W2, b2 = params
        for _ in range(W3_STEPS):
            h = F.relu(F.matmul(x, W1) + b1)
            out = F.matmul(h, W2) + b2
            diff = out - target
            # diff * diff, not diff ** 2: DeZero's Pow.backward computes
            # `2 * x ** 1 * gy` with the 2 wrapped as an int64 0-d array, which
            # NumPy 2 promotes to float64, and every gradient below it (both
            # matmuls included) then runs in float64: 3.5x slower here.
            # There is no F.mean: sum / size.
            loss = F.sum(diff * diff) / np.float32(diff.size)
            loss.backward()
            for p in params:
                p.data -= W3_LR * p.grad.data
                p.cleargrad()
        return float(loss.data), {}

    def w4_run(state):
        A, B = state
        F.sum(F.matmul(A, B)).backward()
        return A.grad.data, {}

    def w6_setup_dz():
        x, labels, params = w6_data()
        w1, b1, w2, b2, w3, b3 = (p.copy() for p in params)
        # DeZero's linear takes W as (in, out): the same matrix, transposed
        return x, labels, [Variable(w1), Variable(b1), Variable(w2), Variable(b2),
                           Variable(np.ascontiguousarray(w3.T)), Variable(b3)]

    def w6_run_dz(state):
        x, labels, params = state
        w1, b1, w2, b2, w3, b3 = params
        for _ in range(W6_STEPS):
            h = F.relu(F.conv2d(x, w1, b1))
            h = F.relu(F.conv2d(h, w2, b2))
            h = F.pooling(h, 2, stride=2)
            h = F.reshape(h, (h.shape[0], -1))
            loss = F.softmax_cross_entropy(F.linear(h, w3, b3), labels)
            loss.backward()
            for p in params:
                p.data -= np.float32(W6_LR) * p.grad.data
                p.cleargrad()
        return float(loss.data), {}

    return {
        "W1": (w1_setup, w1_run),
        "W2": (
            lambda: Variable(w2_data().copy()),
            lambda x: chain(x, W2_STEPS, 1.0001, 0.0001, True),
        ),
        "W3": (w3_setup, w3_run),
        "W4": (lambda: tuple(Variable(a.copy()) for a in w4_data()), w4_run),
        "W5": (
            lambda: Variable(np.array(1.0, dtype=np.float32)),
            lambda x: chain(x, W5_STEPS, 0.99999, 1e-6, False),
        ),
        "W6": (w6_setup_dz, w6_run_dz),
    }


CONTENDER_FACTORIES = (
    (REFERENCE, _numpy_reference),
    ("autograd", _autograd_contender),
    ("mygrad", _mygrad_contender),
    ("dezero", _dezero_contender),
)


@cache
def load_contenders():
    """({name: {workload key: (setup, run)}}, {name: version and import notes}, {name:
    why it is unavailable}) for the optional contenders."""
    loaded, info, missing = {}, {}, {}
    for name, factory in CONTENDER_FACTORIES:
        try:
            loaded[name] = factory()
        except Exception as exc:  # noqa: BLE001 - not installed, or fails to import
            missing[name] = short_exc(exc)
            continue
        try:
            from importlib.metadata import version

            info[name] = version(name)
        except Exception:  # noqa: BLE001
            info[name] = "?"
        if name == REFERENCE:
            info[name] += " (reference: raw NumPy, hand-derived gradients)"
        if name == "dezero":
            info[name] += " (import shims: " + (", ".join(_import_dezero()[2]) or "none") + ")"
    return loaded, info, missing


def contenders_for(key):
    """[(name, setup, run)] for optional libraries that are importable."""
    loaded, _, _ = load_contenders()
    return [(name, *table[key]) for name, table in loaded.items() if key in table]


# ---------------------------------------------------------------------------
# Workload table
# ---------------------------------------------------------------------------


@dataclass
class Workload:
    key: str
    title: str
    setup: Callable
    run: Callable
    target: float | None
    rtol: float
    atol: float
    warmup: int
    repeats: int
    quick_warmup: int
    quick_repeats: int
    phase_targets: dict = field(default_factory=dict)
    contender_max_repeats: int | None = None  # cap on the contenders' timed runs


# rtol/atol: tolerance of the torchless-vs-torch result check.
# warmup/repeats: full mode; quick_*: --quick (same problem sizes, fewer runs).
# The contenders get as many timed runs as torchless and torch, but at most
# contender_max_repeats (W5: a MyGrad run takes about 10 s), and in --quick
# mode at most QUICK_CONTENDER_REPEATS.
WORKLOADS = [
    Workload("W1", "W1 Legendre fit (2000 it)", w1_setup, w1_run, target=1.0,
             rtol=1e-3, atol=1e-5, warmup=1, repeats=5, quick_warmup=1, quick_repeats=2),
    Workload("W2", "W2 per-op, 16 elems x 1000", w2_setup, w2_run, target=1.5,
             rtol=1e-4, atol=1e-6, warmup=3, repeats=21, quick_warmup=2, quick_repeats=7,
             phase_targets={"fwd": 1.5, "bwd": 1.5}),
    Workload("W3", "W3 MLP 784-256-10, 100 steps", w3_setup, w3_run, target=1.2,
             rtol=1e-3, atol=1e-6, warmup=1, repeats=7, quick_warmup=1, quick_repeats=3),
    Workload("W4", "W4 (A@B).sum().backward(), 2048^2", w4_setup, w4_run, target=1.1,
             rtol=1e-4, atol=1e-3, warmup=1, repeats=5, quick_warmup=1, quick_repeats=2),
    Workload("W5", "W5 0-d chain, 100,000 x (mul, add)", w5_setup, w5_run, target=2.0,
             rtol=1e-3, atol=1e-6, warmup=1, repeats=5, quick_warmup=1, quick_repeats=1,
             contender_max_repeats=3),
    Workload("W6", "W6 small CNN, 10 training steps", w6_setup, w6_run, target=1.5,
             rtol=1e-3, atol=1e-5, warmup=1, repeats=7, quick_warmup=1, quick_repeats=3),
    Workload("W7", "W7 DataLoader epoch, 60000x784, batch 64, shuffled", w7_setup, w7_run, target=1.5,
             rtol=0, atol=0, warmup=1, repeats=5, quick_warmup=1, quick_repeats=2),
    Workload("W8", "W8 MLP 784-256-10 as nn.Sequential, CrossEntropyLoss, SGD(momentum), 100 steps", w8_setup,
             w8_run, target=1.1, rtol=1e-3, atol=1e-6, warmup=1, repeats=7, quick_warmup=1, quick_repeats=3),
    Workload("W9", "W9 LeNet-5 nn.Module, batch 64, Adam, 5 training steps", w9_setup, w9_run, target=1.5,
             rtol=1e-3, atol=1e-5, warmup=1, repeats=7, quick_warmup=1, quick_repeats=3),
    Workload("W10", "W10 nn.LSTM 2 layers, hidden 128, seq 35, batch 20, forward+backward", w10_setup, w10_run,
             target=2.0, rtol=1e-3, atol=1e-4, warmup=1, repeats=7, quick_warmup=1, quick_repeats=3),
    Workload("W11", "W11 per-sample gradients, vmap(grad(loss)), MLP 784-128-10, batch 64", w11_setup, w11_run,
             target=1.0, rtol=1e-3, atol=1e-4, warmup=1, repeats=7, quick_warmup=1, quick_repeats=3),
    Workload("W12", "W12 per-sample gradients as a Python loop of grad(loss) (W11's reference)", w11_setup,
             w12_run, target=None, rtol=1e-3, atol=1e-4, warmup=1, repeats=5, quick_warmup=1, quick_repeats=2),
    Workload("W13", "W13 jacrev + jacfwd of a 100->100 tanh layer", w13_setup, w13_run, target=1.0,
             rtol=1e-4, atol=1e-4, warmup=1, repeats=11, quick_warmup=1, quick_repeats=3),
    Workload("W14", "W14 hessian of a scalar function of 100 inputs", w13_setup, w14_run, target=1.0,
             rtol=1e-4, atol=1e-4, warmup=1, repeats=11, quick_warmup=1, quick_repeats=3),
    Workload("W15", "W15 forward-mode jvp through the Legendre model, 200 times", w15_setup, w15_run,
             target=1.2, rtol=1e-3, atol=1e-2, warmup=1, repeats=5, quick_warmup=1, quick_repeats=2),
]  # fmt: skip
QUICK_CONTENDER_REPEATS = 3
W3_MEMORY_TARGET = 0.5
IMPORT_TARGET = 0.1  # `import torchless` / `import torch`, each in fresh processes
IMPORT_RUNS = 7


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def to_numpy(value):
    """Convert a workload result (tensor, float, list of those) to a numpy array."""
    if value is None:
        raise ValueError("result is None (no gradient?)")
    if isinstance(value, (list, tuple)):
        return np.array([float(to_numpy(v)) for v in value])
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (float, int, np.generic)):
        return np.asarray(value)
    if hasattr(value, "detach"):
        try:
            return np.asarray(value.detach().numpy())
        except Exception:  # noqa: BLE001 - fall back to .tolist() below
            value = value.detach()
    if hasattr(value, "tolist"):
        return np.asarray(value.tolist())
    return np.asarray(value)


def compare(res, ref, rtol, atol):
    """Return None if res matches ref, else a description of the difference."""
    if res.shape != ref.shape:
        return f"shape {res.shape} != torch's {ref.shape}"
    if res.dtype != ref.dtype and res.ndim + ref.ndim > 0 and ref.dtype == np.float32:
        return f"dtype {res.dtype} != torch's {ref.dtype}"
    if res.dtype.kind == "f" and not np.all(np.isfinite(res)):
        return "non-finite values"
    if not np.allclose(res.astype(np.float64), ref.astype(np.float64), rtol=rtol, atol=atol):
        diff = np.abs(res.astype(np.float64) - ref.astype(np.float64))
        return (
            f"values differ (max abs diff {diff.max():.3g}, rtol={rtol}, atol={atol}); "
            f"torchless={_short(res)} torch={_short(ref)}"
        )
    return None


def _short(a):
    flat = np.asarray(a).ravel()
    s = np.array2string(flat[:4], precision=6)
    return s if flat.size <= 4 else s[:-1] + " ...]"


def fmt_ms(seconds):
    if seconds is None:
        return "-"
    ms = seconds * 1e3
    return f"{ms:.1f}" if ms >= 100 else f"{ms:.2f}" if ms >= 1 else f"{ms:.3f}"


def rotated(items, i):
    """The list items, starting at position i mod len(items) and wrapping around."""
    if not items:
        return []
    k = i % len(items)
    return items[k:] + items[:k]


def fmt_margin(ratio):
    """A ratio as a signed percentage: 1.021 -> '+2.1%'."""
    return f"{(ratio - 1) * 100:+.1f}%"


def short_exc(exc):
    msg = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {msg[0][:100] if msg else ''}"


def progress(msg):
    print(msg, file=sys.stderr, flush=True)


@dataclass
class LibRun:
    name: str
    module: Any  # library module, or None for a contender
    setup: Callable
    run: Callable
    totals: list = field(default_factory=list)
    phases: dict = field(default_factory=dict)
    result: Any = None
    error: str | None = None  # formatted traceback
    error_short: str | None = None
    check: str = "unverified"  # contenders: their result compared with torch's

    def once(self):
        gc.collect()
        state = self.setup(self.module) if self.module is not None else self.setup()
        if self.module is not None:
            t0 = time.perf_counter()
            res, phases = self.run(self.module, state)
            t1 = time.perf_counter()
        else:
            t0 = time.perf_counter()
            res, phases = self.run(state)
            t1 = time.perf_counter()
        del state
        return res, t1 - t0, phases

    def step(self, record):
        if self.error is not None:
            return
        try:
            res, total, phases = self.once()
            if self.result is None:
                self.result = to_numpy(res)
        except Exception as exc:  # noqa: BLE001 - report everything, keep going
            tb = exc.__traceback__
            for _ in range(2):  # drop the harness frames (step, once)
                tb = tb.tb_next if tb is not None and tb.tb_next is not None else tb
            self.error = "".join(traceback.format_exception(type(exc), exc, tb, limit=-8))
            self.error_short = short_exc(exc)
            progress(f"    {self.name}: ERROR {self.error_short}")
            return
        if record:
            self.totals.append(total)
            for k, v in phases.items():
                self.phases.setdefault(k, []).append(v)

    def median(self, phase=None):
        values = self.totals if phase is None else self.phases.get(phase, [])
        return statistics.median(values) if values else None


# ---------------------------------------------------------------------------
# W3 peak memory, in fresh subprocesses
# ---------------------------------------------------------------------------


def _peak_rss_bytes():
    """Peak resident memory of this process.

    VmHWM (Linux) belongs to this process's own address space. ru_maxrss is not usable in a
    child: Linux carries the parent's peak across fork + exec, so every child would report at
    least the parent's size (here: a parent that has imported torch).
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: KiB on Linux, bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit


MEMORY_WORKLOADS = {"W3": (lambda: w3_setup, lambda: w3_run), "W9": (lambda: w9_setup, lambda: w9_run)}


def memory_child(key, lib, library_path, self_test):
    """Entry point of the child process: import one library, run workload ``key`` once."""
    before = _peak_rss_bytes()
    torch = load_torch() if lib == "torch" else load_torchless(library_path, self_test)
    after_import = _peak_rss_bytes()
    setup, run = (f() for f in MEMORY_WORKLOADS[key])
    result, _ = run(torch, setup(torch))
    peak = _peak_rss_bytes()
    print(
        json.dumps(
            {
                "lib": lib,
                "startup_bytes": before,
                "after_import_bytes": after_import,
                "peak_bytes": peak,
                "loss": float(result),
            }
        )
    )


def measure_memory(key, lib, args):
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--memory-child",
        key,
        lib,
        "--library-path",
        str(args.library_path),
    ]
    if args.self_test:
        cmd.append("--self-test")
    try:
        proc = subprocess.run(
            cmd, check=False, capture_output=True, text=True, timeout=600, env=os.environ.copy()
        )
    except subprocess.TimeoutExpired:
        return None, "timed out"
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        return None, f"child exited with {proc.returncode}:\n{tail}"
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1]), None
    except (ValueError, IndexError):
        return None, f"could not parse child output: {proc.stdout[-500:]!r}"


def measure_import_times(args):
    """Median seconds of `import torchless` and of `import torch`, each timed inside its own fresh
    interpreter (interleaved runs; the interpreter's own start-up is not counted)."""
    code = "import sys, time; sys.path.insert(0, {path!r}); t = time.perf_counter(); import {lib}; " \
           "print(time.perf_counter() - t)"
    times = {"torchless": [], "torch": []}
    for _ in range(IMPORT_RUNS):
        for lib in times:
            cmd = [sys.executable, "-c", code.format(path=str(args.library_path), lib=lib)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            times[lib].append(float(out.strip().splitlines()[-1]))
    return statistics.median(times["torchless"]), statistics.median(times["torch"])


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats (same problem sizes); < 2 min")
    p.add_argument("--only", default=None, help="comma-separated workloads, e.g. W1,W3")
    p.add_argument("--repeats", type=int, default=None, help="override the number of timed runs")
    p.add_argument(
        "--library-path",
        default=str(DEFAULT_LIBRARY_PATH),
        help="directory from which torchless is imported (default: <repo>/src)",
    )
    p.add_argument(
        "--no-contenders", action="store_true", help="skip the optional autograd/mygrad/dezero rows"
    )
    p.add_argument(
        "--scaling",
        action="store_true",
        help="instead of the workloads: W5's chain at 10,000 to 1,000,000 steps, time per op (linear?)",
    )
    p.add_argument("--self-test", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--memory-child", nargs=2, metavar=("WORKLOAD", "LIB"), default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


SCALING_STEPS = (10_000, 100_000, 1_000_000)


def chain_scaling(torch, steps):
    """W5's chain (mul, add per step) of ``steps`` steps, then backward: (seconds, x.grad)."""
    gc.collect()
    x = torch.tensor(1.0, dtype=torch.float32, requires_grad=True)
    t0 = time.perf_counter()
    y = x
    for _ in range(steps):
        y = y * 0.99999 + 1e-6
    y.backward()
    seconds = time.perf_counter() - t0
    del y
    return seconds, float(x.grad)


def run_scaling(args):
    """Whether a chain backpropagates in time linear in its length: the time per recorded op
    at 10,000, 100,000 and 1,000,000 steps (2 ops a step), one run each, and torch's too."""
    libs = [("torchless", load_torchless(args.library_path, args.self_test))]
    try:
        libs.append(("torch", load_torch()))
    except Exception as exc:  # noqa: BLE001
        print(f"torch unavailable ({short_exc(exc)}): torchless alone")
    print("| library | steps | seconds | us per op | per op / at 10,000 steps | x.grad |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, lib in libs:
        first = None
        for steps in SCALING_STEPS:
            progress(f"{name}: {steps} steps")
            seconds, grad = chain_scaling(lib, steps)
            per_op = seconds / (2 * steps)
            first = first or per_op
            print(f"| {name} | {steps:,} | {seconds:.2f} | {per_op * 1e6:.2f} | {per_op / first:.2f} | {grad:.6g} |")
    return 0


def main(argv=None):
    args = parse_args(argv)
    if args.memory_child:
        memory_child(*args.memory_child, args.library_path, args.self_test)
        return 0
    if args.scaling:
        return run_scaling(args)

    selected = WORKLOADS
    with_import = True
    if args.only:
        wanted = {w.strip().upper() for w in args.only.split(",") if w.strip()}
        with_import = "IMPORT" in wanted
        unknown = wanted - {w.key for w in WORKLOADS} - {"IMPORT"}
        if unknown:
            print(f"unknown workload(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        selected = [w for w in WORKLOADS if w.key in wanted]

    t_start = time.perf_counter()
    exit_code = 0

    # -- libraries ---------------------------------------------------------
    try:
        torch = load_torch()
        torch_err = None
    except Exception as exc:  # noqa: BLE001
        torch, torch_err = None, short_exc(exc)
    try:
        torchless = load_torchless(args.library_path, args.self_test)
        torchless_err = None
    except Exception:  # noqa: BLE001
        torchless, torchless_err = None, traceback.format_exc(limit=-6)

    print("# torchless benchmark" + (" (SELF-TEST: torch stands in for torchless)" if args.self_test else ""))
    print()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    print(
        f"- python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {torch.__version__ if torch else 'unavailable (' + str(torch_err) + ')'}"
    )
    if torchless is None:
        tl_origin = "IMPORT FAILED"
    else:
        tl_origin = getattr(torchless, "__file__", None) or list(getattr(torchless, "__path__", []))
        tl_origin = f"{tl_origin} (version {getattr(torchless, '__version__', '?')})"
    print(f"- torchless: {tl_origin}")
    print(
        f"- cpu: {cpu} ({os.cpu_count()} logical); threads: 1 (OMP/OPENBLAS/MKL_NUM_THREADS=1"
        f"{', torch.set_num_threads(1)' if torch else ''})"
    )
    order = [name for name, lib in (("torchless", torchless), ("torch", torch)) if lib is not None]
    if not args.no_contenders:
        progress("importing the optional contenders")
        _, c_info, c_missing = load_contenders()
        order += list(c_info)
    print(
        f"- mode: {'quick' if args.quick else 'full'}; medians of timed runs after warm-up; "
        f"order per repeat: rotating over {', '.join(order)} (repeat i starts at the (i mod n)-th "
        "of the n libraries that run in it; warm-ups in this fixed order)"
    )
    if not args.no_contenders:
        listed = [f"{name} {ver}" for name, ver in c_info.items()]
        listed += [f"{name} unavailable ({why})" for name, why in c_missing.items()]
        print(f"- contenders: {'; '.join(listed)}")
    print()
    sys.stdout.flush()
    if torchless_err:
        print("torchless could not be imported:\n" + torchless_err, flush=True)
        exit_code = 2
    if torch is None:
        print(
            f"torch is not importable ({torch_err}); reporting torchless times alone, results unverified.\n"
        )

    rows = []  # (workload, torchless, torch, ratio, target, met)
    contender_rows = []
    faster_than_all = []  # (workload, contender, torchless faster?); the reference is not in it
    within_noise = []  # "W4 vs mygrad (+0.4%)": min-max ranges of the two overlap
    reference_ratios = []  # (workload, "torchless / raw NumPy" cell)
    errors = []  # (row label, traceback)
    mismatches = []
    details = []  # per-run times, printed after the table

    def ratio_cells(tl_val, th_val, target, status_override=None):
        if tl_val is None or th_val is None or th_val == 0:
            ratio = "-"
            met = status_override or "-"
        else:
            r = tl_val / th_val
            ratio = f"{r:.2f}"
            met = status_override or ("-" if target is None else "yes" if r <= target else "NO")
        return ratio, met

    torchless_totals = {}
    for wl in selected:
        warmup = wl.quick_warmup if args.quick else wl.warmup
        repeats = args.repeats or (wl.quick_repeats if args.quick else wl.repeats)
        contender_repeats = min(repeats, wl.contender_max_repeats or repeats)
        if args.quick:
            contender_repeats = min(contender_repeats, QUICK_CONTENDER_REPEATS)
        progress(
            f"[{wl.key}] {wl.title}: {warmup} warm-up + {repeats} timed run(s) per library"
            + (
                f" ({contender_repeats} for the contenders)"
                if contender_repeats < repeats and not args.no_contenders
                else ""
            )
        )

        runs = []
        tl = LibRun("torchless", torchless, wl.setup, wl.run) if torchless is not None else None
        th = LibRun("torch", torch, wl.setup, wl.run) if torch is not None else None
        runs = [r for r in (tl, th) if r is not None]
        if not args.no_contenders:
            runs += [LibRun(name, None, setup, run) for name, setup, run in contenders_for(wl.key)]

        # Warm-up (the first warm-up result is the one checked).  In --quick
        # mode the optional contenders skip it: they have nothing to warm up,
        # and their first timed run's result is the one checked.
        for _ in range(max(warmup, 1)):
            for r in runs:
                if r.module is not None or not args.quick:
                    r.step(record=False)

        # Correctness check, before timing.
        status = None
        if tl is not None and tl.error is None and th is not None and th.error is None:
            problem = compare(tl.result, th.result, wl.rtol, wl.atol)
            if problem:
                status = "MISMATCH"
                mismatches.append(wl.key)
                msg = f"!!! MISMATCH in {wl.key}: torchless result differs from torch: {problem}"
                print("!" * 78 + "\n" + msg + "\n" + "!" * 78, flush=True)
                progress(msg)
        elif tl is not None and tl.error is None and th is None:
            status = "unverified"

        # Timed, interleaved runs.  The order rotates: repeat i starts at the
        # (i mod n)-th of the n libraries that run in it, so that no library
        # always runs right after the same other one.
        for i in range(repeats):
            active = rotated([r for r in runs if r.module is not None or i < contender_repeats], i)
            for r in active:
                r.step(record=True)
            progress(
                f"    run {i + 1}: "
                + ", ".join(
                    f"{r.name} {fmt_ms(r.totals[-1]) + ' ms' if len(r.totals) == i + 1 else 'ERR'}"
                    for r in active
                )
            )

        # Contenders are only informational: note whether they agree with torch.
        for r in runs:
            if r.module is None and r.error is None and th is not None and th.error is None:
                problem = compare(r.result, th.result, wl.rtol, wl.atol)
                r.check = problem.split(";")[0] if problem else "matches torch"

        tl_total = tl.median() if tl is not None else None
        th_total = th.median() if th is not None else None
        if tl is not None and tl.error is not None:
            errors.append((wl.key, tl.error))
            status = f"error: {tl.error_short}"
        if th is not None and th.error is not None:
            errors.append((wl.key + " (torch)", th.error))
            status = status or "torch error"
        if tl is None:
            status = "torchless unavailable"

        label = wl.title + (" total" if wl.phase_targets else "")
        ratio, met = ratio_cells(tl_total, th_total, wl.target, status)
        rows.append((label, fmt_ms(tl_total), fmt_ms(th_total), ratio,
                     "-" if wl.target is None else f"<= {wl.target}", met))
        torchless_totals[wl.key] = tl_total
        if wl.key == "W12" and torchless_totals.get("W11") and tl_total:
            speedup = tl_total / torchless_totals["W11"]
            rows.append(("W11 speed-up over W12's loop (torchless; target >= 10)", "-", "-", f"{speedup:.1f}x",
                         ">= 10x", "yes" if speedup >= 10 else "NO"))
        for phase, target in wl.phase_targets.items():
            tv = tl.median(phase) if tl is not None else None
            hv = th.median(phase) if th is not None else None
            phase_status = "error (see above)" if status and status.startswith("error") else status
            ratio, met = ratio_cells(tv, hv, target, phase_status)
            rows.append((f"{wl.key} {phase}", fmt_ms(tv), fmt_ms(hv), ratio, f"<= {target}", met))

        # Contender rows: workload | library | ms | library/torch | torchless/torch |
        # margin | min-max of the timed runs (library / torchless) | torchless faster? |
        # result check.  The raw-NumPy reference gets a row too, outside the verdict.
        tl_ok = tl is not None and tl.error is None and tl_total is not None
        tl_ratio = f"{tl_total / th_total:.2f}" if tl_ok and th_total else "-"
        for r in runs:
            if r.module is not None:
                continue
            is_reference = r.name == REFERENCE
            label = REFERENCE_LABEL if is_reference else r.name
            if r.error is not None:
                contender_rows.append(
                    (wl.key, label, "-", "-", tl_ratio, "-", "-", "n/a", f"error: {r.error_short}")
                )
                if is_reference:
                    reference_ratios.append((wl.key, "-"))
                else:
                    faster_than_all.append((wl.key, r.name, None))
                continue
            cm, hm = r.median(), th_total
            margin, spread = "-", "-"
            if tl_ok:
                margin = fmt_margin(cm / tl_total)
                spread = (
                    f"{fmt_ms(min(r.totals))}–{fmt_ms(max(r.totals))} / "
                    f"{fmt_ms(min(tl.totals))}–{fmt_ms(max(tl.totals))}"
                )
            if is_reference:
                faster = "n/a (reference)"
                reference_ratios.append((wl.key, f"{tl_total / cm:.2f}" if tl_ok else "-"))
            else:
                is_faster = tl_ok and tl_total < cm
                faster = ("yes" if is_faster else "NO") if tl_ok else "-"
                faster_than_all.append((wl.key, r.name, is_faster))
                if tl_ok and min(r.totals) <= max(tl.totals) and min(tl.totals) <= max(r.totals):
                    within_noise.append(f"{wl.key} vs {r.name} ({margin})")
            contender_rows.append(
                (
                    wl.key,
                    label,
                    fmt_ms(cm),
                    f"{cm / hm:.2f}" if cm and hm else "-",
                    tl_ratio,
                    margin,
                    spread,
                    faster,
                    r.check,
                )
            )

        # W3's and W9's peak memory, in fresh subprocesses.
        if wl.key in MEMORY_WORKLOADS:
            progress(f"    measuring {wl.key} peak RSS in fresh subprocesses")
            mem = {}
            for lib in ("torchless", "torch"):
                if lib == "torch" and torch is None:
                    continue
                info, err = measure_memory(wl.key, lib, args)
                mem[lib] = info
                if err:
                    errors.append((f"{wl.key} memory ({lib})", err))
            tl_mem = mem.get("torchless")
            th_mem = mem.get("torch")
            tl_b = tl_mem["peak_bytes"] if tl_mem else None
            th_b = th_mem["peak_bytes"] if th_mem else None
            if tl_b and th_b:
                r = tl_b / th_b
                ratio, met = f"{r:.2f}", ("yes" if r <= W3_MEMORY_TARGET else "NO")
            else:
                ratio, met = "-", ("error" if tl_mem is None else "-")
            rows.append(
                (
                    f"{wl.key} peak RSS (MB, fresh process)",
                    f"{tl_b / 2**20:.1f}" if tl_b else "-",
                    f"{th_b / 2**20:.1f}" if th_b else "-",
                    ratio,
                    f"<= {W3_MEMORY_TARGET}",
                    met,
                )
            )
            for lib, info in mem.items():
                if info:
                    progress(
                        f"    {lib}: peak {info['peak_bytes'] / 2**20:.1f} MB "
                        f"(after import {info['after_import_bytes'] / 2**20:.1f} MB)"
                    )

        # Per-run details, kept for the report.
        for r in runs:
            if r.totals:
                line = f"{wl.key} {r.name}: " + ", ".join(fmt_ms(t) for t in r.totals) + " ms"
                if r.module is None and r.phases:
                    line += " (median " + ", ".join(f"{k} {fmt_ms(r.median(k))}" for k in r.phases) + " ms)"
                details.append(line)

    # -- import time, in fresh processes ----------------------------------
    if with_import and torch is not None:
        progress("IMPORT: import time in fresh processes")
        tl_t, th_t = measure_import_times(args)
        r = tl_t / th_t
        rows.append(("import time (ms, fresh process)", fmt_ms(tl_t), fmt_ms(th_t), f"{r:.3f}",
                     f"< {IMPORT_TARGET}", "yes" if r < IMPORT_TARGET else "NO"))

    # -- report -----------------------------------------------------------
    print()
    print("| workload | torchless (ms) | torch (ms) | ratio torchless/torch | target | met? |")
    print("|---|---:|---:|---:|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(
        "W2: fwd = the 1000-iteration loop, bwd = `y.sum().backward()`. "
        "Memory rows: peak resident memory (VmHWM) of a fresh process that imports the library and runs the "
        "workload (W3, W9) once."
    )

    if contender_rows:
        print()
        caps = [f"{w.key} at most {w.contender_max_repeats}" for w in selected if w.contender_max_repeats]
        contender_runs = (
            f"at most {QUICK_CONTENDER_REPEATS}"
            if args.quick
            else ", ".join(["as many as torchless and torch", *caps])
        )
        print(
            "Optional contenders (same computation and data, each library's own API; "
            f"median of the timed runs: {contender_runs}; "
            "`margin`: library median / torchless median - 1, + when torchless is faster; "
            "`runs`: min–max of the timed runs, library / torchless; "
            "`result`: the library's result checked against torch's).  "
            f"The `{REFERENCE_LABEL}` row is the same computation written directly in NumPy "
            "with hand-derived gradients (no autograd): informational, not part of the verdict."
        )
        print()
        print(
            "| workload | library | ms | ratio library/torch | torchless ratio (table above) "
            "| margin | runs min–max, ms (library / torchless) | torchless faster? | result |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---|---|")
        for row in contender_rows:
            print("| " + " | ".join(row) + " |")
        print()
        if faster_than_all:  # the autograd engines, not the raw-NumPy reference
            slower = [f"{key} vs {name}" for key, name, ok in faster_than_all if ok is False]
            unmeasured = [f"{key} {name}" for key, name, ok in faster_than_all if ok is None]
            keys = sorted({key for key, _, _ in faster_than_all})
            names = sorted({name for _, name, _ in faster_than_all})
            verdict = "yes" if not slower else "NO (not faster: " + ", ".join(slower) + ")"
            if unmeasured:
                verdict += "; not measured (contender error): " + ", ".join(unmeasured)
            print(
                f"torchless faster than every contender ({', '.join(names)}) on every workload "
                f"({', '.join(keys)}): {verdict}"
            )
            print(
                "within run-to-run noise (min–max ranges of the two overlap): "
                + (", ".join(within_noise) or "none")
            )
        if reference_ratios:
            print(
                "torchless / raw NumPy (ratio of the medians; informational, < 1: torchless is faster): "
                + ", ".join(f"{key} {cell}" for key, cell in reference_ratios)
            )

    if details:
        print()
        print("Timed runs:")
        for line in details:
            print(f"- {line}")

    if errors:
        print()
        print("Errors:")
        for label, tb in errors:
            print(f"\n--- {label} ---\n{tb.rstrip()}")
        exit_code = exit_code or 2

    print()
    print(f"Total benchmark time: {time.perf_counter() - t_start:.1f} s")
    if mismatches:
        print()
        print("!" * 78)
        print(f"!!! MISMATCH: torchless results differ from torch in {', '.join(mismatches)}")
        print("!" * 78)
        exit_code = 1
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
