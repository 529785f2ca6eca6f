import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# the pinned CPU kernels, in force before NumPy and torch load: in this process (the tests that compare with committed
# numbers), in the xdist workers, and in the scripts the tests run. kernels.py is loaded from its file, since importing
# the package would load torch first.
_spec = importlib.util.spec_from_file_location(
    "_kernels", Path(__file__).resolve().parent.parent / "skill_physics" / "paper" / "kernels.py")
_kernels = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_kernels)
os.environ.update(_kernels.pinned_environment())

import pytest  # noqa: E402
import torch  # noqa: E402

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
