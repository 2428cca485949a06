"""Byline's retrieval inside other frameworks: LlamaIndex (``llama_index``) and LangChain
(``langchain``), each an optional extra; both read passages through :mod:`passages`."""
