// The status port's dashboard in headless Chromium against a real 3-node cluster on the
// simulated md driver: 3 nodes and one master shown; a failed disk turns its member red; the
// recovery onto the spare shows a moving progress bar; a killed master is replaced on the page;
// the page says loudly when its feed is lost. Measures (prints, never asserts on) the delays:
// first paint, fail -> red, kill -> new master shown. Screenshots in dist/browser/.
// The page is served by a standby (the node killed later is the master, and the page's own
// node is killed last to see the lost-feed banner).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRaid1 } from '../integration/lib/arrays.js';
import { useCluster } from '../integration/lib/vitest-cluster.js';
import { waitFor } from '../integration/harness.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = 'dist/browser';
/** 2 GiB members: a recovery takes ~10 s at the simulated kernel's 200000 KiB/s, long enough to watch. */
const SECTORS = 4 * 1024 * 1024;
/** Bound on every wait for the page to show something (the cluster itself reacts within ~1 s). */
const PAGE_WAIT_MS = 30_000;
const RED = 'rgb(192, 57, 43)';
/** Run in the page (serialized by playwright): the element's computed background colour. */
const backgroundOf = (e: unknown): string => (globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor;
const inlineWidthOf = (e: unknown): string => (e as { style: { width: string } }).style.width;

const cluster = useCluster({
  name: 'browser', checkpointIntervalMs: 300,
  disks: ['sda', 'sdb', 'sdc'].map((id) => ({ id, sizeSectors: SECTORS })),
});

let ctx: BrowserContext | null = null;
let page: Page;
let userDataDir = '';
let pageNode = '';
let master = '';
const measured: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  userDataDir = mkdtempSync(join(tmpdir(), 'mdclusterd-chromium-'));
  try {
    ctx = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 900 } });
  } catch (e) {
    throw new Error(`BROWSER LANE: Chromium (${CHROMIUM}) could not start: ${(e as Error).message}`);
  }
  page = ctx.pages()[0] ?? await ctx.newPage();
});

afterAll(async () => {
  await ctx?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  process.stdout.write(`\nbrowser lane measurements (not asserted):\n${measured.map((m) => `  ${m}\n`).join('')}`);
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const memberCell = (member: string) => page.locator(`.array[data-device="/dev/md0"] tr[data-member="${member}"] td[data-node="${pageNode}"]`);

describe('dashboard', () => {
  test('shows 3 nodes and one master, and no control at all', async () => {
    const c = cluster();
    await createRaid1(c, 'n1', { device: 'md0', members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], raidDevices: 2, spares: 1, assumeClean: true });
    master = (await c.waitForMaster()).id;
    pageNode = c.ids.find((id) => id !== master)!;
    const t0 = performance.now();
    await page.goto(`http://127.0.0.1:${c.statusPort(pageNode)}/`);
    await page.locator('#banner[data-feed="live"]').waitFor({ timeout: PAGE_WAIT_MS });
    await page.locator('.array[data-device="/dev/md0"]').waitFor({ timeout: PAGE_WAIT_MS });
    const shownMs = performance.now() - t0;
    const fcp = await page.evaluate('performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null') as number | null;
    measured.push(`first contentful paint ${fcp === null ? 'n/a' : fcp.toFixed(0) + ' ms'}; navigation -> cluster data shown ${shownMs.toFixed(0)} ms`);
    await expect.poll(() => page.locator('#nodes tbody tr').count(), { timeout: PAGE_WAIT_MS }).toBe(3);
    expect(await page.locator('#nodes tbody tr[data-role="master"]').count()).toBe(1);
    expect(await page.locator('#nodes tbody tr[data-role="master"]').getAttribute('data-node')).toBe(master);
    expect(await page.locator('#master').textContent()).toBe(master);
    expect(await page.locator('#nodes tbody tr[data-up="1"]').count()).toBe(3);
    expect(await page.locator('button, form, input, select, textarea').count()).toBe(0);
    await shot('1-healthy');
  });

  test('a failed disk turns its member red; the recovery onto the spare shows a moving progress bar', async () => {
    const c = cluster();
    await page.locator(`.array[data-device="/dev/md0"] tr[data-member="/dev/sdc"] td[data-node="${pageNode}"][data-state="spare"]`).waitFor({ timeout: PAGE_WAIT_MS });
    const t0 = performance.now();
    await c.control(master, 'propose', { command: { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false }, timeoutMs: 15_000, waitMd: false });
    await page.locator(`.array[data-device="/dev/md0"] tr[data-member="/dev/sdb"] td[data-node="${pageNode}"][data-state="faulty"]`).waitFor({ timeout: PAGE_WAIT_MS });
    measured.push(`fail /dev/sdb -> member shown red: ${(performance.now() - t0).toFixed(0)} ms`);
    // The cell may be redrawn between finding and reading it (a detached cell has no style): poll.
    await expect.poll(() => memberCell('/dev/sdb').evaluate(backgroundOf).catch(() => ''), { timeout: PAGE_WAIT_MS }).toBe(RED);
    await shot('2-failed');
    const bar = page.locator('[data-progress="/dev/md0"][data-action="recover"]');
    await bar.waitFor({ timeout: PAGE_WAIT_MS });
    const first = Number(await bar.getAttribute('data-done'));
    const moved = await waitFor('the recovery progress bar to move', async () => {
      const now = Number(await page.locator('[data-progress="/dev/md0"]').getAttribute('data-done', { timeout: 1000 }).catch(() => 'NaN'));
      return now > first ? now : undefined;
    }, PAGE_WAIT_MS, 200);
    expect(moved).toBeGreaterThan(first);
    const width = await page.locator('[data-progress="/dev/md0"] > div').evaluate(inlineWidthOf);
    expect(width).toMatch(/%$/);
    await shot('3-recovering');
  });

  test('/metrics on a real cluster: the md cluster view from the leader only, measurements wired', async () => {
    const c = cluster();
    const texts = new Map<string, string>();
    for (const id of c.ids) texts.set(id, (await c.http(id, 'GET', '/metrics')).body);
    const value = (id: string, series: string): number | null => {
      const line = texts.get(id)!.split('\n').find((l) => l.startsWith(series + ' '));
      return line === undefined ? null : Number(line.slice(series.length + 1));
    };
    const leaders = c.ids.filter((id) => value(id, 'mdclusterd_is_leader') === 1);
    expect(leaders).toHaveLength(1);
    for (const id of c.ids) {
      expect(texts.get(id)).not.toMatch(/^node_/m);
      if (id !== leaders[0]) expect(texts.get(id)).not.toMatch(/^mdclusterd_md_/m);
      expect(value(id, 'mdclusterd_wal_fsync_seconds_count')).toBeGreaterThan(0);
      expect(texts.get(id)).toMatch(/^process_resident_memory_bytes \d/m);
      expect(texts.get(id)).toMatch(/^mdclusterd_build_info\{version="[^"]+",node="/m);
    }
    expect(value(leaders[0]!, 'mdclusterd_md_disks{device="md0",state="failed"}')).toBe(1);
    expect(value(leaders[0]!, 'mdclusterd_md_disks_required{device="md0"}')).toBe(2);
    expect(value(master, 'mdclusterd_commit_latency_seconds_count{outcome="ok"}')).toBeGreaterThan(0);
    const rtts = c.ids.map((id) => texts.get(id)!.match(/^mdclusterd_peer_rtt_seconds_count\{peer="[^"]+"\} (\d+)/gm) ?? []).flat();
    measured.push(`peer RTT observations in /metrics: ${rtts.length} series`);
    expect(rtts.length).toBeGreaterThan(0);
  });

  test('killing the master shows the new master', async () => {
    const c = cluster();
    const t0 = performance.now();
    await c.kill(master);
    const next = await waitFor('the page to show a new master', async () => {
      const m = await page.locator('#master').textContent();
      return m && m !== master && m !== 'none' ? m : undefined;
    }, PAGE_WAIT_MS, 20);
    measured.push(`kill -9 master ${master} -> new master ${next} shown: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(c.ids).toContain(next);
    await expect.poll(() => page.locator(`#nodes tbody tr[data-node="${master}"]`).getAttribute('data-up'), { timeout: PAGE_WAIT_MS }).toBe('0');
    expect(await page.locator('#nodes tbody tr[data-role="master"]').getAttribute('data-node')).toBe(next);
    await shot('4-new-master');
    // What the daemons' own sampled histograms saw (printed, not asserted: 50 ms sampling).
    for (const id of c.ids.filter((i) => i !== master)) {
      const text = (await c.http(id, 'GET', '/metrics')).body;
      const pick = (n: string) => /^(\S+) (\S+)$/m.exec(text.split('\n').filter((l) => l.startsWith(n + ' ')).join('\n'))?.[2] ?? 'none';
      measured.push(`${id} /metrics: failover sum ${pick('mdclusterd_failover_seconds_sum')} s over ${pick('mdclusterd_failover_seconds_count')}, promotion sum ${pick('mdclusterd_promotion_seconds_sum')} s over ${pick('mdclusterd_promotion_seconds_count')}`);
    }
  });

  test('the page says loudly when its feed is lost', async () => {
    const c = cluster();
    await c.kill(pageNode);
    await page.locator('#banner[data-feed="lost"]').waitFor({ timeout: PAGE_WAIT_MS });
    expect(await page.locator('#banner').textContent()).toMatch(/LIVE FEED LOST/);
    await shot('5-feed-lost');
  });
});
