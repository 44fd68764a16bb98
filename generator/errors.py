"""The generator's errors."""

from __future__ import annotations


class GeneratorError(ValueError):
    """Root of the generator's errors: the arguments cannot produce a dataset."""


class InvalidWindow(GeneratorError):
    def __init__(self, start: object, end: object) -> None:
        super().__init__(f"start {start} must be before end {end}")
        self.start, self.end = start, end


class InvalidCount(GeneratorError):
    def __init__(self, name: str, value: int) -> None:
        super().__init__(f"{name} must be at least 1, got {value}")
        self.name, self.value = name, value
