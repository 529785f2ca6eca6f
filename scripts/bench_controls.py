"""Benchmark: how long the notebooks' controls take to redraw.

Runs each notebook's code cells in this process up to its interactive cell (the one that calls ``live(draw,
controls)``), then moves every control through a few values (each option of a list, a slider's ends and its start,
then back) and times each redraw: the model, the figure and its PNG, as the reader waits for them. Prints one line per
notebook: the first drawing, then the median and the largest redraw, in wall-clock seconds and in CPU seconds of this
process (the CPU time is what a busy shared machine inflates less).

Usage: python scripts/bench_controls.py [geometry_model.ipynb ...]
"""
import argparse
import contextlib
import io
import statistics
import time

import matplotlib
import nbformat

from skill_physics.paper import paths

NOTEBOOKS = ("geometry_model.ipynb", "resource_model.ipynb", "domino_model.ipynb", "fit_your_curves.ipynb")


def up_to_controls(name):
    """Execute the notebook's code cells up to its interactive one; return the namespace."""
    cells = [c.source for c in nbformat.read(paths.ROOT / name, as_version=4).cells if c.cell_type == "code"]
    last = next(i for i, source in enumerate(cells) if "_picture = live(draw, controls)" in source)
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for source in cells[:last + 1]:
            exec(compile(source, name, "exec"), namespace)
    return namespace


def moves(control):
    """A few values for a control, ending at its start."""
    start = control.value
    if hasattr(control, "options"):   # lists, multi-selects, selection sliders, toggle buttons
        values = [option[1] if isinstance(option, tuple) else option for option in control.options]
        if isinstance(start, tuple):  # a multi-select: one option alone, then all of them
            return [values[:1], values, start]
        return [*values[:5], start]
    return [control.min, control.max, start]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", default=NOTEBOOKS)
    args = parser.parse_args(argv)
    matplotlib.use("Agg")
    for name in args.notebooks:
        namespace = up_to_controls(name)
        picture = next(value for key, value in namespace.items() if key.endswith("_picture"))
        first, wall, cpu = picture.seconds, [], []
        with contextlib.redirect_stdout(io.StringIO()):
            for control in namespace["controls"].values():
                for value in moves(control):
                    if value == control.value or (isinstance(value, list) and tuple(value) == control.value):
                        continue
                    start, start_cpu = time.perf_counter(), time.process_time()
                    control.value = value
                    wall.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - start_cpu)
        print(f"{name:24s} first drawing {first:.2f} s; {len(wall)} redraws: median {statistics.median(wall):.2f} s "
              f"wall ({statistics.median(cpu):.2f} s CPU), largest {max(wall):.2f} s wall ({max(cpu):.2f} s CPU)")


if __name__ == "__main__":
    main()
