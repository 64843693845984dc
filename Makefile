# Neural Parts Studio: `make run` opens the app, `make test` runs the whole suite headless.
# Both set everything up first (system packages when root on Debian, then a virtualenv).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Optional torch wheel to install before the project, e.g. the CPU-only shortcut:
#   make test TORCH_SPEC="torch --index-url https://download.pytorch.org/whl/cpu"
TORCH_SPEC ?=
SYSTEM_PACKAGES := xvfb xauth libgl1 libegl1 libgl1-mesa-dri libglx-mesa0 libxkbcommon-x11-0 \
	libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0 \
	libdbus-1-3 libfontconfig1 libxrender1 libxi6 libsm6 libice6 libxext6 libx11-6

.PHONY: run test setup sysdeps bench clean

run: setup
	$(BIN)/np-viewer

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m benchmarks.run_all

setup: sysdeps $(VENV)/.installed

sysdeps:
	@bash .ci/sysdeps.sh $(SYSTEM_PACKAGES)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(if $(TORCH_SPEC),$(BIN)/python -m pip install $(TORCH_SPEC))
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
