"""attnviz explorer — `streamlit run streamlit_app.py`. Page set-up and navigation only."""

import streamlit as st

from attnviz.ui import state, views

st.set_page_config(page_title="attnviz — attention explorer", page_icon="🔍", layout="wide")
st.title("attnviz — where does the translation model look?")

models, problems = state.available_models()
for name, problem in problems.items():
    st.warning(f"Model **{name}** is unavailable: {problem}")
if not models:
    st.error("No pretrained model could be loaded from `pretrained/`. Retrain the zoo with "
             "`python -m attnviz train --all` (see the README).")
    st.stop()

state.init_state(models)
inputs = state.sidebar(models)
view = st.segmented_control("View", state.VIEWS, key="view", label_visibility="collapsed") or state.VIEWS[0]
try:
    views.VIEW_FUNCTIONS[view](inputs)
except Exception as err:  # the page shows a message, never a traceback
    st.error(f"Sorry, this view failed: {type(err).__name__}: {err}")
state.sync_query_params()
