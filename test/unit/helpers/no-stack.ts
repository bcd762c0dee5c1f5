// Required by .mocharc.fast.json: marks the run as `npm run test:fast`, in which reading the local
// stack (helpers/stack.ts) throws. See test/unit/test-split.test.ts.
import { NO_STACK_FLAG } from './stack';

process.env[NO_STACK_FLAG] = '1';
