"""`bench.resolve` times functions by name: a rename elsewhere must not break the benchmark."""

from __future__ import annotations

import pytest

import matching.component_rules as component_rules
from bench.resolve import instrument
from bench.timing import StepTimer

pytestmark = pytest.mark.unit


def test_every_timed_function_exists_and_is_restored() -> None:
    original = component_rules.resolve_components
    timer = StepTimer()
    instrument(timer)  # raises AttributeError on a function that moved
    try:
        assert component_rules.resolve_components is not original
    finally:
        timer.restore()
    assert component_rules.resolve_components is original
