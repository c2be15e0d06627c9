#!/usr/bin/env python3
"""Seeds (or re-uses) the local demo workspace through the admin API.

Keeps the workspace id and virtual key in a state file so that every run of
scripts/dev.sh prints the same key. Provider keys are reconciled on each run:
real keys when given, otherwise the local mock provider's URL (its port may
change between runs). Prints {"workspace_id", "key", "owner_token"} as JSON
on stdout.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

# Providers whose wire format the mock speaks: the path suffix their base
# URL has (the adapters append the rest) and a key in the provider's format.
MOCK_PROVIDERS = {
    "openai": ("/v1", "sk-mock-local"),
    "anthropic": ("", "sk-ant-mock-local"),
    "gemini": ("", "mock-gemini-key"),
    "cohere": ("", "mock-cohere-key"),
    "bedrock": ("", "AKIDMOCKLOCAL:mock-secret-access-key"),
    "azure": ("", "mock-azure-key"),
}


def call(gateway, method, path, token, body=None):
    req = urllib.request.Request(
        gateway + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--master-key", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--mock")
    ap.add_argument("--openai-key")
    a = ap.parse_args()
    adm = lambda m, p, b=None: call(a.gateway, m, "/admin" + p, a.master_key, b)

    state = {}
    if os.path.exists(a.state):
        with open(a.state) as f:
            state = json.load(f)
    ws = state.get("workspace_id")
    if not ws or adm("GET", f"/workspaces/{ws}")[0] != 200:
        status, created = adm("POST", "/workspaces", {"name": "demo"})
        if status != 201:
            sys.exit(f"cannot create the demo workspace: {created}")
        ws, state = created["id"], {"workspace_id": created["id"]}
        print(f"    created workspace {ws}", file=sys.stderr)

    # Reconcile provider keys with this run's upstreams.
    _, existing = adm("GET", f"/workspaces/{ws}/provider-keys")
    for pk in existing.get("data", []):
        adm("DELETE", f"/workspaces/{ws}/provider-keys/{pk['id']}")
    wanted = []
    if a.openai_key:
        wanted.append({"provider": "openai", "key": a.openai_key, "name": "from environment"})
    if a.mock:
        for provider, (suffix, key) in MOCK_PROVIDERS.items():
            if not any(w["provider"] == provider for w in wanted):
                wanted.append({"provider": provider, "key": key, "base_url": a.mock + suffix, "name": "local mock"})
    for w in wanted:
        status, body = adm("POST", f"/workspaces/{ws}/provider-keys", w)
        if status != 201:
            sys.exit(f"cannot add provider key for {w['provider']}: {body}")
        print(f"    provider {w['provider']}: {w.get('base_url', 'real API')}", file=sys.stderr)

    key = state.get("key")
    if not key or call(a.gateway, "GET", "/v1/models", key)[0] != 200:
        status, vk = adm("POST", f"/workspaces/{ws}/virtual-keys", {"name": "demo key"})
        if status != 201:
            sys.exit(f"cannot create the demo key: {vk}")
        key = vk["key"]
        print(f"    created virtual key {vk['key_prefix']}…", file=sys.stderr)
    state["key"] = key

    # An owner token for the console (and for scripts that should not hold
    # the master key): kept while it still works, else a new one.
    owner = state.get("owner_token")
    if not owner or call(a.gateway, "GET", f"/admin/workspaces/{ws}", owner)[0] != 200:
        status, t = adm("POST", f"/workspaces/{ws}/tokens", {"name": "demo owner", "role": "owner"})
        if status != 201:
            sys.exit(f"cannot create the demo owner token: {t}")
        owner = t["token"]
        print(f"    created owner token {t['token_prefix']}…", file=sys.stderr)
    state["owner_token"] = owner
    with open(a.state, "w") as f:
        json.dump(state, f)
    os.chmod(a.state, 0o600)
    print(json.dumps({"workspace_id": ws, "key": key, "owner_token": owner}))


if __name__ == "__main__":
    main()
