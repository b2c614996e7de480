DROP INDEX kgrag_chunk_embedding IF EXISTS
