//! The language server as an editor drives it: initialize, open a document, read the published
//! diagnostics, shut down. Every read is bounded in time so a hung server fails the test.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn frame(message: &Value) -> Vec<u8> {
    let body = message.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// Reads framed messages from the server on a thread, so the test can wait with a timeout.
fn reader(stdout: std::process::ChildStdout) -> mpsc::Receiver<Value> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        loop {
            let mut length = 0;
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim();
                if line.is_empty() {
                    break;
                }
                if let Some(value) = line.strip_prefix("Content-Length: ") {
                    length = value.parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if stdout.read_exact(&mut body).is_err() {
                return;
            }
            if let Ok(value) = serde_json::from_slice(&body)
                && sender.send(value).is_err()
            {
                return;
            }
        }
    });
    receiver
}

/// The next message for which `wanted` holds, skipping others.
fn next(receiver: &mpsc::Receiver<Value>, wanted: impl Fn(&Value) -> bool) -> Value {
    loop {
        let message = receiver
            .recv_timeout(Duration::from_secs(20))
            .expect("the server answers in time");
        if wanted(&message) {
            return message;
        }
    }
}

fn response(id: u64) -> impl Fn(&Value) -> bool {
    move |message| message["id"] == id
}

fn notification(method: &'static str) -> impl Fn(&Value) -> bool {
    move |message| message["method"] == method
}

/// Kills the server if the test ends early, so a failure never leaves a process behind.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A server started in `dir`: the process, its stdin, and its messages.
fn start(dir: &std::path::Path) -> (Server, std::process::ChildStdin, mpsc::Receiver<Value>) {
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_p3plint"))
            .arg("server")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Hostile input makes the server log to stderr; the tests read the protocol only.
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts"),
    );
    let stdin = server.0.stdin.take().expect("piped");
    let messages = reader(server.0.stdout.take().expect("piped"));
    (server, stdin, messages)
}

fn send(stdin: &mut std::process::ChildStdin, message: Value) {
    stdin.write_all(&frame(&message)).expect("write");
    stdin.flush().expect("flush");
}

#[test]
fn publishes_diagnostics_for_an_open_document() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut server, mut stdin, messages) = start(dir.path());
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    let initialized = next(&messages, response(1));
    assert_eq!(
        initialized["result"]["capabilities"]["positionEncoding"],
        "utf-16"
    );
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    // `𝄞` is two UTF-16 units: the column of NOI tells which encoding was used.
    let text = "// 𝄞\nfn h(r: R) { r.header(\"P3P\", \"CP=\\\"NOI CUR OUR NOR PHY\\\"\"); }\n";
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": "file:///tmp/handler.rs", "languageId": "rust", "version": 1, "text": text}
        }}),
    );
    let published = next(&messages, notification("textDocument/publishDiagnostics"));
    let diagnostics = published["params"]["diagnostics"]
        .as_array()
        .expect("an array");
    let first = &diagnostics[0];
    assert_eq!(first["code"], "CP101/identified-data-contradiction");
    assert_eq!(first["range"]["start"], json!({"line": 1, "character": 35}));
    assert_eq!(first["source"], "p3plint");
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": "file:///tmp/handler.rs", "version": 2},
            "contentChanges": [{"text": "fn h() {}\n"}]
        }}),
    );
    let cleared = next(&messages, notification("textDocument/publishDiagnostics"));
    assert_eq!(cleared["params"]["diagnostics"], json!([]));
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
    );
    next(&messages, response(2));
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    );
    drop(stdin);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
}

/// Starts a server in an empty directory and initializes it.
fn started() -> (Server, std::process::ChildStdin, mpsc::Receiver<Value>) {
    let (server, mut stdin, messages) = start(&std::env::temp_dir());
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    next(&messages, response(1));
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    (server, stdin, messages)
}

fn exit_status(server: &mut Server) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = server.0.try_wait().expect("wait") {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn hostile_messages_and_documents_do_not_stop_the_server() {
    let (mut server, mut stdin, messages) = started();
    // A length no one could allocate, then malformed JSON: both skipped.
    stdin
        .write_all(b"Content-Length: 99999999999\r\n\r\n{}")
        .expect("write");
    drop(stdin);
    let status = exit_status(&mut server);
    assert_eq!(status.code(), Some(1), "closed without shutdown: exit 1");

    let (mut server, mut stdin, messages_2) = started();
    drop(messages);
    stdin
        .write_all(b"Content-Length: 5\r\n\r\nnope!")
        .expect("write");
    // Deep nesting and a long one-line document, linted off the main thread.
    let deep = format!(
        "const P3P: &str = \"CP=\\\"NOI\\\"\";\ntype T = {}u8{};\n",
        "Vec<".repeat(4344),
        ">".repeat(4344)
    );
    let long = format!("add_header P3P 'CP=\"{}\"';", "NOI XYZ ".repeat(30_000));
    for (uri, text) in [("file:///deep.rs", deep), ("file:///long.conf", long)] {
        stdin
            .write_all(&frame(
                &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
                    "textDocument": {"uri": uri, "languageId": "x", "version": 1, "text": text}
                }}),
            ))
            .expect("write");
    }
    for _ in 0..2 {
        let published = next(&messages_2, notification("textDocument/publishDiagnostics"));
        assert!(published["params"]["diagnostics"].as_array().is_some());
    }
    // `exit` without `shutdown`: exit code 1, as LSP says.
    stdin
        .write_all(&frame(
            &json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
        ))
        .expect("write");
    assert_eq!(exit_status(&mut server).code(), Some(1));
}

/// The editor and `check` agree: a document on disk is checked with the nearest lint.toml above
/// it and the declaration that config names, wherever the server was started; a broken
/// lint.toml is shown to the user and published on lint.toml itself.
#[test]
fn documents_get_their_projects_config_and_declaration() {
    let project = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = project.path().join(name);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("lint.toml", "[policy]\nfile = \"policy.toml\"\n");
    write(
        "policy.toml",
        "[policy]\naccess = \"none\"\n[[statement]]\npurposes = [\"current\", \"contact\"]\nrecipients = [\"ours\"]\nretention = \"stated-purpose\"\ndata = [\"user.home-info.online.email\"]\n",
    );
    let handler = "fn f(r: R) { r.header(\"P3P\", \"CP=\\\"NON CUR OUR STP ONL\\\"\"); }\n";
    write("src/handler.rs", handler);
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let (_server, mut stdin, messages) = start(elsewhere.path());
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    next(&messages, response(1));
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    let uri = format!("file://{}", project.path().join("src/handler.rs").display());
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": handler}
        }}),
    );
    let published = next(&messages, notification("textDocument/publishDiagnostics"));
    let diagnostics = published["params"]["diagnostics"]
        .as_array()
        .expect("an array");
    let undisclosed = diagnostics
        .iter()
        .find(|d| d["code"] == "PD201/undisclosed-practice")
        .unwrap_or_else(|| panic!("as `check` reports it: {published:#}"));
    // The related label is in the declaration, another file.
    let related = &undisclosed["relatedInformation"][0]["location"]["uri"];
    assert!(
        related
            .as_str()
            .is_some_and(|u| u.ends_with("/policy.toml")),
        "{related}"
    );
    // Hover on `CP=` shows what the declaration implies beside what is sent.
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 5, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri},
            "position": {"line": 0, "character": handler.find("CP=").expect("CP=")}
        }}),
    );
    let hover = next(&messages, response(5));
    let hover = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(
        hover.contains("The declaration implies `CP=\"NON CUR CON OUR STP ONL"),
        "{hover}"
    );
    // Break lint.toml: the user is told once, lint.toml gets the finding, the document is
    // still checked with the defaults.
    write("lint.toml", "[policy]\nfiel = \"policy.toml\"\n");
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": handler}]
        }}),
    );
    let shown = next(&messages, notification("window/showMessage"));
    assert!(
        shown["params"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("lint.toml is not valid")),
        "{shown}"
    );
    let on_config = next(&messages, |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"]
                .as_str()
                .is_some_and(|u| u.ends_with("/lint.toml"))
    });
    assert_eq!(
        on_config["params"]["diagnostics"][0]["code"],
        "CF901/invalid-config"
    );
    let document = next(&messages, |m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
    });
    assert!(
        !document.to_string().contains("PD201"),
        "without a config there is no declaration: {document}"
    );
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
    );
    next(&messages, response(2));
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    );
}

/// Every fix is a quick fix, and every finding can be suppressed from the editor: the comment
/// the action inserts suppresses the finding once the document changes. Hover explains tokens.
#[test]
fn quick_fixes_and_suppressions_are_code_actions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_server, mut stdin, messages) = start(dir.path());
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    let initialized = next(&messages, response(1));
    assert_eq!(
        initialized["result"]["capabilities"]["codeActionProvider"],
        true
    );
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    let uri = "untitled:handler.rs";
    let text = "fn h(r: R) {\n    r.header(\"P3P\", \"CP=\\\"NOI CURa OUR NOR NAV\\\"\");\n}\n";
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": text}
        }}),
    );
    let published = next(&messages, notification("textDocument/publishDiagnostics"));
    let suffix = published["params"]["diagnostics"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["code"] == "CP002/suffix-not-allowed"))
        .cloned()
        .unwrap_or_else(|| panic!("{published:#}"));
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction", "params": {
            "textDocument": {"uri": uri},
            "range": suffix["range"],
            "context": {"diagnostics": [suffix]}
        }}),
    );
    let actions = next(&messages, response(2));
    let actions = actions["result"].as_array().expect("actions").clone();
    let fix = actions
        .iter()
        .find(|a| a["isPreferred"] == true)
        .unwrap_or_else(|| panic!("a preferred safe fix: {actions:#?}"));
    let edit = &fix["edit"]["changes"][uri][0];
    assert_eq!(edit["newText"], "CUR");
    let suppress = actions
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Suppress CP002"))
        })
        .expect("a suppression");
    let insert = &suppress["edit"]["changes"][uri][0];
    assert_eq!(insert["range"]["start"], json!({"line": 1, "character": 0}));
    let comment = insert["newText"].as_str().expect("text");
    assert_eq!(comment, "    // p3plint: ignore[CP002] -- reason\n");
    // Applied, the comment suppresses the finding.
    let suppressed = text.replacen("    r.header", &format!("{comment}    r.header"), 1);
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": suppressed}]
        }}),
    );
    let republished = next(&messages, notification("textDocument/publishDiagnostics"));
    assert!(
        !republished.to_string().contains("CP002"),
        "{republished:#}"
    );
    // Hover: a token's kind and meaning; on `CP=`, the IE6 verdict.
    let line = suppressed.lines().nth(2).expect("the header line");
    let hover_at = |stdin: &mut std::process::ChildStdin, id: u64, column: usize| {
        send(
            stdin,
            json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": {
                "textDocument": {"uri": uri},
                "position": {"line": 2, "character": column}
            }}),
        );
        next(&messages, response(id))["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let token = hover_at(&mut stdin, 10, line.find("CURa").expect("CURa") + 1);
    assert!(token.starts_with("**CURa**: purpose"), "{token}");
    assert!(
        token.contains("completion of the current activity"),
        "{token}"
    );
    let header = hover_at(&mut stdin, 11, line.find("CP=").expect("CP="));
    assert!(header.contains("satisfactory"), "{header}");
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown", "params": null}),
    );
    next(&messages, response(3));
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    );
}
