"""attnviz explorer — `streamlit run streamlit_app.py`."""

import streamlit as st

import attnviz

st.set_page_config(page_title="attnviz", layout="wide")
st.title("attnviz — attention in neural machine translation")
st.write(f"Package version {attnviz.__version__}. The explorer pages arrive with the pretrained models.")
