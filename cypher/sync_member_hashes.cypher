// What the destination last received: [pid, hash of the synced fields], in slices.
MATCH (m:SyncMember)
WHERE m.state = $state
WITH collect([m.pid, m.hash]) AS pairs
UNWIND range(0, size(pairs) - 1, $chunk) AS i
RETURN pairs[i..i + $chunk] AS pairs
