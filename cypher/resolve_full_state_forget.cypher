// What is stored changes outside a resolution (an erasure): the state the last full run
// recorded no longer says what is stored. (A resolution's write phase forgets it in
// `resolve_run_begin`.)
MATCH (s:ResolveState)
DELETE s
