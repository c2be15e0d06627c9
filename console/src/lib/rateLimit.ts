// Reading a rate-limit policy string for people:
// "100;w=60,5;w=1;s=user" → ["100 requests / 60 s", "5 requests / 1 s per user"].

const UNIT: Record<string, string> = { request: 'requests', tokens: 'tokens', cents: 'cents' };

export function describeRateLimit(policy: string | null | undefined): string[] {
  if (!policy) return [];
  return policy
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((rule) => {
      const [quota, ...opts] = rule.split(';').map((x) => x.trim());
      const o: Record<string, string> = {};
      for (const kv of opts) {
        const [k, v = ''] = kv.split('=');
        o[k] = v;
      }
      const unit = UNIT[o.u ?? 'request'] ?? o.u;
      const scope = o.s ? ` per ${o.s.replace(/^property:/, 'property ')}` : '';
      return `${quota} ${unit} / ${o.w ?? '?'} s${scope}`;
    });
}
