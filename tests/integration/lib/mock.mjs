// Talking to the mock provider's control endpoints.

export class Mock {
  constructor(url) {
    this.url = url;
  }

  /** Base URL for a provider key: requests carry `tag`, behave per `directives`. */
  baseUrl(tag, directives = {}, suffix = '/v1') {
    const parts = [`tag=${tag}`, ...Object.entries(directives).map(([k, v]) => (v === true ? k : `${k}=${v}`))];
    return `${this.url}/~${parts.join(',')}${suffix}`;
  }

  async requests(tag) {
    const r = await fetch(`${this.url}/_mock/requests?tag=${encodeURIComponent(tag)}`);
    return (await r.json()).requests;
  }

  async stats(tag) {
    const r = await fetch(`${this.url}/_mock/stats?tag=${encodeURIComponent(tag)}`);
    return r.json();
  }

  async script(tag, behaviours) {
    const r = await fetch(`${this.url}/_mock/script`, {
      method: 'POST',
      body: JSON.stringify({ tag, behaviours }),
    });
    if (!r.ok) throw new Error(`script failed: ${await r.text()}`);
  }
}
