// One document as a graph: its chunks in reading order, the entities they mention and the relations it supports.
//   :param doc_id => '<document id from kgrag documents>'
MATCH (d:Document {id: $doc_id})-[hc:HAS_CHUNK]->(c:Chunk)
OPTIONAL MATCH (c)-[m:MENTIONS]->(e:Entity)
OPTIONAL MATCH (e)-[r]->(other:Entity) WHERE r.doc_id = $doc_id
RETURN d, hc, c, m, e, r, other
