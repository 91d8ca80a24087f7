// Preloaded (node --require) into a child so that naudiodon and the audio bridge look not installed, the
// way they are on a machine where naudiodon's optional install failed and PortAudio's headers were missing.
import Module from 'module';

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const mod = Module as unknown as { _load: Load };
process.env.LOOPSTATION_BRIDGE_BINDING = '/nonexistent/loopstation_bridge.node';
const realLoad = mod._load;
mod._load = function (request, parent, isMain) {
  if (request === 'naudiodon') {
    throw Object.assign(new Error("Cannot find module 'naudiodon'"), { code: 'MODULE_NOT_FOUND' });
  }
  return realLoad.call(this, request, parent, isMain);
};
