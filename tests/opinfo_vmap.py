"""torchless.func.vmap over PyTorch's OpInfo database: each OpInfo's samples, batched three deep in
their first tensor (the sample and two perturbed copies), against torch looping over the batch.

    .venv/bin/python tests/opinfo_vmap.py [-k pattern] [-v] [--max-samples N]

prints per OpInfo whether vmap gives torch's values, and whether through batching rules or the
per-element fallback; the last line is ``vmap opinfo: N of M pass (R through batching rules)``.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from opinfo_db import (
    GAUGE_FREEDOM,
    VALUES_UNDEFINED,
    Missing,
    Translator,
    _quiet,
    compare,
    op_id,
    samples_of,
    select,
)

import torchless
from torchless.func import _batched

BATCH = 3
# random draws differ per batch element in torch's loop (vmap's randomness="different" draws them in
# another order): only their shapes are compared
RANDOM = {"normal", "bernoulli", "multinomial", "nn.functional.dropout", "nn.functional.dropout2d",
          "nn.functional.dropout3d", "nn.functional.alpha_dropout", "nn.functional.feature_alpha_dropout",
          "nn.functional.scaled_dot_product_attention", "nn.functional.multi_head_attention_forward",
          "nn.functional.rrelu", "rand_like", "randn_like", "randint_like", "poisson", "uniform", "exponential",
          "geometric", "cauchy", "log_normal"}


def _stack_results(torch, results):
    first = results[0]
    if isinstance(first, torch.Tensor):
        return torch.stack(results)
    if isinstance(first, (tuple, list)) and all(isinstance(r, torch.Tensor) for r in first):
        return type(first)(torch.stack([r[i] for r in results]) for i in range(len(first))) \
            if not hasattr(first, "_fields") else type(first)(*(torch.stack([r[i] for r in results])
                                                                for i in range(len(first))))
    return None


def run_sample(op, sample, index):
    """``"rule"`` / ``"fallback"`` when vmap matches torch's loop, None when the sample does not
    apply (not a floating tensor input, or torch refuses it); raises on a mismatch."""
    import torch

    x = sample.input
    if not isinstance(x, torch.Tensor) or not x.dtype.is_floating_point:
        return None
    base = x.detach()
    # distinct batch elements that keep the sample's structure (symmetry, definiteness, signs)
    batch = [base * factor for factor in (1.0, 0.97, 1.04)[:BATCH]]
    try:
        with _quiet():
            torch.manual_seed(0)
            ref = _stack_results(torch, [op.op(xb, *sample.args, **sample.kwargs) for xb in batch])
    except Exception:  # noqa: BLE001 - torch refuses the sample
        return None
    if ref is None:
        return None
    tr = Translator()
    args, kwargs = tr.value(sample.args), tr.value(sample.kwargs)
    stacked = torchless.from_numpy(np.stack([b.numpy() for b in batch]))

    def one(xb):
        return _batched.dispatching(tr.function(op.op))(xb, *args, **kwargs)

    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        torchless.manual_seed(0)
        out = torchless.func.vmap(one, randomness="same")(stacked)
    name = op.name
    compare(out, ref, grad_flag=False, values=name not in RANDOM | VALUES_UNDEFINED | GAUGE_FREEDOM)
    return "fallback" if any("batching rule" in str(w.message) for w in caught) else "rule"


def run_op(op, max_samples=None):
    """``(status, detail)``: status "rule", "fallback", "fail", "missing" or "n/a"."""
    try:
        samples = samples_of(op, max_samples)
    except Exception as e:  # noqa: BLE001
        return "n/a", f"torch's samples raised {type(e).__name__}"
    seen = set()
    for i, sample in samples:
        try:
            how = run_sample(op, sample, i)
        except Missing as e:
            return "missing", str(e)
        except Exception as e:  # noqa: BLE001 - reported
            return "fail", f"sample {i}: {type(e).__name__}: {str(e)[:200]}"
        if how:
            seen.add(how)
    if not seen:
        return "n/a", "no sample with a floating tensor input"
    return ("fallback" if "fallback" in seen else "rule"), ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", default=None, help="only OpInfos whose name contains this")
    parser.add_argument("-v", action="store_true", help="one line per OpInfo")
    parser.add_argument("--max-samples", type=int, default=3)
    args = parser.parse_args(argv)
    counts = {"rule": 0, "fallback": 0, "fail": 0, "missing": 0, "n/a": 0}
    for op in select(args.k):
        status, detail = run_op(op, args.max_samples)
        counts[status] += 1
        if args.v or status == "fail":
            print(f"{op_id(op)}: {status} {detail}")
    applicable = counts["rule"] + counts["fallback"] + counts["fail"]
    print(f"rule {counts['rule']}, fallback {counts['fallback']}, fail {counts['fail']}, missing {counts['missing']}, "
          f"not applicable {counts['n/a']}")
    print(f"vmap opinfo: {counts['rule'] + counts['fallback']} of {applicable} pass ({counts['rule']} through "
          "batching rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
