// Empty the database: every node and relationship, in batches of 10,000 nodes so a large
// graph never needs one huge transaction (run in an auto-commit transaction). Constraints
// and indexes stay. `cdp demo` (unless --keep) and the benchmarks start from an empty graph.
MATCH (n)
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF 10000 ROWS
