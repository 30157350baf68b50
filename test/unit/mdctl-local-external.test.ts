// mdctl --detail / --export / --brief of a DDF container and its volume that this node's md
// holds but the cluster does not manage (case 63): a fake daemon on a real unix socket answers
// 'state' with an empty cluster and 'kernel' with the kernel driver's reading of the capture's
// sysfs tree (DDF read by the real parser from an image built from the record); mdctl must print
// what mdadm 4.2 printed, with the paths of mdadm's map file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KernelMdDriver } from '../../daemon/src/md/kernel/driver.js';
import { run } from '../../mdctl/src/main.js';
import { parseMdadmMap } from '../../mdctl/src/local-external.js';
import { buildTree, loadDetail, readCaseFile } from './native-samples.js';
import { samplePorts } from './native-kernel-fakes.js';
import { splitSections } from './format-sample-loader.js';

const CASE = '63-ddf-container-mdmon-resync-midway';
const dirs: string[] = [];
const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function setup(): Promise<{ env: NodeJS.ProcessEnv; devRoot: string }> {
  const root = buildTree(CASE);
  dirs.push(root);
  const paths = { sysRoot: join(root, 'sys'), procRoot: join(root, 'proc'), devRoot: join(root, 'dev') };
  const driver = new KernelMdDriver({ paths, readPorts: samplePorts(CASE) });
  const dir = mkdtempSync(join(tmpdir(), 'mdctl-ext-'));
  dirs.push(dir);
  const sock = join(dir, 'control.sock');
  const srv = createServer((s) => {
    let buf = '';
    s.setEncoding('utf8');
    s.on('error', () => s.destroy());
    s.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const req = JSON.parse(buf.slice(0, nl)) as { id: number; type: string; device?: string };
        buf = buf.slice(nl + 1);
        void (async () => {
          const result = req.type === 'state'
            ? { status: { nodes: [] }, state: { arrays: [] }, views: [] }
            : { arrays: await Promise.all((req.device ? [req.device] : await driver.listArrays()).map((n) => driver.readArray(n))) };
          s.write(JSON.stringify({ v: 1, id: req.id, ok: true, result }) + '\n');
        })();
      }
    });
  });
  servers.push(srv);
  await new Promise<void>((res) => srv.listen(sock, res));
  const map = join(dir, 'map');
  writeFileSync(map, 'md126 /md127/0 186ebbb4:b7f84e66:caa566fb:48a7ac5e /dev/md/vol\nmd127 ddf add6b0fe:70b29a75:7f40f44f:768d2cdf /dev/md/ddf\n');
  return { env: { MDCTL_SOCKET: sock, MDCTL_MDADM_MAP: map }, devRoot: paths.devRoot };
}

async function mdctl(argv: string[], env: NodeJS.ProcessEnv, devRoot: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => { out += t; }, err: (t) => { err += t; }, env });
  return { code, out: out.replaceAll(devRoot, '/dev'), err }; // the tree's /dev is a temporary directory
}

describe('mdctl shows a local DDF container and volume as mdadm 4.2 does', () => {
  it('--detail of the container, --export of both, --detail --brief of both', async () => {
    const { env, devRoot } = await setup();
    const d = await mdctl(['--detail', '/dev/md127'], env, devRoot);
    expect(d).toEqual({ code: 0, out: loadDetail(CASE).get('md127'), err: '' });
    const exports = splitSections(readCaseFile(CASE, 'export.txt')!);
    expect((await mdctl(['--detail', '--export', '/dev/md127'], env, devRoot)).out).toBe(exports.get('/dev/md127'));
    expect((await mdctl(['--detail', '--export', '/dev/md126'], env, devRoot)).out).toBe(exports.get('/dev/md126'));
    const scan = readCaseFile(CASE, 'scan.txt')!.split('\n');
    expect((await mdctl(['--detail', '--brief', '/dev/md127'], env, devRoot)).out).toBe(`${scan[1]}\n`);
    expect((await mdctl(['--detail', '--brief', '/dev/md126'], env, devRoot)).out).toBe(`${scan[2]}\n`);
  });
  it('an array neither in the cluster nor in the kernel is still "no such array"', async () => {
    const { env, devRoot } = await setup();
    const r = await mdctl(['--detail', '/dev/md5'], env, devRoot);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no such array in this cluster [E_NO_SUCH_ARRAY]');
  });
  it("reads mdadm's map file lines: devnm, metadata, uuid, path", () => {
    expect(parseMdadmMap('md127 ddf add6b0fe:70b29a75:7f40f44f:768d2cdf /dev/md/ddf\nbad line\n')).toEqual(new Map([['md127', '/dev/md/ddf']]));
  });
});
