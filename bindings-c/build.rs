//! Gives libenjo.so a SONAME, so that a program linked against it loads only an ABI-compatible
//! libenjo: `libenjo.so.<major>` from 1.0, and `libenjo.so.0.<minor>` before (every 0.x minor
//! may change the C ABI, as `cmake/enjoConfigVersion.cmake.in` says too). The Makefile installs
//! the matching symlinks.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".to_owned());
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_else(|_| "0".to_owned());
    let soversion = if major == "0" {
        format!("0.{minor}")
    } else {
        major
    };
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-cdylib-link-arg=-Wl,-soname,libenjo.so.{soversion}");
    }
    println!("cargo::rerun-if-changed=build.rs");
}
