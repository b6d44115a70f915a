/** The block I/O checks live with the host block device in @rumpts/etfs (the lower package); one copy. */
export { checkSecsize, checkTransfer, isPowerOfTwo } from '@rumpts/etfs';
