"""Byline's question-answering core: settings, store and embedder adapters, retrieval, answers, API."""
