// The built-in metronome click: a short sine burst with a fast attack and an exponential decay.
// The downbeat is higher and louder, as on a drum machine's accent. Synthesized once, at start.

const CLICK_SECONDS = 0.035;
const ATTACK_SECONDS = 0.001;

export function synthClick(sampleRate: number, accent: boolean): Float32Array {
  const frames = Math.round(CLICK_SECONDS * sampleRate);
  const attack = Math.max(1, Math.round(ATTACK_SECONDS * sampleRate));
  const hz = accent ? 1760 : 1320;
  const amplitude = accent ? 1 : 0.7;
  const decay = 6 / frames; // about -52 dB at the end
  const out = new Float32Array(frames * 2);
  for (let i = 0; i < frames; i++) {
    const env = Math.min(1, i / attack) * Math.exp(-decay * i);
    const v = amplitude * env * Math.sin((2 * Math.PI * hz * i) / sampleRate);
    out[i * 2] = v;
    out[i * 2 + 1] = v;
  }
  return out;
}
