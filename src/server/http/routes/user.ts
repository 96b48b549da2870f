import type { FastifyRequest } from 'fastify';
import { grafanaUser } from '../auth';

/** Who made a decision: the Grafana user the proxy names, or the token holder when called without Grafana. */
export const requestUser = (request: FastifyRequest): string => grafanaUser(request) ?? '(api token)';
