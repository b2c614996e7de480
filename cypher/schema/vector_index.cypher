// Neo4j 5.15 and newer: the vector index on chunk embeddings (cosine, as the embedded store).
CREATE VECTOR INDEX kgrag_chunk_embedding IF NOT EXISTS
FOR (c:Chunk) ON c.embedding
OPTIONS {indexConfig: {`vector.dimensions`: toInteger($dimensions), `vector.similarity_function`: 'cosine'}}
