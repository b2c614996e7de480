// __LABEL__ is replaced by an allow-listed, backticked label derived from the entity type (see kg/neo4j_store.py).
// Only entities stored with that type get it: an existing entity keeps its type, and so its label.
UNWIND $ids AS id
MATCH (e:Entity {id: id})
WHERE e.type = $type
SET e:__LABEL__
