import { strict as assert } from 'assert';
import { Gesture, GestureDetector } from '../../lib/control/gesture';
import { LevelThrottle } from '../../lib/control/level-throttle';
import { TapTempo } from '../../lib/control/tap-tempo';

// The pure time-based helpers, driven with explicit times.

/** Feeds [time, level] steps (level 'poll' = poll at that time) and collects [time, gesture]. */
function drive(d: GestureDetector, steps: [number, 0 | 1 | 'poll'][]): [number, Gesture][] {
  const out: [number, Gesture][] = [];
  for (const [t, level] of steps) {
    const gestures = level === 'poll' ? d.poll(t) : d.level(level === 1, t);
    for (const g of gestures) out.push([t, g]);
  }
  return out;
}

describe('control: gesture detector', () => {
  const times = { doubleTapMs: 300, holdMs: 1000 };

  it('a tap is reported on the press, not after the double-tap window', () => {
    assert.deepEqual(drive(new GestureDetector(times), [[0, 1], [80, 0]]), [[0, 'tap']]);
  });

  it('a second press within the window is a double tap; one after it is another tap', () => {
    assert.deepEqual(drive(new GestureDetector(times), [[0, 1], [80, 0], [300, 1], [380, 0]]), [[0, 'tap'], [300, 'doubleTap']]);
    assert.deepEqual(drive(new GestureDetector(times), [[0, 1], [80, 0], [301, 1], [380, 0]]), [[0, 'tap'], [301, 'tap']]);
  });

  it('three quick presses: tap, double tap, tap (a double tap is not the start of another)', () => {
    const steps: [number, 0 | 1][] = [[0, 1], [50, 0], [100, 1], [150, 0], [200, 1], [250, 0]];
    assert.deepEqual(drive(new GestureDetector(times), steps), [[0, 'tap'], [100, 'doubleTap'], [200, 'tap']]);
  });

  it('a hold is due holdMs after the press, while still pressed, and only once', () => {
    const d = new GestureDetector(times);
    assert.deepEqual(d.level(true, 0), ['tap']);
    assert.equal(d.nextDeadline(), 1000);
    assert.deepEqual(d.poll(999), []);
    assert.deepEqual(d.poll(1000), ['hold']);
    assert.equal(d.nextDeadline(), undefined);
    assert.deepEqual(d.poll(5000), []);
    assert.deepEqual(d.level(false, 5000), []);
  });

  it('a release before holdMs cancels the hold', () => {
    const d = new GestureDetector(times);
    d.level(true, 0);
    d.level(false, 999);
    assert.equal(d.nextDeadline(), undefined);
    assert.deepEqual(d.poll(2000), []);
  });

  it('a press right after a hold is a tap, not a double tap', () => {
    assert.deepEqual(drive(new GestureDetector(times), [[0, 1], [1000, 'poll'], [1100, 0], [1200, 1]]), [[0, 'tap'], [1000, 'hold'], [1200, 'tap']]);
  });

  it('the second press of a double tap can be held too', () => {
    assert.deepEqual(drive(new GestureDetector(times), [[0, 1], [50, 0], [100, 1], [1100, 'poll']]), [[0, 'tap'], [100, 'doubleTap'], [1100, 'hold']]);
  });

  it('repeated levels change nothing', () => {
    const d = new GestureDetector(times);
    assert.deepEqual(drive(d, [[0, 0], [10, 1], [20, 1], [30, 0], [40, 0]]), [[10, 'tap']]);
    assert.equal(d.isPressed, false);
  });
});

describe('control: tap tempo', () => {
  it('gives the tempo of the median interval of the taps from the second one', () => {
    const t = new TapTempo();
    assert.equal(t.tap(1000), undefined);
    assert.equal(t.tap(1500), 120);
    assert.equal(t.tap(2000), 120);
    assert.equal(t.tap(2400), 120); // intervals 500, 500, 400: the median is 500
    assert.equal(t.tap(2800), 133.3); // 500, 500, 400, 400: the median is 450
  });

  it('one stray tap among steady ones does not move the tempo', () => {
    const t = new TapTempo();
    const taps = [0, 600, 1200, 1800, 1850, 2400, 3000, 3600];
    let bpm: number | undefined;
    for (const at of taps) bpm = t.tap(at);
    // intervals 600 x5, 50 and 550: the median is 600 (the mean, 514 ms, would say 116.7)
    assert.equal(bpm, 100);
  });

  it('starts a new series after a pause longer than the slowest beat (3 s at 20 bpm)', () => {
    const t = new TapTempo();
    t.tap(0);
    t.tap(500);
    assert.equal(t.tap(3600), undefined);
    assert.equal(t.tap(4600), 60);
  });

  it('keeps the last 8 taps, and clamps to the engine range', () => {
    const t = new TapTempo();
    let bpm: number | undefined;
    for (let i = 0; i < 20; i++) bpm = t.tap(i < 10 ? i * 1000 : 9000 + (i - 9) * 500);
    assert.equal(bpm, 120);
    const fast = new TapTempo();
    fast.tap(0);
    assert.equal(fast.tap(100), 400);
  });

  it('a tap at the same time or earlier (clock trouble) starts again', () => {
    const t = new TapTempo();
    t.tap(1000);
    assert.equal(t.tap(1000), undefined);
  });
});

describe('control: level throttle', () => {
  it('passes the highest peaks since the last msg, at its rate', () => {
    const th = new LevelThrottle(10);
    assert.deepEqual(th.add(0.1, 0.2, 0), { left: 0.1, right: 0.2 });
    assert.equal(th.add(0.5, 0.1, 50), undefined);
    assert.deepEqual(th.add(0.3, 0.4, 100), { left: 0.5, right: 0.4 });
    assert.deepEqual(th.add(0, 0, 200), { left: 0, right: 0 });
  });

  it('keeps the full rate when reports come a little early (every 48 ms for 20 a second)', () => {
    const th = new LevelThrottle(20);
    let sent = 0;
    for (let t = 0; t < 10000; t += 48) if (th.add(0, 0, t)) sent++;
    assert.ok(sent >= 199 && sent <= 201, `${sent} msgs in 10 s`);
  });

  it('after a pause starts from now instead of catching up in a burst', () => {
    const th = new LevelThrottle(10);
    th.add(0, 0, 0);
    assert.ok(th.add(0, 0, 5000));
    assert.equal(th.add(0, 0, 5050), undefined);
    assert.ok(th.add(0, 0, 5100));
  });

  it('rate 0 sends nothing', () => {
    const th = new LevelThrottle(0);
    for (let t = 0; t < 1000; t += 10) assert.equal(th.add(1, 1, t), undefined);
  });
});
