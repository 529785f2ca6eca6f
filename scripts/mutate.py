"""Mutation testing with mutmut: per module, the share of small deliberate bugs that the tests catch.

mutmut (pinned in requirements.txt) changes one thing at a time in the package (an operator, a constant, a comparison,
an argument) and runs the tests that call the changed function, fastest first, until one fails: the mutant is then
*killed*. Everything runs in one scratch copy of the checkout's tracked files, build/mutate/ (ignored by git), so that
editing the working tree during a long run changes nothing until the next start. Modules run one after the other, and
every verdict is kept as soon as it is known: a run that is stopped resumes where it stopped, and a module whose code
changed is tested again where it changed. Only the in-process tests run (not those that start a figure script or a
notebook, which mutmut does not see).

Usage: python scripts/mutate.py [MODULE ...] [--jobs N] [--survivors] [--sample N] [--fresh]   (make mutate: all)
       python scripts/mutate.py --report                                                      (the scores so far)
       python scripts/mutate.py MUTANT ... --try tests/test_fit.py                      (do new tests kill these?)
A module is a file of skill_physics/ named like an import (measure, paper.store, cli.fit) or one of the packages
paper.replay and paper.sweep. The report gives per module: mutants, killed (a test failed or timed out), survived,
no tests (no selected test calls the function), equivalent (listed with a reason in scripts/equivalent_mutants/),
not run yet, and the score killed / (mutants run - equivalent). It writes build/mutate/scores.md (every module) and
build/mutate/survivors/<module>.txt, the diff of every surviving mutant not listed as equivalent. After adding tests,
--survivors runs again the mutants that survived (mutmut notices changed code, not changed tests). Exit status 0 even
when a target is missed: the score is a measurement, not a gate.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "mutate"
EQUIVALENT = ROOT / "scripts" / "equivalent_mutants"     # <module>.txt: 'mutant name  reason' per line
PACKAGES = ("paper.replay", "paper.sweep")      # reported as one module each
TARGET = 0.90

# Test files that mutmut does not run: they start scripts, notebooks or a browser (mutmut sees no function called in
# another process), read the repository's text, or compare with committed numbers (test_samples.py: it fails for
# nearly any change of the numeric code without naming the behaviour, so the scores leave it out and measure the
# behavioural tests); test_sweep_summary.py runs cells of 99 000 steps that nearly every sweep mutant would run again.
NOT_RUN = {"test_browser.py", "test_notebooks.py", "test_fit_notebook.py", "test_quickstart.py", "test_references.py",
           "test_reproduce.py", "test_stamps.py", "test_samples.py", "test_sweep_summary.py",
           "test_dependency_direction.py"}
SKIP = "not quick"                               # tests that run a figure script in a subprocess
# Tests left out one by one: each starts a script in another process, where mutmut sees no call yet pays the seconds
# of its start for every mutant of a function the test touches on its way; test_fig2s_... trains an MLP for seconds.
DESELECT = ["test_faults.py::test_bench_sweep_refuses_absurd_sizes",
            "test_faults.py::test_reproduce_arguments_are_refused_in_one_line",
            "test_faults.py::test_reproduce_refuses_an_out_that_is_a_file_before_running",
            "test_faults.py::test_sigterm_stops_reproduce_and_its_figure_script",
            "test_faults.py::test_sigterm_stops_the_sweep_and_its_workers_leaving_whole_files",
            "test_figure_toolkit.py::test_a_cache_is_named_by_its_settings_and_version_and_reread_whatever_the_code",
            "test_figure_toolkit.py::test_bad_device_exits_nonzero_with_message",
            "test_figure_toolkit.py::test_cuda_without_a_gpu_exits_nonzero_with_message",
            "test_figure_toolkit.py::test_damaged_cache_exits_nonzero_then_recompute_heals",
            "test_figure_toolkit.py::test_gallery_writes_each_claims_sentence_from_the_json",
            "test_figure_toolkit.py::test_negative_threads_exit_nonzero_with_message",
            "test_figure_toolkit.py::test_out_pointing_at_a_file_fails_before_computing",
            "test_figure_toolkit.py::test_replot_from_cache_reports_the_compute_time",
            "test_figure_toolkit.py::test_rerun_writes_identical_bytes_and_a_relative_cache",
            "test_figure_toolkit.py::test_second_checkout_writes_its_own_figures_and_only_paper_settings_write",
            "test_fit.py::test_fig2s_mlp_learns_serially_and_the_best_fit_beats_the_parallel_limit",
            "test_fit_cli.py::test_the_console_script_prints_the_known_n0_and_writes_figure_and_json",
            "test_kernels.py::test_a_figure_script_started_without_the_pin_computes_with_it",
            "test_kernels.py::test_an_opted_out_script_writes_beside_the_paper_figures",
            "test_kernels.py::test_check_with_native_kernels_compares_with_the_committed_figures"]

# mutmut's exit codes of a mutant's test run (mutmut.stats.status_by_exit_code) grouped as this report counts them
KILLED = {1, 3, 24, -24, 152, 255, 36, -11, -9}  # tests failed, pytest crashed, timed out or the process died
SURVIVED = {0}
NO_TESTS = {5, 33}


def modules():
    """{module: [source files relative to the checkout]} for every file of the package but the __init__ files: the
    core first, then the command line, the paper layer, and the sweep, the slowest, last."""
    def order(path):
        parts = path.relative_to(ROOT / "skill_physics").parts
        return len(parts) > 1, parts[0] == "paper", parts[:2] == ("paper", "sweep"), parts

    found = {}
    for path in sorted((ROOT / "skill_physics").rglob("*.py"), key=order):
        if path.name == "__init__.py":
            continue
        name = ".".join(path.relative_to(ROOT / "skill_physics").with_suffix("").parts)
        name = next((p for p in PACKAGES if name.startswith(p + ".")), name)
        found.setdefault(name, []).append(path.relative_to(ROOT).as_posix())
    return found


def mutant_prefix(source):
    """The prefix of the names mutmut gives the mutants of ``source``: skill_physics/paper/store.py ->
    'skill_physics.paper.store.'."""
    return source.removesuffix(".py").replace("/", ".") + "."


def test_selection():
    """pytest's arguments that select the tests mutmut runs (see NOT_RUN, SKIP and DESELECT), in the scratch copy.

    They name the folder, not its files, so that a new test file leaves mutmut's verdicts standing (a change of the
    selection makes mutmut forget them all); mutmut adds new tests to its records by itself."""
    return (["tests", "-k", SKIP] + [f"--ignore=tests/{name}" for name in sorted(NOT_RUN)]
            + [arg for test in DESELECT for arg in ("--deselect", f"tests/{test}")])


def config_section(sources, also_copy):
    """The [tool.mutmut] section of the scratch copy's pyproject.toml: mutate ``sources``, run the selected tests."""
    lines = ["", "[tool.mutmut]",
             'source_paths = ["skill_physics"]',
             # the tests read the docs, the notebooks and the committed figures and data too
             f"also_copy = {json.dumps(also_copy)}",
             f"only_mutate = {json.dumps(sources)}",
             f"pytest_add_cli_args_test_selection = {json.dumps(test_selection())}",
             'pytest_add_cli_args = ["-p", "no:cacheprovider"]',
             # torch is not fork-safe once its thread pools run: fork the workers from a clean server process
             'process_isolation = "forkserver"',
             "use_git_change_detection = false"]
    return "\n".join(lines) + "\n"


def tracked(untracked=False):
    """The files git tracks in the checkout (as they are in the working tree), relative to it; with ``untracked``
    also the new files git does not ignore (a test file not yet added)."""
    names = subprocess.run(["git", "ls-files", "-z", *(["--cached", "--others", "--exclude-standard"] if untracked
                                                       else [])], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in names.decode().split("\0") if name and (ROOT / name).is_file()]


def copy_files(names, folder):
    """Copy the checkout's files ``names`` (relative paths) into ``folder`` at the same relative paths."""
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, folder / name)


def prepare(fresh=False):
    """Copy the tracked files into build/mutate/ with a pyproject.toml that mutates every module; mutmut's records
    (build/mutate/mutants/*.meta) are kept unless ``fresh``."""
    WORK.mkdir(parents=True, exist_ok=True)
    if fresh:
        shutil.rmtree(WORK / "mutants", ignore_errors=True)
        (WORK / "times.json").unlink(missing_ok=True)
    files = tracked()
    tops = sorted({name.split("/")[0] for name in files})
    for top in tops:
        if (WORK / top).is_dir():
            shutil.rmtree(WORK / top)
        else:
            (WORK / top).unlink(missing_ok=True)
    copy_files(files, WORK)
    sources = [s for files in modules().values() for s in files]
    also = [top for top in tops if top not in ("skill_physics", "tests", "pyproject.toml")]
    (WORK / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + config_section(sources, also))


def exit_codes(files):
    """{mutant name: (source file, exit code or None when not yet run)} from mutmut's records of ``files``."""
    codes = {}
    for path in files:
        meta = WORK / "mutants" / f"{path}.meta"
        if meta.exists():
            codes |= {name: (path, code) for name, code in json.loads(meta.read_text())["exit_code_by_key"].items()}
    return codes


def fastest_first():
    """Make mutmut run a mutant's tests in order of their measured duration, fastest first.

    mutmut hands pytest the tests that call the mutated function in no particular order and stops at the first
    failure (-x); a few tests that start processes take 20 to 30 s each, so a mutant that a 0.1 s test kills would
    often wait for them. Fastest first changes when a mutant is killed, never whether it is."""
    from mutmut.runners.harness import PytestRunner
    from mutmut.state import state

    plain = PytestRunner._pytest_args_regular_run
    PytestRunner._pytest_args_regular_run = lambda self, tests: plain(self, fastest(tests, state().duration_by_test))


def fastest(tests, durations):
    """``tests`` sorted by their ``durations`` (seconds by test; a test not timed counts 0), fastest first."""
    return sorted(tests, key=lambda test: (durations.get(test, 0.0), test))


def run_mutmut(names, jobs, log):
    """``mutmut run NAMES`` in build/mutate/ (names may be fnmatch patterns), tests fastest first; output appended
    to ``log``."""
    env = dict(os.environ, SKILL_PHYSICS_NO_SHRINK="1")   # a failing Hypothesis example is enough; skip shrinking
    launch = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import mutate; mutate.fastest_first(); "
              "from mutmut.__main__ import cli; sys.argv[0] = 'mutmut'; cli()")
    with open(log, "a") as out:
        return subprocess.run([sys.executable, "-c", launch, str(ROOT / "scripts"), "run", "--max-children",
                               str(jobs), *names], cwd=WORK, stdout=out, stderr=subprocess.STDOUT, env=env).returncode


def to_run(files, survivors, sample=None):
    """The mutants of ``files`` that this run tests: every one when mutmut has not yet made them (as patterns), else
    those without a verdict, and with ``survivors`` those that survived or had no test too (but those listed as
    equivalent); with ``sample``, a random ``sample`` of those (seeded), so that the score of the mutants run
    estimates the module's."""
    codes = exit_codes(files)
    if not codes:
        return [mutant_prefix(f) + "*" for f in files]
    known = equivalent() if survivors else {}
    names = sorted(name for name, (_, code) in codes.items()
                   if code is None or (survivors and code in SURVIVED | NO_TESTS and name not in known))
    return sorted(random.Random(0).sample(names, sample)) if sample and sample < len(names) else names


def equivalent():
    """{mutant name: reason} from scripts/equivalent_mutants/*.txt ('name  reason' per line, '#' comments)."""
    lines = [line for path in sorted(EQUIVALENT.glob("*.txt")) for line in path.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    entries = [line.split(None, 1) for line in lines]
    bare = [entry[0] for entry in entries if len(entry) < 2]
    if bare:
        raise SystemExit(f"equivalent mutants need a reason: {bare}")
    return {name: reason.strip() for name, reason in entries}


def tally(codes, known):
    """Counts of one module's mutants; ``known`` are the names of equivalent mutants (counted once they survived)."""
    values = [code for _, code in codes.values()]
    counts = {"mutants": len(values), "killed": sum(c in KILLED for c in values),
              "survived": sum(c in SURVIVED for c in values), "no_tests": sum(c in NO_TESTS for c in values),
              "equivalent": sum(name in known and code is not None and code not in KILLED
                                for name, (_, code) in codes.items())}
    counts["other"] = counts["mutants"] - counts["killed"] - counts["survived"] - counts["no_tests"]
    return counts


def score(counts):
    """killed / (mutants with a verdict - equivalent), or None before any mutant has a verdict."""
    tested = counts["mutants"] - counts["other"] - counts["equivalent"]
    return counts["killed"] / tested if tested > 0 else None


def survivor_diffs(codes, known):
    """The diff of every mutant not killed and not listed as equivalent (what ``mutmut show`` prints)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    here = os.getcwd()
    os.chdir(WORK)          # mutmut reads its configuration and the mutants from the working directory
    try:
        return [f"# {name} (exit code {code})\n{get_diff_for_mutant(name, path=path)}\n"
                for name, (path, code) in sorted(codes.items())
                if code is not None and code not in KILLED and name not in known]
    finally:
        os.chdir(here)


def report(names):
    """Print the table of ``names`` and write build/mutate/scores.md and build/mutate/survivors.txt."""
    found, known, times = modules(), equivalent(), read_times()
    lines = ["| module | mutants | killed | survived | no tests | equivalent | not run | score | minutes |",
             "|---|---|---|---|---|---|---|---|---|"]
    survivors, stale = {}, set(known)
    for module in names:
        codes = exit_codes(found[module])
        stale -= set(codes)
        c = tally(codes, known)
        s = score(c)
        mark = "" if s is None or s >= TARGET else " (below 90 %)"
        mark += " so far" if s is not None and c["other"] else ""
        lines.append(f"| {module} | {c['mutants']} | {c['killed']} | {c['survived']} | {c['no_tests']} | "
                     f"{c['equivalent']} | {c['other']} | {'-' if s is None else f'{100 * s:.1f} %'}{mark} | "
                     f"{times.get(module, 0) / 60:.0f} |")
        survivors[module] = survivor_diffs(codes, known)
    table = "\n".join(lines)
    if set(names) == set(found):
        (WORK / "scores.md").write_text(table + "\n")
    (WORK / "survivors").mkdir(exist_ok=True)
    for module, diffs in survivors.items():
        (WORK / "survivors" / f"{module}.txt").write_text("\n".join(diffs))
    print(table)
    if stale and set(names) == set(found):
        print(f"\nlisted as equivalent but no longer made by mutmut (the code changed): {sorted(stale)}")
    print(f"\nsurviving mutants (diffs): {WORK / 'survivors'}/<module>.txt")


def read_times():
    """{module: seconds mutmut has run for it}, summed over resumed runs."""
    path = WORK / "times.json"
    return json.loads(path.read_text()) if path.exists() else {}


def add_time(module, seconds):
    times = read_times()
    times[module] = times.get(module, 0) + seconds
    (WORK / "times.json").write_text(json.dumps(times, indent=1))


def try_mutants(names, tests):
    """Run ``tests`` (pytest arguments) of the checkout as it is now against each mutant in ``names`` (made by an
    earlier run), in a scratch copy of its own; print which the tests kill (a test failed), which survive, and where
    pytest could not run them (e.g. a test named wrongly). Returns the names that were not killed."""
    sandbox = Path(tempfile.mkdtemp(prefix="try-", dir=WORK.parent))
    try:
        copy_files(tracked(untracked=True), sandbox)
        shutil.rmtree(sandbox / "skill_physics")
        shutil.copytree(WORK / "mutants" / "skill_physics", sandbox / "skill_physics",
                        ignore=shutil.ignore_patterns("__pycache__", "*.meta"))
        alive = []
        for name in names:
            env = dict(os.environ, MUTANT_UNDER_TEST=name, SKILL_PHYSICS_NO_SHRINK="1")
            try:
                status = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                                         *tests], cwd=sandbox, env=env, capture_output=True, timeout=600).returncode
            except subprocess.TimeoutExpired:    # as mutmut counts it: a mutant that makes the tests hang is caught
                status = 1
            verdict = {0: "survived", 1: "killed"}.get(status, f"not run: pytest exit status {status}")
            print(f"{name}: {verdict}", flush=True)
            alive += [name] if status != 1 else []
        return alive
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)


def alive(pid):
    """Whether process ``pid`` is running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv=None):
    found = modules()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(found), help=f"any of {', '.join(found)} (default all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel mutant runs")
    parser.add_argument("--survivors", action="store_true",
                        help="run the surviving mutants, and those no test called, again (after new tests)")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="test a random N of each module's mutants not yet run: an estimate where a full run of "
                             "the module does not fit the time")
    parser.add_argument("--fresh", action="store_true", help="forget every verdict and start again")
    parser.add_argument("--report", action="store_true", help="print the scores so far and run nothing")
    parser.add_argument("--try", dest="try_tests", nargs="+", metavar="PYTEST_ARG",
                        help="with mutant names in place of modules: run these tests of the working tree against "
                             "each of those mutants, apart from any run in progress")
    args = parser.parse_args(argv)
    if args.try_tests:
        return try_mutants(args.modules, args.try_tests)
    unknown = sorted(set(args.modules) - set(found))
    if unknown:
        parser.error(f"unknown modules {unknown}; choose from {list(found)}")
    if args.report:
        return report(args.modules)

    lock = WORK / "run.pid"
    if lock.exists() and alive(int(lock.read_text())):
        parser.error(f"a mutation run is in progress (process {lock.read_text()}); --report shows its scores")
    prepare(args.fresh)
    lock.write_text(str(os.getpid()))
    try:
        run(args.modules, found, args)
    finally:
        lock.unlink(missing_ok=True)
    report(args.modules)


def run(names, found, args):
    """mutmut on each module of ``names`` in turn, printing its tally when it is done."""
    for module in names:
        pending = to_run(found[module], args.survivors, args.sample)
        if pending:
            start = time.monotonic()
            status = run_mutmut(pending, args.jobs, WORK / "mutmut.log")
            add_time(module, time.monotonic() - start)
            if status != 0:
                print(f"{module}: mutmut failed (exit status {status}); see {WORK / 'mutmut.log'}", flush=True)
                continue
        c = tally(exit_codes(found[module]), equivalent())
        print(f"{module}: {c['killed']}/{c['mutants']} killed, {c['survived']} survived", flush=True)


if __name__ == "__main__":
    main()
