"""Quiz: the class predicts which source word the model attends to for a target word; then it is revealed."""

ICON = ":material/quiz:"
ORDER = 45
SECTION = "lesson"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {  # the score too: a reloaded page keeps it; a guess, a reveal and a score are each person's own
    "quiz_model": ("qm", None),
    "quiz_step": ("qstep", None, "int"),
    "quiz_guess": ("qg", None, "int", {"private": True}),
    "quiz_revealed": ("qr", False, "bool", {"private": True}),
    "quiz_score": ("qscore", "0,0,0", "str", {"private": True}),
}

import numpy as np
import streamlit as st

from attnviz.classroom.store import Question
from attnviz.inference.translator import EOS_TOKEN
from attnviz.presentation.analysis import QuizScore
from attnviz.presentation.drawing import Panel, payload
from attnviz.ui import classroom, common, drawing, state
from attnviz.ui.i18n import language_name, t


def reveal(model_choice: int, eflomal_choices: list[int]) -> None:
    """Show the answer and count the guess (once per question)."""
    guess = st.session_state.get("quiz_guess")
    if guess is None or st.session_state.get("quiz_revealed"):
        return
    score = QuizScore.parse(st.session_state.get("quiz_score", ""))
    st.session_state["quiz_score"] = str(score.counted(guess, model_choice, eflomal_choices))
    st.session_state["quiz_revealed"] = True


def new_question() -> None:
    """A new target word or a changed guess hides the answer again."""
    st.session_state["quiz_revealed"] = False


def next_word(words: list[int]) -> None:
    """Ask about the next target word (back to the first after the last)."""
    step = st.session_state.get("quiz_step", words[0])
    st.session_state["quiz_step"] = words[(words.index(step) + 1) % len(words)] if step in words else words[0]
    st.session_state["quiz_guess"] = None
    new_question()


def reset_score() -> None:
    st.session_state["quiz_score"] = "0,0,0"


def send(question: Question) -> None:
    """A student's Send button: the guess (and confidence) to the class store."""
    st.session_state["_class_sent"] = classroom.send_answer(
        question, st.session_state["quiz_guess"], st.session_state.get("class_confidence")
    )


def class_verdict(question: Question, inputs: state.Inputs) -> None:
    """The revealed answer with the class's distribution beside the model's weights."""
    tally = classroom.tally(question)
    source = list(question.source_words)
    st.markdown(
        t(
            "class_mode.revealed",
            word=common.plain(source[question.answer]),
            weight=question.weights[question.answer],
            right=tally.right,
            total=tally.total,
        )
    )
    rows = [t("figures.row_class"), t("figures.row_model")]
    shown = Panel(
        t("quiz.class_title"), np.array([tally.shares, question.weights]), source, rows, links={(question.answer, 1)}
    )
    drawing.heatmap(payload([shown], common.style(inputs, len(source)), name="class-answers"), "class_bars")


@st.fragment(run_every=classroom.POLL_SECONDS)
def class_results(question: Question, inputs: state.Inputs) -> None:
    """The teacher's class panel: the answers arriving (polled), Reveal, then the class beside the model."""
    shown = classroom.revealed(question)
    st.markdown(t("class_mode.answers", count=classroom.tally(question).total))
    st.button(
        t("class_mode.hide") if shown else t("class_mode.reveal"),
        on_click=classroom.reveal,
        args=(None if shown else question,),
        type="secondary" if shown else "primary",
        key="class_reveal",
    )
    if shown:
        class_verdict(question, inputs)


def student_panel(question: Question, inputs: state.Inputs) -> None:
    """A student's page: the guess goes to the class; the answer appears when the teacher reveals it."""
    st.text_input(t("class_mode.nickname"), key="class_nickname", max_chars=30)
    st.segmented_control(
        t("class_mode.confidence"), [25, 50, 75, 100], key="class_confidence", format_func=lambda c: f"{c} %"
    )
    st.button(
        t("class_mode.send"),
        on_click=send,
        args=(question,),
        disabled=st.session_state.get("quiz_guess") is None,
        type="primary",
        key="class_send",
    )
    problem = st.session_state.pop("_class_sent", None)
    if problem:
        st.error(common.plain(problem))
    mine = classroom.my_answer(question)
    if mine is not None:
        st.success(t("class_mode.sent", word=common.plain(question.source_words[mine])))
    if classroom.revealed(question):
        class_verdict(question, inputs)
    else:
        st.caption(t("class_mode.wait"))


def answer(result, step: int, guess: int, eflomal_choices: list[int], inputs: state.Inputs) -> None:
    """The revealed answer: right or wrong, the model's choice and weight, eflomal's links, and the step's weights
    as a one-row heatmap with the guess outlined."""
    source, target = result.source_tokens, result.target_tokens
    model_choice = int(result.attention[step].argmax())
    weight = result.attention[step][model_choice]
    verdict = t("quiz.right") if guess == model_choice else t("quiz.wrong", word=common.plain(source[guess]))
    st.markdown(
        verdict
        + t(
            "quiz.answer",
            word=common.plain(source[model_choice]),
            weight=weight,
            guessed=result.attention[step][guess],
        )
    )
    if inputs.overlay:
        aligned = ", ".join(common.plain(source[j]) for j in eflomal_choices) or t("quiz.unaligned")
        st.markdown(t("quiz.eflomal", word=common.plain(target[step]), aligned=aligned))
    shown = Panel(
        t("quiz.guess_title", word=target[step]),
        result.attention[step][None],
        source,
        [target[step]],
        result.energies[step][None],
        {(guess, 0)},
        result.source_unknown,
    )
    drawing.heatmap(payload([shown], common.style(inputs, len(source)), name="quiz"), "quiz_bars")


@st.fragment
def quiz_panel(inputs: state.Inputs) -> None:
    """The question, the guess and the answer: its controls rerun this panel only, not the page."""
    name = common.model_picker(inputs.models, "quiz_model")
    result = common.decode(name, inputs.sentence, inputs.forced, head=inputs.head)
    source, target = result.source_tokens, result.target_tokens
    words = [i for i, token in enumerate(target) if token != EOS_TOKEN]
    if not words:
        st.info(t("quiz.no_words", model=name))
        return
    state.default("quiz_step", words[0], words)
    step = st.select_slider(
        t("quiz.target_word"),
        options=words,
        key="quiz_step",
        on_change=new_question,
        format_func=lambda i: f"{i + 1}: {target[i]}",
        disabled=classroom.following(),
    )
    st.markdown(t("quiz.so_far", before=common.plain(" ".join(target[:step])), word=common.plain(target[step])))
    source_language = language_name(state.translator(name).info.source_language)
    st.markdown(t("quiz.question", word=common.plain(target[step]), language=source_language))
    state.default("quiz_guess", None, range(len(source)))
    guess = st.pills(
        t("quiz.guess"),
        list(range(len(source))),
        key="quiz_guess",
        on_change=new_question,
        format_func=lambda j: source[j],
    )
    model_choice = int(result.attention[step].argmax())
    question = Question(
        name, inputs.sentence, step, target[step], tuple(source), tuple(float(w) for w in result.attention[step])
    )
    if classroom.following():  # the teacher asks and reveals; the student's guess goes to the class
        student_panel(question, inputs)
        state.sync_query_params()
        return
    links = common.eflomal_links({name: result})[name] if inputs.overlay else frozenset()
    eflomal_choices = sorted(j for j, i in links if i == step)
    left, middle, right = st.columns(3)
    left.button(
        t("quiz.reveal"),
        on_click=reveal,
        args=(model_choice, eflomal_choices),
        disabled=guess is None,
        type="primary",
        key="quiz_reveal",
    )
    middle.button(t("quiz.next"), on_click=next_word, args=(words,), key="quiz_next")
    right.button(t("quiz.reset"), on_click=reset_score, key="quiz_reset")
    if st.session_state.get("quiz_revealed") and guess is not None:
        answer(result, step, guess, eflomal_choices, inputs)
    asked, model, eflomal = QuizScore.parse(st.session_state.get("quiz_score", ""))
    st.markdown(
        t("quiz.score", model=model, asked=asked)
        + (t("quiz.score_eflomal", eflomal=eflomal, asked=asked) if inputs.overlay else t("quiz.end"))
    )
    state.sync_query_params()  # a panel's rerun skips the page's own mirror of the state in the URL
    if classroom.teaching():
        st.divider()
        classroom.ask(question)
        classroom.publish()  # a new target word is a new question for the class
        class_results(question, inputs)


inputs = state.inputs()
st.subheader(t("quiz.heading"))
if common.checked_sentence(inputs):
    quiz_panel(inputs)
