// One hop of a walk, from entities to the readable chunks that mention them.
UNWIND $ids AS id
MATCH (c:Chunk)-[m:MENTIONS]->(:Entity {id: id})
MATCH (d:Document {id: m.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN DISTINCT c.id AS chunk_id
