/**
 * createReadStream / createWriteStream: Node's own fs.ReadStream and fs.WriteStream, given this
 * facade's open/read/write/writev/close/fsync through their documented `fs` option, so stream
 * behaviour (start/end, highWaterMark, autoClose, 'open'/'ready' events) is Node's.
 */
import * as nodeFs from 'node:fs';
import type { makeCallbackApi } from './callbacks.js';
import { toPath } from './args.js';

type CallbackApi = ReturnType<typeof makeCallbackApi>;

export type ReadStreamOptions = Omit<Exclude<Parameters<typeof nodeFs.createReadStream>[1], string | undefined>, 'fs' | 'fd'> & { fd?: number };
export type WriteStreamOptions = Omit<Exclude<Parameters<typeof nodeFs.createWriteStream>[1], string | undefined>, 'fs' | 'fd'> & { fd?: number };

export interface Streams {
  createReadStream(path: nodeFs.PathLike | null, options?: BufferEncoding | ReadStreamOptions): nodeFs.ReadStream;
  createWriteStream(path: nodeFs.PathLike | null, options?: BufferEncoding | WriteStreamOptions): nodeFs.WriteStream;
}

export function makeStreams(cb: CallbackApi): Streams {
  const readFs = { open: cb.open, read: cb.read, close: cb.close };
  const writeFs = { open: cb.open, write: cb.write, writev: cb.writev, close: cb.close, fsync: cb.fsync };
  const opts = <T extends object>(o: BufferEncoding | T | undefined): T | { encoding: BufferEncoding } => (typeof o === 'string' ? { encoding: o } : (o ?? ({} as T)));
  return {
    createReadStream(path, options) {
      const o = opts(options);
      // Node needs a path even when fd is given; it is only used for open().
      const p = path === null ? '' : toPath(path);
      return nodeFs.createReadStream(p, { ...o, fs: readFs });
    },
    createWriteStream(path, options) {
      const o = opts(options);
      const p = path === null ? '' : toPath(path);
      return nodeFs.createWriteStream(p, { ...o, fs: writeFs });
    },
  };
}
