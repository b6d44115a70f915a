/**
 * fsu's standard streams: byte-exact output into slow pipes, a closed pipe (`| head`) ending quietly,
 * and standard input read from pipes (slow and large), files, sockets and terminals.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FSU_BIN, fsu, sh, SLOW_READER } from './fsu-helpers.js';
import { makefsImage, tmp } from './helpers.js';

/**
 * A tree with a 2.5 MiB random file (two full 1 MiB reads of fsu cat's buffer and a part of a third,
 * more than a pipe holds many times over) and a few small ones.
 */
function bigTree(d: string): { src: string; big: Buffer } {
  const src = join(d, 'src');
  mkdirSync(join(src, 'dir'), { recursive: true });
  const big = randomBytes(2560 * 1024 + 123);
  writeFileSync(join(src, 'big.bin'), big);
  for (let i = 0; i < 40; i++) writeFileSync(join(src, 'dir', `f${String(i).padStart(2, '0')}.txt`), `${i}\n`);
  return { src, big };
}

describe('fsu standard output', () => {
  it('cat into a slow pipe is byte-exact (the bytes past 64 KiB too)', () => {
    const d = tmp();
    const { src, big } = bigTree(d);
    const img = makefsImage(d, src, 2, 'ffs.img');
    const out = join(d, 'out.bin');
    const r = sh(`fsu cat "${img}" /big.bin /dir/f07.txt | ${SLOW_READER} > "${out}"; echo "\${PIPESTATUS[@]}"`);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('0 0');
    const got = readFileSync(out);
    expect(got.length).toBe(big.length + 2);
    expect(got.subarray(0, big.length).equals(big)).toBe(true);
    expect(got.subarray(big.length).toString()).toBe('7\n');
  });

  it('cat into a fast pipe and into a file is byte-exact', () => {
    const d = tmp();
    const { src, big } = bigTree(d);
    const img = makefsImage(d, src, 1, 'ffs.img');
    const r = sh(`fsu cat "${img}" /big.bin | cmp - "${join(src, 'big.bin')}" && fsu cat "${img}" /big.bin > "${join(d, 'f')}"`);
    expect(r.code).toBe(0);
    expect(readFileSync(join(d, 'f')).equals(big)).toBe(true);
    // A standard output that fails ends the run with one line, whatever operands remain.
    const full = sh(`fsu cat "${img}" /big.bin /big.bin > /dev/full`);
    expect(full.stderr).toBe('fsu: standard output: No space left on device\n');
    expect(full.code).toBe(1);
  });

  it('a closed pipe (| head -1) ends cat, ls and find quietly with the SIGPIPE status', () => {
    const d = tmp();
    const { src } = bigTree(d);
    const img = makefsImage(d, src, 2, 'ffs.img');
    // The reader closes its end at once, so fsu meets a closed pipe on its first write.
    const cmds = [`cat "${img}" /big.bin`, `ls -R "${img}"`, `find "${img}" /`, `ls -l "${img}" /dir`];
    const closed = sh(cmds.map((c) => `fsu ${c} | (exec 0<&-; sleep 0); echo "\${PIPESTATUS[0]}"`).join('\n'));
    expect(closed.stderr).toBe('');
    expect(closed.stdout.trim().split('\n')).toEqual(cmds.map(() => '141'));
    // With head -1 the race decides: all written before head exits (0), or a closed pipe (141).
    const head = sh(`fsu cat "${img}" /big.bin | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"`);
    expect(head.stderr).toBe('');
    expect(['0', '141']).toContain(head.stdout.trim());
    // What fits is still written before the pipe closes.
    const first = sh(`fsu ls "${img}" /dir | head -1`);
    expect(first.stdout).toBe('f00.txt\n');
    expect(first.stderr).toBe('');
  });
});

describe('fsu standard input (write)', () => {
  const setup = (): { d: string; img: string } => {
    const d = tmp();
    const img = join(d, 'ffs.img');
    expect(fsu(['newfs', '-s', '16m', img]).code).toBe(0);
    return { d, img };
  };

  it('from a pipe that is slow to start, a large pipe, and a file', () => {
    const { d, img } = setup();
    const slow = sh(`(sleep 1; printf 'late\\n') | fsu write "${img}" /late.txt`);
    expect(slow.stderr).toBe('');
    expect(slow.code).toBe(0);
    expect(fsu(['cat', img, '/late.txt']).stdout).toBe('late\n');
    const big = randomBytes(3 * 1024 * 1024 + 7);
    writeFileSync(join(d, 'big'), big);
    const large = sh(`cat "${join(d, 'big')}" | fsu write "${img}" /big && fsu write -a "${img}" /big < "${join(d, 'big')}"`);
    expect(large.stderr).toBe('');
    expect(large.code).toBe(0);
    const back = join(d, 'back');
    expect(sh(`fsu cat "${img}" /big > "${back}"`).code).toBe(0);
    expect(readFileSync(back).equals(Buffer.concat([big, big]))).toBe(true);
    // A device (Node's stream would see nothing there): /dev/zero fills the image, which is one error line.
    const full = sh(`fsu write "${img}" /zeros < /dev/zero`);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/^fsu: \/zeros: [^\n]*full[^\n]*\n$/);
    expect(Number(/Size: (\d+)/.exec(fsu(['stat', img, '/zeros']).stdout)?.[1])).toBeGreaterThan(1 << 20);
  });

  it('from a socket and from a terminal', () => {
    const { img } = setup();
    const viaSocket = sh(`python3 -c '
import socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen(sys.argv[1:], stdin=b)
b.close()
a.sendall(b"over a socket\\n" * 10000)
a.shutdown(socket.SHUT_WR)
sys.exit(p.wait())
' "${process.execPath}" "${FSU_BIN}" write "${img}" /sock.txt`);
    expect(viaSocket.stderr).toBe('');
    expect(viaSocket.code).toBe(0);
    expect(fsu(['cat', img, '/sock.txt']).stdout).toBe('over a socket\n'.repeat(10000));
    // A terminal: a pty, a typed line, then ^D.
    const viaTty = sh(`python3 -c '
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
time.sleep(0.5)
os.write(fd, b"typed on a tty\\n")
time.sleep(0.2)
os.write(fd, b"\\x04")
while True:
    try:
        if not os.read(fd, 1024): break
    except OSError:
        break
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
' "${process.execPath}" "${FSU_BIN}" write "${img}" /tty.txt`);
    expect(viaTty.code).toBe(0);
    expect(fsu(['cat', img, '/tty.txt']).stdout).toBe('typed on a tty\n');
  });

  it('standard input that cannot be read is named in the error', () => {
    const { d, img } = setup();
    const r = sh(`fsu write "${img}" /x < "${d}"`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('fsu: standard input: Is a directory\n');
  });
});
