"""The code stays linted, formatted and strictly typed (the settings live in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)


def test_ruff_lint_and_format() -> None:
    lint = run(str(BIN / "ruff"), "check", "src", "tests", "bench")
    assert lint.returncode == 0, lint.stdout
    formatting = run(str(BIN / "ruff"), "format", "--check", "src", "tests", "bench")
    assert formatting.returncode == 0, formatting.stdout


def test_mypy_strict() -> None:
    result = run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout


def test_mypy_on_tests_and_the_benchmark() -> None:
    """Tests and the benchmark are type-checked too (every body, without annotating each fixture);
    pypdf's loosely typed objects (PdfObject) are not indexed-checked."""
    result = run(
        str(BIN / "mypy"),
        "--config-file=",
        "--python-version=3.11",
        "--check-untyped-defs",
        "--ignore-missing-imports",
        "--disable-error-code=index",
        "--disable-error-code=union-attr",
        "--disable-error-code=comparison-overlap",
        "--disable-error-code=operator",
        "--disable-error-code=var-annotated",
        "tests",
        "bench",
    )
    assert result.returncode == 0, result.stdout
