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
  apiSession, apiSessionBy, cohort, pngImage, assertThumbnail,
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

  // The graduate's department reviewer sees the proof the same way …
  let seen = 0;
  for (const login of ['rev19101a', 'rev19101b', 'rev19101c']) {
    const r = await newPage(browser);
    await logIn(r, base, login);
    await r.goto(`${base}/destinations?keyword=${encodeURIComponent(g.name)}`);
    const link = r.locator(`a:has-text("${g.name}")`);
    if (await link.count() > 0) {
      await link.first().click();
      await r.waitForURL(url);
      await assertThumbnail(r.locator('#uploads img.upload-thumb'), 48);
      seen += 1;
    }
    await r.close();
  }
  assert.equal(seen, 1, "exactly the graduate's department reviewer has the registration");

  // … and the school reviews with the proof in view: a thumbnail that loaded and opens full size.
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

test('a graduate who signed reads another invitation only, and the school sees the termination letter', async () => {
  const g = boundGraduate('皖南理工学院');
  const hr1 = await apiSession(browser, base, 'hr1');
  const hr2 = await apiSession(browser, base, 'hr2');
  const grad = await apiSession(browser, base, g.idNumber);

  // Signed with hr1 and made effective by the department and the school.
  const signed = await invite(hr1, '19102', g, '后端工程师');
  const accepted = await grad.call('POST', `/api/agreements/${signed}/accept`, { password: 'Demo2026', agree: true });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  await reviewAs(['rev19102a', 'rev19102b'], signed);
  assert.equal((await reviewAs(['admin19102'], signed)).state, 'effective');
  // Another employer may still invite the signed graduate (SPEC §5, 003 §4 note).
  const other = await invite(hr2, '19102', g, '质量工程师');

  // In the graduate's list the new row says 只能查看 with the reason; the signed one does not.
  const page = await newPage(grad.context);
  await page.goto(`${base}/agreements`);
  const row = page.locator('tr', { has: page.locator(`a[href="/agreements/${other}"]`) });
  assert.match(await row.textContent(), /只能查看：你已签约，解约后才能处理其他邀请/);
  const signedRow = page.locator('tr', { has: page.locator(`a[href="/agreements/${signed}"]`) });
  assert.doesNotMatch(await signedRow.textContent(), /只能查看/);

  // The letter reads in full, with the reason and without an answer that would be refused.
  await row.locator(`a[href="/agreements/${other}"]`).first().click();
  await page.waitForSelector('#letter:has-text("我单位拟录用（聘用）你为 质量工程师 岗位员工")');
  assert.match(await page.locator('#view-only').textContent(), /只能查看[\s\S]*你已签约，解约后才能处理其他邀请/);
  assert.equal(await page.locator('button:has-text("现在签约")').count(), 0, 'no 现在签约 that leads to a refusal');
  assert.equal(await page.locator('#accept').count(), 0);
  assert.equal(await page.locator('button:has-text("拒绝")').count(), 0);

  // The graduate asks to end the signed agreement with the employer's letter …
  const letter = pngImage(64, 40);
  await page.goto(`${base}/agreements/${signed}`);
  await page.fill('#t-reason', '已考取研究生，申请解约');
  await page.setInputFiles('#t-proof', { name: '解约函.png', mimeType: 'image/png', buffer: letter });
  await page.check('#t-acknowledged');
  await page.click('button:has-text("提交解约申请")');
  await page.waitForSelector('[role=status]');
  assert.match(await page.locator('#state').textContent(), /解约/);
  await page.close();

  // … which the school sees as a thumbnail of that very letter on the agreement page.
  const admin = await newPage(browser);
  await logIn(admin, base, 'admin19102');
  await admin.goto(`${base}/agreements/${signed}`);
  const thumb = admin.locator('#uploads img.upload-thumb');
  assert.equal(await thumb.count(), 1);
  await assertThumbnail(thumb, 64);
  const full = await admin.request.get(`${base}${await thumb.getAttribute('src')}`);
  assert.ok(Buffer.from(await full.body()).equals(letter), 'the full-size image is the uploaded letter');
  await admin.close();
  for (const s of [hr1, hr2, grad]) await s.context.close();
  assertNoCspViolations();
});

test('an employer previews the letter, goes back with everything kept, and sends it', async () => {
  const g = boundGraduate('江淮大学');
  const hr = await newPage(browser);
  await logIn(hr, base, 'hr1');
  await hr.goto(`${base}/employer/signing`);
  await hr.fill('#school', '江淮大学');
  await hr.fill('#name', g.name);
  await hr.fill('#phone_or_id_number', g.idNumber);
  await hr.click('button:has-text("查询")');
  await hr.waitForSelector('text=已加入签约发送列表');
  const typed = {
    position: '数据分析师', probation_months: '2', probation_salary_yuan: '7000',
    regular_salary_yuan: '9000', work_location: '安徽省合肥市包河区', contact_name: '赵主管',
    contact_phone: '0551-63330000', report_street: '徽州大道 100 号', report_deadline: `${cohort()}-07-20`,
    validity_days: '10',
  };
  for (const [field, value] of Object.entries(typed)) await hr.fill(`#${field}`, value);
  await hr.selectOption('#position_category', '经济业务人员');
  await hr.selectOption('#report_province', '340000');
  await hr.waitForSelector('#report_city option[value="340100"]', { state: 'attached' });
  await hr.selectOption('#report_city', '340100');
  await hr.waitForSelector('#report_county option[value="340111"]', { state: 'attached' });
  await hr.selectOption('#report_county', '340111');
  const ticked = hr.locator('#send-form input[type=checkbox][name^="g_"]');
  assert.equal(await ticked.count(), 1);
  assert.ok(await ticked.isChecked(), 'the graduate just found is ticked');

  // 预览: the letter as the graduate will read it, the 签约须知 with it; nothing sent yet.
  await hr.click('button:has-text("预览邀请函")');
  await hr.waitForSelector('h1:has-text("预览邀请函")');
  const letter = await hr.locator('#letter').textContent();
  assert.match(letter, /我单位拟录用（聘用）你为 数据分析师 岗位员工，请于.+24时之前反馈/);
  assert.match(letter, /签约须知/);
  assert.match(letter, /合肥星辰软件有限公司/);
  assert.match(await hr.locator('#recipients').textContent(), new RegExp(g.name));
  const grad = await apiSession(browser, base, g.idNumber);
  const mine = async () => (await grad.call('GET', '/api/agreements')).body.items
    .filter((r) => r.employer_name === '合肥星辰软件有限公司');
  assert.deepEqual(await mine(), [], 'a preview sends nothing');

  // 返回修改: the form again, with what was typed and chosen.
  await hr.click('button:has-text("返回修改")');
  await hr.waitForSelector('#send-form');
  for (const [field, value] of Object.entries(typed)) {
    assert.equal(await hr.inputValue(`#${field}`), value, `${field} is kept`);
  }
  assert.equal(await hr.inputValue('#position_category'), '经济业务人员');
  assert.equal(await hr.inputValue('#report_county'), '340111');
  assert.ok(await hr.locator('#send-form input[type=checkbox][name^="g_"]').isChecked(), 'the tick is kept');

  // A change, a second preview that shows it, and 确认发送.
  await hr.fill('#position', '高级数据分析师');
  await hr.click('button:has-text("预览邀请函")');
  await hr.waitForSelector('#letter:has-text("我单位拟录用（聘用）你为 高级数据分析师 岗位员工")');
  await hr.click('button:has-text("确认发送")');
  await hr.waitForSelector('text=发送成功 1 人');
  await hr.close();

  // The invitation exists, with the terms as previewed.
  const sent = await mine();
  assert.equal(sent.length, 1, JSON.stringify(sent));
  assert.equal(sent[0].state, 'invited');
  const detail = await grad.call('GET', `/api/agreements/${sent[0].id}`);
  assert.equal(detail.body.terms.position, '高级数据分析师');
  assert.equal(detail.body.terms.contact_name, '赵主管');
  await grad.context.close();
  assertNoCspViolations();
});

test('the school fills the 鉴证 fields of a signed agreement by selects and regions', async () => {
  // 王静 binds her record and signs an offer (through the API: not what this test is about).
  const m = banner.match(/未绑定示例：(\S+) \/ 学号 (\d+) \/ 身份证 (\w+)/);
  assert.ok(m, 'the banner names an unbound demo graduate');
  const [, name, studentNo, idNumber] = m;
  const anyone = await browser.newContext();
  const schools = await (await anyone.request.get(`${base}/api/schools?q=19101`)).json();
  await anyone.close();
  const school = schools.items.find((s) => s.code === '19101');
  const grad = await apiSessionBy(browser, base, '/api/graduates/bind', {
    school_id: school.id, name, student_no: studentNo, id_number: idNumber,
    password: 'Graduate2027', password_confirm: 'Graduate2027',
  });
  const hr = await apiSession(browser, base, 'hr2');
  const id = await invite(hr, '19101', { name, idNumber }, '工艺工程师');
  const accepted = await grad.call('POST', `/api/agreements/${id}/accept`, { password: 'Graduate2027', agree: true });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));

  const admin = await newPage(browser);
  await logIn(admin, base, 'admin19101');
  await admin.goto(`${base}/agreements/${id}`);
  await admin.waitForSelector('#attestation form');
  // The employer's verified data is shown beside the form.
  assert.match(await admin.locator('#employer-record').textContent(), /芜湖长江汽车零部件股份有限公司/);
  const nature = await admin.locator('#att-nature option[value]:not([value=""])').nth(1).getAttribute('value');
  const industry = await admin.locator('#att-industry option[value]:not([value=""])').nth(2).getAttribute('value');
  await admin.selectOption('#att-nature', nature);
  await admin.selectOption('#att-industry', industry);
  // 单位所在地 by region: regions.js fills the city, then the county, after each choice.
  await admin.selectOption('#att_province', '340000');
  await admin.waitForSelector('#att_city option[value="340200"]', { state: 'attached' });
  await admin.selectOption('#att_city', '340200');
  await admin.waitForSelector('#att_county option[value="340202"]', { state: 'attached' });
  await admin.selectOption('#att_county', '340202');
  // A missing address comes back under its field, the choices kept.
  await admin.fill('#att_street', '');
  await admin.click('button:has-text("保存鉴证信息")');
  await admin.waitForSelector('#att_street-error');
  assert.equal(await admin.inputValue('#att-nature'), nature);
  assert.equal(await admin.inputValue('#att-industry'), industry);
  assert.equal(await admin.inputValue('#att_county'), '340202');
  await admin.fill('#att_street', '鸠江区永安路 8 号');
  await admin.click('button:has-text("保存鉴证信息")');
  await admin.waitForSelector('[role=status]:has-text("鉴证信息已保存")');
  // Saved: the page opens with the saved choices, and the API reads them.
  await admin.goto(`${base}/agreements/${id}`);
  assert.equal(await admin.inputValue('#att-nature'), nature);
  assert.equal(await admin.inputValue('#att-industry'), industry);
  assert.equal(await admin.inputValue('#att_city'), '340200');
  assert.equal(await admin.inputValue('#att_county'), '340202');
  assert.equal(await admin.inputValue('#att_street'), '鸠江区永安路 8 号');
  await admin.close();
  await grad.context.close();
  await hr.context.close();
  assertNoCspViolations();
});
