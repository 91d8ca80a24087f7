import type { Engine } from '../engine/engine';
import { QUANTIZE_MODES, TRACK_STATES } from '../engine/types';
import type { HostStatus } from './client';
import { barsOf } from './translate';

/** What a 'status' request answers, read from the engine between blocks (control side). */
export function hostStatus(engine: Engine, xruns: number): HostStatus {
  // a stereo engine's status is as it always was; with more channels each track says its routing
  const routed = engine.inputChannels !== 2 || engine.outputBuses !== 1;
  return {
    frame: engine.frame,
    bpm: engine.transport.bpm,
    beatsPerBar: engine.transport.beatsPerBar,
    metronome: engine.metronomeEnabled,
    xruns,
    tracks: engine.tracks.map((_, i) => {
      const t = engine.trackInfo(i + 1);
      return {
        track: t.track,
        state: TRACK_STATES[t.state],
        frames: t.frames,
        seconds: t.frames / engine.sampleRate,
        bars: barsOf(engine, t.frames),
        layers: t.layers,
        volume: t.volume,
        pan: t.pan,
        muted: t.muted,
        soloed: t.soloed,
        position: t.position,
        paused: t.paused,
        live: t.live,
        quantize: QUANTIZE_MODES[t.quantize],
        feedback: t.feedback,
        inputGain: t.inputGain,
        ...(routed ? { source: t.source, cueBus: t.cueBus, cueSend: t.cueSend } : {}),
      };
    }),
  };
}
