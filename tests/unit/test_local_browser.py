"""`cdp neo4j start --browser`: the launcher is asked for the HTTP connector only then."""

from __future__ import annotations

import shutil

import pytest

from core.settings import Settings
from graph.localserver import LocalNeo4j

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="no java")


def test_the_browser_port_is_passed_only_when_asked() -> None:
    s = Settings(neo4j_local_port=7699)
    plain = LocalNeo4j(s).java_command()
    assert "--browser-port" not in plain
    with_browser = LocalNeo4j(s, browser_port=7475).java_command()
    i = with_browser.index("--browser-port")
    assert with_browser[i + 1] == "7475"
    assert with_browser[: len(plain)] == plain
