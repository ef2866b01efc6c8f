# Two commands do all the set-up on a fresh machine:
#   make demo   install, build the demo county with its history, write its October bulletin
#   make test   install, then lint (ruff), type-check (mypy) and run the tests (pytest)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := out/演示县

.PHONY: demo test install clean bench bench-quick

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "zhengdun needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO)
	mkdir -p out
	$(BIN)/zhengdun demo $(DEMO)
	cd $(DEMO) && $(abspath $(BIN))/zhengdun bulletin --month 2026-10 --number 10 -o 通报-2026-10.md
	cd $(DEMO) && $(abspath $(BIN))/zhengdun bulletin --month 2026-10 --number 10 --format docx -o 通报-2026-10.docx
	cd $(DEMO) && $(abspath $(BIN))/zhengdun export -o 台账.xlsx
	@echo "月度通报：$(DEMO)/通报-2026-10.md"
	@echo "月度通报（Word 公文）：$(DEMO)/通报-2026-10.docx"

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache

# The benchmark against measured floors (see bench/run.py): writes bench/RESULTS.md.
#   make bench         S (a county) and L (a province; building L the first time takes a minute)
#   make bench-quick   S only, a few minutes

bench: $(STAMP)
	$(BIN)/python bench/run.py

bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --quick
