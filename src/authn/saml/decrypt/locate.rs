//! Finding the EncryptedAssertion: one pass of the hardened reader over the outer document reads
//! the EncryptedAssertion's subtree into [`Node`]s (what XML-Enc markup needs: namespace, local
//! name, unprefixed attributes, text) with its byte range, and checks its surroundings: exactly
//! one, directly in an unsigned Response, next to no plain Assertion and no other encrypted
//! element.

use quick_xml::events::Event;

use super::super::error::SamlError;
use super::super::limits::MAX_TREE_DEPTH;
use super::super::xml::{Ns, XmlReader, resolve_reference, text};
use super::failure::{Failure, refused};

/// One element of the EncryptedAssertion subtree: what is needed to read XML-Enc markup.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) ns: Ns,
    pub(super) local: String,
    /// Unprefixed attributes.
    pub(super) attrs: Vec<(String, String)>,
    /// Character data directly inside (references resolved).
    pub(super) text: String,
    pub(super) children: Vec<Node>,
}

impl Node {
    pub(super) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn is(&self, ns: Ns, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

/// The EncryptedAssertion: where it is in the text, and its content.
#[derive(Debug)]
pub(super) struct Located {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) tree: Node,
}

/// What the outer pass saw besides the EncryptedAssertion.
#[derive(Debug, Default)]
struct Outer {
    encrypted_assertions: usize,
    misplaced: bool,
    other_encrypted: bool,
    assertions: usize,
    response_signed: bool,
}

/// One pass over the outer document: finds the EncryptedAssertion, builds its subtree, and
/// checks the surroundings (see the module doc).
pub(super) fn locate(xml: &str) -> Result<Located, Failure> {
    let malformed = |e| Failure::Refused(e, "outer document");
    let offset = |e| Failure::Refused(e, "offset");
    let mut reader = XmlReader::new(xml).map_err(malformed)?;
    let mut state = Locator::default();
    loop {
        let before = reader.position().map_err(offset)?;
        let (ns, event) = reader.next().map_err(malformed)?;
        let (element, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                state.close(reader.position().map_err(offset)?);
                continue;
            }
            Event::Text(t) => {
                state.text(&text(&t).map_err(malformed)?);
                continue;
            }
            Event::GeneralRef(r) => {
                let c = resolve_reference(&r).map_err(|e| Failure::Refused(e, "reference"))?;
                state.text(c.encode_utf8(&mut [0; 4]));
                continue;
            }
            Event::Eof => break,
            // Comments are skipped; CDATA, PIs and declarations cannot be in XML-Enc markup
            // (and `parse::scan` has refused the latter two already).
            Event::Comment(_) | Event::Decl(_) => continue,
            Event::CData(_) | Event::PI(_) | Event::DocType(_) => {
                return Err(refused("CDATA or processing instruction"));
            }
        };
        let local = std::str::from_utf8(element.local_name().as_ref())
            .map_err(|_| Failure::Refused(SamlError::MalformedXml, "name"))?
            .to_owned();
        let node = Node {
            ns,
            local,
            attrs: reader
                .attributes(&element)
                .map_err(|e| Failure::Refused(e, "attribute"))?,
            text: String::new(),
            children: Vec::new(),
        };
        state.open(node, before)?;
        if empty {
            state.close(reader.position().map_err(offset)?);
        }
    }
    check_outer(&state.outer)?;
    state.found.ok_or_else(|| refused("no EncryptedAssertion"))
}

/// The state of [`locate`]'s pass.
#[derive(Debug, Default)]
struct Locator {
    outer: Outer,
    /// Open elements of the whole document.
    depth: usize,
    /// Open elements of the EncryptedAssertion being read; empty outside it.
    open: Vec<Node>,
    /// Where the EncryptedAssertion being read starts.
    start: usize,
    found: Option<Located>,
}

impl Locator {
    fn open(&mut self, node: Node, before: usize) -> Result<(), Failure> {
        let depth = self.depth;
        self.depth = depth.saturating_add(1);
        if self.open.is_empty() {
            let outer = &mut self.outer;
            match node.local.as_str() {
                "EncryptedAssertion" => {
                    outer.encrypted_assertions = outer.encrypted_assertions.saturating_add(1);
                    if depth != 1 || node.ns != Ns::Assertion {
                        outer.misplaced = true;
                    } else if self.found.is_none() {
                        self.start = before;
                        self.open.push(node);
                    }
                }
                "EncryptedID" | "EncryptedAttribute" | "EncryptedKey" | "EncryptedData" => {
                    outer.other_encrypted = true;
                }
                "Assertion" => outer.assertions = outer.assertions.saturating_add(1),
                "Signature" if depth == 1 && node.ns == Ns::Dsig => outer.response_signed = true,
                _ => {}
            }
            return Ok(());
        }
        if self.open.len() >= MAX_TREE_DEPTH {
            return Err(refused("EncryptedAssertion nests too deep"));
        }
        self.open.push(node);
        Ok(())
    }

    /// Closes the innermost element, which ends at `end`.
    fn close(&mut self, end: usize) {
        self.depth = self.depth.saturating_sub(1);
        let Some(node) = self.open.pop() else {
            return;
        };
        match self.open.last_mut() {
            Some(parent) => parent.children.push(node),
            None => {
                self.found.get_or_insert(Located {
                    start: self.start,
                    end,
                    tree: node,
                });
            }
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(node) = self.open.last_mut() {
            node.text.push_str(text);
        }
    }
}

fn check_outer(outer: &Outer) -> Result<(), Failure> {
    if outer.assertions > 0 || outer.encrypted_assertions > 1 {
        return Err(Failure::Refused(
            SamlError::AssertionCount,
            "more than one (Encrypted)Assertion",
        ));
    }
    if outer.misplaced {
        return Err(refused("EncryptedAssertion not directly in the Response"));
    }
    if outer.other_encrypted {
        return Err(refused(
            "EncryptedID, EncryptedAttribute or stray XML-Enc markup",
        ));
    }
    if outer.response_signed {
        return Err(refused("signed Response around an EncryptedAssertion"));
    }
    Ok(())
}
