#!/usr/bin/env python3
"""Regenerates the model tables in providers/*.json from a public price list.

Source of the numbers: the model price and context-window map that the
LiteLLM project publishes inside its PyPI package
(litellm/model_prices_and_context_window_backup.json, MIT licensed data).
We take facts (context sizes, per-token prices) from it; the provider files'
hand-written parts (base URL, auth, adapter, headers) are left as they are.

Each provider file names what to take in its "source" section:
    "source": {"litellm_providers": ["openai"], "strip_prefixes": ["openai/"],
               "modes": ["chat"], "skip": ["^regex-of-keys-to-leave-out"]}
("modes" and "skip" are optional.)
Files without a "source" section are not touched.

Usage:
    scripts/update-catalog.py [--litellm-version 1.109.1] [--json PATH]
The generated files are committed; the worker never fetches prices at run time.
"""

import argparse
import datetime
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_VERSION = "1.109.1"
MAP_PATH = "litellm/model_prices_and_context_window_backup.json"

# Modes the gateway serves, mapped to the catalog's own names.
MODES = {
    "chat": "chat",
    "responses": "responses",
    "completion": "completion",
    "embedding": "embedding",
    "image_generation": "image",
}

# Pseudo-entries that are price tiers, not callable models.
TIER = re.compile(r"^(fireworks-ai-|together-ai-)|(^|/)\d+-x-\d+/")


def load_map(version, path):
    if path:
        with open(path) as f:
            return json.load(f), f"file {path}"
    cache = os.path.join(ROOT, ".tools", "cache", f"litellm-{version}")
    os.makedirs(cache, exist_ok=True)
    wheels = glob.glob(os.path.join(cache, "litellm-*.whl"))
    if not wheels:
        print(f"downloading litellm=={version} from PyPI (data only, not installed)")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"litellm=={version}", "--no-deps", "-q", "-d", cache],
            check=True,
        )
        wheels = glob.glob(os.path.join(cache, "litellm-*.whl"))
    with zipfile.ZipFile(wheels[0]) as z:
        return json.loads(z.read(MAP_PATH)), f"PyPI litellm=={version} {MAP_PATH}"


def per_million(value):
    """Per-token USD price → USD per million tokens, rounded to 6 decimals."""
    if value is None:
        return None
    return round(float(value) * 1_000_000, 6)


def model_entry(model_id, spec, today):
    mode = MODES.get(spec.get("mode"))
    if mode is None:
        return None
    dep = spec.get("deprecation_date")
    if dep and dep < today:
        return None
    entry = {"id": model_id, "mode": mode}
    if spec.get("max_input_tokens"):
        entry["context"] = int(spec["max_input_tokens"])
    if spec.get("max_output_tokens"):
        entry["max_output"] = int(spec["max_output_tokens"])
    prices = {
        "input": per_million(spec.get("input_cost_per_token")),
        "output": per_million(spec.get("output_cost_per_token")),
        "cached_input": per_million(spec.get("cache_read_input_token_cost")),
        "cache_write": per_million(spec.get("cache_creation_input_token_cost")),
    }
    for k, v in prices.items():
        if v is not None:
            entry[k] = v
    image = spec.get("output_cost_per_image") or spec.get("input_cost_per_image")
    if image:
        entry["per_image"] = round(float(image), 6)
    if spec.get("input_cost_per_request"):
        entry["per_request"] = round(float(spec["input_cost_per_request"]), 6)
    if not any(k in entry for k in ("input", "output", "per_image", "per_request")):
        return None  # an unpriced entry is a routing alias, not a model we can bill
    if spec.get("supports_function_calling"):
        entry["tools"] = True
    if spec.get("supports_vision"):
        entry["vision"] = True
    return entry


def models_for(source, price_map, today):
    providers = set(source["litellm_providers"])
    prefixes = source.get("strip_prefixes", [])
    skip = [re.compile(p) for p in source.get("skip", [])]
    modes = set(source.get("modes", MODES.values()))
    out = {}
    for key, spec in price_map.items():
        if not isinstance(spec, dict) or spec.get("litellm_provider") not in providers:
            continue
        if key.startswith("ft:") or TIER.search(key) or any(s.search(key) for s in skip):
            continue
        model_id = key
        for p in prefixes:
            if model_id.startswith(p):
                model_id = model_id[len(p):]
                break
        entry = model_entry(model_id, spec, today)
        if entry and entry["mode"] in modes and model_id not in out:
            out[model_id] = entry
    return [out[k] for k in sorted(out)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--litellm-version", default=DEFAULT_VERSION)
    ap.add_argument("--json", help="use a local copy of the price map instead of PyPI")
    args = ap.parse_args()
    price_map, origin = load_map(args.litellm_version, args.json)
    today = datetime.date.today().isoformat()
    total = 0
    for path in sorted(glob.glob(os.path.join(ROOT, "providers", "*.json"))):
        with open(path) as f:
            provider = json.load(f)
        source = provider.get("source")
        if not source or "litellm_providers" not in source:
            print(f"  {os.path.basename(path)}: hand-maintained, left as is")
            total += len(provider.get("models", []))
            continue
        provider["models"] = models_for(source, price_map, today)
        source["generated_from"] = origin
        source["generated_on"] = today
        with open(path, "w") as f:
            json.dump(provider, f, indent=2)
            f.write("\n")
        total += len(provider["models"])
        print(f"  {os.path.basename(path)}: {len(provider['models'])} models")
    print(f"{total} models in the catalog (from {origin})")


if __name__ == "__main__":
    main()
