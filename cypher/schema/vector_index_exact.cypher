// Neo4j 5.23 and newer: the vector index on chunk embeddings (cosine, as the embedded store), unquantized.
// From 5.23 the index quantizes vectors by default, so scores are approximate and close hits can swap ranks;
// kgrag's confidence and fusion read the cosine itself, so the index keeps full-precision vectors.
// __DIMENSIONS__ is replaced by a checked integer (cypher.with_integer), as in schema/vector_index.
CREATE VECTOR INDEX kgrag_chunk_embedding IF NOT EXISTS
FOR (c:Chunk) ON c.embedding
OPTIONS {indexConfig: {
  `vector.dimensions`: __DIMENSIONS__,
  `vector.similarity_function`: 'cosine',
  `vector.quantization.enabled`: false
}}
