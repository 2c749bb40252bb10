const P3P: &str = concat!(P3P);
