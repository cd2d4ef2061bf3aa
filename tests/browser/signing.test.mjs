// What a person clicks through a signing: an employer finds a graduate and sends the offer, the
// graduate signs on a phone with the tick-box and their password, the department and the school
// approve, and the agreement shows its number; a PC prints it with a code the phone confirms.
// No page may break the CSP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, logIn, newPage, assertNoCspViolations, cohort } from './harness.mjs';

let server, base, banner = '', browser;

before(async () => {
  ({ server, base, banner } = await startServer());
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

test('an offer is sent, signed on a phone, approved twice and numbered', async () => {
  const m = banner.match(/毕业生\s+(\d{17}[\dX])\s+([^，\s]+)，学号/);
  assert.ok(m, 'the banner names the bound demo graduate');
  const [, idNumber, name] = m;

  // The employer: find, then fill the offer and send it.
  const hr = await newPage(browser);
  await logIn(hr, base, 'hr1');
  await hr.click('text=查询学生并邀约');
  await hr.fill('input[name=school]', '江淮大学');
  await hr.fill('input[name=name]', name);
  await hr.fill('input[name=phone_or_id_number]', idNumber);
  await hr.click('button:has-text("查询")');
  await hr.waitForSelector('text=已加入签约发送列表');
  for (const [field, value] of Object.entries({
    position: '测试工程师', probation_months: '3',
    probation_salary_yuan: '6000', regular_salary_yuan: '8000',
    work_location: '安徽省合肥市蜀山区', contact_name: '张经理', contact_phone: '0551-65550000',
  })) {
    await hr.fill(`#${field}`, value);
  }
  await hr.selectOption('#position_category', '工程技术人员');
  // 报到地点 by region: regions.js fills the city, then the county, after each choice.
  await hr.selectOption('#report_province', '340000');
  await hr.waitForSelector('#report_city option[value="340100"]', { state: 'attached' });
  await hr.selectOption('#report_city', '340100');
  await hr.waitForSelector('#report_county option[value="340104"]', { state: 'attached' });
  await hr.selectOption('#report_county', '340104');
  await hr.fill('#report_street', '长江西路1号');
  await hr.fill('#report_deadline', `${cohort()}-07-15`);
  // 预览: the letter as the graduate will read it, then 确认发送.
  await hr.click('button:has-text("预览邀请函")');
  await hr.waitForSelector('text=我单位拟录用（聘用）你为 测试工程师 岗位员工');
  await hr.click('button:has-text("确认发送")');
  await hr.waitForSelector('text=发送成功 1 人');
  await hr.close();

  // The graduate, on a phone: the offer is in 签约管理; signing needs the tick-box and password.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const g = await newPage(phone);
  await logIn(g, base, idNumber);
  await g.click('header >> text=签约管理');
  await g.click('a:has-text("单位发起邀约")');
  await g.waitForSelector('text=测试工程师');
  await g.check('input[name=agree]');
  await g.fill('input[name=password]', 'Demo2026');
  await g.click('button:has-text("现在签约")');
  await g.waitForSelector('#state:has-text("签约成功，待学校审核")');
  await g.screenshot({ path: join(tmpdir(), 'wangqian-signed-phone.png'), fullPage: true });

  // The department reviewer whose move it is approves from "待我处理".
  let reviewed = false;
  for (const login of ['rev19101a', 'rev19101b', 'rev19101c']) {
    const r = await newPage(browser);
    await logIn(r, base, login);
    await r.goto(`${base}/agreements?mine=1`);
    if (await r.locator(`td:has-text("${name}")`).count() > 0) {
      await r.click('a:has-text("签约成功，待学校审核")');
      await r.click('button:has-text("审核通过")');
      await r.waitForSelector('#state:has-text("院系已审核")');
      reviewed = true;
    }
    await r.close();
    if (reviewed) break;
  }
  assert.ok(reviewed, 'one department reviewer had the agreement to review');

  // The school's final review makes it effective and numbered.
  const admin = await newPage(browser);
  await logIn(admin, base, 'admin19101');
  await admin.goto(`${base}/agreements?mine=1`);
  await admin.click('a:has-text("院系已审核")');
  await admin.click('button:has-text("审核通过")');
  await admin.waitForSelector('#state:has-text("签约审核通过（已生效）")');
  const header = await admin.locator('p:has(#state)').textContent();
  assert.match(header, /协议书编号：1202719101\d{6}/);
  await admin.close();

  await g.reload();
  assert.match(await g.locator('#state').textContent(), /已生效/);

  // The graduate downloads the sealed PDF from the agreement page …
  const [download] = await Promise.all([g.waitForEvent('download'), g.click('#download-pdf')]);
  const pdfPath = join(tmpdir(), 'wangqian-agreement.pdf');
  await download.saveAs(pdfPath);
  const { readFileSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const pdf = readFileSync(pdfPath);
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  // … which reads in Chinese and prints the QR's verify URL; anyone opening it sees it authentic.
  const text = execFileSync('pdftotext', [pdfPath, '-']).toString();
  assert.match(text, /就业协议书/);
  const url = text.replace(/[\s\u200b]+/g, '').match(/\/v\/([A-Za-z0-9_\-.]+)/);
  assert.ok(url, 'the PDF names its verify URL');
  const anyone = await newPage(browser);
  await anyone.goto(`${base}/v/${url[1]}`);
  await anyone.waitForSelector('#verdict[data-verdict="genuine"]');
  assert.match(await anyone.locator('#verdict').textContent(), /真实有效/);
  await anyone.close();

  // Self-service printing: a PC shows a code and its QR and reloads itself until the phone
  // confirms the code, then offers the PDF.
  const pc = await newPage(browser);
  await pc.goto(`${base}/print`);
  await pc.click('button:has-text("获取打印码")');
  const code = (await pc.locator('#print-code').textContent()).trim();
  assert.equal(await pc.locator('.qr svg').count(), 1);
  assert.equal(await pc.locator('.qr').evaluate((d) => getComputedStyle(d).width), '192px');
  await g.goto(`${base}/print/confirm?code=${code}`);
  await g.click('button:has-text("确认在电脑上打印")');
  await g.waitForSelector('#print-confirmed');
  await pc.waitForSelector('#print-download', { timeout: 10000 });
  await pc.close();
  await phone.close();
  assertNoCspViolations();
});
