import { DiscoveryType, decodeDiscovery } from '../../../lib/sync/link/codec';
import { LinkPeer } from '../../../lib/sync/link/peer';
import { phaseOf } from '../../../lib/sync/link/timeline';
import { UdpNetwork, hostMicros } from '../../../lib/sync/link/udp';
import type { LinkSync } from '../../../lib/sync/link-sync';
import { HeardBeat, LinkedEngine } from './linked-engine';
import { LinkHut, TestPeer, insideTestNamespace } from './peers';
import { twoNodeReds } from './two-nodereds';
import { LOSES_TIES, WINS_TIES, locked, moreBeats, nodeIds, phaseErrors, stats, twoLoopers, until } from './session-checks';

// Interop scenarios against real Link peers, one per run of this script, inside the private network
// namespace that link-interop.test.ts makes (the script refuses to run anywhere else). Each prints one
// JSON line of what it saw; the test asserts on it.
//
// usage: node scenarios.js <scenario> <test peer binary>

/** random: for the peer's node ids (nodeIds) */
async function ourPeer(bpm: number, startStopSync = false, random?: () => number): Promise<{ peer: LinkPeer; net: UdpNetwork }> {
  const net = new UdpNetwork({ interfaces: ['127.0.0.1'] });
  await net.open();
  return { peer: new LinkPeer({ network: net, clock: hostMicros, bpm, startStopSync, random }), net };
}

const near = (a: number, b: number, eps = 0.01): boolean => Math.abs(a - b) < eps;

/** Each engine beat against the test peer's beat grid at the moment it sounded: ms off the nearest beat, and whether the bar lines agree. */
async function againstPeer(ref: TestPeer, beats: HeardBeat[], tempo: number, quantum: number): Promise<{ errors: number[]; arrivalErrors: number[]; barsAgree: boolean }> {
  const errors: number[] = [];
  const arrivalErrors: number[] = [];
  let barsAgree = true;
  for (const b of beats) {
    const theirs = await ref.beatAt(b.heard);
    const nearest = Math.round(theirs);
    errors.push(((theirs - nearest) * 60000) / tempo);
    const atArrival = await ref.beatAt(b.arrived);
    arrivalErrors.push(((atArrival - Math.round(atArrival)) * 60000) / tempo);
    if ((phaseOf(nearest, quantum) === 0) !== (b.beatInBar === 0)) barsAgree = false;
  }
  return { errors, arrivalErrors, barsAgree };
}

/**
 * Watches the datagrams that reach `peer` (after its enable()): true once a bye-bye left it with no
 * peers, the moment it was handled. That a peer is gone at once on its bye-bye, not when its TTL runs
 * out, is then a fact of what happened rather than of how long it took.
 */
function goneOnByeBye(peer: LinkPeer, net: UdpNetwork): () => boolean {
  let gone = false;
  const inner = net.onDatagram;
  net.onDatagram = (socket, data, from) => {
    const before = peer.peerCount;
    inner?.(socket, data, from);
    if (socket === 'discovery' && before > 0 && peer.peerCount === 0 && decodeDiscovery(data)?.type === DiscoveryType.ByeBye) gone = true;
  };
  return () => gone;
}

const scenarios: Record<string, (binary: string) => Promise<Record<string, unknown>>> = {
  'two-loopers': async (binary) => ({ ...(await twoLoopers(binary)) }),

  /** The test peer's session is older (or ties, and wins the tie): ours joins it; tempo changes both ways; phase after join. */
  async 'tempo-both-ways'(binary) {
    const ref = new TestPeer(binary, 120);
    await ref.status();
    const { peer, net } = await ourPeer(90, false, nodeIds(LOSES_TIES));
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

  /** Ours is older (or ties, and wins the tie): the test peer joins ours, takes our tempo, and its phase lines up with ours. */
  async 'phase-after-join'(binary) {
    const { peer, net } = await ourPeer(97, false, nodeIds(WINS_TIES));
    peer.enable();
    const ref = new TestPeer(binary, 140);
    await until(async () => (await ref.status()).peers === 1 && peer.peerCount === 1, 5000, 'the test peer joins ours, and ours sees it there');
    const theirs = await ref.status();
    const phase = stats(await phaseErrors(ref, peer, 40));
    const peers = peer.peerCount;
    await ref.quit();
    peer.disable();
    await net.close();
    return { tempo: theirs.tempo, peers, phase };
  },

  /**
   * The test peer leaves (bye-bye) and comes back; ours carries the session on alone, then shares it
   * again. Ours joins the test peer's session at first (it loses the tie), and founds a session of its
   * own when the test peer leaves, under a node id that wins the tie against the test peer's fresh one.
   */
  async 'leave-rejoin'(binary) {
    const ref = new TestPeer(binary, 120);
    await ref.status();
    const { peer, net } = await ourPeer(120, false, nodeIds(LOSES_TIES, WINS_TIES));
    peer.enable();
    await until(() => peer.peerCount === 1, 5000, 'ours joins');
    const byeBye = goneOnByeBye(peer, net);
    await ref.command('enable 0');
    const leaveMs = await until(() => peer.peerCount === 0, 6000, 'ours sees the test peer leave');
    const leftOnByeBye = byeBye();
    const alone = peer.sessionId.toString('latin1');
    peer.setTempo(105);
    // ours now leads a session of its own; the test peer comes back with a fresh one, younger or tied
    await ref.command('enable 1');
    const rejoinMs = await until(async () => peer.peerCount === 1 && (await ref.status()).peers === 1, 5000, 'both see each other again');
    await until(async () => near((await ref.status()).tempo, 105), 2000, 'the test peer takes the tempo set while it was away');
    const phase = stats(await phaseErrors(ref, peer));
    await ref.quit();
    peer.disable();
    await net.close();
    return { leaveMs, leftOnByeBye, rejoinMs, tempo: peer.tempo, phase, alone, session: peer.sessionId.toString('latin1') };
  },

  /** Start/stop sync both ways with the Link library. */
  async 'start-stop'(binary) {
    const ref = new TestPeer(binary, 120);
    await ref.command('startstop 1');
    const { peer, net } = await ourPeer(120, true);
    peer.enable();
    await until(() => peer.peerCount === 1, 5000, 'ours joins');
    await ref.command('play');
    const theirsToOursMs = await until(() => peer.isPlaying, 3000, 'ours sees the session playing');
    peer.setPlaying(false);
    const oursToTheirsMs = await until(async () => !(await ref.status()).playing, 3000, 'the test peer stops with ours');
    await ref.quit();
    peer.disable();
    await net.close();
    return { theirsToOursMs, oursToTheirsMs };
  },

  /** Two of our peers, each with its own sockets: one session, tempo both ways, one leaves. */
  async 'two-ours'() {
    const a = await ourPeer(120, false, nodeIds(WINS_TIES));
    a.peer.enable();
    const b = await ourPeer(80, false, nodeIds(LOSES_TIES));
    b.peer.enable();
    await until(() => a.peer.peerCount === 1 && b.peer.peerCount === 1 && near(b.peer.tempo, 120), 5000, 'the two join');
    b.peer.setTempo(99);
    await until(() => near(a.peer.tempo, 99), 2000, 'a follows b to 99 bpm');
    a.peer.setTempo(111);
    await until(() => near(b.peer.tempo, 111), 2000, 'b follows a to 111 bpm');
    const at = hostMicros();
    const beatDiffMs = ((a.peer.beatAt(at) - b.peer.beatAt(at)) * 60000) / a.peer.tempo;
    const byeBye = goneOnByeBye(a.peer, a.net);
    b.peer.disable();
    // at once on b's bye-bye; at the latest when b's announced TTL (5 s) runs out, should the bye-bye be lost
    const leaveMs = await until(() => a.peer.peerCount === 0, 6000, 'a sees b leave');
    const leftOnByeBye = byeBye();
    a.peer.disable();
    await a.net.close();
    await b.net.close();
    return { beatDiffMs, leaveMs, leftOnByeBye };
  },

  /**
   * Start/stop sync between an engine host and the library, both ways: the looper's click turned on
   * and off starts and stops the session; the library's play and stop start and stop the looper's click
   * (and loops).
   */
  async 'engine-start-stop'(binary) {
    const ref = new TestPeer(binary, 120);
    await ref.command('startstop 1');
    const engine = new LinkedEngine(120, { linkStartStop: true }, nodeIds(LOSES_TIES));
    await engine.start();
    const click = async (): Promise<boolean> => ((await engine.connection.request({ type: 'status' })) as { metronome: boolean }).metronome;
    const sessionPlays = async (): Promise<boolean> => (await ref.status()).playing;
    const oursPlays = (): boolean => engine.playing[engine.playing.length - 1] === true;
    try {
      await until(() => engine.sync?.peer.peerCount === 1 && locked(engine), 20000, 'the engine joins and locks');
      const clickOnAtJoin = await click();
      const before = await sessionPlays();
      engine.connection.send({ type: 'command', command: 'metronome', track: 0, value: true });
      const startToLibraryMs = await until(sessionPlays, 3000, 'the library plays after the looper\'s click starts');
      engine.connection.send({ type: 'command', command: 'metronome', track: 0, value: false });
      const stopToLibraryMs = await until(async () => !(await sessionPlays()), 3000, 'the library stops with the looper\'s click');
      const clickAfterStop = await click();
      await ref.command('play');
      const startFromLibraryMs = await until(async () => oursPlays() && (await click()), 3000, 'the looper plays, click on, when the library starts');
      await ref.command('stop');
      const stopFromLibraryMs = await until(async () => !oursPlays() && !(await click()), 3000, 'the looper stops, click off, when the library stops');
      return { clickOnAtJoin, sessionPlayedBefore: before, startToLibraryMs, stopToLibraryMs, clickAfterStop, startFromLibraryMs, stopFromLibraryMs, published: [...engine.playing] };
    } finally {
      await engine.stop();
      await ref.quit();
    }
  },

  /** An engine host following the test peer's session: beats and bars on the session's, and a tempo change from the peer. */
  async 'engine-follow'(binary) {
    const seconds = Number(process.env.LINK_SCENARIO_SECONDS ?? 8);
    const ref = new TestPeer(binary, 120);
    await ref.status();
    const engine = new LinkedEngine(97, {}, nodeIds(LOSES_TIES));
    await engine.start();
    try {
      const lockMs = await until(() => locked(engine), 20000, 'the engine locks onto the session');
      const beats = await moreBeats(engine, Math.max(8, Math.round(seconds * 2)));
      const steady = await againstPeer(ref, beats, 120, 4);
      // The tempo change, counted in the engine's frames. LinkSync passes the session's new tempo to
      // the host as a 'bpm' command when the peer hears of it (its 'tempo' listener comes first); a
      // status request right behind it, on the same channel, is answered with the engine's frame then:
      // at or after the frame the command was stamped with. The engine starts a tempo at the first beat
      // at or after its command's frame, and the follower's steps go the same way, so the first tempo
      // after the change must play from a beat, and no beat may lie between that frame and it.
      const sync = engine.sync as LinkSync;
      let hostFrame: number | undefined;
      const onTempo = (bpm: number): void => {
        if (!near(bpm, 100)) return;
        sync.peer.off('tempo', onTempo);
        void engine.connection.request({ type: 'status' }).then((st) => (hostFrame = (st as { frame: number }).frame));
      };
      sync.peer.on('tempo', onTempo);
      const temposBefore = engine.tempos.length;
      const changedAt = hostMicros();
      await ref.command('tempo 100');
      await until(() => hostFrame !== undefined, 5000, 'the engine host has the session\'s new tempo');
      // the old tempo is 120 (the follower's steps while locked move it by hundredths); the new one is
      // 100, or the follower's step onto the new beat grid, which lengthens a beat: under 100 bpm
      await until(() => engine.tempos.slice(temposBefore).some((t) => t.bpm < 110), 5000, 'a tempo event of the change');
      const newTempo = engine.tempos.slice(temposBefore).find((t) => t.bpm < 110) as { bpm: number; frame: number };
      await until(() => engine.beats.some((b) => b.frame >= newTempo.frame), 5000, 'the engine beat where the new tempo starts');
      const tempoOnBeat = engine.beats.some((b) => b.frame === newTempo.frame);
      const beatsBetween = engine.beats.filter((b) => b.frame >= (hostFrame as number) && b.frame < newTempo.frame).length;
      // shown, not asserted: how long after the change it was heard depends on the machine's load
      const heardAfterMs = Math.round(((sync.heardAt(newTempo.frame) ?? NaN) - changedAt) / 1000);
      await until(() => locked(engine), 10000, 'the engine locks again at 100 bpm');
      const relock = await againstPeer(ref, await moreBeats(engine, 6), 100, 4);
      return {
        lockMs,
        beats: beats.length,
        phase: stats(steady.errors),
        arrival: stats(steady.arrivalErrors),
        barsAgree: steady.barsAgree && relock.barsAgree,
        hostFrame,
        newTempo,
        tempoOnBeat,
        beatsBetween,
        heardAfterMs,
        relock: stats(relock.errors),
      };
    } finally {
      await engine.stop();
      await ref.quit();
    }
  },

  /** Two engine hosts of ours in one session: beats and bar lines together; a tempo set on one plays on both. */
  async 'two-engines'() {
    const a = new LinkedEngine(120, {}, nodeIds(WINS_TIES));
    await a.start();
    const b = new LinkedEngine(90, {}, nodeIds(LOSES_TIES));
    await b.start();
    try {
      await until(() => locked(a) && locked(b) && Math.abs((b.sync?.peer.tempo ?? 0) - 120) < 0.01, 20000, 'both engines lock onto one session');
      // one beat more than compared: b's beat at a's last compared one has surely come in too
      const beatsA = (await moreBeats(a, 13)).slice(0, 12);
      const diffs: number[] = [];
      let barsAgree = true;
      for (const x of beatsA) {
        const y = b.beats.reduce((best, c) => (Math.abs(c.heard - x.heard) < Math.abs(best.heard - x.heard) ? c : best), b.beats[0]);
        diffs.push((y.heard - x.heard) / 1000);
        if ((x.beatInBar === 0) !== (y.beatInBar === 0)) barsAgree = false;
      }
      // a tempo set on b (as its metronome node would) goes to the session, and a's engine plays it
      b.connection.send({ type: 'command', command: 'bpm', track: 0, value: 100 });
      await until(() => a.tempos.some((t) => Math.abs(t.bpm - 100) < 0.01), 5000, 'a\'s engine plays 100 bpm');
      await until(() => locked(a) && locked(b), 10000, 'both lock again');
      return { diff: stats(diffs), barsAgree, tempoA: a.sync?.peer.tempo, peers: [a.sync?.peer.peerCount, b.sync?.peer.peerCount] };
    } finally {
      await b.stop();
      await a.stop();
    }
  },

  /** Two `npm start`s (two Node-REDs) in one session record loops on each other's click (two-nodereds.ts). */
  'two-nodereds': async () => ({ ...(await twoNodeReds()) }),

  /** Debian's LinkHut: it joins ours, tempo both ways, the same beat on both. */
  async linkhut() {
    const { peer, net } = await ourPeer(95, false, nodeIds(WINS_TIES));
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
