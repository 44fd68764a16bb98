"""The image ships what the wheel ships. No Docker engine here can build the image to find
out, so the Dockerfile's COPY lines are checked against pyproject.toml's package list, and
that list against the packages in the tree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
# Top-level packages that stay in the repository: they need the dev tools or the tree.
NOT_SHIPPED = frozenset({"tests", "bench"})


def shipped_packages() -> set[str]:
    """The top-level packages setuptools is told to find (`include = ["api*", ...]`)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns: list[str] = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return {pattern.removesuffix("*") for pattern in patterns}


def copied_directories() -> set[str]:
    """The directories the Dockerfile copies under their own name (`COPY api api`)."""
    text = (ROOT / "Dockerfile").read_text()
    copies = re.findall(r"^COPY\s+(\S+)\s+(\S+)\s*$", text, re.MULTILINE)
    return {source for source, target in copies if source == target}


def test_dockerfile_copies_every_package_pyproject_ships() -> None:
    shipped, copied = shipped_packages(), copied_directories()
    assert shipped - copied == set(), "packages the image would lack"
    assert copied - shipped == set(), "directories copied that the wheel does not ship"


def test_pyproject_ships_every_top_level_package() -> None:
    on_disk = {init.parent.name for init in ROOT.glob("*/__init__.py")} - NOT_SHIPPED
    assert shipped_packages() == on_disk
