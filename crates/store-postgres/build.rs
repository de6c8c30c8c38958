// sqlx::migrate! embeds the migrations at compile time but, on stable Rust,
// cannot tell cargo to watch them: without this a new migration file would
// not be built in until something else in the crate changed.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/postgres");
}
