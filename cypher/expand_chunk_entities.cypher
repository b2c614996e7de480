// One hop of a walk, from chunks to the entities they mention; one row per mention.
UNWIND $ids AS id
MATCH (c:Chunk {id: id})-[m:MENTIONS]->(e:Entity)
MATCH (d:Document {id: m.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN e.id AS id
