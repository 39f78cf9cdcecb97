"""The Streamlit explorer: ``state`` (inputs, caching, URL) and ``views`` (one function per view)."""
