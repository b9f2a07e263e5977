// The page `rcnn serve` answers GET / with: one self-contained document (no CDN, no fonts, no network
// but its own API), so it works offline. Choose or drop a photograph: it is posted to /api/detect with
// threshold 0, and the slider filters the answer without asking again. Boxes are drawn on a canvas
// over the photograph, one colour per class, label and score on each.
#include "serve/http_server.h"

namespace rcnn::serve {

const std::string& page_html() {
  static const std::string page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rcnn.cpp — try the detector</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; background: #f4f4f2; color: #222; }
  header { background: #263238; color: #fff; padding: 10px 16px; }
  header h1 { font-size: 18px; margin: 0; }
  header small { opacity: .75; }
  main { display: flex; flex-wrap: wrap; gap: 16px; padding: 16px; }
  #left { flex: 3 1 420px; min-width: 0; }
  #right { flex: 1 1 260px; min-width: 0; }
  #drop { display: block; border: 2px dashed #90a4ae; border-radius: 8px; padding: 18px; text-align: center; background: #fff; cursor: pointer; }
  #drop.over { border-color: #1e88e5; background: #e3f2fd; }
  canvas { display: block; width: 100%; max-width: 720px; height: auto; margin-top: 12px; background: #fff; }
  .row { margin: 10px 0; }
  input[type=range] { width: 100%; }
  ul { list-style: none; padding: 0; margin: 0; }
  li { padding: 4px 6px; border-left: 6px solid; margin: 3px 0; background: #fff; }
  pre { background: #fff; padding: 8px; overflow: auto; max-height: 260px; font-size: 12px; }
  #status { color: #555; }
  .error { color: #c62828; }
</style>
</head>
<body>
<header><h1>rcnn.cpp — Faster R-CNN in your browser</h1><small id="model">loading the model…</small></header>
<main>
  <section id="left">
    <label id="drop" for="file">Drop a photograph here, or click to choose one (JPEG, PNG, BMP)
      <input id="file" type="file" accept="image/*" hidden></label>
    <div class="row" id="status"></div>
    <canvas id="canvas" width="640" height="360"></canvas>
  </section>
  <section id="right">
    <div class="row"><label for="threshold">score threshold <b id="threshold-value">0.50</b></label>
      <input id="threshold" type="range" min="0" max="1" step="0.01" value="0.5"></div>
    <div class="row"><b id="count">0</b> objects shown</div>
    <ul id="objects"></ul>
    <details class="row"><summary>raw JSON</summary><pre id="raw"></pre></details>
  </section>
</main>
<script>
"use strict";
const palette = ["#e53935", "#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#f4511e", "#3949ab",
                 "#c0ca33", "#6d4c41", "#d81b60", "#00acc1", "#7cb342", "#5e35b1", "#fdd835", "#546e7a"];
const $ = id => document.getElementById(id);
let classes = [], answer = null, photo = null;

function colour(label) { const i = classes.indexOf(label); return palette[(i < 0 ? 0 : i) % palette.length]; }
function threshold() { return parseFloat($("threshold").value); }

function draw() {
  const canvas = $("canvas"), ctx = canvas.getContext("2d");
  if (!photo) return;
  canvas.width = photo.naturalWidth; canvas.height = photo.naturalHeight;
  ctx.drawImage(photo, 0, 0);
  const shown = answer ? answer.objects.filter(o => o.score >= threshold()) : [];
  const line = Math.max(2, Math.round(canvas.width / 300)), font = Math.max(12, Math.round(canvas.width / 50));
  ctx.font = font + "px system-ui, sans-serif";
  for (const o of shown.slice().reverse()) {  // the best last, on top
    const [x1, y1, x2, y2] = o.bbox, c = colour(o.label), text = o.label + " " + o.score.toFixed(2);
    ctx.lineWidth = line; ctx.strokeStyle = c; ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const w = ctx.measureText(text).width + 8, ty = y1 - font - 4 >= 0 ? y1 - font - 4 : y1;
    ctx.fillStyle = c; ctx.fillRect(x1, ty, w, font + 4);
    ctx.fillStyle = "#fff"; ctx.fillText(text, x1 + 4, ty + font);
  }
  $("count").textContent = shown.length;
  const list = $("objects"); list.innerHTML = "";
  for (const o of shown) {
    const li = document.createElement("li");
    li.className = "object"; li.style.borderColor = colour(o.label);
    li.dataset.label = o.label; li.dataset.score = o.score;
    li.textContent = o.label + " " + o.score.toFixed(3) + "  [" + o.bbox.map(v => v.toFixed(1)).join(", ") + "]";
    list.appendChild(li);
  }
}

let latest = 0;  // the newest photo chosen: an answer for an older one arrives late and is dropped
async function detect(file) {
  const mine = ++latest;
  $("status").className = ""; $("status").textContent = "detecting…";
  const picture = new Image();
  picture.src = URL.createObjectURL(file);
  await picture.decode().catch(() => {});
  const form = new FormData(); form.append("image", file); form.append("threshold", "0");
  try {
    const res = await fetch("api/detect", {method: "POST", body: form});
    const body = await res.json();
    if (mine !== latest) return;
    photo = picture;
    $("raw").textContent = JSON.stringify(body, null, 1);
    if (!res.ok) throw new Error(body.error || ("HTTP " + res.status));
    answer = body;
    $("status").textContent = body.width + " x " + body.height + " pixels, " + body.objects.length +
      " detections, the model took " + body.time_ms.toFixed(0) + " ms";
    document.body.dataset.done = "1";
  } catch (e) {
    if (mine !== latest) return;
    answer = null; photo = picture; $("status").className = "error"; $("status").textContent = e.message;
    document.body.dataset.done = "error";
  }
  draw();
}

$("file").addEventListener("change", e => { if (e.target.files[0]) detect(e.target.files[0]); });
const drop = $("drop");
drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", e => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) detect(e.dataTransfer.files[0]); });
$("threshold").addEventListener("input", () => { $("threshold-value").textContent = threshold().toFixed(2); draw(); });

(async function model() {
  for (;;) {
    const res = await fetch("api/model").catch(() => null);
    if (res && res.ok) {
      const m = await res.json(); classes = m.classes;
      $("model").textContent = m.backbone + " detector of " + m.classes.join(", ") + " (iteration " + m.iteration + ", " + m.device + ")";
      return;
    }
    await new Promise(r => setTimeout(r, 1000));
  }
})();
</script>
</body>
</html>
)html";
  return page;
}

}  // namespace rcnn::serve
