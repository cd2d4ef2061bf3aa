// Shared by the browser tests: the real binary on a fresh SQLite demo, and Debian's chromium.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'wangqian-browser-'));
  const server = spawn(process.env.WANGQIAN_BIN, ['serve', '--demo', '--bind', '127.0.0.1:0'], {
    env: { ...process.env, WANGQIAN_DATA_DIR: dir, DATABASE_URL: `sqlite://${dir}/demo.db`, WANGQIAN_LOG: 'warn' },
  });
  let banner = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start:\n' + banner)), 60000);
    server.stdout.on('data', (d) => {
      banner += d.toString();
      const m = banner.match(/http:\/\/(127\.0\.0\.1:\d+)\//);
      if (m && banner.includes('Ctrl-C')) { clearTimeout(timer); resolve(`http://${m[1]}`); }
    });
    server.on('exit', (code) => reject(new Error(`server exited ${code}:\n${banner}`)));
  });
  return { server, base, banner };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function logIn(page, base, login, password = 'Demo2026') {
  await page.goto(`${base}/login`);
  await page.fill('#login', login);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('text=退出');
}

// What the pages broke of the Content Security Policy: Chromium reports each blocked inline
// style, script or handler as a console error. Every page is opened through newPage(), and
// every test ends with assertNoCspViolations().
const cspViolations = [];

/** A page of `owner` (the browser or a context) whose CSP violations are collected. */
export async function newPage(owner, options) {
  const page = await owner.newPage(options);
  page.on('console', (m) => {
    if (m.type() === 'error' && m.text().includes('Content Security Policy')) {
      cspViolations.push(`${page.url()}: ${m.text()}`);
    }
  });
  return page;
}

/** Fails on any violation collected since the last call (and forgets them). */
export function assertNoCspViolations() {
  assert.deepEqual(cspViolations.splice(0), [], 'a page broke the Content Security Policy');
}

/** The cohort that graduates next summer by China time (the demo's, as the server reckons it). */
export function cohort(now = new Date()) {
  const china = new Date(now.getTime() + 8 * 3600 * 1000);
  return china.getUTCMonth() + 1 >= 9 ? china.getUTCFullYear() + 1 : china.getUTCFullYear();
}

/**
 * A browser context logged in as `login` through the JSON API, for setting data up faster
 * than clicking: `call(method, path, body)` sends JSON with the session's CSRF token and
 * answers { status, body }; pages opened in `context` share the session.
 */
export async function apiSession(browser, base, login, password = 'Demo2026') {
  return apiSessionBy(browser, base, '/api/session', { login, password });
}

/**
 * The same for a session that another request opens (binding a graduate: `/api/graduates/bind`),
 * which must answer the session with its CSRF token.
 */
export async function apiSessionBy(browser, base, path, body) {
  const context = await browser.newContext();
  const r = await context.request.post(`${base}${path}`, { data: body });
  assert.ok([200, 201].includes(r.status()), `${path}: ${r.status()} ${await r.text()}`);
  const { csrf_token: csrf } = await r.json();
  async function call(method, where, data) {
    const res = await context.request.fetch(`${base}${where}`, {
      method, data, headers: { 'x-csrf-token': csrf },
    });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = text; }
    return { status: res.status(), body: json };
  }
  return { context, csrf, call };
}

/** A real PNG of `width`×`height` (a red-to-blue gradient), so a thumbnail has a size to load. */
export function pngImage(width = 40, height = 30) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([Math.round((255 * x) / width), 64, Math.round((255 * y) / height)], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Checks that `img` is an upload thumbnail that really loaded, linking to its full size. */
export async function assertThumbnail(img, width) {
  await img.scrollIntoViewIfNeeded();
  await img.evaluate((i) => (i.complete ? null : new Promise((ok) => { i.onload = ok; i.onerror = ok; })));
  const shown = await img.evaluate((i) => ({ w: i.naturalWidth, src: i.getAttribute('src'), href: i.closest('a')?.getAttribute('href') }));
  assert.ok(shown.w > 0, `the thumbnail ${shown.src} loaded`);
  if (width) assert.equal(shown.w, width, 'the thumbnail is the uploaded image');
  assert.match(shown.src, /^\/api\/uploads\/[^/]+$/);
  assert.equal(shown.href, shown.src, 'the thumbnail opens the full-size image');
}
