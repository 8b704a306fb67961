//! The architecture as a test: imports point down the layers of `docs/architecture.md`, the
//! HTTP layers reach identity checks, sealing and the store only through `sts`, and no two
//! source files import each other, however indirectly.
//!
//! It reads `src/` with `syn`: every `use` tree and every `crate::`/`super::`/`self::` path
//! outside `#[cfg(test)]` code is an edge from its file to the file that defines the item
//! (following `pub use` re-exports to where the item really lives).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Top-level modules, top layer first. A module may import only from layers below its own.
const LAYERS: &[&[&str]] = &[
    &["app"],
    &["protocol", "web"],
    &["demo"],
    &["sts"],
    &["authn", "audit", "limits"],
    &["seal"],
    &["store"],
    &["config"],
    &["rules"],
    &["policy"],
    &[
        "metrics",
        "telemetry",
        "clock",
        "types",
        "unread_body",
        "native_stderr",
    ],
];

/// Test support compiled only for tests or fuzzing; it may reach anywhere.
const HARNESS: &[&str] = &["fuzzing"];

/// What the HTTP layers must reach only through the service.
const BEHIND_STS: &[&str] = &["authn", "seal", "store"];

type Module = Vec<String>;

fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Module = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("main.rs") {
            out.push(path);
        }
    }
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// Paths a file names: its `use` trees, expanded, and the paths in its code.
#[derive(Default)]
struct Paths {
    uses: Vec<(Vec<String>, bool)>,
    code: Vec<Vec<String>>,
}

fn expand(tree: &syn::UseTree, prefix: &mut Vec<String>, public: bool, out: &mut Paths) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            expand(&p.tree, prefix, public, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            if n.ident != "self" {
                path.push(n.ident.to_string());
            }
            out.uses.push((path, public));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            out.uses.push((path, public));
        }
        syn::UseTree::Glob(_) => out.uses.push((prefix.clone(), public)),
        syn::UseTree::Group(g) => {
            for item in &g.items {
                expand(item, prefix, public, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Impl(i) => &i.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let public = !matches!(u.vis, syn::Visibility::Inherited);
        expand(&u.tree, &mut Vec::new(), public, self);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let path: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if path.len() > 1 {
            self.code.push(path);
        }
        syn::visit::visit_path(self, p);
    }
}

struct Tree {
    files: BTreeMap<Module, Paths>,
    /// (module, name) → the absolute path it re-exports.
    reexports: BTreeMap<(Module, String), Module>,
}

impl Tree {
    fn read(src: &Path) -> Self {
        let mut found = Vec::new();
        rust_files(src, &mut found);
        let mut files = BTreeMap::new();
        for file in found {
            let text = std::fs::read_to_string(&file).unwrap();
            let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let mut paths = Paths::default();
            paths.visit_file(&ast);
            files.insert(module_of(src, &file), paths);
        }
        let mut tree = Self {
            files,
            reexports: BTreeMap::new(),
        };
        let mut reexports = BTreeMap::new();
        for (module, paths) in &tree.files {
            for (path, public) in &paths.uses {
                if let (true, Some(abs), Some(last)) =
                    (*public, tree.absolute(module, path), path.last())
                {
                    reexports.insert((module.clone(), last.clone()), abs);
                }
            }
        }
        tree.reexports = reexports;
        tree
    }

    /// `crate::a::b`, `super::x`, `self::y` or a child module's path, made absolute.
    fn absolute(&self, module: &Module, path: &[String]) -> Option<Module> {
        let first = path.first()?;
        let mut base = module.clone();
        let rest = match first.as_str() {
            "crate" => {
                base.clear();
                &path[1..]
            }
            "self" => &path[1..],
            "super" => {
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                rest
            }
            _ => {
                let mut child = module.clone();
                child.push(first.clone());
                if !self.files.contains_key(&child) {
                    return None;
                }
                path
            }
        };
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The file that defines `path`.
    fn resolve(&self, path: &[String], depth: usize) -> Option<Module> {
        for k in (0..=path.len()).rev() {
            let prefix = path[..k].to_vec();
            if self.files.contains_key(&prefix) {
                if let Some(target) = path
                    .get(k)
                    .and_then(|name| self.reexports.get(&(prefix.clone(), name.clone())))
                    && depth < 8
                {
                    let mut next = target.clone();
                    next.extend(path[k + 1..].iter().cloned());
                    return self.resolve(&next, depth + 1);
                }
                return Some(prefix);
            }
        }
        None
    }

    fn edges(&self) -> BTreeMap<Module, BTreeSet<Module>> {
        let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
        for (module, paths) in &self.files {
            let all = paths.uses.iter().map(|(p, _)| p).chain(&paths.code);
            for path in all {
                if let Some(target) = self
                    .absolute(module, path)
                    .and_then(|abs| self.resolve(&abs, 0))
                    && &target != module
                    && !target.is_empty()
                {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
        }
        edges
    }
}

fn name(m: &Module) -> String {
    m.join("::")
}

fn layer(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

#[test]
fn imports_point_down_and_no_file_imports_itself_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let tree = Tree::read(&src);
    let edges = tree.edges();
    let mut wrong = Vec::new();
    for (from, tos) in &edges {
        let Some(top) = from.first() else { continue };
        if HARNESS.contains(&top.as_str()) {
            continue;
        }
        let Some(here) = layer(top) else {
            wrong.push(format!("{top} is in no layer of LAYERS"));
            continue;
        };
        for to in tos {
            let their = &to[0];
            if their == top {
                continue;
            }
            if layer(their).is_none_or(|there| there <= here) {
                wrong.push(format!("{} -> {} (not below it)", name(from), name(to)));
            }
            if ["protocol", "web"].contains(&top.as_str()) && BEHIND_STS.contains(&their.as_str()) {
                wrong.push(format!("{} -> {} (only through sts)", name(from), name(to)));
            }
        }
    }
    // Circles between files: any file reachable from one of its own imports.
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&Module> = edges[start].iter().collect();
        while let Some(m) = stack.pop() {
            if m == start {
                wrong.push(format!("{} imports itself back", name(start)));
                break;
            }
            if seen.insert(m.clone()) {
                stack.extend(edges.get(m).into_iter().flatten());
            }
        }
    }
    assert!(
        edges.len() > 50,
        "the reader found too few files ({}): it is not reading src/",
        edges.len()
    );
    // And it sees the edges it should: the bridge owns the store.
    let bridge: Module = vec!["sts".into(), "bridge".into()];
    assert!(
        edges
            .get(&bridge)
            .is_some_and(|to| to.iter().any(|m| m[0] == "store")),
        "the reader misses sts::bridge's use of the store"
    );
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}
