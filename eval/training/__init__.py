"""``byline train``: the answerer's learned parts, fitted on the RealTime QA training years.

- :mod:`pool`: each training question's candidate sentences, read as the service reads them;
- :mod:`reader`: the reader, a cross-encoder from the packaged MiniLM;
- :mod:`answerer`: the cheap ranker's and the confidence's logistic models.
"""
