// A minimal etcd v3 gRPC client for the `anchor` benchmark: KV.Put and Maintenance.Status over
// cleartext HTTP/2 (node:http2), with the two protobuf messages encoded and decoded here.
// Why not the `etcd3` package: it pulls in @grpc/grpc-js and protobufjs for two calls. Why not
// etcd's grpc-gateway JSON API (/v3/kv/put): in etcd 3.4 the gateway is a second hop (HTTP/JSON
// -> an in-process gRPC client -> the gRPC server over loopback), which would add its own cost
// to every etcd latency and flatter our ratios. This speaks etcd's native protocol, as etcdctl
// and clientv3 do, on one long-lived HTTP/2 connection per member.
// Owns: one HTTP/2 session per member (re-opened after the member dies) and the wire formats
// (gRPC length-prefixed messages, protobuf varint and length-delimited fields).
// Invariants: every call ends within its timeout (rejects, never hangs); a reply larger than
// ETCD_MAX_REPLY_BYTES is an error; uint64 ids are BigInt (etcd member ids exceed 2^53).
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { ETCD_MAX_REPLY_BYTES } from '../test/lib/limits.js';

// ---- protobuf (only what PutRequest, StatusResponse and ResponseHeader need) ----

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); }
  out.push(v);
  return out;
}

/** A message of length-delimited (wire type 2) fields, in field-number order. */
export function encodeBytesFields(fields: [number, Uint8Array][]): Uint8Array {
  const parts: number[] = [];
  for (const [no, bytes] of fields) parts.push(...varint((no << 3) | 2), ...varint(bytes.length), ...bytes);
  return Uint8Array.from(parts);
}

export type ProtoValue = bigint | Uint8Array;

/** Decodes the top-level fields of a message: varints as BigInt, length-delimited as bytes (last one wins). */
export function decodeFields(buf: Uint8Array): Map<number, ProtoValue> {
  const out = new Map<number, ProtoValue>();
  let i = 0;
  const readVarint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (i >= buf.length || shift > 63n) throw new Error('protobuf: truncated or overlong varint');
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
  };
  while (i < buf.length) {
    const key = Number(readVarint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.set(no, readVarint());
    else if (wire === 2) {
      const len = Number(readVarint());
      if (i + len > buf.length) throw new Error('protobuf: length-delimited field past the end');
      out.set(no, buf.subarray(i, i + len));
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

const num = (v: ProtoValue | undefined): bigint => (typeof v === 'bigint' ? v : 0n);

export interface EtcdStatus {
  memberId: bigint;
  leader: bigint;
  raftTerm: bigint;
  raftIndex: bigint;
  raftAppliedIndex: bigint;
  version: string;
}

/** etcdserverpb.StatusResponse: header(1){member_id 2}, version 2, leader 4, raftIndex 5, raftTerm 6, raftAppliedIndex 7. */
export function decodeStatus(msg: Uint8Array): EtcdStatus {
  const f = decodeFields(msg);
  const header = f.get(1);
  const h = header instanceof Uint8Array ? decodeFields(header) : new Map<number, ProtoValue>();
  const version = f.get(2);
  return { memberId: num(h.get(2)), leader: num(f.get(4)), raftIndex: num(f.get(5)), raftTerm: num(f.get(6)), raftAppliedIndex: num(f.get(7)),
    version: version instanceof Uint8Array ? Buffer.from(version).toString('utf8') : '' };
}

// ---- gRPC over HTTP/2 ----

/** A gRPC message on the wire: 1 byte "compressed" (0), 4 bytes big-endian length, the message. */
export function grpcFrame(msg: Uint8Array): Buffer {
  const b = Buffer.alloc(5 + msg.length);
  b.writeUInt32BE(msg.length, 1);
  b.set(msg, 5);
  return b;
}

export class GrpcError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export class EtcdClient {
  private session: ClientHttp2Session | null = null;
  constructor(readonly url: string) {}

  private open(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const s = connect(this.url);
    s.on('error', () => { /* surfaces on the stream; the session is re-opened on the next call */ });
    s.on('close', () => { if (this.session === s) this.session = null; });
    this.session = s;
    return s;
  }

  /** One unary call; resolves with the reply message, rejects on a gRPC status != 0, a transport error or the timeout. */
  call(path: string, msg: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let session: ClientHttp2Session;
      try { session = this.open(); } catch (e) { reject(e as Error); return; }
      const stream = session.request({ [constants.HTTP2_HEADER_METHOD]: 'POST', [constants.HTTP2_HEADER_PATH]: path, 'content-type': 'application/grpc', te: 'trailers' });
      const chunks: Buffer[] = [];
      let size = 0;
      let grpcStatus: number | null = null;
      let grpcMessage = '';
      let done = false;
      const finish = (err: Error | null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) { if (!stream.destroyed) stream.close(constants.NGHTTP2_CANCEL); reject(err); return; }
        if (grpcStatus !== 0) { reject(new GrpcError(grpcStatus ?? -1, `${path}: grpc-status ${grpcStatus ?? 'missing'} ${grpcMessage}`)); return; }
        const body = Buffer.concat(chunks);
        if (body.length < 5 || body.readUInt32BE(1) !== body.length - 5) { reject(new Error(`${path}: malformed gRPC reply of ${body.length} bytes`)); return; }
        resolve(body.subarray(5));
      };
      const timer = setTimeout(() => finish(new Error(`${path} on ${this.url}: no reply within ${timeoutMs} ms`)), timeoutMs);
      const takeStatus = (h: Record<string, unknown>): void => {
        if (h['grpc-status'] !== undefined) grpcStatus = Number(h['grpc-status']);
        if (h['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(h['grpc-message']));
      };
      stream.on('response', (h) => {
        const st = Number(h[constants.HTTP2_HEADER_STATUS]);
        if (st !== 200) { finish(new Error(`${path}: HTTP status ${st}`)); return; }
        takeStatus(h);
      });
      stream.on('trailers', (h) => takeStatus(h));
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > ETCD_MAX_REPLY_BYTES) { finish(new Error(`${path}: reply larger than ${ETCD_MAX_REPLY_BYTES} bytes`)); return; }
        chunks.push(c);
      });
      stream.on('end', () => finish(null));
      stream.on('error', (e) => finish(e));
      stream.on('close', () => finish(grpcStatus === null ? new Error(`${path} on ${this.url}: stream closed without a status`) : null));
      stream.end(grpcFrame(msg));
    });
  }

  async put(key: Uint8Array, value: Uint8Array, timeoutMs: number): Promise<void> {
    await this.call('/etcdserverpb.KV/Put', encodeBytesFields([[1, key], [2, value]]), timeoutMs);
  }

  async status(timeoutMs: number): Promise<EtcdStatus> {
    return decodeStatus(await this.call('/etcdserverpb.Maintenance/Status', new Uint8Array(0), timeoutMs));
  }

  close(): void {
    this.session?.destroy();
    this.session = null;
  }
}
