// Runs an ONNX detector written by `rcnn export` in onnxruntime (CPU) on raw images, and prints one JSON
// line per image: {"boxes": [[x1, y1, x2, y2], ...], "labels": [...], "scores": [...]}.
//   node tests/onnx/run_model.js MODEL.onnx HEIGHT WIDTH IMAGE.rgb... [--threads N] [--repeat R]
// IMAGE.rgb: HEIGHT x WIDTH x 3 bytes, RGB (the model's input as it is). With --repeat, each image runs
// R more times and a last line gives {"median_ms": ...} over them (the first run, which warms up, left out).
const fs = require("fs");
const ort = require("onnxruntime-node");

async function main() {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const value = Number(args[i + 1]);
    args.splice(i, 2);
    return value;
  };
  const threads = option("--threads", 0), repeat = option("--repeat", 0);
  const [model, height, width, ...images] = args;
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const times = [];
  for (const image of images) {
    const bytes = fs.readFileSync(image);
    const input = new ort.Tensor("uint8", new Uint8Array(bytes), [Number(height), Number(width), 3]);
    const out = await session.run({ image: input });
    for (let r = 0; r < repeat; ++r) {
      const start = process.hrtime.bigint();
      await session.run({ image: input });
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const boxes = [];
    for (let i = 0; i < out.boxes.dims[0]; ++i) boxes.push(Array.from(out.boxes.data.slice(4 * i, 4 * i + 4)));
    console.log(JSON.stringify({ boxes, labels: Array.from(out.labels.data, Number), scores: Array.from(out.scores.data) }));
  }
  if (repeat > 0) {
    times.sort((a, b) => a - b);
    console.log(JSON.stringify({ median_ms: times[Math.floor(times.length / 2)], runs: times.length }));
  }
}

main().catch((e) => {
  console.error("run_model.js: " + e.message);
  process.exit(1);
});
