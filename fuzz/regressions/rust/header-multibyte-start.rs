fn h(r: R) { r.header("P3P", "noé"); }
