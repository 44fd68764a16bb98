// Current profiles of one family name (indexed), optionally of one given name, with the
// other filters; a page in pid order after the cursor `$after`.
MATCH (p:Profile)
WHERE p.family_name = $family
  AND p.retired IS NULL
  AND COUNT { (p)<-[:IN_PROFILE]-() } > 0  // a crash-left profile is not a customer
  AND ($given IS NULL OR p.given_name = $given)
  AND ($after IS NULL OR p.pid > $after)
  AND ($postcode IS NULL OR p.postcode = $postcode)
  AND ($source IS NULL OR $source IN p.sources)
  AND ($identifier_type IS NULL
       OR EXISTS { (p)<-[:IN_PROFILE]-()-[:HAS_IDENTIFIER]->(i) WHERE i.type = $identifier_type })
RETURN properties(p) AS profile
ORDER BY p.pid
LIMIT $limit
