"""Benchmark: the cost of pinning NumPy's and torch's CPU kernels to AVX2, on the heaviest figures.

Times each figure's computation at the paper settings, in a fresh process, with the pinned kernels and with the CPU's
own (``SKILL_PHYSICS_NATIVE_KERNELS=1``), in turn, and prints both times and their ratio. ``--fraction F`` runs the
first F of each run's steps (the sizes stay the paper's, and every step costs the same, so the ratio is the paper
settings' one). On a CPU without AVX-512 both runs use the same kernels, and the ratio shows the machine's noise.

Usage: python scripts/bench_kernels.py [--figures 13 2 19] [--fraction 1] [--rounds 1]
"""
import argparse
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from skill_physics.paper import kernels, paths  # noqa: E402


def time_compute(number, fraction):
    """Seconds of figure ``number``'s compute at the paper settings, its steps scaled by ``fraction`` (this process)."""
    import torch

    from skill_physics.paper.figure import Context
    script = next(paths.SCRIPTS.glob(f"Fig{number}_*.py"))
    found = importlib.util.spec_from_file_location(script.stem, script)
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    cfg = dict(module.FIG.presets["paper"], steps=max(1, round(module.FIG.presets["paper"]["steps"] * fraction)))
    torch.set_num_threads(module.FIG.threads or paths.usable_cores())
    start = time.perf_counter()
    module.FIG.compute(cfg, Context(progress=False))
    return time.perf_counter() - start


def in_child(number, fraction, native):
    """(seconds, kernels) of ``time_compute`` in a fresh process, pinned or with the CPU's own kernels."""
    env = kernels.unpinned_environment()
    env = dict(env, **{kernels.NATIVE: "1"}) if native else kernels.pinned_environment(env)
    out = subprocess.run([sys.executable, __file__, "--child", str(number), "--fraction", str(fraction)], env=env,
                         check=True, capture_output=True, text=True).stdout
    result = json.loads(out.splitlines()[-1])
    return result["seconds"], result["kernels"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--figures", type=int, nargs="+", default=[13, 2, 19], help="figure numbers (default 13 2 19)")
    parser.add_argument("--fraction", type=float, default=1.0, help="share of the paper's steps to run (default 1)")
    parser.add_argument("--rounds", type=int, default=1, help="pinned/native pairs per figure (default 1)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps({"seconds": time_compute(args.child, args.fraction), "kernels": kernels.in_use()}))
        return 0
    if not 0 < args.fraction <= 1:
        parser.error(f"--fraction must be in (0, 1], got {args.fraction}")
    print(f"figure compute at the paper sizes, {args.fraction:g} of the steps; pinned: {kernels.PIN}")
    for number in args.figures:
        for _ in range(args.rounds):
            pinned, with_pin = in_child(number, args.fraction, native=False)
            native, without = in_child(number, args.fraction, native=True)
            print(f"Fig {number}: pinned {pinned:.1f} s (NumPy {with_pin['numpy']}, torch {with_pin['torch']}), "
                  f"native {native:.1f} s (NumPy {without['numpy']}, torch {without['torch']}), "
                  f"pinned/native {pinned / native:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
