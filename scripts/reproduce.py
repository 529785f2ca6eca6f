"""Regenerate every figure: run each scripts/Fig*_*.py, then write figures/README.md (the gallery).

    python scripts/reproduce.py                # paper settings -> figures/, one script per CPU core, longest first
    python scripts/reproduce.py --quick        # smoke-test sizes -> figures/quick/
    python scripts/reproduce.py --seed 1       # the paper presets, seeds offset by 1 -> figures/seed1/
    python scripts/reproduce.py --only 9 12    # some figures only (README then lists every JSON present)
    python scripts/reproduce.py --skip 10 18   # every figure but some
    python scripts/reproduce.py --jobs 1       # one script at a time
    python scripts/reproduce.py --check        # regenerate into a temporary folder, compare claims with figures/
    python scripts/reproduce.py --readme-only  # rewrite the gallery (and README's table) from the JSONs present,
                                               # computing nothing
    python scripts/reproduce.py --plan         # the order of the scripts and the wall time it projects
    python scripts/reproduce.py --device auto  # on a GPU machine: the sweep and Fig 13 on CUDA, the rest on CPU cores

Figures 10 and 18 read the same sweep cells: they run one after the other, never side by side, and for the paper's
seeds and streams the sweep's missing cells are first computed by ``scripts/sweep.py`` shards on every job slot.
Each script runs with this checkout's package first on its path, whatever package is installed.
"""
import argparse
import functools
import importlib.util
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from skill_physics.paper import kernels, paths  # noqa: E402
from skill_physics.paper.figure import output_folder  # noqa: E402
from skill_physics.paper.options import MAX_SEED, check_device, check_threads, folder_arg, seed_arg  # noqa: E402
from skill_physics.paper.replay import RNGS  # noqa: E402
from skill_physics.paper.store import WriteError, writable_folder  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gallery  # noqa: E402

SWEEP_FIGURES = (10, 18)   # drawn from the scaling sweep's cell cache (shared)
# --device auto on a CUDA machine: the figures measured faster there. One H200 ran the 13 scripts other than the
# sweep's, all at once: Fig 13 took 47 s (650-765 s on one CPU core), Figs 15 and 19 took 87 s and 226 s (15-20 s and
# 121-155 s on a CPU core: stacks of small kernels, launch-bound). The others were not timed alone there: CPU. The
# sweep is one job per family there (scripts/sweep.py), so it goes to CUDA too.
GPU_FIGURES = (13,) + SWEEP_FIGURES


def figure_scripts(only=None, skip=()):
    """scripts/Fig<N>_<slug>.py in figure order: the numbers in ``only`` (default all), less those in ``skip``."""
    found = []
    for path in paths.SCRIPTS.glob("Fig*_*.py"):
        m = re.match(r"Fig(\d+)_", path.name)
        if m and (not only or int(m.group(1)) in only) and int(m.group(1)) not in skip:
            found.append((int(m.group(1)), path))
    return [p for _, p in sorted(found)]


def figure_number(script):
    return int(re.match(r"Fig(\d+)_", Path(script).name).group(1))


def _fmt(value, style=".4g"):
    """A claim value as --check prints it: whole lists, floats in ``style`` (".17g": every digit, to show where two
    values part)."""
    return gallery.fmt(value, limit=None, style=style)


def update_root_readme(results, readme=paths.ROOT / "README.md"):
    """Replace the block between the figure-table markers of the top-level README with the measured table."""
    begin, end = "<!-- figure-table:begin -->", "<!-- figure-table:end -->"
    text = readme.read_text()
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        readme.write_text(head + begin + "\n" + gallery.figure_table(results) + "\n" + end + rest.split(end, 1)[1])


# ------------------------------------------------------------------------------------------------------ scheduling

def known_runtime(script, folders):
    """The runtime_s of ``script``'s JSON in the first of ``folders`` that holds one (None if none does)."""
    for folder in folders:
        path = Path(folder) / f"{Path(script).stem}.json"
        if path.is_file():
            runtime = json.loads(path.read_text()).get("runtime_s")
            if runtime is not None:
                return float(runtime)
    return None


def expected_runtimes(scripts, out):
    """Each script's runtime_s from its JSON in ``out``, else in figures/ (the committed paper run), else None."""
    return {s: known_runtime(s, [out, paths.FIGURES]) for s in scripts}


def plan(scripts, runtimes):
    """Group the scripts into tasks and order them longest first.

    Parameters
    ----------
    scripts : list of Path          the figure scripts to run
    runtimes : dict Path -> float   expected seconds (None: unknown, scheduled first, as it may be long)

    Returns
    -------
    list of lists of Path: each task runs its scripts one after the other; the sweep figures form one task, so that
    they never compute the same cells side by side.
    """
    sweep = [s for s in scripts if figure_number(s) in SWEEP_FIGURES]
    tasks = [[s] for s in scripts if s not in sweep] + ([sweep] if sweep else [])

    def cost(task):
        known = [runtimes.get(s) for s in task]
        return math.inf if None in known else sum(known)
    return sorted(tasks, key=cost, reverse=True)


def projected_wall(tasks, runtimes, jobs):
    """Wall seconds of ``tasks`` on ``jobs`` slots, each slot taking the next task as it frees (as ``run_tasks``),
    from the known ``runtimes`` (unknown count 0; start-up of each script not included)."""
    slots = [0.0] * jobs
    for task in tasks:
        i = slots.index(min(slots))
        slots[i] += sum(runtimes.get(s) or 0.0 for s in task)
    return max(slots, default=0.0)


def print_plan(alone, tasks, runtimes, jobs):
    """--plan: the order the scripts start in, their committed runtimes, and the projected wall time."""
    def named(s):
        return f"{Path(s).name} ({'?' if runtimes.get(s) is None else f'{runtimes[s]:.0f} s'})"
    for script in alone:
        print(f"{named(script)}, alone on every core")
    for task in tasks:
        print(" then ".join(named(s) for s in task))
    wall = sum(runtimes.get(s) or 0.0 for s in alone) + projected_wall(tasks, runtimes, jobs)
    print(f"projected wall time on {jobs} slot(s): {wall:.0f} s "
          f"(sum {sum(r or 0.0 for r in runtimes.values()):.0f} s; script start-up not included)")


class Children:
    """The figure scripts running now: on Ctrl-C or SIGTERM ``stop`` terminates them (each removes the file it was
    writing) and no new one starts, so that no process outlives this command."""

    def __init__(self):
        self.running, self.stopping, self.lock = set(), False, threading.Lock()

    def run(self, cmd, env, capture):
        """(exit code, captured output) of ``cmd``, or (None, '') once stopping."""
        with self.lock:
            if self.stopping:
                return None, ""
            pipe = subprocess.PIPE if capture else None
            proc = subprocess.Popen(cmd, env=env, stdout=pipe, stderr=subprocess.STDOUT if capture else None,
                                    text=True)
            self.running.add(proc)
        try:
            text = proc.communicate()[0]
        finally:
            with self.lock:
                self.running.discard(proc)
        return proc.returncode, text or ""

    def stop(self, signum, frame):
        """The signal handler: stop every child, then exit (130 on Ctrl-C, 143 on SIGTERM)."""
        with self.lock:
            self.stopping = True
            procs = list(self.running)
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        print(f"reproduce: stopped by {signal.Signals(signum).name}", file=sys.stderr, flush=True)
        sys.exit(128 + signum)


CHILDREN = Children()


def run_tasks(tasks, commands, jobs, env):
    """Run ``tasks`` (lists of keys into ``commands``) on ``jobs`` slots; returns the keys whose command failed.

    With one slot the output streams through; with several, each command's output is printed whole when it ends.
    """
    lock, failed = threading.Lock(), []

    def run_one(key):
        start = time.perf_counter()
        if jobs == 1:
            print(f"== {key}", flush=True)
        code, text = CHILDREN.run(commands[key], env, capture=jobs > 1)
        if code is None:
            return
        with lock:
            if jobs > 1:
                print(f"== {key}", flush=True)
            print(text + f"   ({'ok' if code == 0 else f'FAILED, exit {code}'}, {time.perf_counter() - start:.1f} s)",
                  flush=True)
            if code != 0:
                failed.append(key)

    def run_task(task):
        for key in task:
            run_one(key)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(run_task, tasks))
    return failed


@functools.lru_cache(maxsize=None)     # figure_commands, wide and sweep_commands each read the same scripts
def load_script(script):
    """A figure script as a module (its FIG and constants), without running the figure."""
    found = importlib.util.spec_from_file_location(f"_reproduce_{Path(script).stem}", script)
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


def takes_rng(script):
    """True if the script's paper preset has an 'rng' key (the figure accepts --rng)."""
    return "rng" in load_script(script).FIG.presets["paper"]


def sweep_commands(scripts, args, jobs):
    """``scripts/sweep.py`` shards that compute the missing cells of the sweep figures on ``jobs`` slots.

    Only for the paper's seeds and streams (sweep.py has no --seed or --rng; other settings compute their own cells
    inside the figure scripts); an empty dict if no sweep figure is selected. Cells already cached, or held by the
    committed summary, are not recomputed, so the shards end in seconds when nothing is missing. On CUDA one process
    holds the whole sweep (the GPU plan makes few large jobs), whatever ``jobs`` is.
    """
    sweep_scripts = [s for s in scripts if figure_number(s) in SWEEP_FIGURES]
    if not sweep_scripts or args.seed or args.rng:
        return {}
    device = device_of(sweep_scripts[0], args.device)
    jobs = 1 if device.startswith("cuda") else jobs
    variants = sorted({v for s in sweep_scripts for v in load_script(s).VARIANTS})
    # one process per slot (--jobs 1 each: the slots are the parallelism)
    base = [sys.executable, str(paths.SCRIPTS / "sweep.py"), "--device", device, "--jobs", "1", "--no-progress",
            "--variants", *variants] + (["--quick"] if args.quick else [])
    return {f"sweep.py --shard {k}/{jobs}": base + ["--shard", f"{k}/{jobs}"] for k in range(jobs)}


def device_of(script, device, cuda=None):
    """The torch device a script runs on: ``device``, or for 'auto' CUDA where the figure was measured faster there
    (``GPU_FIGURES``) and CUDA is present (``cuda``: default, whether torch sees a device), else the CPU."""
    if device != "auto":
        return device
    if cuda is None:
        import torch
        cuda = torch.cuda.is_available()
    return "cuda" if cuda and figure_number(script) in GPU_FIGURES else "cpu"


def figure_commands(scripts, args, out, extra):
    """The command line of each figure script, keyed by the script's file name (--rng only to seeded figures)."""
    commands = {}
    for script in scripts:
        cmd = [sys.executable, str(script), "--device", device_of(script, args.device), "--out", str(out)]
        cmd += (["--quick"] if args.quick else []) + (["--seed", str(args.seed)] if args.seed else [])
        cmd += (["--rng", args.rng] if args.rng and takes_rng(script) else [])
        commands[script.name] = cmd + (["--no-progress"] if args.jobs > 1 else []) + extra
    return commands


def child_env(results=None):
    """The scripts' environment: the pinned CPU kernels, this checkout's package first on the path (a second clone
    computes with its own code, not with the clone that was ``pip install -e``'d); optionally another results folder."""
    env = kernels.pinned_environment(
        dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(paths.ROOT), os.environ.get("PYTHONPATH")]))))
    if results is not None:
        env["SKILL_PHYSICS_RESULTS"] = str(results)
    return env


def wide(scripts, device, jobs):
    """The scripts that run alone, and the others. On the CPU a script whose torch threads (``FIG.threads``, 0: every
    core) fill the ``jobs`` slots runs alone: Fig 13's float64 matmuls are 1.8x faster on two threads than on one,
    and ~1.45x slower beside another script than alone."""
    def fills(script):
        threads = load_script(script).FIG.threads
        return threads == 0 or threads >= jobs > 1
    alone = [s for s in scripts if device_of(s, device) == "cpu" and fills(s)]
    return alone, [s for s in scripts if s not in alone]


def regenerate(scripts, args, out, extra, results=None):
    """Run the sweep shards (if any), the scripts that fill every core one by one, then the others on ``args.jobs``
    slots, longest first; returns the failed names."""
    env = child_env(results)
    failed = []
    shards = sweep_commands(scripts, args, args.jobs)
    if shards:
        failed += run_tasks([[k] for k in shards], shards, args.jobs, env)
    runtimes = expected_runtimes(scripts, out)
    commands = figure_commands(scripts, args, out, extra)
    alone, shared = wide(scripts, args.device, args.jobs)
    failed += run_tasks([[s.name] for s in alone], commands, 1, env)
    return failed + run_tasks([[s.name for s in task] for task in plan(shared, runtimes)], commands, args.jobs, env)


# ------------------------------------------------------------------------------------------------------------ check

IDENTICAL, OTHER_DIGITS, CHANGED = "identical", "same claims, other digits", "claims changed"


def numbers(value):
    """The numbers in a JSON value, in order (None stands for NaN)."""
    if isinstance(value, list):
        return [x for v in value for x in numbers(v)]
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in numbers(value[k])]
    return [value] if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)) else []


def relative_difference(a, b):
    """|a - b| / max(|a|, |b|), 0 where both are equal (NaN = NaN), inf where one is NaN."""
    if a == b:
        return 0.0
    if a is None or b is None:
        return math.inf
    return abs(a - b) / max(abs(a), abs(b))


def compare_claims(committed, fresh):
    """The verdict on a figure's fresh JSON against its committed one.

    Returns
    -------
    (verdict, lines, values, largest): ``CHANGED`` if a claim appeared, went, or changed its verdict, paper value,
    tolerance or the shape of its value; else ``OTHER_DIGITS`` if some of its values differ; else ``IDENTICAL``.
    ``lines`` names each difference, ``values`` counts the values that differ, ``largest`` is their largest relative
    difference.
    """
    old = {c["name"]: c for c in committed["claims"]}
    new = {c["name"]: c for c in fresh["claims"]}
    changed = [f"claim {n}: only in the committed JSON" for n in old if n not in new]
    changed += [f"claim {n}: not in the committed JSON" for n in new if n not in old]
    digits, values, largest = [], 0, 0.0
    for name in (n for n in old if n in new):
        was, now = old[name], new[name]
        for key in ("holds", "paper", "tolerance"):
            if was.get(key) != now.get(key):
                changed.append(f"claim {name} {key}: committed {_fmt(was.get(key))}, now {_fmt(now.get(key))}")
        a, b = numbers(was.get("ours")), numbers(now.get("ours"))
        if len(a) != len(b):
            changed.append(f"claim {name} ours: committed {_fmt(was.get('ours'))}, now {_fmt(now.get('ours'))}")
            continue
        differ = [relative_difference(x, y) for x, y in zip(a, b) if x != y]
        if differ:
            values, largest = values + len(differ), max(largest, *differ)
            digits.append(f"claim {name} ours: committed {_fmt(was.get('ours'), '.17g')}, "
                          f"now {_fmt(now.get('ours'), '.17g')}")
    if changed:
        return CHANGED, changed + digits, values, largest
    return (OTHER_DIGITS if digits else IDENTICAL), digits, values, largest


def kernels_text(report):
    """How a JSON says it was made: 'x86_64, NumPy X86_V3, torch AVX2, BLAS Haswell' (or 'unknown kernels'), and the
    torch device where it is not the CPU."""
    k = report.get("kernels")
    text = (f"{k['machine']}, NumPy {k['numpy']}, torch {k['torch']}, BLAS {k.get('blas', 'unknown')}" if k
            else "unknown kernels")
    return text + (f", on {report['device']}" if report.get("device", "cpu") != "cpu" else "")


def verdict_line(stem, committed, fresh):
    """(line, lines, fails) of one figure: its verdict, the differences, and whether it fails ``--check``.

    Other digits fail only where both runs used the same kernels and device: then the code changed the numbers.
    """
    verdict, lines, values, largest = compare_claims(committed, fresh)
    if verdict != OTHER_DIGITS:
        return f"{stem}: {verdict}", lines, verdict == CHANGED
    same = kernels_text(committed) == kernels_text(fresh)
    why = ("with the same kernels: the code changed them" if same else
           f"committed with {kernels_text(committed)}, now with {kernels_text(fresh)}: other kernels round otherwise")
    return (f"{stem}: {verdict}: {values} value(s) differ, by at most {largest:.1e} relative; {why}", lines, same)


def check(scripts, args, committed, extra):
    """Regenerate ``scripts`` into a temporary folder, with a fresh results cache, and compare with ``committed``.

    Returns the exit code: 0 if every figure ran and is identical, or differs only in digits that other kernels
    explain; 1 otherwise.
    """
    with tempfile.TemporaryDirectory(prefix="reproduce_check_") as tmp:
        out = Path(tmp) / "figures"
        failed = regenerate(scripts, args, out, extra, results=Path(tmp) / "results")
        report, made_with = {}, set()
        for script in scripts:
            name = f"{script.stem}.json"
            if script.name in failed or not (out / name).is_file():
                report[script.stem] = (f"{script.stem}: the script failed", [], True)
                continue
            fresh = json.loads((out / name).read_text())
            made_with.add(kernels_text(fresh))
            if not (committed / name).is_file():
                report[script.stem] = (f"{script.stem}: no committed {committed / name}", [], True)
            else:
                report[script.stem] = verdict_line(script.stem, json.loads((committed / name).read_text()), fresh)
    print(f"== check against {committed} (this run: {'; '.join(sorted(made_with)) or 'nothing ran'})")
    for line, lines, _ in report.values():
        print(line)
        for detail in lines:
            print(f"   {detail}")
    return 1 if any(fails for _, _, fails in report.values()) else 0


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke-test presets, written to figures/quick/")
    parser.add_argument("--only", type=int, nargs="+", help="figure numbers to run")
    parser.add_argument("--skip", type=int, nargs="+", default=[], help="figure numbers not to run")
    parser.add_argument("--device", default="cpu",
                        help="torch device of every script (cpu, cuda), or 'auto': on a CUDA machine the sweep and "
                             "the figures measured faster there on CUDA, the others on the CPU cores")
    parser.add_argument("--seed", type=seed_arg, default=0,
                        help=f"offset added to the paper's seeds, 0..{MAX_SEED} (-> figures/seedK/)")
    parser.add_argument("--rng", choices=RNGS, default=None,
                        help="random streams of the seeded figures (-> figures/rng-R/)")
    parser.add_argument("--jobs", type=int, default=paths.usable_cores(),
                        help="figure scripts run side by side (default: the CPU cores this process may use)")
    parser.add_argument("--out", type=folder_arg, default=None, help="output folder (default: as the figure scripts)")
    parser.add_argument("--check", action="store_true",
                        help="regenerate into a temporary folder (fresh cache) and compare every claim with the "
                             "committed JSONs; writes nothing")
    parser.add_argument("--readme-only", "--gallery-only", action="store_true",
                        help="only rewrite README.md (the gallery) from the JSONs present, computing nothing; for "
                             "figures/, also the figure table of the top-level README")
    parser.add_argument("--plan", action="store_true",
                        help="only print the order of the scripts and the wall time their committed runtimes project")
    args, extra = parser.parse_known_args(argv)
    try:
        check_threads("--jobs", args.jobs, least=1)
        if args.device != "auto":
            check_device(args.device)
    except ValueError as err:
        parser.error(str(err))
    numbers = sorted(figure_number(p) for p in figure_scripts())
    unknown = sorted((set(args.only or []) | set(args.skip)) - set(numbers))
    if unknown:
        parser.error(f"there is no figure {', '.join(map(str, unknown))}; the figures are "
                     f"{', '.join(map(str, numbers))}")
    if not args.readme_only and not figure_scripts(args.only, args.skip):
        parser.error("--only and --skip leave no figure to run")
    return args, extra


def main(argv=None):
    args, extra = parse(argv)
    # --check compares with the figures of the same settings made with the pinned kernels, whatever kernels it runs
    out = args.out or output_folder(args.quick, args.seed, args.rng, native=False if args.check else None)
    scripts = [] if args.readme_only else figure_scripts(args.only, args.skip)
    if args.plan:
        runtimes = expected_runtimes(scripts, out)
        alone, shared = wide(scripts, args.device, args.jobs)
        print_plan(alone, plan(shared, runtimes), runtimes, args.jobs)
        return 0
    handlers = {s: signal.signal(s, CHILDREN.stop) for s in (signal.SIGINT, signal.SIGTERM)} \
        if threading.current_thread() is threading.main_thread() else {}
    try:
        return run(args, scripts, out, extra)
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)


def run(args, scripts, out, extra):
    """Check, or regenerate the figures and their README; returns the exit code."""
    if args.check:
        return check(scripts, args, out, extra)
    try:        # where the figures will be written, before computing them
        writable_folder(out, "the output folder", "make it writable or choose another with --out")
    except WriteError as err:
        print(f"reproduce: error: {err}", file=sys.stderr)
        return 2
    failed = regenerate(scripts, args, out, extra) if scripts else []
    gallery.write_gallery(out)
    if out == paths.FIGURES:
        update_root_readme(gallery.load_results(out))
    print(f"wrote {out / 'README.md'}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
