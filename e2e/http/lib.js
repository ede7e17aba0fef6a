// Shared helpers for the HTTP end-to-end tests: start `tfjs serve`, run the CLI.
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '../..');
const TFJS_BIN = process.env.TFJS_BIN || path.join(ROOT, 'target/debug/tfjs');
const ARTIFACTS = path.join(ROOT, 'target/e2e-artifacts');

function tmpdir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Start `tfjs serve` on a free loopback port; resolves {base, proc, stop}. */
/** With `logFile`, the server's log goes to that file instead of a pipe (a pipe that the
 *  busy test process drains late would throttle the server's logging). */
function startServer(extraArgs = [], env = {}, logFile = null) {
  const store = tmpdir('tfjs-serve-store-');
  const args = ['serve', '--addr', '127.0.0.1:0', '--store', 'file://' + store, ...extraArgs];
  const proc = spawn(TFJS_BIN, args, {
    env: { ...process.env, TFJS_LOG: 'info', ...env },
    stdio: ['ignore', 'pipe', logFile ? fs.openSync(logFile, 'w') : 'pipe'],
  });
  const logs = [];
  if (proc.stderr) proc.stderr.on('data', (d) => logs.push(d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('tfjs serve did not start:\n' + logs.join(''))), 30000);
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d.toString();
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve({
          base: m[1],
          store,
          proc,
          logs,
          stop: () => new Promise((res) => { proc.once('exit', res); proc.kill('SIGTERM'); }),
        });
      }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`tfjs serve exited with ${code}:\n${logs.join('')}`)); });
  });
}

/** Run the tfjs CLI; returns stdout (throws with stderr on failure). */
function cli(args, env = {}) {
  try {
    return execFileSync(TFJS_BIN, args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`tfjs ${args.join(' ')} failed (${e.status}):\n${e.stderr}`);
  }
}

/** A static server on a free 127.0.0.1 port (a web app's own origin): `page` at `/`,
 *  TensorFlow.js's tf.min.js at `/tf.min.js`. Resolves the http.Server. */
function startStatic(page) {
  const http = require('http');
  const tfjs = require.resolve('@tensorflow/tfjs/dist/tf.min.js');
  const server = http.createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else if (req.url === '/tf.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      fs.createReadStream(tfjs).pipe(res);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function assert(cond, msg) {
  if (!cond) throw new Error('assertion failed: ' + msg);
}

function assertArraysEqual(a, b, what) {
  assert(a.length === b.length, `${what}: lengths ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) throw new Error(`${what}: element ${i} differs: ${a[i]} vs ${b[i]}`);
  }
}

function concatBuffers(weightData) {
  const bufs = Array.isArray(weightData) ? weightData : [weightData];
  const total = bufs.reduce((n, b) => n + b.byteLength, 0);
  const out = Buffer.alloc(total);
  let off = 0;
  for (const b of bufs) { Buffer.from(b).copy(out, off); off += b.byteLength; }
  return out;
}

module.exports = { ROOT, TFJS_BIN, ARTIFACTS, tmpdir, startServer, startStatic, cli, assert, assertArraysEqual, concatBuffers };
