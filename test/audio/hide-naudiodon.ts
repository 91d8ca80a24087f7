// Preloaded (node --require) into a stream child so that naudiodon looks not installed, the way it is
// on a machine where its optional install failed.
import Module from 'module';

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const mod = Module as unknown as { _load: Load };
const realLoad = mod._load;
mod._load = function (request, parent, isMain) {
  if (request === 'naudiodon') {
    throw Object.assign(new Error("Cannot find module 'naudiodon'"), { code: 'MODULE_NOT_FOUND' });
  }
  return realLoad.call(this, request, parent, isMain);
};
