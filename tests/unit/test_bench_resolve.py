"""`bench.resolve` times functions by name: a rename elsewhere must not break the benchmark."""

from __future__ import annotations

import pytest

import matching.component_rules as component_rules
from bench.resolve import instrument
from bench.timing import StepTimer

pytestmark = pytest.mark.unit


def test_every_timed_function_exists_and_is_restored() -> None:
    def timed() -> object:  # the module's own name for it, as the benchmark wraps it
        return vars(component_rules)["resolve_components"]

    original = timed()
    timer = StepTimer()
    instrument(timer)  # raises AttributeError on a function that moved
    try:
        assert timed() is not original
    finally:
        timer.restore()
    assert timed() is original
