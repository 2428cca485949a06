"""The HTTP API: a FastAPI app with thin routers over the ask service and the store."""
