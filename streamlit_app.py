"""attnviz explorer — `streamlit run streamlit_app.py`. Page set-up, the shared sidebar and navigation only."""

import logging

import streamlit as st

from attnviz.ui import classroom, common, navigation, player, state
from attnviz.ui.i18n import t

presenting = state.presenting()
st.set_page_config(
    page_title=t("app.page_title"),
    page_icon="🔍",
    layout="wide",
    initial_sidebar_state="collapsed" if presenting else "auto",
)
if presenting:  # on a projector the vertical space goes to the heatmap, and text grows for the back row
    st.html(common.PRESENTATION_CSS)
else:
    st.html(common.COMPACT_CSS)
    st.title(t("app.title"))

groups, problems = state.available_models()
for name, problem in problems.items():
    st.warning(t("app.model_unavailable", name=common.plain(name), problem=common.plain(problem)))
if not groups:
    st.error(t("app.no_models"))
    st.stop()

state.init_state(groups)
for notice in state.url_notices():
    st.warning(notice)
# before the widgets are drawn: a lecture's slide, or the teacher's slide on a student's page, sets their values
slide_view = player.follow(groups) or classroom.follow(groups) or classroom.pending_view()
state.sidebar(groups)
with st.sidebar:
    player.picker()
# the default view is served at the bare address; a hidden twin gives it an address of its own (/compare)
pages = {
    v.url_path: st.Page(
        v.path,
        title=t(f"views.{v.key}"),
        icon=v.icon,
        default=v.url_path == navigation.DEFAULT_VIEW,
        url_path=navigation.HOME if v.url_path == navigation.DEFAULT_VIEW else v.url_path,
    )
    for v in navigation.view_pages()
}
menu = {t(f"sections.{name}"): [pages[v.url_path] for v in views] for name, views in navigation.sections().items()}
default_view = next(v for v in navigation.view_pages() if v.url_path == navigation.DEFAULT_VIEW)
menu[t(f"sections.{default_view.section}")].append(
    st.Page(
        default_view.path, title=t(f"views.{default_view.key}"), url_path=default_view.url_path, visibility="hidden"
    )
)
page = st.navigation(menu, position="top")
if slide_view is not None and pages[slide_view] is not page:
    st.switch_page(pages[slide_view])
view = next((address for address, p in pages.items() if p is page), navigation.DEFAULT_VIEW)
classroom.banner(lambda address: t(f"views.{address.replace('-', '_')}"))
player.bar()
state.sync_query_params()  # now, in case the view ends early with st.stop(); and again after it
try:
    page.run()
except Exception as err:  # logged with its traceback; the page shows one line, never a traceback
    logging.getLogger("attnviz.ui").exception("view %s failed", page.title)
    st.error(t("app.view_failed", error=type(err).__name__))
finally:  # st.stop() in a view ends the run here too
    state.sync_query_params()
    # after the view: a quiz slide's question is in the store before the students' pages take the slide
    classroom.publish(view)
classroom.finished()
