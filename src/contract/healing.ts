// The healing API shared by the backend (src/server/healing, its routes) and the app's Actions,
// Audit log and policy pages. Times are epoch milliseconds; durations are seconds. One module per
// part of the API under healing/; this file gathers them, so importers need one path.
export { failureModelSchema, severitySchema, type FailureModel, type Severity } from './vocabulary';
export * from './healing/trigger';
export * from './healing/actions';
export * from './healing/policy';
export * from './healing/maintenance';
export * from './healing/limits';
export * from './healing/breakers';
export * from './healing/results';
export * from './healing/actionRecord';
export * from './healing/outcomes';
export * from './healing/audit';
export * from './healing/alerts';
export { listCursor, MAX_LIST_OFFSET, type ListCursor } from './healing/query';
