// The web UI in a real browser at phone size (390×844): sign in, open the running
// session, see its output, approve the pending FHIR write, see the session finish,
// save a screenshot, then roll the write back (accepting the confirmation), see the
// rollback's result and save a second screenshot. Started by e2e_test.cc, which sets
// up ward and checks the store and the EHR afterwards. Environment: WARD_URL,
// WARD_USER, WARD_PASSWORD, WARD_SESSION, WARD_SCREENSHOT (the rollback's goes
// beside it, "-rollback.png"), WARD_CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const url = env('WARD_URL');
const session = env('WARD_SESSION');
const shot = env('WARD_SCREENSHOT');
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ward-e2e-chromium-'));

// A fresh profile directory (--user-data-dir) per run.
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.WARD_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
});
let failed = false;
const page = browser.pages()[0] ?? (await browser.newPage());
page.setDefaultTimeout(30_000);
const dialogs = [];
page.on('dialog', (d) => {
  dialogs.push(d.message());
  void d.accept();
});
const step = (s) => console.log('e2e: ' + s);
try {
  await page.goto(url + '/');
  step('sign in');
  await page.getByLabel('User').fill(env('WARD_USER'));
  await page.getByLabel('Password').fill(env('WARD_PASSWORD'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who').filter({ hasText: env('WARD_USER') }).waitFor();

  step('open the running session from the list');
  const row = page.locator(`li[data-session="${session}"]`);
  await row.locator('[data-status="running"]').waitFor();
  await row.locator('a').click();
  await page.waitForURL(`**/#/sessions/${session}`);

  step('see the output stream in the terminal');
  await page.locator('.xterm-rows').filter({ hasText: 'Reconciling medications' }).waitFor();

  step('approve the pending FHIR write');
  const card = page.locator('article.approval[data-state="pending"]');
  await card.waitFor();
  await card.locator('.hash code').waitFor();
  const shownHash = await card.locator('.hash code').textContent();
  if (!/^[0-9a-f]{64}$/.test(shownHash || '')) throw new Error('approval card shows no hash: ' + shownHash);
  await card.locator('.json-diff li').first().waitFor();
  await card.getByLabel('Reason').fill('checked on my phone');
  await page.locator('#pending-badge').filter({ hasText: '1' }).waitFor();
  await card.getByRole('button', { name: 'Approve' }).click();
  const approved = page.locator('article.approval[data-state="approved"]');
  await approved.waitFor();
  await approved.locator('.card-status').filter({ hasText: 'approved by' }).waitFor();
  if ((await approved.getByRole('button').count()) !== 0) throw new Error('a decided card still offers buttons');
  if ((await approved.locator('.expiry').count()) !== 0) throw new Error('a decided card still counts down');
  await page.locator('#pending-badge').waitFor({ state: 'hidden', timeout: 3_000 });

  step('see the session finish');
  await page.locator('.session-head [data-status="succeeded"]').waitFor({ timeout: 90_000 });
  await page.locator('.answer-text').filter({ hasText: 'Created' }).waitFor();
  await page.locator('.xterm-rows').filter({ hasText: 'succeeded' }).waitFor();
  await page.screenshot({ path: shot, fullPage: true });
  step('screenshot saved: ' + shot);

  step('roll the session back, accepting the confirmation');
  await page.locator('.session-head').getByRole('button', { name: 'Roll back' }).click();
  const report = page.locator('section.rollback[data-complete="true"]');
  await report.waitFor();
  if (!dialogs.some((m) => /Roll back/.test(m))) throw new Error('no confirmation was asked: ' + dialogs);
  const undone = report.locator('li[data-outcome="undone"]');
  await undone.first().waitFor();
  if ((await undone.count()) !== 1) throw new Error('expected one undone write, saw ' + (await undone.count()));
  const line = await undone.first().textContent();
  if (!/Patient\/\S+ create → delete/.test(line || '')) throw new Error('unexpected step: ' + line);
  await report.locator('.rollback-summary').filter({ hasText: 'Rolled back: 1 of 1 writes undone' }).waitFor();
  // The report pushed the output terminal below the fold, and Chromium's full-page
  // capture leaves a scrolled layer that is off screen unpainted: for this shot the
  // window is as tall as the page (still 390 wide), so all of it is on screen.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 390, height });
  await page.locator('.xterm-rows').filter({ hasText: 'succeeded' }).waitFor();
  const rolledShot = shot.replace(/\.png$/, '-rollback.png');
  await page.screenshot({ path: rolledShot, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  step('screenshot saved: ' + rolledShot);
} catch (err) {
  failed = true;
  console.error('e2e failed:', err.message);
  await page.screenshot({ path: shot.replace(/\.png$/, '-failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
