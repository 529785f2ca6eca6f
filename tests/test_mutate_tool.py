"""scripts/mutate.py, the mutation-score tool: what it mutates, which tests it runs, how it counts."""
import importlib.util
import re

import pytest

from skill_physics.paper import paths

_loader = importlib.util.spec_from_file_location("mutate", paths.SCRIPTS / "mutate.py")
mutate = importlib.util.module_from_spec(_loader)
_loader.loader.exec_module(mutate)


def test_every_file_of_the_package_is_in_exactly_one_module():
    found = mutate.modules()
    files = [f for sources in found.values() for f in sources]
    package = sorted(p.relative_to(paths.ROOT).as_posix() for p in (paths.ROOT / "skill_physics").rglob("*.py")
                     if p.name != "__init__.py")
    assert sorted(files) == package and len(files) == len(set(files))
    assert all(f.startswith("skill_physics/paper/sweep/") for f in found["paper.sweep"])
    assert found["fits"] == ["skill_physics/fits.py"] and found["cli.fit"] == ["skill_physics/cli/fit.py"]
    assert list(found).index("fits") < list(found).index("cli.fit") < list(found).index("paper.store")


def test_the_tests_left_out_still_exist():
    """A renamed test file or test would silently come back into the selection."""
    for name in mutate.NOT_RUN:
        assert (paths.ROOT / "tests" / name).exists(), name
    for node in mutate.DESELECT:
        file, test = node.split("::")
        assert re.search(rf"^def {test}", (paths.ROOT / "tests" / file).read_text(), re.M), node


def test_the_selection_names_the_folder_not_its_files():
    selection = mutate.test_selection()
    assert selection[:3] == ["tests", "-k", mutate.SKIP]
    assert not [arg for arg in selection if arg.endswith(".py") and not arg.startswith("--ignore=")]


def test_each_equivalent_mutant_is_filed_under_its_own_module_with_a_reason():
    found = mutate.modules()
    for path in mutate.EQUIVALENT.glob("*.txt"):
        module = path.stem
        assert module in found, path.name
        prefixes = tuple(mutate.mutant_prefix(f) for f in found[module])
        for name, reason in mutate.equivalent().items():
            if name.startswith(prefixes):
                assert reason, name
        names = [line.split()[0] for line in path.read_text().splitlines() if line.strip() and line[0] != "#"]
        assert all(name.startswith(prefixes) for name in names), path.name


def test_a_line_without_a_reason_is_refused(tmp_path, monkeypatch):
    (tmp_path / "fits.txt").write_text("# comment\nskill_physics.fits.x_a__mutmut_1  same value\n"
                                       "skill_physics.fits.x_b__mutmut_2\n")
    monkeypatch.setattr(mutate, "EQUIVALENT", tmp_path)
    with pytest.raises(SystemExit, match="x_b__mutmut_2"):
        mutate.equivalent()


def test_the_score_leaves_equivalent_mutants_out_and_waits_for_a_verdict():
    codes = {"m1": ("f.py", 1), "m2": ("f.py", 0), "m3": ("f.py", 0), "m4": ("f.py", 33), "m5": ("f.py", None)}
    counts = mutate.tally(codes, known={"m3"})
    assert counts == {"mutants": 5, "killed": 1, "survived": 2, "no_tests": 1, "equivalent": 1, "other": 1}
    assert mutate.score(counts) == pytest.approx(1 / 3)      # m1 of m1, m2, m4: m3 is equivalent, m5 not run yet
    assert mutate.score(mutate.tally({"m1": ("f.py", None)}, set())) is None


def test_a_mutants_tests_run_fastest_first():
    """The order decides only how soon a mutant is killed; every test is still handed on. (The tests run inside
    mutmut's own process too, so this one leaves mutmut's state and classes alone.)"""
    durations = {"slow": 29.0, "quick": 0.1, "middle": 2.5}
    assert mutate.fastest({"slow", "middle", "unmeasured", "quick"}, durations) == ["unmeasured", "quick", "middle",
                                                                                      "slow"]


def test_a_sample_is_a_seeded_random_subset_of_the_mutants_without_a_verdict(monkeypatch):
    codes = {f"m{i:02d}": ("f.py", None if i % 4 else 1) for i in range(40)}
    monkeypatch.setattr(mutate, "exit_codes", lambda files: codes)
    pending = [name for name, (_, code) in codes.items() if code is None]
    assert mutate.to_run(["f.py"], False) == pending
    sample = mutate.to_run(["f.py"], False, sample=10)
    assert len(sample) == 10 and set(sample) < set(pending) and sample == mutate.to_run(["f.py"], False, sample=10)
    assert sample != pending[:10]                            # drawn, not the first in mutmut's order
    assert mutate.to_run(["f.py"], False, sample=100) == pending


def test_survivors_and_untested_mutants_run_again_but_those_listed_as_equivalent(monkeypatch):
    codes = {"killed": ("f.py", 1), "alive": ("f.py", 0), "same": ("f.py", 0), "new": ("f.py", None),
             "untested": ("f.py", 33)}
    monkeypatch.setattr(mutate, "exit_codes", lambda files: codes)
    monkeypatch.setattr(mutate, "equivalent", lambda: {"same": "a reason"})
    assert mutate.to_run(["f.py"], False) == ["new"]
    assert mutate.to_run(["f.py"], True) == ["alive", "new", "untested"]     # a new test may call it now
