// A resolution's write phase is complete: its journal entry and those of the dead runs it
// completed are removed.
UNWIND $ids AS id
MATCH (r:ResolveRun {id: id})
DELETE r
