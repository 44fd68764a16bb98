"""A fake area-demographics service speaking the contract of `enrich.providers.http`, on a
real local HTTP server."""

from __future__ import annotations

from enrich.providers.http import LOOKUP_PATH
from tests.fakes.server import FakeApi, Reply, Request

API_KEY = "sk_test_3f9a1c"


class FakeAreaService(FakeApi):
    """The contract of `enrich.providers.http`: bearer key, batches, known areas only."""

    def __init__(self, max_batch: int = 500, api_key: str = API_KEY) -> None:
        super().__init__()
        self.max_batch = max_batch
        self.api_key = api_key
        self.known = {
            ("AU", "2000"): ("Middle", "18-34", "inner", "Young Renters"),
            ("NZ", "6011"): ("High", "35-49", "inner", "Inner-City Professionals"),
        }

    def route(self, request: Request) -> Reply:
        self.require(request.method == "POST" and request.path == LOOKUP_PATH, "no route", 404)
        self.require(request.headers.get("authorization") == f"Bearer {self.api_key}", "key", 401)
        body = request.json()
        areas = body.get("areas")
        self.require(isinstance(areas, list) and 0 < len(areas) <= self.max_batch, "batch")
        results = []
        for area in areas:
            country = area.get("country") or "AU"  # the service's own default
            bands = self.known.get((country, area["postcode"]))
            if bands:
                income, age, urbanity, lifestyle = bands
                results.append(
                    {
                        "country": country,
                        "postcode": area["postcode"],
                        "income_band": income,
                        "age_band": age,
                        "urbanity": urbanity,
                        "lifestyle_segment": lifestyle,
                    }
                )
        return Reply(200, {"results": results})
