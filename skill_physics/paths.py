"""Every path of the repository comes from here."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "figures"          # committed paper-preset outputs (pdf, png, json) and figures/README.md
QUICK_FIGURES = FIGURES / "quick"   # --quick outputs (git-ignored), so a smoke test never overwrites a paper figure
RESULTS = ROOT / "results"          # cache of computed arrays (git-ignored)
SCRIPTS = ROOT / "scripts"
