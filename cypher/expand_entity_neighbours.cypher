// One hop of a walk, along readable relation records in either direction; one row per record, so that the
// caller can prefer entities reached by more evidence.
UNWIND $ids AS id
MATCH (:Entity {id: id})-[r]-(o:Entity)
MATCH (d:Document {id: r.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN o.id AS id
