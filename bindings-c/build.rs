//! Gives libenjo.so a SONAME (`libenjo.so.<major>`), so that programs linked against an
//! installed `libenjo.so` symlink keep working across compatible upgrades.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".to_owned());
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-cdylib-link-arg=-Wl,-soname,libenjo.so.{major}");
    }
    println!("cargo::rerun-if-changed=build.rs");
}
