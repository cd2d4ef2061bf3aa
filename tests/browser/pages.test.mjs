// What a person clicks: a school clerk logs in, finds a graduate with the ID masked and is asked
// before unbinding one; a graduate binds their record on a phone-sized screen and lands on their
// home page; an employer draws a signature on the pad. No page may break the CSP.
// Runs the real binary (WANGQIAN_BIN) on a fresh SQLite demo; Debian's chromium drives it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, logIn, newPage, assertNoCspViolations } from './harness.mjs';

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
  const page = await newPage(browser);
  await page.goto(`${base}/`);
  await page.fill('#login', 'admin19101');
  await page.fill('#password', 'Demo2026');
  await page.click('button[type=submit]');
  await page.waitForSelector('text=学校管理员首页');
  await page.click('text=生源信息管理');
  await page.waitForSelector('text=生源信息管理');
  const cell = await page.locator('td').filter({ hasText: /^\d{6}\*{8}\d{3}[\dX]$/ }).first().textContent();
  assert.match(cell, /^\d{6}\*{8}\d{3}[\dX]$/);
  // The stylesheet is served and applied (no inline <style> any more).
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('header')).backgroundColor),
    'rgb(176, 38, 44)');
  await page.screenshot({ path: join(tmpdir(), 'wangqian-graduates.png'), fullPage: true });

  // Unbinding asks first (a script on data-confirm, not an inline onsubmit): cancel keeps it …
  const bound = banner.match(/毕业生\s+(\d{17}[\dX])\s+([^，\s]+)，学号/);
  assert.ok(bound, 'the banner names the bound demo graduate');
  await page.fill('#keyword', bound[2]);
  await page.click('button:has-text("查询")');
  const unbind = page.locator('form[data-confirm] button').first();
  await unbind.waitFor();
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await unbind.click();
  await page.waitForTimeout(500);
  assert.match(asked, /确定解除该毕业生的账号绑定/);
  assert.equal(await page.locator('text=已解除绑定').count(), 0, 'cancelled: nothing was sent');
  // … and OK unbinds.
  page.once('dialog', (d) => d.accept());
  await unbind.click();
  await page.waitForSelector('text=已解除绑定');
  await page.close();
  assertNoCspViolations();
});

test('a wrong password shows a Chinese error on the form', async () => {
  const page = await newPage(browser);
  await page.goto(`${base}/login`);
  await page.fill('#login', 'hr1');
  await page.fill('#password', 'not-the-password1');
  await page.click('button[type=submit]');
  await page.waitForSelector('[role=alert]');
  assert.match(await page.locator('[role=alert]').textContent(), /账号或密码错误/);
  await page.close();
  assertNoCspViolations();
});

test('a graduate binds their record on a phone and sees their home page', async () => {
  const m = banner.match(/未绑定示例：(\S+) \/ 学号 (\d+) \/ 身份证 (\w+)/);
  assert.ok(m, 'the banner names an unbound demo graduate');
  const [, name, studentNo, id] = m;
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await newPage(context);
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
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    'the home page fits the phone without sideways scrolling');
  await page.screenshot({ path: join(tmpdir(), 'wangqian-graduate-phone.png'), fullPage: true });
  await context.close();
  assertNoCspViolations();
});

test('an employer draws a signature on the pad and sees it saved', async () => {
  const page = await newPage(browser);
  await logIn(page, base, 'hr1');
  await page.click('header >> text=签名与印章');
  const card = page.locator('#employer_signature');
  const pad = card.locator('canvas.signature-pad');
  // The stylesheet frames the pad now that it has no style attribute.
  assert.equal(await pad.evaluate((c) => getComputedStyle(c).borderTopStyle), 'dashed');
  // An empty pad is refused by the script before anything is sent.
  let alerted = '';
  page.once('dialog', (d) => { alerted = d.message(); d.dismiss(); });
  await card.locator('button[type=submit]').click();
  await page.waitForTimeout(300);
  assert.match(alerted, /请先在签名板上签名/);
  const box = await pad.boundingBox();
  await page.mouse.move(box.x + 20, box.y + 20);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 8 });
  await page.mouse.move(box.x + box.width - 20, box.y + 30, { steps: 8 });
  await page.mouse.up();
  await card.locator('button[type=submit]').click();
  await page.waitForSelector('text=单位经办人签名已保存');
  const img = page.locator('#employer_signature img.signature-current');
  await img.waitFor();
  assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'the saved signature shows');
  await page.screenshot({ path: join(tmpdir(), 'wangqian-signature.png'), fullPage: true });
  await page.close();
  assertNoCspViolations();
});
