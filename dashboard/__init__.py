"""The Streamlit dashboard (reads the result store, never writes scores)."""
