//! The layers of `src/` point one way (docs/architecture.md):
//!
//! ```text
//! core, util → catalog → providers, routing, governance, guardrails, auth, prompts, cache
//!   → store → observe, analytics → runtime → pipeline, api → entry
//! ```
//!
//! A module may use its own layer and the layers below it, never one
//! above. Edge modules (compiled for wasm32 only, declared under
//! `#[cfg(target_arch = "wasm32")]`) sit with the runtime: they may use it
//! and the store, but still never the pipeline or the API. This test reads
//! every source file and fails on an import that points up.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const LAYERS: &[&[&str]] = &[
    &["core", "util"],
    &["catalog"],
    &["providers", "routing", "governance", "guardrails", "auth", "prompts", "cache"],
    &["store"],
    &["observe", "analytics"],
    &["runtime"],
    &["pipeline", "api"],
    &["entry", "lib"],
];

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

const RUNTIME: usize = 5;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/<top>/…` → top ("lib" and "entry" for the crate root files).
fn top_of(rel: &Path) -> String {
    let first = rel.components().next().map(|c| c.as_os_str().to_string_lossy().into_owned()).unwrap_or_default();
    first.trim_end_matches(".rs").to_string()
}

/// Module files declared wasm32-only by their parent (`#[cfg(target_arch = "wasm32")] mod x;`).
fn edge_modules(src: &Path, files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut edge = BTreeSet::new();
    for f in files {
        let Ok(text) = fs::read_to_string(f) else { continue };
        let dir = if f.file_name().is_some_and(|n| n == "mod.rs" || n == "lib.rs") {
            f.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            f.with_extension("")
        };
        let mut gated = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[cfg(target_arch = \"wasm32\")]") {
                gated = true;
                continue;
            }
            if gated {
                let name = line.trim_start_matches("pub ").strip_prefix("mod ").and_then(|r| r.strip_suffix(';'));
                if let Some(name) = name {
                    edge.insert(dir.join(format!("{name}.rs")));
                    // A gated folder: everything in it is edge code.
                    let folder = dir.join(name);
                    if folder.is_dir() {
                        let mut inner = Vec::new();
                        rust_files(&folder, &mut inner);
                        edge.extend(inner);
                    }
                }
            }
            gated = false;
        }
    }
    edge.retain(|p| p.starts_with(src));
    edge
}

/// The top-level modules a file's non-test code names through `crate::…`.
fn imports(text: &str) -> BTreeSet<String> {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.insert(name);
            }
            rest = after;
        }
    }
    out
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let edge = edge_modules(&src, &files);
    let mut violations: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap_or(f);
        let name = rel.to_string_lossy();
        if name.ends_with("_tests.rs") || name.contains("/tests/") || name.ends_with("/tests.rs") || name == "testkit.rs" {
            continue;
        }
        let top = top_of(rel);
        let Some(own) = layer_of(&top) else { panic!("{name}: folder '{top}' has no layer; add it to LAYERS and docs/architecture.md") };
        let own = if edge.contains(f) { own.max(RUNTIME) } else { own };
        let text = fs::read_to_string(f).unwrap_or_default();
        for used in imports(&text) {
            let Some(theirs) = layer_of(&used) else { continue };
            if theirs > own {
                violations.entry(name.to_string()).or_default().push(used);
            }
        }
    }
    assert!(violations.is_empty(), "imports that point up a layer (file → modules): {violations:#?}");
}

#[test]
fn the_checker_sees_imports_and_edge_modules() {
    let text = "use crate::pipeline::context::RequestContext;\nfn f() { crate::store::config::x(); } // crate::api in a comment\n#[cfg(test)]\nmod tests {\n    use crate::entry;\n}\n";
    assert_eq!(imports(text), ["pipeline", "store"].iter().map(|s| s.to_string()).collect());
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let edge = edge_modules(&src, &files);
    assert!(edge.contains(&src.join("governance/limiter.rs")), "{edge:?}");
    assert!(!edge.contains(&src.join("governance/ledger.rs")));
}
