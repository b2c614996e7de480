// Neo4j 5.15 and newer: the vector index on chunk embeddings (cosine, as the embedded store).
// __DIMENSIONS__ is replaced by a checked integer (cypher.with_integer): parameters inside OPTIONS are not
// accepted by every 5.x release that has this command.
CREATE VECTOR INDEX kgrag_chunk_embedding IF NOT EXISTS
FOR (c:Chunk) ON c.embedding
OPTIONS {indexConfig: {`vector.dimensions`: __DIMENSIONS__, `vector.similarity_function`: 'cosine'}}
