// attnviz's attention heatmap: one Custom Components v2 element draws (T, S) matrices on a canvas in the
// browser — words on both axes (CJK included), the colour bar, eflomal's outlines, the paper style, the
// presentation sizes, a hover naming the target word, the source word and the weight, and a text alternative.
// A grid of panels (layers × heads) is one element. The toolbar's controls (paper style, outlines, values
// in cells, which head of a multi-head record, a display temperature over the energies) redraw every heatmap
// of the page here, without a server run; PNG saves the canvas. A flow element draws one row of weights as
// running text (a review's attention pooling), each word on a background as dark as its weight.
//
// data: {panels: [{title, weights: T×S (null = no value), source, target, source_unknown, target_unknown,
//        energies: T×S | null, links: [[j, i], …], tempered: whether weights = softmax(energies),
//        choices: [{key, label, weights, energies, tempered}] | null}],
//        columns, compact, flow, scale: "sequential" | "diverging", paper, outlines,
//        values: true | false | null (null: when the cells are large enough), present, wide, name,
//        head: the key of the choice shown first | null, temperature: whether some panel is tempered,
//        text: {colour_title, hover, energy, paper, outlines, values, png, numbers, aria, head, temperature}}

const UNKNOWN = "#c0392b";
const LINK = "#ff4136";
const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58",
  "#b5de2b", "#fde725"];
const DIVERGING = ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582",
  "#d6604d", "#b2182b", "#67001f"];
const PRINTED_CELL = [40, 24]; // px: cells at least this large print their value (values: null)
const FLOW = "#e67800"; // a flow element's words: white → orange as their weight nears the largest
const TEMPERATURES = [0.25, 0.5, 1, 2, 4]; // τ of the display temperature: softmax(e / τ) of the energies sent
const overrides = {}; // the toolbar's choices, shared by every heatmap of the page
// the element lives in the page's DOM (no shadow root, so tests and benchmarks can query it): its styles are
// added to the page once, every selector prefixed attnviz-
const STYLE = `
.attnviz-heatmap { position: relative; margin: 0 0 0.5rem 0; font-family: sans-serif; }
.attnviz-heatmap canvas { display: block; }
.attnviz-toolbar { display: flex; gap: 0.4rem; margin-bottom: 0.3rem; }
.attnviz-toolbar button {
  font: inherit; font-size: 0.8rem; padding: 0.1rem 0.5rem; cursor: pointer;
  border: 1px solid #bbbbbb; border-radius: 0.4rem; background: #ffffff; color: #31333f;
}
.attnviz-toolbar button[aria-pressed="true"] { background: #31333f; color: #ffffff; }
.attnviz-toolbar select, .attnviz-toolbar label { font: inherit; font-size: 0.8rem; }
.attnviz-tooltip {
  position: absolute; pointer-events: none; white-space: nowrap; z-index: 10;
  background: rgba(255, 255, 255, 0.95); border: 1px solid #888888; padding: 0.2rem 0.4rem; font-size: 0.85rem;
}
.attnviz-heatmap details { font-size: 0.8rem; }
.attnviz-heatmap table { border-collapse: collapse; }
.attnviz-heatmap td { border: 1px solid #dddddd; padding: 0 0.3rem; text-align: right; }
`;

function addStyle() {
  if (document.getElementById("attnviz-heatmap-style")) return;
  const style = document.createElement("style");
  style.id = "attnviz-heatmap-style";
  style.textContent = STYLE;
  document.head.append(style);
}

function rgb(hex) {
  return [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
}

function interpolate(stops, t) {
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const k = Math.min(Math.floor(x), stops.length - 2);
  const [a, b] = [rgb(stops[k]), rgb(stops[k + 1])];
  return a.map((v, c) => Math.round(v + (b[c] - v) * (x - k)));
}

function colour(value, settings) {
  if (value === null || value === undefined || Number.isNaN(value)) return "#ffffff";
  let channels;
  if (settings.scale === "diverging") channels = interpolate(DIVERGING, (value + 1) / 2);
  else if (settings.paper) channels = [0, 0, 0].map(() => Math.round(255 * Math.min(Math.max(value, 0), 1)));
  else channels = interpolate(VIRIDIS, value);
  return `rgb(${channels.join(",")})`;
}

function textColour(value, settings) {
  if (settings.scale === "diverging") return Math.abs(value) > 0.6 ? "#ffffff" : "#000000";
  return (settings.paper ? value < 0.5 : value < 0.6) ? "#ffffff" : "#000000";
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

// sizes of one panel: cells fitted to the width, source labels turned when they do not fit
function layout(ctx, panel, data, width) {
  if (data.flow) return flowLayout(ctx, panel, data, width);
  const font = data.present ? 20 : 12;
  ctx.font = `${font}px sans-serif`;
  const S = Math.max(panel.source.length, 1);
  const T = Math.max(panel.target.length, 1);
  if (data.compact) {
    const cell = Math.max(3, Math.min(16, Math.floor(170 / Math.max(S, T))));
    return { font, cellW: cell, cellH: cell, left: 4, top: font + 8, angle: 0, every: 0, bar: 0,
      width: cell * S + 8, height: cell * T + font + 12 };
  }
  const sourcePx = Math.max(0, ...panel.source.map((w) => ctx.measureText(w).width));
  const targetPx = Math.max(0, ...panel.target.map((w) => ctx.measureText(w).width)) + 12;
  const [smallest, largest] = data.present ? [26, 72] : [16, 34];
  const bar = data.present ? 110 : 80;
  const title = data.present ? 10 : font + 18;
  const cellW = Math.floor(Math.max(4, Math.min((data.present ? 2 : 1) * largest, (width - targetPx - bar) / S)));
  let angle = 0;
  let labelsPx = font * 2;
  if (sourcePx + 6 > cellW) [angle, labelsPx] = cellW >= 1.7 * font ? [45, sourcePx * 0.71 + font] : [90, sourcePx + font];
  const every = Math.max(1, Math.ceil((1.1 * font) / cellW));
  const cellH = data.present
    ? Math.floor(Math.max(smallest, Math.min(largest, (480 - labelsPx - title) / T)))
    : Math.max(smallest, cellW);
  const barHeight = Math.max(Math.min(cellH * T, 260), 5 * font); // a one-row panel's bar still reads
  return { font, cellW, cellH, left: targetPx, top: title + labelsPx, angle, every, bar, title, barHeight,
    width: targetPx + cellW * S + bar, height: title + labelsPx + Math.max(cellH * T, barHeight) + 10 };
}

// a flow element: the words wrapped into lines like running text, each word a cell of the one row
function flowLayout(ctx, panel, data, width) {
  const font = data.present ? 22 : 15;
  ctx.font = `${font}px sans-serif`;
  const lineHeight = Math.round(font * 1.9);
  const top = font + 14;
  const words = [];
  let [x, y] = [0, top];
  panel.source.forEach((word) => {
    const w = ctx.measureText(word).width + 6;
    if (x && x + w > width) [x, y] = [0, y + lineHeight];
    words.push({ x, y, w });
    x += w + 4;
  });
  return { font, flow: true, words, lineHeight, width, height: y + lineHeight + 4 };
}

function drawFlow(ctx, panel, box, x0, y0, settings) {
  ctx.font = `${box.font}px sans-serif`;
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  ctx.fillStyle = "#000000";
  ctx.fillText(panel.title || "", x0, y0 + box.font / 2 + 4);
  const weights = panel.weights[0] || [];
  const top = Math.max(...weights.filter((v) => v !== null), 0) || 1;
  const [low, high] = [[255, 255, 255], rgb(settings.paper ? "#777777" : FLOW)];
  panel.source.forEach((word, j) => {
    const { x, y, w } = box.words[j];
    const t = Math.min(Math.max((weights[j] ?? 0) / top, 0), 1);
    ctx.fillStyle = `rgb(${low.map((v, c) => Math.round(v + (high[c] - v) * t)).join(",")})`;
    ctx.fillRect(x0 + x, y0 + y, w, box.lineHeight - 6);
    ctx.fillStyle = panel.source_unknown?.[j] ? UNKNOWN : "#000000";
    ctx.fillText(word, x0 + x + 3, y0 + y + (box.lineHeight - 6) / 2);
  });
  if (!settings.outlines) return;
  ctx.strokeStyle = LINK;
  ctx.lineWidth = 2;
  for (const [j] of panel.links || []) {
    const { x, y, w } = box.words[j];
    ctx.strokeRect(x0 + x + 1, y0 + y + 1, w - 2, box.lineHeight - 8);
  }
}

function drawPanel(ctx, panel, box, x0, y0, data, settings) {
  if (box.flow) {
    drawFlow(ctx, panel, box, x0, y0, settings);
    return;
  }
  const { font, cellW, cellH, left, top } = box;
  const T = panel.target.length;
  const S = panel.source.length;
  ctx.textBaseline = "middle";
  if (!data.present || data.compact) {
    ctx.font = `${data.compact ? font : font + 2}px sans-serif`;
    ctx.fillStyle = "#000000";
    ctx.textAlign = "left";
    ctx.fillText(panel.title || "", x0 + 4, y0 + (data.compact ? font / 2 + 2 : font / 2 + 6));
  }
  ctx.font = `${font}px sans-serif`;
  const printed = settings.values ?? (cellW >= PRINTED_CELL[0] && cellH >= PRINTED_CELL[1]);
  const gap = settings.paper && settings.scale !== "diverging" ? 1 : 0;
  for (let i = 0; i < T; i += 1) {
    for (let j = 0; j < S; j += 1) {
      const value = panel.weights[i][j];
      const [x, y] = [x0 + left + j * cellW, y0 + top + i * cellH];
      ctx.fillStyle = colour(value, settings);
      ctx.fillRect(x, y, cellW - gap, cellH - gap);
      if (printed && value !== null && !data.compact) {
        ctx.fillStyle = textColour(value, settings);
        ctx.textAlign = "center";
        ctx.font = `${Math.max(10, font - 4)}px sans-serif`;
        ctx.fillText(value.toFixed(2), x + cellW / 2, y + cellH / 2);
        ctx.font = `${font}px sans-serif`;
      }
    }
  }
  if (settings.outlines && !data.compact) {
    ctx.strokeStyle = LINK;
    ctx.lineWidth = data.present ? 3 : 2;
    for (const [j, i] of panel.links || []) {
      ctx.strokeRect(x0 + left + j * cellW + 1, y0 + top + i * cellH + 1, cellW - 2, cellH - 2);
    }
  }
  if (data.compact) return;
  ctx.textAlign = "right";
  panel.target.forEach((word, i) => {
    ctx.fillStyle = panel.target_unknown?.[i] ? UNKNOWN : "#000000";
    ctx.fillText(word, x0 + left - 6, y0 + top + i * cellH + cellH / 2);
  });
  panel.source.forEach((word, j) => {
    if (j % box.every) return;
    ctx.save();
    ctx.fillStyle = panel.source_unknown?.[j] ? UNKNOWN : "#000000";
    ctx.translate(x0 + left + j * cellW + cellW / 2, y0 + top - 6);
    ctx.rotate((-box.angle * Math.PI) / 180);
    ctx.textAlign = box.angle ? "left" : "center";
    ctx.fillText(word, 0, box.angle ? 0 : -font / 2);
    ctx.restore();
  });
  drawColourBar(ctx, box, x0 + left + S * cellW + 18, y0 + top, box.barHeight, data, settings);
}

function drawColourBar(ctx, box, x, y, height, data, settings) {
  const [low, high] = settings.scale === "diverging" ? [-1, 1] : [0, 1];
  const width = data.present ? 24 : 12;
  for (let k = 0; k < height; k += 1) {
    ctx.fillStyle = colour(high - ((high - low) * k) / height, settings);
    ctx.fillRect(x, y + k, width, 1);
  }
  ctx.strokeStyle = "#888888";
  ctx.lineWidth = 1;
  ctx.strokeRect(x, y, width, height);
  ctx.fillStyle = "#000000";
  ctx.textAlign = "left";
  ctx.font = `${box.font}px sans-serif`;
  ctx.fillText(data.text.colour_title, x, y - box.font);
  for (let k = 0; k <= 4; k += 1) {
    const value = high - ((high - low) * k) / 4;
    ctx.fillText(String(Math.round(value * 100) / 100), x + width + 4, y + (height * k) / 4);
  }
}

// where each panel goes on the canvas: `columns` panels a row
function arrange(ctx, data, width) {
  const columns = Math.max(1, data.columns || 1);
  const panelWidth = data.compact ? width : width / Math.min(columns, data.panels.length);
  const boxes = data.panels.map((panel) => layout(ctx, panel, data, panelWidth));
  const places = [];
  let [x, y, rowHeight] = [0, 0, 0];
  boxes.forEach((box, k) => {
    if (k && k % columns === 0) [x, y, rowHeight] = [0, y + rowHeight + 8, 0];
    places.push([x, y]);
    x += box.width + 8;
    rowHeight = Math.max(rowHeight, box.height);
  });
  const totalWidth = Math.max(...places.map(([px], k) => px + boxes[k].width));
  return { boxes, places, width: totalWidth, height: y + rowHeight };
}

function cellAt(state, mouseX, mouseY) {
  for (let k = 0; k < state.shown.length; k += 1) {
    const [x0, y0] = state.arranged.places[k];
    const box = state.arranged.boxes[k];
    const panel = state.shown[k];
    if (box.flow) {
      const j = box.words.findIndex(({ x, y, w }) => mouseX >= x0 + x && mouseX < x0 + x + w
        && mouseY >= y0 + y && mouseY < y0 + y + box.lineHeight - 6);
      if (j >= 0) return { panel, i: 0, j };
      continue;
    }
    const j = Math.floor((mouseX - x0 - box.left) / box.cellW);
    const i = Math.floor((mouseY - y0 - box.top) / box.cellH);
    if (i >= 0 && j >= 0 && i < panel.target.length && j < panel.source.length) return { panel, i, j };
  }
  return null;
}

function settingsOf(data) {
  return {
    scale: data.scale,
    paper: overrides.paper ?? data.paper,
    outlines: overrides.outlines ?? data.outlines,
    values: overrides.values ?? data.values,
    head: overrides.head ?? data.head,
    temperature: data.temperature ? overrides.temperature ?? 1 : 1,
  };
}

// softmax(e / τ) of each row over the positions that have an energy (Hinton et al. 2015's temperature)
function tempered(energies, tau) {
  return energies.map((row) => {
    const kept = row.filter((e) => e !== null);
    if (!kept.length) return row.map(() => null);
    const top = Math.max(...kept) / tau;
    const exps = row.map((e) => (e === null ? null : Math.exp(e / tau - top)));
    const total = exps.reduce((sum, v) => sum + (v ?? 0), 0);
    return exps.map((v) => (v === null ? 0 : v / total));
  });
}

// what a panel shows under the toolbar's choices: the chosen head (when it has that choice), its weights
// re-normalized at the display temperature (when τ ≠ 1 and it has energies)
function shownPanel(panel, settings) {
  const choice = (panel.choices || []).find((c) => c.key === settings.head);
  const shown = choice ? { ...panel, weights: choice.weights, energies: choice.energies, tempered: choice.tempered }
    : panel;
  if (settings.temperature === 1 || !shown.tempered) return shown;
  return { ...shown, weights: tempered(shown.energies, settings.temperature) };
}

function draw(state) {
  const { canvas, data } = state;
  const ctx = canvas.getContext("2d");
  const available = Math.max(200, state.root.clientWidth || 600);
  const limit = data.present ? Math.max(available, 1150) : data.wide ? Math.min(available, 880) : Math.min(available, 560);
  state.arranged = arrange(ctx, data, data.present ? available : limit);
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.ceil(state.arranged.width * ratio);
  canvas.height = Math.ceil(state.arranged.height * ratio);
  canvas.style.width = `${state.arranged.width}px`;
  canvas.style.height = `${state.arranged.height}px`;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, state.arranged.width, state.arranged.height);
  const settings = settingsOf(data);
  state.shown = data.panels.map((panel) => shownPanel(panel, settings));
  state.shown.forEach((panel, k) => {
    const [x, y] = state.arranged.places[k];
    drawPanel(ctx, panel, state.arranged.boxes[k], x, y, data, settings);
  });
  state.toolbar.querySelectorAll("button[aria-pressed]").forEach((button) => {
    const on = settings[button.dataset.control];
    button.setAttribute("aria-pressed", String(Boolean(on)));
  });
  state.toolbar.querySelectorAll("select").forEach((select) => {
    const value = String(settings[select.dataset.control]);
    if ([...select.options].some((option) => option.value === value)) select.value = value;
  });
  if (state.numbers.children.length > 1) state.numbers.lastChild.replaceWith(numbersTable(state.shown));
  canvas.dataset.drawn = String((Number(canvas.dataset.drawn) || 0) + 1);
  canvas.dataset.font = String(state.arranged.boxes[0]?.font ?? 12); // px of the axis labels
  canvas.dataset.head = String(settings.head ?? "");
  canvas.dataset.temperature = String(settings.temperature);
}

function numbersTable(panels) {
  const table = document.createElement("table");
  panels.forEach((panel) => {
    const caption = table.createCaption();
    caption.textContent = panel.title || "";
    const head = table.insertRow();
    head.insertCell().textContent = "";
    panel.source.forEach((word) => { head.insertCell().textContent = word; });
    panel.target.forEach((word, i) => {
      const row = table.insertRow();
      row.insertCell().textContent = word;
      panel.weights[i].forEach((value) => { row.insertCell().textContent = value === null ? "" : value.toFixed(3); });
    });
  });
  return table;
}

function button(label, control, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  if (control) {
    element.dataset.control = control;
    element.setAttribute("aria-pressed", "false");
  }
  element.addEventListener("click", onClick);
  return element;
}

// a <select> of the toolbar: which head, or the display temperature
function chooser(label, control, options, onChange) {
  const wrapper = document.createElement("label");
  wrapper.textContent = `${label} `;
  const select = document.createElement("select");
  select.dataset.control = control;
  options.forEach(([value, text]) => select.add(new Option(text, String(value))));
  select.addEventListener("change", () => onChange(select.value));
  wrapper.append(select);
  return wrapper;
}

function choose(control, value) {
  overrides[control] = value;
  window.dispatchEvent(new CustomEvent("attnviz-drawing"));
}

// the head choices of the element's panels, in order, each key once
function headOptions(data) {
  const seen = new Map();
  data.panels.forEach((p) => (p.choices || []).forEach((c) => { if (!seen.has(c.key)) seen.set(c.key, c.label); }));
  return [...seen.entries()];
}

function toggle(state, control) {
  const current = settingsOf(state.data)[control];
  overrides[control] = control === "values" && current === null ? true : !current;
  window.dispatchEvent(new CustomEvent("attnviz-drawing"));
}

function savePng(state) {
  state.canvas.toBlob((blob) => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${state.data.name || "attention"}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }, "image/png");
}

// the controls this element's data offers (rebuilt with new data: a new model may bring other heads)
function fillToolbar(state) {
  const { data, toolbar } = state;
  const controls = [];
  if (data.scale !== "diverging") controls.push(button(data.text.paper, "paper", () => toggle(state, "paper")));
  if (data.panels.some((p) => (p.links || []).length)) {
    controls.push(button(data.text.outlines, "outlines", () => toggle(state, "outlines")));
  }
  if (!data.compact && !data.flow) controls.push(button(data.text.values, "values", () => toggle(state, "values")));
  const heads = headOptions(data);
  if (heads.length > 1) controls.push(chooser(data.text.head, "head", heads, (key) => choose("head", key)));
  if (data.temperature) {
    const options = TEMPERATURES.map((tau) => [tau, `τ = ${tau}`]);
    controls.push(chooser(data.text.temperature, "temperature", options, (tau) => choose("temperature", Number(tau))));
  }
  controls.push(button(data.text.png, null, () => savePng(state)));
  toolbar.replaceChildren(...controls);
}

function build(parentElement, data) {
  addStyle();
  const root = document.createElement("figure");
  root.className = "attnviz-heatmap";
  const toolbar = document.createElement("div");
  toolbar.className = "attnviz-toolbar";
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  const tooltip = document.createElement("div");
  tooltip.className = "attnviz-tooltip";
  tooltip.setAttribute("role", "status");
  const numbers = document.createElement("details");
  const summary = document.createElement("summary");
  numbers.append(summary);
  root.append(toolbar, canvas, tooltip, numbers);
  parentElement.replaceChildren(root);
  const state = { root, toolbar, canvas, tooltip, numbers, summary, data };
  numbers.addEventListener("toggle", () => {
    if (numbers.open && numbers.children.length < 2) numbers.append(numbersTable(state.shown));
  });
  canvas.addEventListener("mousemove", (event) => {
    const bounds = canvas.getBoundingClientRect();
    const hit = cellAt(state, event.clientX - bounds.left, event.clientY - bounds.top);
    if (!hit) {
      tooltip.hidden = true;
      return;
    }
    const value = hit.panel.weights[hit.i][hit.j];
    const energy = hit.panel.energies ? hit.panel.energies[hit.i][hit.j] : null;
    tooltip.textContent = fill(state.data.text.hover, {
      target: hit.panel.target[hit.i], source: hit.panel.source[hit.j],
      weight: value === null ? "–" : value.toFixed(3),
    }) + (energy === null || energy === undefined ? "" : ` · ${state.data.text.energy} = ${energy.toFixed(3)}`);
    tooltip.style.left = `${event.clientX - bounds.left + 14}px`;
    tooltip.style.top = `${event.clientY - bounds.top + 14}px`;
    tooltip.hidden = false;
  });
  canvas.addEventListener("mouseleave", () => { tooltip.hidden = true; });
  window.addEventListener("attnviz-drawing", () => draw(state));
  return state;
}

export default function mountHeatmap(component) {
  const { data, parentElement } = component;
  if (!data || !data.panels) return undefined;
  const state = parentElement.__attnvizHeatmap || build(parentElement, data);
  parentElement.__attnvizHeatmap = state;
  state.data = data;
  fillToolbar(state);
  state.canvas.setAttribute("aria-label", data.text.aria);
  state.summary.textContent = data.text.numbers;
  state.tooltip.hidden = true;
  draw(state);
  const redraw = () => draw(state);
  window.addEventListener("resize", redraw);
  return () => window.removeEventListener("resize", redraw);
}
