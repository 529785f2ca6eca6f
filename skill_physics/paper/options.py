"""Command-line checks shared by the figure scripts, reproduce.py and the sweep: folders, seeds, threads, devices,
and a quiet exit on Ctrl-C or SIGTERM."""
import argparse
import contextlib
import re
import signal
import sys
import threading
from pathlib import Path

import torch

from . import paths

MAX_SEED = 10 ** 9      # --seed K offsets seeds that NumPy's legacy streams take below 2**32


def folder_arg(text):
    """argparse type of an output folder: any non-empty path."""
    if not str(text).strip():
        raise argparse.ArgumentTypeError("must name a folder, got ''")
    return Path(text)


def seed_arg(text):
    """argparse type of --seed: an integer in 0 .. MAX_SEED."""
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if not 0 <= seed <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be an integer in 0..{MAX_SEED}, got {text!r}")
    return seed


def check_threads(name, threads, least=0):
    """Raise ValueError unless ``least`` <= threads <= paths.max_threads() (0: every usable core)."""
    if threads < least:
        raise ValueError(f"{name} must be >= {least}" + (" (0: every usable core)" if least == 0 else "") +
                         f", got {threads}")
    if threads > paths.max_threads():
        raise ValueError(f"{name} must be at most {paths.max_threads()} (4 per usable core), got {threads}")


def check_device(device):
    """Raise ValueError unless ``device`` is 'cpu', or a CUDA device that torch sees."""
    if device not in ("cpu", "cuda") and not re.fullmatch(r"cuda:\d+", device):
        raise ValueError(f"--device={device!r} is not allowed; choose 'cpu', 'cuda' or 'cuda:N'")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {device} was requested but torch sees no CUDA device")
    if device.startswith("cuda:") and int(device[5:]) >= torch.cuda.device_count():
        raise ValueError(f"--device {device}: torch sees {torch.cuda.device_count()} CUDA device(s), 0..")


@contextlib.contextmanager
def exit_on_signals(prog):
    """While in the block, Ctrl-C and SIGTERM exit quietly (SystemExit 130 or 143, one line on stderr): on the way
    out a temporary file being written is removed (``atomic_write``) and children are stopped. Main thread only."""
    def stop(signum, frame):
        print(f"{prog}: stopped by {signal.Signals(signum).name}", file=sys.stderr, flush=True)
        sys.exit(128 + signum)
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
