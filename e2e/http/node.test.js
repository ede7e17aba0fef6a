// Node end-to-end: real TensorFlow.js 4.22.0 (pure JS, global fetch) against `tfjs serve`,
// and our Rust http handler (the `tfjs` CLI) against the same server.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const { startServer, cli, tmpdir, assert, assertArraysEqual, concatBuffers } = require('./lib');

const TOKEN = 'e2e-node-token-' + process.pid;

function makeModel() {
  const model = tf.sequential({ name: 'e2e_node' });
  model.add(tf.layers.dense({ units: 8, inputShape: [4], activation: 'relu', name: 'hidden' }));
  model.add(tf.layers.batchNormalization({ name: 'bn' }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }));
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

async function main() {
  tf.setBackend('cpu');
  await tf.ready();
  const server = await startServer(['--token', TOKEN]);
  const auth = { headers: { Authorization: 'Bearer ' + TOKEN } };
  const base = server.base;
  try {
    // 1. TF.js trains and saves over HTTP (what model.save('http://…') sends).
    const model = makeModel();
    const xs = tf.tensor2d(Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 7) / 7, (i % 3) - 1]));
    const ys = tf.oneHot(tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 3), 'int32'), 3).toFloat();
    await model.fit(xs, ys, { epochs: 5, batchSize: 16, verbose: 0, shuffle: false });
    const probe = tf.tensor2d([[1, 2, 3, 4], [-1, 0.5, 2, -3], [0, 0, 0, 0]]);
    const expected = await model.predict(probe).data();

    const saved = await model.save(tf.io.http(base + '/models/node-model', { requestInit: auth }));
    assert(saved.responses[0].status === 201, 'save answered ' + saved.responses[0].status);
    const answer = await saved.responses[0].json();
    assert(answer.version === 1 && answer.weightDataBytes === saved.modelArtifactsInfo.weightDataBytes,
      'server info matches TF.js info: ' + JSON.stringify(answer));
    assert(answer.modelTopologyBytes === saved.modelArtifactsInfo.modelTopologyBytes, 'topology bytes agree');
    assert(answer.weightSpecsBytes === saved.modelArtifactsInfo.weightSpecsBytes, 'weight specs bytes agree');
    console.log('ok - TF.js saved over HTTP:', JSON.stringify(answer));

    // 2. TF.js loads it back and predicts identically.
    const loaded = await tf.loadLayersModel(base + '/models/node-model/model.json');
    assertArraysEqual(await loaded.predict(probe).data(), expected, 'reloaded prediction');
    const loadedV1 = await tf.loadLayersModel(base + '/models/node-model/v1/model.json');
    assertArraysEqual(await loadedV1.predict(probe).data(), expected, 'v1 prediction');
    console.log('ok - TF.js loaded latest and v1, predictions identical');

    // The artifacts TF.js gets back (through the content-addressed blobs).
    const tfArtifacts = await tf.io.http(base + '/models/node-model/model.json').load();
    const tfBytes = concatBuffers(tfArtifacts.weightData);

    // 3. Our Rust http handler loads the same model from the server: identical weights.
    const info = JSON.parse(cli(['--json', 'info', base + '/models/node-model/model.json']));
    assert(info && typeof info === 'object', 'tfjs info printed JSON');
    const out = tmpdir('tfjs-e2e-out-');
    cli(['convert', base + '/models/node-model/model.json', 'file://' + out]);
    const rustBytes = fs.readFileSync(path.join(out, 'weights.bin'));
    assert(Buffer.compare(rustBytes, tfBytes) === 0, 'weights fetched by the Rust handler equal TF.js\'s');
    const rustJson = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    assert(JSON.stringify(rustJson.modelTopology) === JSON.stringify(tfArtifacts.modelTopology), 'topology identical');
    console.log('ok - Rust handler loaded identical weights (' + rustBytes.length + ' bytes)');

    // 4. Our Rust handler saves to the server (token via TFJS_HTTP_AUTHORIZATION); TF.js loads it.
    cli(['convert', 'file://' + out, base + '/models/from-rust'], { TFJS_HTTP_AUTHORIZATION: 'Bearer ' + TOKEN });
    const fromRust = await tf.loadLayersModel(base + '/models/from-rust/model.json');
    assertArraysEqual(await fromRust.predict(probe).data(), expected, 'prediction of the Rust-saved model');
    console.log('ok - TF.js loaded the model saved by the Rust handler, predictions identical');

    // 5. Saving again makes v2; latest moves, v1 stays.
    model.layers[2].setWeights(model.layers[2].getWeights().map((w) => w.mul(2)));
    const expected2 = await model.predict(probe).data();
    const s2 = await model.save(tf.io.http(base + '/models/node-model', { requestInit: auth }));
    assert((await s2.responses[0].json()).version === 2, 'second save is v2');
    const latest = await tf.loadLayersModel(base + '/models/node-model/model.json');
    assertArraysEqual(await latest.predict(probe).data(), expected2, 'latest = v2');
    const v1 = await tf.loadLayersModel(base + '/models/node-model/v1/model.json');
    assertArraysEqual(await v1.predict(probe).data(), expected, 'v1 unchanged');
    const list = await (await fetch(base + '/models')).json();
    const entry = list.models.find((m) => m.name === 'node-model');
    assert(entry && entry.latest === 2 && entry.versions.length === 2, 'listing: ' + JSON.stringify(list));
    console.log('ok - versions: latest is v2, v1 still served');

    // 6. Refusals as TF.js reports them; nothing stored.
    let err = null;
    try { await model.save(base + '/models/no-token'); } catch (e) { err = e; }
    assert(err && /status 401/.test(err.message), 'no token: ' + err);
    err = null;
    try { await model.save(tf.io.http(base + '/models/bad-token', { requestInit: { headers: { Authorization: 'Bearer wrong' } } })); } catch (e) { err = e; }
    assert(err && /status 401/.test(err.message), 'wrong token: ' + err);
    const after = await (await fetch(base + '/models')).json();
    assert(!after.models.some((m) => m.name === 'no-token' || m.name === 'bad-token'), 'refused saves stored nothing');
    console.log('ok - saves without/with a wrong token refused (401), nothing stored');

    const logLines = server.logs.join('').split('\n').filter((l) => l.includes('request'));
    assert(logLines.length >= 10, 'one log line per request');
  } finally {
    await server.stop();
  }
  console.log('node e2e: all passed');
}

main().catch((e) => { console.error('node e2e FAILED:', e); process.exit(1); });
