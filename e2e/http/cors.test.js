// Two origins in headless Chromium: a web app served from its own origin (a static server on
// another loopback port) saving to `tfjs serve`.
//  1. Default server: the cross-origin save is refused, and the page can read why (HTTP 403 with
//     the JSON naming `--cors-origin <its origin>`, not `TypeError: Failed to fetch`), also when
//     it sends a token header (preflight); the server logs one WARN naming the origin and flag.
//  2. `--cors-origin <origin>`: the same save succeeds and the model loads back.
//  3. DNS rebinding: a page on http://evil.test:PORT whose name resolves to 127.0.0.1 (Chromium's
//     --host-resolver-rules) is refused by a tokenless server.
'use strict';
const fs = require('fs');
const { chromium } = require('playwright-core');
const { startServer, startStatic, tmpdir, assert } = require('./lib');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>app</title>
<script src="/tf.min.js"></script></head><body><p>app</p></body></html>`;

/** Runs in the page: try to save a small model to `base`, three ways. */
async function trySaves({ base }) {
  const tf = window.tf;
  await tf.setBackend('cpu');
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 2, inputShape: [3], name: 'd' }));
  const out = {};
  try { await model.save(base + '/models/app-model'); out.save = 'saved'; } catch (e) { out.save = String(e); }
  try {
    await model.save(tf.io.http(base + '/models/app-model',
      { requestInit: { headers: { Authorization: 'Bearer not-needed' } } }));
    out.saveWithHeader = 'saved';
  } catch (e) { out.saveWithHeader = String(e); }
  // What the page can read of the refusal.
  const form = new FormData();
  form.append('model.json', new Blob(['{}'], { type: 'application/json' }), 'model.json');
  try {
    const r = await fetch(base + '/models/app-model', { method: 'POST', body: form });
    out.fetchStatus = r.status;
    out.fetchBody = await r.json();
  } catch (e) { out.fetchError = String(e); }
  return out;
}

async function main() {
  const staticServer = await startStatic(PAGE);
  const origin = `http://127.0.0.1:${staticServer.address().port}`;
  const profile = tmpdir('tfjs-e2e-cors-');
  let refusing = await startServer([]);
  let allowing = null;
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP evil.test 127.0.0.1',
      // Newer Chromium also blocks public-to-loopback requests itself (Local Network Access);
      // the server must refuse them on its own (other browsers, older versions), so that
      // browser check is off here.
      '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights'],
  });
  try {
    const page = await context.newPage();
    await page.goto(origin + '/');
    await page.waitForFunction(() => typeof window.tf !== 'undefined');

    // 1. Refused, readably.
    const r1 = await page.evaluate(trySaves, { base: refusing.base });
    assert(/status 403/.test(r1.save), 'save refused with a readable 403: ' + r1.save);
    assert(!/Failed to fetch/.test(r1.saveWithHeader) && /status 403/.test(r1.saveWithHeader),
      'save with a header (preflight) refused with a readable 403: ' + r1.saveWithHeader);
    assert(r1.fetchStatus === 403, 'fetch reads the status: ' + JSON.stringify(r1));
    assert(r1.fetchBody.error.includes('--cors-origin ' + origin),
      'the page reads the JSON naming the flag: ' + JSON.stringify(r1.fetchBody));
    const list = await (await fetch(refusing.base + '/models')).json();
    assert(list.models.length === 0, 'nothing stored');
    const warns = refusing.logs.join('').split('\n').filter((l) => /WARN/.test(l) && l.includes(origin));
    assert(warns.length === 1, 'one WARN for the origin, got:\n' + warns.join('\n'));
    assert(warns[0].includes('--cors-origin ' + origin), 'the WARN names the flag: ' + warns[0]);
    console.log('ok - a page on another origin reads the 403 JSON naming --cors-origin; one WARN logged');

    // 2. Allowed with --cors-origin.
    allowing = await startServer(['--cors-origin', origin]);
    const r2 = await page.evaluate(async ({ base }) => {
      const tf = window.tf;
      const model = tf.sequential();
      model.add(tf.layers.dense({ units: 2, inputShape: [3], name: 'd' }));
      const probe = tf.tensor2d([[1, 2, 3]]);
      const expected = Array.from(await model.predict(probe).data());
      const saved = await model.save(base + '/models/app-model');
      const loaded = await tf.loadLayersModel(base + '/models/app-model/model.json');
      const got = Array.from(await loaded.predict(probe).data());
      return { status: saved.responses[0].status, expected, got };
    }, { base: allowing.base });
    assert(r2.status === 201, 'saved: ' + JSON.stringify(r2));
    assert(JSON.stringify(r2.got) === JSON.stringify(r2.expected), 'loaded back the same model');
    console.log('ok - with --cors-origin the same page saves and loads back');

    // 3. DNS rebinding: the attacker's page, "same-origin" with the server under a rebound name.
    const port = new URL(refusing.base).port;
    const evil = `http://evil.test:${port}`;
    const attack = await context.newPage();
    await attack.route(evil + '/', (route) => route.fulfill({
      status: 200, contentType: 'text/html', body: '<!DOCTYPE html><title>evil</title>',
    }));
    await attack.goto(evil + '/');
    const r3 = await attack.evaluate(async () => {
      const form = new FormData();
      form.append('model.json', new Blob(['{}'], { type: 'application/json' }), 'model.json');
      const post = await fetch('/models/pwned', { method: 'POST', body: form });
      const list = await fetch('/models');
      return { post: post.status, body: await post.json(), list: list.status };
    });
    assert(r3.post === 403 && r3.list === 403, 'rebound requests refused: ' + JSON.stringify(r3));
    assert(r3.body.error.includes('--allowed-host evil.test'), 'names the flag: ' + JSON.stringify(r3.body));
    console.log('ok - a DNS-rebound page (Host evil.test) is refused by a tokenless server');
  } finally {
    await context.close();
    await refusing.stop();
    if (allowing) await allowing.stop();
    staticServer.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log('cors e2e: all passed');
}

main().catch((e) => { console.error('cors e2e FAILED:', e); process.exit(1); });
