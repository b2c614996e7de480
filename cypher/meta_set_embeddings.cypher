// Records the embedding dimension and model on first write; returns what is stored, so a mismatch can be refused.
MERGE (m:KgragMeta {key: 'store'})
ON CREATE SET m.seq = 0
SET m.dimension = coalesce(m.dimension, $dimension), m.embedding_model = coalesce(m.embedding_model, $model)
RETURN m.dimension AS dimension, m.embedding_model AS embedding_model
