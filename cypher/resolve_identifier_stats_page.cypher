// A page of identifiers in key order, one row per page: `rows` holds, for those carried by
// at least $min_records records, what generic detection weighs (see
// resolve_identifier_stats, also for the cap above which the records are not read).
MATCH (i:Identifier)
WHERE i.key > $after
WITH i
ORDER BY i.key
LIMIT $page
WITH collect(i) AS page
CALL (page) {
  UNWIND page AS i
  WITH i, COUNT { (i)<-[:HAS_IDENTIFIER]-() } AS degree
  WHERE degree >= $min_records
  WITH i, degree, degree >= coalesce($max_records[i.type], $max_records_default) AS capped
  OPTIONAL MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
  WHERE NOT capped
  WITH i, degree AS records,
       collect(DISTINCT r.given_name) AS given_names,
       collect(DISTINCT r.family_name) AS family_names,
       count(DISTINCT r.postcode) AS postcodes,
       count(DISTINCT r.dob) AS dobs
  RETURN collect({key: i.key, type: i.type, records: records, given_names: given_names,
                  family_names: family_names, postcodes: postcodes, dobs: dobs}) AS rows
}
RETURN page[-1].key AS last, size(page) AS scanned, rows
