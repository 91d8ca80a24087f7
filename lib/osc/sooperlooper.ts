import { TapTempo } from '../control/tap-tempo';
import { CommandName, LIMITS, QuantizeMode } from '../engine/types';
import type { HostStatus } from '../io/client';
import type { HostEvent } from '../io/protocol';
import { sessionName } from '../session/names';
import { OscMessage, OscValue, coerce } from './codec';
import { LooperMirror, SlState } from './mirror';

// SooperLooper's OSC protocol (its OSC document and src/control_osc.cpp, as 1.7.8 answers it: DESIGN.md
// §9) over this looper, as a pure class: OSC messages, host events and the time go in; engine commands
// and replies come out through callbacks. The UDP socket, return-address checks and timers are
// server.ts's. Loop numbers are 0-based in OSC and tracks 1-based here; -1 means all loops, -3 the
// selected loop; /get and /sl/-2/set are the globals.
//
// Like SooperLooper (liblo), a message is dispatched only when its path names a method and its
// arguments convert to the method's type signature; anything else is dropped without a reply.
// Commands we do not have (insert, substitute, scratch...) are dropped the same way, and a /get of a
// control we do not have answers 0.0, as SooperLooper does for controls it does not know. Nothing here
// touches files: save and load name sessions of the engine's own session folder (sessionFile()).

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
  tracks: number;
  sampleRate: number;
  bpm: number;
  beatsPerBar: number;
  /** a command for the engine; value as its msg form would carry it */
  command(name: CommandName, track: number, value?: number | string): void;
  reply(reply: Reply): void;
  /** our URL for /ping answers */
  serverUrl(): string;
  /** asks the host for a 'status' (the answer comes back through status()) */
  requestStatus(): void;
  /** saves or loads a named session in the engine's session folder; rejects with why it could not */
  session(command: 'save' | 'load', name: string): Promise<unknown>;
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

/** The SooperLooper commands this looper does (see hit()); presses of any other are ignored. */
const SL_COMMANDS = new Set([
  'record', 'overdub', 'undo', 'redo', 'multiply', 'replace', 'reverse', 'oneshot', 'trigger', 'record_or_overdub',
  'undo_all', 'redo_all', 'mute', 'mute_on', 'mute_off', 'pause', 'pause_on', 'pause_off', 'solo',
]);

const GLOBAL = -2;
const ALL = -1;
const SELECTED = -3;

/** SooperLooper's quantize values (off, cycle, 8th, loop) and ours. */
const QUANTIZE_OF_SL: QuantizeMode[] = ['off', 'bar', 'beat', 'loop'];

interface Registration {
  instance: number;
  ctrl: string;
  url: string;
  path: string;
  /** 0 = on change (register_update), else the auto-update interval */
  intervalMs: number;
  due: number;
  last: number | undefined;
  /** the port in the return URL: a /set from this port does not echo back to it (SooperLooper) */
  port: number;
  /** who registered: updates go to the return URL only as far as it is theirs (server.ts) */
  source: Source;
}

export class SooperLooperOsc {
  readonly mirror: LooperMirror;
  /** -1 = all loops, else 0-based */
  selected = 0;
  private readonly tap = new TapTempo();
  private readonly downAt = new Map<string, number>();
  private readonly registrations = new Map<string, Registration>();
  private statusAt = -Infinity;
  private readonly id = Math.floor(Math.random() * 0x7fffffff);

  constructor(private readonly o: SooperLooperOptions) {
    this.mirror = new LooperMirror(o.tracks, o.sampleRate, o.bpm, o.beatsPerBar);
  }

  get hasAutoUpdates(): boolean {
    for (const r of this.registrations.values()) if (r.intervalMs > 0) return true;
    return false;
  }

  get registrationCount(): number {
    return this.registrations.size;
  }

  hostEvent(e: HostEvent, now: number): void {
    this.mirror.event(e, now);
    this.sendChanged(now, undefined);
  }

  hostStatus(s: HostStatus, now: number): void {
    this.statusAt = now;
    this.mirror.status(s, now);
    this.sendChanged(now, undefined);
  }

  /** Handles one message; returns false when no method took it (nothing was done or answered). */
  handle(msg: OscMessage, source: Source, now: number): boolean {
    const sl = /^\/sl\/(-?\d{1,3})\/([a-z_]+)$/.exec(msg.address);
    if (sl) return this.loopMethod(Number(sl[1]), sl[2], msg, source, now);
    switch (msg.address) {
      case '/ping': {
        const a = coerce(msg, 'ss') ?? coerce(msg, 'ssi');
        if (!a) return false;
        const useId = a.length === 3;
        const args: OscValue[] = [this.o.serverUrl(), SL_VERSION, this.o.tracks];
        if (useId) args.push(this.id);
        this.o.reply({ url: a[0] as string, path: a[1] as string, types: useId ? 'ssii' : 'ssi', args, source });
        return true;
      }
      case '/set': {
        const a = coerce(msg, 'sf');
        if (!a) return false;
        this.setGlobal(a[0] as string, a[1] as number, source, now);
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
   * Errors go to the error path as SooperLooper sends them: ,ss (our URL, the message).
   */
  private sessionFile(command: 'save' | 'load', file: string, url: string, errorPath: string, source: Source): void {
    const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
    const dot = base.lastIndexOf('.');
    const fail = (err: unknown): void =>
      this.o.reply({ url, path: errorPath, types: 'ss', args: [this.o.serverUrl(), (err as Error).message ?? String(err)], source });
    let name: string;
    try {
      name = sessionName(dot > 0 ? base.slice(0, dot) : base);
    } catch (err) {
      return fail(err);
    }
    this.o.session(command, name).catch(fail);
  }

  /** Sends the auto-updates that are due; call every AUTO_UPDATE.min ms while hasAutoUpdates. */
  tick(now: number): void {
    let any = false;
    for (const r of this.registrations.values()) {
      if (r.intervalMs === 0 || now < r.due) continue;
      while (r.due <= now) r.due += r.intervalMs;
      any = true;
      this.sendIfChanged(r, now);
    }
    if (any) this.refreshIfStale(now);
  }

  // ---------------------------------------------------------------- /sl/N/...

  private loopMethod(n: number, method: string, msg: OscMessage, source: Source, now: number): boolean {
    if (n === GLOBAL) {
      // SooperLooper's one global method under /sl: /sl/-2/set
      const a = method === 'set' ? coerce(msg, 'sf') : null;
      if (!a) return false;
      this.setGlobal(a[0] as string, a[1] as number, source, now);
      return true;
    }
    if (n !== ALL && n !== SELECTED && !(n >= 0 && n < this.o.tracks)) return false;
    switch (method) {
      case 'hit':
      case 'down':
      case 'up':
      case 'upforce': {
        const a = coerce(msg, 's');
        if (!a) return false;
        this.press(method, n, a[0] as string, now);
        return true;
      }
      case 'set': {
        const a = coerce(msg, 'sf');
        if (!a) return false;
        for (const t of this.targets(n)) this.setLoop(t, a[0] as string, a[1] as number);
        this.sendChanged(now, source.port);
        return true;
      }
      case 'get': {
        const a = coerce(msg, 'sss');
        if (!a) return false;
        this.get(n, a[0] as string, a[1] as string, a[2] as string, source, now);
        return true;
      }
      case 'register_update':
      case 'unregister_update':
      case 'register_auto_update':
      case 'unregister_auto_update':
        return this.registration(n, method, msg, source, now);
      default:
        return false;
    }
  }

  /** The tracks (1-based) loop number n names. */
  private targets(n: number): number[] {
    const one = n === SELECTED ? this.selected : n;
    if (one === ALL) return this.mirror.tracks.map((_, i) => i + 1);
    return one >= 0 && one < this.o.tracks ? [one + 1] : [];
  }

  /** The track a get of loop number n reads: SooperLooper reads the first loop for "all". */
  private readTarget(n: number): number {
    const one = n === SELECTED ? this.selected : n;
    return one >= 0 && one < this.o.tracks ? one + 1 : 1;
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
    const c = (name: CommandName): void => this.o.command(name, t);
    switch (cmd) {
      case 'record':
      case 'overdub':
      case 'undo':
      case 'redo':
      case 'multiply':
      case 'replace':
      case 'reverse':
      case 'oneshot':
        return c(cmd);
      case 'trigger':
        return c('retrigger');
      case 'record_or_overdub':
        return c(m.state === 'empty' ? 'record' : 'overdub');
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
        return c(m.state === 'stopped' ? 'play' : 'stop');
      case 'pause_on':
        return c('stop');
      case 'pause_off':
        return c('play');
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

  private setLoop(t: number, ctrl: string, v: number): void {
    const m = this.mirror.track(t);
    if (!m) return;
    switch (ctrl) {
      case 'wet':
        m.volume = clamp(v, LIMITS.volume);
        return this.o.command('volume', t, m.volume);
      case 'pan_1':
        // SooperLooper pans 0..1 with the centre at 0.5
        m.pan = clamp(v * 2 - 1, LIMITS.pan);
        return this.o.command('pan', t, m.pan);
      case 'feedback':
        // one feedback for every track here
        return this.o.command('feedback', 0, clamp(v, LIMITS.feedback));
      case 'quantize': {
        const q = QUANTIZE_OF_SL[Math.round(v)];
        if (q) this.o.command('quantize', 0, q);
        return;
      }
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

  private setGlobal(ctrl: string, v: number, source: Source, now: number): void {
    switch (ctrl) {
      case 'tempo':
        // SooperLooper ignores a tempo <= 0; ours has a range
        if (v > 0) this.o.command('bpm', 0, clamp(v, LIMITS.bpm));
        break;
      case 'eighth_per_cycle': {
        const beats = v / 2;
        if (Number.isInteger(beats) && beats >= LIMITS.beatsPerBar[0] && beats <= LIMITS.beatsPerBar[1]) this.o.command('beatsPerBar', 0, beats);
        break;
      }
      case 'tap_tempo': {
        const bpm = this.tap.tap(now);
        if (bpm !== undefined) this.o.command('bpm', 0, bpm);
        break;
      }
      case 'selected_loop_num': {
        const n = Math.trunc(v);
        if (n >= ALL && n < this.o.tracks) this.selected = n;
        break;
      }
      case 'select_next_loop':
        this.selected = this.selected < 0 ? 0 : (this.selected + 1) % this.o.tracks;
        break;
      case 'select_prev_loop':
        this.selected = this.selected <= 0 ? this.o.tracks - 1 : this.selected - 1;
        break;
      case 'select_all_loops':
        this.selected = ALL;
        break;
      default:
        return;
    }
    this.sendChanged(now, source.port);
  }

  // ---------------------------------------------------------------- values

  private get(n: number, ctrl: string, url: string, path: string, source: Source, now: number): void {
    this.refreshIfStale(now);
    this.o.reply({ url, path, types: 'isf', args: [n, ctrl, this.value(n, ctrl, now)], source });
  }

  /** A control's value as SooperLooper reports it; 0 for controls we do not have. */
  value(n: number, ctrl: string, now: number): number {
    const m = this.mirror;
    if (n === GLOBAL) {
      switch (ctrl) {
        case 'tempo':
          return m.bpm;
        case 'eighth_per_cycle':
          return m.beatsPerBar * 2;
        case 'sync_source':
          // -3: the internal clock (our transport); quantize always follows it
          return -3;
        case 'selected_loop_num':
          return this.selected;
        case 'in_peak_meter':
          return m.inputPeak;
        case 'out_peak_meter':
          return m.outputPeak;
        default:
          return 0;
      }
    }
    const t = this.readTarget(n);
    const track = m.track(t);
    if (!track) return 0;
    switch (ctrl) {
      case 'state':
        return m.stateCode(t);
      case 'next_state':
        return m.nextStateCode(t);
      case 'waiting':
        return track.pending ? 1 : 0;
      case 'loop_len':
        return m.lengthSeconds(t, now);
      case 'loop_pos':
        return m.positionSeconds(t, now);
      case 'cycle_len':
        return m.barSeconds();
      case 'is_soloed':
        return track.soloed ? 1 : 0;
      case 'wet':
        return track.volume;
      case 'rate':
      case 'rate_output':
        return track.rate;
      case 'pan_1':
        return (track.pan + 1) / 2;
      case 'channel_count':
        return 2;
      case 'in_peak_meter':
        return m.inputPeak;
      case 'out_peak_meter':
        return m.outputPeak;
      default:
        return 0;
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
    // an on-change registration hears of changes from now on; an auto-update starts with the value
    const last = auto ? undefined : Math.fround(this.value(n, ctrl, now));
    this.registrations.set(key, { instance: n, ctrl, url, path, intervalMs, due: now, last, port, source });
    return true;
  }

  /** Sends on-change updates whose value changed; `port` caused it (by a /set) and hears no echo. */
  private sendChanged(now: number, port: number | undefined): void {
    for (const r of this.registrations.values()) {
      if (r.intervalMs !== 0) continue;
      if (r.port === port) {
        r.last = Math.fround(this.value(r.instance, r.ctrl, now));
        continue;
      }
      this.sendIfChanged(r, now);
    }
  }

  private sendIfChanged(r: Registration, now: number): void {
    const v = Math.fround(this.value(r.instance, r.ctrl, now));
    if (v === r.last) return;
    r.last = v;
    this.o.reply({ url: r.url, path: r.path, types: 'isf', args: [r.instance, r.ctrl, v], source: r.source });
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
