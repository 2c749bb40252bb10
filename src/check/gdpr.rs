//! The GDPR reading (rule group `GD`, off by default): each rule maps a declared practice to the
//! provision a reviewer would check, and says so as something to review, not as a verdict.
//!
//! Practices are read from a declaration statement by statement, so a practice is judged only
//! for the data it applies to; a compact policy alone is read as one statement (it cannot say
//! which data a purpose concerns). Which tokens count as what is the table
//! `rules/gdpr.toml`; the provisions and wording are the rules' own files.

use crate::config::RuleSettings;
use crate::declaration::{Declaration, Declared, Policy, Statement};
use crate::diagnostic::Diagnostic;
use crate::parse::CompactPolicy;
use crate::rules::{GdprParams, Kind, RuleId, registry};
use crate::source::{FileId, Span};
use crate::vocabulary::{Consent, Entry, TokenKind};
use serde::Deserialize;
use std::sync::OnceLock;

pub const SOURCE: &str = include_str!("../../rules/gdpr.toml");

/// `rules/gdpr.toml`: which tokens each reading looks for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Reading {
    pub personal_categories: Vec<String>,
    pub marketing_purposes: Vec<String>,
    pub outside_recipients: Vec<String>,
    pub no_access: Vec<String>,
    pub indefinite_retention: Vec<String>,
    pub disputes: String,
    pub special_categories: Vec<String>,
}

/// The embedded table; `table_is_valid` checks it names only P3P tokens.
pub fn reading() -> &'static Reading {
    static READING: OnceLock<Reading> = OnceLock::new();
    READING.get_or_init(|| match toml::from_str(SOURCE) {
        Ok(reading) => reading,
        Err(err) => panic!("rules/gdpr.toml is valid (tests): {err}"),
    })
}

/// One thing a practice is about, with where it is declared.
#[derive(Debug, Clone)]
struct Item {
    /// The token, or the declaration's element or data name.
    name: String,
    /// The P3P token it stands for (`PHY`, `CON`).
    token: String,
    file: FileId,
    span: Span,
    consent: Consent,
    /// For recipients: who, when the declaration says.
    description: Option<String>,
}

impl Item {
    /// An item without a consent or a recipient's name: data, access, retention.
    fn plain(name: String, token: String, file: FileId, span: Span) -> Item {
        Item {
            name,
            token,
            file,
            span,
            consent: Consent::Always,
            description: None,
        }
    }

    /// A declared element (access, retention), named by its element.
    fn declared(declared: &Declared<&'static Entry>) -> Item {
        Item::plain(
            declared.value.element.clone(),
            declared.value.name.clone(),
            declared.file,
            declared.span.clone(),
        )
    }
}

/// What the rules look at: one statement of a declaration, or a whole compact policy.
#[derive(Debug)]
struct View {
    label: String,
    /// Data of personal categories (nothing in a non-identifiable statement).
    personal: Vec<Item>,
    special: Vec<Item>,
    purposes: Vec<Item>,
    recipients: Vec<Item>,
    retention: Vec<Item>,
}

/// What the rules look at across a policy: its views, its access and whether it has disputes.
#[derive(Debug)]
struct PolicyView {
    label: String,
    file: FileId,
    span: Span,
    views: Vec<View>,
    access: Option<Item>,
    disputes: bool,
}

impl PolicyView {
    fn of_compact(file: FileId, policy: &CompactPolicy) -> PolicyView {
        let reading = reading();
        let items = |wanted: &dyn Fn(&str, TokenKind) -> bool| -> Vec<Item> {
            policy
                .tokens
                .iter()
                .filter_map(|token| {
                    let entry = token.entry()?;
                    wanted(&entry.name, entry.kind).then(|| Item {
                        name: token.text.clone(),
                        token: entry.name.clone(),
                        file,
                        span: token.span.clone(),
                        consent: token.consent().unwrap_or(Consent::Always),
                        description: None,
                    })
                })
                .collect()
        };
        let is = |list: &'static [String]| {
            move |name: &str, _: TokenKind| list.iter().any(|t| t == name)
        };
        let view = View {
            label: "the compact policy".into(),
            personal: items(&is(&reading.personal_categories)),
            special: items(&is(&reading.special_categories)),
            purposes: items(&|_, kind| kind == TokenKind::Purpose),
            recipients: items(&|_, kind| kind == TokenKind::Recipient),
            retention: items(&|_, kind| kind == TokenKind::Retention),
        };
        PolicyView {
            label: "the compact policy".into(),
            file,
            span: policy.span.clone(),
            access: items(&|_, kind| kind == TokenKind::Access)
                .into_iter()
                .next(),
            disputes: policy.with_base(&reading.disputes).next().is_some(),
            views: vec![view],
        }
    }

    fn of_declared(policy: &Policy) -> PolicyView {
        PolicyView {
            views: policy.statements.iter().map(statement_view).collect(),
            ..PolicyView::of_declared_header(policy)
        }
    }

    /// A declared policy's access and disputes, without its statements.
    fn of_declared_header(policy: &Policy) -> PolicyView {
        PolicyView {
            label: policy.label(),
            file: policy.file,
            span: policy.span.clone(),
            views: Vec::new(),
            access: policy.access.as_ref().map(Item::declared),
            disputes: policy.disputes.is_some(),
        }
    }

    /// The identified data of every statement, in order.
    fn personal_data(&self) -> Vec<Item> {
        self.views
            .iter()
            .flat_map(|view| view.personal.iter().cloned())
            .collect()
    }
}

/// The data of `statement` with a category in `categories`, each with the first such category.
fn data_with(statement: &Statement, categories: &[String]) -> Vec<Item> {
    statement
        .data
        .iter()
        .filter_map(|data| {
            let category = data
                .categories
                .iter()
                .find(|category| categories.contains(&category.value.name))?;
            Some(Item::plain(
                data.name.clone(),
                category.value.name.clone(),
                data.file,
                data.span.clone(),
            ))
        })
        .collect()
}

/// The data of `statement` that identifies people: of a personal category, in a statement not
/// declared non-identifiable.
fn identified_data(statement: &Statement) -> Vec<Item> {
    if statement.non_identifiable.is_some() {
        return Vec::new();
    }
    data_with(statement, &reading().personal_categories)
}

/// Whether `statement` holds data that identifies people, as the GD rules read it.
pub fn identifies_people(statement: &Statement) -> bool {
    !identified_data(statement).is_empty()
}

fn statement_view(statement: &Statement) -> View {
    let practices = |list: &[crate::declaration::Practice]| -> Vec<Item> {
        list.iter()
            .map(|practice| Item {
                name: practice.entry.element.clone(),
                token: practice.entry.name.clone(),
                file: practice.file,
                span: practice.span.clone(),
                consent: practice.consent,
                description: practice.description.clone(),
            })
            .collect()
    };
    View {
        label: statement.label(),
        personal: identified_data(statement),
        special: data_with(statement, &reading().special_categories),
        purposes: practices(&statement.purposes),
        recipients: practices(&statement.recipients),
        retention: statement.retention.iter().map(Item::declared).collect(),
    }
}

/// The GD findings of an emitted compact policy. With `declared`, the declaration's statements
/// are judged instead (`review_declaration`) for every kind it states, so the compact policy is
/// read only for what the declaration leaves unsaid (a policy document states no retention).
pub fn review_emitted(
    file: FileId,
    policy: &CompactPolicy,
    declared: Option<&Policy>,
    settings: &RuleSettings,
) -> Vec<Diagnostic> {
    if !any_enabled(settings) || policy.is_free_text() || policy.has_placeholders() {
        return Vec::new();
    }
    let view = PolicyView::of_compact(file, policy);
    let judged_by_declaration = |kind: TokenKind| declared.is_some_and(|p| p.states(kind));
    review(&view, settings, &judged_by_declaration, Scope::Both)
}

/// The GD findings of every policy of a declaration, statement by statement.
pub fn review_declaration(declaration: &Declaration, settings: &RuleSettings) -> Vec<Diagnostic> {
    if !any_enabled(settings) {
        return Vec::new();
    }
    declaration
        .policies
        .iter()
        .flat_map(|policy| {
            let reviewed = review_policy(policy, settings);
            reviewed
                .policy
                .into_iter()
                .chain(reviewed.statements.into_iter().flatten())
        })
        .collect()
}

/// One declared policy's GD findings, sorted by what they concern.
#[derive(Debug, Default)]
pub struct Reviewed {
    /// About the policy as a whole (access, disputes).
    pub policy: Vec<Diagnostic>,
    /// About each statement, in the policy's order.
    pub statements: Vec<Vec<Diagnostic>>,
}

/// The GD findings of one declared policy, each beside the statement it concerns.
pub fn review_policy(policy: &Policy, settings: &RuleSettings) -> Reviewed {
    let unstated = |kind| !policy.states(kind);
    let whole = PolicyView::of_declared(policy);
    let statements = (0..whole.views.len())
        .map(|index| {
            let one = PolicyView {
                views: vec![statement_view(&policy.statements[index])],
                ..PolicyView::of_declared_header(policy)
            };
            review(&one, settings, &unstated, Scope::Statement)
        })
        .collect();
    Reviewed {
        policy: review(&whole, settings, &unstated, Scope::Policy),
        statements,
    }
}

/// Which rules a review runs: those about one statement's practices, or about the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Statement,
    Policy,
    Both,
}

impl Scope {
    fn runs(self, id: RuleId) -> bool {
        let about_policy = matches!(
            id,
            RuleId::NoAccessToPersonalData | RuleId::NoDisputeProcedure
        );
        match self {
            Scope::Both => true,
            Scope::Policy => about_policy,
            Scope::Statement => !about_policy,
        }
    }
}

/// The GD rules, looked up by identity: `any_enabled` runs for every emitted policy, so it asks
/// about these six rather than filtering the whole registry.
const GD_RULES: [RuleId; 6] = [
    RuleId::IndefiniteRetention,
    RuleId::MarketingWithoutOptIn,
    RuleId::UnnamedRecipients,
    RuleId::NoAccessToPersonalData,
    RuleId::NoDisputeProcedure,
    RuleId::SpecialCategoryData,
];

fn any_enabled(settings: &RuleSettings) -> bool {
    GD_RULES
        .iter()
        .any(|id| settings.is_enabled(registry().rule(*id)))
}

/// The findings of the enabled GD rules on `view`, skipping rules about a kind `skip` names.
fn review(
    view: &PolicyView,
    settings: &RuleSettings,
    skip: &dyn Fn(TokenKind) -> bool,
    scope: Scope,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for rule in settings.enabled_rules() {
        let Kind::Gdpr(params) = &rule.kind else {
            continue;
        };
        if !scope.runs(rule.id) {
            continue;
        }
        // Each rule judges one kind of practice; a kind the source leaves unsaid is not judged.
        type Judge = fn(&PolicyView, &GdprParams) -> Vec<Diagnostic>;
        let (kind, judge): (TokenKind, Judge) = match rule.id {
            RuleId::IndefiniteRetention => (TokenKind::Retention, indefinite_retention),
            RuleId::MarketingWithoutOptIn => (TokenKind::Purpose, marketing_without_opt_in),
            RuleId::UnnamedRecipients => (TokenKind::Recipient, unnamed_recipients),
            RuleId::NoAccessToPersonalData => (TokenKind::Access, no_access),
            RuleId::NoDisputeProcedure => (TokenKind::Disputes, no_dispute_procedure),
            RuleId::SpecialCategoryData => (TokenKind::Category, special_category_data),
            _ => continue,
        };
        if !skip(kind) {
            found.extend(judge(view, params));
        }
    }
    // Severities are resolved where every finding of a file or declaration is.
    found
}

/// "`PHY`, `ONL`" or "`user.home-info.postal` (PHY)".
fn list(items: &[Item]) -> String {
    let shown: Vec<String> = items
        .iter()
        .map(|item| {
            if item.name == item.token {
                format!("`{}`", item.name)
            } else {
                format!("`{}` ({})", item.name, item.token)
            }
        })
        .collect();
    shown.join(", ")
}

/// At most this many related labels per finding: the message lists the rest.
const MAX_RELATED: usize = 4;

fn finding(
    id: RuleId,
    params: &GdprParams,
    at: &Item,
    message: String,
    label: &str,
    related: &[Item],
    related_label: &str,
) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(id, at.file, at.span.clone(), message)
        .with_label(label)
        .with_note(format!("{}: {}", params.provision, params.provision_says))
        .with_help(params.review.clone());
    for item in related.iter().take(MAX_RELATED) {
        diagnostic = diagnostic.with_related(item.file, item.span.clone(), related_label);
    }
    diagnostic
}

/// One finding per item of a statement that `keep` selects (its retention, purposes,
/// recipients or special data, as `items` picks), worded by `make`.
fn per_item(
    view: &PolicyView,
    items: fn(&View) -> &[Item],
    keep: impl Fn(&View, &Item) -> bool,
    make: impl Fn(&View, &Item) -> Diagnostic,
) -> Vec<Diagnostic> {
    view.views
        .iter()
        .flat_map(|statement| {
            items(statement)
                .iter()
                .filter(|item| keep(statement, item))
                .map(|item| make(statement, item))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn indefinite_retention(view: &PolicyView, params: &GdprParams) -> Vec<Diagnostic> {
    let indefinite = &reading().indefinite_retention;
    per_item(
        view,
        |statement| &statement.retention,
        |statement, item| !statement.personal.is_empty() && indefinite.contains(&item.token),
        |statement, item| {
            finding(
                RuleId::IndefiniteRetention,
                params,
                item,
                format!(
                    "{} keeps identified data ({}) indefinitely: review against {}",
                    statement.label,
                    list(&statement.personal),
                    params.provision
                ),
                "kept without a limit",
                &statement.personal,
                "identified data",
            )
        },
    )
}

fn marketing_without_opt_in(view: &PolicyView, params: &GdprParams) -> Vec<Diagnostic> {
    let marketing = &reading().marketing_purposes;
    per_item(
        view,
        |statement| &statement.purposes,
        |statement, item| {
            !statement.personal.is_empty()
                && marketing.contains(&item.token)
                && item.consent != Consent::OptIn
        },
        |statement, item| {
            finding(
                RuleId::MarketingWithoutOptIn,
                params,
                item,
                format!(
                    "{} uses identified data ({}) for `{}` ({}) without opt-in consent: review \
                     against {}",
                    statement.label,
                    list(&statement.personal),
                    item.token,
                    item.consent.as_str(),
                    params.provision
                ),
                if item.consent == Consent::OptOut {
                    "opt-out, not consent"
                } else {
                    "no consent asked"
                },
                &statement.personal,
                "identified data",
            )
        },
    )
}

fn unnamed_recipients(view: &PolicyView, params: &GdprParams) -> Vec<Diagnostic> {
    let outside = &reading().outside_recipients;
    per_item(
        view,
        |statement| &statement.recipients,
        |_, item| outside.contains(&item.token) && item.description.is_none(),
        |statement, item| {
            finding(
                RuleId::UnnamedRecipients,
                params,
                item,
                format!(
                    "{} discloses data to `{}` without naming the recipient: review against {}",
                    statement.label, item.token, params.provision
                ),
                "recipient not named",
                &[],
                "",
            )
        },
    )
}

fn special_category_data(view: &PolicyView, params: &GdprParams) -> Vec<Diagnostic> {
    per_item(
        view,
        |statement| &statement.special,
        |_, _| true,
        |statement, item| {
            finding(
                RuleId::SpecialCategoryData,
                params,
                item,
                format!(
                    "{} collects {} data, a special category: review against {}",
                    statement.label,
                    list(std::slice::from_ref(item)),
                    params.provision
                ),
                "special category",
                &[],
                "",
            )
        },
    )
}

fn no_access(view: &PolicyView, params: &GdprParams) -> Vec<Diagnostic> {
    let Some(access) = &view.access else {
        return Vec::new();
    };
    let personal = view.personal_data();
    if !reading().no_access.contains(&access.token) || personal.is_empty() {
        return Vec::new();
    }
    vec![finding(
        RuleId::NoAccessToPersonalData,
        params,
        access,
        format!(
            "{} gives no access (`{}`) while it collects identified data ({}): review against {}",
            view.label,
            access.token,
            list(&personal),
            params.provision
        ),
        "no access",
        &personal,
        "identified data",
    )]
}

fn no_dispute_procedure(view: &PolicyView, params: &GdprParams) -> Vec<Diagnostic> {
    let personal = view.personal_data();
    if view.disputes || personal.is_empty() {
        return Vec::new();
    }
    let whole = Item::plain(String::new(), String::new(), view.file, view.span.clone());
    vec![finding(
        RuleId::NoDisputeProcedure,
        params,
        &whole,
        format!(
            "{} collects identified data ({}) and states no dispute procedure (`{}`): review \
             against {}",
            view.label,
            list(&personal),
            reading().disputes,
            params.provision
        ),
        "no dispute procedure",
        &personal,
        "identified data",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_list_is_every_gdpr_rule() {
        let gdpr: Vec<RuleId> = registry()
            .rules()
            .iter()
            .filter(|rule| matches!(rule.kind, Kind::Gdpr(_)))
            .map(|rule| rule.id)
            .collect();
        assert_eq!(gdpr, GD_RULES);
    }

    #[test]
    fn table_is_valid_and_names_only_p3p_tokens() {
        let reading: Reading = toml::from_str(SOURCE).expect("valid");
        let vocabulary = crate::vocabulary::vocabulary();
        let known = |token: &String| vocabulary.get(token).is_some();
        for list in [
            &reading.personal_categories,
            &reading.marketing_purposes,
            &reading.outside_recipients,
            &reading.no_access,
            &reading.indefinite_retention,
            &reading.special_categories,
        ] {
            assert!(!list.is_empty());
            assert!(list.iter().all(known), "{list:?}");
        }
        assert!(known(&reading.disputes));
    }
}
