// Filled in by the server bundle (esbuild --define); "dev" when run from source.
declare const __FP_VERSION__: string | undefined;

export const VERSION: string = typeof __FP_VERSION__ === 'string' ? __FP_VERSION__ : 'dev';
