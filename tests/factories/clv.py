"""CLV model parameters of roughly CDNOW's shape (Fader, Hardie and Lee 2005), in days, for
tests that need a model without fitting one."""

from __future__ import annotations

from enrich.clv import ClvParams

CDNOW_LIKE = ClvParams(
    bgnbd={"r": 0.243, "alpha": 30.9, "a": 0.793, "b": 2.426},
    gamma_gamma={"p": 6.25, "q": 3.74, "v": 15.44},
    fitted_at="2026-01-01T00:00:00+00:00",
    version="clv-bgnbd-gg/1+pymc-marketing-0.19.2",
    n_customers=2357,
    n_repeat_customers=946,
)
