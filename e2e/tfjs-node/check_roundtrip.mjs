// Loads every model exported by `cargo run -p tfjs-layers --example e2e_export -- DIR`
// with real TensorFlow.js 4.22 (pure JS cpu backend, tf.loadLayersModel with a
// file-reading IOHandler), predicts on the reference inputs and compares with
// the reference outputs (abs(a - e) <= atol + rtol * abs(e)).
//
// Usage: node check_roundtrip.mjs DIR
// Exit status: 0 all good, 1 a model failed, 2 usage/setup error.
//
// A few Keras models use features TF.js 4.22 does not implement (GRU with
// reset_after=true). For those, TF.js must fail with exactly that error;
// anything else (including an unexpected success with wrong numbers) fails.
// Corpus models whose rebuild TF.js cannot run as Keras does are listed in
// fixtures/corpus/keras/REBUILD_TFJS_DIFFERS: their check must fail with the
// listed text, and one that starts passing fails until its line is removed.

import * as tf from '@tensorflow/tfjs';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `id -> needle` from REBUILD_TFJS_DIFFERS (`id | needle | why`). */
function knownDifferences() {
  const file = fileURLToPath(new URL('../../fixtures/corpus/keras/REBUILD_TFJS_DIFFERS', import.meta.url));
  const known = new Map();
  if (!existsSync(file)) return known;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [id, needle] = line.split(' | ');
    known.set(id.trim(), needle.trim());
  }
  return known;
}

const TFJS_CANNOT = {
  keras__text_rnn: /GRUCell does not support reset_after parameter set to true/,
  keras__text_rnn_masked: /GRUCell does not support reset_after parameter set to true/,
};

function fileHandler(dir) {
  return {
    async load() {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      const weightSpecs = [];
      const buffers = [];
      for (const group of json.weightsManifest || []) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) buffers.push(readFileSync(join(dir, p)));
      }
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return {
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        trainingConfig: json.trainingConfig,
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}

async function checkOne(dir, id) {
  const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8'));
  const io = JSON.parse(readFileSync(ref.io, 'utf8'));
  let model;
  try {
    model = await tf.loadLayersModel(fileHandler(dir));
  } catch (e) {
    const expected = TFJS_CANNOT[id];
    if (expected && expected.test(String(e.message))) {
      return { ok: true, note: `TF.js cannot run this model (expected): ${e.message}` };
    }
    return { ok: false, note: `tf.loadLayersModel failed: ${e.message}` };
  }
  const names = model.inputNames || [];
  const byName = new Map(io.inputs.map((t) => [t.name, t]));
  const chosen = model.inputs.map((_, i) => byName.get(names[i]) || io.inputs[i]);
  const inputs = chosen.map((t) => tf.tensor(t.data, t.shape, t.dtype === 'int32' ? 'int32' : 'float32'));
  let outs = model.predict(inputs.length === 1 ? inputs[0] : inputs);
  if (!Array.isArray(outs)) outs = [outs];
  const useDeq = Array.isArray(io.outputs_dequantized);
  const reference = useDeq ? io.outputs_dequantized : io.outputs;
  const tol = (useDeq ? io.tolerance_dequantized : io.tolerance) || { atol: 1e-4, rtol: 1e-3 };
  if (outs.length !== reference.length) {
    return { ok: false, note: `${outs.length} outputs, reference has ${reference.length} (inputs ${names})` };
  }
  let maxErr = 0;
  let bad = 0;
  let worst = '';
  for (let k = 0; k < outs.length; k++) {
    const got = outs[k].dataSync();
    const want = reference[k];
    if (JSON.stringify(outs[k].shape) !== JSON.stringify(want.shape)) {
      return { ok: false, note: `output ${k}: shape ${JSON.stringify(outs[k].shape)} vs ${JSON.stringify(want.shape)}` };
    }
    for (let i = 0; i < got.length; i++) {
      const e = Math.fround(want.data[i]);
      const d = Math.abs(got[i] - e);
      if (d > maxErr) maxErr = d;
      if (!(d <= tol.atol + tol.rtol * Math.abs(e))) {
        bad++;
        if (!worst) worst = ` e.g. ${want.name}[${i}] got ${got[i]} want ${e}`;
      }
    }
  }
  tf.dispose([...inputs, ...outs]);
  model.dispose();
  return bad === 0
    ? { ok: true, note: `max abs error ${maxErr.toExponential(2)}` }
    : { ok: false, note: `${bad} elements out of tolerance (atol ${tol.atol}, rtol ${tol.rtol}), max abs error ${maxErr}${worst}` };
}

async function main() {
  const dir = process.argv[2];
  if (!dir || !existsSync(dir)) {
    console.error('usage: node check_roundtrip.mjs DIR (from the e2e_export example)');
    process.exit(2);
  }
  await tf.setBackend('cpu');
  const ids = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'reference.json'))).sort();
  if (ids.length === 0) {
    console.error(`no exported models in ${dir}`);
    process.exit(2);
  }
  const known = knownDifferences();
  let failed = 0;
  for (const id of ids) {
    let r;
    try {
      r = await checkOne(join(dir, id), id);
    } catch (e) {
      r = { ok: false, note: `error: ${e.stack || e}` };
    }
    const needle = known.get(id);
    if (needle !== undefined) {
      r = r.ok
        ? { ok: false, note: `listed in REBUILD_TFJS_DIFFERS but passes now; remove its line (${r.note})` }
        : r.note.includes(needle)
          ? { ok: true, note: `known TF.js difference (REBUILD_TFJS_DIFFERS): ${r.note.split('\n')[0]}` }
          : { ok: false, note: `listed as failing with "${needle}", failed otherwise: ${r.note}` };
    }
    if (!r.ok) failed++;
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${id}: ${r.note}`);
  }
  console.log(`${ids.length - failed} of ${ids.length} models load in TensorFlow.js ${tf.version.tfjs} and match`);
  process.exit(failed ? 1 : 0);
}

main();
