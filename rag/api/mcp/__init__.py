"""Byline as a tool for agents: an MCP server over stdio (``byline mcp``) and streamable HTTP
(``/mcp`` in the API app)."""
