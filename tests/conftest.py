import subprocess
import sys

import pytest
import torch

from skill_physics import paths

torch.set_num_threads(1)


@pytest.fixture
def run_script(tmp_path):
    """Run scripts/<name> with arguments; returns (CompletedProcess, output folder)."""
    def run(name, *args, out=None):
        out = out or tmp_path / "figures"
        proc = subprocess.run([sys.executable, str(paths.SCRIPTS / name), "--out", str(out), "--no-progress", *args],
                              capture_output=True, text=True, cwd=paths.ROOT)
        return proc, out
    return run
