"""attnviz explorer — `streamlit run streamlit_app.py`. Page set-up, the shared sidebar and navigation only."""

import logging

import streamlit as st

from attnviz.ui import common, navigation, player, state

presenting = state.presenting()
st.set_page_config(page_title="attnviz — attention explorer", page_icon="🔍", layout="wide",
                   initial_sidebar_state="collapsed" if presenting else "auto")
if presenting:  # on a projector the vertical space goes to the heatmap, and text grows for the back row
    st.html(common.PRESENTATION_CSS)
else:
    st.title("attnviz — where does the translation model look?")

groups, problems = state.available_models()
for name, problem in problems.items():
    st.warning(f"Model **{common.plain(name)}** is unavailable: {common.plain(problem)}")
if not groups:
    st.error("No pretrained model could be loaded from `pretrained/`. Retrain the zoo with "
             "`python -m attnviz train --all` (see the README).")
    st.stop()

state.init_state(groups)
for notice in state.url_notices():
    st.warning(notice)
slide_view = player.follow(groups)  # before the widgets are drawn: a slide sets their values
state.sidebar(groups)
with st.sidebar:
    player.picker()
pages = {
    v.url_path: st.Page(v.path, title=v.title, icon=v.icon, url_path=v.url_path,
                        default=v.url_path == navigation.DEFAULT_VIEW)
    for v in navigation.view_pages()
}
page = st.navigation(list(pages.values()), position="top")
if slide_view is not None and pages[slide_view] is not page:
    st.switch_page(pages[slide_view])
player.bar()
state.sync_query_params()  # now, in case the view ends early with st.stop(); and again after it
try:
    page.run()
except Exception as err:  # logged with its traceback; the page shows one line, never a traceback
    logging.getLogger("attnviz.ui").exception("view %s failed", page.title)
    st.error(f"Sorry, this view failed ({type(err).__name__}); the details are in the server log.")
state.sync_query_params()
