// The SHA-256 of each email identifier in `$rows` (key, sha256).
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
SET i.sha256 = row.sha256
