// __TYPE__ is replaced by an allow-listed, backticked relationship type derived from the predicate
// (see kg/neo4j_store.py); the predicate itself and all provenance are properties.
UNWIND $rows AS row
MATCH (s:Entity {id: row.subject_id})
MATCH (o:Entity {id: row.object_id})
CREATE (s)-[r:__TYPE__]->(o)
SET r = row.properties
