"""Evaluation: datasets, metrics and runs. Nothing in rag/ or ingest/ imports this package."""
