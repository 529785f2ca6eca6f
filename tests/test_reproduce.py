"""scripts/reproduce.py: the order and grouping of the jobs, parallel runs, --check against the committed JSONs, and the
gallery (scripts/gallery.py) written from the committed JSONs alone."""
import json
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from skill_physics.paper import kernels, paths

sys.path.insert(0, str(paths.SCRIPTS))
import gallery  # noqa: E402
import reproduce  # noqa: E402

REPRODUCE = str(paths.SCRIPTS / "reproduce.py")
CHEAP_DETERMINISTIC = ("6", "9", "12", "17")   # closed forms and deterministic toy models


def run(*args):
    return subprocess.run([sys.executable, REPRODUCE, *args], capture_output=True, text=True, cwd=paths.ROOT)


def test_plan_runs_longest_first_and_the_sweep_figures_one_after_the_other():
    s = {n: Path(f"Fig{n}_x.py") for n in (2, 9, 10, 13, 18)}
    runtimes = {s[2]: 160.0, s[9]: 0.4, s[10]: 100.0, s[13]: 650.0, s[18]: 90.0}
    assert reproduce.plan(list(s.values()), runtimes) == [[s[13]], [s[10], s[18]], [s[2]], [s[9]]]


def test_plan_puts_a_figure_of_unknown_runtime_first():
    s = {n: Path(f"Fig{n}_x.py") for n in (9, 13, 19)}
    assert reproduce.plan(list(s.values()), {s[9]: 0.4, s[13]: 650.0, s[19]: None})[0] == [s[19]]


def test_projected_wall_time_fills_the_slot_that_frees_first():
    s = {n: Path(f"Fig{n}_x.py") for n in (2, 9, 13, 19)}
    runtimes = {s[13]: 600.0, s[2]: 160.0, s[19]: 150.0, s[9]: None}
    tasks = reproduce.plan(list(s.values()), runtimes)
    assert reproduce.projected_wall(tasks, runtimes, 1) == 910.0
    assert reproduce.projected_wall(tasks, runtimes, 2) == 600.0     # 13 on one slot, 9, 2 and 19 on the other
    assert reproduce.projected_wall(tasks, runtimes, 3) == 600.0


def test_a_figure_whose_threads_fill_the_cores_runs_alone_on_the_cpu_only():
    s = {n: reproduce.figure_scripts(only=[n])[0] for n in (9, 12, 13)}
    assert reproduce.load_script(s[13]).FIG.threads == 2
    assert reproduce.wide(list(s.values()), "cpu", 2) == ([s[13]], [s[9], s[12]])
    assert reproduce.wide(list(s.values()), "cpu", 4) == ([], [s[9], s[12], s[13]])     # two threads of four slots
    assert reproduce.wide(list(s.values()), "cuda", 2) == ([], [s[9], s[12], s[13]])


def test_plan_prints_the_lone_scripts_first_and_adds_their_time(capsys):
    s = {n: Path(f"Fig{n}_x.py") for n in (2, 9, 13)}
    runtimes = {s[13]: 480.0, s[2]: 200.0, s[9]: 100.0}
    reproduce.print_plan([s[13]], reproduce.plan([s[2], s[9]], runtimes), runtimes, 2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Fig13_x.py (480 s), alone on every core"
    assert lines[-1].startswith("projected wall time on 2 slot(s): 680 s (sum 780 s")


def test_sweep_shards_only_for_the_paper_seeds_and_streams():
    scripts = reproduce.figure_scripts(only=[10, 18])
    args = Namespace(seed=0, rng=None, quick=True, device="cpu")
    shards = reproduce.sweep_commands(scripts, args, jobs=2)
    assert list(shards) == ["sweep.py --shard 0/2", "sweep.py --shard 1/2"]
    cmd = shards["sweep.py --shard 1/2"]
    assert "--quick" in cmd and cmd[cmd.index("--shard") + 1] == "1/2"
    assert cmd[cmd.index("--jobs") + 1] == "1"             # the shards are the parallelism: one process each
    variants = cmd[cmd.index("--variants") + 1:cmd.index("--quick")]
    assert sorted(variants) == sorted({*reproduce.load_script(scripts[0]).VARIANTS,
                                       *reproduce.load_script(scripts[1]).VARIANTS})
    assert reproduce.sweep_commands(scripts, Namespace(seed=1, rng=None, quick=True, device="cpu"), 2) == {}
    assert list(reproduce.sweep_commands(scripts, Namespace(seed=0, rng=None, quick=False, device="cuda"), 16)) == [
        "sweep.py --shard 0/1"]
    assert reproduce.sweep_commands(reproduce.figure_scripts(only=[9]), args, 2) == {}


def test_device_auto_sends_the_figures_measured_faster_on_cuda_there(tmp_path):
    fig2, fig10, fig13, fig19 = reproduce.figure_scripts(only=[2, 10, 13, 19])
    assert [reproduce.device_of(s, "auto", cuda=True) for s in (fig2, fig10, fig13, fig19)] == [
        "cpu", "cuda", "cuda", "cpu"]
    assert {reproduce.device_of(s, "auto", cuda=False) for s in (fig10, fig13)} == {"cpu"}
    assert reproduce.device_of(fig2, "cuda", cuda=False) == "cuda"           # an explicit device is kept
    args = Namespace(seed=0, rng=None, quick=True, device="auto", jobs=2)
    commands = reproduce.figure_commands([fig2, fig13], args, tmp_path, [])
    devices = {name: cmd[cmd.index("--device") + 1] for name, cmd in commands.items()}
    assert devices[fig2.name] == "cpu" and devices[fig13.name] == reproduce.device_of(fig13, "auto")


def test_seed_and_rng_reach_the_scripts_that_take_them(tmp_path):
    fig2, fig9 = reproduce.figure_scripts(only=[2, 9])
    args = Namespace(seed=1, rng="counter", quick=False, device="cpu", jobs=2)
    commands = reproduce.figure_commands([fig2, fig9], args, tmp_path, [])
    assert all(c[c.index("--seed") + 1] == "1" and "--no-progress" in c for c in commands.values())
    assert "--rng" in commands[fig2.name] and "--rng" not in commands[fig9.name]   # Fig 9 draws no random numbers


def claims(holds=True, **ours):
    return {"claims": [{"name": n, "paper": 1.0, "ours": v, "tolerance": "±1", "holds": holds}
                       for n, v in ours.items()]}


def test_compare_claims_gives_one_of_three_verdicts():
    committed = claims(a=0.275, b=[1.0, 2.0], c=None)
    assert reproduce.compare_claims(committed, claims(a=0.275, b=[1.0, 2.0], c=None)) == (
        reproduce.IDENTICAL, [], 0, 0.0)
    verdict, lines, values, largest = reproduce.compare_claims(committed, claims(a=0.275 * (1 + 1e-9), b=[1.0, 2.5],
                                                                                 c=None))
    assert verdict == reproduce.OTHER_DIGITS and values == 2 and largest == pytest.approx(0.2)
    assert lines[0] == "claim a ours: committed 0.27500000000000002, now 0.27500000027500004"   # every digit
    assert len(lines) == 2
    assert reproduce.compare_claims(committed, claims(a=0.275, b=[1.0, 2.0], c=0.0))[:3] == (
        reproduce.OTHER_DIGITS, ["claim c ours: committed never, now 0"], 1)
    for fresh in (claims(a=0.275, b=[1.0, 2.0, 3.0], c=None), claims(a=0.275, b=[1.0, 2.0]),
                  claims(holds=False, a=0.275, b=[1.0, 2.0], c=None)):
        assert reproduce.compare_claims(committed, fresh)[0] == reproduce.CHANGED
    assert reproduce.compare_claims(committed, claims(a=0.275, b=[1.0, 2.0]))[1] == [
        "claim c: only in the committed JSON"]


def altered_fig9(tmp_path, change):
    """A copy of the committed Fig 9 JSON in ``tmp_path``, changed by ``change(report)``."""
    report = json.loads((paths.FIGURES / "Fig9_domino.json").read_text())
    change(report)
    (tmp_path / "Fig9_domino.json").write_text(json.dumps(report))
    return report


def check_fig9(tmp_path):
    proc = run("--check", "--only", "9", "--out", str(tmp_path), "--jobs", "1")
    return proc, [line for line in proc.stdout.splitlines() if line.startswith("Fig9_domino:")]


def test_check_says_identical_and_passes(tmp_path):
    altered_fig9(tmp_path, lambda report: None)
    proc, lines = check_fig9(tmp_path)
    assert proc.returncode == 0 and lines == ["Fig9_domino: identical"], proc.stdout + proc.stderr


def test_check_passes_other_digits_that_other_kernels_explain(tmp_path):
    def other_machine(report):
        report["claims"][0]["ours"] *= 1 + 1e-12
        report["kernels"] = {"machine": "aarch64", "numpy": "ASIMD", "torch": "DEFAULT", "blas": "NEOVERSEN1"}
    altered_fig9(tmp_path, other_machine)
    proc, lines = check_fig9(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert lines[0].startswith("Fig9_domino: same claims, other digits: 1 value(s) differ, by at most 1.0e-12 relative;"
                               " committed with aarch64, NumPy ASIMD, torch DEFAULT, BLAS NEOVERSEN1, now with ")


def test_other_kernels_or_another_device_explain_other_digits():
    report = {"kernels": {"machine": "x86_64", "numpy": "X86_V3", "torch": "AVX2", "blas": "Haswell"}, "device": "cpu",
              "claims": [{"name": "a", "paper": 1.0, "ours": 1.0, "tolerance": "±1", "holds": True}]}
    fresh = json.loads(json.dumps(report))
    fresh["claims"][0]["ours"] = 1.0 + 1e-15
    assert reproduce.verdict_line("F", report, fresh)[2] is True                  # same kernels, same device: fails
    assert reproduce.verdict_line("F", report, dict(fresh, device="cuda"))[2] is False
    assert "now with x86_64, NumPy X86_V3, torch AVX2, BLAS Haswell, on cuda:" in reproduce.verdict_line(
        "F", report, dict(fresh, device="cuda"))[0]


def test_check_fails_other_digits_with_the_same_kernels(tmp_path):
    def same_machine(report):
        report["claims"][0]["ours"] *= 1.01
        report["kernels"] = kernels.in_use()        # as the check's own run (conftest.py pins them)
    report = altered_fig9(tmp_path, same_machine)
    proc, lines = check_fig9(tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert lines[0].endswith("with the same kernels: the code changed them")
    assert f"claim {report['claims'][0]['name']} ours: committed" in proc.stdout


def test_check_fails_a_changed_claim_verdict(tmp_path):
    report = altered_fig9(tmp_path, lambda report: report["claims"][0].update(holds=not report["claims"][0]["holds"]))
    proc, lines = check_fig9(tmp_path)
    assert proc.returncode == 1 and lines == ["Fig9_domino: claims changed"], proc.stdout + proc.stderr
    assert f"claim {report['claims'][0]['name']} holds: committed" in proc.stdout


def test_committed_cheap_figures_are_what_the_code_produces():
    """The committed JSONs of the cheap deterministic figures hold the claims the committed code computes."""
    proc = run("--check", "--only", *CHEAP_DETERMINISTIC, "--jobs", "2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    for n in CHEAP_DETERMINISTIC:
        assert any(line.startswith(f"Fig{n}_") and line.endswith(": identical") for line in proc.stdout.splitlines())


def test_quick_runs_side_by_side_and_writes_the_gallery(tmp_path):
    proc = run("--quick", "--jobs", "2", "--only", "9", "12", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert {json.loads(p.read_text())["figure"] for p in tmp_path.glob("*.json")} == {9, 12}
    assert all(json.loads(p.read_text())["preset"] == "quick" for p in tmp_path.glob("*.json"))
    readme = (tmp_path / "README.md").read_text()
    assert "![Fig9_domino](Fig9_domino.png)" in readme and "![Fig12_quadratic_loss]" in readme


# ------------------------------------------------------------------------------------------------------ the gallery

def committed_results():
    return gallery.load_results(paths.FIGURES)


def test_the_committed_gallery_is_what_the_generator_writes_from_the_committed_jsons(tmp_path):
    """figures/README.md is rewritten by `reproduce.py --readme-only` from the JSON files alone: it is up to date."""
    for path in paths.FIGURES.glob("Fig*_*.json"):
        (tmp_path / path.name).write_text(path.read_text())
    gallery.write_gallery(tmp_path)
    assert (tmp_path / "README.md").read_text() == (paths.FIGURES / "README.md").read_text(), \
        "figures/README.md is stale: run `python scripts/reproduce.py --readme-only`"


def test_the_root_readme_table_is_what_the_generator_writes_from_the_committed_jsons():
    text = (paths.ROOT / "README.md").read_text()
    table = text.split("<!-- figure-table:begin -->\n", 1)[1].split("\n<!-- figure-table:end -->", 1)[0]
    assert table == gallery.figure_table(committed_results()), \
        "README.md's figure table is stale: run `python scripts/reproduce.py --readme-only`"


def test_readme_only_rewrites_the_gallery_without_computing(tmp_path):
    (tmp_path / "Fig9_domino.json").write_text((paths.FIGURES / "Fig9_domino.json").read_text())
    for flag in ("--readme-only", "--gallery-only"):
        (tmp_path / "README.md").unlink(missing_ok=True)
        proc = run(flag, "--out", str(tmp_path))
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "![Fig9_domino](Fig9_domino.png)" in (tmp_path / "README.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Fig9_domino.json", "README.md"]   # nothing computed


def test_every_committed_image_has_a_caption_and_every_claim_a_sentence():
    results = committed_results()
    assert [o for r in results for o in r["outputs"] if o not in gallery.CAPTIONS] == []
    assert [(r["figure"], c["name"]) for r in results for c in r["claims"] if not c.get("says", "").strip()] == []
    assert {r["figure"] for r in results} <= set(gallery.TITLES)
    text = (paths.FIGURES / "README.md").read_text()
    assert all(f"| {gallery.cell(c['says'])} | `{c['name']}` |" in text for r in results for c in r["claims"])


def test_every_committed_miss_is_explained_and_every_explanation_is_of_a_miss():
    misses = {(r["figure"], c["name"]) for r in committed_results() for c in r["claims"] if not c["holds"]}
    assert misses == set(gallery.MISS_REASONS)
    summary = (paths.FIGURES / "README.md").read_text().split("\n## Fig ", 1)[0]
    assert all(f"`{name}`" in summary for _, name in misses)           # the misses table comes first


# the references our scripts compute rather than read from the paper (closed forms, ratios of printed numbers)
COMPUTED = {(9, "serial_last_done"), (9, "parallel_slowest_end"), (9, "parallel_fastest_t09"),
            (12, "sgd_rotation_invariance"), (13, "speedup_wd0.03_t090"), (15, "mix_stalls_K10_s0"),
            (18, "modular_floor_match")}


def test_a_reference_our_script_computes_is_never_labelled_paper():
    claims = {(r["figure"], c["name"]): c for r in committed_results() for c in r["claims"]}
    assert {key for key, c in claims.items() if c.get("computed")} == COMPUTED
    for key in COMPUTED:
        assert gallery.reference(claims[key]).endswith("(computed)")
    assert gallery.reference(claims[(2, "ratio_t95_p1.00")]) == "1.21"
    text = (paths.FIGURES / "README.md").read_text()
    assert "| paper |" not in text and "| reference |" in text
    assert "0.9744 (computed)" in text                                  # Fig 9's closed-form value
    assert "`parallel_slowest_end`: closed form: 1 − exp(−1099 / 300)" in text


def test_gallery_formats_values():
    assert gallery.fmt([1.0, 2.0, 3.0, 4.0, 5.0], limit=3) == "1, 2, 3, … (5 values)"
    assert gallery.fmt([[1, 2], [3, 4]]) == "(1, 2), (3, 4)"
    assert gallery.fmt({"0.5": 620.0}) == "0.5: 620"


@pytest.mark.slow
def test_committed_figures_but_the_sweep_are_what_the_code_produces():
    """make test-slow: every committed figure but the sweep figures (10, 18) regenerates to the same claims."""
    proc = run("--check", "--skip", "10", "18")
    assert proc.returncode == 0, proc.stdout[-5000:]
