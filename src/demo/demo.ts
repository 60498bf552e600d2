/** `npm run demo` (run-demo.ts has what it does). */
import { runDemo } from './run-demo.js';

await runDemo(process.env);
