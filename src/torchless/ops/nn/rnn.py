"""Recurrent layers: the cells (RNN tanh/relu, LSTM, GRU) in tensor ops, and a whole-layer op.

A layer (one layer, one direction) is one Op, ``RnnLayerBackward``: its forward runs every time
step on arrays, the input projections of all steps as one matmul, one matmul per step for the
recurrent part, the gates of a step from one fused matrix; it keeps the gates and states for its
derivative rule, which runs backpropagation through time on arrays, the weight gradients again as
one matmul over all steps. When the gradient itself is to be differentiated (``create_graph``),
the rule instead recomputes the layer from the cells in tensor ops and differentiates that, so
that double backward holds.

Packed sequences run padded, with ``batch_sizes`` (decreasing, one per time step): at step t only
the first batch_sizes[t] rows advance, the others keep their state (so a sequence's final state is
its state at its last step, in either direction) and output zeros.

The stack (``rnn``) takes torch's flat weight list: per layer and direction w_ih, w_hh, then b_ih,
b_hh when there are biases, then w_hr for an LSTM with projections.
"""

from __future__ import annotations

from ..._grad_mode import _grad_enabled
from ..._tensor import Tensor, _wrap
from ...autograd.graph import _FREED
from ...backend import np
from .._core import Op

_enabled = _grad_enabled.get


# ---- cells, in tensor ops (RNNCell, LSTMCell, GRUCell; and the layer's double-backward path) ----
def _linear(x, w, b):
    out = x @ w.t()
    return out if b is None else out + b


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh)"""
    return (_linear(input, w_ih, b_ih) + _linear(hx, w_hh, b_hh)).tanh()


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """h' = relu(W_ih x + b_ih + W_hh h + b_hh)"""
    return (_linear(input, w_ih, b_ih) + _linear(hx, w_hh, b_hh)).relu()


def lstm_cell(input: Tensor, hx, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None) -> tuple:
    """Gates i, f, g, o from one fused matrix; c' = f c + i g, h' = o tanh(c') (then W_hr h')."""
    h, c = hx
    gates = _linear(input, w_ih, b_ih) + _linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    return (h if w_hr is None else h @ w_hr.t()), c


def gru_cell(input: Tensor, hx: Tensor, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """r, z = sigmoid(...); n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h' = (1 - z) n + z h"""
    xr, xz, xn = _linear(input, w_ih, b_ih).chunk(3, 1)
    hr, hz, hn = _linear(hx, w_hh, b_hh).chunk(3, 1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return n + z * (hx - n)


# ---- one layer, one direction, on arrays ------------------------------------------------------
def _sigmoid(a, out):
    """1 / (1 + exp(-a)) into ``out`` (exp is NumPy's fastest transcendental; an overflow to inf
    gives the right 0, so the caller runs it under np.errstate(over="ignore"))."""
    np.negative(a, out=out)
    np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    return out


def _steps(T: int, reverse: bool, batch_sizes, B: int):
    """(k, t, n) per step: the step number, its time index and how many rows are active."""
    for k in range(T):
        yield k, (T - 1 - k if reverse else k), (B if batch_sizes is None else batch_sizes[T - 1 - k if reverse
                                                                                            else k])


def _lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, batch_sizes):
    T, B, _ = x.shape
    H, P = c0.shape[1], h0.shape[1]
    dtype = x.dtype
    xg = (x.reshape(T * B, -1) @ w_ih.T).reshape(T, B, 4 * H)
    if b_ih is not None:
        xg += b_ih + b_hh
    w_hhT = w_hh.T
    w_hrT = None if w_hr is None else w_hr.T
    hs = np.empty((T + 1, B, P), dtype)  # states by step: hs[k] is the state step k starts from
    cs = np.empty((T + 1, B, H), dtype)
    hs[0], cs[0] = h0, c0
    gates = np.zeros((T, B, 4 * H), dtype)  # activated: sigmoid(i, f), tanh(g), sigmoid(o)
    tcs = np.zeros((T, B, H), dtype)  # tanh(c)
    ms = np.zeros((T, B, H), dtype) if w_hr is not None else None  # o tanh(c), before the projection
    y = np.zeros((T, B, P), dtype)
    with np.errstate(over="ignore"):  # (see _sigmoid)
        _lstm_steps(xg, hs, cs, gates, tcs, ms, y, w_hhT, w_hrT, H, reverse, batch_sizes)
    return (y, hs[T].copy(), cs[T].copy()), (hs, cs, gates, tcs, ms)


def _lstm_steps(xg, hs, cs, gates, tcs, ms, y, w_hhT, w_hrT, H, reverse, batch_sizes):
    T, B = xg.shape[:2]
    g2, g3 = 2 * H, 3 * H
    for k, t, n in _steps(T, reverse, batch_sizes, B):
        if n < B:
            hs[k + 1], cs[k + 1] = hs[k], cs[k]
        pre = xg[t, :n] + hs[k, :n] @ w_hhT
        act = gates[k, :n]
        _sigmoid(pre, act)
        np.tanh(pre[:, g2:g3], out=act[:, g2:g3])
        c = cs[k + 1, :n]
        np.multiply(act[:, H:g2], cs[k, :n], out=c)
        c += act[:, :H] * act[:, g2:g3]
        tc = np.tanh(c, out=tcs[k, :n])
        if w_hrT is None:
            np.multiply(act[:, g3:], tc, out=hs[k + 1, :n])
        else:
            m = np.multiply(act[:, g3:], tc, out=ms[k, :n])
            np.matmul(m, w_hrT, out=hs[k + 1, :n])
        y[t, :n] = hs[k + 1, :n]


def _lstm_backward(saved, cache, grads, needs, reverse, batch_sizes):
    x, _, _, w_ih, w_hh, b_ih, _, w_hr = saved
    hs, cs, gates, tcs, ms = cache
    gy, ghT, gcT = grads
    T, B, _ = x.shape
    H, P = cs.shape[2], hs.shape[2]
    dtype = x.dtype
    dh = np.zeros((B, P), dtype) if ghT is None else ghT.astype(dtype, copy=True)
    dc = np.zeros((B, H), dtype) if gcT is None else gcT.astype(dtype, copy=True)
    dG = np.zeros((T, B, 4 * H), dtype)  # by time index: gradients of the gates before activation
    dw_hr = np.zeros_like(w_hr) if w_hr is not None else None
    g2, g3 = 2 * H, 3 * H
    for k, t, n in reversed(list(_steps(T, reverse, batch_sizes, B))):
        d = dh[:n] if gy is None else dh[:n] + gy[t, :n]
        if w_hr is not None:
            dw_hr += d.T @ ms[k, :n]
            d = d @ w_hr
        act, tc = gates[k, :n], tcs[k, :n]
        o = act[:, g3:]
        dcn = dc[:n] + d * o * (1 - tc * tc)
        da = dG[t, :n]  # gradients of the activated gates first
        np.multiply(dcn, act[:, g2:g3], out=da[:, :H])
        np.multiply(dcn, cs[k, :n], out=da[:, H:g2])
        np.multiply(dcn, act[:, :H], out=da[:, g2:g3])
        np.multiply(d, tc, out=da[:, g3:])
        g = act[:, g2:g3]
        tanh_part = da[:, g2:g3] * (1 - g * g)
        da *= act - act * act
        da[:, g2:g3] = tanh_part
        np.multiply(dcn, act[:, H:g2], out=dc[:n])
        np.matmul(da, w_hh, out=dh[:n])
    return _weight_grads(x, dG, dG, hs, reverse, needs, w_ih, w_hh, b_ih, (dh, dc, dw_hr))


def _weight_grads(x, dxg, dhg, hs, reverse, needs, w_ih, w_hh, b_ih, rest):
    """Gradients of x, w_ih, w_hh, b_ih, b_hh from those of the input (dxg) and recurrent (dhg)
    projections of every step, each one matmul over all steps; ``rest`` is (dh0, dc0, dw_hr)."""
    T, B, _ = x.shape
    G = dxg.shape[2]
    dxf = dxg.reshape(T * B, G)
    dhf = dhg.reshape(T * B, G)
    dx = (dxf @ w_ih).reshape(x.shape) if needs[0] else None
    dw_ih = dxf.T @ x.reshape(T * B, -1) if needs[3] else None
    dw_hh = None
    if needs[4]:
        prev = hs[:-1][::-1] if reverse else hs[:-1]  # the state each time step started from
        dw_hh = dhf.T @ prev.reshape(T * B, -1)
    db_ih = dxf.sum(0) if b_ih is not None and needs[5] else None
    db_hh = dhf.sum(0) if b_ih is not None and needs[6] else None
    dh0, dc0, dw_hr = rest
    return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_hr


def _gru_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, batch_sizes):
    T, B, _ = x.shape
    H = h0.shape[1]
    dtype = x.dtype
    xg = (x.reshape(T * B, -1) @ w_ih.T).reshape(T, B, 3 * H)
    if b_ih is not None:
        xg += b_ih
    w_hhT = w_hh.T
    hs = np.empty((T + 1, B, H), dtype)
    hs[0] = h0
    gates = np.zeros((T, B, 3 * H), dtype)  # r, z, n
    hns = np.zeros((T, B, H), dtype)  # W_hn h + b_hn
    y = np.zeros((T, B, H), dtype)
    with np.errstate(over="ignore"):  # (see _sigmoid)
        _gru_steps(xg, hs, gates, hns, y, w_hhT, b_hh, H, reverse, batch_sizes)
    return (y, hs[T].copy()), (hs, gates, hns)


def _gru_steps(xg, hs, gates, hns, y, w_hhT, b_hh, H, reverse, batch_sizes):
    T, B = xg.shape[:2]
    H2 = 2 * H
    for k, t, n in _steps(T, reverse, batch_sizes, B):
        if n < B:
            hs[k + 1] = hs[k]
        h = hs[k, :n]
        hg = h @ w_hhT
        if b_hh is not None:
            hg += b_hh
        act = gates[k, :n]
        _sigmoid(xg[t, :n, :H2] + hg[:, :H2], act[:, :H2])
        hn = hns[k, :n]
        hn[...] = hg[:, H2:]
        nn = act[:, H2:]
        np.multiply(act[:, :H], hn, out=nn)
        nn += xg[t, :n, H2:]
        np.tanh(nn, out=nn)
        hnew = hs[k + 1, :n]
        np.subtract(h, nn, out=hnew)
        hnew *= act[:, H:H2]
        hnew += nn
        y[t, :n] = hnew


def _gru_backward(saved, cache, grads, needs, reverse, batch_sizes):
    x, _, _, w_ih, w_hh, b_ih, _, _ = saved
    hs, gates, hns = cache
    gy, ghT = grads[:2]
    T, B, _ = x.shape
    H = hs.shape[2]
    dtype = x.dtype
    dh = np.zeros((B, H), dtype) if ghT is None else ghT.astype(dtype, copy=True)
    dX = np.zeros((T, B, 3 * H), dtype)
    dHg = np.zeros((T, B, 3 * H), dtype)
    H2 = 2 * H
    for k, t, n in reversed(list(_steps(T, reverse, batch_sizes, B))):
        d = dh[:n] if gy is None else dh[:n] + gy[t, :n]
        act = gates[k, :n]
        r, z, nn = act[:, :H], act[:, H:H2], act[:, H2:]
        dxk, dhk = dX[t, :n], dHg[t, :n]
        dn = dxk[:, H2:]
        np.multiply(d, 1 - z, out=dn)
        dn *= 1 - nn * nn
        np.multiply(d, hs[k, :n] - nn, out=dxk[:, H:H2])
        np.multiply(dn, hns[k, :n], out=dxk[:, :H])
        dxk[:, :H2] *= act[:, :H2] - act[:, :H2] * act[:, :H2]
        dhk[:, :H2] = dxk[:, :H2]
        np.multiply(dn, r, out=dhk[:, H2:])
        dh[:n] = d * z + dhk @ w_hh
    return _weight_grads(x, dX, dHg, hs, reverse, needs, w_ih, w_hh, b_ih, (dh, None, None))


def _simple_forward(relu):
    def forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, batch_sizes):
        T, B, _ = x.shape
        H = h0.shape[1]
        xg = (x.reshape(T * B, -1) @ w_ih.T).reshape(T, B, H)
        if b_ih is not None:
            xg += b_ih + b_hh
        w_hhT = w_hh.T
        hs = np.empty((T + 1, B, H), x.dtype)
        hs[0] = h0
        y = np.zeros((T, B, H), x.dtype)
        for k, t, n in _steps(T, reverse, batch_sizes, B):
            if n < B:
                hs[k + 1] = hs[k]
            h = hs[k + 1, :n]
            np.add(xg[t, :n], hs[k, :n] @ w_hhT, out=h)
            if relu:
                np.maximum(h, 0, out=h)
            else:
                np.tanh(h, out=h)
            y[t, :n] = h
        return (y, hs[T].copy()), (hs,)

    return forward


def _simple_backward(relu):
    def backward(saved, cache, grads, needs, reverse, batch_sizes):
        x, _, _, w_ih, w_hh, b_ih, _, _ = saved
        (hs,) = cache
        gy, ghT = grads[:2]
        T, B, _ = x.shape
        H = hs.shape[2]
        dh = np.zeros((B, H), x.dtype) if ghT is None else ghT.astype(x.dtype, copy=True)
        dG = np.zeros((T, B, H), x.dtype)
        for k, t, n in reversed(list(_steps(T, reverse, batch_sizes, B))):
            d = dh[:n] if gy is None else dh[:n] + gy[t, :n]
            h = hs[k + 1, :n]
            dg = dG[t, :n]
            if relu:
                np.multiply(d, h > 0, out=dg)
            else:
                np.multiply(d, 1 - h * h, out=dg)
            np.matmul(dg, w_hh, out=dh[:n])
        return _weight_grads(x, dG, dG, hs, reverse, needs, w_ih, w_hh, b_ih, (dh, None, None))

    return backward


# mode -> (forward on arrays, backward on arrays, the cell in tensor ops, number of outputs)
_MODES = {
    "LSTM": (_lstm_forward, _lstm_backward, lstm_cell, 3),
    "GRU": (_gru_forward, _gru_backward, gru_cell, 2),
    "RNN_TANH": (_simple_forward(False), _simple_backward(False), rnn_tanh_cell, 2),
    "RNN_RELU": (_simple_forward(True), _simple_backward(True), rnn_relu_cell, 2),
}


class RnnLayerBackward(Op):
    """One recurrent layer in one direction. Operands: x (T, B, I), h0, c0 (None but for an LSTM),
    w_ih, w_hh, b_ih, b_hh, w_hr (None where absent); outputs y (T, B, P), h_T (and c_T)."""

    __slots__ = ("cache",)
    n_outputs = 3  # (a GRU's or an RNN's third output never exists: no gradient arrives there)

    def _apply(self, grads):
        mode, reverse, batch_sizes = self._params
        arrays = [None if g is None else g._data for g in grads]
        if all(g is None for g in arrays):
            return (None,) * 8
        if _enabled():  # create_graph: differentiate the layer rebuilt from tensor ops
            return self._differentiable_backward(grads)
        saved = tuple(None if t is None else t._data for t in self.saved)
        needs = [bool(e) for e in self._next]
        out = _MODES[mode][1](saved, self.cache, arrays, needs, reverse, batch_sizes)
        return tuple(None if a is None or not needs[i] else _wrap(a, None) for i, a in enumerate(out))

    def _differentiable_backward(self, grads):
        from ...autograd import grad as autograd_grad

        mode, reverse, batch_sizes = self._params
        saved = self.saved
        outs = _layer_in_tensor_ops(mode, *saved, reverse, batch_sizes)
        pairs = [(o, g) for o, g in zip(outs, grads) if g is not None]
        wanted = [i for i, e in enumerate(self._next) if e and saved[i] is not None]
        got = autograd_grad([o for o, _ in pairs], [saved[i] for i in wanted], [g for _, g in pairs],
                            create_graph=True, allow_unused=True)
        result = [None] * 8
        for i, g in zip(wanted, got):
            result[i] = g
        return tuple(result)

    def _release(self) -> None:
        super()._release()
        self.cache = _FREED


def _layer_in_tensor_ops(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, batch_sizes):
    """The layer as a loop of cells in tensor ops (what the op computes, differentiable twice)."""
    from ... import _creation
    from ..shape import cat, stack

    cell = _MODES[mode][2]
    T, B = x.shape[0], x.shape[1]
    h, c = h0, c0
    ys = [None] * T
    for _, t, n in _steps(T, reverse, batch_sizes, B):
        hx = (h[:n], c[:n]) if mode == "LSTM" else h[:n]
        if mode == "LSTM":
            hn, cn = cell(x[t, :n], hx, w_ih, w_hh, b_ih, b_hh, w_hr)
        else:
            hn, cn = cell(x[t, :n], hx, w_ih, w_hh, b_ih, b_hh), None
        if n < B:
            ys[t] = cat([hn, _creation.zeros(B - n, hn.shape[1], dtype=hn.dtype)])
            h = cat([hn, h[n:]])
            c = cat([cn, c[n:]]) if cn is not None else None
        else:
            ys[t], h, c = hn, hn, cn
    y = stack(ys)
    return (y, h, c) if mode == "LSTM" else (y, h)


def rnn_layer(mode: str, x: Tensor, h0: Tensor, c0, weights: tuple, reverse: bool = False,
              batch_sizes=None) -> tuple:
    """One layer in one direction over x (T, B, I): (y, h_T) or, for "LSTM", (y, h_T, c_T).
    ``weights``: (w_ih, w_hh, b_ih, b_hh, w_hr), None where absent."""
    operands = (x, h0, c0, *weights)
    arrays = [None if t is None else t._data for t in operands]
    outs, cache = _MODES[mode][0](*arrays, reverse, batch_sizes)
    params = (mode, reverse, batch_sizes)
    if _enabled():
        edges = tuple(t._edge() if t is not None and t.requires_grad else None for t in operands)
        if any(e is not None for e in edges):
            node = RnnLayerBackward()
            node.shapes = tuple(() if t is None else t._data.shape for t in operands)
            versions = tuple(None if t is None else t._version for t in operands)
            node._next, node._saved, node._versions, node._params, node._out, node._hooks = (
                edges, operands, versions, params, None, None)
            node.cache = cache
            result = []
            for nr, data in enumerate(outs):
                t = _wrap(data, node)
                t._output_nr = nr
                result.append(t)
            return tuple(result)
    return tuple(_wrap(a, None) for a in outs)


# ---- the stack: layers, directions, dropout between layers; packed input --------------------------
def rnn(mode: str, input: Tensor, hx, params, has_biases: bool, num_layers: int, dropout: float, train: bool,
        bidirectional: bool, batch_first: bool = False, batch_sizes=None) -> tuple:
    """torch's _VF.rnn_tanh / rnn_relu / gru / lstm: (output, h_n) or, for "LSTM", (output, h_n, c_n).

    ``input``: (T, B, I) ((B, T, I) when batch_first), or the data of a packed sequence (N, I) with
    its ``batch_sizes`` (a list of ints); ``hx``: h_0 (L*D, B, P), for an LSTM the pair (h_0, c_0)."""
    from ... import _creation
    from ..shape import cat, stack
    from . import dropout as dropout_ops

    lstm = mode == "LSTM"
    h0, c0 = hx if lstm else (hx, None)
    directions = 2 if bidirectional else 1
    per_layer = len(params) // (num_layers * directions)
    proj = lstm and h0.shape[2] != c0.shape[2]
    if batch_sizes is not None:
        x, index = _pad(input, batch_sizes, _creation, cat)
    else:
        x = input.transpose(0, 1) if batch_first else input
    hs, cs = [], []
    for layer in range(num_layers):
        ys = []
        for d in range(directions):
            j = layer * directions + d
            w = list(params[j * per_layer:(j + 1) * per_layer])
            w_ih, w_hh = w[0], w[1]
            b_ih, b_hh = (w[2], w[3]) if has_biases else (None, None)
            w_hr = w[-1] if proj else None
            outs = rnn_layer(mode, x, h0[j], c0[j] if lstm else None, (w_ih, w_hh, b_ih, b_hh, w_hr), d == 1,
                             batch_sizes)
            ys.append(outs[0])
            hs.append(outs[1])
            if lstm:
                cs.append(outs[2])
        x = ys[0] if directions == 1 else cat(ys, 2)
        if dropout and train and layer < num_layers - 1:
            x = dropout_ops.dropout(x, dropout, True)
    if batch_sizes is not None:
        output = x.reshape(-1, x.shape[2])[index]
    else:
        output = x.transpose(0, 1) if batch_first else x
    return (output, stack(hs), stack(cs)) if lstm else (output, stack(hs))


def _pad(data: Tensor, batch_sizes, _creation, cat):
    """A packed sequence's data (N, I) as a padded (T, B, I) tensor, and the flat indices of the
    packed rows in it (to pack an output of that shape again)."""
    T, B = len(batch_sizes), batch_sizes[0]
    index = np.concatenate([np.arange(n) + t * B for t, n in enumerate(batch_sizes)])
    where = np.full(T * B, len(index))  # padded row -> packed row, or the zero row after them
    where[index] = np.arange(len(index))
    rows = cat([data, _creation.zeros(1, data.shape[1], dtype=data.dtype)])
    padded = rows[_wrap(where, None)].reshape(T, B, data.shape[1])
    return padded, _wrap(index, None)


__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "rnn_layer", "rnn"]
