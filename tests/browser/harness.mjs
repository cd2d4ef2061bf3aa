// Shared by the browser tests: the real binary on a fresh SQLite demo, and Debian's chromium.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
