"""Where the project is on disk. Apart from `core.settings` so that modules needing only a
path (the command line's help) do not load pydantic-settings."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
