// OPTIONAL MATCH keeps one row when a label is empty, so every count is reported, zero included.
OPTIONAL MATCH (d:Document)
WITH count(d) AS documents
OPTIONAL MATCH (c:Chunk)
WITH documents, count(c) AS chunks
OPTIONAL MATCH (e:Entity)
WITH documents, chunks, count(e) AS entities
OPTIONAL MATCH (:Chunk)-[m:MENTIONS]->(:Entity)
WITH documents, chunks, entities, count(m) AS mentions
OPTIONAL MATCH (:Entity)-[r]->(:Entity)
RETURN documents, chunks, entities, mentions, count(r) AS relations
