import { LinkPeer } from '../../../lib/sync/link/peer';
import { phaseOf } from '../../../lib/sync/link/timeline';
import { UdpNetwork, hostMicros } from '../../../lib/sync/link/udp';
import { LinkHut, TestPeer, insideTestNamespace } from './peers';

// Interop scenarios against real Link peers, one per run of this script, inside the private network
// namespace that link-interop.test.ts makes (the script refuses to run anywhere else). Each prints one
// JSON line of what it saw; the test asserts on it.
//
// usage: node scenarios.js <scenario> <test peer binary>

const QUANTUM = 4;

async function ourPeer(bpm: number): Promise<{ peer: LinkPeer; net: UdpNetwork }> {
  const net = new UdpNetwork({ interfaces: ['127.0.0.1'] });
  await net.open();
  return { peer: new LinkPeer({ network: net, clock: hostMicros, bpm }), net };
}

async function until(ok: () => boolean | Promise<boolean>, ms: number, what: string): Promise<number> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - start;
}

const near = (a: number, b: number, eps = 0.01): boolean => Math.abs(a - b) < eps;

/** Phase error (ms) of `ours` against the test peer at `samples` instants: both asked for the beat at the same host time. */
async function phaseErrors(ref: TestPeer, ours: LinkPeer, samples = 20): Promise<number[]> {
  const errors: number[] = [];
  for (let i = 0; i < samples; i++) {
    const at = hostMicros();
    const theirs = await ref.beatAt(at);
    const d = phaseOf(ours.beatAt(at) - theirs + QUANTUM / 2, QUANTUM) - QUANTUM / 2;
    errors.push((d * 60000) / ours.tempo);
    await new Promise((r) => setTimeout(r, 10));
  }
  return errors;
}

const stats = (v: number[]): { median: number; max: number } => {
  const s = v.map(Math.abs).sort((a, b) => a - b);
  return { median: s[s.length >> 1], max: s[s.length - 1] };
};

const scenarios: Record<string, (binary: string) => Promise<Record<string, unknown>>> = {
  /** The test peer's session is older: ours joins it; tempo changes both ways; phase after join. */
  async 'tempo-both-ways'(binary) {
    const ref = new TestPeer(binary, 120);
    await ref.status();
    const { peer, net } = await ourPeer(90);
    peer.enable();
    const joinMs = await until(() => peer.peerCount === 1 && near(peer.tempo, 120), 5000, 'ours joins the test peer at 120 bpm');
    const phase = stats(await phaseErrors(ref, peer));
    await ref.command('tempo 100');
    const theirsToOursMs = await until(() => near(peer.tempo, 100), 3000, 'ours follows the test peer to 100 bpm');
    peer.setTempo(133.5);
    const oursToTheirsMs = await until(async () => near((await ref.status()).tempo, 133.5), 3000, 'the test peer follows ours to 133.5 bpm');
    const after = stats(await phaseErrors(ref, peer));
    await ref.quit();
    peer.disable();
    await net.close();
    return { joinMs, phase, theirsToOursMs, oursToTheirsMs, after };
  },

  /** Ours is older: the test peer joins ours, takes our tempo, and its phase lines up with ours. */
  async 'phase-after-join'(binary) {
    const { peer, net } = await ourPeer(97);
    peer.enable();
    await new Promise((r) => setTimeout(r, 300));
    const ref = new TestPeer(binary, 140);
    await until(async () => (await ref.status()).peers === 1, 5000, 'the test peer sees ours');
    const theirs = await ref.status();
    const phase = stats(await phaseErrors(ref, peer, 40));
    const peers = peer.peerCount;
    await ref.quit();
    peer.disable();
    await net.close();
    return { tempo: theirs.tempo, peers, phase };
  },

  /** The test peer leaves (bye-bye) and comes back; ours carries the session on alone, then shares it again. */
  async 'leave-rejoin'(binary) {
    const ref = new TestPeer(binary, 120);
    await ref.status();
    const { peer, net } = await ourPeer(120);
    peer.enable();
    await until(() => peer.peerCount === 1, 5000, 'ours joins');
    await ref.command('enable 0');
    const leaveMs = await until(() => peer.peerCount === 0, 2000, 'ours sees the test peer leave');
    peer.setTempo(105);
    await new Promise((r) => setTimeout(r, 300));
    await ref.command('enable 1');
    const rejoinMs = await until(async () => peer.peerCount === 1 && (await ref.status()).peers === 1, 5000, 'both see each other again');
    await until(async () => near((await ref.status()).tempo, 105), 2000, 'the test peer takes the tempo set while it was away');
    const phase = stats(await phaseErrors(ref, peer));
    await ref.quit();
    peer.disable();
    await net.close();
    return { leaveMs, rejoinMs, tempo: peer.tempo, phase };
  },

  /** Two of our peers, each with its own sockets: one session, tempo both ways, one leaves. */
  async 'two-ours'() {
    const a = await ourPeer(120);
    a.peer.enable();
    await new Promise((r) => setTimeout(r, 200));
    const b = await ourPeer(80);
    b.peer.enable();
    await until(() => a.peer.peerCount === 1 && b.peer.peerCount === 1 && near(b.peer.tempo, 120), 5000, 'the two join');
    b.peer.setTempo(99);
    await until(() => near(a.peer.tempo, 99), 2000, 'a follows b to 99 bpm');
    a.peer.setTempo(111);
    await until(() => near(b.peer.tempo, 111), 2000, 'b follows a to 111 bpm');
    const at = hostMicros();
    const beatDiffMs = ((a.peer.beatAt(at) - b.peer.beatAt(at)) * 60000) / a.peer.tempo;
    b.peer.disable();
    const leaveMs = await until(() => a.peer.peerCount === 0, 2000, 'a sees b leave');
    a.peer.disable();
    await a.net.close();
    await b.net.close();
    return { beatDiffMs, leaveMs };
  },

  /** Debian's LinkHut: it joins ours, tempo both ways, the same beat on both. */
  async linkhut() {
    const { peer, net } = await ourPeer(95);
    peer.enable();
    const hut = new LinkHut();
    try {
      await hut.start();
      hut.key('a');
      await hut.until((s) => s?.enabled === true && s.peers === 1 && near(s.tempo, 95), 5000, 'LinkHut joins at 95 bpm');
      await until(() => peer.peerCount === 1, 2000, 'ours sees LinkHut');
      hut.key('e');
      await until(() => near(peer.tempo, 96), 3000, 'ours follows LinkHut to 96 bpm');
      peer.setTempo(90);
      const s = await hut.until((x) => near(x?.tempo ?? 0, 90), 3000, 'LinkHut follows ours to 90 bpm');
      // LinkHut draws its beat with two decimals, a few ms after it computes it
      const beatPhaseDiff = phaseOf(phaseOf(s.beats, s.quantum) - phaseOf(peer.beatAt(hostMicros()), s.quantum) + 2, 4) - 2;
      return { hutTempo: s.tempo, oursTempo: peer.tempo, peers: s.peers, beatPhaseDiff };
    } finally {
      await hut.stop();
      peer.disable();
      await net.close();
    }
  },
};

async function main(): Promise<void> {
  const [name, binary] = process.argv.slice(2);
  if (!insideTestNamespace()) throw new Error('refusing to send Link multicast outside a private network namespace');
  const run = scenarios[name];
  if (!run) throw new Error(`unknown scenario ${name}; accepted: ${Object.keys(scenarios).join(', ')}`);
  process.stdout.write(`${JSON.stringify(await run(binary))}\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
