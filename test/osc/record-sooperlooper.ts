import { writeFileSync } from 'fs';
import * as path from 'path';
import { SESSION, SessionClient, playSession } from './sl-session';

// Records SooperLooper's answers to the scripted session (./sl-session.ts) into
// test/fixtures/sooperlooper-session.json, which the differential test compares ours with.
//
//   npm run build && node dist/test/osc/record-sooperlooper.js PORT
//
// PORT is the OSC port of a SooperLooper 1.7.8 started fresh with one loop and two channels, for
// example headless on a dummy JACK server:
//   jackd -n sldiff --no-realtime -d dummy -r 48000 -p 256 &
//   JACK_DEFAULT_SERVER=sldiff sooperlooper -l 1 -c 2 -p PORT
// The session ends with /quit, so it is stopped at the end. It takes about a minute of real time.

export const FIXTURE = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'sooperlooper-session.json');

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error('usage: node dist/test/osc/record-sooperlooper.js PORT (the OSC port of a fresh SooperLooper with one loop)');
  const clients = { a: await new SessionClient('a').open(), b: await new SessionClient('b').open() };
  const heard = await playSession(port, clients, (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  await clients.a.close();
  await clients.b.close();
  const replies = heard.filter((h) => h.address.startsWith('/s')).length;
  if (replies === 0) throw new Error(`nothing answered on port ${port}: is SooperLooper running there?`);
  const fixture = { recorded: 'SooperLooper 1.7.8, 1 loop, 2 channels, 48000 Hz, silence at the input', steps: SESSION.length, heard };
  writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 1)}\n`);
  process.stdout.write(`${SESSION.length} steps, ${heard.length} messages heard: ${FIXTURE}\n`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
