"""Reading news sources into Articles, cleaning them, chunking them and writing them to the store."""
