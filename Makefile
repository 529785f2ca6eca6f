# `make` sets up .venv (the pinned packages and this package); `make figures` and `make test` set it up first too.
.DEFAULT_GOAL := setup
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup figures figures-quick test test-browser test-slow mutate mutate-report sweep notebooks lab lint clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . || $(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

figures: setup            ## regenerate every paper figure -> figures/ (+ figures/README.md): Fig 13 first on two threads, then one script per core (GPU: sweep + Fig 13)
	$(PY) scripts/reproduce.py --device auto

figures-quick: setup      ## smoke-test presets -> figures/quick/
	$(PY) scripts/reproduce.py --quick

test: setup               ## the test suite (what CI runs), on two processes
	$(PY) -m pytest -n 2

test-browser: setup       ## the notebooks' controls in headless Chromium (apt-get install chromium chromium-driver)
	$(PY) -m pytest -m browser -p no:xdist tests/test_browser.py

test-slow: setup          ## paper-scale checks, and `reproduce.py --check` of every figure but the sweep (10, 18)
	$(PY) -m pytest -m slow

mutate: setup             ## mutation scores of every module (mutmut; hours, not in CI), in the background; resumes -> build/mutate/
	mkdir -p build/mutate
	nohup $(PY) scripts/mutate.py $(MODULES) >> build/mutate/run.log 2>&1 & \
	echo "mutation run started: build/mutate/run.log shows its progress, make mutate-report the scores so far"

mutate-report: setup      ## the mutation scores so far, per module; survivors' diffs -> build/mutate/survivors/
	$(PY) scripts/mutate.py --report $(MODULES)

sweep: setup              ## the scaling-law sweep of Figs 10, 18 on every core (resumable), then data/ summary
	$(PY) scripts/sweep.py
	$(PY) scripts/sweep.py --export-summary

notebooks: setup          ## re-execute the four notebooks in place (outputs committed), with the pinned CPU kernels
	$(PY) -m skill_physics.paper.kernels $(PY) -m jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.iopub_timeout=60 geometry_model.ipynb resource_model.ipynb domino_model.ipynb fit_your_curves.ipynb

lab: setup                ## JupyterLab on the notebooks, with the kernel of .venv (the installed package); root too
	$(PY) -m jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

lint: setup
	$(VENV)/bin/ruff check skill_physics scripts tests

clean:                    ## removes quick outputs and caches of Python; never results/ or figures/
	rm -rf figures/quick .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
