"""Every path of the repository comes from here."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "figures"          # committed paper-preset outputs (pdf, png, json) and figures/README.md
QUICK_FIGURES = FIGURES / "quick"   # --quick outputs (git-ignored), so a smoke test never overwrites a paper figure
# cache of computed arrays (git-ignored); SKILL_PHYSICS_RESULTS moves it (the tests use a fresh one, so that a stale
# cache can never stand in for the code under test)
RESULTS = Path(os.environ.get("SKILL_PHYSICS_RESULTS", ROOT / "results"))
SCRIPTS = ROOT / "scripts"
