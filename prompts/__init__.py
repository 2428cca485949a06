"""Prompt templates as text files with declared variables (used once an LLM answers)."""
