"""Run every real PyTorch program in this folder under torch and under torchless; compare stdout.

    .venv/bin/python examples/real/run.py [name ...]

Each program runs twice in a fresh subprocess: once with the real ``torch``, once with
``torchless`` installed as ``torch`` (``sys.modules`` aliases plus an import hook that maps
``torch.X`` to ``torchless.X``). Both runs are seeded identically (``manual_seed(0)``) before
the program starts. stdout is compared line by line: text must match exactly, numbers within
1e-4 relative (1e-6 absolute). Result per program: PASS, DIFF (first differing line) or
ERROR (the torchless exception, and the program line that raised it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RTOL, ATOL = 1e-4, 1e-6
TIMEOUT = 300

# run inside the subprocess: argv = [mode, program]
BOOT = r'''
import importlib, importlib.abc, importlib.util, runpy, sys, warnings
mode, path = sys.argv[1], sys.argv[2]
if mode == "torchless":
    import torchless
    for name in list(sys.modules):  # torchless.x.y already loaded -> torch.x.y
        if name == "torchless" or name.startswith("torchless."):
            sys.modules["torch" + name[len("torchless"):]] = sys.modules[name]

    class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        """import torch.X  ->  the module torchless.X"""
        def find_spec(self, fullname, path=None, target=None):
            if fullname.startswith("torch.") and importlib.util.find_spec("torchless" + fullname[5:]) is not None:
                return importlib.util.spec_from_loader(fullname, self)
            return None
        def create_module(self, spec):
            return importlib.import_module("torchless" + spec.name[5:])
        def exec_module(self, module):
            pass

    sys.meta_path.insert(0, _Alias())
import torch
torch.manual_seed(0)
import random; random.seed(0)
try:
    import numpy; numpy.random.seed(0)
except ImportError:
    pass
sys.argv = [path]
sys.path.insert(0, __import__("os").path.dirname(path))
runpy.run_path(path, run_name="__main__")
'''

NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:inf|nan)\b")


def run(mode: str, program: Path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONHASHSEED="0")
    try:
        p = subprocess.run([sys.executable, "-c", BOOT, mode, str(program)], capture_output=True, text=True,
                           timeout=TIMEOUT, env=env, cwd=str(HERE))
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        return -1, e.stdout or "", f"TimeoutExpired: {TIMEOUT}s"


ADDR = re.compile(r"0x[0-9a-fA-F]+")


def same_line(a: str, b: str) -> bool:
    a, b = ADDR.sub("0x?", a), ADDR.sub("0x?", b)  # object addresses differ between runs
    if a == b:
        return True
    if NUM.sub("#", a) != NUM.sub("#", b):
        return False
    for x, y in zip(NUM.findall(a), NUM.findall(b)):
        fx, fy = float(x), float(y)
        if fx != fx and fy != fy:
            continue
        if abs(fx - fy) > ATOL + RTOL * max(abs(fx), abs(fy)):
            return False
    return True


def error_summary(stderr: str, program: Path) -> str:
    lines = stderr.strip().splitlines()
    exc = lines[-1] if lines else "(no stderr)"
    where = ""
    for i, l in enumerate(lines):  # the last frame inside the program
        if str(program) in l:
            m = re.search(r"line (\d+)", l)
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            where = f"line {m.group(1) if m else '?'}: {nxt}"
    return f"{exc}  [{where}]" if where else exc


def compare(program: Path):
    rc_t, out_t, err_t = run("torch", program)
    if rc_t != 0:
        return "SKIP", f"fails under torch: {error_summary(err_t, program)}"
    rc_l, out_l, err_l = run("torchless", program)
    a, b = out_t.splitlines(), out_l.splitlines()
    for i, (x, y) in enumerate(zip(a, b)):
        if not same_line(x, y):
            return "DIFF", f"line {i + 1}: torch {x.strip()[:70]!r} vs torchless {y.strip()[:70]!r}"
    if rc_l != 0:
        return "ERROR", error_summary(err_l, program)
    if len(a) != len(b):
        return "DIFF", f"{len(a)} lines from torch, {len(b)} from torchless"
    return "PASS", f"{len(a)} lines"


def main(argv):
    programs = sorted(p for p in HERE.glob("*.py") if p.name != "run.py")
    if argv:
        programs = [p for p in programs if p.stem in argv or p.name in argv]
    results = []
    width = max((len(p.stem) for p in programs), default=10)
    for p in programs:
        status, detail = compare(p)
        results.append(status)
        print(f"{p.stem:<{width}}  {status:<5}  {detail}", flush=True)
    print(f"\n{results.count('PASS')}/{len(results)} PASS")
    return 0 if all(r == "PASS" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
