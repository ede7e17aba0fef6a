// Graph models (and the one layers model) of ../shared/fixtures/real through every store,
// checked by real TensorFlow.js 4.22.0 (pure JS cpu backend, global fetch):
//
// 1. The CLI copies each model file:// -> localstorage:// -> indexeddb:// -> `tfjs serve`
//    (http://) -> s3:// (when TFJS_S3_TEST_ENDPOINT names an S3 API, e.g. moto) ->
//    downloads:// and file://. Every copy carries the same artifacts as the published
//    model: topology (GraphDef JSON), format, generatedBy/convertedBy, signature,
//    modelInitializer, userDefinedMetadata, weight specs (quantization included) and the
//    weight bytes, byte for byte.
// 2. TF.js loads the server's copy (tf.loadGraphModel over HTTP) and the file:// copy, runs
//    them on io.json's inputs (execute, or executeAsync for dynamic ops) and reproduces
//    io.json's outputs within its tolerance.
// 3. TF.js saves the model it loaded to `tfjs serve` (GraphModel.save('http://…')); what the
//    CLI then copies out of the server equals what TF.js sent, and loads and predicts in TF.js.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const { ROOT, startServer, cli, tmpdir, assert, concatBuffers } = require('./lib');

const REAL = path.resolve(ROOT, '../shared/fixtures/real');

/** What TF.js's file/HTTP loaders hand to the model: model.json fields + concatenated shards. */
function readArtifacts(dir) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const weightSpecs = [];
  const buffers = [];
  for (const group of json.weightsManifest || []) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, decodeURIComponent(p))));
  }
  const all = Buffer.concat(buffers);
  return {
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    modelInitializer: json.modelInitializer,
    initializerSignature: json.initializerSignature,
    userDefinedMetadata: json.userDefinedMetadata,
    trainingConfig: json.trainingConfig,
  };
}

function fileHandler(dir) {
  return { load: async () => readArtifacts(dir) };
}

/** Structural equality of JSON values (object key order does not matter). */
function sameJson(a, b) {
  if (a === b) return true;
  if (a == null || b == null) return a == b; // null and undefined: both "absent"
  if (Array.isArray(a) !== Array.isArray(b) || typeof a !== typeof b) return false;
  if (typeof a !== 'object') return Object.is(a, b);
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameJson(a[k], b[k]));
}

const FIELDS = ['modelTopology', 'format', 'generatedBy', 'convertedBy', 'signature', 'modelInitializer',
  'initializerSignature', 'userDefinedMetadata', 'trainingConfig', 'weightSpecs'];

/** Every artifact field and the weight bytes of `got` equal `want`'s; throws naming the field. */
function assertSameArtifacts(got, want, what) {
  for (const f of FIELDS) {
    assert(sameJson(got[f], want[f]), `${what}: ${f} differs`);
  }
  const a = concatBuffers(got.weightData);
  const b = concatBuffers(want.weightData);
  assert(a.length === b.length, `${what}: ${a.length} weight bytes, want ${b.length}`);
  assert(a.equals(b), `${what}: weight bytes differ`);
}

function isGraph(artifacts) {
  return artifacts.format === 'graph-model' || Array.isArray(artifacts.modelTopology && artifacts.modelTopology.node);
}

async function load(source, graph) {
  return graph ? tf.loadGraphModel(source) : tf.loadLayersModel(source);
}

/** Run a model on io.json's inputs and compare with its outputs (io.json's tolerance). */
async function checkOutputs(model, graph, io, what) {
  const xs = io.inputs.map((t) => tf.tensor(t.data, t.shape, t.dtype === 'int32' ? 'int32' : 'float32'));
  let ys;
  if (graph) {
    const feed = {};
    io.inputs.forEach((t, k) => { feed[t.name] = xs[k]; });
    const names = io.outputs.map((o) => o.name);
    try {
      ys = model.execute(feed, names);
    } catch (e) {
      if (!/executeAsync/.test(String(e.message))) throw e;
      ys = await model.executeAsync(feed, names);
    }
  } else {
    ys = model.predict(xs.length === 1 ? xs[0] : xs);
  }
  ys = Array.isArray(ys) ? ys : [ys];
  const { atol, rtol } = io.tolerance || { atol: 1e-4, rtol: 1e-3 };
  assert(ys.length === io.outputs.length, `${what}: ${ys.length} outputs, io.json has ${io.outputs.length}`);
  let maxAbs = 0;
  for (let k = 0; k < ys.length; k++) {
    const want = io.outputs[k];
    assert(sameJson(ys[k].shape, want.shape), `${what}: output ${want.name} shape ${ys[k].shape} vs ${want.shape}`);
    const got = await ys[k].data();
    for (let i = 0; i < want.data.length; i++) {
      const d = Math.abs(got[i] - want.data[i]);
      if (!(d <= atol + rtol * Math.abs(want.data[i]))) {
        throw new Error(`${what}: output ${want.name}[${i}] = ${got[i]}, io.json has ${want.data[i]}`);
      }
      maxAbs = Math.max(maxAbs, d);
    }
  }
  tf.dispose([...xs, ...ys]);
  return maxAbs;
}

/**
 * Let the event loop run timers and socket events. TF.js's cpu kernels run synchronously,
 * and a chain of awaits on resolved promises never yields to I/O, so without this a keep-alive
 * connection that `tfjs serve` closed after its 30 s idle timeout during a long model run is
 * only noticed after the next request was written to it (EPIPE / "other side closed"). A
 * browser or any event-driven client notices the close in time; so does this after a tick.
 */
function settle() {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

/** Create an S3 bucket on an S3 API that needs no signature (moto). */
async function createBucket(endpoint, bucket) {
  const r = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
  assert(r.ok || r.status === 409, `create bucket ${bucket} at ${endpoint}: ${r.status}`);
}

async function main() {
  tf.setBackend('cpu');
  await tf.ready();
  const index = JSON.parse(fs.readFileSync(path.join(REAL, 'index.json'), 'utf8'));
  const only = process.argv[2];
  const names = index.fixtures.map((f) => f.name).filter((n) => !only || only.split(",").includes(n));
  const home = tmpdir('tfjs-graph-e2e-home-');
  const downloads = tmpdir('tfjs-graph-e2e-downloads-');
  const out = tmpdir('tfjs-graph-e2e-out-');
  const env = { TFJS_HOME: home, TFJS_DOWNLOADS_DIR: downloads };
  const s3 = process.env.TFJS_S3_TEST_ENDPOINT;
  const bucket = `graph-e2e-${process.pid}`;
  if (s3) {
    await createBucket(s3, bucket);
    Object.assign(env, {
      AWS_ENDPOINT_URL: s3, AWS_ALLOW_HTTP: 'true', AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1',
    });
  } else {
    console.log('# TFJS_S3_TEST_ENDPOINT is unset: the s3:// leg is skipped');
  }
  const server = await startServer();
  let failures = 0;
  try {
    for (const name of names) {
      const src = path.join(REAL, name);
      const io = JSON.parse(fs.readFileSync(path.join(src, 'io.json'), 'utf8'));
      const original = readArtifacts(src);
      const graph = isGraph(original);
      let step = 'copying through the stores';
      try {
        // 1. The CLI carries it through every store.
        const http = `${server.base}/models/g-${name}`;
        // localStorage holds 5 Mi UTF-16 units, as in Chromium: a model over that (weights
        // base64-encoded) is refused there with the quota named, and skips that leg. `mv` out
        // of it, so the models do not add up.
        const ls = `localstorage://graph-e2e/${name}`;
        const idb = `indexeddb://graph-e2e/${name}`;
        const chain = [src];
        let note = '';
        try {
          cli(['cp', src, ls], env);
          cli(['mv', ls, idb], env);
          chain.push(ls);
        } catch (e) {
          if (!/over its quota of 5242880 units/.test(e.message)) throw e;
          assert(!cli(['ls'], env).includes('localstorage://'), `${name}: a refused localStorage save left something behind`);
          cli(['cp', src, idb], env);
          note = ' (over the localStorage quota alone: refused there, as in a browser)';
        }
        chain.push(idb, http);
        if (s3) chain.push(`s3://${bucket}/graph-e2e/${name}`);
        chain.push(`file://${path.join(out, name)}`);
        // http(s):// saves POST to the URL and loads from its model.json, as in TF.js.
        const from = (url) => (url === http ? `${http}/model.json` : url);
        for (let i = chain.indexOf(idb) + 1; i < chain.length; i++) cli(['cp', from(chain[i - 1]), chain[i]], env);
        cli(['cp', from(chain[chain.length - 2]), `downloads://${name}`], env);
        assertSameArtifacts(readArtifacts(path.join(out, name)), original, `${name}: file:// copy at the end of ${chain.join(' -> ')}`);
        await settle();
        assertSameArtifacts(await tf.io.http(`${http}/model.json`).load(), original, `${name}: the server's copy`);
        // downloads:// writes what TF.js's browser download does: NAME.json + NAME.weights.bin.
        const dl = JSON.parse(fs.readFileSync(path.join(downloads, `${name}.json`), 'utf8'));
        const dlWeights = fs.readFileSync(path.join(downloads, dl.weightsManifest[0].paths[0]));
        assertSameArtifacts({ ...dl, weightSpecs: dl.weightsManifest[0].weights, weightData: dlWeights }, original, `${name}: downloads:// files`);
        if (graph) {
          const info = JSON.parse(cli(['--json', 'info', `${http}/model.json`], env));
          assert(JSON.stringify(info).includes('graph'), `${name}: tfjs info over HTTP does not call it a graph model`);
        }

        // 2. TF.js loads the copies and reproduces io.json.
        step = 'TF.js loading and running the copies';
        await settle();
        const fromServer = await load(`${http}/model.json`, graph);
        const d1 = await checkOutputs(fromServer, graph, io, `${name}: TF.js on the server's copy`);
        const fromFile = await load(fileHandler(path.join(out, name)), graph);
        const d2 = await checkOutputs(fromFile, graph, io, `${name}: TF.js on the file:// copy`);
        fromFile.dispose();

        // 3. TF.js saves to the server; the server keeps exactly what TF.js sent.
        step = 'TF.js saving to the server';
        let sent = null;
        await fromServer.save({ save: async (a) => { sent = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; } });
        await settle();
        const saved = await fromServer.save(`${server.base}/models/js-${name}`);
        assert(saved.responses[0].ok, `${name}: TF.js's save answered ${saved.responses[0].status}`);
        step = "copying TF.js's save out of the server";
        cli(['cp', `${server.base}/models/js-${name}/model.json`, `file://${path.join(out, `js-${name}`)}`], env);
        assertSameArtifacts(readArtifacts(path.join(out, `js-${name}`)), sent, `${name}: what TF.js saved to the server`);
        const resaved = await load(fileHandler(path.join(out, `js-${name}`)), graph);
        const d3 = await checkOutputs(resaved, graph, io, `${name}: TF.js on its own save, copied out of the server`);
        resaved.dispose();
        fromServer.dispose();
        console.log(`ok - ${name} (${graph ? 'graph' : 'layers'} model): ${chain.join(' -> ')} and downloads:// byte-identical${note}; TF.js max |diff| ${Math.max(d1, d2, d3).toExponential(2)}; TF.js's save kept as sent`);
      } catch (e) {
        failures++;
        console.log(`not ok - ${name} (${step}): ${e.message}${e.cause ? ` (${e.cause.code || e.cause.message})` : ""}\n${e.stack}`);
      }
    }
  } finally {
    await server.stop();
  }
  if (failures) {
    console.error(`${failures} of ${names.length} real models failed`);
    process.exit(1);
  }
  console.log(`all ${names.length} real models passed`);
}

main().catch((e) => { console.error(e); process.exit(1); });
