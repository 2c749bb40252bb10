//! The compact policy a declaration implies (P3P 1.0 section 4.5): the union over statements of
//! purposes, recipients, retentions and categories (fixed schema categories included), plus the
//! access, disputes, remedies, NID and TST tokens; one canonical token order (the grammar's).
//!
//! Every derived token remembers the elements that declared it, so a mismatch can point at them.

use crate::declaration::Policy;
use crate::source::{FileId, Span};
use crate::vocabulary::Consent;
use crate::vocabulary::{Entry, TokenKind, vocabulary};

/// Where a derived token was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredBy {
    pub file: FileId,
    pub span: Span,
    /// The statement it came from, if any (`statement `Cookies``).
    pub statement: Option<String>,
    /// Its consent there (purposes and recipients).
    pub consent: Option<Consent>,
}

/// One token of the derived policy.
#[derive(Debug, Clone)]
pub struct DerivedToken {
    pub entry: &'static Entry,
    /// For purposes and recipients: the least protective consent of any statement.
    pub consent: Option<Consent>,
    pub sources: Vec<DeclaredBy>,
}

impl DerivedToken {
    /// The token as written in a compact policy: always is the bare form.
    pub fn text(&self) -> String {
        match (self.entry.suffix, self.consent) {
            (true, Some(Consent::OptIn)) => format!("{}i", self.entry.name),
            (true, Some(Consent::OptOut)) => format!("{}o", self.entry.name),
            _ => self.entry.name.clone(),
        }
    }
}

/// The compact policy of one declared policy.
#[derive(Debug, Clone)]
pub struct Derived {
    pub tokens: Vec<DerivedToken>,
}

impl Derived {
    /// `NOI DSP CUR ...`, in canonical order.
    pub fn text(&self) -> String {
        self.tokens
            .iter()
            .map(DerivedToken::text)
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn get(&self, base: &str) -> Option<&DerivedToken> {
        self.tokens.iter().find(|token| token.entry.name == base)
    }

    pub fn of_kind(&self, kind: TokenKind) -> impl Iterator<Item = &DerivedToken> {
        self.tokens
            .iter()
            .filter(move |token| token.entry.kind == kind)
    }
}

/// Derives the compact policy of `policy`.
pub fn derive(policy: &Policy) -> Derived {
    let mut tokens: Vec<DerivedToken> = Vec::new();
    let mut add = |entry: &'static Entry, consent: Option<Consent>, source: DeclaredBy| {
        match tokens.iter_mut().find(|t| t.entry.name == entry.name) {
            Some(token) => {
                // The least protective consent wins: always, then opt-out, then opt-in.
                token.consent = match (token.consent, consent) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                token.sources.push(source);
            }
            None => tokens.push(DerivedToken {
                entry,
                consent,
                sources: vec![source],
            }),
        }
    };
    let plain = |file: FileId, span: &Span| DeclaredBy {
        file,
        span: span.clone(),
        statement: None,
        consent: None,
    };
    if let Some(access) = &policy.access {
        add(access.value, None, plain(access.file, &access.span));
    }
    if let Some(disputes) = &policy.disputes
        && let Some(dsp) = vocabulary().for_element("<DISPUTES-GROUP>")
    {
        add(dsp, None, plain(disputes.file, &disputes.span));
    }
    for remedy in &policy.remedies {
        add(remedy.value, None, plain(remedy.file, &remedy.span));
    }
    // NID says the whole policy's data cannot identify anyone: only when every statement says so.
    let all_non_identifiable = !policy.statements.is_empty()
        && policy
            .statements
            .iter()
            .all(|s| s.non_identifiable.is_some());
    if all_non_identifiable && let Some(nid) = vocabulary().for_element("<NON-IDENTIFIABLE/>") {
        for statement in &policy.statements {
            if let Some(span) = &statement.non_identifiable {
                add(nid, None, plain(statement.file, span));
            }
        }
    }
    for statement in &policy.statements {
        let from = |file: FileId, span: &Span, consent: Option<Consent>| DeclaredBy {
            file,
            span: span.clone(),
            statement: Some(statement.label()),
            consent,
        };
        for practice in statement.purposes.iter().chain(&statement.recipients) {
            let consent = Some(practice.consent);
            add(
                practice.entry,
                consent,
                from(practice.file, &practice.span, consent),
            );
        }
        if let Some(retention) = &statement.retention {
            add(
                retention.value,
                None,
                from(retention.file, &retention.span, None),
            );
        }
        for data in &statement.data {
            for category in &data.categories {
                add(
                    category.value,
                    None,
                    from(category.file, &category.span, None),
                );
            }
        }
    }
    if let Some(test) = &policy.test
        && let Some(tst) = vocabulary().for_element("<TEST/>")
    {
        add(tst, None, plain(test.file, &test.span));
    }
    let order = |entry: &Entry| {
        vocabulary()
            .entries()
            .iter()
            .position(|e| e.name == entry.name)
            .unwrap_or(usize::MAX)
    };
    tokens.sort_by_key(|token| order(token.entry));
    Derived { tokens }
}

/// Why a declaration has no compact policy, when it has none: a compact policy summarises the
/// practices of cookies, and a declaration without any purpose or recipient states none (the
/// policy editors printed no compact policy for it and said so).
pub fn why_no_compact_policy(policy: &Policy, derived: &Derived) -> Option<String> {
    let practices = derived
        .tokens
        .iter()
        .any(|t| matches!(t.entry.kind, TokenKind::Purpose | TokenKind::Recipient));
    (!practices).then(|| {
        format!(
            "{} states no purpose and no recipient, so there is no cookie practice to summarise",
            policy.label()
        )
    })
}

/// For a declaration that leaves kinds unstated (a policy document says nothing of retention
/// or access): which, so the derived compact policy is not taken as complete.
pub fn unstated_note(policy: &Policy) -> Option<String> {
    let required = [TokenKind::Access, TokenKind::Retention];
    let missing: Vec<&str> = required
        .iter()
        .filter(|kind| !policy.states(**kind))
        .map(|kind| kind.as_str())
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "the document does not state {}; the compact policy above has no such token, and a \
             compact policy needs one of each: add them from the site's practice",
            missing.join(" or ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    #[test]
    fn derives_the_reference_worked_example() {
        let text = r##"<POLICIES xmlns="http://www.w3.org/2002/01/P3Pv1">
 <POLICY name="shop">
  <ACCESS><contact-and-other/></ACCESS>
  <DISPUTES-GROUP><DISPUTES resolution-type="service"><REMEDIES><correct/></REMEDIES></DISPUTES></DISPUTES-GROUP>
  <STATEMENT>
   <PURPOSE><current/><admin/><develop/></PURPOSE>
   <RECIPIENT><ours/></RECIPIENT>
   <RETENTION><stated-purpose/></RETENTION>
   <DATA-GROUP><DATA ref="#dynamic.clickstream"/><DATA ref="#dynamic.http"/></DATA-GROUP>
  </STATEMENT>
  <STATEMENT>
   <PURPOSE><tailoring/><pseudo-analysis required="opt-out"/></PURPOSE>
   <RECIPIENT><ours/></RECIPIENT>
   <RETENTION><business-practices/></RETENTION>
   <DATA-GROUP><DATA ref="#dynamic.cookies"><CATEGORIES><uniqueid/><state/><preference/></CATEGORIES></DATA></DATA-GROUP>
  </STATEMENT>
  <STATEMENT>
   <PURPOSE><current/><contact required="opt-in"/></PURPOSE>
   <RECIPIENT><ours/><delivery/></RECIPIENT>
   <RETENTION><legal-requirement/></RETENTION>
   <DATA-GROUP>
    <DATA ref="#user.name"/><DATA ref="#user.home-info.postal"/>
    <DATA ref="#user.home-info.online.email"/>
    <DATA ref="#dynamic.miscdata"><CATEGORIES><purchase/></CATEGORIES></DATA>
   </DATA-GROUP>
  </STATEMENT>
 </POLICY>
</POLICIES>"##;
        let parsed = crate::declaration::xml_reader::parse(FileId(0), text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let derived = derive(&parsed.policies[0]);
        assert_eq!(
            derived.text(),
            "CAO DSP COR CUR ADM DEV TAI PSAo CONi OUR DEL STP LEG BUS PHY ONL UNI PUR COM NAV DEM STA PRE"
        );
    }

    #[test]
    fn one_purpose_with_two_consents_takes_the_least_protective() {
        let text = "[policy]\naccess = \"none\"\n\
                    [[statement]]\npurposes = [{ purpose = \"contact\", consent = \"opt-in\" }]\nrecipients = [\"ours\"]\nretention = \"stated-purpose\"\ndata = [\"user.name\"]\n\
                    [[statement]]\npurposes = [{ purpose = \"contact\", consent = \"opt-out\" }]\nrecipients = [\"ours\"]\nretention = \"stated-purpose\"\ndata = [\"user.name\"]\n";
        let parsed = crate::declaration::toml_reader::parse(FileId(0), text);
        let derived = derive(&parsed.policies[0]);
        assert_eq!(derived.text(), "NON CONo OUR STP PHY DEM");
        assert_eq!(derived.get("CON").unwrap().sources.len(), 2);
    }
}
