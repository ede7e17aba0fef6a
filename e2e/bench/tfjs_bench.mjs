// One TensorFlow.js 4.22 measurement in this Node process: load a layers
// model from disk, check it against DIR/io.json, then time predict. A graph
// model (format "graph-model") is loaded with tf.loadGraphModel and timed on
// io.json's own inputs (batch as there; a detector's time depends on what it
// detects, and `tfjs bench --inputs` uses the same ones), running `execute`,
// or `executeAsync` when the graph has dynamic ops (control flow, NMS).
//
// Usage: node tfjs_bench.mjs --backend wasm|cpu --model DIR [--batch N]
//                            [--runs N] [--warmup N]
// Prints one JSON object on stdout:
//   {"backend","wasm":{simd,threads,binary}|null,"model","batch","runs",
//    "backend_init_ms","load_ms","predict_ms":{"median","min","max"},
//    "check":{"max_abs","atol","rtol"}|null,"tfjs":"4.22.0",
//    "tfjs_keepdims_patch":N}
// Exit status: 0 ok, 1 the model does not reproduce io.json (timings would be
// meaningless), 2 usage/setup error.
//
// load_ms covers reading model.json and every shard through a file IOHandler
// to a model ready to predict (tf.loadLayersModel), after the backend is
// initialised (backend_init_ms is reported separately). Each predict is
// `await model.predict(x).data()` so the work has completed; outputs are
// disposed. The wasm backend reads its .wasm binary from node_modules
// (setWasmPaths with a directory prefix; no network).

import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileHandler, isGraphModel, readIoJson, compareOutputs, seededUniform, median } from './lib.mjs';

function parseArgs(argv) {
  const a = { backend: 'wasm', model: null, batch: 1, runs: 20, warmup: 3 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if (k === '--backend') { a.backend = v; i++; }
    else if (k === '--model') { a.model = v; i++; }
    else if (k === '--batch') { a.batch = Number(v); i++; }
    else if (k === '--runs') { a.runs = Number(v); i++; }
    else if (k === '--warmup') { a.warmup = Number(v); i++; }
    else throw new Error(`unknown argument ${k}`);
  }
  if (!a.model) throw new Error('--model DIR is required');
  if (!['wasm', 'cpu'].includes(a.backend)) throw new Error(`--backend must be wasm or cpu, got ${a.backend}`);
  if (!(a.batch >= 1) || !(a.runs >= 1) || !(a.warmup >= 0)) throw new Error('bad --batch/--runs/--warmup');
  a.runs = Math.max(20, a.runs);
  return a;
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`tfjs_bench: ${e.message}`);
  process.exit(2);
}

// Silence TF.js's "install tfjs-node" banner and kernel-registration notes so
// stdout carries only the JSON result.
const log = console.log;
const warn = console.warn;
console.log = () => {};
console.warn = () => {};

let wasmInfo = null;
const tInit = performance.now();
if (args.backend === 'wasm') {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/';
  wasm.setWasmPaths(dist);
  if (!(await tf.setBackend('wasm'))) {
    console.error('tfjs_bench: the wasm backend failed to initialise');
    process.exit(2);
  }
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  wasmInfo = {
    simd,
    threads,
    threads_count: wasm.getThreadsCount(),
    binary: simd && threads ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm',
  };
} else {
  await tf.setBackend('cpu');
  await tf.ready();
}
const backendInitMs = performance.now() - tInit;
if (tf.getBackend() !== args.backend) {
  console.error(`tfjs_bench: asked for backend ${args.backend}, TF.js uses ${tf.getBackend()}`);
  process.exit(2);
}

const dir = resolve(args.model);
if (isGraphModel(dir)) {
  await benchGraph(dir);
  process.exit(0);
}
const t0 = performance.now();
let model;
let patched = 0;
try {
  model = await tf.loadLayersModel(fileHandler(dir, { patchKeepdims: true, onPatch: (n) => { patched = n; } }));
} catch (e) {
  console.error(`tfjs_bench: tf.loadLayersModel(${dir}) failed: ${e.message}`);
  process.exit(1);
}
const loadMs = performance.now() - t0;

// Sanity: the loaded model must reproduce the reference outputs.
let check = null;
const io = readIoJson(dir);
if (io) {
  const names = model.inputNames || [];
  const byName = new Map(io.inputs.map((t) => [t.name, t]));
  const chosen = model.inputs.map((_, i) => byName.get(names[i]) || io.inputs[i]);
  const xs = chosen.map((t) => tf.tensor(t.data, t.shape, t.dtype === 'int32' ? 'int32' : 'float32'));
  let ys = model.predict(xs.length === 1 ? xs[0] : xs);
  if (!Array.isArray(ys)) ys = [ys];
  const got = [];
  for (const y of ys) got.push({ shape: y.shape, data: await y.data() });
  const tol = io.tolerance || { atol: 1e-4, rtol: 1e-3 };
  const cmp = compareOutputs(got, io.outputs, tol);
  tf.dispose([...xs, ...ys]);
  if (!cmp.ok) {
    console.error(`tfjs_bench: ${dir} on ${args.backend} does not reproduce io.json: ${cmp.bad} element(s) out of tolerance, first ${cmp.worst}`);
    process.exit(1);
  }
  check = { max_abs: cmp.maxAbs, atol: tol.atol, rtol: tol.rtol };
}

// Seeded synthetic inputs of the requested batch (unknown dims use 16, like
// `tfjs bench`).
const inputs = model.inputs.map((inp, k) => {
  const shape = inp.shape.map((d, i) => (i === 0 ? args.batch : d == null ? 16 : d));
  const n = shape.reduce((a, b) => a * b, 1);
  if (inp.dtype === 'int32') {
    return tf.tensor(Int32Array.from({ length: n }, (_, i) => i % 2), shape, 'int32');
  }
  return tf.tensor(seededUniform(n, 0x2545f491 + k), shape, 'float32');
});
const feed = inputs.length === 1 ? inputs[0] : inputs;

const times = await timeRuns(async () => {
  const ys = model.predict(feed);
  return Array.isArray(ys) ? ys : [ys];
});

report(dir, loadMs, times, {
  batch: args.batch,
  check,
  // Layers given a Reshape after keepdims pooling (see lib.mjs), 0 if none.
  tfjs_keepdims_patch: patched,
  leaked_tensors: tf.memory().numTensors - inputs.length - model.weights.length,
});

// A graph model: load, check against io.json (wasm: within the cpu-vs-wasm
// difference io.json records, see ../shared/fixtures/real/README.md), then
// time execute/executeAsync on io.json's inputs.
async function benchGraph(dir) {
  const io = readIoJson(dir);
  if (!io) {
    console.error(`tfjs_bench: ${dir}: a graph model is timed on its io.json inputs, and there is no io.json`);
    process.exit(2);
  }
  const t0 = performance.now();
  let model;
  try {
    model = await tf.loadGraphModel(fileHandler(dir));
  } catch (e) {
    console.error(`tfjs_bench: tf.loadGraphModel(${dir}) failed: ${e.message}`);
    process.exit(1);
  }
  const loadMs = performance.now() - t0;
  const feed = {};
  for (const t of io.inputs) feed[t.name] = tf.tensor(t.data, t.shape, t.dtype === 'int32' ? 'int32' : 'float32');
  const names = io.outputs.map((o) => o.name);
  let useAsync = false;
  const run = async () => {
    let ys;
    if (!useAsync) {
      try {
        ys = model.execute(feed, names);
      } catch (e) {
        if (!/executeAsync/.test(String(e.message))) throw e;
        useAsync = true;
      }
    }
    if (useAsync) ys = await model.executeAsync(feed, names);
    return Array.isArray(ys) ? ys : [ys];
  };
  const ys = await run();
  const got = [];
  for (const y of ys) got.push({ shape: y.shape, data: await y.data() });
  tf.dispose(ys);
  const tol = { ...(io.tolerance || { atol: 1e-4, rtol: 1e-3 }) };
  let widened = false;
  const wasmAtol = io.crossBackend && io.crossBackend.wasmNeededAtol;
  if (args.backend === 'wasm' && wasmAtol > tol.atol) {
    tol.atol = wasmAtol;
    widened = true;
  }
  const cmp = compareOutputs(got, io.outputs, tol);
  if (!cmp.ok) {
    console.error(`tfjs_bench: ${dir} on ${args.backend} does not reproduce io.json: ${cmp.bad} element(s) out of tolerance, first ${cmp.worst}`);
    process.exit(1);
  }
  const times = await timeRuns(run);
  report(dir, loadMs, times, {
    format: 'graph-model',
    execution: useAsync ? 'executeAsync' : 'execute',
    batch: io.inputs[0] ? io.inputs[0].shape[0] : null,
    inputs: 'io.json',
    check: { max_abs: cmp.maxAbs, atol: tol.atol, rtol: tol.rtol, atol_widened_to_recorded_wasm_difference: widened },
    tfjs_keepdims_patch: 0,
  });
}

// --warmup untimed runs, then --runs timed ones of `run` (which returns the
// output tensors; each is read back, so the work has completed, and freed).
// Returns the times in ms, sorted.
async function timeRuns(run) {
  const once = async () => {
    const out = await run();
    for (const y of out) await y.data();
    tf.dispose(out);
  };
  for (let i = 0; i < args.warmup; i++) await once();
  const times = [];
  for (let i = 0; i < args.runs; i++) {
    const t = performance.now();
    await once();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

// Print the one JSON result line (the console was silenced for TF.js's notes).
function report(dir, loadMs, times, fields) {
  console.log = log;
  console.warn = warn;
  console.log(JSON.stringify({
    backend: args.backend,
    wasm: wasmInfo,
    tfjs: tf.version.tfjs,
    model: dir,
    runs: args.runs,
    warmup: args.warmup,
    backend_init_ms: backendInitMs,
    load_ms: loadMs,
    predict_ms: { median: median(times), min: times[0], max: times[times.length - 1] },
    ...fields,
  }));
}
