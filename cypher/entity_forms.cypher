// The surface forms a caller may see: only from mentions in documents they can read.
UNWIND $ids AS id
MATCH (c:Chunk)-[m:MENTIONS]->(e:Entity {id: id})
MATCH (d:Document {id: m.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN e.id AS entity_id, m.text AS text, count(*) AS uses, min(m.seq) AS first
ORDER BY entity_id, first
