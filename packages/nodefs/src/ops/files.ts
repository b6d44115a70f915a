/** Whole-file operations as programs: readFile, writeFile/appendFile, copyFile (libuv's semantics). */
import { O_CREAT, O_EXCL, O_RDONLY, O_TRUNC, O_WRONLY, S_IFDIR, S_IFMT, S_IFREG } from '@rumpts/librump';
import { decode, encodingOf, isFd, objectOf, toBytes, toMode, toPath } from '../args.js';
import { COPYFILE_EXCL, COPYFILE_FICLONE_FORCE } from '../constants.js';
import { fsError } from '../errors.js';
import { type Program, sc } from '../program.js';
import { kfd, CHUNK, call, as, openFlags, type ReadFileOptions, type WriteFileOptions } from './common.js';
import { writeAll, readAll } from './fd.js';

export function* readFile(file: unknown, options?: unknown): Program<string | Buffer> {
  const encoding = encodingOf(options);
  const o = objectOf<ReadFileOptions>(options);
  if (isFd(file)) return decode(yield* readAll(kfd(file), 0), encoding);
  const path = toPath(file);
  const flags = openFlags(o.flag, 'r', 'open', path);
  const fd = yield* call('open', path, 'open', path, flags, 0o666);
  try {
    const st = yield* call('fstat', path, 'fstat', fd);
    if ((st.mode & S_IFMT) === S_IFDIR) throw fsError('EISDIR', 21, 'read', undefined);
    return decode(yield* readAll(fd, (st.mode & S_IFMT) === S_IFREG ? st.size : 0), encoding);
  } finally {
    yield* sc('close', fd);
  }
}

export function* writeFile(file: unknown, data: unknown, options?: unknown, defFlag = 'w'): Program<void> {
  const o = objectOf<WriteFileOptions>(options);
  const encoding = encodingOf(options, 'utf8');
  const bytes = toBytes(data, encoding);
  if (isFd(file)) {
    yield* writeAll(kfd(file), bytes, -1);
    return;
  }
  const path = toPath(file);
  const flags = openFlags(o.flag, defFlag, 'open', path);
  const mode = toMode(o.mode, 0o666);
  const fd = yield* call('open', path, 'open', path, flags, mode);
  try {
    yield* writeAll(fd, bytes, -1);
    if (o.flush === true) yield* call('fsync', path, 'fsync', fd);
  } finally {
    yield* sc('close', fd);
  }
}

export function* appendFile(file: unknown, data: unknown, options?: unknown): Program<void> {
  yield* writeFile(file, data, options, 'a');
}

export function* copyFile(src: unknown, dest: unknown, mode = 0): Program<void> {
  const s = toPath(src, 'src');
  const d = toPath(dest, 'dest');
  if ((mode & COPYFILE_FICLONE_FORCE) !== 0) throw fsError('ENOTSUP', 86, 'copyfile', s, d);
  yield* as('copyfile', s, copy(s, d, mode), d);
}

function* copy(s: string, d: string, mode: number): Program<void> {
  const ifd = yield* sc('open', s, O_RDONLY);
  try {
    const st = yield* sc('fstat', ifd);
    if ((st.mode & S_IFMT) === S_IFDIR) throw fsError('EISDIR', 21, 'copyfile', s, d);
    const ofd = yield* sc('open', d, O_WRONLY | O_CREAT | O_TRUNC | ((mode & COPYFILE_EXCL) !== 0 ? O_EXCL : 0), st.mode & 0o7777);
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      for (let n = yield* sc('read', ifd, buf); n > 0; n = yield* sc('read', ifd, buf)) {
        let off = 0;
        while (off < n) off += yield* sc('write', ofd, buf.subarray(off, n));
      }
      // like libuv's uv_fs_copyfile: the copy ends with the source's permission bits
      yield* sc('fchmod', ofd, st.mode & 0o7777);
    } finally {
      yield* sc('close', ofd);
    }
  } finally {
    yield* sc('close', ifd);
  }
}
