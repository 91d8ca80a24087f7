import { strict as assert } from 'assert';
import { beatAtGhost, bpmOf, ghostAtBeat, median, middleHalfSpread, offsetSamples, phaseOf, withTempo } from '../../lib/sync/link/timeline';

describe('link timeline math', () => {
  const t = { microsPerBeat: 600000, beatOrigin: 10013874, timeOrigin: 5005927 };

  it('maps ghost time to beats and back', () => {
    assert.equal(bpmOf(t), 100);
    assert.ok(Math.abs(beatAtGhost(t, 5005927) - 10.013874) < 1e-9);
    assert.ok(Math.abs(beatAtGhost(t, 5605927) - 11.013874) < 1e-9);
    for (const beat of [-3.5, 0, 10.013874, 1234.25]) assert.ok(Math.abs(beatAtGhost(t, ghostAtBeat(t, beat)) - beat) < 1e-9);
  });

  it('a tempo change keeps the beat at the instant of the change and runs at the new tempo after it', () => {
    const at = 7000000;
    const before = beatAtGhost(t, at);
    const next = withTempo(t, 120, at);
    assert.equal(next.microsPerBeat, 500000);
    assert.equal(next.timeOrigin, at);
    assert.ok(Math.abs(beatAtGhost(next, at) - before) < 1e-6);
    assert.ok(Math.abs(beatAtGhost(next, at + 1000000) - (before + 2)) < 1e-6);
  });

  it('phase is in [0, quantum) for negative beats too', () => {
    assert.equal(phaseOf(5.5, 4), 1.5);
    assert.equal(phaseOf(-0.5, 4), 3.5);
    assert.equal(phaseOf(-8, 4), 0);
    assert.equal(phaseOf(7, 3), 1);
  });

  it('offset samples are exact when the way there and back take the same time', () => {
    // their ghost = our host + 1000; 40 µs each way; the previous pong was answered 100 µs before this ping left
    const sentAt = 5000;
    const ghost = sentAt + 40 + 1000;
    const now = sentAt + 80;
    assert.deepEqual(offsetSamples(sentAt, now, ghost), [1000]);
    const prevGhost = sentAt - 60 + 1000;
    const [a, b] = offsetSamples(sentAt, now, ghost, prevGhost);
    assert.equal(a, 1000);
    // the bracket is only symmetric when the previous answer came as long before the send as this one after
    assert.equal(b, (prevGhost + ghost) / 2 - sentAt);
    assert.equal(offsetSamples(sentAt, now, ghost, sentAt - 40 + 1000)[1], 1000);
  });

  it('middle half spread: the interquartile range, blind to one outlier', () => {
    assert.equal(middleHalfSpread([10, 11, 12, 13, 14, 15, 16, 5000]), 4);
    assert.equal(middleHalfSpread([0, 100, 200, 300]), 200);
  });

  it('median', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.throws(() => median([]), /no values/);
  });
});
