import { Layers } from './layers';
import { Track } from './track';
import { State } from './types';

// Track gains and the two voices of a track: the main voice plays the current loop, the ghost fades out
// what the main voice played before a switch (undo, redo, a transform, a retrigger), so no switch
// clicks. Gains ramp to their targets over crossfadeFrames. Allocates nothing.

const f = Math.fround;

export class Gains {
  constructor(
    private readonly tracks: readonly Track[],
    private readonly layers: Layers,
    private readonly params: { readonly crossfadeFrames: number },
  ) {}

  /** Gains follow state, volume, pan (equal power, unity at centre), mute and solo. */
  update(tr: Track, fadeFrames: number): void {
    let anySolo = false;
    for (let i = 0; i < this.tracks.length; i++) anySolo = anySolo || this.tracks[i].soloed;
    const s = tr.state;
    const audible =
      (s === State.Playing || s === State.Overdubbing || s === State.Multiplying || s === State.OneShot || s === State.Substituting) &&
      !tr.muted &&
      (!anySolo || tr.soloed);
    const g = audible ? tr.volume : 0;
    tr.main.setTarget(f(g * panLeft(tr.pan)), f(g * panRight(tr.pan)), fadeFrames);
  }

  /** Every track's gains (a solo changes them all). */
  updateAll(fadeFrames: number): void {
    for (let i = 0; i < this.tracks.length; i++) this.update(this.tracks[i], fadeFrames);
  }

  /** Hands the main voice to the ghost, fading out, so the main voice can start something new. */
  fadeToGhost(tr: Track): void {
    if (!tr.main.active || tr.main.silent) {
      tr.main.active = false;
      return;
    }
    if (tr.ghost.active) this.layers.retireGhost(tr);
    tr.ghost.copyFrom(tr.main);
    tr.ghost.setTarget(0, 0, this.params.crossfadeFrames);
    if (tr.ghost.silent) tr.ghost.active = false;
    tr.main.active = false;
    tr.main.gl = 0;
    tr.main.gr = 0;
    tr.main.rampLen = 0;
  }

  /** The main voice starts on a region from silence and fades in to the track's gains. */
  fadeIn(tr: Track, loop: number, len: number, anchor: number): void {
    tr.main.setLoop(loop, len, anchor);
    tr.main.gl = 0;
    tr.main.gr = 0;
    this.update(tr, this.params.crossfadeFrames);
  }
}

// Equal-power pan scaled to unity at the centre: L^2 + R^2 = 2 at every position, and a loop at pan 0
// plays exactly as recorded.
export function panLeft(pan: number): number {
  return pan === 0 ? 1 : panLaw(Math.cos(((pan + 1) * Math.PI) / 4));
}
export function panRight(pan: number): number {
  return pan === 0 ? 1 : panLaw(Math.sin(((pan + 1) * Math.PI) / 4));
}
function panLaw(x: number): number {
  const g = x * Math.SQRT2;
  return g < 1e-7 ? 0 : f(g);
}
