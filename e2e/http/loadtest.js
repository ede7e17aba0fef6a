// Load test for `tfjs serve` (run through scripts/loadtest.sh). Loopback only, bounded in time.
//
// Phase 1: READERS clients download the model (model.json + every blob) in a loop for SECONDS.
// Phase 2: the same reads against nginx serving the same files statically (if nginx exists).
// Phase 3: readers again while WRITERS clients upload new versions continuously; every
//          download is checked: each blob's sha256 equals its name and the blobs add up to
//          exactly the manifest's byte count (no torn model), and every upload must succeed.
// Reports requests/s and latency percentiles; exits 1 on any error.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const { startServer, tmpdir } = require('./lib');

const SECONDS = Number(process.env.SECONDS_PER_PHASE || 8);
const READERS = Number(process.env.READERS || 32);
const WRITERS = Number(process.env.WRITERS || 2);
const WEIGHT_BYTES = Number(process.env.WEIGHT_BYTES || (6 << 20)); // 2 blobs of 4 MiB max
const TOKEN = 'loadtest-' + process.pid;

const agent = new http.Agent({ keepAlive: true, maxSockets: READERS + WRITERS + 4 });

function request(url, { method = 'GET', headers = {}, body = null } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    if (body) req.end(body); else req.end();
  });
}

function modelJson(weightBytes) {
  const n = weightBytes / 4;
  return {
    modelTopology: { class_name: 'Sequential', config: { name: 'lt', layers: [{ class_name: 'Dense', config: { name: 'd', units: n / 4, batch_input_shape: [null, 4], use_bias: false } }] }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers v4.22.0', convertedBy: null,
    weightsManifest: [{ paths: ['./model.weights.bin'], weights: [{ name: 'd/kernel', shape: [4, n / 4], dtype: 'float32' }] }],
  };
}

function multipart(json, weights) {
  const b = '----loadtest' + crypto.randomBytes(8).toString('hex');
  const head = (name, ct) => Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}"\r\nContent-Type: ${ct}\r\n\r\n`);
  const body = Buffer.concat([head('model.json', 'application/json'), Buffer.from(JSON.stringify(json)), Buffer.from('\r\n'),
    head('model.weights.bin', 'application/octet-stream'), weights, Buffer.from(`\r\n--${b}--\r\n`)]);
  return { body, type: `multipart/form-data; boundary=${b}` };
}

async function upload(base, seed) {
  const weights = crypto.createHash('sha256').update(String(seed)).digest();
  const buf = Buffer.alloc(WEIGHT_BYTES);
  for (let i = 0; i < buf.length; i += 32) weights.copy(buf, i);
  buf.writeUInt32LE(seed >>> 0, 0);
  const { body, type } = multipart(modelJson(WEIGHT_BYTES), buf);
  return request(base + '/models/lt', { method: 'POST', body, headers: { 'content-type': type, 'content-length': body.length, authorization: 'Bearer ' + TOKEN } });
}

/** Download model.json + blobs; verify; return the number of requests made. */
async function downloadOnce(modelUrl, lat, check) {
  let t = process.hrtime.bigint();
  const r = await request(modelUrl);
  lat.push(Number(process.hrtime.bigint() - t) / 1e6);
  if (r.status !== 200) throw new Error(`model.json: HTTP ${r.status}`);
  const j = JSON.parse(r.body);
  const expected = j.weightsManifest[0].weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  let total = 0;
  for (const p of j.weightsManifest[0].paths) {
    const url = new URL(p, modelUrl).toString();
    t = process.hrtime.bigint();
    const b = await request(url);
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (b.status !== 200) throw new Error(`${url}: HTTP ${b.status}`);
    if (check) {
      const want = /sha256-([0-9a-f]{64})\.bin$/.exec(p)[1];
      const got = crypto.createHash('sha256').update(b.body).digest('hex');
      if (got !== want) throw new Error(`${url}: torn blob (sha256 ${got})`);
    }
    total += b.body.length;
  }
  if (total !== expected) throw new Error(`torn model: blobs hold ${total} bytes, manifest says ${expected}`);
  return 1 + j.weightsManifest[0].paths.length;
}

function pct(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;
}

async function readPhase(name, modelUrl, check, writerFn) {
  const lat = [];
  const errors = [];
  let requests = 0;
  const end = Date.now() + SECONDS * 1000;
  const t0 = Date.now();
  const readers = Array.from({ length: READERS }, async () => {
    while (Date.now() < end) {
      try { const n = await downloadOnce(modelUrl, lat, check); requests += n; } catch (e) { errors.push(e.message); }
    }
  });
  const writeLat = [];
  const writers = writerFn ? Array.from({ length: WRITERS }, (_, w) => writerFn(end, writeLat, errors, w)) : [];
  await Promise.all([...readers, ...writers]);
  const secs = (Date.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  writeLat.sort((a, b) => a - b);
  const res = {
    phase: name, seconds: secs, requests, errors: errors.length, firstErrors: [...new Set(errors)].slice(0, 5),
    rps: Math.round(requests / secs), p50_ms: +pct(lat, 0.5).toFixed(2), p99_ms: +pct(lat, 0.99).toFixed(2),
  };
  if (writerFn) Object.assign(res, { uploads: writeLat.length, upload_p99_ms: +pct(writeLat, 0.99).toFixed(1) });
  console.log(JSON.stringify(res));
  return res;
}

function freePort() {
  return new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
}

async function startNginx(root) {
  const bin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
  if (!bin) return null;
  const port = await freePort();
  const dir = tmpdir('tfjs-lt-nginx-');
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, `daemon off; worker_processes auto; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; keepalive_requests 100000; types { application/json json; application/octet-stream bin; }
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port}; root ${root}; etag on; } }`);
  fs.chmodSync(dir, 0o755);
  for (let d = root; d !== path.dirname(d); d = path.dirname(d)) { try { fs.chmodSync(d, fs.statSync(d).mode | 0o055); } catch { break; } }
  const user = process.getuid && process.getuid() === 0 ? ['-g', 'user root;'] : [];
  const proc = spawn(bin, ['-c', conf, '-p', dir, ...user], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    try { await request(`http://127.0.0.1:${port}/`); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  return { port, proc };
}

async function main() {
  const logFile = path.join(tmpdir('tfjs-lt-log-'), 'serve.log');
  const server = await startServer(['--token', TOKEN, '--idle-timeout', '60'], {}, logFile);
  const base = server.base;
  const results = [];
  try {
    const r = await upload(base, 1);
    if (r.status !== 201) throw new Error('initial upload: ' + r.status + ' ' + r.body);
    const modelUrl = base + '/models/lt/model.json';
    results.push(await readPhase('tfjs-serve read-only', modelUrl, false));

    // Same files, served statically by nginx.
    const root = tmpdir('tfjs-lt-www-');
    const mj = (await request(modelUrl)).body;
    fs.mkdirSync(path.join(root, 'models/lt'), { recursive: true });
    fs.mkdirSync(path.join(root, 'blobs'), { recursive: true });
    fs.writeFileSync(path.join(root, 'models/lt/model.json'), mj);
    for (const p of JSON.parse(mj).weightsManifest[0].paths) {
      const u = new URL(p, modelUrl);
      fs.writeFileSync(path.join(root, u.pathname), (await request(u.toString())).body);
    }
    const ngx = await startNginx(root);
    if (ngx) {
      try { results.push(await readPhase('nginx read-only (same files)', `http://127.0.0.1:${ngx.port}/models/lt/model.json`, false)); } finally { ngx.proc.kill('SIGTERM'); }
    } else {
      console.log(JSON.stringify({ phase: 'nginx', skipped: 'nginx not installed' }));
    }

    let seed = 100;
    results.push(await readPhase('tfjs-serve reads + uploads (verified)', modelUrl, true, async (end, lat, errors) => {
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        try {
          const u = await upload(base, seed++);
          if (u.status !== 201) errors.push('upload HTTP ' + u.status + ' ' + u.body.toString().slice(0, 200));
        } catch (e) { errors.push('upload: ' + e.message); }
        lat.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }));
    const list = JSON.parse((await request(base + '/models')).body);
    console.log(JSON.stringify({ versions_stored: list.models[0].versions.length }));
  } finally {
    await server.stop();
  }
  const failed = results.filter((r) => r.errors > 0);
  if (failed.length) { console.error('LOAD TEST FAILED: errors in', failed.map((f) => f.phase).join(', ')); process.exit(1); }
  console.log('load test: zero errors');
}

main().catch((e) => { console.error('load test FAILED:', e); process.exit(1); });
