MATCH (m:KgragMeta {key: 'store'})
RETURN m.dimension AS dimension
