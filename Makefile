# The two commands of the README. Each installs what it needs first.
.PHONY: setup demo test lint schemas

setup:
	bash scripts/setup.sh

demo: setup
	uv run --frozen veille demo

test: setup
	uv run --frozen pytest

lint:
	uv run --frozen ruff check .
	uv run --frozen ruff format --check .
	uv run --frozen mypy

schemas:
	uv run --frozen python -m veille_contracts.schemas
