"""Retrievers for LLM frameworks (optional extras): ``langchain`` (``KgragRetriever``, a LangChain ``BaseRetriever``)
and ``llamaindex`` (``KgragLlamaRetriever``). Each returns kgrag's cited passages with their citation and the graph
paths that reach them in the metadata, read as one principal (its groups, never wider)."""
