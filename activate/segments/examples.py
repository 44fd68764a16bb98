"""The two worked examples the demo creates."""

from __future__ import annotations

from dataclasses import dataclass

from activate.errors import SegmentExists
from activate.segments.definition import Filter, all_of, attr, event, not_, purchased
from activate.segments.fields import EMAIL_ENGAGEMENT
from activate.segments.service import Segment, create_segment, get_segment
from graph.client import GraphClient


@dataclass(frozen=True)
class Example:
    id: str
    name: str
    description: str
    definition: Filter


def in_store_never_emailed() -> Example:
    """Bought in a store, never opened or clicked an email (the ESP may not know them)."""
    return Example(
        "in-store-never-emailed",
        "In-store buyers who have never engaged with email",
        "At least one order with channel 'store' and no email open or click on record, "
        "including customers the ESP never had.",
        all_of(purchased(channel="store"), not_(event(list(EMAIL_ENGAGEMENT)))),
    )


def high_value_lapsed() -> Example:
    """CLV in the top 20% and no purchase in the last 90 days."""
    return Example(
        "high-value-lapsed",
        "High-value lapsed customers",
        "Predicted 12-month value in the top 20% (clv_percentile >= 0.8) and no purchase "
        "in the last 90 days.",
        all_of(
            attr("clv_percentile", "gte", 0.8),
            attr("days_since_last_purchase", "gte", 90),
        ),
    )


EXAMPLES = (in_store_never_emailed, high_value_lapsed)


async def create_examples(graph: GraphClient) -> list[Segment]:
    """Save both examples; those that exist already are left as they are."""
    out = []
    for make in EXAMPLES:
        ex = make()
        try:
            out.append(
                await create_segment(
                    graph, ex.id, ex.name, ex.definition, description=ex.description
                )
            )
        except SegmentExists:
            out.append(await get_segment(graph, ex.id))
    return out
