// schema/router.schema.json, bundled at build time, and a one-line summary
// of a router config.
import schema from '../../../schema/router.schema.json';

export const routerSchema: any = schema;

export function describeRouter(c: any): string {
  if (!c || typeof c !== 'object') return '—';
  if (c.provider) return `${c.provider}/${c.model}`;
  if (c.strategy === 'single') return describeRouter(c.target);
  if (c.strategy === 'conditional') return `conditional (${c.rules?.length ?? 0} rules${c.else ? ', else ' + describeRouter(c.else) : ''})`;
  if (Array.isArray(c.targets)) return `${c.strategy}: ${c.targets.map(describeRouter).join(', ')}`;
  return c.strategy ?? '—';
}
