// The healing settings as a request writes them: the schemas the store reads them back with, plus the
// name rules those leave out, so rows saved before the rules still load while no request adds to them.
import { namespaceProblem, namespacesNamed } from '../vocabulary';
import { safetyLimitsSchema } from './limits';
import { putNamespacePausesBodySchema } from './maintenance';

/** The allow-list's word for every namespace; the deny-list has none (a "*" there denies nothing). */
const ALL_NAMESPACES = '*';

/** PUT /api/admin/safety-limits: each entry of the allow- and deny-lists a namespace's name. */
export const safetyLimitsWriteSchema = safetyLimitsSchema.superRefine((limits, ctx) => {
  namespacesNamed(limits.namespaces.allow, ctx, ['namespaces', 'allow'], [ALL_NAMESPACES]);
  namespacesNamed(limits.namespaces.deny, ctx, ['namespaces', 'deny']);
});

/** PUT /api/admin/namespace-pauses: each paused namespace a namespace's name. */
export const namespacePausesWriteSchema = putNamespacePausesBodySchema.superRefine((body, ctx) =>
  body.pauses.forEach((pause, i) => {
    const problem = namespaceProblem(pause.namespace);
    if (problem) {
      ctx.addIssue({ code: 'custom', path: ['pauses', i, 'namespace'], message: problem });
    }
  })
);
