// A document's relation records hang between entities; the document lists those entities, so that erasing it
// needs no scan of every relationship.
MATCH (d:Document {id: $doc_id})
UNWIND coalesce(d.entity_ids, []) AS entity_id
MATCH (:Entity {id: entity_id})-[r]->(:Entity)
WHERE r.doc_id = $doc_id
DELETE r
