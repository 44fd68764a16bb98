UNWIND $sources AS source
MATCH (k:SourceKey {source: source})
RETURN k.source AS source, k.types AS types
