// Records a resolution is about to move stay dirty until its write phase completes, so an
// incremental re-run after a crash resolves their components again.
UNWIND $rids AS rid
MATCH (r:Record {rid: rid})
SET r.dirty = true
