MATCH (m:KgragMeta {key: 'store'})
RETURN m.dimension AS dimension, m.embedding_model AS embedding_model
