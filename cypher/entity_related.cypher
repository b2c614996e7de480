// Entities known to the caller only through a relation record (no readable mention).
UNWIND $ids AS id
MATCH (e:Entity {id: id})-[r]-(:Entity)
MATCH (d:Document {id: r.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN DISTINCT e.id AS id
