UNWIND $ids AS id
MATCH (c:Chunk)-[m:MENTIONS]->(e:Entity {id: id})
MATCH (d:Document {id: m.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN e.id AS entity_id, count(DISTINCT c) AS frequency
