"""A lecture as one self-contained HTML file: no server, no network — students open it on any laptop.

Every slide shows its sentence, each of its models' translations and attention heatmaps — drawn by the
app's own element (``heatmap.js``, inlined once: the same canvas, hover, toolbar and PNG as in the app) at
presentation size, one a row, filling the slide's width — and the speaker note; ◀/▶ (or the arrow keys)
move between slides and the address's ``#N`` keeps the place. Nothing is fetched: the file works from
``file://`` with every outside request blocked. The views that change decoding (What if, Soft vs hard) or show other figures
(Training, Reviews) are exported as their slide's models' attention: a file cannot re-decode.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..attention.normalizers import Normalizer
from ..data.files import atomic_write_text
from ..inference.catalog import ModelEntry, default_selection, discover
from ..inference.checkpoint import PRETRAINED, priors_path
from ..inference.reference import ReferenceAligner
from ..inference.translator import InputError, Translation, Translator
from .analysis import reference_words
from .drawing import HEATMAP_JS, Panel, payload
from .examples import default_sentence
from .i18n import DEFAULT_UI_LANGUAGE, UI_LANGUAGES
from .lecture import Lecture, Slide
from .plots import FigureStyle


@dataclass
class SlideContent:
    """What one exported slide shows.

    Attributes:
        slide: the lecture's slide; sentence: the source text; pair: "en-fr" or "zh-en".
        results: model name → its translation (the card's attention), in the slide's order.
        problems: model name → one line saying why it shows nothing (bad input, a broken model).
        links: model name → eflomal's (source j, target i) links for its translation.
    """

    slide: Slide
    sentence: str
    pair: str
    results: dict[str, Translation]
    problems: dict[str, str]
    links: dict[str, set]


def slide_models(slide: Slide, entries: list[ModelEntry]) -> tuple[str, list[str]]:
    """The language pair and the attention models a slide shows: its ``m`` list, then any other parameter
    naming a model (a view's own model picker), of its pair; none named: the pair's default selection.

    Returns:
        (pair, model names) — the names in the slide's order, each once.
    """
    attention = {e.name: e for e in entries if not e.problem and e.info.task == "translation" and e.info.maps}
    named = [n for n in slide.params.get("m", "").split(",") if n in attention]
    named += [v for k, v in slide.params.items() if k != "m" and v in attention]
    pair = slide.params.get("pair") or (attention[named[0]].info.pair_name if named else "en-fr")
    chosen = [n for n in dict.fromkeys(named) if attention[n].info.pair_name == pair]
    return pair, chosen or default_selection([n for n, e in attention.items() if e.info.pair_name == pair], entries)


def lecture_content(
    lecture: Lecture, load: Callable[[str], Translator], entries: list[ModelEntry]
) -> list[SlideContent]:
    """Decode every slide: each model translates the slide's sentence (or reads its ``f`` translation, forced)
    with the normalizer it decodes with in the app; eflomal links each translation (one run per priors file).

    Args:
        lecture: a read lecture; load: model name → Translator (cached by the caller);
        entries: the catalog (``discover``).
    """
    contents = []
    for slide in lecture.slides:
        pair, names = slide_models(slide, entries)
        sentence = slide.params.get("s") or default_sentence(pair)
        forced = slide.params.get("f", "").strip()
        results, problems = {}, {}
        for name in names:
            model = load(name)
            normalizer = Normalizer(model.decoding_normalizer)
            try:
                results[name] = (
                    model.force(sentence, forced, normalizer) if forced else model.translate(sentence, normalizer)
                )
            except InputError as err:
                problems[name] = str(err)
        contents.append(SlideContent(slide, sentence, pair, results, problems, {}))
    by_priors: dict[Path, list[tuple[SlideContent, str]]] = {}
    for content in contents:
        for name in content.results:
            info = load(name).info
            by_priors.setdefault(priors_path(info.pair_name, info.segmentation), []).append((content, name))
    for priors, items in by_priors.items():
        if not priors.is_file():
            continue
        results = [content.results[name] for content, name in items]
        links = ReferenceAligner(priors).align_many(
            [reference_words(r.source_tokens) for r in results], [reference_words(r.target_tokens) for r in results]
        )
        for (content, name), found in zip(items, links):
            content.links[name] = found
    return contents


STYLE = """
body { font-family: "Noto Sans", "Noto Sans CJK SC", system-ui, sans-serif; margin: 0 2rem 2rem; color: #222; }
header { display: flex; align-items: center; justify-content: space-between; gap: 1rem;
         border-bottom: 1px solid #ddd; position: sticky; top: 0; background: white; z-index: 10; }
header h1 { font-size: 1.3rem; margin: 0.6rem 0; }
nav button { font-size: 1.4rem; padding: 0.2rem 0.9rem; cursor: pointer; }
nav span { margin: 0 0.8rem; font-variant-numeric: tabular-nums; }
section[hidden] { display: none; }
h2 { font-size: 1.6rem; margin: 1rem 0 0.3rem; }
.sentence { font-size: 1.2rem; }
.models { display: flex; flex-direction: column; gap: 1.5rem; }
figure { margin: 0; }
figcaption { font-weight: 600; }
.translation { margin: 0.3rem 0; }
.problem { color: #a33; }
aside { white-space: pre-wrap; background: #f6f6f2; border-left: 4px solid #bbb; padding: 0.6rem 1rem;
        margin-top: 1rem; max-width: 60rem; }
"""

# after heatmap.js in the same module: every figure's heatmap, from the payloads in #attnviz-heatmaps
MOUNT = """
const payloads = JSON.parse(document.getElementById("attnviz-heatmaps").textContent);
document.querySelectorAll("[data-heatmap]").forEach((element) => {
  mountHeatmap({ data: payloads[Number(element.dataset.heatmap)], parentElement: element });
});
"""

NAVIGATION = """
(function () {
  const slides = [...document.querySelectorAll("section.slide")];
  const counter = document.getElementById("counter");
  let current = 0;
  function show(index) {
    current = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach((s, k) => { s.hidden = k !== current; });
    counter.textContent = (current + 1) + " / " + slides.length;
    history.replaceState(null, "", "#" + (current + 1));
    window.dispatchEvent(new Event("resize"));  // the shown slide's heatmaps fit its width
  }
  document.getElementById("previous").onclick = () => show(current - 1);
  document.getElementById("next").onclick = () => show(current + 1);
  document.addEventListener("keydown", (e) => {
    if (e.key === "ArrowRight" || e.key === "PageDown") show(current + 1);
    if (e.key === "ArrowLeft" || e.key === "PageUp") show(current - 1);
  });
  show((parseInt(location.hash.slice(1), 10) || 1) - 1);
})();
"""


def lecture_html(lecture: Lecture, contents: list[SlideContent], describe: Callable[[str], str]) -> str:
    """The whole HTML document: every user or model text escaped, the heatmap element's JavaScript inlined once.

    Args:
        lecture: the lecture; contents: ``lecture_content``'s slides; describe: model name → its
            one-line description (``Translator.describe``).
    """
    sections, heatmaps = [], []
    for number, content in enumerate(contents, 1):
        slide = content.slide
        language = slide.params.get("lang", DEFAULT_UI_LANGUAGE)
        style = FigureStyle(
            present=True, wide=True, language=language if language in UI_LANGUAGES else DEFAULT_UI_LANGUAGE
        )
        figures = []
        for name in [*content.results, *content.problems]:
            caption = f"<figcaption>{html.escape(name)} — {html.escape(describe(name))}</figcaption>"
            if name in content.problems:
                figures.append(
                    f'<figure>{caption}<p class="problem">{html.escape(content.problems[name])}</p></figure>'
                )
                continue
            result = content.results[name]
            shown = Panel(
                name,
                result.attention,
                result.source_tokens,
                result.target_tokens,
                result.energies,
                content.links.get(name) or None,
                result.source_unknown,
                result.target_unknown,
            )
            heatmaps.append(payload([shown], style, name=f"slide{number}-{name}"))
            plot = f'<div class="heatmap" data-heatmap="{len(heatmaps) - 1}"></div>'
            figures.append(f'<figure>{caption}<p class="translation">→ {html.escape(result.text)}</p>{plot}</figure>')
        note = f"<aside>{html.escape(slide.note.strip())}</aside>" if slide.note.strip() else ""
        sections.append(
            f'<section class="slide" id="slide-{number}" hidden><h2>{html.escape(slide.title)}</h2>'
            f'<p class="sentence">{html.escape(content.sentence)}</p><div class="models">{"".join(figures)}</div>'
            f"{note}</section>"
        )
    title = html.escape(lecture.title)
    language = next((c.slide.params["lang"] for c in contents if c.slide.params.get("lang") in UI_LANGUAGES), "en")
    return (
        f'<!DOCTYPE html>\n<html lang="{language}"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="generator" content="attnviz export-lecture"><style>{STYLE}</style>'
        f"</head>\n<body><header><h1>{title}</h1>"
        '<nav><button id="previous" aria-label="previous slide">◀</button><span id="counter"></span>'
        '<button id="next" aria-label="next slide">▶</button></nav></header>\n'
        + "\n".join(sections)
        + f'\n<script type="application/json" id="attnviz-heatmaps">{_safe_json(heatmaps)}</script>'
        + f'<script type="module">{HEATMAP_JS.read_text(encoding="utf-8")}\n{MOUNT}</script>'
        + f"\n<script>{NAVIGATION}</script>"
        + f'<script type="application/json" id="attnviz-slides">{_slides_json(contents)}</script></body></html>\n'
    )


def _safe_json(data) -> str:
    """JSON that is safe inside a script element (no ``<``)."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def _slides_json(contents: list[SlideContent]) -> str:
    """The slides' titles and translations as JSON (for tests and tools), safe inside a script element."""
    return _safe_json(
        [
            {
                "title": c.slide.title,
                "sentence": c.sentence,
                "translations": {name: r.text for name, r in c.results.items()},
            }
            for c in contents
        ]
    )


def export_lecture(lecture: Lecture, out: Path, root: Path = PRETRAINED) -> dict:
    """Decode a lecture with the models under ``root`` and write it to ``out`` (atomically) as one HTML file.

    Returns:
        {"slides": N, "figures": heatmaps drawn, "bytes": file size, "problems": lines of models that showed nothing}.

    Raises:
        CheckpointError: a model the lecture names whose files are broken.
    """
    entries = discover(root)
    loaded: dict[str, Translator] = {}

    def load(name: str) -> Translator:
        if name not in loaded:
            loaded[name] = Translator.load(Path(root) / name)
        return loaded[name]

    contents = lecture_content(lecture, load, entries)
    document = lecture_html(lecture, contents, lambda name: load(name).describe())
    atomic_write_text(Path(out), document)
    return {
        "slides": len(contents),
        "figures": sum(len(c.results) for c in contents),
        "bytes": len(document.encode("utf-8")),
        "problems": [f"slide {n}: {name}: {p}" for n, c in enumerate(contents, 1) for name, p in c.problems.items()],
    }
