// Neo4j 5.11 to 5.14: the same index through the procedure that preceded CREATE VECTOR INDEX.
CALL db.index.vector.createNodeIndex('kgrag_chunk_embedding', 'Chunk', 'embedding', toInteger($dimensions), 'cosine')
