// The session layer's public API, for the engine host (lib/io) and the nodes. How the host wires it:
//
//   const lib = new SessionLibrary(config.sessionDir);
//   const report = await restoreSession(engine, lib.autosaveDir);        // before the stream starts
//   //  -> send report.problems / report.recovered to the nodes
//   const autosave = new Autosave(engine, lib.autosaveDir, { adopted: report.adopted, onError });
//   // after every engine.process() and event drain:
//   autosave.afterBlock();
//   // msgs (all control side, between blocks; errors are InputErrors with a one-line message):
//   //  {command: "save", name}    -> lib.save(name, autosave)
//   //  {command: "load", name}    -> clearAll(engine); after the next block: lib.load(name, engine, autosave)
//   //  {command: "list"}          -> lib.list()  (and lib.autosaveSummary())
//   //  {command: "delete", name}  -> lib.delete(name)
//   //  {command: "import", track, file} -> importIntoTrack(engine, track, file)
//   //  {command: "export", name, loops} -> await autosave.flush();
//   //                                      exportInWorker({ sessionDir: lib.autosaveDir }, await lib.exportTarget(name), loops)
//   // quit: await autosave.close()
//
// Without a session folder, an export can still run: exportInWorker(mixSourceFromEngine(engine), target).

export { Autosave } from './autosave';
export type { AdoptedLayer, AutosaveOptions } from './autosave';
export { busFile, exportInWorker, mixSourceFromEngine, mixSourceFromSession, renderMixdown, writeMixdown } from './export';
export type { ExportSource, ExportTarget, Mixdown, MixSource } from './export';
export { importIntoTrack } from './import';
export type { ImportResult } from './import';
export { SessionLibrary } from './library';
export type { SessionSummary } from './library';
export { AUTOSAVE, MAX_NAME_LENGTH, sessionName } from './names';
export { clearAll, restoreSession } from './restore';
export type { RecoveredTake, RestoreReport } from './restore';
