import { Autosave } from '../../lib/session/autosave';
import { Driver } from './driver';
import { CRASH_BLOCK, CRASH_INPUT, CRASH_OPTIONS, ALL_SCENARIOS } from './crash-scenarios';

// A stand-in for the engine host, for the kill -9 tests: runs an engine and an Autosave in real time
// (paced by the wall clock, like a sound card) on a scripted session, and reports its frame to the parent
// over IPC until the parent kills it. Usage: node crash-child.js <session folder> <scenario> [<frame>]
// With <frame>, the first <frame> frames run at once (a block at a time, each followed by autosave, but
// not paced), and real time starts there: the kill tests then spend their time where they kill.

// mocha loads every .js file of a folder it is given: only run when started as a program
if (require.main === module) play(process.argv[2], process.argv[3], Number(process.argv[4] ?? 0));

function play(dir: string, scenario: string, from: number): void {
  const { options = CRASH_OPTIONS, input, steps } = ALL_SCENARIOS[scenario];
  const driver = new Driver(options, input ? input() : CRASH_INPUT, steps, CRASH_BLOCK);
  const autosave = new Autosave(driver.engine, dir, { onError: (err) => process.send?.({ error: err.message }) });
  const rate = CRASH_OPTIONS.sampleRate;
  driver.runTo(from - (from % CRASH_BLOCK), () => autosave.afterBlock());
  // what a live run would have saved by then is on the disk before real time starts
  void autosave.flush().then(() => {
    const start = Date.now() - (driver.engine.frame / rate) * 1000;
    tick(start);
  });
  const tick = (start: number): void => {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    const target = due - (due % CRASH_BLOCK);
    if (target > driver.engine.frame) {
      driver.runTo(target, () => autosave.afterBlock());
      process.send?.({ frame: driver.engine.frame });
    }
    setTimeout(() => tick(start), 1);
  };
}
