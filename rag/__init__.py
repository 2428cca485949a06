"""Byline's core: settings, store and embedder adapters, retrieval, answers, the API."""
