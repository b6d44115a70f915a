import { packageTestConfig } from '../../tools/vitest/base.ts';

export default packageTestConfig;
