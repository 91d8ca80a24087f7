import { Arena } from './arena';
import { Track, WriteMode, MAX_LAYERS } from './track';

// Undo layers and the memory they live in. Each record, overdub, multiply or transform pass is a
// region of the arena on a track's layer stack; undo and redo move the track's layerIndex along it.
// When memory runs short, layers nothing plays are reclaimed: redo steps first, then the oldest undo
// steps. Called from process() as well as from the control side; allocates nothing.

export class Layers {
  /** the id the next layer gets (Track.layerId): ids are never reused within an engine's life */
  private nextLayerId = 1;

  constructor(
    private readonly arena: Arena,
    private readonly tracks: readonly Track[],
  ) {}

  /** Puts a region on top of a track's stack and makes it the current layer (dropping the oldest when full). */
  push(tr: Track, loop: number, len: number, anchor: number): void {
    if (tr.layerCount === MAX_LAYERS) this.dropOldest(tr);
    const i = tr.layerCount++;
    tr.layerLoop[i] = loop;
    tr.layerLen[i] = len;
    tr.layerAnchor[i] = anchor;
    tr.layerId[i] = this.nextLayerId++;
    tr.layerIndex = i;
  }

  /** Frees the layers above the current one (a new pass replaces what redo would bring back). */
  truncateRedo(tr: Track): void {
    for (let i = tr.layerIndex + 1; i < tr.layerCount; i++) this.freeRegion(tr, i);
    tr.layerCount = tr.layerIndex + 1;
  }

  /** Frees every layer of a track (clear); a layer the ghost still fades out is freed when the fade ends. */
  freeAll(tr: Track): void {
    for (let i = 0; i < tr.layerCount; i++) {
      if (tr.ghost.active && tr.layerLoop[i] === tr.ghost.loop) tr.ghost.ownedFloats = tr.layerLen[i] * 2;
      else this.arena.free(tr.layerLoop[i], tr.layerLen[i] * 2);
    }
    tr.layerCount = 0;
    tr.layerIndex = -1;
  }

  /** Allocates a layer, dropping the oldest undo steps (redo steps first) while memory is short. */
  alloc(floats: number): number {
    let at = this.arena.alloc(floats);
    while (at < 0 && this.reclaimOne()) at = this.arena.alloc(floats);
    return at;
  }

  /** Frees one undo or redo layer that nothing plays. Returns false when there is none. */
  reclaimOne(): boolean {
    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      if (tr.layerCount > tr.layerIndex + 1 && tr.writeMode === WriteMode.None) {
        this.freeRegion(tr, tr.layerCount - 1);
        tr.layerCount--;
        return true;
      }
    }
    for (let i = 0; i < this.tracks.length; i++) {
      const tr = this.tracks[i];
      // a multiply's write side may still read the layer below the current one
      if (tr.layerIndex > 0 && tr.writeMode !== WriteMode.Multiply) {
        this.dropOldest(tr);
        return true;
      }
    }
    return false;
  }

  /** Ends the ghost's fade-out, freeing the region it owns (a cleared loop). */
  retireGhost(tr: Track): void {
    if (tr.ghost.ownedFloats > 0) this.arena.free(tr.ghost.loop, tr.ghost.ownedFloats);
    tr.ghost.ownedFloats = 0;
    tr.ghost.active = false;
  }

  /** Drops the oldest undo step of a track. */
  private dropOldest(tr: Track): void {
    this.freeRegion(tr, 0);
    tr.layerLoop.copyWithin(0, 1, tr.layerCount);
    tr.layerLen.copyWithin(0, 1, tr.layerCount);
    tr.layerAnchor.copyWithin(0, 1, tr.layerCount);
    tr.layerId.copyWithin(0, 1, tr.layerCount);
    tr.layerCount--;
    tr.layerIndex--;
  }

  private freeRegion(tr: Track, i: number): void {
    if (tr.ghost.active && tr.ghost.loop === tr.layerLoop[i]) this.retireGhost(tr);
    this.arena.free(tr.layerLoop[i], tr.layerLen[i] * 2);
  }
}
