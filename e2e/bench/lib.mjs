// Shared helpers of the speed comparison: a file-reading IOHandler for
// tf.loadLayersModel, a file-writing one for model.save, seeded inputs and the
// io.json tolerance check. No network: everything is read from disk.

import { readFileSync, writeFileSync, mkdirSync, renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An IOHandler whose load() reads DIR/model.json and every weight shard named
 * by its weightsManifest (in manifest order) and hands TF.js the concatenated
 * weight data, exactly what the browser http handler produces after fetching.
 */
export function fileHandler(dir) {
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

/**
 * An IOHandler whose save() writes model.json plus weight shards of at most
 * `shardBytes` bytes (group1-shardNofM.bin, like the converter) into DIR.
 * The shards are written first and model.json last, via a rename.
 */
export function fileSaveHandler(dir, shardBytes = 4 * 1024 * 1024) {
  return {
    async save(artifacts) {
      mkdirSync(dir, { recursive: true });
      const data = new Uint8Array(artifacts.weightData);
      const n = Math.max(1, Math.ceil(data.byteLength / shardBytes));
      const paths = [];
      for (let i = 0; i < n; i++) {
        const name = `group1-shard${i + 1}of${n}.bin`;
        writeFileSync(join(dir, name), data.subarray(i * shardBytes, Math.min(data.byteLength, (i + 1) * shardBytes)));
        paths.push(name);
      }
      const json = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
      };
      const tmp = join(dir, 'model.json.tmp');
      writeFileSync(tmp, JSON.stringify(json));
      renameSync(tmp, join(dir, 'model.json'));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  };
}

/** Seeded uniform floats in [-1, 1) (xorshift32). */
export function seededUniform(n, seed = 0x9e3779b9) {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

/** Read DIR/io.json if present (null otherwise). */
export function readIoJson(dir) {
  const p = join(dir, 'io.json');
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null;
}

/**
 * Compare outputs (array of {shape, data}) with io.json references:
 * |got - ref| <= atol + rtol * |ref|. Returns {ok, maxAbs, bad, worst}.
 */
export function compareOutputs(got, want, tol) {
  const { atol, rtol } = tol || { atol: 1e-4, rtol: 1e-3 };
  if (got.length !== want.length) {
    return { ok: false, maxAbs: Infinity, bad: 1, worst: `${got.length} outputs, reference has ${want.length}` };
  }
  let maxAbs = 0;
  let bad = 0;
  let worst = '';
  for (let k = 0; k < got.length; k++) {
    if (JSON.stringify(got[k].shape) !== JSON.stringify(want[k].shape)) {
      return { ok: false, maxAbs: Infinity, bad: 1, worst: `output ${k}: shape ${JSON.stringify(got[k].shape)} vs ${JSON.stringify(want[k].shape)}` };
    }
    const a = got[k].data;
    const e = want[k].data;
    for (let i = 0; i < e.length; i++) {
      const d = Math.abs(a[i] - e[i]);
      if (!(d <= atol + rtol * Math.abs(e[i]))) {
        bad++;
        if (!worst) worst = `output ${k}[${i}]: got ${a[i]}, want ${e[i]}`;
      }
      if (!(d <= maxAbs)) maxAbs = d;
    }
  }
  return { ok: bad === 0, maxAbs, bad, worst };
}

export function median(sorted) {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
