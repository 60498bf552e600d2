/**
 * A resolution worker that misbehaves as `workerData.behaviour` says, for the tests of
 * ResolutionWorkers: `exit` stops the thread at the first resolution it is handed, `silent`
 * never answers one, `exit-at-start` stops before reading any message.
 */
import { parentPort, workerData } from 'node:worker_threads';

const behaviour = (workerData as { behaviour: string }).behaviour;
if (behaviour === 'exit-at-start') process.exit(3);
parentPort?.on('message', (message: { type: string }) => {
  if (message.type === 'resolve' && behaviour === 'exit') process.exit(2);
});
