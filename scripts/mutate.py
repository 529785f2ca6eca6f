"""Mutation testing of the science modules with mutmut: the share of small deliberate bugs that the tests catch.

mutmut (pinned in requirements.txt) changes one thing at a time in a module (an operator, a constant, a comparison,
an argument) and runs the tests that call the changed function; a mutant is *killed* when a test fails. Each module
runs in its own scratch copy of the package and the tests, build/mutate/<module>/ (ignored by git), so that editing
the working tree during a long run changes nothing. Each run starts afresh: mutmut notices changed code but not
changed tests, so its cached verdicts would go stale (--resume keeps them, to finish an interrupted run). Only the
fast unit tests run (no figure script, no notebook: those start subprocesses, which mutmut does not see).

Usage: python scripts/mutate.py [MODULE ...] [--jobs N] [--resume]     (make mutate: every module)
Prints per module: mutants, killed (tests failed or timed out), survived, no tests (the function is never called by
the selected tests), and the score killed / mutants; writes build/mutate/survivors.txt with the diff of every mutant
that was not killed. Exit status 0 even when a target is missed: the score is a measurement, not a gate.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "mutate"

# module -> the unit-test files that exercise it (mutmut runs, per mutant, only those of them that call the function)
TESTS = {
    "measure": ["test_measure.py", "test_properties.py", "test_resource.py"],
    "resource": ["test_resource.py", "test_resource_overlap.py", "test_resource_edges.py", "test_properties.py"],
    "domino": ["test_domino.py", "test_domino_edges.py"],
    "tasks": ["test_tasks.py", "test_tasks_edges.py", "test_properties.py", "test_geometry.py"],
    "optim": ["test_optim.py", "test_optim_defaults.py", "test_properties.py", "test_geometry.py",
              "test_geometry_forms.py"],
    "scaling": ["test_scaling_windows.py", "test_sweep.py"],
    "geometry": ["test_geometry.py", "test_geometry_forms.py", "test_geometry_contract.py", "test_properties.py",
                 "test_replay_geometry.py"],
    # not test_sweep_summary.py: its two cells of 99 000 steps (~1 min) would be rerun for nearly every sweep mutant
    "sweep": ["test_sweep.py", "test_sweep_cli.py", "test_sweep_tables.py", "test_sweep_plan.py",
              "test_sweep_schedule.py", "test_properties.py"],
    "sparse_parity": ["test_sparse_parity.py", "test_replay_sparse_parity.py"],
}
# module -> its source files under skill_physics/, where that is not <module>.py (the paper layer's)
SOURCES = {"scaling": ["paper/scaling.py"],
           "sweep": sorted(f"paper/sweep/{p.name}" for p in (ROOT / "skill_physics" / "paper" / "sweep").glob("*.py")
                           if p.name != "__init__.py")}
TARGETS = {"sweep": 0.80, "sparse_parity": 0.80}   # the rest: 0.90
SKIP = "not quick"                                 # tests that run a figure script in a subprocess

# mutmut's exit codes of a mutant's test run (mutmut.stats.status_by_exit_code) grouped as this report counts them
KILLED = {1, 3, 24, -24, 152, 255, 36, -11, -9}     # tests failed, pytest crashed, timed out or the process died
SURVIVED = {0}
NO_TESTS = {5, 33}


def sources(module):
    """The files mutmut mutates for ``module``, relative to the checkout."""
    return [f"skill_physics/{name}" for name in SOURCES.get(module, [f"{module}.py"])]


def config_section(module, test_files):
    """The [tool.mutmut] section of the scratch copy's pyproject.toml: mutate one module, run its tests."""
    selection = [f"tests/{name}" for name in test_files if (ROOT / "tests" / name).exists()]
    lines = ["", "[tool.mutmut]",
             'source_paths = ["skill_physics"]',
             'also_copy = ["scripts", "data"]',
             f"only_mutate = {json.dumps(sources(module))}",
             f"pytest_add_cli_args_test_selection = {json.dumps(selection + ['-k', SKIP])}",
             'pytest_add_cli_args = ["-p", "no:cacheprovider"]',
             # torch is not fork-safe once its thread pools run: fork the workers from a clean server process
             'process_isolation = "forkserver"',
             "use_git_change_detection = false"]
    return "\n".join(lines) + "\n"


def prepare(module, resume=False):
    """Scratch copy build/mutate/<module>/ of the package, the tests, the scripts, the committed data and
    pyproject.toml (with the mutmut section)."""
    folder = WORK / module
    if not resume and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # some unit tests import a figure script's functions or read the committed sweep summary
    for name in ("skill_physics", "tests", "scripts", "data"):
        if (folder / name).exists():
            shutil.rmtree(folder / name)
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    pyproject = (ROOT / "pyproject.toml").read_text()
    (folder / "pyproject.toml").write_text(pyproject + config_section(module, TESTS[module]))
    return folder


def run_mutmut(folder, jobs):
    """mutmut run in ``folder``; its output goes to folder/mutmut.log. Returns the exit status."""
    env = dict(os.environ, SKILL_PHYSICS_NO_SHRINK="1")   # a failing Hypothesis example is enough; skip shrinking
    with open(folder / "mutmut.log", "w") as log:
        return subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)], cwd=folder,
                              stdout=log, stderr=subprocess.STDOUT, env=env).returncode


def exit_codes(folder, module):
    """{mutant name: (source file, exit code)} from mutmut's records of the module's files."""
    codes = {}
    for path in sources(module):
        meta = folder / "mutants" / f"{path}.meta"
        if meta.exists():
            codes |= {name: (path, code) for name, code in json.loads(meta.read_text())["exit_code_by_key"].items()}
    return codes


def tally(codes):
    """Counts of one module's mutants: total, killed, survived, no tests, other (not run, suspicious, ...)."""
    values = [code for _, code in codes.values()]
    killed = sum(c in KILLED for c in values)
    survived = sum(c in SURVIVED for c in values)
    no_tests = sum(c in NO_TESTS for c in values)
    return {"mutants": len(values), "killed": killed, "survived": survived, "no_tests": no_tests,
            "other": len(values) - killed - survived - no_tests}


def survivor_diffs(folder, codes):
    """The diff of every mutant that was not killed (what ``mutmut show`` prints, without a process per mutant)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    here = os.getcwd()
    os.chdir(folder)          # mutmut reads its configuration and the mutants from the working directory
    try:
        return [f"# {name} (exit code {code})\n{get_diff_for_mutant(name, path=path)}\n"
                for name, (path, code) in sorted(codes.items()) if code not in KILLED]
    finally:
        os.chdir(here)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(TESTS), help=f"any of {', '.join(TESTS)} (default all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel mutant runs")
    parser.add_argument("--resume", action="store_true", help="keep mutmut's verdicts of an interrupted run")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.modules) - set(TESTS))
    if unknown:
        parser.error(f"unknown modules {unknown}; choose from {list(TESTS)}")

    rows, survivors = [], []
    for module in args.modules:
        folder = prepare(module, args.resume)
        status = run_mutmut(folder, args.jobs)
        codes = exit_codes(folder, module)
        if status != 0 or not codes:
            print(f"{module}: mutmut failed (exit status {status}); see {folder / 'mutmut.log'}", flush=True)
            continue
        counts = tally(codes)
        score = counts["killed"] / counts["mutants"]
        target = TARGETS.get(module, 0.90)
        rows.append((module, counts, score, target))
        survivors += [f"## {module}\n"] + survivor_diffs(folder, codes)
        print(f"{module}: {counts['killed']}/{counts['mutants']} killed ({100 * score:.1f} %)", flush=True)

    (WORK / "survivors.txt").write_text("\n".join(survivors))
    print(f"\n{'module':<14}{'mutants':>8}{'killed':>8}{'survived':>9}{'no tests':>9}{'other':>6}{'score':>8}"
          f"{'target':>8}")
    for module, c, score, target in rows:
        mark = "" if score >= target else "  below target"
        print(f"{module:<14}{c['mutants']:>8}{c['killed']:>8}{c['survived']:>9}{c['no_tests']:>9}{c['other']:>6}"
              f"{100 * score:>7.1f}%{100 * target:>7.0f}%{mark}")
    print(f"\nsurviving mutants (diffs): {WORK / 'survivors.txt'}")


if __name__ == "__main__":
    main()
