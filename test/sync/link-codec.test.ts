import { strict as assert } from 'assert';
import {
  DiscoveryType,
  LinkCodecError,
  MeasurementType,
  decodeDiscovery,
  decodeMeasurement,
  encodeDiscovery,
  encodeMeasurement,
} from '../../lib/sync/link/codec';

// Datagrams captured from two peers built on Ableton's Link library 3.0.6 (Debian's ableton-link-dev)
// in a private network namespace: what ours must read, and write byte for byte.
const CAPTURED = {
  alive: '5f617364705f76010105000070354e782a3b3a27746d6c6e00000018000000000007a120000000000000081a0000000000000000736573730000000870354e782a3b3a27737473740000001100000000000000000000000000000000006d657034000000067f000001c5d6',
  response: '5f617364705f76010205000070354e782a3b3a27746d6c6e00000018000000000007a120000000000000081a0000000000000000736573730000000870354e782a3b3a27737473740000001100000000000000000000000000000000006d657034000000067f000001c5d6',
  byeBye: '5f617364705f76010300000070354e782a3b3a27',
  firstPing: '5f6c696e6b5f7601015f5f6874000000080000000016ee798d',
  firstPong: '5f6c696e6b5f760102736573730000000870354e782a3b3a275f5f67740000000800000000000f77165f5f6874000000080000000016ee7a01',
  ping: '5f6c696e6b5f7601015f5f6874000000080000000016ee7a775f706774000000080000000000000368',
  pong: '5f6c696e6b5f760102736573730000000870354e782a3b3a275f5f67740000000800000000000f77c15f5f6874000000080000000016ee7a8a5f7067740000000800000000000f7716',
};
const bytes = (hex: string): Buffer => Buffer.from(hex, 'hex');
const NODE = Buffer.from('p5Nx*;:\'', 'latin1');

describe('link codec', () => {
  it('reads a captured alive message: header, timeline, session, start/stop state, measurement endpoint', () => {
    const m = decodeDiscovery(bytes(CAPTURED.alive));
    assert.ok(m);
    assert.equal(m.type, DiscoveryType.Alive);
    assert.equal(m.ttl, 5);
    assert.equal(m.group, 0);
    assert.ok(m.nodeId.equals(NODE));
    assert.deepEqual(m.state?.timeline, { microsPerBeat: 500000, beatOrigin: 2074, timeOrigin: 0 });
    assert.ok(m.state?.sessionId.equals(NODE));
    assert.deepEqual(m.state?.startStop, { isPlaying: false, beats: 0, timestamp: 0 });
    assert.deepEqual(m.state?.measurement, { address: '127.0.0.1', port: 50646 });
  });

  it('writes alive, response and bye-bye messages byte for byte as captured', () => {
    const state = {
      timeline: { microsPerBeat: 500000, beatOrigin: 2074, timeOrigin: 0 },
      sessionId: NODE,
      startStop: { isPlaying: false, beats: 0, timestamp: 0 },
      measurement: { address: '127.0.0.1', port: 50646 },
    };
    assert.equal(encodeDiscovery({ type: DiscoveryType.Alive, ttl: 5, group: 0, nodeId: NODE, state }).toString('hex'), CAPTURED.alive);
    assert.equal(encodeDiscovery({ type: DiscoveryType.Response, ttl: 5, group: 0, nodeId: NODE, state }).toString('hex'), CAPTURED.response);
    assert.equal(encodeDiscovery({ type: DiscoveryType.ByeBye, ttl: 0, group: 0, nodeId: NODE }).toString('hex'), CAPTURED.byeBye);
    const bye = decodeDiscovery(bytes(CAPTURED.byeBye));
    assert.equal(bye?.type, DiscoveryType.ByeBye);
    assert.equal(bye?.state, undefined);
  });

  it('reads and writes captured pings and pongs, with and without the previous ghost time', () => {
    const firstPing = { type: MeasurementType.Ping, hostTime: 384727437 };
    const ping = { type: MeasurementType.Ping, hostTime: 384727671, prevGhostTime: 872 };
    const firstPong = { type: MeasurementType.Pong, sessionId: NODE, ghostTime: 1013526, hostTime: 384727553 };
    const pong = { type: MeasurementType.Pong, sessionId: NODE, ghostTime: 1013697, hostTime: 384727690, prevGhostTime: 1013526 };
    for (const [hex, m] of [[CAPTURED.firstPing, firstPing], [CAPTURED.ping, ping], [CAPTURED.firstPong, firstPong], [CAPTURED.pong, pong]] as const) {
      assert.deepEqual(decodeMeasurement(bytes(hex)), m);
      assert.equal(encodeMeasurement(m).toString('hex'), hex);
    }
  });

  it('round-trips a playing start/stop state and negative origins', () => {
    const state = {
      timeline: { microsPerBeat: 600000, beatOrigin: -10013874, timeOrigin: 5005927 },
      sessionId: Buffer.from('abcdefgh'),
      startStop: { isPlaying: true, beats: 13360899, timestamp: 7014142 },
      measurement: { address: '192.168.1.20', port: 40000 },
    };
    const m = decodeDiscovery(encodeDiscovery({ type: DiscoveryType.Alive, ttl: 5, group: 0, nodeId: NODE, state }));
    assert.deepEqual(m?.state, state);
  });

  it('skips entries it does not know (a newer peer) and reads the rest', () => {
    const alive = bytes(CAPTURED.alive);
    const extra = Buffer.concat([Buffer.from('aep4', 'latin1'), Buffer.from([0, 0, 0, 6, 127, 0, 0, 1, 0x12, 0x34])]);
    const m = decodeDiscovery(Buffer.concat([alive.subarray(0, 20), extra, alive.subarray(20)]));
    assert.deepEqual(m?.state?.measurement, { address: '127.0.0.1', port: 50646 });
  });

  it('ignores another protocol version, and refuses broken datagrams naming what is wrong', () => {
    const v2 = bytes(CAPTURED.alive);
    v2[7] = 2;
    assert.equal(decodeDiscovery(v2), null);
    const cut = bytes(CAPTURED.alive).subarray(0, 60);
    assert.throws(() => decodeDiscovery(cut), (e: Error) => e instanceof LinkCodecError && /"tmln"|runs past the end/.test(e.message));
    const badSize = bytes(CAPTURED.alive);
    badSize.writeUInt32BE(23, 24);
    assert.throws(() => decodeDiscovery(badSize), /"tmln" entry has 23 bytes; accepted: 24/);
    const noSession = encodeDiscovery({ type: DiscoveryType.ByeBye, ttl: 0, group: 0, nodeId: NODE });
    noSession[8] = DiscoveryType.Alive;
    assert.throws(() => decodeDiscovery(noSession), /lacks tmln, sess, mep4/);
    const badType = bytes(CAPTURED.ping);
    badType[8] = 7;
    assert.throws(() => decodeMeasurement(badType), /unknown measurement message type 7/);
    const zeroTempo = bytes(CAPTURED.alive);
    zeroTempo.fill(0, 28, 36);
    assert.throws(() => decodeDiscovery(zeroTempo), /µs per beat must be positive/);
    assert.throws(() => encodeDiscovery({ type: DiscoveryType.ByeBye, ttl: 0, group: 0, nodeId: Buffer.alloc(4) }), /8 bytes, not 4/);
  });
});
