import { Autosave } from '../../lib/session/autosave';
import { Driver } from './driver';
import { CRASH_BLOCK, CRASH_INPUT, CRASH_OPTIONS, CRASH_SCENARIOS } from './crash-scenarios';

// A stand-in for the engine host, for the kill -9 tests: runs an engine and an Autosave in real time
// (paced by the wall clock, like a sound card) on a scripted session, and reports its frame to the parent
// over IPC until the parent kills it. Usage: node crash-child.js <session folder> <scenario>

// mocha loads every .js file of a folder it is given: only run when started as a program
if (require.main === module) play(process.argv[2], process.argv[3]);

function play(dir: string, scenario: string): void {
  const driver = new Driver(CRASH_OPTIONS, CRASH_INPUT, CRASH_SCENARIOS[scenario].steps, CRASH_BLOCK);
  const autosave = new Autosave(driver.engine, dir, { onError: (err) => process.send?.({ error: err.message }) });
  const rate = CRASH_OPTIONS.sampleRate;
  const start = Date.now();
  const tick = (): void => {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    const target = due - (due % CRASH_BLOCK);
    if (target > driver.engine.frame) {
      driver.runTo(target, () => autosave.afterBlock());
      process.send?.({ frame: driver.engine.frame });
    }
    setTimeout(tick, 1);
  };
  tick();
}
