// The identifier types a source's record keys may be (a loyalty number, an email): a key of
// such a type is personal data and is masked like one.
MERGE (k:SourceKey {source: $source})
SET k.types = [t IN coalesce(k.types, []) WHERE NOT t IN $types] + $types,
    k.updated_at = $now
