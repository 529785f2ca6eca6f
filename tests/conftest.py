import os
import shutil
import subprocess
import sys
import tempfile

import pytest
import torch

# a fresh results cache for this test session (inherited by the scripts the tests run), set before the package
# reads it
os.environ["SKILL_PHYSICS_RESULTS"] = tempfile.mkdtemp(prefix="skill_physics_results_")

from skill_physics.paper import paths  # noqa: E402

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


def pytest_sessionfinish(session, exitstatus):
    """Remove this session's results cache."""
    shutil.rmtree(os.environ["SKILL_PHYSICS_RESULTS"], ignore_errors=True)
