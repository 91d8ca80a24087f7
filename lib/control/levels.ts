import { requiredNumber } from './settings';
import { Levels } from './level-throttle';
import { NodeMessage } from './red';

/** The level msg of audio in and the mixer: payload is the louder channel's peak (0..1, 1 = full scale). */
export function levelMsg(topic: string, levels: Levels): NodeMessage {
  const round = (x: number) => Math.round(x * 10000) / 10000;
  return { topic, payload: round(Math.max(levels.left, levels.right)), left: round(levels.left), right: round(levels.right) };
}

/** Level msgs per second from a node's settings (0 = none). */
export function levelRate(def: Record<string, unknown>): number {
  return requiredNumber(def, 'levelRate', [0, 20], 10);
}
