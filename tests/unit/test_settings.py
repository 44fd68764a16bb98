from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import DEV_PASSWORD, Settings


def test_env_vars_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://db.example:7690")
    monkeypatch.setenv("NEO4J_DATABASE", "cdp")
    s = Settings(_env_file=None)
    assert s.neo4j_uri == "bolt://db.example:7690"
    assert s.neo4j_database == "cdp"


def test_placeholder_password_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("NEO4J_PASSWORD", DEV_PASSWORD)
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(_env_file=None)


def test_real_password_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cret-Long-enough")
    monkeypatch.setenv("SUPPRESSION_HMAC_KEYS", '["' + "k" * 32 + '"]')
    assert Settings(_env_file=None).neo4j_password.get_secret_value() == "s3cret-Long-enough"


def test_heap_size_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_LOCAL_HEAP", "lots")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


@pytest.mark.parametrize("size", ["512MB", "1.5GB", "2 GiB"])
def test_scoring_memory_is_a_size_duckdb_takes(monkeypatch: pytest.MonkeyPatch, size: str) -> None:
    import duckdb

    monkeypatch.setenv("MATCH_SCORING_MEMORY", size)
    limit = Settings().match_scoring_memory
    with duckdb.connect() as con:
        con.execute("set memory_limit = ?", [limit])
        assert con.execute("select current_setting('memory_limit')").fetchone() != ("",)


@pytest.mark.parametrize("size", ["2 gigs", "lots", "-1GB", ""])
def test_scoring_memory_that_is_not_a_size_is_refused(
    monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    monkeypatch.setenv("MATCH_SCORING_MEMORY", size)
    with pytest.raises(ValidationError, match="match_scoring_memory"):
        Settings()
