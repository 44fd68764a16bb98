"""The roles an API key can have. Kept apart from `api.auth` (FastAPI, the driver) so the
command line names them without loading the web stack."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLIENTELING = "clienteling"
    ANALYST = "analyst"
    ADMIN = "admin"
    INGEST = "ingest"
    ONSITE = "onsite"
