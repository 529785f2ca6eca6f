"""What a figure run writes: pdf and png images and the JSON report, atomically and byte-stable.

No creation date goes into any file, so that unchanged results give unchanged bytes.
"""
import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: scripts and tests never need a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .store import atomic_write  # noqa: E402

# what the image files embed besides the drawing
IMAGE_METADATA = {"pdf": {"CreationDate": None}, "png": {}}


def plain(value):
    """A JSON-able version of numbers, arrays and containers (NaN and inf become null)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in np.asarray(value, dtype=object).tolist()] if np.ndim(value) else plain(
            np.asarray(value).item())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    return value


def save_figure(fig, stem):
    """Write ``stem``.pdf and ``stem``.png atomically (byte-stable, see ``IMAGE_METADATA``) and close the figure."""
    for fmt, kw in (("pdf", {}), ("png", {"dpi": 150})):
        atomic_write(Path(f"{stem}.{fmt}"), lambda f: fig.savefig(f, format=fmt, bbox_inches="tight",
                                                                   metadata=IMAGE_METADATA[fmt], **kw))
    plt.close(fig)


def write_json(path, payload):
    atomic_write(path, lambda f: f.write((json.dumps(plain(payload), indent=2) + "\n").encode()))


def write_report(path, payload):
    """Write the figure's JSON, but leave an existing file alone when only its measured ``runtime_s`` would change
    (a rerun keeps ``git status`` clean)."""
    fresh = json.loads(json.dumps(plain(payload)))
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        old = None
    if isinstance(old, dict) and {**old, "runtime_s": None} == {**fresh, "runtime_s": None}:
        return
    write_json(path, payload)
