// Kernel lab: one QMP exchange with a guest's qemu over its unix socket. Owns: the QMP
// handshake (greeting, qmp_capabilities) and one command with its reply.
// Invariants: each call opens and closes its own connection; the reply buffer is bounded by
// LAB_MAX_QMP_REPLY_BYTES; the whole exchange is bounded by QMP_TIMEOUT_MS; asynchronous
// events qemu interleaves are skipped; a closed socket after `quit` counts as success.
import { createConnection } from 'node:net';
import { LAB_MAX_QMP_REPLY_BYTES } from '../../lib/limits.js';
import { QMP_TIMEOUT_MS } from './config.js';

export interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
}

/** Runs one QMP command; resolves with its `return` value. */
export function qmpExecute(socketPath: string, command: QmpCommand): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath);
    let buffered = '';
    let stage: 'greeting' | 'capabilities' | 'command' | 'done' = 'greeting';
    const finish = (err: Error | null, value?: unknown): void => {
      if (stage === 'done') return;
      stage = 'done';
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err); else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error(`kernel lab: QMP ${command.execute} timed out`)), QMP_TIMEOUT_MS);
    const send = (msg: QmpCommand): void => { sock.write(JSON.stringify(msg) + '\n'); };
    const onMessage = (msg: Record<string, unknown>): void => {
      if ('event' in msg) return;
      if (stage === 'greeting' && 'QMP' in msg) { stage = 'capabilities'; send({ execute: 'qmp_capabilities' }); return; }
      if ('error' in msg) { finish(new Error(`kernel lab: QMP ${command.execute} failed: ${JSON.stringify(msg.error)}`)); return; }
      if (stage === 'capabilities' && 'return' in msg) { stage = 'command'; send(command); return; }
      if (stage === 'command' && 'return' in msg) finish(null, msg.return);
    };
    sock.setEncoding('utf8');
    sock.on('data', (data: string) => {
      buffered += data;
      if (buffered.length > LAB_MAX_QMP_REPLY_BYTES) { finish(new Error('kernel lab: QMP reply too large')); return; }
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line === '') continue;
        try {
          onMessage(JSON.parse(line) as Record<string, unknown>);
        } catch (e) {
          finish(e instanceof Error ? e : new Error(String(e)));
        }
      }
    });
    sock.on('error', (err) => finish(err));
    sock.on('close', () => {
      if (stage === 'command' && command.execute === 'quit') finish(null, {});
      else finish(new Error(`kernel lab: QMP socket closed during ${command.execute}`));
    });
  });
}

/** QMP send-key for Alt+SysRq+<key>: the magic SysRq key through the guest's i8042 keyboard. */
export function sysrqKeys(key: string): QmpCommand {
  return {
    execute: 'send-key',
    arguments: { keys: [{ type: 'qcode', data: 'alt' }, { type: 'qcode', data: 'sysrq' }, { type: 'qcode', data: key }] },
  };
}
