// What the reviewer and the graduate see of issue 11: a destination's proof is a thumbnail the
// school opens (and a termination's letter likewise); a graduate who signed reads every other
// invitation only, with the reason; an employer previews the letter before sending it, and
// going back keeps what was typed; the 鉴证 page's selects and regions save.
// Runs the real binary (WANGQIAN_BIN) on a fresh SQLite demo; Debian's chromium drives it.
// Data the test is not about is set up through the JSON API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, logIn, newPage, assertNoCspViolations,
  apiSession, cohort, pngImage, assertThumbnail,
} from './harness.mjs';

let server, base, banner = '', browser;

before(async () => {
  ({ server, base, banner } = await startServer());
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

/** The bound demo graduate of the school with this name: { idNumber, name }. */
function boundGraduate(schoolName) {
  const line = banner.split('\n').find((l, i, all) => l.includes('毕业生') && all.slice(0, i).reverse()
    .find((p) => p.includes('学校管理员'))?.includes(schoolName));
  const m = line?.match(/毕业生\s+(\d{17}[\dX])\s+([^，\s]+)，学号/);
  assert.ok(m, `the banner names the bound demo graduate of ${schoolName}`);
  return { idNumber: m[1], name: m[2] };
}

/** Terms of an offer whose report deadline falls in the cohort's summer. */
function terms(position) {
  return {
    position_category: '工程技术人员', position, probation_months: 3,
    probation_salary_yuan: 8000, regular_salary_yuan: 10000, breach_penalty_yuan: 5000,
    report_place: '合肥市高新区创新大道 1 号', report_deadline: `${cohort()}-07-15`,
    work_location: '安徽省合肥市蜀山区', contact_name: '王经理', contact_phone: '0551-65551234',
    archive_receiver: '合肥市人才服务中心', household_receiver: '合肥市集体户口',
    agreed_terms: '签订三年劳动合同。',
  };
}

/** The employer finds the graduate and sends them an offer; answers the agreement id. */
async function invite(employer, school, g, position) {
  const found = await employer.call('POST', '/api/graduate-search', {
    school, graduation_year: cohort(), name: g.name, phone_or_id_number: g.idNumber,
  });
  assert.equal(found.status, 200, JSON.stringify(found.body));
  const sent = await employer.call('POST', '/api/invitations', {
    graduate_ids: [found.body.graduate_id], terms: terms(position),
  });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  assert.equal(sent.body.sent, 1, JSON.stringify(sent.body));
  return sent.body.results[0].agreement_id;
}

/** Approves as whichever of these staff logins has the review now (the department's reviewer). */
async function reviewAs(logins, id) {
  for (const login of logins) {
    const s = await apiSession(browser, base, login);
    const r = await s.call('POST', `/api/agreements/${id}/review`, { approve: true });
    await s.context.close();
    if (r.status === 200) return r.body;
  }
  assert.fail(`none of ${logins} could review ${id}`);
}

test('a destination proof registered on the page is a thumbnail the school reviews by', async () => {
  const g = boundGraduate('江淮大学');
  const proof = pngImage(48, 36);

  // The graduate: category, then its sub-category, then the category's own fields and a proof.
  const grad = await newPage(browser);
  await logIn(grad, base, g.idNumber);
  await grad.goto(`${base}/destinations/new`);
  await grad.selectOption('#category_code', '80'); // 升学: the page reloads with its sub-categories
  await grad.waitForSelector('#subcategory option[value="全日制"]', { state: 'attached' });
  await grad.selectOption('#subcategory', '全日制');
  await grad.click('button:has-text("下一步")');
  await grad.waitForSelector('#category-name:has-text("升学")');
  await grad.fill('#unit_name', '中国科学技术大学');
  await grad.fill('#detail_major', '计算机科学与技术');
  await grad.setInputFiles('input[name=proof_1]', { name: '录取通知书.png', mimeType: 'image/png', buffer: proof });
  await grad.click('button:has-text("保存并送审")');
  await grad.waitForURL(/\/destinations\/[^/?]+\?notice=/);
  const url = grad.url().replace(/\?.*$/, '');
  assert.match(await grad.locator('#state').textContent(), /审核/);
  // The graduate sees their own proof the same way.
  await assertThumbnail(grad.locator('#uploads img.upload-thumb'), 48);
  await grad.close();

  // The school reviews with the proof in view: a thumbnail that loaded and opens full size.
  const admin = await newPage(browser);
  await logIn(admin, base, 'admin19101');
  await admin.goto(`${base}/destinations?todo=review`);
  await admin.click(`a:has-text("${g.name}")`);
  await admin.waitForURL(url);
  assert.equal(await admin.locator('#uploads img.upload-thumb').count(), 1);
  await assertThumbnail(admin.locator('#uploads img.upload-thumb'), 48);
  assert.equal(await admin.locator('#uploads').textContent().then((t) => /证明材料 1 张/.test(t)), false);
  // The full-size image is the very file uploaded.
  const src = await admin.locator('#uploads img.upload-thumb').getAttribute('src');
  const full = await admin.request.get(`${base}${src}`);
  assert.equal(full.status(), 200);
  assert.match(full.headers()['content-type'], /^image\/png/);
  assert.ok(Buffer.from(await full.body()).equals(proof), 'the full-size image is the uploaded proof');
  await admin.click('button:has-text("审核通过")');
  await admin.waitForSelector('[role=status]:has-text("操作成功")');
  await admin.close();
  assertNoCspViolations();
});
