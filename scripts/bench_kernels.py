"""Benchmark: the cost of pinning NumPy's and torch's CPU kernels to AVX2, on the heaviest figures.

Runs each figure script at the paper settings from an empty cache twice, with the pinned kernels and with the CPU's
own (``SKILL_PHYSICS_NATIVE_KERNELS=1``), one after the other, and prints the compute time of each (the JSON's
``runtime_s``) and their ratio. On a CPU without AVX-512 both runs use the same kernels, and the ratio measures only
the machine's noise.

Usage: python scripts/bench_kernels.py [--figures 13 2 19] [--rounds 1]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from skill_physics.paper import kernels, paths  # noqa: E402


def compute_seconds(script, native):
    """The compute time of ``script`` at the paper settings, from an empty cache, pinned or with native kernels."""
    env = {k: v for k, v in os.environ.items() if k not in kernels.PIN}
    env.update({kernels.NATIVE: "1"} if native else {**kernels.PIN, kernels.NATIVE: "0"})
    with tempfile.TemporaryDirectory(prefix="bench_kernels_") as tmp:
        env["SKILL_PHYSICS_RESULTS"] = str(Path(tmp) / "results")
        subprocess.run([sys.executable, str(script), "--no-progress", "--out", tmp], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        report = json.loads((Path(tmp) / f"{script.stem}.json").read_text())
    return report["runtime_s"], report["kernels"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--figures", type=int, nargs="+", default=[13, 2, 19], help="figure numbers (default 13 2 19)")
    parser.add_argument("--rounds", type=int, default=1, help="pinned/native pairs per figure (default 1)")
    args = parser.parse_args(argv)
    print(f"pinned: {kernels.PIN}")
    for number in args.figures:
        script = next(paths.SCRIPTS.glob(f"Fig{number}_*.py"))
        for _ in range(args.rounds):
            pinned, used_pinned = compute_seconds(script, native=False)
            native, used_native = compute_seconds(script, native=True)
            print(f"{script.stem}: pinned {pinned:.1f} s (torch {used_pinned['torch']}, NumPy {used_pinned['numpy']}), "
                  f"native {native:.1f} s (torch {used_native['torch']}, NumPy {used_native['numpy']}), "
                  f"pinned/native {pinned / native:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
