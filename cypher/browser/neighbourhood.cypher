// An entity's neighbourhood: the entities related to it, and the chunks that mention it.
// In Neo4j Browser, first set the parameter:   :param name => 'Halvorsen Therapeutics'
// Relations and mentions are collected apart (up to 100 of each), so that neither crowds the other out.
MATCH (e:Entity)
WHERE e.name = $name OR $name IN e.aliases
OPTIONAL MATCH (e)-[r]-(other:Entity)
WITH e, collect({r: r, other: other})[..100] AS related
OPTIONAL MATCH (c:Chunk)-[:MENTIONS]->(e)
WITH e, related, collect(c)[..100] AS chunks
UNWIND related + [chunk IN chunks | {r: null, other: null, c: chunk}] AS row
RETURN e, row.r AS r, row.other AS other, row.c AS c
