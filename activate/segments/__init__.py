"""Segments: a filter-tree definition language compiled to Cypher, previews, and saved
segments with materialised, incrementally refreshed membership."""
