// The audio bridge's rings and wake, with no device: a virtual bridge whose tick() runs the very
// function the PortAudio callback runs (native/bridge/bridge.c), against the engine side in
// lib/io/ring.ts. Frames are checked bit for bit; positions through wraps, a full ring, an empty one,
// a late engine on either side.

import { strict as assert } from 'assert';
import { BridgeHandle, BridgeNative, loadBridge, PA_STATUS } from '../../lib/io/bridge';
import { BridgeRings, Slot } from '../../lib/io/ring';
import { rng } from '../engine/harness';

const RATE = 48000;

/** The bridge, or a skip (a failure under LOOPSTATION_REQUIRE_AUDIO=1: CI builds it). */
function bridgeOrSkip(ctx: Mocha.Context): BridgeNative {
  const r = loadBridge();
  if ('bridge' in r) return r.bridge;
  if (process.env.LOOPSTATION_REQUIRE_AUDIO === '1') throw new Error(`the audio bridge is required (LOOPSTATION_REQUIRE_AUDIO=1): ${r.reason}`);
  console.log(`      skipped: ${r.reason} (npx loopstation build-audio builds it)`);
  ctx.skip();
}

interface Rig {
  rings: BridgeRings;
  handle: BridgeHandle;
  /** one callback of n frames: device input `input` in, returns what the device would play */
  callback(input: Float32Array, flags?: number): Float32Array;
  /** one callback at wall-clock time `now` (µs, the test's clock), paced: the time until which it holds the device */
  pacedCallback(input: Float32Array, now: number): number;
}

function rig(native: BridgeNative, capacityFrames: number, slackFrames = 0, channels = 2, engineChannels = 2): Rig {
  const rings = new BridgeRings({ inChannels: channels, outChannels: channels, capacityFrames, engineInChannels: engineChannels, engineOutChannels: engineChannels });
  rings.prefillOutput(slackFrames);
  const handle = native.open({
    header: rings.header,
    inRing: rings.inRing,
    outRing: rings.outRing,
    inChannels: channels,
    outChannels: channels,
    sampleRate: RATE,
    framesPerBuffer: 1,
    virtual: 1,
  });
  return {
    rings,
    handle,
    callback(input, flags = 0) {
      const out = new Float32Array((input.length / channels) * channels);
      native.tick(handle, input, out, flags, false);
      return out;
    },
    pacedCallback(input, now) {
      return native.tick(handle, input, new Float32Array(input.length), 0, now) as number;
    },
  };
}

/** Frames whose samples encode (frame, channel): any frame out of place or mixed shows. */
function numbered(from: number, frames: number): Float32Array {
  const a = new Float32Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    a[i * 2] = from + i + 0.25;
    a[i * 2 + 1] = -(from + i + 0.75);
  }
  return a;
}

describe('audio bridge: rings and wake (virtual device)', () => {
  let native: BridgeNative;
  before(function () {
    native = bridgeOrSkip(this);
  });

  it('carries input frames bit-exact through many wraps, callbacks and blocks of different sizes', () => {
    const r = rig(native, 1024);
    const block = new Float32Array(256 * 2);
    let sent = 0;
    let read = 0;
    const random = rng(7);
    while (sent < 20000) {
      const n = 1 + Math.floor(random() * 300);
      r.callback(numbered(sent, n));
      sent += n;
      while (r.rings.inputAvailable() >= 256) {
        r.rings.readInput(block, 256);
        assert.deepEqual(block, numbered(read, 256), `block at frame ${read}`);
        read += 256;
      }
    }
    assert.equal(read, Math.floor(sent / 256) * 256);
    assert.equal(Atomics.load(r.rings.header, Slot.XrunRingFull), 0);
    assert.equal(Atomics.load(r.rings.header, Slot.InDropped), 0);
  });

  it('N channels: a 4-channel device reaches a 4-channel engine channel by channel, both ways', () => {
    const r = rig(native, 1024, 0, 4, 4);
    const frames = 300;
    const device = new Float32Array(frames * 4);
    for (let i = 0; i < device.length; i++) device[i] = Math.floor(i / 4) + (i % 4) / 8;
    // output queued first: a callback that finds the ring empty plays silence and the engine owes it
    assert.equal(r.rings.writeOutput(device, frames), 0);
    assert.deepEqual(r.callback(device), device, 'output: engine channel c is device channel c');
    const taken = new Float32Array(frames * 4);
    r.rings.readInput(taken, frames);
    assert.deepEqual(taken, device, 'input: device channel c is engine channel c');
  });

  it('a device with other channels than the engine: a mono input on both sides, extra channels left out or silent', () => {
    const mono = rig(native, 256, 0, 1, 2);
    mono.callback(Float32Array.from([0.5, -0.25]));
    const stereo = new Float32Array(4);
    mono.rings.readInput(stereo, 2);
    assert.deepEqual([...stereo], [0.5, 0.5, -0.25, -0.25]);
    const wide = rig(native, 256, 0, 4, 2);
    assert.equal(wide.rings.writeOutput(Float32Array.from([0.1, 0.2, 0.3, 0.4]), 2), 0);
    assert.deepEqual([...wide.callback(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]))], [0.1, 0.2, 0, 0, 0.3, 0.4, 0, 0].map(Math.fround));
    wide.rings.readInput(stereo, 2);
    assert.deepEqual([...stereo], [1, 2, 5, 6]);
  });

  it('passes every float bit pattern unchanged both ways (NaN payloads, -0, denormals, out-of-range peaks)', () => {
    const r = rig(native, 512, 0);
    const bits = new Uint32Array(256 * 2);
    const random = rng(11);
    for (let i = 0; i < bits.length; i++) bits[i] = Math.floor(random() * 2 ** 32) >>> 0;
    bits[0] = 0x80000000; // -0
    bits[1] = 0x00000001; // the smallest denormal
    bits[2] = 0x7fc01234; // a quiet NaN with a payload
    bits[3] = 0x40400000; // 3.0: the bridge never limits (the engine's limiter is the only one)
    const input = new Float32Array(bits.buffer);
    assert.equal(r.rings.writeOutput(input, 256), 0);
    const played = r.callback(input);
    assert.deepEqual(new Uint32Array(played.buffer), bits);
    const taken = new Float32Array(256 * 2);
    r.rings.readInput(taken, 256);
    assert.deepEqual(new Uint32Array(taken.buffer), bits);
  });

  it('a full input ring keeps what it has, counts the callbacks that found it full, and owes the engine the dropped frames as silence', () => {
    const r = rig(native, 512);
    r.callback(numbered(0, 400));
    r.callback(numbered(400, 200)); // 112 frames of room: the whole callback is dropped, never half of it
    assert.equal(r.rings.inputAvailable(), 400);
    assert.equal(Atomics.load(r.rings.header, Slot.XrunRingFull), 1);
    const got = new Float32Array(400 * 2);
    r.rings.readInput(got, 400);
    assert.deepEqual(got, numbered(0, 400));
    assert.equal(r.rings.takeDroppedInput(128), 128);
    assert.equal(r.rings.takeDroppedInput(128), 72);
    assert.equal(r.rings.takeDroppedInput(128), 0);
    // room again: the next callback's frames are kept
    r.callback(numbered(600, 100));
    r.rings.readInput(got, 100);
    assert.deepEqual(got.subarray(0, 200), numbered(600, 100));
  });

  it('an empty output ring plays silence and owes the frames; the engine then skips them so the delay stays the slack', () => {
    const slack = 64;
    const r = rig(native, 1024, slack);
    const n = 32;
    const silence = new Float32Array(n * 2);
    // steady state: the engine writes a block for each callback; device frame d plays engine frame d - slack
    let engineFrame = 0;
    let deviceFrame = 0;
    const step = (engineOnTime: boolean): Float32Array => {
      if (engineOnTime) {
        r.rings.writeOutput(numbered(engineFrame, n), n);
        engineFrame += n;
      }
      const out = r.callback(silence);
      deviceFrame += n;
      return out;
    };
    for (let i = 0; i < 6; i++) step(true);
    const onTime = step(true);
    assert.deepEqual(onTime, numbered(deviceFrame - n - slack, n), 'on time: the slack is the delay');
    // the engine misses four callbacks: the two blocks of slack play, then silence is owed
    let late = 0;
    for (let i = 0; i < 4; i++) {
      const out = step(false);
      if (out.every((x) => x === 0)) late++;
    }
    assert.equal(late, 2, 'two callbacks found the ring empty');
    assert.equal(Atomics.load(r.rings.header, Slot.XrunEngineLate), 2);
    assert.equal(Atomics.load(r.rings.header, Slot.OutDebt), 2 * n);
    // the engine catches up with the four blocks it owes: the two that were owed as silence are dropped
    for (let i = 0; i < 4; i++) {
      r.rings.writeOutput(numbered(engineFrame, n), n);
      engineFrame += n;
    }
    assert.equal(Atomics.load(r.rings.header, Slot.OutDebt), 0);
    const after = step(true);
    assert.deepEqual(after, numbered(deviceFrame - n - slack, n), 'after the catch-up: the same delay as before');
  });

  it('fades the last frames before a dropout instead of stepping into silence', () => {
    const r = rig(native, 1024);
    const ones = new Float32Array(100 * 2).fill(0.5);
    r.rings.writeOutput(ones, 100);
    const out = r.callback(new Float32Array(128 * 2));
    assert.equal(out[0], 0.5, 'frames well before the end play as they are');
    const last = out[99 * 2];
    assert.ok(last > 0 && last < 0.5 / 32, `the last frame before the silence is faded (${last})`);
    for (let i = 1; i < 64; i++) assert.ok(out[(36 + i) * 2] <= out[(35 + i) * 2], 'the fade only goes down');
    assert.ok(out.subarray(200).every((x) => x === 0));
  });

  it('counts the device status flags on their own, by side', () => {
    const r = rig(native, 256);
    r.callback(new Float32Array(16 * 2), PA_STATUS.inputOverflow);
    r.callback(new Float32Array(16 * 2), PA_STATUS.outputUnderflow | PA_STATUS.inputOverflow);
    const x = r.rings.xruns({ inputOverflow: 0, outputUnderflow: 0, engineLate: 0, ringFull: 0 });
    assert.equal(x.inputOverflow, 2);
    assert.equal(x.outputUnderflow, 1);
    assert.equal(r.rings.callbacks(), 2);
  });

  it('keeps positions right across the 2^32 wrap of the frame counters', () => {
    const r = rig(native, 256);
    const near = 2 ** 32 - 100;
    for (const slot of [Slot.InWrite, Slot.InRead, Slot.OutWrite, Slot.OutRead]) Atomics.store(r.rings.header, slot, near | 0);
    r.rings.prefillOutput(64);
    const block = new Float32Array(64 * 2);
    let read = 0;
    for (let sent = 0; sent < 640; sent += 64) {
      r.callback(numbered(sent, 64));
      r.rings.readInput(block, 64);
      assert.deepEqual(block, numbered(read, 64));
      read += 64;
      r.rings.writeOutput(numbered(1000 + sent, 64), 64);
    }
    assert.equal(r.rings.inputAvailable(), 0);
    assert.equal(r.rings.outputQueued(), 64);
    assert.deepEqual(r.callback(new Float32Array(64 * 2)), numbered(1000 + 576, 64));
  });

  it('wait() returns at once after a callback, and false after its timeout when none came', () => {
    const r = rig(native, 256);
    r.callback(new Float32Array(8 * 2));
    assert.equal(native.wait(r.handle, 1000), true);
    assert.equal(native.wait(r.handle, 1), false);
    r.callback(new Float32Array(8 * 2));
    r.callback(new Float32Array(8 * 2));
    assert.equal(native.wait(r.handle, 1000), true);
    assert.equal(native.wait(r.handle, 1000), true, 'each callback is one wake');
    native.close(r.handle);
    assert.equal(native.wait(r.handle, 1000), false, 'a closed bridge wakes its waiter with false');
  });

  // Pacing runs on a wall clock the test keeps (tick's paceAt): the callback's decision is the device
  // callback's own (pace_until in bridge.c), only the sleep is not taken; the ALSA null device test in
  // test/audio/bridge.test.ts has the real callback sleep.
  it('paces a device that takes frames faster than real time: flags it, then holds each callback until the wall clock reaches its frames', () => {
    const r = rig(native, 1 << 16);
    const block = new Float32Array(480 * 2); // 10 ms
    const t0 = 5_000_000;
    let now = t0;
    // a device with no clock calls again at once: its wall clock moves only while a callback is held
    const call = (): number => (now = r.pacedCallback(block, now));
    // up to a quarter second of frames at once is what any device may do at start (buffers filling)
    for (let i = 0; i < 24; i++) assert.equal(call(), t0, `callback ${i + 1} (${(i + 1) * 10} ms of frames) is not held`);
    assert.equal(r.rings.unpaced(), false, '0.24 s ahead is not yet a device without a clock');
    assert.equal(call(), t0 + 250_000, 'at 0.25 s ahead the callback is held until the wall clock reaches its frames');
    assert.equal(r.rings.unpaced(), true);
    // from then on each callback is held until the wall clock reaches the end of its frames, to the µs
    for (let k = 26; k <= 120; k++) assert.equal(call(), t0 + k * 10_000, `callback ${k}`);
  });

  it('never holds a device with a clock of its own, even one that ran up to a quarter second ahead at start', () => {
    const r = rig(native, 1 << 16);
    const block = new Float32Array(480 * 2);
    const t0 = 5_000_000;
    // 0.2 s of frames at once, then one block per 10 ms, each called up to 3 ms early or late
    for (let i = 0; i < 20; i++) assert.equal(r.pacedCallback(block, t0), t0);
    for (let k = 0; k < 500; k++) {
      r.rings.readInput(block, 480);
      const now = t0 + k * 10_000 + (((k * 37) % 7) - 3) * 1000;
      assert.equal(r.pacedCallback(block, now), now, `callback at ${now} µs`);
    }
    assert.equal(r.rings.unpaced(), false);
  });

  it('refuses rings that are not a power of two or smaller than a block', () => {
    assert.throws(() => new BridgeRings({ inChannels: 2, outChannels: 2, capacityFrames: 1000 }), /power of two/);
    const rings = new BridgeRings({ inChannels: 2, outChannels: 2, capacityFrames: 128 });
    assert.throws(
      () => native.open({ header: rings.header, inRing: rings.inRing, outRing: rings.outRing, inChannels: 2, outChannels: 2, sampleRate: RATE, framesPerBuffer: 256, virtual: 1 }),
      /power-of-two number of frames, at least framesPerBuffer/,
    );
  });
});
