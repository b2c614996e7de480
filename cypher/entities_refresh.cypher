// After a write or an erasure: entities left without evidence go; the others get their aliases recomputed
// from the mentions that remain.
UNWIND $ids AS id
MATCH (e:Entity {id: id})
OPTIONAL MATCH ()-[m:MENTIONS]->(e)
WITH e, m ORDER BY m.seq
WITH e, collect(DISTINCT m.text) AS aliases
SET e.aliases = aliases, e.alias_text = reduce(text = '', alias IN aliases | text + alias + '\n')
WITH e
WHERE NOT EXISTS { ()-[:MENTIONS]->(e) } AND NOT EXISTS { (e)--(:Entity) }
DETACH DELETE e
