// A page of identifiers in key order, one row per page: `rows` holds [key, names] for
// those of $types carried by records naming at least two people (see
// resolve_household_names, also for the generic cap).
MATCH (i:Identifier)
WHERE i.key > $after
WITH i
ORDER BY i.key
LIMIT $page
WITH collect(i) AS page
CALL (page) {
  UNWIND page AS i
  WITH i
  WHERE i.type IN $types
  WITH i, COUNT { (i)<-[:HAS_IDENTIFIER]-() } AS degree
  WHERE degree >= 2 AND degree < coalesce($max_records[i.type], $max_records_default)
  MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
  WHERE r.given_name IS NOT NULL
  WITH i, collect(DISTINCT [r.given_name, coalesce(r.family_name, '')]) AS names
  WHERE size(names) >= 2
  RETURN collect([i.key, names]) AS rows
}
RETURN page[-1].key AS last, size(page) AS scanned, rows
