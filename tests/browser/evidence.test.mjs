// What a reviewer and a graduate see (issue 11), in one journey on the first demo graduate: a
// destination's proof as a thumbnail that has really loaded and opens full size, the company's
// certificates on the 鉴证 page, and an invitation the graduate may only look at (只能查看) after
// signing elsewhere. Records are set up through the JSON API; what is checked is what a person
// sees. No page may break the CSP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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

// A 1×1 PNG, enough for the server to judge it an image by its bytes.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64');

/** A JSON API session: call(method, path, body) with the cookie and the CSRF header. */
async function session(login, password = 'Demo2026') {
  const r = await fetch(`${base}/api/session`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  assert.equal(r.status, 200, `login ${login}`);
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const me = await r.json();
  const call = async (method, path, body) => {
    const headers = { cookie, 'x-csrf-token': me.csrf_token };
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) { headers['content-type'] = 'application/json'; payload = JSON.stringify(body); }
    const res = await fetch(`${base}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, json, text };
  };
  return { call, me };
}

function demoGraduate() {
  const m = banner.match(/毕业生\s+(\d{17}[\dX])\s+([^，\s]+)，学号/);
  assert.ok(m, 'the banner names the bound demo graduate');
  return { idNumber: m[1], name: m[2] };
}

function terms(year) {
  return {
    position_category: '工程技术人员', position: '后端工程师', probation_months: 3,
    probation_salary_yuan: 8000, regular_salary_yuan: 10000, breach_penalty_yuan: 5000,
    report_place: '合肥市高新区创新大道 1 号', report_deadline: `${year}-07-15`,
    work_location: '安徽省合肥市蜀山区', contact_name: '王经理', contact_phone: '0551-65551234',
    archive_receiver: '合肥市人才服务中心', household_receiver: '合肥市集体户口', agreed_terms: '签订三年劳动合同。',
  };
}

/** The employer finds the graduate and sends one offer; the agreement id. */
async function offer(hr, g, year) {
  const found = await hr.call('POST', '/api/graduate-search',
    { school: '19101', graduation_year: year, name: g.name, phone_or_id_number: g.idNumber });
  assert.equal(found.status, 200, found.text);
  const sent = await hr.call('POST', '/api/invitations', { graduate_ids: [found.json.graduate_id], terms: terms(year) });
  assert.equal(sent.status, 200, sent.text);
  assert.equal(sent.json.sent, 1, sent.text);
  return sent.json.results[0].agreement_id;
}

test('a reviewer sees a proof as a thumbnail and the company certificates, and a signed graduate only looks at another offer', async () => {
  const g = demoGraduate();
  const grad = await session(g.idNumber);
  const record = await grad.call('GET', `/api/graduates/${grad.me.graduate_id}`);
  assert.equal(record.status, 200, record.text);
  const year = record.json.graduation_year;

  // 1. A registered destination with its proof: the school sees the image itself.
  const form = new FormData();
  form.append('data', JSON.stringify({
    category_code: '80', subcategory: '全日制', unit_name: '江淮大学研究生院',
    details: { 所在地: '合肥', 录取专业: '数学' },
  }));
  form.append('proof_1', new Blob([PNG], { type: 'image/png' }), 'offer.png');
  const dest = await grad.call('POST', '/api/destinations', form);
  assert.equal(dest.status, 201, dest.text);
  const admin = await newPage(browser);
  await logIn(admin, base, 'admin19101');
  await admin.goto(`${base}/destinations/${dest.json.id}`);
  const thumb = admin.locator('#uploads img.upload-thumb');
  await thumb.waitFor();
  assert.ok(await thumb.evaluate((img) => img.complete && img.naturalWidth > 0), 'the proof image loaded');
  const link = await admin.locator('#uploads a:has(img.upload-thumb)').getAttribute('href');
  assert.match(link, /^\/api\/uploads\//);
  const full = await admin.request.get(`${base}${link}`);
  assert.equal(full.status(), 200);
  assert.equal(full.headers()['content-type'], 'image/png');
  // The graduate withdraws it, so that they may sign.
  const detail = await grad.call('GET', `/api/destinations/${dest.json.id}`);
  const withdrawn = await grad.call('POST', `/api/destinations/${dest.json.id}/withdraw`,
    { version: detail.json.version });
  assert.ok([200, 201].includes(withdrawn.status), withdrawn.text);

  // 2. The graduate signs hr1's offer; the school's 鉴证 page shows the company's certificates.
  const hr1 = await session('hr1');
  const signedId = await offer(hr1, g, year);
  const accepted = await grad.call('POST', `/api/agreements/${signedId}/accept`, { password: 'Demo2026', agree: true });
  assert.equal(accepted.status, 200, accepted.text);
  await admin.goto(`${base}/agreements/${signedId}`);
  const certs = admin.locator('#employer-record img.upload-thumb');
  await certs.first().waitFor();
  assert.equal(await certs.count(), 2, 'licence and authorisation letter');
  for (const img of await certs.all()) {
    assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), 'a certificate loaded');
  }
  // The normalised fields: region selects filled by regions.js, saved with a notice.
  await admin.selectOption('#att-nature', { index: 1 });
  await admin.selectOption('#att-industry', { index: 1 });
  await admin.selectOption('#att_province', '340000');
  await admin.waitForSelector('#att_city option[value="340100"]', { state: 'attached' });
  await admin.selectOption('#att_city', '340100');
  await admin.waitForSelector('#att_county option[value="340104"]', { state: 'attached' });
  await admin.selectOption('#att_county', '340104');
  await admin.fill('#att_street', '长江西路 1 号');
  await admin.click('button:has-text("保存鉴证信息")');
  await admin.waitForSelector('text=鉴证信息已保存');
  await admin.close();

  // 3. hr2's later offer: the graduate may only look at it, with the reason, on a phone.
  const hr2 = await session('hr2');
  const laterId = await offer(hr2, g, year);
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const p = await newPage(phone);
  await logIn(p, base, g.idNumber);
  await p.goto(`${base}/agreements`);
  await p.waitForSelector('.view-only:has-text("只能查看")');
  await p.goto(`${base}/agreements/${laterId}`);
  await p.waitForSelector('#view-only:has-text("解约后")');
  assert.equal(await p.locator('button:has-text("现在签约")').count(), 0, 'no 现在签约 on a view-only offer');
  assert.equal(await p.locator('button:has-text("拒绝")').count(), 0);
  await phone.close();
  assertNoCspViolations();
});
