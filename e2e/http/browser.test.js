// Browser end-to-end: TensorFlow.js 4.22.0 (dist/tf.min.js from the npm package) in Debian's
// headless Chromium, driven by playwright-core (no browser download), against `tfjs serve`.
// The test page comes from a separate static server (another origin), so CORS and the
// token are exercised exactly as a real web app would.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { startServer, startStatic, cli, tmpdir, assert, ARTIFACTS } = require('./lib');

const TOKEN = 'e2e-browser-token-' + process.pid;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>tfjs e2e</title>
<script src="/tf.min.js"></script></head><body><p id="ready">ready</p></body></html>`;

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const staticServer = await startStatic(PAGE);
  const origin = `http://127.0.0.1:${staticServer.address().port}`;
  const server = await startServer(['--token', TOKEN, '--cors-origin', origin]);
  const base = server.base;
  const profile = tmpdir('tfjs-e2e-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
    // The deliberate save without a token logs one "401" resource error; nothing else may.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push('console.error: ' + m.text());
    });
    await page.goto(origin + '/');
    await page.waitForFunction(() => typeof window.tf !== 'undefined');

    const result = await page.evaluate(async ({ base, token }) => {
      const tf = window.tf;
      await tf.setBackend('cpu');
      const model = tf.sequential({ name: 'browser_model' });
      model.add(tf.layers.dense({ units: 6, inputShape: [3], activation: 'tanh', name: 'd1' }));
      model.add(tf.layers.dense({ units: 2, activation: 'softmax', name: 'd2' }));
      model.compile({ optimizer: tf.train.sgd(0.3), loss: 'categoricalCrossentropy' });
      const xs = tf.tensor2d([[0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 1], [0.5, 0.2, 0.1], [0.9, 0.1, 0.4]]);
      const ys = tf.tensor2d([[1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]]);
      await model.fit(xs, ys, { epochs: 20, verbose: 0, shuffle: false });
      const probe = tf.tensor2d([[0.1, 0.2, 0.3], [1, -1, 0.5]]);
      const expected = Array.from(await model.predict(probe).data());
      const requestInit = { headers: { Authorization: 'Bearer ' + token } };
      const saved = await model.save(tf.io.http(base + '/models/browser-model', { requestInit }));
      const answer = await saved.responses[0].json();
      const loaded = await tf.loadLayersModel(base + '/models/browser-model/model.json');
      const got = Array.from(await loaded.predict(probe).data());
      let refused = null;
      try { await model.save(base + '/models/browser-no-token'); } catch (e) { refused = e.message; }
      return { expected, got, answer, status: saved.responses[0].status, info: saved.modelArtifactsInfo, refused };
    }, { base, token: TOKEN });

    assert(result.status === 201, 'save status ' + result.status);
    assert(result.answer.version === 1, 'version 1: ' + JSON.stringify(result.answer));
    assert(result.answer.weightDataBytes === result.info.weightDataBytes, 'weight bytes agree');
    assert(result.answer.modelTopologyBytes === result.info.modelTopologyBytes, 'topology bytes agree');
    assert(JSON.stringify(result.got) === JSON.stringify(result.expected),
      `predictions differ: ${result.got} vs ${result.expected}`);
    assert(/status 401/.test(result.refused || ''), 'save without token refused: ' + result.refused);
    console.log('ok - Chromium trained, saved over HTTP (cross-origin, token), reloaded; predictions identical');

    // Our Rust handler reads what the browser stored.
    const info = JSON.parse(cli(['--json', 'info', base + '/models/browser-model/model.json']));
    assert(info && typeof info === 'object', 'tfjs info');
    console.log('ok - tfjs info reads the browser-saved model over HTTP');

    // A graph model (a published one from ../shared/fixtures/real) copied to the server by the
    // CLI: Chromium's TF.js loads it over HTTP, runs it, keeps it in its own IndexedDB and
    // uploads it back; the server hands out exactly the weights it was given.
    const realDir = path.resolve(__dirname, '../../../shared/fixtures/real/emotion');
    const io = JSON.parse(fs.readFileSync(path.join(realDir, 'io.json'), 'utf8'));
    cli(['cp', realDir, base + '/models/graph-emotion'], { TFJS_HTTP_AUTHORIZATION: 'Bearer ' + TOKEN });
    const graph = await page.evaluate(async ({ base, token, io }) => {
      const tf = window.tf;
      const run = async (m) => {
        const feed = {};
        for (const t of io.inputs) feed[t.name] = tf.tensor(t.data, t.shape, t.dtype);
        const ys = m.execute(feed, io.outputs.map((o) => o.name));
        return Promise.all((Array.isArray(ys) ? ys : [ys]).map(async (y) => Array.from(await y.data())));
      };
      const fromServer = await tf.loadGraphModel(base + '/models/graph-emotion/model.json');
      const out = await run(fromServer);
      await fromServer.save('indexeddb://graph-emotion');
      const fromIdb = await tf.loadGraphModel('indexeddb://graph-emotion');
      const outIdb = await run(fromIdb);
      const requestInit = { headers: { Authorization: 'Bearer ' + token } };
      const saved = await fromIdb.save(tf.io.http(base + '/models/graph-emotion-idb', { requestInit }));
      return { out, outIdb, status: saved.responses[0].status };
    }, { base, token: TOKEN, io });
    const tol = io.tolerance;
    io.outputs.forEach((o, k) => o.data.forEach((want, i) => {
      for (const got of [graph.out[k][i], graph.outIdb[k][i]]) {
        assert(Math.abs(got - want) <= tol.atol + tol.rtol * Math.abs(want), `graph model output ${o.name}[${i}]: ${got} vs ${want}`);
      }
    }));
    assert(graph.status === 201, 'graph model upload from IndexedDB: ' + graph.status);
    const orig = fs.readFileSync(path.join(realDir, 'emotion.bin'));
    for (const name of ['graph-emotion', 'graph-emotion-idb']) {
      const dir = path.join(tmpdir('tfjs-e2e-graph-'), name);
      cli(['cp', `${base}/models/${name}/model.json`, 'file://' + dir]);
      assert(fs.readFileSync(path.join(dir, 'weights.bin')).equals(orig), `${name}: weight bytes differ from the published shard`);
    }
    const listed = (await (await fetch(base + '/models')).json()).models.find((m) => m.name === 'graph-emotion');
    assert(listed && /graph/.test(JSON.stringify(listed)), 'the server lists graph-emotion as a graph model: ' + JSON.stringify(listed));
    console.log('ok - Chromium loads a graph model from the server, runs it as io.json says, keeps it in IndexedDB and uploads it back byte for byte');

    // The web page lists it, with no JS errors.
    const ui = await context.newPage();
    ui.on('pageerror', (e) => errors.push('pageerror (/): ' + e.message));
    ui.on('console', (m) => { if (m.type() === 'error') errors.push('console.error (/): ' + m.text()); });
    await ui.goto(base + '/');
    const row = await ui.locator('tr[data-model="browser-model"]').count();
    assert(row === 1, 'model listed on /');
    const text = await ui.locator('tr[data-model="browser-model"]').innerText();
    assert(/Dense/.test(text), 'layer summary shown: ' + text);
    await ui.screenshot({ path: path.join(ARTIFACTS, 'serve-index.png'), fullPage: true });
    await ui.goto(base + '/view/browser-model');
    assert(await ui.locator('section.version[data-version="1"]').count() === 1, 'detail page shows v1');
    await ui.screenshot({ path: path.join(ARTIFACTS, 'serve-detail.png'), fullPage: true });

    // Delete through the page's button with the token typed in.
    ui.on('dialog', (d) => d.accept());
    await ui.fill('#token', TOKEN);
    await ui.dispatchEvent('#token', 'change');
    await Promise.all([ui.waitForURL(base + '/'), ui.click('button.delete[data-url="/models/browser-model/v1"]')]);
    assert(await ui.locator('tr[data-model="browser-model"]').count() === 0, 'deleted from the page');
    const list = await (await fetch(base + '/models')).json();
    assert(!list.models.some((m) => m.name === 'browser-model'), 'deleted on the server');
    console.log('ok - web page lists the model, detail page, delete button works');

    assert(errors.length === 0, 'no JS errors: ' + errors.join('\n'));
    console.log('ok - no JS errors; screenshots in ' + ARTIFACTS);
  } finally {
    await context.close();
    await server.stop();
    staticServer.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log('browser e2e: all passed');
}

main().catch((e) => { console.error('browser e2e FAILED:', e); process.exit(1); });
