// Build, tag, push and pull through the Engine API (dockerode), each with progress and
// cancellation. The engine answers 200 for build/push/pull and reports failure inside the stream,
// so every event is scanned; registry refusals become a typed RegistryDeniedError.
// Nothing here ever removes or re-tags an image on failure: a failed or cancelled push leaves
// the local image and all its tags exactly as they were.
// Split by job; this module gathers them for the importers that name it.
export * from './errors';
export * from './requests';
export * from './stream';
export * from './imageReferences';
export * from './build';
export * from './tag';
export * from './transfer';
export * from './auth';
export * from './images';
