import { TapTempo } from '../control/tap-tempo';
import { CommandName, LIMITS, QuantizeMode } from '../engine/types';
import type { HostStatus } from '../io/client';
import type { HostEvent } from '../io/protocol';
import { sessionName } from '../session/names';
import { OscMessage, OscValue, coerce } from './codec';
import { GLOBAL_DEFAULTS, LOOP_DEFAULTS, LOOP_READ_ONLY } from './controls';
import { LooperMirror, SlState } from './mirror';

// SooperLooper's protocol (its OSC document and src/control_osc.cpp, as 1.7.8 answers it; the
// differential test holds a recording of its answers) over this looper, as a pure class: OSC
// messages, host events and the time go in; engine commands and replies come out through callbacks.
// The UDP socket, return-address checks and timers are server.ts's. The engine owns which tracks are
// live loops (addLoop, deleteLoop; its status and 'loop' events say): OSC loop numbers are 0-based
// indexes into the live tracks in track order, so a delete renumbers the loops after it, as
// SooperLooper does. -1 means all loops, -3 the selected loop; /get and /sl/-2/set are the globals.
//
// Like SooperLooper (liblo), a message is dispatched only when its path names a method (OSC wildcards
// match every method they name) and its arguments convert to the method's type signature; anything
// else is dropped without a reply. Every control SooperLooper keeps is kept and read back with its
// defaults and units (./controls.ts); the ones with a meaning here act on the engine (docs/osc.md).
// Nothing here touches files: save and load name sessions of the engine's own session folder.

export interface Source {
  address: string;
  port: number;
}

export interface Reply {
  /** the return URL as given (server.ts checks and resolves it) */
  url: string;
  path: string;
  types: string;
  args: OscValue[];
  /** who asked: replies go only to them (server.ts) */
  source: Source;
}

export interface SooperLooperOptions {
  /** engine tracks: the most loops there can be */
  tracks: number;
  /** the engine's live loops at the start, tracks 1..loops (default: every track); its status corrects it */
  loops?: number;
  sampleRate: number;
  bpm: number;
  beatsPerBar: number;
  /** the engine's loop memory (total_time and free_time) */
  memoryMiB: number;
  /** the engine's block: SooperLooper's default trigger latency is one audio period */
  blockFrames?: number;
  /** a command for the engine; value as its msg form would carry it */
  command(name: CommandName, track: number, value?: number | string): void;
  reply(reply: Reply): void;
  /** our URL for /ping answers */
  serverUrl(): string;
  /** asks the host for a 'status' (the answer comes back through status()) */
  requestStatus(): void;
  /** saves or loads a named session in the engine's session folder; rejects with why it could not */
  session(command: 'save' | 'load', name: string): Promise<unknown>;
  /** /quit: the looper is asked to end */
  quit?(): void;
  /** something asked of OSC could not be done, in words (SooperLooper's answer, if any, went out too) */
  warn?(text: string): void;
}

/** The version a /ping answers: the SooperLooper protocol this speaks (clients compare it). */
export const SL_VERSION = '1.7.8';
/** SooperLooper: a press held longer than 1 s is a long press ("SUS"). */
export const LONG_PRESS_MS = 1000;
/** SooperLooper's auto-update intervals: 10-100 ms, rounded down to 10 ms steps. */
export const AUTO_UPDATE = { min: 10, max: 100, step: 10 } as const;
/** Registrations beyond this are ignored: a flood of them must not grow memory without bound. */
export const MAX_REGISTRATIONS = 512;
/** A mirror older than this is refreshed from a 'status' when a get or an update reads it. */
const STATUS_MAX_AGE_MS = 250;
/** Registration strings longer than this are ignored (they are kept, so their size is bounded). */
const MAX_REGISTRATION_TEXT = 256;
/** undo_all and redo_all send at most this many steps: the engine queues 256 commands per block. */
const MAX_STEPS = 128;
/** What SooperLooper answers when a loop file or session cannot be read or written. */
export const FAILED = {
  loopLoad: 'Loop Load Failed',
  loopSave: 'Loop Save Failed',
  sessionLoad: 'Session Load Failed',
  sessionSave: 'Session Save Failed',
} as const;

/** The SooperLooper commands this looper does (see hit()); presses of any other are ignored. */
const SL_COMMANDS = new Set([
  'record', 'overdub', 'undo', 'redo', 'multiply', 'insert', 'replace', 'substitute', 'reverse', 'oneshot', 'trigger',
  'record_or_overdub', 'undo_all', 'redo_all', 'mute', 'mute_on', 'mute_off', 'pause', 'pause_on', 'pause_off', 'solo',
]);

/**
 * SooperLooper's next_state after a command (its looper's NextState output, which stays until a
 * command changes it): -1 means none. Commands not listed leave it as it is.
 */
const NEXT_STATE_AFTER: Record<string, (state: number) => number> = {
  record: (s) => (s === SlState.Recording ? SlState.Playing : -1),
  record_or_overdub: (s) => (s === SlState.Recording ? SlState.Playing : -1),
  overdub: () => -1,
  multiply: (s) => (s === SlState.Multiplying ? SlState.Playing : -1),
  insert: (s) => (s === SlState.Inserting ? SlState.Playing : -1),
  replace: () => -1,
  substitute: () => -1,
  solo: () => -1,
  trigger: () => -1,
  oneshot: () => -1,
  undo_all: () => -1,
  redo_all: () => -1,
};

/** The MIDI-binding methods: no MIDI here, so they are taken and what SooperLooper answers at once is answered. */
const MIDI_METHODS: Record<string, { types: string; answer?: string }> = {
  '/get_all_midi_bindings': { types: 'ss', answer: 'done' },
  '/learn_midi_binding': { types: 'ssss' },
  '/cancel_midi_learn': { types: 'ss', answer: 'learn_cancel' },
  '/get_next_midi_event': { types: 'ss' },
  '/cancel_get_next_midi': { types: 'ss', answer: 'next_cancel' },
  '/add_midi_binding': { types: 'ss' },
  '/remove_midi_binding': { types: 'ss' },
  '/clear_midi_bindings': { types: '' },
  '/load_midi_bindings': { types: 'ss' },
  '/save_midi_bindings': { types: 'ss' },
};

const GLOBAL_METHODS = [
  '/ping', '/quit', '/loop_add', '/loop_del', '/register', '/unregister', '/set', '/get', '/register_update',
  '/unregister_update', '/register_auto_update', '/unregister_auto_update', '/save_session', '/load_session',
  ...Object.keys(MIDI_METHODS),
];
const LOOP_METHODS = [
  'hit', 'down', 'up', 'upforce', 'set', 'get', 'register_update', 'unregister_update', 'register_auto_update',
  'unregister_auto_update', 'load_loop', 'save_loop',
];

const GLOBAL = -2;
const ALL = -1;
const SELECTED = -3;

/** SooperLooper's quantize values (off, cycle, 8th, loop) under the internal tempo, as ours. */
const QUANTIZE_OF_SL: QuantizeMode[] = ['off', 'bar', 'beat', 'loop'];

interface Registration {
  instance: number;
  ctrl: string;
  url: string;
  path: string;
  /** 0 = on a /set (register_update), else the auto-update interval */
  intervalMs: number;
  due: number;
  last: number | undefined;
  /** the port in the return URL: a global /set from this port is not sent back to it (SooperLooper) */
  port: number;
  /** who registered: updates go to the return URL only as far as it is theirs (server.ts) */
  source: Source;
}

export class SooperLooperOsc {
  readonly mirror: LooperMirror;
  private readonly tap = new TapTempo();
  private readonly downAt = new Map<string, number>();
  private readonly registrations = new Map<string, Registration>();
  /** /register: who hears the loop count when loops come and go */
  private readonly loopListeners = new Map<string, { url: string; path: string; source: Source }>();
  private statusAt = -Infinity;
  private readonly id = Math.floor(Math.random() * 0x7fffffff);
  /** the engine track (1-based) of each OSC loop: the engine's live tracks, in order */
  private loops: number[];
  /** by engine track - 1: a live loop, as the engine last said */
  private readonly live: boolean[] = [];
  /** SooperLooper keeps the methods of a deleted loop: /sl/N/get still answers (0) up to the most loops there were */
  private methodLoops: number;
  /** kept per-loop controls, by engine track - 1 */
  private readonly controls: Record<string, number>[] = [];
  private readonly nextState: number[] = [];
  /** played backwards (an odd number of reverses since the take): rate_output is negative */
  private readonly reversed: boolean[] = [];
  private readonly globals: Record<string, number> = { ...GLOBAL_DEFAULTS };

  constructor(private readonly o: SooperLooperOptions) {
    this.mirror = new LooperMirror(o.tracks, o.sampleRate, o.bpm, o.beatsPerBar, o.memoryMiB);
    this.globals.tempo = o.bpm;
    const count = Math.max(0, Math.min(o.tracks, o.loops ?? o.tracks));
    for (let t = 1; t <= o.tracks; t++) {
      this.live[t - 1] = t <= count;
      this.resetLoop(t);
    }
    this.loops = this.liveTracks();
    this.methodLoops = count;
  }

  /** The engine tracks the OSC loops name, in order. */
  get loopTracks(): readonly number[] {
    return this.loops;
  }

  /** -1 = all loops, else 0-based (it may name no loop: SooperLooper keeps what it is given) */
  get selected(): number {
    return this.globals.selected_loop_num;
  }

  get hasAutoUpdates(): boolean {
    for (const r of this.registrations.values()) if (r.intervalMs > 0) return true;
    return false;
  }

  get registrationCount(): number {
    return this.registrations.size;
  }

  hostEvent(e: HostEvent, now: number): void {
    if (e.type === 'state') {
      if (e.state === 'recording' || e.state === 'empty') this.reversed[e.track - 1] = false;
      // a one-shot ends muted: the status says so (a state event does not carry the mute)
      if (this.mirror.track(e.track)?.state === 'oneshot' && e.state !== 'oneshot') this.statusAt = -Infinity;
      // a multiply's length grows as it passes a unit's end (and a master's unit is the host's to say)
      if (e.state === 'multiplying') this.statusAt = -Infinity;
    }
    // a tempo set from anywhere (a msg, the panel) is SooperLooper's internal tempo
    if (e.type === 'tempo') this.globals.tempo = e.bpm;
    if (e.type === 'loop') this.setLive(e.track, e.live);
    if (e.type === 'error' && e.track === 0 && e.message.startsWith('addLoop:')) this.o.warn?.(`/loop_add: ${e.message}`);
    this.mirror.event(e, now);
    if (this.statusAt === -Infinity) this.refreshIfStale(now);
  }

  hostStatus(s: HostStatus, now: number): void {
    this.statusAt = now;
    this.mirror.status(s, now);
    for (const t of s.tracks) this.setLive(t.track, t.live ?? true);
  }

  /** Handles one message; returns false when no method took it (nothing was done or answered). */
  handle(msg: OscMessage, source: Source, now: number): boolean {
    if (/[*?[\]{}]/.test(msg.address)) {
      const pattern = oscPattern(msg.address);
      if (!pattern) return false;
      let any = false;
      for (const address of this.methods()) if (pattern.test(address)) any = this.dispatch({ ...msg, address }, source, now) || any;
      return any;
    }
    return this.dispatch(msg, source, now);
  }

  /** Every method path there is now, in SooperLooper's order (a wildcard reaches them in this order). */
  private methods(): string[] {
    const out = [...GLOBAL_METHODS, '/sl/-2/set'];
    for (const n of [ALL, SELECTED, ...Array.from({ length: this.methodLoops }, (_, i) => i)]) {
      for (const m of LOOP_METHODS) out.push(`/sl/${n}/${m}`);
    }
    return out;
  }

  private dispatch(msg: OscMessage, source: Source, now: number): boolean {
    const sl = /^\/sl\/(-?\d{1,3})\/([a-z_]+)$/.exec(msg.address);
    if (sl) return this.loopMethod(Number(sl[1]), sl[2], msg, source, now);
    const midi = MIDI_METHODS[msg.address];
    if (midi) {
      const a = coerce(msg, midi.types);
      if (!a) return false;
      if (midi.answer) this.o.reply({ url: a[a.length - 2] as string, path: a[a.length - 1] as string, types: 'ss', args: [midi.answer, ''], source });
      return true;
    }
    switch (msg.address) {
      case '/ping': {
        const a = coerce(msg, 'ss') ?? coerce(msg, 'ssi');
        if (!a) return false;
        const useId = a.length === 3;
        const args: OscValue[] = [this.o.serverUrl(), SL_VERSION, this.loops.length];
        if (useId) args.push(this.id);
        this.o.reply({ url: a[0] as string, path: a[1] as string, types: useId ? 'ssii' : 'ssi', args, source });
        return true;
      }
      case '/quit':
        if (!coerce(msg, '')) return false;
        this.o.quit?.();
        return true;
      case '/loop_add': {
        const a = coerce(msg, 'if');
        if (!a) return false;
        this.addLoop();
        return true;
      }
      case '/loop_del': {
        const a = coerce(msg, 'i');
        if (!a) return false;
        this.deleteLoop(a[0] as number);
        return true;
      }
      case '/register':
      case '/unregister': {
        const a = coerce(msg, 'ss');
        if (!a) return false;
        const [url, path] = a as string[];
        const key = `${url}|${path}`;
        if (msg.address === '/unregister') this.loopListeners.delete(key);
        else if (this.loopListeners.size < MAX_REGISTRATIONS && url.length <= MAX_REGISTRATION_TEXT && path.length <= MAX_REGISTRATION_TEXT) {
          this.loopListeners.set(key, { url, path, source });
        }
        return true;
      }
      case '/set': {
        const a = coerce(msg, 'sf');
        if (!a) return false;
        this.setGlobal(a[0] as string, a[1] as number, now);
        this.forward(GLOBAL, a[0] as string, a[1] as number, source.port);
        return true;
      }
      case '/get': {
        const a = coerce(msg, 'sss');
        if (!a) return false;
        this.get(GLOBAL, a[0] as string, a[1] as string, a[2] as string, source, now);
        return true;
      }
      case '/register_update':
      case '/unregister_update':
      case '/register_auto_update':
      case '/unregister_auto_update':
        return this.registration(GLOBAL, msg.address.slice(1), msg, source, now);
      case '/save_session':
      case '/load_session': {
        const a = coerce(msg, 'sss') ?? (msg.address === '/save_session' ? coerce(msg, 'sssi') : null);
        if (!a) return false;
        this.sessionFile(msg.address === '/save_session' ? 'save' : 'load', a[0] as string, a[1] as string, a[2] as string, source);
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * SooperLooper saves and loads a session file by path; here only a named session in the engine's
   * session folder: the file name without its folder and extension names it ("/home/me/Song 2.slsess"
   * is session "Song 2"), checked like every session name, so no OSC message reaches another file.
   * A failure answers as SooperLooper does: ,ss (our URL, "Session Save Failed") to the error path.
   */
  private sessionFile(command: 'save' | 'load', file: string, url: string, errorPath: string, source: Source): void {
    const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
    const dot = base.lastIndexOf('.');
    const fail = (): void =>
      this.o.reply({ url, path: errorPath, types: 'ss', args: [this.o.serverUrl(), command === 'save' ? FAILED.sessionSave : FAILED.sessionLoad], source });
    let name: string;
    try {
      name = sessionName(dot > 0 ? base.slice(0, dot) : base);
    } catch {
      return fail();
    }
    this.o.session(command, name).catch(fail);
  }

  /**
   * Sends the auto-updates that are due; call every AUTO_UPDATE.min ms while hasAutoUpdates. As in
   * SooperLooper, every registration of one interval is due at the same times (multiples of it), and
   * what is due goes out by loop, then by control name: a loop's cycle_len comes before its loop_len and
   * loop_pos in the same tick. slgui depends on that: it draws cycle_len's text only when it sees that
   * value new, and reading it for the cycle counter (after loop_len or loop_pos changed) marks it seen,
   * so a cycle_len arriving a moment after a loop_len it goes with can be shown in the counter only.
   */
  tick(now: number): void {
    let any = false;
    const due: Registration[] = [];
    for (const r of this.registrations.values()) if (r.intervalMs > 0 && now >= r.due) due.push(r);
    due.sort((x, y) => x.instance - y.instance || (x.ctrl < y.ctrl ? -1 : x.ctrl > y.ctrl ? 1 : 0));
    for (const r of due) {
      r.due = (Math.floor(now / r.intervalMs) + 1) * r.intervalMs;
      any = true;
      const [name, v] = this.reading(r.instance, r.ctrl, now);
      const value = Math.fround(v);
      if (value === r.last) continue;
      r.last = value;
      this.o.reply({ url: r.url, path: r.path, types: 'isf', args: [r.instance, name, value], source: r.source });
    }
    if (any) this.refreshIfStale(now);
  }

  // ---------------------------------------------------------------- loops

  /**
   * The engine takes its first free track as a new loop; its 'loop' event makes it the last OSC loop
   * (the loops are in track order: one on a lower track than others comes before them). With no free
   * track nothing changes, as when SooperLooper cannot make a loop: no loop-count message.
   */
  private addLoop(): void {
    if (this.loops.length >= this.o.tracks) {
      this.o.warn?.(`/loop_add: no free track: every one of the ${this.o.tracks} tracks is a loop already (start with more tracks for more loops)`);
      return;
    }
    this.o.command('addLoop', 0);
  }

  /** Deletes loop n (-1: the last): the engine clears and frees its track; the loops after it move down. */
  private deleteLoop(n: number): void {
    const i = n === ALL ? this.loops.length - 1 : n;
    if (i < 0 || i >= this.loops.length) return;
    this.o.command('deleteLoop', this.loops[i]);
  }

  /** The engine says track t is (or is no longer) a live loop. */
  private setLive(t: number, live: boolean): void {
    if (t < 1 || t > this.o.tracks || this.live[t - 1] === live) return;
    this.live[t - 1] = live;
    const m = this.mirror.track(t);
    // the engine adds a loop with a fresh mixer, and SooperLooper's controls start at their defaults
    if (live) this.resetLoop(t);
    if (m) Object.assign(m, { muted: false, soloed: false, volume: 1, pan: 0 });
    this.loops = this.liveTracks();
    this.methodLoops = Math.max(this.methodLoops, this.loops.length);
    this.loopsChanged();
  }

  private liveTracks(): number[] {
    const out: number[] = [];
    for (let t = 1; t <= this.o.tracks; t++) if (this.live[t - 1]) out.push(t);
    return out;
  }

  private resetLoop(t: number): void {
    this.controls[t - 1] = { ...LOOP_DEFAULTS, trigger_latency: this.o.blockFrames ?? 0 };
    this.nextState[t - 1] = -1;
    this.reversed[t - 1] = false;
  }

  private loopsChanged(): void {
    for (const l of this.loopListeners.values()) {
      this.o.reply({ url: l.url, path: l.path, types: 'ssi', args: [this.o.serverUrl(), SL_VERSION, this.loops.length], source: l.source });
    }
  }

  // ---------------------------------------------------------------- /sl/N/...

  private loopMethod(n: number, method: string, msg: OscMessage, source: Source, now: number): boolean {
    if (n === GLOBAL) {
      // SooperLooper's one global method under /sl: /sl/-2/set, which no registered client hears of
      const a = method === 'set' ? coerce(msg, 'sf') : null;
      if (!a) return false;
      this.setGlobal(a[0] as string, a[1] as number, now);
      return true;
    }
    if (!LOOP_METHODS.includes(method)) return false;
    if (n !== ALL && n !== SELECTED && !(n >= 0 && n < this.methodLoops)) return false;
    const gone = n >= this.loops.length;
    switch (method) {
      case 'hit':
      case 'down':
      case 'up':
      case 'upforce': {
        const a = coerce(msg, 's');
        if (!a) return false;
        if (!gone) this.press(method, n, a[0] as string, now);
        return true;
      }
      case 'set': {
        const a = coerce(msg, 'sf');
        if (!a) return false;
        for (const t of this.targets(n)) this.setLoop(t, a[0] as string, a[1] as number);
        this.forward(n, a[0] as string, a[1] as number, undefined);
        return true;
      }
      case 'get': {
        const a = coerce(msg, 'sss');
        if (!a) return false;
        if (gone && n >= 0) this.o.reply({ url: a[1] as string, path: a[2] as string, types: 'isf', args: [n, a[0] as string, 0], source });
        else this.get(n, a[0] as string, a[1] as string, a[2] as string, source, now);
        return true;
      }
      case 'load_loop':
      case 'save_loop': {
        // loop files are not read or written by OSC here: the answer is SooperLooper's for a failure
        const a = method === 'load_loop' ? coerce(msg, 'sss') : coerce(msg, 'sssss');
        if (!a) return false;
        const text = method === 'load_loop' ? FAILED.loopLoad : FAILED.loopSave;
        this.o.reply({ url: a[a.length - 2] as string, path: a[a.length - 1] as string, types: 'ss', args: [this.o.serverUrl(), text], source });
        return true;
      }
      default:
        return this.registration(n, method, msg, source, now);
    }
  }

  /** The tracks (1-based) loop number n names. */
  private targets(n: number): number[] {
    const one = n === SELECTED ? this.selected : n;
    if (one === ALL) return [...this.loops];
    const t = this.loops[one];
    return t === undefined ? [] : [t];
  }

  /** The track a get of loop number n reads: SooperLooper reads the first loop for "all". */
  private readTarget(n: number): number | undefined {
    const one = n === SELECTED ? this.selected : n;
    return this.loops[one] ?? this.loops[0];
  }

  private press(kind: string, n: number, cmd: string, now: number): void {
    // unknown commands keep no press time either: the map stays as small as the command list
    if (!SL_COMMANDS.has(cmd)) return;
    const key = `${n}/${cmd}`;
    if (kind === 'hit' || kind === 'down') {
      if (kind === 'down') this.downAt.set(key, now);
      for (const t of this.targets(n)) this.hit(t, cmd);
      return;
    }
    // up / upforce: a release after a long press repeats the command (ends a held overdub, unmutes a
    // held mute...) unless the loop is just playing; long-held undo and redo undo or redo everything
    const down = this.downAt.get(key);
    this.downAt.delete(key);
    const long = down !== undefined && now - down > LONG_PRESS_MS;
    if (kind === 'up' && !long) return;
    const always = cmd === 'reverse' || cmd === 'undo' || cmd === 'redo';
    const again = cmd === 'undo' ? 'undo_all' : cmd === 'redo' ? 'redo_all' : cmd === 'record_or_overdub' ? 'undo_all' : cmd;
    for (const t of this.targets(n)) {
      if (always || this.mirror.stateCode(t) !== SlState.Playing) this.hit(t, kind === 'up' ? again : cmd);
    }
  }

  /** One SooperLooper command (of SL_COMMANDS) on track t. */
  private hit(t: number, cmd: string): void {
    const m = this.mirror.track(t);
    if (!m) return;
    const next = NEXT_STATE_AFTER[cmd];
    if (next) this.nextState[t - 1] = next(this.mirror.stateCode(t));
    const c = (name: CommandName): void => this.o.command(name, t);
    switch (cmd) {
      case 'reverse':
        if (m.frames > 0 && m.state !== 'recording') this.reversed[t - 1] = !this.reversed[t - 1];
        return c(cmd);
      case 'record':
      case 'overdub':
      case 'undo':
      case 'redo':
      case 'multiply':
      case 'insert':
      case 'replace':
      case 'substitute':
      case 'oneshot':
        if (cmd === 'oneshot' && m.muted) this.mute(t, false);
        return c(cmd);
      case 'trigger':
        // SooperLooper's trigger plays the loop from its start even when muted
        if (m.muted) this.mute(t, false);
        return c('retrigger');
      case 'record_or_overdub':
        return c(m.state === 'empty' || m.state === 'recording' ? 'record' : 'overdub');
      case 'undo_all':
        for (let i = Math.min(MAX_STEPS, Math.max(1, m.undo)); i > 0; i--) c('undo');
        return;
      case 'redo_all':
        for (let i = Math.min(MAX_STEPS, m.redo); i > 0; i--) c('redo');
        return;
      case 'mute':
        return this.mute(t, !m.muted);
      case 'mute_on':
      case 'mute_off':
        return this.mute(t, cmd === 'mute_on');
      case 'pause':
      case 'pause_on':
      case 'pause_off': {
        const on = cmd === 'pause' ? m.state !== 'stopped' : cmd === 'pause_on';
        // SooperLooper's pause stands the loop still where it is
        if (on && m.frames > 0) m.paused = true;
        return c(on ? 'pause' : 'play');
      }
      case 'solo':
        m.soloed = !m.soloed;
        return c(m.soloed ? 'solo' : 'unsolo');
      default:
        return;
    }
  }

  private mute(t: number, on: boolean): void {
    const m = this.mirror.track(t);
    if (m) m.muted = on;
    this.o.command(on ? 'mute' : 'unmute', t);
  }

  // ---------------------------------------------------------------- set

  /** Keeps a per-loop control as SooperLooper does, and acts on the engine where it has a meaning here. */
  private setLoop(t: number, ctrl: string, v: number): void {
    const kept = this.controls[t - 1];
    const m = this.mirror.track(t);
    if (!kept || !m || !(ctrl in kept || /^pan_\d+$/.test(ctrl))) return;
    // SooperLooper keeps every value as given but feedback, which it clamps
    kept[ctrl] = ctrl === 'feedback' ? clamp(v, LIMITS.feedback) : v;
    switch (ctrl) {
      case 'wet':
        m.volume = clamp(v, LIMITS.volume);
        return this.o.command('volume', t, m.volume);
      case 'pan_1':
      case 'pan_2':
        // SooperLooper pans each channel (0 left, 1 right; 0 and 1 by default): as one balance here
        m.pan = clamp(kept.pan_1 + kept.pan_2 - 1, LIMITS.pan);
        return this.o.command('pan', t, m.pan);
      case 'feedback':
        return this.o.command('feedback', t, kept.feedback);
      case 'input_gain':
        return this.loopInputGain(t);
      case 'quantize':
      case 'sync':
        return this.o.command('quantize', t, this.quantizeOf(t));
      case 'rate': {
        // SooperLooper's rate is continuous (0.25..4); this looper halves and doubles: 0.25, 0.5, 1, 2, 4
        const steps = Math.log2(v / m.rate);
        if (!Number.isInteger(Math.round(steps * 1000) / 1000) || Math.abs(steps) > 4 || m.frames === 0) return;
        for (let i = Math.round(steps); i !== 0; i -= Math.sign(i)) this.o.command(i > 0 ? 'double' : 'half', t);
        m.rate = v;
        return;
      }
      default:
        return;
    }
  }

  /** SooperLooper scales a loop's input by the global input gain, then by the loop's own. */
  private loopInputGain(t: number): void {
    this.o.command('inputGain', t, clamp(this.globals.input_gain * this.controls[t - 1].input_gain, LIMITS.volume));
  }

  /** The engine quantize for loop t's quantize and sync under the global sync source. */
  private quantizeOf(t: number): QuantizeMode {
    const kept = this.controls[t - 1];
    const q = QUANTIZE_OF_SL[Math.round(kept.quantize)];
    const source = this.globals.sync_source;
    if (!q || q === 'off' || kept.sync === 0 || source === 0) return 'off';
    // synced to a loop: its cycle is the unit
    return source > 0 ? 'loop' : q;
  }

  private setGlobal(ctrl: string, v: number, now: number): void {
    const g = this.globals;
    switch (ctrl) {
      case 'tempo':
        // SooperLooper ignores a tempo <= 0; ours has a range
        if (v <= 0) return;
        g.tempo = clamp(v, LIMITS.bpm);
        return this.o.command('bpm', 0, g.tempo);
      case 'eighth_per_cycle': {
        g.eighth_per_cycle = v;
        const beats = v / 2;
        if (Number.isInteger(beats) && beats >= LIMITS.beatsPerBar[0] && beats <= LIMITS.beatsPerBar[1]) this.o.command('beatsPerBar', 0, beats);
        return;
      }
      case 'tap_tempo': {
        const bpm = this.tap.tap(now);
        if (bpm !== undefined) this.o.command('bpm', 0, bpm);
        return;
      }
      case 'selected_loop_num':
        g.selected_loop_num = Math.trunc(v);
        return;
      case 'select_next_loop':
        g.selected_loop_num = this.selected < 0 ? 0 : (this.selected + 1) % Math.max(1, this.loops.length);
        return;
      case 'select_prev_loop':
        g.selected_loop_num = this.selected <= 0 ? this.loops.length - 1 : this.selected - 1;
        return;
      case 'select_all_loops':
      case 'save_loop':
        // SooperLooper 1.7.8 changes nothing for these through /set
        return;
      case 'sync_source':
        g.sync_source = Math.trunc(v);
        for (const t of this.loops) this.o.command('quantize', t, this.quantizeOf(t));
        return;
      case 'dry':
        g.dry = v;
        return this.o.command('monitorVolume', 0, clamp(v, LIMITS.volume));
      case 'wet':
        g.wet = v;
        return this.o.command('masterVolume', 0, clamp(v, LIMITS.volume));
      case 'input_gain':
        // the engine's sets the monitor and every loop's; a loop with its own gain keeps the product
        g.input_gain = v;
        this.o.command('inputGain', 0, clamp(v, LIMITS.volume));
        for (const t of this.loops) if (this.controls[t - 1].input_gain !== 1) this.loopInputGain(t);
        return;
      default:
        if (ctrl in g) g[ctrl] = v;
        return;
    }
  }

  /** SooperLooper sends a /set's value, as given, to the clients registered for it (register_update). */
  private forward(n: number, ctrl: string, v: number, setterPort: number | undefined): void {
    for (const r of this.registrations.values()) {
      if (r.intervalMs !== 0 || r.instance !== n || r.ctrl !== ctrl || r.port === setterPort) continue;
      this.o.reply({ url: r.url, path: r.path, types: 'isf', args: [n, ctrl, v], source: r.source });
    }
  }

  // ---------------------------------------------------------------- values

  private get(n: number, ctrl: string, url: string, path: string, source: Source, now: number): void {
    this.refreshIfStale(now);
    const [name, v] = this.reading(n, ctrl, now);
    this.o.reply({ url, path, types: 'isf', args: [n, name, v], source });
  }

  /** What a get of ctrl answers: a per-loop control SooperLooper does not know reads ("unknown", 0). */
  private reading(n: number, ctrl: string, now: number): [string, number] {
    if (n !== GLOBAL && !(ctrl in LOOP_DEFAULTS || /^pan_\d+$/.test(ctrl) || (LOOP_READ_ONLY as readonly string[]).includes(ctrl))) return ['unknown', 0];
    return [ctrl, this.value(n, ctrl, now)];
  }

  /** A control's value as SooperLooper reports it. */
  value(n: number, ctrl: string, now: number): number {
    const m = this.mirror;
    if (n === GLOBAL) {
      switch (ctrl) {
        case 'tempo': {
          // synced to a loop, SooperLooper's tempo is the loop's: none while that loop is empty
          const source = this.globals.sync_source;
          const sync = source > 0 ? this.loops[source - 1] : undefined;
          if (source > 0 && !(sync !== undefined && (m.track(sync)?.frames ?? 0) > 0)) return 0;
          return this.globals.tempo;
        }
        case 'in_peak_meter':
          return m.inputPeak;
        case 'out_peak_meter':
          return m.outputPeak;
        default:
          return this.globals[ctrl] ?? 0;
      }
    }
    const t = this.readTarget(n);
    const track = t === undefined ? undefined : m.track(t);
    if (t === undefined || !track) return 0;
    const kept = this.controls[t - 1];
    switch (ctrl) {
      case 'state':
        return m.stateCode(t);
      case 'next_state':
        return track.pending ? m.nextStateCode(t) : this.nextState[t - 1];
      case 'waiting':
        return track.pending ? 1 : 0;
      case 'loop_len':
        return m.lengthSeconds(t, now);
      case 'loop_pos':
        return m.positionSeconds(t, now);
      case 'cycle_len':
        return m.cycleSeconds(t);
      case 'free_time':
        return m.freeSeconds;
      case 'total_time':
        return m.totalSeconds;
      case 'is_soloed':
        return track.soloed ? 1 : 0;
      case 'rate_output':
        return this.reversed[t - 1] ? -track.rate : track.rate;
      case 'channel_count':
        return 2;
      case 'has_discrete_io':
        return 1;
      case 'in_peak_meter':
        return m.inputPeak;
      case 'out_peak_meter':
        return m.outputPeak;
      default:
        return kept[ctrl] ?? 0;
    }
  }

  // ---------------------------------------------------------------- registrations

  private registration(n: number, method: string, msg: OscMessage, source: Source, now: number): boolean {
    const auto = method.endsWith('auto_update');
    const a = coerce(msg, method === 'register_auto_update' ? 'siss' : 'sss');
    if (!a) return false;
    const ctrl = a[0] as string;
    const [url, path] = auto && method.startsWith('register') ? [a[2] as string, a[3] as string] : [a[1] as string, a[2] as string];
    if (ctrl.length > MAX_REGISTRATION_TEXT || url.length > MAX_REGISTRATION_TEXT || path.length > MAX_REGISTRATION_TEXT) return true;
    const key = `${n}|${ctrl}|${url}|${path}|${auto ? 'auto' : 'change'}`;
    if (method.startsWith('unregister')) {
      this.registrations.delete(key);
      return true;
    }
    let intervalMs = 0;
    if (auto) {
      const ms = (a[1] as number) - ((a[1] as number) % AUTO_UPDATE.step);
      intervalMs = Math.min(AUTO_UPDATE.max, Math.max(AUTO_UPDATE.min, ms));
    }
    const existing = this.registrations.get(key);
    if (existing) {
      existing.intervalMs = intervalMs;
      return true;
    }
    if (this.registrations.size >= MAX_REGISTRATIONS) return true;
    const port = Number(/:(\d+)(?:\/|$)/.exec(url)?.[1] ?? 0);
    this.registrations.set(key, { instance: n, ctrl, url, path, intervalMs, due: now, last: undefined, port, source });
    return true;
  }

  private refreshIfStale(now: number): void {
    if (now - this.statusAt < STATUS_MAX_AGE_MS) return;
    this.statusAt = now;
    this.o.requestStatus();
  }
}

function clamp(v: number, [lo, hi]: readonly [number, number]): number {
  return Math.min(hi, Math.max(lo, v));
}

/**
 * An OSC address pattern (OSC 1.0: ? * [abc] [!a-z] {foo,bar}) as a regular expression over whole
 * method paths; null when it is malformed (an open bracket or brace).
 */
export function oscPattern(address: string): RegExp | null {
  let re = '';
  for (let i = 0; i < address.length; i++) {
    const c = address[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = address.indexOf(']', i + 1);
      if (end < 0) return null;
      let set = address.slice(i + 1, end);
      const negate = set.startsWith('!');
      if (negate) set = set.slice(1);
      re += `[${negate ? '^' : ''}${set.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      const end = address.indexOf('}', i + 1);
      if (end < 0) return null;
      re += `(?:${address.slice(i + 1, end).split(',').map(escape).join('|')})`;
      i = end;
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
