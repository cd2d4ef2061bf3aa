// What a province clerk and a new employer click (issue 10): the province registers a school and
// its administrator on the pages, whose first login leads to the password change; a verified
// employer is asked once for its signing defaults, which then fill the invitation form.
// Runs the real binary (WANGQIAN_BIN) on a fresh SQLite demo; Debian's chromium drives it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, logIn, newPage, assertNoCspViolations } from './harness.mjs';

let server, base, browser;

before(async () => {
  ({ server, base } = await startServer());
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

test('the province registers a school and its administrator, who must change the password first', async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  await logIn(page, base, 'province');
  await page.click('text=院校管理');
  await page.waitForSelector('h1:has-text("院校管理")');

  // Mistakes the browser lets through come back all at once, each next to its field, with what
  // was typed kept.
  await page.fill('#code', '1999');
  await page.fill('#name', '皖南理工学院');
  await page.selectOption('#province', '安徽省');
  await page.fill('#postcode', '99');
  await page.click('button:has-text("新增院校")');
  await page.waitForSelector('.errors');
  assert.match(await page.locator('.errors').textContent(), /请修改以下 2 处/);
  assert.ok(await page.locator('#postcode-error').isVisible());
  assert.equal(await page.inputValue('#name'), '皖南理工学院');
  assert.ok(await page.locator('#code-error').isVisible());

  assert.equal(await page.inputValue('#province'), '安徽省');
  await page.fill('#code', '19996');
  await page.fill('#postcode', '241000');
  await page.click('button:has-text("新增院校")');
  await page.waitForSelector('h1:has-text("皖南理工学院（19996）")');

  await page.fill('#login_name', 'wn_admin');
  await page.fill('#display_name', '陈老师');
  await page.fill('#password', 'Start2026ok');
  await page.click('button:has-text("创建")');
  await page.waitForSelector('td:has-text("wn_admin")');
  assert.match(await page.locator('tr', { hasText: 'wn_admin' }).textContent(), /尚未修改初始密码/);
  await context.close();

  // The new administrator is sent to change the initial password before anything else.
  const admin = await newPage(browser);
  await admin.goto(`${base}/login`);
  await admin.fill('#login', 'wn_admin');
  await admin.fill('#password', 'Start2026ok');
  await admin.click('button[type=submit]');
  await admin.waitForURL(/\/account\/password/);
  await admin.close();
  assertNoCspViolations();
});

test('a verified employer confirms its signing defaults once and the invitation form starts from them', async () => {
  const page = await newPage(browser);
  await logIn(page, base, 'hr1');
  await page.waitForSelector('#signing-defaults-prompt');
  await page.click('text=去确认签约信息');
  await page.waitForSelector('#archive_mode');

  // Forwarding the file needs where to: all missing parts are named at once.
  await page.selectOption('#archive_mode', 'forward_to_talent_centre');
  await page.selectOption('#household_kind', 'move_to_employer_city');
  await page.click('button:has-text("保存")');
  await page.waitForSelector('.errors');
  assert.ok(await page.locator('#archive_unit_name-error').isVisible());
  assert.ok(await page.locator('#household_address-error').isVisible());
  assert.equal(await page.inputValue('#archive_mode'), 'forward_to_talent_centre');

  await page.fill('#archive_unit_name', '合肥市人才服务中心');
  await page.fill('#archive_address', '合肥市蜀山区潜山路 1 号');
  await page.fill('#archive_postcode', '230031');
  await page.fill('#archive_contact_name', '档案室');
  await page.fill('#archive_contact_phone', '0551-62600000');
  await page.fill('#household_address', '合肥市公安局蜀山分局');
  await page.click('button:has-text("保存")');
  await page.waitForSelector('[role=status]');

  // The prompt is gone and the invitation form is filled from the defaults.
  await page.goto(`${base}/`);
  assert.equal(await page.locator('#signing-defaults-prompt').count(), 0);
  await page.goto(`${base}/employer/signing`);
  await page.waitForSelector('#archive_unit_name');
  assert.equal(await page.inputValue('#archive_unit_name'), '合肥市人才服务中心');
  assert.equal(await page.inputValue('#household_kind'), 'move_to_employer_city');
  await page.close();
  assertNoCspViolations();
});

test('a colleague joins the registered company on the pages and its manager approves', async () => {
  // The manager's company and its credit code, from the manager's home page.
  const manager = await newPage(browser);
  await logIn(manager, base, 'hr1');
  const code = (await manager.locator('text=统一社会信用代码').first().textContent()).match(/[0-9A-Z]{18}/)[0];

  // A colleague who tries to register the same company is led to 加入已注册单位.
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(`${base}/register/join?credit_code=${code}`);
  await page.waitForSelector('h1:has-text("加入已注册单位")');
  assert.equal(await page.inputValue('#credit_code'), code);
  await page.fill('#login_name', 'xc_hr_new');
  await page.fill('#manager_name', '李经办');
  await page.fill('#phone', '1391234');
  await page.fill('#password', 'Join2026ok');
  await page.fill('#password_confirm', 'Join2026ok');
  await page.click('button:has-text("提交申请")');
  // A wrong phone comes back by its field, the rest kept (passwords are typed again).
  await page.waitForSelector('#phone-error');
  assert.equal(await page.inputValue('#manager_name'), '李经办');
  await page.fill('#phone', '13912340000');
  await page.fill('#password', 'Join2026ok');
  await page.fill('#password_confirm', 'Join2026ok');
  await page.click('button:has-text("提交申请")');
  await page.waitForSelector('text=申请已提交');
  await context.close();

  // The manager approves on 单位成员; the colleague can then work.
  await manager.goto(`${base}/employer/members`);
  const row = manager.locator('tr', { hasText: 'xc_hr_new' });
  await row.locator('button:has-text("同意")').click();
  await manager.waitForSelector('[role=status]');
  await manager.close();
  const colleague = await newPage(browser);
  await logIn(colleague, base, 'xc_hr_new', 'Join2026ok');
  await colleague.goto(`${base}/employer/signing`);
  await colleague.waitForSelector('h1');
  assert.doesNotMatch(await colleague.locator('h1').textContent(), /无权访问/);
  await colleague.close();
  assertNoCspViolations();
});
