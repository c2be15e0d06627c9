// The prompt template shape (schema/openapi.yaml → PromptTemplate), for the
// prompt editor's client-side check.
export const promptTemplateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['messages'],
  properties: {
    messages: {
      type: 'array',
      minItems: 1,
      maxItems: 256,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['role', 'content'],
        properties: {
          role: { enum: ['system', 'user', 'assistant', 'developer'] },
          name: { type: 'string' },
          content: {
            oneOf: [
              { type: 'string' },
              {
                type: 'array',
                minItems: 1,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['type', 'text'],
                  properties: { type: { const: 'text' }, text: { type: 'string' } },
                },
              },
            ],
          },
        },
      },
    },
    model: { type: 'string' },
    params: { type: 'object', not: { anyOf: [{ required: ['model'] }, { required: ['messages'] }, { required: ['stream'] }, { required: ['inputs'] }] } },
  },
};

/** `{{name}}` references, in order of first appearance. */
export function templateVariables(template: unknown): string[] {
  const out: string[] = [];
  const re = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;
  const text = JSON.stringify((template as any)?.messages ?? []);
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}
