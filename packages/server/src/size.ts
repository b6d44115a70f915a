/** dd(1)-style numbers: the parser lives in ukfs (fsu uses it too). */
export { parseSize } from '@rumpts/ukfs';
