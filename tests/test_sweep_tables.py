"""The sweep's settings checks and error messages, and what ``gather`` reads from each cell (the tables Figs 10 and 18
draw), checked against the cells themselves on a small grid."""
import re

import numpy as np
import pytest
import torch

from skill_physics.paper import paths, store, sweep
from skill_physics.paper.store import CacheError, save_arrays
from skill_physics.paper.sweep import cells, engine
from skill_physics.paper.sweep.cells import at_steps, gather, load_cell
from skill_physics.paper.sweep.jobs import run_sweep
from skill_physics.paper.sweep.settings import FIT_STEPS, sweep_config

SMALL = sweep_config(alphas=(1.0, 2.0), n_tasks=50, batch_size=64, steps=260, dense_until=200, n_log=5,
                     dims=(10, 20), seeds=(0, 1), trace_dim=20, trace_seed=1, trace_until=230, rng="counter")


@pytest.mark.parametrize("overrides,message", [
    (dict(dims=(0, 10)), r"dims must lie in \[1, n_tasks=1000\]"),
    (dict(alphas=(1.0, -0.5)), r"alphas must be >= 0, got \(1.0, -0.5\)"),
    (dict(steps=0), "steps, batch_size and lr must be positive"),
    (dict(batch_size=0), "steps, batch_size and lr must be positive"),
    (dict(lr=0.0), "steps, batch_size and lr must be positive"),
    (dict(variants=("adam", "sgd")), "variant='sgd' is not allowed"),
])
def test_bad_settings_are_refused_with_their_message(overrides, message):
    with pytest.raises(ValueError, match="^" + message):
        sweep_config(**overrides)


def test_settings_at_their_bounds_are_accepted():
    cfg = sweep_config(dims=[1, 1000], alphas=[0.0], steps=1, batch_size=1, lr=1e-9)
    assert cfg.dims == (1, 1000) and cfg.alphas == (0.0,)          # lists become tuples (hashable, comparable)


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("results")
    saved, paths.RESULTS = paths.RESULTS, folder
    try:
        run_sweep(SMALL, variants=["signgd"], progress=False, use_summary=False)
        cells = {(s, d): load_cell(SMALL, "signgd", s, d) for d in SMALL.dims for s in SMALL.seeds}
        yield gather(SMALL, ["signgd"], use_summary=False), cells
    finally:
        paths.RESULTS = saved


def test_gather_tables_are_the_cells_read_at_their_steps(small_sweep):
    data, cells = small_sweep
    t = data["signgd"]
    np.testing.assert_array_equal(data["trace_steps"], np.arange(231))       # every step to trace_until
    np.testing.assert_array_equal(data["early_steps"], np.arange(201))       # every step to dense_until
    for i, d in enumerate(SMALL.dims):
        for j, s in enumerate(SMALL.seeds):
            cell = cells[(s, d)]
            np.testing.assert_array_equal(t["final_loss"][:, i, j], cell["final_loss"])
            np.testing.assert_array_equal(t["fit_loss"][:, i, j], at_steps(cell, FIT_STEPS))
    for j, s in enumerate(SMALL.seeds):                       # 'early': every seed at the trace dimension only
        np.testing.assert_array_equal(t["early"][:, j], at_steps(cells[(s, 20)], np.arange(201)))
    np.testing.assert_array_equal(t["trace"], at_steps(cells[(1, 20)], np.arange(231)))   # the trace cell only
    np.testing.assert_array_equal(t["median_loss"], np.median(t["final_loss"], axis=2))
    assert t["median_loss"].shape == (2, 2) and t["done"].all()


def test_at_steps_names_the_missing_steps():
    cell = {"steps": np.array([0, 1, 2, 5]), "loss": np.arange(8.0).reshape(2, 4)}
    np.testing.assert_array_equal(at_steps(cell, [1, 5]), [[1, 3], [5, 7]])
    with pytest.raises(store.CacheError, match=r"lacks the record steps \[3, 4, 6, 7, 8\] \.\.\.$"):
        at_steps(cell, [3, 4, 6, 7, 8, 9])
    with pytest.raises(store.CacheError, match=r"lacks the record steps \[3, 4, 6, 7, 8\]$"):
        at_steps(cell, [3, 4, 6, 7, 8])                        # five missing: all named, no ellipsis
    with pytest.raises(store.CacheError, match=r"lacks the record steps \[6\]$"):
        at_steps(cell, [5, 6])                                  # past the last record


def test_a_cell_of_other_settings_or_damaged_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    path = cells.cell_path(SMALL, "modular", 0, 10)
    save_arrays(path, {"alphas": np.array([3.0]), "loss": np.zeros((1, 2)), "steps": np.arange(2),
                       "final_loss": np.zeros(1)})
    with pytest.raises(CacheError, match=r"^cache file .*seed0_d0010\.npz holds alphas \[3\.\], "
                                         r"expected \(1\.0, 2\.0\)$"):
        load_cell(SMALL, "modular", 0, 10)
    path.write_bytes(b"not a zip file")
    with pytest.raises(CacheError, match=r"^sweep cell .* is damaged \(.+\); run scripts/sweep.py \(it sets damaged "
                                         r"cells aside and computes them again\)$"):
        load_cell(SMALL, "modular", 0, 10)


def test_a_summary_of_another_sweep_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "DATA", tmp_path)
    save_arrays(sweep.summary_path(SMALL), {"settings_key": np.asarray("0123456789ab"), "alphas": np.zeros(2)})
    with pytest.raises(CacheError, match=r"^the sweep summary .*sweep_\w{12}\.npz holds another sweep than its name "
                                         r"says; restore the committed one with `git checkout .*sweep_\w{12}\.npz`$"):
        sweep.load_summary(SMALL)


def test_a_block_of_counter_uniforms_is_the_steps_float64_uniforms():
    batches = engine.BatchCounts([0, 5], (1.0, 2.0), 100, 16, "cpu", rng="counter")
    block = batches.block_uniforms(batches.block)
    assert block.shape == (batches.block, 2, 16) and block.dtype == torch.float64
    for t in (0, 17, batches.block - 1):
        assert torch.equal(block[t], batches.uniforms(batches.block + t))


def test_original_blocks_are_drawn_in_order():
    batches = engine.BatchCounts([0], (1.0,), 100, 16, "cpu", rng="original")
    batches.block_uniforms(0)
    with pytest.raises(ValueError, match=rf"^rng='original' draws steps in order: block {2 * batches.block} asked "
                                         r"after block 0$"):
        batches.block_uniforms(2 * batches.block)


def test_the_committed_summary_is_found_for_the_paper_grid_only():
    summary = sweep.load_summary(sweep.PAPER)
    assert summary is not None, f"{sweep.summary_path(sweep.PAPER)} is missing: run scripts/sweep.py --export-summary"
    assert all(summary[v]["done"].all() for v in sweep.VARIANTS)
    # the cells named by dims and seeds do not change the cache key, but a summary of another grid is not read
    assert sweep.load_summary(sweep_config(dims=(20, 40))) is None
    assert sweep.load_summary(sweep_config(seeds=(0, 1))) is None


def test_a_note_is_said_once_per_process(capsys):
    text = "a note that only this test says"
    cells.note(text)
    cells.note(text)
    assert capsys.readouterr().err == f"sweep: note: {text}\n"


def test_a_summary_reads_back_as_gather_returns_it_also_without_a_version_stamp(tmp_path, monkeypatch):
    # an empty cache exports a summary of NaN tables (a partial sweep can be committed): it reads back with the keys
    # gather gives, without the stamps; a file without the engine version entry holds version 1's numbers
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(paths, "DATA", tmp_path / "data")
    path, done, total = sweep.export_summary(SMALL)
    assert (done, total) == (0, 3 * 4)
    expected = set(gather(SMALL, use_summary=False)) - {"from_summary"}
    assert set(sweep.load_summary(SMALL)) == expected
    data = store.load_arrays(path)
    del data["engine_version"]
    save_arrays(path, data)
    summary = sweep.load_summary(SMALL)
    assert (summary is not None) == (engine.ENGINE_VERSION == 1)
    assert summary is None or set(summary) == expected


def test_a_damaged_cell_is_set_aside_with_a_message_saying_it_is_computed_again(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    path = cells.cell_path(SMALL, "modular", 1, 10)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a zip file")
    assert not cells.is_cached(SMALL, "modular", 1, 10)
    err = capsys.readouterr().err
    assert err.startswith(f"sweep: cache file {path} is damaged (")
    assert err.endswith("; set aside as seed1_d0010.npz.damaged, the cell will be computed again\n")
    assert not path.exists() and path.with_name("seed1_d0010.npz.damaged").exists()


def test_a_cell_of_another_engine_version_is_not_cached_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    path = cells.cell_path(SMALL, "modular", 0, 10)
    other = engine.ENGINE_VERSION + 1
    save_arrays(path, {"alphas": np.array(SMALL.alphas), "loss": np.zeros((2, 3)), "steps": np.arange(3),
                       "final_loss": np.zeros(2), "engine_version": np.asarray(other)})
    assert not cells.is_cached(SMALL, "modular", 0, 10) and path.exists()       # computed again, not set aside
    with pytest.raises(CacheError, match="^" + re.escape(
            f"sweep cell {path} holds the numbers of engine version {other}, this code computes version "
            f"{engine.ENGINE_VERSION}; run scripts/sweep.py to compute it again") + "$"):
        load_cell(SMALL, "modular", 0, 10)


def test_a_cell_whose_arrays_disagree_in_shape_is_damaged(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    path = cells.cell_path(SMALL, "modular", 0, 10)
    save_arrays(path, {"alphas": np.array(SMALL.alphas), "loss": np.zeros((2, 3)), "steps": np.arange(4),
                       "final_loss": np.zeros(2)})
    with pytest.raises(CacheError, match=r"^sweep cell .*seed0_d0010\.npz is damaged \(its arrays disagree in shape\); "
                                         r"run scripts/sweep.py"):
        load_cell(SMALL, "modular", 0, 10)


def test_a_damaged_summary_says_what_is_wrong_and_the_remedy(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(paths, "DATA", tmp_path / "data")
    path, _, _ = sweep.export_summary(SMALL)
    good = store.load_arrays(path)
    restore = f"restore the committed one with `git checkout {path}`"
    save_arrays(path, {k: v for k, v in good.items() if k != "settings_key"})
    with pytest.raises(CacheError) as raised:
        sweep.load_summary(SMALL)
    assert str(raised.value) == f"the sweep summary {path} is damaged (it lacks 'settings_key'); {restore}"
    save_arrays(path, {**good, "modular": {**good["modular"], "done": np.zeros((1, 2), bool)}})
    with pytest.raises(CacheError) as raised:
        sweep.load_summary(SMALL)
    assert str(raised.value) == (f"the sweep summary {path} is damaged (it lacks 'modular/done of shape (1, 2)'); "
                                 f"{restore}")
    path.write_bytes(b"not a zip file")         # unreadable: the reader's error says why
    with pytest.raises(CacheError) as unreadable:
        store.load_arrays(path)
    with pytest.raises(CacheError) as raised:
        sweep.load_summary(SMALL)
    assert str(raised.value) == f"the sweep summary {path} is damaged ({unreadable.value.__cause__}); {restore}"


def test_a_damaged_cell_the_summary_holds_is_set_aside_saying_why(tmp_path, monkeypatch, capsys):
    # the figures read on from the summary: the message says what is wrong with the file and why nothing is lost
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    path = cells.cell_path(SMALL, "modular", 0, 20)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a zip file")
    assert load_cell(SMALL, "modular", 0, 20, in_summary=True) is None
    err = capsys.readouterr().err
    assert err.startswith(f"sweep: cache file {path} is damaged (")
    assert err.endswith("; set aside as seed0_d0020.npz.damaged, the committed summary holds this cell\n")
    assert not path.exists() and path.with_name("seed0_d0020.npz.damaged").exists()


def test_a_cell_lacking_arrays_is_set_aside_naming_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    path = cells.cell_path(SMALL, "modular", 1, 20)
    save_arrays(path, {"alphas": np.array(SMALL.alphas), "loss": np.zeros((2, 3))})
    assert not cells.is_cached(SMALL, "modular", 1, 20)
    assert capsys.readouterr().err == (f"sweep: cache file {path} is damaged (it lacks steps, final_loss); set aside "
                                       "as seed1_d0020.npz.damaged, the cell will be computed again\n")


def test_a_summary_of_another_engine_version_or_grid_is_not_read_and_says_why(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(paths, "DATA", tmp_path / "data")
    path, _, _ = sweep.export_summary(SMALL)
    good = store.load_arrays(path)
    other = engine.ENGINE_VERSION + 1
    save_arrays(path, {**good, "engine_version": np.asarray(other)})
    assert sweep.load_summary(SMALL) is None
    assert capsys.readouterr().err == (f"sweep: note: {path} holds the numbers of engine version {other}, this code "
                                       f"computes version {engine.ENGINE_VERSION}: it is not read\n")
    regrid = sweep_config(**{**SMALL.__dict__, "dims": (10, 30), "seeds": (0, 1, 2)})   # the same settings key
    assert sweep.summary_path(regrid) == path
    save_arrays(path, good)
    assert sweep.load_summary(regrid) is None
    assert capsys.readouterr().err == (f"sweep: note: {path} holds a sweep of another grid (its dims, seeds differ "
                                       "from this code's): it is not read, and every cell is computed; if it was not "
                                       f"meant to change, restore the committed one with `git checkout {path}`\n")
