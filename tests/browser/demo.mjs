// The demo end to end in a real browser (issue: dynamic admin API).
//
// Starts the demo backend (boards/demo/backend) and warden in front of it as a
// device would run them: warden started as root, so it jails itself in the web
// root and drops to uid 65534 (checked from /proc before the browser starts),
// /admin and /api behind the demo login, /api proxied, all of it over HTTPS
// (a self-signed certificate made here, as the init scripts do at first start;
// plain HTTP answers 308 to the HTTPS port, --redirect-https). Then Debian's Chromium,
// headless, driven by playwright-core: the status page shows live values from
// the backend, a setting saved on the Network page is there after a reload, a
// firmware upload from the Firmware page comes back with its SHA-256. No
// console error and no CSP violation may happen on the way. A screenshot of
// each page goes to target/ci-artifacts/.
//
// Run by .ci/browser (which installs Chromium and playwright-core):
//   node tests/browser/demo.mjs
// Every process started is stopped by its recorded PID at the end.

import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');
const artifacts = join(repo, 'target/ci-artifacts');
const warden = process.env.WARDEN_BIN || join(repo, 'target/release/warden');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const user = { username: 'admin', password: 'warden-demo' };

const started = [];
const scratch = mkdtempSync(join(tmpdir(), 'warden-browser-'));
let failures = 0;

function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

/** A free loopback port (bound, read, released). */
function freePort() {
  return new Promise((done, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

/** Starts a program; its output is kept for the report. */
function start(name, cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => out.push(d));
  started.push({ name, child, out });
  return child;
}

function output(child) {
  const s = started.find((p) => p.child === child);
  return s ? Buffer.concat(s.out).toString() : '';
}

/** Polls `fn` until it returns true (safety bound, not a performance criterion). */
async function until(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopAll() {
  for (const { child } of started.reverse()) {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}

async function main() {
  mkdirSync(artifacts, { recursive: true });
  if (process.getuid() !== 0) {
    throw new Error('run as root: warden must start as root to jail itself and drop to 65534');
  }
  const backendPort = await freePort();
  const port = await freePort();
  const tlsPort = await freePort();
  // The certificate outside the web root (warden refuses one inside), key mode 600.
  const cert = join(scratch, 'warden.crt');
  const key = join(scratch, 'warden.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-days', '2', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const backend = start('backend', 'python3', [
    join(repo, 'boards/demo/backend/demo-backend.py'),
    '--listen',
    `127.0.0.1:${backendPort}`,
  ]);
  const server = start('warden', warden, [
    '--root', join(repo, 'boards/demo/www'),
    '--listen', `127.0.0.1:${port}`,
    '--listen-tls', `127.0.0.1:${tlsPort}`,
    '--tls-cert', cert,
    '--tls-key', key,
    '--redirect-https',
    '--auth-file', join(repo, 'boards/demo/htpasswd'),
    '--protect', '/admin',
    '--protect', '/api',
    '--proxy', `/api=127.0.0.1:${backendPort}`,
    '--proxy-max-body', '/api/firmware=64m',
  ]);
  await until('warden to listen', () => output(server).includes('listening on https://'));
  await until('the backend to answer', async () => {
    const r = await fetch(`http://127.0.0.1:${backendPort}/api/settings`);
    return r.status === 200;
  });

  // Confined as a device runs it: root → jail → uid 65534, read from outside.
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const uids = status.match(/^Uid:\s+(.*)$/m)[1].split(/\s+/);
  check(uids.every((u) => u === '65534'), `warden runs as uid 65534 (Uid: ${uids.join(' ')})`);
  const jail = realpathSync(join(repo, 'boards/demo/www'));
  const root = readlinkSync(`/proc/${server.pid}/root`);
  check(root === jail, `warden is jailed in the web root (/proc/PID/root: ${root})`);

  const base = `https://127.0.0.1:${tlsPort}`;
  const context = await chromium.launchPersistentContext(join(scratch, 'profile'), {
    executablePath: chromiumPath,
    headless: true,
    httpCredentials: user,
    // The device's self-signed certificate, as a user clicks through it once.
    ignoreHTTPSErrors: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const problems = [];
  // CSP violations are reported to the page as events: record them there.
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  const csp = async () => {
    for (const v of await page.evaluate(() => window.__csp || [])) problems.push(`CSP: ${v}`);
  };
  const ready = () => page.waitForSelector('body[data-state="ready"]', { timeout: 10000 });

  // Plain HTTP is sent to HTTPS before any login is asked for (308).
  const first = await page.goto(`http://127.0.0.1:${port}/`);
  const chain = [];
  for (let r = first.request(); r; r = r.redirectedFrom()) chain.unshift(`${r.url()}`);
  check(page.url() === `${base}/`, `http://127.0.0.1:${port}/ went to ${page.url()} (${chain.join(' -> ')})`);
  const redirect = first.request().redirectedFrom();
  check(redirect && (await redirect.response()).status() === 308, 'through a 308 from the plain listener');
  const tls = await first.securityDetails();
  check(tls && /TLS 1\.[23]/.test(tls.protocol), `the page came over ${tls && tls.protocol} (${tls && tls.subjectName})`);

  // Status: live values from /proc through the backend, and who is logged in.
  await page.goto(`${base}/`);
  await ready();
  await page.waitForFunction(() => /\d/.test(document.querySelector('#st-uptime')?.textContent || ''));
  const uptime = await page.textContent('#st-uptime');
  const load = await page.textContent('#st-load');
  const mem = await page.textContent('#st-mem');
  const who = await page.textContent('#st-user');
  check(/\d/.test(uptime) && /\d/.test(load) && /\d/.test(mem), `status rendered (uptime "${uptime}", load "${load}", memory "${mem}")`);
  check(who.includes('admin'), `the backend saw the logged-in user (X-Remote-User): "${who}"`);
  await page.screenshot({ path: join(artifacts, 'status.png'), fullPage: true });
  await csp();

  // Network: save a setting, reload, see it kept.
  const name = `router-${randomBytes(3).toString('hex')}`;
  await page.goto(`${base}/network.html`);
  await ready();
  await page.fill('#hostname', name);
  await page.click('#net-save');
  await page.waitForFunction(() => /^(Saved|Error:)/.test(document.querySelector('#net-result')?.textContent || ''));
  const saved = await page.textContent('#net-result');
  check(saved.startsWith('Saved'), `settings saved through warden: "${saved}"`);
  await csp();
  await page.reload();
  await ready();
  const kept = await page.inputValue('#hostname');
  check(kept === name, `the setting is there after a reload ("${kept}", want "${name}")`);
  await page.screenshot({ path: join(artifacts, 'network.png'), fullPage: true });
  await csp();

  // Firmware: upload a file, see its size and SHA-256 come back.
  const image = randomBytes(3 * 1024 * 1024 + 17);
  const imagePath = join(scratch, 'firmware.bin');
  writeFileSync(imagePath, image);
  const digest = createHash('sha256').update(image).digest('hex');
  await page.goto(`${base}/firmware.html`);
  await ready();
  await page.setInputFiles('#fw-file', imagePath);
  await page.click('#fw-upload');
  await page.waitForFunction(() => /[0-9a-f]{64}/.test(document.querySelector('#fw-result')?.textContent || ''), null, {
    timeout: 30000,
  });
  const result = await page.textContent('#fw-result');
  check(result.includes(digest), `upload checksum shown (${result.trim()}; want ${digest})`);
  check(result.includes(String(image.length)), `upload size shown (want ${image.length})`);
  await page.screenshot({ path: join(artifacts, 'firmware.png'), fullPage: true });
  await csp();

  // The protected admin page, with the login.
  await page.goto(`${base}/admin/`);
  check((await page.textContent('h1')).includes('Administration'), 'the /admin page loads with the login');
  await csp();

  await context.close();
  check(problems.length === 0, `no console errors or CSP violations${problems.length ? ':\n  ' + problems.join('\n  ') : ''}`);
  check(server.exitCode === null, 'warden still running');
  // The whole session ran under the seccomp allowlist (filter mode 2), none of it killed.
  const seccomp = readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/^Seccomp:\s+(\d+)$/m);
  check(seccomp && seccomp[1] === '2', `warden ran under its seccomp filter (Seccomp: ${seccomp && seccomp[1]})`);
  check(backend.exitCode === null, 'backend still running');
}

try {
  await main();
} catch (e) {
  failures++;
  console.log(`FAIL ${e.stack || e}`);
} finally {
  stopAll();
  for (const { name, out } of started) {
    const text = Buffer.concat(out).toString();
    writeFileSync(join(artifacts, `${name}.log`), text);
    if (failures) console.log(`--- ${name} output (last 40 lines)\n${text.split('\n').slice(-40).join('\n')}`);
  }
  rmSync(scratch, { recursive: true, force: true });
}
console.log(failures ? `browser test: ${failures} failed (screenshots in ${artifacts})` : `browser test: ok (screenshots in ${artifacts})`);
process.exit(failures ? 1 : 0);
