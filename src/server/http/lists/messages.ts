import { z } from 'zod';
import { isListRoute, type ListRoute } from './readers';

// What the main thread and a list worker send each other; each side checks what it receives.

export const workerDataSchema = z.object({ database: z.string().min(1) });

const listRouteSchema = z.custom<ListRoute>((v) => typeof v === 'string' && isListRoute(v), 'not a list route');

export const jobSchema = z.object({ id: z.number().int(), route: listRouteSchema, query: z.string() });
export type Job = z.infer<typeof jobSchema>;

export const workerReplySchema = z.union([
  z.object({ id: z.number().int(), status: z.number().int(), body: z.string() }),
  z.object({ id: z.number().int(), error: z.object({ name: z.string(), message: z.string() }) }),
]);
export type WorkerReply = z.infer<typeof workerReplySchema>;
