// What a person clicks: a school clerk logs in and finds a graduate with the ID masked; a
// graduate binds their record on a phone-sized screen and lands on their home page.
// Runs the real binary (WANGQIAN_BIN) on a fresh SQLite demo; Debian's chromium drives it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser } from './harness.mjs';

let server, base, banner = '', browser;

before(async () => {
  ({ server, base, banner } = await startServer());
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

test('a school clerk logs in and finds graduates with masked ID numbers', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  await page.fill('#login', 'admin19101');
  await page.fill('#password', 'Demo2026');
  await page.click('button[type=submit]');
  await page.waitForSelector('text=学校管理员首页');
  await page.click('text=生源信息管理');
  await page.waitForSelector('text=生源信息管理');
  const cell = await page.locator('td').filter({ hasText: /^\d{6}\*{8}\d{3}[\dX]$/ }).first().textContent();
  assert.match(cell, /^\d{6}\*{8}\d{3}[\dX]$/);
  await page.screenshot({ path: join(tmpdir(), 'wangqian-graduates.png'), fullPage: true });
  await page.close();
});

test('a wrong password shows a Chinese error on the form', async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#login', 'hr1');
  await page.fill('#password', 'not-the-password1');
  await page.click('button[type=submit]');
  await page.waitForSelector('[role=alert]');
  assert.match(await page.locator('[role=alert]').textContent(), /账号或密码错误/);
  await page.close();
});

test('a graduate binds their record on a phone and sees their home page', async () => {
  const m = banner.match(/未绑定示例：(\S+) \/ 学号 (\d+) \/ 身份证 (\w+)/);
  assert.ok(m, 'the banner names an unbound demo graduate');
  const [, name, studentNo, id] = m;
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await page.goto(`${base}/bind`);
  await page.selectOption('#school_id', { label: '江淮大学（19101）' });
  await page.fill('#name', name);
  await page.fill('#student_no', studentNo);
  await page.fill('#id_number', id);
  await page.fill('#password', 'Graduate2027');
  await page.fill('#password_confirm', 'Graduate2027');
  await page.click('button[type=submit]');
  await page.waitForSelector('text=绑定成功');
  await page.waitForSelector('text=我的生源信息');
  assert.ok(!(await page.content()).includes(id), 'the full ID number is never shown');
  await page.screenshot({ path: join(tmpdir(), 'wangqian-graduate-phone.png'), fullPage: true });
  await context.close();
});
