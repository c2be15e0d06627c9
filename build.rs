//! Bundles the provider catalog (`providers/*.json`) into one JSON array that
//! the worker embeds, so no catalog is fetched at run time. A malformed
//! provider file fails the build here rather than a request in production.

use std::fs;
use std::path::Path;

fn main() {
    let dir = Path::new("providers");
    println!("cargo:rerun-if-changed=providers");
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read providers/: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();

    let mut providers = Vec::new();
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut value: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: invalid JSON: {e}", path.display()));
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let id = value.get("id").and_then(|v| v.as_str()).unwrap_or_default();
        assert_eq!(id, stem, "{}: \"id\" must equal the file name", path.display());
        for field in ["name", "adapter", "base_url", "auth"] {
            assert!(value.get(field).is_some_and(|v| v.is_string()), "{}: \"{field}\" is required", path.display());
        }
        // Build-time metadata is not needed by the worker.
        if let Some(obj) = value.as_object_mut() {
            obj.remove("$schema");
            obj.remove("source");
        }
        providers.push(value);
    }
    let out = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("catalog.json");
    let bundle = serde_json::to_string(&providers).unwrap_or_else(|e| panic!("serialise catalog: {e}"));
    fs::write(&out, bundle).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
