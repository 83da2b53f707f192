"""How much of PyTorch's OpInfo database torchless passes, per namespace.

    python tests/opinfo_coverage.py                 # every OpInfo, every sample
    python tests/opinfo_coverage.py -k linalg -v    # those whose id contains "linalg", with reasons
    python tests/opinfo_coverage.py --markdown      # the README's table and list of gaps

The last line reads ``opinfo: N of M pass``. See tests/opinfo_db.py for the stages.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from opinfo_db import namespace_of, op_id, run_op, select
from opinfo_gaps import GAPS

ROWS = ("torch", "Tensor methods", "linalg", "nn.functional", "special", "fft", "signal", "masked", "sparse")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="pattern", help="only OpInfos whose id contains this (regex if it starts with ^)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every OpInfo's outcome")
    parser.add_argument("--max-samples", type=int, default=None, help="a seeded subset of each OpInfo's samples")
    parser.add_argument("--markdown", action="store_true", help="print the README's table and gap list")
    parser.add_argument("--write-gaps", action="store_true",
                        help="rewrite tests/opinfo_gaps.py: what fails now, keeping the reasons written by hand")
    args = parser.parse_args(argv)

    ops = select(args.pattern)
    table = collections.defaultdict(collections.Counter)
    outcomes = []
    start = time.perf_counter()
    for op in ops:
        t0 = time.perf_counter()
        outcome = run_op(op, args.max_samples)
        outcomes.append(outcome)
        table[namespace_of(op)][outcome.status] += 1
        if args.verbose or (args.pattern and outcome.status != "pass"):
            took = time.perf_counter() - t0
            stages = ",".join(s for s in ("forward", "backward", "gradgrad", "method", "inplace")
                              if s in outcome.stages)
            print(f"{outcome.status:8} {op_id(op):45} {outcome.samples:3} samples [{stages}] {took:5.1f}s "
                  f"{outcome.reason}", flush=True)
    elapsed = time.perf_counter() - start
    passed = sum(o.status == "pass" for o in outcomes)
    if args.write_gaps:
        write_gaps(outcomes, partial=bool(args.pattern))
    if args.markdown:
        print_markdown(table, outcomes)
    else:
        print(f"\n{'namespace':16} {'pass':>5} {'fail':>5} {'missing':>8} {'total':>6}")
        for row in ROWS:
            c = table.get(row)
            if c:
                print(f"{row:16} {c['pass']:5} {c['fail']:5} {c['missing']:8} {sum(c.values()):6}")
        print(f"({elapsed:.0f} s)")
    print(f"opinfo: {passed} of {len(outcomes)} pass")
    return 0


def print_markdown(table, outcomes) -> None:
    print("| namespace | pass | fail | missing | total |\n|---|---:|---:|---:|---:|")
    for row in ROWS:
        c = table.get(row)
        if c:
            print(f"| {row} | {c['pass']} | {c['fail']} | {c['missing']} | {sum(c.values())} |")
    print("\nOpInfos that do not pass, and why:\n")
    for o in outcomes:
        if o.status != "pass":
            name = op_id(o.op)
            why = GAPS.get(name, f"{o.status}: {o.reason}")
            print(f"- `{name}`: {why}")


def write_gaps(outcomes, partial: bool) -> None:
    """Rewrite the gap list: a reason written by hand is kept while its OpInfo still fails;
    a new failure gets the harness's reason. (With -k, OpInfos not run keep their entries.)"""
    gaps = dict(GAPS) if partial else {}
    for o in outcomes:
        name = op_id(o.op)
        gaps.pop(name, None)
        if o.status != "pass":
            auto = f"{o.status}: {o.reason}"
            old = GAPS.get(name)
            gaps[name] = old if old and not old.startswith(("missing:", "fail:")) else auto
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "opinfo_gaps.py")
    with open(path) as f:
        head = f.read().split("GAPS: dict[str, str] = {")[0]
    lines = [f"    {name!r}: {reason!r}," for name, reason in sorted(gaps.items())]
    with open(path, "w") as f:
        f.write(head + "GAPS: dict[str, str] = {\n" + "\n".join(lines) + ("\n" if lines else "") + "}\n")


if __name__ == "__main__":
    sys.exit(main())
