//! `p3plint describe`: a declaration in plain words, the way the seed policy describes its
//! groups (data collected, purposes, recipients, retention), then the derived compact policy and
//! its Field/Meaning table.

use crate::declaration::derive::Derived;
use crate::declaration::{Data, Policy, Practice};
use crate::explain;
use crate::vocabulary::Consent;

/// Renders every policy of a declaration with its derived compact policy.
pub fn describe(policies: &[Policy], derived: &[Derived]) -> String {
    let mut out = String::new();
    for (policy, derived) in policies.iter().zip(derived) {
        out.push_str(&describe_policy(policy, derived));
    }
    out
}

fn bullet(out: &mut String, text: &str) {
    out.push_str(&format!(" \u{2022} {text}\n"));
}

fn practice(practice: &Practice) -> String {
    let consent = match practice.consent {
        Consent::Always => "",
        Consent::OptIn => " (only if the user opts in)",
        Consent::OptOut => " (unless the user opts out)",
    };
    format!("{}{consent}", practice.entry.meaning.trim_end_matches('.'))
}

fn data(data: &Data) -> String {
    let categories: Vec<&str> = data
        .categories
        .iter()
        .map(|c| c.value.name.as_str())
        .collect();
    let mut unique = categories.clone();
    unique.dedup();
    if unique.is_empty() {
        return format!("{} (categories not stated)", data.name);
    }
    format!("{} ({})", data.name, unique.join(" "))
}

fn describe_policy(policy: &Policy, derived: &Derived) -> String {
    let mut out = match &policy.name {
        Some(name) => format!("Policy \"{name}\"\n\n"),
        None => "Policy\n\n".to_string(),
    };
    if let Some(access) = &policy.access {
        out.push_str(&format!(
            "Access: {} ({})\n",
            access.value.meaning, access.value.name
        ));
    }
    if policy.disputes.is_some() {
        let remedies: Vec<&str> = policy
            .remedies
            .iter()
            .map(|r| r.value.meaning.as_str())
            .collect();
        out.push_str("Disputes: the policy names a way to resolve privacy disputes.");
        if !remedies.is_empty() {
            out.push_str(&format!(" {}", remedies.join(" ")));
        }
        out.push('\n');
    }
    if policy.test.is_some() {
        out.push_str("This is a test policy: it states no real practices.\n");
    }
    out.push_str(&format!(
        "\nThe policy declares the data it collects in {} group{} (statements).\n",
        policy.statements.len(),
        if policy.statements.len() == 1 {
            ""
        } else {
            "s"
        }
    ));
    for statement in &policy.statements {
        match &statement.name {
            Some(name) => out.push_str(&format!("\nGroup \"{name}\"\n")),
            None => out.push_str("\nGroup\n"),
        }
        if statement.non_identifiable.is_some() {
            out.push_str("The data in this group cannot identify the user.\n");
        }
        if !statement.data.is_empty() {
            out.push_str("We collect the following information:\n");
            for item in &statement.data {
                bullet(&mut out, &data(item));
            }
        }
        if !statement.purposes.is_empty() {
            out.push_str("This information is used for the following purposes:\n");
            for purpose in &statement.purposes {
                bullet(&mut out, &practice(purpose));
            }
        }
        if !statement.recipients.is_empty() {
            out.push_str("It is shared as follows:\n");
            for recipient in &statement.recipients {
                bullet(&mut out, &practice(recipient));
            }
        }
        if let Some(retention) = &statement.retention {
            out.push_str(&format!("Retention: {}\n", retention.value.meaning));
        }
    }
    out.push_str(&format!(
        "\nThe compact policy for this policy is:\n\nCP=\"{}\"\n\nThe following table explains each field of the compact policy.\n\n",
        derived.text()
    ));
    let explanation = explain::explain(&format!("CP=\"{}\"", derived.text()));
    out.push_str(&explain::table(&explanation.rows));
    if let Some(note) = crate::declaration::derive::unstated_note(policy) {
        out.push_str(&format!("\nNote: {note}.\n"));
    }
    out
}
