// Merge protection made visible: blocked and generic identifiers, and links a per-profile
// limit refused (on the HAS_IDENTIFIER edge).
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
SET i.blocked = row.blocked, i.generic = row.generic
