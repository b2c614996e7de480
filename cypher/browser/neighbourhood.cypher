// An entity's neighbourhood: the entities related to it, and the chunks that mention it.
// In Neo4j Browser, first set the parameter:   :param name => 'Halvorsen Therapeutics'
MATCH (e:Entity)
WHERE e.name = $name OR $name IN e.aliases
OPTIONAL MATCH (e)-[r]-(other:Entity)
OPTIONAL MATCH (c:Chunk)-[:MENTIONS]->(e)
RETURN e, r, other, c
LIMIT 200
