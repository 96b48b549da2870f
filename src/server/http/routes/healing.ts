import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { HealingEngine } from '../../healing';
import { actionRoutes } from './actions';
import { adminRoutes } from './admin';
import { alertRoutes } from './alerts';
import { auditRoutes } from './audit';
import { breakerRoutes } from './breakers';
import { kubernetesRoutes } from './kubernetes';
import { policyRoutes } from './policies';

/** Every healing route, for buildServer's authenticatedRoutes. */
export const healingRoutes = (engine: HealingEngine): FastifyPluginAsyncZod[] => [
  actionRoutes(engine),
  auditRoutes(engine),
  policyRoutes(engine),
  adminRoutes(engine),
  kubernetesRoutes(engine),
  alertRoutes(engine),
  breakerRoutes(engine),
];
