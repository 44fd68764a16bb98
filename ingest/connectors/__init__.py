"""Connectors: what a source system sends (Segment-spec messages, Shopify webhooks) turned
into rows of a built-in mapping, which the ingest pipeline then validates and loads."""
