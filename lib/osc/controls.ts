// SooperLooper's controls, as 1.7.8 reads them on a fresh loop (measured, and kept in the differential
// test's recording): the values it keeps when set and reads back, and the ones it computes. What each
// one does here is in docs/osc.md.

/** Per-loop controls SooperLooper keeps as they are set, with its defaults. pan_N beyond 2 read 0. */
export const LOOP_DEFAULTS: Readonly<Record<string, number>> = {
  rec_thresh: 0,
  feedback: 1,
  dry: 0,
  wet: 1,
  input_gain: 1,
  rate: 1,
  scratch_pos: 0,
  delay_trigger: 0,
  quantize: 0,
  round: 0,
  redo_is_tap: 0,
  sync: 0,
  playback_sync: 0,
  use_rate: 0,
  fade_samples: 64,
  use_feedback_play: 0,
  use_common_ins: 1,
  use_common_outs: 1,
  relative_sync: 0,
  use_safety_feedback: 1,
  pan_1: 0,
  pan_2: 1,
  input_latency: 0,
  output_latency: 0,
  /** SooperLooper's default is one audio period: here one engine block (set from the block size) */
  trigger_latency: 0,
  autoset_latency: 1,
  mute_quantized: 0,
  overdub_quantized: 0,
  replace_quantized: 0,
  discrete_prefader: 1,
  stretch_ratio: 1,
  pitch_shift: 0,
  tempo_stretch: 0,
};

/** Per-loop values SooperLooper computes; a /set of one is not kept (but registered clients hear of it). */
export const LOOP_READ_ONLY = [
  'state', 'next_state', 'loop_len', 'loop_pos', 'cycle_len', 'free_time', 'total_time', 'rate_output',
  'in_peak_meter', 'out_peak_meter', 'is_soloed', 'waiting', 'channel_count', 'has_discrete_io',
] as const;

/** Global controls SooperLooper keeps as they are set, with its defaults. */
export const GLOBAL_DEFAULTS: Readonly<Record<string, number>> = {
  /** the internal tempo; what a get reads depends on sync_source (see SooperLooperOsc.value) */
  tempo: 120,
  eighth_per_cycle: 16,
  dry: 0,
  wet: 1,
  input_gain: 1,
  /** -3 internal tempo, -2 MIDI clock, -1 JACK, 0 none, N the loop N (1-based) */
  sync_source: 1,
  tap_tempo: 0,
  save_loop: 0,
  auto_disable_latency: 1,
  select_next_loop: 0,
  select_prev_loop: 0,
  select_all_loops: 0,
  selected_loop_num: -1,
  output_midi_clock: 0,
  use_midi_start: 0,
  use_midi_stop: 0,
  send_midi_start_on_trigger: 0,
  smart_eighths: 1,
  jack_timebase_master: 0,
};

/** Global values computed on each get. */
export const GLOBAL_READ_ONLY = ['in_peak_meter', 'out_peak_meter'] as const;
