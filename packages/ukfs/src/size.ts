/**
 * dd(1)-style numbers (NetBSD strsuftoll): a decimal number with an optional multiplier suffix
 * b (512), k, m, g, t (powers of 1024) or w (sizeof(int) = 4), and `x` products such as `2x8k`.
 */
import { errno } from '@rumpts/librump';

const SUFFIX: Readonly<Record<string, number>> = { b: 512, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, w: 4 };

/** Parse `what`'s value; throws EINVAL naming the text when it is not a number, ERANGE past 2^53. */
export function parseSize(text: string, what = 'size'): number {
  if (text === '') throw errno('EINVAL', `${what}: empty number`);
  let product = 1;
  for (const factor of text.split('x')) {
    const m = /^([0-9]+)([bkmgtwBKMGTW]?)$/.exec(factor);
    if (!m?.[1]) throw errno('EINVAL', `${what}: '${text}' is not a number (digits with an optional b, k, m, g, t or w suffix)`);
    product *= Number(m[1]) * (m[2] ? (SUFFIX[m[2].toLowerCase()] ?? 1) : 1);
  }
  if (!Number.isSafeInteger(product)) throw errno('ERANGE', `${what}: '${text}' is too large`);
  return product;
}
