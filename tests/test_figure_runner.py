"""The figure runner (main of skill_physics/paper/figure.py) in process, with a toy figure: what compute receives, what
the JSON records, what the summary prints, and how errors and signals end a run."""
import importlib.util
import json
import os
import re
import signal
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from skill_physics.paper import figure, files, kernels, paths
from skill_physics.paper.figure import Context, FigureScript, cache_path, claim
from skill_physics.paper.files import plain
from skill_physics.paper.store import WriteError

NAME = "Fig98_example"


def toy(calls, plot=None, presets=None, stochastic=True, threads=1, notes=()):
    """A figure whose compute records (cfg, ctx) in ``calls``; two claims, the first holds, the second misses."""
    def compute(cfg, ctx):
        calls.append((dict(cfg), ctx))
        return {"a": np.arange(float(cfg["n"]))}

    def one_plot(data, cfg):
        fig = plt.figure()
        plt.plot(data["a"][:cfg["n"]])
        return fig

    def claims(data, cfg):
        return [claim("last", cfg["n"] - 1, data["a"][-1], "exact", data["a"][-1] == cfg["n"] - 1, says="last a"),
                claim("first", 1, data["a"][0], "±0.5", abs(data["a"][0] - 1) <= 0.5, says="first a")]
    presets = presets or {"paper": {"n": 4, "rng": "original"}, "quick": {"n": 3, "rng": "original"}}
    return FigureScript(number=98, slug="example", presets=presets, compute=compute, plot=plot or one_plot,
                        claims=claims, notes=list(notes), stochastic=stochastic, threads=threads)


def quick_save(f, stem):
    """Stands in for save_figure (rendering costs most of a toy run): empty pdf and png files at ``stem``."""
    for suffix in (".pdf", ".png"):
        stem.with_name(stem.name + suffix).write_bytes(b"")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A fresh results folder and figures folder, no rendering; torch's thread count restored after the run."""
    monkeypatch.setattr(figure, "save_figure", quick_save)
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(paths, "FIGURES", tmp_path / "figures")
    monkeypatch.setattr(paths, "foreign_package", lambda: False)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
    plt.close("all")


def run(fig, *args):
    return figure.main(fig, [*args, "--no-progress"])


def test_compute_gets_the_preset_and_the_run_settings(tmp_path):
    calls = []
    assert run(toy(calls), "--quick", "--out", str(tmp_path / "o"), "--seed", "3", "--rng", "counter") == 0
    assert calls == [({"n": 3, "rng": "counter"}, Context(device="cpu", seed=3, progress=False, recompute=False))]
    assert figure.main(toy(calls), ["--out", str(tmp_path / "p"), "--recompute"]) == 0
    assert calls[1] == ({"n": 4, "rng": "original"}, Context(device="cpu", seed=0, progress=True, recompute=True))


def test_a_second_run_reads_the_cache_and_recompute_ignores_it(tmp_path):
    calls, out = [], str(tmp_path / "o")
    for args in ((), (), ("--recompute",)):
        assert run(toy(calls), "--quick", "--out", out, *args) == 0
    assert len(calls) == 2                          # the second run computed nothing


def test_the_json_records_the_run(tmp_path):
    calls, out = [], tmp_path / "o"
    fig = toy(calls, notes=["a note"])
    assert run(fig, "--quick", "--out", str(out), "--seed", "2") == 0
    report = json.loads((out / f"{NAME}.json").read_text())
    cfg, ctx = calls[0]
    assert report["figure"] == 98 and report["slug"] == "example" and report["preset"] == "quick"
    assert report["seed"] == 2 and report["device"] == "cpu" and report["rng"] == "original"
    assert report["kernels"] == kernels.in_use() and report["version"] == 1 and report["notes"] == ["a note"]
    assert report["cache"] == cache_path(fig, "quick", cfg, ctx).relative_to(paths.RESULTS).as_posix()
    assert report["outputs"] == [NAME]
    assert [row["name"] for row in report["claims"]] == ["last", "first"]
    assert [row["holds"] for row in report["claims"]] == [True, False]
    assert isinstance(report["runtime_s"], float) and report["runtime_s"] >= 0


@pytest.mark.parametrize("stochastic,rng", [(True, "counter"), (False, None)])
def test_the_json_names_the_counter_streams_of_a_preset_without_rng(tmp_path, stochastic, rng):
    out = tmp_path / "o"
    fig = toy([], presets={"paper": {"n": 2}, "quick": {"n": 2}}, stochastic=stochastic)
    assert run(fig, "--out", str(out)) == 0
    assert json.loads((out / f"{NAME}.json").read_text())["rng"] == rng


def test_the_json_runtime_is_the_cached_compute_time_to_a_hundredth(tmp_path, monkeypatch, capsys):
    seen = []

    def fake_cached(path, compute, recompute=False):
        seen.append((path, recompute))
        return compute(), 1.23456
    monkeypatch.setattr(figure, "cached", fake_cached)
    out = tmp_path / "o"
    assert run(toy([]), "--quick", "--out", str(out), "--recompute") == 0
    assert json.loads((out / f"{NAME}.json").read_text())["runtime_s"] == 1.23
    assert seen[0][1] is True and seen[0][0].parent == paths.RESULTS / NAME
    assert "(compute 1.2 s)" in capsys.readouterr().out


def test_a_cache_without_a_compute_time_reports_it_unknown(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(figure, "cached", lambda path, compute, recompute=False: (compute(), None))
    out = tmp_path / "o"
    assert run(toy([]), "--quick", "--out", str(out)) == 0
    assert json.loads((out / f"{NAME}.json").read_text())["runtime_s"] is None
    assert "(compute unknown)" in capsys.readouterr().out


def test_the_summary_counts_the_claims_that_hold_and_lists_each(tmp_path, capsys):
    out = tmp_path / "o"
    assert run(toy([]), "--quick", "--out", str(out)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(rf"{NAME} \(quick\): 1/2 claims hold, \d+\.\d s \(compute \d+\.\d s\) -> "
                        rf"{re.escape(str(out / NAME))}\.\{{pdf,png,json\}}", lines[0])
    assert lines[1:] == ["  ok   last: ours 2.0 | paper 2 (exact)", "  MISS first: ours 0.0 | paper 1 (±0.5)"]


def test_a_paper_run_is_called_paper_and_takes_a_few_seconds_at_most(tmp_path, capsys):
    assert run(toy([]), "--out", str(tmp_path / "o")) == 0
    first = capsys.readouterr().out.splitlines()[0]
    seconds = float(re.search(r"claims hold, (\S+) s", first).group(1))
    assert first.startswith(f"{NAME} (paper): 1/2 claims hold") and 0 <= seconds < 60


def test_every_figure_of_a_dict_is_written_under_its_suffix(tmp_path):
    def two(data, cfg):
        return {"": plt.figure(), "zoom": plt.figure()}
    out = tmp_path / "o"
    assert run(toy([], plot=two), "--quick", "--out", str(out)) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{NAME}.pdf", f"{NAME}.png", f"{NAME}_zoom.pdf", f"{NAME}_zoom.png", f"{NAME}.json"])
    assert json.loads((out / f"{NAME}.json").read_text())["outputs"] == [NAME, f"{NAME}_zoom"]


def test_the_default_output_folder_names_the_variant(tmp_path):
    assert run(toy([]), "--quick", "--seed", "2", "--rng", "counter") == 0
    assert (tmp_path / "figures" / "quick-seed2-rng-counter" / f"{NAME}.json").is_file()
    assert run(toy([])) == 0
    assert (tmp_path / "figures" / f"{NAME}.json").is_file()


def test_rng_on_a_figure_without_streams_is_refused(tmp_path, capsys):
    out = tmp_path / "o"
    fig = toy([], presets={"paper": {"n": 2}, "quick": {"n": 2}}, stochastic=False)
    assert run(fig, "--quick", "--out", str(out), "--rng", "counter") == 2
    assert capsys.readouterr().err == (f"{NAME}: error: --rng: figure 98 draws no random numbers, or only "
                                       "counter-based ones\n")
    assert not out.exists()                         # the folder made for the run is removed again


def test_a_cache_that_lacks_an_array_is_called_damaged(tmp_path, capsys):
    def needs_b(data, cfg):
        return data["b"]
    assert run(toy([], plot=needs_b), "--quick", "--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err
    path = next((paths.RESULTS / NAME).glob("quick-*.npz"))
    assert err == (f"{NAME}: error: cache file {path} lacks the array 'b': it is damaged; delete it or run with "
                   "--recompute\n")


def test_an_unwritable_output_folder_names_the_remedy(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert run(toy([]), "--quick", "--out", str(tmp_path / "file")) == 2
    assert capsys.readouterr().err == (f"{NAME}: error: the output folder {tmp_path / 'file'} is an existing file, "
                                       "not a folder; make it writable or choose another with --out\n")


def test_an_unwritable_results_folder_names_the_remedy(tmp_path, monkeypatch, capsys):
    (tmp_path / "taken").write_text("")
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "taken")
    calls = []
    assert run(toy(calls), "--quick", "--out", str(tmp_path / "o")) == 2
    assert not calls
    assert capsys.readouterr().err.endswith("make it writable or set SKILL_PHYSICS_RESULTS to a writable folder\n")


def test_a_file_that_cannot_be_written_is_said_and_the_exit_status_is_one(tmp_path, monkeypatch, capsys):
    def refuse(f, stem):
        raise WriteError(f"cannot write {stem}.pdf")
    monkeypatch.setattr(figure, "save_figure", refuse)
    out = tmp_path / "o"
    assert run(toy([]), "--quick", "--out", str(out)) == 1
    assert capsys.readouterr().err == f"{NAME}: error: cannot write {out / NAME}.pdf\n"
    assert (out / f"{NAME}.json").is_file()         # the other outputs are written all the same


def test_threads_are_the_figures_own_unless_given(tmp_path):
    out = str(tmp_path / "o")
    assert run(toy([], threads=2), "--quick", "--out", out) == 0
    assert torch.get_num_threads() == 2
    assert run(toy([], threads=2), "--quick", "--out", out, "--threads", "1") == 0
    assert torch.get_num_threads() == 1


def test_zero_threads_mean_every_usable_core(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "usable_cores", lambda: 3)
    assert run(toy([]), "--quick", "--out", str(tmp_path / "o"), "--threads", "0") == 0
    assert torch.get_num_threads() == 3


def test_a_foreign_package_is_noted_on_stderr(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "foreign_package", lambda: True)
    assert run(toy([]), "--quick", "--out", str(tmp_path / "o")) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"{NAME}: note: writing into the checkout {paths.ROOT}, but skill_physics is imported "
                          f"from {paths.PACKAGE_DIR}; run `pip install -e .` in this checkout")
    assert err.endswith("uses this checkout's package) to compute with this checkout's code\n")


def test_main_pins_the_kernels_only_from_the_command_line(tmp_path, monkeypatch):
    pinned = []
    monkeypatch.setattr(kernels, "ensure_pinned", lambda: pinned.append(1))
    assert run(toy([]), "--quick", "--out", str(tmp_path / "o")) == 0
    assert not pinned
    monkeypatch.setattr(sys, "argv", [f"{NAME}.py", "--quick", "--no-progress", "--out", str(tmp_path / "p")])
    assert figure.main(toy([])) == 0
    assert pinned == [1] and (tmp_path / "p" / f"{NAME}.json").is_file()


def test_sigterm_during_compute_exits_quietly_naming_the_figure(tmp_path, capsys):
    def stop(cfg, ctx):
        os.kill(os.getpid(), signal.SIGTERM)
    fig = FigureScript(number=98, slug="example", presets={"quick": {}}, compute=stop, plot=None, claims=None)
    with pytest.raises(SystemExit) as exit_:
        run(fig, "--quick", "--out", str(tmp_path / "o"))
    assert exit_.value.code == 128 + signal.SIGTERM
    assert capsys.readouterr().err == f"{NAME}: stopped by SIGTERM\n"


def test_the_command_line_defaults(monkeypatch):
    args = figure.parse_args(toy([]), [])
    assert vars(args) == {"quick": False, "recompute": False, "device": "cpu", "seed": 0, "rng": None, "out": None,
                          "no_progress": False, "threads": None}
    args = figure.parse_args(toy([]), ["--quick", "--recompute", "--device", "cuda", "--seed", "5", "--rng",
                                       "original", "--out", "x", "--no-progress", "--threads", "2"])
    assert vars(args) == {"quick": True, "recompute": True, "device": "cuda", "seed": 5, "rng": "original",
                          "out": figure.Path("x"), "no_progress": True, "threads": 2}


def test_the_command_line_refuses_an_unknown_rng(capsys):
    with pytest.raises(SystemExit):
        figure.parse_args(toy([]), ["--rng", "mersenne"])
    assert "argument --rng: invalid choice: 'mersenne'" in capsys.readouterr().err


def test_the_help_names_the_figure_and_explains_every_option(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "1000")            # one line per option: no wrapping to compare around
    with pytest.raises(SystemExit):
        figure.parse_args(toy([]), ["--help"])
    text = capsys.readouterr().out
    assert text.startswith(f"usage: {NAME}.py ")
    for expected in ("Regenerate paper figure 98 (example).",
                     "reduced sizes for smoke tests (seconds)",
                     "ignore the cache in results/",
                     "torch device: cpu (default) or cuda",
                     "offset added to the paper's seeds, 0..1000000000 (default 0)",
                     "random streams of a seeded figure: 'original' (the paper code's generators and order of draws; "
                     "the default of the paper presets) or 'counter' (runs like the paper's)",
                     f"output folder (default {paths.FIGURES} for the paper settings; --quick, --seed K and --rng R "
                     "write to figures/quick/, figures/seedK/, figures/rng-R/ and combinations)",
                     "hide progress bars",
                     "torch threads (default: the figure's own choice, one for most; 0: every usable core)"):
        assert expected in text


def test_the_cache_is_named_by_figure_preset_and_a_short_hash(tmp_path):
    fig = toy([])
    path = cache_path(fig, "quick", {"n": 3, "rng": "original"}, Context())
    assert path.parent == paths.RESULTS / NAME
    assert re.fullmatch(r"quick-[0-9a-f]{12}\.npz", path.name)
    # the settings' order does not matter, every setting of the run does
    assert cache_path(fig, "quick", {"rng": "original", "n": 3}, Context()) == path
    assert cache_path(fig, "quick", {"n": 3, "rng": "original"}, Context(device="cuda")) != path


def test_the_committed_paper_figure_names_the_cache_a_run_reads(monkeypatch):
    """The cache name is part of the committed JSON, so the hash of the settings must not drift."""
    found = importlib.util.spec_from_file_location("fig9_domino", paths.SCRIPTS / "Fig9_domino.py")
    fig9 = importlib.util.module_from_spec(found)
    found.loader.exec_module(fig9)
    monkeypatch.setattr(kernels, "native", lambda: False)
    committed = json.loads((paths.ROOT / "figures" / "Fig9_domino.json").read_text())["cache"]
    path = cache_path(fig9.FIG, "paper", fig9.PAPER, Context())
    assert path.relative_to(paths.RESULTS).as_posix() == committed


def test_native_kernels_get_caches_and_output_folders_of_their_own(tmp_path, monkeypatch):
    fig, cfg = toy([]), {"n": 3}
    monkeypatch.setattr(kernels, "native", lambda: False)
    pinned = cache_path(fig, "quick", cfg, Context())
    assert figure.output_folder(root=tmp_path) == tmp_path
    monkeypatch.setattr(kernels, "native", lambda: True)
    monkeypatch.setattr(kernels, "in_use", lambda: {"numpy": "AVX512"})
    assert cache_path(fig, "quick", cfg, Context()) != pinned
    assert figure.output_folder(root=tmp_path) == tmp_path / "native-kernels"
    folder = figure.output_folder(True, 1, "counter", root=tmp_path)
    assert folder == tmp_path / "quick-seed1-rng-counter-native-kernels"
    assert figure.output_folder(root=tmp_path, native=False) == tmp_path
    monkeypatch.setattr(kernels, "native", lambda: False)
    assert figure.output_folder(root=tmp_path, native=True) == tmp_path / "native-kernels"


# ------------------------------------------------------------------------------- files: what a figure run writes

def test_plain_makes_json_values_of_numbers_arrays_and_containers():
    value = {1: np.float32(0.5), "b": (np.int64(3), np.bool_(True)), "c": np.arange(4).reshape(2, 2),
             "d": np.array(2.5), "e": [1, "a", np.nan], "f": -np.inf, "g": True, "h": "text", "i": None}
    out = plain(value)
    assert out == {"1": 0.5, "b": [3, True], "c": [[0, 1], [2, 3]], "d": 2.5, "e": [1, "a", None], "f": None,
                   "g": True, "h": "text", "i": None}
    assert [type(v) for v in out["b"]] == [int, bool] and type(out["e"][0]) is int and type(out["d"]) is float
    assert type(plain(np.array([True]))[0]) is bool and type(plain(np.uint8(7))) is int


def test_save_figure_writes_a_tight_pdf_and_a_150_dpi_png_and_closes_the_figure(tmp_path):
    from PIL import Image

    fig = plt.figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1])
    fig.text(1.5, 0.5, "beyond the right edge")       # drawn outside the canvas: the tight box takes it in
    other = plt.figure()                                # the current figure: left open
    files.save_figure(fig, tmp_path / "f")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.pdf", "f.png"]
    assert not plt.fignum_exists(fig.number) and plt.fignum_exists(other.number)
    with Image.open(tmp_path / "f.png") as image:
        assert image.info["dpi"] == pytest.approx((150, 150), abs=0.1)      # stored as whole pixels per metre
        assert image.size[0] > 2 * 150                  # wider than the canvas: nothing drawn is cut off
    pdf = (tmp_path / "f.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"CreationDate" not in pdf


def test_save_figure_is_byte_stable(tmp_path):
    for name in ("a", "b"):
        fig = plt.figure(figsize=(2, 1))
        plt.plot([0, 1])
        files.save_figure(fig, tmp_path / name)
    for fmt in ("pdf", "png"):
        assert (tmp_path / f"a.{fmt}").read_bytes() == (tmp_path / f"b.{fmt}").read_bytes()


def test_write_json_writes_plain_values_indented_by_two_with_a_final_newline(tmp_path):
    files.write_json(tmp_path / "x.json", {"a": np.array([1.5, np.nan]), "b": {"c": np.int32(2)}})
    assert (tmp_path / "x.json").read_text() == json.dumps({"a": [1.5, None], "b": {"c": 2}}, indent=2) + "\n"


def test_write_report_leaves_a_report_alone_when_only_the_runtime_changes(tmp_path):
    path = tmp_path / "r.json"
    files.write_report(path, {"a": 1, "runtime_s": 1.0})
    os.utime(path, (1, 1))                                       # any rewrite would give a new time
    files.write_report(path, {"a": np.int64(1), "runtime_s": 2.0})
    assert path.stat().st_mtime == 1 and json.loads(path.read_text())["runtime_s"] == 1.0
    files.write_report(path, {"a": 2, "runtime_s": 1.0})        # anything else changed: rewritten
    assert json.loads(path.read_text()) == {"a": 2, "runtime_s": 1.0}


@pytest.mark.parametrize("old", ["not json", "[1, 2]"])
def test_write_report_replaces_a_file_that_is_no_report(tmp_path, old):
    path = tmp_path / "r.json"
    path.write_text(old)
    files.write_report(path, {"a": 1, "runtime_s": None})
    assert json.loads(path.read_text()) == {"a": 1, "runtime_s": None}


def test_a_bad_device_is_refused_before_any_folder_is_made(tmp_path, capsys):
    calls, out = [], tmp_path / "o"
    assert run(toy(calls), "--quick", "--out", str(out), "--device", "tpu") == 2
    assert capsys.readouterr().err == (f"{NAME}: error: --device='tpu' is not allowed; choose 'cpu', 'cuda' or "
                                       "'cuda:N'\n")
    assert not calls and not out.exists()


def test_too_many_threads_are_refused_by_name(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "usable_cores", lambda: 1)
    assert run(toy([]), "--quick", "--out", str(tmp_path / "o"), "--threads", "5") == 2
    assert capsys.readouterr().err == f"{NAME}: error: --threads must be at most 4 (4 per usable core), got 5\n"
