"""Reading news sources into Articles, cleaning, chunking and writing them to the store."""
