// The graph's resolution changes outside a full run (a resolution's write phase begins, or
// an erasure): the state the last full run recorded no longer says what is stored.
MATCH (s:ResolveState)
DELETE s
