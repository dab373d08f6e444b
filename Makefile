# gancourse: `make lab` opens the course, `make test` runs every test. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COURSE ?= build/course
STUDENT ?= student
LAB_ARGS ?=
# JupyterLab refuses to run as root (containers, cloud notebooks) unless told that it is intended.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
PYTEST_ARGS ?=

.PHONY: install lab student test benchmark data classifiers clean

# The virtual environment: the project (editable) with its test extras, torch and torchvision installed together
# as the tested pair from the package index, and a check that torchvision's compiled operators load.
$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "gancourse needs Python 3.10 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23.2"
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[test]"
	$(BIN)/python -c 'import torch, torchvision; torchvision.utils.make_grid(torch.zeros(1, 1, 2, 2)); print("torch", torch.__version__, "and torchvision", torchvision.__version__, "load together")'
	touch $(STAMP)

install: $(STAMP)

# The student version of every notebook (no solutions, no hidden tests) in ./$(STUDENT); notebooks you
# already edited there are kept, and a newer release goes beside them as *.new.ipynb.
student: $(STAMP)
	$(BIN)/python -m autograder --course $(COURSE) student --out $(STUDENT)

lab: student
	$(BIN)/jupyter lab --ServerApp.root_dir=$(STUDENT) $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

benchmark: $(STAMP)
	$(BIN)/python benchmarks/bench_training_loop.py
	$(BIN)/python benchmarks/bench_notebooks.py
	$(BIN)/python benchmarks/bench_cpu_efficiency.py
	$(BIN)/python benchmarks/bad_input_report.py

# Rebuilding shipped artefacts (needs the sources named in gancourse/data/embedded/README.md).
data: $(STAMP)
	$(BIN)/python scripts/build_embedded_data.py

classifiers: $(STAMP)
	$(BIN)/python scripts/train_classifier.py mnist fashion_mnist

clean:
	rm -rf $(VENV) build .pytest_cache
