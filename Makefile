# ecg_nb: `make demo` and `make test` do all the set-up on a fresh machine (a virtual environment in .venv).
SHELL := /bin/bash
PYTHON ?= python3
# an active virtual environment (VIRTUAL_ENV) that has ecg_nb installed (-I: not merely this folder) is used as it is,
# and nothing is installed into it; otherwise everything goes into .venv, made on first use
ACTIVE := $(if $(VIRTUAL_ENV),$(shell "$(VIRTUAL_ENV)/bin/python" -I -c "import ecg_nb" >/dev/null 2>&1 && echo yes),)
VENV ?= $(if $(ACTIVE),$(VIRTUAL_ENV),.venv)
BIN := $(VENV)/bin
DEMO_DIR ?= demo_out
# optional extras to install too, e.g. EXTRAS=dev,torch (CI tests the seed model on the PyTorch backend)
EXTRAS ?= dev
# cells flagged `#| slow` need the full database: run them only when ECG_NB_DATA points at one
SLOW := $(if $(ECG_NB_DATA),--flags slow,)

.PHONY: install hooks demo test check bench clean run-notebooks publish docs docs-serve setup train eval report predict

install: $(if $(ACTIVE),,$(VENV)/.installed) hooks

$(VENV)/.installed: setup.py settings.ini
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	$(BIN)/python -m pip check
	touch $@

# git runs .githooks/pre-commit (nbdev_clean on the staged notebooks, and ecg_nb/ checked against nbdev_export)
# once core.hooksPath points there. Only in the main checkout, whose git config every linked worktree shares
# (the relative path then finds each worktree's own .githooks); elsewhere, or where hooks are set already, a note.
hooks:
	@if ! git rev-parse --git-dir >/dev/null 2>&1; then echo "hooks: not a git checkout, no commit hooks"; \
	elif [ "$$(git config core.hooksPath)" = .githooks ]; then :; \
	elif [ "$$(cd "$$(git rev-parse --git-dir)" && pwd -P)" != "$$(cd "$$(git rev-parse --git-common-dir)" && pwd -P)" ]; then \
		echo "hooks: a linked worktree: run 'make hooks' in the main checkout to enable .githooks"; \
	elif [ -n "$$(git config core.hooksPath)" ] || [ -x "$$(git rev-parse --git-path hooks/pre-commit)" ]; then \
		echo "hooks: this clone has commit hooks of its own, left as they are; ecg_nb's: git config core.hooksPath .githooks"; \
	else git config core.hooksPath .githooks && echo "hooks: git now runs .githooks/pre-commit (nbdev_clean, export check)"; fi

# the seed's targets, with its variables (repro.sh says what each means; make passes those given on its command
# line or in the environment): make train FOLDS=2 EPOCHS=1 DATA_DIR=excerpt RUN=runs/try, then make eval, make
# report, make predict ECG=file; DRY_RUN=1 prints the ecg_nb commands only
setup: install

train eval report predict: install
	./repro.sh $@

# the main job on the embedded excerpt: dataset and figure, R-peak scores, a 2-fold run and its report, and a
# prediction on record 232 by the shipped inter-patient model (trained on DS1: this patient is new to it)
demo: install
	$(BIN)/ecg_nb dataset --data_dir excerpt --figure $(DEMO_DIR)/beats_per_class.png
	$(BIN)/ecg_nb detect --data_dir excerpt --output $(DEMO_DIR)/r_peak_scores.csv
	$(BIN)/ecg_nb kfold --data_dir excerpt --k 2 --epochs 40 --batch_size 32 --lr 0.003 --early_stopping 10 --jobs 2 --threads 1 \
		--run $(DEMO_DIR)/excerpt2
	$(BIN)/ecg_nb report --run $(DEMO_DIR)/excerpt2
	$(BIN)/ecg_nb predict ecg_nb/excerpt/232.hea --output $(DEMO_DIR)/232_beats.csv --output_fig $(DEMO_DIR)/232.png

# the test files spread over the cores (pytest-xdist, in the dev extra), each file whole on one worker, so that its
# module fixtures (a Dask cluster, every notebook executed) are made once; without xdist, one after another
PARALLEL = $(shell $(BIN)/python -c 'import xdist' 2>/dev/null && echo '-n auto --dist loadfile')

test: install
	@[ -n "$(ECG_NB_DATA)" ] || echo "note: ECG_NB_DATA is not set, so the notebook cells flagged slow and the full-database tests are skipped"
	$(BIN)/nbdev_test $(SLOW)
	$(BIN)/python -m pytest -q --durations=12 $(PARALLEL) tests   # the slowest tests listed: CI must stay under 30 min

# ecg_nb/ must be exactly what nbdev_export makes of nbs/, and the notebooks must be committed clean
check: install
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean
	@if [ -n "$$(git status --porcelain -- ecg_nb nbs)" ]; then \
		git status --short -- ecg_nb nbs; git diff --stat -- ecg_nb nbs; \
		echo "ecg_nb/ or nbs/ differ from the commit: run nbdev_export and nbdev_clean, then commit"; exit 1; fi
	@echo "ecg_nb/ matches nbs/, notebooks are clean"

# copy a run's reports, metrics, predictions and models (not TensorBoard logs or unfinished folds) to results/
publish: install
	@test -n "$(RUN)" || { echo "usage: make publish RUN=runs/<run>"; exit 1; }
	$(BIN)/python -c "import shutil, sys; shutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True, \
		ignore=shutil.ignore_patterns('logs', '*.partial', '.*.tmp', '.lock'))" $(RUN) results/$(notdir $(RUN))
	@echo "copied $(RUN) to results/$(notdir $(RUN))"

bench: install
	$(BIN)/python bench/bench_data.py
	$(BIN)/python bench/bench_train.py

# the docs site from the notebooks into _docs/: nbdev_docs (Quarto) where quarto is installed, else nbdev's
# processed notebooks rendered with MkDocs (tools/build_docs.py says how); both work offline
DOCS ?= _docs
docs: install
	$(BIN)/python tools/build_docs.py --out $(DOCS)

docs-serve: docs
	@echo "serving $(DOCS) on http://127.0.0.1:8000 (Ctrl-C stops)"
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory $(DOCS)

clean:
	rm -rf $(DEMO_DIR) _docs _proc nbs/_proc .pytest_cache

# execute every notebook in place (slow cells too when ECG_NB_DATA is set), so the docs show real outputs
NOTEBOOKS := $(sort $(wildcard nbs/[0-9]*.ipynb)) nbs/index.ipynb
run-notebooks: install
	cd nbs && for nb in $(notdir $(NOTEBOOKS)); do \
		echo "executing $$nb"; $(abspath $(BIN))/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=3600 $$nb || exit 1; \
		$(abspath $(BIN))/python -c "import sys; from ecg_nb.kfold import strip_backend_logs; strip_backend_logs(sys.argv[1])" $$nb; done
	$(BIN)/nbdev_clean
