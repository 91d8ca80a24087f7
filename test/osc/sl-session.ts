import * as dgram from 'dgram';
import { OscValue, encodeMessage } from '../../lib/osc/codec';
import { decodeLenient } from './client';

// A scripted SooperLooper session for the differential test: the same steps are played against the
// real SooperLooper 1.7.8 (record-sooperlooper.ts saves its answers to test/fixtures) and against ours
// (sooperlooper-diff.test.ts), and the answers are compared.
//
// Every request has its own return path (/s<step>), so each answer is tied to the step that asked for
// it. Two clients take part: "a" registers for updates, "b" sets values too, so the test sees that a
// setter hears no echo of its own change while the other client hears it. Registered update streams
// go to /u<name> paths and are compared as sequences over the whole session (an update may arrive a
// step later on one side: that is timing).
//
// The session starts on a looper with one loop and its defaults, with silence at the input.

export type ClientName = 'a' | 'b';

export interface Step {
  /** who sends (default "a") */
  from?: ClientName;
  /** address, type tags, arguments; "$URL" is the sender's return URL, "$PATH" this step's path */
  send?: [string, string, OscValue[]];
  /** ms to let pass (recording, playing) before the next step */
  wait?: number;
  /** for the reader of a mismatch */
  note?: string;
}

export interface Heard {
  step: number;
  client: ClientName;
  address: string;
  types: string;
  args: OscValue[];
}

/** Time a step is given for its answers before the next one. */
export const STEP_MS = 40;

const PER_LOOP_GETS = [
  'state', 'next_state', 'loop_len', 'loop_pos', 'cycle_len', 'free_time', 'total_time', 'rate_output',
  'in_peak_meter', 'out_peak_meter', 'is_soloed', 'waiting', 'channel_count', 'rec_thresh', 'feedback',
  'dry', 'wet', 'input_gain', 'rate', 'scratch_pos', 'delay_trigger', 'quantize', 'round', 'redo_is_tap',
  'sync', 'playback_sync', 'use_rate', 'fade_samples', 'use_feedback_play', 'use_common_ins',
  'use_common_outs', 'relative_sync', 'use_safety_feedback', 'pan_1', 'pan_2', 'pan_3', 'input_latency',
  'output_latency', 'trigger_latency', 'autoset_latency', 'mute_quantized', 'overdub_quantized',
  'replace_quantized', 'discrete_prefader', 'stretch_ratio', 'pitch_shift', 'tempo_stretch',
  'has_discrete_io', 'no_such_control',
];

const GLOBAL_GETS = [
  'tempo', 'eighth_per_cycle', 'dry', 'wet', 'input_gain', 'sync_source', 'tap_tempo', 'save_loop',
  'auto_disable_latency', 'select_next_loop', 'select_prev_loop', 'select_all_loops', 'selected_loop_num',
  'output_midi_clock', 'use_midi_start', 'use_midi_stop', 'send_midi_start_on_trigger', 'smart_eighths',
  'in_peak_meter', 'out_peak_meter', 'jack_timebase_master', 'no_such_control',
];

/**
 * Per-loop controls set to a value and read back (the value is what SooperLooper keeps). Not
 * delay_trigger: setting it starts SooperLooper's delay mode (state 9), which this looper does not have.
 */
const PER_LOOP_SETS: [string, number][] = [
  ['rec_thresh', 0.5], ['feedback', 0.75], ['dry', 0.5], ['wet', 0.5], ['input_gain', 0.5], ['quantize', 3],
  ['round', 1], ['sync', 1], ['playback_sync', 1], ['relative_sync', 1], ['pan_1', 0.25], ['pan_2', 0.75],
  ['input_latency', 100], ['output_latency', 200], ['trigger_latency', 300], ['autoset_latency', 0],
  ['mute_quantized', 1], ['overdub_quantized', 1], ['replace_quantized', 1], ['fade_samples', 128],
  ['use_feedback_play', 1], ['pitch_shift', 3], ['stretch_ratio', 2], ['tempo_stretch', 1], ['redo_is_tap', 1],
  ['use_rate', 1], ['use_safety_feedback', 0], ['discrete_prefader', 0], ['scratch_pos', 0.5],
  ['feedback', 2], ['wet', 1.5], ['quantize', 2],
  // read-only ones: the set is ignored
  ['state', 4], ['loop_len', 3], ['no_such_control', 1],
];

/** The defaults put back before the state transitions, so they run like a fresh loop's. */
const PER_LOOP_RESETS: [string, number][] = [
  ['rec_thresh', 0], ['feedback', 1], ['dry', 0], ['wet', 1], ['input_gain', 1], ['quantize', 0], ['round', 0],
  ['sync', 0], ['playback_sync', 0], ['relative_sync', 0], ['pan_1', 0], ['pan_2', 1], ['input_latency', 0],
  ['output_latency', 0], ['trigger_latency', 256], ['autoset_latency', 1], ['mute_quantized', 0],
  ['overdub_quantized', 0], ['replace_quantized', 0], ['fade_samples', 64], ['use_feedback_play', 0],
  ['pitch_shift', 0], ['stretch_ratio', 1], ['tempo_stretch', 0], ['redo_is_tap', 0], ['use_rate', 0],
  ['use_safety_feedback', 1], ['discrete_prefader', 1], ['scratch_pos', 0],
];

const GLOBAL_SETS: [string, number][] = [
  ['sync_source', 0], ['tempo', 100], ['tempo', 0], ['tempo', -5], ['eighth_per_cycle', 12], ['dry', 0.5],
  ['wet', 0.25], ['input_gain', 0.75], ['smart_eighths', 0], ['output_midi_clock', 1], ['use_midi_start', 1],
  ['use_midi_stop', 1], ['send_midi_start_on_trigger', 1], ['auto_disable_latency', 0], ['jack_timebase_master', 1],
  ['no_such_control', 1], ['sync_source', -3], ['tempo', 140],
];

const GLOBAL_RESETS: [string, number][] = [
  ['eighth_per_cycle', 16], ['dry', 0], ['wet', 1], ['input_gain', 1], ['smart_eighths', 1], ['output_midi_clock', 0],
  ['use_midi_start', 0], ['use_midi_stop', 0], ['send_midi_start_on_trigger', 0], ['auto_disable_latency', 1],
  ['jack_timebase_master', 0], ['sync_source', 0], ['tempo', 120],
];

const get = (n: number, ctrl: string): Step => ({ send: [`/sl/${n}/get`, 'sss', [ctrl, '$URL', '$PATH']] });
const gget = (ctrl: string): Step => ({ send: ['/get', 'sss', [ctrl, '$URL', '$PATH']] });
const set = (n: number, ctrl: string, v: number, from: ClientName = 'a'): Step => ({ from, send: [`/sl/${n}/set`, 'sf', [ctrl, v]] });
const gset = (ctrl: string, v: number, from: ClientName = 'a'): Step => ({ from, send: ['/set', 'sf', [ctrl, v]] });
const hit = (n: number, cmd: string): Step => ({ send: [`/sl/${n}/hit`, 's', [cmd]] });
const wait = (ms: number, note?: string): Step => ({ wait: ms, note });
/** A command, then the loop's state, next state and length read back. */
const press = (n: number, cmd: string): Step[] => [hit(n, cmd), get(n, 'state'), get(n, 'next_state'), get(n, 'loop_len')];

function build(): Step[] {
  const s: Step[] = [];
  // who is there
  s.push({ send: ['/ping', 'ss', ['$URL', '$PATH']] }, { send: ['/ping', 'ssi', ['$URL', '$PATH', 7]] });
  // every control's default
  for (const c of PER_LOOP_GETS) s.push(get(0, c));
  for (const c of GLOBAL_GETS) s.push(gget(c));
  // loop numbers: all, selected, one that does not exist, a wildcard, /sl/-2/get (not a method)
  s.push(get(-1, 'state'), get(-3, 'state'), get(5, 'state'), get(-2, 'tempo'));
  s.push({ send: ['/sl/*/get', 'sss', ['state', '$URL', '$PATH']], note: 'a wildcard reaches every /sl/N/get method' });
  s.push({ send: ['/sl/0/get', 'sss', ['state', '$URL', '']], note: 'an empty return path' });
  // update streams for client a
  for (const c of ['state', 'feedback', 'wet', 'quantize', 'pan_1', 'rate_output']) {
    s.push({ send: ['/sl/0/register_update', 'sss', [c, '$URL', `/u_${c}`]] });
  }
  s.push({ send: ['/register_update', 'sss', ['tempo', '$URL', '/u_tempo']] });
  s.push({ send: ['/register_update', 'sss', ['selected_loop_num', '$URL', '/u_selected']] });
  s.push({ send: ['/sl/0/register_auto_update', 'siss', ['state', 100, '$URL', '/u_auto_state']] });
  s.push({ send: ['/register', 'ss', ['$URL', '/u_loops']], note: 'loop-count updates' });
  // set and read back: from b (a hears the update) and from a (a hears no echo)
  for (const [c, v] of PER_LOOP_SETS) s.push(set(0, c, v, 'b'), get(0, c));
  s.push(set(0, 'feedback', 0.5, 'a'), get(0, 'feedback'), set(0, 'wet', 0.25, 'a'), get(0, 'wet'));
  for (const [c, v] of PER_LOOP_RESETS) s.push(set(0, c, v, 'b'));
  s.push(get(0, 'feedback'), get(0, 'quantize'));
  for (const [c, v] of GLOBAL_SETS) s.push(gset(c, v, 'b'), gget(c));
  s.push(gset('tempo', 90, 'a'), gget('tempo'), { from: 'b', send: ['/sl/-2/set', 'sf', ['tempo', 110]] }, gget('tempo'));
  for (const [c, v] of GLOBAL_RESETS) s.push(gset(c, v, 'b'));
  s.push(gget('tempo'), gget('sync_source'), gget('eighth_per_cycle'));
  // selection
  s.push(gset('selected_loop_num', 0, 'b'), gget('selected_loop_num'), get(-3, 'state'));
  s.push(gset('selected_loop_num', 5, 'b'), gget('selected_loop_num'));
  s.push(gset('select_all_loops', 1, 'b'), gget('selected_loop_num'));
  s.push(gset('selected_loop_num', 0, 'b'), gget('selected_loop_num'));

  // state transitions on loop 0 (quantize off, no sync: every command acts at once)
  s.push(...press(0, 'record'), wait(1000, 'recording 1 s'), get(0, 'loop_len'), ...press(0, 'record'));
  s.push(get(0, 'cycle_len'), gget('tempo'), get(0, 'rate_output'));
  s.push(...press(0, 'overdub'), wait(300), ...press(0, 'overdub'));
  s.push(...press(0, 'multiply'), wait(1200, 'multiplying into a second cycle'), ...press(0, 'multiply'), wait(200), get(0, 'loop_len'), get(0, 'cycle_len'));
  s.push(...press(0, 'undo'), ...press(0, 'redo'));
  s.push(...press(0, 'pause'), get(0, 'loop_pos'), wait(300, 'paused'), get(0, 'loop_pos'), ...press(0, 'pause'));
  s.push(...press(0, 'mute'), ...press(0, 'mute'), ...press(0, 'mute_on'), ...press(0, 'mute_off'));
  s.push(...press(0, 'reverse'), get(0, 'rate_output'), ...press(0, 'reverse'), get(0, 'rate_output'));
  s.push(...press(0, 'insert'), wait(500, 'inserting'), ...press(0, 'insert'), wait(1300, 'the insert ends with its cycle'), get(0, 'state'), get(0, 'loop_len'));
  s.push(...press(0, 'replace'), wait(200), ...press(0, 'replace'));
  s.push(...press(0, 'substitute'), wait(200), ...press(0, 'substitute'));
  s.push(...press(0, 'solo'), get(0, 'is_soloed'), ...press(0, 'solo'), get(0, 'is_soloed'));
  s.push(...press(0, 'trigger'));
  s.push(...press(0, 'oneshot'), wait(4000, 'the one shot plays to its end'), get(0, 'state'), get(0, 'next_state'));
  s.push(...press(0, 'trigger'));
  s.push(...press(0, 'undo_all'), ...press(0, 'redo_all'), ...press(0, 'undo_all'));
  s.push(...press(0, 'record_or_overdub'), wait(500), ...press(0, 'record_or_overdub'));
  s.push(...press(0, 'no_such_command'));

  // loops come and go: client a hears the count on /u_loops
  s.push({ from: 'b', send: ['/loop_add', 'if', [2, 40]] }, { send: ['/ping', 'ss', ['$URL', '$PATH']] });
  s.push(get(1, 'state'), get(1, 'loop_len'), get(1, 'channel_count'), get(1, 'feedback'), get(1, 'wet'));
  s.push({ from: 'b', send: ['/loop_add', 'if', [2, 0]] }, get(2, 'state'));
  s.push(gset('selected_loop_num', 2, 'b'), gget('selected_loop_num'), ...press(-3, 'record'), wait(400), ...press(-3, 'record'));
  s.push(get(-1, 'state'), { send: ['/sl/*/get', 'sss', ['state', '$URL', '$PATH']] });
  s.push(...press(-1, 'mute'), get(0, 'state'), get(1, 'state'), get(2, 'state'), ...press(-1, 'mute'));
  s.push({ from: 'b', send: ['/loop_del', 'i', [-1]] }, { send: ['/ping', 'ss', ['$URL', '$PATH']] }, get(2, 'state'), get(1, 'state'));
  s.push({ from: 'b', send: ['/loop_del', 'i', [0]] }, { send: ['/ping', 'ss', ['$URL', '$PATH']] }, get(0, 'state'), get(0, 'loop_len'), get(1, 'state'));
  s.push({ from: 'b', send: ['/loop_add', 'if', [2, 0]] }, get(1, 'state'), get(1, 'loop_len'));

  // loop files: the answers to what fails (what succeeds answers nothing)
  s.push({ send: ['/sl/0/load_loop', 'sss', ['/tmp/loopstation-no-such-loop.wav', '$URL', '$PATH']] });
  s.push({ send: ['/sl/0/save_loop', 'sssss', ['/nonexistent-folder/loop.wav', 'float', 'native', '$URL', '$PATH']] });

  // MIDI bindings: what a controller asks of them
  s.push({ send: ['/get_all_midi_bindings', 'ss', ['$URL', '$PATH']] });
  s.push({ send: ['/learn_midi_binding', 'ssss', ['0/on/60/record/0/ 0 1', 'exclusive', '$URL', '$PATH']] });
  s.push({ send: ['/cancel_midi_learn', 'ss', ['$URL', '$PATH']] });
  s.push({ send: ['/get_next_midi_event', 'ss', ['$URL', '$PATH']] });
  s.push({ send: ['/cancel_get_next_midi', 'ss', ['$URL', '$PATH']] });
  s.push({ send: ['/add_midi_binding', 'ss', ['0/on/60/record/0/ 0 1', 'exclusive']] });
  s.push({ send: ['/remove_midi_binding', 'ss', ['0/on/60/record/0/ 0 1', '']] });
  s.push({ send: ['/clear_midi_bindings', '', []] });

  // a session that cannot be loaded (last: SooperLooper drops its loops before it tries)
  s.push({ send: ['/load_session', 'sss', ['/tmp/loopstation-no-such-session.slsess', '$URL', '$PATH']] });

  // the end: after /quit nothing answers
  s.push({ send: ['/sl/0/unregister_auto_update', 'sss', ['state', '$URL', '/u_auto_state']] });
  s.push({ send: ['/quit', '', []] }, wait(300), { send: ['/ping', 'ss', ['$URL', '$PATH']], note: 'after /quit: no answer' });
  return s;
}

export const SESSION: Step[] = build();

/** A client socket of the session; collects what arrives at its port, even with an empty address. */
export class SessionClient {
  readonly heard: Heard[] = [];
  step = -1;
  private readonly socket = dgram.createSocket('udp4');
  port = 0;

  constructor(readonly name: ClientName) {}

  async open(): Promise<this> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.port = this.socket.address().port;
    this.socket.on('message', (data) => {
      for (const m of decodeLenient(data)) this.heard.push({ step: this.step, client: this.name, address: m.address, types: m.types, args: m.args });
    });
    return this;
  }

  get url(): string {
    return `osc.udp://127.0.0.1:${this.port}/`;
  }

  send(port: number, address: string, types: string, args: OscValue[]): Promise<void> {
    const packet = encodeMessage(address, types, args);
    return new Promise((resolve, reject) => this.socket.send(packet, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** The arguments of step i as sent by `client`. */
export function stepArgs(step: Step, i: number, client: SessionClient): OscValue[] {
  return (step.send?.[2] ?? []).map((a) => (a === '$URL' ? client.url : a === '$PATH' ? `/s${i}` : a));
}

/**
 * Plays the session against the server at `port`. `pass(ms)` lets ms of looper time pass (real time
 * for SooperLooper; engine blocks for ours) and must also let the answers of the step arrive.
 */
export async function playSession(port: number, clients: Record<ClientName, SessionClient>, pass: (ms: number) => Promise<void>): Promise<Heard[]> {
  for (let i = 0; i < SESSION.length; i++) {
    const step = SESSION[i];
    clients.a.step = clients.b.step = i;
    if (step.send) {
      const c = clients[step.from ?? 'a'];
      await c.send(port, step.send[0], step.send[1], stepArgs(step, i, c));
      await pass(STEP_MS);
    }
    if (step.wait) await pass(step.wait);
  }
  await pass(200);
  return [...clients.a.heard, ...clients.b.heard].sort((x, y) => x.step - y.step);
}
