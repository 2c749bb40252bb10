#![no_main]
//! Fuzz target `rust`: see `p3plint::fuzzing::rust`.
//!
//! The parser sizes its stack to the input and, when the current stack is too small, switches
//! to one of its own (stacker). AddressSanitizer does not follow such a switch and reports the
//! frames on the new stack as use-after-free, so inputs run here on one worker thread whose
//! stack is larger than any the parser asks for: under the fuzzer it never switches.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Mutex, OnceLock};

/// More than the parser's largest stack (512 MiB) with room for sanitizer-sized frames.
const WORKER_STACK: usize = 2 * 1024 * 1024 * 1024;

struct Worker {
    inputs: Sender<Vec<u8>>,
    finished: Receiver<()>,
}

fn worker() -> &'static Mutex<Worker> {
    static WORKER: OnceLock<Mutex<Worker>> = OnceLock::new();
    WORKER.get_or_init(|| {
        let (inputs, queue) = channel::<Vec<u8>>();
        let (done, finished) = channel();
        std::thread::Builder::new()
            .stack_size(WORKER_STACK)
            .spawn(move || {
                for data in queue {
                    // A panic is a finding: abort, so libFuzzer records the input.
                    if std::panic::catch_unwind(|| p3plint::fuzzing::rust(&data)).is_err() {
                        std::process::abort();
                    }
                    if done.send(()).is_err() {
                        return;
                    }
                }
            })
            .expect("the worker thread starts");
        Mutex::new(Worker { inputs, finished })
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let worker = worker().lock().expect("one input at a time");
    worker.inputs.send(data.to_vec()).expect("the worker runs");
    worker.finished.recv().expect("the worker answers");
});
