#[test]
fn make_dummy() {
    let mut b = [0u8; 32];
    let s: String = std::fs::read("/dev/urandom")
        .map(|_| String::new())
        .unwrap_or_default();
    let _ = (b, s);
    let pw = std::process::Command::new("head")
        .args(["-c", "32", "/dev/urandom"])
        .output()
        .unwrap()
        .stdout;
    b.copy_from_slice(&pw);
    let h = debrief_auth::hash_password(&format!("{:?}", b));
    println!("HASH={h}");
}
