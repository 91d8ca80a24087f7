import { TrackState } from '../engine/types';
import type { HostStatus, ReadyEvent } from '../io/client';
import type { HostEvent, TrackStatus } from '../io/protocol';
import type { EngineStatus } from '../control/status';

// What a panel page shows, folded from the engine's events in the Node-RED process: a page that
// opens (or reconnects) gets the whole picture at once as a 'snapshot', then the events as they come.
// Pure: no timers, no I/O; PanelHub (panel-hub.ts) feeds it and streams what it returns.

export interface PanelTrack {
  track: number;
  state: TrackState;
  /** loop length (0 = none) */
  frames: number;
  seconds: number;
  bars: number;
  /**
   * The frame where loop position 0 sounded (the record end): position at frame t is
   * (t - anchor) mod frames. null when unknown (the loop was recorded before this panel started).
   */
  anchor: number | null;
  /** the frame the current state began (a recording's start), null when unknown */
  since: number | null;
  /** the state a quantized command waits to reach, and the frame it will */
  pending: TrackState | null;
  pendingFrame: number | null;
  volume: number;
  muted: boolean;
  soloed: boolean;
  undo: number;
  redo: number;
  /** a live loop: the page shows live loops only (the tracks are the most there can be) */
  live: boolean;
  /** routing (docs/routing.md): the input source's code and the cue send's bus (0 = none) */
  source: number;
  cueBus: number;
}

export interface PanelEngine {
  status: EngineStatus;
  backend: string | null;
  /** why there is no sound, a failed calibration...: the host's ready notice */
  notice: string | null;
  /** the loops the host found in the autosave when it started, and where they live (restore-notice.ts) */
  restored: string | null;
  /** a session folder is set but nothing is autosaved: why */
  autosaveOff: string | null;
  sampleRate: number;
  blockFrames: number;
  /** how long after an event's frame is rendered it is heard (events arrive when they sound) */
  soundDelayFrames: number;
}

export interface PanelSnapshot {
  type: 'snapshot';
  name: string;
  tracks: PanelTrack[];
  bpm: number;
  beatsPerBar: number;
  metronome: boolean;
  quantize: string;
  /** the last beat heard: its frame anchors the page's clock */
  beat: { frame: number; beat: number; beatInBar: number; bar: number; downbeat: boolean } | null;
  xruns: number;
  levels: { input: [number, number]; output: [number, number] };
  engine: PanelEngine;
  /** the Link session, when the engine's sync source is Link */
  link: PanelLink | null;
  /** the engine's channel counts: what the input and cue choices offer */
  routing: { inputChannels: number; outputBuses: number };
}

export interface PanelLink {
  /** other Link apps in the session */
  peers: number;
  /** the session's start/stop state (with start/stop sync) */
  playing: boolean;
}
export interface LinkPanelEvent extends PanelLink {
  type: 'link';
}

/** Mixer values the engine reports only when asked (status) or that this panel set itself. */
export interface MixerEvent {
  type: 'mixer';
  track: number;
  volume: number;
  muted: boolean;
  soloed: boolean;
}
export interface EngineEvent {
  type: 'engine';
  engine: PanelEngine;
}
export interface TransportEvent {
  type: 'transport';
  bpm: number;
  beatsPerBar: number;
  metronome: boolean;
}
/** A track after a status reply: state and loop as the engine has them (anchor as the panel knows it). */
export interface TrackEvent {
  type: 'track';
  track: PanelTrack;
}

/** What the stream carries: the host's events (minus replies and ready), and the panel's own. */
export type PanelEvent =
  | Exclude<HostEvent, { type: 'reply' } | { type: 'ready' }>
  | MixerEvent
  | EngineEvent
  | TransportEvent
  | TrackEvent
  | LinkPanelEvent;

export interface PanelSettings {
  name: string;
  tracks: number;
  bpm: number;
  beatsPerBar: number;
  metronome: boolean;
  quantize: string;
  sampleRate: number;
  blockFrames: number;
  /** default 2 and 1 (stereo) */
  inputChannels?: number;
  outputBuses?: number;
}

const emptyTrack = (track: number): PanelTrack => ({
  track,
  state: 'empty',
  frames: 0,
  seconds: 0,
  bars: 0,
  anchor: null,
  since: null,
  pending: null,
  pendingFrame: null,
  volume: 1,
  muted: false,
  soloed: false,
  undo: 0,
  redo: 0,
  live: true,
  source: 0,
  cueBus: 0,
});

/** TrackStatus may carry the loop position (hosts that report it); the anchor follows from it. */
type StatusTrack = TrackStatus & { position?: number };

export class PanelState {
  private readonly tracks: PanelTrack[];
  /** anchors of loops this panel saw recorded, by track and length: an undo back to one restores it */
  private readonly anchors: Map<number, number>[];
  private bpm: number;
  private beatsPerBar: number;
  private metronome: boolean;
  private beat: PanelSnapshot['beat'] = null;
  private link: PanelLink | null = null;
  private xruns = 0;
  private levels: PanelSnapshot['levels'] = { input: [0, 0], output: [0, 0] };
  private readonly engine: PanelEngine;
  /** per track, the state/length a status poll disagreed with ('' = none) */
  private readonly disagreement: string[];

  constructor(private readonly settings: PanelSettings) {
    this.tracks = Array.from({ length: settings.tracks }, (_, i) => emptyTrack(i + 1));
    this.anchors = this.tracks.map(() => new Map());
    this.disagreement = this.tracks.map(() => '');
    this.bpm = settings.bpm;
    this.beatsPerBar = settings.beatsPerBar;
    this.metronome = settings.metronome;
    this.engine = {
      status: 'stopped',
      backend: null,
      notice: null,
      restored: null,
      autosaveOff: null,
      sampleRate: settings.sampleRate,
      blockFrames: settings.blockFrames,
      soundDelayFrames: 0,
    };
  }

  get trackCount(): number {
    return this.tracks.length;
  }

  snapshot(): PanelSnapshot {
    return {
      type: 'snapshot',
      name: this.settings.name,
      tracks: this.tracks.map((t) => ({ ...t })),
      bpm: this.bpm,
      beatsPerBar: this.beatsPerBar,
      metronome: this.metronome,
      quantize: this.settings.quantize,
      beat: this.beat && { ...this.beat },
      xruns: this.xruns,
      levels: { input: [...this.levels.input], output: [...this.levels.output] },
      engine: { ...this.engine },
      link: this.link && { ...this.link },
      routing: { inputChannels: this.settings.inputChannels ?? 2, outputBuses: this.settings.outputBuses ?? 1 },
    };
  }

  /** The Link session's state (LinkSync's 'link' events, one per beat): streamed when what the page shows changes. */
  applyLink(e: PanelLink): LinkPanelEvent | undefined {
    if (this.link && this.link.peers === e.peers && this.link.playing === e.playing) return undefined;
    this.link = { peers: e.peers, playing: e.playing };
    return { type: 'link', ...this.link };
  }

  /** Folds a host event in; returns what to stream (undefined: nothing the page needs). */
  apply(e: HostEvent): PanelEvent | undefined {
    switch (e.type) {
      case 'state': {
        const t = this.track(e.track);
        if (!t) return undefined;
        if (e.state === 'empty' || e.frames === 0) t.anchor = null;
        else if (t.state === 'recording' && e.state !== 'recording') {
          // playback starts at the record end, with loop position 0 there
          t.anchor = e.frame;
          this.anchors[t.track - 1].set(e.frames, e.frame);
        } else if (e.frames !== t.frames) t.anchor = this.anchors[t.track - 1].get(e.frames) ?? null;
        if (e.state === 'empty') this.anchors[t.track - 1].clear();
        if (e.state !== t.state) t.since = e.frame;
        t.state = e.state;
        t.frames = e.frames;
        t.seconds = e.seconds;
        t.bars = e.bars;
        t.pending = null;
        t.pendingFrame = null;
        return e;
      }
      case 'pending': {
        const t = this.track(e.track);
        if (!t) return undefined;
        t.pending = e.state;
        t.pendingFrame = e.frame;
        return e;
      }
      case 'layers': {
        const t = this.track(e.track);
        if (!t) return undefined;
        t.undo = e.undo;
        t.redo = e.redo;
        return e;
      }
      case 'loop': {
        const t = this.track(e.track);
        if (!t || t.live === e.live) return undefined;
        this.setLive(t, e.live);
        return { type: 'track', track: { ...t } };
      }
      case 'beat':
        this.beat = { frame: e.frame, beat: e.beat, beatInBar: e.beatInBar, bar: e.bar, downbeat: e.downbeat };
        return e;
      case 'tempo':
        this.bpm = e.bpm;
        this.beatsPerBar = e.beatsPerBar;
        return e;
      case 'levels':
        this.levels = { input: [e.input[0], e.input[1]], output: [e.output[0], e.output[1]] };
        return e;
      case 'xrun':
        this.xruns = e.count;
        return e;
      case 'error':
        return e;
      default:
        return undefined;
    }
  }

  /** The engine's status or its ready event changed. */
  setEngine(status: EngineStatus, ready: ReadyEvent | undefined): EngineEvent | undefined {
    const next: PanelEngine = {
      status,
      backend: ready?.backend ?? null,
      notice: ready?.notice ?? null,
      // a (re)starting host restores the autosave again and says so anew
      restored: status === 'starting' ? null : this.engine.restored,
      autosaveOff: ready?.autosaveOff ?? null,
      sampleRate: ready?.sampleRate ?? this.settings.sampleRate,
      blockFrames: ready?.blockFrames ?? this.settings.blockFrames,
      soundDelayFrames: ready?.soundDelayFrames ?? 0,
    };
    const e = this.engine;
    if (
      e.status === next.status && e.backend === next.backend && e.notice === next.notice && e.restored === next.restored && e.autosaveOff === next.autosaveOff &&
      e.sampleRate === next.sampleRate && e.blockFrames === next.blockFrames && e.soundDelayFrames === next.soundDelayFrames
    ) {
      return undefined;
    }
    Object.assign(this.engine, next);
    return { type: 'engine', engine: { ...this.engine } };
  }

  /**
   * Merges a status reply: mixer values (which have no events), tempo, xruns, and each track's state
   * and loop. State changes normally arrive as events, a little after a status sees them (an event
   * waits until it sounds), so a poll takes a track's state from the status only when it disagrees
   * twice in a row; `initial` (the first status after the engine came up: a redeployed panel learning
   * the loops) takes it at once. Returns what changed.
   */
  applyStatus(status: HostStatus, initial = false): PanelEvent[] {
    const out: PanelEvent[] = [];
    if (status.bpm !== this.bpm || status.beatsPerBar !== this.beatsPerBar || status.metronome !== this.metronome) {
      this.bpm = status.bpm;
      this.beatsPerBar = status.beatsPerBar;
      this.metronome = status.metronome;
      out.push({ type: 'transport', bpm: this.bpm, beatsPerBar: this.beatsPerBar, metronome: this.metronome });
    }
    if (status.xruns > this.xruns) {
      this.xruns = status.xruns;
      out.push({ type: 'xrun', count: status.xruns, frame: status.frame });
    }
    for (const s of status.tracks as StatusTrack[]) {
      const t = this.track(s.track);
      if (!t) continue;
      // a loop added or deleted is an event; a page that missed it (a restarted host) learns it here
      const live = s.live ?? true;
      if (live !== t.live) {
        this.setLive(t, live);
        out.push({ type: 'track', track: { ...t } });
      }
      if (s.volume !== t.volume || s.muted !== t.muted || s.soloed !== t.soloed) {
        t.volume = s.volume;
        t.muted = s.muted;
        t.soloed = s.soloed;
        out.push(this.mixerEvent(t));
      }
      // routing is reported by status only (another panel, a flow or a restarted host changed it)
      const routed = s.source !== undefined && (s.source !== t.source || s.cueBus !== t.cueBus);
      if (routed) {
        t.source = s.source as number;
        t.cueBus = s.cueBus ?? 0;
      }
      const differs = s.state !== t.state || (s.state !== 'recording' && s.frames !== t.frames);
      const seenBefore = this.disagreement[t.track - 1] === `${s.state}/${s.frames}`;
      this.disagreement[t.track - 1] = differs ? `${s.state}/${s.frames}` : '';
      const adopt = differs && (initial || seenBefore);
      const reported = s.position !== undefined && s.frames > 0 ? status.frame - s.position : null;
      // anchors a whole number of loops apart are the same phase: keep the one the panel has
      const samePhase = reported === null || (t.anchor !== null && (((reported - t.anchor) % s.frames) + s.frames) % s.frames === 0);
      const anchor = samePhase ? t.anchor : reported;
      if (!adopt && (samePhase || differs)) {
        if (routed) out.push({ type: 'track', track: { ...t } });
        continue;
      }
      if (adopt) {
        this.disagreement[t.track - 1] = '';
        if (s.state !== t.state) t.since = null;
        t.state = s.state;
        t.frames = s.frames;
        t.seconds = s.seconds;
        t.bars = s.bars;
        t.pending = null;
        t.pendingFrame = null;
      }
      t.anchor = t.frames > 0 ? anchor : null;
      out.push({ type: 'track', track: { ...t } });
    }
    return out;
  }

  /** The host announced the loops it restored at start (text: restore-notice.ts). */
  setRestored(text: string): EngineEvent {
    this.engine.restored = text;
    return { type: 'engine', engine: { ...this.engine } };
  }

  /** The panel sent a mixer command: its value is known at once. */
  applyMixer(track: number, change: Partial<Pick<PanelTrack, 'volume' | 'muted' | 'soloed'>>): MixerEvent | undefined {
    const t = this.track(track);
    if (!t) return undefined;
    Object.assign(t, change);
    return this.mixerEvent(t);
  }

  /** The panel turned the click on or off (no event reports it). */
  applyMetronome(enabled: boolean): TransportEvent {
    this.metronome = enabled;
    return { type: 'transport', bpm: this.bpm, beatsPerBar: this.beatsPerBar, metronome: enabled };
  }

  /** The engine adds a loop with a fresh mixer, and deletes one by clearing it. */
  private setLive(t: PanelTrack, live: boolean): void {
    t.live = live;
    Object.assign(t, { volume: 1, muted: false, soloed: false });
  }

  private mixerEvent(t: PanelTrack): MixerEvent {
    return { type: 'mixer', track: t.track, volume: t.volume, muted: t.muted, soloed: t.soloed };
  }

  private track(n: number): PanelTrack | undefined {
    return Number.isInteger(n) && n >= 1 && n <= this.tracks.length ? this.tracks[n - 1] : undefined;
  }
}
