"""The figure toolkit: Fig 9 end to end, the cache, bad input, and reproduce.py."""
import json
import subprocess
import sys

import numpy as np
import pytest

from skill_physics import paths
from skill_physics.figure import CacheError, load_arrays, save_arrays


def test_fig9_quick_writes_outputs_and_claims_hold(run_script):
    proc, out = run_script("Fig9_domino.py", "--quick")
    assert proc.returncode == 0, proc.stderr
    for ext in ("pdf", "png", "json"):
        assert (out / f"Fig9_domino.{ext}").stat().st_size > 0
    report = json.loads((out / "Fig9_domino.json").read_text())
    assert report["figure"] == 9 and report["preset"] == "quick"
    assert {c["name"] for c in report["claims"]} == {"serial_last_done", "parallel_slowest_end",
                                                     "parallel_fastest_t09"}
    assert all(c["holds"] for c in report["claims"])
    assert "3/3 claims hold" in proc.stdout


def test_bad_device_exits_nonzero_with_message(run_script):
    proc, out = run_script("Fig9_domino.py", "--quick", "--device", "tpu")
    assert proc.returncode == 2
    assert "--device='tpu' is not allowed" in proc.stderr
    assert not (out / "Fig9_domino.json").exists()


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_cuda_without_a_gpu_exits_nonzero_with_message(run_script):
    proc, out = run_script("Fig9_domino.py", "--quick", "--device", "cuda")
    assert proc.returncode == 2 and "torch sees no CUDA device" in proc.stderr
    assert not (out / "Fig9_domino.json").exists()


def test_cache_roundtrip_and_damaged_file(tmp_path):
    data = {"a": np.arange(3), "group": {"b": np.ones((2, 2))}}
    save_arrays(tmp_path / "x.npz", data)
    back = load_arrays(tmp_path / "x.npz")
    np.testing.assert_array_equal(back["group"]["b"], data["group"]["b"])
    (tmp_path / "bad.npz").write_bytes(b"not a zip file")
    with pytest.raises(CacheError, match="--recompute"):
        load_arrays(tmp_path / "bad.npz")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []   # no temporary files left


def test_damaged_cache_exits_nonzero_then_recompute_heals(run_script, tmp_path):
    proc, _ = run_script("Fig9_domino.py", "--quick")
    cache = paths.ROOT / json.loads((tmp_path / "figures" / "Fig9_domino.json").read_text())["cache"]
    cache.write_bytes(b"garbage")
    proc, _ = run_script("Fig9_domino.py", "--quick")
    assert proc.returncode == 2 and "damaged" in proc.stderr
    proc, _ = run_script("Fig9_domino.py", "--quick", "--recompute")
    assert proc.returncode == 0


def test_cache_from_other_code_is_used_but_reported(run_script, tmp_path):
    proc, _ = run_script("Fig9_domino.py", "--quick")
    report = json.loads((tmp_path / "figures" / "Fig9_domino.json").read_text())
    assert report["cache_matches_code"] is True
    cache = paths.ROOT / report["cache"]
    stale = load_arrays(cache)
    assert len(str(stale["_code_version"])) == 12
    save_arrays(cache, {**stale, "_code_version": np.asarray("older")})
    proc, _ = run_script("Fig9_domino.py", "--quick")
    assert proc.returncode == 0 and "another version of the code" in proc.stderr
    assert json.loads((tmp_path / "figures" / "Fig9_domino.json").read_text())["cache_matches_code"] is False
    proc, _ = run_script("Fig9_domino.py", "--quick", "--recompute")
    assert proc.returncode == 0 and "another version" not in proc.stderr
    assert json.loads((tmp_path / "figures" / "Fig9_domino.json").read_text())["cache_matches_code"] is True


def test_reproduce_writes_gallery_and_claims_table(tmp_path):
    sys.path.insert(0, str(paths.SCRIPTS))
    import reproduce
    proc = subprocess.run([sys.executable, str(paths.SCRIPTS / "Fig9_domino.py"), "--quick", "--out", str(tmp_path),
                           "--no-progress"], capture_output=True, text=True)
    assert proc.returncode == 0
    reproduce.write_readme(tmp_path)
    text = (tmp_path / "README.md").read_text()
    assert "![Fig9_domino](Fig9_domino.png)" in text
    assert "| 9 | `serial_last_done` | 1000 | 1000 | exact | yes |" in text


def test_root_readme_table_is_rewritten_between_markers(tmp_path):
    sys.path.insert(0, str(paths.SCRIPTS))
    import reproduce
    results = [{"figure": 9, "slug": "domino", "runtime_s": 0.4, "claims": [{"holds": True}, {"holds": False}]}]
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- figure-table:begin -->\nSTALE ROW\n<!-- figure-table:end -->\noutro\n")
    reproduce.update_root_readme(results, readme)
    text = readme.read_text()
    assert "STALE ROW" not in text and text.startswith("intro") and text.endswith("outro\n")
    assert "| [9](figures/Fig9_domino.png) | `scripts/Fig9_domino.py` | 0 s | 1/2 |" in text
