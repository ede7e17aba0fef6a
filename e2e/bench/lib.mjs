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
export function fileHandler(dir, { patchKeepdims = false, onPatch = () => {} } = {}) {
  return {
    async load() {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      if (patchKeepdims) {
        const n = patchGlobalPoolingKeepdims(json.modelTopology);
        if (n) onPatch(n);
      }
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
        // Graph models (tf.loadGraphModel) also read these.
        signature: json.signature,
        modelInitializer: json.modelInitializer,
        initializerSignature: json.initializerSignature,
      };
    },
  };
}

/** Whether DIR/model.json is a graph model (`format: "graph-model"` or a GraphDef topology). */
export function isGraphModel(dir) {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  return json.format === 'graph-model' || Array.isArray(json.modelTopology && json.modelTopology.node);
}

/**
 * TF.js 4.22 ignores Keras' `GlobalAveragePooling2D(keepdims=True)` (format
 * digest section 6.4), so Keras MobileNet (v1) cannot be loaded by TF.js as
 * converted: the 1x1 Conv2D after the pooling gets a rank-2 input. To time
 * TF.js on the same computation, insert `Reshape([1, 1, -1])` after every
 * global pooling layer with keepdims=true of a functional model and rewire
 * its consumers; the weights are unchanged and the result is identical
 * (verified against io.json before any timing). Returns how many layers were
 * patched. Only used for the TF.js side of the benchmark.
 */
export function patchGlobalPoolingKeepdims(topology) {
  const cfg = topology && (topology.model_config || topology);
  if (!cfg || cfg.class_name === 'Sequential' || !cfg.config || !Array.isArray(cfg.config.layers)) return 0;
  const layers = cfg.config.layers;
  const renames = new Map();
  const out = [];
  for (const l of layers) {
    out.push(l);
    if (/^Global(Average|Max)Pooling[123]D$/.test(l.class_name) && l.config && l.config.keepdims === true) {
      const rank = Number(l.class_name.slice(-2, -1));
      const name = `${l.config.name}__keepdims`;
      renames.set(l.config.name, name);
      // TF.js Reshape cannot infer a -1 while the batch dim is unknown, so the
      // channel count is found by walking back to the layer that sets it.
      const channels = channelsOf(layers, l);
      out.push({
        class_name: 'Reshape',
        config: { name, trainable: true, dtype: 'float32', target_shape: [...Array(rank).fill(1), channels] },
        name,
        inbound_nodes: [[[l.config.name, 0, 0, {}]]],
      });
    }
  }
  if (!renames.size) return 0;
  const added = new Set(renames.values());
  const rewire = (ref) => (Array.isArray(ref) && renames.has(ref[0]) ? [renames.get(ref[0]), ...ref.slice(1)] : ref);
  for (const l of out) {
    if (added.has(l.config.name) || !Array.isArray(l.inbound_nodes)) continue;
    l.inbound_nodes = l.inbound_nodes.map((node) => (Array.isArray(node) ? node.map(rewire) : node));
  }
  cfg.config.output_layers = (cfg.config.output_layers || []).map(rewire);
  cfg.config.layers = out;
  return renames.size;
}

// Channel count of the (single) input of `layer`: walks back through layers
// that keep the channel count until one that sets it (filters/units, or
// depthwise filters x depth_multiplier).
function channelsOf(layers, layer) {
  const byName = new Map(layers.map((l) => [l.config.name, l]));
  const keep = /^(BatchNormalization|ReLU|LeakyReLU|PReLU|ELU|Softmax|Activation|Dropout|SpatialDropout[123]D|GaussianNoise|GaussianDropout|ZeroPadding[123]D|Cropping[123]D|UpSampling[123]D|(Max|Average)Pooling[123]D|Add|Multiply|Average|Maximum|Minimum|Subtract)$/;
  let l = layer;
  for (let steps = 0; steps < layers.length; steps++) {
    const src = l.inbound_nodes && l.inbound_nodes[0] && l.inbound_nodes[0][0];
    const prev = src && byName.get(src[0]);
    if (!prev) break;
    const c = prev.config;
    if (prev.class_name === 'DepthwiseConv2D') {
      const inner = channelsOf(layers, prev);
      return inner * (c.depth_multiplier || 1);
    }
    if (Number.isInteger(c.filters)) return c.filters;
    if (Number.isInteger(c.units)) return c.units;
    if (!keep.test(prev.class_name)) break;
    l = prev;
  }
  throw new Error(`cannot work out the channel count feeding ${layer.config.name} (keepdims patch for TF.js)`);
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
