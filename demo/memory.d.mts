// Types of memory.mjs for the tests that drive the pipeline with it (the demo runs it as plain JavaScript).
export declare const LIMIT_BYTES: number;
export declare const BASE_BYTES: number;
export declare const LEAKING_POD: string;
export declare function leaks(pod: string, elapsedMs: number, restarts: number): boolean;
export declare function nextMemory(
  bytes: number,
  leaking: boolean,
  random: () => number
): { bytes: number; restarted: boolean };
