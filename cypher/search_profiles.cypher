// Current profiles in pid order after the cursor `$after` (the pid index walks them in
// order), filtered by a given or family name, source and identifier type present.
MATCH (p:Profile)
WHERE p.pid > coalesce($after, '')
  AND p.retired IS NULL
  AND COUNT { (p)<-[:IN_PROFILE]-() } > 0  // a crash-left profile is not a customer
  AND ($name IS NULL OR p.family_name = $name OR p.given_name = $name)
  AND ($source IS NULL OR $source IN p.sources)
  AND ($identifier_type IS NULL
       OR EXISTS { (p)<-[:IN_PROFILE]-()-[:HAS_IDENTIFIER]->(i) WHERE i.type = $identifier_type })
RETURN properties(p) AS profile
ORDER BY p.pid
LIMIT $limit
