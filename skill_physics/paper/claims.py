"""Claims: one row per number of the paper a figure script checks, with the sentence that says what it is.

A row holds the code name, the sentence (``says``), the reference (``paper``: printed in the paper or by its code, or
computed by the script, then ``computed`` says how), our value, the tolerance as text, and whether it holds.
"""
import numpy as np

from .files import plain

# what a replayed run's tight row adds to the sentence of the quantity it checks
REPLAYED = "; the paper's own run, replayed, to the digits printed"
# what a row that places the paper's value among our seeds adds to the sentence of the quantity
SEED_RANGE = ": the reference lies within our seeds' range"


def claim(name, paper, ours, tolerance, holds, *, says, computed=None):
    """One row of a figure's claims table.

    Parameters
    ----------
    name : str              code name, unique within the figure
    paper, ours             the reference and our value (numbers, arrays, containers)
    tolerance : str         how close counts, as the reader will see it
    holds : bool or array   computed from ``ours``, never typed in (an array holds where all of it does)
    says : str              one sentence: what the number is
    computed : str or None  how our script computes the reference, where the paper does not print it
    """
    row = {"name": name, "says": says, "paper": plain(paper), "ours": plain(ours), "tolerance": tolerance,
           "holds": bool(np.all(holds))}
    return row if computed is None else {**row, "computed": computed}


def within(ours, paper, abs=None, rel=None):
    """True where |ours - paper| <= abs, or <= rel * |paper|; NaN never holds."""
    ours, paper = np.asarray(ours, float), np.asarray(paper, float)
    bound = abs if abs is not None else rel * np.abs(paper)
    return bool(np.all(np.abs(ours - paper) <= bound))


def in_range(ours, low, high):
    """True where low <= ours <= high; NaN never holds."""
    ours = np.asarray(ours, float)
    return bool(np.all((ours >= low) & (ours <= high)))


def seed_claims(name, paper, values, tolerance, test, *, says):
    """Two rows for a quantity measured on several seeds, the figure seed first.

    ``name`` holds the figure seed's value (holds: ``test(values[0])``); ``name_over_seeds`` holds [median, min, max]
    over all seeds (holds: ``test(median)``), or for booleans the fraction of seeds where they hold (holds: all).
    """
    values = np.asarray(values)
    first = claim(name, paper, values[0], tolerance, test(values[0]), says=says)
    says = says + "; over all the seeds run"
    if values.dtype == bool:
        return [first, claim(f"{name}_over_seeds", paper, values.mean(), f"fraction of {values.size} seeds; all hold",
                             bool(values.all()), says=says)]
    values = values.astype(float)
    spread = [np.median(values), values.min(), values.max()]
    return [first, claim(f"{name}_over_seeds", paper, spread, f"median, min, max of {values.size} seeds; median "
                         f"{tolerance}", test(spread[0]), says=says)]


def printed(name, paper, ours, *, says, decimals=None, digits=None):
    """The tight row of a replayed run: ``ours`` equals ``paper`` to half a unit of its last printed digit.

    ``paper`` is the printed text itself (e.g. "1.90", its decimals set the precision), or numbers printed with
    ``decimals`` decimals, or with ``digits`` significant digits (then each value has its own half unit).
    """
    if isinstance(paper, str):
        half = 0.5 * 10.0 ** -len(paper.partition(".")[2])
        tolerance, paper = f"±{half:g} (as printed: {paper})", float(paper)
    elif digits is not None:
        paper = np.asarray(paper, float)
        half = 0.5 * 10.0 ** (np.floor(np.log10(np.abs(paper))) - digits + 1)
        tolerance = f"±half a unit of {digits} significant digits (replayed run)"
    else:
        half = 0.5 * 10.0 ** -decimals
        tolerance = f"±{half:g} (replayed run: the paper's printed digits)"
    return claim(name, paper, ours, tolerance, within(ours, paper, abs=half), says=says + REPLAYED)
