import type { EventEmitter } from 'events';

// any: an EventEmitter passes whatever its emitter emits, so a listener takes any arguments
type Listener = (...args: any[]) => void;

/**
 * Every listener a node or connection adds to an emitter it does not own goes through one of these,
 * and removeAll() takes exactly those off again on close (never removeAllListeners: the emitter has
 * other users). mqtt-broker's _clientOn / clientListeners, as a class.
 */
export class ListenerTracker {
  private attached: [EventEmitter, string, Listener][] = [];

  on(emitter: EventEmitter, event: string, listener: Listener): void {
    emitter.on(event, listener);
    this.attached.push([emitter, event, listener]);
  }

  removeAll(): void {
    for (const [emitter, event, listener] of this.attached) emitter.removeListener(event, listener);
    this.attached = [];
  }

  get count(): number {
    return this.attached.length;
  }
}
