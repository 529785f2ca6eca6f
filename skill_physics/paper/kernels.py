"""The CPU kernels behind the committed numbers: NumPy's, OpenBLAS's and torch's dispatch pinned to AVX2.

NumPy, its BLAS and torch choose their vector kernels by the CPU's features when they load, so the same sums round
differently with and without AVX-512, and a chaotic run (Fig 13's SignGD) turns the last bit into whole steps. ``PIN``
keeps every x86-64 CPU on the AVX2 kernels; it must be in the environment before the libraries load, so
``ensure_pinned`` re-runs a script's process with it when it is not. ``SKILL_PHYSICS_NATIVE_KERNELS=1`` opts out.
"""
import ctypes
import os
import platform
import sys
from pathlib import Path

PIN = {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",   # NumPy's dispatch targets above AVX2
       "ATEN_CPU_CAPABILITY": "avx2",                                  # torch's CPU kernels
       "OPENBLAS_CORETYPE": "Haswell"}                                 # NumPy's and SciPy's BLAS: its AVX2 kernels
PIN_TARGETS = PIN["NPY_DISABLE_CPU_FEATURES"].split()
AVX512_BLAS = ("SkylakeX", "Cooperlake", "SapphireRapids")           # OpenBLAS's AVX-512 CPU types
NATIVE = "SKILL_PHYSICS_NATIVE_KERNELS"


def x86():
    """True on an x86-64 CPU with AVX2 (Intel since 2013, AMD since 2015), the CPUs the pin is for."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        return " avx2" in Path("/proc/cpuinfo").read_text()
    except OSError:         # not Linux: assume AVX2, which every x86-64 CPU sold since 2015 has
        return True


def native(environ=None):
    """True when the reader opted out of the pin (``SKILL_PHYSICS_NATIVE_KERNELS`` set, and not to 0)."""
    return (os.environ if environ is None else environ).get(NATIVE, "") not in ("", "0")


def pinned_environment(environ=None):
    """``environ`` (default: this process's) with the pin added on x86-64, unless opted out: a child's environment."""
    environ = dict(os.environ if environ is None else environ)
    return dict(environ, **PIN) if x86() and not native(environ) else environ


def unpinned_environment(**extra):
    """This process's environment without the pin and the opt-out, plus ``extra``: for a child that chooses its own
    kernels (a benchmark's, a test's)."""
    environ = {k: v for k, v in os.environ.items() if k not in PIN and k != NATIVE}
    return dict(environ, **extra)


def blas_core():
    """The CPU type whose kernels NumPy's OpenBLAS runs, e.g. Haswell; 'unknown' where NumPy has another BLAS."""
    import numpy as np
    for lib in sorted((Path(np.__file__).parent.parent / "numpy.libs").glob("*openblas*")):
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
            corename = getattr(ctypes.CDLL(str(lib)), name, None)
            if corename is not None:
                corename.restype = ctypes.c_char_p
                return corename().decode()
    return "unknown"


def in_use():
    """The kernels this process computes with: ``{"machine", "numpy", "torch", "blas"}``.

    "numpy" lists NumPy's dispatch targets in force (its baseline when none is), "torch" is torch's CPU capability,
    "blas" the CPU type of NumPy's OpenBLAS kernels; e.g. x86_64, X86_V3, AVX2, Haswell.
    """
    import numpy as np
    import torch
    core = getattr(np, "_core", None) or np.core
    umath = core._multiarray_umath
    features = getattr(umath, "__cpu_features__", {})
    targets = [t for t in getattr(umath, "__cpu_dispatch__", []) if features.get(t)]
    return {"machine": platform.machine().lower(),
            "numpy": " ".join(targets or getattr(umath, "__cpu_baseline__", []) or ["unknown"]),
            "torch": torch.backends.cpu.get_cpu_capability(), "blas": blas_core()}


def avx512(kernels):
    """True if ``kernels`` (as ``in_use``) include AVX-512 ones."""
    return ("AVX512" in kernels["torch"].upper() or any(t in kernels["numpy"].split() for t in PIN_TARGETS)
            or kernels.get("blas") in AVX512_BLAS)


def pinned():
    """True if this process computes with the pinned kernels (always off x86-64, where there is nothing to pin)."""
    return not x86() or not avx512(in_use())


def ensure_pinned():
    """Re-run this process (same interpreter, same arguments) with ``PIN`` in its environment if it computes with
    AVX-512 kernels, unless the reader opted out. Returns only when the process is pinned, opted out, or cannot be.

    Call it from a command's entry point before any work: the re-run starts from scratch, so nothing is done twice.
    """
    if native() or pinned():
        return
    if all(os.environ.get(k) == v for k, v in PIN.items()):     # set, yet not in force: a NumPy or torch we don't know
        print(f"note: the CPU kernels could not be pinned to AVX2 ({', '.join(f'{k}={v}' for k, v in PIN.items())} "
              f"had no effect); the numbers may differ in the last digits from the committed ones. Set {NATIVE}=1 to "
              "silence this note", file=sys.stderr)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], pinned_environment())


if __name__ == "__main__":      # python -m skill_physics.paper.kernels CMD [ARG ...]: run CMD with the pin
    if len(sys.argv) < 2:
        sys.exit("usage: python -m skill_physics.paper.kernels CMD [ARG ...]")
    os.execvpe(sys.argv[1], sys.argv[1:], pinned_environment())
