"""The default match probability from which a probabilistic pair links. Apart from
`matching.linking` (Splink, pandas) so the command line's help can show it."""

from __future__ import annotations

DEFAULT_THRESHOLD = 0.95
