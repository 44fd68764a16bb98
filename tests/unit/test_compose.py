"""docker-compose.yml cannot run here (no Docker engine); keep it consistent instead."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_compose_uses_neo4j_526_community_and_the_same_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["neo4j"]["image"] == "neo4j:5.26-community"
    assert "healthcheck" in services["neo4j"] and "healthcheck" in services["api"]
    api = services["api"]
    assert api["build"] == "."
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    fields = {name.upper() for name in Settings.model_fields}
    for var in api["environment"]:
        assert var in fields, f"{var} is not a Settings field"
    assert api["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"
    for vol in [*services["neo4j"]["volumes"], *api["volumes"]]:
        assert vol.split(":")[0] in compose["volumes"]


def test_dockerfile_serves_the_api() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("FROM python:3.11")
    assert '"cdp", "serve"' in text
    # Which packages it copies: tests/unit/test_packaging.py.
