// Current profiles of one postcode (indexed), optionally with a given or family name and
// the other filters; a page in pid order after the cursor `$after`.
MATCH (p:Profile)
WHERE p.postcode = $postcode
  AND p.retired IS NULL
  AND COUNT { (p)<-[:IN_PROFILE]-() } > 0  // a crash-left profile is not a customer
  AND ($name IS NULL OR p.family_name = $name OR p.given_name = $name)
  AND ($after IS NULL OR p.pid > $after)
  AND ($source IS NULL OR $source IN p.sources)
  AND ($identifier_type IS NULL
       OR EXISTS { (p)<-[:IN_PROFILE]-()-[:HAS_IDENTIFIER]->(i) WHERE i.type = $identifier_type })
RETURN properties(p) AS profile
ORDER BY p.pid
LIMIT $limit
