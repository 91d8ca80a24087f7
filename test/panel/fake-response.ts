import { EventEmitter } from 'events';
import { StreamResponse } from '../../lib/panel/panel-hub';

/** A page's event stream: records what the hub writes; emit('close') is the page going away. */
export class FakeResponse extends EventEmitter implements StreamResponse {
  status = 0;
  headers: Record<string, string> = {};
  chunks: string[] = [];
  ended = false;
  writableLength = 0;
  writeHead(status: number, headers: Record<string, string>) {
    this.status = status;
    this.headers = headers;
    return this;
  }
  write(chunk: string) {
    this.chunks.push(chunk);
    return true;
  }
  end() {
    this.ended = true;
    return this;
  }
  /** The events written so far, parsed. */
  events(): { event: string; data: Record<string, unknown> }[] {
    return this.chunks
      .join('')
      .split('\n\n')
      .filter((block) => block.startsWith('event: '))
      .map((block) => {
        const [e, d] = block.split('\n');
        return { event: e.slice('event: '.length), data: JSON.parse(d.slice('data: '.length)) as Record<string, unknown> };
      });
  }
}
