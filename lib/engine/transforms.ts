import { Arena } from './arena';
import { EventRing } from './events';
import { Gains } from './gains';
import { Layers } from './layers';
import { Track, WriteMode, mod } from './track';
import { doubleSpeedRange, halfSpeedRange, reverseRange } from './transform-kernels';
import { Cmd, ErrorCode, EventType, State } from './types';

// Reverse, half speed and double speed: a new layer made from the current one, filled a chunk per
// block just ahead of where it plays. Real-time side (a transform is a track command): allocates
// nothing; complete() may also run on the control side.

/** Frames of a transform's new layer filled per block (at least twice the block: see Transforms.start). */
const FILL_FRAMES = 16384;

export class Transforms {
  private readonly memory: Float32Array;
  /** frames filled per block: always more than the read position moves in a block */
  private readonly chunk: number;

  constructor(
    arena: Arena,
    private readonly events: EventRing,
    private readonly layers: Layers,
    private readonly gains: Gains,
    /** `frame`: the first frame of the block being rendered */
    private readonly clock: { readonly frame: number },
    maxBlockFrames: number,
  ) {
    this.memory = arena.memory;
    this.chunk = Math.max(FILL_FRAMES, 2 * maxBlockFrames);
  }

  /**
   * Reverse, half speed, double speed, at once (not quantized): a new layer (an undo step) made from the
   * current one, playing on from the matching position with a crossfade: reversed, the sample just
   * heard plays again and the loop runs backwards from there; at half speed position p becomes 2p, at
   * double speed p/2. Refused while a pass writes to the track.
   *
   * Writing a whole long loop in one block would overrun it (about 1 ms per 3 s of loop here), so the
   * new layer is filled from where it starts playing, a chunk now and as much every block after
   * (fillPerBlock): always ahead of the read position, which moves one block per block. It becomes an
   * undo layer (and a session writer sees it) once complete; a command that needs the whole loop
   * completes it first (complete()).
   */
  start(tr: Track, cmd: Cmd, t: number): void {
    if (!tr.hasLoop) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.Empty, cmd);
      return;
    }
    const s = tr.state;
    const passing = s === State.Recording || s === State.Overdubbing || s === State.Multiplying || s === State.Replacing || s === State.Substituting || s === State.Inserting;
    if (passing || tr.mulEnd >= 0 || tr.writeMode !== WriteMode.None) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.Busy, cmd);
      return;
    }
    const len = tr.layerLen[tr.layerIndex];
    const newLen = cmd === Cmd.Half ? len * 2 : cmd === Cmd.Double ? len >> 1 : len;
    if (newLen < 1) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.TooShort, cmd);
      return;
    }
    const at = this.layers.alloc(newLen * 2);
    if (at < 0) {
      this.events.push(EventType.Error, tr.number, t, ErrorCode.MemoryFull, cmd);
      return;
    }
    // alloc may have reclaimed old layers: read the current one now
    const p = mod(t - tr.layerAnchor[tr.layerIndex], len);
    const q = cmd === Cmd.Reverse ? (len - p) % len : cmd === Cmd.Half ? 2 * p : Math.min(newLen - 1, p >> 1);
    tr.fillCmd = cmd;
    tr.fillSrc = tr.layerLoop[tr.layerIndex];
    tr.fillSrcLen = len;
    tr.fillDst = at;
    tr.fillLen = newLen;
    tr.fillAnchor = t - q;
    tr.fillNext = q;
    tr.fillLeft = newLen;
    this.fill(tr, this.chunk);
    this.gains.fadeToGhost(tr);
    this.gains.fadeIn(tr, at, newLen, t - q);
    this.events.push(EventType.State, tr.number, t, tr.state, newLen);
  }

  /** At the start of each block: the next chunk of every layer still being filled. */
  fillPerBlock(tracks: readonly Track[]): void {
    for (let i = 0; i < tracks.length; i++) if (tracks[i].fillCmd >= 0) this.fill(tracks[i], this.chunk);
  }

  /** Finishes a transform's layer at once (control side, or before a command that needs the whole loop). */
  complete(tr: Track): void {
    if (tr.fillCmd >= 0) this.fill(tr, tr.fillLeft);
  }

  /** Fills up to `frames` more of a transform's layer; the complete layer becomes the current undo layer. */
  private fill(tr: Track, frames: number): void {
    const m = this.memory;
    let left = Math.min(frames, tr.fillLeft);
    while (left > 0) {
      const run = Math.min(left, tr.fillLen - tr.fillNext);
      if (tr.fillCmd === Cmd.Reverse) reverseRange(m, tr.fillSrc, tr.fillSrcLen, tr.fillDst, tr.fillNext, run);
      else if (tr.fillCmd === Cmd.Half) halfSpeedRange(m, tr.fillSrc, tr.fillSrcLen, tr.fillDst, tr.fillNext, run);
      else doubleSpeedRange(m, tr.fillSrc, tr.fillDst, tr.fillNext, run);
      tr.fillNext = (tr.fillNext + run) % tr.fillLen;
      tr.fillLeft -= run;
      left -= run;
    }
    if (tr.fillLeft > 0) return;
    tr.fillCmd = -1;
    this.layers.truncateRedo(tr);
    this.layers.push(tr, tr.fillDst, tr.fillLen, tr.fillAnchor);
    this.events.push(EventType.Layers, tr.number, this.clock.frame, tr.layerIndex + 1, 0);
  }
}
